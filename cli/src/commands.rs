//! What each command reads from the store, as a report that `output` shows as text or JSON.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use serde::Serialize;
use sleeper_pg::{
    block_on, Client, ClientOptions, ExportCounts, Partition, Result, RowKeyField, TableExport,
    Timestamp,
};

use crate::output::{Key, Time};
use crate::progress::Progress;
use crate::schema::{self, State};

/// The most unreferenced files the store reports in one read: here, all of them.
const ALL_UNREFERENCED: u64 = i32::MAX as u64;

#[derive(Serialize)]
pub struct Migration {
    pub schema: String,
    /// The newest migration applied, 0 for none.
    pub version: i64,
    /// The newest migration this sleeper-pg bundles.
    pub bundled_version: i64,
    pub state: State,
    /// What this run applied: nothing for `--check`.
    pub newly_applied: Vec<i64>,
}

/// Applies the bundled migrations through the core (`options.migrate`), unless `check`; the versions
/// are read before and after.
pub fn migrate(options: &ClientOptions, check: bool) -> Result<Migration> {
    // With `migrate` off connecting opens nothing yet: it checks the URL and the schema name.
    let client = block_on(Client::connect_with(options.clone()))?;
    let before = block_on(client.applied_migrations())?;
    let after = if check {
        before.clone()
    } else {
        let migrated = block_on(Client::connect_with(
            options.clone().with(|o| o.migrate = true),
        ))?;
        block_on(migrated.applied_migrations())?
    };
    Ok(Migration {
        schema: options.schema.clone(),
        version: after.last().copied().unwrap_or(0),
        bundled_version: schema::bundled().last().copied().unwrap_or(0),
        state: schema::state(&after),
        newly_applied: after
            .iter()
            .filter(|version| !before.contains(version))
            .copied()
            .collect(),
    })
}

pub fn tables(client: &Client) -> Result<Vec<String>> {
    block_on(client.list_tables())
}

/// The core's `TableStatus` as the command shows it, with the table's id.
#[derive(Serialize)]
pub struct Status {
    pub table: String,
    pub partitions: u64,
    pub leaf_partitions: u64,
    /// Files with or without references.
    pub files: u64,
    pub references: u64,
    pub references_with_no_job: u64,
    /// Distinct jobs that references are assigned to.
    pub jobs_in_flight: u64,
    /// Files with no references: ready for garbage collection.
    pub unreferenced_files: u64,
    pub oldest_reference_with_no_job: Option<Time>,
    pub oldest_unreferenced_file: Option<Time>,
}

pub fn status(client: &Client, table: &str) -> Result<Status> {
    let status = block_on(async { client.table(table).await?.status().await })?;
    Ok(Status {
        table: table.to_owned(),
        partitions: status.partitions,
        leaf_partitions: status.leaf_partitions,
        files: status.files,
        references: status.references,
        references_with_no_job: status.references_with_no_job,
        jobs_in_flight: status.jobs_in_flight,
        unreferenced_files: status.unreferenced_files,
        oldest_reference_with_no_job: status.oldest_reference_with_no_job.map(Time),
        oldest_unreferenced_file: status.oldest_unreferenced_file.map(Time),
    })
}

#[derive(Serialize)]
pub struct PartitionTree {
    pub table: String,
    pub row_keys: Vec<RowKeyField>,
    /// Depth first from the root, children in order.
    pub partitions: Vec<PartitionNode>,
}

#[derive(Serialize)]
pub struct PartitionNode {
    pub id: String,
    /// 0 for the root.
    pub depth: usize,
    pub leaf: bool,
    pub parent: Option<String>,
    pub children: Vec<String>,
    pub ranges: Vec<KeyRange>,
}

/// The keys of one row key field in a partition: `min` inclusive, `max` exclusive or unbounded.
#[derive(Serialize)]
pub struct KeyRange {
    pub field: String,
    pub min: Key,
    pub max: Option<Key>,
}

pub fn partitions(client: &Client, table: &str) -> Result<PartitionTree> {
    let (row_keys, partitions) = block_on(async {
        let store = client.table(table).await?;
        Ok((store.row_keys().to_vec(), store.get_all_partitions().await?))
    })?;
    let mut by_id: HashMap<String, Partition> =
        partitions.into_iter().map(|p| (p.id.clone(), p)).collect();
    let mut roots: Vec<String> = by_id
        .values()
        .filter(|p| p.parent_partition_id.is_none())
        .map(|p| p.id.clone())
        .collect();
    roots.sort();
    // Depth first: a stack of (id, depth), children pushed last first so that the first comes out next.
    let mut stack: Vec<(String, usize)> = roots.into_iter().rev().map(|id| (id, 0)).collect();
    let mut nodes = Vec::with_capacity(by_id.len());
    while let Some((id, depth)) = stack.pop() {
        // Each partition is taken once, so even a tree stored with a cycle would end.
        let Some(partition) = by_id.remove(&id) else {
            continue;
        };
        stack.extend(
            partition
                .child_partition_ids
                .iter()
                .rev()
                .map(|child| (child.clone(), depth + 1)),
        );
        nodes.push(PartitionNode {
            id: partition.id,
            depth,
            leaf: partition.is_leaf_partition,
            parent: partition.parent_partition_id,
            children: partition.child_partition_ids,
            ranges: partition
                .region
                .ranges
                .into_iter()
                .map(|range| KeyRange {
                    field: range.field_name,
                    min: Key(range.min),
                    max: range.max.map(Key),
                })
                .collect(),
        });
    }
    Ok(PartitionTree {
        table: table.to_owned(),
        row_keys,
        partitions: nodes,
    })
}

