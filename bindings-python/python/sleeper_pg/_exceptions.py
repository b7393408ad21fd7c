"""The exceptions of the state store: Sleeper's, with the same names and messages.

Every one is a :class:`StateStoreException`. Invalid input (a wrong type, an empty id, a naive
``datetime``) is reported with Python's own ``TypeError`` and ``ValueError`` instead, before anything
reaches the database.

Each class declares its attributes once, as annotations; :class:`StateStoreException` takes them as
keyword arguments (the native module passes the fields of the core's error by these names).
"""

from __future__ import annotations

import inspect
import sys
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from ._native import ReplaceFileReferencesRequest, SplitFileReferenceRequest


def _restore(cls: type[StateStoreException], args: tuple[Any, ...], state: dict[str, Any]) -> StateStoreException:
    exception = cls.__new__(cls, *args)
    exception.args = args
    exception.__dict__.update(state)
    return exception


def _own_annotations(cls: type) -> dict[str, Any]:
    if sys.version_info >= (3, 10):
        return inspect.get_annotations(cls)
    return dict(cls.__dict__.get("__annotations__", {}))


def _attribute_names(cls: type[StateStoreException]) -> tuple[str, ...]:
    """The attributes a class declares, its base classes' first."""
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        if issubclass(klass, StateStoreException) and klass is not StateStoreException:
            names.extend(name for name in _own_annotations(klass) if name not in names)
    return tuple(names)


class StateStoreException(Exception):
    """A state store call failed; nothing it would have changed was changed.

    Raised as such (not as a subclass) when a partition tree or a partition split fails validation.
    When Sleeper reports the reason separately ("Update results in invalid partition tree", "Failed to
    validate partition split: ..."), ``__cause__`` is a ``ValueError`` holding it.

    A subclass's attributes are given as keyword arguments, each one it declares and no other; one
    whose class gives it a value may be left out.
    """

    def __init__(self, message: str, **attributes: object) -> None:
        super().__init__(message)
        cls = type(self)
        names = _attribute_names(cls)
        for name in attributes:
            if name not in names:
                raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {name!r}")
        for name in names:
            if name in attributes:
                setattr(self, name, attributes[name])
            elif not hasattr(cls, name):
                raise TypeError(f"{cls.__name__}() missing required keyword argument: {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only attributes survive pickling (multiprocessing, concurrent.futures).
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class StateStoreConnectionException(StateStoreException):
    """The database could not be reached, answered with an unexpected error, or conflicting updates
    outlasted the retry budget. Also raised by a client used in a process forked after it was made.

    ``sqlstate`` is the SQLSTATE code the database answered with (``"40001"`` for a serialization
    failure, ``"57014"`` for a statement that timed out ...), or None when it did not answer with one.
    If a connection was lost while a write was committing, its outcome is unknown: read the state again.
    """

    sqlstate: str | None = None


class TableNotFoundException(StateStoreException):
    """No table has this id, or the table this handle was opened on has been deleted."""

    table_id: str


class TableAlreadyExistsException(StateStoreException):
    """A table with this id exists already."""

    table_id: str


class PartitionNotFoundException(StateStoreException):
    """No partition has this id (``get_partition``), or the partition being split is not stored."""

    partition_id: str


class InitialiseWithFilesPresentException(StateStoreException):
    """``initialise`` was called while the table has files (referenced or awaiting garbage collection)."""


class FileAlreadyExistsException(StateStoreException):
    """A file with this name exists already (referenced or not), or was added earlier in the same call."""

    filename: str


class FileNotFoundException(StateStoreException):
    """No file record has this name."""

    filename: str


class FileReferenceNotFoundException(StateStoreException):
    """The file has no reference on the partition (or does not exist)."""

    filename: str
    partition_id: str


class FileReferenceAlreadyExistsException(StateStoreException):
    """The file has a reference on the partition already."""

    filename: str
    partition_id: str


class FileReferenceAssignedToJobException(StateStoreException):
    """The reference is already assigned to a job; ``job_id`` is the job it has."""

    filename: str
    partition_id: str
    job_id: str


class FileReferenceNotAssignedToJobException(StateStoreException):
    """A compaction input reference is not assigned to the committing job; ``job_id`` is that job."""

    filename: str
    partition_id: str
    job_id: str


class NewReferenceSameAsOldReferenceException(StateStoreException):
    """A compaction's output file has the same name as one of its inputs."""

    filename: str


class FileHasReferencesException(StateStoreException):
    """A file record to delete after garbage collection still has references."""

    filename: str
    reference_count: int


class SplitRequestsFailedException(StateStoreException):
    """A request of ``split_file_references`` failed, so none was applied.

    ``successful`` is always empty, ``failed`` holds every request of the call, ``failures`` the
    specific exception, which is also ``__cause__``.
    """

    successful: list[SplitFileReferenceRequest]
    failed: list[SplitFileReferenceRequest]
    failures: list[StateStoreException]

    def __init__(
        self,
        message: str,
        *,
        successful: Sequence[SplitFileReferenceRequest] = (),
        failed: Sequence[SplitFileReferenceRequest] = (),
        failures: Sequence[StateStoreException] = (),
    ) -> None:
        super().__init__(message, successful=list(successful), failed=list(failed), failures=list(failures))


class ReplaceRequestsFailedException(StateStoreException):
    """A request of ``atomically_replace_file_references_with_new_ones`` failed, so none was applied.

    ``successful`` is always empty, ``failed`` holds every request of the call, ``failures`` the
    specific exception, which is also ``__cause__``.
    """

    successful: list[ReplaceFileReferencesRequest]
    failed: list[ReplaceFileReferencesRequest]
    failures: list[StateStoreException]

    def __init__(
        self,
        message: str,
        *,
        successful: Sequence[ReplaceFileReferencesRequest] = (),
        failed: Sequence[ReplaceFileReferencesRequest] = (),
        failures: Sequence[StateStoreException] = (),
    ) -> None:
        super().__init__(message, successful=list(successful), failed=list(failed), failures=list(failures))
