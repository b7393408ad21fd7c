//! Files and references: CONTRACT.md 3.1 and 3.4 to 3.9, section 4 and section 7.

use crate::common::*;
use sleeper_pg::*;

fn assigned(filename: &str, partition: &str, rows: u64, job: &str) -> FileReference {
    FileReference {
        job_id: Some(job.to_owned()),
        ..FileReference::new(filename, partition, rows)
    }
}

/// References without their times, to compare what was stored apart from when.
async fn references(store: &StateStore) -> Vec<FileReference> {
    let mut refs = store.get_file_references().await.unwrap();
    for r in &mut refs {
        r.last_update_time = None;
    }
    refs
}

async fn store_with_files(client: &Client, files: &[FileReference]) -> StateStore {
    let store = new_store(client).await;
    store.add_files(files).await.unwrap();
    store
}

// ---- adding files ----

#[tokio::test]
async fn add_files_stores_references_as_given_with_the_time_of_the_call() {
    let client = client().await;
    let store = new_store(&client).await;
    store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    let mut reference = assigned("f", "root", 5, "job");
    reference.count_approximate = true;
    reference.only_contains_data_for_this_partition = false;
    reference.last_update_time = Some(at(1, 0, 0, 0));
    store.add_file(&reference).await.unwrap();
    reference.last_update_time = Some(at(10, 0, 0, 0));
    assert_eq!(store.get_file_references().await.unwrap(), vec![reference]);
}

#[tokio::test]
async fn references_are_read_by_filename_then_partition_in_byte_order_whatever_the_order_added() {
    let client = client().await;
    let store = store_split_at(&client, 0).await;
    let calls: [&[(&str, &str)]; 3] = [
        &[("b", "R"), ("b", "L")],
        &[("é", "L")],
        &[("a", "R"), ("B", "L"), ("a", "L")],
    ];
    for call in calls {
        let references: Vec<FileReference> = call
            .iter()
            .map(|(filename, partition)| FileReference::new(*filename, *partition, 1))
            .collect();
        store.add_files(&references).await.unwrap();
    }

    let read: Vec<(String, String)> = references(&store)
        .await
        .into_iter()
        .map(|r| (r.filename, r.partition_id))
        .collect();

    let expected = [
        ("B", "L"),
        ("a", "L"),
        ("a", "R"),
        ("b", "L"),
        ("b", "R"),
        ("é", "L"),
    ];
    assert_eq!(read, expected.map(|(f, p)| (f.to_owned(), p.to_owned())));
}

#[tokio::test]
async fn add_files_groups_references_of_one_filename_into_one_file() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_files(&[
            FileReference::new("f", "L", 1),
            FileReference::new("g", "L", 2),
            FileReference::new("f", "R", 3),
        ])
        .await
        .unwrap();
    let report = store.get_all_files_with_max_unreferenced(10).await.unwrap();
    let counts: Vec<(String, usize)> = report
        .files
        .iter()
        .map(|f| (f.filename.clone(), f.reference_count()))
        .collect();
    assert_eq!(counts, vec![("f".into(), 2), ("g".into(), 1)]);
}

#[tokio::test]
async fn adding_an_existing_file_raises_file_already_exists_and_adds_nothing() {
    let client = client().await;
    let store = store_with_files(&client, &[FileReference::new("f", "root", 1)]).await;
    let error = store
        .add_files(&[
            FileReference::new("g", "root", 1),
            FileReference::new("f", "L", 1),
        ])
        .await
        .unwrap_err();
    assert_eq!(
        error,
        Error::FileAlreadyExists {
            filename: "f".into()
        }
    );
    assert_eq!(
        references(&store).await,
        vec![FileReference::new("f", "root", 1)]
    );
}

#[tokio::test]
async fn adding_an_unreferenced_file_again_raises_file_already_exists() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_files_with_references(&[AllReferencesToAFile::new("f", vec![])])
        .await
        .unwrap();
    let error = store
        .add_file(&FileReference::new("f", "root", 1))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        Error::FileAlreadyExists {
            filename: "f".into()
        }
    );
}

#[tokio::test]
async fn a_filename_twice_in_one_call_raises_file_already_exists() {
    let client = client().await;
    let store = new_store(&client).await;
    let file = AllReferencesToAFile::new("f", vec![FileReference::new("f", "root", 1)]);
    let error = store
        .add_files_with_references(&[file.clone(), file])
        .await
        .unwrap_err();
    assert_eq!(
        error,
        Error::FileAlreadyExists {
            filename: "f".into()
        }
    );
    assert!(store.has_no_files().await.unwrap());
}

#[tokio::test]
async fn two_references_of_one_file_on_one_partition_raise_file_reference_already_exists() {
    let client = client().await;
    let store = new_store(&client).await;
    let error = store
        .add_files(&[
            FileReference::new("f", "L", 1),
            FileReference::new("f", "L", 2),
        ])
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Reference to file already exists in partition L, filename f"
    );
    assert!(store.has_no_files().await.unwrap());
}

