//! Java bindings: the native methods of `sleeper.statestore.postgres.internal.Native`.
//!
//! Each function reads like a line of a translation table: decode the arguments Java encoded in one
//! `byte[]` ([`wire`]), make one call into the core's blocking facade, encode the answer. Every one runs
//! through [`trampoline::call`], which turns errors into Java exceptions and stops panics at the
//! border. Handles are `Box` addresses that the Java class `NativeHandle` frees once, after the last
//! call using them has returned.

mod trampoline;
mod wire;

use std::fs::File;
use std::future::Future;
use std::io::BufReader;
use std::time::{Duration, Instant};

use jni::objects::{JByteArray, JClass};
use jni::sys::{jboolean, jbyteArray, jint, jlong};
use jni::JNIEnv;
use sleeper_pg::{
    block_on, partitions_from_split_points, validate, Client, ClientOptions, CommitMode, Error,
    LocalPostgres, RetryPolicy, SplitFileReferenceRequest, StateStore, Transaction,
    TransactionType,
};

use trampoline::{borrow_handle, call, free_handle, into_handle, java_bytes, Outcome};
use wire::{Reader, Writer};

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

fn to_jboolean(value: bool) -> jboolean {
    jboolean::from(value)
}

/// A store handle with the table's row keys, as `createTable` and `table` return it.
fn store_answer(env: &JNIEnv<'_>, store: StateStore) -> Outcome<jbyteArray> {
    let row_keys = store.row_keys().to_vec();
    let handle = into_handle(store);
    let encoded = answer(env, 64, |w| {
        w.i64(handle);
        w.list(&row_keys, Writer::row_key_field)
    });
    if encoded.is_err() {
        // SAFETY: the handle was made just above and never reached Java.
        unsafe { free_handle::<StateStore>(handle) };
    }
    encoded
}

fn millis(what: &str, value: i64) -> sleeper_pg::Result<Duration> {
    let millis = u64::try_from(value).map_err(|_| Error::InvalidArgument {
        message: format!("{what} must not be negative, got {value} ms"),
    })?;
    Ok(Duration::from_millis(millis))
}

fn opt_millis(what: &str, value: i64) -> sleeper_pg::Result<Option<Duration>> {
    if value == -1 {
        Ok(None)
    } else {
        millis(what, value).map(Some)
    }
}

fn client_options(r: &mut Reader<'_>) -> sleeper_pg::Result<ClientOptions> {
    let url = r.opt_string("url")?;
    let max_connections = r.i32()?;
    let max_connections = u32::try_from(max_connections).map_err(|_| Error::InvalidArgument {
        message: format!("maxConnections must be at least 1, got {max_connections}"),
    })?;
    Ok(ClientOptions {
        url,
        max_connections,
        acquire_timeout: millis("acquireTimeout", r.i64()?)?,
        connect_timeout: millis("connectTimeout", r.i64()?)?,
        statement_timeout: opt_millis("statementTimeout", r.i64()?)?,
        idle_timeout: opt_millis("idleTimeout", r.i64()?)?,
        migrate: r.bool()?,
        schema: r.string("schema")?,
        retry: RetryPolicy {
            max_attempts: u32::try_from(r.i32()?).map_err(|_| Error::InvalidArgument {
                message: "retryMaxAttempts must not be negative".to_owned(),
            })?,
            initial_backoff: millis("retryInitialBackoff", r.i64()?)?,
            max_backoff: millis("retryMaxBackoff", r.i64()?)?,
        },
        statement_cache: r.bool()?,
    })
}

// ---- Client ---------------------------------------------------------------------------------------

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_clientConnect<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    args: JByteArray<'l>,
) -> jlong {
    call(&mut env, |env| {
        let options = read(env, &args, client_options)?;
        Ok(into_handle(run(Client::connect_with(options))?))
    })
}

