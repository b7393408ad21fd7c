"""Operating a store: a client's statistics of its calls, and a table's status."""

from __future__ import annotations

import pytest

import sleeper_pg
from conftest import at


def test_stats_count_an_operations_calls_failures_and_durations(database_url: str) -> None:
    with sleeper_pg.connect(database_url) as own:
        own.list_tables()
        with pytest.raises(sleeper_pg.TableNotFoundException):
            own.table("no_such_table")

        stats = {operation["operation"]: operation for operation in own.stats()["operations"]}

    assert stats["list_tables"]["calls"] == 1
    assert stats["list_tables"]["failures"] == {}
    assert stats["table"]["failures"] == {"TableNotFoundException": 1}
    duration = stats["table"]["duration"]
    assert duration["count"] == 1
    assert duration["sum_seconds"] > 0
    assert duration["buckets"][-1]["count"] <= 1
    assert duration["p50_seconds"] is not None and duration["p50_seconds"] > 0


def test_status_counts_the_tables_contents(store: sleeper_pg.StateStore) -> None:
    store.fix_file_update_time(at(10, 0))
    store.add_files([sleeper_pg.FileReference("a", "root", 5), sleeper_pg.FileReference("b", "root", 7)])
    store.assign_job_ids([sleeper_pg.AssignJobIdRequest("job", "root", ["b"])])

    status = store.status()

    assert (status.partitions, status.leaf_partitions, status.files, status.references) == (1, 1, 2, 2)
    assert (status.references_with_no_job, status.jobs_in_flight, status.unreferenced_files) == (1, 1, 0)
    assert status.oldest_reference_with_no_job == at(10, 0)
    assert status.oldest_unreferenced_file is None
