//! The model classes: frozen wrappers of the core's values. Constructors convert their arguments and
//! run the core's `validate`, so Python rejects the same input with the same messages as every other
//! language. Integers are kept as `KeyValue::Long` whatever the field type (Python has one int type),
//! so that a range built in Python equals the same range read back from an `int` field.

use std::hash::Hash;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::BoundObject;
use pyo3::PyClass;
use sleeper_pg as core;
use sleeper_pg::KeyValue;

use crate::convert::{self, Arg};
use crate::errors::invalid;

/// `repr()` of a Python value, for the model classes' own `repr`.
fn repr<'py>(py: Python<'py>, value: impl IntoPyObject<'py>) -> PyResult<String> {
    Ok(obj(py, value)?.repr()?.to_string())
}

/// Any Rust value as the Python object it converts to.
fn obj<'py>(py: Python<'py>, value: impl IntoPyObject<'py>) -> PyResult<Bound<'py, PyAny>> {
    Ok(value
        .into_pyobject(py)
        .map_err(Into::into)?
        .into_any()
        .into_bound())
}

/// What `pickle` and `copy` need to rebuild a model object: its class called with `args` and the
/// keyword arguments `kwargs` (through `functools.partial`, as `__reduce__` takes no keywords).
type Reduced<'py> = (Bound<'py, PyAny>, Bound<'py, PyTuple>);

fn reduce<'py, T: PyClass>(
    slf: &Bound<'py, T>,
    args: Vec<Bound<'py, PyAny>>,
    kwargs: &[(&str, Bound<'py, PyAny>)],
) -> PyResult<Reduced<'py>> {
    let py = slf.py();
    let class = slf.as_any().get_type().into_any();
    if kwargs.is_empty() {
        return Ok((class, PyTuple::new(py, args)?));
    }
    let keywords = PyDict::new(py);
    for (name, value) in kwargs {
        keywords.set_item(name, value)?;
    }
    let mut partial_args = Vec::with_capacity(args.len() + 1);
    partial_args.push(class);
    partial_args.extend(args);
    let partial_args = PyTuple::new(py, partial_args)?;
    let partial = py
        .import("functools")?
        .getattr("partial")?
        .call(partial_args, Some(&keywords))?;
    Ok((partial, PyTuple::empty(py)))
}

fn repr_list<T>(items: &[T], each: impl Fn(&T) -> PyResult<String>) -> PyResult<String> {
    let items = items.iter().map(each).collect::<PyResult<Vec<_>>>()?;
    Ok(format!("[{}]", items.join(", ")))
}

fn normalise_key(value: KeyValue) -> KeyValue {
    match value {
        KeyValue::Int(v) => KeyValue::Long(i64::from(v)),
        other => other,
    }
}

fn normalise_range(range: core::Range) -> core::Range {
    core::Range {
        min: normalise_key(range.min),
        max: range.max.map(normalise_key),
        field_name: range.field_name,
    }
}

fn normalise_region(region: core::Region) -> core::Region {
    core::Region::new(region.ranges.into_iter().map(normalise_range).collect())
}

/// Equal regions hash alike whatever the order of their ranges.
/// Converters of keyword arguments with defaults, named after the argument for their messages: an
/// explicit None is a wrong type, not the default.
macro_rules! flag {
    ($($name:ident),*) => {$(
        fn $name(value: &Bound<'_, PyAny>) -> PyResult<bool> {
            convert::boolean(stringify!($name), value)
        }
    )*};
}
flag!(
    count_approximate,
    only_contains_data_for_this_partition,
    is_leaf_partition,
    more_than_max
);

fn dimension(value: &Bound<'_, PyAny>) -> PyResult<i32> {
    let dimension = convert::integer("dimension", value, -1, i64::from(i32::MAX))?;
    Ok(i32::try_from(dimension).unwrap_or(i32::MAX))
}

fn child_partition_ids(value: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    convert::strings("child_partition_ids", value)
}

fn model<'py, T: pyo3::PyClass + pyo3::type_object::PyTypeInfo>(
    arg: Arg<'_>,
    class: &str,
    value: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, T>> {
    value
        .cast::<T>()
        .cloned()
        .map_err(|_| convert::type_error(arg, &format!("a {class}"), value))
}

