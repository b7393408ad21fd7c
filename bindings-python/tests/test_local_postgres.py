"""LocalPostgres: a throwaway cluster of its own."""

from __future__ import annotations

import pytest

import sleeper_pg


def test_local_postgres_starts_a_cluster_and_removes_it_at_the_end_of_the_block() -> None:
    with sleeper_pg.LocalPostgres() as pg:
        assert pg.url.startswith("postgresql://postgres@")
        with sleeper_pg.connect(pg.url) as client:
            client.create_table("t", [("key", "long")])
            assert client.list_tables() == ["t"]
    assert "closed" in repr(pg)
    with pytest.raises(sleeper_pg.StateStoreConnectionException):
        sleeper_pg.connect(pg.url, connect_timeout=5)


def test_local_postgres_rejects_invalid_settings() -> None:
    with pytest.raises(TypeError, match="settings must be a mapping of str to str"):
        sleeper_pg.LocalPostgres(settings=[("fsync", "on")])  # type: ignore[arg-type]


def test_local_postgres_rejects_a_durable_flag_of_another_type() -> None:
    with pytest.raises(TypeError, match="durable must be a bool, not int"):
        sleeper_pg.LocalPostgres(durable=1)  # type: ignore[arg-type]
