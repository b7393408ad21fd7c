//! A table's whole state to an export file and back (`crate::export`, `docs/export-format.md`). The
//! export is one `COPY` statement, so one snapshot, written out as it streams in; the import is one
//! transaction, whose rows go in by `COPY`.

use std::io::Write;

use sqlx::Row;

use super::bulk::{copy_in, CopyData, COPY_REFERENCES};
use super::codec::region_from_json;
use super::copy_out::CopyRow;
use super::files::{reference_from_copy, REFERENCE_COLUMNS};
use super::partitions::bind_partitions;
use super::StateStore;
use crate::client::{retrying, Failure};
use crate::connection::Session;
use crate::error::{Error, Result};
use crate::export::{ExportCounts, ExportWriter, TableExport};
use crate::feed::Recorded;
use crate::model::{AllReferencesToAFile, FileReference, Partition, Timestamp};
use crate::partitions::validate_tree;
use crate::stats::Operation;
use crate::transaction::Transaction;

/// The fields of a row of `export_sql`'s COPY.
const FIELDS: usize = 17;

/// What each row of `export_sql` is, in field 0.
const TABLE: i64 = 0;
const PARTITION: i64 = 1;
const FILE: i64 = 2;
const REFERENCE: i64 = 3;

/// Field 1 holds the partition id or the filename, fields 2 to 6 the rest of a partition. A file or
/// reference row has its time and version in fields 7 and 8, a reference row whether it is removed in
/// field 9 and the reference from field 10 on (`REFERENCE_COLUMNS`).
const TIME: usize = 7;
const VERSION: usize = 8;
const REMOVED: usize = 9;
const FIRST_REFERENCE_FIELD: usize = 10;

/// The table's row, its partitions by id, then each file followed by its reference rows (removed
/// ones too) by partition id, as one binary `COPY` (the table's key written in: `COPY` takes no
/// parameters). A file's last update time is the time of its newest row, found here as the rows
/// stream by rather than by the server for each file.
fn export_sql(table_pk: i64) -> String {
    let no_partition = "NULL::bool, NULL::text, NULL::text, NULL::bigint, NULL::text";
    let no_reference = "NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::timestamptz, \
                        NULL::bool, NULL::bool";
    format!(
        "COPY (SELECT * FROM ( \
             SELECT {TABLE}::bigint AS kind, NULL::text AS name, {no_partition}, \
                    NULL::timestamptz, NULL::bigint, NULL::bool, \
                    NULL::text, NULL::text AS partition_id, NULL::bigint, NULL::text, \
                    NULL::timestamptz, NULL::bool, NULL::bool \
             FROM {{s}}.sleeper_tables t WHERE t.table_pk = {table_pk} \
             UNION ALL SELECT {PARTITION}, p.partition_id, p.is_leaf, p.parent_id, \
                    array_to_json(p.child_ids)::text, p.dimension, p.region::text, NULL, NULL, NULL, \
                    {no_reference} \
             FROM {{s}}.partitions p WHERE p.table_pk = {table_pk} \
             UNION ALL SELECT {FILE}, f.filename, {no_partition}, f.created_at, f.created_seq, NULL, \
                    {no_reference} \
             FROM {{s}}.files f WHERE f.table_pk = {table_pk} \
             UNION ALL SELECT {REFERENCE}, r.filename, {no_partition}, r.updated_at, r.update_seq, \
                    r.removed, {REFERENCE_COLUMNS} \
             FROM {{s}}.file_references r WHERE r.table_pk = {table_pk} \
         ) x ORDER BY least(kind, {FILE}), name COLLATE \"C\", kind, partition_id COLLATE \"C\") \
         TO STDOUT (FORMAT binary)"
    )
}

/// A file as its rows stream in: the record so far, and the version of its newest row.
struct FileRows {
    file: AllReferencesToAFile,
    version: i64,
}

const COPY_FILES: &str =
    "COPY {s}.files (table_pk, filename, created_at, created_seq) FROM STDIN (FORMAT binary)";

