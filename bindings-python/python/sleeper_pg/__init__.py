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

Reads come as objects or as Arrow record batches (:meth:`StateStore.get_file_references_arrow`,
:meth:`StateStore.get_partitions_arrow`), which pyarrow, polars and DuckDB take without a copy.

:class:`LocalPostgres` starts a throwaway PostgreSQL cluster, for tests and experiments. The core's log
events reach Python's :mod:`logging` under the logger ``sleeper_pg``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

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
    ArrowStream,
    AssignJobIdRequest,
    Change,
    ChangeSummary,
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
    TableStatus,
    TransactionLogReplay,
    TransactionOutcome,
    partitions_from_split_points,
)
from ._stats import Bucket, ClientStats, DurationHistogram, OperationStats
from . import _exceptions, _native

__version__ = "0.1.0"

__all__ = [
    "AllReferencesToAFile",
    "AllReferencesToAllFiles",
    "ArrowStream",
    "AssignJobIdRequest",
    "Bucket",
    "Change",
    "ChangeSummary",
    "CheckFileAssignmentsRequest",
    "Client",
    "ClientStats",
    "Default",
    "DurationHistogram",
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
    "OperationStats",
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
    "TableStatus",
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


class Default(enum.Enum):
    """The value of an option left to the core, where None is a value of its own (``statement_timeout``,
    ``idle_timeout``, ``attempt_timeout`` and ``call_timeout``, whose None means no limit)."""

    DEFAULT = "DEFAULT"

    def __repr__(self) -> str:
        return "sleeper_pg.Default.DEFAULT"


def connect(
    url: str | None = None,
    *,
    max_connections: int | None = None,
    migrate: bool | None = None,
    schema: str | None = None,
    connect_timeout: float | None = None,
    acquire_timeout: float | None = None,
    server_wait_timeout: float | None = None,
    statement_timeout: float | None | Default = Default.DEFAULT,
    idle_timeout: float | None | Default = Default.DEFAULT,
    attempt_timeout: float | None | Default = Default.DEFAULT,
    call_timeout: float | None | Default = Default.DEFAULT,
    statement_cache: bool | None = None,
    retry_max_attempts: int | None = None,
    retry_initial_backoff: float | None = None,
    retry_max_backoff: float | None = None,
    replica_urls: Sequence[str] | None = None,
    replica_wait: float | None = None,
    change_feed: bool | None = None,
) -> Client:
    """Opens a pool of connections to one PostgreSQL database.

    Every option left out (None, or ``Default.DEFAULT`` where None means no limit) keeps the core's
    default: the defaults and the checks of the options are the core's (``ClientOptions``), the same
    in every language. Times are in seconds, as an ``int`` or a ``float``.

    Args:
        url: ``postgresql://user:password@host:port/db?sslmode=...``. When None, the environment
            variable ``DATABASE_URL``; without it, a new :class:`LocalPostgres` cluster that lives as
            long as the client.
        max_connections: the most connections the client holds (at least 1); a call that finds them
            all busy waits for one (up to ``acquire_timeout``).
        migrate: create or upgrade the store's schema when connecting. Turn off where a separate admin
            step owns the schema.
        schema: the PostgreSQL schema holding the store's tables, so that it can share a database.
        connect_timeout: how long one try at opening a connection (and migrating) may take.
        acquire_timeout: how long a call may wait for a free connection while all are in use.
        server_wait_timeout: how long a call waits for a server that cannot take connections for now
            (restarting, or an Aurora Serverless v2 instance resuming from a pause), trying again;
            60 s by default.
        statement_timeout: a server-side limit on each statement; None keeps the server's setting.
        idle_timeout: connections idle this long are closed; None keeps them open.
        attempt_timeout: a client-side limit on one attempt of a call once it has its connection, so
            that a server that stops answering fails the call; at least twice ``statement_timeout``;
            60 s by default, None for no limit.
        call_timeout: a client-side limit on one call in all, its retries included; 300 s by
            default, None for no limit.
        statement_cache: cache prepared statements per connection; turn off behind a
            transaction-pooling PgBouncer.
        retry_max_attempts: the attempts a call makes in all, the first included, while it conflicts
            with concurrent updates (a serialization failure or deadlock); then it raises
            :class:`StateStoreConnectionException`.
        retry_initial_backoff: the first ceiling of the random wait before another attempt.
        retry_max_backoff: the largest that ceiling grows to, doubling after each attempt.
        replica_urls: hot standbys of the database: reads go to them in turn, writes to ``url``. A
            read after this client's write waits for its replica to have replayed the write (up to
            ``replica_wait``) and otherwise reads from ``url``, as it does while no replica answers.
        replica_wait: how long a read after a write waits for a replica to replay the write.
        change_feed: record every write in its table's change feed (``StateStore.read_changes``) and
            wake the feed's followers after it (on by default). Turn off only where nothing follows
            the feed: the writes of such a client are missing from it.

    Raises:
        StateStoreConnectionException: the database cannot be reached or migrated.
        TypeError: an option of the wrong type.
        ValueError: a malformed URL, or an option the core refuses (or no Rust type holds, such as a
            negative time).
    """
    given = locals()
    defaults = connect.__kwdefaults__ or {}
    options = {name: value for name, value in given.items() if name in defaults and value is not defaults[name]}
    return _native._connect(url, **options)
