//! The client: connecting (a pool to one database), closing and freeing it, and the tables it holds
//! (create, open, list, delete), each opened table being an `spg_store` handle.

use std::ffi::c_char;
use std::ptr;

use crate::{block_on, Client};

use super::errors::{spg_status, trampoline, with_out};
use super::handles::{free_handle, handle, new_handle, spg_client, spg_store};
use super::inputs::{optional_text, row_keys, text};
use super::options::{client_options, spg_client_options};
use super::results::{new_string, string_list};
use super::types::{spg_row_key_field, spg_string_list};

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

/// What the client's calls did since it connected, as JSON: `{"operations": [{"operation",
/// "calls", "failures" (exception name to count), "retries", "duration": {"count", "sum_seconds",
/// "buckets": [{"le_seconds", "count"}] (cumulative), "p50_seconds", "p99_seconds"}}]}`, listing the
/// operations called at least once. `*out` is a new string owned by the caller (free with
/// `spg_string_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_client_stats(
    client: *const spg_client,
    out: *mut *mut c_char,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let client = unsafe { handle(client, "client") }?;
        let json = serde_json::to_string(&client.client.stats())
            .map_err(|e| crate::Error::state_store(e.to_string()))?;
        new_string(&json)
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