/// The rows of one data file that belong to one partition.
///
/// `last_update_time` is set by the store on every write; a value given here never reaches it.
#[pyclass(module = "sleeper_pg", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct FileReference(pub(crate) core::FileReference);

impl FileReference {
    pub(crate) fn extract(arg: Arg<'_>, value: &Bound<'_, PyAny>) -> PyResult<core::FileReference> {
        Ok(model::<FileReference>(arg, "FileReference", value)?
            .get()
            .0
            .clone())
    }

    fn repr(&self, py: Python<'_>) -> PyResult<String> {
        let r = &self.0;
        Ok(format!(
            "FileReference(filename={}, partition_id={}, number_of_rows={}, job_id={}, last_update_time={}, \
             count_approximate={}, only_contains_data_for_this_partition={})",
            repr(py, &r.filename)?,
            repr(py, &r.partition_id)?,
            r.number_of_rows,
            repr(py, r.job_id.as_deref())?,
            repr(py, r.last_update_time)?,
            repr(py, r.count_approximate)?,
            repr(py, r.only_contains_data_for_this_partition)?,
        ))
    }
}

#[pymethods]
impl FileReference {
    #[new]
    #[pyo3(signature = (filename, partition_id, number_of_rows, *, job_id=None, last_update_time=None,
                        count_approximate=false, only_contains_data_for_this_partition=true))]
    fn new(
        filename: &Bound<'_, PyAny>,
        partition_id: &Bound<'_, PyAny>,
        number_of_rows: &Bound<'_, PyAny>,
        job_id: Option<&Bound<'_, PyAny>>,
        last_update_time: Option<&Bound<'_, PyAny>>,
        #[pyo3(from_py_with = count_approximate)] count_approximate: bool,
        #[pyo3(from_py_with = only_contains_data_for_this_partition)]
        only_contains_data_for_this_partition: bool,
    ) -> PyResult<Self> {
        let number_of_rows = convert::integer("number_of_rows", number_of_rows, 0, i64::MAX)?;
        let reference = core::FileReference {
            filename: convert::string("filename", filename)?,
            partition_id: convert::string("partition_id", partition_id)?,
            number_of_rows: number_of_rows.unsigned_abs(),
            job_id: convert::optional_string("job_id", job_id)?,
            last_update_time: convert::optional_time("last_update_time", last_update_time)?,
            count_approximate,
            only_contains_data_for_this_partition,
        };
        reference.validate().map_err(invalid)?;
        Ok(FileReference(reference))
    }

    /// The data file, identified only by its name (in production a full object-store URI).
    #[getter]
    fn filename(&self) -> &str {
        &self.0.filename
    }

    /// The partition whose rows of the file this reference covers.
    #[getter]
    fn partition_id(&self) -> &str {
        &self.0.partition_id
    }

    /// Rows of the file in this partition, exact or estimated (`count_approximate`).
    #[getter]
    fn number_of_rows(&self) -> u64 {
        self.0.number_of_rows
    }

    /// The compaction job the reference is assigned to, or None.
    #[getter]
    fn job_id(&self) -> Option<&str> {
        self.0.job_id.as_deref()
    }

    /// When the store last wrote this reference (UTC), or None on a reference not read from the store.
    #[getter]
    fn last_update_time(&self) -> Option<core::Timestamp> {
        self.0.last_update_time
    }

    /// True when `number_of_rows` is an estimate.
    #[getter]
    fn count_approximate(&self) -> bool {
        self.0.count_approximate
    }

    /// True when the file holds no rows outside this partition.
    #[getter]
    fn only_contains_data_for_this_partition(&self) -> bool {
        self.0.only_contains_data_for_this_partition
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        let py = slf.py();
        let r = &slf.get().0;
        let args = vec![
            obj(py, &r.filename)?,
            obj(py, &r.partition_id)?,
            obj(py, r.number_of_rows)?,
        ];
        let kwargs = [
            ("job_id", obj(py, r.job_id.as_deref())?),
            ("last_update_time", obj(py, r.last_update_time)?),
            ("count_approximate", obj(py, r.count_approximate)?),
            (
                "only_contains_data_for_this_partition",
                obj(py, r.only_contains_data_for_this_partition)?,
            ),
        ];
        reduce(slf, args, &kwargs)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.repr(py)
    }
}

/// The values of one row key field: `min` inclusive, `max` exclusive or None for no upper bound.
#[pyclass(module = "sleeper_pg", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Range(pub(crate) core::Range);