/// Closes the pool: calls through any handle of this client then fail. The handle stays valid.
#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_clientClose<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    call(&mut env, |_| {
        let client = client(handle)?;
        Ok(run(async {
            client.close().await;
            Ok(())
        })?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_clientFree<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    call(&mut env, |_| {
        // Dropped on the runtime, in case the pool's last reference goes with it.
        Ok(run(async {
            // SAFETY: Java frees a handle once, when no call is using it.
            unsafe { free_handle::<Client>(handle) };
            Ok(())
        })?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_clientCreateTable<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) -> jbyteArray {
    call(&mut env, |env| {
        let (table_id, row_keys) = read(env, &args, |r| {
            Ok((r.string("table id")?, r.list(Reader::row_key_field)?))
        })?;
        let store = run(client(handle)?.create_table(&table_id, &row_keys))?;
        store_answer(env, store)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_clientTable<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) -> jbyteArray {
    call(&mut env, |env| {
        let table_id = read(env, &args, |r| r.string("table id"))?;
        let store = run(client(handle)?.table(&table_id))?;
        store_answer(env, store)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_clientListTables<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jbyteArray {
    call(&mut env, |env| {
        let tables = run(client(handle)?.list_tables())?;
        answer(env, 64, |w| w.strings(&tables))
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_clientDeleteTable<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let table_id = read(env, &args, |r| r.string("table id"))?;
        Ok(run(client(handle)?.delete_table(&table_id))?)
    })
}

// ---- State store: partitions ----------------------------------------------------------------------

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeFree<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    call(&mut env, |_| {
        Ok(run(async {
            // SAFETY: Java frees a handle once, when no call is using it.
            unsafe { free_handle::<StateStore>(handle) };
            Ok(())
        })?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeInitialise<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    call(&mut env, |_| Ok(run(store(handle)?.initialise())?))
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeInitialiseWithPartitions<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let partitions = read(env, &args, |r| r.list(Reader::partition))?;
        Ok(run(store(handle)?.initialise_with_partitions(&partitions))?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeGetAllPartitions<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jbyteArray {
    call(&mut env, |env| {
        let partitions = run(store(handle)?.get_all_partitions())?;
        answer(env, partitions.len() * 128, |w| w.partitions(&partitions))
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeGetLeafPartitions<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jbyteArray {
    call(&mut env, |env| {
        let partitions = run(store(handle)?.get_leaf_partitions())?;
        answer(env, partitions.len() * 128, |w| w.partitions(&partitions))
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeGetPartition<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) -> jbyteArray {
    call(&mut env, |env| {
        let partition_id = read(env, &args, |r| r.string("partition id"))?;
        let partition = run(store(handle)?.get_partition(&partition_id))?;
        answer(env, 256, |w| w.partition(&partition))
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeAtomicallyUpdatePartitionAndCreateNewOnes<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let (split, first, second) = read(env, &args, |r| {
            Ok((r.partition()?, r.partition()?, r.partition()?))
        })?;
        Ok(run(store(handle)?
            .atomically_update_partition_and_create_new_ones(
                &split, &first, &second,
            ))?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeSplitPartition<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let (parent, new_children) = read(env, &args, |r| {
            Ok((r.partition()?, r.list(Reader::partition)?))
        })?;
        Ok(run(store(handle)?.split_partition(&parent, &new_children))?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeExtendPartitionTree<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let (update_partitions, new_partitions) = read(env, &args, |r| {
            Ok((r.list(Reader::partition)?, r.list(Reader::partition)?))
        })?;
        Ok(run(store(handle)?.extend_partition_tree(
            &update_partitions,
            &new_partitions,
        ))?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeClearPartitionData<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    call(&mut env, |_| {
        Ok(run(store(handle)?.clear_partition_data())?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeFixPartitionUpdateTime<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let time = read(env, &args, |r| r.update_time())?;
        store(handle)?.fix_partition_update_time(time)?;
        Ok(())
    })
}

// ---- State store: files ---------------------------------------------------------------------------

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeAddFile<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let reference = read(env, &args, |r| r.file_reference())?;
        Ok(run(store(handle)?.add_file(&reference))?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeAddFiles<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let references = read(env, &args, |r| r.list(Reader::file_reference))?;
        Ok(run(store(handle)?.add_files(&references))?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeAddFilesWithReferences<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let files = read(env, &args, |r| r.list(Reader::file))?;
        Ok(run(store(handle)?.add_files_with_references(&files))?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeSplitFileReferences<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let requests = read(env, &args, |r| r.list(Reader::split_request))?;
        Ok(run(store(handle)?.split_file_references(&requests))?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeAtomicallyReplaceFileReferencesWithNewOnes<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let requests = read(env, &args, |r| r.list(Reader::replace_request))?;
        Ok(run(store(handle)?
            .atomically_replace_file_references_with_new_ones(
                &requests,
            ))?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeAssignJobIds<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let requests = read(env, &args, |r| r.list(Reader::assign_request))?;
        Ok(run(store(handle)?.assign_job_ids(&requests))?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeDeleteGarbageCollectedFileReferenceCounts<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let filenames = read(env, &args, |r| r.strings("filename"))?;
        Ok(run(store(handle)?
            .delete_garbage_collected_file_reference_counts(
                &filenames,
            ))?)
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeGetFileReferences<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jbyteArray {
    call(&mut env, |env| {
        let references = run(store(handle)?.get_file_references())?;
        answer(env, Writer::file_references_size(&references), |w| {
            w.file_references(&references)
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeGetFileReferencesWithNoJobId<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jbyteArray {
    call(&mut env, |env| {
        let references = run(store(handle)?.get_file_references_with_no_job_id())?;
        answer(env, Writer::file_references_size(&references), |w| {
            w.file_references(&references)
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeGetReadyForGCFilenamesBefore<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) -> jbyteArray {
    call(&mut env, |env| {
        let time = read(env, &args, |r| r.cutoff())?.ok_or_else(|| Error::InvalidArgument {
            message: "maxUpdateTime must not be null".to_owned(),
        })?;
        let filenames = run(store(handle)?.get_ready_for_gc_filenames_before(time))?;
        answer(env, 16 + filenames.len() * 64, |w| w.strings(&filenames))
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeGetPartitionToReferencedFilesMap<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jbyteArray {
    call(&mut env, |env| {
        let map = run(store(handle)?.get_partition_to_referenced_files_map())?;
        answer(env, 16 + map.len() * 64, |w| {
            w.i32(i32::try_from(map.len()).unwrap_or(i32::MAX));
            for (partition_id, filenames) in &map {
                w.string(partition_id)?;
                w.strings(filenames)?;
            }
            Ok(())
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeGetAllFilesWithMaxUnreferenced<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    max_unreferenced_files: jint,
) -> jbyteArray {
    call(&mut env, |env| {
        let max = validate::max_unreferenced_files_from_signed(i64::from(max_unreferenced_files))?;
        let report = run(store(handle)?.get_all_files_with_max_unreferenced(max))?;
        answer(env, Writer::all_files_size(&report), |w| {
            w.all_files(&report)
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeIsPartitionFilesAssignedToJob<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) -> jboolean {
    call(&mut env, |env| {
        let (partition_id, filenames, job_id) = read(env, &args, |r| {
            Ok((
                r.string("partition id")?,
                r.strings("filename")?,
                r.string("job id")?,
            ))
        })?;
        let assigned = run(store(handle)?.is_partition_files_assigned_to_job(
            &partition_id,
            &filenames,
            &job_id,
        ))?;
        Ok(to_jboolean(assigned))
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeIsAssigned<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) -> jboolean {
    call(&mut env, |env| {
        let requests = read(env, &args, |r| r.list(Reader::check_request))?;
        Ok(to_jboolean(run(store(handle)?.is_assigned(&requests))?))
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeHasNoFiles<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jboolean {
    call(&mut env, |_| {
        Ok(to_jboolean(run(store(handle)?.has_no_files())?))
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeClearFileData<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    call(&mut env, |_| Ok(run(store(handle)?.clear_file_data())?))
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeFixFileUpdateTime<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        let time = read(env, &args, |r| r.update_time())?;
        store(handle)?.fix_file_update_time(time)?;
        Ok(())
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeClearSleeperTable<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    call(&mut env, |_| Ok(run(store(handle)?.clear_sleeper_table())?))
}

// ---- State store: Sleeper v0.36 transactions ------------------------------------------------------

/// Reads the JSON of a transaction of the type named, with the table's row key types.
fn transaction(store: &StateStore, type_name: &str, json: &str) -> sleeper_pg::Result<Transaction> {
    let transaction_type: TransactionType = type_name.parse()?;
    Transaction::from_json(transaction_type, json.as_bytes(), store.row_keys())
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeApplyTransaction<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) -> jbyteArray {
    call(&mut env, |env| {
        let (type_name, json, synchronous) = read(env, &args, |r| {
            Ok((
                r.string("transaction type")?,
                r.string("transaction JSON")?,
                r.bool()?,
            ))
        })?;
        let store = store(handle)?;
        let mode = if synchronous {
            CommitMode::Synchronous
        } else {
            CommitMode::Asynchronous
        };
        let outcome = run(store.apply_transaction(&transaction(store, &type_name, &json)?, mode))?;
        answer(env, 16 + outcome.failures.len() * 128, |w| {
            w.transaction_outcome(&outcome)
        })
    })
}

/// The log is read here, from its path: it may be far larger than one Java array.
#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_storeApplyTransactionLog<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    args: JByteArray<'l>,
) -> jbyteArray {
    call(&mut env, |env| {
        let path = read(env, &args, |r| r.string("log path"))?;
        let log = File::open(&path).map_err(|e| Error::InvalidArgument {
            message: format!("Could not open the transaction log {path}: {e}"),
        })?;
        let replay = run(store(handle)?.apply_transaction_log(BufReader::new(log), |_| {}))?;
        answer(env, 16 + replay.failures.len() * 128, |w| {
            w.log_replay(&replay)
        })
    })
}

// ---- Local PostgreSQL -----------------------------------------------------------------------------

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_localPostgresStart<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
) -> jbyteArray {
    call(&mut env, |env| {
        let local = LocalPostgres::start()?;
        let url = local.url();
        let handle = into_handle(local);
        let encoded = answer(env, 128, |w| {
            w.i64(handle);
            w.string(&url)
        });
        if encoded.is_err() {
            // SAFETY: the handle was made just above and never reached Java.
            unsafe { free_handle::<LocalPostgres>(handle) };
        }
        encoded
    })
}

/// Stops the cluster and removes its directory.
#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_localPostgresStop<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    call(&mut env, |_| {
        // SAFETY: Java frees a handle once, when no call is using it.
        unsafe { free_handle::<LocalPostgres>(handle) };
        Ok(())
    })
}

// ---- Model helpers --------------------------------------------------------------------------------

/// What `validate` checks; the numbers are `WireKind` in Java.
const KIND_ROW_KEY_FIELD: jint = 0;
const KIND_RANGE: jint = 1;
const KIND_REGION: jint = 2;
const KIND_PARTITION: jint = 3;
const KIND_FILE_REFERENCE: jint = 4;
const KIND_FILE: jint = 5;
const KIND_SPLIT_REQUEST: jint = 6;
const KIND_REPLACE_REQUEST: jint = 7;
const KIND_ASSIGN_REQUEST: jint = 8;
const KIND_CHECK_REQUEST: jint = 9;

/// The core's checks of a model object (`CONTRACT.md` 8), run by the Java constructors.
#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_validate<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    kind: jint,
    args: JByteArray<'l>,
) {
    call(&mut env, |env| {
        read(env, &args, |r| match kind {
            KIND_ROW_KEY_FIELD => validate::id("row key field name", &r.row_key_field()?.name),
            KIND_RANGE => r.range()?.validate(),
            KIND_REGION => r.region()?.validate(),
            KIND_PARTITION => r.partition()?.validate(),
            KIND_FILE_REFERENCE => r.file_reference()?.validate(),
            KIND_FILE => r.file()?.validate(),
            KIND_SPLIT_REQUEST => r.split_request()?.validate(),
            KIND_REPLACE_REQUEST => r.replace_request()?.validate(),
            KIND_ASSIGN_REQUEST => r.assign_request()?.validate(),
            KIND_CHECK_REQUEST => r.check_request()?.validate(),
            other => Err(Error::StateStore {
                message: format!("sleeper-pg Java binding: unknown model kind {other}"),
                cause: None,
            }),
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_splitFileToChildPartitions<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    args: JByteArray<'l>,
) -> jbyteArray {
    call(&mut env, |env| {
        let (file, left, right) = read(env, &args, |r| {
            Ok((
                r.file_reference()?,
                r.string("left partition id")?,
                r.string("right partition id")?,
            ))
        })?;
        let request =
            SplitFileReferenceRequest::split_file_to_child_partitions(&file, &left, &right);
        request.validate()?;
        answer(env, 256, |w| w.split_request(&request))
    })
}

#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_partitionsFromSplitPoints<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    args: JByteArray<'l>,
) -> jbyteArray {
    call(&mut env, |env| {
        let (row_keys, split_points) = read(env, &args, |r| {
            Ok((
                r.list(Reader::row_key_field)?,
                r.list(|r| r.key("split point"))?,
            ))
        })?;
        let partitions = partitions_from_split_points(&row_keys, &split_points)?;
        answer(env, partitions.len() * 128, |w| w.partitions(&partitions))
    })
}

/// One error of every kind, encoded as thrown, for the test that each maps to its Java class.
#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_errorSamples<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
) -> jbyteArray {
    call(&mut env, |env| {
        let samples = wire::error_samples();
        let encoded: Vec<Vec<u8>> = samples
            .iter()
            .map(|error| {
                let mut writer = Writer::new();
                writer.error(error).map(|()| writer.into_bytes())
            })
            .collect::<sleeper_pg::Result<_>>()?;
        answer(env, 1024, |w| {
            w.i32(i32::try_from(encoded.len()).unwrap_or(i32::MAX));
            for bytes in &encoded {
                w.i32(i32::try_from(bytes.len()).unwrap_or(i32::MAX));
                bytes.iter().for_each(|&b| w.u8(b));
            }
            Ok(())
        })
    })
}

/// For benchmarks: runs one store call `iterations` times in Rust, through the same handle and
/// runtime as the Java calls, and returns the nanoseconds taken. Operation 0 is `get_partition` (the
/// arguments are its partition id), 1 is `get_file_references`.
#[no_mangle]
pub extern "system" fn Java_sleeper_statestore_postgres_internal_Native_benchmark<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    operation: jint,
    args: JByteArray<'l>,
    iterations: jint,
) -> jlong {
    call(&mut env, |env| {
        let store = store(handle)?;
        let partition_id = read(env, &args, |r| r.opt_string("partition id"))?.unwrap_or_default();
        let started = Instant::now();
        for _ in 0..iterations {
            match operation {
                0 => drop(block_on(store.get_partition(&partition_id))?),
                _ => drop(block_on(store.get_file_references())?),
            }
        }
        Ok(jlong::try_from(started.elapsed().as_nanos()).unwrap_or(jlong::MAX))
    })
}
