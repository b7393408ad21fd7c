"""Partitions: initialise, queries, splits, and Sleeper's tree from split points."""

from __future__ import annotations

import pytest

import sleeper_pg
from conftest import LONG_MIN, at, split_of, tree_of
from sleeper_pg import Partition, Range, Region

INT_MIN = -(2**31)


def root(field: str = "key", minimum: int | str | bytes = LONG_MIN) -> Partition:
    return Partition("root", Region([Range(field, minimum)]))


def split_root_at(store: sleeper_pg.StateStore, point: int) -> tuple[Partition, Partition, Partition]:
    """Contract 10, step 2: root split at `point` into L and R."""
    parent = Partition(
        "root", Region([Range("key", LONG_MIN)]), is_leaf_partition=False, child_partition_ids=["L", "R"], dimension=0
    )
    left = Partition("L", Region([Range("key", LONG_MIN, point)]), parent_partition_id="root")
    right = Partition("R", Region([Range("key", point)]), parent_partition_id="root")
    store.atomically_update_partition_and_create_new_ones(parent, left, right)
    return parent, left, right


def test_initialise_creates_the_root_partition_covering_every_key(store: sleeper_pg.StateStore) -> None:
    assert store.get_all_partitions() == [root()]


def test_initialise_gives_the_root_the_minimum_of_each_field_type(client: sleeper_pg.Client, table_id: str) -> None:
    store = client.create_table(table_id, [("i", "int"), ("l", "long"), ("s", "string"), ("b", "bytes")])
    store.initialise()
    region = Region([Range("i", INT_MIN), Range("l", LONG_MIN), Range("s", ""), Range("b", b"")])
    assert store.get_all_partitions() == [Partition("root", region)]


def test_initialise_with_partitions_stores_exactly_those(client: sleeper_pg.Client, table_id: str) -> None:
    store = client.create_table(table_id, [("key", "string")])
    partitions = sleeper_pg.partitions_from_split_points(store.row_keys, ["m"])
    store.initialise(partitions)
    assert store.get_all_partitions() == sorted(partitions, key=lambda p: p.id)


def test_initialise_with_an_invalid_tree_raises_state_store_exception(store: sleeper_pg.StateStore) -> None:
    orphan = Partition("orphan", Region([Range("key", 0)]), parent_partition_id="nowhere")
    with pytest.raises(sleeper_pg.StateStoreException) as raised:
        store.initialise([root(), orphan])
    assert type(raised.value) is sleeper_pg.StateStoreException
    assert "Found partitions unlinked to the rest of the tree: [orphan]" in str(raised.value)
    assert store.get_all_partitions() == [root()]


def test_initialise_with_an_empty_list_raises_state_store_exception(store: sleeper_pg.StateStore) -> None:
    with pytest.raises(sleeper_pg.StateStoreException, match="At least one partition must be provided"):
        store.initialise([])


def test_a_region_of_the_wrong_key_type_for_the_table_is_refused_by_the_store(store: sleeper_pg.StateStore) -> None:
    with pytest.raises(sleeper_pg.StateStoreException, match="Invalid region in partition root"):
        store.initialise([root(minimum="")])


def test_an_int_field_refuses_a_bound_beyond_32_bits(client: sleeper_pg.Client, table_id: str) -> None:
    store = client.create_table(table_id, [("key", "int")])
    with pytest.raises(sleeper_pg.StateStoreException, match="Invalid region in partition root"):
        store.initialise([root(minimum=LONG_MIN)])


def test_initialise_with_files_present_raises_and_keeps_the_partitions(store: sleeper_pg.StateStore) -> None:
    store.add_file(sleeper_pg.FileReference("file1", "root", 10))
    with pytest.raises(sleeper_pg.InitialiseWithFilesPresentException) as raised:
        store.initialise()
    assert str(raised.value) == "Cannot initialise state store when files are present"
    assert store.get_all_partitions() == [root()]


def test_initialise_takes_a_tuple_of_partitions(store: sleeper_pg.StateStore) -> None:
    store.initialise((root(),))
    assert store.get_all_partitions() == [root()]


def test_initialise_rejects_a_list_of_other_things(store: sleeper_pg.StateStore) -> None:
    with pytest.raises(TypeError, match=r"partitions\[0\] must be a Partition, not str"):
        store.initialise(["root"])  # type: ignore[list-item]


def test_split_stores_the_updated_parent_and_both_children(store: sleeper_pg.StateStore) -> None:
    parent, left, right = split_root_at(store, 100)
    assert store.get_all_partitions() == [left, right, parent]
    assert store.get_leaf_partitions() == [left, right]


def test_split_children_may_be_passed_in_either_order(store: sleeper_pg.StateStore) -> None:
    parent = Partition(
        "root", Region([Range("key", LONG_MIN)]), is_leaf_partition=False, child_partition_ids=["L", "R"], dimension=0
    )
    left = Partition("L", Region([Range("key", LONG_MIN, 100)]), parent_partition_id="root")
    right = Partition("R", Region([Range("key", 100)]), parent_partition_id="root")
    store.atomically_update_partition_and_create_new_ones(parent, right, left)
    assert store.get_leaf_partitions() == [left, right]


