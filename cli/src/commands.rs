//! What each command reads from the store, as a report that `output` shows as text or JSON.

use std::collections::HashMap;

use serde::Serialize;
use sleeper_pg::{block_on, Client, ClientOptions, Partition, Result, RowKeyField, Timestamp};

use crate::output::{Key, Time};
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
