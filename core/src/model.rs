//! The values of a Sleeper table's state: row keys, regions, partitions, file references and the
//! requests that change them (`CONTRACT.md` section 2). Plain data; the rules live in `validate`,
//! `keys`, `partitions` and `files`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A point in time as the store keeps it: UTC, whole milliseconds.
pub type Timestamp = DateTime<Utc>;

/// The type of one row key field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    /// 32-bit signed integers (Java `Integer`).
    Int,
    /// 64-bit signed integers (Java `Long`).
    Long,
    /// Unicode strings, compared by UTF-16 code unit as Java compares them.
    String,
    /// Byte strings, compared by signed byte as Java compares them.
    Bytes,
}

impl KeyType {
    /// The type's name in every language: `int`, `long`, `string` or `bytes`.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Int => "int",
            KeyType::Long => "long",
            KeyType::String => "string",
            KeyType::Bytes => "bytes",
        }
    }

    /// The smallest value of the type: the min of the root partition's ranges.
    pub fn minimum(self) -> KeyValue {
        match self {
            KeyType::Int => KeyValue::Int(i32::MIN),
            KeyType::Long => KeyValue::Long(i64::MIN),
            KeyType::String => KeyValue::String(String::new()),
            KeyType::Bytes => KeyValue::Bytes(Vec::new()),
        }
    }
}

impl std::str::FromStr for KeyType {
    type Err = crate::Error;

    fn from_str(name: &str) -> crate::Result<Self> {
        match name {
            "int" => Ok(KeyType::Int),
            "long" => Ok(KeyType::Long),
            "string" => Ok(KeyType::String),
            "bytes" => Ok(KeyType::Bytes),
            other => Err(crate::Error::invalid(format!(
                "Unknown row key type \"{other}\": expected one of int, long, string, bytes"
            ))),
        }
    }
}

/// One row key field of a table: its name and type. A field's index is its dimension.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RowKeyField {
    /// The field's name, unique in the table.
    pub name: String,
    /// The type of the field's values.
    #[serde(rename = "type")]
    pub key_type: KeyType,
}

impl RowKeyField {
    /// A field of this name and type.
    pub fn new(name: impl Into<String>, key_type: KeyType) -> Self {
        RowKeyField {
            name: name.into(),
            key_type,
        }
    }
}

/// A row key value. Values read from the store have their field's type; on input an `int` field also
/// takes a `Long` that fits in 32 bits and a `long` field an `Int`, since Python has one integer type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "lowercase")]
pub enum KeyValue {
    /// A value of an `int` field.
    Int(i32),
    /// A value of a `long` field.
    Long(i64),
    /// A value of a `string` field.
    String(String),
    /// A value of a `bytes` field.
    Bytes(Vec<u8>),
}

/// The values of one row key field: `min` inclusive, `max` exclusive or `None` for no upper bound.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Range {
    /// The row key field the range is on.
    pub field_name: String,
    /// The smallest value in the range.
    pub min: KeyValue,
    /// The first value past the range; `None` for no upper bound.
    pub max: Option<KeyValue>,
}

impl Range {
    /// The range `[min, max)` on the field.
    pub fn new(field_name: impl Into<String>, min: KeyValue, max: Option<KeyValue>) -> Self {
        Range {
            field_name: field_name.into(),
            min,
            max,
        }
    }
}

/// One range per row key field. Equality ignores the order of the ranges.
#[derive(Debug, Clone, Eq)]
pub struct Region {
    /// One range per row key field.
    pub ranges: Vec<Range>,
}

impl Region {
    /// A region of these ranges.
    pub fn new(ranges: Vec<Range>) -> Self {
        Region { ranges }
    }

    /// The range on the field, if the region has one.
    pub fn range(&self, field_name: &str) -> Option<&Range> {
        self.ranges.iter().find(|r| r.field_name == field_name)
    }
}

