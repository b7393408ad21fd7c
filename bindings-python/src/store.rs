//! `Client`, `StateStore` and `LocalPostgres`: each method converts its arguments, makes one call
//! into the core through `call`, and converts the result.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::sync::{Mutex, MutexGuard, OnceLock};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sleeper_pg as core;

use crate::arrow::{self, ArrowStream};
use crate::call::call;
use crate::convert::{self, Arg};
use crate::errors::to_py_err;
use crate::feed::Change;
use crate::model::{AllReferencesToAllFiles, FileReference, Partition};
use crate::status::TableStatus;
use crate::transaction::{TransactionLogReplay, TransactionOutcome};

/// Connects to PostgreSQL; called by `sleeper_pg.connect`, which documents the options and passes
/// only those the caller set: every other keeps the core's default (`ClientOptions::default()`).
/// Here each value is only converted to its Rust type; the core checks it.
#[pyfunction]
#[pyo3(signature = (url, **given))]
pub(crate) fn _connect(
    py: Python<'_>,
    url: Option<&Bound<'_, PyAny>>,
    given: Option<&Bound<'_, PyDict>>,
) -> PyResult<Client> {
    let url = convert::optional_string("url", url)?;
    let mut options = core::ClientOptions::default().with(|o| o.url = url);
    for (name, value) in given.into_iter().flat_map(|given| given.iter()) {
        set_option(&mut options, &convert::string("option", &name)?, &value)?;
    }
    let description = match &options.url {
        Some(url) => format!("url={}, ", core::redact_url(url).into_pyobject(py)?.repr()?),
        None => String::new(),
    };
    let description = format!(
        "Client({description}schema={})",
        options.schema.as_str().into_pyobject(py)?.repr()?
    );
    let client = call(py, || core::Client::connect_with(options))?;
    Ok(Client {
        client,
        description,
    })
}

/// Sets the option `name` of `sleeper_pg.connect` from its Python value.
fn set_option(
    options: &mut core::ClientOptions,
    name: &str,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let count = |value| {
        let count = convert::integer(name, value, 0, i64::from(u32::MAX))?;
        Ok::<_, PyErr>(u32::try_from(count).unwrap_or(u32::MAX))
    };
    match name {
        "max_connections" => options.max_connections = count(value)?,
        "migrate" => options.migrate = convert::boolean(name, value)?,
        "schema" => options.schema = convert::string(name, value)?,
        "connect_timeout" => options.connect_timeout = convert::seconds(name, value)?,
        "acquire_timeout" => options.acquire_timeout = convert::seconds(name, value)?,
        "server_wait_timeout" => options.server_wait_timeout = convert::seconds(name, value)?,
        "statement_timeout" => {
            options.statement_timeout = convert::optional_seconds(name, Some(value))?
        }
        "idle_timeout" => options.idle_timeout = convert::optional_seconds(name, Some(value))?,
        "attempt_timeout" => {
            options.attempt_timeout = convert::optional_seconds(name, Some(value))?
        }
        "call_timeout" => options.call_timeout = convert::optional_seconds(name, Some(value))?,
        "statement_cache" => options.statement_cache = convert::boolean(name, value)?,
        "retry_max_attempts" => options.retry.max_attempts = count(value)?,
        "retry_initial_backoff" => options.retry.initial_backoff = convert::seconds(name, value)?,
        "retry_max_backoff" => options.retry.max_backoff = convert::seconds(name, value)?,
        "replica_urls" => options.replica_urls = convert::strings(name, value)?,
        "replica_wait" => options.replica_wait = convert::seconds(name, value)?,
        "change_feed" => options.change_feed = convert::boolean(name, value)?,
        _ => {
            return Err(PyTypeError::new_err(format!(
                "connect() got an unexpected keyword argument '{name}'"
            )))
        }
    }
    Ok(())
}

