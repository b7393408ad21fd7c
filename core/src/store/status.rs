//! `status`: counts of a table's partitions, files, references and jobs, read in one statement.

use sqlx::Row;

use super::StateStore;
use crate::client::{retrying, Failure};
use crate::connection::Session;
use crate::error::Result;
use crate::model::Timestamp;
use crate::stats::Operation;

/// What a table holds, counted in one snapshot ([`StateStore::status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableStatus {
    /// Partitions of the tree, leaves included.
    pub partitions: u64,
    /// Leaf partitions.
    pub leaf_partitions: u64,
    /// File records, referenced or not.
    pub files: u64,
    /// References (not removed ones).
    pub references: u64,
    /// References with no job: waiting for compaction.
    pub references_with_no_job: u64,
    /// Distinct jobs that references are assigned to.
    pub jobs_in_flight: u64,
    /// Files with no reference: ready for garbage collection once old enough.
    pub unreferenced_files: u64,
    /// The earliest last update of a reference with no job.
    pub oldest_reference_with_no_job: Option<Timestamp>,
    /// The earliest last update of a file with no reference.
    pub oldest_unreferenced_file: Option<Timestamp>,
}

impl StateStore {
    /// The table's counts in one snapshot. Also sets the gauges `sleeper_pg_references_without_job`
    /// and `sleeper_pg_unreferenced_files` of the `metrics` facade, labelled with the table.
    pub async fn status(&self) -> Result<TableStatus> {
        self.observe(Operation::Status, async {
            // Each count follows the table's key prefix of a primary key. A file's last update is
            // its row (file or reference) with the highest update sequence, as in
            // get_ready_for_gc_filenames_before.
            let sql = self.sql(
                "SELECT \
                     (SELECT count(*) FROM {s}.partitions p WHERE p.table_pk = t.table_pk), \
                     (SELECT count(*) FROM {s}.partitions p WHERE p.table_pk = t.table_pk AND p.is_leaf), \
                     (SELECT count(*) FROM {s}.files f WHERE f.table_pk = t.table_pk), \
                     r.total, r.with_no_job, r.jobs, r.oldest_with_no_job, u.total, u.oldest \
                 FROM {s}.sleeper_tables t \
                 CROSS JOIN LATERAL ( \
                     SELECT count(*) AS total, count(*) FILTER (WHERE r.job_id IS NULL) AS with_no_job, \
                            count(DISTINCT r.job_id) AS jobs, \
                            min(r.updated_at) FILTER (WHERE r.job_id IS NULL) AS oldest_with_no_job \
                     FROM {s}.file_references r WHERE r.table_pk = t.table_pk AND NOT r.removed \
                 ) r \
                 CROSS JOIN LATERAL ( \
                     SELECT count(*) AS total, min(( \
                         SELECT w.at FROM ( \
                             SELECT f.created_at AS at, f.created_seq AS seq \
                             UNION ALL SELECT r.updated_at, r.update_seq FROM {s}.file_references r \
                                 WHERE r.table_pk = f.table_pk AND r.filename = f.filename \
                         ) w ORDER BY w.seq DESC LIMIT 1)) AS oldest \
                     FROM {s}.files f \
                     WHERE f.table_pk = t.table_pk \
                       AND NOT EXISTS (SELECT 1 FROM {s}.file_references r \
                           WHERE r.table_pk = f.table_pk AND r.filename = f.filename AND NOT r.removed) \
                 ) u \
                 WHERE t.table_pk = $1",
            );
            let client = &self.inner.client;
            let row = retrying!(client, async {
                let mut session = Session::open_read(client).await?;
                let row = self
                    .query(&sql)
                    .bind(self.inner.table_pk)
                    .fetch_optional(session.connection())
                    .await?;
                session.finish().await?;
                Ok::<_, Failure>(row)
            })?
            .ok_or_else(|| self.table_not_found())?;
            let count = |column: usize| -> Result<u64> {
                Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or_default())
            };
            let status = TableStatus {
                partitions: count(0)?,
                leaf_partitions: count(1)?,
                files: count(2)?,
                references: count(3)?,
                references_with_no_job: count(4)?,
                jobs_in_flight: count(5)?,
                oldest_reference_with_no_job: row.try_get(6)?,
                unreferenced_files: count(7)?,
                oldest_unreferenced_file: row.try_get(8)?,
            };
            let table = self.inner.table_id.clone();
            ::metrics::gauge!("sleeper_pg_references_without_job", "table" => table.clone())
                .set(status.references_with_no_job as f64);
            ::metrics::gauge!("sleeper_pg_unreferenced_files", "table" => table)
                .set(status.unreferenced_files as f64);
            Ok(status)
        })
        .await
    }
}