impl Range {
    fn repr(&self, py: Python<'_>) -> PyResult<String> {
        let max = match &self.0.max {
            Some(max) => convert::key_value_to_py(py, max)?.repr()?.to_string(),
            None => "None".to_owned(),
        };
        Ok(format!(
            "Range(field_name={}, min={}, max={max})",
            repr(py, &self.0.field_name)?,
            convert::key_value_to_py(py, &self.0.min)?.repr()?,
        ))
    }
}

#[pymethods]
impl Range {
    #[new]
    #[pyo3(signature = (field_name, min, max=None))]
    fn new(
        field_name: &Bound<'_, PyAny>,
        min: &Bound<'_, PyAny>,
        max: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let max = match max {
            Some(max) if !max.is_none() => Some(convert::key_value("max", max)?),
            _ => None,
        };
        let range = core::Range::new(
            convert::string("field_name", field_name)?,
            convert::key_value("min", min)?,
            max,
        );
        range.validate().map_err(invalid)?;
        Ok(Range(range))
    }

    /// The name of the row key field.
    #[getter]
    fn field_name(&self) -> &str {
        &self.0.field_name
    }

    /// The smallest value in the range (inclusive).
    #[getter]
    fn min<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::key_value_to_py(py, &self.0.min)
    }

    /// The first value above the range (exclusive), or None for no upper bound.
    #[getter]
    fn max<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.0
            .max
            .as_ref()
            .map(|max| convert::key_value_to_py(py, max))
            .transpose()
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        let py = slf.py();
        let r = &slf.get().0;
        let max = match &r.max {
            Some(max) => convert::key_value_to_py(py, max)?,
            None => py.None().into_bound(py),
        };
        reduce(
            slf,
            vec![
                obj(py, &r.field_name)?,
                convert::key_value_to_py(py, &r.min)?,
                max,
            ],
            &[],
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.repr(py)
    }
}

/// One range per row key field. Equality ignores the order of the ranges.
#[pyclass(module = "sleeper_pg", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Region(pub(crate) core::Region);

impl Region {
    fn repr(&self, py: Python<'_>) -> PyResult<String> {
        let ranges = repr_list(&self.0.ranges, |range| Range(range.clone()).repr(py))?;
        Ok(format!("Region(ranges={ranges})"))
    }
}

#[pymethods]
impl Region {
    #[new]
    fn new(ranges: &Bound<'_, PyAny>) -> PyResult<Self> {
        let ranges = convert::sequence("ranges", "Range", ranges, |arg, item| {
            Ok(model::<Range>(arg, "Range", item)?.get().0.clone())
        })?;
        let region = core::Region::new(ranges);
        region.validate().map_err(invalid)?;
        Ok(Region(region))
    }

    /// The ranges, one per row key field (in field order when read from the store).
    #[getter]
    fn ranges(&self) -> Vec<Range> {
        self.0.ranges.iter().cloned().map(Range).collect()
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        let ranges = slf.get().ranges();
        reduce(slf, vec![obj(slf.py(), ranges)?], &[])
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.repr(py)
    }
}

/// A node of the partition tree.
#[pyclass(module = "sleeper_pg", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Partition(pub(crate) core::Partition);

impl From<core::Partition> for Partition {
    fn from(partition: core::Partition) -> Self {
        Partition(core::Partition {
            region: normalise_region(partition.region),
            ..partition
        })
    }
}

impl Partition {
    pub(crate) fn extract(arg: Arg<'_>, value: &Bound<'_, PyAny>) -> PyResult<core::Partition> {
        Ok(model::<Partition>(arg, "Partition", value)?.get().0.clone())
    }
}

