//! The C ABI (`include/sleeper_pg.h`, generated from this file by cbindgen).
//!
//! A table of translations: each `spg_` function converts its C arguments into the model's values,
//! makes one blocking call through [`crate::block_on`], and converts the result back. Every entry
//! point runs through `trampoline`, the one place that catches panics, turns an [`Error`] into an
//! `spg_status` and records the calling thread's last error message.
//!
//! Safety contract for every `unsafe extern "C"` function here (the header says the same in words):
//! each pointer argument is either NULL or valid for reads (writes, for `out` arguments) of its
//! type for the duration of the call, C strings are NUL-terminated, and an array pointer with a
//! count is valid for that many elements. NULL where a value is required, invalid UTF-8, unknown
//! type tags and counts without an array are reported as `SPG_INVALID_ARGUMENT`, never undefined
//! behaviour. Results are allocated here and must be freed with the matching `spg_..._free`.
#![allow(non_camel_case_types)]
// The safety contract is stated once, above, rather than on each of the many entry points.
#![allow(clippy::missing_safety_doc)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::io::BufReader;
use std::panic::{self, AssertUnwindSafe};
use std::ptr;
use std::sync::OnceLock;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    AllReferencesToAFile, AllReferencesToAllFiles, AssignJobIdRequest, CheckFileAssignmentsRequest,
    FileReference, KeyType, KeyValue, Partition, Range, Region, ReplaceFileReferencesRequest,
    RowKeyField, SplitFileReferenceRequest, Timestamp,
};
use crate::{
    block_on, Client, ClientOptions, CommitMode, LocalPostgres, LocalPostgresOptions, LogProgress,
    StateStore, Transaction, TransactionFailure,
};

// ---------------------------------------------------------------------------------------------
// Status codes
// ---------------------------------------------------------------------------------------------

/// The result of every `spg_` function: `SPG_OK`, or the code of the Sleeper exception the call
/// raised (`CONTRACT.md` 2.12), or `SPG_INVALID_ARGUMENT` for NULL or malformed input. After any code
/// other than `SPG_OK`, `spg_last_error_message()` describes the failure. Each code is one kind of
/// error of the library, numbered in the library's order of kinds from 1; a new kind gets the next
/// number, so the codes below never change meaning.
pub type spg_status = i32;

/// The call succeeded.
pub const SPG_OK: spg_status = 0;
/// `FileAlreadyExistsException`.
pub const SPG_FILE_ALREADY_EXISTS: spg_status = 1;
/// `FileNotFoundException`.
pub const SPG_FILE_NOT_FOUND: spg_status = 2;
/// `FileReferenceNotFoundException`.
pub const SPG_FILE_REFERENCE_NOT_FOUND: spg_status = 3;
/// `FileReferenceAlreadyExistsException`.
pub const SPG_FILE_REFERENCE_ALREADY_EXISTS: spg_status = 4;
/// `FileReferenceAssignedToJobException`.
pub const SPG_FILE_REFERENCE_ASSIGNED_TO_JOB: spg_status = 5;
/// `FileReferenceNotAssignedToJobException`.
pub const SPG_FILE_REFERENCE_NOT_ASSIGNED_TO_JOB: spg_status = 6;
/// `NewReferenceSameAsOldReferenceException`.
pub const SPG_NEW_REFERENCE_SAME_AS_OLD_REFERENCE: spg_status = 7;
/// `FileHasReferencesException`.
pub const SPG_FILE_HAS_REFERENCES: spg_status = 8;
/// `SplitRequestsFailedException`: every request of the call failed together; the specific error of
/// the first failing request is given by `spg_last_error_cause()` and `spg_last_error_cause_message()`.
pub const SPG_SPLIT_REQUESTS_FAILED: spg_status = 9;
/// `ReplaceRequestsFailedException`; the cause as for `SPG_SPLIT_REQUESTS_FAILED`.
pub const SPG_REPLACE_REQUESTS_FAILED: spg_status = 10;
/// `InitialiseWithFilesPresentException`.
pub const SPG_INITIALISE_WITH_FILES_PRESENT: spg_status = 11;
/// `PartitionNotFoundException`.
pub const SPG_PARTITION_NOT_FOUND: spg_status = 12;
/// `TableNotFoundException`.
pub const SPG_TABLE_NOT_FOUND: spg_status = 13;
/// `TableAlreadyExistsException`.
pub const SPG_TABLE_ALREADY_EXISTS: spg_status = 14;
/// `StateStoreConnectionException`: the database cannot be reached, answered with an unexpected
/// error, or conflicts outlasted the retry budget. When the database answered with an error,
/// `spg_last_error_sqlstate()` gives its SQLSTATE code.
pub const SPG_STATE_STORE_CONNECTION: spg_status = 15;
/// `StateStoreException` (plain): a partition tree or a partition split failed validation. When
/// Sleeper's exception has a cause ("Update results in invalid partition tree", "Failed to validate
/// partition split: ..."), `spg_last_error_cause()` is `SPG_INVALID_ARGUMENT` and
/// `spg_last_error_cause_message()` the reason. Also returned, with a message saying so, if the
/// library hit an internal error (a bug).
pub const SPG_STATE_STORE: spg_status = 16;
/// NULL or malformed input (`CONTRACT.md` section 8): a NULL handle, string or `out` pointer, invalid
/// UTF-8, an unknown type tag, an array pointer that is NULL while its count is not zero, or a value
/// out of range. Nothing reached the database.
pub const SPG_INVALID_ARGUMENT: spg_status = 17;

/// The status of a kind of error: its number in core's order of kinds ([`ErrorKind::ALL`]) plus one,
/// 0 being `SPG_OK`. The one mapping from errors to statuses: the `SPG_` constants above are its
/// values written out for the header, named after the kind's exception (a unit test checks both).
fn status_of_kind(kind: ErrorKind) -> spg_status {
    spg_status::from(kind.number()) + 1
}

fn status_of(error: &Error) -> spg_status {
    status_of_kind(error.kind())
}

/// The kind of error a status stands for; `None` for `SPG_OK` and numbers that are no status.
fn kind_of_status(status: spg_status) -> Option<ErrorKind> {
    u8::try_from(status.checked_sub(1)?)
        .ok()
        .and_then(ErrorKind::from_number)
}

/// The name of a status: `"OK"`, the Sleeper exception's class name (`"FileNotFoundException"`,
/// `"StateStoreException"`, ...), `"InvalidArgument"`, or `"Unknown"` for any other number.
/// Returns a static string: never NULL, never to be freed.
#[no_mangle]
pub extern "C" fn spg_status_name(status: spg_status) -> *const c_char {
    // Core's exception names, NUL-terminated once, by kind number.
    static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
    if status == SPG_OK {
        return c"OK".as_ptr();
    }
    let names = NAMES.get_or_init(|| {
        ErrorKind::ALL
            .iter()
            .map(|kind| CString::new(kind.exception_name()).unwrap_or_default())
            .collect()
    });
    kind_of_status(status)
        .and_then(|kind| names.get(usize::from(kind.number())))
        .map_or(c"Unknown".as_ptr(), |name| name.as_ptr())
}

// ---------------------------------------------------------------------------------------------
// The last error of each thread, and the one trampoline
// ---------------------------------------------------------------------------------------------

/// The last failure of a thread, each text NUL-terminated (or empty for "").
struct LastError {
    message: Vec<u8>,
    cause: spg_status,
    cause_message: Vec<u8>,
    sqlstate: Vec<u8>,
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> = const {
        RefCell::new(LastError {
            message: Vec::new(),
            cause: SPG_OK,
            cause_message: Vec::new(),
            sqlstate: Vec::new(),
        })
    };
}

/// A message as a C string. Messages never hold U+0000 (input holding it is refused before it could
/// be quoted), but should one, it is written as `\0` rather than cutting the message short.
fn c_message(message: &str) -> Vec<u8> {
    let mut bytes = message.replace('\0', "\\0").into_bytes();
    bytes.push(0);
    bytes
}

/// Records a failure as the calling thread's last error and returns its status.
fn record(
    status: spg_status,
    message: &str,
    cause: Option<&Error>,
    sqlstate: Option<&str>,
) -> spg_status {
    let _ = LAST_ERROR.try_with(|last| {
        *last.borrow_mut() = LastError {
            message: c_message(message),
            cause: cause.map_or(SPG_OK, status_of),
            cause_message: c_message(&cause.map(ToString::to_string).unwrap_or_default()),
            sqlstate: c_message(sqlstate.unwrap_or_default()),
        };
    });
    status
}

/// Every error is recorded alike, from what core says of it: its kind, message, cause and SQLSTATE.
fn record_error(error: &Error) -> spg_status {
    record(
        status_of(error),
        &error.to_string(),
        error.cause(),
        error.sqlstate(),
    )
}

fn record_panic(payload: Box<dyn Any + Send>) -> spg_status {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    record(
        status_of_kind(ErrorKind::StateStore),
        &format!("sleeper-pg internal error (a bug; please report it): {what}"),
        None,
        None,
    )
}

/// Every entry point runs its body here: a panic becomes `SPG_STATE_STORE` with a message, an error
/// its status code with its message, and neither crosses into C. Success leaves the last error as
/// it was.
fn trampoline(body: impl FnOnce() -> Result<()>) -> spg_status {
    // Dropping a panic payload can itself panic; the outer catch keeps even that from unwinding.
    match panic::catch_unwind(AssertUnwindSafe(|| {
        match panic::catch_unwind(AssertUnwindSafe(body)) {
            Ok(Ok(())) => SPG_OK,
            Ok(Err(error)) => record_error(&error),
            Err(payload) => record_panic(payload),
        }
    })) {
        Ok(status) => status,
        Err(_) => status_of_kind(ErrorKind::StateStore),
    }
}

/// The trampoline for functions with one result: `*out` is set to `empty` first, whatever happens,
/// and to the result on success.
fn with_out<T: Copy>(out: *mut T, empty: T, body: impl FnOnce() -> Result<T>) -> spg_status {
    trampoline(|| {
        if out.is_null() {
            return Err(invalid("out must not be NULL"));
        }
        if !out.is_aligned() {
            return Err(invalid("out is not aligned"));
        }
        // SAFETY: `out` is non-null and aligned, and the caller promises it is valid for writes.
        unsafe { out.write(empty) };
        let value = body()?;
        // SAFETY: as above.
        unsafe { out.write(value) };
        Ok(())
    })
}

fn invalid(message: impl Into<String>) -> Error {
    Error::invalid(message)
}

/// The message of the last call on the calling thread that returned a status other than `SPG_OK`;
/// `""` if there was none. Successful calls leave it unchanged. Never NULL. The string belongs to the
/// library and stays valid until the next failing `spg_` call on the same thread or the thread's
/// end: copy it to keep it.
#[no_mangle]
pub extern "C" fn spg_last_error_message() -> *const c_char {
    last_error_text(|last| &last.message)
}

/// The status of the cause of the last failure on the calling thread, `SPG_OK` when it had none. For
/// `SPG_SPLIT_REQUESTS_FAILED` and `SPG_REPLACE_REQUESTS_FAILED`: the status of the specific error of
/// the first failing request (for example `SPG_FILE_REFERENCE_NOT_FOUND`). For an `SPG_STATE_STORE`
/// whose Sleeper exception has a cause ("Update results in invalid partition tree", "Failed to
/// validate partition split: ..."): `SPG_INVALID_ARGUMENT`, the reason being its message.
#[no_mangle]
pub extern "C" fn spg_last_error_cause() -> spg_status {
    panic::catch_unwind(|| {
        LAST_ERROR
            .try_with(|last| last.borrow().cause)
            .unwrap_or(SPG_OK)
    })
    .unwrap_or(SPG_OK)
}