/// Consistent with equality, which ignores the order of the ranges: the ranges' hashes are summed.
impl std::hash::Hash for Region {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::BuildHasher;
        let hasher =
            std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default();
        let sum = self
            .ranges
            .iter()
            .fold(0u64, |sum, range| sum.wrapping_add(hasher.hash_one(range)));
        state.write_u64(sum);
        state.write_usize(self.ranges.len());
    }
}

impl PartialEq for Region {
    fn eq(&self, other: &Self) -> bool {
        self.ranges.len() == other.ranges.len()
            && self
                .ranges
                .iter()
                .all(|range| other.range(&range.field_name) == Some(range))
    }
}

/// A node of the partition tree. A leaf has no children and dimension -1; a split partition has its
/// two children (left, min side, first) and the index of the row key field it was split on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Partition {
    /// Unique within the table.
    pub id: String,
    /// The rows the partition covers.
    pub region: Region,
    /// True while the partition has not been split.
    pub is_leaf_partition: bool,
    /// The parent's id; `None` only for the root.
    pub parent_partition_id: Option<String>,
    /// Empty for a leaf; the left (min side) child first after a split.
    pub child_partition_ids: Vec<String>,
    /// -1 unless split; after a split, the index of the row key field it was split on.
    pub dimension: i32,
}

impl Partition {
    /// A leaf with no parent, no children and dimension -1: the defaults of every language.
    pub fn new(id: impl Into<String>, region: Region) -> Self {
        Partition {
            id: id.into(),
            region,
            is_leaf_partition: true,
            parent_partition_id: None,
            child_partition_ids: Vec::new(),
            dimension: -1,
        }
    }
}

/// The rows of one data file that belong to one partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileReference {
    /// The data file.
    pub filename: String,
    /// The partition.
    pub partition_id: String,
    /// Rows of the file in this partition, exact or estimated.
    pub number_of_rows: u64,
    /// The compaction job the reference is assigned to, if any.
    pub job_id: Option<String>,
    /// Set by the store on every write; ignored on input.
    pub last_update_time: Option<Timestamp>,
    /// True when `number_of_rows` is an estimate.
    pub count_approximate: bool,
    /// True when the file holds no rows outside this partition.
    pub only_contains_data_for_this_partition: bool,
}

impl FileReference {
    /// A reference with no job, no time, an exact count and only this partition's data.
    pub fn new(
        filename: impl Into<String>,
        partition_id: impl Into<String>,
        number_of_rows: u64,
    ) -> Self {
        FileReference {
            filename: filename.into(),
            partition_id: partition_id.into(),
            number_of_rows,
            job_id: None,
            last_update_time: None,
            count_approximate: false,
            only_contains_data_for_this_partition: true,
        }
    }
}

/// One file and all its references, sorted by partition id when read from the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AllReferencesToAFile {
    /// The data file.
    pub filename: String,
    /// The file's references, by partition id when read from the store.
    pub references: Vec<FileReference>,
    /// The file-level time: when the last write that touched the file ran. Ignored on input.
    pub last_update_time: Option<Timestamp>,
}

impl AllReferencesToAFile {
    /// The file with these references and no time.
    pub fn new(filename: impl Into<String>, references: Vec<FileReference>) -> Self {
        AllReferencesToAFile {
            filename: filename.into(),
            references,
            last_update_time: None,
        }
    }

    /// How many references the file has.
    pub fn reference_count(&self) -> usize {
        self.references.len()
    }
}

/// The report of `get_all_files_with_max_unreferenced`: files sorted by filename.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AllReferencesToAllFiles {
    /// The files in the report, by filename.
    pub files: Vec<AllReferencesToAFile>,
    /// True when unreferenced files were left out because of the limit.
    pub more_than_max: bool,
}

impl AllReferencesToAllFiles {
    /// The files with at least one reference.
    pub fn files_with_references(&self) -> impl Iterator<Item = &AllReferencesToAFile> {
        self.files.iter().filter(|f| !f.references.is_empty())
    }