#[tokio::test]
async fn a_file_added_with_no_references_is_unreferenced() {
    let client = client().await;
    let store = new_store(&client).await;
    store.fix_file_update_time(Some(at(9, 0, 0, 0))).unwrap();
    store
        .add_files_with_references(&[AllReferencesToAFile::new("f", vec![])])
        .await
        .unwrap();
    assert!(!store.has_no_files().await.unwrap());
    assert!(store.get_file_references().await.unwrap().is_empty());
    assert_eq!(
        store
            .get_ready_for_gc_filenames_before(at(9, 0, 0, 1))
            .await
            .unwrap(),
        strings(&["f"])
    );
}

#[tokio::test]
async fn references_may_name_partitions_that_do_not_exist() {
    let client = client().await;
    let store = store_with_files(&client, &[FileReference::new("f", "nowhere", 1)]).await;
    assert_eq!(
        references(&store).await,
        vec![FileReference::new("f", "nowhere", 1)]
    );
}

// ---- splitting references ----

fn push_down(file: &FileReference) -> SplitFileReferenceRequest {
    SplitFileReferenceRequest::split_file_to_child_partitions(file, "L", "R")
}

#[tokio::test]
async fn split_to_child_partitions_halves_the_rows_and_marks_them_approximate() {
    let request = push_down(&FileReference::new("f", "root", 101));
    assert_eq!(request.new_references[0].number_of_rows, 50);
    assert!(request.new_references[1].count_approximate);
    assert!(!request.new_references[1].only_contains_data_for_this_partition);
    assert_eq!(request.new_references[1].partition_id, "R");
}

#[tokio::test]
async fn splitting_a_reference_replaces_it_with_the_new_ones() {
    let client = client().await;
    let file = FileReference::new("f", "root", 100);
    let store = store_with_files(&client, std::slice::from_ref(&file)).await;
    store
        .split_file_references(&[push_down(&file)])
        .await
        .unwrap();
    let refs = references(&store).await;
    assert_eq!(refs, push_down(&file).new_references);
}

#[tokio::test]
async fn chained_splits_in_one_call_see_each_other() {
    let client = client().await;
    let file = FileReference::new("f", "root", 100);
    let store = store_with_files(&client, std::slice::from_ref(&file)).await;
    let first = push_down(&file);
    let second = SplitFileReferenceRequest::split_file_to_child_partitions(
        &first.new_references[0],
        "LL",
        "LR",
    );
    store.split_file_references(&[first, second]).await.unwrap();
    let partitions: Vec<String> = references(&store)
        .await
        .into_iter()
        .map(|r| r.partition_id)
        .collect();
    assert_eq!(partitions, strings(&["LL", "LR", "R"]));
}

#[tokio::test]
async fn splitting_a_reference_updates_the_file_time_and_keeps_other_references_times() {
    let client = client().await;
    let store = new_store(&client).await;
    store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    store
        .add_files(&[
            FileReference::new("f", "root", 10),
            FileReference::new("f", "X", 10),
        ])
        .await
        .unwrap();
    store.fix_file_update_time(Some(at(10, 1, 0, 0))).unwrap();
    store
        .split_file_references(&[push_down(&FileReference::new("f", "root", 10))])
        .await
        .unwrap();
    let report = store.get_all_files_with_max_unreferenced(0).await.unwrap();
    assert_eq!(report.files[0].last_update_time, Some(at(10, 1, 0, 0)));
    let x = report.files[0]
        .references
        .iter()
        .find(|r| r.partition_id == "X")
        .unwrap();
    assert_eq!(x.last_update_time, Some(at(10, 0, 0, 0)));
}

/// Runs a call that must fail, checks that it changed nothing, and returns its error.
async fn failure_changing_nothing(
    store: &StateStore,
    call: impl std::future::Future<Output = Result<()>>,
) -> Error {
    let state = || async {
        store
            .get_all_files_with_max_unreferenced(100)
            .await
            .unwrap()
    };
    let before = state().await;
    let error = call.await.unwrap_err();
    assert_eq!(state().await, before, "nothing changed");
    error
}

async fn split_failure(store: &StateStore, request: SplitFileReferenceRequest) -> Error {
    let call = store.split_file_references(std::slice::from_ref(&request));
    let error = failure_changing_nothing(store, call).await;
    let Error::SplitRequestsFailed { failed, cause } = error else {
        panic!("expected SplitRequestsFailed, got {error:?}")
    };
    assert_eq!(failed, vec![request]);
    *cause
}

