//! Sleeper v0.36's transactions: their JSON, and what applying each does in synchronous and
//! asynchronous mode (docs/sleeper-transactions.md).

use std::io::Read;
use std::path::PathBuf;

use crate::common::*;
use sleeper_pg::*;

fn string_key() -> Vec<RowKeyField> {
    vec![RowKeyField::new("key", KeyType::String)]
}

/// Sleeper's test sources jar (`sleeper:core:0.36.1:test-sources`), wherever `make test` or a Sleeper
/// build put it.
fn sleeper_test_sources() -> Option<PathBuf> {
    let name = "core-0.36.1-test-sources.jar";
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(dir) = std::env::var("SLEEPER_CORE_DIR") {
        candidates.push(PathBuf::from(dir).join(name));
    }
    if let Ok(home) = std::env::var("HOME") {
        candidates.push(
            PathBuf::from(home)
                .join(".m2/repository/sleeper/core/0.36.1")
                .join(name),
        );
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    candidates.push(workspace.join("../shared/sleeper/0.36.1").join(name));
    candidates.into_iter().find(|path| path.is_file())
}

#[test]
fn every_approved_json_of_sleepers_transaction_serde_test_round_trips() {
    let Some(jar) = sleeper_test_sources() else {
        eprintln!(
            "skipped: Sleeper's test sources jar is not installed (scripts/setup.sh installs it)"
        );
        return;
    };
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&jar).unwrap()).unwrap();
    let prefix =
        "sleeper/core/statestore/transactionlog/transaction/TransactionSerDeTest.shouldSerDe";
    let names: Vec<String> = archive
        .file_names()
        .filter(|name| name.starts_with(prefix) && name.ends_with(".approved.json"))
        .map(str::to_owned)
        .collect();
    assert!(names.len() >= 11, "found only {names:?}");
    for name in names {
        let mut json = String::new();
        archive
            .by_name(&name)
            .unwrap()
            .read_to_string(&mut json)
            .unwrap();
        let transaction_type = match &name[prefix.len()..name.len() - ".approved.json".len()] {
            "AddFiles" | "AddSplitFile" => TransactionType::AddFiles,
            "AssignJobIds" => TransactionType::AssignJobIds,
            "ClearFiles" => TransactionType::ClearFiles,
            "DeleteFiles" => TransactionType::DeleteFiles,
            "ExtendPartitionTree" => TransactionType::ExtendPartitionTree,
            "InitialisePartitions" => TransactionType::InitialisePartitions,
            "ReplaceFileReferences" | "ReplaceFileReferencesWithTrackingIds" => {
                TransactionType::ReplaceFileReferences
            }
            "SplitFileReferences" => TransactionType::SplitFileReferences,
            "SplitPartition" => TransactionType::SplitPartition,
            other => panic!("an approved file of an unknown test: {other}"),
        };
        let transaction = Transaction::from_json(transaction_type, json.as_bytes(), &string_key())
            .unwrap_or_else(|e| panic!("{name} parses: {e}"));
        let written: serde_json::Value = serde_json::from_str(&transaction.to_json()).unwrap();
        let approved: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(written, approved, "{name} round-trips");
    }
}

fn reference(filename: &str, partition: &str, rows: u64) -> FileReference {
    FileReference::new(filename, partition, rows)
}

fn commit(job: &str, inputs: &[&str], output: &str) -> CompactionJobCommit {
    CompactionJobCommit::new(ReplaceFileReferencesRequest::new(
        job,
        "root",
        strings(inputs),
        reference(output, "root", 10),
    ))
}

/// A table with files `a`, `b`, `c` on the root, `a` and `b` assigned to `job1`, `c` to `job2`.
async fn store_with_jobs(client: &Client) -> StateStore {
    let store = new_store(client).await;
    store
        .add_files(&[
            reference("a", "root", 1),
            reference("b", "root", 1),
            reference("c", "root", 1),
        ])
        .await
        .unwrap();
    store
        .assign_job_ids(&[
            AssignJobIdRequest::new("job1", "root", strings(&["a", "b"])),
            AssignJobIdRequest::new("job2", "root", strings(&["c"])),
        ])
        .await
        .unwrap();
    store
}