/// A pool of connections to one PostgreSQL database holding any number of Sleeper tables.
///
/// Made by `sleeper_pg.connect`. Safe to share between threads; every call releases the GIL. Use it
/// as a context manager, or call `close()`, to close its connections. A client belongs to the process
/// that made it: after `os.fork()` the child must connect again.
#[pyclass(module = "sleeper_pg", frozen)]
pub(crate) struct Client {
    client: core::Client,
    /// The redacted URL and the schema, for `repr`.
    description: String,
}

#[pymethods]
impl Client {
    /// Creates a table with the given row key fields, `[(name, type), ...]` with type one of
    /// `"int"`, `"long"`, `"string"`, `"bytes"`, and returns a handle on it. The table has no
    /// partitions: call `initialise()` before use.
    fn create_table(
        &self,
        py: Python<'_>,
        table_id: &Bound<'_, PyAny>,
        row_keys: &Bound<'_, PyAny>,
    ) -> PyResult<StateStore> {
        let table_id = convert::string("table_id", table_id)?;
        let row_keys = convert::row_keys("row_keys", row_keys)?;
        let store = call(py, || self.client.create_table(&table_id, &row_keys))?;
        Ok(StateStore::new(store))
    }

    /// A new handle on an existing table, with the database clock.
    fn table(&self, py: Python<'_>, table_id: &Bound<'_, PyAny>) -> PyResult<StateStore> {
        let table_id = convert::string("table_id", table_id)?;
        let store = call(py, || self.client.table(&table_id))?;
        Ok(StateStore::new(store))
    }

    /// The ids of all tables, sorted by code point.
    fn list_tables(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        call(py, || self.client.list_tables())
    }

    /// Removes a table with its partitions and files. Handles on it raise
    /// `TableNotFoundException` from then on.
    fn delete_table(&self, py: Python<'_>, table_id: &Bound<'_, PyAny>) -> PyResult<()> {
        let table_id = convert::string("table_id", table_id)?;
        call(py, || self.client.delete_table(&table_id))
    }

    /// What this client's calls did since it connected, as the `ClientStats` typed dict of
    /// `sleeper_pg`: per operation called, the calls, failures by exception name, retries, and a
    /// latency histogram in float seconds (cumulative buckets, sum, p50 and p99 estimates).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let json = serde_json::to_string(&self.client.stats())
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
        py.import("json")?.call_method1("loads", (json,))
    }

    /// Closes every connection; calls afterwards raise `StateStoreConnectionException`. In a child
    /// process forked after the client was made it does nothing, as the connections are the parent's.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        call(py, || async {
            self.client.close().await;
            Ok(())
        })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_info: &Bound<'_, pyo3::types::PyTuple>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        self.description.clone()
    }
}

/// A handle on one Sleeper table: every method of Sleeper's state store, each one PostgreSQL
/// transaction. Made by `Client.create_table` or `Client.table`. Safe to share between threads; every
/// call releases the GIL. Times are timezone-aware `datetime` in UTC.
#[pyclass(module = "sleeper_pg", frozen)]
pub(crate) struct StateStore {
    store: core::StateStore,
}

impl StateStore {
    fn new(store: core::StateStore) -> Self {
        StateStore { store }
    }
}

fn file_references(references: Vec<core::FileReference>) -> Vec<FileReference> {
    references.into_iter().map(FileReference).collect()
}

fn partitions(partitions: Vec<core::Partition>) -> Vec<Partition> {
    partitions.into_iter().map(Partition::from).collect()
}

#[pymethods]
impl StateStore {
    /// The id of the table this handle is bound to.
    #[getter]
    fn table_id(&self) -> &str {
        self.store.table_id()
    }

