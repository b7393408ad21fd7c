"""Client: connecting, tables, closing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import sleeper_pg
from conftest import unique_id


def test_create_table_returns_a_store_for_the_new_table(client: sleeper_pg.Client, table_id: str) -> None:
    store = client.create_table(table_id, [("key", "long"), ("name", "string")])
    assert store.table_id == table_id
    assert store.row_keys == [("key", "long"), ("name", "string")]
    assert store.get_all_partitions() == []


def test_create_table_takes_any_sequence_of_pairs(client: sleeper_pg.Client, table_id: str) -> None:
    store = client.create_table(table_id, (["key", "bytes"],))  # type: ignore[arg-type]
    assert store.row_keys == [("key", "bytes")]


def test_create_table_with_a_taken_id_raises_table_already_exists(client: sleeper_pg.Client, table_id: str) -> None:
    client.create_table(table_id, [("key", "long")])
    with pytest.raises(sleeper_pg.TableAlreadyExistsException) as raised:
        client.create_table(table_id, [("key", "long")])
    assert str(raised.value) == f"Table already exists: {table_id}"
    assert raised.value.table_id == table_id


@pytest.mark.parametrize(
    ("row_keys", "error", "message"),
    [
        ([], ValueError, "row_keys must not be empty"),
        ([("key", "float")], ValueError, 'Unknown row key type "float"'),
        ([("", "long")], ValueError, "row key field name must not be empty"),
        ([("key", "long"), ("key", "int")], ValueError, "Duplicate row key field name: key"),
        ([("key",)], TypeError, "row_keys[0] must be a (name, type) pair"),
        ("key", TypeError, "row_keys must be a sequence of (name, type) pairs, not str"),
        (None, TypeError, "row_keys must be a sequence of (name, type) pairs, not None"),
        ([(1, "long")], TypeError, "row_keys[0] must be a str, not int"),
    ],
)
def test_create_table_rejects_invalid_row_keys(
    client: sleeper_pg.Client, table_id: str, row_keys: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        client.create_table(table_id, row_keys)  # type: ignore[arg-type]
    assert message in str(raised.value)
    assert table_id not in client.list_tables()


def test_create_table_rejects_an_empty_table_id(client: sleeper_pg.Client) -> None:
    with pytest.raises(ValueError, match="table id must not be empty"):
        client.create_table("", [("key", "long")])


def test_table_opens_an_existing_table(client: sleeper_pg.Client, table_id: str) -> None:
    client.create_table(table_id, [("key", "int")]).initialise()
    store = client.table(table_id)
    assert store.table_id == table_id
    assert store.row_keys == [("key", "int")]
    assert [p.id for p in store.get_all_partitions()] == ["root"]


def test_table_of_an_unknown_id_raises_table_not_found(client: sleeper_pg.Client) -> None:
    table_id = unique_id("missing")
    with pytest.raises(sleeper_pg.TableNotFoundException) as raised:
        client.table(table_id)
    assert str(raised.value) == f'Table not found with ID "{table_id}"'
    assert raised.value.table_id == table_id


def test_list_tables_returns_the_ids_in_code_point_order(client: sleeper_pg.Client) -> None:
    prefix = unique_id("list")
    ids = [f"{prefix}-b", f"{prefix}-B", f"{prefix}-a"]
    for table_id in ids:
        client.create_table(table_id, [("key", "long")])
    try:
        listed = [t for t in client.list_tables() if t.startswith(prefix)]
        assert listed == [f"{prefix}-B", f"{prefix}-a", f"{prefix}-b"]
    finally:
        for table_id in ids:
            client.delete_table(table_id)


def test_delete_table_removes_it_and_its_handles_raise_table_not_found(
    client: sleeper_pg.Client, store: sleeper_pg.StateStore
) -> None:
    client.delete_table(store.table_id)
    assert store.table_id not in client.list_tables()
    with pytest.raises(sleeper_pg.TableNotFoundException):
        store.get_all_partitions()


def test_a_handle_stays_bound_to_a_deleted_table_after_the_id_is_reused(
    client: sleeper_pg.Client, store: sleeper_pg.StateStore
) -> None:
    client.delete_table(store.table_id)
    client.create_table(store.table_id, [("key", "long")]).initialise()
    with pytest.raises(sleeper_pg.TableNotFoundException):
        store.get_all_partitions()


def test_delete_table_of_an_unknown_id_raises_table_not_found(client: sleeper_pg.Client) -> None:
    with pytest.raises(sleeper_pg.TableNotFoundException):
        client.delete_table(unique_id("missing"))


def test_client_is_a_context_manager_that_closes_it(database_url: str) -> None:
    with sleeper_pg.connect(database_url) as client:
        client.list_tables()
    with pytest.raises(sleeper_pg.StateStoreConnectionException):
        client.list_tables()


def test_close_closes_the_connections_and_may_be_repeated(database_url: str) -> None:
    client = sleeper_pg.connect(database_url)
    client.close()
    client.close()
    with pytest.raises(sleeper_pg.StateStoreConnectionException):
        client.list_tables()


def test_connect_takes_database_url_from_the_environment(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    with sleeper_pg.connect() as client:
        assert isinstance(client.list_tables(), list)


def test_connect_into_a_schema_of_its_own_keeps_tables_apart(
    database_url: str, client: sleeper_pg.Client, table_id: str
) -> None:
    schema = unique_id("schema")
    with sleeper_pg.connect(database_url, schema=schema) as other:
        other.create_table(table_id, [("key", "long")])
        assert other.list_tables() == [table_id]
    assert table_id not in client.list_tables()


def test_connect_without_migrating_leaves_a_new_schema_uncreated(database_url: str) -> None:
    with sleeper_pg.connect(database_url, migrate=False, schema=unique_id("unmigrated")) as client:
        with pytest.raises(sleeper_pg.StateStoreConnectionException, match="does not exist") as raised:
            client.list_tables()
    assert raised.value.sqlstate == "42P01"  # undefined_table


def test_connect_to_an_unreachable_server_raises_connection_exception() -> None:
    with pytest.raises(sleeper_pg.StateStoreConnectionException) as raised:
        sleeper_pg.connect("postgresql://nobody@127.0.0.1:1/none", connect_timeout=5, server_wait_timeout=0)
    assert raised.value.sqlstate is None


def test_connect_takes_every_option(database_url: str) -> None:
    with sleeper_pg.connect(
        database_url,
        max_connections=2,
        migrate=True,
        schema="sleeper",
        connect_timeout=10,
        acquire_timeout=10.5,
        server_wait_timeout=20,
        statement_timeout=None,
        idle_timeout=None,
        attempt_timeout=None,
        call_timeout=120,
        statement_cache=False,
        retry_max_attempts=3,
        retry_initial_backoff=0.01,
        retry_max_backoff=0.5,
    ) as client:
        assert isinstance(client.list_tables(), list)
    with sleeper_pg.connect(
        database_url,
        statement_timeout=30,
        idle_timeout=sleeper_pg.Default.DEFAULT,
        attempt_timeout=sleeper_pg.Default.DEFAULT,
        call_timeout=None,
    ) as client:
        assert isinstance(client.list_tables(), list)


def test_connect_passes_only_the_options_its_caller_set(monkeypatch: pytest.MonkeyPatch) -> None:
    passed: list[tuple[str | None, dict[str, object]]] = []

    def record(url: str | None, **options: object) -> sleeper_pg.Client:
        passed.append((url, options))
        raise RuntimeError("not connecting")

    monkeypatch.setattr(sleeper_pg._native, "_connect", record)
    calls: list[Callable[[], object]] = [
        lambda: sleeper_pg.connect(),
        lambda: sleeper_pg.connect("postgresql://h/db", max_connections=3, statement_timeout=None, migrate=False),
        lambda: sleeper_pg.connect(idle_timeout=5, schema=None, retry_max_attempts=None),
    ]
    for call in calls:
        with pytest.raises(RuntimeError):
            call()
    assert passed == [
        (None, {}),
        ("postgresql://h/db", {"max_connections": 3, "migrate": False, "statement_timeout": None}),
        (None, {"idle_timeout": 5}),
    ]


def test_the_native_connect_refuses_an_unknown_option(database_url: str) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'pool_size'"):
        sleeper_pg._native._connect(database_url, pool_size=3)


def test_connection_errors_and_repr_never_show_the_password() -> None:
    url = "postgresql://user:s3cret-pw@127.0.0.1:1/db"
    with pytest.raises(sleeper_pg.StateStoreConnectionException) as raised:
        sleeper_pg.connect(url, connect_timeout=5, server_wait_timeout=0)
    assert "s3cret-pw" not in str(raised.value)
    assert "s3cret-pw" not in repr(raised.value)
    with sleeper_pg.connect(url, migrate=False) as client:
        assert "s3cret-pw" not in repr(client)
        assert "***" in repr(client)


def test_connect_rejects_a_malformed_url() -> None:
    with pytest.raises(ValueError, match="Invalid database URL"):
        sleeper_pg.connect("not a url")


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"max_connections": 0}, ValueError, "max_connections must be at least 1"),  # the core's check
        ({"max_connections": 2**70}, ValueError, "max_connections must be between 0 and 4294967295"),
        ({"max_connections": "10"}, TypeError, "max_connections must be an int, not str"),
        ({"migrate": 1}, TypeError, "migrate must be a bool, not int"),
        ({"connect_timeout": -1.0}, ValueError, "connect_timeout must be a finite number of seconds"),
        ({"acquire_timeout": "soon"}, TypeError, "acquire_timeout must be a number of seconds"),
        ({"schema": ""}, ValueError, "schema must not be empty"),
        ({"statement_timeout": float("nan")}, ValueError, "statement_timeout must be a finite number"),
        ({"idle_timeout": "1"}, TypeError, "idle_timeout must be a number of seconds"),
        ({"statement_cache": 0}, TypeError, "statement_cache must be a bool, not int"),
        ({"retry_max_attempts": 1.5}, TypeError, "retry_max_attempts must be an int, not float"),
        ({"retry_initial_backoff": -0.1}, ValueError, "retry_initial_backoff must be a finite number"),
        ({"retry_max_backoff": True}, TypeError, "retry_max_backoff must be a number of seconds"),
    ],
)
def test_connect_rejects_invalid_options(
    database_url: str, options: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        sleeper_pg.connect(database_url, **options)  # type: ignore[arg-type]
    assert message in str(raised.value)


def test_a_store_handle_repr_names_its_table(store: sleeper_pg.StateStore) -> None:
    assert repr(store) == f"StateStore(table_id={store.table_id!r})"
