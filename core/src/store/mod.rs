//! `StateStore`: a handle on one Sleeper table. Its methods are split by concept: `partitions` for the
//! partition tree, `files` for file references. Every method is one PostgreSQL transaction.

/// Runs `$body` (an expression that may `.await` and use `?` with `Failure`) in one write
/// transaction on the store's table, with `$tx` the transaction's connection; the whole transaction is
/// retried after a conflict. `$exclusive` waits for every other write on the table to finish and holds
/// them off.
macro_rules! in_transaction {
    ($store:expr, $exclusive:expr, $tx:ident => $body:expr) => {{
        let store: &$crate::store::StateStore = $store;
        $crate::client::retrying!(&store.inner.client, async {
            let mut transaction = store.begin_write($exclusive).await?;
            let $tx: &mut sqlx::PgConnection = transaction.connection();
            let outcome = async { Ok::<_, $crate::client::Failure>($body) }.await;
            match outcome {
                Ok(value) => transaction.commit().await.map(|()| value),
                Err(failure) => {
                    transaction.rollback().await;
                    Err(failure)
                }
            }
        })
    }};
}

mod codec;
mod files;
mod partitions;
mod transactions;

pub use transactions::{LogProgress, LogReplay};

use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use sqlx::postgres::PgRow;
use sqlx::{Executor, Row};

use crate::client::{retrying, ClientInner, Failure, PgQuery};
use crate::connection::{Session, WriteTransaction};
use crate::error::{Error, Result};
use crate::model::{RowKeyField, Timestamp};

/// A handle bound to one table (the table as created, not merely its id). Clones share the handle,
/// including its clocks; `Client::table` gives a new handle with clocks of its own.
#[derive(Clone)]
pub struct StateStore {
    inner: Arc<StoreInner>,
}

struct StoreInner {
    client: Arc<ClientInner>,
    table_pk: i64,
    table_id: String,
    row_keys: Vec<RowKeyField>,
    file_clock: Mutex<Option<Timestamp>>,
}

impl std::fmt::Debug for StateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateStore")
            .field("table_id", &self.inner.table_id)
            .field("row_keys", &self.inner.row_keys)
            .finish_non_exhaustive()
    }
}

impl StateStore {
    pub(crate) fn new(
        client: Arc<ClientInner>,
        table_pk: i64,
        table_id: &str,
        row_keys: Vec<RowKeyField>,
    ) -> Self {
        StateStore {
            inner: Arc::new(StoreInner {
                client,
                table_pk,
                table_id: table_id.to_owned(),
                row_keys,
                file_clock: Mutex::new(None),
            }),
        }
    }

    /// The id of the table this handle is bound to.
    pub fn table_id(&self) -> &str {
        &self.inner.table_id
    }

    /// The table's row key fields, in dimension order.
    pub fn row_keys(&self) -> &[RowKeyField] {
        &self.inner.row_keys
    }

    /// From now on, file writes through this handle use `time` (truncated to milliseconds) as "now";
    /// `None` returns to the database clock. A time the database cannot store is invalid input.
    pub fn fix_file_update_time(&self, time: Option<Timestamp>) -> Result<()> {
        let time = time.map(crate::time::validate_update_time).transpose()?;
        *lock_clock(&self.inner.file_clock) = time;
        Ok(())
    }

    /// The same for partition writes. Partitions carry no time in this version (`CONTRACT.md` 3.9), so
    /// the clock sets nothing; a time the database cannot store is still invalid input.
    pub fn fix_partition_update_time(&self, time: Option<Timestamp>) -> Result<()> {
        time.map(crate::time::validate_update_time).transpose()?;
        Ok(())
    }

    /// A new handle on the same table whose file clock is fixed at `time`, leaving this one's alone.
    fn with_file_clock(&self, time: Timestamp) -> StateStore {
        let inner = &self.inner;
        let handle = StateStore::new(
            inner.client.clone(),
            inner.table_pk,
            &inner.table_id,
            inner.row_keys.clone(),
        );
        *lock_clock(&handle.inner.file_clock) = Some(time);
        handle
    }

    fn file_clock(&self) -> Option<Timestamp> {
        *lock_clock(&self.inner.file_clock)
    }

    fn sql(&self, template: &str) -> String {
        self.inner.client.schema.sql(template)
    }

    fn query<'q>(&self, sql: &'q str) -> PgQuery<'q> {
        self.inner.client.query(sql)
    }

    fn table_not_found(&self) -> Error {
        Error::TableNotFound {
            table_id: self.inner.table_id.clone(),
        }
    }

    /// Begins a write transaction on this table, holding its lock (see `WriteTransaction`).
    async fn begin_write(&self, exclusive: bool) -> Result<WriteTransaction, Failure> {
        WriteTransaction::begin(&self.inner.client, self.inner.table_pk, exclusive, || {
            self.table_not_found()
        })
        .await
    }

    /// Runs two queries, each taking the table's key as `$1`, in one read-only snapshot after checking
    /// that the table exists.
    async fn read_snapshot(&self, first: &str, second: &str) -> Result<(Vec<PgRow>, Vec<PgRow>)> {
        let client = &self.inner.client;
        let exists = self.sql("SELECT 1 FROM {s}.sleeper_tables WHERE table_pk = $1");
        retrying!(client, async {
            let mut connection = client.pool.acquire().await.map_err(Failure::Rejected)?;
            let tx: &mut sqlx::PgConnection = &mut connection;
            tx.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await?;
            let found = self
                .query(&exists)
                .bind(self.inner.table_pk)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(Failure::Rejected(self.table_not_found()));
            }
            let first = self
                .query(first)
                .bind(self.inner.table_pk)
                .fetch_all(&mut *tx)
                .await?;
            let second = self
                .query(second)
                .bind(self.inner.table_pk)
                .fetch_all(&mut *tx)
                .await?;
            tx.execute("COMMIT").await?;
            connection.finish();
            Ok::<_, Failure>((first, second))
        })
    }

    /// Runs one query of the form `SELECT .. FROM {s}.sleeper_tables t LEFT JOIN ..  WHERE t.table_pk = $1`
    /// with `bind` adding the parameters after `$1`, and maps its rows as they arrive. One statement, so
    /// one snapshot. No row at all means the table is gone; a row whose column `present` is NULL is the
    /// join's row for an empty result and is not mapped.
    async fn query_table<'q, T>(
        &self,
        sql: &'q str,
        present: usize,
        bind: impl Fn(PgQuery<'q>) -> PgQuery<'q>,
        map: impl Fn(&PgRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        let client = &self.inner.client;
        let (found, results) = retrying!(client, async {
            let mut session = Session::open(client).await?;
            let mut found = false;
            let mut results = Vec::new();
            let mut rows =
                bind(self.query(sql).bind(self.inner.table_pk)).fetch(session.connection());
            while let Some(row) = rows.try_next().await? {
                found = true;
                if row
                    .try_get::<Option<&str>, _>(present)
                    .map_err(Error::from)?
                    .is_some()
                {
                    results.push(map(&row)?);
                }
            }
            drop(rows);
            session.finish().await?;
            Ok::<_, Failure>((found, results))
        })?;
        if !found {
            return Err(self.table_not_found());
        }
        Ok(results)
    }
}

fn lock_clock(clock: &Mutex<Option<Timestamp>>) -> std::sync::MutexGuard<'_, Option<Timestamp>> {
    clock
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
