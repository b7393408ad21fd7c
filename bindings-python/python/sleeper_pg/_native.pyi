"""Type stubs of the native module ``sleeper_pg._native``; import its names from ``sleeper_pg``."""

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Mapping, final

from ._exceptions import StateStoreException
from ._stats import ClientStats

_KeyValue = int | str | bytes
"""A row key value: ``int`` for ``int`` and ``long`` fields, ``str`` for ``string``, ``bytes`` for ``bytes``."""

_KeyType = Literal["int", "long", "string", "bytes"]
"""The type of a row key field."""

@final
class FileReference:
    """The rows of one data file that belong to one partition.

    ``last_update_time`` is set by the store on every write; a value given here never reaches it.
    """

    def __init__(
        self,
        filename: str,
        partition_id: str,
        number_of_rows: int,
        *,
        job_id: str | None = None,
        last_update_time: datetime | None = None,
        count_approximate: bool = False,
        only_contains_data_for_this_partition: bool = True,
    ) -> None: ...
    @property
    def filename(self) -> str:
        """The data file, identified only by its name (in production a full object-store URI)."""
    @property
    def partition_id(self) -> str:
        """The partition whose rows of the file this reference covers."""
    @property
    def number_of_rows(self) -> int:
        """Rows of the file in this partition, exact or estimated (``count_approximate``)."""
    @property
    def job_id(self) -> str | None:
        """The compaction job the reference is assigned to, or None."""
    @property
    def last_update_time(self) -> datetime | None:
        """When the store last wrote this reference (UTC), or None on a reference not read from the store."""
    @property
    def count_approximate(self) -> bool:
        """True when ``number_of_rows`` is an estimate."""
    @property
    def only_contains_data_for_this_partition(self) -> bool:
        """True when the file holds no rows outside this partition."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class AllReferencesToAFile:
    """One file and all its references."""

    def __init__(
        self, filename: str, references: Sequence[FileReference], last_update_time: datetime | None = None
    ) -> None: ...
    @property
    def filename(self) -> str:
        """The data file."""
    @property
    def references(self) -> list[FileReference]:
        """The file's references, sorted by partition id when read from the store."""
    @property
    def last_update_time(self) -> datetime | None:
        """When the last write that touched the file ran (UTC), or None."""
    @property
    def reference_count(self) -> int:
        """The number of references: 0 for a file awaiting garbage collection."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class AllReferencesToAllFiles:
    """The report of ``get_all_files_with_max_unreferenced``: files sorted by filename."""

    def __init__(self, files: Sequence[AllReferencesToAFile], more_than_max: bool = False) -> None: ...
    @property
    def files(self) -> list[AllReferencesToAFile]:
        """Every file in the report, sorted by filename."""
    @property
    def files_with_references(self) -> list[AllReferencesToAFile]:
        """The files with at least one reference, sorted by filename."""
    @property
    def files_with_no_references(self) -> list[AllReferencesToAFile]:
        """The files with no references, sorted by filename."""
    @property
    def more_than_max(self) -> bool:
        """True iff unreferenced files were left out of the report because of the limit."""
    def list_file_references(self) -> list[FileReference]:
        """The references of the referenced files, by filename then partition id."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Range:
    """The values of one row key field: ``min`` inclusive, ``max`` exclusive or None for no upper bound."""

    def __init__(self, field_name: str, min: _KeyValue, max: _KeyValue | None = None) -> None: ...
    @property
    def field_name(self) -> str:
        """The name of the row key field."""
    @property
    def min(self) -> _KeyValue:
        """The smallest value in the range (inclusive)."""
    @property
    def max(self) -> _KeyValue | None:
        """The first value above the range (exclusive), or None for no upper bound."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Region:
    """One range per row key field. Equality ignores the order of the ranges."""

    def __init__(self, ranges: Sequence[Range]) -> None: ...
    @property
    def ranges(self) -> list[Range]:
        """The ranges, one per row key field (in field order when read from the store)."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Partition:
    """A node of the partition tree."""

    def __init__(
        self,
        id: str,
        region: Region,
        *,
        is_leaf_partition: bool = True,
        parent_partition_id: str | None = None,
        child_partition_ids: Sequence[str] = (),
        dimension: int = -1,
    ) -> None: ...
    @property
    def id(self) -> str:
        """Unique within the table."""
    @property
    def region(self) -> Region:
        """The rows this partition covers."""
    @property
    def is_leaf_partition(self) -> bool:
        """True while the partition has not been split."""
    @property
    def parent_partition_id(self) -> str | None:
        """The parent's id; None only for the root."""
    @property
    def child_partition_ids(self) -> list[str]:
        """Empty for a leaf; ``[left_id, right_id]`` after a split."""
    @property
    def dimension(self) -> int:
        """-1 unless split; after a split, the index of the row key field that was split."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class SplitFileReferenceRequest:
    """Replace a file's reference on ``old_reference.partition_id`` by ``new_references``."""

    def __init__(self, old_reference: FileReference, new_references: Sequence[FileReference]) -> None: ...
    @staticmethod
    def split_file_to_child_partitions(
        file: FileReference, left_partition_id: str, right_partition_id: str
    ) -> SplitFileReferenceRequest:
        """The usual push-down of one reference into the two children of its partition: each new
        reference has half the rows (rounded down), an approximate count and data for other partitions."""
    @property
    def old_reference(self) -> FileReference:
        """The reference to replace; the store reads only its filename and partition id."""
    @property
    def new_references(self) -> list[FileReference]:
        """The references that replace it, each with the same filename."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class ReplaceFileReferencesRequest:
    """The commit of one compaction job: remove the references of ``input_files`` on ``partition_id``
    (each assigned to ``job_id``) and add the output file with its one reference, ``new_reference``."""

    def __init__(
        self, job_id: str, partition_id: str, input_files: Sequence[str], new_reference: FileReference
    ) -> None: ...
    @property
    def job_id(self) -> str:
        """The compaction job being committed."""
    @property
    def partition_id(self) -> str:
        """The partition the job compacted."""
    @property
    def input_files(self) -> list[str]:
        """The filenames whose references on ``partition_id`` the job replaces."""
    @property
    def new_reference(self) -> FileReference:
        """The only reference of the job's output file."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class AssignJobIdRequest:
    """Assign ``job_id`` to the reference of each named file on ``partition_id``."""

    def __init__(self, job_id: str, partition_id: str, filenames: Sequence[str]) -> None: ...
    @property
    def job_id(self) -> str:
        """The job to assign."""
    @property
    def partition_id(self) -> str:
        """The partition of the references to assign."""
    @property
    def filenames(self) -> list[str]:
        """The files whose references on ``partition_id`` get the job."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class CheckFileAssignmentsRequest:
    """Whether ``job_id`` is assigned to the reference of each named file on ``partition_id``: one
    question of ``StateStore.is_assigned`` (Sleeper's ``CheckFileAssignmentsRequest``)."""

    def __init__(self, job_id: str, filenames: Sequence[str], partition_id: str) -> None: ...
    @property
    def job_id(self) -> str:
        """The job the references should have."""
    @property
    def filenames(self) -> list[str]:
        """The files whose references on ``partition_id`` are checked, in order."""
    @property
    def partition_id(self) -> str:
        """The partition of the references."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class TableStatus:
    """A table's counts in one snapshot: partitions, files, references, jobs in flight, and the oldest
    reference waiting for a job and file waiting for garbage collection (timezone-aware ``datetime``
    in UTC, or None when there is none)."""

    @property
    def partitions(self) -> int: ...
    @property
    def leaf_partitions(self) -> int: ...
    @property
    def files(self) -> int: ...
    @property
    def references(self) -> int: ...
    @property
    def references_with_no_job(self) -> int: ...
    @property
    def jobs_in_flight(self) -> int: ...
    @property
    def unreferenced_files(self) -> int: ...
    @property
    def oldest_reference_with_no_job(self) -> datetime | None: ...
    @property
    def oldest_unreferenced_file(self) -> datetime | None: ...

@final
class ChangeSummary:
    """Counts of what a change's transaction names: the files, references, compaction jobs and
    partitions."""

    @property
    def files(self) -> int:
        """Files added, or deleted, or the inputs of the jobs committed, or split."""
    @property
    def references(self) -> int:
        """References added, assigned, split into, or written as compaction outputs."""
    @property
    def jobs(self) -> int:
        """Compaction jobs assigned or committed."""
    @property
    def partitions(self) -> int:
        """Partitions written."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Change:
    """One entry of a table's change feed: a write, as the Sleeper transaction it applied.

    ``(change.transaction_type, change.transaction_json)`` are what ``StateStore.apply_transaction``
    takes, so a feed can be replayed on another table."""

    @property
    def sequence(self) -> int:
        """The entry's number in its table's feed: 1, 2, 3... in the order the writes took effect."""
    @property
    def recorded_at(self) -> datetime:
        """When the write's transaction started (timezone-aware, UTC, to the microsecond)."""
    @property
    def transaction_type(self) -> str:
        """Sleeper's name of the transaction type: ``"ADD_FILES"``, ``"REPLACE_FILE_REFERENCES"``, ..."""
    @property
    def transaction_json(self) -> str | None:
        """The transaction as Sleeper's ``TransactionSerDe`` writes it, or None where it was too large
        to record whole (more than 10,000 items or 1 MiB): then only ``summary`` tells of it."""
    @property
    def summary(self) -> ChangeSummary:
        """What the transaction names, counted."""
    def __eq__(self, other: object) -> bool: ...

@final
class TransactionOutcome:
    """What ``StateStore.apply_transaction`` did: the parts of the transaction that were skipped, as
    ``(index, exception)`` pairs: the index of the compaction job or file in the transaction, and the
    exception Sleeper's job tracker would report for it. Always empty in synchronous mode, where any
    invalid part raises instead."""

    @property
    def failures(self) -> list[tuple[int, StateStoreException]]:
        """The skipped parts, ``(index, exception)`` in index order. For ``REPLACE_FILE_REFERENCES``
        the jobs not listed were applied; for ``ADD_FILES`` a failure means that no file was added."""
    @property
    def fully_applied(self) -> bool:
        """True when every part of the transaction was applied (no failures)."""

@final
class TransactionLogReplay:
    """What ``StateStore.apply_transaction_log`` did: the number of entries applied, and every part
    that Sleeper's apply skipped, as ``(entry, index, exception)``: the entry's number in the log
    (from 1, blank lines not counted), the index of the job or file in that entry's transaction, and
    the exception."""

    @property
    def entries(self) -> int:
        """The entries applied, including those with skipped parts."""
    @property
    def failures(self) -> list[tuple[int, int, StateStoreException]]:
        """The skipped parts, ``(entry, index, exception)`` in log order."""

@final
class ArrowStream:
    """The record batches of one read, read from the store when the read was called.

    Speaks the Arrow PyCapsule interface, so ``pyarrow.table(stream)``, ``polars.from_arrow(stream)``
    and DuckDB take it without a copy, as many times as they ask.

    References have the columns ``filename``, ``partition_id`` (dictionary), ``number_of_rows``,
    ``job_id`` (dictionary, nullable), ``last_update_time`` (timestamp, milliseconds, UTC),
    ``count_approximate`` and ``only_contains_data_for_this_partition``. Partitions have
    ``partition_id``, ``is_leaf_partition``, ``parent_partition_id``, ``child_partition_ids``,
    ``dimension``, then ``<field>_min`` and ``<field>_max`` (null for no upper bound) per row key field.
    """

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """A new ``arrow_array_stream`` capsule over the batches, taken over by the caller."""
    @property
    def num_rows(self) -> int:
        """The rows of all the batches."""
    def to_pyarrow(self) -> Any:
        """The batches as a ``pyarrow.Table`` sharing their buffers (needs pyarrow 14 or later)."""

@final
class StateStore:
    """A handle on one Sleeper table: every method of Sleeper's state store, each one PostgreSQL
    transaction. Made by ``Client.create_table`` or ``Client.table``. Safe to share between threads;
    every call releases the GIL. Times are timezone-aware ``datetime`` in UTC."""

    @property
    def table_id(self) -> str:
        """The id of the table this handle is bound to."""
    @property
    def row_keys(self) -> list[tuple[str, _KeyType]]:
        """The table's row key fields, ``[(name, type), ...]`` in dimension order."""
    def initialise(self, partitions: Sequence[Partition] | None = None) -> None:
        """Replaces every partition: with the single root partition covering all keys when
        ``partitions`` is None, else with exactly the given partitions once they are checked to form a
        valid tree. Raises ``InitialiseWithFilesPresentException`` while the table has any file."""
    def get_all_partitions(self) -> list[Partition]:
        """Every partition, sorted by id."""
    def get_leaf_partitions(self) -> list[Partition]:
        """The leaf partitions, sorted by id."""
    def get_partition(self, partition_id: str) -> Partition:
        """The partition with this id; ``PartitionNotFoundException`` if there is none."""
    def atomically_update_partition_and_create_new_ones(
        self, split_partition: Partition, new_partition_1: Partition, new_partition_2: Partition
    ) -> None:
        """Splits a leaf: stores ``split_partition`` (the leaf, now with its two children) and the two
        new partitions, after checking that they describe a valid split."""
    def split_partition(self, parent: Partition, new_children: Sequence[Partition]) -> None:
        """Sleeper's ``SplitPartitionTransaction``: stores ``parent`` (the leaf, now split) and its new
        children, which must be two. A list of another length raises a plain ``StateStoreException``
        "Failed to validate partition split: ..." whose ``__cause__`` is a ``ValueError`` with the
        reason."""
    def extend_partition_tree(
        self, update_partitions: Sequence[Partition], new_partitions: Sequence[Partition]
    ) -> None:
        """Sleeper's ``ExtendPartitionTreeTransaction``: splits the stored leaves ``update_partitions``
        (as given, now split) and adds ``new_partitions``, any number of levels at once. Nothing
        changes unless the whole resulting tree is valid: else a plain ``StateStoreException``, whose
        ``__cause__`` is a ``ValueError`` with the reason when the tree itself is invalid."""
    def clear_partition_data(self) -> None:
        """Removes every partition; files stay. The table needs ``initialise`` again."""
    def fix_partition_update_time(self, time: datetime | None) -> None:
        """Makes later partition writes through this handle use ``time`` as now; None restores the
        database clock. Partitions carry no time, so nothing shows it yet."""
    def add_file(self, reference: FileReference) -> None:
        """Adds one new file with one reference: exactly ``add_files([reference])``."""
    def add_files(self, references: Sequence[FileReference]) -> None:
        """Adds new files from their references, grouped by filename. A filename that already exists
        raises ``FileAlreadyExistsException``."""
    def add_files_with_references(self, files: Sequence[AllReferencesToAFile]) -> None:
        """Adds new files, each with zero or more references."""
    def split_file_references(self, requests: Sequence[SplitFileReferenceRequest]) -> None:
        """Replaces file references by others (usually pushing them down to child partitions). Any
        failure raises ``SplitRequestsFailedException`` and applies nothing."""
    def atomically_replace_file_references_with_new_ones(
        self, requests: Sequence[ReplaceFileReferencesRequest]
    ) -> None:
        """Commits compaction jobs. Any failure raises ``ReplaceRequestsFailedException`` and applies
        nothing."""
    def assign_job_ids(self, requests: Sequence[AssignJobIdRequest]) -> None:
        """Assigns compaction jobs to file references, none of which may have a job yet."""
    def delete_garbage_collected_file_reference_counts(self, filenames: Sequence[str]) -> None:
        """Removes the records of garbage-collected files, which must have no references left."""
    def get_file_references(self) -> list[FileReference]:
        """Every file reference, by filename then partition id."""
    def get_file_references_with_no_job_id(self) -> list[FileReference]:
        """The file references with no job, by filename then partition id."""
    def get_ready_for_gc_filenames_before(self, max_update_time: datetime) -> list[str]:
        """The files with no references whose last update was strictly before ``max_update_time``, in
        filename order. Any timezone-aware datetime is a valid cutoff, up to ``datetime.max``."""
    def get_partition_to_referenced_files_map(self) -> dict[str, list[str]]:
        """Partition id to the filenames referenced on it, for partitions with at least one reference."""
    def get_file_references_on_partitions(self, partition_ids: Sequence[str]) -> list[FileReference]:
        """The live references on the partitions named, by partition id then filename.

        ``PartitionNotFoundException`` for a partition that does not exist."""
    def get_partition_to_referenced_files_map_on_partitions(self, partition_ids: Sequence[str]) -> dict[str, list[str]]:
        """Partition id to filenames, for the partitions named that have references."""
    def get_partitions_in_region(self, region: Region) -> list[Partition]:
        """Every partition, leaf or not, overlapping ``region``, by id.

        Both ends of the region's ranges are included; a field with no range matches any value."""
    def get_partition_to_referenced_files_map_in_region(self, region: Region) -> dict[str, list[str]]:
        """Partition id to filenames for the partitions overlapping ``region`` that have references: the
        leaves a query reads and their ancestors, whose files hold data of those leaves."""
    def get_file_references_arrow(
        self, *, partition_ids: Sequence[str] | None = None, region: Region | None = None
    ) -> ArrowStream:
        """The live references of the table, or on the partitions named, or on those overlapping
        ``region`` (not both), as Arrow record batches."""
    def get_partitions_arrow(
        self, *, partition_ids: Sequence[str] | None = None, region: Region | None = None
    ) -> ArrowStream:
        """The partitions of the table, or those named, or those overlapping ``region`` (not both), as
        Arrow record batches."""
    def get_all_files_with_max_unreferenced(self, max_unreferenced_files: int) -> AllReferencesToAllFiles:
        """Every referenced file, plus at most ``max_unreferenced_files`` unreferenced ones."""
    def is_partition_files_assigned_to_job(self, partition_id: str, filenames: Sequence[str], job_id: str) -> bool:
        """True iff every named file's reference on the partition has ``job_id``. Raises
        ``FileReferenceNotFoundException`` for a missing reference and
        ``FileReferenceAssignedToJobException`` for one with another job."""
    def is_assigned(self, requests: Sequence[CheckFileAssignmentsRequest]) -> bool:
        """Sleeper's ``isAssigned``: true iff every named reference of every request has the request's
        job (true for no requests). Walking the requests and their filenames in order, a missing
        reference raises ``FileReferenceNotFoundException`` and one with another job
        ``FileReferenceAssignedToJobException``; one with no job makes the answer False."""
    def has_no_files(self) -> bool:
        """True iff the table has no file at all; files awaiting garbage collection count."""
    def status(self) -> TableStatus:
        """The table's counts in one snapshot."""
    def read_changes(self, after: int = 0, limit: int = 1000) -> list[Change]:
        """The entries of the table's change feed numbered after ``after``, in order, at most
        ``limit``: every write whose transaction, and every transaction that began before it, has
        ended. Read from the primary."""
    def wait_for_changes(self, after: int, limit: int = 1000, *, timeout: float) -> list[Change]:
        """``read_changes``, waiting up to ``timeout`` seconds for an entry after ``after`` if there
        is none yet: woken by the client that wrote it, or finding it by looking again every second.
        Empty if none came in time. Releases the GIL; Ctrl-C interrupts the wait."""
    def delete_changes_through(self, sequence: int) -> int:
        """Deletes the entries of the table's feed numbered up to ``sequence`` and returns how many it
        deleted. ``sequence`` must have been given by a read: past the last numbered entry (an
        entry after it may not be numbered yet) raises ``ValueError``."""
    def clear_file_data(self) -> None:
        """Removes every file and reference; partitions stay."""
    def fix_file_update_time(self, time: datetime | None) -> None:
        """Makes later file writes through this handle use ``time`` as now; None restores the
        database clock."""
    def clear_sleeper_table(self) -> None:
        """Removes every file and partition; the table stays and needs ``initialise`` again."""
    def apply_transaction(
        self, transaction_type: str, transaction_json: str | bytes, *, synchronous: bool = False
    ) -> TransactionOutcome:
        """Applies one Sleeper transaction, given as its type's name (``"ADD_FILES"``, ...) and the JSON
        Sleeper's ``TransactionSerDe`` writes for it, in one database transaction. Synchronous mode is
        Sleeper's ``synchronousCommit``: any invalid part raises and nothing is applied. Asynchronous
        mode (the default) is Sleeper's state store committer: a compaction job that is no longer
        valid is skipped and the others apply; an ingest whose files cannot be added is skipped
        whole; the skipped parts are the outcome's ``failures``. An unknown type or malformed JSON
        raises ``ValueError``."""
    def apply_transaction_log(
        self, path: str | os.PathLike[str], *, progress: Callable[[int, int], object] | None = None
    ) -> TransactionLogReplay:
        """Replays a table's transaction log: a file of JSON lines, one entry each (``transactionType``,
        ``transaction``, and optionally ``transactionNumber`` and ``updateTime``), applied in order,
        each in its own database transaction and in asynchronous mode, with the entry's
        ``updateTime`` as its clock. The first entry that fails raises, leaving the entries before
        it applied.

        ``progress(entries_applied, bytes_read)`` is called after each entry. If it raises, the
        replay stops there (the entries it was told of stay applied) and its exception propagates.
        It must not call the store: it runs inside this call, so a store call from it raises
        ``StateStoreException``."""

@final
class Client:
    """A pool of connections to one PostgreSQL database holding any number of Sleeper tables.

    Made by ``sleeper_pg.connect``. Safe to share between threads; every call releases the GIL. Use it
    as a context manager, or call ``close()``, to close its connections. A client belongs to the
    process that made it: after ``os.fork()`` the child must connect again."""

    def create_table(self, table_id: str, row_keys: Sequence[tuple[str, _KeyType]]) -> StateStore:
        """Creates a table with the given row key fields and returns a handle on it. The table has no
        partitions: call ``initialise()`` before use."""
    def table(self, table_id: str) -> StateStore:
        """A new handle on an existing table, with the database clock."""
    def list_tables(self) -> list[str]:
        """The ids of all tables, sorted by code point."""
    def delete_table(self, table_id: str) -> None:
        """Removes a table with its partitions and files. Handles on it raise
        ``TableNotFoundException`` from then on."""
    def stats(self) -> ClientStats:
        """What this client's calls did since it connected: per operation called, the calls, failures
        by exception name, retries, and a latency histogram in float seconds (cumulative buckets,
        sum, p50 and p99 estimates)."""
    def close(self) -> None:
        """Closes every connection; calls afterwards raise ``StateStoreConnectionException``."""
    def __enter__(self) -> Client: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]: ...

