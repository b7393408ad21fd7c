#!/usr/bin/env bash
# The bindings' benchmarks of issue 7 (P3 from Python and Java, P4 from Python, Java and C), each beside
# Rust's figure for the same call measured on the same server in the same run. Writes
# target/bench-bindings.json, which scripts/bench-report.sh folds into docs/benchmarks.md. `make bench`
# runs this before the report.
#
#   BENCH_CALLS=20000           get_partition calls per loop (every language)
#   BENCH_REFERENCES=1000000    file references read back with get_file_references (Python, Java, Rust)
#   BENCH_COMMITS=2000          compaction commits through the Sleeper module and through the Java API
#   BENCH_ROUNDS=5              rounds of the Python, Java and C get_partition loops (each beside a Rust
#                               loop) and of the Python and Java reads; each figure is the median of its rounds
#
# Builds the release artifacts first (the Python module into target/python-venv, the Java API with its
# JNI library and the benchmark classes, the C library and bench_get_partition, the Rust bench binary), then measures
# against $DATABASE_URL, or without it one throwaway local cluster (durable, as the Rust benchmarks use)
# shared by every language and stopped at the end.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
calls="${BENCH_CALLS:-20000}"
references="${BENCH_REFERENCES:-1000000}"
rounds="${BENCH_ROUNDS:-5}"
out="$root/target/bench-bindings.json"
for value in "$calls" "$references" "$rounds"; do
  if ! [[ "$value" =~ ^[0-9]+$ ]] || [ "$value" -lt 1 ]; then
    echo "bench-bindings: BENCH_CALLS, BENCH_REFERENCES and BENCH_ROUNDS must be whole numbers >= 1" >&2
    exit 2
  fi
done

venv="$root/target/python-venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Wherever cargo puts its output (CARGO_TARGET_DIR, or target/ of the workspace).
target_dir="$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
release="$target_dir/release"
c_build="$target_dir/c-bench-release"
work="$(mktemp -d "${TMPDIR:-/tmp}/bench-bindings.XXXXXX")"
server_pid=""

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { echo "bench-bindings: $*"; }

# --- 1. Release builds ------------------------------------------------------------------------------
if [ ! -x "$venv/bin/python" ]; then
  step "creating $venv"
  python3 -m venv "$venv"
fi
[ -x "$venv/bin/maturin" ] || "$venv/bin/python" -m pip install -q "maturin>=1.9,<2"
# The Arrow read of P3a goes into a pyarrow.Table.
"$venv/bin/python" -c 'import pyarrow' 2>/dev/null || "$venv/bin/python" -m pip install -q "pyarrow>=14"
step "building the Python module (release) into $venv"
VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" \
  "$venv/bin/maturin" develop --release --quiet --manifest-path "$root/bindings-python/Cargo.toml"

step "building the Java API with its JNI library (release) and the Java benchmark classes"
# Maven builds the library through cargo, and prints its output (stray colour codes even when quiet) only
# when it fails. The API is installed for the Sleeper module's benchmark, which needs Sleeper's core too
# (scripts/sleeper-core.sh).
(cd bindings-java && mvn -B -q -ntp -Dcargo.profile=release -DskipTests install) >"$work/mvn.log" 2>&1 \
  || { cat "$work/mvn.log" >&2; exit 1; }