#[tokio::test]
async fn splitting_a_missing_file_fails_with_file_not_found() {
    let client = client().await;
    let store = new_store(&client).await;
    let cause = split_failure(&store, push_down(&FileReference::new("f", "root", 1))).await;
    assert_eq!(
        cause,
        Error::FileNotFound {
            filename: "f".into()
        }
    );
}

#[tokio::test]
async fn splitting_a_missing_reference_fails_with_file_reference_not_found() {
    let client = client().await;
    let store = store_with_files(&client, &[FileReference::new("f", "L", 1)]).await;
    let cause = split_failure(&store, push_down(&FileReference::new("f", "root", 1))).await;
    assert_eq!(
        cause.to_string(),
        "File reference not found in partition root, filename f"
    );
}

#[tokio::test]
async fn splitting_an_assigned_reference_fails_with_assigned_to_job() {
    let client = client().await;
    let store = store_with_files(&client, &[assigned("f", "root", 1, "job")]).await;
    let cause = split_failure(&store, push_down(&FileReference::new("f", "root", 1))).await;
    assert_eq!(
        cause.to_string(),
        "Reference to file is already assigned to job job, in partition root, filename f"
    );
}

#[tokio::test]
async fn splitting_onto_an_existing_reference_fails_with_reference_already_exists() {
    let client = client().await;
    let store = store_with_files(
        &client,
        &[
            FileReference::new("f", "root", 1),
            FileReference::new("f", "R", 1),
        ],
    )
    .await;
    let cause = split_failure(&store, push_down(&FileReference::new("f", "root", 1))).await;
    assert_eq!(
        cause.to_string(),
        "Reference to file already exists in partition R, filename f"
    );
}

#[tokio::test]
async fn splitting_onto_the_old_partition_fails_with_reference_already_exists() {
    let client = client().await;
    let store = store_with_files(&client, &[FileReference::new("f", "root", 1)]).await;
    let request = SplitFileReferenceRequest::new(
        FileReference::new("f", "root", 1),
        vec![FileReference::new("f", "root", 1)],
    );
    let cause = split_failure(&store, request).await;
    assert_eq!(
        cause.to_string(),
        "Reference to file already exists in partition root, filename f"
    );
}

#[tokio::test]
async fn a_failing_second_request_undoes_the_first() {
    let client = client().await;
    let store = store_with_files(&client, &[FileReference::new("f", "root", 1)]).await;
    let good = push_down(&FileReference::new("f", "root", 1));
    let bad = push_down(&FileReference::new("missing", "root", 1));
    let error = store
        .split_file_references(&[good.clone(), bad.clone()])
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "2 split requests failed to update the state store"
    );
    assert_eq!(
        references(&store).await,
        vec![FileReference::new("f", "root", 1)]
    );
}

#[tokio::test]
async fn a_split_request_without_new_references_is_invalid() {
    let client = client().await;
    let store = new_store(&client).await;
    let request = SplitFileReferenceRequest::new(FileReference::new("f", "root", 1), vec![]);
    let error = store.split_file_references(&[request]).await.unwrap_err();
    assert_eq!(
        error,
        Error::InvalidArgument {
            message: "newReferences must not be empty".into()
        }
    );
}

#[tokio::test]
async fn a_split_request_with_another_filename_is_invalid() {
    let client = client().await;
    let store = new_store(&client).await;
    let request = SplitFileReferenceRequest::new(
        FileReference::new("f", "root", 1),
        vec![FileReference::new("g", "L", 1)],
    );
    assert!(matches!(
        store.split_file_references(&[request]).await,
        Err(Error::InvalidArgument { .. })
    ));
}

// ---- assigning jobs ----

fn assign(job: &str, partition: &str, files: &[&str]) -> AssignJobIdRequest {
    AssignJobIdRequest::new(job, partition, strings(files))
}

#[tokio::test]
async fn assigning_a_job_sets_it_on_each_named_reference() {
    let client = client().await;
    let store = store_with_files(
        &client,
        &[
            FileReference::new("a", "L", 1),
            FileReference::new("b", "L", 1),
        ],
    )
    .await;
    store
        .assign_job_ids(&[assign("job", "L", &["a", "b"])])
        .await
        .unwrap();
    assert_eq!(
        references(&store).await,
        vec![assigned("a", "L", 1, "job"), assigned("b", "L", 1, "job")]
    );
}

#[tokio::test]
async fn assigning_updates_the_file_time() {
    let client = client().await;
    let store = new_store(&client).await;
    store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    store
        .add_files(&[
            FileReference::new("a", "L", 1),
            FileReference::new("a", "R", 1),
        ])
        .await
        .unwrap();
    store.fix_file_update_time(Some(at(10, 5, 0, 0))).unwrap();
    store
        .assign_job_ids(&[assign("job", "L", &["a"])])
        .await
        .unwrap();
    let report = store.get_all_files_with_max_unreferenced(0).await.unwrap();
    assert_eq!(report.files[0].last_update_time, Some(at(10, 5, 0, 0)));
    let times: Vec<Option<Timestamp>> = report.files[0]
        .references
        .iter()
        .map(|r| r.last_update_time)
        .collect();
    assert_eq!(times, vec![Some(at(10, 5, 0, 0)), Some(at(10, 0, 0, 0))]);
}

