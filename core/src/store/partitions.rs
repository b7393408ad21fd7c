//! The partition tree of a table (`CONTRACT.md` 3.3). The rules are in `crate::partitions`; this
//! reads and writes the rows.

use std::collections::HashMap;

use sqlx::postgres::PgRow;
use sqlx::Row;

use super::codec::{region_from_json, region_to_json};
use super::StateStore;
use crate::client::{retrying, Failure, PgQuery};
use crate::connection::Session;
use crate::error::{Error, Result};
use crate::feed::Recorded;
use crate::model::Partition;
use crate::partitions::{root_partition, validate_extension, validate_split, validate_tree};
use crate::stats::Operation;
use crate::transaction::Transaction;

pub(super) const PARTITION_COLUMNS: &str =
    "p.partition_id, p.is_leaf, p.parent_id, p.child_ids, p.dimension, p.region";

impl StateStore {
    /// Replaces the partitions with the single root partition covering every key.
    pub async fn initialise(&self) -> Result<()> {
        self.observe(Operation::Initialise, async {
            self.replace_partitions(vec![root_partition(self.row_keys())])
                .await
        })
        .await
    }

    /// Replaces the partitions with `partitions`, once they are checked to form a valid tree.
    pub async fn initialise_with_partitions(&self, partitions: &[Partition]) -> Result<()> {
        self.observe(Operation::InitialiseWithPartitions, async {
            crate::validate::all(partitions, Partition::validate)?;
            let tree = validate_tree(partitions, self.row_keys())?;
            self.replace_partitions(tree).await
        })
        .await
    }

    pub(super) async fn replace_partitions(&self, tree: Vec<Partition>) -> Result<()> {
        let sql = self.write_sql("{s}.replace_partitions($1, $2, $3, $4, $5, $6, $7, $8)", 8);
        let replaced = self
            .write_once(
                &sql,
                |query| bind_partitions(query, &tree),
                || {
                    Recorded::of(&Transaction::InitialisePartitions {
                        partitions: tree.clone(),
                    })
                },
            )
            .await?;
        if !replaced {
            return Err(Error::InitialiseWithFilesPresent);
        }
        tracing::info!(
            table_id = self.table_id(),
            partitions = tree.len(),
            "initialised partitions"
        );
        Ok(())
    }

    /// Splits a leaf: stores `split_partition` (the leaf, now with two children) and the two children,
    /// after the checks of `CONTRACT.md` 3.3, in that order.
    pub async fn atomically_update_partition_and_create_new_ones(
        &self,
        split_partition: &Partition,
        new_partition_1: &Partition,
        new_partition_2: &Partition,
    ) -> Result<()> {
        self.observe(
            Operation::AtomicallyUpdatePartitionAndCreateNewOnes,
            async {
                self.split_partition(
                    split_partition,
                    &[new_partition_1.clone(), new_partition_2.clone()],
                )
                .await
            },
        )
        .await
    }

    /// Sleeper's `SplitPartitionTransaction`: stores `parent` (a leaf, now split) and its new
    /// children, which must be two, after the checks of `CONTRACT.md` 3.3.
    pub async fn split_partition(
        &self,
        parent: &Partition,
        new_children: &[Partition],
    ) -> Result<()> {
        self.observe(Operation::SplitPartition, async {
            parent.validate()?;
            crate::validate::all(new_children, Partition::validate)?;
            let mut ids: Vec<&str> = std::iter::once(parent.id.as_str())
                .chain(new_children.iter().map(|p| p.id.as_str()))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let read = self.with_tree_version(&format!(
                "SELECT {PARTITION_COLUMNS} FROM unnest($2::text[]) AS n(id) \
                 CROSS JOIN LATERAL ( \
                     SELECT * FROM {{s}}.partitions p WHERE p.table_pk = $1 AND p.partition_id = n.id OFFSET 0 \
                 ) p"
            ));
            let recorded = || {
                Recorded::of(&Transaction::SplitPartition {
                    parent: parent.clone(),
                    new_children: new_children.to_vec(),
                })
            };
            self.change_partitions(
                &read,
                |query| query.bind(&ids),
                recorded,
                |rows| {
                    let stored: HashMap<String, Partition> =
                        rows.into_iter().map(|p| (p.id.clone(), p)).collect();
                    let mut written = validate_split(
                        stored.get(&parent.id),
                        parent,
                        new_children,
                        self.row_keys(),
                        |id| stored.contains_key(id),
                    )?;
                    let added = written.split_off(1);
                    Ok((written, added))
                },
            )
            .await?;
            tracing::debug!(table_id = self.table_id(), partition_id = %parent.id, "split partition");
            Ok(())
        })
        .await
    }

