//! A consistent snapshot of every table of the store's schema, read straight from its PostgreSQL tables
//! in one REPEATABLE READ transaction, and the invariants that must hold in any state the store can
//! reach, whatever runs concurrently. It knows the schema (`migrations/`) but shares no code with the
//! store.

use std::collections::{BTreeMap, BTreeSet};

use sleeper_pg::{AllReferencesToAFile, FileReference, Timestamp};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, Executor, PgConnection, Row};

#[derive(Debug, Clone)]
pub struct FileRow {
    pub created_at: Timestamp,
    pub created_seq: i64,
}

#[derive(Debug, Clone)]
pub struct ReferenceRow {
    pub filename: String,
    pub partition_id: String,
    pub number_of_rows: i64,
    pub job_id: Option<String>,
    pub count_approximate: bool,
    pub only_this_partition: bool,
    pub removed: bool,
    pub updated_at: Timestamp,
    pub update_seq: i64,
}

#[derive(Debug, Clone)]
pub struct PartitionRow {
    pub id: String,
    pub is_leaf: bool,
    pub parent_id: Option<String>,
    pub child_ids: Vec<String>,
    pub dimension: i32,
}

#[derive(Debug, Clone, Default)]
pub struct TableState {
    pub table_id: String,
    pub files: BTreeMap<String, FileRow>,
    /// Every reference row, removed ones (tombstones) included, by (filename, partition id).
    pub references: BTreeMap<(String, String), ReferenceRow>,
    pub partitions: BTreeMap<String, PartitionRow>,
}

/// The whole schema at one instant, by table id.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub tables: BTreeMap<String, TableState>,
}

pub async fn connect(url: &str) -> PgConnection {
    let options: PgConnectOptions = url.parse().expect("a database URL");
    PgConnection::connect_with(&options)
        .await
        .expect("connect the checker")
}

impl Snapshot {
    /// Reads the schema `schema` in one REPEATABLE READ, READ ONLY transaction.
    pub async fn take(
        connection: &mut PgConnection,
        schema: &str,
    ) -> Result<Snapshot, sqlx::Error> {
        connection
            .execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let result = Self::read(connection, schema).await;
        connection.execute("ROLLBACK").await?;
        result
    }

    async fn read(connection: &mut PgConnection, schema: &str) -> Result<Snapshot, sqlx::Error> {
        let s = format!("\"{}\"", schema.replace('"', "\"\""));
        let mut snapshot = Snapshot::default();
        let mut ids: BTreeMap<i64, String> = BTreeMap::new();
        for row in sqlx::query(&format!(
            "SELECT table_pk, table_id FROM {s}.sleeper_tables"
        ))
        .fetch_all(&mut *connection)
        .await?
        {
            let (pk, id): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
            snapshot.tables.insert(
                id.clone(),
                TableState {
                    table_id: id.clone(),
                    ..TableState::default()
                },
            );
            ids.insert(pk, id);
        }
        // Rows of a table that no longer exists are kept under a made-up id, to be reported.
        let table = |pk: i64| -> String {
            ids.get(&pk)
                .cloned()
                .unwrap_or_else(|| format!("<missing table {pk}>"))
        };
        for row in sqlx::query(&format!(
            "SELECT table_pk, filename, created_at, created_seq FROM {s}.files"
        ))
        .fetch_all(&mut *connection)
        .await?
        {
            let id = table(row.try_get(0)?);
            snapshot.tables.entry(id).or_default().files.insert(
                row.try_get(1)?,
                FileRow {
                    created_at: row.try_get(2)?,
                    created_seq: row.try_get(3)?,
                },
            );
        }
        for row in sqlx::query(&format!(
            "SELECT table_pk, filename, partition_id, number_of_rows, job_id, count_approximate, \
                    only_this_partition, removed, updated_at, update_seq FROM {s}.file_references"
        ))
        .fetch_all(&mut *connection)
        .await?
        {
            let id = table(row.try_get(0)?);
            let reference = ReferenceRow {
                filename: row.try_get(1)?,
                partition_id: row.try_get(2)?,
                number_of_rows: row.try_get(3)?,
                job_id: row.try_get(4)?,
                count_approximate: row.try_get(5)?,
                only_this_partition: row.try_get(6)?,
                removed: row.try_get(7)?,
                updated_at: row.try_get(8)?,
                update_seq: row.try_get(9)?,
            };
            let key = (reference.filename.clone(), reference.partition_id.clone());
            snapshot
                .tables
                .entry(id)
                .or_default()
                .references
                .insert(key, reference);
        }
        for row in sqlx::query(&format!(
            "SELECT table_pk, partition_id, is_leaf, parent_id, child_ids, dimension FROM {s}.partitions"
        ))
        .fetch_all(&mut *connection)
        .await?
        {
            let id = table(row.try_get(0)?);
            let partition = PartitionRow {
                id: row.try_get(1)?,
                is_leaf: row.try_get(2)?,
                parent_id: row.try_get(3)?,
                child_ids: row.try_get(4)?,
                dimension: row.try_get(5)?,
            };
            snapshot
                .tables
                .entry(id)
                .or_default()
                .partitions
                .insert(partition.id.clone(), partition);
        }
        Ok(snapshot)
    }

