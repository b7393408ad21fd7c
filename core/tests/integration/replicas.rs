//! Reads from hot standbys: a cluster of its own per test, with a streaming replica started by
//! `LocalPostgres::start_replica`. Replay is paused on the replica (`pg_wal_replay_pause`) where a test
//! must know which server answered.

use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection, Row};

use crate::common::*;
use sleeper_pg::testing::PgBouncer;
use sleeper_pg::*;

struct Servers {
    primary: LocalPostgres,
    replica: LocalPostgres,
}

async fn primary_and_replica() -> Servers {
    tokio::task::spawn_blocking(|| {
        let primary = LocalPostgres::start().expect("start a primary");
        let replica = primary.start_replica().expect("start a replica");
        Servers { primary, replica }
    })
    .await
    .unwrap()
}

/// A client of the primary that reads from the replica (migrating the schema on the primary).
async fn reading_from_replica(servers: &Servers, wait: Duration) -> Client {
    Client::connect_with(ClientOptions::default().with(|o| {
        o.url = Some(servers.primary.url());
        o.replica_urls = vec![servers.replica.url()];
        o.replica_wait = wait;
    }))
    .await
    .expect("connect")
}

/// A client of the primary alone: its writes are another client's to the one reading from the replica.
async fn primary_only(servers: &Servers) -> Client {
    Client::connect(Some(&servers.primary.url()))
        .await
        .expect("connect")
}

