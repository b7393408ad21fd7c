//! What tests and benchmarks share, in every language, and a production library leaves out (the
//! `testing` feature): one database per test process, PgBouncer in front of a local cluster, a TCP
//! proxy that cuts, freezes or delays connections, and a sample of every error for the tests of each
//! binding's error mapping.

mod pgbouncer;
mod proxy;

pub use pgbouncer::PgBouncer;
pub use proxy::TcpProxy;

/// From this many references in one call, an add is written by `COPY` (see `core/src/store/bulk.rs`).
pub use crate::store::COPY_FROM_REFERENCES;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::model::{FileReference, ReplaceFileReferencesRequest, SplitFileReferenceRequest};
use crate::{Error, LocalPostgres};

/// A change to the database made by a test while a call is under way (see `before_next_write`).
pub type Change = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Makes the next file write through `store` (or a clone of it) run `change` after it has read the
/// rows it needs and checked the call against them, before it writes: a test of what a call does when
/// those rows change under it.
pub fn before_next_write(store: &crate::StateStore, change: Change) {
    store.set_before_next_write(change);
}

static LOCAL: Mutex<Option<LocalPostgres>> = Mutex::new(None);
static URL: OnceLock<String> = OnceLock::new();

extern "C" fn stop_local_cluster() {
    if let Ok(mut local) = LOCAL.lock() {
        local.take();
    }
}

/// The database every test of this process uses: `DATABASE_URL`, or one local cluster started on
/// first use and stopped when the process exits.
///
/// # Panics
/// If no cluster can be started: a test cannot run without one.
pub fn database_url() -> String {
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            return url;
        }
        let local = LocalPostgres::start().expect("start a local PostgreSQL cluster");
        let url = local.url();
        *LOCAL.lock().unwrap_or_else(|p| p.into_inner()) = Some(local);
        // SAFETY: registers a plain extern "C" function to run at exit.
        unsafe { libc::atexit(stop_local_cluster) };
        url
    })
    .clone()
}

/// A table id no other test uses, in this process or another.
pub fn unique_table_id(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// One error of every kind (a plain `StateStoreException` with and without a cause, a connection
/// error with and without a SQLSTATE), each with distinct field values: what every binding's test of
/// its error mapping translates and checks.
pub fn error_samples() -> Vec<Error> {
    let reference = FileReference::new("file", "partition", 1);
    let not_found = Error::FileReferenceNotFound {
        filename: "file".into(),
        partition_id: "partition".into(),
    };
    vec![
        Error::FileAlreadyExists {
            filename: "file-1".into(),
        },
        Error::FileNotFound {
            filename: "file-2".into(),
        },
        not_found.clone(),
        Error::FileReferenceAlreadyExists {
            filename: "file-3".into(),
            partition_id: "partition-3".into(),
        },
        Error::FileReferenceAssignedToJob {
            filename: "file-4".into(),
            partition_id: "partition-4".into(),
            job_id: "job-4".into(),
        },
        Error::FileReferenceNotAssignedToJob {
            filename: "file-5".into(),
            partition_id: "partition-5".into(),
            job_id: "job-5".into(),
        },
        Error::NewReferenceSameAsOldReference {
            filename: "file-6".into(),
        },
        Error::FileHasReferences {
            filename: "file-7".into(),
            reference_count: 7,
        },
        Error::SplitRequestsFailed {
            failed: vec![SplitFileReferenceRequest::split_file_to_child_partitions(
                &reference, "L", "R",
            )],
            cause: Box::new(not_found.clone()),
        },
        Error::ReplaceRequestsFailed {
            failed: vec![ReplaceFileReferencesRequest::new(
                "job",
                "partition",
                vec!["file".into()],
                FileReference::new("output", "partition", 1),
            )],
            cause: Box::new(not_found),
        },
        Error::InitialiseWithFilesPresent,
        Error::PartitionNotFound {
            partition_id: "partition-8".into(),
            message: "Partition not found: partition-8".into(),
        },
        Error::TableNotFound {
            table_id: "table-9".into(),
        },
        Error::TableAlreadyExists {
            table_id: "table-10".into(),
        },
        Error::connection("connection refused"),
        Error::Connection {
            message: "could not serialize access".into(),
            sqlstate: Some("40001".into()),
            source: None,
        },
        Error::state_store("Parent should be a leaf partition"),
        Error::state_store_caused_by(
            "Update results in invalid partition tree",
            "There should be exactly one root partition, found 2",
        ),
        Error::invalid("filename must not be empty"),
    ]
}