impl StateStore {
    /// Writes the table to `out` as an export (`docs/export-format.md`): partitions, every file
    /// record with its last update time (those with no references too) and every reference, all as
    /// of one moment, read in one statement and written as it arrives, one file in memory at a time.
    /// `progress` is told the counts so far after each line. A failure once a line is written ends
    /// the call: another attempt would write those lines again. Writes synchronously: from async
    /// code, pass a writer that does not block.
    pub async fn export_table(
        &self,
        out: impl Write + Send,
        mut progress: impl FnMut(ExportCounts) + Send,
    ) -> Result<ExportCounts> {
        self.observe(Operation::ExportTable, async {
            let copy = self.sql(&export_sql(self.inner.table_pk));
            let mut writer = ExportWriter::new(out);
            let client = &self.inner.client;
            let found = retrying!(client, async {
                let mut file: Option<FileRows> = None;
                let read = self
                    .copy_rows(&copy, 0, |row: &CopyRow<'_, FIELDS>| {
                        match row.int8(0)? {
                            TABLE => writer.header(
                                self.table_id(),
                                self.row_keys(),
                                chrono::Utc::now(),
                            )?,
                            PARTITION => writer.partition(&self.partition_from_copy(row)?)?,
                            FILE => {
                                let next = FileRows {
                                    file: AllReferencesToAFile {
                                        filename: row.text(1)?.to_owned(),
                                        references: Vec::new(),
                                        last_update_time: Some(row.timestamp(TIME)?),
                                    },
                                    version: row.int8(VERSION)?,
                                };
                                match file.replace(next) {
                                    Some(done) => writer.file(&done.file)?,
                                    None => return Ok(()),
                                }
                            }
                            _ => {
                                // A reference row with no file record is part of no file, as in
                                // `get_all_files_with_max_unreferenced`.
                                let filename = row.text(1)?;
                                let Some(rows) =
                                    file.as_mut().filter(|f| f.file.filename == filename)
                                else {
                                    return Ok(());
                                };
                                let version = row.int8(VERSION)?;
                                if version > rows.version {
                                    rows.version = version;
                                    rows.file.last_update_time = Some(row.timestamp(TIME)?);
                                }
                                if !row.bool(REMOVED)? {
                                    rows.file
                                        .references
                                        .push(reference_from_copy(row, FIRST_REFERENCE_FIELD)?);
                                }
                                return Ok(());
                            }
                        }
                        progress(writer.counts());
                        Ok(())
                    })
                    .await;
                match read {
                    Ok(found) => {
                        if let Some(done) = file {
                            writer.file(&done.file)?;
                            progress(writer.counts());
                        }
                        Ok(found)
                    }
                    Err(Failure::Database(error) | Failure::Uncertain(error))
                        if writer.started() =>
                    {
                        Err(Failure::Rejected(error.into()))
                    }
                    Err(failure) => Err(failure),
                }
            })?;
            if !found {
                return Err(self.table_not_found());
            }
            writer.finish()
        })
        .await
    }

    /// The partition in a row of `export_sql`'s COPY.
    fn partition_from_copy(&self, row: &CopyRow<'_, FIELDS>) -> Result<Partition> {
        let json = |i: usize| -> Result<serde_json::Value> {
            serde_json::from_str(row.text(i)?)
                .map_err(|_| Error::connection("A stored partition is unreadable"))
        };
        Ok(Partition {
            id: row.text(1)?.to_owned(),
            is_leaf_partition: row.bool(2)?,
            parent_partition_id: row.optional_text(3)?.map(str::to_owned),
            child_partition_ids: serde_json::from_value(json(4)?)
                .map_err(|_| Error::connection("A stored partition's children are unreadable"))?,
            dimension: i32::try_from(row.int8(5)?)
                .map_err(|_| Error::connection("A stored partition's dimension is out of range"))?,
            region: region_from_json(&json(6)?, self.row_keys())?,
        })
    }

    /// Loads `export` into this table, which must have no files (its partitions are replaced), in
    /// one transaction: the partitions, and every file record and reference with its time and job
    /// as exported, so that every read of this table then answers as the exported table did. A
    /// reference with no time takes its file's, a file with none the export's. The export's row
    /// keys must be the table's, and its partitions a valid tree (or none).
    pub async fn import_table(&self, export: &TableExport) -> Result<()> {
        self.observe(Operation::ImportTable, async {
            if export.row_keys != self.row_keys() {
                return Err(Error::invalid(format!(
                    "The export's row keys {:?} are not table {}'s {:?}",
                    export.row_keys,
                    self.table_id(),
                    self.row_keys()
                )));
            }
            crate::validate::all(&export.files, AllReferencesToAFile::validate)?;
            let tree = match export.partitions.as_slice() {
                [] => Vec::new(),
                partitions => validate_tree(partitions, self.row_keys())?,
            };
            let replace = self.write_sql("{s}.replace_partitions($1, $2, $3, $4, $5, $6, $7, $8)", 8);
            // In the change feed: the partitions, then the files, as Sleeper would add them.
            let recorded = || {
                let references = export.files.iter().map(|f| f.references.len()).sum();
                Recorded::of(&Transaction::InitialisePartitions {
                    partitions: tree.clone(),
                })
                .and(Recorded::of_added_files(
                    export.files.len(),
                    references,
                    || export.files.clone(),
                ))
            };
            let copy_files = self.sql(COPY_FILES);
            let copy_references = self.sql(COPY_REFERENCES);
            let table_pk = self.inner.table_pk;
            let client = &self.inner.client;
            retrying!(client, async {
                let mut session = Session::begin(client).await?;
                // Takes the table lock exclusively (held to the commit) and refuses a table with files.
                let query = bind_partitions(
                    self.query(&replace)
                        .bind(client.schema.lock_space)
                        .bind(table_pk),
                    &tree,
                );
                let query = self.bind_recorded(query, recorded);
                if !self.run_write(&mut session, query).await? {
                    return session
                        .end_rejected(Error::state_store(format!(
                            "Cannot import into table {}: it has files; import into a new table or one \
                             with no files",
                            self.table_id()
                        )))
                        .await;
                }
                // Versions as every write gives them: this transaction's id. The reference rows get the
                // id before it (which no later write reuses), so that each file's newest row is its file
                // row, whose time is the file's last update time.
                let version: i64 = self
                    .query("SELECT pg_current_xact_id()::text::bigint")
                    .fetch_one(session.connection())
                    .await?
                    .try_get(0)?;
                let connection = session.connection();
                copy_in(connection, &copy_files, &export.files, |data, file| {
                    encode_file(data, table_pk, file, file_time(export, file), version);
                })
                .await?;
                copy_in(
                    connection,
                    &copy_references,
                    references_with_times(export),
                    |data, (r, time)| {
                        let at = r.last_update_time.unwrap_or(time);
                        data.reference(table_pk, &r.filename, r, at, version - 1);
                    },
                )
                .await?;
                session
                    .finish_write(client)
                    .await
                    .map_err(Failure::Uncertain)?;
                Ok::<_, Failure>(())
            })?;
            self.changed();
            tracing::info!(
                table_id = self.table_id(),
                files = export.files.len(),
                "imported table"
            );
            Ok(())
        })
        .await
    }
}

