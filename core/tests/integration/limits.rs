//! The limits on names and key values (`sleeper_pg::validate::MAX_*`): a value at its limit is stored
//! and returned exactly, however little it compresses; one byte more is `InvalidArgument`, naming the
//! field, its length and the limit, with nothing written. A filename and a partition id both at their
//! limits fit the reference's index entries together.

use crate::common::*;
use sleeper_pg::validate::{
    MAX_FILENAME_BYTES, MAX_JOB_ID_BYTES, MAX_KEY_VALUE_BYTES, MAX_PARTITION_ID_BYTES,
    MAX_TABLE_ID_BYTES,
};
use sleeper_pg::*;

fn assert_too_long<T: std::fmt::Debug>(result: Result<T>, what: &str, max: usize) {
    let error = result.expect_err("a value over the limit");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error:?}");
    let message = error.to_string();
    let expected = format!(
        "{what} must be at most {max} bytes long, got {} bytes",
        max + 1
    );
    assert!(message.contains(&expected), "{message:?}");
}

#[tokio::test]
async fn a_table_id_at_the_limit_is_stored_one_byte_more_is_invalid() {
    let client = client().await;
    let id = padded(&unique_table_id("limit"), MAX_TABLE_ID_BYTES);
    let store = client.create_table(&id, &long_key()).await.unwrap();
    store.initialise().await.unwrap();
    assert_eq!(client.table(&id).await.unwrap().table_id(), id);
    assert!(client.list_tables().await.unwrap().contains(&id));

    let over = padded(&unique_table_id("over"), MAX_TABLE_ID_BYTES + 1);
    assert_too_long(
        client.create_table(&over, &long_key()).await,
        "table id",
        MAX_TABLE_ID_BYTES,
    );
    assert!(!client.list_tables().await.unwrap().contains(&over));
    assert_too_long(client.table(&over).await, "table id", MAX_TABLE_ID_BYTES);
    assert_too_long(
        client.delete_table(&over).await,
        "table id",
        MAX_TABLE_ID_BYTES,
    );
    client.delete_table(&id).await.unwrap();
}

#[tokio::test]
async fn a_filename_at_the_limit_is_stored_one_byte_more_is_invalid() {
    let client = client().await;
    let store = new_store(&client).await;
    let filename = padded("s3a://bucket/", MAX_FILENAME_BYTES);
    store
        .add_file(&FileReference::new(&filename, "root", 7))
        .await
        .unwrap();
    let over = padded("s3a://bucket/", MAX_FILENAME_BYTES + 1);
    assert_too_long(
        store.add_file(&FileReference::new(&over, "root", 7)).await,
        "filename",
        MAX_FILENAME_BYTES,
    );
    // One invalid item of a call rejects the whole call.
    assert_too_long(
        store
            .add_files(&[
                FileReference::new("fine", "root", 1),
                FileReference::new(&over, "root", 1),
            ])
            .await,
        "filename",
        MAX_FILENAME_BYTES,
    );
    assert_too_long(
        store
            .delete_garbage_collected_file_reference_counts(std::slice::from_ref(&over))
            .await,
        "filename",
        MAX_FILENAME_BYTES,
    );
    let stored: Vec<(String, String, u64)> = store
        .get_file_references()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.filename, r.partition_id, r.number_of_rows))
        .collect();
    assert_eq!(stored, vec![(filename, "root".to_owned(), 7)]);
}

#[tokio::test]
async fn a_partition_id_at_the_limit_is_stored_one_byte_more_is_invalid() {
    let client = client().await;
    let store = new_store(&client).await;
    let root = Partition::new(
        padded("root-", MAX_PARTITION_ID_BYTES),
        long_range(i64::MIN, None),
    );
    let over = Partition::new(
        padded("root-", MAX_PARTITION_ID_BYTES + 1),
        long_range(i64::MIN, None),
    );
    assert_too_long(
        store
            .initialise_with_partitions(std::slice::from_ref(&over))
            .await,
        "partition id",
        MAX_PARTITION_ID_BYTES,
    );
    assert_eq!(
        store.get_all_partitions().await.unwrap(),
        vec![store.get_partition("root").await.unwrap()]
    );
    assert_too_long(
        store.get_partition(&over.id).await,
        "partition id",
        MAX_PARTITION_ID_BYTES,
    );
    assert_too_long(
        store.add_file(&FileReference::new("f", &over.id, 1)).await,
        "partition id",
        MAX_PARTITION_ID_BYTES,
    );
    store
        .initialise_with_partitions(std::slice::from_ref(&root))
        .await
        .unwrap();
    assert_eq!(store.get_partition(&root.id).await.unwrap(), root);
    assert!(store.has_no_files().await.unwrap());
}

