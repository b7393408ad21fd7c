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

/// An identifier: a non-empty string the store can keep.
pub fn id(what: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(format!("{what} must not be empty")));
    }
    text(what, value)
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
        id("row key field name", &field.name)?;
        if !seen.insert(field.name.as_str()) {
            return Err(Error::invalid(format!(
                "Duplicate row key field name: {}",
                field.name
            )));
        }
    }
    Ok(())
}

fn key_value(what: &str, value: &KeyValue) -> Result<()> {
    match value {
        KeyValue::String(s) => text(what, s),
        _ => Ok(()),
    }
}

impl Range {
    /// Checks the fields of this value (`CONTRACT.md` section 8).
    pub fn validate(&self) -> Result<()> {
        id("field_name", &self.field_name)?;
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
        id("partition id", &self.id)?;
        self.region.validate()?;
        if let Some(parent) = &self.parent_partition_id {
            id("parent partition id", parent)?;
        }
        for child in &self.child_partition_ids {
            id("child partition id", child)?;
        }
        dimension(self.dimension)
    }
}

impl FileReference {
    /// Checks the fields of this value (`CONTRACT.md` section 8).
    pub fn validate(&self) -> Result<()> {
        id("filename", &self.filename)?;
        id("partition id", &self.partition_id)?;
        number_of_rows(self.number_of_rows)?;
        if let Some(job_id) = &self.job_id {
            id("job id", job_id)?;
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
        id("filename", &self.filename)?;
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
        id("job id", &self.job_id)?;
        id("partition id", &self.partition_id)?;
        for filename in &self.input_files {
            id("input filename", filename)?;
        }
        self.new_reference.validate()
    }
}

impl AssignJobIdRequest {
    /// Checks the fields of this value (`CONTRACT.md` section 8).
    pub fn validate(&self) -> Result<()> {
        id("job id", &self.job_id)?;
        id("partition id", &self.partition_id)?;
        for filename in &self.filenames {
            id("filename", filename)?;
        }
        Ok(())
    }
}

impl CheckFileAssignmentsRequest {
    /// Checks the fields of this value (`CONTRACT.md` section 8).
    pub fn validate(&self) -> Result<()> {
        id("job id", &self.job_id)?;
        for filename in &self.filenames {
            id("filename", filename)?;
        }
        id("partition id", &self.partition_id)
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
            id("filename", "a\0b"),
            Err(Error::InvalidArgument { .. })
        ));
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