/// Every reference of the export with its file's time. (A function rather than a closure, so that
/// its lifetimes are general enough for the call's future to be `Send`.)
fn references_with_times(
    export: &TableExport,
) -> impl Iterator<Item = (&FileReference, Timestamp)> + Send + '_ {
    export.files.iter().flat_map(move |file| {
        let time = file_time(export, file);
        file.references.iter().map(move |r| (r, time))
    })
}

fn file_time(export: &TableExport, file: &AllReferencesToAFile) -> Timestamp {
    file.last_update_time.unwrap_or(export.exported_at)
}

/// One row of `{s}.files`, in the column order of `COPY_FILES`.
fn encode_file(
    data: &mut CopyData,
    table_pk: i64,
    file: &AllReferencesToAFile,
    at: Timestamp,
    version: i64,
) {
    data.row(4);
    data.bigint(table_pk);
    data.text(&file.filename);
    data.timestamp(at);
    data.bigint(version);
}

impl crate::client::Client {
    /// Imports `export` into the table `table_id` (the export's own when `None`), as
    /// [`StateStore::import_table`] does: into that table if it exists, or else into a new table
    /// with the export's row keys, which is deleted again if the import fails.
    pub async fn import_table(
        &self,
        export: &TableExport,
        table_id: Option<&str>,
    ) -> Result<StateStore> {
        let table_id = table_id.unwrap_or(&export.table_id);
        let store = match self.table(table_id).await {
            Ok(store) => return store.import_table(export).await.map(|()| store),
            Err(Error::TableNotFound { .. }) => {
                self.create_table(table_id, &export.row_keys).await?
            }
            Err(error) => return Err(error),
        };
        if let Err(error) = store.import_table(export).await {
            // Best effort: the import's error is the one to report.
            let _ = self.delete_table(table_id).await;
            return Err(error);
        }
        Ok(store)
    }
}
