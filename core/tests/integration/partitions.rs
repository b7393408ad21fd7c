//! The partition tree: CONTRACT.md 2.6, 2.7 and 3.3.

use crate::common::*;
use sleeper_pg::*;

fn root() -> Partition {
    Partition::new("root", long_range(i64::MIN, None))
}

fn message(error: Error) -> String {
    assert!(
        matches!(error, Error::StateStore { .. }),
        "expected a plain StateStoreException, got {error:?}"
    );
    error.to_string()
}

#[tokio::test]
async fn a_new_table_has_no_partitions() {
    let client = client().await;
    let store = client
        .create_table(&unique_table_id("p"), &long_key())
        .await
        .unwrap();
    assert!(store.get_all_partitions().await.unwrap().is_empty());
}

#[tokio::test]
async fn initialise_creates_a_root_covering_every_key_of_every_field() {
    let client = client().await;
    let row_keys = vec![
        RowKeyField::new("i", KeyType::Int),
        RowKeyField::new("l", KeyType::Long),
        RowKeyField::new("s", KeyType::String),
        RowKeyField::new("b", KeyType::Bytes),
    ];
    let store = client
        .create_table(&unique_table_id("p"), &row_keys)
        .await
        .unwrap();
    store.initialise().await.unwrap();
    let expected = Partition::new(
        "root",
        Region::new(vec![
            Range::new("i", KeyValue::Int(i32::MIN), None),
            Range::new("l", KeyValue::Long(i64::MIN), None),
            Range::new("s", KeyValue::String(String::new()), None),
            Range::new("b", KeyValue::Bytes(vec![]), None),
        ]),
    );
    assert_eq!(store.get_all_partitions().await.unwrap(), vec![expected]);
}

#[tokio::test]
async fn initialise_again_replaces_the_tree() {
    let client = client().await;
    let store = new_store(&client).await;
    let tree = partitions_from_split_points(&long_key(), &[KeyValue::Long(5)]).unwrap();
    store.initialise_with_partitions(&tree).await.unwrap();
    store.initialise().await.unwrap();
    assert_eq!(store.get_all_partitions().await.unwrap(), vec![root()]);
}

#[tokio::test]
async fn a_tree_from_split_points_is_stored_and_read_back_by_id() {
    let client = client().await;
    let store = new_store(&client).await;
    let mut tree = partitions_from_split_points(
        &long_key(),
        &[KeyValue::Long(0), KeyValue::Long(10), KeyValue::Long(20)],
    )
    .unwrap();
    store.initialise_with_partitions(&tree).await.unwrap();
    tree.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(store.get_all_partitions().await.unwrap(), tree);
    let leaves: Vec<Partition> = tree.into_iter().filter(|p| p.is_leaf_partition).collect();
    assert_eq!(store.get_leaf_partitions().await.unwrap(), leaves);
}

#[tokio::test]
async fn get_partition_of_an_unknown_id_raises_partition_not_found() {
    let client = client().await;
    let store = new_store(&client).await;
    let error = store.get_partition("nope").await.unwrap_err();
    assert!(matches!(error, Error::PartitionNotFound { .. }));
    assert_eq!(error.to_string(), "Partition not found: nope");
}

