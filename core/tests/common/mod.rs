//! What every integration test shares: one PostgreSQL server per test binary (`DATABASE_URL`, or a
//! local cluster started on first use and stopped at exit) and a fresh table per test.
#![allow(dead_code)]

pub mod pgbouncer;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use chrono::{TimeZone, Utc};
use sleeper_pg::{
    Client, ClientOptions, KeyType, LocalPostgres, RowKeyField, StateStore, Timestamp,
};

static LOCAL: Mutex<Option<LocalPostgres>> = Mutex::new(None);
static URL: OnceLock<String> = OnceLock::new();

extern "C" fn stop_local_cluster() {
    if let Ok(mut local) = LOCAL.lock() {
        local.take();
    }
}

/// The database every test of this binary uses.
pub fn database_url() -> String {
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            return url;
        }
        let local = LocalPostgres::start().expect("start a local PostgreSQL cluster");
        let url = local.url();
        *LOCAL.lock().unwrap() = Some(local);
        // SAFETY: registers a plain extern "C" function to run at exit.
        unsafe { libc::atexit(stop_local_cluster) };
        url
    })
    .clone()
}

pub async fn client() -> Client {
    client_with(ClientOptions::default()).await
}

pub async fn client_with(options: ClientOptions) -> Client {
    let url = tokio::task::spawn_blocking(database_url).await.unwrap();
    Client::connect_with(ClientOptions {
        url: Some(url),
        ..options
    })
    .await
    .expect("connect")
}

/// A table id no other test uses, in this process or another.
pub fn unique_table_id(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
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
