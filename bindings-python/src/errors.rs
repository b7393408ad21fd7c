//! The core's errors as Python exceptions. The classes are defined in `sleeper_pg/_exceptions.py`
//! (named by `Error::exception_name`); this match is exhaustive, so a new error variant in the core
//! does not compile until it has its Python translation. An error's cause (the specific exception of
//! a failed batch, the reason a partition tree is invalid) becomes the exception's `__cause__`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use sleeper_pg::Error;

use crate::model::{ReplaceFileReferencesRequest, SplitFileReferenceRequest};

static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn exception_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let module = EXCEPTIONS.get_or_try_init(py, || {
        py.import("sleeper_pg._exceptions").map(Bound::unbind)
    })?;
    module.bind(py).getattr(name)
}

/// Invalid input found by a constructor's `validate`: `ValueError` with the core's message.
pub(crate) fn invalid(error: Error) -> PyErr {
    match error {
        Error::InvalidArgument { message } => PyValueError::new_err(message),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// The Python exception for a core error, with the attributes its class carries.
pub(crate) fn to_py_err(py: Python<'_>, error: Error) -> PyErr {
    build(py, error).unwrap_or_else(|failed_to_build| failed_to_build)
}

fn build(py: Python<'_>, error: Error) -> PyResult<PyErr> {
    let message = error.to_string();
    let class = exception_class(py, error.exception_name());
    let attributes = PyDict::new(py);
    let mut cause = None;
    match error {
        Error::InvalidArgument { message } => return Ok(PyValueError::new_err(message)),
        Error::FileAlreadyExists { filename }
        | Error::FileNotFound { filename }
        | Error::NewReferenceSameAsOldReference { filename } => {
            attributes.set_item("filename", filename)?;
        }
        Error::FileReferenceNotFound {
            filename,
            partition_id,
        }
        | Error::FileReferenceAlreadyExists {
            filename,
            partition_id,
        } => {
            attributes.set_item("filename", filename)?;
            attributes.set_item("partition_id", partition_id)?;
        }
        Error::FileReferenceAssignedToJob {
            filename,
            partition_id,
            job_id,
        }
        | Error::FileReferenceNotAssignedToJob {
            filename,
            partition_id,
            job_id,
        } => {
            attributes.set_item("filename", filename)?;
            attributes.set_item("partition_id", partition_id)?;
            attributes.set_item("job_id", job_id)?;
        }
        Error::FileHasReferences {
            filename,
            reference_count,
        } => {
            attributes.set_item("filename", filename)?;
            attributes.set_item("reference_count", reference_count)?;
        }
        Error::SplitRequestsFailed {
            failed,
            cause: first,
        } => {
            let failed: Vec<SplitFileReferenceRequest> =
                failed.into_iter().map(SplitFileReferenceRequest).collect();
            cause = Some(requests_failed(py, &attributes, failed, *first)?);
        }
        Error::ReplaceRequestsFailed {
            failed,
            cause: first,
        } => {
            let failed: Vec<ReplaceFileReferencesRequest> = failed
                .into_iter()
                .map(ReplaceFileReferencesRequest)
                .collect();
            cause = Some(requests_failed(py, &attributes, failed, *first)?);
        }
        Error::PartitionNotFound { partition_id, .. } => {
            attributes.set_item("partition_id", partition_id)?;
        }
        Error::TableNotFound { table_id } | Error::TableAlreadyExists { table_id } => {
            attributes.set_item("table_id", table_id)?;
        }
        Error::StateStore {
            cause: Some(reason),
            ..
        } => {
            cause = Some(to_py_err(py, *reason));
        }
        Error::InitialiseWithFilesPresent
        | Error::Connection { .. }
        | Error::StateStore { cause: None, .. } => {}
    }
    let exception = PyErr::from_value(class?.call((message,), Some(&attributes))?);
    if let Some(cause) = cause {
        exception.set_cause(py, Some(cause));
    }
    Ok(exception)
}

/// Fills in `successful` (always empty: nothing of a failed call is applied), `failed` and
/// `failures`, and returns the specific exception to set as the cause.
fn requests_failed<'py, T>(
    py: Python<'py>,
    attributes: &Bound<'py, PyDict>,
    failed: Vec<T>,
    first: Error,
) -> PyResult<PyErr>
where
    T: pyo3::IntoPyObject<'py>,
{
    let first = to_py_err(py, first);
    attributes.set_item("successful", PyList::empty(py))?;
    attributes.set_item("failed", failed)?;
    attributes.set_item("failures", PyList::new(py, [first.value(py)])?)?;
    Ok(first)
}