#[tokio::test]
async fn assigning_a_missing_file_raises_file_reference_not_found() {
    let client = client().await;
    let store = new_store(&client).await;
    let error = store
        .assign_job_ids(&[assign("job", "L", &["ghost"])])
        .await
        .unwrap_err();
    assert_eq!(
        error,
        Error::FileReferenceNotFound {
            filename: "ghost".into(),
            partition_id: "L".into()
        }
    );
}

#[tokio::test]
async fn assigning_an_assigned_reference_raises_assigned_to_job_even_for_the_same_job() {
    let client = client().await;
    let store = store_with_files(&client, &[assigned("a", "L", 1, "job")]).await;
    let error = store
        .assign_job_ids(&[assign("job", "L", &["a"])])
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::FileReferenceAssignedToJob { ref job_id, .. } if job_id == "job")
    );
}

#[tokio::test]
async fn assigning_one_reference_twice_in_a_call_fails_and_changes_nothing() {
    let client = client().await;
    let store = store_with_files(
        &client,
        &[
            FileReference::new("a", "L", 1),
            FileReference::new("b", "L", 1),
        ],
    )
    .await;
    let error = store
        .assign_job_ids(&[assign("j1", "L", &["b"]), assign("j2", "L", &["a", "b"])])
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::FileReferenceAssignedToJob { ref job_id, ref filename, .. } if job_id == "j1" && filename == "b")
    );
    assert_eq!(
        store
            .get_file_references_with_no_job_id()
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn an_assign_call_of_requests_without_filenames_touches_nothing_even_on_a_deleted_table() {
    let client = client().await;
    let store = new_store(&client).await;
    client.delete_table(store.table_id()).await.unwrap();
    store
        .assign_job_ids(&[assign("job", "L", &[])])
        .await
        .unwrap();
}

#[tokio::test]
async fn is_partition_files_assigned_to_job_is_true_when_every_reference_has_the_job() {
    let client = client().await;
    let store = store_with_files(
        &client,
        &[assigned("a", "L", 1, "job"), assigned("b", "L", 1, "job")],
    )
    .await;
    assert!(store
        .is_partition_files_assigned_to_job("L", &strings(&["a", "b"]), "job")
        .await
        .unwrap());
    assert!(store
        .is_partition_files_assigned_to_job("L", &[], "job")
        .await
        .unwrap());
}

#[tokio::test]
async fn is_partition_files_assigned_to_job_is_false_with_an_unassigned_reference() {
    let client = client().await;
    let store = store_with_files(
        &client,
        &[
            FileReference::new("a", "L", 1),
            assigned("b", "L", 1, "job"),
        ],
    )
    .await;
    assert!(!store
        .is_partition_files_assigned_to_job("L", &strings(&["a", "b"]), "job")
        .await
        .unwrap());
}

#[tokio::test]
async fn is_partition_files_assigned_to_job_raises_for_another_job_after_an_unassigned_one() {
    let client = client().await;
    let store = store_with_files(
        &client,
        &[
            FileReference::new("a", "L", 1),
            assigned("b", "L", 1, "other"),
        ],
    )
    .await;
    let error = store
        .is_partition_files_assigned_to_job("L", &strings(&["a", "b"]), "job")
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Reference to file is already assigned to job other, in partition L, filename b"
    );
}

#[tokio::test]
async fn is_partition_files_assigned_to_job_raises_for_a_missing_reference() {
    let client = client().await;
    let store = store_with_files(&client, &[FileReference::new("a", "R", 1)]).await;
    let error = store
        .is_partition_files_assigned_to_job("L", &strings(&["a"]), "job")
        .await
        .unwrap_err();
    assert_eq!(
        error,
        Error::FileReferenceNotFound {
            filename: "a".into(),
            partition_id: "L".into()
        }
    );
}

// ---- committing compaction jobs ----

fn commit(
    job: &str,
    partition: &str,
    inputs: &[&str],
    output: &str,
) -> ReplaceFileReferencesRequest {
    ReplaceFileReferencesRequest::new(
        job,
        partition,
        strings(inputs),
        FileReference::new(output, partition, 10),
    )
}

async fn replace_failure(store: &StateStore, request: ReplaceFileReferencesRequest) -> Error {
    let call =
        store.atomically_replace_file_references_with_new_ones(std::slice::from_ref(&request));
    let error = failure_changing_nothing(store, call).await;
    let Error::ReplaceRequestsFailed { failed, cause } = error else {
        panic!("expected ReplaceRequestsFailed, got {error:?}")
    };
    assert_eq!(failed, vec![request]);
    *cause
}

