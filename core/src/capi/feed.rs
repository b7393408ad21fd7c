//! The change feed (`crate::feed`): reading a table's entries after a number, waiting for them, and
//! deleting old ones.

use std::ptr;
use std::time::Duration;

use crate::block_on;

use super::errors::{spg_status, with_out};
use super::handles::{handle, spg_store};
use super::results::change_list;
use super::types::spg_change_list;

/// The entries of the table's change feed numbered after `after` (0 for the whole feed), in order, at
/// most `limit`: every write whose transaction, and every transaction that began before it, has
/// ended. Read from the primary. `*out` is a new list owned by the caller (free with
/// `spg_change_list_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_store_read_changes(
    store: *const spg_store,
    after: u64,
    limit: u32,
    out: *mut *mut spg_change_list,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        change_list(&block_on(store.store.read_changes(after, limit))?)
    })
}

/// `spg_store_read_changes`, waiting up to `timeout_ms` milliseconds for an entry after `after` if
/// there is none yet: woken by the client that wrote it, or finding it by looking again every second.
/// The calling thread blocks for the wait. `*out` as for `spg_store_read_changes`: a list with no
/// entries if none came in time.
#[no_mangle]
pub unsafe extern "C" fn spg_store_wait_for_changes(
    store: *const spg_store,
    after: u64,
    limit: u32,
    timeout_ms: u64,
    out: *mut *mut spg_change_list,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        let timeout = Duration::from_millis(timeout_ms);
        change_list(&block_on(
            store.store.wait_for_changes(after, limit, timeout),
        )?)
    })
}

/// Deletes the entries of the table's feed numbered up to `sequence`, which must have been given by a
/// read (past the last numbered entry is `SPG_INVALID_ARGUMENT`: an entry after it may not be
/// numbered yet); writes how many it deleted to `*deleted` (0 on failure).
#[no_mangle]
pub unsafe extern "C" fn spg_store_delete_changes_through(
    store: *const spg_store,
    sequence: u64,
    deleted: *mut u64,
) -> spg_status {
    with_out(deleted, 0, || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        block_on(store.store.delete_changes_through(sequence))
    })
}
