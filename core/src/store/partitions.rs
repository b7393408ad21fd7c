//! The partition tree of a table (`CONTRACT.md` 3.3). The rules are in `crate::partitions`; this
//! reads and writes the rows.

use std::collections::HashMap;

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::codec::{region_from_json, region_to_json};
use super::StateStore;
use crate::client::{Failure, PgQuery};
use crate::error::{Error, Result};
use crate::model::Partition;
use crate::partitions::{root_partition, validate_extension, validate_split, validate_tree};

const PARTITION_COLUMNS: &str =
    "p.partition_id, p.is_leaf, p.parent_id, p.child_ids, p.dimension, p.region";

/// The partitions in `$2`..`$7`, one array per column (`bind_partitions`).
const PARTITION_ROWS: &str =
    "unnest($2::text[], $3::bool[], $4::text[], $5::jsonb[], $6::int[], $7::jsonb[]) \
     AS x(id, is_leaf, parent, children, dimension, region)";

const INSERT_PARTITIONS: &str = "INSERT INTO {s}.partitions \
     (table_pk, partition_id, is_leaf, parent_id, child_ids, dimension, region) \
     SELECT $1, x.id, x.is_leaf, x.parent, ARRAY(SELECT jsonb_array_elements_text(x.children)), x.dimension, x.region \
     FROM {rows}";

/// Each row found by its key, as every lookup of the store is (see `files::LOAD`).
const UPDATE_PARTITIONS: &str =
    "UPDATE {s}.partitions p SET is_leaf = x.is_leaf, parent_id = x.parent, \
         child_ids = ARRAY(SELECT jsonb_array_elements_text(x.children)), dimension = x.dimension, \
         region = x.region \
     FROM (SELECT x.*, found.row_id FROM {rows} \
           CROSS JOIN LATERAL ( \
               SELECT k.ctid AS row_id FROM {s}.partitions k \
               WHERE k.table_pk = $1 AND k.partition_id = x.id OFFSET 0 \
           ) found) x \
     WHERE p.ctid = x.row_id";

impl StateStore {
    /// Replaces the partitions with the single root partition covering every key.
    pub async fn initialise(&self) -> Result<()> {
        self.replace_partitions(vec![root_partition(self.row_keys())])
            .await
    }

    /// Replaces the partitions with `partitions`, once they are checked to form a valid tree.
    pub async fn initialise_with_partitions(&self, partitions: &[Partition]) -> Result<()> {
        crate::validate::all(partitions, Partition::validate)?;
        let tree = validate_tree(partitions, self.row_keys())?;
        self.replace_partitions(tree).await
    }

