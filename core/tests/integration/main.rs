//! Every integration test of the core, in one test binary that shares one PostgreSQL server: the
//! contract (`files`, `partitions`, `tables`, `worked_example`), large adds by `COPY`, reads of part of
//! a table (`regions`) and as Arrow (`arrow`), Sleeper's transactions, concurrency, the model-based
//! property test, reads from replicas, the invariant checker under load, faults, the pooler, security,
//! the limits on names and key values (`limits`), and the local cluster. Each test makes a fresh table
//! (or schema, or cluster) of its own.

mod common;
mod model;

mod arrow;
mod backup;
mod bulk_add;
mod concurrency;
mod export;
mod faults;
mod feed;
mod files;
mod invariants;
mod limits;
mod local_postgres;
mod model_check;
mod partitions;
mod pooler;
mod pooler_faults;
mod regions;
mod replicas;
mod rerun;
mod security;
mod sleeper_transactions;
mod stats;
mod status;
mod tables;
mod worked_example;
