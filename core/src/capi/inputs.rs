//! Inputs: borrowed C values to the model's values. Every conversion checks for NULL, invalid UTF-8,
//! unknown type tags and counts without an array, and names the argument at fault in its error
//! (`SPG_INVALID_ARGUMENT`).

use std::ffi::{c_char, CStr};

use crate::error::Result;
use crate::model::{
    FileReference, KeyType, KeyValue, Partition, Range, Region, RowKeyField, Timestamp,
};

use super::errors::invalid;
use super::handles::handle;
use super::types::{
    spg_file_reference, spg_key_type, spg_key_value, spg_partition, spg_range, spg_row_key_field,
    spg_time_ms, SPG_KEY_BYTES, SPG_KEY_INT, SPG_KEY_LONG, SPG_KEY_STRING,
};

pub(super) unsafe fn text<'a>(pointer: *const c_char, what: &str) -> Result<&'a str> {
    if pointer.is_null() {
        return Err(invalid(format!("{what} must not be NULL")));
    }
    // SAFETY: non-null, and the caller promises a NUL-terminated string valid for the call.
    let text = unsafe { CStr::from_ptr(pointer) };
    text.to_str()
        .map_err(|_| invalid(format!("{what} is not valid UTF-8")))
}

pub(super) unsafe fn optional_text(pointer: *const c_char, what: &str) -> Result<Option<String>> {
    if pointer.is_null() {
        return Ok(None);
    }
    // SAFETY: passed on from the caller.
    Ok(Some(unsafe { text(pointer, what) }?.to_owned()))
}

/// The array behind a pointer and count: empty for a count of 0 whatever the pointer.
pub(super) unsafe fn slice<'a, T>(pointer: *const T, count: usize, what: &str) -> Result<&'a [T]> {
    if count == 0 {
        return Ok(&[]);
    }
    if pointer.is_null() {
        return Err(invalid(format!("{what} is NULL but its count is {count}")));
    }
    if !pointer.is_aligned() {
        return Err(invalid(format!("{what} is not aligned")));
    }
    if count > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(invalid(format!(
            "The count of {what}, {count}, is too large"
        )));
    }
    // SAFETY: non-null, aligned, the size fits in isize, and the caller promises `count` elements.
    Ok(unsafe { std::slice::from_raw_parts(pointer, count) })
}

pub(super) unsafe fn texts(
    pointer: *const *const c_char,
    count: usize,
    what: &str,
) -> Result<Vec<String>> {
    // SAFETY: passed on from the caller.
    let pointers = unsafe { slice(pointer, count, what) }?;
    pointers
        .iter()
        .enumerate()
        // SAFETY: each element is a C string by contract; NULL is checked.
        .map(|(i, &p)| Ok(unsafe { text(p, &format!("{what}[{i}]")) }?.to_owned()))
        .collect()
}

fn key_type(tag: spg_key_type, what: &str) -> Result<KeyType> {
    match tag {
        SPG_KEY_INT => Ok(KeyType::Int),
        SPG_KEY_LONG => Ok(KeyType::Long),
        SPG_KEY_STRING => Ok(KeyType::String),
        SPG_KEY_BYTES => Ok(KeyType::Bytes),
        other => Err(invalid(format!(
            "{what} has unknown key type {other}: expected SPG_KEY_INT, SPG_KEY_LONG, SPG_KEY_STRING or SPG_KEY_BYTES"
        ))),
    }
}

pub(super) unsafe fn key_value(value: &spg_key_value, what: &str) -> Result<KeyValue> {
    match key_type(value.key_type, what)? {
        KeyType::Int => i32::try_from(value.int_value)
            .map(KeyValue::Int)
            .map_err(|_| {
                invalid(format!(
                    "{what} is an int but {} does not fit in 32 bits",
                    value.int_value
                ))
            }),
        KeyType::Long => Ok(KeyValue::Long(value.int_value)),
        KeyType::String => {
            // SAFETY: passed on from the caller: `data` holds `len` bytes.
            let bytes = unsafe { slice(value.data, value.len, &format!("{what}.data")) }?;
            let text = std::str::from_utf8(bytes)
                .map_err(|_| invalid(format!("{what} is not valid UTF-8")))?;
            Ok(KeyValue::String(text.to_owned()))
        }
        KeyType::Bytes => {
            // SAFETY: as above.
            let bytes = unsafe { slice(value.data, value.len, &format!("{what}.data")) }?;
            Ok(KeyValue::Bytes(bytes.to_vec()))
        }
    }
}