#[tokio::test]
async fn clear_partition_data_removes_every_partition_and_keeps_files() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_file(&FileReference::new("f", "root", 1))
        .await
        .unwrap();
    store.clear_partition_data().await.unwrap();
    assert!(store.get_all_partitions().await.unwrap().is_empty());
    assert_eq!(store.get_file_references().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_split_stores_the_parent_and_both_children() {
    let client = client().await;
    let store = new_store(&client).await;
    let (split, left, right) = split_of(&root(), "L", "R", 100);
    store
        .atomically_update_partition_and_create_new_ones(&split, &left, &right)
        .await
        .unwrap();
    assert_eq!(store.get_partition("root").await.unwrap(), split);
    assert_eq!(
        store.get_leaf_partitions().await.unwrap(),
        vec![left, right]
    );
}

#[tokio::test]
async fn a_split_takes_the_children_in_either_order() {
    let client = client().await;
    let store = new_store(&client).await;
    let (split, left, right) = split_of(&root(), "L", "R", 100);
    store
        .atomically_update_partition_and_create_new_ones(&split, &right, &left)
        .await
        .unwrap();
    assert_eq!(
        store.get_leaf_partitions().await.unwrap(),
        vec![left, right]
    );
}

#[tokio::test]
async fn chained_splits_build_a_deeper_tree() {
    let client = client().await;
    let store = new_store(&client).await;
    let (split, left, right) = split_of(&root(), "L", "R", 100);
    store
        .atomically_update_partition_and_create_new_ones(&split, &left, &right)
        .await
        .unwrap();
    let (split_left, ll, lr) = split_of(&left, "LL", "LR", 0);
    store
        .atomically_update_partition_and_create_new_ones(&split_left, &ll, &lr)
        .await
        .unwrap();
    assert_eq!(
        store.get_leaf_partitions().await.unwrap(),
        vec![ll, lr, right]
    );
}

/// Runs a split on a fresh table whose root is stored, and returns the error message.
async fn split_error(split: Partition, new_1: Partition, new_2: Partition) -> Error {
    let client = client().await;
    let store = new_store(&client).await;
    let error = store
        .atomically_update_partition_and_create_new_ones(&split, &new_1, &new_2)
        .await
        .unwrap_err();
    assert_eq!(
        store.get_all_partitions().await.unwrap(),
        vec![root()],
        "a failed split changes nothing"
    );
    error
}

#[tokio::test]
async fn splitting_an_unknown_partition_raises_parent_partition_not_found() {
    let unknown = Partition::new("other", long_range(i64::MIN, None));
    let (split, left, right) = split_of(&unknown, "L", "R", 1);
    let error = split_error(split, left, right).await;
    assert!(matches!(error, Error::PartitionNotFound { .. }));
    assert_eq!(error.to_string(), "Parent partition not found");
}

#[tokio::test]
async fn a_split_that_leaves_the_parent_a_leaf_is_rejected() {
    let (mut split, left, right) = split_of(&root(), "L", "R", 1);
    split.is_leaf_partition = true;
    assert_eq!(
        message(split_error(split, left, right).await),
        "Parent should not be a leaf partition after split"
    );
}

#[tokio::test]
async fn a_split_that_changes_the_parent_region_is_rejected() {
    let (mut split, left, right) = split_of(&root(), "L", "R", 1);
    split.region = long_range(0, None);
    assert_eq!(
        message(split_error(split, left, right).await),
        "Split must not change the region or parent of partition root"
    );
}

#[tokio::test]
async fn a_split_on_a_dimension_with_no_row_key_is_rejected() {
    let (mut split, left, right) = split_of(&root(), "L", "R", 1);
    split.dimension = 1;
    assert_eq!(
        message(split_error(split, left, right).await),
        "Failed to validate partition split: No row key at dimension 1 for parent partition root"
    );
}

#[tokio::test]
async fn a_child_with_an_invalid_region_is_rejected() {
    let (split, mut left, right) = split_of(&root(), "L", "R", 1);
    left.region = Region::new(vec![Range::new("key", KeyValue::String("a".into()), None)]);
    let text = message(split_error(split, left, right).await);
    assert!(
        text.starts_with("Invalid region in partition L: "),
        "{text}"
    );
}

#[tokio::test]
async fn children_that_do_not_meet_at_a_split_point_are_rejected() {
    let (split, left, mut right) = split_of(&root(), "L", "R", 1);
    right.region = long_range(2, None);
    assert_eq!(
        message(split_error(split, left, right).await),
        "Failed to validate partition split: Child partitions do not meet at a split point on dimension 0 set in parent partition root"
    );
}

#[tokio::test]
async fn child_ids_listed_in_the_wrong_order_are_rejected() {
    let (mut split, left, right) = split_of(&root(), "L", "R", 1);
    split.child_partition_ids = strings(&["R", "L"]);
    assert_eq!(
        message(split_error(split, left, right).await),
        "Failed to validate partition split: Child partition IDs do not match expected order in parent partition root, expected: [L, R]"
    );
}

#[tokio::test]
async fn a_left_child_not_starting_at_the_parent_min_is_rejected() {
    let (split, mut left, right) = split_of(&root(), "L", "R", 1);
    left.region = long_range(0, Some(1));
    assert_eq!(
        message(split_error(split, left, right).await),
        "Failed to validate partition split: Left child partition L does not match boundary of parent root"
    );
}

#[tokio::test]
async fn a_right_child_not_ending_at_the_parent_max_is_rejected() {
    let (split, left, mut right) = split_of(&root(), "L", "R", 1);
    right.region = long_range(1, Some(5));
    assert_eq!(
        message(split_error(split, left, right).await),
        "Failed to validate partition split: Right child partition R does not match boundary of parent root"
    );
}

#[tokio::test]
async fn a_child_id_that_is_already_stored_is_rejected() {
    let (split, left, right) = split_of(&root(), "root", "R", 1);
    assert_eq!(
        message(split_error(split, left, right).await),
        "Child partition should not be present"
    );
}

#[tokio::test]
async fn two_children_with_one_id_are_rejected() {
    let (mut split, left, mut right) = split_of(&root(), "L", "R", 1);
    right.id = "L".into();
    split.child_partition_ids = strings(&["L", "L"]);
    assert_eq!(
        message(split_error(split, left, right).await),
        "Child partition should not be present"
    );
}

#[tokio::test]
async fn a_child_naming_another_parent_is_rejected() {
    let (split, mut left, right) = split_of(&root(), "L", "R", 1);
    left.parent_partition_id = Some("elsewhere".into());
    assert_eq!(
        message(split_error(split, left, right).await),
        "Parent ID does not match on child: L"
    );
}

#[tokio::test]
async fn a_child_that_is_not_a_leaf_is_rejected() {
    let (split, left, mut right) = split_of(&root(), "L", "R", 1);
    right.is_leaf_partition = false;
    assert_eq!(
        message(split_error(split, left, right).await),
        "Child should be a leaf partition: R"
    );
}

#[tokio::test]
async fn a_split_of_a_split_partition_is_rejected() {
    let client = client().await;
    let store = new_store(&client).await;
    let (split, left, right) = split_of(&root(), "L", "R", 1);
    store
        .atomically_update_partition_and_create_new_ones(&split, &left, &right)
        .await
        .unwrap();
    let (split_again, l2, r2) = split_of(&root(), "L2", "R2", 5);
    let error = store
        .atomically_update_partition_and_create_new_ones(&split_again, &l2, &r2)
        .await
        .unwrap_err();
    assert_eq!(message(error), "Parent should be a leaf partition");
}

/// Initialises a fresh table with `tree` and returns the error, checking nothing changed.
async fn tree_error(tree: Vec<Partition>) -> String {
    let client = client().await;
    let store = new_store(&client).await;
    let error = store.initialise_with_partitions(&tree).await.unwrap_err();
    assert_eq!(
        store.get_all_partitions().await.unwrap(),
        vec![root()],
        "a failed initialise changes nothing"
    );
    message(error)
}

fn split_tree() -> Vec<Partition> {
    let (split, left, right) = split_of(&root(), "L", "R", 100);
    vec![split, left, right]
}

#[tokio::test]
async fn initialise_with_no_partitions_is_rejected() {
    assert_eq!(
        tree_error(vec![]).await,
        "At least one partition must be provided"
    );
}

#[tokio::test]
async fn initialise_with_a_duplicate_id_is_rejected() {
    let mut tree = split_tree();
    tree.push(tree[1].clone());
    assert_eq!(tree_error(tree).await, "Duplicate partition ID: L");
}

#[tokio::test]
async fn initialise_with_an_invalid_region_is_rejected() {
    let mut tree = split_tree();
    tree[2].region = long_range(100, Some(100));
    assert!(tree_error(tree)
        .await
        .starts_with("Invalid region in partition R: "));
}

#[tokio::test]
async fn initialise_with_two_roots_is_rejected() {
    let mut tree = split_tree();
    tree[1].parent_partition_id = None;
    assert_eq!(
        tree_error(tree).await,
        "There should be exactly one root partition, found 2"
    );
}

#[tokio::test]
async fn initialise_with_an_unlinked_partition_is_rejected() {
    let mut tree = split_tree();
    tree.push(Partition {
        parent_partition_id: Some("L".into()),
        ..Partition::new("X", long_range(0, Some(1)))
    });
    assert_eq!(
        tree_error(tree).await,
        "Found partitions unlinked to the rest of the tree: [X]"
    );
}

#[tokio::test]
async fn initialise_with_a_missing_child_is_rejected() {
    let mut tree = split_tree();
    tree[1].child_partition_ids = strings(&["ghost"]);
    assert_eq!(
        tree_error(tree).await,
        "Found missing child partitions: [ghost]"
    );
}

#[tokio::test]
async fn initialise_with_a_child_naming_another_parent_is_rejected() {
    let (split, left, right) = split_of(&root(), "L", "R", 100);
    let (split_left, ll, lr) = split_of(&left, "LL", "LR", 0);
    let mut split_right = right.clone();
    split_right.child_partition_ids = strings(&["LL"]);
    let tree = vec![split, split_left, split_right, ll, lr];
    assert_eq!(
        tree_error(tree).await,
        "Partition LL is listed as a child of R but has parent L"
    );
}

#[tokio::test]
async fn initialise_with_a_leaf_that_has_children_is_rejected() {
    let (split, left, right) = split_of(&root(), "L", "R", 100);
    let (mut split_left, ll, lr) = split_of(&left, "LL", "LR", 0);
    split_left.is_leaf_partition = true;
    let tree = vec![split, split_left, right, ll, lr];
    assert_eq!(
        tree_error(tree).await,
        "Partition has 2 child partitions but is marked as a leaf partition: L"
    );
}

#[tokio::test]
async fn initialise_with_a_non_leaf_without_two_children_is_rejected() {
    let mut tree = vec![root()];
    tree[0].is_leaf_partition = false;
    assert_eq!(
        tree_error(tree).await,
        "Expected 2 child partitions under root, left and right of split point, found 0"
    );
}

#[tokio::test]
async fn initialise_with_children_not_meeting_at_a_split_point_is_rejected() {
    let mut tree = split_tree();
    tree[2].region = long_range(101, None);
    assert_eq!(
        tree_error(tree).await,
        "Child partitions do not meet at a split point on dimension 0 set in parent partition root"
    );
}

#[tokio::test]
async fn initialise_with_files_present_is_rejected_and_keeps_the_partitions() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_files_with_references(&[AllReferencesToAFile::new("f", vec![])])
        .await
        .unwrap();
    let tree = split_tree();
    assert_eq!(
        store.initialise_with_partitions(&tree).await.unwrap_err(),
        Error::InitialiseWithFilesPresent
    );
    assert_eq!(store.get_all_partitions().await.unwrap(), vec![root()]);
}

