//! Reads as Arrow record batches (core/src/store/arrow.rs): the same rows as the object reads, in
//! columns of the documented schema, for the whole table or part of it, and through the C stream.

use sleeper_pg::arrow_array::cast::AsArray;
use sleeper_pg::arrow_array::ffi_stream::ArrowArrayStreamReader;
use sleeper_pg::arrow_array::types::{Int32Type, Int64Type, TimestampMillisecondType};
use sleeper_pg::arrow_array::{Array, RecordBatch, RecordBatchReader};
use sleeper_pg::arrow_schema::DataType;

use crate::common::*;
use sleeper_pg::*;

/// A table split at 0 into L and R with files on both leaves, one assigned to a job.
async fn split_store(client: &Client) -> StateStore {
    let store = store_split_at(client, 0).await;
    store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    store
        .add_files(&[
            FileReference {
                job_id: Some("job".into()),
                ..FileReference::new("a", "L", 7)
            },
            FileReference::new("a", "R", 8),
            FileReference::new("b", "R", 9),
        ])
        .await
        .unwrap();
    store
}

/// The rows of the batches as (filename, partition, rows, job) tuples.
fn reference_rows(batches: &[RecordBatch]) -> Vec<(String, String, i64, Option<String>)> {
    batches
        .iter()
        .flat_map(|batch| {
            let filenames = batch.column(0).as_string::<i32>().clone();
            let partitions = batch.column(1).as_dictionary::<Int32Type>().clone();
            let partition_values = partitions.values().as_string::<i32>().clone();
            let rows = batch.column(2).as_primitive::<Int64Type>().clone();
            let jobs = batch.column(3).as_dictionary::<Int32Type>().clone();
            let job_values = jobs.values().as_string::<i32>().clone();
            (0..batch.num_rows())
                .map(|i| {
                    let partition = partition_values
                        .value(partitions.keys().value(i) as usize)
                        .to_owned();
                    let job = jobs
                        .is_valid(i)
                        .then(|| job_values.value(jobs.keys().value(i) as usize).to_owned());
                    (filenames.value(i).to_owned(), partition, rows.value(i), job)
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn tuple(
    filename: &str,
    partition: &str,
    rows: i64,
    job: Option<&str>,
) -> (String, String, i64, Option<String>) {
    (filename.into(), partition.into(), rows, job.map(Into::into))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tables_references_as_arrow_are_its_references_by_filename_then_partition() {
    let client = client().await;
    let store = split_store(&client).await;

    let batches = store
        .get_file_references_arrow(&ReadScope::Table)
        .await
        .unwrap();

    assert_eq!(batches.schema(), file_reference_schema());
    assert_eq!(
        reference_rows(batches.batches()),
        vec![
            tuple("a", "L", 7, Some("job")),
            tuple("a", "R", 8, None),
            tuple("b", "R", 9, None)
        ]
    );
    let times = batches.batches()[0]
        .column(4)
        .as_primitive::<TimestampMillisecondType>()
        .clone();
    assert!(times
        .iter()
        .all(|t| t == Some(at(10, 0, 0, 0).timestamp_millis())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_reads_as_arrow_hold_the_references_of_those_partitions() {
    let client = client().await;
    let store = split_store(&client).await;

    let on_left = store
        .get_file_references_arrow(&ReadScope::Partitions(strings(&["L"])))
        .await
        .unwrap();
    let in_right = store
        .get_file_references_arrow(&ReadScope::Region(long_range(5, Some(6))))
        .await
        .unwrap();

    assert_eq!(
        reference_rows(on_left.batches()),
        vec![tuple("a", "L", 7, Some("job"))]
    );
    assert_eq!(
        reference_rows(in_right.batches()),
        vec![tuple("a", "R", 8, None), tuple("b", "R", 9, None)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_read_comes_in_batches_of_at_most_65536_rows() {
    let client = client().await;
    let store = new_store(&client).await;
    let references: Vec<FileReference> = (0..70_000)
        .map(|i| FileReference::new(format!("f{i:06}"), "root", 1))
        .collect();
    store.add_files(&references).await.unwrap();

    let batches = store
        .get_file_references_arrow(&ReadScope::Table)
        .await
        .unwrap();

    let sizes: Vec<usize> = batches
        .batches()
        .iter()
        .map(RecordBatch::num_rows)
        .collect();
    assert_eq!(sizes, vec![65_536, 70_000 - 65_536]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_as_arrow_carry_their_range_on_each_key_field() {
    let client = client().await;
    let store = split_store(&client).await;

    let batches = store.get_partitions_arrow(&ReadScope::Table).await.unwrap();

    let batch = &batches.batches()[0];
    assert_eq!(batches.schema(), partition_schema(store.row_keys()));
    assert_eq!(batch.schema().field(5).name(), "key_min");
    assert_eq!(batch.schema().field(6).data_type(), &DataType::Int64);
    let ids: Vec<&str> = batch
        .column(0)
        .as_string::<i32>()
        .iter()
        .flatten()
        .collect();
    let mins = batch.column(5).as_primitive::<Int64Type>();
    let maxes = batch.column(6).as_primitive::<Int64Type>();
    assert_eq!(ids, vec!["L", "R", "root"]);
    assert_eq!(mins.values().to_vec(), vec![i64::MIN, 0, i64::MIN]);
    assert_eq!(maxes.iter().collect::<Vec<_>>(), vec![Some(0), None, None]);
    let children = batch.column(3).as_list::<i32>().value(2);
    assert_eq!(
        children
            .as_string::<i32>()
            .iter()
            .flatten()
            .collect::<Vec<_>>(),
        vec!["L", "R"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_partitions_as_arrow_raise_partition_not_found_for_an_unknown_id() {
    let client = client().await;
    let store = split_store(&client).await;

    let error = store
        .get_partitions_arrow(&ReadScope::Partitions(strings(&["R", "nowhere"])))
        .await
        .unwrap_err();

    assert!(
        matches!(error, Error::PartitionNotFound { .. }),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_c_stream_hands_over_the_same_batches() {
    let client = client().await;
    let store = split_store(&client).await;
    let batches = store
        .get_file_references_arrow(&ReadScope::Table)
        .await
        .unwrap();
    let expected = reference_rows(batches.batches());

    let mut stream = batches.into_ffi_stream();
    // SAFETY: a valid stream, read once.
    let reader = unsafe { ArrowArrayStreamReader::from_raw(&mut stream) }.unwrap();
    let schema = reader.schema();
    let read: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();

    assert_eq!(schema, file_reference_schema());
    assert_eq!(reference_rows(&read), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arrow_read_of_a_deleted_table_raises_table_not_found() {
    let client = client().await;
    let store = split_store(&client).await;
    client.delete_table(store.table_id()).await.unwrap();

    let error = store
        .get_file_references_arrow(&ReadScope::Table)
        .await
        .unwrap_err();

    assert!(matches!(error, Error::TableNotFound { .. }), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arrow_read_of_a_table_with_no_references_has_no_rows() {
    let client = client().await;
    let store = new_store(&client).await;

    let batches = store
        .get_file_references_arrow(&ReadScope::Table)
        .await
        .unwrap();

    assert_eq!(batches.num_rows(), 0);
}
