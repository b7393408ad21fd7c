//! Files and their references: adding files, splitting references down the tree (with the request
//! builder that needs no database), assigning compaction jobs and committing them, garbage
//! collection, the queries, clearing, and the files' clock.

use std::collections::BTreeMap;
use std::ffi::c_char;
use std::ptr;

use crate::error::Result;
use crate::model::{
    AllReferencesToAFile, AllReferencesToAllFiles, AssignJobIdRequest, CheckFileAssignmentsRequest,
    FileReference, ReplaceFileReferencesRequest, SplitFileReferenceRequest,
};
use crate::{block_on, StateStore};

use super::errors::{spg_status, with_out};
use super::handles::{handle, on_store, spg_store};
use super::inputs::{each, optional_update_time, reference, references, region, text, texts};
use super::results::{owned, string_list};
use super::types::{
    spg_all_references_to_a_file, spg_all_references_to_all_files, spg_assign_job_id_request,
    spg_check_file_assignments_request, spg_file_reference, spg_file_reference_list,
    spg_partition_files, spg_partition_files_map, spg_range, spg_replace_file_references_request,
    spg_split_file_reference_request, spg_string_list, spg_table_status, spg_time_ms,
};

// The helper that needs no database.

/// A request pushing `file` (borrowed) down to the two children of its partition, half its rows each,
/// marked approximate and not only this partition's data. `*out` is a new request owned by the
/// caller, to pass to `spg_split_file_references` and then free with
/// `spg_split_file_reference_request_free`; NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_split_file_to_child_partitions(
    file: *const spg_file_reference,
    left_partition_id: *const c_char,
    right_partition_id: *const c_char,
    out: *mut *mut spg_split_file_reference_request,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (file, left, right) = unsafe {
            (
                reference(handle(file, "file")?, "file")?,
                text(left_partition_id, "left_partition_id")?,
                text(right_partition_id, "right_partition_id")?,
            )
        };
        let request = SplitFileReferenceRequest::split_file_to_child_partitions(&file, left, right);
        request.validate()?;
        owned(|arena| {
            let (new_references, new_reference_count) =
                arena.references(&request.new_references)?;
            Ok(spg_split_file_reference_request {
                old_reference: arena.reference(&request.old_reference)?,
                new_references,
                new_reference_count,
            })
        })
    })
}

// The files of a table.

/// Adds one new file with one reference (borrowed): exactly `spg_add_files` with one reference.
#[no_mangle]
pub unsafe extern "C" fn spg_add_file(
    store: *const spg_store,
    reference: *const spg_file_reference,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let reference = self::reference(handle(reference, "reference")?, "reference")?;
            block_on(store.add_file(&reference))
        })
    }
}

/// Adds new files given as references (borrowed), grouped by filename: all references of a file must
/// be in the same call. `SPG_FILE_ALREADY_EXISTS`, `SPG_FILE_REFERENCE_ALREADY_EXISTS`.
#[no_mangle]
pub unsafe extern "C" fn spg_add_files(
    store: *const spg_store,
    references: *const spg_file_reference,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let references = self::references(references, count, "references")?;
            block_on(store.add_files(&references))
        })
    }
}

/// Adds new files (borrowed), each with zero or more references.
#[no_mangle]
pub unsafe extern "C" fn spg_add_files_with_references(
    store: *const spg_store,
    files: *const spg_all_references_to_a_file,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let files = each(files, count, "files", |file, what| {
                Ok(AllReferencesToAFile::new(
                    text(file.filename, &format!("{what}.filename"))?,
                    references(
                        file.references,
                        file.reference_count,
                        &format!("{what}.references"),
                    )?,
                ))
            })?;
            block_on(store.add_files_with_references(&files))
        })
    }
}

/// Splits file references (requests borrowed). On failure `SPG_SPLIT_REQUESTS_FAILED`, with the
/// specific error from `spg_last_error_cause()`; nothing is applied.
#[no_mangle]
pub unsafe extern "C" fn spg_split_file_references(
    store: *const spg_store,
    requests: *const spg_split_file_reference_request,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let requests = each(requests, count, "requests", |request, what| {
                Ok(SplitFileReferenceRequest::new(
                    reference(&request.old_reference, &format!("{what}.old_reference"))?,
                    references(
                        request.new_references,
                        request.new_reference_count,
                        &format!("{what}.new_references"),
                    )?,
                ))
            })?;
            block_on(store.split_file_references(&requests))
        })
    }
}

