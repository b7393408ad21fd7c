//! Reads as Arrow record batches (issue 13): the file references and the partitions of a table, or of
//! part of it, as columns rather than one object per row, for data frames, DuckDB and other languages
//! (each binding hands the batches over through the Arrow C stream interface, without a copy).
//!
//! The whole table's references are decoded from the server's binary COPY data straight into Arrow
//! buffers, so a reader never holds them twice. Partition ids and job ids, repeated from row to row,
//! are dictionary encoded.

use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
    StringDictionaryBuilder, TimestampMillisecondBuilder,
};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, RecordBatch, RecordBatchIterator};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};

use super::files::{copy_references_sql, ReferenceRow, ServerOrder};
use super::StateStore;
use crate::error::{Error, Result};
use crate::model::{FileReference, KeyType, KeyValue, Partition, Region, RowKeyField};
use crate::stats::Operation;

/// Rows per record batch.
const BATCH_ROWS: usize = 65_536;

/// Which part of a table a read covers.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ReadScope {
    /// The whole table.
    Table,
    /// The partitions with these ids (`PartitionNotFound` for one that does not exist).
    Partitions(Vec<String>),
    /// The partitions overlapping this region, both ends of its ranges included.
    Region(Region),
}

/// A read's record batches, all of one schema.
#[derive(Debug, Clone)]
pub struct ArrowBatches {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl ArrowBatches {
    /// The schema every batch has.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The batches, in the read's order.
    pub fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }

    /// Rows in all the batches.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The batches as an Arrow C stream, which takes them over (no copy).
    pub fn into_ffi_stream(self) -> FFI_ArrowArrayStream {
        let reader = RecordBatchIterator::new(self.batches.into_iter().map(Ok), self.schema);
        FFI_ArrowArrayStream::new(Box::new(reader))
    }
}

/// The schema of file references: one column per field of `FileReference`.
pub fn file_reference_schema() -> SchemaRef {
    let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    Arc::new(Schema::new(vec![
        Field::new("filename", DataType::Utf8, false),
        Field::new("partition_id", dictionary.clone(), false),
        Field::new("number_of_rows", DataType::Int64, false),
        Field::new("job_id", dictionary, true),
        Field::new(
            "last_update_time",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        Field::new("count_approximate", DataType::Boolean, false),
        Field::new(
            "only_contains_data_for_this_partition",
            DataType::Boolean,
            false,
        ),
    ]))
}

/// The schema of partitions for a table with these row key fields: the partition's fields, then the
/// bounds of its range on each row key field, `<field>_min` and `<field>_max` (null for no upper
/// bound), of the field's type.
pub fn partition_schema(row_keys: &[RowKeyField]) -> SchemaRef {
    let mut fields = vec![
        Field::new("partition_id", DataType::Utf8, false),
        Field::new("is_leaf_partition", DataType::Boolean, false),
        Field::new("parent_partition_id", DataType::Utf8, true),
        Field::new(
            "child_partition_ids",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            false,
        ),
        Field::new("dimension", DataType::Int32, false),
    ];
    for field in row_keys {
        let data_type = key_data_type(field.key_type);
        fields.push(Field::new(
            format!("{}_min", field.name),
            data_type.clone(),
            false,
        ));
        fields.push(Field::new(format!("{}_max", field.name), data_type, true));
    }
    Arc::new(Schema::new(fields))
}

fn key_data_type(key_type: KeyType) -> DataType {
    match key_type {
        KeyType::Int => DataType::Int32,
        KeyType::Long => DataType::Int64,
        KeyType::String => DataType::Utf8,
        KeyType::Bytes => DataType::Binary,
    }
}

impl StateStore {
    /// The live references of `scope`, as record batches of [`file_reference_schema`]: by filename
    /// then partition id for the whole table, by partition id then filename for part of it.
    pub async fn get_file_references_arrow(&self, scope: &ReadScope) -> Result<ArrowBatches> {
        self.observe(Operation::GetFileReferencesArrow, async {
            match scope {
                ReadScope::Table => self.all_references_arrow().await,
                ReadScope::Partitions(ids) => {
                    references_to_arrow(&self.get_file_references_on_partitions(ids).await?)
                }
                ReadScope::Region(region) => {
                    references_to_arrow(&self.get_file_references_in_region(region).await?)
                }
            }
        })
        .await
    }

    /// The partitions of `scope`, by id, as record batches of [`partition_schema`] for the table's
    /// row key fields.
    pub async fn get_partitions_arrow(&self, scope: &ReadScope) -> Result<ArrowBatches> {
        self.observe(Operation::GetPartitionsArrow, async {
            let partitions = match scope {
                ReadScope::Table => self.get_all_partitions().await?,
                ReadScope::Partitions(ids) => self.get_partitions_named(ids).await?,
                ReadScope::Region(region) => self.get_partitions_in_region(region).await?,
            };
            partitions_to_arrow(&partitions, self.row_keys())
        })
        .await
    }

    /// Every live reference, decoded from the COPY data as it streams in.
    async fn all_references_arrow(&self) -> Result<ArrowBatches> {
        // Ordered by the server: the rows go into the batches as they arrive, never held twice.
        let copy = self.sql(&copy_references_sql(
            "",
            self.inner.table_pk,
            ServerOrder::ByFile,
        ));
        self.copy_table(
            &copy,
            0,
            ReferenceColumns::default,
            |columns, row: &ReferenceRow<'_>| {
                columns.push(
                    row.text(0)?,
                    row.text(1)?,
                    row.int8(2)?,
                    row.optional_text(3)?,
                    row.timestamp(4)?.timestamp_millis(),
                    row.bool(5)?,
                    row.bool(6)?,
                )
            },
        )
        .await?
        .finish()
    }
}

