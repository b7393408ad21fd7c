//! Reads of part of a table (issue 13): the references on some partitions, and the partitions and
//! references of a key range, as a query planner or a compaction job needs them, without reading the
//! whole table.
//!
//! A region is resolved to partitions against the partition tree, which a handle keeps as it last read
//! it, with its version (`sleeper_tables.partitions_version`, moved on by every partition write). A
//! read sends the partition ids it resolved and gets back, in the same statement and so the same
//! snapshot, the tree's version: if the tree has moved on, the handle reads it again and the call runs
//! again. So each answer is the state at one moment, in one round trip while the tree stays as it is.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use sqlx::{PgConnection, Row};

use super::files::{reference_from_row, REFERENCE_COLUMNS};
use super::partitions::{partition_not_found, PARTITION_COLUMNS};
use super::StateStore;
use crate::client::{retrying, Failure};
use crate::connection::Session;
use crate::error::{Error, Result};
use crate::keys::{coerce_to_field, compare_keys};
use crate::model::{FileReference, KeyValue, Partition, Region, RowKeyField};
use crate::stats::Operation;

/// The partition tree at one version.
pub(super) struct Tree {
    version: i64,
    /// By id.
    partitions: Vec<Partition>,
    index: HashMap<String, usize>,
}

impl Tree {
    fn partition(&self, id: &str) -> Option<&Partition> {
        self.index.get(id).map(|&i| &self.partitions[i])
    }

    /// The partitions whose ranges overlap `query`, by id: the roots that do, then each overlapping
    /// partition's children that do, so only the overlapping part of the tree is visited.
    fn overlapping(&self, query: &[Option<Bounds>]) -> Vec<&Partition> {
        let mut found = Vec::new();
        let mut next: Vec<&Partition> = self
            .partitions
            .iter()
            .filter(|p| p.parent_partition_id.is_none())
            .collect();
        while let Some(partition) = next.pop() {
            if !overlaps(partition, query) {
                continue;
            }
            found.push(partition);
            next.extend(
                partition
                    .child_partition_ids
                    .iter()
                    .filter_map(|id| self.partition(id)),
            );
        }
        found.sort_by(|a, b| a.id.cmp(&b.id));
        found
    }
}

/// A query's range on one row key field, both ends included; no `max`, no upper bound.
struct Bounds {
    min: KeyValue,
    max: Option<KeyValue>,
}

/// The query's bounds in dimension order, `None` where the region has no range on the field (any
/// value), with each value of the field's type. A query's ranges include their max: a region from
/// `k` to `k` asks for the partition holding `k`.
fn query_bounds(region: &Region, row_keys: &[RowKeyField]) -> Result<Vec<Option<Bounds>>> {
    region.validate()?;
    if let Some(range) = region
        .ranges
        .iter()
        .find(|range| !row_keys.iter().any(|field| field.name == range.field_name))
    {
        return Err(Error::invalid(format!(
            "Invalid region: no row key field is named \"{}\"",
            range.field_name
        )));
    }
    row_keys
        .iter()
        .map(|field| {
            let Some(range) = region.range(&field.name) else {
                return Ok(None);
            };
            let typed = |value: &KeyValue, end: &str| {
                coerce_to_field(value, field.key_type).map_err(|why| {
                    Error::invalid(format!(
                        "Invalid region: {end} of field \"{}\": {why}",
                        field.name
                    ))
                })
            };
            let min = typed(&range.min, "min")?;
            let max = range
                .max
                .as_ref()
                .map(|max| typed(max, "max"))
                .transpose()?;
            if max
                .as_ref()
                .is_some_and(|max| compare_keys(&min, max) == Some(Ordering::Greater))
            {
                return Err(Error::invalid(format!(
                    "Invalid region: min is greater than max on field \"{}\"",
                    field.name
                )));
            }
            Ok(Some(Bounds { min, max }))
        })
        .collect()
}

/// Whether the partition's range, `[min, max)` in each dimension, meets the query's closed bounds.
fn overlaps(partition: &Partition, query: &[Option<Bounds>]) -> bool {
    partition
        .region
        .ranges
        .iter()
        .zip(query)
        .all(|(range, bounds)| match bounds {
            None => true,
            Some(bounds) => {
                let starts_in_time = bounds
                    .max
                    .as_ref()
                    .is_none_or(|max| compare_keys(&range.min, max) != Some(Ordering::Greater));
                let ends_after = range
                    .max
                    .as_ref()
                    .is_none_or(|max| compare_keys(&bounds.min, max) == Some(Ordering::Less));
                starts_in_time && ends_after
            }
        })
}