#[tokio::test]
async fn a_commit_replaces_the_inputs_by_the_output() {
    let client = client().await;
    let store = store_with_files(
        &client,
        &[assigned("a", "L", 1, "job"), assigned("b", "L", 1, "job")],
    )
    .await;
    store
        .atomically_replace_file_references_with_new_ones(&[commit("job", "L", &["a", "b"], "c")])
        .await
        .unwrap();
    assert_eq!(
        references(&store).await,
        vec![FileReference::new("c", "L", 10)]
    );
    let report = store.get_all_files_with_max_unreferenced(10).await.unwrap();
    assert_eq!(report.files_with_no_references().count(), 2);
}

#[tokio::test]
async fn a_commit_with_no_inputs_only_adds_the_output() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .atomically_replace_file_references_with_new_ones(&[commit("job", "L", &[], "c")])
        .await
        .unwrap();
    assert_eq!(
        references(&store).await,
        vec![FileReference::new("c", "L", 10)]
    );
}

#[tokio::test]
async fn a_commit_whose_output_is_an_input_fails_with_new_reference_same_as_old() {
    let client = client().await;
    let store = store_with_files(&client, &[assigned("a", "L", 1, "job")]).await;
    let cause = replace_failure(&store, commit("job", "L", &["a"], "a")).await;
    assert_eq!(
        cause.to_string(),
        "New file has the same filename as a file being removed: a"
    );
}

#[tokio::test]
async fn a_commit_of_a_missing_input_file_fails_with_file_not_found() {
    let client = client().await;
    let store = new_store(&client).await;
    let cause = replace_failure(&store, commit("job", "L", &["a"], "c")).await;
    assert_eq!(
        cause,
        Error::FileNotFound {
            filename: "a".into()
        }
    );
}

#[tokio::test]
async fn a_commit_of_an_input_without_a_reference_there_fails_with_reference_not_found() {
    let client = client().await;
    let store = store_with_files(&client, &[assigned("a", "R", 1, "job")]).await;
    let cause = replace_failure(&store, commit("job", "L", &["a"], "c")).await;
    assert_eq!(
        cause,
        Error::FileReferenceNotFound {
            filename: "a".into(),
            partition_id: "L".into()
        }
    );
}

#[tokio::test]
async fn a_commit_of_an_unassigned_input_fails_with_not_assigned_to_job() {
    let client = client().await;
    let store = store_with_files(&client, &[FileReference::new("a", "L", 1)]).await;
    let cause = replace_failure(&store, commit("job", "L", &["a"], "c")).await;
    assert_eq!(
        cause.to_string(),
        "Reference to file is not assigned to job job, in partition L, filename a"
    );
}

#[tokio::test]
async fn a_commit_of_an_input_of_another_job_fails_with_not_assigned_to_job() {
    let client = client().await;
    let store = store_with_files(&client, &[assigned("a", "L", 1, "other")]).await;
    let cause = replace_failure(&store, commit("job", "L", &["a"], "c")).await;
    assert!(
        matches!(cause, Error::FileReferenceNotAssignedToJob { ref job_id, .. } if job_id == "job")
    );
}

#[tokio::test]
async fn a_commit_naming_an_input_twice_fails_with_reference_not_found() {
    let client = client().await;
    let store = store_with_files(&client, &[assigned("a", "L", 1, "job")]).await;
    let cause = replace_failure(&store, commit("job", "L", &["a", "a"], "c")).await;
    assert_eq!(
        cause,
        Error::FileReferenceNotFound {
            filename: "a".into(),
            partition_id: "L".into()
        }
    );
}

#[tokio::test]
async fn a_commit_to_an_existing_output_fails_with_file_already_exists() {
    let client = client().await;
    let store = store_with_files(&client, &[assigned("a", "L", 1, "job")]).await;
    store
        .add_files_with_references(&[AllReferencesToAFile::new("c", vec![])])
        .await
        .unwrap();
    let cause = replace_failure(&store, commit("job", "L", &["a"], "c")).await;
    assert_eq!(
        cause,
        Error::FileAlreadyExists {
            filename: "c".into()
        }
    );
}

#[tokio::test]
async fn two_commits_with_one_output_in_a_call_fail_with_file_already_exists() {
    let client = client().await;
    let store = store_with_files(
        &client,
        &[assigned("a", "L", 1, "j1"), assigned("b", "R", 1, "j2")],
    )
    .await;
    let requests = [
        commit("j1", "L", &["a"], "c"),
        commit("j2", "R", &["b"], "c"),
    ];
    let error = store
        .atomically_replace_file_references_with_new_ones(&requests)
        .await
        .unwrap_err();
    let Error::ReplaceRequestsFailed { cause, failed } = error else {
        panic!()
    };
    assert_eq!(failed.len(), 2);
    assert_eq!(
        *cause,
        Error::FileAlreadyExists {
            filename: "c".into()
        }
    );
    assert_eq!(references(&store).await.len(), 2);
}

