"""File references: adding, splitting, compaction jobs, garbage collection, queries and clocks.
The steps follow the contract's worked example (section 10)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import sleeper_pg
from conftest import LONG_MIN, at
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


@pytest.fixture
def split_store(store: sleeper_pg.StateStore) -> sleeper_pg.StateStore:
    """Step 2: root split at 100 into L and R."""
    parent = Partition(
        "root", Region([Range("key", LONG_MIN)]), is_leaf_partition=False, child_partition_ids=["L", "R"], dimension=0
    )
    left = Partition("L", Region([Range("key", LONG_MIN, 100)]), parent_partition_id="root")
    right = Partition("R", Region([Range("key", 100)]), parent_partition_id="root")
    store.atomically_update_partition_and_create_new_ones(parent, left, right)
    return store


def add_step_3(store: sleeper_pg.StateStore) -> None:
    store.fix_file_update_time(at(10, 0))
    store.add_files([FileReference("file1", "root", 1000), FileReference("file2", "L", 200)])


def split_step_4(store: sleeper_pg.StateStore) -> None:
    store.fix_file_update_time(at(10, 1))
    file1 = FileReference("file1", "root", 1000)
    store.split_file_references([SplitFileReferenceRequest.split_file_to_child_partitions(file1, "L", "R")])


def assign_step_5(store: sleeper_pg.StateStore) -> None:
    store.fix_file_update_time(at(10, 2))
    store.assign_job_ids([AssignJobIdRequest("job1", "L", ["file1", "file2"])])


def commit_request() -> ReplaceFileReferencesRequest:
    return ReplaceFileReferencesRequest("job1", "L", ["file1", "file2"], FileReference("file3", "L", 700))


def commit_step_6(store: sleeper_pg.StateStore) -> None:
    store.fix_file_update_time(at(10, 3))
    store.atomically_replace_file_references_with_new_ones([commit_request()])


def ref(filename: str, partition: str, rows: int, time: datetime, **fields: object) -> FileReference:
    return FileReference(filename, partition, rows, last_update_time=time, **fields)  # type: ignore[arg-type]


def half(filename: str, partition: str, rows: int, time: datetime) -> FileReference:
    return ref(filename, partition, rows, time, count_approximate=True, only_contains_data_for_this_partition=False)


def test_a_new_table_has_no_files(store: sleeper_pg.StateStore) -> None:
    assert store.has_no_files()
    assert store.get_file_references() == []


def test_add_files_stores_references_with_the_fixed_time(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    assert split_store.get_file_references() == [ref("file1", "root", 1000, at(10, 0)), ref("file2", "L", 200, at(10, 0))]
    assert not split_store.has_no_files()


def test_add_file_adds_one_reference(store: sleeper_pg.StateStore) -> None:
    store.add_file(FileReference("file1", "root", 5, job_id="job"))
    [stored] = store.get_file_references()
    assert (stored.filename, stored.partition_id, stored.number_of_rows, stored.job_id) == ("file1", "root", 5, "job")


def test_times_written_by_the_database_clock_are_utc_datetimes_in_milliseconds(store: sleeper_pg.StateStore) -> None:
    before = datetime.now(timezone.utc) - timedelta(minutes=5)
    store.add_file(FileReference("file1", "root", 5))
    [stored] = store.get_file_references()
    assert stored.last_update_time is not None
    assert stored.last_update_time.tzinfo == timezone.utc
    assert stored.last_update_time.microsecond % 1000 == 0
    assert stored.last_update_time > before


def test_fix_file_update_time_truncates_to_milliseconds_and_accepts_other_zones(store: sleeper_pg.StateStore) -> None:
    store.fix_file_update_time(datetime(2024, 1, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2))))
    store.add_file(FileReference("file1", "root", 5))
    assert store.get_file_references()[0].last_update_time == at(10, 0, 0, 123)


def test_fix_file_update_time_none_restores_the_database_clock(store: sleeper_pg.StateStore) -> None:
    store.fix_file_update_time(at(10, 0))
    store.fix_file_update_time(None)
    store.add_file(FileReference("file1", "root", 5))
    time = store.get_file_references()[0].last_update_time
    assert time is not None and time.year >= 2025


def test_adding_an_existing_file_raises_file_already_exists(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    with pytest.raises(sleeper_pg.FileAlreadyExistsException) as raised:
        split_store.add_file(FileReference("file1", "L", 5))
    assert str(raised.value) == "File already exists: file1"
    assert raised.value.filename == "file1"


def test_add_files_with_references_adds_a_file_with_no_references(store: sleeper_pg.StateStore) -> None:
    store.fix_file_update_time(at(10, 0))
    store.add_files_with_references([AllReferencesToAFile("empty", [])])
    assert store.get_file_references() == []
    assert store.get_all_files_with_max_unreferenced(10) == AllReferencesToAllFiles(
        [AllReferencesToAFile("empty", [], at(10, 0))]
    )


def test_one_file_added_twice_on_a_partition_raises_reference_already_exists(store: sleeper_pg.StateStore) -> None:
    with pytest.raises(sleeper_pg.FileReferenceAlreadyExistsException) as raised:
        store.add_files([FileReference("f", "root", 1), FileReference("f", "root", 2)])
    assert str(raised.value) == "Reference to file already exists in partition root, filename f"
    assert (raised.value.filename, raised.value.partition_id) == ("f", "root")
    assert store.has_no_files()


def test_split_file_references_pushes_a_reference_down(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    assert split_store.get_file_references() == [
        half("file1", "L", 500, at(10, 1)),
        half("file1", "R", 500, at(10, 1)),
        ref("file2", "L", 200, at(10, 0)),
    ]
    assert split_store.get_partition_to_referenced_files_map() == {"L": ["file1", "file2"], "R": ["file1"]}


def test_a_failing_split_raises_split_requests_failed_caused_by_the_specific_exception(
    split_store: sleeper_pg.StateStore,
) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    request = SplitFileReferenceRequest.split_file_to_child_partitions(FileReference("file1", "root", 1000), "L", "R")
    with pytest.raises(sleeper_pg.SplitRequestsFailedException) as raised:
        split_store.split_file_references([request])
    error = raised.value
    assert str(error) == "1 split requests failed to update the state store"
    assert error.successful == []
    assert error.failed == [request]
    [failure] = error.failures
    assert isinstance(failure, sleeper_pg.FileReferenceNotFoundException)
    assert error.__cause__ is failure
    assert (failure.filename, failure.partition_id) == ("file1", "root")


def test_splitting_an_unknown_file_is_caused_by_file_not_found(store: sleeper_pg.StateStore) -> None:
    request = SplitFileReferenceRequest.split_file_to_child_partitions(FileReference("nofile", "root", 1), "L", "R")
    with pytest.raises(sleeper_pg.SplitRequestsFailedException) as raised:
        store.split_file_references([request])
    assert isinstance(raised.value.__cause__, sleeper_pg.FileNotFoundException)
    assert raised.value.__cause__.filename == "nofile"


def test_assign_job_ids_assigns_references(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    assign_step_5(split_store)
    assert split_store.get_file_references_with_no_job_id() == [half("file1", "R", 500, at(10, 1))]
    assert split_store.is_partition_files_assigned_to_job("L", ["file1", "file2"], "job1")
    assert not split_store.is_partition_files_assigned_to_job("R", ["file1"], "job1")


def test_assigning_an_assigned_reference_raises_assigned_to_job(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    assign_step_5(split_store)
    with pytest.raises(sleeper_pg.FileReferenceAssignedToJobException) as raised:
        split_store.assign_job_ids([AssignJobIdRequest("job2", "L", ["file2"])])
    assert str(raised.value) == "Reference to file is already assigned to job job1, in partition L, filename file2"
    assert (raised.value.filename, raised.value.partition_id, raised.value.job_id) == ("file2", "L", "job1")


def test_assigning_a_missing_reference_raises_reference_not_found(store: sleeper_pg.StateStore) -> None:
    with pytest.raises(sleeper_pg.FileReferenceNotFoundException) as raised:
        store.assign_job_ids([AssignJobIdRequest("job1", "root", ["nofile"])])
    assert str(raised.value) == "File reference not found in partition root, filename nofile"


def test_assignment_check_on_another_job_raises_assigned_to_job(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    assign_step_5(split_store)
    with pytest.raises(sleeper_pg.FileReferenceAssignedToJobException) as raised:
        split_store.is_partition_files_assigned_to_job("L", ["file1"], "job2")
    assert raised.value.job_id == "job1"


def test_is_assigned_is_true_when_every_reference_has_its_requests_job(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    assign_step_5(split_store)
    assert split_store.is_assigned(
        [CheckFileAssignmentsRequest("job1", ["file1"], "L"), CheckFileAssignmentsRequest("job1", ["file2"], "L")]
    )


def test_is_assigned_is_false_when_a_reference_has_no_job(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    assign_step_5(split_store)
    assert not split_store.is_assigned(
        [CheckFileAssignmentsRequest("job1", ["file1"], "R"), CheckFileAssignmentsRequest("job1", ["file1"], "L")]
    )


def test_is_assigned_with_no_requests_is_true(store: sleeper_pg.StateStore) -> None:
    assert store.is_assigned([])


def test_is_assigned_raises_for_a_reference_with_another_job(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    assign_step_5(split_store)
    with pytest.raises(sleeper_pg.FileReferenceAssignedToJobException) as raised:
        split_store.is_assigned([CheckFileAssignmentsRequest("job2", ["file2"], "L")])
    assert (raised.value.filename, raised.value.partition_id, raised.value.job_id) == ("file2", "L", "job1")


def test_is_assigned_raises_for_a_missing_reference_even_after_an_unassigned_one(
    split_store: sleeper_pg.StateStore,
) -> None:
    add_step_3(split_store)
    with pytest.raises(sleeper_pg.FileReferenceNotFoundException) as raised:
        split_store.is_assigned(
            [CheckFileAssignmentsRequest("job1", ["file2"], "L"), CheckFileAssignmentsRequest("job1", ["file2"], "R")]
        )
    assert str(raised.value) == "File reference not found in partition R, filename file2"


def test_is_assigned_rejects_a_list_of_other_things(store: sleeper_pg.StateStore) -> None:
    with pytest.raises(TypeError, match=r"requests\[0\] must be a CheckFileAssignmentsRequest, not AssignJobIdRequest"):
        store.is_assigned([AssignJobIdRequest("job1", "root", ["f"])])  # type: ignore[list-item]


def test_commit_replaces_the_inputs_by_the_output(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    assign_step_5(split_store)
    commit_step_6(split_store)
    assert split_store.get_file_references() == [half("file1", "R", 500, at(10, 1)), ref("file3", "L", 700, at(10, 3))]
    report = split_store.get_all_files_with_max_unreferenced(10)
    assert report == AllReferencesToAllFiles(
        [
            AllReferencesToAFile("file1", [half("file1", "R", 500, at(10, 1))], at(10, 3)),
            AllReferencesToAFile("file2", [], at(10, 3)),
            AllReferencesToAFile("file3", [ref("file3", "L", 700, at(10, 3))], at(10, 3)),
        ],
        more_than_max=False,
    )
    assert [f.filename for f in report.files_with_references] == ["file1", "file3"]
    assert [f.filename for f in report.files_with_no_references] == ["file2"]
    assert report.list_file_references() == split_store.get_file_references()
    assert [f.reference_count for f in report.files] == [1, 0, 1]


def test_the_report_leaves_out_unreferenced_files_beyond_the_limit(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    assign_step_5(split_store)
    commit_step_6(split_store)
    report = split_store.get_all_files_with_max_unreferenced(0)
    assert [f.filename for f in report.files] == ["file1", "file3"]
    assert report.more_than_max


def test_repeating_a_commit_raises_replace_requests_failed(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    assign_step_5(split_store)
    commit_step_6(split_store)
    with pytest.raises(sleeper_pg.ReplaceRequestsFailedException) as raised:
        split_store.atomically_replace_file_references_with_new_ones([commit_request()])
    error = raised.value
    assert str(error) == "1 replace file reference requests failed to update the state store"
    assert error.successful == []
    assert error.failed == [commit_request()]
    assert error.failures == [error.__cause__]
    assert isinstance(error.__cause__, sleeper_pg.FileReferenceNotFoundException)
    assert str(error.__cause__) == "File reference not found in partition L, filename file1"


def test_committing_an_unassigned_input_is_caused_by_not_assigned_to_job(store: sleeper_pg.StateStore) -> None:
    store.add_file(FileReference("in", "root", 10))
    request = ReplaceFileReferencesRequest("job1", "root", ["in"], FileReference("out", "root", 10))
    with pytest.raises(sleeper_pg.ReplaceRequestsFailedException) as raised:
        store.atomically_replace_file_references_with_new_ones([request])
    cause = raised.value.__cause__
    assert isinstance(cause, sleeper_pg.FileReferenceNotAssignedToJobException)
    assert str(cause) == "Reference to file is not assigned to job job1, in partition root, filename in"
    assert (cause.filename, cause.partition_id, cause.job_id) == ("in", "root", "job1")


def test_an_output_named_like_an_input_is_caused_by_new_reference_same_as_old(store: sleeper_pg.StateStore) -> None:
    store.add_file(FileReference("in", "root", 10))
    store.assign_job_ids([AssignJobIdRequest("job1", "root", ["in"])])
    request = ReplaceFileReferencesRequest("job1", "root", ["in"], FileReference("in", "root", 10))
    with pytest.raises(sleeper_pg.ReplaceRequestsFailedException) as raised:
        store.atomically_replace_file_references_with_new_ones([request])
    cause = raised.value.__cause__
    assert isinstance(cause, sleeper_pg.NewReferenceSameAsOldReferenceException)
    assert str(cause) == "New file has the same filename as a file being removed: in"
    assert cause.filename == "in"


def test_an_existing_output_is_caused_by_file_already_exists(store: sleeper_pg.StateStore) -> None:
    store.add_files([FileReference("in", "root", 10), FileReference("out", "root", 10)])
    store.assign_job_ids([AssignJobIdRequest("job1", "root", ["in"])])
    request = ReplaceFileReferencesRequest("job1", "root", ["in"], FileReference("out", "root", 10))
    with pytest.raises(sleeper_pg.ReplaceRequestsFailedException) as raised:
        store.atomically_replace_file_references_with_new_ones([request])
    assert isinstance(raised.value.__cause__, sleeper_pg.FileAlreadyExistsException)


def test_gc_query_returns_unreferenced_files_strictly_before_the_cutoff(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    assign_step_5(split_store)
    commit_step_6(split_store)
    assert split_store.get_ready_for_gc_filenames_before(at(10, 3)) == []
    assert split_store.get_ready_for_gc_filenames_before(at(10, 3, 0, 1)) == ["file2"]


def test_datetime_max_is_a_gc_cutoff_after_every_file(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    assign_step_5(split_store)
    commit_step_6(split_store)
    assert split_store.get_ready_for_gc_filenames_before(datetime.max.replace(tzinfo=timezone.utc)) == ["file2"]


def test_a_cutoff_beyond_the_years_of_python_datetimes_is_an_instant_like_any_other(
    store: sleeper_pg.StateStore,
) -> None:
    store.add_files_with_references([AllReferencesToAFile("gone", [])])
    after_9999 = datetime.max.replace(tzinfo=timezone(-timedelta(hours=23, minutes=59)))
    before_year_1 = datetime.min.replace(tzinfo=timezone(timedelta(hours=23, minutes=59)))
    assert store.get_ready_for_gc_filenames_before(after_9999) == ["gone"]
    assert store.get_ready_for_gc_filenames_before(before_year_1) == []


@pytest.mark.parametrize("time", [datetime.min, datetime.max], ids=["min", "max"])
def test_every_aware_datetime_is_an_update_time_the_store_keeps(store: sleeper_pg.StateStore, time: datetime) -> None:
    store.fix_file_update_time(time.replace(tzinfo=timezone.utc))
    store.add_file(FileReference("f", "root", 1))
    expected = time.replace(microsecond=time.microsecond // 1000 * 1000, tzinfo=timezone.utc)
    assert store.get_file_references()[0].last_update_time == expected


def test_deleting_gc_files_removes_their_records(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_step_4(split_store)
    assign_step_5(split_store)
    commit_step_6(split_store)
    split_store.delete_garbage_collected_file_reference_counts(["file2"])
    assert [f.filename for f in split_store.get_all_files_with_max_unreferenced(10).files] == ["file1", "file3"]
    with pytest.raises(sleeper_pg.FileNotFoundException) as raised:
        split_store.delete_garbage_collected_file_reference_counts(["file2"])
    assert str(raised.value) == "File not found: file2"
    assert raised.value.filename == "file2"


def test_deleting_a_referenced_file_raises_file_has_references(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    with pytest.raises(sleeper_pg.FileHasReferencesException) as raised:
        split_store.delete_garbage_collected_file_reference_counts(["file1"])
    assert str(raised.value) == "Cannot remove file as it still has references, filename file1, 1 references"
    assert (raised.value.filename, raised.value.reference_count) == ("file1", 1)


def test_clear_file_data_removes_files_and_keeps_partitions(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_store.clear_file_data()
    assert split_store.has_no_files()
    assert len(split_store.get_all_partitions()) == 3


def test_clear_sleeper_table_removes_files_and_partitions(split_store: sleeper_pg.StateStore) -> None:
    add_step_3(split_store)
    split_store.clear_sleeper_table()
    assert split_store.has_no_files()
    assert split_store.get_all_partitions() == []
    split_store.initialise()
    assert split_store.get_all_files_with_max_unreferenced(5) == AllReferencesToAllFiles([], more_than_max=False)


def test_empty_calls_change_nothing(store: sleeper_pg.StateStore) -> None:
    store.add_files([])
    store.add_files_with_references(())
    store.split_file_references([])
    store.assign_job_ids([AssignJobIdRequest("job1", "root", [])])
    store.atomically_replace_file_references_with_new_ones([])
    store.delete_garbage_collected_file_reference_counts([])
    assert store.has_no_files()


def test_a_call_is_all_or_nothing(store: sleeper_pg.StateStore) -> None:
    store.add_file(FileReference("exists", "root", 1))
    with pytest.raises(sleeper_pg.FileAlreadyExistsException):
        store.add_files([FileReference("new", "root", 1), FileReference("exists", "root", 1)])
    assert [r.filename for r in store.get_file_references()] == ["exists"]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s: s.add_files(None), TypeError, "references must be a sequence of FileReference, not None"),
        (lambda s: s.add_files([("f", "root", 1)]), TypeError, "references[0] must be a FileReference, not tuple"),
        (lambda s: s.add_file("f"), TypeError, "reference must be a FileReference, not str"),
        (lambda s: s.assign_job_ids("req"), TypeError, "requests must be a sequence of AssignJobIdRequest, not str"),
        (lambda s: s.delete_garbage_collected_file_reference_counts("file1"), TypeError, "filenames must be"),
        (lambda s: s.delete_garbage_collected_file_reference_counts([""]), ValueError, "filename must not be empty"),
        (lambda s: s.delete_garbage_collected_file_reference_counts([b"f"]), TypeError, "filenames[0] must be a str"),
        (lambda s: s.get_partition(None), TypeError, "partition_id must be a str, not None"),
        (lambda s: s.get_partition("a\x00b"), ValueError, "must not contain the character U+0000"),
        (lambda s: s.get_partition("\ud800"), ValueError, "partition_id is not valid Unicode"),
        (lambda s: s.get_ready_for_gc_filenames_before(datetime(2024, 1, 1)), ValueError, "naive datetime"),
        (lambda s: s.get_ready_for_gc_filenames_before("2024-01-01"), TypeError, "max_update_time must be a"),
        (lambda s: s.get_ready_for_gc_filenames_before(None), TypeError, "max_update_time must be a"),
        (lambda s: s.fix_file_update_time(datetime(2024, 1, 1)), ValueError, "time must be a timezone-aware datetime"),
        (
            lambda s: s.fix_file_update_time(datetime.min.replace(tzinfo=timezone(timedelta(hours=1)))),
            ValueError,
            "time: The update time 0000-12-31T23:00:00+00:00 is outside the years 1 to 9999 (UTC)",
        ),
        (lambda s: s.get_all_files_with_max_unreferenced(-1), ValueError, "max_unreferenced_files must be between 0"),
        (lambda s: s.get_all_files_with_max_unreferenced(2**31), ValueError, "max_unreferenced_files must be"),
        (lambda s: s.get_all_files_with_max_unreferenced(1.5), TypeError, "max_unreferenced_files must be an int"),
        (lambda s: s.is_partition_files_assigned_to_job("root", ["f"], None), TypeError, "job_id must be a str"),
    ],
)
def test_invalid_arguments_raise_before_reaching_the_database(
    store: sleeper_pg.StateStore, call: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        call(store)  # type: ignore[operator]
    assert message in str(raised.value)
    assert store.has_no_files()


def test_a_filename_over_its_limit_is_invalid_before_reaching_the_database(store: sleeper_pg.StateStore) -> None:
    at_limit = "f" * 2048
    over = at_limit + "f"
    message = "filename must be at most 2048 bytes long, got 2049 bytes"
    with pytest.raises(ValueError, match=message):
        FileReference(over, "root", 1)
    with pytest.raises(ValueError, match=message):
        store.delete_garbage_collected_file_reference_counts([over])
    with pytest.raises(ValueError, match="got 2050 bytes"):  # UTF-8 bytes, not characters
        FileReference("é" * 1025, "root", 1)
    assert store.has_no_files()
    store.add_file(FileReference(at_limit, "root", 1))
    assert [r.filename for r in store.get_file_references()] == [at_limit]
