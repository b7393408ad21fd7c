//! The rules of the partition tree: what makes a tree valid for `initialise` and a split valid for
//! `atomically_update_partition_and_create_new_ones` (`CONTRACT.md` 3.3), and Sleeper's initial tree
//! from split points (2.7). Pure functions; `store` reads and writes the rows.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::keys::{coerce_to_field, compare_keys, describe, validate_region, whole_key_space};
use crate::model::{KeyValue, Partition, Range, RowKeyField};

const SPLIT_PREFIX: &str = "Failed to validate partition split: ";

/// The root partition of a table that has not been split (2.6).
pub fn root_partition(row_keys: &[RowKeyField]) -> Partition {
    Partition::new("root", whole_key_space(row_keys))
}

/// The partition with its region checked against the table and its values of the fields' types, or
/// why its region is invalid.
fn with_valid_region(partition: &Partition, row_keys: &[RowKeyField]) -> Result<Partition, String> {
    let region = validate_region(&partition.region, row_keys)
        .map_err(|why| format!("Invalid region in partition {}: {why}", partition.id))?;
    Ok(Partition {
        region,
        ..partition.clone()
    })
}

/// A split that fails Sleeper's `PartitionTree.validateSplit`: a plain `StateStoreException` whose
/// message carries the reason, which is also its cause (Sleeper's `IllegalArgumentException`).
fn split_failure(reason: String) -> Error {
    Error::state_store_caused_by(format!("{SPLIT_PREFIX}{reason}"), reason)
}

fn range_on<'a>(partition: &'a Partition, field: &RowKeyField) -> Option<&'a Range> {
    partition.region.range(&field.name)
}

fn keys_equal(a: &KeyValue, b: &KeyValue) -> bool {
    compare_keys(a, b) == Some(Ordering::Equal)
}

fn max_meets_min(max: &Option<KeyValue>, min: &KeyValue) -> bool {
    max.as_ref().is_some_and(|max| keys_equal(max, min))
}

fn maxes_equal(a: &Option<KeyValue>, b: &Option<KeyValue>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => keys_equal(a, b),
        _ => false,
    }
}

/// Split check 5: the parent's dimension names a row key field.
fn split_field<'a>(
    parent: &Partition,
    row_keys: &'a [RowKeyField],
) -> Result<&'a RowKeyField, String> {
    usize::try_from(parent.dimension)
        .ok()
        .and_then(|d| row_keys.get(d))
        .ok_or_else(|| {
            format!(
                "No row key at dimension {} for parent partition {}",
                parent.dimension, parent.id
            )
        })
}

/// Split checks 5 and 7 to 10 (without the message prefix) on partitions with valid regions: the two
/// children tile the parent on its dimension and match it on every other. Returns (left, right).
fn check_children<'a>(
    parent: &Partition,
    first: &'a Partition,
    second: &'a Partition,
    row_keys: &[RowKeyField],
) -> Result<(&'a Partition, &'a Partition), String> {
    let field = split_field(parent, row_keys)?;
    let dimension = parent.dimension;
    let missing = || {
        format!(
            "no range on field {} in a child of {}",
            field.name, parent.id
        )
    };
    let (first_range, second_range) = (
        range_on(first, field).ok_or_else(missing)?,
        range_on(second, field).ok_or_else(missing)?,
    );
    let (left, right) = if max_meets_min(&first_range.max, &second_range.min) {
        (first, second)
    } else if max_meets_min(&second_range.max, &first_range.min) {
        (second, first)
    } else {
        return Err(format!(
            "Child partitions do not meet at a split point on dimension {dimension} set in parent partition {}",
            parent.id
        ));
    };
    if parent.child_partition_ids != [left.id.as_str(), right.id.as_str()] {
        return Err(format!(
            "Child partition IDs do not match expected order in parent partition {}, expected: [{}, {}]",
            parent.id, left.id, right.id
        ));
    }
    let parent_range = range_on(parent, field).ok_or_else(missing)?;
    let (left_range, right_range) = (
        range_on(left, field).ok_or_else(missing)?,
        range_on(right, field).ok_or_else(missing)?,
    );
    if !keys_equal(&left_range.min, &parent_range.min) {
        return Err(format!(
            "Left child partition {} does not match boundary of parent {}",
            left.id, parent.id
        ));
    }
    if !maxes_equal(&right_range.max, &parent_range.max) {
        return Err(format!(
            "Right child partition {} does not match boundary of parent {}",
            right.id, parent.id
        ));
    }
    for child in [left, right] {
        for (k, other) in row_keys.iter().enumerate() {
            if other.name == field.name {
                continue;
            }
            if range_on(child, other) != range_on(parent, other) {
                return Err(format!(
                    "Child partition {} does not match parent {} on dimension {k}",
                    child.id, parent.id
                ));
            }
        }
    }
    Ok((left, right))
}

