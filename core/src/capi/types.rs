//! The `#[repr(C)]` value types shared by inputs and results: key types and values, ranges,
//! partitions, file references, the requests of the file calls, and the lists and reports the
//! library returns. Whether a pointer in one is borrowed or owned depends on the direction, as each
//! type says.

use std::ffi::{c_char, c_void};

use super::errors::spg_status;

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

/// A table's counts in one snapshot (`spg_store_status`). Plain values: nothing to free.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct spg_table_status {
    /// Partitions of the tree, leaves included.
    pub partitions: u64,
    /// Leaf partitions.
    pub leaf_partitions: u64,
    /// File records, referenced or not.
    pub files: u64,
    /// References.
    pub references: u64,
    /// References with no job: waiting for compaction.
    pub references_with_no_job: u64,
    /// Distinct jobs that references are assigned to.
    pub jobs_in_flight: u64,
    /// Files with no reference: ready for garbage collection once old enough.
    pub unreferenced_files: u64,
    /// Whether `oldest_reference_with_no_job_ms` holds a time (false when there is no such reference).
    pub has_oldest_reference_with_no_job: bool,
    /// The earliest last update of a reference with no job.
    pub oldest_reference_with_no_job_ms: spg_time_ms,
    /// Whether `oldest_unreferenced_file_ms` holds a time (false when there is no such file).
    pub has_oldest_unreferenced_file: bool,
    /// The earliest last update of a file with no reference.
    pub oldest_unreferenced_file_ms: spg_time_ms,
}

/// Counts of what a change feed entry's transaction names (`spg_change.summary`). Plain values.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct spg_change_summary {
    /// Files added, or deleted, or the inputs of the jobs committed, or split.
    pub files: u64,
    /// References added, assigned, split into, or written as compaction outputs.
    pub references: u64,
    /// Compaction jobs assigned or committed.
    pub jobs: u64,
    /// Partitions written.
    pub partitions: u64,
}

/// One entry of a table's change feed: a write, as the Sleeper transaction it applied. An element of
/// an `spg_change_list`, which owns its strings. `transaction_type`, `transaction_json` and
/// `transaction_json_len` are what `spg_apply_transaction` takes, so that a feed can be replayed on
/// another table.
#[repr(C)]
pub struct spg_change {
    /// The entry's number in its table's feed: 1, 2, 3... in the order the writes took effect.
    pub sequence: u64,
    /// When the write's transaction started, to the millisecond (the feed keeps microseconds).
    pub recorded_at_ms: spg_time_ms,
    /// Sleeper's name of the transaction type (`"ADD_FILES"`, `"REPLACE_FILE_REFERENCES"`, ...),
    /// NUL-terminated. Owned by the list.
    pub transaction_type: *const c_char,
    /// The transaction as Sleeper's `TransactionSerDe` writes it, NUL-terminated UTF-8; NULL where it
    /// was too large to record whole (more than 10,000 items or 1 MiB): then only `summary` tells of
    /// it. Owned by the list.
    pub transaction_json: *const c_char,
    /// The length of `transaction_json` in bytes, without the NUL; 0 when it is NULL.
    pub transaction_json_len: usize,
    /// What the transaction names, counted.
    pub summary: spg_change_summary,
}

/// Change feed entries returned by the library, in order of `sequence`. Free with
/// `spg_change_list_free`, which frees everything the entries point to.
#[repr(C)]
pub struct spg_change_list {
    /// NULL when `count` is 0. Owned by the list, with everything the entries point to.
    pub changes: *const spg_change,
    /// How many items the array before this field holds.
    pub count: usize,
}
