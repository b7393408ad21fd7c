//! The opaque handles the C caller holds (`spg_client`, `spg_store`, `spg_local_postgres`): each a
//! box around a core value, borrowed by every call that takes it and freed by its `spg_..._free`
//! (in the file of the functions that create it).

use crate::error::Result;
use crate::{block_on, Client, LocalPostgres, StateStore};

use super::errors::{invalid, spg_status, trampoline};

/// A connection pool to one database (opaque). Safe to use from any number of threads at once.
/// Created by `spg_connect`/`spg_connect_with`, freed by `spg_client_free`.
pub struct spg_client {
    pub(super) client: Client,
}

/// A handle on one Sleeper table (opaque), with its own settable clocks. Safe to use from any number
/// of threads at once. Created by `spg_create_table`/`spg_table`, freed by `spg_store_free`. It keeps
/// its client's pool alive: it may outlive the `spg_client` it came from.
pub struct spg_store {
    pub(super) store: StateStore,
}

/// A throwaway PostgreSQL cluster (opaque): started by `spg_local_postgres_start`, stopped and deleted
/// by `spg_local_postgres_free`.
pub struct spg_local_postgres {
    pub(super) local: LocalPostgres,
}

/// A reference to the handle behind a non-NULL pointer.
pub(super) unsafe fn handle<'a, T>(pointer: *const T, what: &str) -> Result<&'a T> {
    if pointer.is_null() {
        return Err(invalid(format!("{what} must not be NULL")));
    }
    if !pointer.is_aligned() {
        return Err(invalid(format!("{what} is not aligned")));
    }
    // SAFETY: non-null and aligned; the caller passes a handle this library created and has not freed.
    Ok(unsafe { &*pointer })
}

pub(super) fn new_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Frees a handle made by `new_handle`, dropping it inside the runtime (a pool's connections are
/// runtime objects).
pub(super) unsafe fn free_handle<T>(pointer: *mut T) {
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

/// Runs `call` on the store behind a handle.
pub(super) unsafe fn on_store(
    store: *const spg_store,
    call: impl FnOnce(&StateStore) -> Result<()>,
) -> spg_status {
    trampoline(|| {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        call(&store.store)
    })
}
