//! sleeper-pg: the state store of Sleeper tables (partitions and file references) in PostgreSQL.
//!
//! [`Client`] connects to a database (or starts a [`LocalPostgres`]) and opens tables; a
//! [`StateStore`] is a handle on one table with every operation of Sleeper's state store, each one
//! PostgreSQL transaction. The API is async; [`block_on`] runs it from blocking code on the one shared
//! runtime, which is what the Python, Java and C bindings do. Behaviour follows `CONTRACT.md`.

#![warn(missing_docs)]

#[cfg(feature = "capi")]
pub mod capi;
mod client;
mod connection;
mod error;
mod export;
mod feed;
/// The fuzz targets (`fuzz/`) and their seeded stable run; not API.
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod keys;
mod local_postgres;
pub mod model;
pub mod partitions;
mod pool;
mod replicas;
mod runtime;
mod schema;
mod stats;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
mod transaction;
pub mod validate;

/// The Arrow crates of [`ArrowBatches`], so that a user of the batches builds against the same version.
pub use arrow_array;
/// See [`arrow_array`].
pub use arrow_schema;
pub use client::{redact_url, Client, ClientOptions, RetryPolicy};
pub use error::{DriverError, Error, ErrorKind, FieldValue, Result};
pub use export::{ExportCounts, TableExport, EXPORT_FORMAT, EXPORT_VERSION};
pub use feed::{Change, ChangeSummary, RECORDED_BYTES, RECORDED_ITEMS};
pub use local_postgres::{LocalPostgres, LocalPostgresOptions};
pub use model::*;
pub use partitions::partitions_from_split_points;
pub use runtime::block_on;
pub use schema::MIGRATOR;
pub use stats::{Bucket, ClientStats, DurationHistogram, Operation, OperationStats};
pub use store::{
    file_reference_schema, partition_schema, ArrowBatches, LogProgress, LogReplay, ReadScope,
    StateStore, TableStatus,
};
pub use time::truncate_to_millis;
pub use transaction::{
    CommitMode, CompactionJobCommit, IngestJobRun, Transaction, TransactionFailure,
    TransactionLogEntry, TransactionOutcome, TransactionType,
};

/// The README's Rust example, compiled as a doc test.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