    /// Every broken invariant, described; empty when all hold.
    pub fn violations(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (table_id, table) in &self.tables {
            if table_id.starts_with("<missing table") {
                found.push(format!("rows of a deleted table remain: {table_id}"));
            }
            table.check(&mut found);
        }
        found
    }
}

impl TableState {
    pub fn live(&self) -> impl Iterator<Item = &ReferenceRow> {
        self.references.values().filter(|r| !r.removed)
    }

    pub fn is_referenced(&self, filename: &str, partition_id: &str) -> bool {
        self.references
            .get(&(filename.to_owned(), partition_id.to_owned()))
            .is_some_and(|r| !r.removed)
    }

    pub fn reference(&self, filename: &str, partition_id: &str) -> Option<&ReferenceRow> {
        self.references
            .get(&(filename.to_owned(), partition_id.to_owned()))
            .filter(|r| !r.removed)
    }

    /// The reference rows of one file, removed ones included, by partition id.
    pub fn rows_of<'a>(&'a self, filename: &'a str) -> impl Iterator<Item = &'a ReferenceRow> + 'a {
        self.references
            .range((filename.to_owned(), String::new())..)
            .take_while(move |((f, _), _)| f == filename)
            .map(|(_, row)| row)
    }

    /// The file records as the store must report them: references from the live rows, count their
    /// number, time that of the newest row of the file (by the writing transaction's id).
    pub fn files_report(&self) -> Vec<AllReferencesToAFile> {
        self.files
            .iter()
            .map(|(filename, file)| {
                let rows: Vec<&ReferenceRow> = self.rows_of(filename).collect();
                let mut time = (file.created_seq, file.created_at);
                for row in &rows {
                    if row.update_seq > time.0 {
                        time = (row.update_seq, row.updated_at);
                    }
                }
                AllReferencesToAFile {
                    filename: filename.clone(),
                    references: rows
                        .iter()
                        .filter(|r| !r.removed)
                        .map(|r| FileReference {
                            filename: r.filename.clone(),
                            partition_id: r.partition_id.clone(),
                            number_of_rows: r.number_of_rows as u64,
                            job_id: r.job_id.clone(),
                            last_update_time: Some(r.updated_at),
                            count_approximate: r.count_approximate,
                            only_contains_data_for_this_partition: r.only_this_partition,
                        })
                        .collect(),
                    last_update_time: Some(time.1),
                }
            })
            .collect()
    }

    fn check(&self, found: &mut Vec<String>) {
        let t = &self.table_id;
        // Every reference row belongs to an existing file record.
        for reference in self.references.values() {
            if !self.files.contains_key(&reference.filename) {
                found.push(format!(
                    "{t}: reference of {} on {} has no file record",
                    reference.filename, reference.partition_id
                ));
            }
            if reference.number_of_rows < 0 {
                found.push(format!("{t}: negative rows on {reference:?}"));
            }
            if reference.job_id.as_deref() == Some("") {
                found.push(format!("{t}: empty job id on {reference:?}"));
            }
        }
        // At most one reference per (file, partition): the keys are unique by construction of the
        // map, so count the live rows per key from the rows themselves.
        let mut seen = BTreeSet::new();
        for reference in self.live() {
            if !seen.insert((&reference.filename, &reference.partition_id)) {
                found.push(format!(
                    "{t}: two references of {} on {}",
                    reference.filename, reference.partition_id
                ));
            }
        }
        // The reported time of each file is one of its own rows' times, and never from a row of
        // another file: derived from the rows, so check that each file has a row to derive it from.
        for (filename, file) in &self.files {
            let newest_row = self.rows_of(filename).map(|r| r.update_seq).max();
            if newest_row.is_some_and(|seq| seq < file.created_seq) {
                found.push(format!(
                    "{t}: file {filename} has a reference row older than its record"
                ));
            }
        }
        self.check_tree(found);
    }

    fn check_tree(&self, found: &mut Vec<String>) {
        let t = &self.table_id;
        if self.partitions.is_empty() {
            return;
        }
        let roots: Vec<&PartitionRow> = self
            .partitions
            .values()
            .filter(|p| p.parent_id.is_none())
            .collect();
        if roots.len() != 1 {
            found.push(format!("{t}: {} root partitions", roots.len()));
            return;
        }
        let mut reached = BTreeSet::new();
        let mut frontier = vec![roots[0]];
        while let Some(node) = frontier.pop() {
            if !reached.insert(node.id.clone()) {
                found.push(format!("{t}: partition {} reached twice", node.id));
                continue;
            }
            if node.is_leaf != node.child_ids.is_empty() {
                found.push(format!(
                    "{t}: partition {} is_leaf {} with children {:?}",
                    node.id, node.is_leaf, node.child_ids
                ));
            }
            if node.is_leaf && node.dimension != -1 {
                found.push(format!(
                    "{t}: leaf {} has dimension {}",
                    node.id, node.dimension
                ));
            }
            if !node.is_leaf && node.child_ids.len() != 2 {
                found.push(format!(
                    "{t}: partition {} has {} children",
                    node.id,
                    node.child_ids.len()
                ));
            }
            for child_id in &node.child_ids {
                match self.partitions.get(child_id) {
                    None => found.push(format!("{t}: child {child_id} of {} missing", node.id)),
                    Some(child) if child.parent_id.as_deref() != Some(node.id.as_str()) => found
                        .push(format!(
                            "{t}: child {child_id} of {} has parent {:?}",
                            node.id, child.parent_id
                        )),
                    Some(child) => frontier.push(child),
                }
            }
        }
        for id in self.partitions.keys() {
            if !reached.contains(id) {
                found.push(format!("{t}: partition {id} is not linked to the root"));
            }
        }
    }
}

