//! `TableStatus`: what `StateStore.status()` counts, as a frozen Python object.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use sleeper_pg as core;

/// A table's counts in one snapshot: partitions, files, references, jobs in flight, and the oldest
/// reference waiting for a job and file waiting for garbage collection (timezone-aware `datetime`
/// in UTC, or None when there is none).
#[pyclass(module = "sleeper_pg", frozen, get_all, eq)]
#[derive(PartialEq)]
pub(crate) struct TableStatus {
    partitions: u64,
    leaf_partitions: u64,
    files: u64,
    references: u64,
    references_with_no_job: u64,
    jobs_in_flight: u64,
    unreferenced_files: u64,
    oldest_reference_with_no_job: Option<DateTime<Utc>>,
    oldest_unreferenced_file: Option<DateTime<Utc>>,
}

impl From<core::TableStatus> for TableStatus {
    fn from(status: core::TableStatus) -> Self {
        TableStatus {
            partitions: status.partitions,
            leaf_partitions: status.leaf_partitions,
            files: status.files,
            references: status.references,
            references_with_no_job: status.references_with_no_job,
            jobs_in_flight: status.jobs_in_flight,
            unreferenced_files: status.unreferenced_files,
            oldest_reference_with_no_job: status.oldest_reference_with_no_job,
            oldest_unreferenced_file: status.oldest_unreferenced_file,
        }
    }
}

#[pymethods]
impl TableStatus {
    fn __repr__(&self) -> String {
        let time = |t: Option<DateTime<Utc>>| t.map_or("None".to_owned(), |t| t.to_rfc3339());
        format!(
            "TableStatus(partitions={}, leaf_partitions={}, files={}, references={}, \
             references_with_no_job={}, jobs_in_flight={}, unreferenced_files={}, \
             oldest_reference_with_no_job={}, oldest_unreferenced_file={})",
            self.partitions,
            self.leaf_partitions,
            self.files,
            self.references,
            self.references_with_no_job,
            self.jobs_in_flight,
            self.unreferenced_files,
            time(self.oldest_reference_with_no_job),
            time(self.oldest_unreferenced_file),
        )
    }
}