/// The references on the partitions in `$2`, after a first row with the tree's version, in one
/// statement. Each partition's references are one index range scan.
fn references_on_sql() -> String {
    format!(
        "SELECT t.partitions_version, NULL::text AS filename, NULL::text AS partition_id, \
                NULL::bigint AS number_of_rows, NULL::text AS job_id, NULL::timestamptz AS updated_at, \
                NULL::bool AS count_approximate, NULL::bool AS only_this_partition \
         FROM {{s}}.sleeper_tables t WHERE t.table_pk = $1 \
         UNION ALL \
         SELECT NULL, r.* FROM unnest($2::text[]) AS w(partition_id) \
         CROSS JOIN LATERAL ( \
             SELECT {REFERENCE_COLUMNS} FROM {{s}}.file_references r \
             WHERE r.table_pk = $1 AND r.partition_id = w.partition_id AND NOT r.removed OFFSET 0 \
         ) r"
    )
}

impl StateStore {
    /// The live references on the partitions named, by partition id then filename. A partition that
    /// does not exist raises `PartitionNotFound`.
    pub async fn get_file_references_on_partitions(
        &self,
        partition_ids: &[String],
    ) -> Result<Vec<FileReference>> {
        self.observe(Operation::GetFileReferencesOnPartitions, async {
            for id in partition_ids {
                crate::validate::partition_id("partition id", id)?;
            }
            self.references_on(|tree| {
                partition_ids
                    .iter()
                    .map(|id| {
                        tree.partition(id)
                            .map(|p| p.id.clone())
                            .ok_or_else(|| partition_not_found(id))
                    })
                    .collect()
            })
            .await
        })
        .await
    }

    /// Each of the partitions named that has references, to the filenames referenced on it; keys and
    /// lists sorted. A partition that does not exist raises `PartitionNotFound`.
    pub async fn get_partition_to_referenced_files_map_on_partitions(
        &self,
        partition_ids: &[String],
    ) -> Result<BTreeMap<String, Vec<String>>> {
        self.observe(
            Operation::GetPartitionToReferencedFilesMapOnPartitions,
            async {
                Ok(to_map(
                    self.get_file_references_on_partitions(partition_ids)
                        .await?,
                ))
            },
        )
        .await
    }

    /// Every partition, leaf or not, whose range overlaps `region`, by id. The region's ranges are
    /// taken with both ends included; a field it has no range on matches any value.
    pub async fn get_partitions_in_region(&self, region: &Region) -> Result<Vec<Partition>> {
        self.observe(Operation::GetPartitionsInRegion, async {
            let bounds = query_bounds(region, self.row_keys())?;
            let tree = self.tree_now().await?;
            Ok(tree.overlapping(&bounds).into_iter().cloned().collect())
        })
        .await
    }

    /// The tree as it is now, in a call of its own.
    async fn tree_now(&self) -> Result<Arc<Tree>> {
        let client = &self.inner.client;
        retrying!(client, async {
            let mut session = Session::open_read(client).await?;
            let tree = self.current_tree(session.connection()).await?;
            session.finish().await?;
            Ok::<_, Failure>(tree)
        })
    }

    /// The live references on every partition whose range overlaps `region` (the leaves a query
    /// reads, and their ancestors, whose files hold data of those leaves), by partition id then
    /// filename. The region's ranges are taken with both ends included.
    pub async fn get_file_references_in_region(
        &self,
        region: &Region,
    ) -> Result<Vec<FileReference>> {
        self.observe(Operation::GetFileReferencesInRegion, async {
            let bounds = query_bounds(region, self.row_keys())?;
            self.references_on(|tree| {
                Ok(tree
                    .overlapping(&bounds)
                    .into_iter()
                    .map(|p| p.id.clone())
                    .collect())
            })
            .await
        })
        .await
    }

    /// The same as a map from each partition with references to its filenames; keys and lists
    /// sorted.
    pub async fn get_partition_to_referenced_files_map_in_region(
        &self,
        region: &Region,
    ) -> Result<BTreeMap<String, Vec<String>>> {
        self.observe(Operation::GetPartitionToReferencedFilesMapInRegion, async {
            Ok(to_map(self.get_file_references_in_region(region).await?))
        })
        .await
    }

    /// The partitions with these ids, by id; `PartitionNotFound` for one that does not exist.
    pub(super) async fn get_partitions_named(
        &self,
        partition_ids: &[String],
    ) -> Result<Vec<Partition>> {
        for id in partition_ids {
            crate::validate::partition_id("partition id", id)?;
        }
        let tree = self.tree_now().await?;
        let mut partitions = partition_ids
            .iter()
            .map(|id| {
                tree.partition(id)
                    .cloned()
                    .ok_or_else(|| partition_not_found(id))
            })
            .collect::<Result<Vec<_>>>()?;
        partitions.sort_by(|a, b| a.id.cmp(&b.id));
        partitions.dedup_by(|a, b| a.id == b.id);
        Ok(partitions)
    }

