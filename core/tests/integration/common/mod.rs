//! What every integration test shares: one PostgreSQL server (`DATABASE_URL`, or a local cluster
//! started on first use and stopped at exit, `sleeper_pg::testing::database_url`) and a fresh table per
//! test.

use chrono::{TimeZone, Utc};
use sleeper_pg::{Client, ClientOptions, KeyType, RowKeyField, StateStore, Timestamp};

pub use sleeper_pg::testing::{database_url, unique_table_id};

pub async fn client() -> Client {
    client_with(ClientOptions::default()).await
}

pub async fn client_with(options: ClientOptions) -> Client {
    let url = tokio::task::spawn_blocking(database_url).await.unwrap();
    Client::connect_with(options.with(|o| o.url = Some(url)))
        .await
        .expect("connect")
}

/// The URL of a new, empty database on the shared server, for a test that must not touch (or be
/// touched by) the connections of the tests running beside it.
pub async fn own_database(prefix: &str) -> String {
    use sqlx::{Connection, Executor};
    let shared = tokio::task::spawn_blocking(database_url).await.unwrap();
    let name = format!("{prefix}_{}_{}", std::process::id(), rand::random::<u32>());
    let mut admin = sqlx::PgConnection::connect(&shared)
        .await
        .expect("connect to create a database");
    admin
        .execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .expect("create a database");
    let mut url = url::Url::parse(&shared).expect("a database URL");
    url.set_path(&name);
    url.to_string()
}

/// Drops a database made by `own_database`, ending any connection still open to it.
pub async fn drop_database(url: &str) {
    use sqlx::{Connection, Executor};
    let name = url::Url::parse(url).expect("a database URL").path()[1..].to_owned();
    let shared = tokio::task::spawn_blocking(database_url).await.unwrap();
    let mut admin = sqlx::PgConnection::connect(&shared)
        .await
        .expect("connect to drop a database");
    admin
        .execute(format!("DROP DATABASE \"{name}\" WITH (FORCE)").as_str())
        .await
        .expect("drop the database");
}

pub fn long_key() -> Vec<RowKeyField> {
    vec![RowKeyField::new("key", KeyType::Long)]
}

/// A new table with one `long` row key, initialised with its root partition.
pub async fn new_store(client: &Client) -> StateStore {
    let store = client
        .create_table(&unique_table_id("t"), &long_key())
        .await
        .expect("create table");
    store.initialise().await.expect("initialise");
    store
}

/// A new table (as `new_store`) whose root is split at `at` into the leaves `L` and `R`.
pub async fn store_split_at(client: &Client, at: i64) -> StateStore {
    let store = new_store(client).await;
    let root = store.get_partition("root").await.expect("the root");
    let (split, left, right) = split_of(&root, "L", "R", at);
    store
        .atomically_update_partition_and_create_new_ones(&split, &left, &right)
        .await
        .expect("split the root");
    store
}

/// 2024-01-01 at the given hour, minute, second and millisecond, UTC.
pub fn at(hour: u32, minute: u32, second: u32, milli: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2024, 1, 1, hour, minute, second)
        .unwrap()
        + chrono::Duration::milliseconds(milli)
}

pub fn long_range(min: i64, max: Option<i64>) -> sleeper_pg::Region {
    sleeper_pg::Region::new(vec![sleeper_pg::Range::new(
        "key",
        sleeper_pg::KeyValue::Long(min),
        max.map(sleeper_pg::KeyValue::Long),
    )])
}

/// The three partitions that split `parent` (a leaf on the `long` key) at `at` into `left`, `right`.
pub fn split_of(
    parent: &sleeper_pg::Partition,
    left: &str,
    right: &str,
    at: i64,
) -> (
    sleeper_pg::Partition,
    sleeper_pg::Partition,
    sleeper_pg::Partition,
) {
    use sleeper_pg::{KeyValue, Partition};
    let range = &parent.region.ranges[0];
    let KeyValue::Long(min) = range.min else {
        panic!("a long key")
    };
    let max = range.max.as_ref().map(|m| match m {
        KeyValue::Long(m) => *m,
        _ => panic!("a long key"),
    });
    let split = Partition {
        is_leaf_partition: false,
        child_partition_ids: vec![left.to_owned(), right.to_owned()],
        dimension: 0,
        ..parent.clone()
    };
    let child = |id: &str, min: i64, max: Option<i64>| Partition {
        parent_partition_id: Some(parent.id.clone()),
        ..Partition::new(id, long_range(min, max))
    };
    (split, child(left, min, Some(at)), child(right, at, max))
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// `n` letters and digits that do not repeat in any pattern compression would shorten.
pub fn incompressible(n: usize) -> String {
    let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(alphabet[(state % alphabet.len() as u64) as usize])
        })
        .collect()
}

/// `prefix` followed by incompressible text, `n` bytes in all.
pub fn padded(prefix: &str, n: usize) -> String {
    format!("{prefix}{}", incompressible(n - prefix.len()))
}
