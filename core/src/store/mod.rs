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

use std::sync::{Arc, Mutex};

use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::client::{retrying, ClientInner, Failure};
use crate::error::{Error, Result};
use crate::model::{RowKeyField, Timestamp};
use crate::transaction::WriteTransaction;

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
    partition_clock: Mutex<Option<Timestamp>>,
}

impl std::fmt::Debug for StateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateStore")
            .field("table_id", &self.inner.table_id)
            .field("row_keys", &self.inner.row_keys)
            .finish_non_exhaustive()
    }
}

/// Truncates a time to whole milliseconds, the precision of everything the store keeps.
pub fn truncate_to_millis(time: Timestamp) -> Timestamp {
    chrono::DateTime::from_timestamp_millis(time.timestamp_millis()).unwrap_or(time)
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
                partition_clock: Mutex::new(None),
            }),
        }
    }

    pub fn table_id(&self) -> &str {
        &self.inner.table_id
    }

    /// The table's row key fields, in dimension order.
    pub fn row_keys(&self) -> &[RowKeyField] {
        &self.inner.row_keys
    }

    /// From now on, file writes through this handle use `time` (truncated to milliseconds) as "now";
    /// `None` returns to the database clock.
    pub fn fix_file_update_time(&self, time: Option<Timestamp>) {
        *lock_clock(&self.inner.file_clock) = time.map(truncate_to_millis);
    }

    /// The same for partition writes. Partitions carry no time, so nothing shows it yet.
    pub fn fix_partition_update_time(&self, time: Option<Timestamp>) {
        *lock_clock(&self.inner.partition_clock) = time.map(truncate_to_millis);
    }

    fn file_clock(&self) -> Option<Timestamp> {
        *lock_clock(&self.inner.file_clock)
    }

    fn sql(&self, template: &str) -> String {
        self.inner.client.schema.sql(template)
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

    /// Runs one query of the form `SELECT .. FROM {s}.sleeper_tables t LEFT JOIN ..  WHERE t.table_pk = $1`
    /// with `bind` adding the parameters after `$1`. One statement, so one snapshot; no row at all means
    /// the table is gone, and a row whose column `present` is NULL stands for no result.
    async fn query_table<'q>(
        &self,
        sql: &'q str,
        present: &str,
        bind: impl Fn(PgQuery<'q>) -> PgQuery<'q>,
    ) -> Result<Vec<PgRow>> {
        let client = &self.inner.client;
        let rows = retrying!(client, async {
            Ok::<_, Failure>(
                bind(sqlx::query(sql).bind(self.inner.table_pk))
                    .fetch_all(&client.pool)
                    .await?,
            )
        })?;
        if rows.is_empty() {
            return Err(self.table_not_found());
        }
        let mut results = Vec::with_capacity(rows.len());
        for row in rows {
            if row
                .try_get::<Option<String>, _>(present)
                .map_err(Error::from)?
                .is_some()
            {
                results.push(row);
            }
        }
        Ok(results)
    }
}

pub(crate) type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

fn lock_clock(clock: &Mutex<Option<Timestamp>>) -> std::sync::MutexGuard<'_, Option<Timestamp>> {
    clock
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
