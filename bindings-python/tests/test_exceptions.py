"""The mapping of the core's errors to Python exceptions, checked on the core's own sample of every
error (``sleeper_pg::testing::error_samples``, which ``_native._error_samples()`` exposes in a test
build), and the exception hierarchy: every exception a StateStoreException of the package, with its
attributes, picklable."""

from __future__ import annotations

import pickle
from typing import Callable, NamedTuple, cast

import pytest

import sleeper_pg
from sleeper_pg import _exceptions, _native


class Sample(NamedTuple):
    """One error of the core: its exception's name, message and named fields, its cause's exception
    name, and the Python exception the binding made of it."""

    name: str
    message: str
    fields: dict[str, object]
    cause: str | None
    exception: BaseException


def error_samples() -> list[Sample]:
    samples = getattr(_native, "_error_samples", None)
    if samples is None:
        raise RuntimeError("sleeper_pg._native was built without the testing feature: run run-tests.sh")
    made = cast(Callable[[], "list[tuple[str, str, dict[str, object], str | None, BaseException]]"], samples)
    return [Sample(*sample) for sample in made()]


SAMPLES = error_samples()

PACKAGE_EXCEPTIONS: set[type[sleeper_pg.StateStoreException]] = {
    value
    for value in vars(sleeper_pg).values()
    if isinstance(value, type) and issubclass(value, sleeper_pg.StateStoreException)
}


def class_name(name: str) -> str:
    """The Python class of the exception the core names: its own, or ValueError for invalid input."""
    return "ValueError" if name == "InvalidArgument" else name


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f"{s.name}:{s.message[:30]}")
def test_an_error_becomes_the_exception_its_kind_names_with_its_fields_and_cause(sample: Sample) -> None:
    exception = sample.exception
    assert type(exception).__name__ == class_name(sample.name)
    assert str(exception) == sample.message
    for name, value in sample.fields.items():
        assert getattr(exception, name) == value
    if isinstance(exception, sleeper_pg.StateStoreException):
        for name in _exceptions._attribute_names(type(exception)):
            if name not in sample.fields and name not in ("successful", "failed", "failures"):
                assert getattr(exception, name) is None, name
    if sample.cause is None:
        assert exception.__cause__ is None
    else:
        assert type(exception.__cause__).__name__ == class_name(sample.cause)


@pytest.mark.parametrize(
    "sample",
    [s for s in SAMPLES if isinstance(s.exception, (sleeper_pg.SplitRequestsFailedException, sleeper_pg.ReplaceRequestsFailedException))],
    ids=lambda s: s.name,
)
def test_a_failed_call_lists_its_requests_and_its_failure(sample: Sample) -> None:
    exception = cast(sleeper_pg.SplitRequestsFailedException, sample.exception)
    assert exception.successful == []
    assert len(exception.failed) == 1
    assert exception.failures == [exception.__cause__]


def test_every_exception_class_of_the_package_stands_for_a_kind_of_the_core() -> None:
    made = {type(s.exception) for s in SAMPLES if isinstance(s.exception, sleeper_pg.StateStoreException)}
    assert made == PACKAGE_EXCEPTIONS
    assert {class_name(s.name) for s in SAMPLES} == {c.__name__ for c in PACKAGE_EXCEPTIONS} | {"ValueError"}


def test_a_connection_exception_carries_its_sqlstate_or_none() -> None:
    codes = [
        s.exception.sqlstate for s in SAMPLES if isinstance(s.exception, sleeper_pg.StateStoreConnectionException)
    ]
    assert sorted(codes, key=str) == ["40001", None]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f"{s.name}:{s.message[:30]}")
def test_an_exception_keeps_its_message_and_attributes_through_pickle(sample: Sample) -> None:
    copy = pickle.loads(pickle.dumps(sample.exception))
    assert type(copy) is type(sample.exception)
    assert str(copy) == str(sample.exception)
    for name, value in sample.fields.items():
        assert getattr(copy, name) == value


@pytest.mark.parametrize("exception", sorted(PACKAGE_EXCEPTIONS, key=str), ids=str)
def test_every_exception_is_a_state_store_exception_of_the_package(exception: type[Exception]) -> None:
    assert issubclass(exception, sleeper_pg.StateStoreException)
    assert exception.__module__ == "sleeper_pg"
    assert exception.__doc__
    assert exception.__name__ in sleeper_pg.__all__


def test_state_store_exception_is_an_exception() -> None:
    assert issubclass(sleeper_pg.StateStoreException, Exception)
    assert not issubclass(sleeper_pg.StateStoreException, (ValueError, TypeError))


def test_an_exception_raised_by_the_store_keeps_its_attributes_through_pickle(store: sleeper_pg.StateStore) -> None:
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
    assert sleeper_pg.StateStoreConnectionException("lost").sqlstate is None
    split = sleeper_pg.SplitRequestsFailedException("failed", failures=(error,))
    assert (split.successful, split.failed, split.failures) == ([], [], [error])


def test_an_exception_takes_exactly_the_attributes_its_class_declares() -> None:
    with pytest.raises(TypeError, match="missing required keyword argument: 'partition_id'"):
        sleeper_pg.FileReferenceNotFoundException("missing", filename="f")
    with pytest.raises(TypeError, match="got an unexpected keyword argument 'job_id'"):
        sleeper_pg.FileNotFoundException("missing", filename="f", job_id="j")