#[tokio::test]
async fn a_job_id_at_the_limit_is_stored_one_byte_more_is_invalid() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_files(&[
            FileReference::new("a", "root", 1),
            FileReference::new("b", "root", 1),
        ])
        .await
        .unwrap();
    let job = padded("job-", MAX_JOB_ID_BYTES);
    let over = padded("job-", MAX_JOB_ID_BYTES + 1);
    assert_too_long(
        store
            .assign_job_ids(&[AssignJobIdRequest::new(&over, "root", strings(&["b"]))])
            .await,
        "job id",
        MAX_JOB_ID_BYTES,
    );
    store
        .assign_job_ids(&[AssignJobIdRequest::new(&job, "root", strings(&["a"]))])
        .await
        .unwrap();
    let jobs: Vec<Option<String>> = store
        .get_file_references()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.job_id)
        .collect();
    assert_eq!(jobs, vec![Some(job.clone()), None]);
    assert!(store
        .is_partition_files_assigned_to_job("root", &strings(&["a"]), &job)
        .await
        .unwrap());
}

#[tokio::test]
async fn a_filename_and_a_partition_id_both_at_their_limits_fit_the_index() {
    let client = client().await;
    let store = new_store(&client).await;
    let root = store.get_partition("root").await.unwrap();
    let left = padded("L-", MAX_PARTITION_ID_BYTES);
    let right = padded("R-", MAX_PARTITION_ID_BYTES);
    let (split, l, r) = split_of(&root, &left, &right, 0);
    store
        .atomically_update_partition_and_create_new_ones(&split, &l, &r)
        .await
        .unwrap();
    let filename = padded("s3a://bucket/", MAX_FILENAME_BYTES);
    let job = padded("job-", MAX_JOB_ID_BYTES);
    store
        .add_file(&FileReference::new(&filename, "root", 10))
        .await
        .unwrap();
    store
        .split_file_references(&[SplitFileReferenceRequest::split_file_to_child_partitions(
            &FileReference::new(&filename, "root", 10),
            &left,
            &right,
        )])
        .await
        .unwrap();
    store
        .assign_job_ids(&[AssignJobIdRequest::new(&job, &left, vec![filename.clone()])])
        .await
        .unwrap();
    let output = padded("s3a://bucket/out-", MAX_FILENAME_BYTES);
    store
        .atomically_replace_file_references_with_new_ones(&[ReplaceFileReferencesRequest::new(
            &job,
            &left,
            vec![filename.clone()],
            FileReference::new(&output, &left, 5),
        )])
        .await
        .unwrap();
    let mut stored: Vec<(String, String)> = store
        .get_file_references()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.filename, r.partition_id))
        .collect();
    stored.sort();
    let mut expected = vec![
        (filename.clone(), right.clone()),
        (output.clone(), left.clone()),
    ];
    expected.sort();
    assert_eq!(stored, expected);
    let files = store
        .get_partition_to_referenced_files_map_on_partitions(std::slice::from_ref(&left))
        .await
        .unwrap();
    assert_eq!(files.get(&left), Some(&vec![output]));
}

#[tokio::test]
async fn a_key_value_at_the_limit_is_stored_one_byte_more_is_invalid() {
    let client = client().await;
    let store = client
        .create_table(
            &unique_table_id("keys"),
            &[RowKeyField::new("key", KeyType::String)],
        )
        .await
        .unwrap();
    store.initialise().await.unwrap();
    let tree = |at: String| {
        let range = |min: String, max: Option<String>| {
            Region::new(vec![Range::new(
                "key",
                KeyValue::String(min),
                max.map(KeyValue::String),
            )])
        };
        let root = Partition {
            is_leaf_partition: false,
            child_partition_ids: strings(&["L", "R"]),
            dimension: 0,
            ..Partition::new("root", range(String::new(), None))
        };
        let child = |id: &str, region| Partition {
            parent_partition_id: Some("root".into()),
            ..Partition::new(id, region)
        };
        vec![
            root,
            child("L", range(String::new(), Some(at.clone()))),
            child("R", range(at, None)),
        ]
    };
    let over = tree(incompressible(MAX_KEY_VALUE_BYTES + 1));
    assert_too_long(
        store.initialise_with_partitions(&over).await,
        "max",
        MAX_KEY_VALUE_BYTES,
    );
    assert_eq!(store.get_all_partitions().await.unwrap().len(), 1);
    let at_limit = tree(incompressible(MAX_KEY_VALUE_BYTES));
    store.initialise_with_partitions(&at_limit).await.unwrap();
    let mut stored = store.get_all_partitions().await.unwrap();
    stored.sort_by(|a, b| a.id.cmp(&b.id));
    let mut expected = at_limit;
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(stored, expected);

    // Split points are key values too, and bytes count as they are.
    let row_keys = [RowKeyField::new("key", KeyType::Bytes)];
    assert_too_long(
        partitions_from_split_points(
            &row_keys,
            &[KeyValue::Bytes(vec![7; MAX_KEY_VALUE_BYTES + 1])],
        ),
        "split point",
        MAX_KEY_VALUE_BYTES,
    );
    assert!(partitions_from_split_points(
        &row_keys,
        &[KeyValue::Bytes(vec![7; MAX_KEY_VALUE_BYTES])]
    )
    .is_ok());
}
