//! Backup and restore (issue 15, `docs/backup.md`): a `pg_dump` of the store's schema restored with
//! `pg_restore` into another database holds exactly the same state (every table's export, the change
//! feed, the record of migrations), and the restored store keeps working: commits, splits, garbage
//! collection, new tables, a client that migrates. A dump taken while a commit storm runs restores
//! one consistent state. Each test starts a server of its own, for its `pg_dump` and `pg_restore`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::Ordering;

use crate::common::*;
use crate::faults::{self, crash_safe_server, input, job_id, output, start_storm, wait_for};
use crate::model::snapshot::{self, Snapshot};
use sleeper_pg::*;

/// The URL of `database` on `server`, through its Unix socket.
fn url_of(server: &LocalPostgres, database: &str) -> String {
    format!(
        "postgresql://postgres@localhost:{}/{database}?host={}",
        server.port(),
        server.socket_directory().display()
    )
}

/// Runs one of the server's programs (`pg_dump`, `pg_restore`, `createdb`) as the superuser
/// `postgres`, through the server's socket.
fn run(server: &LocalPostgres, program: &str, arguments: &[&str]) {
    let output = Command::new(server.bin_directory().join(program))
        .arg("--host")
        .arg(server.socket_directory())
        .args([
            "--port",
            &server.port().to_string(),
            "--username",
            "postgres",
        ])
        .args(arguments)
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {arguments:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An archive file removed when dropped.
struct Archive(PathBuf);

impl Archive {
    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }
}

impl Drop for Archive {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `pg_dump` of the schema `sleeper` of the database `postgres`, in the custom format: the
/// procedure of `docs/backup.md`.
fn dump(server: &LocalPostgres) -> Archive {
    let archive = Archive(std::env::temp_dir().join(format!(
        "sleeper-pg-backup-{}-{}.dump",
        std::process::id(),
        rand::random::<u32>()
    )));
    run(
        server,
        "pg_dump",
        &[
            "--schema=sleeper",
            "--format=custom",
            "--file",
            archive.path(),
            "postgres",
        ],
    );
    archive
}

/// Restores `archive` into a new database `database` of `server`, and gives its URL.
fn restore(server: &LocalPostgres, archive: &Archive, database: &str) -> String {
    run(server, "createdb", &[database]);
    run(
        server,
        "pg_restore",
        &[
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            database,
            archive.path(),
        ],
    );
    url_of(server, database)
}

async fn connect(url: &str) -> Client {
    Client::connect(Some(url)).await.expect("connect")
}

/// The table's export without its first line (the header, which holds the time of the export).
async fn export(store: &StateStore) -> Vec<u8> {
    let mut out = Vec::new();
    store.export_table(&mut out, |_| {}).await.expect("export");
    let header = out.iter().position(|&b| b == b'\n').expect("a header line");
    out.split_off(header + 1)
}

/// Every table's export and change feed, by table id.
async fn state(client: &Client) -> Vec<(String, Vec<u8>, Vec<Change>)> {
    let mut state = Vec::new();
    for table_id in client.list_tables().await.expect("list tables") {
        let store = client.table(&table_id).await.expect("the table");
        let changes = store.read_changes(0, 100_000).await.expect("the feed");
        state.push((table_id, export(&store).await, changes));
    }
    state
}

/// Tables in every state the store keeps: a split tree with references on leaves and on the root,
/// an assigned job, a committed job whose input waits for garbage collection; a table with files on
/// its root alone; and an empty table. Gives the id of the first.
async fn populate(client: &Client) -> String {
    let store = store_split_at(client, 0).await;
    store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    let on_both = FileReference::new("both", "root", 100);
    store
        .add_files(&[
            FileReference::new("left", "L", 10),
            FileReference::new("right", "R", 20),
            on_both.clone(),
        ])
        .await
        .unwrap();
    store
        .split_file_references(&[SplitFileReferenceRequest::split_file_to_child_partitions(
            &on_both, "L", "R",
        )])
        .await
        .unwrap();
    store
        .assign_job_ids(&[
            AssignJobIdRequest::new("committed", "L", strings(&["left"])),
            AssignJobIdRequest::new("pending", "R", strings(&["right"])),
        ])
        .await
        .unwrap();
    store
        .atomically_replace_file_references_with_new_ones(&[ReplaceFileReferencesRequest::new(
            "committed",
            "L",
            strings(&["left"]),
            FileReference::new("left-compacted", "L", 10),
        )])
        .await
        .unwrap();
    let other = new_store(client).await;
    other
        .add_files(&[
            FileReference::new("a", "root", 1),
            FileReference::new("b", "root", 2),
        ])
        .await
        .unwrap();
    client
        .create_table(&unique_table_id("empty"), &long_key())
        .await
        .unwrap();
    store.table_id().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_of_the_schema_restored_into_another_database_holds_the_same_state() {
    let server = tokio::task::spawn_blocking(LocalPostgres::start)
        .await
        .unwrap()
        .unwrap();
    let source = connect(&server.url()).await;
    populate(&source).await;
    let before = state(&source).await;
    let archive = dump(&server);
    let restored = connect(&restore(&server, &archive, "restored")).await;

    assert_eq!(state(&restored).await, before);
    assert_eq!(state(&source).await, before, "the dump changed nothing");
    assert_eq!(
        restored.applied_migrations().await.unwrap(),
        source.applied_migrations().await.unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_store_keeps_working() {
    let server = tokio::task::spawn_blocking(LocalPostgres::start)
        .await
        .unwrap()
        .unwrap();
    let source = connect(&server.url()).await;
    let split_table = &populate(&source).await;
    let tables = source.list_tables().await.unwrap();
    let feed_before = source
        .table(split_table)
        .await
        .unwrap()
        .read_changes(0, 1000)
        .await
        .unwrap()
        .len() as u64;
    let archive = dump(&server);
    let url = restore(&server, &archive, "restored");
    // A client that migrates finds the schema current.
    let restored = connect(&url).await;
    let store = restored.table(split_table).await.unwrap();

    // A commit of the job assigned before the dump, and a new assignment and commit.
    store
        .atomically_replace_file_references_with_new_ones(&[ReplaceFileReferencesRequest::new(
            "pending",
            "R",
            strings(&["right"]),
            FileReference::new("right-compacted", "R", 20),
        )])
        .await
        .expect("commit a job assigned before the dump");
    // A partition split, and references pushed down to the new leaves.
    let left = store.get_partition("L").await.unwrap();
    let (split, left_left, left_right) = split_of(&left, "LL", "LR", -100);
    store
        .atomically_update_partition_and_create_new_ones(&split, &left_left, &left_right)
        .await
        .expect("split a partition");
    let compacted = FileReference::new("left-compacted", "L", 10);
    store
        .split_file_references(&[SplitFileReferenceRequest::split_file_to_child_partitions(
            &compacted, "LL", "LR",
        )])
        .await
        .expect("push references down");
    // Garbage collection of the inputs compacted before and after the dump.
    let ready = store
        .get_ready_for_gc_filenames_before(chrono::Utc::now() + chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(ready, strings(&["left", "right"]));
    store
        .delete_garbage_collected_file_reference_counts(&ready)
        .await
        .expect("garbage collection");
    let files: Vec<String> = store
        .get_all_files_with_max_unreferenced(100)
        .await
        .unwrap()
        .files
        .into_iter()
        .map(|f| f.filename)
        .collect();
    assert_eq!(
        files,
        strings(&["both", "left-compacted", "right-compacted"])
    );
    // The feed goes on from where the dump left it.
    let after: Vec<u64> = store
        .read_changes(feed_before, 1000)
        .await
        .unwrap()
        .iter()
        .map(|c| c.sequence)
        .collect();
    assert_eq!(
        after,
        (feed_before + 1..=feed_before + 4).collect::<Vec<_>>()
    );
    // New tables, beside the restored ones.
    let new = new_store(&restored).await;
    new.add_file(&FileReference::new("new", "root", 1))
        .await
        .unwrap();
    assert_eq!(
        restored.list_tables().await.unwrap().len(),
        tables.len() + 1
    );
    // The source is untouched by all this.
    assert!(source
        .table(split_table)
        .await
        .unwrap()
        .get_partition("LL")
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dump_taken_during_a_commit_storm_restores_one_consistent_state() {
    const JOBS: usize = 2000;
    let server = crash_safe_server();
    let source = Client::connect_with(faults::options(server.url()))
        .await
        .unwrap();
    let (store, acknowledged, storm) = start_storm(&source, JOBS).await;
    wait_for(&acknowledged, JOBS / 10).await;
    let before_dump = acknowledged.load(Ordering::Relaxed);
    let archive = tokio::task::block_in_place(|| dump(&server));
    let after_dump = acknowledged.load(Ordering::Relaxed);
    let outcomes = storm.await.unwrap();
    assert!(
        after_dump > before_dump && after_dump < JOBS,
        "the dump ran while the storm did"
    );
    let url = tokio::task::block_in_place(|| restore(&server, &archive, "restored"));

    // Every job committed whole or not at all, and nothing else broken.
    let mut checker = snapshot::connect(&url).await;
    let restored_snapshot = Snapshot::take(&mut checker, "sleeper").await.unwrap();
    let violations = restored_snapshot.violations();
    assert!(violations.is_empty(), "invariants broken: {violations:?}");
    let table = &restored_snapshot.tables[store.table_id()];
    let mut committed = Vec::new();
    for job in 0..JOBS {
        let input_left = table.is_referenced(&input(job), "root");
        let output_there = table.is_referenced(&output(job), "root");
        assert!(
            input_left != output_there,
            "job {job} half-applied in the restored copy"
        );
        if output_there {
            committed.push(job);
        }
    }
    assert!(
        committed.len() >= before_dump,
        "commits acknowledged before the dump began are missing: {} of {before_dump}",
        committed.len()
    );
    assert!(committed.len() < JOBS, "the dump saw the storm's end");
    assert!(faults::count(&outcomes, true) <= JOBS);

    // The restored store goes on: the jobs it had not committed commit now.
    let restored = connect(&url).await;
    let restored_store = restored.table(store.table_id()).await.unwrap();
    for job in (0..JOBS).filter(|job| !committed.contains(job)) {
        restored_store
            .atomically_replace_file_references_with_new_ones(&[ReplaceFileReferencesRequest::new(
                job_id(job),
                "root",
                vec![input(job)],
                FileReference::new(output(job), "root", 100),
            )])
            .await
            .unwrap_or_else(|e| panic!("commit job {job} on the restored store: {e}"));
    }
    let references = restored_store.get_file_references().await.unwrap();
    assert_eq!(references.len(), JOBS);
    assert!(references.iter().all(|r| r.filename.starts_with("out-")));
}

/// The statement of `docs/backup.md` that numbers the feed entries a dump holds unnumbered (writes
/// no reader had numbered yet), in the order the store would have: run on a copy restored into
/// another cluster, whose transaction ids may be lower than those the entries recorded.
const NUMBER_RESTORED_CHANGES: &str = "\
WITH waiting AS (
    SELECT c.ctid AS row_id, c.table_pk,
           row_number() OVER (PARTITION BY c.table_pk ORDER BY c.txid, c.position) AS n
    FROM sleeper.changes c WHERE c.seq IS NULL
), numbered AS (
    UPDATE sleeper.changes c SET seq = coalesce(f.last_seq, 0) + w.n
    FROM waiting w LEFT JOIN sleeper.change_feeds f ON f.table_pk = w.table_pk
    WHERE c.ctid = w.row_id
    RETURNING c.table_pk, c.seq
)
INSERT INTO sleeper.change_feeds (table_pk, last_seq)
SELECT table_pk, max(seq) FROM numbered GROUP BY table_pk
ON CONFLICT (table_pk) DO UPDATE SET last_seq = excluded.last_seq";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_restored_into_a_new_cluster_keeps_its_feed_in_order_once_numbered() {
    use sqlx::Executor;
    let (source_server, target_server) = tokio::task::spawn_blocking(|| {
        (
            LocalPostgres::start().unwrap(),
            LocalPostgres::start().unwrap(),
        )
    })
    .await
    .unwrap();
    let source = connect(&source_server.url()).await;
    // Transaction ids on the source well past those of the new cluster.
    let mut burner = snapshot::connect(&source_server.url()).await;
    for _ in 0..2000 {
        burner.execute("SELECT pg_current_xact_id()").await.unwrap();
    }
    let store = store_split_at(&source, 0).await;
    let split_table = store.table_id().to_owned();
    store
        .add_file(&FileReference::new("before", "L", 1))
        .await
        .unwrap();
    let numbered = store.read_changes(0, 100).await.unwrap();
    // Written after the last read: unnumbered in the dump.
    store
        .add_file(&FileReference::new("waiting", "R", 1))
        .await
        .unwrap();
    let archive = dump(&source_server);
    let expected = store.read_changes(0, 100).await.unwrap();
    assert_eq!(expected.len(), numbered.len() + 1);

    let url = restore(&target_server, &archive, "restored");
    let restored = connect(&url).await;
    let restored_store = restored.table(&split_table).await.unwrap();
    assert_eq!(
        restored_store.read_changes(0, 100).await.unwrap(),
        numbered,
        "the waiting entry's transaction id is ahead of the new cluster's"
    );
    snapshot::connect(&url)
        .await
        .execute(NUMBER_RESTORED_CHANGES)
        .await
        .expect("number the restored entries");
    assert_eq!(restored_store.read_changes(0, 100).await.unwrap(), expected);
    restored_store
        .add_file(&FileReference::new("after", "R", 1))
        .await
        .unwrap();
    let next = restored_store
        .read_changes(expected.len() as u64, 100)
        .await
        .unwrap();
    assert_eq!(next.len(), 1, "the new write is numbered next");
    assert_eq!(next[0].sequence, expected.len() as u64 + 1);
}
