"""The core's log events reach Python's logging under the logger sleeper_pg."""

from __future__ import annotations

import logging

import pytest

import sleeper_pg


def test_core_events_reach_the_sleeper_pg_logger(
    client: sleeper_pg.Client, table_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="sleeper_pg"):
        client.create_table(table_id, [("key", "long")])
    records = [r for r in caplog.records if "created table" in r.getMessage()]
    assert len(records) == 1
    assert records[0].name.startswith("sleeper_pg.")
    assert records[0].levelno == logging.INFO
    assert table_id in records[0].getMessage()


def test_the_sleeper_pg_logger_level_filters_core_events(
    client: sleeper_pg.Client, table_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="sleeper_pg"):
        client.create_table(table_id, [("key", "long")])
    assert not [r for r in caplog.records if r.name.startswith("sleeper_pg")]
