//! Input validation (`CONTRACT.md` section 8): the checks that run before anything reaches the
//! database. The bindings call the same `validate` methods from their model constructors, so every
//! language rejects the same input with the same message.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::model::{
    AllReferencesToAFile, AssignJobIdRequest, CheckFileAssignmentsRequest, FileReference, KeyValue,
    Partition, Range, Region, ReplaceFileReferencesRequest, RowKeyField, SplitFileReferenceRequest,
};

/// A string the store can keep: PostgreSQL text cannot hold U+0000.
pub fn text(what: &str, value: &str) -> Result<()> {
    if value.contains('\0') {
        return Err(Error::invalid(format!(
            "{what} must not contain the character U+0000"
        )));
    }
    Ok(())
}

/// The longest table id, in UTF-8 bytes. The ids are a unique index's keys.
pub const MAX_TABLE_ID_BYTES: usize = 1024;
/// The longest filename, in UTF-8 bytes: room for any object store URI (an S3 key is at most 1,024
/// bytes) with its scheme and bucket. Filenames are primary-key columns.
pub const MAX_FILENAME_BYTES: usize = 2048;
/// The longest partition id (including parent and child ids), in UTF-8 bytes. Sleeper's ids are
/// 36-byte UUIDs. A reference's keys hold a filename and a partition id together, and a B-tree index
/// entry holds at most 2,704 bytes: 2,048 + 512 plus the table key and headers (under 32 bytes)
/// always fit, whatever the text and however little it compresses.
pub const MAX_PARTITION_ID_BYTES: usize = 512;
/// The longest job id, in UTF-8 bytes.
pub const MAX_JOB_ID_BYTES: usize = 1024;
/// The longest row key field name, in UTF-8 bytes.
pub const MAX_FIELD_NAME_BYTES: usize = 1024;
/// The longest string or byte array key value (a range's min or max, a split point), in bytes (UTF-8
/// for strings). Key values are kept in `jsonb` and in every handle's copy of the partition tree, not
/// in an index; the limit keeps a tree of many partitions small enough to read and hold in one go.
pub const MAX_KEY_VALUE_BYTES: usize = 65536;

/// PostgreSQL's largest B-tree index entry on 8 KB pages ("index row size exceeds btree version 4
/// maximum 2704"), whatever compression does.
const BTREE_MAX_ITEM_BYTES: usize = 2704;
// A reference's index entries (table key, filename, partition id, in either order) and a table id's:
// an 8-byte tuple header, the 8-byte table key, 4-byte text headers and up to 7 bytes of alignment.
const _: () = assert!(
    8 + 8 + 4 + MAX_FILENAME_BYTES + 4 + MAX_PARTITION_ID_BYTES + 7 <= BTREE_MAX_ITEM_BYTES
);
const _: () = assert!(8 + 4 + MAX_TABLE_ID_BYTES + 7 <= BTREE_MAX_ITEM_BYTES);

/// The longest schema name, in bytes: PostgreSQL's limit on identifiers (longer ones it would cut).
pub const MAX_SCHEMA_BYTES: usize = 63;

/// A value of at most `max` bytes (UTF-8 for strings).
pub fn length(what: &str, bytes: usize, max: usize) -> Result<()> {
    if bytes > max {
        return Err(Error::invalid(format!(
            "{what} must be at most {max} bytes long, got {bytes} bytes"
        )));
    }
    Ok(())
}

/// An identifier: a non-empty string the store can keep, of at most `max` UTF-8 bytes.
pub fn id(what: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(format!("{what} must not be empty")));
    }
    length(what, value.len(), max)?;
    text(what, value)
}

/// A table id: [`id`] of at most [`MAX_TABLE_ID_BYTES`].
pub fn table_id(value: &str) -> Result<()> {
    id("table id", value, MAX_TABLE_ID_BYTES)
}

/// A filename (`what` says which): [`id`] of at most [`MAX_FILENAME_BYTES`].
pub fn filename(what: &str, value: &str) -> Result<()> {
    id(what, value, MAX_FILENAME_BYTES)
}

/// A partition id (`what` says which): [`id`] of at most [`MAX_PARTITION_ID_BYTES`].
pub fn partition_id(what: &str, value: &str) -> Result<()> {
    id(what, value, MAX_PARTITION_ID_BYTES)
}

/// A job id: [`id`] of at most [`MAX_JOB_ID_BYTES`].
pub fn job_id(value: &str) -> Result<()> {
    id("job id", value, MAX_JOB_ID_BYTES)
}

/// A row key field name: [`id`] of at most [`MAX_FIELD_NAME_BYTES`].
pub fn field_name(what: &str, value: &str) -> Result<()> {
    id(what, value, MAX_FIELD_NAME_BYTES)
}

