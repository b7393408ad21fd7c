//! Results: each is one allocation holding the public struct and everything it points to, so that
//! one `spg_..._free` frees it whole. The `Arena` turns the model's values into C values whose strings
//! and arrays it keeps; `owned` boxes a result with its arena. Every `spg_..._free` of a result is
//! here (the handles' are beside the functions that create them).

use std::any::Any;
use std::ffi::c_char;
use std::ptr;

use crate::error::{Error, Result};
use crate::model::{AllReferencesToAFile, FileReference, KeyValue, Partition, Range};
use crate::{Change, TransactionFailure};

use super::errors::{c_message, status_of, trampoline};
use super::types::{
    spg_all_references_to_a_file, spg_all_references_to_all_files, spg_change, spg_change_list,
    spg_change_summary, spg_file_reference, spg_file_reference_list, spg_key_value, spg_log_replay,
    spg_partition, spg_partition_files_map, spg_partition_list, spg_range,
    spg_split_file_reference_request, spg_string_list, spg_transaction_failure,
    spg_transaction_outcome, SPG_KEY_BYTES, SPG_KEY_INT, SPG_KEY_LONG, SPG_KEY_STRING,
};

/// Storage for the strings and arrays a result points to. Vectors never move their contents when
/// the vector itself moves, so the pointers handed out stay valid as long as the arena.
#[derive(Default)]
pub(super) struct Arena {
    keep: Vec<Box<dyn Any>>,
}