    /// The table's row key fields, `[(name, type), ...]` in dimension order.
    #[getter]
    fn row_keys<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        convert::row_keys_to_py(py, self.store.row_keys())
    }

    /// Replaces every partition: with the single root partition covering all keys when `partitions`
    /// is None, else with exactly the given partitions once they are checked to form a valid tree.
    /// Raises `InitialiseWithFilesPresentException` while the table has any file.
    #[pyo3(signature = (partitions=None))]
    fn initialise(&self, py: Python<'_>, partitions: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        match partitions {
            Some(partitions) if !partitions.is_none() => {
                let partitions = convert::arg::<Vec<core::Partition>>("partitions", partitions)?;
                call(py, || self.store.initialise_with_partitions(&partitions))
            }
            _ => call(py, || self.store.initialise()),
        }
    }

    /// Every partition, sorted by id.
    fn get_all_partitions(&self, py: Python<'_>) -> PyResult<Vec<Partition>> {
        call(py, || self.store.get_all_partitions()).map(partitions)
    }

    /// The leaf partitions, sorted by id.
    fn get_leaf_partitions(&self, py: Python<'_>) -> PyResult<Vec<Partition>> {
        call(py, || self.store.get_leaf_partitions()).map(partitions)
    }

    /// The partition with this id; `PartitionNotFoundException` if there is none.
    fn get_partition(
        &self,
        py: Python<'_>,
        partition_id: &Bound<'_, PyAny>,
    ) -> PyResult<Partition> {
        let partition_id = convert::string("partition_id", partition_id)?;
        call(py, || self.store.get_partition(&partition_id)).map(Partition::from)
    }

    /// Splits a leaf: stores `split_partition` (the leaf, now with its two children) and the two new
    /// partitions, after checking that they describe a valid split.
    fn atomically_update_partition_and_create_new_ones(
        &self,
        py: Python<'_>,
        split_partition: &Bound<'_, PyAny>,
        new_partition_1: &Bound<'_, PyAny>,
        new_partition_2: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let split = convert::arg::<core::Partition>("split_partition", split_partition)?;
        let first = convert::arg::<core::Partition>("new_partition_1", new_partition_1)?;
        let second = convert::arg::<core::Partition>("new_partition_2", new_partition_2)?;
        call(py, || {
            self.store
                .atomically_update_partition_and_create_new_ones(&split, &first, &second)
        })
    }

    /// Sleeper's `SplitPartitionTransaction`: stores `parent` (the leaf, now split) and its new
    /// children, which must be two. A list of another length raises a plain `StateStoreException`
    /// "Failed to validate partition split: ..." whose `__cause__` is a `ValueError` with the reason.
    fn split_partition(
        &self,
        py: Python<'_>,
        parent: &Bound<'_, PyAny>,
        new_children: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let parent = convert::arg::<core::Partition>("parent", parent)?;
        let new_children = convert::arg::<Vec<core::Partition>>("new_children", new_children)?;
        call(py, || self.store.split_partition(&parent, &new_children))
    }

    /// Sleeper's `ExtendPartitionTreeTransaction`: splits the stored leaves `update_partitions` (as
    /// given, now split) and adds `new_partitions`, any number of levels at once. Nothing changes
    /// unless the whole resulting tree is valid: else a plain `StateStoreException`, whose
    /// `__cause__` is a `ValueError` with the reason when the tree itself is invalid.
    fn extend_partition_tree(
        &self,
        py: Python<'_>,
        update_partitions: &Bound<'_, PyAny>,
        new_partitions: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let update_partitions =
            convert::arg::<Vec<core::Partition>>("update_partitions", update_partitions)?;
        let new_partitions =
            convert::arg::<Vec<core::Partition>>("new_partitions", new_partitions)?;
        call(py, || {
            self.store
                .extend_partition_tree(&update_partitions, &new_partitions)
        })
    }

    /// Removes every partition; files stay. The table needs `initialise` again.
    fn clear_partition_data(&self, py: Python<'_>) -> PyResult<()> {
        call(py, || self.store.clear_partition_data())
    }

    /// Makes later partition writes through this handle use `time` as now; None restores the
    /// database clock. Partitions carry no time, so nothing shows it yet.
    #[pyo3(signature = (time))]
    fn fix_partition_update_time(
        &self,
        py: Python<'_>,
        time: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.store
            .fix_partition_update_time(convert::optional_time("time", time)?)
            .map_err(|error| to_py_err(py, error))
    }

    /// Adds one new file with one reference: exactly `add_files([reference])`.
    fn add_file(&self, py: Python<'_>, reference: &Bound<'_, PyAny>) -> PyResult<()> {
        let reference = convert::arg::<core::FileReference>("reference", reference)?;
        call(py, || self.store.add_file(&reference))
    }

    /// Adds new files from their references, grouped by filename. A filename that already exists
    /// raises `FileAlreadyExistsException`.
    fn add_files(&self, py: Python<'_>, references: &Bound<'_, PyAny>) -> PyResult<()> {
        let references = convert::arg::<Vec<core::FileReference>>("references", references)?;
        call(py, || self.store.add_files(&references))
    }

    /// Adds new files, each with zero or more references.
    fn add_files_with_references(&self, py: Python<'_>, files: &Bound<'_, PyAny>) -> PyResult<()> {
        let files = convert::arg::<Vec<core::AllReferencesToAFile>>("files", files)?;
        call(py, || self.store.add_files_with_references(&files))
    }

    /// Replaces file references by others (usually pushing them down to child partitions). Any
    /// failure raises `SplitRequestsFailedException` and applies nothing.
    fn split_file_references(&self, py: Python<'_>, requests: &Bound<'_, PyAny>) -> PyResult<()> {
        let requests = convert::arg::<Vec<core::SplitFileReferenceRequest>>("requests", requests)?;
        call(py, || self.store.split_file_references(&requests))
    }

    /// Commits compaction jobs. Any failure raises `ReplaceRequestsFailedException` and applies
    /// nothing.
    fn atomically_replace_file_references_with_new_ones(
        &self,
        py: Python<'_>,
        requests: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let requests =
            convert::arg::<Vec<core::ReplaceFileReferencesRequest>>("requests", requests)?;
        call(py, || {
            self.store
                .atomically_replace_file_references_with_new_ones(&requests)
        })
    }

    /// Assigns compaction jobs to file references, none of which may have a job yet.
    fn assign_job_ids(&self, py: Python<'_>, requests: &Bound<'_, PyAny>) -> PyResult<()> {
        let requests = convert::arg::<Vec<core::AssignJobIdRequest>>("requests", requests)?;
        call(py, || self.store.assign_job_ids(&requests))
    }

    /// Removes the records of garbage-collected files, which must have no references left.
    fn delete_garbage_collected_file_reference_counts(
        &self,
        py: Python<'_>,
        filenames: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let filenames = convert::strings("filenames", filenames)?;
        call(py, || {
            self.store
                .delete_garbage_collected_file_reference_counts(&filenames)
        })
    }

    /// Every file reference, by filename then partition id.
    fn get_file_references(&self, py: Python<'_>) -> PyResult<Vec<FileReference>> {
        call(py, || self.store.get_file_references()).map(file_references)
    }

    /// The file references with no job, by filename then partition id.
    fn get_file_references_with_no_job_id(&self, py: Python<'_>) -> PyResult<Vec<FileReference>> {
        call(py, || self.store.get_file_references_with_no_job_id()).map(file_references)
    }

    /// The files with no references whose last update was strictly before `max_update_time`, in
    /// filename order. Any timezone-aware datetime is a valid cutoff, up to `datetime.max`.
    fn get_ready_for_gc_filenames_before(
        &self,
        py: Python<'_>,
        max_update_time: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<String>> {
        let cutoff = convert::instant("max_update_time", max_update_time)?;
        call(py, || self.store.get_ready_for_gc_filenames_before(cutoff))
    }

    /// Partition id to the filenames referenced on it, for partitions with at least one reference.
    fn get_partition_to_referenced_files_map(
        &self,
        py: Python<'_>,
    ) -> PyResult<BTreeMap<String, Vec<String>>> {
        call(py, || self.store.get_partition_to_referenced_files_map())
    }

    /// The live references on the partitions named, by partition id then filename;
    /// `PartitionNotFoundException` for a partition that does not exist.
    fn get_file_references_on_partitions(
        &self,
        py: Python<'_>,
        partition_ids: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<FileReference>> {
        let partition_ids = convert::strings("partition_ids", partition_ids)?;
        call(py, || {
            self.store.get_file_references_on_partitions(&partition_ids)
        })
        .map(file_references)
    }

    /// Partition id to the filenames referenced on it, for the partitions named that have references.
    fn get_partition_to_referenced_files_map_on_partitions(
        &self,
        py: Python<'_>,
        partition_ids: &Bound<'_, PyAny>,
    ) -> PyResult<BTreeMap<String, Vec<String>>> {
        let partition_ids = convert::strings("partition_ids", partition_ids)?;
        call(py, || {
            self.store
                .get_partition_to_referenced_files_map_on_partitions(&partition_ids)
        })
    }

    /// Every partition, leaf or not, overlapping `region` (both ends of its ranges included), by id.
    fn get_partitions_in_region(
        &self,
        py: Python<'_>,
        region: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Partition>> {
        let region = convert::arg::<core::Region>("region", region)?;
        call(py, || self.store.get_partitions_in_region(&region)).map(partitions)
    }

    /// Partition id to filenames for the partitions overlapping `region` that have references: the
    /// leaves a query reads and their ancestors.
    fn get_partition_to_referenced_files_map_in_region(
        &self,
        py: Python<'_>,
        region: &Bound<'_, PyAny>,
    ) -> PyResult<BTreeMap<String, Vec<String>>> {
        let region = convert::arg::<core::Region>("region", region)?;
        call(py, || {
            self.store
                .get_partition_to_referenced_files_map_in_region(&region)
        })
    }

    /// The live references of the table, or of the partitions named, or of those overlapping a
    /// region, as Arrow record batches (see `ArrowStream`).
    #[pyo3(signature = (*, partition_ids=None, region=None))]
    fn get_file_references_arrow(
        &self,
        py: Python<'_>,
        partition_ids: Option<&Bound<'_, PyAny>>,
        region: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ArrowStream> {
        let scope = arrow::read_scope(partition_ids, region)?;
        call(py, || self.store.get_file_references_arrow(&scope)).map(ArrowStream::from)
    }

    /// The partitions of the table, or those named, or those overlapping a region, as Arrow record
    /// batches (see `ArrowStream`).
    #[pyo3(signature = (*, partition_ids=None, region=None))]
    fn get_partitions_arrow(
        &self,
        py: Python<'_>,
        partition_ids: Option<&Bound<'_, PyAny>>,
        region: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ArrowStream> {
        let scope = arrow::read_scope(partition_ids, region)?;
        call(py, || self.store.get_partitions_arrow(&scope)).map(ArrowStream::from)
    }

    /// Every referenced file, plus at most `max_unreferenced_files` unreferenced ones.
    fn get_all_files_with_max_unreferenced(
        &self,
        py: Python<'_>,
        max_unreferenced_files: &Bound<'_, PyAny>,
    ) -> PyResult<AllReferencesToAllFiles> {
        let max = convert::integer(
            "max_unreferenced_files",
            max_unreferenced_files,
            0,
            i64::from(i32::MAX),
        )?;
        let max = max.unsigned_abs();
        call(py, || self.store.get_all_files_with_max_unreferenced(max))
            .map(AllReferencesToAllFiles)
    }

    /// True iff every named file's reference on the partition has `job_id`. Raises
    /// `FileReferenceNotFoundException` for a missing reference and
    /// `FileReferenceAssignedToJobException` for one with another job.
    fn is_partition_files_assigned_to_job(
        &self,
        py: Python<'_>,
        partition_id: &Bound<'_, PyAny>,
        filenames: &Bound<'_, PyAny>,
        job_id: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let partition_id = convert::string("partition_id", partition_id)?;
        let filenames = convert::strings("filenames", filenames)?;
        let job_id = convert::string("job_id", job_id)?;
        call(py, || {
            self.store
                .is_partition_files_assigned_to_job(&partition_id, &filenames, &job_id)
        })
    }

    /// Sleeper's `isAssigned`: true iff every named reference of every request has the request's
    /// job (true for no requests). Walking the requests and their filenames in order, a missing
    /// reference raises `FileReferenceNotFoundException` and one with another job
    /// `FileReferenceAssignedToJobException`; one with no job makes the answer False.
    fn is_assigned(&self, py: Python<'_>, requests: &Bound<'_, PyAny>) -> PyResult<bool> {
        let requests =
            convert::arg::<Vec<core::CheckFileAssignmentsRequest>>("requests", requests)?;
        call(py, || self.store.is_assigned(&requests))
    }

    /// True iff the table has no file at all; files awaiting garbage collection count.
    fn has_no_files(&self, py: Python<'_>) -> PyResult<bool> {
        call(py, || self.store.has_no_files())
    }

    /// The table's counts in one snapshot (`TableStatus`).
    fn status(&self, py: Python<'_>) -> PyResult<TableStatus> {
        call(py, || self.store.status()).map(TableStatus::from)
    }

    /// The entries of the table's change feed numbered after `after`, in order, at most `limit`
    /// (`Change`): every write whose transaction, and every transaction that began before it, has
    /// ended.
    #[pyo3(signature = (after = None, limit = None))]
    fn read_changes(
        &self,
        py: Python<'_>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Change>> {
        let (after, limit) = feed_position(after, limit)?;
        call(py, || self.store.read_changes(after, limit))
            .map(|changes| changes.into_iter().map(Change::from).collect())
    }

    /// `read_changes`, waiting up to `timeout` seconds for an entry after `after` if there is none
    /// yet: woken by the client that wrote it, or finding it by looking again every second. Empty if
    /// none came in time. Ctrl-C interrupts the wait.
    #[pyo3(signature = (after, limit = None, *, timeout))]
    fn wait_for_changes(
        &self,
        py: Python<'_>,
        after: &Bound<'_, PyAny>,
        limit: Option<&Bound<'_, PyAny>>,
        timeout: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Change>> {
        let (after, limit) = feed_position(Some(after), limit)?;
        let timeout = convert::seconds("timeout", timeout)?;
        call(py, || self.store.wait_for_changes(after, limit, timeout))
            .map(|changes| changes.into_iter().map(Change::from).collect())
    }

    /// Deletes the entries of the table's feed numbered up to `sequence`, which must have been
    /// given by a read (else `ValueError`, as an entry after it may not be numbered yet); returns how
    /// many it deleted.
    fn delete_changes_through(&self, py: Python<'_>, sequence: &Bound<'_, PyAny>) -> PyResult<u64> {
        let sequence = convert::integer("sequence", sequence, 0, i64::MAX)?.unsigned_abs();
        call(py, || self.store.delete_changes_through(sequence))
    }

    /// Removes every file and reference; partitions stay.
    fn clear_file_data(&self, py: Python<'_>) -> PyResult<()> {
        call(py, || self.store.clear_file_data())
    }

    /// Makes later file writes through this handle use `time` as now; None restores the database
    /// clock.
    #[pyo3(signature = (time))]
    fn fix_file_update_time(
        &self,
        py: Python<'_>,
        time: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.store
            .fix_file_update_time(convert::optional_time("time", time)?)
            .map_err(|error| to_py_err(py, error))
    }

    /// Removes every file and partition; the table stays and needs `initialise` again.
    fn clear_sleeper_table(&self, py: Python<'_>) -> PyResult<()> {
        call(py, || self.store.clear_sleeper_table())
    }

    /// Applies one Sleeper transaction, given as its type's name (`"ADD_FILES"`, ...) and the JSON
    /// Sleeper's `TransactionSerDe` writes for it, in one database transaction. Synchronous mode is
    /// Sleeper's `synchronousCommit`: any invalid part raises and nothing is applied. Asynchronous
    /// mode (the default) is Sleeper's state store committer: a compaction job that is no longer
    /// valid is skipped and the others apply; an ingest whose files cannot be added is skipped
    /// whole; the skipped parts are the outcome's `failures`. An unknown type or malformed JSON
    /// raises `ValueError`.
    #[pyo3(signature = (transaction_type, transaction_json, *, synchronous=false))]
    fn apply_transaction(
        &self,
        py: Python<'_>,
        transaction_type: &Bound<'_, PyAny>,
        transaction_json: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = synchronous)] synchronous: bool,
    ) -> PyResult<TransactionOutcome> {
        let transaction_type = convert::string("transaction_type", transaction_type)?;
        let json = convert::text_or_bytes("transaction_json", transaction_json)?;
        let mode = if synchronous {
            core::CommitMode::Synchronous
        } else {
            core::CommitMode::Asynchronous
        };
        let outcome = call(py, || async {
            let transaction = core::Transaction::from_json(
                transaction_type.parse()?,
                &json,
                self.store.row_keys(),
            )?;
            self.store.apply_transaction(&transaction, mode).await
        })?;
        Ok(TransactionOutcome::new(py, outcome))
    }

    /// Replays a table's transaction log: a file of JSON lines, one entry each (`transactionType`,
    /// `transaction`, and optionally `transactionNumber` and `updateTime`), applied in order, each
    /// in its own database transaction and in asynchronous mode, with the entry's `updateTime` as
    /// its clock. The first entry that fails raises, leaving the entries before it applied.
    ///
    /// `progress(entries_applied, bytes_read)` is called after each entry. If it raises, the replay
    /// stops there (the entries it was told of stay applied) and its exception propagates. It must
    /// not call the store: it runs inside this call, so a store call from it raises
    /// `StateStoreException`.
    #[pyo3(signature = (path, *, progress=None))]
    fn apply_transaction_log(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<TransactionLogReplay> {
        let path = convert::path("path", path)?;
        let progress = convert::optional_callable("progress", progress)?;
        let file = py
            .detach(|| std::fs::File::open(&path))
            .map_err(|error| convert::os_error(py, &error, &path))?;
        let raised = OnceLock::new();
        let lines = UntilRaised {
            lines: BufReader::new(file),
            raised: &raised,
        };
        let report = |at: core::LogProgress| {
            let Some(progress) = &progress else { return };
            if let Err(error) = Python::attach(|py| progress.call1(py, (at.entries, at.bytes))) {
                let _ = raised.set(error);
            }
        };
        let replay = call(py, || self.store.apply_transaction_log(lines, report));
        if let Some(error) = raised.into_inner() {
            return Err(error);
        }
        Ok(TransactionLogReplay::new(py, replay?))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "StateStore(table_id={})",
            self.store.table_id().into_pyobject(py)?.repr()?
        ))
    }
}

fn synchronous(value: &Bound<'_, PyAny>) -> PyResult<bool> {
    convert::boolean("synchronous", value)
}

/// The lines of a transaction log, ending (as if at the end of the file) once the progress callback
/// has raised: the core's replay then stops after the entry the callback was told of.
struct UntilRaised<'a, R> {
    lines: R,
    raised: &'a OnceLock<PyErr>,
}

impl<R: Read> Read for UntilRaised<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.raised.get().is_some() {
            return Ok(0);
        }
        self.lines.read(buf)
    }
}