#[pymethods]
impl Partition {
    #[new]
    #[pyo3(signature = (id, region, *, is_leaf_partition=true, parent_partition_id=None,
                        child_partition_ids=Vec::new(), dimension=-1))]
    fn new(
        id: &Bound<'_, PyAny>,
        region: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = is_leaf_partition)] is_leaf_partition: bool,
        parent_partition_id: Option<&Bound<'_, PyAny>>,
        #[pyo3(from_py_with = child_partition_ids)] child_partition_ids: Vec<String>,
        #[pyo3(from_py_with = dimension)] dimension: i32,
    ) -> PyResult<Self> {
        let partition = core::Partition {
            id: convert::string("id", id)?,
            region: model::<Region>(Arg::Name("region"), "Region", region)?
                .get()
                .0
                .clone(),
            is_leaf_partition,
            parent_partition_id: convert::optional_string(
                "parent_partition_id",
                parent_partition_id,
            )?,
            child_partition_ids,
            dimension,
        };
        partition.validate().map_err(invalid)?;
        Ok(Partition(partition))
    }

    /// Unique within the table.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }

    /// The rows this partition covers.
    #[getter]
    fn region(&self) -> Region {
        Region(self.0.region.clone())
    }

    /// True while the partition has not been split.
    #[getter]
    fn is_leaf_partition(&self) -> bool {
        self.0.is_leaf_partition
    }

    /// The parent's id; None only for the root.
    #[getter]
    fn parent_partition_id(&self) -> Option<&str> {
        self.0.parent_partition_id.as_deref()
    }

    /// Empty for a leaf; `[left_id, right_id]` after a split.
    #[getter]
    fn child_partition_ids(&self) -> Vec<String> {
        self.0.child_partition_ids.clone()
    }

    /// -1 unless split; after a split, the index of the row key field that was split.
    #[getter]
    fn dimension(&self) -> i32 {
        self.0.dimension
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        let py = slf.py();
        let p = &slf.get().0;
        let kwargs = [
            ("is_leaf_partition", obj(py, p.is_leaf_partition)?),
            (
                "parent_partition_id",
                obj(py, p.parent_partition_id.as_deref())?,
            ),
            ("child_partition_ids", obj(py, &p.child_partition_ids)?),
            ("dimension", obj(py, p.dimension)?),
        ];
        reduce(
            slf,
            vec![obj(py, &p.id)?, obj(py, Region(p.region.clone()))?],
            &kwargs,
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let p = &self.0;
        Ok(format!(
            "Partition(id={}, region={}, is_leaf_partition={}, parent_partition_id={}, child_partition_ids={}, dimension={})",
            repr(py, &p.id)?,
            Region(p.region.clone()).repr(py)?,
            repr(py, p.is_leaf_partition)?,
            repr(py, p.parent_partition_id.as_deref())?,
            repr(py, &p.child_partition_ids)?,
            p.dimension,
        ))
    }
}

/// One file and all its references.
#[pyclass(module = "sleeper_pg", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct AllReferencesToAFile(pub(crate) core::AllReferencesToAFile);

impl AllReferencesToAFile {
    pub(crate) fn extract(
        arg: Arg<'_>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<core::AllReferencesToAFile> {
        Ok(
            model::<AllReferencesToAFile>(arg, "AllReferencesToAFile", value)?
                .get()
                .0
                .clone(),
        )
    }

    fn repr(&self, py: Python<'_>) -> PyResult<String> {
        let references = repr_list(&self.0.references, |r| FileReference(r.clone()).repr(py))?;
        Ok(format!(
            "AllReferencesToAFile(filename={}, references={references}, last_update_time={})",
            repr(py, &self.0.filename)?,
            repr(py, self.0.last_update_time)?,
        ))
    }
}

#[pymethods]
impl AllReferencesToAFile {
    #[new]
    #[pyo3(signature = (filename, references, last_update_time=None))]
    fn new(
        filename: &Bound<'_, PyAny>,
        references: &Bound<'_, PyAny>,
        last_update_time: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let file = core::AllReferencesToAFile {
            filename: convert::string("filename", filename)?,
            references: convert::sequence(
                "references",
                "FileReference",
                references,
                FileReference::extract,
            )?,
            last_update_time: convert::optional_time("last_update_time", last_update_time)?,
        };
        file.validate().map_err(invalid)?;
        Ok(AllReferencesToAFile(file))
    }

    /// The data file.
    #[getter]
    fn filename(&self) -> &str {
        &self.0.filename
    }

    /// The file's references, sorted by partition id when read from the store.
    #[getter]
    fn references(&self) -> Vec<FileReference> {
        self.0
            .references
            .iter()
            .cloned()
            .map(FileReference)
            .collect()
    }

    /// When the last write that touched the file ran (UTC), or None.
    #[getter]
    fn last_update_time(&self) -> Option<core::Timestamp> {
        self.0.last_update_time
    }