impl Arena {
    pub(super) fn array<T: 'static>(&mut self, items: Vec<T>) -> *const T {
        if items.is_empty() {
            return ptr::null();
        }
        let pointer = items.as_ptr();
        self.keep.push(Box::new(items));
        pointer
    }

    pub(super) fn text(&mut self, text: &str) -> Result<*const c_char> {
        self.nul_terminated(text.as_bytes(), "a string")
    }

    fn nul_terminated(&mut self, bytes: &[u8], what: &str) -> Result<*const c_char> {
        if bytes.contains(&0) {
            return Err(Error::connection(format!(
                "The store returned {what} holding U+0000"
            )));
        }
        let mut buffer = Vec::with_capacity(bytes.len() + 1);
        buffer.extend_from_slice(bytes);
        buffer.push(0);
        let pointer = buffer.as_ptr().cast::<c_char>();
        self.keep.push(Box::new(buffer));
        Ok(pointer)
    }

    fn optional_text(&mut self, text: Option<&str>) -> Result<*const c_char> {
        text.map_or(Ok(ptr::null()), |text| self.text(text))
    }

    /// An error's message, as the last error's is written: never fails.
    fn message(&mut self, error: &Error) -> *const c_char {
        let buffer = c_message(&error.to_string());
        let pointer = buffer.as_ptr().cast::<c_char>();
        self.keep.push(Box::new(buffer));
        pointer
    }

    pub(super) fn transaction_failure(
        &mut self,
        failure: &TransactionFailure,
    ) -> spg_transaction_failure {
        spg_transaction_failure {
            index: failure.index,
            status: status_of(&failure.error),
            message: self.message(&failure.error),
        }
    }

    pub(super) fn texts(&mut self, texts: &[String]) -> Result<(*const *const c_char, usize)> {
        let pointers = texts
            .iter()
            .map(|t| self.text(t))
            .collect::<Result<Vec<_>>>()?;
        Ok((self.array(pointers), texts.len()))
    }

    fn key_value(&mut self, value: &KeyValue) -> Result<spg_key_value> {
        let (key_type, int_value, data, len) = match value {
            KeyValue::Int(v) => (SPG_KEY_INT, i64::from(*v), ptr::null(), 0),
            KeyValue::Long(v) => (SPG_KEY_LONG, *v, ptr::null(), 0),
            KeyValue::String(s) => (SPG_KEY_STRING, 0, self.text(s)?.cast::<u8>(), s.len()),
            KeyValue::Bytes(b) => {
                let mut buffer = b.clone();
                // A NUL after the bytes too, so that an empty value still has a valid pointer.
                buffer.push(0);
                let pointer = buffer.as_ptr();
                self.keep.push(Box::new(buffer));
                (SPG_KEY_BYTES, 0, pointer, b.len())
            }
        };
        Ok(spg_key_value {
            key_type,
            int_value,
            data,
            len,
        })
    }

    fn range(&mut self, range: &Range) -> Result<spg_range> {
        Ok(spg_range {
            field_name: self.text(&range.field_name)?,
            min: self.key_value(&range.min)?,
            has_max: range.max.is_some(),
            max: match &range.max {
                Some(max) => self.key_value(max)?,
                None => ZERO_KEY,
            },
        })
    }

    pub(super) fn partition(&mut self, partition: &Partition) -> Result<spg_partition> {
        let ranges = partition
            .region
            .ranges
            .iter()
            .map(|r| self.range(r))
            .collect::<Result<Vec<_>>>()?;
        let range_count = ranges.len();
        let (child_partition_ids, child_partition_id_count) =
            self.texts(&partition.child_partition_ids)?;
        Ok(spg_partition {
            id: self.text(&partition.id)?,
            ranges: self.array(ranges),
            range_count,
            is_leaf_partition: partition.is_leaf_partition,
            parent_partition_id: self.optional_text(partition.parent_partition_id.as_deref())?,
            child_partition_ids,
            child_partition_id_count,
            dimension: partition.dimension,
        })
    }

    pub(super) fn partitions(&mut self, partitions: &[Partition]) -> Result<spg_partition_list> {
        let items = partitions
            .iter()
            .map(|p| self.partition(p))
            .collect::<Result<Vec<_>>>()?;
        Ok(spg_partition_list {
            count: items.len(),
            partitions: self.array(items),
        })
    }

    pub(super) fn reference(&mut self, reference: &FileReference) -> Result<spg_file_reference> {
        Ok(spg_file_reference {
            filename: self.text(&reference.filename)?,
            partition_id: self.text(&reference.partition_id)?,
            number_of_rows: reference.number_of_rows,
            job_id: self.optional_text(reference.job_id.as_deref())?,
            has_last_update_time: reference.last_update_time.is_some(),
            last_update_time_ms: reference
                .last_update_time
                .map_or(0, |t| t.timestamp_millis()),
            count_approximate: reference.count_approximate,
            only_contains_data_for_this_partition: reference.only_contains_data_for_this_partition,
        })
    }

    pub(super) fn references(
        &mut self,
        references: &[FileReference],
    ) -> Result<(*const spg_file_reference, usize)> {
        let items = references
            .iter()
            .map(|r| self.reference(r))
            .collect::<Result<Vec<_>>>()?;
        Ok((self.array(items), references.len()))
    }

    pub(super) fn file(
        &mut self,
        file: &AllReferencesToAFile,
    ) -> Result<spg_all_references_to_a_file> {
        let (references, reference_count) = self.references(&file.references)?;
        Ok(spg_all_references_to_a_file {
            filename: self.text(&file.filename)?,
            references,
            reference_count,
            has_last_update_time: file.last_update_time.is_some(),
            last_update_time_ms: file.last_update_time.map_or(0, |t| t.timestamp_millis()),
        })
    }
}

const ZERO_KEY: spg_key_value = spg_key_value {
    key_type: SPG_KEY_INT,
    int_value: 0,
    data: ptr::null(),
    len: 0,
};

/// A result: the public struct first, so that a pointer to it is a pointer to the whole.
#[repr(C)]
struct Owned<T> {
    value: T,
    arena: Arena,
}

pub(super) fn owned<T>(build: impl FnOnce(&mut Arena) -> Result<T>) -> Result<*mut T> {
    let mut arena = Arena::default();
    let value = build(&mut arena)?;
    Ok(Box::into_raw(Box::new(Owned { value, arena })).cast::<T>())
}

/// Frees a result made by `owned::<T>`.
unsafe fn free_owned<T>(pointer: *mut T) {
    let _ = trampoline(|| {
        if !pointer.is_null() {
            // SAFETY: the pointer came from `owned::<T>`, so it points at the start of a boxed
            // `Owned<T>` (repr(C), value first); by contract it is freed once.
            drop(unsafe { Box::from_raw(pointer.cast::<Owned<T>>()) });
        }
        Ok(())
    });
}