/// Assigns compaction jobs to file references (requests borrowed). `SPG_FILE_REFERENCE_NOT_FOUND`,
/// `SPG_FILE_REFERENCE_ASSIGNED_TO_JOB`; nothing is applied on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_assign_job_ids(
    store: *const spg_store,
    requests: *const spg_assign_job_id_request,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let requests = each(requests, count, "requests", |request, what| {
                Ok(AssignJobIdRequest::new(
                    text(request.job_id, &format!("{what}.job_id"))?,
                    text(request.partition_id, &format!("{what}.partition_id"))?,
                    texts(
                        request.filenames,
                        request.filename_count,
                        &format!("{what}.filenames"),
                    )?,
                ))
            })?;
            block_on(store.assign_job_ids(&requests))
        })
    }
}

/// Commits compaction jobs (requests borrowed). On failure `SPG_REPLACE_REQUESTS_FAILED`, with the
/// specific error from `spg_last_error_cause()`; nothing is applied.
#[no_mangle]
pub unsafe extern "C" fn spg_atomically_replace_file_references_with_new_ones(
    store: *const spg_store,
    requests: *const spg_replace_file_references_request,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let requests = each(requests, count, "requests", |request, what| {
                Ok(ReplaceFileReferencesRequest::new(
                    text(request.job_id, &format!("{what}.job_id"))?,
                    text(request.partition_id, &format!("{what}.partition_id"))?,
                    texts(
                        request.input_files,
                        request.input_file_count,
                        &format!("{what}.input_files"),
                    )?,
                    reference(&request.new_reference, &format!("{what}.new_reference"))?,
                ))
            })?;
            block_on(store.atomically_replace_file_references_with_new_ones(&requests))
        })
    }
}

/// Removes the records of garbage-collected files (`filenames` borrowed). `SPG_FILE_NOT_FOUND`,
/// `SPG_FILE_HAS_REFERENCES`; nothing is deleted on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_delete_garbage_collected_file_reference_counts(
    store: *const spg_store,
    filenames: *const *const c_char,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let filenames = texts(filenames, count, "filenames")?;
            block_on(store.delete_garbage_collected_file_reference_counts(&filenames))
        })
    }
}

unsafe fn reference_query<F>(
    store: *const spg_store,
    out: *mut *mut spg_file_reference_list,
    query: F,
) -> spg_status
where
    F: AsyncFnOnce(&StateStore) -> Result<Vec<FileReference>>,
{
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        let references = block_on(query(&store.store))?;
        owned(|arena| {
            let (references, count) = arena.references(&references)?;
            Ok(spg_file_reference_list { references, count })
        })
    })
}

/// Every reference of every file, by filename then partition id. `*out` is a new list owned by the
/// caller (free with `spg_file_reference_list_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_get_file_references(
    store: *const spg_store,
    out: *mut *mut spg_file_reference_list,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { reference_query(store, out, async |store| store.get_file_references().await) }
}

/// The references with no job. `*out` as for `spg_get_file_references`.
#[no_mangle]
pub unsafe extern "C" fn spg_get_file_references_with_no_job_id(
    store: *const spg_store,
    out: *mut *mut spg_file_reference_list,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe {
        reference_query(store, out, async |store| {
            store.get_file_references_with_no_job_id().await
        })
    }
}

/// The filenames of unreferenced files last updated strictly before `max_update_time_ms`
/// (milliseconds since the epoch, UTC), sorted. Any `int64_t` is a valid cutoff: one beyond what the
/// store can keep (`INT64_MAX`, `INT64_MIN`) compares as the nearest time it can keep. `*out` is a new
/// list owned by the caller (free with `spg_string_list_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_get_ready_for_gc_filenames_before(
    store: *const spg_store,
    max_update_time_ms: spg_time_ms,
    out: *mut *mut spg_string_list,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        let cutoff = crate::time::cutoff_from_millis(max_update_time_ms);
        string_list(&block_on(
            store.store.get_ready_for_gc_filenames_before(cutoff),
        )?)
    })
}

/// Each partition with references, to the filenames referenced on it. `*out` is a new map owned by
/// the caller (free with `spg_partition_files_map_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_get_partition_to_referenced_files_map(
    store: *const spg_store,
    out: *mut *mut spg_partition_files_map,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe {
        files_map_query(store, out, async |store| {
            store.get_partition_to_referenced_files_map().await
        })
    }
}