    /// The number of references: 0 for a file awaiting garbage collection.
    #[getter]
    fn reference_count(&self) -> usize {
        self.0.reference_count()
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        let py = slf.py();
        let f = slf.get();
        let args = vec![
            obj(py, &f.0.filename)?,
            obj(py, f.references())?,
            obj(py, f.0.last_update_time)?,
        ];
        reduce(slf, args, &[])
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.repr(py)
    }
}

/// The report of `get_all_files_with_max_unreferenced`: files sorted by filename.
#[pyclass(module = "sleeper_pg", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct AllReferencesToAllFiles(pub(crate) core::AllReferencesToAllFiles);

#[pymethods]
impl AllReferencesToAllFiles {
    #[new]
    #[pyo3(signature = (files, more_than_max=false))]
    fn new(
        files: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = more_than_max)] more_than_max: bool,
    ) -> PyResult<Self> {
        Ok(AllReferencesToAllFiles(core::AllReferencesToAllFiles {
            files: convert::sequence(
                "files",
                "AllReferencesToAFile",
                files,
                AllReferencesToAFile::extract,
            )?,
            more_than_max,
        }))
    }

    /// Every file in the report, sorted by filename.
    #[getter]
    fn files(&self) -> Vec<AllReferencesToAFile> {
        self.0
            .files
            .iter()
            .cloned()
            .map(AllReferencesToAFile)
            .collect()
    }

    /// The files with at least one reference, sorted by filename.
    #[getter]
    fn files_with_references(&self) -> Vec<AllReferencesToAFile> {
        self.0
            .files_with_references()
            .cloned()
            .map(AllReferencesToAFile)
            .collect()
    }

    /// The files with no references, sorted by filename.
    #[getter]
    fn files_with_no_references(&self) -> Vec<AllReferencesToAFile> {
        self.0
            .files_with_no_references()
            .cloned()
            .map(AllReferencesToAFile)
            .collect()
    }

    /// True iff unreferenced files were left out of the report because of the limit.
    #[getter]
    fn more_than_max(&self) -> bool {
        self.0.more_than_max
    }

    /// The references of the referenced files, by filename then partition id.
    fn list_file_references(&self) -> Vec<FileReference> {
        self.0
            .list_file_references()
            .into_iter()
            .map(FileReference)
            .collect()
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        let py = slf.py();
        let report = slf.get();
        reduce(
            slf,
            vec![obj(py, report.files())?, obj(py, report.0.more_than_max)?],
            &[],
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let files = repr_list(&self.0.files, |f| AllReferencesToAFile(f.clone()).repr(py))?;
        Ok(format!(
            "AllReferencesToAllFiles(files={files}, more_than_max={})",
            repr(py, self.0.more_than_max)?
        ))
    }
}

/// Replace a file's reference on `old_reference.partition_id` by `new_references`.
#[pyclass(module = "sleeper_pg", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct SplitFileReferenceRequest(pub(crate) core::SplitFileReferenceRequest);

impl SplitFileReferenceRequest {
    pub(crate) fn extract(
        arg: Arg<'_>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<core::SplitFileReferenceRequest> {
        Ok(
            model::<SplitFileReferenceRequest>(arg, "SplitFileReferenceRequest", value)?
                .get()
                .0
                .clone(),
        )
    }
}

#[pymethods]
impl SplitFileReferenceRequest {
    #[new]
    fn new(old_reference: &Bound<'_, PyAny>, new_references: &Bound<'_, PyAny>) -> PyResult<Self> {
        let request = core::SplitFileReferenceRequest::new(
            FileReference::extract(Arg::Name("old_reference"), old_reference)?,
            convert::sequence(
                "new_references",
                "FileReference",
                new_references,
                FileReference::extract,
            )?,
        );
        request.validate().map_err(invalid)?;
        Ok(SplitFileReferenceRequest(request))
    }

    /// The usual push-down of one reference into the two children of its partition: each new
    /// reference has half the rows (rounded down), an approximate count and data for other partitions.
    #[staticmethod]
    fn split_file_to_child_partitions(
        file: &Bound<'_, PyAny>,
        left_partition_id: &Bound<'_, PyAny>,
        right_partition_id: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let request = core::SplitFileReferenceRequest::split_file_to_child_partitions(
            &FileReference::extract(Arg::Name("file"), file)?,
            &convert::string("left_partition_id", left_partition_id)?,
            &convert::string("right_partition_id", right_partition_id)?,
        );
        request.validate().map_err(invalid)?;
        Ok(SplitFileReferenceRequest(request))
    }

