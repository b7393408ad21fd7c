//! Reading a table's change feed (`crate::feed`): the entries after a number, waiting for them, and
//! deleting old ones.

use std::time::Duration;

use sqlx::postgres::PgRow;
use sqlx::Row;

use super::StateStore;
use crate::client::{retrying, sqlstate, Failure};
use crate::connection::Session;
use crate::error::{Error, Result};
use crate::feed::{Change, ChangeSummary};
use crate::stats::Operation;
use crate::transaction::TransactionType;

/// A follower that was woken and found nothing numbered yet (a transaction that began before the
/// write is still running) looks again after this, doubling up to `POLL`.
const FIRST_RECHECK: Duration = Duration::from_millis(5);
/// How often a follower looks without being woken, in case a wake-up was lost.
const POLL: Duration = Duration::from_secs(1);
/// How long writers wake a table's followers after a follower last looked.
const FOLLOWING: Duration = Duration::from_secs(5);

impl StateStore {
    /// The entries of the table's change feed numbered after `after`, in order, at most `limit`:
    /// every write whose transaction, and every transaction that began before it, has ended. Read
    /// on the primary, which numbers the entries as they become readable.
    pub async fn read_changes(&self, after: u64, limit: u32) -> Result<Vec<Change>> {
        self.observe(
            Operation::ReadChanges,
            self.changes_after(after, limit, None),
        )
        .await
    }

    /// `read_changes`, telling writers that a follower waits on the feed for the next `follow_for`
    /// (so that they send wake-ups).
    async fn changes_after(
        &self,
        after: u64,
        limit: u32,
        follow_for: Option<Duration>,
    ) -> Result<Vec<Change>> {
        let after = i64::try_from(after)
            .map_err(|_| Error::invalid(format!("No change feed reaches {after}")))?;
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let follow_for = follow_for.map(|d| d.as_secs_f64());
        let sql = self.sql(
            "SELECT seq, recorded_at, kind, transaction, summary \
             FROM {s}.changes_after($1, $2, $3, make_interval(secs => $4))",
        );
        let client = &self.inner.client;
        retrying!(client, async {
            let mut session = Session::open(client).await?;
            let rows = self
                .query(&sql)
                .bind(self.inner.table_pk)
                .bind(after)
                .bind(limit)
                .bind(follow_for)
                .fetch_all(session.connection())
                .await;
            let rows = match rows {
                Err(error) if sqlstate(&error).as_deref() == Some("P0002") => {
                    return Err(Failure::Rejected(self.table_not_found()))
                }
                rows => rows?,
            };
            session.finish().await?;
            Ok::<_, Failure>(rows.iter().map(change_from_row).collect::<Result<_>>()?)
        })
    }

    /// `read_changes`, waiting up to `timeout` for an entry after `after` if there is none yet:
    /// woken by the `NOTIFY` of the client that wrote it, or finding it by looking again every
    /// second. Empty if none came in time.
    pub async fn wait_for_changes(
        &self,
        after: u64,
        limit: u32,
        timeout: Duration,
    ) -> Result<Vec<Change>> {
        self.observe(Operation::WaitForChanges, async {
            let deadline = tokio::time::Instant::now() + timeout;
            let waker = self.inner.client.listener().waker(self.inner.table_pk);
            let mut recheck = FIRST_RECHECK;
            let mut woken = false;
            loop {
                // Enabled before the read, so that a wake-up during the read is not missed.
                let notified = waker.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let changes = self.changes_after(after, limit, Some(FOLLOWING)).await?;
                let now = tokio::time::Instant::now();
                if !changes.is_empty() || now >= deadline {
                    return Ok(changes);
                }
                let wait = if woken {
                    let wait = recheck;
                    recheck = (recheck * 2).min(POLL);
                    wait
                } else {
                    POLL
                };
                let wait = wait.min(deadline - now);
                woken |= tokio::time::timeout(wait, notified).await.is_ok();
            }
        })
        .await
    }

    /// Deletes the entries of the table's feed numbered up to `sequence`, which must have been
    /// given (an entry after it may not be numbered yet); returns how many it deleted.
    pub async fn delete_changes_through(&self, sequence: u64) -> Result<u64> {
        self.observe(Operation::DeleteChangesThrough, async {
            let through = i64::try_from(sequence)
                .map_err(|_| Error::invalid(format!("No change feed reaches {sequence}")))?;
            let sql = self.sql(
                "WITH t AS ( \
                     SELECT COALESCE(f.last_seq, 0) AS last_seq FROM {s}.sleeper_tables t \
                     LEFT JOIN {s}.change_feeds f ON f.table_pk = t.table_pk WHERE t.table_pk = $1 \
                 ), d AS ( \
                     DELETE FROM {s}.changes c WHERE c.table_pk = $1 AND c.seq <= $2 \
                         AND $2 <= (SELECT last_seq FROM t) \
                     RETURNING 1 \
                 ) SELECT t.last_seq, (SELECT count(*) FROM d) FROM t",
            );
            let client = &self.inner.client;
            let (last, deleted): (i64, i64) = retrying!(client, async {
                let mut session = Session::open(client).await?;
                let row = self
                    .query(&sql)
                    .bind(self.inner.table_pk)
                    .bind(through)
                    .fetch_optional(session.connection())
                    .await?;
                session
                    .finish_write(client)
                    .await
                    .map_err(Failure::Uncertain)?;
                let row = row.ok_or_else(|| self.table_not_found())?;
                Ok::<_, Failure>((row.try_get(0)?, row.try_get(1)?))
            })?;
            if through > last {
                return Err(Error::invalid(format!(
                    "Cannot delete the change feed's entries through {sequence} of table {}: it is \
                     numbered through {last}, and later entries may still be given lower numbers",
                    self.table_id()
                )));
            }
            Ok(deleted.unsigned_abs())
        })
        .await
    }
}

fn change_from_row(row: &PgRow) -> Result<Change> {
    let kind: &str = row.try_get(2)?;
    let summary: serde_json::Value = row.try_get(4)?;
    let unreadable = |what: &str| Error::connection(format!("A change feed entry has {what}"));
    Ok(Change {
        sequence: row.try_get::<i64, _>(0)?.unsigned_abs(),
        recorded_at: row.try_get(1)?,
        transaction_type: kind
            .parse::<TransactionType>()
            .map_err(|_| unreadable("an unknown type"))?,
        transaction_json: row.try_get(3)?,
        summary: serde_json::from_value::<ChangeSummary>(summary)
            .map_err(|_| unreadable("an unreadable summary"))?,
    })
}
