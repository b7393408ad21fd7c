"""The command line from the Python package: ``python -m sleeper_pg``, a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import sleeper_pg


def run(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sleeper_pg", *args],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )


def test_python_m_sleeper_pg_tables_json_lists_the_tables(
    database_url: str, store: sleeper_pg.StateStore, table_id: str
) -> None:
    result = run(database_url, "tables", "--json")

    assert result.returncode == 0, result.stderr
    assert table_id in json.loads(result.stdout)


def test_an_error_is_one_line_on_stderr_and_exit_code_1(database_url: str) -> None:
    result = run(database_url, "status", "no-such-table")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == 'sleeper-pg: Table not found with ID "no-such-table"\n'
