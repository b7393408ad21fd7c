//! CONTRACT.md section 6: concurrent calls through separate clients (separate connections).

use std::sync::Arc;

use crate::common::*;
use sleeper_pg::*;
use tokio::sync::Barrier;

/// Runs `call` on `n` clients at once, each with its own connection, started together.
async fn at_once<T, F, Fut>(n: usize, store: &StateStore, call: F) -> Vec<Result<T>>
where
    T: Send + 'static,
    F: Fn(usize, StateStore) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T>> + Send,
{
    let call = Arc::new(call);
    let barrier = Arc::new(Barrier::new(n));
    let mut handles = Vec::new();
    for i in 0..n {
        let client = client().await;
        let handle = client.table(store.table_id()).await.unwrap();
        let (call, barrier) = (call.clone(), barrier.clone());
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let result = call(i, handle).await;
            drop(client);
            result
        }));
    }
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.unwrap());
    }
    results
}

fn successes<T>(results: &[Result<T>]) -> usize {
    results.iter().filter(|r| r.is_ok()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_clients_splitting_one_partition_exactly_one_wins() {
    let client = client().await;
    let store = new_store(&client).await;
    let root = store.get_partition("root").await.unwrap();
    let results = at_once(2, &store, move |i, store| {
        let (split, left, right) = split_of(
            &root,
            &format!("L{i}"),
            &format!("R{i}"),
            10 * (i as i64 + 1),
        );
        async move {
            store
                .atomically_update_partition_and_create_new_ones(&split, &left, &right)
                .await
        }
    })
    .await;
    assert_eq!(successes(&results), 1);
    let loser = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert_eq!(loser.to_string(), "Parent should be a leaf partition");
    let partitions = store.get_all_partitions().await.unwrap();
    assert_eq!(partitions.len(), 3);
    assert!(partitions
        .iter()
        .all(|p| p.id == "root" || p.id.ends_with(if results[0].is_ok() { '0' } else { '1' })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_eight_clients_assigning_one_reference_exactly_one_wins() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_file(&FileReference::new("f", "root", 1))
        .await
        .unwrap();
    let results = at_once(8, &store, |i, store| async move {
        store
            .assign_job_ids(&[AssignJobIdRequest::new(
                format!("job{i}"),
                "root",
                strings(&["f"]),
            )])
            .await
    })
    .await;
    assert_eq!(successes(&results), 1);
    for error in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(error, Error::FileReferenceAssignedToJob { .. }),
            "{error:?}"
        );
    }
    let winner = results.iter().position(|r| r.is_ok()).unwrap();
    assert_eq!(
        store.get_file_references().await.unwrap()[0].job_id,
        Some(format!("job{winner}"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_clients_splitting_one_reference_exactly_one_wins() {
    let client = client().await;
    let store = new_store(&client).await;
    let file = FileReference::new("f", "root", 10);
    store.add_file(&file).await.unwrap();
    let results = at_once(2, &store, move |i, store| {
        let request = SplitFileReferenceRequest::split_file_to_child_partitions(
            &file,
            &format!("L{i}"),
            &format!("R{i}"),
        );
        async move { store.split_file_references(&[request]).await }
    })
    .await;
    assert_eq!(successes(&results), 1);
    let Some(Err(Error::SplitRequestsFailed { cause, .. })) = results.iter().find(|r| r.is_err())
    else {
        panic!("expected SplitRequestsFailed")
    };
    assert!(matches!(**cause, Error::FileReferenceNotFound { .. }));
    assert_eq!(store.get_file_references().await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_commits_of_one_job_exactly_one_wins() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_file(&FileReference {
            job_id: Some("job".into()),
            ..FileReference::new("in", "root", 10)
        })
        .await
        .unwrap();
    let results = at_once(2, &store, |i, store| async move {
        let request = ReplaceFileReferencesRequest::new(
            "job",
            "root",
            strings(&["in"]),
            FileReference::new(format!("out{i}"), "root", 10),
        );
        store
            .atomically_replace_file_references_with_new_ones(&[request])
            .await
    })
    .await;
    assert_eq!(successes(&results), 1);
    let Some(Err(Error::ReplaceRequestsFailed { cause, .. })) = results.iter().find(|r| r.is_err())
    else {
        panic!("expected ReplaceRequestsFailed")
    };
    assert!(matches!(**cause, Error::FileReferenceNotFound { .. }));
    assert_eq!(store.get_file_references().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_clients_adding_one_filename_exactly_one_wins() {
    let client = client().await;
    let store = new_store(&client).await;
    let results = at_once(6, &store, |i, store| async move {
        store
            .add_file(&FileReference::new("same", "root", i as u64))
            .await
    })
    .await;
    assert_eq!(successes(&results), 1);
    for error in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(
            error,
            &Error::FileAlreadyExists {
                filename: "same".into()
            }
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_commits_on_disjoint_files_all_succeed() {
    let client = client().await;
    let store = new_store(&client).await;
    let inputs: Vec<FileReference> = (0..32)
        .map(|i| FileReference {
            job_id: Some(format!("job{i}")),
            ..FileReference::new(format!("in{i}"), "root", 5)
        })
        .collect();
    store.add_files(&inputs).await.unwrap();
    store.fix_file_update_time(Some(at(12, 0, 0, 0))).unwrap();
    let results = at_once(32, &store, |i, store| async move {
        store.fix_file_update_time(Some(at(12, 0, 0, 0))).unwrap();
        let request = ReplaceFileReferencesRequest::new(
            format!("job{i}"),
            "root",
            vec![format!("in{i}")],
            FileReference::new(format!("out{i:02}"), "root", 5),
        );
        store
            .atomically_replace_file_references_with_new_ones(&[request])
            .await
    })
    .await;
    assert_eq!(successes(&results), 32);
    let outputs: Vec<String> = store
        .get_file_references()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.filename)
        .collect();
    assert_eq!(
        outputs,
        (0..32).map(|i| format!("out{i:02}")).collect::<Vec<_>>()
    );
    let ready = store
        .get_ready_for_gc_filenames_before(at(12, 0, 0, 1))
        .await
        .unwrap();
    assert_eq!(ready.len(), 32);
    assert!(store
        .get_ready_for_gc_filenames_before(at(12, 0, 0, 0))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn jobs_compacting_one_file_on_every_partition_at_once_all_succeed() {
    const PARTITIONS: usize = 64;
    let client = client().await;
    let store = new_store(&client).await;
    let shared: Vec<FileReference> = (0..PARTITIONS)
        .map(|p| FileReference {
            job_id: Some(format!("job{p}")),
            ..FileReference::new("shared", format!("p{p:03}"), 1)
        })
        .collect();
    store.add_files(&shared).await.unwrap();
    let results = at_once(PARTITIONS, &store, |p, store| async move {
        let request = ReplaceFileReferencesRequest::new(
            format!("job{p}"),
            format!("p{p:03}"),
            strings(&["shared"]),
            FileReference::new(format!("out{p:03}"), format!("p{p:03}"), 1),
        );
        store
            .atomically_replace_file_references_with_new_ones(&[request])
            .await
    })
    .await;
    assert_eq!(successes(&results), PARTITIONS);
    let report = store.get_all_files_with_max_unreferenced(10).await.unwrap();
    let unreferenced: Vec<&str> = report
        .files_with_no_references()
        .map(|f| f.filename.as_str())
        .collect();
    assert_eq!(unreferenced, vec!["shared"]);
    assert_eq!(report.files_with_references().count(), PARTITIONS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn initialise_racing_an_add_either_goes_first_or_fails_with_files_present() {
    let client = client().await;
    let store = new_store(&client).await;
    let results = at_once(2, &store, |i, store| async move {
        if i == 0 {
            store.initialise().await
        } else {
            store.add_file(&FileReference::new("f", "root", 1)).await
        }
    })
    .await;
    assert!(
        results[1].is_ok(),
        "the add always succeeds: {:?}",
        results[1]
    );
    match &results[0] {
        Ok(()) => {}
        Err(error) => assert_eq!(error, &Error::InitialiseWithFilesPresent),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_gc_delete_racing_a_split_never_removes_a_referenced_file() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_file(&FileReference::new("f", "root", 10))
        .await
        .unwrap();
    let results = at_once(2, &store, |i, store| async move {
        if i == 0 {
            store
                .delete_garbage_collected_file_reference_counts(&strings(&["f"]))
                .await
        } else {
            let file = FileReference::new("f", "root", 10);
            store
                .split_file_references(&[
                    SplitFileReferenceRequest::split_file_to_child_partitions(&file, "L", "R"),
                ])
                .await
        }
    })
    .await;
    assert!(matches!(results[0], Err(Error::FileHasReferences { .. })));
    assert!(results[1].is_ok());
    assert_eq!(store.get_file_references().await.unwrap().len(), 2);
}
