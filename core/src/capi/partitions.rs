//! The partition tree: building an initial tree (no database needed), initialising, splitting and
//! extending a table's tree, reading it, clearing it, and the partitions' clock.

use std::ffi::c_char;
use std::ptr;

use crate::error::Result;
use crate::model::Partition;
use crate::{block_on, StateStore};

use super::errors::{spg_status, with_out};
use super::handles::{handle, on_store, spg_store};
use super::inputs::{each, key_value, optional_update_time, partition, region, row_keys, text};
use super::results::owned;
use super::types::{
    spg_key_value, spg_partition, spg_partition_list, spg_range, spg_row_key_field, spg_time_ms,
};

// The helper that needs no database.

/// Sleeper's initial partition tree from sorted split points on row key field 0 (`CONTRACT.md` 2.7):
/// no split points give the single root partition `"root"`. Arguments are borrowed; `*out` is a new
/// list owned by the caller (free with `spg_partition_list_free`); NULL on failure. Invalid split
/// points are `SPG_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn spg_partitions_from_split_points(
    row_keys: *const spg_row_key_field,
    row_key_count: usize,
    split_points: *const spg_key_value,
    split_point_count: usize,
    out: *mut *mut spg_partition_list,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (row_keys, split_points) = unsafe {
            (
                self::row_keys(row_keys, row_key_count)?,
                each(
                    split_points,
                    split_point_count,
                    "split_points",
                    |v, what| key_value(v, what),
                )?,
            )
        };
        let partitions = crate::partitions_from_split_points(&row_keys, &split_points)?;
        owned(|arena| arena.partitions(&partitions))
    })
}

// The partitions of a table.

/// Replaces all partitions with the single root partition covering every key (`CONTRACT.md` 2.6).
/// `SPG_INITIALISE_WITH_FILES_PRESENT` if the table has any file.
#[no_mangle]
pub unsafe extern "C" fn spg_initialise(store: *const spg_store) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { on_store(store, |store| block_on(store.initialise())) }
}

/// Replaces all partitions with `partitions` (borrowed, `count` >= 1) once they form a valid tree
/// (`SPG_STATE_STORE` otherwise). `SPG_INITIALISE_WITH_FILES_PRESENT` if the table has any file.
#[no_mangle]
pub unsafe extern "C" fn spg_initialise_with_partitions(
    store: *const spg_store,
    partitions: *const spg_partition,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let partitions = each(partitions, count, "partitions", |p, what| {
                partition(p, what)
            })?;
            block_on(store.initialise_with_partitions(&partitions))
        })
    }
}

/// Splits a leaf: stores `split_partition` (the leaf, now with two children) and adds the two new
/// partitions, in one transaction, after the checks of `CONTRACT.md` 3.3. All three are borrowed.
#[no_mangle]
pub unsafe extern "C" fn spg_atomically_update_partition_and_create_new_ones(
    store: *const spg_store,
    split_partition: *const spg_partition,
    new_partition_1: *const spg_partition,
    new_partition_2: *const spg_partition,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let split = partition(split_partition, "split_partition")?;
            let new_1 = partition(new_partition_1, "new_partition_1")?;
            let new_2 = partition(new_partition_2, "new_partition_2")?;
            block_on(store.atomically_update_partition_and_create_new_ones(&split, &new_1, &new_2))
        })
    }
}

/// Sleeper's `SplitPartitionTransaction`: stores `parent` (a leaf, now split) and adds
/// `new_children`, which must be two, in one transaction (`docs/sleeper-transactions.md`). All
/// borrowed. A list of another length is `SPG_STATE_STORE` "Failed to validate partition split:
/// ...", whose cause (`spg_last_error_cause()`) is `SPG_INVALID_ARGUMENT` with the reason.
#[no_mangle]
pub unsafe extern "C" fn spg_split_partition(
    store: *const spg_store,
    parent: *const spg_partition,
    new_children: *const spg_partition,
    count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let parent = partition(parent, "parent")?;
            let new_children = each(new_children, count, "new_children", |p, what| {
                partition(p, what)
            })?;
            block_on(store.split_partition(&parent, &new_children))
        })
    }
}