async fn filenames(store: &StateStore) -> Vec<String> {
    store
        .get_file_references()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.filename)
        .collect()
}

#[tokio::test]
async fn an_asynchronous_batch_of_compaction_commits_skips_the_invalid_jobs_and_applies_the_rest() {
    let client = client().await;
    let store = store_with_jobs(&client).await;
    let batch = Transaction::ReplaceFileReferences {
        jobs: vec![
            commit("job1", &["a", "b"], "ab"),
            commit("job1", &["a"], "again"), // a's reference went with the job before
            commit("job3", &["c"], "c3"),    // c is job2's
            commit("job2", &["c"], "ab"),    // the output exists since the first job
            commit("job2", &["c"], "c2"),
        ],
    };
    let outcome = store
        .apply_transaction(&batch, CommitMode::Asynchronous)
        .await
        .unwrap();
    let failed: Vec<(usize, String)> = outcome
        .failures
        .iter()
        .map(|f| (f.index, f.error.to_string()))
        .collect();
    assert_eq!(
        failed,
        vec![
            (
                1,
                "File reference not found in partition root, filename a".to_owned()
            ),
            (
                2,
                "Reference to file is not assigned to job job3, in partition root, filename c"
                    .to_owned()
            ),
            (3, "File already exists: ab".to_owned()),
        ]
    );
    assert_eq!(filenames(&store).await, strings(&["ab", "c2"]));
}

#[tokio::test]
async fn a_synchronous_batch_with_one_invalid_job_applies_nothing() {
    let client = client().await;
    let store = store_with_jobs(&client).await;
    let batch = Transaction::ReplaceFileReferences {
        jobs: vec![
            commit("job1", &["a", "b"], "ab"),
            commit("job3", &["c"], "c3"),
        ],
    };
    let error = store
        .apply_transaction(&batch, CommitMode::Synchronous)
        .await
        .unwrap_err();
    let Error::ReplaceRequestsFailed { failed, cause } = error else {
        panic!("expected ReplaceRequestsFailed, got {error:?}")
    };
    assert_eq!(failed.len(), 2);
    assert!(matches!(
        *cause,
        Error::FileReferenceNotAssignedToJob { .. }
    ));
    assert_eq!(filenames(&store).await, strings(&["a", "b", "c"]));
}

#[tokio::test]
async fn a_job_whose_output_is_one_of_its_inputs_fails_the_whole_transaction_in_either_mode() {
    let client = client().await;
    let store = store_with_jobs(&client).await;
    let batch = Transaction::ReplaceFileReferences {
        jobs: vec![
            commit("job2", &["c"], "c2"),
            commit("job1", &["a", "b"], "a"),
        ],
    };
    for mode in [CommitMode::Asynchronous, CommitMode::Synchronous] {
        let error = store.apply_transaction(&batch, mode).await.unwrap_err();
        let Error::ReplaceRequestsFailed { cause, .. } = error else {
            panic!("expected ReplaceRequestsFailed, got {error:?}")
        };
        assert_eq!(
            *cause,
            Error::NewReferenceSameAsOldReference {
                filename: "a".into()
            }
        );
    }
    assert_eq!(filenames(&store).await, strings(&["a", "b", "c"]));
}

fn add(files: &[&str]) -> Transaction {
    Transaction::AddFiles {
        files: files
            .iter()
            .map(|f| AllReferencesToAFile::new(*f, vec![reference(f, "root", 5)]))
            .collect(),
        job_run: IngestJobRun::default(),
    }
}

#[tokio::test]
async fn an_asynchronous_ingest_with_a_file_that_exists_is_skipped_whole() {
    let client = client().await;
    let store = new_store(&client).await;
    store.add_file(&reference("b", "root", 1)).await.unwrap();
    let outcome = store
        .apply_transaction(&add(&["a", "b", "c"]), CommitMode::Asynchronous)
        .await
        .unwrap();
    assert_eq!(
        outcome.failures,
        vec![TransactionFailure {
            index: 1,
            error: Error::FileAlreadyExists {
                filename: "b".into()
            }
        }]
    );
    assert_eq!(filenames(&store).await, strings(&["b"]));
}

