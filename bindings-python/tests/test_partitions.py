"""Partitions: initialise, queries, splits, and Sleeper's tree from split points."""

from __future__ import annotations

import pytest

import sleeper_pg
from conftest import LONG_MIN, at
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