/// A row count the store can keep: at most `i64::MAX`.
pub fn number_of_rows(value: u64) -> Result<()> {
    if i64::try_from(value).is_err() {
        return Err(Error::invalid(format!(
            "number_of_rows must be between 0 and {}, got {value}",
            i64::MAX
        )));
    }
    Ok(())
}

/// A limit of unreferenced files in a report: at most `i32::MAX`, as Java's `int`.
pub fn max_unreferenced_files(value: u64) -> Result<()> {
    if i32::try_from(value).is_err() {
        return Err(Error::invalid(format!(
            "max_unreferenced_files must be between 0 and {}, got {value}",
            i32::MAX
        )));
    }
    Ok(())
}

/// A row count given as a signed 64-bit integer (Java `long`): [`number_of_rows`] for languages
/// without unsigned integers, so that a negative count is reported with its own value.
pub fn number_of_rows_from_signed(value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| {
        Error::invalid(format!(
            "number_of_rows must be between 0 and {}, got {value}",
            i64::MAX
        ))
    })
}

/// [`max_unreferenced_files`] for a signed integer (Java `int`).
pub fn max_unreferenced_files_from_signed(value: i64) -> Result<u64> {
    let unsigned = u64::try_from(value).map_err(|_| {
        Error::invalid(format!(
            "max_unreferenced_files must be between 0 and {}, got {value}",
            i32::MAX
        ))
    })?;
    max_unreferenced_files(unsigned)?;
    Ok(unsigned)
}

/// A partition's dimension: -1, or the index of a field.
pub fn dimension(value: i32) -> Result<()> {
    if value < -1 {
        return Err(Error::invalid(format!(
            "dimension must be -1 or more, got {value}"
        )));
    }
    Ok(())
}

/// A table's row key fields: at least one, names non-empty and unique.
pub fn row_keys(fields: &[RowKeyField]) -> Result<()> {
    if fields.is_empty() {
        return Err(Error::invalid("row_keys must not be empty"));
    }
    let mut seen = HashSet::new();
    for field in fields {
        field_name("row key field name", &field.name)?;
        if !seen.insert(field.name.as_str()) {
            return Err(Error::invalid(format!(
                "Duplicate row key field name: {}",
                field.name
            )));
        }
    }
    Ok(())
}

/// A key value the store can keep: a string without U+0000, and a string or byte array of at most
/// [`MAX_KEY_VALUE_BYTES`].
pub fn key_value(what: &str, value: &KeyValue) -> Result<()> {
    match value {
        KeyValue::String(s) => {
            length(what, s.len(), MAX_KEY_VALUE_BYTES)?;
            text(what, s)
        }
        KeyValue::Bytes(b) => length(what, b.len(), MAX_KEY_VALUE_BYTES),
        _ => Ok(()),
    }
}

impl Range {
    /// Checks the fields of this value (`CONTRACT.md` section 8).
    pub fn validate(&self) -> Result<()> {
        field_name("field_name", &self.field_name)?;
        key_value("min", &self.min)?;
        if let Some(max) = &self.max {
            key_value("max", max)?;
            if std::mem::discriminant(&self.min) != std::mem::discriminant(max)
                && !matches!(
                    (&self.min, max),
                    (
                        KeyValue::Int(_) | KeyValue::Long(_),
                        KeyValue::Int(_) | KeyValue::Long(_)
                    )
                )
            {
                return Err(Error::invalid(format!(
                    "min and max of the range on field \"{}\" must be of the same kind",
                    self.field_name
                )));
            }
        }
        Ok(())
    }
}

impl Region {
    /// Checks the fields of this value (`CONTRACT.md` section 8).
    pub fn validate(&self) -> Result<()> {
        let mut seen = HashSet::new();
        for range in &self.ranges {
            range.validate()?;
            if !seen.insert(range.field_name.as_str()) {
                return Err(Error::invalid(
                    "Should only provide one range per row key field",
                ));
            }
        }
        Ok(())
    }
}

impl Partition {
    /// Checks the fields of this value (`CONTRACT.md` section 8).
    pub fn validate(&self) -> Result<()> {
        partition_id("partition id", &self.id)?;
        self.region.validate()?;
        if let Some(parent) = &self.parent_partition_id {
            partition_id("parent partition id", parent)?;
        }
        for child in &self.child_partition_ids {
            partition_id("child partition id", child)?;
        }
        dimension(self.dimension)
    }
}

impl FileReference {
    /// Checks the fields of this value (`CONTRACT.md` section 8).
    pub fn validate(&self) -> Result<()> {
        filename("filename", &self.filename)?;
        partition_id("partition id", &self.partition_id)?;
        number_of_rows(self.number_of_rows)?;
        if let Some(job) = &self.job_id {
            job_id(job)?;
        }
        Ok(())
    }
}