#[tokio::test]
async fn string_keys_split_by_utf16_order() {
    let client = client().await;
    let row_keys = vec![RowKeyField::new("s", KeyType::String)];
    let store = client
        .create_table(&unique_table_id("p"), &row_keys)
        .await
        .unwrap();
    // "\u{1F600}" sorts before "\u{FFFF}" in Java's order, so this split point is valid.
    let tree = partitions_from_split_points(
        &row_keys,
        &[
            KeyValue::String("\u{1F600}".into()),
            KeyValue::String("\u{FFFF}".into()),
        ],
    )
    .unwrap();
    store.initialise_with_partitions(&tree).await.unwrap();
    assert_eq!(store.get_leaf_partitions().await.unwrap().len(), 3);
}

#[tokio::test]
async fn an_int_key_takes_a_long_value_within_32_bits() {
    let client = client().await;
    let row_keys = vec![RowKeyField::new("i", KeyType::Int)];
    let store = client
        .create_table(&unique_table_id("p"), &row_keys)
        .await
        .unwrap();
    let tree = partitions_from_split_points(&row_keys, &[KeyValue::Long(7)]).unwrap();
    store.initialise_with_partitions(&tree).await.unwrap();
    let leaves = store.get_leaf_partitions().await.unwrap();
    let bounds: Vec<&KeyValue> = leaves.iter().map(|p| &p.region.ranges[0].min).collect();
    assert!(bounds.contains(&&KeyValue::Int(7)));
}

