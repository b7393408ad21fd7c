#!/usr/bin/env python3
"""Writes docs/benchmarks.md and docs/benchmarks.png from the JSON results of `make bench`.

Usage: bench_report.py RESULTS.json [--bindings BINDINGS.json] [--markdown OUT.md] [--chart OUT.png]
       [--command "the command line that produced the results"]
Each ratio is computed from figures measured in the same run, and each target of issue 7 gets a
plain verdict: met, or missed with the numbers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def storm_rows(runs: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| clients | jobs/s | pgbench tpcb-like TPS | ratio | pgbench simple-update TPS "
        "| assign p50 / p99 / max ms | commit p50 / p99 / max ms | failed calls | retries | rows conserved |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        a, c = run["assign"], run["commit"]
        conserved = all(check["conserved"] for check in run.get("checks", [])) if run.get("checks") else "-"
        def figure(key: str, form: str) -> str:
            return format(run[key], form) if key in run else "-"

        rows.append(
            f"| {run['clients']} | {run['jobs_per_second']:.0f} | {figure('pgbench_tps', '.0f')} "
            f"| {figure('ratio_to_pgbench', '.2f')} | {figure('pgbench_simple_update_tps', '.0f')} "
            f"| {a['p50_ms']:.1f} / {a['p99_ms']:.1f} / {a['max_ms']:.1f} "
            f"| {c['p50_ms']:.1f} / {c['p99_ms']:.1f} / {c['max_ms']:.1f} "
            f"| {run['failed_calls']} | {run['retries']} | {conserved} |"
        )
    return rows


def p99_within(run: dict[str, Any]) -> bool:
    return all(run[call]["p99_ms"] <= 10 * run[call]["p50_ms"] for call in ("assign", "commit"))


def report(results: dict[str, Any], bindings: dict[str, Any], command: str) -> tuple[str, list[tuple[str, str, str]]]:
    w = results["workloads"]
    lines: list[str] = []
    summary: list[tuple[str, str, str]] = []

    if "P1" in w:
        lines += ["## P1: the compaction commit storm", ""]
        first = w["P1"][0]
        lines += [
            f"One table, {first['leaves']} leaf partitions, {first['files']} files each referenced on every leaf; "
            f"one compaction job per leaf (assign its {first['files']} references, then commit one output file). "
            "Each client has its own connection. pgbench tpcb-like (`-M prepared`, scale "
            f"{first.get('pgbench_scale', 1)}) ran on the same server in the same run. At scale 1 its "
            "transactions contend on one branch row, as the prototype's count rows did; pgbench simple-update "
            "(`-N`, no hot rows) is shown beside it to give the server's uncontended rate, for scale.",
            "",
        ]
        lines += storm_rows(w["P1"]) + [""]
        for run in w["P1"]:
            ok = run["failed_calls"] == 0 and run["ratio_to_pgbench"] >= 0.5 and p99_within(run)
            summary.append(
                (
                    f"P1, {run['clients']} clients",
                    f"{run['jobs_per_second']:.0f} jobs/s = {run['ratio_to_pgbench']:.2f} x pgbench; "
                    f"{run['failed_calls']} failed; p99/p50 assign {run['assign']['p99_ms'] / max(run['assign']['p50_ms'], 1e-9):.1f}, "
                    f"commit {run['commit']['p99_ms'] / max(run['commit']['p50_ms'], 1e-9):.1f}",
                    verdict(ok),
                )
            )
    if "P1f" in w:
        lines += ["## P1f: the storm and pgbench with fsync on and off", ""]
        lines += [
            "The P1 storm and pgbench tpcb-like at each client count once more with `fsync = off` (`ALTER SYSTEM`, "
            "reset afterwards; `synchronous_commit` left on), so that the ratio is also seen where the server does "
            "not wait for the disk. Target (issue 16): jobs/s >= 0.6 x pgbench TPS at each client count, with fsync on "
            "(the P1 runs) and off.",
            "",
            "| clients | fsync on: jobs/s | pgbench TPS | ratio | fsync off: jobs/s | pgbench TPS | ratio |",
            "|---|---|---|---|---|---|---|",
        ]
        on_runs = {run["clients"]: run for run in w.get("P1", [])}
        for off in w["P1f"]:
            on = on_runs.get(off["clients"])
            on_cells = (f"{on['jobs_per_second']:.0f} | {on['pgbench_tps']:.0f} | {on['ratio_to_pgbench']:.2f}"
                        if on else "- | - | -")
            lines.append(
                f"| {off['clients']} | {on_cells} | {off['jobs_per_second']:.0f} | {off['pgbench_tps']:.0f} "
                f"| {off['ratio_to_pgbench']:.2f} |"
            )
            settings = [("off", off)] if on is None else [("on", on), ("off", off)]
            measured = "; ".join(
                f"fsync {name}: {run['ratio_to_pgbench']:.2f} x pgbench ({run['jobs_per_second']:.0f} jobs/s, "
                f"{run['pgbench_tps']:.0f} TPS)"
                for name, run in settings
            )
            ok = all(run["ratio_to_pgbench"] >= 0.6 and run["failed_calls"] == 0 for _, run in settings)
            summary.append((f"P1f, {off['clients']} clients, fsync {'on and off' if on else 'off'}", measured,
                            verdict(ok)))
        lines += ["", "The storm with fsync off:", ""]
        lines += storm_rows(w["P1f"]) + [""]
    if "P1e" in w:
        run = w["P1e"]
        lines += ["## P1e: the storm through a network delay", ""]
        lines += [
            f"The P1 storm with {run['clients']} clients and pgbench tpcb-like (`-M prepared`, {run['clients']} clients) "
            f"both through a TCP proxy that holds every chunk {run['delay_ms']:g} ms in each direction (a "
            f"{2 * run['delay_ms']:g} ms round trip, as between machines), so that every round trip a call makes "
            "costs what it would on a network. Target (issue 16): jobs/s >= 0.6 x pgbench TPS.",
            "",
        ]
        lines += storm_rows([run]) + [""]
        conserved = all(check["conserved"] for check in run["checks"])
        summary.append(
            (f"P1e, {run['clients']} clients through a {run['delay_ms']:g} ms proxy",
             f"{run['jobs_per_second']:.0f} jobs/s = {run['ratio_to_pgbench']:.2f} x pgbench "
             f"({run['pgbench_tps']:.0f} TPS); {run['failed_calls']} failed; rows conserved: {conserved}",
             verdict(run["ratio_to_pgbench"] >= 0.6 and run["failed_calls"] == 0 and conserved))
        )
    if "P1c" in w:
        run = w["P1c"]
        lines += ["## P1c: the storm through PgBouncer", ""]
        lines += [
            f"The P1 storm with {run['clients']} clients, each connecting through PgBouncer (Debian's package, "
            f"transaction pooling, {run.get('server_connections', '?')} server connections); the only client "
            "option needed is `statement_cache: false`.",
            "",
        ]
        lines += storm_rows([run]) + [""]
        conserved = all(check["conserved"] for check in run["checks"])
        summary.append(
            (f"P1c, {run['clients']} clients via PgBouncer",
             f"{run['jobs_per_second']:.0f} jobs/s; {run['failed_calls']} failed; rows conserved: {conserved}",
             verdict(run["failed_calls"] == 0 and conserved))
        )
    if "P1d" in w:
        run = w["P1d"]
        lines += ["## P1d: Sleeper's largest compaction test", ""]
        lines += [f"{run['leaves']} leaves, {run['files']} files on every leaf, {run['clients']} clients.", ""]
        lines += storm_rows([run]) + [""]
        conserved = all(check["conserved"] for check in run["checks"])
        summary.append(
            ("P1d", f"{run['jobs_per_second']:.0f} jobs/s; {run['failed_calls']} failed; rows conserved: {conserved}",
             verdict(run["failed_calls"] == 0 and conserved))
        )
    if "P1b" in w and "P1" in w:
        run = w["P1b"]
        same = next((r for r in w["P1"] if r["clients"] == run["clients"]), None)
        lines += ["## P1b: the storm on several tables at once", ""]
        lines += [f"{run['tables']} tables, {run['clients']} clients in total.", ""]
        lines += storm_rows([run]) + [""]
        if same:
            ratio = run["jobs_per_second"] / same["jobs_per_second"]
            summary.append(
                (f"P1b, {run['tables']} tables", f"{run['jobs_per_second']:.0f} jobs/s = {ratio:.2f} x P1 at {run['clients']} clients",
                 verdict(ratio >= 0.8 and run["failed_calls"] == 0))
            )
    if "P5" in w and "P1" in w:
        lines += ["## P5: the prototype's design (per-file count table, SERIALIZABLE), same storm", ""]
        lines += storm_rows(w["P5"]) + [""]
        for proto in w["P5"]:
            ours = next((r for r in w["P1"] if r["clients"] == proto["clients"]), None)
            if ours:
                ratio = ours["jobs_per_second"] / max(proto["jobs_per_second"], 1e-9)
                summary.append(
                    (f"P5, {proto['clients']} clients",
                     f"this store {ratio:.1f} x the prototype ({proto['jobs_per_second']:.1f} jobs/s, "
                     f"{proto['failed_calls']} failed calls, {proto['retries']} retries); this store {ours['failed_calls']} failed",
                     verdict(ratio >= 5 and ours["failed_calls"] == 0))
                )
    if "P2" in w:
        run = w["P2"]
        lines += ["## P2: adding file references in batches and in one call", ""]
        lines += [
            "| references | store, batches of " + f"{run['batch']}" + " | store, one call | COPY, one statement "
            "| COPY, batches of " + f"{run['batch']}" + ", each committed |",
            "|---|---|---|---|---|",
            f"| {run['references']} | {run['store_references_per_second']:.0f} refs/s = {run['ratio']:.2f} x COPY "
            f"| {run['one_call_references_per_second']:.0f} refs/s = {run['one_call_ratio']:.2f} x COPY "
            f"| {run['copy_rows_per_second']:.0f} rows/s "
            f"| {run['copy_batches_rows_per_second']:.0f} rows/s = "
            f"{run['copy_seconds'] / run['copy_batches_seconds']:.2f} x COPY |",
            "",
        ]
        summary.append(("P2, batches", f"{run['ratio']:.2f} x COPY", verdict(run["ratio"] >= 0.9)))
        summary.append(("P2, one call", f"{run['one_call_ratio']:.2f} x COPY", verdict(run["one_call_ratio"] >= 0.9)))
    if "P3" in w:
        run = w["P3"]
        lines += ["## P3: reading every reference", ""]
        lines += [
            "| references | Rust s | psql \\copy s | Rust / psql | report s | Rust resident KiB |",
            "|---|---|---|---|---|---|",
            f"| {run['references']} | {run['rust_seconds']:.2f} | {run['psql_copy_seconds']:.2f} | {run['ratio']:.2f} "
            f"| {run['report_seconds']:.2f} | {run['rust_resident_kib']} |",
            "",
        ]
        if "arrow_seconds" in run:
            mib = run["arrow_buffer_bytes"] / 2**20
            lines += [
                "### P3a: the same read as Arrow record batches", "",
                f"Rust: {run['arrow_seconds']:.2f} s into {mib:.0f} MiB of Arrow buffers. The bindings take the "
                "batches through the Arrow C stream interface (Python: `pyarrow.table` of the PyCapsule stream; "
                "Java: an `ArrowReader` loading each batch into its `VectorSchemaRoot`), with no object per row. Each "
                "binding's read is timed whole and up to the return of the stream (the core's read, the same Rust "
                "call, on the same table at the same moment): the ratio judged is the whole over that. Beside it, "
                "the ratio to cargo bench's Rust read, which reads a table of its own (other file names) at another "
                "moment. Target (issue 13): <= 1.1 x the Rust read, peak memory <= 1.5 x the Arrow buffers.", "",
                "| language | Arrow read s | of which the core's read s | over the core's read | over cargo bench's "
                "Rust read | memory held | memory / buffers |",
                "|---|---|---|---|---|---|---|",
                f"| Rust | {run['arrow_seconds']:.2f} | - | - | - | {mib:.0f} MiB of buffers | - |",
            ]
            for language in ("python", "java"):
                figures = bindings.get(language, {})
                seconds = figures.get("arrow_read_seconds")
                if not seconds:
                    continue
                core = figures.get("arrow_core_seconds")
                over_core = seconds / core if core else None
                over_rust = seconds / (figures.get("rust_arrow_read_seconds") or run["arrow_seconds"])
                if language == "python":
                    held_mib = figures["arrow_peak_growth_kib"] / 1024
                    memory = held_mib / (figures["arrow_buffer_bytes"] / 2**20)
                    held, ratio_text, memory_ok = f"{held_mib:.0f} MiB peak resident growth", f"{memory:.2f}", memory <= 1.5
                    memory_summary = f"peak resident growth {memory:.2f} x the buffers"
                else:
                    # Arrow Java's allocator counts buffers imported through the C data interface only in part,
                    # so its peak is not the memory held: shown, not judged.
                    peak_mib = figures["arrow_allocator_peak_bytes"] / 2**20
                    held, ratio_text, memory_ok = f"{peak_mib:.0f} MiB allocator peak (counted in part)", "not measured", True
                    memory_summary = "memory not measured"
                lines.append(
                    f"| {language.capitalize()} | {seconds:.2f} | {core:.2f} | {over_core:.2f} x | {over_rust:.2f} x "
                    f"| {held} | {ratio_text} |" if core else
                    f"| {language.capitalize()} | {seconds:.2f} | - | - | {over_rust:.2f} x | {held} | {ratio_text} |"
                )
                judged = over_core if over_core is not None else over_rust
                summary.append((f"P3a, {language}", f"{judged:.2f} x the core's Arrow read ({seconds:.2f} s; "
                                f"{over_rust:.2f} x cargo bench's); {memory_summary}",
                                verdict(judged <= 1.1 and memory_ok)))
            lines.append("")
        summary.append(("P3, Rust", f"{run['ratio']:.2f} x psql \\copy", verdict(run["ratio"] <= 0.8)))
        for language in ("python", "java"):
            seconds = bindings.get(language, {}).get("read_seconds")
            if seconds:
                # Prefer Rust's figure measured beside the binding's (same server, same run, same size).
                rust_seconds = bindings[language].get("rust_read_seconds") or run["rust_seconds"]
                ratio = seconds / rust_seconds
                summary.append(
                    (f"P3, {language}",
                     f"{ratio:.2f} x Rust ({seconds:.2f} s / {rust_seconds:.2f} s, "
                     f"{bindings[language].get('references', run['references'])} references)",
                     verdict(ratio <= 1.5))
                )
    if "P4" in w:
        rust = w["P4"]["rust_us_per_call"]
        lines += [
            "## P4: get_partition in a loop", "",
            "Each binding is compared with Rust's figure measured beside it (same server, same run) when it has one.", "",
            "| language | us per call | Rust us per call | over Rust |", "|---|---|---|---|",
        ]
        lines.append(f"| Rust | {rust:.1f} | - | - |")
        for language in ("python", "java", "c"):
            us = bindings.get(language, {}).get("get_partition_us")
            if us:
                base = bindings[language].get("rust_get_partition_us") or rust
                lines.append(f"| {language} | {us:.1f} | {base:.1f} | {us - base:+.1f} |")
                summary.append((f"P4, {language}", f"{us - base:+.1f} us over Rust", verdict(us - base <= 5)))
        lines.append("")
    if "P4p" in w:
        run = w["P4p"]
        lines += [
            "## P4p: get_partition from Rust beside pgbench", "",
            f"`get_partition` from Rust on one connection in a loop for {run['seconds']} s, beside pgbench (one client, "
            "`-M prepared`, a script of the one statement `get_partition` runs, with the table's key and the partition "
            "id as literals) for as long. Rust calls it from a task of the runtime, as an async application does, and "
            "also from the runtime's `block_on` on another thread, as the bindings' blocking facade does (a worker "
            "thread then wakes the caller for every answer). Target (issue 16): Rust's mean time per call <= 1.3 x "
            "pgbench's.", "",
            "| Rust task us per call | Rust block_on us per call | pgbench us per transaction | task / pgbench | block_on / pgbench |",
            "|---|---|---|---|---|",
            f"| {run['rust_us_per_call']:.1f} | {run['rust_block_on_us_per_call']:.1f} "
            f"| {run['pgbench_us_per_call']:.1f} | {run['ratio']:.2f} | {run['block_on_ratio']:.2f} |", "",
        ]
        summary.append(("P4p, get_partition against pgbench",
                        f"{run['ratio']:.2f} x pgbench ({run['rust_us_per_call']:.1f} us against "
                        f"{run['pgbench_us_per_call']:.1f} us)", verdict(run["ratio"] <= 1.3)))

    if "P6" in w:
        lines += ["## P6: batched compaction commits", ""]
        first = w["P6"][0]
        lines += [
            f"The P1 table ({first.get('leaves', '?')} leaves x {first.get('files', '?')} files), one "
            "compaction job per leaf, committed as Sleeper's batcher sends them: a client takes a batch of jobs, "
            "assigns them in one call, then commits them in one asynchronous REPLACE_FILE_REFERENCES transaction. "
            "At most as many clients as there are batches.",
            "",
            "| batch | clients | jobs/s | jobs applied | skipped | failed calls | rows conserved |",
            "|---|---|---|---|---|---|---|",
        ]
        for run in w["P6"]:
            conserved = all(check["conserved"] for check in run["checks"])
            lines.append(
                f"| {run['batch']} | {run['clients']} | {run['jobs_per_second']:.0f} | {run['jobs']} "
                f"| {run['skipped_jobs']} | {run['failed_calls']} | {conserved} |"
            )
            summary.append(
                (f"P6, batches of {run['batch']}", f"{run['jobs_per_second']:.0f} jobs/s, {run['clients']} clients; "
                 f"every job applied: {run['every_job_applied']}",
                 "reported" if run["every_job_applied"] and conserved else "**jobs lost**")
            )
        lines.append("")
    if "P7" in w:
        run = w["P7"]
        delay = run["delay_ms"]
        limits = {"read": 1.3, "write": 2.3}
        lines += [
            "## P7: round trips per call", "",
            "One client with one connection makes each kind of call (`get_partition` of one partition, `add_file` of "
            "one file, `assign_job_ids` of one reference, the commit of one job, `split_partition` of one leaf) one "
            f"after another through a TCP proxy that holds "
            f"every chunk {delay:g} ms in each direction, and the same calls straight to the server over TCP, "
            f"alternating, every kind in turn (after {run['warmup_calls']} calls of each kind to warm up). A call's round trips are "
            f"(median through the proxy - median direct) / {2 * delay:g} ms. Goal (issue 16): every read one round trip, "
            "every write two at most. A read is counted as meeting it at <= 1.3 and a write at <= 2.3: the 0.3 allows "
            "for the server's own time and the proxy's hop, which the difference of medians does not cancel exactly. "
            "`SELECT 1` on a plain sqlx connection is one round trip by definition, and shows what one reads as here; "
            "the last column divides each call's difference by its difference instead of by the nominal delay.",
            "",
            "| call | kind | calls | median through the proxy ms | median direct ms | round trips | over `SELECT 1`'s |",
            "|---|---|---|---|---|---|---|",
        ]
        for call in run["store_calls"]:
            over = call.get("over_select_1")
            lines.append(
                f"| `{call['call']}` | {call['kind']} | {call['calls']} | {call['proxy_p50_ms']:.2f} "
                f"| {call['direct_p50_ms']:.2f} | {call['round_trips']:.2f} | {'-' if over is None else f'{over:.2f}'} |"
            )
            limit = limits.get(call["kind"])
            summary.append(
                (f"P7, {call['call']} ({call['kind']})", f"{call['round_trips']:.2f} round trips",
                 verdict(call["round_trips"] <= limit) if limit else "reported")
            )
        lines += [
            "",
            "pgbench with one client (`-M prepared`), the same way, from its mean time per transaction (1 / TPS, "
            "without the connection's start):",
            "",
            "| script | transactions | mean through the proxy ms | mean direct ms | round trips |",
            "|---|---|---|---|---|",
        ]
        for bench in run["pgbench"]:
            lines.append(
                f"| {bench['script']} | {bench['transactions']} | {bench['proxy_latency_ms']:.2f} "
                f"| {bench['direct_latency_ms']:.2f} | {bench['round_trips']:.2f} |"
            )
            summary.append((f"P7, pgbench {bench['script']}", f"{bench['round_trips']:.2f} round trips per transaction",
                            "reported"))
        lines.append("")
    if "P8" in w:
        runs = w["P8"]
        lines += [
            "## P8: a query planner's read", "",
            f"`get_partition_to_referenced_files_map_in_region` of a key range inside one leaf of a table of "
            f"{runs[0]['leaves']} leaves (the leaf's 10 files and its ancestors', one round trip with the tree "
            "cached by the handle), beside `get_partition` of that leaf, both in a loop on a task of the runtime, "
            "as the table grows; the leaf keeps its files while the others fill up. Target (issue 13): <= 3 x "
            "`get_partition`, flat in the table's size.", "",
            "| references in the table | files in the answer | read us | get_partition us | read / get_partition |",
            "|---|---|---|---|---|",
        ]
        for run in runs:
            lines.append(
                f"| {run['references']} | {run['files_in_answer']} | {run['read_us_per_call']:.1f} "
                f"| {run['get_partition_us_per_call']:.1f} | {run['ratio']:.2f} |"
            )
            summary.append((f"P8, {run['references']} references", f"{run['ratio']:.2f} x get_partition "
                            f"({run['read_us_per_call']:.1f} us)", verdict(run["ratio"] <= 3)))
        lines.append("")
    if "P9" in w:
        placements = w["P9"]
        first = placements["shared_cores"]
        lines += [
            "## P9: query planners beside the storm, with a streaming replica", "",
            f"{first['readers']} readers each read one leaf's key range after another "
            "(`get_partition_to_referenced_files_map_in_region`, P8's read) of the table a storm of "
            f"{first['storm_clients']} clients is compacting ({first['leaves']} leaves x {first['files']} files), on a "
            "durable cluster of P9's own with one streaming replica on the same machine: the storm alone, with the "
            "readers on the primary, and with the readers on the replica (`replica_urls`). Each read is checked: a "
            "leaf holds either its ingested files or its one output, in every committed state. Run twice: with both "
            "servers sharing the machine's cores, and with each server's processes on a core of its own (as if on a "
            "machine of its own; the benchmark's clients use every core). Targets (issue 13): reads/s with the "
            "replica >= 1.5 x without; the storm's jobs/s within 10 % of the storm alone; no read of a state that "
            "never existed.", "",
            "| servers | phase | storm jobs/s | reads | reads/s | read p50 ms | read p99 ms | impossible reads |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for run in placements.values():
            for name, phase in run["phases"].items():
                latency = phase["read_latency"]
                lines.append(
                    f"| {run['placement']} | {name.replace('_', ' ')} | {phase['storm']['jobs_per_second']:.0f} "
                    f"| {phase['reads']} | {phase['reads_per_second']:.0f} | {latency['p50_ms']:.2f} "
                    f"| {latency['p99_ms']:.2f} | {phase['impossible_reads']} |"
                )
        lines.append("")
        for run in placements.values():
            placement = run["placement"]
            impossible = sum(phase["impossible_reads"] for phase in run["phases"].values())
            reads_ratio = run["reads_ratio_replica_over_primary"]
            storm_ratio = run["storm_ratio_readers_on_replica_over_alone"]
            lines.append(
                f"With {placement}: reads/s with the replica {reads_ratio:.2f} x without; the storm with the readers "
                f"on the replica {storm_ratio:.2f} x the storm alone (with them on the primary: "
                f"{run['storm_ratio_readers_on_primary_over_alone']:.2f} x).")
            lines.append("")
            summary.append((f"P9 ({placement}), reads/s with a replica", f"{reads_ratio:.2f} x without",
                            verdict(reads_ratio >= 1.5)))
            summary.append((f"P9 ({placement}), storm beside readers on the replica",
                            f"{storm_ratio:.2f} x the storm alone", verdict(storm_ratio >= 0.9)))
            summary.append((f"P9 ({placement}), reads of a state that never existed", str(impossible),
                            verdict(impossible == 0)))
    if "P10" in w:
        run = w["P10"]
        lines += [
            "## P10: the storm with and without the change feed", "",
            f"P1's storm at {run['clients']} clients on {run['tables']} tables at once (so that each storm lasts a few "
            "seconds), by clients that record every write in the change feed (the default) and by clients that do "
            f"not (`change_feed` off), alternated {run['rounds']} times on the same server in the same run; no follower "
            "waits, so no wake-up is sent. Target (issue 14): jobs/s with the feed within 10 % of without.", "",
            "| round | without the feed, jobs/s | with the feed, jobs/s |",
            "|---|---|---|",
        ]
        for i, (off, on) in enumerate(zip(run["without_feed"], run["with_feed"])):
            lines.append(f"| {i + 1} | {off['jobs_per_second']:.0f} | {on['jobs_per_second']:.0f} |")
        ratio = run["ratio_with_over_without"]
        if "note" in run:
            lines += ["", run["note"]]
        lines += ["", f"Medians: {run['with_feed_jobs_per_second']:.0f} jobs/s with the feed, "
                  f"{run['without_feed_jobs_per_second']:.0f} without: {ratio:.3f} x.", ""]
        summary.append((f"P10, storm with the change feed ({run['clients']} clients)", f"{ratio:.2f} x without",
                        verdict(ratio >= 0.9)))
    if "T1" in w:
        run = w["T1"]
        lines += [
            "## T1: extending the partition tree from its root", "",
            f"Sleeper's `shouldExtendFromRootTo100_000Leaves`: one `extend_partition_tree` call adds {run['partitions'] - 1} "
            f"partitions ({run['leaves']} leaves) under the root, the whole tree checked, in {run['seconds']:.2f} s.", "",
        ]
        summary.append(("T1, root to %d leaves" % run["leaves"], f"{run['seconds']:.2f} s, {run['partitions']} partitions",
                        "reported" if run["complete"] else "**incomplete**"))
    sleeper = bindings.get("sleeper_module")
    if sleeper:
        lines += [
            "## S1: a compaction commit through the Sleeper module", "",
            "One `ReplaceFileReferencesTransaction` through Sleeper's `StateStore` (turned into Sleeper's JSON by its "
            "`TransactionSerDe` and applied by the core) beside the same commit through the Java API, alternating call "
            f"by call on one table ({sleeper['commits']} commits each).", "",
            "| Sleeper module us | Java API us | paired difference us (median) | p10 / p90 |", "|---|---|---|---|",
            f"| {sleeper['module_us']:.1f} | {sleeper['api_us']:.1f} | {sleeper['overhead_us']:+.1f} "
            f"| {sleeper['overhead_p10_us']:+.1f} / {sleeper['overhead_p90_us']:+.1f} |", "",
        ]
        summary.append(("S1, Sleeper module over the Java API", f"{sleeper['overhead_us']:+.1f} us per commit "
                        f"({sleeper['module_us']:.0f} us against {sleeper['api_us']:.0f} us)", "reported"))

    head = [
        "# Benchmarks",
        "",
        f"Produced by `{command}` on this machine: {results['machine']['cores']} cores "
        f"({results['machine'].get('cpu') or 'unknown CPU'}). Every ratio compares figures measured in the same run "
        "on the same server; absolute figures drift between runs on shared machines.",
        "",
        "PostgreSQL: " + ", ".join(f"{k} = {v}" for k, v in results["server"].items()) + ".",
        "",
        "## Summary",
        "",
        "| workload | measured | target |",
        "|---|---|---|",
    ]
    head += [f"| {name} | {measured} | {ok} |" for name, measured, ok in summary]
    head += ["", "![commits per second and p99 latency against clients](benchmarks.png)", ""]
    analysis = Path(__file__).resolve().parent.parent / "docs" / "benchmarks-analysis.md"
    if analysis.exists():
        lines += [analysis.read_text().strip(), ""]
    return "\n".join(head + lines) + "\n", summary


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    w = results["workloads"]
    figure, (jobs, latency) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, runs in (("sleeper-pg", w.get("P1", [])), ("prototype (count table)", w.get("P5", []))):
        if not runs:
            continue
        clients = [r["clients"] for r in runs]
        jobs.plot(clients, [r["jobs_per_second"] for r in runs], marker="o", label=name)
        latency.plot(clients, [r["commit"]["p99_ms"] for r in runs], marker="o", label=f"{name}, commit p99")
    if w.get("P1"):
        clients = [r["clients"] for r in w["P1"]]
        jobs.plot(clients, [r["pgbench_tps"] for r in w["P1"]], marker="s", linestyle="--", label="pgbench tpcb-like TPS")
    for axis, title, unit in ((jobs, "Compaction jobs per second", "jobs/s"), (latency, "Commit latency, p99", "ms")):
        axis.set_xscale("log", base=2)
        axis.set_xlabel("concurrent clients")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    latency.set_yscale("log")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--bindings", default=None)
    parser.add_argument("--markdown", default="docs/benchmarks.md")
    parser.add_argument("--chart", default="docs/benchmarks.png")
    parser.add_argument("--command", default="make bench")
    args = parser.parse_args()
    results = json.loads(Path(args.results).read_text())
    bindings = json.loads(Path(args.bindings).read_text()) if args.bindings and Path(args.bindings).exists() else {}
    text, summary = report(results, bindings, args.command)
    Path(args.markdown).write_text(text)
    chart(results, Path(args.chart))
    for name, measured, ok in summary:
        print(f"{name}: {measured}: {ok}")


if __name__ == "__main__":
    main()
