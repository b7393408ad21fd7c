//! The change feed: every write an entry, numbered in the order the writes took effect, readable
//! without gaps while writers run, a wake-up for followers, and retention.

use std::time::Duration;

use crate::common::*;
use sleeper_pg::*;
use sqlx::{Connection, Executor, Row};

/// Entries numbered after `after` can wait on any transaction of the server that began before
/// them, including other tests': the reads wait for them rather than expect them at once.
const PATIENCE: Duration = Duration::from_secs(60);

/// The first `count` entries after `after`, waiting for them.
async fn changes(store: &StateStore, after: u64, count: usize) -> Vec<Change> {
    let mut changes: Vec<Change> = Vec::new();
    while changes.len() < count {
        let from = changes.last().map_or(after, |c| c.sequence);
        let more = store
            .wait_for_changes(from, (count - changes.len()) as u32, PATIENCE)
            .await
            .unwrap();
        assert!(
            !more.is_empty(),
            "no entry after {from} within {PATIENCE:?}"
        );
        changes.extend(more);
    }
    changes
}

fn types(changes: &[Change]) -> Vec<TransactionType> {
    changes.iter().map(|c| c.transaction_type).collect()
}

fn transaction(store: &StateStore, change: &Change) -> Transaction {
    let json = change.transaction_json.as_ref().expect("recorded whole");
    Transaction::from_json(change.transaction_type, json.as_bytes(), store.row_keys()).unwrap()
}

fn job(partition_id: &str, inputs: &[&str], output: &str) -> ReplaceFileReferencesRequest {
    ReplaceFileReferencesRequest {
        job_id: format!("job-{output}"),
        partition_id: partition_id.to_owned(),
        input_files: strings(inputs),
        new_reference: FileReference::new(output, partition_id, 30),
    }
}

#[tokio::test]
async fn each_write_is_an_entry_numbered_from_one_in_order() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_files(&[
            FileReference::new("a", "root", 10),
            FileReference::new("b", "root", 20),
        ])
        .await
        .unwrap();
    store
        .assign_job_ids(&[AssignJobIdRequest::new(
            "job-c",
            "root",
            strings(&["a", "b"]),
        )])
        .await
        .unwrap();
    store
        .atomically_replace_file_references_with_new_ones(&[job("root", &["a", "b"], "c")])
        .await
        .unwrap();
    store
        .delete_garbage_collected_file_reference_counts(&strings(&["a", "b"]))
        .await
        .unwrap();
    let changes = changes(&store, 0, 5).await;
    assert_eq!(
        changes.iter().map(|c| c.sequence).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(
        types(&changes),
        [
            TransactionType::InitialisePartitions,
            TransactionType::AddFiles,
            TransactionType::AssignJobIds,
            TransactionType::ReplaceFileReferences,
            TransactionType::DeleteFiles,
        ]
    );
}

#[tokio::test]
async fn an_entry_holds_the_write_as_sleeper_transaction_json() {
    let client = client().await;
    let store = new_store(&client).await;
    let commit = job("root", &["a"], "b");
    store
        .add_file(&FileReference::new("a", "root", 10))
        .await
        .unwrap();
    store
        .assign_job_ids(&[AssignJobIdRequest::new("job-b", "root", strings(&["a"]))])
        .await
        .unwrap();
    store
        .atomically_replace_file_references_with_new_ones(std::slice::from_ref(&commit))
        .await
        .unwrap();
    let commit_entry = &changes(&store, 0, 4).await[3];
    assert_eq!(
        transaction(&store, commit_entry),
        Transaction::ReplaceFileReferences {
            jobs: vec![CompactionJobCommit::new(commit)]
        }
    );
    assert_eq!(
        commit_entry.summary,
        ChangeSummary {
            files: 1,
            references: 1,
            jobs: 1,
            partitions: 0
        }
    );
}