/// Checks a split of `stored` (the partition as stored, if it is) into `children` (3.3, checks 1 to
/// 13, with Sleeper's check that there are two children before check 5) and returns the partitions
/// to write, the split partition first, with regions of the fields' types. `is_stored` tells whether
/// a partition id is already taken in the table.
pub fn validate_split(
    stored: Option<&Partition>,
    split: &Partition,
    children: &[Partition],
    row_keys: &[RowKeyField],
    is_stored: impl Fn(&str) -> bool,
) -> Result<Vec<Partition>> {
    let stored = stored.ok_or_else(|| Error::PartitionNotFound {
        partition_id: split.id.clone(),
        message: "Parent partition not found".to_owned(),
    })?;
    if !stored.is_leaf_partition {
        return Err(Error::state_store("Parent should be a leaf partition"));
    }
    if split.is_leaf_partition {
        return Err(Error::state_store(
            "Parent should not be a leaf partition after split",
        ));
    }
    let unchanged_region =
        validate_region(&split.region, row_keys).is_ok_and(|region| region == stored.region);
    if !unchanged_region || split.parent_partition_id != stored.parent_partition_id {
        return Err(Error::state_store(format!(
            "Split must not change the region or parent of partition {}",
            split.id
        )));
    }
    let split = Partition {
        region: stored.region.clone(),
        ..split.clone()
    };
    let [first, second] = children else {
        return Err(split_failure(format!(
            "Expected 2 child partitions under {}, left and right of split point, found {}",
            split.id,
            children.len()
        )));
    };
    split_field(&split, row_keys).map_err(split_failure)?;
    let typed = [first, second]
        .into_iter()
        .map(|child| with_valid_region(child, row_keys).map_err(Error::state_store))
        .collect::<Result<Vec<_>>>()?;
    check_children(&split, &typed[0], &typed[1], row_keys).map_err(split_failure)?;
    for (index, child) in typed.iter().enumerate() {
        let repeated = typed[..index].iter().any(|other| other.id == child.id)
            || typed[index + 1..].iter().any(|other| other.id == child.id);
        if is_stored(&child.id) || repeated {
            return Err(Error::state_store("Child partition should not be present"));
        }
        if child.parent_partition_id.as_deref() != Some(split.id.as_str()) {
            return Err(Error::state_store(format!(
                "Parent ID does not match on child: {}",
                child.id
            )));
        }
        if !child.is_leaf_partition || !child.child_partition_ids.is_empty() {
            return Err(Error::state_store(format!(
                "Child should be a leaf partition: {}",
                child.id
            )));
        }
    }
    Ok(std::iter::once(split).chain(typed).collect())
}

/// Checks an extension of the tree `stored` (every partition of the table) by `update` (leaves now
/// split) and `new` (partitions to add), as Sleeper's `ExtendPartitionTreeTransaction` does, each
/// against the tree left by the ones before it; then the whole resulting tree (`initialise` checks 2
/// to 10). Returns the partitions to write, `update` then `new`, with regions of the fields' types.
pub fn validate_extension(
    stored: &[Partition],
    update: &[Partition],
    new: &[Partition],
    row_keys: &[RowKeyField],
) -> Result<Vec<Partition>> {
    let mut tree: HashMap<&str, &Partition> = stored.iter().map(|p| (p.id.as_str(), p)).collect();
    for partition in update {
        let id = partition.id.as_str();
        let Some(existing) = tree.get(id) else {
            return Err(Error::state_store(format!(
                "Attempted to update a partition which does not exist: {id}"
            )));
        };
        if !existing.is_leaf_partition {
            return Err(Error::state_store(format!(
                "Attempted to update a partition which has already been split: {id}"
            )));
        }
        if partition.is_leaf_partition {
            return Err(Error::state_store(format!(
                "Attempted to update a partition without splitting it: {id}"
            )));
        }
        tree.insert(id, partition);
    }
    for partition in new {
        if tree.insert(partition.id.as_str(), partition).is_some() {
            return Err(Error::state_store(format!(
                "Attempted to add a partition which already exists: {}",
                partition.id
            )));
        }
    }
    let written: HashSet<&str> = update.iter().chain(new).map(|p| p.id.as_str()).collect();
    let whole: Vec<Partition> = tree.into_values().cloned().collect();
    let typed = check_tree(&whole, row_keys).map_err(|reason| {
        Error::state_store_caused_by("Update results in invalid partition tree", reason)
    })?;
    let mut by_id: HashMap<String, Partition> = typed
        .into_iter()
        .filter(|p| written.contains(p.id.as_str()))
        .map(|p| (p.id.clone(), p))
        .collect();
    Ok(update
        .iter()
        .chain(new)
        .filter_map(|p| by_id.remove(&p.id))
        .collect())
}

