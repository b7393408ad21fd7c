//! `StateStore`: a handle on one Sleeper table. Its methods are split by concept: `partitions` for the
//! partition tree, `files` for file references. Every method is one PostgreSQL transaction.

mod arrow;
mod bulk;
pub(crate) mod codec;
mod copy_out;
mod export;
mod feed;
mod files;
mod partitions;
mod regions;
mod status;
mod transactions;

pub use arrow::{file_reference_schema, partition_schema, ArrowBatches, ReadScope};
#[cfg(feature = "testing")]
pub use bulk::COPY_FROM_REFERENCES;
pub use status::TableStatus;
pub use transactions::{LogProgress, LogReplay};

use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use sqlx::postgres::PgRow;
use sqlx::Row;

use crate::client::{retrying, sqlstate, ClientInner, Failure, PgQuery};
use crate::connection::Session;
use crate::error::{Error, Result};
use crate::feed::{recording, Recorded};
use crate::model::{RowKeyField, Timestamp};
use crate::stats::Operation;
use copy_out::{CopyDecoder, CopyRow};

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
    /// The partition tree as last read, for the reads of part of the table (`regions`).
    tree: Mutex<Option<Arc<regions::Tree>>>,
    /// Whether a follower waited on the table's change feed, as the last recorded write saw.
    followed: std::sync::atomic::AtomicBool,
    /// See `testing::before_next_write`.
    #[cfg(feature = "testing")]
    before_next_write: Mutex<Option<crate::testing::Change>>,
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
                tree: Mutex::new(None),
                followed: std::sync::atomic::AtomicBool::new(false),
                #[cfg(feature = "testing")]
                before_next_write: Mutex::new(None),
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

    /// Runs `call`, one public call on this table, counted in the client's statistics.
    fn observe<'a, T: Send + 'a>(
        &'a self,
        operation: Operation,
        call: impl std::future::Future<Output = Result<T>> + Send + 'a,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T>> + Send + 'a>> {
        self.inner
            .client
            .observe(operation, Some(&self.inner.table_id), call)
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

    /// Runs `query`, a call of one of the write functions of the migrations that returns whether it
    /// wrote (or raises `SL001` when the rows it read changed). Outside a transaction the statement
    /// commits on its own, so an error that is not the server's answer leaves its outcome unknown.
    async fn run_write(&self, session: &mut Session, query: PgQuery<'_>) -> Result<bool, Failure> {
        #[cfg(feature = "testing")]
        self.between_read_and_write().await;
        let error = match query.fetch_one(session.connection()).await {
            Ok(row) => {
                self.note_followers(&row);
                return Ok(row.try_get::<bool, _>(0)?);
            }
            Err(error) => error,
        };
        let code = sqlstate(&error);
        let failure = session.write_failure(error);
        Err(match code.as_deref() {
            Some("P0002") => Failure::Rejected(self.table_not_found()),
            // Raised by a write function whose rows changed after it had begun to write.
            Some("SL001") => Failure::Stale,
            _ => failure,
        })
    }

    /// The statement that calls `call`, a write function of the migrations with `parameters`
    /// parameters, the first two the lock space and the table's key: with the client's change feed,
    /// it also records the write's entries, bound after them by `bind_recorded`.
    fn write_sql(&self, call: &str, parameters: usize) -> String {
        if self.inner.client.change_feed {
            self.sql(&recording(
                &format!("SELECT {call} AS written"),
                "w.written",
                parameters,
            ))
        } else {
            self.sql(&format!("SELECT {call}"))
        }
    }

    /// Binds the entries `recorded` makes, with the client's change feed, after the parameters of
    /// a statement of `write_sql`.
    fn bind_recorded<'q>(
        &self,
        query: PgQuery<'q>,
        recorded: impl FnOnce() -> Recorded,
    ) -> PgQuery<'q> {
        if self.inner.client.change_feed {
            recorded().bind(query)
        } else {
            query
        }
    }

    /// Remembers whether the row of a recorded write says a follower waits on the table's feed.
    fn note_followers(&self, row: &PgRow) {
        self.inner.followed.store(
            crate::feed::followed(row),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// After a write to the table has committed: wakes the table's followers, if it has any.
    fn changed(&self) {
        let followed = self
            .inner
            .followed
            .load(std::sync::atomic::Ordering::Relaxed);
        if let Some(notifier) = self.inner.client.notifier.as_deref().filter(|_| followed) {
            notifier.changed(self.inner.table_pk);
        }
    }

    /// One write that is a single call of a function of the migrations (a statement of `write_sql`),
    /// taking the lock space and the table's key as `$1` and `$2` and the parameters `bind` adds
    /// after them, recording the entries `recorded` makes; returns what the function returned.
    async fn write_once<'q>(
        &self,
        sql: &'q str,
        bind: impl Fn(PgQuery<'q>) -> PgQuery<'q>,
        recorded: impl Fn() -> Recorded,
    ) -> Result<bool> {
        let client = &self.inner.client;
        let written = retrying!(client, async {
            let mut session = Session::open(client).await?;
            let query = self
                .query(sql)
                .bind(client.schema.lock_space)
                .bind(self.inner.table_pk);
            let query = self.bind_recorded(bind(query), &recorded);
            let written = self.run_write(&mut session, query).await?;
            session
                .finish_write(client)
                .await
                .map_err(Failure::Uncertain)?;
            Ok::<_, Failure>(written)
        })?;
        if written {
            self.changed();
        }
        Ok(written)
    }

    /// Removes the table's files and references, its partitions, or both, once every write in flight
    /// on the table has finished.
    async fn clear_table(
        &self,
        files: bool,
        partitions: bool,
        recorded: impl Fn() -> Recorded,
    ) -> Result<()> {
        let sql = self.write_sql("{s}.clear_table($1, $2, $3, $4)", 4);
        self.write_once(&sql, |q| q.bind(files).bind(partitions), recorded)
            .await
            .map(drop)
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
            let mut session = Session::open_read(client).await?;
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

    /// `query_table` for a whole table's rows: `copy` is `COPY (<such a query>) TO STDOUT (FORMAT
    /// binary)` with the table's key written in, and its rows of `N` fields are folded as they stream
    /// in into what `start` makes (afresh for each attempt of the call) with `step`.
    async fn copy_table<const N: usize, S>(
        &self,
        copy: &str,
        present: usize,
        start: impl Fn() -> S,
        step: impl Fn(&mut S, &CopyRow<'_, N>) -> Result<()>,
    ) -> Result<S> {
        let client = &self.inner.client;
        let (found, folded) = retrying!(client, async {
            let mut folded = start();
            let found = self
                .copy_rows(copy, present, |row| step(&mut folded, row))
                .await?;
            Ok::<_, Failure>((found, folded))
        })?;
        if !found {
            return Err(self.table_not_found());
        }
        Ok(folded)
    }

    /// One attempt of `copy_table`'s read: calls `on_row` with each row whose field `present` is not
    /// NULL, and returns whether any row came at all (none: the table is gone). The connection goes
    /// back to the pool only once the server ended the COPY and its data was read to the end.
    async fn copy_rows<const N: usize>(
        &self,
        copy: &str,
        present: usize,
        mut on_row: impl FnMut(&CopyRow<'_, N>) -> Result<()>,
    ) -> Result<bool, Failure> {
        let mut session = Session::open_read(&self.inner.client).await?;
        let mut decoder = CopyDecoder::<N>::new();
        let mut found = false;
        let mut chunks = session.connection().copy_out_raw(copy).await?;
        while let Some(chunk) = chunks.try_next().await? {
            decoder.feed(&chunk, |row| {
                found = true;
                if row.is_null(present) {
                    return Ok(());
                }
                on_row(row)
            })?;
        }
        drop(chunks);
        decoder.finish()?;
        session.finish().await?;
        Ok(found)
    }
}

#[cfg(feature = "testing")]
impl StateStore {
    pub(crate) fn set_before_next_write(&self, change: crate::testing::Change) {
        *self
            .inner
            .before_next_write
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(change);
    }

    /// Runs the change set by `testing::before_next_write`, once.
    async fn between_read_and_write(&self) {
        let change = self
            .inner
            .before_next_write
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(change) = change {
            change.await;
        }
    }
}

fn lock_clock(clock: &Mutex<Option<Timestamp>>) -> std::sync::MutexGuard<'_, Option<Timestamp>> {
    clock
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
