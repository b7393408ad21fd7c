//! A throwaway local PostgreSQL cluster, for tests and demos: start one, read its URL, free it.

use std::ffi::c_char;
use std::ptr;

use crate::LocalPostgres;

use super::errors::{spg_status, with_out};
use super::handles::{free_handle, handle, new_handle, spg_local_postgres};
use super::options::{local_postgres_options, spg_local_postgres_options};
use super::results::new_string;

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

/// Starts a hot standby of the cluster that streams its changes (`pg_basebackup`, a directory and
/// port of its own) and waits until it accepts read-only connections. On success `*out` is a new
/// handle owned by the caller (free with `spg_local_postgres_free`, before or after the primary's);
/// on failure it is NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_local_postgres_start_replica(
    primary: *const spg_local_postgres,
    out: *mut *mut spg_local_postgres,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a handle from `spg_local_postgres_start`, or NULL (checked).
        let primary = unsafe { handle(primary, "primary") }?;
        let local = primary.local.start_replica()?;
        Ok(new_handle(spg_local_postgres { local }))
    })
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