#[tokio::test]
async fn a_split_point_beyond_32_bits_is_invalid_for_an_int_key() {
    let row_keys = vec![RowKeyField::new("i", KeyType::Int)];
    let error = partitions_from_split_points(&row_keys, &[KeyValue::Long(1 << 40)]).unwrap_err();
    assert_eq!(
        error,
        Error::InvalidArgument {
            message: "Invalid split point: 1099511627776 should be of type int".into()
        }
    );
}

#[tokio::test]
async fn a_first_split_point_at_the_type_minimum_is_invalid() {
    let error = partitions_from_split_points(&long_key(), &[KeyValue::Long(i64::MIN)]).unwrap_err();
    assert!(matches!(error, Error::InvalidArgument { .. }));
}

#[tokio::test]
async fn a_split_points_tree_has_uuid_ids_and_a_uuid_root() {
    let tree = partitions_from_split_points(&long_key(), &[KeyValue::Long(1)]).unwrap();
    for partition in &tree {
        assert!(uuid_like(&partition.id), "{}", partition.id);
    }
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().filter(|&c| c == '-').count() == 4
}

#[tokio::test]
async fn split_partition_with_one_child_raises_expected_two_children() {
    let client = client().await;
    let store = new_store(&client).await;
    let (split, left, _right) = split_of(&root(), "L", "R", 1);
    let error = store.split_partition(&split, &[left]).await.unwrap_err();
    let Error::StateStore { message, cause } = &error else {
        panic!("expected a plain StateStoreException, got {error:?}")
    };
    assert_eq!(
        message,
        "Failed to validate partition split: Expected 2 child partitions under root, left and right of split point, found 1"
    );
    assert_eq!(
        cause.as_deref().map(ToString::to_string).as_deref(),
        Some("Expected 2 child partitions under root, left and right of split point, found 1")
    );
    assert_eq!(store.get_all_partitions().await.unwrap(), vec![root()]);
}

