//! The C ABI (`include/sleeper_pg.h`, generated from this module by cbindgen).
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
//!
//! The module's files, one concept each, in the order the header follows:
//! - `errors`: the status codes and their names, the calling thread's last error, and `trampoline`,
//!   the one place every entry point runs through;
//! - `handles`: the opaque handles (`spg_client`, `spg_store`, `spg_local_postgres`), and how a handle
//!   is made, borrowed and freed;
//! - `types`: the `#[repr(C)]` value types shared by inputs and results;
//! - `options`: the options structs of `spg_connect_with` and `spg_local_postgres_start_with`, and
//!   how they become core's options;
//! - `inputs`: borrowed C values to the model's values;
//! - the entry points, by subject: `local_postgres` (a throwaway cluster), `client` (connecting,
//!   tables), `partitions`, `files`, `transactions` and `feed` (the change feed);
//! - `results`: the model's values to C results, each one allocation, and every `spg_..._free` of a
//!   result.
//!
//! [`Error`]: crate::error::Error
#![allow(non_camel_case_types)]
// The safety contract is stated once, above, rather than on each of the many entry points.
#![allow(clippy::missing_safety_doc)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

// cbindgen writes the header's functions in the order of these declarations (the shared machinery,
// the entry points by subject, then the results with their `spg_..._free`); the blank lines keep
// rustfmt from sorting them.
mod errors;

mod handles;

mod types;

pub(crate) mod options;

mod inputs;

mod local_postgres;

mod client;

mod partitions;

mod files;

mod transactions;

mod feed;

mod arrow;

mod results;

pub use self::arrow::*;
pub use self::client::*;
pub use self::errors::*;
pub use self::feed::*;
pub use self::files::*;
pub use self::handles::*;
pub use self::local_postgres::*;
pub use self::options::*;
pub use self::partitions::*;
pub use self::results::*;
pub use self::transactions::*;
pub use self::types::*;

/// The C options fuzz target (`sleeper_pg::fuzzing::capi_options`) over its corpus and a few
/// thousand mutations with a fixed seed, run with the other `capi` unit tests.
#[cfg(test)]
mod fuzz_corpus {
    #[test]
    fn capi_options() {
        let corpus =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/capi_options");
        crate::fuzzing::run_seeded(
            "capi_options",
            crate::fuzzing::capi_options,
            &corpus,
            20_000,
            0x5eed_f022,
        );
    }
}
