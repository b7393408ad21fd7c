//! `StateStore::status`: a table's counts in one snapshot.

use sleeper_pg::*;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_of_a_new_table_counts_its_root_and_nothing_else() {
    let client = client().await;
    let store = new_store(&client).await;

    let status = store.status().await.unwrap();

    assert_eq!((status.partitions, status.leaf_partitions), (1, 1));
    assert_eq!(
        (status.files, status.references, status.jobs_in_flight),
        (0, 0, 0)
    );
    assert_eq!(status.oldest_reference_with_no_job, None);
    assert_eq!(status.oldest_unreferenced_file, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_counts_partitions_files_references_jobs_and_the_oldest_times() {
    let client = client().await;
    let store = store_split_at(&client, 0).await;
    store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    // "a" on both leaves, "b" and "c" on L; "c" later assigned to a job with "b".
    store
        .add_files(&[
            FileReference::new("a", "L", 5),
            FileReference::new("a", "R", 5),
            FileReference::new("b", "L", 7),
            FileReference::new("c", "L", 9),
        ])
        .await
        .unwrap();
    store.fix_file_update_time(Some(at(11, 0, 0, 0))).unwrap();
    store
        .assign_job_ids(&[AssignJobIdRequest::new("job", "L", strings(&["b", "c"]))])
        .await
        .unwrap();
    store.fix_file_update_time(Some(at(12, 0, 0, 0))).unwrap();
    store
        .atomically_replace_file_references_with_new_ones(&[ReplaceFileReferencesRequest::new(
            "job",
            "L",
            strings(&["b", "c"]),
            FileReference::new("d", "L", 16),
        )])
        .await
        .unwrap();
    store
        .assign_job_ids(&[AssignJobIdRequest::new("next", "R", strings(&["a"]))])
        .await
        .unwrap();

    let status = store.status().await.unwrap();

    assert_eq!((status.partitions, status.leaf_partitions), (3, 2));
    assert_eq!(status.files, 4);
    assert_eq!(status.references, 3);
    assert_eq!(status.references_with_no_job, 2);
    assert_eq!(status.jobs_in_flight, 1);
    assert_eq!(status.unreferenced_files, 2);
    assert_eq!(status.oldest_reference_with_no_job, Some(at(10, 0, 0, 0)));
    assert_eq!(status.oldest_unreferenced_file, Some(at(12, 0, 0, 0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_of_a_deleted_table_is_table_not_found() {
    let client = client().await;
    let store = new_store(&client).await;
    client.delete_table(store.table_id()).await.unwrap();

    let error = store.status().await.unwrap_err();

    assert!(matches!(error, Error::TableNotFound { .. }), "{error:?}");
}