impl<R: BufRead> BufRead for UntilRaised<'_, R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.raised.get().is_some() {
            return Ok(&[]);
        }
        self.lines.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.lines.consume(amount);
    }
}

/// A throwaway PostgreSQL cluster: a new, empty cluster of its own in a temporary directory, on a
/// free port, from the system's PostgreSQL server packages. Stopped and removed by `close()` or at
/// the end of a `with` block.
///
/// `durable=True` keeps PostgreSQL's crash-safe settings (the default turns fsync off, for tests);
/// `settings` are further server settings, `{"name": "value"}`. An option left as None keeps the
/// core's default.
#[pyclass(module = "sleeper_pg", frozen)]
pub(crate) struct LocalPostgres {
    cluster: Mutex<Option<core::LocalPostgres>>,
    url: String,
}

impl LocalPostgres {
    fn cluster(&self) -> MutexGuard<'_, Option<core::LocalPostgres>> {
        self.cluster
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[pymethods]
impl LocalPostgres {
    #[new]
    #[pyo3(signature = (*, durable=None, settings=None))]
    fn new(
        py: Python<'_>,
        durable: Option<&Bound<'_, PyAny>>,
        settings: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut options = core::LocalPostgresOptions::default();
        if let Some(durable) = durable {
            options.durable = convert::boolean("durable", durable)?;
        }
        if let Some(settings) = settings {
            options.settings = settings_pairs(settings)?;
        }
        let cluster = py
            .detach(|| core::LocalPostgres::start_with(&options))
            .map_err(|e| to_py_err(py, e))?;
        Ok(LocalPostgres {
            url: cluster.url(),
            cluster: Mutex::new(Some(cluster)),
        })
    }