#[tokio::test]
async fn a_file_compacted_on_two_partitions_takes_the_time_of_the_later_commit() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_files(&[assigned("a", "L", 1, "jl"), assigned("a", "R", 1, "jr")])
        .await
        .unwrap();
    store.fix_file_update_time(Some(at(10, 9, 0, 0))).unwrap();
    store
        .atomically_replace_file_references_with_new_ones(&[commit("jl", "L", &["a"], "cl")])
        .await
        .unwrap();
    store.fix_file_update_time(Some(at(10, 10, 0, 0))).unwrap();
    store
        .atomically_replace_file_references_with_new_ones(&[commit("jr", "R", &["a"], "cr")])
        .await
        .unwrap();
    assert!(store
        .get_ready_for_gc_filenames_before(at(10, 10, 0, 0))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .get_ready_for_gc_filenames_before(at(10, 10, 0, 1))
            .await
            .unwrap(),
        strings(&["a"])
    );
}

#[tokio::test]
async fn the_file_time_is_that_of_the_last_write_even_when_the_clock_goes_back() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_files(&[assigned("a", "L", 1, "jl"), assigned("a", "R", 1, "jr")])
        .await
        .unwrap();
    store.fix_file_update_time(Some(at(10, 10, 0, 0))).unwrap();
    store
        .atomically_replace_file_references_with_new_ones(&[commit("jl", "L", &["a"], "cl")])
        .await
        .unwrap();
    store.fix_file_update_time(Some(at(10, 5, 0, 0))).unwrap();
    store
        .atomically_replace_file_references_with_new_ones(&[commit("jr", "R", &["a"], "cr")])
        .await
        .unwrap();
    assert_eq!(
        store
            .get_ready_for_gc_filenames_before(at(10, 5, 0, 1))
            .await
            .unwrap(),
        strings(&["a"])
    );
}

// ---- garbage collection ----

#[tokio::test]
async fn deleting_an_unreferenced_file_removes_its_record_and_frees_the_name() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_files_with_references(&[AllReferencesToAFile::new("f", vec![])])
        .await
        .unwrap();
    store
        .delete_garbage_collected_file_reference_counts(&strings(&["f"]))
        .await
        .unwrap();
    assert!(store.has_no_files().await.unwrap());
    store
        .add_file(&FileReference::new("f", "root", 1))
        .await
        .unwrap();
}

#[tokio::test]
async fn deleting_a_file_twice_in_a_call_raises_file_not_found_and_deletes_nothing() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_files_with_references(&[AllReferencesToAFile::new("f", vec![])])
        .await
        .unwrap();
    let error = store
        .delete_garbage_collected_file_reference_counts(&strings(&["f", "f"]))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        Error::FileNotFound {
            filename: "f".into()
        }
    );
    assert!(!store.has_no_files().await.unwrap());
}

#[tokio::test]
async fn deleting_a_referenced_file_raises_file_has_references_with_the_count() {
    let client = client().await;
    let store = store_with_files(
        &client,
        &[
            FileReference::new("f", "L", 1),
            FileReference::new("f", "R", 1),
        ],
    )
    .await;
    let error = store
        .delete_garbage_collected_file_reference_counts(&strings(&["f"]))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        Error::FileHasReferences {
            filename: "f".into(),
            reference_count: 2
        }
    );
}

#[tokio::test]
async fn the_gc_cutoff_is_truncated_to_milliseconds_and_strict() {
    let client = client().await;
    let store = new_store(&client).await;
    store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    store
        .add_files_with_references(&[AllReferencesToAFile::new("f", vec![])])
        .await
        .unwrap();
    let just_after = at(10, 0, 0, 0) + chrono::Duration::microseconds(900);
    assert!(store
        .get_ready_for_gc_filenames_before(just_after)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn gc_lists_only_unreferenced_files_in_filename_order() {
    let client = client().await;
    let store = new_store(&client).await;
    store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    store
        .add_files_with_references(&[
            AllReferencesToAFile::new("b", vec![]),
            AllReferencesToAFile::new("c", vec![FileReference::new("c", "root", 1)]),
            AllReferencesToAFile::new("a", vec![]),
        ])
        .await
        .unwrap();
    assert_eq!(
        store
            .get_ready_for_gc_filenames_before(at(11, 0, 0, 0))
            .await
            .unwrap(),
        strings(&["a", "b"])
    );
}

// ---- queries ----

#[tokio::test]
async fn results_are_sorted_by_code_point_with_upper_case_first() {
    let client = client().await;
    let store = store_with_files(
        &client,
        &[
            FileReference::new("b", "root", 1),
            FileReference::new("B", "root", 1),
            FileReference::new("b", "L", 1),
        ],
    )
    .await;
    let keys: Vec<(String, String)> = references(&store)
        .await
        .into_iter()
        .map(|r| (r.filename, r.partition_id))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("B".into(), "root".into()),
            ("b".into(), "L".into()),
            ("b".into(), "root".into())
        ]
    );
}

