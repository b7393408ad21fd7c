//! The change feed (`migrations/0004_change_feed.sql`, `docs/design.md`): every write is recorded, in
//! its own transaction, as an entry of its table's feed, in Sleeper's transaction JSON; readers ask
//! for the entries after a number. After a write commits, the client wakes the table's followers
//! with a `NOTIFY`, sent by a task of its own so that no write waits for it; followers `LISTEN`, and
//! poll as well, since a wake-up can be lost (a pooler that does not pass them on, a connection
//! dropped).

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{Connection, PgConnection};
use tokio::sync::Notify;

use crate::model::{AllReferencesToAFile, Timestamp};
use crate::pool::lock;
use crate::transaction::{Transaction, TransactionType};

/// One entry of a table's change feed: a write, as the Sleeper transaction it applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The entry's number in its table's feed: 1, 2, 3... in the order the writes took effect.
    pub sequence: u64,
    /// When the write's transaction started, to the microsecond.
    pub recorded_at: Timestamp,
    /// The Sleeper transaction type the write applied.
    pub transaction_type: TransactionType,
    /// The transaction as Sleeper's `TransactionSerDe` writes it, or `None` where it was too large
    /// to record whole (more than [`RECORDED_ITEMS`] items or [`RECORDED_BYTES`] bytes).
    pub transaction_json: Option<String>,
    /// What the transaction names, counted.
    pub summary: ChangeSummary,
}

/// Counts of what a transaction names: the files, references, compaction jobs and partitions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChangeSummary {
    /// Files added, or deleted, or the inputs of the jobs committed, or split.
    pub files: u64,
    /// References added, assigned, split into, or written as compaction outputs.
    pub references: u64,
    /// Compaction jobs assigned or committed.
    pub jobs: u64,
    /// Partitions written.
    pub partitions: u64,
}

impl ChangeSummary {
    fn items(&self) -> u64 {
        self.files + self.references + self.jobs + self.partitions
    }

    fn of(transaction: &Transaction) -> ChangeSummary {
        let count = |n: usize| n as u64;
        match transaction {
            Transaction::AddFiles { files, .. } => ChangeSummary::of_added_files(
                count(files.len()),
                files.iter().map(|f| count(f.references.len())).sum(),
            ),
            Transaction::AssignJobIds { requests } => ChangeSummary {
                references: requests.iter().map(|r| count(r.filenames.len())).sum(),
                jobs: count(requests.len()),
                ..ChangeSummary::default()
            },
            Transaction::ClearFiles => ChangeSummary::default(),
            Transaction::DeleteFiles { filenames } => ChangeSummary {
                files: count(filenames.len()),
                ..ChangeSummary::default()
            },
            Transaction::InitialisePartitions { partitions } => ChangeSummary {
                partitions: count(partitions.len()),
                ..ChangeSummary::default()
            },
            Transaction::ReplaceFileReferences { jobs } => ChangeSummary {
                files: jobs
                    .iter()
                    .map(|j| count(j.request.input_files.len()))
                    .sum(),
                references: count(jobs.len()),
                jobs: count(jobs.len()),
                ..ChangeSummary::default()
            },
            Transaction::SplitFileReferences { requests } => ChangeSummary {
                files: count(requests.len()),
                references: requests.iter().map(|r| count(r.new_references.len())).sum(),
                ..ChangeSummary::default()
            },
            Transaction::SplitPartition { new_children, .. } => ChangeSummary {
                partitions: 1 + count(new_children.len()),
                ..ChangeSummary::default()
            },
            Transaction::ExtendPartitionTree {
                update_partitions,
                new_partitions,
            } => ChangeSummary {
                partitions: count(update_partitions.len() + new_partitions.len()),
                ..ChangeSummary::default()
            },
        }
    }

    fn of_added_files(files: u64, references: u64) -> ChangeSummary {
        ChangeSummary {
            files,
            references,
            ..ChangeSummary::default()
        }
    }
}

/// A transaction naming more items than this is recorded as its summary only.
///
/// (Not in the C header, which states the limits in words: `spg_change.transaction_json`.)
/// cbindgen:ignore
pub const RECORDED_ITEMS: u64 = 10_000;
/// A transaction whose JSON is longer than this is recorded as its summary only.
///
/// cbindgen:ignore
pub const RECORDED_BYTES: usize = 1 << 20;