/// Checks that `partitions` form a valid tree for the table (3.3, `initialise` checks 1 to 10) and
/// returns them with regions of the fields' types.
pub fn validate_tree(partitions: &[Partition], row_keys: &[RowKeyField]) -> Result<Vec<Partition>> {
    check_tree(partitions, row_keys).map_err(Error::state_store)
}

/// [`validate_tree`]'s checks, giving the reason a tree is invalid.
fn check_tree(
    partitions: &[Partition],
    row_keys: &[RowKeyField],
) -> Result<Vec<Partition>, String> {
    if partitions.is_empty() {
        return Err("At least one partition must be provided".to_owned());
    }
    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(partitions.len());
    for (index, partition) in partitions.iter().enumerate() {
        if by_id.insert(partition.id.as_str(), index).is_some() {
            return Err(format!("Duplicate partition ID: {}", partition.id));
        }
    }
    let typed = partitions
        .iter()
        .map(|p| with_valid_region(p, row_keys))
        .collect::<Result<Vec<_>, String>>()?;
    let roots: Vec<&Partition> = typed
        .iter()
        .filter(|p| p.parent_partition_id.is_none())
        .collect();
    let [root] = roots.as_slice() else {
        return Err(format!(
            "There should be exactly one root partition, found {}",
            roots.len()
        ));
    };
    let get = |id: &str| by_id.get(id).map(|&index| &typed[index]);

    // Linked: reached from the root through child lists whose children name their lister as parent.
    let mut linked: HashSet<&str> = HashSet::from([root.id.as_str()]);
    let mut frontier = vec![*root];
    while let Some(node) = frontier.pop() {
        for child_id in &node.child_partition_ids {
            if let Some(child) = get(child_id) {
                if child.parent_partition_id.as_deref() == Some(node.id.as_str())
                    && linked.insert(child.id.as_str())
                {
                    frontier.push(child);
                }
            }
        }
    }
    let unlinked: Vec<&str> = typed
        .iter()
        .map(|p| p.id.as_str())
        .filter(|id| !linked.contains(id))
        .collect();
    if !unlinked.is_empty() {
        return Err(format!(
            "Found partitions unlinked to the rest of the tree: [{}]",
            unlinked.join(", ")
        ));
    }
    let missing: Vec<&str> = typed
        .iter()
        .flat_map(|p| p.child_partition_ids.iter())
        .map(String::as_str)
        .filter(|id| get(id).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "Found missing child partitions: [{}]",
            missing.join(", ")
        ));
    }
    for partition in &typed {
        for child_id in &partition.child_partition_ids {
            let parent = get(child_id).and_then(|child| child.parent_partition_id.as_deref());
            if parent != Some(partition.id.as_str()) {
                return Err(format!(
                    "Partition {child_id} is listed as a child of {} but has parent {}",
                    partition.id,
                    parent.unwrap_or("none")
                ));
            }
        }
    }
    check_splits(root, &get, row_keys)?;
    Ok(typed)
}

/// Checks 8 to 10 partition by partition, depth first from `root`, children in listed order. A loop
/// with a stack rather than recursion: a tree may be as deep as it has partitions.
fn check_splits<'a>(
    root: &'a Partition,
    get: &impl Fn(&str) -> Option<&'a Partition>,
    row_keys: &[RowKeyField],
) -> Result<(), String> {
    let mut stack = vec![root];
    while let Some(partition) = stack.pop() {
        let children = &partition.child_partition_ids;
        if partition.is_leaf_partition {
            if !children.is_empty() {
                return Err(format!(
                    "Partition has {} child partitions but is marked as a leaf partition: {}",
                    children.len(),
                    partition.id
                ));
            }
            continue;
        }
        let [first, second] = children.as_slice() else {
            return Err(format!(
                "Expected 2 child partitions under {}, left and right of split point, found {}",
                partition.id,
                children.len()
            ));
        };
        // Both exist: the check for missing children ran before this walk.
        let (Some(first), Some(second)) = (get(first), get(second)) else {
            return Err(format!(
                "Found missing child partitions: [{first}, {second}]"
            ));
        };
        check_children(partition, first, second, row_keys)?;
        stack.push(second);
        stack.push(first);
    }
    Ok(())
}

