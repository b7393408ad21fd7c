"""Sleeper v0.36's transactions from the JSON Sleeper's TransactionSerDe writes
(docs/sleeper-transactions.md): every type applied at least once, the two commit modes, and the replay
of a transaction log."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import sleeper_pg
from conftest import LONG_MIN, at, tree_of
from sleeper_pg import (
    AllReferencesToAFile,
    AssignJobIdRequest,
    FileReference,
    Partition,
    Range,
    Region,
    SplitFileReferenceRequest,
)

Json = dict[str, Any]


def reference(filename: str | None, partition_id: str, rows: int, *, job_id: str | None = None) -> Json:
    """A file reference as Sleeper writes it; without a filename inside an ADD_FILES file."""
    written: Json = {} if filename is None else {"filename": filename}
    written.update({"partitionId": partition_id, "numberOfRows": rows})
    if job_id is not None:
        written["jobId"] = job_id
    written.update({"countApproximate": False, "onlyContainsDataForThisPartition": True})
    return written


def add_files(*filenames: str) -> Json:
    return {"files": [{"filename": f, "references": [reference(None, "root", 5)]} for f in filenames]}


def commit(job_id: str, inputs: list[str], output: str) -> Json:
    return {"jobId": job_id, "inputFiles": inputs, "newReference": reference(output, "root", 10)}


def partition(p: Partition) -> Json:
    """A partition of a ``("key", "long")`` table as Sleeper writes it."""
    region: Json = {}
    for r in p.region.ranges:
        bounds: Json = {"min": r.min, "minInclusive": True}
        if r.max is not None:
            bounds["max"] = r.max
        bounds["maxInclusive"] = False
        region[r.field_name] = bounds
    written: Json = {"partitionId": p.id, "isLeafPartition": p.is_leaf_partition}
    if p.parent_partition_id is not None:
        written["parentPartitionId"] = p.parent_partition_id
    written.update({"childPartitionIds": p.child_partition_ids, "region": region, "dimension": p.dimension})
    return written


def apply(
    store: sleeper_pg.StateStore, transaction_type: str, body: Json, *, synchronous: bool = False
) -> sleeper_pg.TransactionOutcome:
    return store.apply_transaction(transaction_type, json.dumps(body), synchronous=synchronous)


def filenames(store: sleeper_pg.StateStore) -> list[str]:
    return [r.filename for r in store.get_file_references()]


@pytest.fixture
def store_with_jobs(store: sleeper_pg.StateStore) -> sleeper_pg.StateStore:
    """Files a, b and c on the root; a and b assigned to job1, c to job2."""
    store.add_files([FileReference(f, "root", 1) for f in ["a", "b", "c"]])
    store.assign_job_ids([AssignJobIdRequest("job1", "root", ["a", "b"]), AssignJobIdRequest("job2", "root", ["c"])])
    return store


@pytest.fixture
def split_store(store: sleeper_pg.StateStore) -> sleeper_pg.StateStore:
    """The root split at 100 into L and R."""
    store.initialise(list(tree_of(("root", "L", "R", 100)).values()))
    return store


def test_add_files_adds_the_files_of_an_ingest(store: sleeper_pg.StateStore) -> None:
    store.fix_file_update_time(at(10, 0))
    outcome = store.apply_transaction(
        "ADD_FILES",
        '{"jobId":"ingest","taskId":"task","jobRunId":"run","writtenTime":1700000000000,'
        '"files":[{"filename":"f","references":[{"partitionId":"root","numberOfRows":3,'
        '"countApproximate":true,"onlyContainsDataForThisPartition":false}]}]}',
    )
    assert outcome.fully_applied
    assert outcome.failures == []
    assert store.get_file_references() == [
        FileReference(
            "f",
            "root",
            3,
            last_update_time=at(10, 0),
            count_approximate=True,
            only_contains_data_for_this_partition=False,
        )
    ]


def test_an_asynchronous_ingest_with_a_file_that_exists_is_skipped_whole(store: sleeper_pg.StateStore) -> None:
    store.add_file(FileReference("b", "root", 1))
    outcome = apply(store, "ADD_FILES", add_files("a", "b", "c"))
    assert not outcome.fully_applied
    [(index, error)] = outcome.failures
    assert index == 1
    assert isinstance(error, sleeper_pg.FileAlreadyExistsException)
    assert (str(error), error.filename) == ("File already exists: b", "b")
    assert filenames(store) == ["b"]


def test_a_synchronous_ingest_with_a_file_that_exists_raises_file_already_exists(store: sleeper_pg.StateStore) -> None:
    store.add_file(FileReference("b", "root", 1))
    with pytest.raises(sleeper_pg.FileAlreadyExistsException, match="File already exists: b"):
        apply(store, "ADD_FILES", add_files("a", "b"), synchronous=True)
    assert filenames(store) == ["b"]


def test_assign_job_ids_assigns_the_jobs(store: sleeper_pg.StateStore) -> None:
    store.add_files([FileReference("a", "root", 1), FileReference("b", "root", 1)])
    outcome = apply(store, "ASSIGN_JOB_IDS", {"requests": [{"jobId": "job", "partitionId": "root", "filenames": ["a"]}]})
    assert outcome.fully_applied
    assert [(r.filename, r.job_id) for r in store.get_file_references()] == [("a", "job"), ("b", None)]


def test_clear_files_removes_every_file(store: sleeper_pg.StateStore) -> None:
    store.add_files([FileReference("a", "root", 1), FileReference("b", "root", 1)])
    assert apply(store, "CLEAR_FILES", {}).fully_applied
    assert store.has_no_files()


def test_delete_files_removes_files_with_no_references(store: sleeper_pg.StateStore) -> None:
    store.add_files_with_references([AllReferencesToAFile("gone", [])])
    assert apply(store, "DELETE_FILES", {"filenames": ["gone"]}).fully_applied
    assert store.has_no_files()


def test_initialise_partitions_replaces_the_tree(store: sleeper_pg.StateStore) -> None:
    tree = tree_of(("root", "L", "R", 100), ("L", "LL", "LR", 0))
    apply(store, "INITIALISE_PARTITIONS", {"partitions": [partition(p) for p in tree.values()]}, synchronous=True)
    assert store.get_all_partitions() == sorted(tree.values(), key=lambda p: p.id)


def test_initialise_partitions_with_no_partitions_removes_every_partition(store: sleeper_pg.StateStore) -> None:
    apply(store, "INITIALISE_PARTITIONS", {"partitions": []})
    assert store.get_all_partitions() == []


def test_initialise_partitions_with_no_partitions_raises_while_files_are_present(store: sleeper_pg.StateStore) -> None:
    store.add_file(FileReference("f", "root", 1))
    with pytest.raises(sleeper_pg.InitialiseWithFilesPresentException):
        apply(store, "INITIALISE_PARTITIONS", {"partitions": []})
    assert len(store.get_all_partitions()) == 1


def test_replace_file_references_commits_the_job(store_with_jobs: sleeper_pg.StateStore) -> None:
    outcome = apply(store_with_jobs, "REPLACE_FILE_REFERENCES", {"jobs": [commit("job1", ["a", "b"], "ab")]})
    assert outcome.fully_applied
    assert filenames(store_with_jobs) == ["ab", "c"]


def test_an_asynchronous_batch_of_commits_skips_the_invalid_jobs_and_applies_the_rest(
    store_with_jobs: sleeper_pg.StateStore,
) -> None:
    batch = {
        "jobs": [
            commit("job1", ["a", "b"], "ab"),
            commit("job1", ["a"], "again"),  # a's reference went with the job before
            commit("job3", ["c"], "c3"),  # c is job2's
            commit("job2", ["c"], "ab"),  # the output exists since the first job
            commit("job2", ["c"], "c2"),
        ]
    }
    outcome = apply(store_with_jobs, "REPLACE_FILE_REFERENCES", batch)
    assert [(index, type(error), str(error)) for index, error in outcome.failures] == [
        (1, sleeper_pg.FileReferenceNotFoundException, "File reference not found in partition root, filename a"),
        (
            2,
            sleeper_pg.FileReferenceNotAssignedToJobException,
            "Reference to file is not assigned to job job3, in partition root, filename c",
        ),
        (3, sleeper_pg.FileAlreadyExistsException, "File already exists: ab"),
    ]
    not_assigned = outcome.failures[1][1]
    assert isinstance(not_assigned, sleeper_pg.FileReferenceNotAssignedToJobException)
    assert (not_assigned.filename, not_assigned.partition_id, not_assigned.job_id) == ("c", "root", "job3")
    assert filenames(store_with_jobs) == ["ab", "c2"]


def test_a_synchronous_batch_with_an_invalid_job_raises_replace_requests_failed_and_applies_nothing(
    store_with_jobs: sleeper_pg.StateStore,
) -> None:
    batch = {"jobs": [commit("job1", ["a", "b"], "ab"), commit("job3", ["c"], "c3")]}
    with pytest.raises(sleeper_pg.ReplaceRequestsFailedException) as raised:
        apply(store_with_jobs, "REPLACE_FILE_REFERENCES", batch, synchronous=True)
    assert str(raised.value) == "2 replace file reference requests failed to update the state store"
    assert [r.job_id for r in raised.value.failed] == ["job1", "job3"]
    assert isinstance(raised.value.__cause__, sleeper_pg.FileReferenceNotAssignedToJobException)
    assert filenames(store_with_jobs) == ["a", "b", "c"]


def test_a_job_whose_output_is_one_of_its_inputs_fails_the_whole_batch_even_asynchronously(
    store_with_jobs: sleeper_pg.StateStore,
) -> None:
    batch = {"jobs": [commit("job2", ["c"], "c2"), commit("job1", ["a", "b"], "a")]}
    with pytest.raises(sleeper_pg.ReplaceRequestsFailedException) as raised:
        apply(store_with_jobs, "REPLACE_FILE_REFERENCES", batch)
    assert isinstance(raised.value.__cause__, sleeper_pg.NewReferenceSameAsOldReferenceException)
    assert filenames(store_with_jobs) == ["a", "b", "c"]


def test_split_file_references_pushes_a_reference_down(split_store: sleeper_pg.StateStore) -> None:
    split_store.add_file(FileReference("f", "root", 10))
    old = reference("f", "root", 10)
    new = [reference("f", "L", 5), reference("f", "R", 5)]
    outcome = apply(split_store, "SPLIT_FILE_REFERENCES", {"requests": [{"oldReference": old, "newReferences": new}]})
    assert outcome.fully_applied
    assert [(r.filename, r.partition_id, r.number_of_rows) for r in split_store.get_file_references()] == [
        ("f", "L", 5),
        ("f", "R", 5),
    ]


def missing_file_split() -> Json:
    request = {"oldReference": reference("missing", "root", 4), "newReferences": [reference("missing", "L", 2)]}
    return {"requests": [request]}


def test_a_failing_split_of_file_references_raises_the_specific_exception_when_asynchronous(
    split_store: sleeper_pg.StateStore,
) -> None:
    with pytest.raises(sleeper_pg.FileNotFoundException) as raised:
        apply(split_store, "SPLIT_FILE_REFERENCES", missing_file_split())
    assert raised.value.filename == "missing"


def test_a_failing_split_of_file_references_is_wrapped_only_when_synchronous(split_store: sleeper_pg.StateStore) -> None:
    with pytest.raises(sleeper_pg.SplitRequestsFailedException) as raised:
        apply(split_store, "SPLIT_FILE_REFERENCES", missing_file_split(), synchronous=True)
    assert raised.value.failed == [
        SplitFileReferenceRequest(FileReference("missing", "root", 4), [FileReference("missing", "L", 2)])
    ]
    assert isinstance(raised.value.__cause__, sleeper_pg.FileNotFoundException)


def test_split_partition_reads_sleepers_bounds_in_canonical_form(store: sleeper_pg.StateStore) -> None:
    outcome = store.apply_transaction(
        "SPLIT_PARTITION",
        """{"parent":{"partitionId":"root","isLeafPartition":false,"childPartitionIds":["L","R"],
            "region":{"key":{"min":-9223372036854775808}},"dimension":0},
          "newChildren":[
            {"partitionId":"L","isLeafPartition":true,"parentPartitionId":"root","childPartitionIds":[],
             "region":{"key":{"min":-9223372036854775808,"max":99,"maxInclusive":true}},"dimension":-1},
            {"partitionId":"R","isLeafPartition":true,"parentPartitionId":"root","childPartitionIds":[],
             "region":{"key":{"min":99,"minInclusive":false}},"dimension":-1}]}""",
        synchronous=True,
    )
    assert outcome.fully_applied
    assert [p.region for p in store.get_leaf_partitions()] == [
        Region([Range("key", LONG_MIN, 100)]),
        Region([Range("key", 100)]),
    ]


def test_extend_partition_tree_adds_several_levels(store: sleeper_pg.StateStore) -> None:
    tree = tree_of(("root", "L", "R", 50), ("L", "LL", "LR", 25), ("R", "RL", "RR", 75))
    body = {
        "updatePartitions": [partition(tree["root"])],
        "newPartitions": [partition(p) for id, p in tree.items() if id != "root"],
    }
    assert apply(store, "EXTEND_PARTITION_TREE", body).fully_applied
    assert store.get_all_partitions() == sorted(tree.values(), key=lambda p: p.id)


def test_an_extension_giving_an_invalid_tree_raises_with_the_reason_as_cause(store: sleeper_pg.StateStore) -> None:
    second_root = Partition("new", Region([Range("key", LONG_MIN)]))
    with pytest.raises(sleeper_pg.StateStoreException, match="Update results in invalid partition tree") as raised:
        apply(store, "EXTEND_PARTITION_TREE", {"updatePartitions": [], "newPartitions": [partition(second_root)]})
    assert type(raised.value.__cause__) is ValueError
    assert str(raised.value.__cause__) == "There should be exactly one root partition, found 2"


def test_an_unknown_transaction_type_raises_value_error(store: sleeper_pg.StateStore) -> None:
    with pytest.raises(ValueError, match='Unknown transaction type "ADD_FILE": expected one of ADD_FILES, '):
        store.apply_transaction("ADD_FILE", "{}")


def test_malformed_json_raises_value_error_naming_the_type(store: sleeper_pg.StateStore) -> None:
    with pytest.raises(ValueError, match="Invalid ADD_FILES transaction: "):
        store.apply_transaction("ADD_FILES", '{"files": [')
    assert store.has_no_files()


def test_json_of_another_shape_raises_value_error(store: sleeper_pg.StateStore) -> None:
    with pytest.raises(ValueError, match="Invalid DELETE_FILES transaction: "):
        store.apply_transaction("DELETE_FILES", '{"filenames": "a"}')


def test_the_json_may_be_bytes(store: sleeper_pg.StateStore) -> None:
    store.apply_transaction("ADD_FILES", json.dumps(add_files("a")).encode())
    assert filenames(store) == ["a"]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ((None, "{}"), TypeError, "transaction_type must be a str, not None"),
        (("CLEAR_FILES", {}), TypeError, "transaction_json must be a str or bytes, not dict"),
        (("CLEAR_FILES", bytearray(b"{}")), TypeError, "transaction_json must be a str or bytes, not bytearray"),
        (("CLEAR_FILES", "\udc80"), ValueError, "transaction_json is not valid Unicode"),
    ],
)
def test_apply_transaction_rejects_arguments_of_the_wrong_type(
    store: sleeper_pg.StateStore, arguments: tuple[object, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        store.apply_transaction(*arguments)  # type: ignore[arg-type]
    assert message in str(raised.value)


def test_synchronous_must_be_a_bool(store: sleeper_pg.StateStore) -> None:
    with pytest.raises(TypeError, match="synchronous must be a bool, not int"):
        store.apply_transaction("CLEAR_FILES", "{}", synchronous=1)  # type: ignore[arg-type]


def test_an_outcome_reads_as_its_failures(store: sleeper_pg.StateStore) -> None:
    store.add_file(FileReference("b", "root", 1))
    assert repr(apply(store, "ADD_FILES", add_files("b"))) == (
        "TransactionOutcome(failures=[(0, FileAlreadyExistsException('File already exists: b'))])"
    )
    assert repr(apply(store, "CLEAR_FILES", {})) == "TransactionOutcome(failures=[])"


def test_the_result_classes_belong_to_the_package() -> None:
    for cls in (sleeper_pg.TransactionOutcome, sleeper_pg.TransactionLogReplay):
        assert cls.__module__ == "sleeper_pg"
        assert cls.__doc__
        assert cls.__name__ in sleeper_pg.__all__


# The transaction log.


def log_line(number: int, time: datetime, transaction_type: str, body: Json) -> str:
    return json.dumps(
        {
            "transactionNumber": number,
            "updateTime": round(time.timestamp() * 1000),
            "transactionType": transaction_type,
            "transaction": body,
        }
    )


def write_log(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "transactions.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    return path


def three_entries(tmp_path: Path) -> Path:
    """An ingest of a, its assignment to a job, and a batch of two commits of that job, the second
    of which Sleeper skips (a's reference went with the first); a blank line between the first two."""
    return write_log(
        tmp_path,
        log_line(1, at(10, 0), "ADD_FILES", add_files("a")),
        "",
        log_line(
            2, at(10, 1), "ASSIGN_JOB_IDS", {"requests": [{"jobId": "job", "partitionId": "root", "filenames": ["a"]}]}
        ),
        log_line(3, at(10, 2), "REPLACE_FILE_REFERENCES", {"jobs": [commit("job", ["a"], "b"), commit("job", ["a"], "c")]}),
    )


def test_a_log_replays_in_order_reporting_progress_after_each_entry(
    store: sleeper_pg.StateStore, tmp_path: Path
) -> None:
    path = three_entries(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    seen: list[tuple[int, int]] = []
    replay = store.apply_transaction_log(path, progress=lambda entries, read: seen.append((entries, read)))
    assert replay.entries == 3
    assert seen == [
        (1, len(lines[0])),
        (2, len(b"".join(lines[:3]))),
        (3, path.stat().st_size),
    ]
    assert filenames(store) == ["b"]


def test_each_entry_of_a_log_writes_at_its_update_time(store: sleeper_pg.StateStore, tmp_path: Path) -> None:
    store.apply_transaction_log(three_entries(tmp_path))
    report = store.get_all_files_with_max_unreferenced(10)
    assert [(f.filename, f.last_update_time) for f in report.files] == [("a", at(10, 2)), ("b", at(10, 2))]


def test_a_log_reports_the_parts_it_skipped_with_their_entry_number(store: sleeper_pg.StateStore, tmp_path: Path) -> None:
    replay = store.apply_transaction_log(three_entries(tmp_path))
    [(entry, index, error)] = replay.failures
    assert (entry, index) == (3, 1)
    assert isinstance(error, sleeper_pg.FileReferenceNotFoundException)
    assert (error.filename, error.partition_id) == ("a", "root")
    assert repr(replay) == (
        "TransactionLogReplay(entries=3, failures=[(3, 1, FileReferenceNotFoundException("
        "'File reference not found in partition root, filename a'))])"
    )


def test_a_log_stops_at_the_first_entry_that_fails(store: sleeper_pg.StateStore, tmp_path: Path) -> None:
    path = write_log(
        tmp_path,
        log_line(1, at(10, 0), "ADD_FILES", add_files("a")),
        log_line(2, at(10, 1), "DELETE_FILES", {"filenames": ["a"]}),
        log_line(3, at(10, 2), "ADD_FILES", add_files("b")),
    )
    seen: list[int] = []
    with pytest.raises(sleeper_pg.FileHasReferencesException):
        store.apply_transaction_log(path, progress=lambda entries, _: seen.append(entries))
    assert seen == [1]
    assert filenames(store) == ["a"]


class Cancelled(Exception):
    pass


def test_a_progress_callback_that_raises_stops_the_replay_after_that_entry(
    store: sleeper_pg.StateStore, tmp_path: Path
) -> None:
    seen: list[int] = []

    def cancel_after_the_first(entries: int, _: int) -> None:
        seen.append(entries)
        raise Cancelled(entries)

    with pytest.raises(Cancelled):
        store.apply_transaction_log(three_entries(tmp_path), progress=cancel_after_the_first)
    assert seen == [1]
    assert [(r.filename, r.job_id) for r in store.get_file_references()] == [("a", None)]


def test_a_store_call_from_progress_raises_state_store_exception(store: sleeper_pg.StateStore, tmp_path: Path) -> None:
    with pytest.raises(sleeper_pg.StateStoreException, match="inside a tokio runtime"):
        store.apply_transaction_log(three_entries(tmp_path), progress=lambda *_: store.has_no_files())
    assert filenames(store) == ["a"]


def test_a_log_entry_may_hold_its_transaction_as_a_string(store: sleeper_pg.StateStore, tmp_path: Path) -> None:
    line = json.dumps({"transactionType": "ADD_FILES", "transaction": json.dumps(add_files("a"))})
    assert store.apply_transaction_log(write_log(tmp_path, line)).entries == 1
    assert filenames(store) == ["a"]


def test_a_log_path_may_be_a_str(store: sleeper_pg.StateStore, tmp_path: Path) -> None:
    assert store.apply_transaction_log(str(three_entries(tmp_path))).entries == 3


def test_an_empty_log_applies_nothing(store: sleeper_pg.StateStore, tmp_path: Path) -> None:
    replay = store.apply_transaction_log(write_log(tmp_path), progress=lambda *_: pytest.fail("no entry"))
    assert (replay.entries, replay.failures) == (0, [])


def test_a_missing_log_file_raises_file_not_found_error(store: sleeper_pg.StateStore, tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    with pytest.raises(FileNotFoundError) as raised:
        store.apply_transaction_log(missing)
    assert raised.value.filename == str(missing)
    assert str(raised.value) == f"[Errno 2] No such file or directory: '{missing}'"


def test_a_log_line_that_is_not_an_entry_raises_value_error_naming_it(
    store: sleeper_pg.StateStore, tmp_path: Path
) -> None:
    path = write_log(tmp_path, log_line(1, at(10, 0), "ADD_FILES", add_files("a")), "not json")
    with pytest.raises(ValueError, match="Entry 2 of the transaction log: "):
        store.apply_transaction_log(path)
    assert filenames(store) == ["a"]


@pytest.mark.parametrize(
    ("path", "progress", "message"),
    [
        (None, None, "path must be a str or os.PathLike[str], not None"),
        (b"log.jsonl", None, "path must be a str or os.PathLike[str], not bytes"),
        ("log.jsonl", 5, "progress must be a callable or None, not int"),
    ],
)
def test_apply_transaction_log_rejects_arguments_of_the_wrong_type(
    store: sleeper_pg.StateStore, path: object, progress: object, message: str
) -> None:
    with pytest.raises(TypeError) as raised:
        store.apply_transaction_log(path, progress=progress)  # type: ignore[arg-type]
    assert str(raised.value) == message