/// The message of that cause, `""` when there is none. Ownership and lifetime as for
/// `spg_last_error_message()`.
#[no_mangle]
pub extern "C" fn spg_last_error_cause_message() -> *const c_char {
    last_error_text(|last| &last.cause_message)
}

/// The SQLSTATE code (five characters, for example `"40001"` or `"42P01"`) the database answered the
/// last failing call on the calling thread with: set for an `SPG_STATE_STORE_CONNECTION` the
/// database reported, `""` otherwise (no failure yet, another status, or a connection error with no
/// answer from the database, such as a refused connection or a timeout). Never NULL. Ownership and
/// lifetime as for `spg_last_error_message()`.
#[no_mangle]
pub extern "C" fn spg_last_error_sqlstate() -> *const c_char {
    last_error_text(|last| &last.sqlstate)
}

fn last_error_text(field: fn(&LastError) -> &Vec<u8>) -> *const c_char {
    panic::catch_unwind(|| {
        LAST_ERROR
            .try_with(|last| {
                let last = last.borrow();
                let text = field(&last);
                if text.is_empty() {
                    c"".as_ptr()
                } else {
                    // The buffer lives in this thread's storage until the next failure replaces it.
                    text.as_ptr().cast::<c_char>()
                }
            })
            .unwrap_or(c"".as_ptr())
    })
    .unwrap_or(c"".as_ptr())
}

// ---------------------------------------------------------------------------------------------
// Handles
// ---------------------------------------------------------------------------------------------

/// A connection pool to one database (opaque). Safe to use from any number of threads at once.
/// Created by `spg_connect`/`spg_connect_with`, freed by `spg_client_free`.
pub struct spg_client {
    client: Client,
}

/// A handle on one Sleeper table (opaque), with its own settable clocks. Safe to use from any number
/// of threads at once. Created by `spg_create_table`/`spg_table`, freed by `spg_store_free`. It keeps
/// its client's pool alive: it may outlive the `spg_client` it came from.
pub struct spg_store {
    store: StateStore,
}

/// A throwaway PostgreSQL cluster (opaque): started by `spg_local_postgres_start`, stopped and deleted
/// by `spg_local_postgres_free`.
pub struct spg_local_postgres {
    local: LocalPostgres,
}

/// A reference to the handle behind a non-NULL pointer.
unsafe fn handle<'a, T>(pointer: *const T, what: &str) -> Result<&'a T> {
    if pointer.is_null() {
        return Err(invalid(format!("{what} must not be NULL")));
    }
    if !pointer.is_aligned() {
        return Err(invalid(format!("{what} is not aligned")));
    }
    // SAFETY: non-null and aligned; the caller passes a handle this library created and has not freed.
    Ok(unsafe { &*pointer })
}

fn new_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Frees a handle made by `new_handle`, dropping it inside the runtime (a pool's connections are
/// runtime objects).
unsafe fn free_handle<T>(pointer: *mut T) {
    let _ = trampoline(|| {
        if pointer.is_null() {
            return Ok(());
        }
        // SAFETY: the pointer came from `new_handle` (Box::into_raw) and is freed once, by contract.
        let value = unsafe { Box::from_raw(pointer) };
        block_on(async move {
            drop(value);
            Ok(())
        })
    });
}

// ---------------------------------------------------------------------------------------------
// Value types shared by inputs and results
// ---------------------------------------------------------------------------------------------

/// The type of a row key field or key value: one of the `SPG_KEY_` constants.
pub type spg_key_type = i32;
/// `int`: a signed 32-bit integer (in `spg_key_value.int_value`).
pub const SPG_KEY_INT: spg_key_type = 0;
/// `long`: a signed 64-bit integer (in `spg_key_value.int_value`).
pub const SPG_KEY_LONG: spg_key_type = 1;
/// `string`: UTF-8 text without U+0000 (in `spg_key_value.data` and `len`).
pub const SPG_KEY_STRING: spg_key_type = 2;
/// `bytes`: a byte string (in `spg_key_value.data` and `len`).
pub const SPG_KEY_BYTES: spg_key_type = 3;

/// Times are `int64_t` milliseconds since 1970-01-01T00:00:00Z (UTC). Where a time may be absent, a
/// `bool has_...` flag beside it says whether it is present.
pub type spg_time_ms = i64;

/// One row key field of a table: its name and type.
#[repr(C)]
pub struct spg_row_key_field {
    /// NUL-terminated UTF-8, non-empty. Borrowed.
    pub name: *const c_char,
    /// One of the `SPG_KEY_` constants.
    pub key_type: spg_key_type,
}

/// A row key value, tagged by `key_type`. `SPG_KEY_INT` and `SPG_KEY_LONG` use `int_value` (an int
/// must fit in 32 bits); `SPG_KEY_STRING` and `SPG_KEY_BYTES` use `data` and `len` (`data` may be NULL
/// when `len` is 0; a string need not be NUL-terminated on input, and on output is followed by a NUL
/// byte not counted in `len`). In inputs `data` is borrowed; in results it belongs to the result.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spg_key_value {
    /// The value's type: `SPG_KEY_INT`, `SPG_KEY_LONG`, `SPG_KEY_STRING` or `SPG_KEY_BYTES`.
    pub key_type: spg_key_type,
    /// The value of an int or long.
    pub int_value: i64,
    /// The bytes of a string (UTF-8) or byte string.
    pub data: *const u8,
    /// How many bytes `data` holds.
    pub len: usize,
}

/// The values of one row key field: `min` inclusive, `max` exclusive, or no upper bound when
/// `has_max` is false (then `max` is ignored on input and zeroed in results).
#[repr(C)]
pub struct spg_range {
    /// NUL-terminated UTF-8, non-empty. Borrowed in inputs; owned by the result in results.
    pub field_name: *const c_char,
    /// The smallest value in the range.
    pub min: spg_key_value,
    /// Whether the range has an upper bound, `max`.
    pub has_max: bool,
    /// The first value past the range, when `has_max`.
    pub max: spg_key_value,
}

/// A node of the partition tree (`CONTRACT.md` 2.4). In inputs every pointer is borrowed; in results
/// every pointer belongs to the result it came in and is freed with it.
#[repr(C)]
pub struct spg_partition {
    /// NUL-terminated UTF-8, non-empty.
    pub id: *const c_char,
    /// The region: one range per row key field (in results, in row key field order).
    pub ranges: *const spg_range,
    /// How many ranges `ranges` holds.
    pub range_count: usize,
    /// True while the partition has not been split.
    pub is_leaf_partition: bool,
    /// NULL for the root.
    pub parent_partition_id: *const c_char,
    /// Empty for a leaf; `[left, right]` after a split. May be NULL when the count is 0.
    pub child_partition_ids: *const *const c_char,
    /// How many ids `child_partition_ids` holds.
    pub child_partition_id_count: usize,
    /// -1 unless split; then the index of the row key field that was split.
    pub dimension: i32,
}

/// The rows of one data file that belong to one partition. In inputs every pointer is borrowed; in
/// results every pointer belongs to the result it came in.
#[repr(C)]
pub struct spg_file_reference {
    /// NUL-terminated UTF-8, non-empty.
    pub filename: *const c_char,
    /// NUL-terminated UTF-8, non-empty.
    pub partition_id: *const c_char,
    /// 0 to 2^63 - 1.
    pub number_of_rows: u64,
    /// NULL for no job.
    pub job_id: *const c_char,
    /// Whether `last_update_time_ms` holds a time. In results always true: the store sets the time on
    /// every write. On input both fields are ignored.
    pub has_last_update_time: bool,
    /// When the reference was last written, in milliseconds since the epoch (UTC).
    pub last_update_time_ms: spg_time_ms,
    /// True when `number_of_rows` is an estimate.
    pub count_approximate: bool,
    /// True when the file holds no rows outside this partition.
    pub only_contains_data_for_this_partition: bool,
}

/// One file and all its references (sorted by partition id in results). In inputs every pointer is
/// borrowed, every reference must have `filename`, and the time is ignored.
#[repr(C)]
pub struct spg_all_references_to_a_file {
    /// NUL-terminated UTF-8, non-empty.
    pub filename: *const c_char,
    /// May be NULL when the count is 0 (a file with no references).
    pub references: *const spg_file_reference,
    /// How many references `references` holds.
    pub reference_count: usize,
    /// Whether `last_update_time_ms` holds a time (always true in results; both ignored on input).
    pub has_last_update_time: bool,
    /// The file-level time: when the last write that touched the file ran, in milliseconds since the
    /// epoch (UTC).
    pub last_update_time_ms: spg_time_ms,
}

/// Replace a file's reference on `old_reference.partition_id` by `new_references` (at least one,
/// each with the old reference's filename). Borrowed when passed in.
#[repr(C)]
pub struct spg_split_file_reference_request {
    /// The reference to replace: only its filename and partition id are read.
    pub old_reference: spg_file_reference,
    /// The references that replace it.
    pub new_references: *const spg_file_reference,
    /// How many references `new_references` holds.
    pub new_reference_count: usize,
}

/// The commit of one compaction job: remove the input files' references on `partition_id`, add the
/// output `new_reference`. Borrowed when passed in.
#[repr(C)]
pub struct spg_replace_file_references_request {
    /// NUL-terminated UTF-8, non-empty.
    pub job_id: *const c_char,
    /// NUL-terminated UTF-8, non-empty.
    pub partition_id: *const c_char,
    /// Filenames, each NUL-terminated UTF-8. May be NULL when the count is 0.
    pub input_files: *const *const c_char,
    /// How many filenames `input_files` holds.
    pub input_file_count: usize,
    /// The reference of the output file, a new file.
    pub new_reference: spg_file_reference,
}

/// Assign `job_id` to the reference of each named file on `partition_id`. Borrowed when passed in.
#[repr(C)]
pub struct spg_assign_job_id_request {
    /// NUL-terminated UTF-8, non-empty.
    pub job_id: *const c_char,
    /// NUL-terminated UTF-8, non-empty.
    pub partition_id: *const c_char,
    /// Filenames, each NUL-terminated UTF-8. May be NULL when the count is 0.
    pub filenames: *const *const c_char,
    /// How many filenames `filenames` holds.
    pub filename_count: usize,
}

/// Whether the reference of each named file on `partition_id` has `job_id` (Sleeper's
/// `CheckFileAssignmentsRequest(jobId, filenames, partitionId)`, fields in that order). Borrowed when
/// passed in.
#[repr(C)]
pub struct spg_check_file_assignments_request {
    /// NUL-terminated UTF-8, non-empty.
    pub job_id: *const c_char,
    /// Filenames, each NUL-terminated UTF-8. May be NULL when the count is 0.
    pub filenames: *const *const c_char,
    /// How many filenames `filenames` holds.
    pub filename_count: usize,
    /// NUL-terminated UTF-8, non-empty.
    pub partition_id: *const c_char,
}

/// A list of strings returned by the library (table ids, filenames). Free with
/// `spg_string_list_free`, which frees the strings too.
#[repr(C)]
pub struct spg_string_list {
    /// `count` NUL-terminated UTF-8 strings; NULL when `count` is 0. Owned by the list.
    pub items: *const *const c_char,
    /// How many items the array before this field holds.
    pub count: usize,
}

