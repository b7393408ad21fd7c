"""The life of a Sleeper table, step by step, printing the state store after each step.

Runs against DATABASE_URL, or a throwaway local PostgreSQL cluster when it is not set:
``python examples/python/demo.py`` (with the sleeper_pg package installed: ``pip install ./bindings-python``).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import sleeper_pg
from sleeper_pg import (
    AssignJobIdRequest,
    FileReference,
    Partition,
    ReplaceFileReferencesRequest,
    SplitFileReferenceRequest,
    StateStore,
)

LONG_MIN = -(2**63)


def main() -> None:
    print("Connecting (DATABASE_URL, or a throwaway local PostgreSQL cluster)...")
    with sleeper_pg.connect() as client:
        table_id = f"demo-{uuid.uuid4().hex[:8]}"

        step(f"1. Create table {table_id} with one row key field, key: long")
        store = client.create_table(table_id, [("key", "long")])

        step("2. Initialise partitions from split points 100 and 200")
        tree = sleeper_pg.partitions_from_split_points(store.row_keys, [100, 200])
        store.initialise(tree)
        print_partitions(store)

        step("3. Ingest adds two files on the root partition and one on a leaf")
        root = next(p.id for p in tree if p.parent_partition_id is None)
        first_leaf = tree[0].id  # the helper lists the leaves first, left to right
        store.add_files(
            [
                FileReference("s3a://bucket/data/ingest-1.parquet", root, 1_000),
                FileReference("s3a://bucket/data/ingest-2.parquet", root, 400),
                FileReference("s3a://bucket/data/ingest-3.parquet", first_leaf, 250),
            ]
        )
        print_files(store)

        step("4. Split the root files' references down to the leaves")
        store.split_file_references(split_down_to_leaves(store, tree, root))
        print_files(store)

        step("5. Create a compaction job for the leftmost leaf")
        inputs = store.get_partition_to_referenced_files_map()[first_leaf]
        store.assign_job_ids([AssignJobIdRequest("compaction-job-1", first_leaf, inputs)])
        print_files(store)

        step("6. Commit the compaction job: its inputs are replaced by one output file")
        output = FileReference("s3a://bucket/data/compacted-1.parquet", first_leaf, 1_200)
        store.atomically_replace_file_references_with_new_ones(
            [ReplaceFileReferencesRequest("compaction-job-1", first_leaf, inputs, output)]
        )
        print_files(store)
        print_file_records(store)

        step("7. Garbage collection: find files with no references, delete them")
        # Sleeper waits a while before deleting unreferenced files; the demo does not.
        ready = store.get_ready_for_gc_filenames_before(datetime.now(timezone.utc) + timedelta(seconds=1))
        print(f"Ready for garbage collection: {ready}")
        store.delete_garbage_collected_file_reference_counts(ready)
        print_file_records(store)
        print("(The other leaves' references wait for their own compaction jobs.)")

        step("8. Apply an ingest as a Sleeper transaction, from the JSON Sleeper writes for it")
        reference = {"partitionId": first_leaf, "numberOfRows": 300, "countApproximate": False,
                     "onlyContainsDataForThisPartition": True}
        ingest = json.dumps({"files": [{"filename": "s3a://bucket/data/ingest-4.parquet", "references": [reference]}]})
        print(f"Applied: {store.apply_transaction('ADD_FILES', ingest)}")
        # Asynchronous mode, as Sleeper's committer: the repeated ingest is skipped, not raised.
        print(f"Applied again: {store.apply_transaction('ADD_FILES', ingest)}")
        print_files(store)

        client.delete_table(table_id)
        print(f"\nDeleted table {table_id}. Done.")


def split_down_to_leaves(store: StateStore, tree: list[Partition], root: str) -> list[SplitFileReferenceRequest]:
    """One request per reference on the root: it moves to the root's two children, and those that are
    not leaves are split again in the same call."""
    by_id = {p.id: p for p in tree}
    pending = [r for r in store.get_file_references() if r.partition_id == root]
    requests = []
    while pending:
        reference = pending.pop()
        children = by_id[reference.partition_id].child_partition_ids
        if len(children) == 2:
            request = SplitFileReferenceRequest.split_file_to_child_partitions(reference, children[0], children[1])
            pending.extend(request.new_references)
            requests.append(request)
    return requests


def step(title: str) -> None:
    print(f"\n== {title} ==")


def short(partition_id: str | None) -> str:
    return partition_id[:8] if partition_id else "-"


def clock(time: datetime | None) -> str:
    return time.strftime("%H:%M:%S.%f")[:-3] if time else ""


def bound(value: int | str | bytes | None) -> str:
    if value is None:
        return "none"
    return "MIN" if value == LONG_MIN else str(value)


def print_partitions(store: StateStore) -> None:
    print(f"{'partition':<10} {'leaf':<6} {'parent':<10} key range")
    for p in store.get_all_partitions():
        key = p.region.ranges[0]
        print(f"{short(p.id):<10} {p.is_leaf_partition!s:<6} {short(p.parent_partition_id):<10} "
              f"[{bound(key.min)}, {bound(key.max)})")


def print_files(store: StateStore) -> None:
    print(f"{'file':<38} {'partition':<10} {'rows':>6} {'approx':<7} {'job':<18} updated")
    for r in store.get_file_references():
        print(f"{r.filename:<38} {short(r.partition_id):<10} {r.number_of_rows:>6} {r.count_approximate!s:<7} "
              f"{r.job_id or '-':<18} {clock(r.last_update_time)}")


def print_file_records(store: StateStore) -> None:
    print(f"{'file record':<38} {'references':>10} last update")
    for f in store.get_all_files_with_max_unreferenced(100).files:
        print(f"{f.filename:<38} {f.reference_count:>10} {clock(f.last_update_time)}")


if __name__ == "__main__":
    main()
