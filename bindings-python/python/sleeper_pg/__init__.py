"""sleeper_pg: the state of Sleeper tables (partitions and file references) in PostgreSQL.

Open a :class:`Client` with :func:`connect`, create or open a table to get a :class:`StateStore`, and
call Sleeper's state store methods on it. Every call is one PostgreSQL transaction, all or nothing,
and releases the GIL while it waits on the database::

    import sleeper_pg

    with sleeper_pg.connect("postgresql://user:password@host/db") as client:
        store = client.create_table("my-table", [("key", "long")])
        store.initialise()
        store.add_file(sleeper_pg.FileReference("file1.parquet", "root", 1000))

Sleeper v0.36's transactions apply as they are, from the JSON Sleeper writes for them
(:meth:`StateStore.apply_transaction`), or a whole transaction log at once
(:meth:`StateStore.apply_transaction_log`).

:class:`LocalPostgres` starts a throwaway PostgreSQL cluster, for tests and experiments. The core's log
events reach Python's :mod:`logging` under the logger ``sleeper_pg``.
"""

from __future__ import annotations

from ._exceptions import (
    FileAlreadyExistsException,
    FileHasReferencesException,
    FileNotFoundException,
    FileReferenceAlreadyExistsException,
    FileReferenceAssignedToJobException,
    FileReferenceNotAssignedToJobException,
    FileReferenceNotFoundException,
    InitialiseWithFilesPresentException,
    NewReferenceSameAsOldReferenceException,
    PartitionNotFoundException,
    ReplaceRequestsFailedException,
    SplitRequestsFailedException,
    StateStoreConnectionException,
    StateStoreException,
    TableAlreadyExistsException,
    TableNotFoundException,
)
from ._native import (
    AllReferencesToAFile,
    AllReferencesToAllFiles,
    AssignJobIdRequest,
    CheckFileAssignmentsRequest,
    Client,
    FileReference,
    LocalPostgres,
    Partition,
    Range,
    Region,
    ReplaceFileReferencesRequest,
    SplitFileReferenceRequest,
    StateStore,
    TransactionLogReplay,
    TransactionOutcome,
    partitions_from_split_points,
)
from . import _exceptions, _native

__version__ = "0.1.0"

__all__ = [
    "AllReferencesToAFile",
    "AllReferencesToAllFiles",
    "AssignJobIdRequest",
    "CheckFileAssignmentsRequest",
    "Client",
    "FileAlreadyExistsException",
    "FileHasReferencesException",
    "FileNotFoundException",
    "FileReference",
    "FileReferenceAlreadyExistsException",
    "FileReferenceAssignedToJobException",
    "FileReferenceNotAssignedToJobException",
    "FileReferenceNotFoundException",
    "InitialiseWithFilesPresentException",
    "LocalPostgres",
    "NewReferenceSameAsOldReferenceException",
    "Partition",
    "PartitionNotFoundException",
    "Range",
    "Region",
    "ReplaceFileReferencesRequest",
    "ReplaceRequestsFailedException",
    "SplitFileReferenceRequest",
    "SplitRequestsFailedException",
    "StateStore",
    "StateStoreConnectionException",
    "StateStoreException",
    "TableAlreadyExistsException",
    "TableNotFoundException",
    "TransactionLogReplay",
    "TransactionOutcome",
    "connect",
    "partitions_from_split_points",
]

# The exceptions are defined in a private module; they belong to the package.
for _exception in vars(_exceptions).values():
    if isinstance(_exception, type) and issubclass(_exception, StateStoreException):
        _exception.__module__ = __name__
del _exception


def connect(
    url: str | None = None,
    *,
    max_connections: int = 10,
    migrate: bool = True,
    schema: str = "sleeper",
    connect_timeout: float = 10.0,
    acquire_timeout: float = 30.0,
    statement_timeout: float | None = None,
    idle_timeout: float | None = 60.0,
    statement_cache: bool = True,
) -> Client:
    """Opens a pool of connections to one PostgreSQL database.

    Args:
        url: ``postgresql://user:password@host:port/db?sslmode=...``. When None, the environment
            variable ``DATABASE_URL``; without it, a new :class:`LocalPostgres` cluster that lives as
            long as the client.
        max_connections: the most connections the client holds; a call that finds them all busy
            waits for one (up to ``acquire_timeout``).
        migrate: create or upgrade the store's schema when connecting. Turn off where a separate admin
            step owns the schema.
        schema: the PostgreSQL schema holding the store's tables, so that it can share a database.
        connect_timeout: seconds that opening one connection (and migrating) may take.
        acquire_timeout: seconds a call may wait for a free connection, including opening one.
        statement_timeout: a server-side limit in seconds on each statement; None keeps the server's.
        idle_timeout: seconds after which idle connections are closed; None keeps them open.
        statement_cache: cache prepared statements per connection; turn off behind a
            transaction-pooling PgBouncer.

    Raises:
        StateStoreConnectionException: the database cannot be reached or migrated.
        ValueError: a malformed URL or option.
    """
    return _native._connect(
        url,
        max_connections,
        migrate,
        schema,
        connect_timeout,
        acquire_timeout,
        statement_timeout,
        idle_timeout,
        statement_cache,
    )
