"""Seconds to read every file reference of a table from Python: a benchmark, not a test (P3 of issue 7, P3a
of issue 13).

Fills a new table with N references (add_files in batches of 1,000), the same rows as the Java
benchmark's (GetPartitionBenchmark: 1,024 leaf partitions, one file per reference, spread over the
leaves), then times the read as Arrow into a pyarrow.Table (through the Arrow PyCapsule interface, no
Python object per row) and StateStore.get_file_references over a few rounds. Compared with the same reads
timed in Rust (`cargo bench -p sleeper-pg --bench state_store -- --workloads P3 --references N`), the
difference is the cost of the binding. The Arrow read goes first, so that the growth of the process's
peak resident memory over it is the Arrow read's own, to compare with the table's buffers.

    python bindings-python/bench/read_references.py [--references 1000000] [--rounds 5] [--json OUT.json]

Uses DATABASE_URL when set, else a throwaway local cluster. Build the module in release mode first
(`maturin develop --release`) for figures worth comparing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
import uuid
from typing import Any, Literal

import sleeper_pg

LEAVES = 1024


def fill(store: sleeper_pg.StateStore, count: int, batch: int) -> float:
    """Initialises 1,024 leaves and adds `count` references in batches of `batch`, as the Java
    benchmark does; returns the seconds taken by the adds."""
    row_keys: list[tuple[str, Literal["long"]]] = [("key", "long")]
    store.initialise(sleeper_pg.partitions_from_split_points(row_keys, [i * 1000 for i in range(1, LEAVES)]))
    leaves = [p.id for p in store.get_leaf_partitions()]
    start = time.perf_counter()
    for first in range(0, count, batch):
        store.add_files(
            [
                sleeper_pg.FileReference(
                    f"s3://sleeper-bench-bucket/data/partition/file-{i:012d}.parquet", leaves[i % len(leaves)], 1000 + i
                )
                for i in range(first, min(count, first + batch))
            ]
        )
    return time.perf_counter() - start


def run(url: str, count: int, rounds: int, batch: int) -> dict[str, Any]:
    """Prints the figures and returns them: `read_seconds` is the median over the rounds."""
    with sleeper_pg.connect(url, max_connections=1) as client:
        table_id = f"bench-read-{uuid.uuid4().hex[:8]}"
        store = client.create_table(table_id, [("key", "long")])
        try:
            added = fill(store, count, batch)
            print(f"added {count} references in {added:.1f} s (batches of {batch})")
            import pyarrow

            peak_before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            arrow_seconds = []
            core_seconds = []
            arrow_bytes = 0
            for _ in range(rounds):
                start = time.perf_counter()
                stream = store.get_file_references_arrow()
                # The core's read, done when the stream is returned: the binding's cost is what follows.
                core_seconds.append(time.perf_counter() - start)
                table = pyarrow.table(stream)
                arrow_seconds.append(time.perf_counter() - start)
                if table.num_rows != count:
                    raise RuntimeError(f"read {table.num_rows} references as Arrow, expected {count}")
                arrow_bytes = table.nbytes
                del table, stream
            arrow_peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before_kib
            print(f"get_file_references_arrow of {count} into pyarrow ({rounds} rounds): median "
                  f"{statistics.median(arrow_seconds):.3f} s, of which the core's read "
                  f"{statistics.median(core_seconds):.3f} s; peak resident grew {arrow_peak_kib} KiB for "
                  f"{arrow_bytes // 1024} KiB of Arrow buffers")
            seconds = []
            for _ in range(rounds):
                start = time.perf_counter()
                references = store.get_file_references()
                seconds.append(time.perf_counter() - start)
                if len(references) != count:
                    raise RuntimeError(f"read {len(references)} references, expected {count}")
                del references
            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"get_file_references of {count} from Python ({rounds} rounds): median {statistics.median(seconds):.3f} s, "
                  f"fastest {min(seconds):.3f} s; rounds {', '.join(f'{s:.3f}' for s in seconds)}; "
                  f"peak resident {peak_kib} KiB")
            return {
                "read_seconds": statistics.median(seconds),
                "read_min_seconds": min(seconds),
                "read_rounds": seconds,
                "references": count,
                "add_seconds": added,
                "peak_resident_kib": peak_kib,
                "arrow_read_seconds": statistics.median(arrow_seconds),
                "arrow_read_rounds": arrow_seconds,
                "arrow_core_seconds": statistics.median(core_seconds),
                "arrow_core_rounds": core_seconds,
                "arrow_buffer_bytes": arrow_bytes,
                "arrow_peak_growth_kib": arrow_peak_kib,
            }
        finally:
            client.delete_table(table_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--references", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--json", help="also write the figures to this file, as JSON")
    args = parser.parse_args()
    if args.references < 1 or args.rounds < 1 or args.batch < 1:
        parser.error("--references, --rounds and --batch must be at least 1")
    url = os.environ.get("DATABASE_URL")
    if url:
        figures = run(url, args.references, args.rounds, args.batch)
    else:
        with sleeper_pg.LocalPostgres() as pg:
            figures = run(pg.url, args.references, args.rounds, args.batch)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2)


if __name__ == "__main__":
    main()