    pub(super) async fn replace_partitions(&self, tree: Vec<Partition>) -> Result<()> {
        let any_file = self.sql("SELECT EXISTS (SELECT 1 FROM {s}.files WHERE table_pk = $1)");
        let delete = self.sql("DELETE FROM {s}.partitions WHERE table_pk = $1");
        let table_pk = self.inner.table_pk;
        in_transaction!(self, true, tx => {
            let files_present: bool = self.query(&any_file).bind(table_pk).fetch_one(&mut *tx).await?.try_get(0)?;
            if files_present {
                Err(Error::InitialiseWithFilesPresent)?;
            }
            self.query(&delete).bind(table_pk).execute(&mut *tx).await?;
            self.write_partitions(tx, &[], &tree).await?
        })?;
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
        self.split_partition(
            split_partition,
            &[new_partition_1.clone(), new_partition_2.clone()],
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
        parent.validate()?;
        crate::validate::all(new_children, Partition::validate)?;
        let mut ids: Vec<&str> = std::iter::once(parent.id.as_str())
            .chain(new_children.iter().map(|p| p.id.as_str()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let select = self.sql(&format!(
            "SELECT {PARTITION_COLUMNS} FROM unnest($2::text[]) AS n(id) \
             CROSS JOIN LATERAL ( \
                 SELECT * FROM {{s}}.partitions p WHERE p.table_pk = $1 AND p.partition_id = n.id OFFSET 0 \
             ) p"
        ));
        let table_pk = self.inner.table_pk;
        in_transaction!(self, false, tx => {
            self.lock_partition_tree(tx).await?;
            let rows = self.query(&select).bind(table_pk).bind(&ids).fetch_all(&mut *tx).await?;
            let mut stored = HashMap::new();
            for row in &rows {
                if let Some(partition) = self.partition_from_row(row)? {
                    stored.insert(partition.id.clone(), partition);
                }
            }
            let written = validate_split(
                stored.get(&parent.id),
                parent,
                new_children,
                self.row_keys(),
                |id| stored.contains_key(id),
            )?;
            self.write_partitions(tx, &written[..1], &written[1..]).await?
        })?;
        tracing::debug!(table_id = self.table_id(), partition_id = %parent.id, "split partition");
        Ok(())
    }

    /// Sleeper's `ExtendPartitionTreeTransaction`: splits the leaves in `update_partitions` (stored
    /// as given) and adds `new_partitions`, any number of levels at once, once the whole resulting
    /// tree is checked to be valid. Nothing changes if any check fails.
    pub async fn extend_partition_tree(
        &self,
        update_partitions: &[Partition],
        new_partitions: &[Partition],
    ) -> Result<()> {
        crate::validate::all(update_partitions, Partition::validate)?;
        crate::validate::all(new_partitions, Partition::validate)?;
        if update_partitions.is_empty() && new_partitions.is_empty() {
            return Ok(());
        }
        let select = self.sql(&format!(
            "SELECT {PARTITION_COLUMNS} FROM {{s}}.partitions p WHERE p.table_pk = $1"
        ));
        let table_pk = self.inner.table_pk;
        in_transaction!(self, false, tx => {
            self.lock_partition_tree(tx).await?;
            let rows = self.query(&select).bind(table_pk).fetch_all(&mut *tx).await?;
            let stored = rows
                .iter()
                .filter_map(|row| self.partition_from_row(row).transpose())
                .collect::<Result<Vec<_>>>()?;
            let written = validate_extension(&stored, update_partitions, new_partitions, self.row_keys())?;
            let (updated, added) = written.split_at(update_partitions.len());
            self.write_partitions(tx, updated, added).await?
        })?;
        tracing::info!(
            table_id = self.table_id(),
            updated = update_partitions.len(),
            added = new_partitions.len(),
            "extended partition tree"
        );
        Ok(())
    }

    /// Every partition, by id.
    pub async fn get_all_partitions(&self) -> Result<Vec<Partition>> {
        self.select_partitions("", None).await
    }

    /// The leaf partitions, by id.
    pub async fn get_leaf_partitions(&self) -> Result<Vec<Partition>> {
        self.select_partitions("AND p.is_leaf", None).await
    }

    /// The stored partition with that id, or `PartitionNotFound`.
    pub async fn get_partition(&self, partition_id: &str) -> Result<Partition> {
        crate::validate::id("partition id", partition_id)?;
        self.select_partitions("AND p.partition_id = $2", Some(partition_id))
            .await?
            .pop()
            .ok_or_else(|| Error::PartitionNotFound {
                partition_id: partition_id.to_owned(),
                message: format!("Partition not found: {partition_id}"),
            })
    }

    /// Removes every partition; files and references stay. The table needs `initialise` again.
    pub async fn clear_partition_data(&self) -> Result<()> {
        let delete = self.sql("DELETE FROM {s}.partitions WHERE table_pk = $1");
        let table_pk = self.inner.table_pk;
        in_transaction!(self, true, tx => {
            self.query(&delete).bind(table_pk).execute(&mut *tx).await?;
        })
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
    fn partition_from_row(&self, row: &PgRow) -> Result<Option<Partition>> {
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
    /// Makes the partition writes of this table wait for each other: a split or an extension checks the
    /// tree as the ones before it left it. Row lock on the table's own row, which no file write takes.
    async fn lock_partition_tree(&self, tx: &mut PgConnection) -> Result<(), Failure> {
        let lock =
            self.sql("SELECT 1 FROM {s}.sleeper_tables WHERE table_pk = $1 FOR NO KEY UPDATE");
        self.query(&lock)
            .bind(self.inner.table_pk)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// Stores `updated` partitions over their rows and inserts `added` ones.
    async fn write_partitions(
        &self,
        tx: &mut PgConnection,
        updated: &[Partition],
        added: &[Partition],
    ) -> Result<(), Failure> {
        if !updated.is_empty() {
            let update = self.sql(&UPDATE_PARTITIONS.replace("{rows}", PARTITION_ROWS));
            bind_partitions(self.query(&update).bind(self.inner.table_pk), updated)
                .execute(&mut *tx)
                .await?;
        }
        if !added.is_empty() {
            let insert = self.sql(&INSERT_PARTITIONS.replace("{rows}", PARTITION_ROWS));
            bind_partitions(self.query(&insert).bind(self.inner.table_pk), added)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }
}

/// Binds partitions as six arrays, one per column, from `$2` on.
fn bind_partitions<'q>(query: PgQuery<'q>, partitions: &'q [Partition]) -> PgQuery<'q> {
    let children: Vec<serde_json::Value> = partitions
        .iter()
        .map(|p| serde_json::Value::from(p.child_partition_ids.clone()))
        .collect();
    query
        .bind(partitions.iter().map(|p| p.id.as_str()).collect::<Vec<_>>())
        .bind(
            partitions
                .iter()
                .map(|p| p.is_leaf_partition)
                .collect::<Vec<_>>(),
        )
        .bind(
            partitions
                .iter()
                .map(|p| p.parent_partition_id.as_deref())
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