def test_splitting_a_partition_twice_raises_state_store_exception(store: sleeper_pg.StateStore) -> None:
    split_root_at(store, 100)
    with pytest.raises(sleeper_pg.StateStoreException) as raised:
        split_root_at(store, 100)
    assert type(raised.value) is sleeper_pg.StateStoreException
    assert str(raised.value) == "Parent should be a leaf partition"


def test_splitting_an_unknown_partition_raises_partition_not_found(store: sleeper_pg.StateStore) -> None:
    parent = Partition(
        "nowhere", Region([Range("key", LONG_MIN)]), is_leaf_partition=False, child_partition_ids=["L", "R"], dimension=0
    )
    left = Partition("L", Region([Range("key", LONG_MIN, 100)]), parent_partition_id="nowhere")
    right = Partition("R", Region([Range("key", 100)]), parent_partition_id="nowhere")
    with pytest.raises(sleeper_pg.PartitionNotFoundException) as raised:
        store.atomically_update_partition_and_create_new_ones(parent, left, right)
    assert str(raised.value) == "Parent partition not found"
    assert raised.value.partition_id == "nowhere"


def test_split_partition_with_two_children_stores_the_split(store: sleeper_pg.StateStore) -> None:
    parent, left, right = split_of(root(), "L", "R", 7)
    store.split_partition(parent, [right, left])
    assert store.get_all_partitions() == [left, right, parent]


def test_split_partition_with_one_child_raises_with_the_reason_as_cause(store: sleeper_pg.StateStore) -> None:
    parent, left, _ = split_of(root(), "L", "R", 7)
    with pytest.raises(sleeper_pg.StateStoreException) as raised:
        store.split_partition(parent, [left])
    reason = "Expected 2 child partitions under root, left and right of split point, found 1"
    assert type(raised.value) is sleeper_pg.StateStoreException
    assert str(raised.value) == f"Failed to validate partition split: {reason}"
    assert type(raised.value.__cause__) is ValueError
    assert str(raised.value.__cause__) == reason
    assert store.get_all_partitions() == [root()]


def test_split_partition_rejects_a_child_that_is_not_a_partition(store: sleeper_pg.StateStore) -> None:
    parent, left, _ = split_of(root(), "L", "R", 7)
    with pytest.raises(TypeError, match=r"new_children\[1\] must be a Partition, not str"):
        store.split_partition(parent, [left, "R"])  # type: ignore[list-item]


def test_extend_partition_tree_adds_several_levels_in_one_call(store: sleeper_pg.StateStore) -> None:
    tree = tree_of(("root", "L", "R", 50), ("L", "LL", "LR", 25), ("LR", "LRL", "LRR", 30), ("R", "RL", "RR", 75))
    store.extend_partition_tree([tree["root"]], [p for id, p in tree.items() if id != "root"])
    assert store.get_all_partitions() == sorted(tree.values(), key=lambda p: p.id)
    assert [p.id for p in store.get_leaf_partitions()] == ["LL", "LRL", "LRR", "RL", "RR"]


def test_extend_partition_tree_with_nothing_changes_nothing(store: sleeper_pg.StateStore) -> None:
    store.extend_partition_tree([], ())
    assert store.get_all_partitions() == [root()]


def extension_error(
    store: sleeper_pg.StateStore, before: list[Partition], update: list[Partition], new: list[Partition]
) -> sleeper_pg.StateStoreException:
    """The plain StateStoreException an extension of the tree `before` raises, once checked that
    nothing changed."""
    store.initialise(before)
    with pytest.raises(sleeper_pg.StateStoreException) as raised:
        store.extend_partition_tree(update, new)
    assert type(raised.value) is sleeper_pg.StateStoreException
    assert store.get_all_partitions() == sorted(before, key=lambda p: p.id)
    return raised.value


def test_extending_a_partition_which_does_not_exist_raises(store: sleeper_pg.StateStore) -> None:
    split = tree_of(("root", "L", "R", 50))["root"]
    unknown = Partition("new", split.region, is_leaf_partition=False, child_partition_ids=["L", "R"], dimension=0)
    error = extension_error(store, [root()], [unknown], [])
    assert str(error) == "Attempted to update a partition which does not exist: new"
    assert error.__cause__ is None


def test_extending_a_partition_which_has_already_been_split_raises(store: sleeper_pg.StateStore) -> None:
    before = tree_of(("root", "L1", "R1", 50))
    after = tree_of(("root", "L2", "R2", 75))
    error = extension_error(store, list(before.values()), [after["root"]], [after["L2"], after["R2"]])
    assert str(error) == "Attempted to update a partition which has already been split: root"


def test_updating_a_partition_without_splitting_it_raises(store: sleeper_pg.StateStore) -> None:
    error = extension_error(store, [root()], [root()], [])
    assert str(error) == "Attempted to update a partition without splitting it: root"


