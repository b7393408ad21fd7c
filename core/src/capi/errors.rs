//! Status codes and errors: the `spg_status` codes, one per kind of error of the library, and their
//! names; the last error of each thread, which `spg_last_error_...` read; and the one trampoline
//! every entry point runs its body in, which catches panics and records errors.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{self, AssertUnwindSafe};
use std::sync::OnceLock;

use crate::error::{Error, ErrorKind, Result};

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

pub(super) fn status_of(error: &Error) -> spg_status {
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
pub(super) fn c_message(message: &str) -> Vec<u8> {
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
pub(super) fn trampoline(body: impl FnOnce() -> Result<()>) -> spg_status {
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
pub(super) fn with_out<T: Copy>(
    out: *mut T,
    empty: T,
    body: impl FnOnce() -> Result<T>,
) -> spg_status {
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

pub(super) fn invalid(message: impl Into<String>) -> Error {
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};
    use std::ffi::CStr;

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
        include_str!("errors.rs")
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
}