/// References as record batches.
fn references_to_arrow(references: &[FileReference]) -> Result<ArrowBatches> {
    let mut columns = ReferenceColumns::default();
    for r in references {
        columns.push(
            &r.filename,
            &r.partition_id,
            i64::try_from(r.number_of_rows).unwrap_or(i64::MAX),
            r.job_id.as_deref(),
            r.last_update_time.map_or(0, |t| t.timestamp_millis()),
            r.count_approximate,
            r.only_contains_data_for_this_partition,
        )?;
    }
    columns.finish()
}

/// The columns of the batch being filled, and the batches filled before it.
struct ReferenceColumns {
    filename: StringBuilder,
    partition_id: StringDictionaryBuilder<Int32Type>,
    number_of_rows: Int64Builder,
    job_id: StringDictionaryBuilder<Int32Type>,
    last_update_time: TimestampMillisecondBuilder,
    count_approximate: BooleanBuilder,
    only_this_partition: BooleanBuilder,
    rows: usize,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl Default for ReferenceColumns {
    fn default() -> Self {
        ReferenceColumns {
            filename: StringBuilder::new(),
            partition_id: StringDictionaryBuilder::new(),
            number_of_rows: Int64Builder::new(),
            job_id: StringDictionaryBuilder::new(),
            last_update_time: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            count_approximate: BooleanBuilder::new(),
            only_this_partition: BooleanBuilder::new(),
            rows: 0,
            schema: file_reference_schema(),
            batches: Vec::new(),
        }
    }
}

impl ReferenceColumns {
    #[allow(clippy::too_many_arguments)] // one per column
    fn push(
        &mut self,
        filename: &str,
        partition_id: &str,
        number_of_rows: i64,
        job_id: Option<&str>,
        time_ms: i64,
        count_approximate: bool,
        only_this_partition: bool,
    ) -> Result<()> {
        self.filename.append_value(filename);
        self.partition_id
            .append(partition_id)
            .map_err(arrow_error)?;
        self.number_of_rows.append_value(number_of_rows);
        match job_id {
            Some(job_id) => {
                self.job_id.append(job_id).map_err(arrow_error)?;
            }
            None => self.job_id.append_null(),
        }
        self.last_update_time.append_value(time_ms);
        self.count_approximate.append_value(count_approximate);
        self.only_this_partition.append_value(only_this_partition);
        self.rows += 1;
        if self.rows == BATCH_ROWS {
            self.end_batch()?;
        }
        Ok(())
    }