def test_adding_a_partition_which_already_exists_raises(store: sleeper_pg.StateStore) -> None:
    before = tree_of(("root", "A", "B", 50))
    after = tree_of(("root", "A", "D", 50), ("A", "B", "C", 25))
    error = extension_error(store, list(before.values()), [after["A"]], [after["B"], after["C"]])
    assert str(error) == "Attempted to add a partition which already exists: B"


def test_an_extension_giving_an_invalid_tree_is_caused_by_the_reason(store: sleeper_pg.StateStore) -> None:
    second_root = Partition("new", Region([Range("key", LONG_MIN)]))
    error = extension_error(store, [root()], [], [second_root])
    assert str(error) == "Update results in invalid partition tree"
    assert type(error.__cause__) is ValueError
    assert str(error.__cause__) == "There should be exactly one root partition, found 2"


def test_extend_partition_tree_rejects_a_list_of_other_things(store: sleeper_pg.StateStore) -> None:
    with pytest.raises(TypeError, match=r"update_partitions must be a sequence of Partition, not str"):
        store.extend_partition_tree("root", [])  # type: ignore[arg-type]


def test_get_partition_returns_the_stored_partition(store: sleeper_pg.StateStore) -> None:
    _, left, _ = split_root_at(store, 100)
    assert store.get_partition("L") == left


def test_get_partition_of_an_unknown_id_raises_partition_not_found(store: sleeper_pg.StateStore) -> None:
    with pytest.raises(sleeper_pg.PartitionNotFoundException) as raised:
        store.get_partition("nowhere")
    assert str(raised.value) == "Partition not found: nowhere"
    assert raised.value.partition_id == "nowhere"


def test_values_read_from_an_int_field_equal_the_python_ints_given(client: sleeper_pg.Client, table_id: str) -> None:
    store = client.create_table(table_id, [("key", "int")])
    store.initialise(sleeper_pg.partitions_from_split_points(store.row_keys, [7]))
    ranges = {p.region.ranges[0] for p in store.get_leaf_partitions()}
    assert ranges == {Range("key", INT_MIN, 7), Range("key", 7)}


def test_bytes_and_string_keys_round_trip(client: sleeper_pg.Client, table_id: str) -> None:
    store = client.create_table(table_id, [("s", "string"), ("b", "bytes")])
    store.initialise(sleeper_pg.partitions_from_split_points(store.row_keys, ["\U0001f600 quote ' \\ %"]))
    points = {p.region.ranges[0].min for p in store.get_leaf_partitions()}
    assert points == {"", "\U0001f600 quote ' \\ %"}
    assert {p.region.ranges[1].min for p in store.get_leaf_partitions()} == {b""}


def test_clear_partition_data_removes_every_partition(store: sleeper_pg.StateStore) -> None:
    store.clear_partition_data()
    assert store.get_all_partitions() == []


def test_fix_partition_update_time_takes_a_time_or_none(store: sleeper_pg.StateStore) -> None:
    store.fix_partition_update_time(at(10, 0))
    split_root_at(store, 100)
    store.fix_partition_update_time(None)
    assert len(store.get_leaf_partitions()) == 2


def test_partitions_from_split_points_without_points_gives_the_root() -> None:
    assert sleeper_pg.partitions_from_split_points([("key", "long")], []) == [root()]


def test_partitions_from_split_points_builds_sleepers_tree() -> None:
    partitions = sleeper_pg.partitions_from_split_points([("key", "long")], [10, 20])
    leaves = [p for p in partitions if p.is_leaf_partition]
    assert [(p.region.ranges[0].min, p.region.ranges[0].max) for p in leaves] == [(LONG_MIN, 10), (10, 20), (20, None)]
    roots = [p for p in partitions if p.parent_partition_id is None]
    assert len(roots) == 1 and len(roots[0].id) == 36 and roots[0].dimension == 0
    assert len(partitions) == 5


@pytest.mark.parametrize(
    ("row_keys", "points", "error", "message"),
    [
        ([("key", "long")], [20, 10], ValueError, "Invalid split point: 20 should be less than 10"),
        ([("key", "long")], ["a"], ValueError, 'Invalid split point: "a" should be of type long'),
        ([("key", "int")], [2**40], ValueError, "Invalid split point: 1099511627776 should be of type int"),
        ([("key", "string")], [""], ValueError, "should be greater than the minimum value of type string"),
        ([("key", "long")], [2**64], ValueError, "split_points[0] must be between"),
        ([("key", "long")], [True], TypeError, "split_points[0] must be an int, str or bytes, not bool"),
        ([("key", "long")], [None], TypeError, "split_points[0] must be an int, str or bytes, not None"),
        ([("key", "long")], None, TypeError, "split_points must be a sequence"),
    ],
)
def test_partitions_from_split_points_rejects_invalid_points(
    row_keys: list[tuple[str, str]], points: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        sleeper_pg.partitions_from_split_points(row_keys, points)  # type: ignore[arg-type]
    assert message in str(raised.value)