/// Partitions returned by the library. Free with `spg_partition_list_free`.
#[repr(C)]
pub struct spg_partition_list {
    /// NULL when `count` is 0. Owned by the list, with everything the partitions point to.
    pub partitions: *const spg_partition,
    /// How many items the array before this field holds.
    pub count: usize,
}

/// File references returned by the library, by filename then partition id. Free with
/// `spg_file_reference_list_free`.
#[repr(C)]
pub struct spg_file_reference_list {
    /// NULL when `count` is 0. Owned by the list, with everything the references point to.
    pub references: *const spg_file_reference,
    /// How many items the array before this field holds.
    pub count: usize,
}

/// One entry of the partition-to-files map: a partition id and the filenames referenced on it.
#[repr(C)]
pub struct spg_partition_files {
    /// NUL-terminated UTF-8. Owned by the map.
    pub partition_id: *const c_char,
    /// Sorted filenames, one per reference. Owned by the map.
    pub filenames: *const *const c_char,
    /// How many filenames `filenames` holds.
    pub filename_count: usize,
}

/// The result of `spg_get_partition_to_referenced_files_map`: entries sorted by partition id. Free
/// with `spg_partition_files_map_free`.
#[repr(C)]
pub struct spg_partition_files_map {
    /// NULL when `count` is 0. Owned by the map.
    pub entries: *const spg_partition_files,
    /// How many items the array before this field holds.
    pub count: usize,
}

/// The report of `spg_get_all_files_with_max_unreferenced` (`AllReferencesToAllFiles`): files sorted
/// by filename, those with `reference_count == 0` being the unreferenced ones included. Free with
/// `spg_all_references_to_all_files_free`.
#[repr(C)]
pub struct spg_all_references_to_all_files {
    /// NULL when `file_count` is 0. Owned by the report, with everything the files point to.
    pub files: *const spg_all_references_to_a_file,
    /// How many files `files` holds.
    pub file_count: usize,
    /// True iff at least one unreferenced file was left out.
    pub more_than_max: bool,
}

/// A part of a transaction that was skipped, and why: the exception Sleeper's job tracker would
/// report for it. Only ever part of a result.
#[repr(C)]
pub struct spg_transaction_failure {
    /// The index, from 0, of the compaction job (`REPLACE_FILE_REFERENCES`) or of the file
    /// (`ADD_FILES`) in the transaction.
    pub index: usize,
    /// The status of the exception (for example `SPG_FILE_REFERENCE_NOT_FOUND`); never `SPG_OK`.
    pub status: spg_status,
    /// The exception's message, NUL-terminated UTF-8. Owned by the result it came in.
    pub message: *const c_char,
}

/// The result of `spg_apply_transaction` (Sleeper's outcome of applying one transaction). Free with
/// `spg_transaction_outcome_free`.
#[repr(C)]
pub struct spg_transaction_outcome {
    /// The skipped parts, by index; NULL when `failure_count` is 0, that is when everything applied
    /// (always so in synchronous mode). Owned by the outcome, with the messages.
    pub failures: *const spg_transaction_failure,
    /// How many failures `failures` holds.
    pub failure_count: usize,
}

/// A part of a log entry's transaction that was skipped, and why. Only ever part of a result.
#[repr(C)]
pub struct spg_log_failure {
    /// The number, from 1, of the entry it belongs to (blank lines are not entries).
    pub entry: u64,
    /// The index, from 0, of the compaction job or file in the entry's transaction.
    pub index: usize,
    /// The status of the exception (for example `SPG_FILE_ALREADY_EXISTS`); never `SPG_OK`.
    pub status: spg_status,
    /// The exception's message, NUL-terminated UTF-8. Owned by the result it came in.
    pub message: *const c_char,
}

/// The result of `spg_apply_transaction_log`. Free with `spg_log_replay_free`.
#[repr(C)]
pub struct spg_log_replay {
    /// The entries applied, those with skipped parts included.
    pub entries: u64,
    /// Every skipped part, by entry then index; NULL when `failure_count` is 0. Owned by the result,
    /// with the messages.
    pub failures: *const spg_log_failure,
    /// How many failures `failures` holds.
    pub failure_count: usize,
}

/// Told how far `spg_apply_transaction_log` has got, after each entry it applies: the entries applied
/// and the bytes of the log read so far. Called on the thread that called
/// `spg_apply_transaction_log`, before it returns; `context` is the pointer given to it, passed on
/// untouched. The function must not unwind (no C++ exception, no `longjmp`) out of the call.
pub type spg_log_progress_fn =
    Option<unsafe extern "C" fn(entries: u64, bytes: u64, context: *mut c_void)>;

/// How to connect (`spg_connect_with`). Every field left zero (NULL, 0, false) takes core's default,
/// so `spg_client_options options = {0};` or `spg_client_options_default()` with only the fields
/// you want set is the way to fill it; the library passes on only what was set, and core checks it
/// (a value core refuses is `SPG_INVALID_ARGUMENT`). Where zero is a value of its own, a `has_` flag
/// beside the field says whether it is set. Times are in milliseconds.
#[repr(C)]
pub struct spg_client_options {
    /// `postgresql://user:pass@host:port/db?...`, NUL-terminated, borrowed. NULL: the `DATABASE_URL`
    /// environment variable, and without it a new local cluster that lives as long as the client.
    pub url: *const c_char,
    /// The PostgreSQL schema holding the tables, NUL-terminated, borrowed. NULL: core's default
    /// (currently `"sleeper"`).
    pub schema: *const c_char,
    /// The most connections the pool opens. 0: core's default (currently 10).
    pub max_connections: u32,
    /// How long a call waits for a free connection, opening one included. 0: core's default
    /// (currently 30000).
    pub acquire_timeout_ms: u64,
    /// How long opening one connection may take. 0: core's default (currently 10000).
    pub connect_timeout_ms: u64,
    /// Whether `statement_timeout_ms` is set. False: core's default (currently none, the server's
    /// setting applies).
    pub has_statement_timeout: bool,
    /// A server-side limit on each statement (enforced by the client only when `statement_cache` is
    /// off); 0 for none.
    pub statement_timeout_ms: u64,
    /// Whether `idle_timeout_ms` is set. False: core's default (currently 60000).
    pub has_idle_timeout: bool,
    /// Connections idle this long are closed; 0 keeps them open.
    pub idle_timeout_ms: u64,
    /// Whether `migrate` is set. False: core's default (currently true).
    pub has_migrate: bool,
    /// Apply the bundled migrations when connecting (off where an admin step owns the schema).
    pub migrate: bool,
    /// Whether `statement_cache` is set. False: core's default (currently true).
    pub has_statement_cache: bool,
    /// Cache prepared statements per connection (off behind a transaction-pooling PgBouncer).
    pub statement_cache: bool,
    /// Attempts of a call that meets conflicts, the first included. 0: core's default (currently 10).
    pub retry_max_attempts: u32,
    /// Whether `retry_initial_backoff_ms` is set. False: core's default (currently 200).
    pub has_retry_initial_backoff: bool,
    /// The ceiling of the first wait before another attempt (each wait is drawn from 0 to the
    /// ceiling, which doubles after each); 0 retries at once.
    pub retry_initial_backoff_ms: u64,
    /// Whether `retry_max_backoff_ms` is set. False: core's default (currently 30000).
    pub has_retry_max_backoff: bool,
    /// The most the ceiling of a wait grows to.
    pub retry_max_backoff_ms: u64,
}

/// One server setting of a local cluster, `name=value` (PostgreSQL's `-c name=value`). Borrowed.
#[repr(C)]
pub struct spg_setting {
    /// NUL-terminated UTF-8.
    pub name: *const c_char,
    /// NUL-terminated UTF-8.
    pub value: *const c_char,
}

/// How to start a local cluster (`spg_local_postgres_start_with`). As for `spg_client_options`, every
/// field left zero takes core's default: `spg_local_postgres_options options = {0};`.
#[repr(C)]
pub struct spg_local_postgres_options {
    /// Whether `durable` is set. False: core's default (currently false: fast and not crash safe,
    /// fsync off, as tests want).
    pub has_durable: bool,
    /// Keep PostgreSQL's crash-safe settings (fsync, synchronous commit), as benchmarks need.
    pub durable: bool,
    /// Further server settings, borrowed; none by default. May be NULL when the count is 0.
    pub settings: *const spg_setting,
    /// How many settings `settings` holds.
    pub setting_count: usize,
}

// ---------------------------------------------------------------------------------------------
// Results: each is one allocation holding the public struct and everything it points to
// ---------------------------------------------------------------------------------------------

/// Storage for the strings and arrays a result points to. Vectors never move their contents when
/// the vector itself moves, so the pointers handed out stay valid as long as the arena.
#[derive(Default)]
struct Arena {
    keep: Vec<Box<dyn Any>>,
}

impl Arena {
    fn array<T: 'static>(&mut self, items: Vec<T>) -> *const T {
        if items.is_empty() {
            return ptr::null();
        }
        let pointer = items.as_ptr();
        self.keep.push(Box::new(items));
        pointer
    }

    fn text(&mut self, text: &str) -> Result<*const c_char> {
        self.nul_terminated(text.as_bytes(), "a string")
    }

    fn nul_terminated(&mut self, bytes: &[u8], what: &str) -> Result<*const c_char> {
        if bytes.contains(&0) {
            return Err(Error::connection(format!(
                "The store returned {what} holding U+0000"
            )));
        }
        let mut buffer = Vec::with_capacity(bytes.len() + 1);
        buffer.extend_from_slice(bytes);
        buffer.push(0);
        let pointer = buffer.as_ptr().cast::<c_char>();
        self.keep.push(Box::new(buffer));
        Ok(pointer)
    }

    fn optional_text(&mut self, text: Option<&str>) -> Result<*const c_char> {
        text.map_or(Ok(ptr::null()), |text| self.text(text))
    }

    /// An error's message, as the last error's is written: never fails.
    fn message(&mut self, error: &Error) -> *const c_char {
        let buffer = c_message(&error.to_string());
        let pointer = buffer.as_ptr().cast::<c_char>();
        self.keep.push(Box::new(buffer));
        pointer
    }

    fn transaction_failure(&mut self, failure: &TransactionFailure) -> spg_transaction_failure {
        spg_transaction_failure {
            index: failure.index,
            status: status_of(&failure.error),
            message: self.message(&failure.error),
        }
    }

    fn texts(&mut self, texts: &[String]) -> Result<(*const *const c_char, usize)> {
        let pointers = texts
            .iter()
            .map(|t| self.text(t))
            .collect::<Result<Vec<_>>>()?;
        Ok((self.array(pointers), texts.len()))
    }

    fn key_value(&mut self, value: &KeyValue) -> Result<spg_key_value> {
        let (key_type, int_value, data, len) = match value {
            KeyValue::Int(v) => (SPG_KEY_INT, i64::from(*v), ptr::null(), 0),
            KeyValue::Long(v) => (SPG_KEY_LONG, *v, ptr::null(), 0),
            KeyValue::String(s) => (SPG_KEY_STRING, 0, self.text(s)?.cast::<u8>(), s.len()),
            KeyValue::Bytes(b) => {
                let mut buffer = b.clone();
                // A NUL after the bytes too, so that an empty value still has a valid pointer.
                buffer.push(0);
                let pointer = buffer.as_ptr();
                self.keep.push(Box::new(buffer));
                (SPG_KEY_BYTES, 0, pointer, b.len())
            }
        };
        Ok(spg_key_value {
            key_type,
            int_value,
            data,
            len,
        })
    }

    fn range(&mut self, range: &Range) -> Result<spg_range> {
        Ok(spg_range {
            field_name: self.text(&range.field_name)?,
            min: self.key_value(&range.min)?,
            has_max: range.max.is_some(),
            max: match &range.max {
                Some(max) => self.key_value(max)?,
                None => ZERO_KEY,
            },
        })
    }

    fn partition(&mut self, partition: &Partition) -> Result<spg_partition> {
        let ranges = partition
            .region
            .ranges
            .iter()
            .map(|r| self.range(r))
            .collect::<Result<Vec<_>>>()?;
        let range_count = ranges.len();
        let (child_partition_ids, child_partition_id_count) =
            self.texts(&partition.child_partition_ids)?;
        Ok(spg_partition {
            id: self.text(&partition.id)?,
            ranges: self.array(ranges),
            range_count,
            is_leaf_partition: partition.is_leaf_partition,
            parent_partition_id: self.optional_text(partition.parent_partition_id.as_deref())?,
            child_partition_ids,
            child_partition_id_count,
            dimension: partition.dimension,
        })
    }

    fn partitions(&mut self, partitions: &[Partition]) -> Result<spg_partition_list> {
        let items = partitions
            .iter()
            .map(|p| self.partition(p))
            .collect::<Result<Vec<_>>>()?;
        Ok(spg_partition_list {
            count: items.len(),
            partitions: self.array(items),
        })
    }

    fn reference(&mut self, reference: &FileReference) -> Result<spg_file_reference> {
        Ok(spg_file_reference {
            filename: self.text(&reference.filename)?,
            partition_id: self.text(&reference.partition_id)?,
            number_of_rows: reference.number_of_rows,
            job_id: self.optional_text(reference.job_id.as_deref())?,
            has_last_update_time: reference.last_update_time.is_some(),
            last_update_time_ms: reference
                .last_update_time
                .map_or(0, |t| t.timestamp_millis()),
            count_approximate: reference.count_approximate,
            only_contains_data_for_this_partition: reference.only_contains_data_for_this_partition,
        })
    }

    fn references(
        &mut self,
        references: &[FileReference],
    ) -> Result<(*const spg_file_reference, usize)> {
        let items = references
            .iter()
            .map(|r| self.reference(r))
            .collect::<Result<Vec<_>>>()?;
        Ok((self.array(items), references.len()))
    }

    fn file(&mut self, file: &AllReferencesToAFile) -> Result<spg_all_references_to_a_file> {
        let (references, reference_count) = self.references(&file.references)?;
        Ok(spg_all_references_to_a_file {
            filename: self.text(&file.filename)?,
            references,
            reference_count,
            has_last_update_time: file.last_update_time.is_some(),
            last_update_time_ms: file.last_update_time.map_or(0, |t| t.timestamp_millis()),
        })
    }
}