#[tokio::test]
async fn a_synchronous_ingest_with_a_file_that_exists_raises_file_already_exists() {
    let client = client().await;
    let store = new_store(&client).await;
    store.add_file(&reference("b", "root", 1)).await.unwrap();
    let error = store
        .apply_transaction(&add(&["a", "b"]), CommitMode::Synchronous)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        Error::FileAlreadyExists {
            filename: "b".into()
        }
    );
    assert_eq!(filenames(&store).await, strings(&["b"]));
}

#[tokio::test]
async fn a_valid_ingest_applies_in_either_mode() {
    let client = client().await;
    let store = new_store(&client).await;
    for (mode, file) in [
        (CommitMode::Synchronous, "s"),
        (CommitMode::Asynchronous, "a"),
    ] {
        let outcome = store.apply_transaction(&add(&[file]), mode).await.unwrap();
        assert!(outcome.is_fully_applied());
    }
    assert_eq!(filenames(&store).await, strings(&["a", "s"]));
}

#[tokio::test]
async fn a_split_of_file_references_that_fails_is_wrapped_only_when_synchronous() {
    let client = client().await;
    let store = new_store(&client).await;
    let split = Transaction::SplitFileReferences {
        requests: vec![SplitFileReferenceRequest::split_file_to_child_partitions(
            &reference("missing", "root", 4),
            "L",
            "R",
        )],
    };
    let missing = Error::FileNotFound {
        filename: "missing".into(),
    };
    assert_eq!(
        store
            .apply_transaction(&split, CommitMode::Asynchronous)
            .await,
        Err(missing.clone())
    );
    let error = store
        .apply_transaction(&split, CommitMode::Synchronous)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::SplitRequestsFailed { cause, .. } if **cause == missing),
        "{error:?}"
    );
}

#[tokio::test]
async fn initialising_with_no_partitions_clears_them_unless_files_are_present() {
    let client = client().await;
    let store = new_store(&client).await;
    let clear = Transaction::InitialisePartitions { partitions: vec![] };
    store
        .apply_transaction(&clear, CommitMode::Synchronous)
        .await
        .unwrap();
    assert!(store.get_all_partitions().await.unwrap().is_empty());

    store.initialise().await.unwrap();
    store.add_file(&reference("f", "root", 1)).await.unwrap();
    assert_eq!(
        store
            .apply_transaction(&clear, CommitMode::Synchronous)
            .await,
        Err(Error::InitialiseWithFilesPresent)
    );
    assert_eq!(store.get_all_partitions().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_assignment_whose_requests_name_no_files_changes_nothing() {
    let client = client().await;
    let store = new_store(&client).await;
    client.delete_table(store.table_id()).await.unwrap();
    let empty = Transaction::AssignJobIds {
        requests: vec![AssignJobIdRequest::new("job", "root", vec![])],
    };
    assert_eq!(
        store
            .apply_transaction(&empty, CommitMode::Asynchronous)
            .await,
        Ok(TransactionOutcome::default())
    );
}

#[tokio::test]
async fn a_partition_split_from_json_is_stored() {
    let client = client().await;
    let store = new_store(&client).await;
    let json =
        br#"{"parent":{"partitionId":"root","isLeafPartition":false,"childPartitionIds":["L","R"],
        "region":{"key":{"min":-9223372036854775808}},"dimension":0},
      "newChildren":[
        {"partitionId":"L","isLeafPartition":true,"parentPartitionId":"root","childPartitionIds":[],
         "region":{"key":{"min":-9223372036854775808,"max":99,"maxInclusive":true}},"dimension":-1},
        {"partitionId":"R","isLeafPartition":true,"parentPartitionId":"root","childPartitionIds":[],
         "region":{"key":{"min":99,"minInclusive":false}},"dimension":-1}]}"#;
    let transaction =
        Transaction::from_json(TransactionType::SplitPartition, json, &long_key()).unwrap();
    store
        .apply_transaction(&transaction, CommitMode::Synchronous)
        .await
        .unwrap();
    let leaves = store.get_leaf_partitions().await.unwrap();
    assert_eq!(leaves[0].region, long_range(i64::MIN, Some(100)));
    assert_eq!(leaves[1].region, long_range(100, None));
}

