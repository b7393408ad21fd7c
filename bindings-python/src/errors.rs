//! The core's errors as Python exceptions, derived in one place from what every error tells of itself:
//! the class is the one its kind names (`ErrorKind::exception_name`, defined in
//! `sleeper_pg/_exceptions.py`; `ValueError` for invalid input), its attributes are the error's named
//! fields (`Error::fields`), and its `__cause__` is the exception of the error's cause (`Error::cause`).
//! Only the two "requests failed" kinds add something of their own: the requests of the call. A new
//! kind or field in the core needs nothing here, unless it brings a new exception class.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use sleeper_pg::{Error, ErrorKind, FieldValue};

use crate::convert::ToPy;

static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The Python class of the kind: Sleeper's exception of that name, or `ValueError` for invalid input.
fn exception_class(py: Python<'_>, kind: ErrorKind) -> PyResult<Bound<'_, PyAny>> {
    if kind == ErrorKind::InvalidArgument {
        return Ok(py.get_type::<PyValueError>().into_any());
    }
    let module = EXCEPTIONS.get_or_try_init(py, || {
        py.import("sleeper_pg._exceptions").map(Bound::unbind)
    })?;
    module.bind(py).getattr(kind.exception_name())
}

/// Invalid input found by a constructor's `validate`: `ValueError` with the core's message.
pub(crate) fn invalid(error: Error) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// The Python exception for a core error, with the attributes its class carries.
pub(crate) fn to_py_err(py: Python<'_>, error: Error) -> PyErr {
    exception(py, &error)
}

fn exception(py: Python<'_>, error: &Error) -> PyErr {
    build(py, error).unwrap_or_else(|failed_to_build| failed_to_build)
}

/// The error's named fields, as keyword arguments of its class.
fn fields<'py>(py: Python<'py>, error: &Error) -> PyResult<Bound<'py, PyDict>> {
    let fields = PyDict::new(py);
    for (name, value) in error.fields() {
        match value {
            FieldValue::Text(text) => fields.set_item(name, text)?,
            FieldValue::Count(count) => fields.set_item(name, count)?,
        }
    }
    Ok(fields)
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let attributes = fields(py, error)?;
    let cause = error.cause().map(|cause| exception(py, cause));
    if let Some(failed) = failed_requests(py, error)? {
        // Nothing of a failed call is applied: no request succeeded, and the cause is the failure.
        attributes.set_item("successful", PyList::empty(py))?;
        attributes.set_item("failed", failed)?;
        attributes.set_item(
            "failures",
            PyList::new(py, cause.iter().map(|c| c.value(py)))?,
        )?;
    }
    let class = exception_class(py, error.kind())?;
    let exception = PyErr::from_value(class.call((error.to_string(),), Some(&attributes))?);
    exception.set_cause(py, cause);
    Ok(exception)
}

/// The requests of a call that failed as a whole, for the two kinds that carry them.
fn failed_requests<'py>(py: Python<'py>, error: &Error) -> PyResult<Option<Bound<'py, PyAny>>> {
    match error {
        Error::SplitRequestsFailed { failed, .. } => failed.to_py(py).map(Some),
        Error::ReplaceRequestsFailed { failed, .. } => failed.to_py(py).map(Some),
        _ => Ok(None),
    }
}

/// `_native._error_samples()`, in a test build only (the `testing` feature): every sample error of
/// the core (`sleeper_pg::testing::error_samples`) as `(exception name, message, fields, cause's
/// exception name or None, the exception built)`, for the test of this mapping.
#[cfg(feature = "testing")]
#[pyfunction]
pub(crate) fn _error_samples(py: Python<'_>) -> PyResult<Vec<Bound<'_, pyo3::types::PyTuple>>> {
    sleeper_pg::testing::error_samples()
        .iter()
        .map(|error| {
            let cause = error.cause().map(|cause| cause.exception_name());
            let exception = exception(py, error).into_value(py);
            pyo3::types::PyTuple::new(
                py,
                [
                    error.exception_name().into_pyobject(py)?.into_any(),
                    error.to_string().into_pyobject(py)?.into_any(),
                    fields(py, error)?.into_any(),
                    cause.into_pyobject(py)?.into_any(),
                    exception.into_bound(py).into_any(),
                ],
            )
        })
        .collect()
}