#[tokio::test]
async fn split_partition_with_two_children_is_the_split_of_the_three_argument_method() {
    let client = client().await;
    let store = new_store(&client).await;
    let (split, left, right) = split_of(&root(), "L", "R", 7);
    store
        .split_partition(&split, &[right.clone(), left.clone()])
        .await
        .unwrap();
    assert_eq!(
        store.get_all_partitions().await.unwrap(),
        vec![left, right, split]
    );
}

/// The tree of `splits` (parent, left, right, split point) applied to `root` in order, every
/// partition as the tree ends up.
fn tree_of(splits: &[(&str, &str, &str, i64)]) -> Vec<Partition> {
    let mut tree = vec![root()];
    for (parent, left, right, at) in splits {
        let index = tree.iter().position(|p| p.id == *parent).unwrap();
        let (split, l, r) = split_of(&tree[index], left, right, *at);
        tree[index] = split;
        tree.extend([l, r]);
    }
    tree.sort_by(|a, b| a.id.cmp(&b.id));
    tree
}

fn by_id<'a>(tree: &'a [Partition], id: &str) -> &'a Partition {
    tree.iter().find(|p| p.id == id).unwrap()
}

#[tokio::test]
async fn extend_partition_tree_adds_several_levels_in_one_call() {
    let client = client().await;
    let store = new_store(&client).await;
    let tree = tree_of(&[
        ("root", "L", "R", 50),
        ("L", "LL", "LR", 25),
        ("LR", "LRL", "LRR", 30),
        ("R", "RL", "RR", 75),
    ]);
    let new: Vec<Partition> = tree.iter().filter(|p| p.id != "root").cloned().collect();
    store
        .extend_partition_tree(&[by_id(&tree, "root").clone()], &new)
        .await
        .unwrap();
    assert_eq!(store.get_all_partitions().await.unwrap(), tree);
}

/// Runs an extension of a table whose tree is `before`, and returns its error once checked that
/// nothing changed.
async fn extension_error(before: &[Partition], update: &[Partition], new: &[Partition]) -> Error {
    let client = client().await;
    let store = new_store(&client).await;
    store.initialise_with_partitions(before).await.unwrap();
    let error = store.extend_partition_tree(update, new).await.unwrap_err();
    assert_eq!(
        store.get_all_partitions().await.unwrap(),
        before,
        "nothing changes"
    );
    error
}

#[tokio::test]
async fn extending_with_a_partition_that_does_not_exist_is_rejected() {
    let tree = tree_of(&[("root", "L", "R", 50)]);
    let mut unknown = by_id(&tree, "root").clone();
    unknown.id = "new".to_owned();
    let error = extension_error(&[root()], &[unknown], &[]).await;
    assert_eq!(
        message(error),
        "Attempted to update a partition which does not exist: new"
    );
}