fn log_line(number: i64, update_time: &Timestamp, transaction: &Transaction) -> String {
    format!(
        r#"{{"transactionNumber":{number},"updateTime":{},"transactionType":"{}","transaction":{}}}"#,
        update_time.timestamp_millis(),
        transaction.transaction_type(),
        transaction.to_json()
    )
}

#[tokio::test]
async fn a_log_replays_in_order_with_each_entry_at_its_own_time() {
    let client = client().await;
    let store = new_store(&client).await;
    let log = [
        log_line(1, &at(10, 0, 0, 0), &add(&["a"])),
        String::new(),
        log_line(
            2,
            &at(10, 1, 0, 0),
            &Transaction::AssignJobIds {
                requests: vec![AssignJobIdRequest::new("job", "root", strings(&["a"]))],
            },
        ),
        log_line(
            3,
            &at(10, 2, 0, 0),
            &Transaction::ReplaceFileReferences {
                jobs: vec![
                    CompactionJobCommit {
                        request: ReplaceFileReferencesRequest::new(
                            "job",
                            "root",
                            strings(&["a"]),
                            reference("b", "root", 5),
                        ),
                        task_id: None,
                        job_run_id: None,
                    },
                    commit("job", &["a"], "c"),
                ],
            },
        ),
    ]
    .join("\n");
    let mut seen = Vec::new();
    let replay = store
        .apply_transaction_log(log.as_bytes(), |progress| seen.push(progress.entries))
        .await
        .unwrap();
    assert_eq!(seen, vec![1, 2, 3]);
    assert_eq!(replay.entries, 3);
    assert_eq!(replay.failures.len(), 1);
    assert_eq!(replay.failures[0].0, 3);
    assert_eq!(replay.failures[0].1.index, 1);
    let report = store.get_all_files_with_max_unreferenced(10).await.unwrap();
    let times: Vec<(String, Option<Timestamp>)> = report
        .files
        .iter()
        .map(|f| (f.filename.clone(), f.last_update_time))
        .collect();
    assert_eq!(
        times,
        vec![
            ("a".to_owned(), Some(at(10, 2, 0, 0))),
            ("b".to_owned(), Some(at(10, 2, 0, 0))),
        ]
    );
}

#[tokio::test]
async fn a_log_stops_at_the_first_entry_that_fails() {
    let client = client().await;
    let store = new_store(&client).await;
    let log = [
        log_line(1, &at(10, 0, 0, 0), &add(&["a"])),
        log_line(
            2,
            &at(10, 1, 0, 0),
            &Transaction::DeleteFiles {
                filenames: strings(&["a"]),
            },
        ),
        log_line(3, &at(10, 2, 0, 0), &add(&["b"])),
    ]
    .join("\n");
    let mut applied = 0;
    let error = store
        .apply_transaction_log(log.as_bytes(), |progress| applied = progress.entries)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::FileHasReferences { .. }),
        "{error:?}"
    );
    assert_eq!(applied, 1);
    assert_eq!(filenames(&store).await, strings(&["a"]));
}

#[tokio::test]
async fn a_log_line_that_is_not_an_entry_names_its_position() {
    let client = client().await;
    let store = new_store(&client).await;
    let log = format!(
        "{}\nnot json\n",
        log_line(1, &at(10, 0, 0, 0), &add(&["a"]))
    );
    let error = store
        .apply_transaction_log(log.as_bytes(), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidArgument { message } if message.starts_with("Entry 2 of the transaction log")),
        "{error:?}"
    );
}