@final
class LocalPostgres:
    """A throwaway PostgreSQL cluster: a new, empty cluster of its own in a temporary directory, on a
    free port, from the system's PostgreSQL server packages. Stopped and removed by ``close()`` or at
    the end of a ``with`` block.

    ``durable=True`` keeps PostgreSQL's crash-safe settings (the default turns fsync off, for tests);
    ``settings`` are further server settings, ``{"name": "value"}``. An option left as None keeps the
    core's default."""

    def __init__(self, *, durable: bool | None = None, settings: Mapping[str, str] | None = None) -> None: ...
    @property
    def url(self) -> str:
        """The cluster's connection URL (superuser ``postgres``, database ``postgres``)."""
    def start_replica(self) -> LocalPostgres:
        """Starts a hot standby of this cluster that streams its changes, as a cluster of its own (its
        own ``url``, closed on its own)."""
    def close(self) -> None:
        """Stops the server and removes its directory."""
    def __enter__(self) -> LocalPostgres: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]: ...

def partitions_from_split_points(
    row_keys: Sequence[tuple[str, _KeyType]], split_points: Sequence[_KeyValue]
) -> list[Partition]:
    """Sleeper's initial partition tree from sorted split points on the first row key field. No split
    points give the single root partition ``"root"``. Pass the result to ``StateStore.initialise``."""

def _connect(url: str | None, **options: object) -> Client:
    """Called by ``sleeper_pg.connect`` with the options its caller set (by their names there)."""

def _run_cli(args: list[str]) -> int:
    """Runs the command line ``sleeper-pg`` on `args` (the program's name first), printing to the
    process's stdout and stderr; returns its exit code. Called by ``sleeper_pg.__main__``."""
