//! The partition tree of a table (`CONTRACT.md` 3.3). The rules are in `crate::partitions`; this
//! reads and writes the rows.

use std::collections::HashMap;

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::codec::{region_from_json, region_to_json};
use super::StateStore;
use crate::client::Failure;
use crate::error::{Error, Result};
use crate::model::Partition;
use crate::partitions::{root_partition, validate_split, validate_tree};

const PARTITION_COLUMNS: &str =
    "p.partition_id, p.is_leaf, p.parent_id, p.child_ids, p.dimension, p.region";

const INSERT_PARTITIONS: &str = "INSERT INTO {s}.partitions \
     (table_pk, partition_id, is_leaf, parent_id, child_ids, dimension, region) \
     SELECT $1, x.id, x.is_leaf, x.parent, ARRAY(SELECT jsonb_array_elements_text(x.children)), x.dimension, x.region \
     FROM unnest($2::text[], $3::bool[], $4::text[], $5::jsonb[], $6::int[], $7::jsonb[]) \
          AS x(id, is_leaf, parent, children, dimension, region)";

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

    async fn replace_partitions(&self, tree: Vec<Partition>) -> Result<()> {
        let any_file = self.sql("SELECT EXISTS (SELECT 1 FROM {s}.files WHERE table_pk = $1)");
        let delete = self.sql("DELETE FROM {s}.partitions WHERE table_pk = $1");
        let insert = self.sql(INSERT_PARTITIONS);
        let table_pk = self.inner.table_pk;
        in_transaction!(self, true, tx => {
            let files_present: bool = self.query(&any_file).bind(table_pk).fetch_one(&mut *tx).await?.try_get(0)?;
            if files_present {
                Err(Error::InitialiseWithFilesPresent)?;
            }
            self.query(&delete).bind(table_pk).execute(&mut *tx).await?;
            self.insert_partitions(tx, &insert, &tree).await?
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
        for partition in [split_partition, new_partition_1, new_partition_2] {
            partition.validate()?;
        }
        // In key order, like every lock this store takes.
        let mut ids = vec![
            split_partition.id.clone(),
            new_partition_1.id.clone(),
            new_partition_2.id.clone(),
        ];
        ids.sort_unstable();
        ids.dedup();
        // The write lock has checked the table; locking the parent's row makes concurrent splits of it
        // wait here and then see it is no longer a leaf.
        let select = self.sql(&format!(
            "SELECT {PARTITION_COLUMNS} FROM unnest($2::text[]) AS n(id) \
             CROSS JOIN LATERAL ( \
                 SELECT * FROM {{s}}.partitions p WHERE p.table_pk = $1 AND p.partition_id = n.id \
                 OFFSET 0 FOR UPDATE \
             ) p"
        ));
        let update = self.sql(
            "UPDATE {s}.partitions SET is_leaf = $3, child_ids = $4, dimension = $5 \
             WHERE table_pk = $1 AND partition_id = $2",
        );
        let insert = self.sql(INSERT_PARTITIONS);
        let table_pk = self.inner.table_pk;
        in_transaction!(self, false, tx => {
            let rows = self.query(&select).bind(table_pk).bind(&ids).fetch_all(&mut *tx).await?;
            let mut stored = HashMap::new();
            for row in &rows {
                if let Some(partition) = self.partition_from_row(row)? {
                    stored.insert(partition.id.clone(), partition);
                }
            }
            let [split, left, right] = validate_split(
                stored.get(&split_partition.id),
                split_partition,
                new_partition_1,
                new_partition_2,
                self.row_keys(),
                |id| stored.contains_key(id),
            )?;
            self.query(&update)
                .bind(table_pk)
                .bind(&split.id)
                .bind(split.is_leaf_partition)
                .bind(&split.child_partition_ids)
                .bind(split.dimension)
                .execute(&mut *tx)
                .await?;
            self.insert_partitions(tx, &insert, &[left, right]).await?
        })?;
        tracing::debug!(table_id = self.table_id(), partition_id = %split_partition.id, "split partition");
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
    async fn insert_partitions(
        &self,
        tx: &mut PgConnection,
        sql: &str,
        partitions: &[Partition],
    ) -> Result<(), Failure> {
        let children: Vec<serde_json::Value> = partitions
            .iter()
            .map(|p| serde_json::Value::from(p.child_partition_ids.clone()))
            .collect();
        self.query(sql)
            .bind(self.inner.table_pk)
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
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}