const ZERO_KEY: spg_key_value = spg_key_value {
    key_type: SPG_KEY_INT,
    int_value: 0,
    data: ptr::null(),
    len: 0,
};

/// A result: the public struct first, so that a pointer to it is a pointer to the whole.
#[repr(C)]
struct Owned<T> {
    value: T,
    arena: Arena,
}

fn owned<T>(build: impl FnOnce(&mut Arena) -> Result<T>) -> Result<*mut T> {
    let mut arena = Arena::default();
    let value = build(&mut arena)?;
    Ok(Box::into_raw(Box::new(Owned { value, arena })).cast::<T>())
}

/// Frees a result made by `owned::<T>`.
unsafe fn free_owned<T>(pointer: *mut T) {
    let _ = trampoline(|| {
        if !pointer.is_null() {
            // SAFETY: the pointer came from `owned::<T>`, so it points at the start of a boxed
            // `Owned<T>` (repr(C), value first); by contract it is freed once.
            drop(unsafe { Box::from_raw(pointer.cast::<Owned<T>>()) });
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Inputs: borrowed C values to model values
// ---------------------------------------------------------------------------------------------

unsafe fn text<'a>(pointer: *const c_char, what: &str) -> Result<&'a str> {
    if pointer.is_null() {
        return Err(invalid(format!("{what} must not be NULL")));
    }
    // SAFETY: non-null, and the caller promises a NUL-terminated string valid for the call.
    let text = unsafe { CStr::from_ptr(pointer) };
    text.to_str()
        .map_err(|_| invalid(format!("{what} is not valid UTF-8")))
}

unsafe fn optional_text(pointer: *const c_char, what: &str) -> Result<Option<String>> {
    if pointer.is_null() {
        return Ok(None);
    }
    // SAFETY: passed on from the caller.
    Ok(Some(unsafe { text(pointer, what) }?.to_owned()))
}

/// The array behind a pointer and count: empty for a count of 0 whatever the pointer.
unsafe fn slice<'a, T>(pointer: *const T, count: usize, what: &str) -> Result<&'a [T]> {
    if count == 0 {
        return Ok(&[]);
    }
    if pointer.is_null() {
        return Err(invalid(format!("{what} is NULL but its count is {count}")));
    }
    if !pointer.is_aligned() {
        return Err(invalid(format!("{what} is not aligned")));
    }
    if count > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(invalid(format!(
            "The count of {what}, {count}, is too large"
        )));
    }
    // SAFETY: non-null, aligned, the size fits in isize, and the caller promises `count` elements.
    Ok(unsafe { std::slice::from_raw_parts(pointer, count) })
}

unsafe fn texts(pointer: *const *const c_char, count: usize, what: &str) -> Result<Vec<String>> {
    // SAFETY: passed on from the caller.
    let pointers = unsafe { slice(pointer, count, what) }?;
    pointers
        .iter()
        .enumerate()
        // SAFETY: each element is a C string by contract; NULL is checked.
        .map(|(i, &p)| Ok(unsafe { text(p, &format!("{what}[{i}]")) }?.to_owned()))
        .collect()
}

fn key_type(tag: spg_key_type, what: &str) -> Result<KeyType> {
    match tag {
        SPG_KEY_INT => Ok(KeyType::Int),
        SPG_KEY_LONG => Ok(KeyType::Long),
        SPG_KEY_STRING => Ok(KeyType::String),
        SPG_KEY_BYTES => Ok(KeyType::Bytes),
        other => Err(invalid(format!(
            "{what} has unknown key type {other}: expected SPG_KEY_INT, SPG_KEY_LONG, SPG_KEY_STRING or SPG_KEY_BYTES"
        ))),
    }
}

unsafe fn key_value(value: &spg_key_value, what: &str) -> Result<KeyValue> {
    match key_type(value.key_type, what)? {
        KeyType::Int => i32::try_from(value.int_value)
            .map(KeyValue::Int)
            .map_err(|_| {
                invalid(format!(
                    "{what} is an int but {} does not fit in 32 bits",
                    value.int_value
                ))
            }),
        KeyType::Long => Ok(KeyValue::Long(value.int_value)),
        KeyType::String => {
            // SAFETY: passed on from the caller: `data` holds `len` bytes.
            let bytes = unsafe { slice(value.data, value.len, &format!("{what}.data")) }?;
            let text = std::str::from_utf8(bytes)
                .map_err(|_| invalid(format!("{what} is not valid UTF-8")))?;
            Ok(KeyValue::String(text.to_owned()))
        }
        KeyType::Bytes => {
            // SAFETY: as above.
            let bytes = unsafe { slice(value.data, value.len, &format!("{what}.data")) }?;
            Ok(KeyValue::Bytes(bytes.to_vec()))
        }
    }
}

unsafe fn row_keys(fields: *const spg_row_key_field, count: usize) -> Result<Vec<RowKeyField>> {
    // SAFETY: passed on from the caller.
    let fields = unsafe { slice(fields, count, "row_keys") }?;
    fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let what = format!("row_keys[{i}]");
            // SAFETY: `name` is a C string by contract; NULL is checked.
            let name = unsafe { text(field.name, &format!("{what}.name")) }?;
            Ok(RowKeyField::new(name, key_type(field.key_type, &what)?))
        })
        .collect()
}

unsafe fn range(range: &spg_range, what: &str) -> Result<Range> {
    // SAFETY: the fields follow the contract; each conversion checks for NULL.
    unsafe {
        Ok(Range::new(
            text(range.field_name, &format!("{what}.field_name"))?,
            key_value(&range.min, &format!("{what}.min"))?,
            if range.has_max {
                Some(key_value(&range.max, &format!("{what}.max"))?)
            } else {
                None
            },
        ))
    }
}

unsafe fn partition(partition: *const spg_partition, what: &str) -> Result<Partition> {
    // SAFETY: passed on from the caller.
    let partition = unsafe { handle(partition, what) }?;
    // SAFETY: the fields follow the contract; each conversion checks for NULL and counts.
    unsafe {
        let ranges = slice(
            partition.ranges,
            partition.range_count,
            &format!("{what}.ranges"),
        )?
        .iter()
        .enumerate()
        .map(|(i, r)| range(r, &format!("{what}.ranges[{i}]")))
        .collect::<Result<Vec<_>>>()?;
        Ok(Partition {
            id: text(partition.id, &format!("{what}.id"))?.to_owned(),
            region: Region::new(ranges),
            is_leaf_partition: partition.is_leaf_partition,
            parent_partition_id: optional_text(
                partition.parent_partition_id,
                &format!("{what}.parent_partition_id"),
            )?,
            child_partition_ids: texts(
                partition.child_partition_ids,
                partition.child_partition_id_count,
                &format!("{what}.child_partition_ids"),
            )?,
            dimension: partition.dimension,
        })
    }
}

unsafe fn reference(reference: &spg_file_reference, what: &str) -> Result<FileReference> {
    // SAFETY: the fields follow the contract; each conversion checks for NULL.
    unsafe {
        Ok(FileReference {
            filename: text(reference.filename, &format!("{what}.filename"))?.to_owned(),
            partition_id: text(reference.partition_id, &format!("{what}.partition_id"))?.to_owned(),
            number_of_rows: reference.number_of_rows,
            job_id: optional_text(reference.job_id, &format!("{what}.job_id"))?,
            // Supplied times never reach the store (CONTRACT.md 7).
            last_update_time: None,
            count_approximate: reference.count_approximate,
            only_contains_data_for_this_partition: reference.only_contains_data_for_this_partition,
        })
    }
}

unsafe fn references(
    pointer: *const spg_file_reference,
    count: usize,
    what: &str,
) -> Result<Vec<FileReference>> {
    // SAFETY: passed on from the caller.
    let items = unsafe { slice(pointer, count, what) }?;
    items
        .iter()
        .enumerate()
        // SAFETY: each element follows the contract.
        .map(|(i, r)| unsafe { reference(r, &format!("{what}[{i}]")) })
        .collect()
}

/// Converts each element of a C array with `convert`, naming it `what[i]` in errors.
unsafe fn each<T, U>(
    pointer: *const T,
    count: usize,
    what: &str,
    convert: impl Fn(&T, &str) -> Result<U>,
) -> Result<Vec<U>> {
    // SAFETY: passed on from the caller.
    let items = unsafe { slice(pointer, count, what) }?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| convert(item, &format!("{what}[{i}]")))
        .collect()
}

/// A fixed clock: `None` without a time, else a time the store can keep (invalid input otherwise).
fn optional_update_time(has_time: bool, millis: spg_time_ms) -> Result<Option<Timestamp>> {
    has_time
        .then(|| crate::time::update_time_from_millis(millis))
        .transpose()
}

// ---------------------------------------------------------------------------------------------
// Local cluster
// ---------------------------------------------------------------------------------------------