/// The entries a write records, bound as parameters of a statement of [`recording`].
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    kinds: Vec<&'static str>,
    transactions: Vec<Option<String>>,
    summaries: Vec<serde_json::Value>,
}

impl Recorded {
    /// A write of one transaction.
    pub(crate) fn of(transaction: &Transaction) -> Recorded {
        let summary = ChangeSummary::of(transaction);
        let whole = (summary.items() <= RECORDED_ITEMS).then_some(transaction);
        let mut recorded = Recorded::default();
        recorded.push(transaction.transaction_type(), summary, whole);
        recorded
    }

    /// An add of new files, whose transaction is only built if it is to be recorded whole.
    pub(crate) fn of_added_files(
        files: usize,
        references: usize,
        build: impl FnOnce() -> Vec<AllReferencesToAFile>,
    ) -> Recorded {
        let summary = ChangeSummary::of_added_files(files as u64, references as u64);
        let transaction = (summary.items() <= RECORDED_ITEMS).then(|| Transaction::AddFiles {
            files: build(),
            job_run: Default::default(),
        });
        let mut recorded = Recorded::default();
        recorded.push(TransactionType::AddFiles, summary, transaction.as_ref());
        recorded
    }

    /// These entries and then `next`'s, written in the same database transaction.
    pub(crate) fn and(mut self, next: Recorded) -> Recorded {
        self.kinds.extend(next.kinds);
        self.transactions.extend(next.transactions);
        self.summaries.extend(next.summaries);
        self
    }

    fn push(
        &mut self,
        kind: TransactionType,
        summary: ChangeSummary,
        transaction: Option<&Transaction>,
    ) {
        let json = transaction
            .map(Transaction::to_json)
            .filter(|json| json.len() <= RECORDED_BYTES);
        self.kinds.push(kind.name());
        self.transactions.push(json);
        self.summaries
            .push(serde_json::to_value(summary).unwrap_or_default());
    }

    /// Binds the entries as three arrays after the parameters bound already (see [`recording`]).
    pub(crate) fn bind<'q>(&self, query: crate::client::PgQuery<'q>) -> crate::client::PgQuery<'q> {
        query
            .bind(self.kinds.clone())
            .bind(self.transactions.clone())
            .bind(self.summaries.clone())
    }
}

/// The statement that runs `write` (a `SELECT` giving one row) and records a write's entries if
/// `written` (an expression on that row, `w`) holds, in the same statement, so in the same
/// transaction: the entries are bound as parameters `$n`, `$n+1`, `$n+2` (`n` being `parameters +
/// 1`) by [`Recorded::bind`], and `$2` is the table's key. The statement gives `write`'s row and
/// then whether a follower waits on the table's feed (`followed`, see [`followed`]). (`w`, used
/// twice, is run once, before the insert that reads it.)
pub(crate) fn recording(write: &str, written: &str, parameters: usize) -> String {
    let n = parameters + 1;
    format!(
        "WITH w AS ({write}), r AS ( \
             INSERT INTO {{s}}.changes (table_pk, position, kind, transaction, summary) \
             SELECT $2, c.position, c.kind, c.transaction, c.summary \
             FROM w, unnest(${n}::text[], ${}::text[], ${}::jsonb[]) WITH ORDINALITY \
                  AS c(kind, transaction, summary, position) \
             WHERE {written} \
         ) SELECT w.*, (SELECT f.followed_until > now() FROM {{s}}.change_feeds f \
                         WHERE f.table_pk = $2) AS followed FROM w",
        n + 1,
        n + 2
    )
}