    /// The files with no references.
    pub fn files_with_no_references(&self) -> impl Iterator<Item = &AllReferencesToAFile> {
        self.files.iter().filter(|f| f.references.is_empty())
    }

    /// The references of the referenced files, by filename then partition id.
    pub fn list_file_references(&self) -> Vec<FileReference> {
        self.files
            .iter()
            .flat_map(|f| f.references.iter().cloned())
            .collect()
    }
}

/// Replace a file's reference on `old_reference.partition_id` by `new_references`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SplitFileReferenceRequest {
    /// The reference to replace: only its filename and partition id are read.
    pub old_reference: FileReference,
    /// The references that replace it, each of the same file.
    pub new_references: Vec<FileReference>,
}

impl SplitFileReferenceRequest {
    /// Replace `old_reference` by `new_references`.
    pub fn new(old_reference: FileReference, new_references: Vec<FileReference>) -> Self {
        SplitFileReferenceRequest {
            old_reference,
            new_references,
        }
    }

    /// Push one reference down into the two children of its partition, half the rows each (estimated).
    pub fn split_file_to_child_partitions(
        file: &FileReference,
        left_partition_id: &str,
        right_partition_id: &str,
    ) -> Self {
        let child = |partition_id: &str| FileReference {
            filename: file.filename.clone(),
            partition_id: partition_id.to_owned(),
            number_of_rows: file.number_of_rows / 2,
            job_id: None,
            last_update_time: None,
            count_approximate: true,
            only_contains_data_for_this_partition: false,
        };
        SplitFileReferenceRequest {
            old_reference: file.clone(),
            new_references: vec![child(left_partition_id), child(right_partition_id)],
        }
    }
}

/// The commit of one compaction job: remove the inputs' references on `partition_id`, add the output.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReplaceFileReferencesRequest {
    /// The compaction job.
    pub job_id: String,
    /// The partition.
    pub partition_id: String,
    /// The files compacted, whose references on the partition go.
    pub input_files: Vec<String>,
    /// The reference of the output file, a new file.
    pub new_reference: FileReference,
}

impl ReplaceFileReferencesRequest {
    /// The commit of `job_id` on `partition_id`: `input_files` replaced by `new_reference`.
    pub fn new(
        job_id: impl Into<String>,
        partition_id: impl Into<String>,
        input_files: Vec<String>,
        new_reference: FileReference,
    ) -> Self {
        ReplaceFileReferencesRequest {
            job_id: job_id.into(),
            partition_id: partition_id.into(),
            input_files,
            new_reference,
        }
    }
}

/// Assign `job_id` to the reference of each named file on `partition_id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AssignJobIdRequest {
    /// The compaction job.
    pub job_id: String,
    /// The partition.
    pub partition_id: String,
    /// The files whose references are named.
    pub filenames: Vec<String>,
}

impl AssignJobIdRequest {
    /// Assign `job_id` to the reference of each of `filenames` on `partition_id`.
    pub fn new(
        job_id: impl Into<String>,
        partition_id: impl Into<String>,
        filenames: Vec<String>,
    ) -> Self {
        AssignJobIdRequest {
            job_id: job_id.into(),
            partition_id: partition_id.into(),
            filenames,
        }
    }
}

/// Whether `job_id` is assigned to the reference of each named file on `partition_id`
/// (Sleeper's `CheckFileAssignmentsRequest`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CheckFileAssignmentsRequest {
    /// The compaction job.
    pub job_id: String,
    /// The files whose references are named.
    pub filenames: Vec<String>,
    /// The partition.
    pub partition_id: String,
}

impl CheckFileAssignmentsRequest {
    /// Sleeper's `isJobAssignedToFilesOnPartition(jobId, filenames, partitionId)`.
    pub fn new(
        job_id: impl Into<String>,
        filenames: Vec<String>,
        partition_id: impl Into<String>,
    ) -> Self {
        CheckFileAssignmentsRequest {
            job_id: job_id.into(),
            filenames,
            partition_id: partition_id.into(),
        }
    }
}
