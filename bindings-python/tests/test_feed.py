"""The change feed: every write an entry, numbered in the order the writes took effect, a wait for
the next ones, and retention."""

from __future__ import annotations

import _thread
import json
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timezone

import pytest

import sleeper_pg
from sleeper_pg import AssignJobIdRequest, FileReference, ReplaceFileReferencesRequest

PATIENCE = 60.0
"""Entries numbered after a write can wait on any transaction of the server that began before it,
other tests' included: reads wait for them rather than expect them at once (a guard against
hanging, not a limit)."""


def changes(store: sleeper_pg.StateStore, after: int, count: int) -> list[sleeper_pg.Change]:
    """The first `count` entries after `after`, waiting for them."""
    found: list[sleeper_pg.Change] = []
    while len(found) < count:
        start = found[-1].sequence if found else after
        more = store.wait_for_changes(start, count - len(found), timeout=PATIENCE)
        assert more, f"no entry after {start} within {PATIENCE} seconds"
        found.extend(more)
    return found


def test_the_entries_of_writes_come_back_in_order_with_their_types_and_json(store: sleeper_pg.StateStore) -> None:
    store.add_files([FileReference("a", "root", 10), FileReference("b", "root", 20)])
    store.assign_job_ids([AssignJobIdRequest("job-c", "root", ["a", "b"])])
    store.atomically_replace_file_references_with_new_ones(
        [ReplaceFileReferencesRequest("job-c", "root", ["a", "b"], FileReference("c", "root", 30))]
    )
    entries = changes(store, 0, 4)
    assert [c.sequence for c in entries] == [1, 2, 3, 4]
    assert [c.transaction_type for c in entries] == [
        "INITIALISE_PARTITIONS",
        "ADD_FILES",
        "ASSIGN_JOB_IDS",
        "REPLACE_FILE_REFERENCES",
    ]
    assert all(c.recorded_at.tzinfo is timezone.utc for c in entries)
    added = entries[1]
    assert added.transaction_json is not None
    assert [f["filename"] for f in json.loads(added.transaction_json)["files"]] == ["a", "b"]
    assert (added.summary.files, added.summary.references, added.summary.jobs, added.summary.partitions) == (
        2,
        2,
        0,
        0,
    )
    assert store.read_changes(after=2) == entries[2:]


def test_a_wait_is_given_another_clients_write(
    database_url: str, store: sleeper_pg.StateStore, table_id: str
) -> None:
    changes(store, 0, 1)
    with sleeper_pg.connect(database_url) as writer, ThreadPoolExecutor(1) as pool:
        written = writer.table(table_id)
        waiting = pool.submit(store.wait_for_changes, 1, timeout=PATIENCE)
        written.add_file(FileReference("a", "root", 1))
        given = waiting.result()
    assert [c.transaction_type for c in given] == ["ADD_FILES"]


def test_a_wait_with_nothing_written_returns_empty(store: sleeper_pg.StateStore) -> None:
    changes(store, 0, 1)
    assert store.wait_for_changes(1, timeout=0.05) == []


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """Python's own Ctrl-C handler, even where the tests were started with SIGINT ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("ctrl_c_raises")
def test_ctrl_c_interrupts_a_wait(store: sleeper_pg.StateStore) -> None:
    changes(store, 0, 1)
    waiting = threading.Event()

    def interrupt_once_waiting() -> None:
        waiting.wait()
        # The wait is under way well before this (it looks for signals every 100 ms).
        threading.Event().wait(0.5)
        _thread.interrupt_main()

    interrupter = threading.Thread(target=interrupt_once_waiting)
    interrupter.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            waiting.set()
            store.wait_for_changes(1, timeout=3600)
    finally:
        interrupter.join()


def test_deleting_changes_through_n_removes_the_entries_up_to_n(store: sleeper_pg.StateStore) -> None:
    for name in ["a", "b", "c"]:
        store.add_file(FileReference(name, "root", 1))
    changes(store, 0, 4)
    assert store.delete_changes_through(2) == 2
    assert [c.sequence for c in store.read_changes()] == [3, 4]


def test_deleting_past_the_last_numbered_entry_raises_value_error(store: sleeper_pg.StateStore) -> None:
    changes(store, 0, 1)
    with pytest.raises(ValueError, match="numbered through 1"):
        store.delete_changes_through(5)
    assert len(store.read_changes()) == 1


def test_a_client_with_the_change_feed_off_records_nothing(
    database_url: str, store: sleeper_pg.StateStore, table_id: str
) -> None:
    with sleeper_pg.connect(database_url, change_feed=False) as quiet:
        quiet.table(table_id).add_file(FileReference("unrecorded", "root", 1))
    store.add_file(FileReference("recorded", "root", 1))
    [entry] = changes(store, 1, 1)
    assert entry.transaction_json is not None
    assert [f["filename"] for f in json.loads(entry.transaction_json)["files"]] == ["recorded"]
    assert store.read_changes(after=entry.sequence) == []