/// Starts a new, empty PostgreSQL cluster of its own (system PostgreSQL binaries, a temporary
/// directory, a free port) with core's default options and waits until it accepts connections. On
/// success `*out` is a new handle owned by the caller (free with `spg_local_postgres_free`); on
/// failure it is NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_local_postgres_start(out: *mut *mut spg_local_postgres) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        let local = LocalPostgres::start()?;
        Ok(new_handle(spg_local_postgres { local }))
    })
}

/// As `spg_local_postgres_start`, with the given options (borrowed; see
/// `spg_local_postgres_options`).
#[no_mangle]
pub unsafe extern "C" fn spg_local_postgres_start_with(
    options: *const spg_local_postgres_options,
    out: *mut *mut spg_local_postgres,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a pointer to options or NULL (checked), whose fields follow the contract.
        let options = unsafe { local_postgres_options(handle(options, "options")?) }?;
        let local = LocalPostgres::start_with(&options)?;
        Ok(new_handle(spg_local_postgres { local }))
    })
}

/// Core's options with what the caller set.
unsafe fn local_postgres_options(set: &spg_local_postgres_options) -> Result<LocalPostgresOptions> {
    let mut options = LocalPostgresOptions::default();
    if set.has_durable {
        options.durable = set.durable;
    }
    // SAFETY: an array of `setting_count` settings, or NULL with a count of 0, by contract.
    options.settings = unsafe {
        each(
            set.settings,
            set.setting_count,
            "options.settings",
            |setting, what| {
                Ok((
                    text(setting.name, &format!("{what}.name"))?.to_owned(),
                    text(setting.value, &format!("{what}.value"))?.to_owned(),
                ))
            },
        )
    }?;
    Ok(options)
}

/// The cluster's connection URL. `*out` is a new NUL-terminated string owned by the caller (free with
/// `spg_string_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_local_postgres_url(
    local: *const spg_local_postgres,
    out: *mut *mut c_char,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a handle from `spg_local_postgres_start`, or NULL (checked).
        let local = unsafe { handle(local, "local") }?;
        new_string(&local.local.url())
    })
}

/// Stops the cluster and deletes its directory. Accepts NULL. Free every client connected to it first.
#[no_mangle]
pub unsafe extern "C" fn spg_local_postgres_free(local: *mut spg_local_postgres) {
    // SAFETY: a handle from `spg_local_postgres_start`, freed once, or NULL.
    unsafe { free_handle(local) }
}

fn new_string(text: &str) -> Result<*mut c_char> {
    let text =
        std::ffi::CString::new(text).map_err(|_| Error::connection("A string held U+0000"))?;
    Ok(text.into_raw())
}

/// Frees a string the library returned as `char *` (`spg_local_postgres_url`). Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_string_free(text: *mut c_char) {
    let _ = trampoline(|| {
        if !text.is_null() {
            // SAFETY: the string came from `new_string` (CString::into_raw) and is freed once.
            drop(unsafe { std::ffi::CString::from_raw(text) });
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

/// Options with no field set, all zero: connecting with them is connecting with core's defaults.
/// The same as `spg_client_options options = {0};`, for callers that prefer a function.
#[no_mangle]
pub extern "C" fn spg_client_options_default() -> spg_client_options {
    spg_client_options {
        url: ptr::null(),
        schema: ptr::null(),
        max_connections: 0,
        acquire_timeout_ms: 0,
        connect_timeout_ms: 0,
        has_statement_timeout: false,
        statement_timeout_ms: 0,
        has_idle_timeout: false,
        idle_timeout_ms: 0,
        has_migrate: false,
        migrate: false,
        has_statement_cache: false,
        statement_cache: false,
        retry_max_attempts: 0,
        has_retry_initial_backoff: false,
        retry_initial_backoff_ms: 0,
        has_retry_max_backoff: false,
        retry_max_backoff_ms: 0,
    }
}

/// Connects with default options to `url` (NUL-terminated, borrowed), or when `url` is NULL to the
/// `DATABASE_URL` environment variable, or without it to a new local cluster owned by the client.
/// Applies the bundled migrations. `*out` is a new client owned by the caller (free with
/// `spg_client_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_connect(url: *const c_char, out: *mut *mut spg_client) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a C string or NULL by contract.
        let url = unsafe { optional_text(url, "url") }?;
        let client = block_on(Client::connect(url.as_deref()))?;
        Ok(new_handle(spg_client { client }))
    })
}

/// Connects with the given options (borrowed; see `spg_client_options`: fields left zero take core's
/// defaults). `*out` as for `spg_connect`.
#[no_mangle]
pub unsafe extern "C" fn spg_connect_with(
    options: *const spg_client_options,
    out: *mut *mut spg_client,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a pointer to options or NULL (checked), whose fields follow the contract.
        let options = unsafe { client_options(handle(options, "options")?) }?;
        let client = block_on(Client::connect_with(options))?;
        Ok(new_handle(spg_client { client }))
    })
}

/// Core's options with what the caller set: core owns every default and every check.
unsafe fn client_options(set: &spg_client_options) -> Result<ClientOptions> {
    fn millis(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }
    /// An optional time: 0 for none.
    fn optional_millis(ms: u64) -> Option<Duration> {
        (ms != 0).then(|| millis(ms))
    }
    let mut options = ClientOptions::default();
    // SAFETY: C strings or NULL by contract.
    if let Some(url) = unsafe { optional_text(set.url, "options.url") }? {
        options.url = Some(url);
    }
    // SAFETY: as above.
    if let Some(schema) = unsafe { optional_text(set.schema, "options.schema") }? {
        options.schema = schema;
    }
    if set.max_connections != 0 {
        options.max_connections = set.max_connections;
    }
    if set.acquire_timeout_ms != 0 {
        options.acquire_timeout = millis(set.acquire_timeout_ms);
    }
    if set.connect_timeout_ms != 0 {
        options.connect_timeout = millis(set.connect_timeout_ms);
    }
    if set.has_statement_timeout {
        options.statement_timeout = optional_millis(set.statement_timeout_ms);
    }
    if set.has_idle_timeout {
        options.idle_timeout = optional_millis(set.idle_timeout_ms);
    }
    if set.has_migrate {
        options.migrate = set.migrate;
    }
    if set.has_statement_cache {
        options.statement_cache = set.statement_cache;
    }
    if set.retry_max_attempts != 0 {
        options.retry.max_attempts = set.retry_max_attempts;
    }
    if set.has_retry_initial_backoff {
        options.retry.initial_backoff = millis(set.retry_initial_backoff_ms);
    }
    if set.has_retry_max_backoff {
        options.retry.max_backoff = millis(set.retry_max_backoff_ms);
    }
    Ok(options)
}

/// Closes every connection of the client's pool (shared with the stores opened through it): later
/// calls through it or its stores fail with `SPG_STATE_STORE_CONNECTION`. The handle must still be
/// freed with `spg_client_free`.
#[no_mangle]
pub unsafe extern "C" fn spg_client_close(client: *const spg_client) -> spg_status {
    trampoline(|| {
        // SAFETY: a live handle or NULL (checked) by contract.
        let client = unsafe { handle(client, "client") }?;
        block_on(async {
            client.client.close().await;
            Ok(())
        })
    })
}

/// Frees the client handle. Accepts NULL. Stores opened through it stay usable (they share the pool);
/// the pool, and a local cluster the client started, go when the last of them is freed.
#[no_mangle]
pub unsafe extern "C" fn spg_client_free(client: *mut spg_client) {
    // SAFETY: a handle from `spg_connect`, freed once, or NULL.
    unsafe { free_handle(client) }
}

/// Creates a table with the given row key fields (`row_key_count` >= 1, names unique and non-empty;
/// borrowed) and no partitions or files. `*out` is a new store handle owned by the caller (free with
/// `spg_store_free`); NULL on failure. `SPG_TABLE_ALREADY_EXISTS` if the id is taken.
#[no_mangle]
pub unsafe extern "C" fn spg_create_table(
    client: *const spg_client,
    table_id: *const c_char,
    row_keys: *const spg_row_key_field,
    row_key_count: usize,
    out: *mut *mut spg_store,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (client, table_id, row_keys) = unsafe {
            (
                handle(client, "client")?,
                text(table_id, "table_id")?,
                self::row_keys(row_keys, row_key_count)?,
            )
        };
        let store = block_on(client.client.create_table(table_id, &row_keys))?;
        Ok(new_handle(spg_store { store }))
    })
}

/// Opens an existing table. `*out` is a new store handle owned by the caller, with clocks of its own
/// (free with `spg_store_free`); NULL on failure. `SPG_TABLE_NOT_FOUND` if there is no such table.
#[no_mangle]
pub unsafe extern "C" fn spg_table(
    client: *const spg_client,
    table_id: *const c_char,
    out: *mut *mut spg_store,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (client, table_id) =
            unsafe { (handle(client, "client")?, text(table_id, "table_id")?) };
        let store = block_on(client.client.table(table_id))?;
        Ok(new_handle(spg_store { store }))
    })
}

/// The ids of all tables, in code point order. `*out` is a new list owned by the caller (free with
/// `spg_string_list_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_list_tables(
    client: *const spg_client,
    out: *mut *mut spg_string_list,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let client = unsafe { handle(client, "client") }?;
        let tables = block_on(client.client.list_tables())?;
        string_list(&tables)
    })
}

/// Removes a table with its partitions and files. `SPG_TABLE_NOT_FOUND` if there is no such table.
#[no_mangle]
pub unsafe extern "C" fn spg_delete_table(
    client: *const spg_client,
    table_id: *const c_char,
) -> spg_status {
    trampoline(|| {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (client, table_id) =
            unsafe { (handle(client, "client")?, text(table_id, "table_id")?) };
        block_on(client.client.delete_table(table_id))
    })
}

/// Frees a store handle. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_store_free(store: *mut spg_store) {
    // SAFETY: a handle from `spg_create_table`/`spg_table`, freed once, or NULL.
    unsafe { free_handle(store) }
}

fn string_list(items: &[String]) -> Result<*mut spg_string_list> {
    owned(|arena| {
        let (items, count) = arena.texts(items)?;
        Ok(spg_string_list { items, count })
    })
}

// ---------------------------------------------------------------------------------------------
// Helpers that need no database
// ---------------------------------------------------------------------------------------------

/// Sleeper's initial partition tree from sorted split points on row key field 0 (`CONTRACT.md` 2.7):
/// no split points give the single root partition `"root"`. Arguments are borrowed; `*out` is a new
/// list owned by the caller (free with `spg_partition_list_free`); NULL on failure. Invalid split
/// points are `SPG_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn spg_partitions_from_split_points(
    row_keys: *const spg_row_key_field,
    row_key_count: usize,
    split_points: *const spg_key_value,
    split_point_count: usize,
    out: *mut *mut spg_partition_list,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (row_keys, split_points) = unsafe {
            (
                self::row_keys(row_keys, row_key_count)?,
                each(
                    split_points,
                    split_point_count,
                    "split_points",
                    |v, what| key_value(v, what),
                )?,
            )
        };
        let partitions = crate::partitions_from_split_points(&row_keys, &split_points)?;
        owned(|arena| arena.partitions(&partitions))
    })
}