sleeper_module=""
if scripts/sleeper-core.sh; then
  (cd bindings-java/sleeper && mvn -B -q -ntp -DskipTests test-compile \
    && mvn -B -q -ntp dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/sleeper.classpath") \
    >"$work/mvn-sleeper.log" 2>&1 || { cat "$work/mvn-sleeper.log" >&2; exit 1; }
  sleeper_module="yes"
fi

step "building the C library (release) and bench_get_partition"
make -s -C examples/c PROFILE=release BUILD="$c_build" "$c_build/bench_get_partition"

step "building the Rust benchmark (release)"
cargo bench --quiet -p sleeper-pg --bench state_store --no-run

# --- 2. One server for every language ---------------------------------------------------------------
if [ -n "${DATABASE_URL:-}" ]; then
  step "using DATABASE_URL"
  server="DATABASE_URL"
else
  step "starting a local PostgreSQL cluster (durable) for the whole run"
  # Kept alive by a small Python process; it stops the cluster on SIGTERM, or when this script dies.
  "$venv/bin/python" -u -c '
import os, signal, sys, time
import sleeper_pg
def stop(*_):
    raise SystemExit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
parent = os.getppid()
with sleeper_pg.LocalPostgres(durable=True, settings={"max_connections": "600", "shared_buffers": "256MB"}) as pg:
    print(pg.url, flush=True)
    while os.getppid() == parent:
        time.sleep(1)
' >"$work/url" 2>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 1 120); do
    [ -s "$work/url" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      cat "$work/server.log" >&2
      echo "bench-bindings: the local cluster did not start" >&2
      exit 1
    fi
    sleep 0.5
  done
  [ -s "$work/url" ] || { cat "$work/server.log" >&2; echo "bench-bindings: no cluster after 60 s" >&2; exit 1; }
  DATABASE_URL="$(head -n 1 "$work/url")"
  export DATABASE_URL
  server="local cluster"
fi

# --- 3. Measurements, one after another -------------------------------------------------------------
# Rust's figures come from the same server in the same run. For every binding, each of the BENCH_ROUNDS
# rounds runs Rust's get_partition loop (cargo bench P4) and then the binding's, so that the drift of a
# shared machine touches both alike; each side's figure is the median of its rounds. The reads of N
# references (Python, Java) are compared with `cargo bench` P3's Rust read of as many (beside psql \copy,
# kept as "rust" in the JSON).
rust_p4() { # $1: the JSON file to write
  cargo bench --quiet -p sleeper-pg --bench state_store -- --workloads P4 --calls "$calls" --json "$1"
}

step "Rust: P3, get_file_references of $references references (cargo bench)"
cargo bench --quiet -p sleeper-pg --bench state_store -- --workloads P3 --references "$references" \
  --json "$work/rust-p3.json"

for round in $(seq 1 "$rounds"); do
  step "Rust, then Python: get_partition, $calls calls (round $round of $rounds)"
  rust_p4 "$work/rust-p4-python-$round.json"
  "$venv/bin/python" bindings-python/bench/get_partition.py --calls "$calls" --rounds 1 \
    --json "$work/python-get-partition-$round.json"
done

step "Python: get_file_references of $references references ($rounds rounds)"
"$venv/bin/python" bindings-python/bench/read_references.py --references "$references" --rounds "$rounds" \
  --json "$work/python-read.json"

(cd bindings-java && mvn -B -q -ntp dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$work/java.classpath") >"$work/mvn-classpath.log" 2>&1 \
  || { cat "$work/mvn-classpath.log" >&2; exit 1; }
java_bench() { # $1: calls, $2: references
  (cd bindings-java && java -Duser.language=en -Duser.country=US --add-opens=java.base/java.nio=ALL-UNNAMED \
    -cp "target/classes:target/test-classes:$(cat "$work/java.classpath")" \
    sleeper.statestore.postgres.GetPartitionBenchmark "$1" "$2")
}
for round in $(seq 1 "$rounds"); do
  step "Rust, then Java: get_partition, $calls calls (round $round of $rounds)"
  rust_p4 "$work/rust-p4-java-$round.json"
  java_bench "$calls" 0 | tee "$work/java-get-partition-$round.log"
done

step "Java: getFileReferences of $references references ($rounds rounds)"
java_bench 1 "$references" | tee "$work/java-read.log"

if [ -n "$sleeper_module" ]; then
  step "Java: a compaction commit through the Sleeper module beside the Java API"
  (cd bindings-java/sleeper && java -Djava.library.path="$release" \
    -cp "target/classes:target/test-classes:$(cat "$work/sleeper.classpath")" \
    sleeper.statestore.postgres.sleeper.CommitOverheadBenchmark "${BENCH_COMMITS:-2000}") | tee "$work/sleeper.log"
fi

for round in $(seq 1 "$rounds"); do
  step "Rust, then C: get_partition, $calls calls (round $round of $rounds)"
  rust_p4 "$work/rust-p4-c-$round.json"
  "$c_build/bench_get_partition" "$calls" | tee "$work/c-$round.log"
done

# --- 4. target/bench-bindings.json ------------------------------------------------------------------
"$venv/bin/python" - "$work" "$out" "$server" "$calls" "$references" <<'PY'
import json, re, sys
from statistics import median
from pathlib import Path

work, out, server, calls, references = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
number = r"(-?[0-9.]+)"

def find(pattern: str, text: str, what: str) -> list[float]:
    match = re.search(pattern, text)
    if not match:
        sys.exit(f"bench-bindings: no {what} in the output:\n{text}")
    return [float(g) for g in match.groups()]

def rust(name: str) -> dict:
    return json.loads((work / name).read_text())["workloads"]

def rounds(pattern: str) -> list[Path]:
    return sorted(work.glob(pattern), key=lambda f: int(re.findall(r"[0-9]+", f.name)[-1]))

p3 = rust("rust-p3.json")["P3"]
python_rust = [rust(f.name)["P4"]["rust_us_per_call"] for f in rounds("rust-p4-python-*.json")]
c_rust = [rust(f.name)["P4"]["rust_us_per_call"] for f in rounds("rust-p4-c-*.json")]
java_rust = [rust(f.name)["P4"]["rust_us_per_call"] for f in rounds("rust-p4-java-*.json")]
python_rounds = [json.loads(f.read_text()) for f in rounds("python-get-partition-*.json")]
python = {
    "get_partition_us": median(r["get_partition_us"] for r in python_rounds),
    "get_partition_min_us": min(r["get_partition_us"] for r in python_rounds),
    "get_partition_cpu_us": median(r["get_partition_cpu_us"] for r in python_rounds),
    "get_partition_rounds_us": [r["get_partition_us"] for r in python_rounds],
    "rust_get_partition_us": median(python_rust),
    "rust_get_partition_rounds_us": python_rust,
    "calls": calls,
    **json.loads((work / "python-read.json").read_text()),
}

java_rounds = [find(rf"mean {number}, p10 {number}, median {number}", f.read_text(), "getPartition figures from Java")
               for f in rounds("java-get-partition-*.log")]
java_read_log = (work / "java-read.log").read_text()
jmin, jread = find(rf"getFileReferences of [0-9]+: fastest {number} s, median {number} s", java_read_log,
                   "getFileReferences figures from Java")
_, jarrow, jpeak = find(rf"getFileReferencesArrow of [0-9]+: fastest {number} s, median {number} s \([0-9]+ rounds\), "
                        rf"allocator peak {number} bytes", java_read_log, "getFileReferencesArrow figures from Java")
(jarrow_core,) = find(rf"of which the core's read: median {number} s", java_read_log,
                      "the core's share of getFileReferencesArrow from Java")
# Both bindings' reads are compared with cargo bench's P3 read of as many references on the same server.
rust_read = p3["rust_seconds"]
java = {
    "get_partition_us": median(r[0] for r in java_rounds), "get_partition_rounds_us": [r[0] for r in java_rounds],
    "get_partition_p10_us": median(r[1] for r in java_rounds),
    "rust_get_partition_us": median(java_rust), "rust_get_partition_rounds_us": java_rust,
    "read_seconds": jread, "read_min_seconds": jmin, "rust_read_seconds": rust_read,
    "arrow_read_seconds": jarrow, "arrow_core_seconds": jarrow_core, "arrow_allocator_peak_bytes": int(jpeak),
    "rust_arrow_read_seconds": p3["arrow_seconds"], "rust_arrow_buffer_bytes": p3["arrow_buffer_bytes"],
    "calls": calls, "references": references,
}
python["rust_read_seconds"] = rust_read
python["rust_arrow_read_seconds"] = p3["arrow_seconds"]

c_rounds = [find(rf"spg_get_partition: {number} us/call", f.read_text(), "us/call from C")[0] for f in rounds("c-*.log")]
c = {
    "get_partition_us": median(c_rounds), "get_partition_rounds_us": c_rounds,
    "rust_get_partition_us": median(c_rust), "rust_get_partition_rounds_us": c_rust, "calls": calls,
}

sleeper_log = work / "sleeper.log"
sleeper_module = None
if sleeper_log.exists():
    module, api, overhead, p10, p90, commits = find(
        rf"Sleeper module commit median {number} us, Java API commit median {number} us; paired difference median "
        rf"{number} us, p10 {number} us, p90 {number} us \(([0-9]+) commits each\)", sleeper_log.read_text(),
        "commit figures from the Sleeper module")
    sleeper_module = {"module_us": module, "api_us": api, "overhead_us": overhead, "overhead_p10_us": p10,
                      "overhead_p90_us": p90, "commits": int(commits)}

result = {
    "server": server, "calls": calls, "references": references, "sleeper_module": sleeper_module,
    "rust": {"read_seconds": p3["rust_seconds"], "psql_copy_seconds": p3["psql_copy_seconds"],
             "references": p3["references"], "get_partition_us": median(python_rust + java_rust + c_rust)},
    "python": python, "java": java, "c": c,
}
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps(result, indent=2) + "\n")
print(f"bench-bindings: wrote {out}")
for language in ("python", "java"):
    f = result[language]
    print(f"  P3 {language}: {f['read_seconds']:.3f} s = {f['read_seconds'] / f['rust_read_seconds']:.2f} x Rust "
          f"({f['rust_read_seconds']:.3f} s), {references} references")
for language in ("python", "java", "c"):
    f = result[language]
    print(f"  P4 {language}: {f['get_partition_us']:.1f} us/call, {f['get_partition_us'] - f['rust_get_partition_us']:+.1f} us "
          f"over Rust ({f['rust_get_partition_us']:.1f} us)")
PY