#[tokio::test]
async fn the_partition_map_lists_files_per_partition_in_order() {
    let client = client().await;
    let store = store_with_files(
        &client,
        &[
            FileReference::new("b", "R", 1),
            FileReference::new("a", "R", 1),
            FileReference::new("a", "L", 1),
        ],
    )
    .await;
    let map = store.get_partition_to_referenced_files_map().await.unwrap();
    let entries: Vec<(String, Vec<String>)> = map.into_iter().collect();
    assert_eq!(
        entries,
        vec![
            ("L".into(), strings(&["a"])),
            ("R".into(), strings(&["a", "b"]))
        ]
    );
}

#[tokio::test]
async fn the_report_keeps_the_first_unreferenced_files_up_to_the_limit() {
    let client = client().await;
    let store = new_store(&client).await;
    let unreferenced = ["a", "b", "c"].map(|f| AllReferencesToAFile::new(f, vec![]));
    store
        .add_files_with_references(&unreferenced)
        .await
        .unwrap();
    let report = store.get_all_files_with_max_unreferenced(2).await.unwrap();
    let names: Vec<&str> = report.files.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(names, vec!["a", "b"]);
    assert!(report.more_than_max);
    assert!(
        !store
            .get_all_files_with_max_unreferenced(3)
            .await
            .unwrap()
            .more_than_max
    );
}

#[tokio::test]
async fn the_report_limit_must_fit_in_31_bits() {
    let client = client().await;
    let store = new_store(&client).await;
    let error = store
        .get_all_files_with_max_unreferenced(1 << 31)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidArgument { .. }));
}

#[tokio::test]
async fn times_are_truncated_to_milliseconds() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .fix_file_update_time(Some(at(10, 0, 0, 5) + chrono::Duration::microseconds(999)))
        .unwrap();
    store
        .add_file(&FileReference::new("f", "root", 1))
        .await
        .unwrap();
    assert_eq!(
        store.get_file_references().await.unwrap()[0].last_update_time,
        Some(at(10, 0, 0, 5))
    );
}

#[tokio::test]
async fn the_database_clock_writes_one_time_per_call_in_milliseconds() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_files(&[
            FileReference::new("a", "root", 1),
            FileReference::new("b", "root", 1),
        ])
        .await
        .unwrap();
    let refs = store.get_file_references().await.unwrap();
    let time = refs[0].last_update_time.unwrap();
    assert_eq!(refs[1].last_update_time, Some(time));
    assert_eq!(time.timestamp_subsec_micros() % 1000, 0);
    assert!(
        (chrono::Utc::now() - time).num_seconds().abs() < 3600,
        "the database clock, not a fixed one"
    );
}

#[tokio::test]
async fn a_fixed_clock_belongs_to_one_handle() {
    let client = client().await;
    let store = new_store(&client).await;
    let other = client.table(store.table_id()).await.unwrap();
    store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    other
        .add_file(&FileReference::new("f", "root", 1))
        .await
        .unwrap();
    assert_ne!(
        store.get_file_references().await.unwrap()[0].last_update_time,
        Some(at(10, 0, 0, 0))
    );
}

#[tokio::test]
async fn clear_file_data_removes_every_file_and_keeps_partitions() {
    let client = client().await;
    let store = store_with_files(&client, &[FileReference::new("f", "root", 1)]).await;
    store.clear_file_data().await.unwrap();
    assert!(store.has_no_files().await.unwrap());
    assert_eq!(store.get_all_partitions().await.unwrap().len(), 1);
}

#[tokio::test]
async fn clear_sleeper_table_removes_files_and_partitions_and_allows_initialise() {
    let client = client().await;
    let store = store_with_files(&client, &[FileReference::new("f", "root", 1)]).await;
    store.clear_sleeper_table().await.unwrap();
    assert!(store.get_all_partitions().await.unwrap().is_empty());
    store.initialise().await.unwrap();
    assert_eq!(
        store.get_all_files_with_max_unreferenced(5).await.unwrap(),
        AllReferencesToAllFiles::default()
    );
}

// ---- input validation ----

#[tokio::test]
async fn a_nul_character_in_a_filename_is_invalid_and_nothing_is_written() {
    let client = client().await;
    let store = new_store(&client).await;
    let error = store
        .add_file(&FileReference::new("a\0b", "root", 1))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidArgument { .. }));
    assert!(store.has_no_files().await.unwrap());
}