    /// Sleeper's `ExtendPartitionTreeTransaction`: splits the leaves in `update_partitions` (stored
    /// as given) and adds `new_partitions`, any number of levels at once, once the whole resulting
    /// tree is checked to be valid. Nothing changes if any check fails.
    pub async fn extend_partition_tree(
        &self,
        update_partitions: &[Partition],
        new_partitions: &[Partition],
    ) -> Result<()> {
        self.observe(Operation::ExtendPartitionTree, async {
            crate::validate::all(update_partitions, Partition::validate)?;
            crate::validate::all(new_partitions, Partition::validate)?;
            if update_partitions.is_empty() && new_partitions.is_empty() {
                return Ok(());
            }
            let read = self.with_tree_version(&format!(
                "SELECT {PARTITION_COLUMNS} FROM {{s}}.partitions p WHERE p.table_pk = $1"
            ));
            let recorded = || {
                Recorded::of(&Transaction::ExtendPartitionTree {
                    update_partitions: update_partitions.to_vec(),
                    new_partitions: new_partitions.to_vec(),
                })
            };
            self.change_partitions(
                &read,
                |query| query,
                recorded,
                |stored| {
                    let mut written = validate_extension(
                        &stored,
                        update_partitions,
                        new_partitions,
                        self.row_keys(),
                    )?;
                    let added = written.split_off(update_partitions.len());
                    Ok((written, added))
                },
            )
            .await?;
            tracing::info!(
                table_id = self.table_id(),
                updated = update_partitions.len(),
                added = new_partitions.len(),
                "extended partition tree"
            );
            Ok(())
        })
        .await
    }

    /// Every partition, by id.
    pub async fn get_all_partitions(&self) -> Result<Vec<Partition>> {
        self.observe(Operation::GetAllPartitions, async {
            self.select_partitions("", None).await
        })
        .await
    }

    /// The leaf partitions, by id.
    pub async fn get_leaf_partitions(&self) -> Result<Vec<Partition>> {
        self.observe(Operation::GetLeafPartitions, async {
            self.select_partitions("AND p.is_leaf", None).await
        })
        .await
    }

    /// The stored partition with that id, or `PartitionNotFound`.
    pub async fn get_partition(&self, partition_id: &str) -> Result<Partition> {
        self.observe(Operation::GetPartition, async {
            crate::validate::partition_id("partition id", partition_id)?;
            self.select_partitions("AND p.partition_id = $2", Some(partition_id))
                .await?
                .pop()
                .ok_or_else(|| partition_not_found(partition_id))
        })
        .await
    }

    /// Removes every partition; files and references stay. The table needs `initialise` again.
    pub async fn clear_partition_data(&self) -> Result<()> {
        self.observe(Operation::ClearPartitionData, async {
            self.clear_table(false, true, || {
                Recorded::of(&Transaction::InitialisePartitions {
                    partitions: Vec::new(),
                })
            })
            .await
        })
        .await
    }

    async fn select_partitions(
        &self,
        condition: &str,
        partition_id: Option<&str>,
    ) -> Result<Vec<Partition>> {
        let sql = self.sql(&format!(
            "SELECT {PARTITION_COLUMNS} FROM {{s}}.sleeper_tables t \
             LEFT JOIN {{s}}.partitions p ON p.table_pk = t.table_pk {condition} \
             WHERE t.table_pk = $1 ORDER BY p.partition_id"
        ));
        let partitions = self
            .query_table(
                &sql,
                0,
                |query| match partition_id {
                    Some(id) => query.bind(id),
                    None => query,
                },
                |row| self.partition_from_row(row),
            )
            .await?;
        Ok(partitions.into_iter().flatten().collect())
    }

