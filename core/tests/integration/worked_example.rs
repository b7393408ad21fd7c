//! CONTRACT.md section 10, step by step: the life of one table as Sleeper drives it.

use crate::common::{at, client, long_key};
use sleeper_pg::*;

fn reference(
    filename: &str,
    partition: &str,
    rows: u64,
    job: Option<&str>,
    time: Timestamp,
) -> FileReference {
    FileReference {
        job_id: job.map(str::to_owned),
        last_update_time: Some(time),
        ..FileReference::new(filename, partition, rows)
    }
}

fn range(min: i64, max: Option<i64>) -> Region {
    Region::new(vec![Range::new(
        "key",
        KeyValue::Long(min),
        max.map(KeyValue::Long),
    )])
}

#[tokio::test]
async fn the_worked_example_holds_step_by_step() {
    let client = client().await;
    let store = client
        .create_table(&crate::common::unique_table_id("example"), &long_key())
        .await
        .unwrap();

    // Step 1
    store.initialise().await.unwrap();
    let root = Partition::new("root", range(i64::MIN, None));
    assert_eq!(
        store.get_all_partitions().await.unwrap(),
        vec![root.clone()]
    );
    assert!(store.has_no_files().await.unwrap());

    // Step 2
    let split_root = Partition {
        is_leaf_partition: false,
        child_partition_ids: vec!["L".into(), "R".into()],
        dimension: 0,
        ..root.clone()
    };
    let left = Partition {
        parent_partition_id: Some("root".into()),
        ..Partition::new("L", range(i64::MIN, Some(100)))
    };
    let right = Partition {
        parent_partition_id: Some("root".into()),
        ..Partition::new("R", range(100, None))
    };
    store
        .atomically_update_partition_and_create_new_ones(&split_root, &left, &right)
        .await
        .unwrap();
    assert_eq!(
        store.get_all_partitions().await.unwrap(),
        vec![left.clone(), right.clone(), split_root.clone()]
    );
    assert_eq!(
        store.get_leaf_partitions().await.unwrap(),
        vec![left.clone(), right.clone()]
    );
    let again = store
        .atomically_update_partition_and_create_new_ones(&split_root, &left, &right)
        .await;
    assert_eq!(
        again.unwrap_err().to_string(),
        "Parent should be a leaf partition"
    );

    // Step 3
    store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    store
        .add_files(&[
            FileReference::new("file1", "root", 1000),
            FileReference::new("file2", "L", 200),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.get_file_references().await.unwrap(),
        vec![
            reference("file1", "root", 1000, None, at(10, 0, 0, 0)),
            reference("file2", "L", 200, None, at(10, 0, 0, 0)),
        ]
    );
    let duplicate = store
        .add_file(&FileReference::new("file1", "L", 5))
        .await
        .unwrap_err();
    assert_eq!(duplicate.to_string(), "File already exists: file1");

    // Step 4
    store.fix_file_update_time(Some(at(10, 1, 0, 0))).unwrap();
    let file1_on_root = store.get_file_references().await.unwrap()[0].clone();
    store
        .split_file_references(&[SplitFileReferenceRequest::split_file_to_child_partitions(
            &file1_on_root,
            "L",
            "R",
        )])
        .await
        .unwrap();
    let pushed_down = |partition: &str| FileReference {
        count_approximate: true,
        only_contains_data_for_this_partition: false,
        ..reference("file1", partition, 500, None, at(10, 1, 0, 0))
    };
    assert_eq!(
        store.get_file_references().await.unwrap(),
        vec![
            pushed_down("L"),
            pushed_down("R"),
            reference("file2", "L", 200, None, at(10, 0, 0, 0)),
        ]
    );
    let map = store.get_partition_to_referenced_files_map().await.unwrap();
    assert_eq!(
        map.get("L").unwrap(),
        &vec!["file1".to_owned(), "file2".to_owned()]
    );
    assert_eq!(map.get("R").unwrap(), &vec!["file1".to_owned()]);

    // Step 5
    store.fix_file_update_time(Some(at(10, 2, 0, 0))).unwrap();
    store
        .assign_job_ids(&[AssignJobIdRequest::new(
            "job1",
            "L",
            vec!["file1".into(), "file2".into()],
        )])
        .await
        .unwrap();
    assert_eq!(
        store.get_file_references_with_no_job_id().await.unwrap(),
        vec![pushed_down("R")]
    );
    assert!(store
        .is_partition_files_assigned_to_job("L", &["file1".into(), "file2".into()], "job1")
        .await
        .unwrap());
    assert!(!store
        .is_partition_files_assigned_to_job("R", &["file1".into()], "job1")
        .await
        .unwrap());
    let taken = store
        .assign_job_ids(&[AssignJobIdRequest::new("job2", "L", vec!["file2".into()])])
        .await
        .unwrap_err();
    assert_eq!(
        taken.to_string(),
        "Reference to file is already assigned to job job1, in partition L, filename file2"
    );

    // Step 6
    store.fix_file_update_time(Some(at(10, 3, 0, 0))).unwrap();
    let commit = ReplaceFileReferencesRequest::new(
        "job1",
        "L",
        vec!["file1".into(), "file2".into()],
        FileReference::new("file3", "L", 700),
    );
    store
        .atomically_replace_file_references_with_new_ones(std::slice::from_ref(&commit))
        .await
        .unwrap();
    let file3 = reference("file3", "L", 700, None, at(10, 3, 0, 0));
    assert_eq!(
        store.get_file_references().await.unwrap(),
        vec![pushed_down("R"), file3.clone()]
    );
    let report = store.get_all_files_with_max_unreferenced(10).await.unwrap();
    assert_eq!(
        report,
        AllReferencesToAllFiles {
            files: vec![
                AllReferencesToAFile {
                    filename: "file1".into(),
                    references: vec![pushed_down("R")],
                    last_update_time: Some(at(10, 3, 0, 0)),
                },
                AllReferencesToAFile {
                    filename: "file2".into(),
                    references: vec![],
                    last_update_time: Some(at(10, 3, 0, 0)),
                },
                AllReferencesToAFile {
                    filename: "file3".into(),
                    references: vec![file3.clone()],
                    last_update_time: Some(at(10, 3, 0, 0)),
                },
            ],
            more_than_max: false,
        }
    );
    let limited = store.get_all_files_with_max_unreferenced(0).await.unwrap();
    assert!(limited.more_than_max);
    assert_eq!(limited.files.len(), 2);
    let repeated = store
        .atomically_replace_file_references_with_new_ones(std::slice::from_ref(&commit))
        .await
        .unwrap_err();
    assert_eq!(
        repeated.to_string(),
        "1 replace file reference requests failed to update the state store"
    );
    let Error::ReplaceRequestsFailed { failed, cause } = repeated else {
        panic!("expected ReplaceRequestsFailed")
    };
    assert_eq!(failed, vec![commit.clone()]);
    assert_eq!(
        cause.to_string(),
        "File reference not found in partition L, filename file1"
    );

    // Step 7
    assert!(store
        .get_ready_for_gc_filenames_before(at(10, 3, 0, 0))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .get_ready_for_gc_filenames_before(at(10, 3, 0, 1))
            .await
            .unwrap(),
        vec!["file2".to_owned()]
    );
    store
        .delete_garbage_collected_file_reference_counts(&["file2".into()])
        .await
        .unwrap();
    let referenced = store
        .delete_garbage_collected_file_reference_counts(&["file1".into()])
        .await
        .unwrap_err();
    assert_eq!(
        referenced.to_string(),
        "Cannot remove file as it still has references, filename file1, 1 references"
    );
    let gone = store
        .delete_garbage_collected_file_reference_counts(&["file2".into()])
        .await
        .unwrap_err();
    assert_eq!(gone.to_string(), "File not found: file2");
    assert!(!store.has_no_files().await.unwrap());
    assert_eq!(
        store.initialise().await.unwrap_err(),
        Error::InitialiseWithFilesPresent
    );
}