#[tokio::test]
async fn a_call_that_fails_records_nothing() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_file(&FileReference::new("a", "root", 10))
        .await
        .unwrap();
    let failed = store.add_file(&FileReference::new("a", "root", 10)).await;
    assert_eq!(failed.unwrap_err().kind(), ErrorKind::FileAlreadyExists);
    store
        .add_file(&FileReference::new("b", "root", 10))
        .await
        .unwrap();
    let changes = changes(&store, 0, 3).await;
    let added: Vec<Transaction> = changes[1..]
        .iter()
        .map(|c| transaction(&store, c))
        .collect();
    let filenames: Vec<&str> = added
        .iter()
        .map(|t| match t {
            Transaction::AddFiles { files, .. } => files[0].filename.as_str(),
            other => panic!("not an add: {other:?}"),
        })
        .collect();
    assert_eq!(filenames, ["a", "b"]);
}

#[tokio::test]
async fn an_asynchronous_commit_records_only_the_jobs_it_applied() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_files(&[
            FileReference::new("a", "root", 10),
            FileReference::new("b", "root", 10),
        ])
        .await
        .unwrap();
    store
        .assign_job_ids(&[AssignJobIdRequest::new("job-c", "root", strings(&["a"]))])
        .await
        .unwrap();
    let applied = job("root", &["a"], "c");
    let unassigned = job("root", &["b"], "d");
    let jobs = vec![
        CompactionJobCommit::new(applied.clone()),
        CompactionJobCommit::new(unassigned),
    ];
    let outcome = store
        .apply_transaction(
            &Transaction::ReplaceFileReferences { jobs },
            CommitMode::Asynchronous,
        )
        .await
        .unwrap();
    assert_eq!(outcome.failures.len(), 1);
    let commit_entry = &changes(&store, 0, 4).await[3];
    assert_eq!(
        transaction(&store, commit_entry),
        Transaction::ReplaceFileReferences {
            jobs: vec![CompactionJobCommit::new(applied)]
        }
    );
}