pub(super) fn new_string(text: &str) -> Result<*mut c_char> {
    let text =
        std::ffi::CString::new(text).map_err(|_| Error::connection("A string held U+0000"))?;
    Ok(text.into_raw())
}

/// Frees a string the library returned as `char *` (`spg_local_postgres_url`). Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_string_free(text: *mut c_char) {
    let _ = trampoline(|| {
        if !text.is_null() {
            // SAFETY: the string came from `new_string` (CString::into_raw) and is freed once.
            drop(unsafe { std::ffi::CString::from_raw(text) });
        }
        Ok(())
    });
}

pub(super) fn string_list(items: &[String]) -> Result<*mut spg_string_list> {
    owned(|arena| {
        let (items, count) = arena.texts(items)?;
        Ok(spg_string_list { items, count })
    })
}

pub(super) fn change_list(changes: &[Change]) -> Result<*mut spg_change_list> {
    owned(|arena| {
        let items = changes
            .iter()
            .map(|change| {
                let json = change.transaction_json.as_deref();
                Ok(spg_change {
                    sequence: change.sequence,
                    recorded_at_ms: change.recorded_at.timestamp_millis(),
                    transaction_type: arena.text(change.transaction_type.name())?,
                    transaction_json: arena.optional_text(json)?,
                    transaction_json_len: json.map_or(0, str::len),
                    summary: spg_change_summary {
                        files: change.summary.files,
                        references: change.summary.references,
                        jobs: change.summary.jobs,
                        partitions: change.summary.partitions,
                    },
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(spg_change_list {
            count: items.len(),
            changes: arena.array(items),
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Freeing results
// ---------------------------------------------------------------------------------------------

/// Frees a list of strings and the strings in it. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_string_list_free(list: *mut spg_string_list) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(list) }
}

/// Frees a list of partitions and everything they point to. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_partition_list_free(list: *mut spg_partition_list) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(list) }
}

/// Frees a partition returned by `spg_get_partition` and everything it points to. Accepts NULL.
/// (Never pass a partition that is an element of a list.)
#[no_mangle]
pub unsafe extern "C" fn spg_partition_free(partition: *mut spg_partition) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(partition) }
}

/// Frees a list of file references and everything they point to. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_file_reference_list_free(list: *mut spg_file_reference_list) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(list) }
}

/// Frees a partition-to-files map and everything it points to. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_partition_files_map_free(map: *mut spg_partition_files_map) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(map) }
}

/// Frees a report and everything it points to. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_all_references_to_all_files_free(
    report: *mut spg_all_references_to_all_files,
) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(report) }
}

/// Frees a list of change feed entries and everything they point to. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_change_list_free(list: *mut spg_change_list) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(list) }
}

/// Frees an outcome of `spg_apply_transaction` and the failures and messages in it. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_transaction_outcome_free(outcome: *mut spg_transaction_outcome) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(outcome) }
}

/// Frees a result of `spg_apply_transaction_log` and the failures and messages in it. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_log_replay_free(replay: *mut spg_log_replay) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(replay) }
}

/// Frees a request made by `spg_split_file_to_child_partitions`. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn spg_split_file_reference_request_free(
    request: *mut spg_split_file_reference_request,
) {
    // SAFETY: a result of this library, freed once, or NULL.
    unsafe { free_owned(request) }
}

#[cfg(test)]
mod tests {
    use crate::model::Region;

    use super::super::inputs;
    use super::*;

    #[test]
    fn a_result_round_trips_through_the_arena() {
        let partition = Partition {
            parent_partition_id: Some("root".into()),
            child_partition_ids: vec!["a".into(), "b".into()],
            ..Partition::new(
                "p",
                Region::new(vec![Range::new(
                    "k",
                    KeyValue::Bytes(vec![]),
                    Some(KeyValue::String("z".into())),
                )]),
            )
        };
        let pointer = owned(|arena| arena.partition(&partition)).unwrap();
        // SAFETY: just built; converted back and freed once.
        unsafe {
            let back = inputs::partition(pointer, "p").unwrap();
            assert_eq!(back, partition);
            spg_partition_free(pointer);
        }
    }
}