/// The live references on the `count` partitions named in `partition_ids` (borrowed), by partition id
/// then filename. `*out` as for `spg_get_file_references`. `SPG_PARTITION_NOT_FOUND` for a partition
/// that does not exist.
#[no_mangle]
pub unsafe extern "C" fn spg_get_file_references_on_partitions(
    store: *const spg_store,
    partition_ids: *const *const c_char,
    count: usize,
    out: *mut *mut spg_file_reference_list,
) -> spg_status {
    // SAFETY: passed on from the caller; `texts` checks for NULL.
    unsafe {
        reference_query(store, out, async |store| {
            let ids = texts(partition_ids, count, "partition_ids")?;
            store.get_file_references_on_partitions(&ids).await
        })
    }
}

/// The partitions named (as for `spg_get_file_references_on_partitions`) that have references, each
/// to its filenames. `*out` as for `spg_get_partition_to_referenced_files_map`.
#[no_mangle]
pub unsafe extern "C" fn spg_get_partition_to_referenced_files_map_on_partitions(
    store: *const spg_store,
    partition_ids: *const *const c_char,
    count: usize,
    out: *mut *mut spg_partition_files_map,
) -> spg_status {
    // SAFETY: passed on from the caller; `texts` checks for NULL.
    unsafe {
        files_map_query(store, out, async |store| {
            let ids = texts(partition_ids, count, "partition_ids")?;
            store
                .get_partition_to_referenced_files_map_on_partitions(&ids)
                .await
        })
    }
}

/// The partitions overlapping the region of the `range_count` ranges at `ranges` (borrowed; both ends
/// of each range included, a row key field without a range matching any value) that have references,
/// each to its filenames: the leaves a query reads and their ancestors. `*out` as for
/// `spg_get_partition_to_referenced_files_map`.
#[no_mangle]
pub unsafe extern "C" fn spg_get_partition_to_referenced_files_map_in_region(
    store: *const spg_store,
    ranges: *const spg_range,
    range_count: usize,
    out: *mut *mut spg_partition_files_map,
) -> spg_status {
    // SAFETY: passed on from the caller; `region` checks for NULL.
    unsafe {
        files_map_query(store, out, async |store| {
            let region = region(ranges, range_count, "ranges")?;
            store
                .get_partition_to_referenced_files_map_in_region(&region)
                .await
        })
    }
}

unsafe fn files_map_query<F>(
    store: *const spg_store,
    out: *mut *mut spg_partition_files_map,
    query: F,
) -> spg_status
where
    F: AsyncFnOnce(&StateStore) -> Result<BTreeMap<String, Vec<String>>>,
{
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        let map = block_on(query(&store.store))?;
        owned(|arena| {
            let entries = map
                .iter()
                .map(|(partition_id, filenames)| {
                    let (filenames, filename_count) = arena.texts(filenames)?;
                    Ok(spg_partition_files {
                        partition_id: arena.text(partition_id)?,
                        filenames,
                        filename_count,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(spg_partition_files_map {
                count: entries.len(),
                entries: arena.array(entries),
            })
        })
    })
}

/// Every referenced file with its references and time, plus the first `max_unreferenced_files`
/// (0 to 2^31 - 1) unreferenced files by filename. `*out` is a new report owned by the caller (free
/// with `spg_all_references_to_all_files_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_get_all_files_with_max_unreferenced(
    store: *const spg_store,
    max_unreferenced_files: u64,
    out: *mut *mut spg_all_references_to_all_files,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        let report: AllReferencesToAllFiles = block_on(
            store
                .store
                .get_all_files_with_max_unreferenced(max_unreferenced_files),
        )?;
        owned(|arena| {
            let files = report
                .files
                .iter()
                .map(|f| arena.file(f))
                .collect::<Result<Vec<_>>>()?;
            Ok(spg_all_references_to_all_files {
                file_count: files.len(),
                files: arena.array(files),
                more_than_max: report.more_than_max,
            })
        })
    })
}

