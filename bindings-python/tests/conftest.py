"""What every test shares: one PostgreSQL server for the session (``DATABASE_URL`` when set, else a
throwaway ``sleeper_pg.LocalPostgres``), one client on it, and a fresh table per test."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

import sleeper_pg

LONG_MIN = -(2**63)


def split_of(
    parent: sleeper_pg.Partition, left: str, right: str, point: int
) -> tuple[sleeper_pg.Partition, sleeper_pg.Partition, sleeper_pg.Partition]:
    """`parent` (a partition of a table keyed by ``("key", "long")``) split at `point` into leaves
    `left` and `right`: the parent as the split leaves it, and the two children."""
    [whole] = parent.region.ranges
    split = sleeper_pg.Partition(
        parent.id,
        parent.region,
        is_leaf_partition=False,
        parent_partition_id=parent.parent_partition_id,
        child_partition_ids=[left, right],
        dimension=0,
    )
    low = sleeper_pg.Partition(
        left, sleeper_pg.Region([sleeper_pg.Range("key", whole.min, point)]), parent_partition_id=parent.id
    )
    high = sleeper_pg.Partition(
        right, sleeper_pg.Region([sleeper_pg.Range("key", point, whole.max)]), parent_partition_id=parent.id
    )
    return split, low, high


def tree_of(*splits: tuple[str, str, str, int]) -> dict[str, sleeper_pg.Partition]:
    """The tree that `splits` (parent, left, right, split point) make of the root partition
    ``"root"`` of a ``("key", "long")`` table, in order: every partition as it ends up, by id."""
    tree = {"root": sleeper_pg.Partition("root", sleeper_pg.Region([sleeper_pg.Range("key", LONG_MIN)]))}
    for parent, left, right, point in splits:
        tree[parent], tree[left], tree[right] = split_of(tree[parent], left, right, point)
    return tree


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    with sleeper_pg.LocalPostgres() as pg:
        yield pg.url


@pytest.fixture(scope="session")
def client(database_url: str) -> Iterator[sleeper_pg.Client]:
    with sleeper_pg.connect(database_url) as client:
        yield client


def unique_id(prefix: str = "py") -> str:
    """A table id (or schema name) no other test uses, in this run or another."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def table_id(client: sleeper_pg.Client) -> Iterator[str]:
    """An id for a table the test creates; the table is deleted afterwards if it exists."""
    table_id = unique_id()
    yield table_id
    if table_id in client.list_tables():
        client.delete_table(table_id)


@pytest.fixture
def store(client: sleeper_pg.Client, table_id: str) -> sleeper_pg.StateStore:
    """A new table with one row key field ``("key", "long")``, initialised with the root partition."""
    store = client.create_table(table_id, [("key", "long")])
    store.initialise()
    return store


def at(hour: int, minute: int, second: int = 0, millisecond: int = 0) -> datetime:
    """A time on 2024-01-01 in UTC, as in the contract's worked example."""
    return datetime(2024, 1, 1, hour, minute, second, millisecond * 1000, tzinfo=timezone.utc)


def psql_path() -> str | None:
    found = shutil.which("psql")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    return candidates[-1] if candidates else None


def psql(url: str, sql: str) -> str:
    """Runs SQL on its own connection with the command-line client; returns the unaligned output."""
    path = psql_path()
    if path is None:
        pytest.skip("psql (the PostgreSQL client) is not installed")
    result = subprocess.run(
        [path, url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()
