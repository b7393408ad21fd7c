"""Model classes: keyword construction, defaults, value equality and hash, repr, immutability and the
checks their constructors make."""

from __future__ import annotations

import datetime as dt
from datetime import datetime, timedelta, timezone

import pytest

from sleeper_pg import (
    AllReferencesToAFile,
    AllReferencesToAllFiles,
    AssignJobIdRequest,
    CheckFileAssignmentsRequest,
    FileReference,
    Partition,
    Range,
    Region,
    ReplaceFileReferencesRequest,
    SplitFileReferenceRequest,
)

TIME = datetime(2024, 1, 1, 10, 0, tzinfo=timezone.utc)


def test_file_reference_has_the_contract_defaults() -> None:
    reference = FileReference("f", "root", 10)
    assert reference.filename == "f"
    assert reference.partition_id == "root"
    assert reference.number_of_rows == 10
    assert reference.job_id is None
    assert reference.last_update_time is None
    assert reference.count_approximate is False
    assert reference.only_contains_data_for_this_partition is True


def test_file_reference_takes_keywords() -> None:
    reference = FileReference(
        filename="f",
        partition_id="p",
        number_of_rows=2**63 - 1,
        job_id="job",
        last_update_time=TIME,
        count_approximate=True,
        only_contains_data_for_this_partition=False,
    )
    assert (reference.job_id, reference.last_update_time, reference.count_approximate) == ("job", TIME, True)
    assert reference.number_of_rows == 2**63 - 1


def test_file_references_compare_all_seven_fields() -> None:
    assert FileReference("f", "p", 1) == FileReference("f", "p", 1)
    assert FileReference("f", "p", 1) != FileReference("f", "p", 1, job_id="j")
    assert FileReference("f", "p", 1) != FileReference("f", "p", 1, last_update_time=TIME)
    assert FileReference("f", "p", 1) != FileReference("f", "p", 1, count_approximate=True)
    assert FileReference("f", "p", 1) != "f"


def test_equal_model_objects_hash_alike_and_work_in_sets() -> None:
    assert hash(FileReference("f", "p", 1, last_update_time=TIME)) == hash(
        FileReference("f", "p", 1, last_update_time=TIME)
    )
    assert len({FileReference("f", "p", 1), FileReference("f", "p", 1), FileReference("g", "p", 1)}) == 2
    assert len({Partition("root", Region([Range("k", 0)])), Partition("root", Region([Range("k", 0)]))}) == 1