pub(super) unsafe fn row_keys(
    fields: *const spg_row_key_field,
    count: usize,
) -> Result<Vec<RowKeyField>> {
    // SAFETY: passed on from the caller.
    let fields = unsafe { slice(fields, count, "row_keys") }?;
    fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let what = format!("row_keys[{i}]");
            // SAFETY: `name` is a C string by contract; NULL is checked.
            let name = unsafe { text(field.name, &format!("{what}.name")) }?;
            Ok(RowKeyField::new(name, key_type(field.key_type, &what)?))
        })
        .collect()
}

unsafe fn range(range: &spg_range, what: &str) -> Result<Range> {
    // SAFETY: the fields follow the contract; each conversion checks for NULL.
    unsafe {
        Ok(Range::new(
            text(range.field_name, &format!("{what}.field_name"))?,
            key_value(&range.min, &format!("{what}.min"))?,
            if range.has_max {
                Some(key_value(&range.max, &format!("{what}.max"))?)
            } else {
                None
            },
        ))
    }
}

/// The region of the `count` ranges at `ranges`.
pub(super) unsafe fn region(ranges: *const spg_range, count: usize, what: &str) -> Result<Region> {
    // SAFETY: passed on from the caller; each range's fields follow the contract.
    unsafe {
        let ranges = slice(ranges, count, what)?
            .iter()
            .enumerate()
            .map(|(i, r)| range(r, &format!("{what}[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        Ok(Region::new(ranges))
    }
}

pub(super) unsafe fn partition(partition: *const spg_partition, what: &str) -> Result<Partition> {
    // SAFETY: passed on from the caller.
    let partition = unsafe { handle(partition, what) }?;
    // SAFETY: the fields follow the contract; each conversion checks for NULL and counts.
    unsafe {
        Ok(Partition {
            id: text(partition.id, &format!("{what}.id"))?.to_owned(),
            region: region(
                partition.ranges,
                partition.range_count,
                &format!("{what}.ranges"),
            )?,
            is_leaf_partition: partition.is_leaf_partition,
            parent_partition_id: optional_text(
                partition.parent_partition_id,
                &format!("{what}.parent_partition_id"),
            )?,
            child_partition_ids: texts(
                partition.child_partition_ids,
                partition.child_partition_id_count,
                &format!("{what}.child_partition_ids"),
            )?,
            dimension: partition.dimension,
        })
    }
}

pub(super) unsafe fn reference(
    reference: &spg_file_reference,
    what: &str,
) -> Result<FileReference> {
    // SAFETY: the fields follow the contract; each conversion checks for NULL.
    unsafe {
        Ok(FileReference {
            filename: text(reference.filename, &format!("{what}.filename"))?.to_owned(),
            partition_id: text(reference.partition_id, &format!("{what}.partition_id"))?.to_owned(),
            number_of_rows: reference.number_of_rows,
            job_id: optional_text(reference.job_id, &format!("{what}.job_id"))?,
            // Supplied times never reach the store (CONTRACT.md 7).
            last_update_time: None,
            count_approximate: reference.count_approximate,
            only_contains_data_for_this_partition: reference.only_contains_data_for_this_partition,
        })
    }
}

pub(super) unsafe fn references(
    pointer: *const spg_file_reference,
    count: usize,
    what: &str,
) -> Result<Vec<FileReference>> {
    // SAFETY: passed on from the caller.
    let items = unsafe { slice(pointer, count, what) }?;
    items
        .iter()
        .enumerate()
        // SAFETY: each element follows the contract.
        .map(|(i, r)| unsafe { reference(r, &format!("{what}[{i}]")) })
        .collect()
}

/// Converts each element of a C array with `convert`, naming it `what[i]` in errors.
pub(super) unsafe fn each<T, U>(
    pointer: *const T,
    count: usize,
    what: &str,
    convert: impl Fn(&T, &str) -> Result<U>,
) -> Result<Vec<U>> {
    // SAFETY: passed on from the caller.
    let items = unsafe { slice(pointer, count, what) }?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| convert(item, &format!("{what}[{i}]")))
        .collect()
}

/// A fixed clock: `None` without a time, else a time the store can keep (invalid input otherwise).
pub(super) fn optional_update_time(
    has_time: bool,
    millis: spg_time_ms,
) -> Result<Option<Timestamp>> {
    has_time
        .then(|| crate::time::update_time_from_millis(millis))
        .transpose()
}