#[tokio::test]
async fn replaying_the_feed_on_another_table_gives_the_same_state() {
    let client = client().await;
    let store = store_split_at(&client, 100).await;
    store
        .add_files(&[
            FileReference::new("a", "root", 10),
            FileReference::new("b", "L", 20),
        ])
        .await
        .unwrap();
    store
        .split_file_references(&[SplitFileReferenceRequest::new(
            FileReference::new("a", "root", 10),
            vec![
                FileReference::new("a", "L", 5),
                FileReference::new("a", "R", 5),
            ],
        )])
        .await
        .unwrap();
    store
        .assign_job_ids(&[AssignJobIdRequest::new("job-c", "L", strings(&["a", "b"]))])
        .await
        .unwrap();
    store
        .atomically_replace_file_references_with_new_ones(&[job("L", &["a", "b"], "c")])
        .await
        .unwrap();
    let expected = store
        .get_all_files_with_max_unreferenced(100)
        .await
        .unwrap();
    let replica = client
        .create_table(&unique_table_id("replayed"), &long_key())
        .await
        .unwrap();
    // Initialise, split, add, split the references, assign, commit.
    for change in changes(&store, 0, 6).await {
        replica
            .apply_transaction(&transaction(&store, &change), CommitMode::Synchronous)
            .await
            .unwrap();
    }
    let replayed = replica
        .get_all_files_with_max_unreferenced(100)
        .await
        .unwrap();
    // Every field but the times, which are the replay's.
    let without_times = |files: AllReferencesToAllFiles| {
        files
            .files
            .into_iter()
            .flat_map(|f| {
                let filename = f.filename;
                f.references
                    .into_iter()
                    .map(move |r| (filename.clone(), r.partition_id, r.number_of_rows, r.job_id))
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(without_times(replayed), without_times(expected));
    assert_eq!(
        replica.get_all_partitions().await.unwrap(),
        store.get_all_partitions().await.unwrap()
    );
}

#[tokio::test]
async fn clearing_a_table_records_the_files_and_the_partitions_cleared() {
    let client = client().await;
    let store = new_store(&client).await;
    store.clear_sleeper_table().await.unwrap();
    assert_eq!(
        types(&changes(&store, 1, 2).await),
        [
            TransactionType::ClearFiles,
            TransactionType::InitialisePartitions
        ]
    );
}

#[tokio::test]
async fn a_transaction_too_large_is_recorded_as_its_summary() {
    let client = client().await;
    let store = new_store(&client).await;
    let references: Vec<FileReference> = (0..6_000)
        .map(|i| FileReference::new(format!("file-{i:05}"), "root", 1))
        .collect();
    store.add_files(&references).await.unwrap();
    let added = &changes(&store, 1, 1).await[0];
    assert_eq!(added.transaction_type, TransactionType::AddFiles);
    assert_eq!(added.transaction_json, None);
    assert_eq!(
        added.summary,
        ChangeSummary {
            files: 6_000,
            references: 6_000,
            jobs: 0,
            partitions: 0
        }
    );
}

#[tokio::test]
async fn a_client_without_the_feed_records_nothing() {
    let client = client().await;
    let store = new_store(&client).await;
    let quiet = client_with(ClientOptions::default().with(|o| o.change_feed = false)).await;
    let quiet_store = quiet.table(store.table_id()).await.unwrap();
    quiet_store
        .add_file(&FileReference::new("unrecorded", "root", 1))
        .await
        .unwrap();
    store
        .add_file(&FileReference::new("recorded", "root", 1))
        .await
        .unwrap();
    let changes = changes(&store, 1, 1).await;
    match transaction(&store, &changes[0]) {
        Transaction::AddFiles { files, .. } => assert_eq!(files[0].filename, "recorded"),
        other => panic!("not an add: {other:?}"),
    }
    let later = store.read_changes(changes[0].sequence, 10).await.unwrap();
    assert!(later.is_empty(), "{later:?}");
}

/// A transaction that began before a write and is still running could yet commit an entry: the
/// write's entry waits for it, and then comes after it.
#[tokio::test]
async fn an_entry_is_not_readable_before_an_older_transaction_that_may_record_one_ends() {
    let client = client().await;
    let store = new_store(&client).await;
    let _ = changes(&store, 0, 1).await;
    let url = tokio::task::spawn_blocking(database_url).await.unwrap();
    let mut older = sqlx::PgConnection::connect(&url).await.unwrap();
    older.execute("BEGIN").await.unwrap();
    let table_pk: i64 =
        sqlx::query("SELECT table_pk FROM sleeper.sleeper_tables WHERE table_id = $1")
            .bind(store.table_id())
            .fetch_one(&mut older)
            .await
            .unwrap()
            .get(0);
    // The older transaction takes its id, and an entry, first ...
    sqlx::query(
        "INSERT INTO sleeper.changes (table_pk, position, kind, summary) \
         VALUES ($1, 1, 'CLEAR_FILES', '{\"files\":0,\"references\":0,\"jobs\":0,\"partitions\":0}')",
    )
    .bind(table_pk)
    .execute(&mut older)
    .await
    .unwrap();
    // ... then a later write commits before it.
    store
        .add_file(&FileReference::new("a", "root", 1))
        .await
        .unwrap();
    let before = store.read_changes(1, 10).await.unwrap();
    assert!(
        before.is_empty(),
        "numbered past a running transaction: {before:?}"
    );
    older.execute("COMMIT").await.unwrap();
    assert_eq!(
        types(&changes(&store, 1, 2).await),
        [TransactionType::ClearFiles, TransactionType::AddFiles]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readers_see_every_entry_once_in_order_while_many_clients_write() {
    const WRITERS: usize = 6;
    const WRITES: usize = 40;
    let client = client().await;
    let store = new_store(&client).await;
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let own = crate::common::client().await;
        let handle = own.table(store.table_id()).await.unwrap();
        writers.push(tokio::spawn(async move {
            for i in 0..WRITES {
                let file = FileReference::new(format!("w{writer}-{i}"), "root", 1);
                handle.add_file(&file).await.unwrap();
            }
            drop(own);
        }));
    }
    let reader = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut seen: Vec<Change> = Vec::new();
            while seen.len() < 1 + WRITERS * WRITES {
                let after = seen.last().map_or(0, |c| c.sequence);
                let batch = store.wait_for_changes(after, 7, PATIENCE).await.unwrap();
                assert!(!batch.is_empty(), "no entry after {after}");
                seen.extend(batch);
            }
            seen
        })
    };
    for writer in writers {
        writer.await.unwrap();
    }
    let seen = reader.await.unwrap();
    let expected: Vec<u64> = (1..=(1 + WRITERS * WRITES) as u64).collect();
    assert_eq!(
        seen.iter().map(|c| c.sequence).collect::<Vec<_>>(),
        expected
    );
    // Each writer's own adds appear in the order it made them.
    let mut next = [0; WRITERS];
    for change in &seen[1..] {
        let Transaction::AddFiles { files, .. } = transaction(&store, change) else {
            panic!("not an add");
        };
        let (writer, i) = files[0].filename[1..].split_once('-').unwrap();
        let (writer, i): (usize, usize) = (writer.parse().unwrap(), i.parse().unwrap());
        assert_eq!(i, next[writer]);
        next[writer] += 1;
    }
    assert_eq!(store.read_changes(0, 1_000).await.unwrap(), seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_follower_is_given_another_clients_write() {
    let client = client().await;
    let store = new_store(&client).await;
    let _ = changes(&store, 0, 1).await;
    let writer = client_with(ClientOptions::default()).await;
    let written = writer.table(store.table_id()).await.unwrap();
    let follower = {
        let store = store.clone();
        tokio::spawn(async move { store.wait_for_changes(1, 10, PATIENCE).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    written
        .add_file(&FileReference::new("a", "root", 1))
        .await
        .unwrap();
    let given = follower.await.unwrap().unwrap();
    assert_eq!(types(&given), [TransactionType::AddFiles]);
}

#[tokio::test]
async fn a_wait_with_nothing_written_ends_empty() {
    let client = client().await;
    let store = new_store(&client).await;
    let _ = changes(&store, 0, 1).await;
    let waited = store
        .wait_for_changes(1, 10, Duration::from_millis(50))
        .await
        .unwrap();
    assert!(waited.is_empty());
}

#[tokio::test]
async fn deleting_entries_keeps_the_later_ones_and_their_numbers() {
    let client = client().await;
    let store = new_store(&client).await;
    for name in ["a", "b", "c"] {
        store
            .add_file(&FileReference::new(name, "root", 1))
            .await
            .unwrap();
    }
    let _ = changes(&store, 0, 4).await;
    assert_eq!(store.delete_changes_through(2).await.unwrap(), 2);
    let left = store.read_changes(0, 10).await.unwrap();
    assert_eq!(left.iter().map(|c| c.sequence).collect::<Vec<_>>(), [3, 4]);
}

#[tokio::test]
async fn entries_not_numbered_yet_cannot_be_deleted() {
    let client = client().await;
    let store = new_store(&client).await;
    let _ = changes(&store, 0, 1).await;
    let error = store.delete_changes_through(5).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert_eq!(store.read_changes(0, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_deleted_table_has_no_feed() {
    let client = client().await;
    let store = new_store(&client).await;
    let _ = changes(&store, 0, 1).await;
    client.delete_table(store.table_id()).await.unwrap();
    let error = store.read_changes(0, 10).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TableNotFound);
}

#[tokio::test]
async fn feeds_of_tables_are_numbered_apart() {
    let client = client().await;
    let (first, second) = (new_store(&client).await, new_store(&client).await);
    first
        .add_file(&FileReference::new("a", "root", 1))
        .await
        .unwrap();
    let first_changes = changes(&first, 0, 2).await;
    let second_changes = changes(&second, 0, 1).await;
    assert_eq!(first_changes.last().unwrap().sequence, 2);
    assert_eq!(second_changes.last().unwrap().sequence, 1);
}
