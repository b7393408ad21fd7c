"""Reads as Arrow record batches, taken by pyarrow, DuckDB and polars without a copy."""

from __future__ import annotations

import importlib.util
from datetime import datetime, timezone

import pyarrow as pa
import pytest

import sleeper_pg
from conftest import LONG_MIN, split_of
from sleeper_pg import FileReference, Range, Region


@pytest.fixture
def split_store(store: sleeper_pg.StateStore) -> sleeper_pg.StateStore:
    """Split at 0 into L (below) and R, with files on both leaves, one reference assigned to a job."""
    store.atomically_update_partition_and_create_new_ones(*split_of(store.get_partition("root"), "L", "R", 0))
    store.fix_file_update_time(datetime(2024, 1, 1, 10, tzinfo=timezone.utc))
    store.add_files([FileReference("a", "L", 7, job_id="job"), FileReference("a", "R", 8), FileReference("b", "R", 9)])
    return store


def test_references_as_a_pyarrow_table_hold_every_reference(split_store: sleeper_pg.StateStore) -> None:
    table = pa.table(split_store.get_file_references_arrow())
    assert table.column_names == [
        "filename",
        "partition_id",
        "number_of_rows",
        "job_id",
        "last_update_time",
        "count_approximate",
        "only_contains_data_for_this_partition",
    ]
    assert table.column("partition_id").type == pa.dictionary(pa.int32(), pa.string())
    assert table.to_pydict()["filename"] == ["a", "a", "b"]
    assert table.to_pydict()["job_id"] == ["job", None, None]
    assert table.to_pydict()["last_update_time"][0] == datetime(2024, 1, 1, 10, tzinfo=timezone.utc)


def test_a_partial_read_as_arrow_holds_those_partitions_references(split_store: sleeper_pg.StateStore) -> None:
    on_left = split_store.get_file_references_arrow(partition_ids=["L"]).to_pyarrow()
    in_right = split_store.get_file_references_arrow(region=Region([Range("key", 5, 6)])).to_pyarrow()
    assert on_left.to_pydict()["partition_id"] == ["L"]
    assert in_right.to_pydict()["filename"] == ["a", "b"]


def test_partitions_as_arrow_carry_their_range_bounds(split_store: sleeper_pg.StateStore) -> None:
    table = pa.table(split_store.get_partitions_arrow())
    columns = table.to_pydict()
    assert columns["partition_id"] == ["L", "R", "root"]
    assert columns["key_min"] == [LONG_MIN, 0, LONG_MIN]
    assert columns["key_max"] == [0, None, None]
    assert columns["child_partition_ids"] == [[], [], ["L", "R"]]


def test_a_stream_reads_the_same_batches_each_time(split_store: sleeper_pg.StateStore) -> None:
    stream = split_store.get_file_references_arrow()
    assert stream.num_rows == 3
    assert pa.table(stream) == pa.table(stream)


def test_partition_ids_and_a_region_together_raise_value_error(split_store: sleeper_pg.StateStore) -> None:
    with pytest.raises(ValueError, match="not both"):
        split_store.get_file_references_arrow(partition_ids=["L"], region=Region([Range("key", 0)]))


def test_an_unknown_partition_raises_partition_not_found(split_store: sleeper_pg.StateStore) -> None:
    with pytest.raises(sleeper_pg.PartitionNotFoundException):
        split_store.get_partitions_arrow(partition_ids=["nowhere"])


def test_duckdb_queries_the_stream(split_store: sleeper_pg.StateStore) -> None:
    duckdb = pytest.importorskip("duckdb")
    file_references = split_store.get_file_references_arrow()
    rows = duckdb.sql(
        "SELECT partition_id, sum(number_of_rows) FROM file_references GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert rows == [("L", 7), ("R", 17)]


@pytest.mark.skipif(importlib.util.find_spec("polars") is None, reason="polars is not installed")
def test_polars_reads_the_stream(split_store: sleeper_pg.StateStore) -> None:
    import polars

    frame = polars.from_arrow(pa.table(split_store.get_file_references_arrow()))
    assert isinstance(frame, polars.DataFrame)
    assert frame.height == 3