    /// The reference to replace; the store reads only its filename and partition id.
    #[getter]
    fn old_reference(&self) -> FileReference {
        FileReference(self.0.old_reference.clone())
    }

    /// The references that replace it, each with the same filename.
    #[getter]
    fn new_references(&self) -> Vec<FileReference> {
        self.0
            .new_references
            .iter()
            .cloned()
            .map(FileReference)
            .collect()
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        let py = slf.py();
        let request = slf.get();
        reduce(
            slf,
            vec![
                obj(py, request.old_reference())?,
                obj(py, request.new_references())?,
            ],
            &[],
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let new_references = repr_list(&self.0.new_references, |r| {
            FileReference(r.clone()).repr(py)
        })?;
        Ok(format!(
            "SplitFileReferenceRequest(old_reference={}, new_references={new_references})",
            FileReference(self.0.old_reference.clone()).repr(py)?
        ))
    }
}

/// The commit of one compaction job: remove the references of `input_files` on `partition_id` (each
/// assigned to `job_id`) and add the output file with its one reference, `new_reference`.
#[pyclass(module = "sleeper_pg", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct ReplaceFileReferencesRequest(pub(crate) core::ReplaceFileReferencesRequest);

impl ReplaceFileReferencesRequest {
    pub(crate) fn extract(
        arg: Arg<'_>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<core::ReplaceFileReferencesRequest> {
        Ok(
            model::<ReplaceFileReferencesRequest>(arg, "ReplaceFileReferencesRequest", value)?
                .get()
                .0
                .clone(),
        )
    }
}

#[pymethods]
impl ReplaceFileReferencesRequest {
    #[new]
    fn new(
        job_id: &Bound<'_, PyAny>,
        partition_id: &Bound<'_, PyAny>,
        input_files: &Bound<'_, PyAny>,
        new_reference: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let request = core::ReplaceFileReferencesRequest::new(
            convert::string("job_id", job_id)?,
            convert::string("partition_id", partition_id)?,
            convert::strings("input_files", input_files)?,
            FileReference::extract(Arg::Name("new_reference"), new_reference)?,
        );
        request.validate().map_err(invalid)?;
        Ok(ReplaceFileReferencesRequest(request))
    }

    /// The compaction job being committed.
    #[getter]
    fn job_id(&self) -> &str {
        &self.0.job_id
    }

    /// The partition the job compacted.
    #[getter]
    fn partition_id(&self) -> &str {
        &self.0.partition_id
    }

    /// The filenames whose references on `partition_id` the job replaces.
    #[getter]
    fn input_files(&self) -> Vec<String> {
        self.0.input_files.clone()
    }

    /// The only reference of the job's output file.
    #[getter]
    fn new_reference(&self) -> FileReference {
        FileReference(self.0.new_reference.clone())
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        let py = slf.py();
        let r = &slf.get().0;
        let args = vec![
            obj(py, &r.job_id)?,
            obj(py, &r.partition_id)?,
            obj(py, &r.input_files)?,
            obj(py, FileReference(r.new_reference.clone()))?,
        ];
        reduce(slf, args, &[])
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let r = &self.0;
        Ok(format!(
            "ReplaceFileReferencesRequest(job_id={}, partition_id={}, input_files={}, new_reference={})",
            repr(py, &r.job_id)?,
            repr(py, &r.partition_id)?,
            repr(py, &r.input_files)?,
            FileReference(r.new_reference.clone()).repr(py)?
        ))
    }
}

/// Assign `job_id` to the reference of each named file on `partition_id`.
#[pyclass(module = "sleeper_pg", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct AssignJobIdRequest(pub(crate) core::AssignJobIdRequest);

impl AssignJobIdRequest {
    pub(crate) fn extract(
        arg: Arg<'_>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<core::AssignJobIdRequest> {
        Ok(
            model::<AssignJobIdRequest>(arg, "AssignJobIdRequest", value)?
                .get()
                .0
                .clone(),
        )
    }
}

#[pymethods]
impl AssignJobIdRequest {
    #[new]
    fn new(
        job_id: &Bound<'_, PyAny>,
        partition_id: &Bound<'_, PyAny>,
        filenames: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let request = core::AssignJobIdRequest::new(
            convert::string("job_id", job_id)?,
            convert::string("partition_id", partition_id)?,
            convert::strings("filenames", filenames)?,
        );
        request.validate().map_err(invalid)?;
        Ok(AssignJobIdRequest(request))
    }