#[tokio::test]
async fn rows_beyond_63_bits_are_invalid() {
    let client = client().await;
    let store = new_store(&client).await;
    let error = store
        .add_file(&FileReference::new("f", "root", u64::MAX))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidArgument { .. }));
}

#[tokio::test]
async fn an_empty_job_id_is_invalid() {
    let client = client().await;
    let store = new_store(&client).await;
    let error = store
        .assign_job_ids(&[assign("", "root", &["f"])])
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidArgument { .. }));
}

#[tokio::test]
async fn sql_text_quotes_and_emoji_are_stored_verbatim() {
    let client = client().await;
    let store = new_store(&client).await;
    let name = "'; DROP TABLE files; -- \\ \"q\" % _ \u{1F600}";
    store
        .add_file(&FileReference::new(name, name, 1))
        .await
        .unwrap();
    assert_eq!(
        references(&store).await,
        vec![FileReference::new(name, name, 1)]
    );
}

#[tokio::test]
async fn an_empty_call_changes_nothing_and_does_not_notice_a_deleted_table() {
    let client = client().await;
    let store = new_store(&client).await;
    client.delete_table(store.table_id()).await.unwrap();
    store.add_files(&[]).await.unwrap();
    store.split_file_references(&[]).await.unwrap();
    store
        .atomically_replace_file_references_with_new_ones(&[])
        .await
        .unwrap();
    store
        .delete_garbage_collected_file_reference_counts(&[])
        .await
        .unwrap();
}

#[tokio::test]
async fn is_assigned_checks_every_request_in_one_snapshot() {
    let client = client().await;
    let store = store_with_files(
        &client,
        &[
            FileReference::new("a", "root", 1),
            FileReference::new("b", "root", 1),
        ],
    )
    .await;
    store
        .assign_job_ids(&[AssignJobIdRequest::new("job1", "root", strings(&["a"]))])
        .await
        .unwrap();
    let check =
        |job: &str, files: &[&str]| CheckFileAssignmentsRequest::new(job, strings(files), "root");
    assert_eq!(store.is_assigned(&[check("job1", &["a"])]).await, Ok(true));
    assert_eq!(
        store
            .is_assigned(&[check("job1", &["a"]), check("job2", &["b"])])
            .await,
        Ok(false)
    );
    assert_eq!(
        store
            .is_assigned(&[check("job2", &["b"]), check("job2", &["a"])])
            .await,
        Err(Error::FileReferenceAssignedToJob {
            filename: "a".into(),
            partition_id: "root".into(),
            job_id: "job1".into()
        })
    );
    assert_eq!(
        store.is_assigned(&[check("job1", &["c"])]).await,
        Err(Error::FileReferenceNotFound {
            filename: "c".into(),
            partition_id: "root".into()
        })
    );
    assert_eq!(store.is_assigned(&[]).await, Ok(true));
}

#[tokio::test]
async fn the_largest_instant_is_a_valid_gc_cutoff() {
    let client = client().await;
    let store = store_with_files(&client, &[]).await;
    store
        .add_files_with_references(&[AllReferencesToAFile::new("gone", vec![])])
        .await
        .unwrap();
    let latest = sleeper_pg::time::cutoff_from_millis(i64::MAX);
    let earliest = sleeper_pg::time::cutoff_from_millis(i64::MIN);
    assert_eq!(
        store.get_ready_for_gc_filenames_before(latest).await,
        Ok(strings(&["gone"]))
    );
    assert_eq!(
        store.get_ready_for_gc_filenames_before(earliest).await,
        Ok(vec![])
    );
}

#[tokio::test]
async fn an_update_time_the_database_cannot_store_is_invalid_and_changes_no_clock() {
    let client = client().await;
    let store = store_with_files(&client, &[]).await;
    store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    let year_5000_bc = chrono::NaiveDate::from_ymd_opt(-4999, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    assert!(matches!(
        store.fix_file_update_time(Some(year_5000_bc)),
        Err(Error::InvalidArgument { .. })
    ));
    store
        .add_file(&FileReference::new("f", "root", 1))
        .await
        .unwrap();
    assert_eq!(
        store.get_file_references().await.unwrap()[0].last_update_time,
        Some(at(10, 0, 0, 0))
    );
}

#[tokio::test]
async fn the_earliest_instant_the_store_keeps_is_a_valid_update_time() {
    let client = client().await;
    let store = store_with_files(&client, &[]).await;
    let earliest = sleeper_pg::time::cutoff_from_millis(i64::MIN);
    store.fix_file_update_time(Some(earliest)).unwrap();
    store
        .add_file(&FileReference::new("f", "root", 1))
        .await
        .unwrap();
    assert_eq!(
        store.get_file_references().await.unwrap()[0].last_update_time,
        Some(earliest)
    );
}