/// A request pushing `file` (borrowed) down to the two children of its partition, half its rows each,
/// marked approximate and not only this partition's data. `*out` is a new request owned by the
/// caller, to pass to `spg_split_file_references` and then free with
/// `spg_split_file_reference_request_free`; NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_split_file_to_child_partitions(
    file: *const spg_file_reference,
    left_partition_id: *const c_char,
    right_partition_id: *const c_char,
    out: *mut *mut spg_split_file_reference_request,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (file, left, right) = unsafe {
            (
                reference(handle(file, "file")?, "file")?,
                text(left_partition_id, "left_partition_id")?,
                text(right_partition_id, "right_partition_id")?,
            )
        };
        let request = SplitFileReferenceRequest::split_file_to_child_partitions(&file, left, right);
        request.validate()?;
        owned(|arena| {
            let (new_references, new_reference_count) =
                arena.references(&request.new_references)?;
            Ok(spg_split_file_reference_request {
                old_reference: arena.reference(&request.old_reference)?,
                new_references,
                new_reference_count,
            })
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Partitions
// ---------------------------------------------------------------------------------------------

/// Runs `call` on the store behind a handle.
unsafe fn on_store(
    store: *const spg_store,
    call: impl FnOnce(&StateStore) -> Result<()>,
) -> spg_status {
    trampoline(|| {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        call(&store.store)
    })
}

/// Replaces all partitions with the single root partition covering every key (`CONTRACT.md` 2.6).
/// `SPG_INITIALISE_WITH_FILES_PRESENT` if the table has any file.
#[no_mangle]
pub unsafe extern "C" fn spg_initialise(store: *const spg_store) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { on_store(store, |store| block_on(store.initialise())) }
}

/// Replaces all partitions with `partitions` (borrowed, `count` >= 1) once they form a valid tree
/// (`SPG_STATE_STORE` otherwise). `SPG_INITIALISE_WITH_FILES_PRESENT` if the table has any file.
#[no_mangle]
pub unsafe extern "C" fn spg_initialise_with_partitions(
    store: *const spg_store,
    partitions: *const spg_partition,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let partitions = each(partitions, count, "partitions", |p, what| {
                partition(p, what)
            })?;
            block_on(store.initialise_with_partitions(&partitions))
        })
    }
}

/// Splits a leaf: stores `split_partition` (the leaf, now with two children) and adds the two new
/// partitions, in one transaction, after the checks of `CONTRACT.md` 3.3. All three are borrowed.
#[no_mangle]
pub unsafe extern "C" fn spg_atomically_update_partition_and_create_new_ones(
    store: *const spg_store,
    split_partition: *const spg_partition,
    new_partition_1: *const spg_partition,
    new_partition_2: *const spg_partition,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let split = partition(split_partition, "split_partition")?;
            let new_1 = partition(new_partition_1, "new_partition_1")?;
            let new_2 = partition(new_partition_2, "new_partition_2")?;
            block_on(store.atomically_update_partition_and_create_new_ones(&split, &new_1, &new_2))
        })
    }
}

/// Sleeper's `SplitPartitionTransaction`: stores `parent` (a leaf, now split) and adds
/// `new_children`, which must be two, in one transaction (`docs/sleeper-transactions.md`). All
/// borrowed. A list of another length is `SPG_STATE_STORE` "Failed to validate partition split:
/// ...", whose cause (`spg_last_error_cause()`) is `SPG_INVALID_ARGUMENT` with the reason.
#[no_mangle]
pub unsafe extern "C" fn spg_split_partition(
    store: *const spg_store,
    parent: *const spg_partition,
    new_children: *const spg_partition,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let parent = partition(parent, "parent")?;
            let new_children = each(new_children, count, "new_children", |p, what| {
                partition(p, what)
            })?;
            block_on(store.split_partition(&parent, &new_children))
        })
    }
}

/// Sleeper's `ExtendPartitionTreeTransaction`: stores the leaves in `update` (now split) and adds
/// `added`, any number of levels at once, in one transaction, once the whole resulting tree is valid
/// (`docs/sleeper-transactions.md`). All borrowed; both empty is an empty call. A resulting tree that
/// is not valid is `SPG_STATE_STORE` "Update results in invalid partition tree", whose cause
/// (`spg_last_error_cause()`) is `SPG_INVALID_ARGUMENT` with the reason.
#[no_mangle]
pub unsafe extern "C" fn spg_extend_partition_tree(
    store: *const spg_store,
    update: *const spg_partition,
    update_count: usize,
    added: *const spg_partition,
    added_count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let update = each(update, update_count, "update", |p, what| partition(p, what))?;
            let added = each(added, added_count, "added", |p, what| partition(p, what))?;
            block_on(store.extend_partition_tree(&update, &added))
        })
    }
}

unsafe fn partition_query<F>(
    store: *const spg_store,
    out: *mut *mut spg_partition_list,
    query: F,
) -> spg_status
where
    F: AsyncFnOnce(&StateStore) -> Result<Vec<Partition>>,
{
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        let partitions = block_on(query(&store.store))?;
        owned(|arena| arena.partitions(&partitions))
    })
}

/// All partitions, sorted by id. `*out` is a new list owned by the caller (free with
/// `spg_partition_list_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_get_all_partitions(
    store: *const spg_store,
    out: *mut *mut spg_partition_list,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { partition_query(store, out, async |store| store.get_all_partitions().await) }
}

/// The leaf partitions, sorted by id. `*out` as for `spg_get_all_partitions`.
#[no_mangle]
pub unsafe extern "C" fn spg_get_leaf_partitions(
    store: *const spg_store,
    out: *mut *mut spg_partition_list,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { partition_query(store, out, async |store| store.get_leaf_partitions().await) }
}

/// The partition with id `partition_id` (borrowed). `*out` is a new partition owned by the caller
/// (free with `spg_partition_free`); NULL on failure. `SPG_PARTITION_NOT_FOUND` if there is none.
#[no_mangle]
pub unsafe extern "C" fn spg_get_partition(
    store: *const spg_store,
    partition_id: *const c_char,
    out: *mut *mut spg_partition,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (store, partition_id) =
            unsafe { (handle(store, "store")?, text(partition_id, "partition_id")?) };
        let partition = block_on(store.store.get_partition(partition_id))?;
        owned(|arena| arena.partition(&partition))
    })
}

/// Removes every partition of the table; files stay. The table needs initialising again.
#[no_mangle]
pub unsafe extern "C" fn spg_clear_partition_data(store: *const spg_store) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { on_store(store, |store| block_on(store.clear_partition_data())) }
}

/// From now on partition writes through this handle use `time_ms` (milliseconds since the epoch, UTC)
/// as "now"; `has_time` false returns to the database clock. Partitions carry no time yet. A time the
/// store cannot keep is `SPG_INVALID_ARGUMENT`, as for `spg_fix_file_update_time`.
#[no_mangle]
pub unsafe extern "C" fn spg_fix_partition_update_time(
    store: *const spg_store,
    has_time: bool,
    time_ms: spg_time_ms,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe {
        on_store(store, |store| {
            store.fix_partition_update_time(optional_update_time(has_time, time_ms)?)?;
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/// Adds one new file with one reference (borrowed): exactly `spg_add_files` with one reference.
#[no_mangle]
pub unsafe extern "C" fn spg_add_file(
    store: *const spg_store,
    reference: *const spg_file_reference,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let reference = self::reference(handle(reference, "reference")?, "reference")?;
            block_on(store.add_file(&reference))
        })
    }
}

/// Adds new files given as references (borrowed), grouped by filename: all references of a file must
/// be in the same call. `SPG_FILE_ALREADY_EXISTS`, `SPG_FILE_REFERENCE_ALREADY_EXISTS`.
#[no_mangle]
pub unsafe extern "C" fn spg_add_files(
    store: *const spg_store,
    references: *const spg_file_reference,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let references = self::references(references, count, "references")?;
            block_on(store.add_files(&references))
        })
    }
}

/// Adds new files (borrowed), each with zero or more references.
#[no_mangle]
pub unsafe extern "C" fn spg_add_files_with_references(
    store: *const spg_store,
    files: *const spg_all_references_to_a_file,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let files = each(files, count, "files", |file, what| {
                Ok(AllReferencesToAFile::new(
                    text(file.filename, &format!("{what}.filename"))?,
                    references(
                        file.references,
                        file.reference_count,
                        &format!("{what}.references"),
                    )?,
                ))
            })?;
            block_on(store.add_files_with_references(&files))
        })
    }
}

/// Splits file references (requests borrowed). On failure `SPG_SPLIT_REQUESTS_FAILED`, with the
/// specific error from `spg_last_error_cause()`; nothing is applied.
#[no_mangle]
pub unsafe extern "C" fn spg_split_file_references(
    store: *const spg_store,
    requests: *const spg_split_file_reference_request,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let requests = each(requests, count, "requests", |request, what| {
                Ok(SplitFileReferenceRequest::new(
                    reference(&request.old_reference, &format!("{what}.old_reference"))?,
                    references(
                        request.new_references,
                        request.new_reference_count,
                        &format!("{what}.new_references"),
                    )?,
                ))
            })?;
            block_on(store.split_file_references(&requests))
        })
    }
}

/// Assigns compaction jobs to file references (requests borrowed). `SPG_FILE_REFERENCE_NOT_FOUND`,
/// `SPG_FILE_REFERENCE_ASSIGNED_TO_JOB`; nothing is applied on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_assign_job_ids(
    store: *const spg_store,
    requests: *const spg_assign_job_id_request,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let requests = each(requests, count, "requests", |request, what| {
                Ok(AssignJobIdRequest::new(
                    text(request.job_id, &format!("{what}.job_id"))?,
                    text(request.partition_id, &format!("{what}.partition_id"))?,
                    texts(
                        request.filenames,
                        request.filename_count,
                        &format!("{what}.filenames"),
                    )?,
                ))
            })?;
            block_on(store.assign_job_ids(&requests))
        })
    }
}

/// Commits compaction jobs (requests borrowed). On failure `SPG_REPLACE_REQUESTS_FAILED`, with the
/// specific error from `spg_last_error_cause()`; nothing is applied.
#[no_mangle]
pub unsafe extern "C" fn spg_atomically_replace_file_references_with_new_ones(
    store: *const spg_store,
    requests: *const spg_replace_file_references_request,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let requests = each(requests, count, "requests", |request, what| {
                Ok(ReplaceFileReferencesRequest::new(
                    text(request.job_id, &format!("{what}.job_id"))?,
                    text(request.partition_id, &format!("{what}.partition_id"))?,
                    texts(
                        request.input_files,
                        request.input_file_count,
                        &format!("{what}.input_files"),
                    )?,
                    reference(&request.new_reference, &format!("{what}.new_reference"))?,
                ))
            })?;
            block_on(store.atomically_replace_file_references_with_new_ones(&requests))
        })
    }
}

/// Removes the records of garbage-collected files (`filenames` borrowed). `SPG_FILE_NOT_FOUND`,
/// `SPG_FILE_HAS_REFERENCES`; nothing is deleted on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_delete_garbage_collected_file_reference_counts(
    store: *const spg_store,
    filenames: *const *const c_char,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let filenames = texts(filenames, count, "filenames")?;
            block_on(store.delete_garbage_collected_file_reference_counts(&filenames))
        })
    }
}

unsafe fn reference_query<F>(
    store: *const spg_store,
    out: *mut *mut spg_file_reference_list,
    query: F,
) -> spg_status
where
    F: AsyncFnOnce(&StateStore) -> Result<Vec<FileReference>>,
{
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        let references = block_on(query(&store.store))?;
        owned(|arena| {
            let (references, count) = arena.references(&references)?;
            Ok(spg_file_reference_list { references, count })
        })
    })
}

/// Every reference of every file, by filename then partition id. `*out` is a new list owned by the
/// caller (free with `spg_file_reference_list_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_get_file_references(
    store: *const spg_store,
    out: *mut *mut spg_file_reference_list,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { reference_query(store, out, async |store| store.get_file_references().await) }
}

