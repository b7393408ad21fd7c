"""Reads of part of a table: references on some partitions, and the partitions and files of a key range."""

from __future__ import annotations

import pytest

import sleeper_pg
from conftest import split_of
from sleeper_pg import FileReference, Range, Region


@pytest.fixture
def split_store(store: sleeper_pg.StateStore) -> sleeper_pg.StateStore:
    """Split at 0 into L (below) and R, with a file on each partition and one on both leaves."""
    store.atomically_update_partition_and_create_new_ones(*split_of(store.get_partition("root"), "L", "R", 0))
    store.add_files(
        [
            FileReference("on-root", "root", 10),
            FileReference("on-L", "L", 10),
            FileReference("on-R", "R", 10),
            FileReference("both", "L", 5),
            FileReference("both", "R", 5),
        ]
    )
    return store


def test_references_on_partitions_are_sorted_by_partition_then_filename(split_store: sleeper_pg.StateStore) -> None:
    references = split_store.get_file_references_on_partitions(["root", "R"])
    assert [(r.partition_id, r.filename) for r in references] == [("R", "both"), ("R", "on-R"), ("root", "on-root")]


def test_references_on_an_unknown_partition_raise_partition_not_found(split_store: sleeper_pg.StateStore) -> None:
    with pytest.raises(sleeper_pg.PartitionNotFoundException):
        split_store.get_file_references_on_partitions(["nowhere"])


def test_the_map_on_partitions_maps_each_to_its_filenames(split_store: sleeper_pg.StateStore) -> None:
    assert split_store.get_partition_to_referenced_files_map_on_partitions(["L"]) == {"L": ["both", "on-L"]}


def test_partitions_in_a_region_include_both_ends_of_its_ranges(split_store: sleeper_pg.StateStore) -> None:
    partitions = split_store.get_partitions_in_region(Region([Range("key", -1, 0)]))
    assert [p.id for p in partitions] == ["L", "R", "root"]


def test_the_map_in_a_region_holds_its_leaves_and_their_ancestors(split_store: sleeper_pg.StateStore) -> None:
    region = Region([Range("key", 3, 4)])
    assert split_store.get_partition_to_referenced_files_map_in_region(region) == {
        "R": ["both", "on-R"],
        "root": ["on-root"],
    }


def test_a_region_whose_min_is_above_its_max_raises_value_error(split_store: sleeper_pg.StateStore) -> None:
    with pytest.raises(ValueError, match="min is greater than max"):
        split_store.get_partitions_in_region(Region([Range("key", 5, 4)]))