    /// The partition in a row of `PARTITION_COLUMNS`, or `None` for the row of a table without any.
    pub(super) fn partition_from_row(&self, row: &PgRow) -> Result<Option<Partition>> {
        let Some(id) = row.try_get::<Option<String>, _>("partition_id")? else {
            return Ok(None);
        };
        let region: serde_json::Value = row.try_get("region")?;
        Ok(Some(Partition {
            id,
            region: region_from_json(&region, self.row_keys())?,
            is_leaf_partition: row.try_get("is_leaf")?,
            parent_partition_id: row.try_get("parent_id")?,
            child_partition_ids: row.try_get("child_ids")?,
            dimension: row.try_get("dimension")?,
        }))
    }
}

impl StateStore {
    /// A query of the tree's version, as a first row, and then of the partitions `select` finds
    /// (taking the table's key as `$1`), in one statement and so one snapshot. No row: the table is gone.
    pub(super) fn with_tree_version(&self, select: &str) -> String {
        self.sql(&format!(
            "SELECT t.partitions_version, NULL AS partition_id, NULL::bool AS is_leaf, NULL AS parent_id, \
                    NULL::text[] AS child_ids, NULL::int AS dimension, NULL::jsonb AS region \
             FROM {{s}}.sleeper_tables t WHERE t.table_pk = $1 \
             UNION ALL SELECT NULL, * FROM ({select}) p"
        ))
    }

    /// The pattern of every partition write: read the partitions with the tree's version (`read`, of
    /// `with_tree_version`, with what `bind` adds after the table's key), let `check` turn them into
    /// the partitions to update and to add, then write those if the tree is still at that version; the
    /// whole call runs again if it is not.
    async fn change_partitions<'q>(
        &self,
        read: &'q str,
        bind: impl Fn(PgQuery<'q>) -> PgQuery<'q>,
        recorded: impl Fn() -> Recorded,
        check: impl Fn(Vec<Partition>) -> Result<(Vec<Partition>, Vec<Partition>)>,
    ) -> Result<()> {
        let write = self.write_sql(
            "{s}.write_partitions($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            15,
        );
        let client = &self.inner.client;
        retrying!(client, async {
            let mut session = Session::open(client).await?;
            let rows = bind(self.query(read).bind(self.inner.table_pk))
                .fetch_all(session.connection())
                .await?;
            let Some((first, rows)) = rows.split_first() else {
                return Err(Failure::Rejected(self.table_not_found()));
            };
            let version: i64 = first.try_get(0)?;
            let stored = rows
                .iter()
                .filter_map(|row| self.partition_from_row(row).transpose())
                .collect::<Result<Vec<_>>>()?;
            let (updated, added) = match check(stored) {
                Ok(written) => written,
                Err(error) => return session.end_rejected(error).await,
            };
            let query = self
                .query(&write)
                .bind(client.schema.lock_space)
                .bind(self.inner.table_pk)
                .bind(version);
            let query = bind_partitions(bind_partitions(query, &updated), &added);
            let query = self.bind_recorded(query, &recorded);
            let written = self.run_write(&mut session, query).await?;
            session
                .finish_write(client)
                .await
                .map_err(Failure::Uncertain)?;
            if written {
                self.changed();
                Ok(())
            } else {
                Err(Failure::Stale)
            }
        })
    }
}

/// Binds partitions as six arrays, one per column, after the parameters bound already.
pub(super) fn bind_partitions<'q>(query: PgQuery<'q>, partitions: &[Partition]) -> PgQuery<'q> {
    let children: Vec<serde_json::Value> = partitions
        .iter()
        .map(|p| serde_json::Value::from(p.child_partition_ids.clone()))
        .collect();
    query
        .bind(partitions.iter().map(|p| p.id.clone()).collect::<Vec<_>>())
        .bind(
            partitions
                .iter()
                .map(|p| p.is_leaf_partition)
                .collect::<Vec<_>>(),
        )
        .bind(
            partitions
                .iter()
                .map(|p| p.parent_partition_id.clone())
                .collect::<Vec<_>>(),
        )
        .bind(children)
        .bind(partitions.iter().map(|p| p.dimension).collect::<Vec<_>>())
        .bind(
            partitions
                .iter()
                .map(|p| region_to_json(&p.region))
                .collect::<Vec<_>>(),
        )
}

/// Sleeper's `PartitionNotFoundException` for a partition id that names no partition of the table.
pub(super) fn partition_not_found(partition_id: &str) -> Error {
    Error::PartitionNotFound {
        partition_id: partition_id.to_owned(),
        message: format!("Partition not found: {partition_id}"),
    }
}