async fn set_replay(replica: &LocalPostgres, paused: bool) {
    let mut connection = PgConnection::connect(&replica.url()).await.unwrap();
    let call = if paused {
        "SELECT pg_wal_replay_pause()"
    } else {
        "SELECT pg_wal_replay_resume()"
    };
    connection.execute(call).await.unwrap();
    if paused {
        // Pausing takes effect at the next record replay reaches; wait until it has.
        for _ in 0..500 {
            let state: String = connection
                .fetch_one("SELECT pg_get_wal_replay_pause_state()")
                .await
                .unwrap()
                .get(0);
            if state == "paused" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("replay did not pause");
    }
}

/// A table with a root partition, created through `client` and seen by it (so on its replica).
async fn table_on(client: &Client) -> StateStore {
    let store = new_store(client).await;
    client.table(store.table_id()).await.expect("the new table");
    store
}

/// Adds a file with one reference on the root partition.
async fn add(store: &StateStore, filename: &str) {
    store
        .add_file(&FileReference::new(filename, "root", 1))
        .await
        .unwrap();
}

/// The filenames of the table's references, as the store reads them.
async fn read_filenames(store: &StateStore) -> Vec<String> {
    let references = store.get_file_references().await.unwrap();
    references.into_iter().map(|r| r.filename).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_served_by_the_replica() {
    let servers = primary_and_replica().await;
    let reader = reading_from_replica(&servers, Duration::from_secs(5)).await;
    let store = table_on(&reader).await;
    add(&store, "before").await;
    assert_eq!(read_filenames(&store).await, ["before"]);
    set_replay(&servers.replica, true).await;

    let writer = primary_only(&servers).await;
    let writers_store = writer.table(store.table_id()).await.unwrap();
    add(&writers_store, "after").await;

    assert_eq!(
        read_filenames(&store).await,
        ["before"],
        "the paused replica answered, without the other client's write"
    );
    set_replay(&servers.replica, false).await;
    let mut seen = Vec::new();
    for _ in 0..500 {
        seen = read_filenames(&store).await;
        if seen.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen, ["after", "before"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_after_the_clients_own_write_sees_the_write() {
    let servers = primary_and_replica().await;
    let client = reading_from_replica(&servers, Duration::from_secs(10)).await;
    let store = table_on(&client).await;
    for i in 0..50 {
        let file = FileReference::new(format!("file-{i:02}"), "root", 1);
        store.add_file(&file).await.unwrap();
        let references = store.get_file_references().await.unwrap();
        assert_eq!(references.len(), i + 1, "read {i} missed its write");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_after_a_write_the_replica_has_not_replayed_is_served_by_the_primary() {
    let servers = primary_and_replica().await;
    let client = reading_from_replica(&servers, Duration::from_millis(100)).await;
    let store = table_on(&client).await;
    set_replay(&servers.replica, true).await;

    add(&store, "written").await;

    assert_eq!(read_filenames(&store).await, ["written"]);
    set_replay(&servers.replica, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_created_by_another_client_is_found_before_the_replica_has_it() {
    let servers = primary_and_replica().await;
    let reader = reading_from_replica(&servers, Duration::from_millis(200)).await;
    reader.list_tables().await.unwrap();
    set_replay(&servers.replica, true).await;
    let writer = primary_only(&servers).await;
    let created = new_store(&writer).await;

    let found = reader.table(created.table_id()).await.unwrap();

    assert_eq!(found.get_partition("root").await.unwrap().id, "root");
    set_replay(&servers.replica, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_go_to_the_primary_while_the_replica_cannot_be_reached() {
    let primary = tokio::task::spawn_blocking(LocalPostgres::start)
        .await
        .unwrap()
        .unwrap();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::connect_with(ClientOptions::default().with(|o| {
        o.url = Some(primary.url());
        o.replica_urls = vec![format!(
            "postgresql://postgres@127.0.0.1:{closed_port}/postgres"
        )];
        o.replica_wait = Duration::from_millis(200);
    }))
    .await
    .unwrap();

    let store = new_store(&client).await;
    add(&store, "f").await;

    assert_eq!(read_filenames(&store).await, ["f"]);
    assert_eq!(store.get_partition("root").await.unwrap().id, "root");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_from_the_replica_sees_a_state_that_existed() {
    let servers = primary_and_replica().await;
    let reader = reading_from_replica(&servers, Duration::from_secs(5)).await;
    let store = table_on(&reader).await;
    let files: Vec<FileReference> = (0..8)
        .map(|i| FileReference::new(format!("input-{i}"), "root", 10))
        .collect();
    store.add_files(&files).await.unwrap();
    store.get_file_references().await.unwrap();
    let writer = primary_only(&servers).await;
    let writers_store = writer.table(store.table_id()).await.unwrap();

    // Jobs that each replace two files by one holding their rows: every committed state holds 80 rows.
    let compactions = tokio::spawn(async move {
        let mut live: Vec<String> = (0..8).map(|i| format!("input-{i}")).collect();
        let mut job = 0;
        while live.len() > 1 {
            let inputs: Vec<String> = live.drain(..2).collect();
            let output = format!("output-{job}");
            let job_id = format!("job-{job}");
            writers_store
                .assign_job_ids(&[AssignJobIdRequest::new(&job_id, "root", inputs.clone())])
                .await
                .unwrap();
            let sum: u64 = writers_store
                .get_file_references()
                .await
                .unwrap()
                .iter()
                .filter(|r| inputs.contains(&r.filename))
                .map(|r| r.number_of_rows)
                .sum();
            writers_store
                .atomically_replace_file_references_with_new_ones(&[
                    ReplaceFileReferencesRequest::new(
                        &job_id,
                        "root",
                        inputs,
                        FileReference::new(&output, "root", sum),
                    ),
                ])
                .await
                .unwrap();
            live.push(output);
            job += 1;
        }
    });
    let mut reads = 0;
    while !compactions.is_finished() || reads == 0 {
        let references = store.get_file_references().await.unwrap();
        let rows: u64 = references.iter().map(|r| r.number_of_rows).sum();
        assert_eq!(
            rows, 80,
            "read {reads} saw a state no commit made: {references:?}"
        );
        reads += 1;
    }
    compactions.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_and_writes_through_pgbouncer_go_to_the_replica_and_the_primary() {
    let servers = primary_and_replica().await;
    // Migrations need a session of their own: a direct connection.
    Client::connect(Some(&servers.primary.url())).await.unwrap();
    let to_primary = PgBouncer::start(&servers.primary, 2).unwrap();
    let to_replica = PgBouncer::start(&servers.replica, 2).unwrap();
    let client = Client::connect_with(to_primary.client_options(4).with(|o| {
        o.replica_urls = vec![to_replica.url()];
        o.replica_wait = Duration::from_secs(5);
    }))
    .await
    .unwrap();
    let store = table_on(&client).await;
    add(&store, "own").await;
    assert_eq!(read_filenames(&store).await, ["own"]);
    set_replay(&servers.replica, true).await;

    let writer = primary_only(&servers).await;
    add(&writer.table(store.table_id()).await.unwrap(), "other").await;

    assert_eq!(
        read_filenames(&store).await,
        ["own"],
        "the paused replica answered through its pooler"
    );
    set_replay(&servers.replica, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_continue_on_the_primary_when_the_replica_stops() {
    let servers = primary_and_replica().await;
    let client = reading_from_replica(&servers, Duration::from_millis(500)).await;
    let store = table_on(&client).await;
    let Servers {
        primary: _primary,
        replica,
    } = servers;
    add(&store, "f").await;
    assert_eq!(read_filenames(&store).await, ["f"]);

    tokio::task::spawn_blocking(move || drop(replica))
        .await
        .unwrap();

    for _ in 0..3 {
        assert_eq!(read_filenames(&store).await, ["f"]);
    }
}