fn same_filename(filename: &str, reference: &FileReference, whose: &str) -> Result<()> {
    if reference.filename != filename {
        return Err(Error::invalid(format!(
            "every reference of {whose} must have its filename {filename:?}, found {:?}",
            reference.filename
        )));
    }
    Ok(())
}

impl AllReferencesToAFile {
    /// Checks the fields of this value (`CONTRACT.md` section 8).
    pub fn validate(&self) -> Result<()> {
        filename("filename", &self.filename)?;
        for reference in &self.references {
            reference.validate()?;
            same_filename(&self.filename, reference, "a file")?;
        }
        Ok(())
    }
}

impl SplitFileReferenceRequest {
    /// Checks the fields of this value (`CONTRACT.md` section 8).
    pub fn validate(&self) -> Result<()> {
        self.old_reference.validate()?;
        if self.new_references.is_empty() {
            return Err(Error::invalid("newReferences must not be empty"));
        }
        for reference in &self.new_references {
            reference.validate()?;
            same_filename(&self.old_reference.filename, reference, "a split request")?;
        }
        Ok(())
    }
}

impl ReplaceFileReferencesRequest {
    /// Checks the fields of this value (`CONTRACT.md` section 8).
    pub fn validate(&self) -> Result<()> {
        job_id(&self.job_id)?;
        partition_id("partition id", &self.partition_id)?;
        for input in &self.input_files {
            filename("input filename", input)?;
        }
        self.new_reference.validate()
    }
}

impl AssignJobIdRequest {
    /// Checks the fields of this value (`CONTRACT.md` section 8).
    pub fn validate(&self) -> Result<()> {
        job_id(&self.job_id)?;
        partition_id("partition id", &self.partition_id)?;
        for name in &self.filenames {
            filename("filename", name)?;
        }
        Ok(())
    }
}

impl CheckFileAssignmentsRequest {
    /// Checks the fields of this value (`CONTRACT.md` section 8).
    pub fn validate(&self) -> Result<()> {
        job_id(&self.job_id)?;
        for name in &self.filenames {
            filename("filename", name)?;
        }
        partition_id("partition id", &self.partition_id)
    }
}

/// Validates every item of a call's input list, in order.
pub fn all<T>(items: &[T], check: impl Fn(&T) -> Result<()>) -> Result<()> {
    items.iter().try_for_each(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_character_is_invalid_in_any_string() {
        assert!(matches!(
            filename("filename", "a\0b"),
            Err(Error::InvalidArgument { .. })
        ));
    }

    #[test]
    fn limits_count_utf8_bytes_and_name_the_field() {
        let at_limit = "é".repeat(MAX_PARTITION_ID_BYTES / 2);
        assert!(partition_id("partition id", &at_limit).is_ok());
        let over = format!("{at_limit}a");
        assert_eq!(
            partition_id("parent partition id", &over),
            Err(Error::invalid(format!(
                "parent partition id must be at most {MAX_PARTITION_ID_BYTES} bytes long, got {} bytes",
                MAX_PARTITION_ID_BYTES + 1
            )))
        );
        let value = KeyValue::Bytes(vec![0; MAX_KEY_VALUE_BYTES + 1]);
        assert!(key_value("min", &value).is_err());
    }

    #[test]
    fn an_empty_identifier_is_invalid() {
        assert!(matches!(
            FileReference::new("", "root", 1).validate(),
            Err(Error::InvalidArgument { .. })
        ));
    }

    #[test]
    fn rows_beyond_63_bits_are_invalid() {
        assert!(FileReference::new("f", "root", u64::MAX)
            .validate()
            .is_err());
        assert!(FileReference::new("f", "root", i64::MAX as u64)
            .validate()
            .is_ok());
    }

    #[test]
    fn a_split_request_needs_new_references() {
        let request = SplitFileReferenceRequest::new(FileReference::new("f", "root", 1), vec![]);
        assert_eq!(
            request.validate(),
            Err(Error::invalid("newReferences must not be empty"))
        );
    }

    #[test]
    fn a_region_takes_one_range_per_field() {
        let range = Range::new("key", KeyValue::Long(0), None);
        let region = Region::new(vec![range.clone(), range]);
        assert_eq!(
            region.validate(),
            Err(Error::invalid(
                "Should only provide one range per row key field"
            ))
        );
    }

    #[test]
    fn a_range_with_min_and_max_of_different_kinds_is_invalid() {
        let range = Range::new("key", KeyValue::Long(0), Some(KeyValue::String("a".into())));
        assert!(range.validate().is_err());
    }
}