    fn end_batch(&mut self) -> Result<()> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.filename.finish()),
            Arc::new(self.partition_id.finish()),
            Arc::new(self.number_of_rows.finish()),
            Arc::new(self.job_id.finish()),
            Arc::new(self.last_update_time.finish()),
            Arc::new(self.count_approximate.finish()),
            Arc::new(self.only_this_partition.finish()),
        ];
        self.batches
            .push(RecordBatch::try_new(self.schema.clone(), columns).map_err(arrow_error)?);
        self.rows = 0;
        Ok(())
    }

    /// The batches, the last one partly filled; none for no rows.
    fn finish(mut self) -> Result<ArrowBatches> {
        if self.rows > 0 {
            self.end_batch()?;
        }
        Ok(ArrowBatches {
            schema: self.schema,
            batches: self.batches,
        })
    }
}

/// Partitions as one record batch (a table's partitions are far fewer than its references).
fn partitions_to_arrow(partitions: &[Partition], row_keys: &[RowKeyField]) -> Result<ArrowBatches> {
    let schema = partition_schema(row_keys);
    let mut ids = StringBuilder::new();
    let mut leaves = BooleanBuilder::new();
    let mut parents = StringBuilder::new();
    let mut children = ListBuilder::new(StringBuilder::new());
    let mut dimensions = Int32Builder::new();
    for partition in partitions {
        ids.append_value(&partition.id);
        leaves.append_value(partition.is_leaf_partition);
        parents.append_option(partition.parent_partition_id.as_deref());
        for child in &partition.child_partition_ids {
            children.values().append_value(child);
        }
        children.append(true);
        dimensions.append_value(partition.dimension);
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(ids.finish()),
        Arc::new(leaves.finish()),
        Arc::new(parents.finish()),
        Arc::new(children.finish()),
        Arc::new(dimensions.finish()),
    ];
    for (dimension, field) in row_keys.iter().enumerate() {
        let range = |p: &Partition| p.region.ranges.get(dimension).cloned();
        let mins = partitions.iter().map(|p| range(p).map(|r| r.min));
        let maxes = partitions.iter().map(|p| range(p).and_then(|r| r.max));
        columns.push(key_column(field.key_type, mins)?);
        columns.push(key_column(field.key_type, maxes)?);
    }
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(arrow_error)?;
    Ok(ArrowBatches {
        schema,
        batches: vec![batch],
    })
}

/// A column of key values of one type (stored regions hold each field's type).
fn key_column(
    key_type: KeyType,
    values: impl Iterator<Item = Option<KeyValue>>,
) -> Result<ArrayRef> {
    macro_rules! column {
        ($builder:ty, $variant:ident) => {{
            let mut column = <$builder>::new();
            for value in values {
                match value {
                    None => column.append_null(),
                    Some(KeyValue::$variant(v)) => column.append_value(v),
                    Some(_) => {
                        return Err(Error::state_store(
                            "A stored region holds a value of another type",
                        ))
                    }
                }
            }
            Arc::new(column.finish()) as ArrayRef
        }};
    }
    Ok(match key_type {
        KeyType::Int => column!(Int32Builder, Int),
        KeyType::Long => column!(Int64Builder, Long),
        KeyType::String => column!(StringBuilder, String),
        KeyType::Bytes => column!(BinaryBuilder, Bytes),
    })
}

fn arrow_error(error: ArrowError) -> Error {
    Error::state_store(format!("Building Arrow record batches failed: {error}"))
}
