//! Reads as Arrow: an `ArrowStream` holds a read's record batches and hands them over through the
//! Arrow PyCapsule interface (`__arrow_c_stream__`), which pyarrow, polars and DuckDB take without a
//! copy.

use std::ffi::CStr;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use sleeper_pg as core;

use crate::convert;

const STREAM_CAPSULE: &CStr = c"arrow_array_stream";

/// The record batches of one read, read from the store when the read was called.
#[pyclass(module = "sleeper_pg._native", name = "ArrowStream", frozen)]
pub(crate) struct ArrowStream {
    batches: core::ArrowBatches,
}

impl From<core::ArrowBatches> for ArrowStream {
    fn from(batches: core::ArrowBatches) -> Self {
        ArrowStream { batches }
    }
}

#[pymethods]
impl ArrowStream {
    /// The Arrow PyCapsule stream interface: the batches as an `ArrowArrayStream` capsule, which the
    /// consumer takes over. Each call gives a new stream over the same buffers (no copy), as DuckDB
    /// reads an object's schema and its data through two. `requested_schema` is ignored: the schema is
    /// the read's own.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        PyCapsule::new_with_value(py, self.batches.clone().into_ffi_stream(), STREAM_CAPSULE)
    }

    /// The rows of all the batches.
    #[getter]
    fn num_rows(&self) -> usize {
        self.batches.num_rows()
    }

    /// The batches as a `pyarrow.Table` (pyarrow 14 or later must be installed), sharing their buffers.
    fn to_pyarrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py().import("pyarrow")?.call_method1("table", (slf,))
    }
}

/// The part of a table a read covers: the whole table, the partitions named, or a region.
pub(crate) fn read_scope(
    partition_ids: Option<&Bound<'_, PyAny>>,
    region: Option<&Bound<'_, PyAny>>,
) -> PyResult<core::ReadScope> {
    let partition_ids = partition_ids.filter(|ids| !ids.is_none());
    let region = region.filter(|region| !region.is_none());
    match (partition_ids, region) {
        (None, None) => Ok(core::ReadScope::Table),
        (Some(ids), None) => Ok(core::ReadScope::Partitions(convert::strings(
            "partition_ids",
            ids,
        )?)),
        (None, Some(region)) => Ok(core::ReadScope::Region(convert::arg::<core::Region>(
            "region", region,
        )?)),
        (Some(_), Some(_)) => Err(PyValueError::new_err(
            "Give partition_ids or region, not both",
        )),
    }
}
