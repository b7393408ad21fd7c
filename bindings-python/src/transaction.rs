//! What applying Sleeper's transactions reports: `TransactionOutcome` (one transaction) and
//! `TransactionLogReplay` (a log). Each skipped part's error becomes its Python exception once, through
//! `errors::to_py_err` (the mapping of raised exceptions), when the result is made; the exceptions
//! are returned, not raised.

use pyo3::exceptions::PyBaseException;
use pyo3::prelude::*;
use sleeper_pg as core;

use crate::errors::to_py_err;

fn exception(py: Python<'_>, error: core::Error) -> Py<PyBaseException> {
    to_py_err(py, error).into_value(py)
}

/// What `StateStore.apply_transaction` did: the parts of the transaction that were skipped, as
/// `(index, exception)` pairs: the index of the compaction job or file in the transaction, and the
/// exception Sleeper's job tracker would report for it. Always empty in synchronous mode, where any
/// invalid part raises instead.
#[pyclass(module = "sleeper_pg", frozen)]
pub(crate) struct TransactionOutcome {
    failures: Vec<(usize, Py<PyBaseException>)>,
}

impl TransactionOutcome {
    pub(crate) fn new(py: Python<'_>, outcome: core::TransactionOutcome) -> Self {
        TransactionOutcome {
            failures: outcome
                .failures
                .into_iter()
                .map(|failure| (failure.index, exception(py, failure.error)))
                .collect(),
        }
    }
}

#[pymethods]
impl TransactionOutcome {
    /// The skipped parts, `(index, exception)` in index order. For `REPLACE_FILE_REFERENCES` the
    /// jobs not listed were applied; for `ADD_FILES` a failure means that no file was added.
    #[getter]
    fn failures<'py>(&self, py: Python<'py>) -> Vec<(usize, Bound<'py, PyBaseException>)> {
        self.failures
            .iter()
            .map(|(index, error)| (*index, error.bind(py).clone()))
            .collect()
    }

    /// True when every part of the transaction was applied (no failures).
    #[getter]
    fn fully_applied(&self) -> bool {
        self.failures.is_empty()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let failures = self.failures(py).into_pyobject(py)?.repr()?;
        Ok(format!("TransactionOutcome(failures={failures})"))
    }
}

/// What `StateStore.apply_transaction_log` did: the number of entries applied, and every part that
/// Sleeper's apply skipped, as `(entry, index, exception)`: the entry's number in the log (from 1,
/// blank lines not counted), the index of the job or file in that entry's transaction, and the
/// exception.
#[pyclass(module = "sleeper_pg", frozen)]
pub(crate) struct TransactionLogReplay {
    entries: u64,
    failures: Vec<(u64, usize, Py<PyBaseException>)>,
}

impl TransactionLogReplay {
    pub(crate) fn new(py: Python<'_>, replay: core::LogReplay) -> Self {
        TransactionLogReplay {
            entries: replay.entries,
            failures: replay
                .failures
                .into_iter()
                .map(|(entry, failure)| (entry, failure.index, exception(py, failure.error)))
                .collect(),
        }
    }
}

#[pymethods]
impl TransactionLogReplay {
    /// The entries applied, including those with skipped parts.
    #[getter]
    fn entries(&self) -> u64 {
        self.entries
    }

    /// The skipped parts, `(entry, index, exception)` in log order.
    #[getter]
    fn failures<'py>(&self, py: Python<'py>) -> Vec<(u64, usize, Bound<'py, PyBaseException>)> {
        self.failures
            .iter()
            .map(|(entry, index, error)| (*entry, *index, error.bind(py).clone()))
            .collect()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let failures = self.failures(py).into_pyobject(py)?.repr()?;
        Ok(format!(
            "TransactionLogReplay(entries={}, failures={failures})",
            self.entries
        ))
    }
}
