"""Reads from a hot standby: a primary and its streaming replica, each a LocalPostgres of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import sleeper_pg


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[sleeper_pg.LocalPostgres, sleeper_pg.LocalPostgres]]:
    with sleeper_pg.LocalPostgres() as primary, primary.start_replica() as replica:
        yield primary, replica


def test_a_client_with_a_replica_reads_its_own_writes(
    servers: tuple[sleeper_pg.LocalPostgres, sleeper_pg.LocalPostgres],
) -> None:
    primary, replica = servers
    with sleeper_pg.connect(primary.url, replica_urls=[replica.url], replica_wait=10) as client:
        store = client.create_table("replicated", [("key", "long")])
        store.initialise()
        for i in range(20):
            store.add_file(sleeper_pg.FileReference(f"file-{i:02}", "root", 1))
            assert len(store.get_file_references()) == i + 1


def test_a_replica_started_by_local_postgres_is_a_server_of_its_own(
    servers: tuple[sleeper_pg.LocalPostgres, sleeper_pg.LocalPostgres],
) -> None:
    primary, replica = servers
    assert replica.url != primary.url
    with pytest.raises(sleeper_pg.StateStoreConnectionException):
        # A standby refuses writes: the schema cannot be migrated there.
        sleeper_pg.connect(replica.url, connect_timeout=5)


def test_replica_urls_must_be_strings() -> None:
    with pytest.raises(TypeError, match="replica_urls"):
        sleeper_pg.connect("postgresql://localhost/db", replica_urls=[1])  # type: ignore[list-item]
