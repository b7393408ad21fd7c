//! Transactions (docs/sleeper-transactions.md): applying one Sleeper transaction given as JSON, and
//! replaying a table's transaction log from a file, with progress reported to a C callback.

use std::ffi::{c_char, c_void};
use std::io::BufReader;
use std::ptr;

use crate::{block_on, CommitMode, LogProgress, Transaction};

use super::errors::{invalid, spg_status, with_out};
use super::handles::{handle, spg_store};
use super::inputs::{slice, text};
use super::results::owned;
use super::types::{spg_log_failure, spg_log_progress_fn, spg_log_replay, spg_transaction_outcome};

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
