//! Reads as Arrow: the file references and the partitions of a table, or of part of it, through the
//! Arrow C stream interface (`struct ArrowArrayStream`, defined at the top of the header as the Arrow
//! specification gives it). The caller passes a stream to fill; on success it owns the stream and
//! releases it with `out->release(out)` once read (or hands it to any Arrow library, which does); on
//! failure `out->release` is NULL.

use std::ffi::c_char;

use arrow_array::ffi_stream::FFI_ArrowArrayStream;

use crate::error::Result;
use crate::store::{ArrowBatches, ReadScope};
use crate::{block_on, StateStore};

use super::errors::{invalid, spg_status, trampoline};
use super::handles::{handle, spg_store};
use super::inputs::{region, texts};
use super::types::spg_range;

/// Every live reference of the table, by filename then partition id: columns `filename`,
/// `partition_id` (dictionary), `number_of_rows`, `job_id` (dictionary, nullable), `last_update_time`
/// (timestamp in milliseconds, UTC), `count_approximate`, `only_contains_data_for_this_partition`.
#[no_mangle]
pub unsafe extern "C" fn spg_get_file_references_arrow(
    store: *const spg_store,
    out: *mut FFI_ArrowArrayStream,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe {
        stream_out(store, out, async |store| {
            store.get_file_references_arrow(&ReadScope::Table).await
        })
    }
}

/// The live references on the `count` partitions named in `partition_ids` (borrowed), by partition id
/// then filename, in the columns of `spg_get_file_references_arrow`. `SPG_PARTITION_NOT_FOUND` for a
/// partition that does not exist.
#[no_mangle]
pub unsafe extern "C" fn spg_get_file_references_on_partitions_arrow(
    store: *const spg_store,
    partition_ids: *const *const c_char,
    count: usize,
    out: *mut FFI_ArrowArrayStream,
) -> spg_status {
    // SAFETY: passed on from the caller; `texts` checks for NULL.
    unsafe {
        stream_out(store, out, async |store| {
            let ids = texts(partition_ids, count, "partition_ids")?;
            store
                .get_file_references_arrow(&ReadScope::Partitions(ids))
                .await
        })
    }
}

/// The live references on the partitions overlapping the region of the `range_count` ranges at
/// `ranges` (borrowed; both ends of each range included), by partition id then filename, in the
/// columns of `spg_get_file_references_arrow`.
#[no_mangle]
pub unsafe extern "C" fn spg_get_file_references_in_region_arrow(
    store: *const spg_store,
    ranges: *const spg_range,
    range_count: usize,
    out: *mut FFI_ArrowArrayStream,
) -> spg_status {
    // SAFETY: passed on from the caller; `region` checks for NULL.
    unsafe {
        stream_out(store, out, async |store| {
            let region = region(ranges, range_count, "ranges")?;
            store
                .get_file_references_arrow(&ReadScope::Region(region))
                .await
        })
    }
}

/// Every partition, by id: columns `partition_id`, `is_leaf_partition`, `parent_partition_id`
/// (nullable), `child_partition_ids` (list), `dimension`, then for each row key field `<name>_min` and
/// `<name>_max` (null for no upper bound) of the field's type (int32, int64, utf8 or binary).
#[no_mangle]
pub unsafe extern "C" fn spg_get_partitions_arrow(
    store: *const spg_store,
    out: *mut FFI_ArrowArrayStream,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe {
        stream_out(store, out, async |store| {
            store.get_partitions_arrow(&ReadScope::Table).await
        })
    }
}

/// The partitions overlapping the region of the `range_count` ranges at `ranges` (borrowed; both ends
/// of each range included), by id, in the columns of `spg_get_partitions_arrow`.
#[no_mangle]
pub unsafe extern "C" fn spg_get_partitions_in_region_arrow(
    store: *const spg_store,
    ranges: *const spg_range,
    range_count: usize,
    out: *mut FFI_ArrowArrayStream,
) -> spg_status {
    // SAFETY: passed on from the caller; `region` checks for NULL.
    unsafe {
        stream_out(store, out, async |store| {
            let region = region(ranges, range_count, "ranges")?;
            store.get_partitions_arrow(&ReadScope::Region(region)).await
        })
    }
}

/// Fills `*out` with the stream of what `read` returns, or with a released stream on failure.
unsafe fn stream_out<F>(
    store: *const spg_store,
    out: *mut FFI_ArrowArrayStream,
    read: F,
) -> spg_status
where
    F: AsyncFnOnce(&StateStore) -> Result<ArrowBatches>,
{
    trampoline(|| {
        if out.is_null() {
            return Err(invalid("out must not be NULL"));
        }
        if !out.is_aligned() {
            return Err(invalid("out is not aligned"));
        }
        // SAFETY: `out` is non-null and aligned, and the caller promises it is valid for writes; what
        // it held is not ours to drop.
        unsafe { out.write(FFI_ArrowArrayStream::empty()) };
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        let batches = block_on(read(&store.store))?;
        // SAFETY: as above; the empty stream written first needs no release.
        unsafe { out.write(batches.into_ffi_stream()) };
        Ok(())
    })
}
