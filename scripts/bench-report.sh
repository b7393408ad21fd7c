#!/usr/bin/env bash
# Turns docs/benchmarks.json (and the bindings' figures, when present) into docs/benchmarks.md and
# docs/benchmarks.png, with matplotlib from a virtual environment under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import matplotlib' 2>/dev/null || "$venv/bin/pip" install -q matplotlib
"$venv/bin/python" scripts/bench_report.py docs/benchmarks.json --bindings target/bench-bindings.json \
  --command "make bench ${BENCH_FLAGS:-}"