    /// The job to assign.
    #[getter]
    fn job_id(&self) -> &str {
        &self.0.job_id
    }

    /// The partition of the references to assign.
    #[getter]
    fn partition_id(&self) -> &str {
        &self.0.partition_id
    }

    /// The files whose references on `partition_id` get the job.
    #[getter]
    fn filenames(&self) -> Vec<String> {
        self.0.filenames.clone()
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        let py = slf.py();
        let r = &slf.get().0;
        reduce(
            slf,
            vec![
                obj(py, &r.job_id)?,
                obj(py, &r.partition_id)?,
                obj(py, &r.filenames)?,
            ],
            &[],
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let r = &self.0;
        Ok(format!(
            "AssignJobIdRequest(job_id={}, partition_id={}, filenames={})",
            repr(py, &r.job_id)?,
            repr(py, &r.partition_id)?,
            repr(py, &r.filenames)?
        ))
    }
}

/// Whether `job_id` is assigned to the reference of each named file on `partition_id`: one question
/// of `StateStore.is_assigned` (Sleeper's `CheckFileAssignmentsRequest`).
#[pyclass(module = "sleeper_pg", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct CheckFileAssignmentsRequest(pub(crate) core::CheckFileAssignmentsRequest);

impl CheckFileAssignmentsRequest {
    pub(crate) fn extract(
        arg: Arg<'_>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<core::CheckFileAssignmentsRequest> {
        Ok(
            model::<CheckFileAssignmentsRequest>(arg, "CheckFileAssignmentsRequest", value)?
                .get()
                .0
                .clone(),
        )
    }
}

#[pymethods]
impl CheckFileAssignmentsRequest {
    #[new]
    fn new(
        job_id: &Bound<'_, PyAny>,
        filenames: &Bound<'_, PyAny>,
        partition_id: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let request = core::CheckFileAssignmentsRequest::new(
            convert::string("job_id", job_id)?,
            convert::strings("filenames", filenames)?,
            convert::string("partition_id", partition_id)?,
        );
        request.validate().map_err(invalid)?;
        Ok(CheckFileAssignmentsRequest(request))
    }

    /// The job the references should have.
    #[getter]
    fn job_id(&self) -> &str {
        &self.0.job_id
    }

    /// The files whose references on `partition_id` are checked, in order.
    #[getter]
    fn filenames(&self) -> Vec<String> {
        self.0.filenames.clone()
    }

    /// The partition of the references.
    #[getter]
    fn partition_id(&self) -> &str {
        &self.0.partition_id
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Reduced<'py>> {
        let py = slf.py();
        let r = &slf.get().0;
        reduce(
            slf,
            vec![
                obj(py, &r.job_id)?,
                obj(py, &r.filenames)?,
                obj(py, &r.partition_id)?,
            ],
            &[],
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let r = &self.0;
        Ok(format!(
            "CheckFileAssignmentsRequest(job_id={}, filenames={}, partition_id={})",
            repr(py, &r.job_id)?,
            repr(py, &r.filenames)?,
            repr(py, &r.partition_id)?
        ))
    }
}

/// Sleeper's initial partition tree from sorted split points on the first row key field.
///
/// `row_keys` is `[(name, type), ...]`; no split points give the single root partition `"root"`.
/// The result is only built here: pass it to `StateStore.initialise`.
#[pyfunction]
pub(crate) fn partitions_from_split_points(
    py: Python<'_>,
    row_keys: &Bound<'_, PyAny>,
    split_points: &Bound<'_, PyAny>,
) -> PyResult<Vec<Partition>> {
    let row_keys = convert::row_keys("row_keys", row_keys)?;
    let split_points = convert::sequence(
        "split_points",
        "int, str or bytes",
        split_points,
        |arg, item| convert::key_value(arg, item),
    )?;
    let partitions = py
        .detach(|| core::partitions_from_split_points(&row_keys, &split_points))
        .map_err(|e| crate::errors::to_py_err(py, e))?;
    Ok(partitions.into_iter().map(Partition::from).collect())
}
