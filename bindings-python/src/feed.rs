//! `Change` and `ChangeSummary`: the entries `StateStore.read_changes` and `wait_for_changes` give,
//! as frozen Python objects.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use sleeper_pg as core;

/// Counts of what a change's transaction names: the files, references, compaction jobs and
/// partitions.
#[pyclass(module = "sleeper_pg", frozen, get_all, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ChangeSummary {
    files: u64,
    references: u64,
    jobs: u64,
    partitions: u64,
}

impl From<core::ChangeSummary> for ChangeSummary {
    fn from(summary: core::ChangeSummary) -> Self {
        ChangeSummary {
            files: summary.files,
            references: summary.references,
            jobs: summary.jobs,
            partitions: summary.partitions,
        }
    }
}

#[pymethods]
impl ChangeSummary {
    fn __repr__(&self) -> String {
        format!(
            "ChangeSummary(files={}, references={}, jobs={}, partitions={})",
            self.files, self.references, self.jobs, self.partitions
        )
    }
}

/// One entry of a table's change feed: a write, as the Sleeper transaction it applied. `sequence`
/// numbers the entries 1, 2, 3... in the order the writes took effect; `recorded_at` is when the
/// write's transaction started (timezone-aware, UTC, to the microsecond); `transaction_type` is
/// Sleeper's name of the transaction (`"ADD_FILES"`, ...); `transaction_json` is the transaction
/// as Sleeper's `TransactionSerDe` writes it, or None where it was too large to record whole;
/// `summary` counts what it names.
#[pyclass(module = "sleeper_pg", frozen, get_all, eq)]
#[derive(PartialEq)]
pub(crate) struct Change {
    sequence: u64,
    recorded_at: DateTime<Utc>,
    transaction_type: &'static str,
    transaction_json: Option<String>,
    summary: ChangeSummary,
}

impl From<core::Change> for Change {
    fn from(change: core::Change) -> Self {
        Change {
            sequence: change.sequence,
            recorded_at: change.recorded_at,
            transaction_type: change.transaction_type.name(),
            transaction_json: change.transaction_json,
            summary: change.summary.into(),
        }
    }
}

#[pymethods]
impl Change {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let json = self.transaction_json.as_deref().into_pyobject(py)?;
        Ok(format!(
            "Change(sequence={}, recorded_at={}, transaction_type={}, transaction_json={}, summary={})",
            self.sequence,
            self.recorded_at.to_rfc3339(),
            self.transaction_type,
            json.repr()?,
            self.summary.__repr__(),
        ))
    }
}