/// Whether the row of a statement of [`recording`] says that a follower waits on the feed: only then
/// is a wake-up worth sending (a `NOTIFY` costs the server about as much as a small write).
pub(crate) fn followed(row: &sqlx::postgres::PgRow) -> bool {
    use sqlx::Row;
    row.try_get::<Option<bool>, _>("followed")
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// The channel of a schema's wake-ups; the payload is the table's key. Schemas whose names hash
/// alike share a channel, which only wakes followers for nothing now and then.
pub(crate) fn channel(lock_space: i32) -> String {
    format!("sleeper_pg_changes_{lock_space}")
}

/// How long the client waits after sending wake-ups before sending more, so that a storm of writes
/// sends at most a hundred a second, each for every table written meanwhile, rather than one per
/// write.
const NOTIFY_INTERVAL: Duration = Duration::from_millis(10);

/// Sends the wake-ups of a client's writes from a task of its own, each table's coalesced.
pub(crate) struct Notifier {
    pending: Arc<Mutex<BTreeSet<i64>>>,
    wake: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Notifier {
    /// Starts the task (in the current runtime); it opens its connection when first needed.
    pub(crate) fn start(connect_options: PgConnectOptions, lock_space: i32) -> Notifier {
        let pending = Arc::new(Mutex::new(BTreeSet::new()));
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(send_wake_ups(
            connect_options,
            channel(lock_space),
            pending.clone(),
            wake.clone(),
        ));
        Notifier {
            pending,
            wake,
            task,
        }
    }

    /// After a write to the table has committed.
    pub(crate) fn changed(&self, table_pk: i64) {
        if lock(&self.pending).insert(table_pk) {
            self.wake.notify_one();
        }
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn send_wake_ups(
    connect_options: PgConnectOptions,
    channel: String,
    pending: Arc<Mutex<BTreeSet<i64>>>,
    wake: Arc<Notify>,
) {
    let mut connection: Option<PgConnection> = None;
    loop {
        wake.notified().await;
        let tables: Vec<String> = std::mem::take(&mut *lock(&pending))
            .into_iter()
            .map(|pk| pk.to_string())
            .collect();
        if tables.is_empty() {
            continue;
        }
        if connection.is_none() {
            connection = PgConnection::connect_with(&connect_options).await.ok();
        }
        if let Some(open) = connection.as_mut() {
            let sent = sqlx::query("SELECT pg_notify($1, t) FROM unnest($2::text[]) AS t")
                .bind(&channel)
                .bind(&tables)
                .execute(open)
                .await;
            if let Err(error) = sent {
                // Followers poll as well: a lost wake-up only delays them.
                tracing::debug!(%error, "could not wake the change feed's followers");
                connection = None;
            }
        }
        tokio::time::sleep(NOTIFY_INTERVAL).await;
    }
}

/// A client's `LISTEN` for its followers: one connection, opened by the first follower, waking the
/// followers of each table as notifications name it.
pub(crate) struct Listener {
    tables: Arc<Mutex<HashMap<i64, Arc<Notify>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Listener {
    /// Starts listening (in the current runtime), reconnecting whenever the connection is lost.
    pub(crate) fn start(connect_options: PgConnectOptions, lock_space: i32) -> Listener {
        let tables: Arc<Mutex<HashMap<i64, Arc<Notify>>>> = Arc::default();
        let task = tokio::spawn(listen(connect_options, channel(lock_space), tables.clone()));
        Listener { tables, task }
    }

    /// What wakes the table's followers.
    pub(crate) fn waker(&self, table_pk: i64) -> Arc<Notify> {
        lock(&self.tables).entry(table_pk).or_default().clone()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn listen(
    connect_options: PgConnectOptions,
    channel: String,
    tables: Arc<Mutex<HashMap<i64, Arc<Notify>>>>,
) {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_lazy_with(connect_options);
    loop {
        let Err(error) = wake_followers(&pool, &channel, &tables).await;
        tracing::debug!(%error, "lost the change feed's LISTEN connection; followers poll meanwhile");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Wakes the followers of each table a notification names, until the connection fails.
async fn wake_followers(
    pool: &sqlx::PgPool,
    channel: &str,
    tables: &Mutex<HashMap<i64, Arc<Notify>>>,
) -> Result<Infallible, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    loop {
        let notification = listener.recv().await?;
        let waker = notification
            .payload()
            .parse::<i64>()
            .ok()
            .and_then(|pk| lock(tables).get(&pk).cloned());
        if let Some(waker) = waker {
            waker.notify_waiters();
        }
    }
}