    /// The cluster's connection URL (superuser `postgres`, database `postgres`).
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// Starts a hot standby of this cluster that streams its changes, as a cluster of its own (its
    /// own `url`, closed on its own).
    fn start_replica(&self, py: Python<'_>) -> PyResult<LocalPostgres> {
        let cluster = self.cluster();
        let primary = cluster
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("the cluster is closed"))?;
        let replica = py
            .detach(|| primary.start_replica())
            .map_err(|e| to_py_err(py, e))?;
        Ok(LocalPostgres {
            url: replica.url(),
            cluster: Mutex::new(Some(replica)),
        })
    }

    /// Stops the server and removes its directory. Does nothing when already closed, or in a child
    /// process forked after the cluster started.
    fn close(&self, py: Python<'_>) {
        let cluster = self.cluster().take();
        py.detach(move || drop(cluster));
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let state = if self.cluster().is_some() {
            ""
        } else {
            ", closed"
        };
        Ok(format!(
            "LocalPostgres(url={}{state})",
            self.url.as_str().into_pyobject(py)?.repr()?
        ))
    }
}

fn settings_pairs(settings: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let mapping = settings
        .cast::<pyo3::types::PyMapping>()
        .map_err(|_| convert::type_error("settings", "a mapping of str to str", settings))?;
    let mut pairs = Vec::new();
    for item in mapping.items()?.try_iter()? {
        let (name, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        let name = convert::string("settings key", &name)?;
        let value = convert::string(Arg::Name(&name), &value)?;
        if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
            return Err(PyValueError::new_err(format!(
                "settings: invalid server setting {name:?}"
            )));
        }
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// The entries asked for by `read_changes` and `wait_for_changes`: after `after` (0 when not given,
/// for the whole feed), at most `limit` (1000 when not given).
fn feed_position(
    after: Option<&Bound<'_, PyAny>>,
    limit: Option<&Bound<'_, PyAny>>,
) -> PyResult<(u64, u32)> {
    let after = match after {
        Some(after) => convert::integer("after", after, 0, i64::MAX)?.unsigned_abs(),
        None => 0,
    };
    let limit = match limit {
        Some(limit) => convert::integer("limit", limit, 0, i64::from(u32::MAX))?,
        None => DEFAULT_CHANGES_LIMIT,
    };
    Ok((after, u32::try_from(limit).unwrap_or(u32::MAX)))
}

/// How many entries `read_changes` and `wait_for_changes` give at most when not told.
const DEFAULT_CHANGES_LIMIT: i64 = 1000;
