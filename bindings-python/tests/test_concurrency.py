"""Threads and processes: calls release the GIL, can be interrupted, and a client refuses to work in a
process forked after it was made without disturbing its parent."""

from __future__ import annotations

import _thread
import gc
import os
import signal
import subprocess
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

import sleeper_pg
from conftest import psql, psql_path, unique_id

THREADS = 16


@pytest.fixture
def own_schema(database_url: str) -> Iterator[str]:
    """A schema of the test's own, so that locking its tables disturbs nobody; dropped afterwards."""
    schema = unique_id("pytest")
    yield schema
    psql(database_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


class TableLock:
    """Holds an ACCESS EXCLUSIVE lock on one of the store's tables from a psql session of its own."""

    def __init__(self, url: str, schema: str, table: str) -> None:
        path = psql_path()
        if path is None:
            pytest.skip("psql (the PostgreSQL client) is not installed")
        self.url, self.schema = url, schema
        self.session = subprocess.Popen(
            [path, url, "-X", "-q", "-v", "ON_ERROR_STOP=1"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert self.session.stdin is not None
        self.session.stdin.write(f'BEGIN;\nLOCK TABLE "{schema}".{table} IN ACCESS EXCLUSIVE MODE;\n')
        self.session.stdin.flush()
        self.wait_for(lambda: self.count(f"""
            SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            WHERE c.relname = '{table}' AND c.relnamespace = '"{schema}"'::regnamespace
              AND l.mode = 'AccessExclusiveLock' AND l.granted""") == 1)

    def count(self, sql: str) -> int:
        return int(psql(self.url, sql))

    def waiting_calls(self) -> int:
        """Store calls (of any client) blocked on a lock, with this schema in their statement."""
        return self.count(f"""
            SELECT count(*) FROM pg_stat_activity
            WHERE application_name = 'sleeper-pg' AND wait_event_type = 'Lock' AND query LIKE '%{self.schema}%'""")

    def wait_for(self, condition: Callable[[], bool], patience: float = 120.0) -> bool:
        """Polls `condition` until it holds; False if it never did (a guard against hanging, not a limit)."""
        give_up = time.monotonic() + patience
        while time.monotonic() < give_up:
            if condition():
                return True
            time.sleep(0.05)
        return False

    def release(self) -> None:
        if self.session.stdin is not None and not self.session.stdin.closed:
            self.session.stdin.write("COMMIT;\n")
            self.session.stdin.close()
        self.session.wait()


def test_sixteen_threads_block_on_the_database_at_the_same_time(database_url: str, own_schema: str) -> None:
    # Each call waits on a lock held elsewhere. If a call kept the GIL while it waited, the other
    # threads could not even start theirs: the server would never see 16 waiting at once.
    with sleeper_pg.connect(database_url, schema=own_schema, max_connections=THREADS, statement_timeout=20) as client:
        store = client.create_table("gil", [("key", "long")])
        store.initialise()
        lock = TableLock(database_url, own_schema, "partitions")
        try:
            with ThreadPoolExecutor(THREADS) as pool:
                calls = [pool.submit(store.get_partition, "root") for _ in range(THREADS)]
                all_waiting = lock.wait_for(lambda: lock.waiting_calls() == THREADS)
                lock.release()
                results = [call.result() for call in calls]
        finally:
            lock.release()
        assert all_waiting
        assert {p.id for p in results} == {"root"}


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """Python's own Ctrl-C handler, even where the tests were started with SIGINT ignored (a shell's
    background job), in which case `_thread.interrupt_main` would do nothing."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("ctrl_c_raises")
def test_a_waiting_call_is_interrupted_by_ctrl_c(database_url: str, own_schema: str) -> None:
    with sleeper_pg.connect(database_url, schema=own_schema, statement_timeout=60) as client:
        store = client.create_table("interrupt", [("key", "long")])
        store.initialise()
        lock = TableLock(database_url, own_schema, "partitions")

        def interrupt_once_waiting() -> None:
            if lock.wait_for(lambda: lock.waiting_calls() == 1):
                _thread.interrupt_main()

        interrupter = threading.Thread(target=interrupt_once_waiting)
        interrupter.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                store.get_partition("root")
        finally:
            interrupter.join()
            lock.release()
        assert store.get_partition("root").id == "root"


def test_a_statement_timeout_cancels_a_waiting_call_with_its_sqlstate(database_url: str, own_schema: str) -> None:
    with sleeper_pg.connect(database_url, schema=own_schema) as setup:
        setup.create_table("timeout", [("key", "long")]).initialise()
    with sleeper_pg.connect(database_url, schema=own_schema, migrate=False, statement_timeout=0.5) as client:
        store = client.table("timeout")
        lock = TableLock(database_url, own_schema, "partitions")
        try:
            with pytest.raises(sleeper_pg.StateStoreConnectionException) as raised:
                store.get_partition("root")
        finally:
            lock.release()
    assert raised.value.sqlstate == "57014"  # query_canceled: the server's statement timeout


def test_threads_sharing_one_handle_all_succeed(store: sleeper_pg.StateStore) -> None:
    def add(i: int) -> None:
        store.add_file(sleeper_pg.FileReference(f"file-{i:02}", "root", i))

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(add, range(THREADS * 4)))
    assert len(store.get_file_references()) == THREADS * 4


def test_concurrent_adds_of_one_filename_let_exactly_one_succeed(client: sleeper_pg.Client, store: sleeper_pg.StateStore) -> None:
    handles = [client.table(store.table_id) for _ in range(8)]

    def add(handle: sleeper_pg.StateStore) -> str:
        try:
            handle.add_file(sleeper_pg.FileReference("same", "root", 1))
            return "added"
        except sleeper_pg.FileAlreadyExistsException:
            return "exists"

    with ThreadPoolExecutor(len(handles)) as pool:
        outcomes = list(pool.map(add, handles))
    assert sorted(outcomes) == ["added"] + ["exists"] * 7


def run_in_child(body: Callable[[int], None]) -> tuple[int, str]:
    """Forks; the child runs `body(write_fd)` and exits with its status (0 ok, 1 an exception). Returns
    the child's exit status and what it wrote."""
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a multi-threaded process (the core's runtime has threads)
        # may deadlock the child: what these tests check is that the client does not.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(read_fd)
            body(write_fd)
            status = 0
        except BaseException as error:  # noqa: BLE001 - report anything to the parent
            os.write(write_fd, f"child failed: {error!r}".encode())
        finally:
            os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as reader:
        output = reader.read().decode()
    give_up = time.monotonic() + 120
    while True:
        done, wait_status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(wait_status), output
        if time.monotonic() > give_up:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung")
        time.sleep(0.05)


def test_a_client_used_in_a_forked_child_raises_connection_exception(
    client: sleeper_pg.Client, store: sleeper_pg.StateStore
) -> None:
    store.get_partition("root")  # the pool now holds a connection the child inherits

    def child(out: int) -> None:
        for call in (lambda: store.get_partition("root"), client.list_tables, lambda: client.table(store.table_id)):
            try:
                call()
                os.write(out, b"call succeeded\n")
            except sleeper_pg.StateStoreConnectionException as error:
                os.write(out, f"{error}\n".encode())

    status, output = run_in_child(child)
    assert status == 0, output
    messages = output.splitlines()
    assert len(messages) == 3
    assert all("another process" in m for m in messages), output


def test_a_forked_child_may_connect_again(database_url: str) -> None:
    def child(out: int) -> None:
        with sleeper_pg.connect(database_url) as own:
            os.write(out, str(len(own.list_tables()) >= 0).encode())

    status, output = run_in_child(child)
    assert (status, output) == (0, "True")


def test_a_child_closing_and_dropping_its_copy_of_a_client_leaves_the_parent_working(
    database_url: str, store: sleeper_pg.StateStore
) -> None:
    held = [sleeper_pg.connect(database_url)]
    held[0].table(store.table_id).get_partition("root")  # a pooled connection the child inherits

    def child(out: int) -> None:
        held[0].close()
        held.clear()  # the child's last reference: the client is dropped there
        gc.collect()

    status, output = run_in_child(child)
    assert status == 0, output
    assert held[0].table(store.table_id).get_partition("root").id == "root"
    held[0].close()


def test_a_child_dropping_its_copy_of_a_local_cluster_leaves_the_cluster_running() -> None:
    held = [sleeper_pg.LocalPostgres()]
    url = held[0].url

    def child(out: int) -> None:
        held[0].close()
        held.clear()
        gc.collect()

    try:
        status, output = run_in_child(child)
        assert status == 0, output
        with sleeper_pg.connect(url, connect_timeout=10) as client:
            assert client.list_tables() == []
    finally:
        held[0].close()
