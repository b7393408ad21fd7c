//! Java bindings: the native methods of `sleeper.statestore.postgres.internal.Native`.
//!
//! The methods are one table ([`natives!`]): each line is the Java name, the arguments after the class
//! and a body that decodes the arguments Java encoded in one `byte[]` ([`wire`]), makes one call into
//! the core's blocking facade and encodes the answer. Every body runs through [`trampoline::call`],
//! which turns errors into Java exceptions and stops panics at the border. Handles are `Box` addresses
//! that the Java class `NativeHandle` frees once, after the last call using them has returned.
//!
//! The feature `testing` adds the entry points only Java's tests call ([`testing`]).

/// The fuzz target of the wire format (`fuzz/`); not API.
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod trampoline;
mod wire;

#[cfg(feature = "testing")]
mod testing;

use std::fs::File;
use std::future::Future;
use std::io::BufReader;
use std::time::Duration;

use jni::objects::JByteArray;
use jni::sys::{jboolean, jbyteArray, jint, jlong};
use jni::JNIEnv;
use sleeper_pg::arrow_array::ffi_stream::FFI_ArrowArrayStream;
use sleeper_pg::{
    block_on, partitions_from_split_points, validate, ArrowBatches, Client, CommitMode, Error,
    LocalPostgres, ReadScope, Result, SplitFileReferenceRequest, StateStore, Transaction,
    TransactionType,
};

use trampoline::{borrow_handle, free_handle, into_handle, java_bytes, Outcome};
use wire::{Reader, Writer};

/// A table of native methods of one Java class in `sleeper.statestore.postgres.internal`: each entry
/// `fn javaName(arguments after the class) -> return type = |env| body;` becomes the exported
/// `Java_sleeper_statestore_postgres_internal_<Class>_javaName`, its body run through
/// [`trampoline::call`].
macro_rules! natives {
    ($class:literal; $(
        $(#[$attr:meta])*
        fn $name:ident($($arg:ident: $type:ty),*) $(-> $ret:ty)? = $body:expr;
    )*) => {$(
        $(#[$attr])*
        #[allow(non_snake_case)]
        #[export_name = concat!(
            "Java_sleeper_statestore_postgres_internal_", $class, "_", stringify!($name)
        )]
        pub extern "system" fn $name<'l>(
            mut env: ::jni::JNIEnv<'l>,
            _class: ::jni::objects::JClass<'l>,
            $($arg: $type),*
        ) $(-> $ret)? {
            $crate::trampoline::call(&mut env, $body)
        }
    )*};
}
#[cfg(feature = "testing")]
pub(crate) use natives;

/// Runs a store call on the core's blocking facade. The future is boxed so that its state lives on the
/// heap: a Java thread may have a small stack, and overflowing it would bring down the JVM.
fn run<T>(future: impl Future<Output = sleeper_pg::Result<T>>) -> sleeper_pg::Result<T> {
    block_on(Box::pin(future))
}

fn client<'a>(handle: jlong) -> Outcome<&'a Client> {
    // SAFETY: Java passes only live client handles (see `trampoline::borrow_handle`).
    unsafe { borrow_handle::<Client>(handle) }
}

fn store<'a>(handle: jlong) -> Outcome<&'a StateStore> {
    // SAFETY: Java passes only live state store handles.
    unsafe { borrow_handle::<StateStore>(handle) }
}

/// Drops the value behind a handle on the core's runtime, in case a pool's last reference goes with it.
fn free<T>(handle: jlong) -> Outcome<()> {
    Ok(run(async {
        // SAFETY: Java frees a handle once, when no call is using it.
        unsafe { free_handle::<T>(handle) };
        Ok(())
    })?)
}