#[tokio::test]
async fn extending_a_partition_that_is_already_split_is_rejected() {
    let before = tree_of(&[("root", "L1", "R1", 50)]);
    let after = tree_of(&[("root", "L2", "R2", 75)]);
    let error = extension_error(
        &before,
        &[by_id(&after, "root").clone()],
        &[by_id(&after, "L2").clone(), by_id(&after, "R2").clone()],
    )
    .await;
    assert_eq!(
        message(error),
        "Attempted to update a partition which has already been split: root"
    );
}

#[tokio::test]
async fn extending_with_a_partition_that_exists_is_rejected() {
    let before = tree_of(&[("root", "A", "B", 50)]);
    let after = tree_of(&[("root", "A", "D", 50), ("A", "B", "C", 25)]);
    let error = extension_error(
        &before,
        &[by_id(&after, "A").clone()],
        &[by_id(&after, "B").clone(), by_id(&after, "C").clone()],
    )
    .await;
    assert_eq!(
        message(error),
        "Attempted to add a partition which already exists: B"
    );
}

#[tokio::test]
async fn updating_a_partition_without_splitting_it_is_rejected() {
    let error = extension_error(&[root()], &[root()], &[]).await;
    assert_eq!(
        message(error),
        "Attempted to update a partition without splitting it: root"
    );
}

#[tokio::test]
async fn an_extension_giving_an_invalid_tree_is_caused_by_what_is_wrong_with_it() {
    let second_root = Partition::new("new", long_range(i64::MIN, None));
    let error = extension_error(&[root()], &[], &[second_root]).await;
    let Error::StateStore { message, cause } = &error else {
        panic!("expected a plain StateStoreException, got {error:?}")
    };
    assert_eq!(message, "Update results in invalid partition tree");
    assert_eq!(
        cause.as_deref(),
        Some(&Error::InvalidArgument {
            message: "There should be exactly one root partition, found 2".to_owned()
        })
    );
}

#[tokio::test]
async fn an_extension_whose_children_do_not_meet_is_rejected() {
    let after = tree_of(&[("root", "L", "R", 0)]);
    let mut right = by_id(&after, "R").clone();
    right.region = long_range(1, None);
    let error = extension_error(
        &[root()],
        &[by_id(&after, "root").clone()],
        &[by_id(&after, "L").clone(), right],
    )
    .await;
    let Error::StateStore { cause, .. } = &error else {
        panic!("expected a plain StateStoreException, got {error:?}")
    };
    assert_eq!(
        cause.as_deref().map(ToString::to_string).as_deref(),
        Some("Child partitions do not meet at a split point on dimension 0 set in parent partition root")
    );
}

#[tokio::test]
async fn a_tree_as_deep_as_it_is_wide_is_checked_without_running_out_of_stack() {
    // 20,000 splits, each of the rightmost leaf: a chain 20,000 partitions deep.
    let client = client().await;
    let store = new_store(&client).await;
    let mut parent = root();
    let mut update = Vec::new();
    let mut new = Vec::new();
    for i in 0..20_000_i64 {
        let (split, left, right) = split_of(&parent, &format!("L{i}"), &format!("R{i}"), i);
        if i == 0 {
            update.push(split);
        } else {
            new.push(split);
        }
        new.push(left);
        parent = right;
    }
    new.push(parent);
    store.extend_partition_tree(&update, &new).await.unwrap();
    assert_eq!(store.get_leaf_partitions().await.unwrap().len(), 20_001);
}

#[tokio::test]
async fn two_extensions_of_one_leaf_at_once_give_one_winner() {
    let client = client().await;
    let store = new_store(&client).await;
    let a = tree_of(&[("root", "A1", "A2", 10)]);
    let b = tree_of(&[("root", "B1", "B2", 20)]);
    let extend = |tree: Vec<Partition>| {
        let store = store.clone();
        tokio::spawn(async move {
            let new: Vec<Partition> = tree.iter().filter(|p| p.id != "root").cloned().collect();
            store
                .extend_partition_tree(&[by_id(&tree, "root").clone()], &new)
                .await
        })
    };
    let (first, second) = (extend(a.clone()), extend(b.clone()));
    let results = [first.await.unwrap(), second.await.unwrap()];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let stored = store.get_all_partitions().await.unwrap();
    assert!(stored == a || stored == b);
}