    /// The references on the partitions `resolve` picks from the tree, checked in the same snapshot
    /// against the tree's version. A failure to resolve against a tree from the cache runs the call
    /// again on the tree as it is now.
    async fn references_on(
        &self,
        resolve: impl Fn(&Tree) -> Result<Vec<String>>,
    ) -> Result<Vec<FileReference>> {
        let sql = self.sql(&references_on_sql());
        let client = &self.inner.client;
        retrying!(client, async {
            let mut session = Session::open_read(client).await?;
            let (tree, cached) = match self.cached_tree() {
                Some(tree) => (tree, true),
                None => (self.read_tree(session.connection()).await?, false),
            };
            let ids = match resolve(&tree) {
                Ok(mut ids) => {
                    // A partition named twice is read once.
                    ids.sort_unstable();
                    ids.dedup();
                    ids
                }
                Err(_) if cached => {
                    self.forget_tree();
                    session.finish().await?;
                    return Err(Failure::Stale);
                }
                Err(error) => return session.end_rejected(error).await,
            };
            let rows = self
                .query(&sql)
                .bind(self.inner.table_pk)
                .bind(&ids)
                .fetch_all(session.connection())
                .await?;
            session.finish().await?;
            let Some((first, rows)) = rows.split_first() else {
                return Err(Failure::Rejected(self.table_not_found()));
            };
            if first.try_get::<i64, _>(0)? != tree.version {
                self.forget_tree();
                return Err(Failure::Stale);
            }
            let mut references = rows
                .iter()
                .map(|row| reference_from_row(row, 1))
                .collect::<Result<Vec<_>>>()?;
            references.sort_by(|a, b| {
                (&a.partition_id, &a.filename).cmp(&(&b.partition_id, &b.filename))
            });
            Ok::<_, Failure>(references)
        })
    }

    /// The tree as it is now: the cached one if its version is current, else read again.
    async fn current_tree(&self, connection: &mut PgConnection) -> Result<Arc<Tree>, Failure> {
        if let Some(tree) = self.cached_tree() {
            let sql =
                self.sql("SELECT partitions_version FROM {s}.sleeper_tables WHERE table_pk = $1");
            let row = self
                .query(&sql)
                .bind(self.inner.table_pk)
                .fetch_optional(&mut *connection)
                .await?;
            match row {
                None => return Err(Failure::Rejected(self.table_not_found())),
                Some(row) if row.try_get::<i64, _>(0)? == tree.version => return Ok(tree),
                Some(_) => {}
            }
        }
        self.read_tree(connection).await
    }

    /// Reads the whole tree with its version, in one statement, and keeps it.
    async fn read_tree(&self, connection: &mut PgConnection) -> Result<Arc<Tree>, Failure> {
        let sql = self.with_tree_version(&format!(
            "SELECT {PARTITION_COLUMNS} FROM {{s}}.partitions p WHERE p.table_pk = $1"
        ));
        let rows = self
            .query(&sql)
            .bind(self.inner.table_pk)
            .fetch_all(connection)
            .await?;
        let Some((first, rows)) = rows.split_first() else {
            return Err(Failure::Rejected(self.table_not_found()));
        };
        let mut partitions = rows
            .iter()
            .filter_map(|row| self.partition_from_row(row).transpose())
            .collect::<Result<Vec<_>>>()?;
        partitions.sort_by(|a, b| a.id.cmp(&b.id));
        let index = partitions
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        let tree = Arc::new(Tree {
            version: first.try_get(0)?,
            partitions,
            index,
        });
        self.keep_tree(tree.clone());
        Ok(tree)
    }
}

/// References sorted by partition then filename, as a map from partition to filenames.
fn to_map(references: Vec<FileReference>) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for reference in references {
        map.entry(reference.partition_id)
            .or_default()
            .push(reference.filename);
    }
    map
}

impl StateStore {
    fn cached_tree(&self) -> Option<Arc<Tree>> {
        lock_tree(&self.inner.tree).clone()
    }

    fn keep_tree(&self, tree: Arc<Tree>) {
        *lock_tree(&self.inner.tree) = Some(tree);
    }

    fn forget_tree(&self) {
        *lock_tree(&self.inner.tree) = None;
    }
}

fn lock_tree(tree: &Mutex<Option<Arc<Tree>>>) -> std::sync::MutexGuard<'_, Option<Arc<Tree>>> {
    tree.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
