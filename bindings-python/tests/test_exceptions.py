"""The exception hierarchy: every exception a StateStoreException, importable from the package,
with its attributes, and picklable."""

from __future__ import annotations

import pickle

import pytest

import sleeper_pg

ALL = [
    sleeper_pg.FileNotFoundException,
    sleeper_pg.FileReferenceNotFoundException,
    sleeper_pg.FileReferenceAssignedToJobException,
    sleeper_pg.FileReferenceNotAssignedToJobException,
    sleeper_pg.FileAlreadyExistsException,
    sleeper_pg.FileReferenceAlreadyExistsException,
    sleeper_pg.FileHasReferencesException,
    sleeper_pg.NewReferenceSameAsOldReferenceException,
    sleeper_pg.SplitRequestsFailedException,
    sleeper_pg.ReplaceRequestsFailedException,
    sleeper_pg.TableNotFoundException,
    sleeper_pg.TableAlreadyExistsException,
    sleeper_pg.PartitionNotFoundException,
    sleeper_pg.InitialiseWithFilesPresentException,
    sleeper_pg.StateStoreConnectionException,
]


@pytest.mark.parametrize("exception", ALL, ids=lambda e: e.__name__)
def test_every_exception_is_a_state_store_exception_of_the_package(exception: type[Exception]) -> None:
    assert issubclass(exception, sleeper_pg.StateStoreException)
    assert exception.__module__ == "sleeper_pg"
    assert exception.__doc__
    assert exception.__name__ in sleeper_pg.__all__


def test_state_store_exception_is_an_exception() -> None:
    assert issubclass(sleeper_pg.StateStoreException, Exception)
    assert not issubclass(sleeper_pg.StateStoreException, (ValueError, TypeError))


def test_an_exception_keeps_its_attributes_through_pickle(store: sleeper_pg.StateStore) -> None:
    store.add_file(sleeper_pg.FileReference("f", "root", 1))
    with pytest.raises(sleeper_pg.FileHasReferencesException) as raised:
        store.delete_garbage_collected_file_reference_counts(["f"])
    copy = pickle.loads(pickle.dumps(raised.value))
    assert type(copy) is sleeper_pg.FileHasReferencesException
    assert str(copy) == str(raised.value)
    assert (copy.filename, copy.reference_count) == ("f", 1)


def test_exceptions_can_be_raised_by_callers_too() -> None:
    error = sleeper_pg.FileReferenceNotFoundException("missing", filename="f", partition_id="p")
    assert (str(error), error.filename, error.partition_id) == ("missing", "f", "p")