def test_a_time_in_another_zone_is_the_same_instant_in_utc() -> None:
    paris = datetime(2024, 1, 1, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    reference = FileReference("f", "p", 1, last_update_time=paris)
    assert reference.last_update_time == TIME
    assert reference.last_update_time is not None and reference.last_update_time.tzinfo == timezone.utc


def test_file_reference_repr_reads_like_its_constructor() -> None:
    reference = FileReference("f", "p", 1, job_id="j", last_update_time=TIME)
    assert repr(reference) == (
        "FileReference(filename='f', partition_id='p', number_of_rows=1, job_id='j', "
        "last_update_time=datetime.datetime(2024, 1, 1, 10, 0, tzinfo=datetime.timezone.utc), "
        "count_approximate=False, only_contains_data_for_this_partition=True)"
    )
    assert eval(repr(reference), {"FileReference": FileReference, "datetime": dt}) == reference


def test_model_objects_are_immutable() -> None:
    reference = FileReference("f", "p", 1)
    with pytest.raises(AttributeError):
        reference.filename = "g"  # type: ignore[misc]
    partition = Partition("root", Region([Range("k", 0)]))
    partition.child_partition_ids.append("x")
    assert partition.child_partition_ids == []


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: FileReference("", "p", 1), ValueError, "filename must not be empty"),
        (lambda: FileReference("f", "", 1), ValueError, "partition id must not be empty"),
        (lambda: FileReference("f", "p", 1, job_id=""), ValueError, "job id must not be empty"),
        (lambda: FileReference("f\x00", "p", 1), ValueError, "must not contain the character U+0000"),
        (lambda: FileReference("f", "p", -1), ValueError, "number_of_rows must be between 0 and 9223372036854775807"),
        (lambda: FileReference("f", "p", 2**63), ValueError, "number_of_rows must be between 0"),
        (lambda: FileReference("f", "p", 2**200), ValueError, "number_of_rows must be between 0"),
        (lambda: FileReference("f", "p", "1"), TypeError, "number_of_rows must be an int, not str"),  # type: ignore[arg-type]
        (lambda: FileReference("f", "p", True), TypeError, "number_of_rows must be an int, not bool"),
        (lambda: FileReference("f", "p", 1.0), TypeError, "number_of_rows must be an int, not float"),  # type: ignore[arg-type]
        (lambda: FileReference(None, "p", 1), TypeError, "filename must be a str, not None"),  # type: ignore[arg-type]
        (lambda: FileReference("f", "p", None), TypeError, "number_of_rows must be an int, not None"),  # type: ignore[arg-type]
        (lambda: FileReference("f", "p", 1, count_approximate=1), TypeError, "count_approximate must be a bool"),  # type: ignore[arg-type]
        (lambda: FileReference("f", "p", 1, last_update_time=datetime(2024, 1, 1)), ValueError, "naive datetime"),
        (lambda: FileReference("f", "p", 1, last_update_time=0), TypeError, "last_update_time must be a"),  # type: ignore[arg-type]
        (
            lambda: FileReference("f", "p", 1, last_update_time=datetime.max.replace(tzinfo=timezone(-timedelta(hours=1)))),
            ValueError,
            "last_update_time: The update time +10000-01-01T00:59:59.999+00:00 is outside the years 1 to 9999 (UTC)",
        ),
        (lambda: FileReference("f", "p", 1, last_update_time=dt.date(2024, 1, 1)), TypeError, "last_update_time"),  # type: ignore[arg-type]
        (lambda: FileReference("f", "\udc80", 1), ValueError, "partition_id is not valid Unicode"),
        (lambda: FileReference("f", "p"), TypeError, "number_of_rows"),  # type: ignore[call-arg]
    ],
)
def test_file_reference_rejects_invalid_fields(make: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as raised:
        make()  # type: ignore[operator]
    assert message in str(raised.value)


def test_range_defaults_to_no_upper_bound() -> None:
    assert Range("k", 5).max is None
    assert Range("k", 5) == Range(field_name="k", min=5, max=None)


def test_range_keeps_each_key_kind() -> None:
    assert (Range("k", -(2**63), 2**63 - 1).min, Range("k", -(2**63), 2**63 - 1).max) == (-(2**63), 2**63 - 1)
    assert Range("k", "", "m").max == "m"
    assert Range("k", b"\x80", b"\x7f").min == b"\x80"
    assert Range("k", 1) != Range("k", "1")


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Range("", 0), ValueError, "field_name must not be empty"),
        (lambda: Range("k", None), TypeError, "min must be an int, str or bytes, not None"),  # type: ignore[arg-type]
        (lambda: Range("k", 0, "a"), ValueError, 'min and max of the range on field "k" must be of the same kind'),
        (lambda: Range("k", 2**63), ValueError, "min must be between -9223372036854775808 and 9223372036854775807"),
        (lambda: Range("k", 0, -(2**63) - 1), ValueError, "max must be between"),
        (lambda: Range("k", False), TypeError, "min must be an int, str or bytes, not bool"),
        (lambda: Range("k", 1.5), TypeError, "min must be an int, str or bytes, not float"),  # type: ignore[arg-type]
        (lambda: Range("k", bytearray(b"a")), TypeError, "min must be an int, str or bytes, not bytearray"),  # type: ignore[arg-type]
        (lambda: Range("k", "a\x00"), ValueError, "min must not contain the character U+0000"),
    ],
)
def test_range_rejects_invalid_bounds(make: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as raised:
        make()  # type: ignore[operator]
    assert message in str(raised.value)


def test_region_equality_and_hash_ignore_the_order_of_ranges() -> None:
    a = Region([Range("x", 0), Range("y", "a")])
    b = Region((Range("y", "a"), Range("x", 0)))
    assert a == b
    assert hash(a) == hash(b)


def test_region_takes_one_range_per_field() -> None:
    with pytest.raises(ValueError, match="Should only provide one range per row key field"):
        Region([Range("x", 0), Range("x", 5)])


def test_region_rejects_other_items() -> None:
    with pytest.raises(TypeError, match=r"ranges\[1\] must be a Range, not tuple"):
        Region([Range("x", 0), ("y", 0)])  # type: ignore[list-item]


def test_partition_has_the_contract_defaults() -> None:
    partition = Partition("root", Region([Range("k", 0)]))
    assert partition.is_leaf_partition is True
    assert partition.parent_partition_id is None
    assert partition.child_partition_ids == []
    assert partition.dimension == -1


def test_partition_children_given_as_a_tuple_equal_a_list() -> None:
    region = Region([Range("k", 0)])
    as_tuple = Partition("p", region, is_leaf_partition=False, child_partition_ids=("L", "R"), dimension=0)
    as_list = Partition("p", region, is_leaf_partition=False, child_partition_ids=["L", "R"], dimension=0)
    assert as_tuple == as_list and hash(as_tuple) == hash(as_list)
    assert as_tuple != Partition("p", region, is_leaf_partition=False, child_partition_ids=["R", "L"], dimension=0)


def test_partition_repr_shows_every_field() -> None:
    partition = Partition("L", Region([Range("k", 0, 10)]), parent_partition_id="root")
    assert repr(partition) == (
        "Partition(id='L', region=Region(ranges=[Range(field_name='k', min=0, max=10)]), is_leaf_partition=True, "
        "parent_partition_id='root', child_partition_ids=[], dimension=-1)"
    )


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Partition("", Region([])), ValueError, "partition id must not be empty"),
        (lambda: Partition("p", [Range("k", 0)]), TypeError, "region must be a Region, not list"),  # type: ignore[arg-type]
        (lambda: Partition("p", Region([]), dimension=-2), ValueError, "dimension must be between -1 and"),
        (lambda: Partition("p", Region([]), dimension=2**40), ValueError, "dimension must be between -1 and"),
        (lambda: Partition("p", Region([]), child_partition_ids="LR"), TypeError, "child_partition_ids must be a"),
        (lambda: Partition("p", Region([]), child_partition_ids=[""]), ValueError, "child partition id must not be"),
        (lambda: Partition("p", Region([]), parent_partition_id=""), ValueError, "parent partition id must not be"),
        (lambda: Partition("p", Region([]), is_leaf_partition=None), TypeError, "is_leaf_partition must be a bool"),  # type: ignore[arg-type]
    ],
)
def test_partition_rejects_invalid_fields(make: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as raised:
        make()  # type: ignore[operator]
    assert message in str(raised.value)


def test_all_references_to_a_file_counts_its_references() -> None:
    file = AllReferencesToAFile("f", [FileReference("f", "L", 1), FileReference("f", "R", 1)])
    assert file.reference_count == 2
    assert file.last_update_time is None
    assert file == AllReferencesToAFile("f", (FileReference("f", "L", 1), FileReference("f", "R", 1)), None)
    assert file != AllReferencesToAFile("f", [FileReference("f", "R", 1), FileReference("f", "L", 1)])


def test_all_references_to_a_file_needs_its_own_filename_on_each_reference() -> None:
    with pytest.raises(ValueError, match="every reference of a file must have its filename"):
        AllReferencesToAFile("f", [FileReference("g", "L", 1)])


def test_all_references_to_all_files_splits_files_by_references() -> None:
    referenced = AllReferencesToAFile("a", [FileReference("a", "L", 1)], TIME)
    unreferenced = AllReferencesToAFile("b", [], TIME)
    report = AllReferencesToAllFiles([referenced, unreferenced], more_than_max=True)
    assert report.files == [referenced, unreferenced]
    assert report.files_with_references == [referenced]
    assert report.files_with_no_references == [unreferenced]
    assert report.more_than_max
    assert report.list_file_references() == [FileReference("a", "L", 1)]
    assert report != AllReferencesToAllFiles([referenced, unreferenced])
    assert "AllReferencesToAllFiles(files=[AllReferencesToAFile(filename='a'" in repr(report)


def test_split_file_to_child_partitions_halves_the_rows() -> None:
    file = FileReference("f", "root", 101, job_id=None, last_update_time=TIME)
    request = SplitFileReferenceRequest.split_file_to_child_partitions(file, "L", "R")
    expected = [
        FileReference("f", "L", 50, count_approximate=True, only_contains_data_for_this_partition=False),
        FileReference("f", "R", 50, count_approximate=True, only_contains_data_for_this_partition=False),
    ]
    assert request.old_reference == file
    assert request.new_references == expected
    assert request == SplitFileReferenceRequest(file, tuple(expected))
    assert hash(request) == hash(SplitFileReferenceRequest(file, expected))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SplitFileReferenceRequest(FileReference("f", "root", 1), []), "newReferences must not be empty"),
        (
            lambda: SplitFileReferenceRequest(FileReference("f", "root", 1), [FileReference("g", "L", 1)]),
            "every reference of a split request must have its filename",
        ),
        (
            lambda: SplitFileReferenceRequest.split_file_to_child_partitions(FileReference("f", "root", 1), "", "R"),
            "partition id must not be empty",
        ),
    ],
)
def test_split_request_rejects_an_invalid_shape(make: object, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        make()  # type: ignore[operator]
    assert message in str(raised.value)


def test_replace_request_compares_by_value_with_any_sequence_of_inputs() -> None:
    output = FileReference("out", "L", 7)
    request = ReplaceFileReferencesRequest("job", "L", ["a", "b"], output)
    assert request == ReplaceFileReferencesRequest(job_id="job", partition_id="L", input_files=("a", "b"), new_reference=output)
    assert hash(request) == hash(ReplaceFileReferencesRequest("job", "L", ("a", "b"), output))
    assert request != ReplaceFileReferencesRequest("job", "L", ["b", "a"], output)
    assert (request.job_id, request.partition_id, request.input_files, request.new_reference) == (
        "job",
        "L",
        ["a", "b"],
        output,
    )
    assert repr(request).startswith("ReplaceFileReferencesRequest(job_id='job', partition_id='L', input_files=['a', 'b']")


def test_replace_request_may_have_no_inputs() -> None:
    assert ReplaceFileReferencesRequest("job", "L", [], FileReference("out", "L", 7)).input_files == []


def test_replace_request_rejects_a_string_of_inputs() -> None:
    with pytest.raises(TypeError, match="input_files must be a sequence of str, not str"):
        ReplaceFileReferencesRequest("job", "L", "ab", FileReference("out", "L", 7))


def test_assign_job_id_request_compares_by_value() -> None:
    request = AssignJobIdRequest("job", "L", ["a"])
    assert request == AssignJobIdRequest("job", "L", ("a",))
    assert hash(request) == hash(AssignJobIdRequest(job_id="job", partition_id="L", filenames=["a"]))
    assert repr(request) == "AssignJobIdRequest(job_id='job', partition_id='L', filenames=['a'])"


def test_assign_job_id_request_rejects_an_empty_job_id() -> None:
    with pytest.raises(ValueError, match="job id must not be empty"):
        AssignJobIdRequest("", "L", ["a"])


def test_check_file_assignments_request_compares_by_value() -> None:
    request = CheckFileAssignmentsRequest("job", ["a", "b"], "L")
    assert (request.job_id, request.filenames, request.partition_id) == ("job", ["a", "b"], "L")
    assert request == CheckFileAssignmentsRequest(job_id="job", filenames=("a", "b"), partition_id="L")
    assert hash(request) == hash(CheckFileAssignmentsRequest("job", ("a", "b"), "L"))
    assert request != CheckFileAssignmentsRequest("job", ["b", "a"], "L")
    assert repr(request) == "CheckFileAssignmentsRequest(job_id='job', filenames=['a', 'b'], partition_id='L')"
    assert eval(repr(request), {"CheckFileAssignmentsRequest": CheckFileAssignmentsRequest}) == request


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: CheckFileAssignmentsRequest("", ["a"], "L"), ValueError, "job id must not be empty"),
        (lambda: CheckFileAssignmentsRequest("j", [""], "L"), ValueError, "filename must not be empty"),
        (lambda: CheckFileAssignmentsRequest("j", ["a"], ""), ValueError, "partition id must not be empty"),
        (lambda: CheckFileAssignmentsRequest("j", "a", "L"), TypeError, "filenames must be a sequence of str, not str"),
        (lambda: CheckFileAssignmentsRequest("j", ["a"], None), TypeError, "partition_id must be a str, not None"),  # type: ignore[arg-type]
    ],
)
def test_check_file_assignments_request_rejects_invalid_fields(
    make: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        make()  # type: ignore[operator]
    assert message in str(raised.value)


def test_model_classes_belong_to_the_package() -> None:
    assert FileReference.__module__ == "sleeper_pg"
    assert FileReference.__doc__ is not None and "one data file" in FileReference.__doc__


def every_model_object() -> list[object]:
    reference = FileReference("f", "root", 10, job_id="j", last_update_time=TIME, count_approximate=True)
    region = Region([Range("k", 0, 10), Range("s", "", None), Range("b", b"\x80")])
    return [
        reference,
        Range("k", -(2**63), 2**63 - 1),
        region,
        Partition("p", region, is_leaf_partition=False, parent_partition_id="q", child_partition_ids=["L", "R"], dimension=0),
        AllReferencesToAFile("f", [reference], TIME),
        AllReferencesToAllFiles([AllReferencesToAFile("f", [reference], TIME)], more_than_max=True),
        SplitFileReferenceRequest.split_file_to_child_partitions(reference, "L", "R"),
        ReplaceFileReferencesRequest("j", "L", ["a"], FileReference("out", "L", 1)),
        AssignJobIdRequest("j", "L", ["a", "b"]),
        CheckFileAssignmentsRequest("j", ["a", "b"], "L"),
    ]


@pytest.mark.parametrize("value", every_model_object(), ids=lambda v: type(v).__name__)
def test_model_objects_survive_pickle_and_copy(value: object) -> None:
    import copy
    import pickle

    assert pickle.loads(pickle.dumps(value)) == value
    assert copy.deepcopy(value) == value
    assert copy.copy(value) == value