/// The references with no job. `*out` as for `spg_get_file_references`.
#[no_mangle]
pub unsafe extern "C" fn spg_get_file_references_with_no_job_id(
    store: *const spg_store,
    out: *mut *mut spg_file_reference_list,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe {
        reference_query(store, out, async |store| {
            store.get_file_references_with_no_job_id().await
        })
    }
}

/// The filenames of unreferenced files last updated strictly before `max_update_time_ms`
/// (milliseconds since the epoch, UTC), sorted. Any `int64_t` is a valid cutoff: one beyond what the
/// store can keep (`INT64_MAX`, `INT64_MIN`) compares as the nearest time it can keep. `*out` is a new
/// list owned by the caller (free with `spg_string_list_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_get_ready_for_gc_filenames_before(
    store: *const spg_store,
    max_update_time_ms: spg_time_ms,
    out: *mut *mut spg_string_list,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        let cutoff = crate::time::cutoff_from_millis(max_update_time_ms);
        string_list(&block_on(
            store.store.get_ready_for_gc_filenames_before(cutoff),
        )?)
    })
}

/// Each partition with references, to the filenames referenced on it. `*out` is a new map owned by
/// the caller (free with `spg_partition_files_map_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_get_partition_to_referenced_files_map(
    store: *const spg_store,
    out: *mut *mut spg_partition_files_map,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        let map: BTreeMap<String, Vec<String>> =
            block_on(store.store.get_partition_to_referenced_files_map())?;
        owned(|arena| {
            let entries = map
                .iter()
                .map(|(partition_id, filenames)| {
                    let (filenames, filename_count) = arena.texts(filenames)?;
                    Ok(spg_partition_files {
                        partition_id: arena.text(partition_id)?,
                        filenames,
                        filename_count,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(spg_partition_files_map {
                count: entries.len(),
                entries: arena.array(entries),
            })
        })
    })
}

/// Every referenced file with its references and time, plus the first `max_unreferenced_files`
/// (0 to 2^31 - 1) unreferenced files by filename. `*out` is a new report owned by the caller (free
/// with `spg_all_references_to_all_files_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_get_all_files_with_max_unreferenced(
    store: *const spg_store,
    max_unreferenced_files: u64,
    out: *mut *mut spg_all_references_to_all_files,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        let report: AllReferencesToAllFiles = block_on(
            store
                .store
                .get_all_files_with_max_unreferenced(max_unreferenced_files),
        )?;
        owned(|arena| {
            let files = report
                .files
                .iter()
                .map(|f| arena.file(f))
                .collect::<Result<Vec<_>>>()?;
            Ok(spg_all_references_to_all_files {
                file_count: files.len(),
                files: arena.array(files),
                more_than_max: report.more_than_max,
            })
        })
    })
}

/// Sets `*out` to whether every named file's reference on `partition_id` has `job_id` (true for no
/// filenames); all arguments borrowed. `SPG_FILE_REFERENCE_NOT_FOUND` for a missing reference,
/// `SPG_FILE_REFERENCE_ASSIGNED_TO_JOB` for one with another job. `*out` is false on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_is_partition_files_assigned_to_job(
    store: *const spg_store,
    partition_id: *const c_char,
    filenames: *const *const c_char,
    filename_count: usize,
    job_id: *const c_char,
    out: *mut bool,
) -> spg_status {
    with_out(out, false, || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (store, partition_id, filenames, job_id) = unsafe {
            (
                handle(store, "store")?,
                text(partition_id, "partition_id")?,
                texts(filenames, filename_count, "filenames")?,
                text(job_id, "job_id")?,
            )
        };
        block_on(
            store
                .store
                .is_partition_files_assigned_to_job(partition_id, &filenames, job_id),
        )
    })
}

/// Sleeper's `isAssigned`: sets `*out` to whether every named reference of every request (all
/// borrowed) has its request's job (true for no requests). Walking the requests and their filenames in
/// order, a missing reference is `SPG_FILE_REFERENCE_NOT_FOUND` and one with another job
/// `SPG_FILE_REFERENCE_ASSIGNED_TO_JOB`; one with no job makes the answer false. `*out` is false on
/// failure.
#[no_mangle]
pub unsafe extern "C" fn spg_is_assigned(
    store: *const spg_store,
    requests: *const spg_check_file_assignments_request,
    count: usize,
    out: *mut bool,
) -> spg_status {
    with_out(out, false, || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (store, requests) = unsafe {
            (
                handle(store, "store")?,
                each(requests, count, "requests", |request, what| {
                    Ok(CheckFileAssignmentsRequest::new(
                        text(request.job_id, &format!("{what}.job_id"))?,
                        texts(
                            request.filenames,
                            request.filename_count,
                            &format!("{what}.filenames"),
                        )?,
                        text(request.partition_id, &format!("{what}.partition_id"))?,
                    ))
                })?,
            )
        };
        block_on(store.store.is_assigned(&requests))
    })
}

/// Sets `*out` to whether the table has no file record at all (unreferenced files count as files).
/// `*out` is false on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_has_no_files(store: *const spg_store, out: *mut bool) -> spg_status {
    with_out(out, false, || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        block_on(store.store.has_no_files())
    })
}

/// Removes every file record and reference of the table; partitions stay.
#[no_mangle]
pub unsafe extern "C" fn spg_clear_file_data(store: *const spg_store) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { on_store(store, |store| block_on(store.clear_file_data())) }
}

/// Removes every file and partition of the table; it needs initialising again.
#[no_mangle]
pub unsafe extern "C" fn spg_clear_sleeper_table(store: *const spg_store) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { on_store(store, |store| block_on(store.clear_sleeper_table())) }
}

/// From now on file writes through this handle (not other handles on the table) use `time_ms`
/// (milliseconds since the epoch, UTC) as "now"; `has_time` false returns to the database clock. A
/// time the store cannot keep (outside the years 1 to 9999, UTC) is `SPG_INVALID_ARGUMENT`,
/// and the clock stays as it was.
#[no_mangle]
pub unsafe extern "C" fn spg_fix_file_update_time(
    store: *const spg_store,
    has_time: bool,
    time_ms: spg_time_ms,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe {
        on_store(store, |store| {
            store.fix_file_update_time(optional_update_time(has_time, time_ms)?)?;
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Transactions (docs/sleeper-transactions.md)
// ---------------------------------------------------------------------------------------------

/// Applies one Sleeper v0.36 transaction in one database transaction. `transaction_type` is Sleeper's
/// name for it (`"ADD_FILES"`, `"REPLACE_FILE_REFERENCES"`, ...; NUL-terminated, borrowed) and `json`
/// its body as Sleeper's `TransactionSerDe` writes it: `json_len` bytes of UTF-8, borrowed, need not
/// be NUL-terminated. `synchronous` true applies it as Sleeper's `synchronousCommit` (any invalid part
/// fails it whole), false as Sleeper's state store committer (a compaction job or an ingest that is no
/// longer valid is skipped and listed in the outcome). An unknown type or malformed JSON is
/// `SPG_INVALID_ARGUMENT`. `*out` is a new outcome owned by the caller (free with
/// `spg_transaction_outcome_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_apply_transaction(
    store: *const spg_store,
    transaction_type: *const c_char,
    json: *const c_char,
    json_len: usize,
    synchronous: bool,
    out: *mut *mut spg_transaction_outcome,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (store, transaction_type, json) = unsafe {
            (
                handle(store, "store")?,
                text(transaction_type, "transaction_type")?,
                slice(json.cast::<u8>(), json_len, "json")?,
            )
        };
        let transaction =
            Transaction::from_json(transaction_type.parse()?, json, store.store.row_keys())?;
        let mode = if synchronous {
            CommitMode::Synchronous
        } else {
            CommitMode::Asynchronous
        };
        let outcome = block_on(store.store.apply_transaction(&transaction, mode))?;
        owned(|arena| {
            let failures: Vec<_> = outcome
                .failures
                .iter()
                .map(|failure| arena.transaction_failure(failure))
                .collect();
            Ok(spg_transaction_outcome {
                failure_count: failures.len(),
                failures: arena.array(failures),
            })
        })
    })
}

/// The progress function and its context, handed to the core's log replay.
struct Progress {
    report: spg_log_progress_fn,
    context: *mut c_void,
}

// SAFETY: the core asks for a `Send` closure, but runs it only inside `block_on`, which drives the
// replay's future on the calling thread: the context pointer never leaves the thread that passed it,
// and is used only during the call, as the caller allows.
unsafe impl Send for Progress {}

impl Progress {
    fn report(&self, at: LogProgress) {
        if let Some(report) = self.report {
            // SAFETY: the caller passes a function that may be called with its context during the call.
            unsafe { report(at.entries, at.bytes, self.context) }
        }
    }
}

/// Replays a table's transaction log from the file at `path` (NUL-terminated UTF-8, borrowed): one
/// JSON line per entry, `{"transactionNumber": 7, "updateTime": <ms>, "transactionType": "ADD_FILES",
/// "transaction": {...}}`, blank lines skipped. Entries apply in order, each in a database transaction
/// of its own and as Sleeper's committer applies them, with the entry's `updateTime` as the clock of
/// what it writes. `progress` (may be NULL) is called after each entry with `context` (borrowed,
/// passed on untouched). It stops at the first entry that fails and returns its status (a malformed
/// entry or a file that cannot be read is `SPG_INVALID_ARGUMENT`): the entries before it stay applied,
/// and `progress` was told how many. `*out` is a new result owned by the caller (free with
/// `spg_log_replay_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_apply_transaction_log(
    store: *const spg_store,
    path: *const c_char,
    progress: spg_log_progress_fn,
    context: *mut c_void,
    out: *mut *mut spg_log_replay,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (store, path) = unsafe { (handle(store, "store")?, text(path, "path")?) };
        let log = std::fs::File::open(path)
            .map_err(|e| invalid(format!("Could not open the transaction log {path}: {e}")))?;
        let progress = Progress {
            report: progress,
            context,
        };
        let replay = block_on(
            store
                .store
                .apply_transaction_log(BufReader::new(log), move |at| progress.report(at)),
        )?;
        owned(|arena| {
            let failures: Vec<_> = replay
                .failures
                .iter()
                .map(|(entry, failure)| {
                    let failure = arena.transaction_failure(failure);
                    spg_log_failure {
                        entry: *entry,
                        index: failure.index,
                        status: failure.status,
                        message: failure.message,
                    }
                })
                .collect();
            Ok(spg_log_replay {
                entries: replay.entries,
                failure_count: failures.len(),
                failures: arena.array(failures),
            })
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Freeing results
// ---------------------------------------------------------------------------------------------

/// Frees a list of strings and the strings in it. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_string_list_free(list: *mut spg_string_list) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(list) }
}

/// Frees a list of partitions and everything they point to. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_partition_list_free(list: *mut spg_partition_list) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(list) }
}

/// Frees a partition returned by `spg_get_partition` and everything it points to. Accepts NULL.
/// (Never pass a partition that is an element of a list.)
#[no_mangle]
pub unsafe extern "C" fn spg_partition_free(partition: *mut spg_partition) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(partition) }
}

/// Frees a list of file references and everything they point to. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_file_reference_list_free(list: *mut spg_file_reference_list) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(list) }
}

/// Frees a partition-to-files map and everything it points to. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_partition_files_map_free(map: *mut spg_partition_files_map) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(map) }
}