/// Decodes the arguments of one call; all of the array must be read.
fn read<T>(
    env: &JNIEnv<'_>,
    args: &JByteArray<'_>,
    decode: impl FnOnce(&mut Reader<'_>) -> sleeper_pg::Result<T>,
) -> Outcome<T> {
    let bytes = trampoline::bytes(env, args)?;
    let mut reader = Reader::new(&bytes);
    let value = decode(&mut reader)?;
    Ok(reader.done(value)?)
}

/// Encodes an answer into a new Java `byte[]`.
fn answer<'a>(
    env: &JNIEnv<'_>,
    capacity: usize,
    encode: impl FnOnce(&mut Writer<'a>) -> sleeper_pg::Result<()>,
) -> Outcome<jbyteArray> {
    let mut writer = Writer::with_capacity(capacity);
    encode(&mut writer)?;
    java_bytes(env, &writer.into_bytes())
}

/// A new handle and what Java needs with it, as one answer; the handle is freed if the answer fails.
fn handle_answer<T>(
    env: &JNIEnv<'_>,
    value: T,
    encode: impl for<'w> FnOnce(&mut Writer<'w>, &'w T) -> sleeper_pg::Result<()>,
) -> Outcome<jbyteArray> {
    let handle = into_handle(value);
    // SAFETY: the handle was made just above and has not reached Java.
    let value = unsafe { borrow_handle::<T>(handle) }?;
    let encoded = answer(env, 128, |w| {
        w.i64(handle);
        encode(w, value)
    });
    if encoded.is_err() {
        // SAFETY: the handle never reached Java.
        unsafe { free_handle::<T>(handle) };
    }
    encoded
}

/// A store handle with the table's row keys, as `createTable` and `table` return it.
fn store_answer(env: &JNIEnv<'_>, store: StateStore) -> Outcome<jbyteArray> {
    handle_answer(env, store, |w, store| {
        w.list(store.row_keys(), Writer::row_key_field)
    })
}

/// The entries `readChanges` and `waitForChanges` ask for: after `after`, at most `limit`, neither
/// negative.
fn feed_position(after: jlong, limit: jint) -> Result<(u64, u32)> {
    let after = u64::try_from(after)
        .map_err(|_| Error::invalid(format!("after must not be negative, got {after}")))?;
    let limit = u32::try_from(limit)
        .map_err(|_| Error::invalid(format!("limit must not be negative, got {limit}")))?;
    Ok((after, limit))
}

/// Reads the JSON of a transaction of the type named, with the table's row key types.
fn transaction(store: &StateStore, type_name: &str, json: &str) -> sleeper_pg::Result<Transaction> {
    let transaction_type: TransactionType = type_name.parse()?;
    Transaction::from_json(transaction_type, json.as_bytes(), store.row_keys())
}

fn partition_answer(env: &JNIEnv<'_>, partitions: &[sleeper_pg::Partition]) -> Outcome<jbyteArray> {
    answer(env, partitions.len() * 128, |w| w.partitions(partitions))
}

fn references_answer(
    env: &JNIEnv<'_>,
    references: &[sleeper_pg::FileReference],
) -> Outcome<jbyteArray> {
    answer(env, Writer::file_references_size(references), |w| {
        w.file_references(references)
    })
}

type Bytes<'l> = JByteArray<'l>;

/// The part of a table a read covers: a flag and the partition ids, then a flag and the region.
fn read_scope(r: &mut Reader<'_>) -> Result<ReadScope> {
    let ids = r.bool()?.then(|| r.strings("partition id")).transpose()?;
    let region = r.bool()?.then(|| r.region()).transpose()?;
    Ok(match (ids, region) {
        (Some(ids), _) => ReadScope::Partitions(ids),
        (None, Some(region)) => ReadScope::Region(region),
        (None, None) => ReadScope::Table,
    })
}

/// Moves the batches, as an Arrow C stream, into the stream Java allocated at `address`.
fn write_stream(address: jlong, batches: ArrowBatches) -> Result<()> {
    let stream = address as *mut FFI_ArrowArrayStream;
    if stream.is_null() || !stream.is_aligned() {
        return Err(Error::invalid("The Arrow stream's address is not valid"));
    }
    // SAFETY: Java's `ArrowArrayStream` is an allocated, aligned, released stream struct; what it held
    // needs no release.
    unsafe { stream.write(batches.into_ffi_stream()) };
    Ok(())
}

natives! { "Native";
    // ---- Client -------------------------------------------------------------------------------------
    fn clientConnect(args: Bytes<'_>) -> jlong = |env| {
        let options = read(env, &args, |r| r.client_options())?;
        Ok(into_handle(run(Client::connect_with(options))?))
    };
    /// Closes the pool: calls through any handle of this client then fail. The handle stays valid.
    fn clientClose(handle: jlong) = |_| {
        let client = client(handle)?;
        Ok(run(async {
            client.close().await;
            Ok(())
        })?)
    };
    fn clientFree(handle: jlong) = |_| free::<Client>(handle);
    fn clientCreateTable(handle: jlong, args: Bytes<'_>) -> jbyteArray = |env| {
        let (table_id, row_keys) =
            read(env, &args, |r| Ok((r.string("table id")?, r.list(Reader::row_key_field)?)))?;
        store_answer(env, run(client(handle)?.create_table(&table_id, &row_keys))?)
    };
    fn clientTable(handle: jlong, args: Bytes<'_>) -> jbyteArray = |env| {
        let table_id = read(env, &args, |r| r.string("table id"))?;
        store_answer(env, run(client(handle)?.table(&table_id))?)
    };
    fn clientListTables(handle: jlong) -> jbyteArray = |env| {
        let tables = run(client(handle)?.list_tables())?;
        answer(env, 64, |w| w.strings(&tables))
    };
    fn clientStats(handle: jlong) -> jbyteArray = |env| {
        let stats = client(handle)?.stats();
        answer(env, 1024, |w| w.client_stats(&stats))
    };
    fn clientDeleteTable(handle: jlong, args: Bytes<'_>) = |env| {
        let table_id = read(env, &args, |r| r.string("table id"))?;
        Ok(run(client(handle)?.delete_table(&table_id))?)
    };

    // ---- State store: partitions --------------------------------------------------------------------
    fn storeFree(handle: jlong) = |_| free::<StateStore>(handle);
    fn storeInitialise(handle: jlong) = |_| Ok(run(store(handle)?.initialise())?);
    fn storeInitialiseWithPartitions(handle: jlong, args: Bytes<'_>) = |env| {
        let partitions = read(env, &args, |r| r.list(Reader::partition))?;
        Ok(run(store(handle)?.initialise_with_partitions(&partitions))?)
    };
    fn storeGetAllPartitions(handle: jlong) -> jbyteArray = |env| {
        partition_answer(env, &run(store(handle)?.get_all_partitions())?)
    };
    fn storeGetLeafPartitions(handle: jlong) -> jbyteArray = |env| {
        partition_answer(env, &run(store(handle)?.get_leaf_partitions())?)
    };
    fn storeGetPartition(handle: jlong, args: Bytes<'_>) -> jbyteArray = |env| {
        let partition_id = read(env, &args, |r| r.string("partition id"))?;
        let partition = run(store(handle)?.get_partition(&partition_id))?;
        answer(env, 256, |w| w.partition(&partition))
    };
    fn storeAtomicallyUpdatePartitionAndCreateNewOnes(handle: jlong, args: Bytes<'_>) = |env| {
        let (split, first, second) =
            read(env, &args, |r| Ok((r.partition()?, r.partition()?, r.partition()?)))?;
        let store = store(handle)?;
        Ok(run(store.atomically_update_partition_and_create_new_ones(&split, &first, &second))?)
    };
    fn storeSplitPartition(handle: jlong, args: Bytes<'_>) = |env| {
        let (parent, children) =
            read(env, &args, |r| Ok((r.partition()?, r.list(Reader::partition)?)))?;
        Ok(run(store(handle)?.split_partition(&parent, &children))?)
    };
    fn storeExtendPartitionTree(handle: jlong, args: Bytes<'_>) = |env| {
        let (update, new) =
            read(env, &args, |r| Ok((r.list(Reader::partition)?, r.list(Reader::partition)?)))?;
        Ok(run(store(handle)?.extend_partition_tree(&update, &new))?)
    };
    fn storeClearPartitionData(handle: jlong) = |_| Ok(run(store(handle)?.clear_partition_data())?);
    fn storeFixPartitionUpdateTime(handle: jlong, args: Bytes<'_>) = |env| {
        let time = read(env, &args, |r| r.update_time())?;
        Ok(store(handle)?.fix_partition_update_time(time)?)
    };

    // ---- State store: files -------------------------------------------------------------------------
    fn storeAddFile(handle: jlong, args: Bytes<'_>) = |env| {
        let reference = read(env, &args, |r| r.file_reference())?;
        Ok(run(store(handle)?.add_file(&reference))?)
    };
    fn storeAddFiles(handle: jlong, args: Bytes<'_>) = |env| {
        let references = read(env, &args, |r| r.list(Reader::file_reference))?;
        Ok(run(store(handle)?.add_files(&references))?)
    };
    fn storeAddFilesWithReferences(handle: jlong, args: Bytes<'_>) = |env| {
        let files = read(env, &args, |r| r.list(Reader::file))?;
        Ok(run(store(handle)?.add_files_with_references(&files))?)
    };
    fn storeSplitFileReferences(handle: jlong, args: Bytes<'_>) = |env| {
        let requests = read(env, &args, |r| r.list(Reader::split_request))?;
        Ok(run(store(handle)?.split_file_references(&requests))?)
    };
    fn storeAtomicallyReplaceFileReferencesWithNewOnes(handle: jlong, args: Bytes<'_>) = |env| {
        let requests = read(env, &args, |r| r.list(Reader::replace_request))?;
        Ok(run(store(handle)?.atomically_replace_file_references_with_new_ones(&requests))?)
    };
    fn storeAssignJobIds(handle: jlong, args: Bytes<'_>) = |env| {
        let requests = read(env, &args, |r| r.list(Reader::assign_request))?;
        Ok(run(store(handle)?.assign_job_ids(&requests))?)
    };
    fn storeDeleteGarbageCollectedFileReferenceCounts(handle: jlong, args: Bytes<'_>) = |env| {
        let filenames = read(env, &args, |r| r.strings("filename"))?;
        Ok(run(store(handle)?.delete_garbage_collected_file_reference_counts(&filenames))?)
    };
    fn storeGetFileReferences(handle: jlong) -> jbyteArray = |env| {
        references_answer(env, &run(store(handle)?.get_file_references())?)
    };
    fn storeGetFileReferencesWithNoJobId(handle: jlong) -> jbyteArray = |env| {
        references_answer(env, &run(store(handle)?.get_file_references_with_no_job_id())?)
    };
    fn storeGetReadyForGCFilenamesBefore(handle: jlong, args: Bytes<'_>) -> jbyteArray = |env| {
        let time = read(env, &args, |r| r.cutoff())?
            .ok_or_else(|| Error::invalid("maxUpdateTime must not be null"))?;
        let filenames = run(store(handle)?.get_ready_for_gc_filenames_before(time))?;
        answer(env, 16 + filenames.len() * 64, |w| w.strings(&filenames))
    };
    fn storeGetPartitionToReferencedFilesMap(handle: jlong) -> jbyteArray = |env| {
        let map = run(store(handle)?.get_partition_to_referenced_files_map())?;
        answer(env, 16 + map.len() * 64, |w| w.partition_to_files(&map))
    };
    fn storeGetFileReferencesOnPartitions(handle: jlong, args: Bytes<'_>) -> jbyteArray = |env| {
        let ids = read(env, &args, |r| r.strings("partition id"))?;
        references_answer(env, &run(store(handle)?.get_file_references_on_partitions(&ids))?)
    };
    fn storeGetPartitionToReferencedFilesMapOnPartitions(handle: jlong, args: Bytes<'_>) -> jbyteArray = |env| {
        let ids = read(env, &args, |r| r.strings("partition id"))?;
        let map = run(store(handle)?.get_partition_to_referenced_files_map_on_partitions(&ids))?;
        answer(env, 16 + map.len() * 64, |w| w.partition_to_files(&map))
    };
    fn storeGetPartitionsInRegion(handle: jlong, args: Bytes<'_>) -> jbyteArray = |env| {
        let region = read(env, &args, |r| r.region())?;
        partition_answer(env, &run(store(handle)?.get_partitions_in_region(&region))?)
    };
    fn storeGetPartitionToReferencedFilesMapInRegion(handle: jlong, args: Bytes<'_>) -> jbyteArray = |env| {
        let region = read(env, &args, |r| r.region())?;
        let map = run(store(handle)?.get_partition_to_referenced_files_map_in_region(&region))?;
        answer(env, 16 + map.len() * 64, |w| w.partition_to_files(&map))
    };
    /// Writes the Arrow C stream of the read into the `struct ArrowArrayStream` at `stream`, which
    /// Java allocated (Arrow's `ArrowArrayStream`) and imports from once this returns.
    fn storeGetFileReferencesArrow(handle: jlong, args: Bytes<'_>, stream: jlong) = |env| {
        let scope = read(env, &args, read_scope)?;
        let batches = run(store(handle)?.get_file_references_arrow(&scope))?;
        Ok(write_stream(stream, batches)?)
    };
    fn storeGetPartitionsArrow(handle: jlong, args: Bytes<'_>, stream: jlong) = |env| {
        let scope = read(env, &args, read_scope)?;
        let batches = run(store(handle)?.get_partitions_arrow(&scope))?;
        Ok(write_stream(stream, batches)?)
    };
    fn storeGetAllFilesWithMaxUnreferenced(handle: jlong, max: jint) -> jbyteArray = |env| {
        let max = validate::max_unreferenced_files_from_signed(i64::from(max))?;
        let report = run(store(handle)?.get_all_files_with_max_unreferenced(max))?;
        answer(env, Writer::all_files_size(&report), |w| w.all_files(&report))
    };
    fn storeIsPartitionFilesAssignedToJob(handle: jlong, args: Bytes<'_>) -> jboolean = |env| {
        let (partition_id, filenames, job_id) = read(env, &args, |r| {
            Ok((r.string("partition id")?, r.strings("filename")?, r.string("job id")?))
        })?;
        let store = store(handle)?;
        let assigned =
            run(store.is_partition_files_assigned_to_job(&partition_id, &filenames, &job_id))?;
        Ok(jboolean::from(assigned))
    };
    fn storeIsAssigned(handle: jlong, args: Bytes<'_>) -> jboolean = |env| {
        let requests = read(env, &args, |r| r.list(Reader::check_request))?;
        Ok(jboolean::from(run(store(handle)?.is_assigned(&requests))?))
    };
    fn storeHasNoFiles(handle: jlong) -> jboolean = |_| {
        Ok(jboolean::from(run(store(handle)?.has_no_files())?))
    };
    fn storeStatus(handle: jlong) -> jbyteArray = |env| {
        let status = run(store(handle)?.status())?;
        answer(env, 96, |w| {
            w.table_status(&status);
            Ok(())
        })
    };
    fn storeReadChanges(handle: jlong, after: jlong, limit: jint) -> jbyteArray = |env| {
        let (after, limit) = feed_position(after, limit)?;
        let changes = run(store(handle)?.read_changes(after, limit))?;
        answer(env, Writer::changes_size(&changes), |w| w.changes(&changes))
    };
    fn storeWaitForChanges(handle: jlong, after: jlong, limit: jint, timeout_millis: jlong)
        -> jbyteArray = |env| {
        let (after, limit) = feed_position(after, limit)?;
        let timeout = u64::try_from(timeout_millis).map(Duration::from_millis).map_err(|_| {
            Error::invalid(format!("timeout must not be negative, got {timeout_millis} ms"))
        })?;
        let changes = run(store(handle)?.wait_for_changes(after, limit, timeout))?;
        answer(env, Writer::changes_size(&changes), |w| w.changes(&changes))
    };
    fn storeDeleteChangesThrough(handle: jlong, sequence: jlong) -> jlong = |_| {
        let sequence = u64::try_from(sequence).map_err(|_| {
            Error::invalid(format!("sequence must not be negative, got {sequence}"))
        })?;
        let deleted = run(store(handle)?.delete_changes_through(sequence))?;
        Ok(jlong::try_from(deleted).unwrap_or(jlong::MAX))
    };
    fn storeClearFileData(handle: jlong) = |_| Ok(run(store(handle)?.clear_file_data())?);
    fn storeFixFileUpdateTime(handle: jlong, args: Bytes<'_>) = |env| {
        let time = read(env, &args, |r| r.update_time())?;
        Ok(store(handle)?.fix_file_update_time(time)?)
    };
    fn storeClearSleeperTable(handle: jlong) = |_| Ok(run(store(handle)?.clear_sleeper_table())?);

    // ---- State store: Sleeper v0.36 transactions ----------------------------------------------------
    fn storeApplyTransaction(handle: jlong, args: Bytes<'_>) -> jbyteArray = |env| {
        let (type_name, json, synchronous) = read(env, &args, |r| {
            Ok((r.string("transaction type")?, r.string("transaction JSON")?, r.bool()?))
        })?;
        let store = store(handle)?;
        let mode = if synchronous { CommitMode::Synchronous } else { CommitMode::Asynchronous };
        let outcome = run(store.apply_transaction(&transaction(store, &type_name, &json)?, mode))?;
        answer(env, 16 + outcome.failures.len() * 128, |w| w.transaction_outcome(&outcome))
    };
    /// The log is read here, from its path: it may be far larger than one Java array.
    fn storeApplyTransactionLog(handle: jlong, args: Bytes<'_>) -> jbyteArray = |env| {
        let path = read(env, &args, |r| r.string("log path"))?;
        let log = File::open(&path).map_err(|e| {
            Error::invalid(format!("Could not open the transaction log {path}: {e}"))
        })?;
        let replay = run(store(handle)?.apply_transaction_log(BufReader::new(log), |_| {}))?;
        answer(env, 16 + replay.failures.len() * 128, |w| w.log_replay(&replay))
    };

    // ---- Local PostgreSQL ---------------------------------------------------------------------------
    /// Starts a cluster with the options set: the answer is its handle and URL.
    fn localPostgresStart(args: Bytes<'_>) -> jbyteArray = |env| {
        let options = read(env, &args, |r| r.local_postgres_options())?;
        let local = LocalPostgres::start_with(&options)?;
        handle_answer(env, local, |w, local| w.owned_string(&local.url()))
    };
    /// Starts a streaming replica of the cluster: the answer is its handle and URL.
    fn localPostgresStartReplica(handle: jlong) -> jbyteArray = |env| {
        // SAFETY: Java passes only live cluster handles.
        let primary = unsafe { borrow_handle::<LocalPostgres>(handle) }?;
        let replica = primary.start_replica()?;
        handle_answer(env, replica, |w, replica| w.owned_string(&replica.url()))
    };
    /// Stops the cluster and removes its directory.
    fn localPostgresStop(handle: jlong) = |_| {
        // SAFETY: Java frees a handle once, when no call is using it.
        unsafe { free_handle::<LocalPostgres>(handle) };
        Ok(())
    };

    // ---- Model helpers ------------------------------------------------------------------------------
    /// The core's checks of a model object (`CONTRACT.md` 8), run by the Java constructors.
    fn validate(kind: jint, args: Bytes<'_>) = |env| {
        read(env, &args, |r| r.model(kind)?.validate())
    };
    fn splitFileToChildPartitions(args: Bytes<'_>) -> jbyteArray = |env| {
        let (file, left, right) = read(env, &args, |r| {
            Ok((r.file_reference()?, r.string("left partition id")?, r.string("right partition id")?))
        })?;
        let request = SplitFileReferenceRequest::split_file_to_child_partitions(&file, &left, &right);
        request.validate()?;
        answer(env, 256, |w| w.split_request(&request))
    };
    fn partitionsFromSplitPoints(args: Bytes<'_>) -> jbyteArray = |env| {
        let (row_keys, split_points) = read(env, &args, |r| {
            Ok((r.list(Reader::row_key_field)?, r.list(|r| r.key("split point"))?))
        })?;
        partition_answer(env, &partitions_from_split_points(&row_keys, &split_points)?)
    };
}
