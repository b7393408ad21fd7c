"""The exceptions of the state store: Sleeper's, with the same names and messages.

Every one is a :class:`StateStoreException`. Invalid input (a wrong type, an empty id, a naive
``datetime``) is reported with Python's own ``TypeError`` and ``ValueError`` instead, before anything
reaches the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from ._native import ReplaceFileReferencesRequest, SplitFileReferenceRequest


def _restore(cls: type[StateStoreException], args: tuple[Any, ...], state: dict[str, Any]) -> StateStoreException:
    exception = cls.__new__(cls, *args)
    exception.args = args
    exception.__dict__.update(state)
    return exception


class StateStoreException(Exception):
    """A state store call failed; nothing it would have changed was changed.

    Raised as such (not as a subclass) when a partition tree or a partition split fails validation.
    When Sleeper reports the reason separately ("Update results in invalid partition tree", "Failed to
    validate partition split: ..."), ``__cause__`` is a ``ValueError`` holding it.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only attributes survive pickling (multiprocessing, concurrent.futures).
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class StateStoreConnectionException(StateStoreException):
    """The database could not be reached, answered with an unexpected error, or conflicting updates
    outlasted the retry budget. Also raised by a client used in a process forked after it was made.

    If a connection was lost while a write was committing, its outcome is unknown: read the state again.
    """


class TableNotFoundException(StateStoreException):
    """No table has this id, or the table this handle was opened on has been deleted."""

    def __init__(self, message: str, *, table_id: str) -> None:
        super().__init__(message)
        self.table_id = table_id


class TableAlreadyExistsException(StateStoreException):
    """A table with this id exists already."""

    def __init__(self, message: str, *, table_id: str) -> None:
        super().__init__(message)
        self.table_id = table_id


class PartitionNotFoundException(StateStoreException):
    """No partition has this id (``get_partition``), or the partition being split is not stored."""

    def __init__(self, message: str, *, partition_id: str) -> None:
        super().__init__(message)
        self.partition_id = partition_id


class InitialiseWithFilesPresentException(StateStoreException):
    """``initialise`` was called while the table has files (referenced or awaiting garbage collection)."""


class FileAlreadyExistsException(StateStoreException):
    """A file with this name exists already (referenced or not), or was added earlier in the same call."""

    def __init__(self, message: str, *, filename: str) -> None:
        super().__init__(message)
        self.filename = filename


class FileNotFoundException(StateStoreException):
    """No file record has this name."""

    def __init__(self, message: str, *, filename: str) -> None:
        super().__init__(message)
        self.filename = filename


class FileReferenceNotFoundException(StateStoreException):
    """The file has no reference on the partition (or does not exist)."""

    def __init__(self, message: str, *, filename: str, partition_id: str) -> None:
        super().__init__(message)
        self.filename = filename
        self.partition_id = partition_id


class FileReferenceAlreadyExistsException(StateStoreException):
    """The file has a reference on the partition already."""

    def __init__(self, message: str, *, filename: str, partition_id: str) -> None:
        super().__init__(message)
        self.filename = filename
        self.partition_id = partition_id


class FileReferenceAssignedToJobException(StateStoreException):
    """The reference is already assigned to a job; ``job_id`` is the job it has."""

    def __init__(self, message: str, *, filename: str, partition_id: str, job_id: str) -> None:
        super().__init__(message)
        self.filename = filename
        self.partition_id = partition_id
        self.job_id = job_id


class FileReferenceNotAssignedToJobException(StateStoreException):
    """A compaction input reference is not assigned to the committing job; ``job_id`` is that job."""

    def __init__(self, message: str, *, filename: str, partition_id: str, job_id: str) -> None:
        super().__init__(message)
        self.filename = filename
        self.partition_id = partition_id
        self.job_id = job_id


class NewReferenceSameAsOldReferenceException(StateStoreException):
    """A compaction's output file has the same name as one of its inputs."""

    def __init__(self, message: str, *, filename: str) -> None:
        super().__init__(message)
        self.filename = filename


class FileHasReferencesException(StateStoreException):
    """A file record to delete after garbage collection still has references."""

    def __init__(self, message: str, *, filename: str, reference_count: int) -> None:
        super().__init__(message)
        self.filename = filename
        self.reference_count = reference_count


class SplitRequestsFailedException(StateStoreException):
    """A request of ``split_file_references`` failed, so none was applied.

    ``successful`` is always empty, ``failed`` holds every request of the call, ``failures`` the
    specific exception, which is also ``__cause__``.
    """

    def __init__(
        self,
        message: str,
        *,
        successful: Sequence[SplitFileReferenceRequest] = (),
        failed: Sequence[SplitFileReferenceRequest] = (),
        failures: Sequence[StateStoreException] = (),
    ) -> None:
        super().__init__(message)
        self.successful: list[SplitFileReferenceRequest] = list(successful)
        self.failed: list[SplitFileReferenceRequest] = list(failed)
        self.failures: list[StateStoreException] = list(failures)


class ReplaceRequestsFailedException(StateStoreException):
    """A request of ``atomically_replace_file_references_with_new_ones`` failed, so none was applied.

    ``successful`` is always empty, ``failed`` holds every request of the call, ``failures`` the
    specific exception, which is also ``__cause__``.
    """

    def __init__(
        self,
        message: str,
        *,
        successful: Sequence[ReplaceFileReferencesRequest] = (),
        failed: Sequence[ReplaceFileReferencesRequest] = (),
        failures: Sequence[StateStoreException] = (),
    ) -> None:
        super().__init__(message)
        self.successful: list[ReplaceFileReferencesRequest] = list(successful)
        self.failed: list[ReplaceFileReferencesRequest] = list(failed)
        self.failures: list[StateStoreException] = list(failures)