/// Sets `*out` to whether every named file's reference on `partition_id` has `job_id` (true for no
/// filenames); all arguments borrowed. `SPG_FILE_REFERENCE_NOT_FOUND` for a missing reference,
/// `SPG_FILE_REFERENCE_ASSIGNED_TO_JOB` for one with another job. `*out` is false on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_is_partition_files_assigned_to_job(
    store: *const spg_store,
    partition_id: *const c_char,
    filenames: *const *const c_char,
    filename_count: usize,
    job_id: *const c_char,
    out: *mut bool,
) -> spg_status {
    with_out(out, false, || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (store, partition_id, filenames, job_id) = unsafe {
            (
                handle(store, "store")?,
                text(partition_id, "partition_id")?,
                texts(filenames, filename_count, "filenames")?,
                text(job_id, "job_id")?,
            )
        };
        block_on(
            store
                .store
                .is_partition_files_assigned_to_job(partition_id, &filenames, job_id),
        )
    })
}

/// Sleeper's `isAssigned`: sets `*out` to whether every named reference of every request (all
/// borrowed) has its request's job (true for no requests). Walking the requests and their filenames in
/// order, a missing reference is `SPG_FILE_REFERENCE_NOT_FOUND` and one with another job
/// `SPG_FILE_REFERENCE_ASSIGNED_TO_JOB`; one with no job makes the answer false. `*out` is false on
/// failure.
#[no_mangle]
pub unsafe extern "C" fn spg_is_assigned(
    store: *const spg_store,
    requests: *const spg_check_file_assignments_request,
    count: usize,
    out: *mut bool,
) -> spg_status {
    with_out(out, false, || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (store, requests) = unsafe {
            (
                handle(store, "store")?,
                each(requests, count, "requests", |request, what| {
                    Ok(CheckFileAssignmentsRequest::new(
                        text(request.job_id, &format!("{what}.job_id"))?,
                        texts(
                            request.filenames,
                            request.filename_count,
                            &format!("{what}.filenames"),
                        )?,
                        text(request.partition_id, &format!("{what}.partition_id"))?,
                    ))
                })?,
            )
        };
        block_on(store.store.is_assigned(&requests))
    })
}

/// Sets `*out` to whether the table has no file record at all (unreferenced files count as files).
/// `*out` is false on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_has_no_files(store: *const spg_store, out: *mut bool) -> spg_status {
    with_out(out, false, || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        block_on(store.store.has_no_files())
    })
}

/// The table's counts of partitions, files, references and jobs, and its oldest waiting reference and
/// unreferenced file, in one snapshot, written to `*out` (zeroed on failure).
#[no_mangle]
pub unsafe extern "C" fn spg_store_status(
    store: *const spg_store,
    out: *mut spg_table_status,
) -> spg_status {
    with_out(out, spg_table_status::default(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        let status = block_on(store.store.status())?;
        let time = |time: Option<crate::Timestamp>| time.map_or(0, |t| t.timestamp_millis());
        Ok(spg_table_status {
            partitions: status.partitions,
            leaf_partitions: status.leaf_partitions,
            files: status.files,
            references: status.references,
            references_with_no_job: status.references_with_no_job,
            jobs_in_flight: status.jobs_in_flight,
            unreferenced_files: status.unreferenced_files,
            has_oldest_reference_with_no_job: status.oldest_reference_with_no_job.is_some(),
            oldest_reference_with_no_job_ms: time(status.oldest_reference_with_no_job),
            has_oldest_unreferenced_file: status.oldest_unreferenced_file.is_some(),
            oldest_unreferenced_file_ms: time(status.oldest_unreferenced_file),
        })
    })
}

/// Removes every file record and reference of the table; partitions stay.
#[no_mangle]
pub unsafe extern "C" fn spg_clear_file_data(store: *const spg_store) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { on_store(store, |store| block_on(store.clear_file_data())) }
}

/// Removes every file and partition of the table; it needs initialising again.
#[no_mangle]
pub unsafe extern "C" fn spg_clear_sleeper_table(store: *const spg_store) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { on_store(store, |store| block_on(store.clear_sleeper_table())) }
}

/// From now on file writes through this handle (not other handles on the table) use `time_ms`
/// (milliseconds since the epoch, UTC) as "now"; `has_time` false returns to the database clock. A
/// time the store cannot keep (outside the years 1 to 9999, UTC) is `SPG_INVALID_ARGUMENT`,
/// and the clock stays as it was.
#[no_mangle]
pub unsafe extern "C" fn spg_fix_file_update_time(
    store: *const spg_store,
    has_time: bool,
    time_ms: spg_time_ms,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe {
        on_store(store, |store| {
            store.fix_file_update_time(optional_update_time(has_time, time_ms)?)?;
            Ok(())
        })
    }
}