/// Frees a report and everything it points to. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_all_references_to_all_files_free(
    report: *mut spg_all_references_to_all_files,
) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(report) }
}

/// Frees an outcome of `spg_apply_transaction` and the failures and messages in it. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_transaction_outcome_free(outcome: *mut spg_transaction_outcome) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(outcome) }
}

/// Frees a result of `spg_apply_transaction_log` and the failures and messages in it. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_log_replay_free(replay: *mut spg_log_replay) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(replay) }
}

/// Frees a request made by `spg_split_file_to_child_partitions`. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_split_file_reference_request_free(
    request: *mut spg_split_file_reference_request,
) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(request) }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use crate::RetryPolicy;

    use super::*;

    fn c_text(text: *const c_char) -> String {
        // SAFETY: the library's strings are NUL-terminated and valid until the next failing call.
        unsafe { CStr::from_ptr(text) }.to_str().unwrap().to_owned()
    }

    fn last_message() -> String {
        c_text(spg_last_error_message())
    }

    /// The constant a kind's status is written as in the header: its exception's name without
    /// "Exception", in capitals with underscores between words, after `SPG_`
    /// (`FileAlreadyExistsException` is `SPG_FILE_ALREADY_EXISTS`).
    fn constant_name(kind: ErrorKind) -> String {
        let name = kind.exception_name();
        let mut constant = String::from("SPG");
        for c in name.strip_suffix("Exception").unwrap_or(name).chars() {
            if c.is_ascii_uppercase() {
                constant.push('_');
            }
            constant.push(c.to_ascii_uppercase());
        }
        constant
    }

    /// Every `spg_status` constant this file declares, by name, with its value as written.
    fn status_constants() -> BTreeMap<String, spg_status> {
        include_str!("capi.rs")
            .lines()
            .filter_map(|line| {
                let (name, value) = line
                    .strip_prefix("pub const ")?
                    .strip_suffix(';')?
                    .split_once(": spg_status = ")?;
                Some((name.to_owned(), value.parse().unwrap()))
            })
            .collect()
    }

    #[test]
    fn every_status_constant_is_the_status_of_the_kind_it_is_named_after() {
        let constants = status_constants();
        assert_eq!(constants.get("SPG_OK"), Some(&SPG_OK));
        assert_eq!(SPG_OK, 0);
        for kind in ErrorKind::ALL {
            let name = constant_name(kind);
            assert_eq!(
                constants.get(&name),
                Some(&status_of_kind(kind)),
                "{kind:?} has no constant {name} = {}",
                status_of_kind(kind)
            );
            assert_eq!(kind_of_status(status_of_kind(kind)), Some(kind));
            assert_eq!(
                c_text(spg_status_name(status_of_kind(kind))),
                kind.exception_name()
            );
        }
        assert_eq!(
            constants.len(),
            ErrorKind::ALL.len() + 1,
            "a constant names no kind: {constants:?}"
        );
        // The constants the code uses by name are the ones checked above.
        assert_eq!(constants["SPG_INVALID_ARGUMENT"], SPG_INVALID_ARGUMENT);
        assert_eq!(constants["SPG_STATE_STORE"], SPG_STATE_STORE);
        assert_eq!(
            constants["SPG_FILE_REFERENCE_NOT_FOUND"],
            SPG_FILE_REFERENCE_NOT_FOUND
        );
        assert_eq!(
            constants["SPG_SPLIT_REQUESTS_FAILED"],
            SPG_SPLIT_REQUESTS_FAILED
        );
    }

    #[test]
    fn other_numbers_are_named_ok_and_unknown() {
        assert_eq!(c_text(spg_status_name(SPG_OK)), "OK");
        let past_the_last = status_of_kind(ErrorKind::ALL[ErrorKind::ALL.len() - 1]) + 1;
        for status in [-1, past_the_last, 1000, spg_status::MIN, spg_status::MAX] {
            assert_eq!(c_text(spg_status_name(status)), "Unknown", "{status}");
            assert_eq!(kind_of_status(status), None);
        }
    }

    /// Every error core makes, as core's own sample of them, comes out of the trampoline as its kind's
    /// status with its message, its cause's status and message, and its SQLSTATE.
    #[test]
    fn every_sample_error_is_recorded_as_core_describes_it() {
        let samples = crate::testing::error_samples();
        let kinds: HashSet<ErrorKind> = samples.iter().map(Error::kind).collect();
        assert_eq!(kinds.len(), ErrorKind::ALL.len(), "a kind has no sample");
        for error in samples {
            let status = trampoline(|| Err(error.clone()));
            assert_eq!(status, status_of_kind(error.kind()), "{error:?}");
            assert_ne!(status, SPG_OK);
            assert_eq!(c_text(spg_status_name(status)), error.exception_name());
            assert_eq!(last_message(), error.to_string());
            assert_eq!(
                spg_last_error_cause(),
                error.cause().map_or(SPG_OK, status_of),
                "{error:?}"
            );
            assert_eq!(
                c_text(spg_last_error_cause_message()),
                error.cause().map(ToString::to_string).unwrap_or_default()
            );
            assert_eq!(
                c_text(spg_last_error_sqlstate()),
                error.sqlstate().unwrap_or_default()
            );
        }
    }

    #[test]
    fn a_panic_becomes_a_state_store_error_with_a_message() {
        let status = trampoline(|| panic!("boom"));
        assert_eq!(status, SPG_STATE_STORE);
        assert!(last_message().contains("boom"), "{}", last_message());
        assert_eq!(spg_last_error_cause(), SPG_OK);
        assert_eq!(c_text(spg_last_error_sqlstate()), "");
    }

    #[test]
    fn success_leaves_the_last_error_and_a_new_failure_replaces_all_of_it() {
        let with_cause = crate::testing::error_samples()
            .into_iter()
            .find(|e| e.kind() == ErrorKind::SplitRequestsFailed)
            .unwrap();
        trampoline(|| Err(with_cause.clone()));
        assert_eq!(trampoline(|| Ok(())), SPG_OK);
        assert_eq!(last_message(), with_cause.to_string());
        assert_eq!(spg_last_error_cause(), SPG_FILE_REFERENCE_NOT_FOUND);
        let with_sqlstate = Error::Connection {
            message: "conflict".into(),
            sqlstate: Some("40001".into()),
            source: None,
        };
        trampoline(|| Err(with_sqlstate));
        assert_eq!(spg_last_error_cause(), SPG_OK);
        assert_eq!(c_text(spg_last_error_cause_message()), "");
        assert_eq!(c_text(spg_last_error_sqlstate()), "40001");
        trampoline(|| Err(Error::invalid("bad")));
        assert_eq!(last_message(), "bad");
        assert_eq!(c_text(spg_last_error_sqlstate()), "");
    }

    /// The documented current defaults of the options are core's.
    #[test]
    fn the_options_document_cores_defaults() {
        let source = include_str!("capi.rs");
        let start = source.find("pub struct spg_client_options {").unwrap();
        let end = start + source[start..].find("\n}\n").unwrap();
        let body = &source[start..end];
        // Each field's documentation: the comment lines before it.
        let mut docs = BTreeMap::new();
        let mut doc = String::new();
        for line in body.lines().skip(1).map(str::trim) {
            if let Some(text) = line.strip_prefix("///") {
                doc.push_str(text);
            } else if let Some(field) = line.strip_prefix("pub ") {
                let name = field.split(':').next().unwrap().to_owned();
                docs.insert(name, std::mem::take(&mut doc));
            }
        }
        let ms = |d: Duration| d.as_millis().to_string();
        let defaults = ClientOptions::default();
        let documented = [
            ("schema", format!("`\"{}\"`", defaults.schema)),
            ("max_connections", defaults.max_connections.to_string()),
            ("acquire_timeout_ms", ms(defaults.acquire_timeout)),
            ("connect_timeout_ms", ms(defaults.connect_timeout)),
            (
                "has_statement_timeout",
                defaults.statement_timeout.map_or("none".into(), ms),
            ),
            (
                "has_idle_timeout",
                defaults.idle_timeout.map_or("none".into(), ms),
            ),
            ("has_migrate", defaults.migrate.to_string()),
            ("has_statement_cache", defaults.statement_cache.to_string()),
            (
                "retry_max_attempts",
                defaults.retry.max_attempts.to_string(),
            ),
            (
                "has_retry_initial_backoff",
                ms(defaults.retry.initial_backoff),
            ),
            ("has_retry_max_backoff", ms(defaults.retry.max_backoff)),
        ];
        for (field, value) in documented {
            let doc = docs[field].split_whitespace().collect::<Vec<_>>().join(" ");
            let expected = format!("core's default (currently {value}");
            // The whole value: "(currently 10)" is not "(currently 100)".
            let documents_it = doc.match_indices(&expected).any(|(at, _)| {
                !doc[at + expected.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
            });
            assert!(documents_it, "{field}: \"{doc}\" lacks \"{expected}\"");
        }
        let local = LocalPostgresOptions::default();
        assert!(source.contains(&format!("core's default (currently {}:", local.durable)));
        assert!(local.settings.is_empty());
    }

    #[test]
    fn options_left_zero_are_cores_defaults() {
        let zero = spg_client_options_default();
        // SAFETY: no pointers set.
        let options = unsafe { client_options(&zero) }.unwrap();
        assert_eq!(
            format!("{options:?}"),
            format!("{:?}", ClientOptions::default())
        );
        let set = spg_client_options {
            url: c"postgresql://u:secret@h/db".as_ptr(),
            schema: c"other".as_ptr(),
            max_connections: 3,
            acquire_timeout_ms: 4,
            connect_timeout_ms: 5,
            has_statement_timeout: true,
            statement_timeout_ms: 6,
            has_idle_timeout: true,
            idle_timeout_ms: 0,
            has_migrate: true,
            migrate: false,
            has_statement_cache: true,
            statement_cache: false,
            retry_max_attempts: 7,
            has_retry_initial_backoff: true,
            retry_initial_backoff_ms: 0,
            has_retry_max_backoff: true,
            retry_max_backoff_ms: 9,
        };
        // SAFETY: the pointers are static C strings.
        let options = unsafe { client_options(&set) }.unwrap();
        let ms = Duration::from_millis;
        let expected = ClientOptions::default().with(|o| {
            o.url = Some("postgresql://u:secret@h/db".into());
            o.schema = "other".into();
            o.max_connections = 3;
            o.acquire_timeout = ms(4);
            o.connect_timeout = ms(5);
            o.statement_timeout = Some(ms(6));
            o.idle_timeout = None;
            o.migrate = false;
            o.statement_cache = false;
            o.retry = RetryPolicy::default().with(|r| {
                r.max_attempts = 7;
                r.initial_backoff = ms(0);
                r.max_backoff = ms(9);
            });
        });
        assert_eq!(options.url, expected.url);
        assert_eq!(format!("{options:?}"), format!("{expected:?}"));
    }

    #[test]
    fn a_result_round_trips_through_the_arena() {
        let partition = Partition {
            parent_partition_id: Some("root".into()),
            child_partition_ids: vec!["a".into(), "b".into()],
            ..Partition::new(
                "p",
                Region::new(vec![Range::new(
                    "k",
                    KeyValue::Bytes(vec![]),
                    Some(KeyValue::String("z".into())),
                )]),
            )
        };
        let pointer = owned(|arena| arena.partition(&partition)).unwrap();
        // SAFETY: just built; converted back and freed once.
        unsafe {
            let back = self::partition(pointer, "p").unwrap();
            assert_eq!(back, partition);
            spg_partition_free(pointer);
        }
    }
}
