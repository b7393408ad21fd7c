//! Writes read without locks and write only if what they read is unchanged (docs/design.md,
//! "Optimistic writes"). Each test changes the rows a call read between its read and its write
//! (`testing::before_next_write`), through another client: the call runs again and reports what it
//! would have reported had it run after that change.

use crate::common::*;
use sleeper_pg::testing::{before_next_write, Change};
use sleeper_pg::*;

/// A change made through a client of its own, as another process would make it.
fn elsewhere<F, Fut>(store: &StateStore, change: F) -> Change
where
    F: FnOnce(StateStore) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let table_id = store.table_id().to_owned();
    Box::pin(async move {
        let other = client().await;
        let store = other.table(&table_id).await.expect("open the table");
        change(store).await.expect("the change in between");
    })
}

async fn store_with_file(client: &Client) -> StateStore {
    let store = new_store(client).await;
    store
        .add_file(&FileReference::new("f", "root", 10))
        .await
        .unwrap();
    store
}

fn assign(job_id: &str) -> AssignJobIdRequest {
    AssignJobIdRequest::new(job_id, "root", strings(&["f"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assignment_whose_reference_is_assigned_in_between_reports_the_other_job() {
    let client = client().await;
    let store = store_with_file(&client).await;
    before_next_write(
        &store,
        elsewhere(&store, |other| async move {
            other.assign_job_ids(&[assign("other")]).await
        }),
    );

    let error = store.assign_job_ids(&[assign("mine")]).await.unwrap_err();

    assert!(
        matches!(&error, Error::FileReferenceAssignedToJob { job_id, .. } if job_id == "other"),
        "{error:?}"
    );
    let references = store.get_file_references().await.unwrap();
    assert_eq!(references[0].job_id.as_deref(), Some("other"));
    assert_eq!(client.retries(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_whose_input_is_committed_in_between_raises_reference_not_found() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_file(&FileReference {
            job_id: Some("job".into()),
            ..FileReference::new("in", "root", 10)
        })
        .await
        .unwrap();
    let commit = |output: &str| {
        ReplaceFileReferencesRequest::new(
            "job",
            "root",
            strings(&["in"]),
            FileReference::new(output, "root", 10),
        )
    };
    let theirs = commit("theirs");
    before_next_write(
        &store,
        elsewhere(&store, move |other| async move {
            other
                .atomically_replace_file_references_with_new_ones(&[theirs])
                .await
        }),
    );

    let error = store
        .atomically_replace_file_references_with_new_ones(&[commit("mine")])
        .await
        .unwrap_err();

    let Error::ReplaceRequestsFailed { cause, .. } = &error else {
        panic!("expected ReplaceRequestsFailed, got {error:?}")
    };
    assert!(
        matches!(**cause, Error::FileReferenceNotFound { .. }),
        "{cause:?}"
    );
    let files: Vec<String> = store
        .get_file_references()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.filename)
        .collect();
    assert_eq!(files, ["theirs"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_of_a_partition_split_in_between_raises_parent_not_a_leaf() {
    let client = client().await;
    let store = new_store(&client).await;
    let root = store.get_partition("root").await.unwrap();
    let (theirs, their_left, their_right) = split_of(&root, "L1", "R1", 10);
    before_next_write(
        &store,
        elsewhere(&store, move |other| async move {
            other
                .atomically_update_partition_and_create_new_ones(&theirs, &their_left, &their_right)
                .await
        }),
    );
    let (mine, left, right) = split_of(&root, "L2", "R2", 20);

    let error = store
        .atomically_update_partition_and_create_new_ones(&mine, &left, &right)
        .await
        .unwrap_err();

    assert!(error.to_string().contains("should be a leaf"), "{error}");
    let leaves: Vec<String> = store
        .get_leaf_partitions()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(leaves, ["L1", "R1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_of_a_file_deleted_in_between_raises_file_not_found() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_files_with_references(&[AllReferencesToAFile::new("gone", Vec::new())])
        .await
        .unwrap();
    before_next_write(
        &store,
        elsewhere(&store, |other| async move {
            other
                .delete_garbage_collected_file_reference_counts(&strings(&["gone"]))
                .await
        }),
    );

    let error = store
        .delete_garbage_collected_file_reference_counts(&strings(&["gone"]))
        .await
        .unwrap_err();

    assert!(matches!(error, Error::FileNotFound { .. }), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_to_other_rows_in_between_does_not_rerun_the_call() {
    let client = client().await;
    let store = store_with_file(&client).await;
    before_next_write(
        &store,
        elsewhere(&store, |other| async move {
            other.add_file(&FileReference::new("g", "root", 5)).await
        }),
    );

    store.assign_job_ids(&[assign("mine")]).await.unwrap();

    assert_eq!(client.retries(), 0);
    let jobs: Vec<Option<String>> = store
        .get_file_references()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.job_id)
        .collect();
    assert_eq!(jobs, [Some("mine".to_owned()), None]);
}