#[derive(Serialize)]
pub struct FileReferenceRow {
    pub filename: String,
    pub partition: String,
    pub rows: u64,
    /// True when `rows` is an estimate.
    pub rows_approximate: bool,
    pub job: Option<String>,
    pub last_update: Option<Time>,
}

/// The table's references, or those on one partition, optionally only those of one job.
pub fn files(
    client: &Client,
    table: &str,
    partition: Option<&str>,
    job: Option<&str>,
) -> Result<Vec<FileReferenceRow>> {
    let references = block_on(async {
        let store = client.table(table).await?;
        match partition {
            Some(id) => {
                store
                    .get_file_references_on_partitions(&[id.to_owned()])
                    .await
            }
            None => store.get_file_references().await,
        }
    })?;
    Ok(references
        .into_iter()
        .filter(|r| job.is_none() || r.job_id.as_deref() == job)
        .map(|r| FileReferenceRow {
            filename: r.filename,
            partition: r.partition_id,
            rows: r.number_of_rows,
            rows_approximate: r.count_approximate,
            job: r.job_id,
            last_update: r.last_update_time.map(Time),
        })
        .collect())
}

#[derive(Serialize)]
pub struct UnreferencedFile {
    pub filename: String,
    pub last_update: Option<Time>,
}

pub fn unreferenced_files(client: &Client, table: &str) -> Result<Vec<UnreferencedFile>> {
    let files = block_on(async {
        let store = client.table(table).await?;
        store
            .get_all_files_with_max_unreferenced(ALL_UNREFERENCED)
            .await
    })?;
    Ok(files
        .files
        .into_iter()
        .filter(|file| file.references.is_empty())
        .map(|file| UnreferencedFile {
            filename: file.filename,
            last_update: file.last_update_time.map(Time),
        })
        .collect())
}

pub fn gc_candidates(client: &Client, table: &str, before: Timestamp) -> Result<Vec<String>> {
    block_on(async {
        let store = client.table(table).await?;
        store.get_ready_for_gc_filenames_before(before).await
    })
}

/// A file to read, with its size in bytes for the progress bar.
pub struct Input {
    pub reader: BufReader<File>,
    pub size: u64,
}

#[derive(Serialize)]
pub struct ExportReport {
    pub table: String,
    /// The file written; none for standard output.
    pub output: Option<String>,
    #[serde(flatten)]
    pub counts: Counts,
}

/// What an export holds, or an import loaded.
#[derive(Serialize)]
pub struct Counts {
    pub partitions: u64,
    pub files: u64,
    pub references: u64,
}

impl From<ExportCounts> for Counts {
    fn from(counts: ExportCounts) -> Self {
        Counts {
            partitions: counts.partitions,
            files: counts.files,
            references: counts.references,
        }
    }
}

/// Writes the table's export to `out`, counting lines on a progress bar.
pub fn export(
    client: &Client,
    table: &str,
    out: impl Write + Send,
    path: Option<&Path>,
) -> Result<ExportReport> {
    let progress = Progress::counting("exporting");
    let counts = block_on(async {
        let store = client.table(table).await?;
        store
            .export_table(BufWriter::new(out), |counts| {
                progress.set_message(format!(
                    "{} partitions, {} files, {} references",
                    counts.partitions, counts.files, counts.references
                ));
            })
            .await
    })?;
    Ok(ExportReport {
        table: table.to_owned(),
        output: path.map(|path| path.display().to_string()),
        counts: counts.into(),
    })
}

#[derive(Serialize)]
pub struct ImportReport {
    pub table: String,
    pub file: String,
    /// The table the export was taken from.
    pub exported_from: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// Reads and checks the export at `path`, then loads it into `table` (the export's own by default).
pub fn import(
    client: &Client,
    input: Input,
    path: &Path,
    table: Option<&str>,
) -> Result<ImportReport> {
    let export = {
        let progress = Progress::bytes("reading", input.size);
        TableExport::read(input.reader, |bytes| progress.set_position(bytes))?
    };
    let store = {
        let _progress = Progress::counting("importing");
        block_on(client.import_table(&export, table))?
    };
    Ok(ImportReport {
        table: store.table_id().to_owned(),
        file: path.display().to_string(),
        exported_from: export.table_id.clone(),
        counts: export.counts().into(),
    })
}

#[derive(Serialize)]
pub struct ApplyReport {
    pub table: String,
    pub entries: u64,
    /// The parts of entries that Sleeper's apply skips too.
    pub skipped: Vec<SkippedPart>,
}

/// One request of a transaction that was not applied, as Sleeper's log replay skips it.
#[derive(Serialize)]
pub struct SkippedPart {
    /// The entry, from 1.
    pub entry: u64,
    /// The request within the entry's transaction, from 0.
    pub request: usize,
    pub error: String,
}

/// Replays the log in `input` on `table`, with the bytes read on a progress bar.
pub fn apply(client: &Client, table: &str, input: Input) -> Result<ApplyReport> {
    let progress = Progress::bytes("applying", input.size);
    let replay = block_on(async {
        let store = client.table(table).await?;
        store
            .apply_transaction_log(input.reader, |at| progress.set_position(at.bytes))
            .await
    })?;
    Ok(ApplyReport {
        table: table.to_owned(),
        entries: replay.entries,
        skipped: replay
            .failures
            .into_iter()
            .map(|(entry, failure)| SkippedPart {
                entry,
                request: failure.index,
                error: failure.error.to_string(),
            })
            .collect(),
    })
}