/// Sleeper's `ExtendPartitionTreeTransaction`: stores the leaves in `update` (now split) and adds
/// `added`, any number of levels at once, in one transaction, once the whole resulting tree is valid
/// (`docs/sleeper-transactions.md`). All borrowed; both empty is an empty call. A resulting tree that
/// is not valid is `SPG_STATE_STORE` "Update results in invalid partition tree", whose cause
/// (`spg_last_error_cause()`) is `SPG_INVALID_ARGUMENT` with the reason.
#[no_mangle]
pub unsafe extern "C" fn spg_extend_partition_tree(
    store: *const spg_store,
    update: *const spg_partition,
    update_count: usize,
    added: *const spg_partition,
    added_count: usize,
) -> spg_status {
    // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
    unsafe {
        on_store(store, |store| {
            let update = each(update, update_count, "update", |p, what| partition(p, what))?;
            let added = each(added, added_count, "added", |p, what| partition(p, what))?;
            block_on(store.extend_partition_tree(&update, &added))
        })
    }
}

unsafe fn partition_query<F>(
    store: *const spg_store,
    out: *mut *mut spg_partition_list,
    query: F,
) -> spg_status
where
    F: AsyncFnOnce(&StateStore) -> Result<Vec<Partition>>,
{
    with_out(out, ptr::null_mut(), || {
        // SAFETY: a live handle or NULL (checked) by contract.
        let store = unsafe { handle(store, "store") }?;
        let partitions = block_on(query(&store.store))?;
        owned(|arena| arena.partitions(&partitions))
    })
}

/// All partitions, sorted by id. `*out` is a new list owned by the caller (free with
/// `spg_partition_list_free`); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn spg_get_all_partitions(
    store: *const spg_store,
    out: *mut *mut spg_partition_list,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { partition_query(store, out, async |store| store.get_all_partitions().await) }
}

/// The leaf partitions, sorted by id. `*out` as for `spg_get_all_partitions`.
#[no_mangle]
pub unsafe extern "C" fn spg_get_leaf_partitions(
    store: *const spg_store,
    out: *mut *mut spg_partition_list,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { partition_query(store, out, async |store| store.get_leaf_partitions().await) }
}

/// Every partition, leaf or not, overlapping the region of the `range_count` ranges at `ranges`
/// (borrowed; both ends of each range included, a row key field without a range matching any value),
/// sorted by id. `*out` as for `spg_get_all_partitions`.
#[no_mangle]
pub unsafe extern "C" fn spg_get_partitions_in_region(
    store: *const spg_store,
    ranges: *const spg_range,
    range_count: usize,
    out: *mut *mut spg_partition_list,
) -> spg_status {
    // SAFETY: passed on from the caller; `region` checks for NULL.
    unsafe {
        partition_query(store, out, async |store| {
            let region = region(ranges, range_count, "ranges")?;
            store.get_partitions_in_region(&region).await
        })
    }
}

/// The partition with id `partition_id` (borrowed). `*out` is a new partition owned by the caller
/// (free with `spg_partition_free`); NULL on failure. `SPG_PARTITION_NOT_FOUND` if there is none.
#[no_mangle]
pub unsafe extern "C" fn spg_get_partition(
    store: *const spg_store,
    partition_id: *const c_char,
    out: *mut *mut spg_partition,
) -> spg_status {
    with_out(out, ptr::null_mut(), || {
        // SAFETY: all arguments follow the module's contract; each conversion checks for NULL.
        let (store, partition_id) =
            unsafe { (handle(store, "store")?, text(partition_id, "partition_id")?) };
        let partition = block_on(store.store.get_partition(partition_id))?;
        owned(|arena| arena.partition(&partition))
    })
}

/// Removes every partition of the table; files stay. The table needs initialising again.
#[no_mangle]
pub unsafe extern "C" fn spg_clear_partition_data(store: *const spg_store) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe { on_store(store, |store| block_on(store.clear_partition_data())) }
}

/// From now on partition writes through this handle use `time_ms` (milliseconds since the epoch, UTC)
/// as "now"; `has_time` false returns to the database clock. Partitions carry no time yet. A time the
/// store cannot keep is `SPG_INVALID_ARGUMENT`, as for `spg_fix_file_update_time`.
#[no_mangle]
pub unsafe extern "C" fn spg_fix_partition_update_time(
    store: *const spg_store,
    has_time: bool,
    time_ms: spg_time_ms,
) -> spg_status {
    // SAFETY: passed on from the caller.
    unsafe {
        on_store(store, |store| {
            store.fix_partition_update_time(optional_update_time(has_time, time_ms)?)?;
            Ok(())
        })
    }
}