fn new_partition_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Sleeper's initial tree from sorted split points on the first row key field (2.7): the leaves left to
/// right, then each layer of parents up to the root. No split points give the single `"root"`.
pub fn partitions_from_split_points(
    row_keys: &[RowKeyField],
    split_points: &[KeyValue],
) -> Result<Vec<Partition>> {
    crate::validate::row_keys(row_keys)?;
    if split_points.is_empty() {
        return Ok(vec![root_partition(row_keys)]);
    }
    let field = &row_keys[0];
    let mut points = Vec::with_capacity(split_points.len());
    for point in split_points {
        crate::validate::key_value("split point", point)?;
        let typed = coerce_to_field(point, field.key_type).map_err(|_| {
            Error::invalid(format!(
                "Invalid split point: {} should be of type {}",
                describe(point),
                field.key_type.name()
            ))
        })?;
        let previous = points.last().unwrap_or(&field.key_type.minimum()).clone();
        if compare_keys(&previous, &typed) != Some(Ordering::Less) {
            let message = if points.is_empty() {
                format!(
                    "Invalid split point: {} should be greater than the minimum value of type {}, {}",
                    describe(&typed),
                    field.key_type.name(),
                    describe(&previous)
                )
            } else {
                format!(
                    "Invalid split point: {} should be less than {}",
                    describe(&previous),
                    describe(&typed)
                )
            };
            return Err(Error::invalid(message));
        }
        points.push(typed);
    }

    let whole = whole_key_space(row_keys);
    let with_dimension_0 = |min: KeyValue, max: Option<KeyValue>| {
        let mut region = whole.clone();
        region.ranges[0] = Range::new(field.name.clone(), min, max);
        region
    };
    let mut bounds: Vec<KeyValue> = vec![field.key_type.minimum()];
    bounds.extend(points);
    let mut all: Vec<Partition> = Vec::new();
    let mut layer: Vec<usize> = Vec::new();
    for (i, min) in bounds.iter().enumerate() {
        let max = bounds.get(i + 1).cloned();
        all.push(Partition::new(
            new_partition_id(),
            with_dimension_0(min.clone(), max),
        ));
        layer.push(all.len() - 1);
    }
    while layer.len() > 1 {
        let mut next = Vec::with_capacity(layer.len().div_ceil(2));
        for pair in layer.chunks(2) {
            let &[a, b] = pair else {
                next.extend_from_slice(pair);
                continue;
            };
            let min = all[a].region.ranges[0].min.clone();
            let max = all[b].region.ranges[0].max.clone();
            let parent = Partition {
                id: new_partition_id(),
                region: with_dimension_0(min, max),
                is_leaf_partition: false,
                parent_partition_id: None,
                child_partition_ids: vec![all[a].id.clone(), all[b].id.clone()],
                dimension: 0,
            };
            for child in [a, b] {
                all[child].parent_partition_id = Some(parent.id.clone());
            }
            all.push(parent);
            next.push(all.len() - 1);
        }
        layer = next;
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KeyType;

    fn long_key() -> Vec<RowKeyField> {
        vec![RowKeyField::new("key", KeyType::Long)]
    }

    #[test]
    fn no_split_points_give_the_root() {
        let tree = partitions_from_split_points(&long_key(), &[]).unwrap();
        assert_eq!(tree, vec![root_partition(&long_key())]);
    }

    #[test]
    fn three_split_points_give_a_valid_tree_of_four_leaves() {
        let points = [KeyValue::Long(10), KeyValue::Long(20), KeyValue::Long(30)];
        let tree = partitions_from_split_points(&long_key(), &points).unwrap();
        assert_eq!(tree.len(), 7);
        assert_eq!(tree.iter().filter(|p| p.is_leaf_partition).count(), 4);
        validate_tree(&tree, &long_key()).unwrap();
    }

    #[test]
    fn an_odd_layer_carries_its_last_node_up() {
        let points = [KeyValue::Long(10), KeyValue::Long(20)];
        let tree = partitions_from_split_points(&long_key(), &points).unwrap();
        // Leaves a, b, c; parent ab; root (ab, c).
        let root = tree
            .iter()
            .find(|p| p.parent_partition_id.is_none())
            .unwrap();
        assert_eq!(root.child_partition_ids[1], tree[2].id);
        validate_tree(&tree, &long_key()).unwrap();
    }

    #[test]
    fn split_points_out_of_order_are_invalid() {
        let points = [KeyValue::Long(20), KeyValue::Long(10)];
        let error = partitions_from_split_points(&long_key(), &points).unwrap_err();
        assert_eq!(
            error,
            Error::invalid("Invalid split point: 20 should be less than 10")
        );
    }

    #[test]
    fn a_split_point_of_another_type_is_invalid() {
        let points = [KeyValue::String("a".into())];
        let error = partitions_from_split_points(&long_key(), &points).unwrap_err();
        assert_eq!(
            error,
            Error::invalid("Invalid split point: \"a\" should be of type long")
        );
    }
}
