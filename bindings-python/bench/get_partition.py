"""Microseconds per StateStore.get_partition call from Python: a benchmark, not a test.

The store's own work (one indexed query) is the same from every language, so comparing this figure
with the same loop in Rust gives the cost of the binding: argument conversion, releasing and
re-taking the GIL, the blocking call into the core's runtime, and building the Partition object.

    python bindings-python/bench/get_partition.py [--calls 20000] [--rounds 5] [--json OUT.json]

Uses DATABASE_URL when set, else a throwaway local cluster. Build the module in release mode first
(`maturin develop --release`, or `pip install ./bindings-python`) for figures worth comparing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid

import sleeper_pg


def measure(store: sleeper_pg.StateStore, calls: int) -> tuple[float, float]:
    """Mean microseconds per call over `calls` back-to-back calls: elapsed, and CPU time of this
    process (all its threads). The CPU figure leaves out the server and the waits on it, so it shows
    the client's own cost, and drifts far less than the elapsed time on a busy machine."""
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        store.get_partition("root")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    return elapsed / calls * 1e6, cpu / calls * 1e6


def run(url: str, calls: int, rounds: int) -> dict[str, float]:
    """Prints the figures and returns them: `get_partition_us` is the median over the rounds of the
    elapsed microseconds per call."""
    with sleeper_pg.connect(url, max_connections=1) as client:
        table_id = f"bench-{uuid.uuid4().hex[:8]}"
        store = client.create_table(table_id, [("key", "long")])
        try:
            store.initialise()
            measure(store, min(calls, 2000))  # warm up: connection, prepared statement, caches
            results = [measure(store, calls) for _ in range(rounds)]
            elapsed = [e for e, _ in results]
            cpu = [c for _, c in results]
            print(f"get_partition from Python ({rounds} rounds of {calls} calls): "
                  f"elapsed median {statistics.median(elapsed):.1f} us/call (min {min(elapsed):.1f}), "
                  f"client CPU median {statistics.median(cpu):.1f} us/call (min {min(cpu):.1f})")
            start = time.perf_counter()
            for _ in range(calls):
                sleeper_pg.FileReference("file", "root", 1)
            construct = (time.perf_counter() - start) / calls * 1e6
            print(f"for scale, constructing one FileReference: {construct:.2f} us")
            return {
                "get_partition_us": statistics.median(elapsed),
                "get_partition_min_us": min(elapsed),
                "get_partition_cpu_us": statistics.median(cpu),
                "calls": calls,
                "rounds": rounds,
            }
        finally:
            client.delete_table(table_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="also write the figures to this file, as JSON")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if url:
        figures = run(url, args.calls, args.rounds)
    else:
        with sleeper_pg.LocalPostgres() as pg:
            figures = run(pg.url, args.calls, args.rounds)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2)


if __name__ == "__main__":
    main()