/// Checks the regions of a table's partition tree (one `long` key): each split partition's two
/// children cover exactly its range, meeting at one split point. `partitions` come from one query.
pub fn region_violations(table_id: &str, partitions: &[sleeper_pg::Partition]) -> Vec<String> {
    use sleeper_pg::KeyValue;
    let by_id: BTreeMap<&str, &sleeper_pg::Partition> =
        partitions.iter().map(|p| (p.id.as_str(), p)).collect();
    let bounds = |p: &sleeper_pg::Partition| -> Option<(i64, Option<i64>)> {
        let range = p.region.ranges.first()?;
        let min = match range.min {
            KeyValue::Long(v) => v,
            _ => return None,
        };
        let max = match &range.max {
            None => None,
            Some(KeyValue::Long(v)) => Some(*v),
            Some(_) => return None,
        };
        Some((min, max))
    };
    let mut found = Vec::new();
    for p in partitions {
        let Some((min, max)) = bounds(p) else {
            found.push(format!("{table_id}: partition {} has no long range", p.id));
            continue;
        };
        if max.is_some_and(|max| min >= max) {
            found.push(format!("{table_id}: partition {} is empty", p.id));
        }
        if p.is_leaf_partition {
            continue;
        }
        let children: Vec<Option<(i64, Option<i64>)>> = p
            .child_partition_ids
            .iter()
            .map(|id| by_id.get(id.as_str()).and_then(|c| bounds(c)))
            .collect();
        match children.as_slice() {
            [Some((left_min, Some(left_max))), Some((right_min, right_max))]
                if *left_min == min && left_max == right_min && *right_max == max => {}
            other => found.push(format!(
                "{table_id}: children of {} ({min}, {max:?}) do not split it: {other:?}",
                p.id
            )),
        }
    }
    found
}
