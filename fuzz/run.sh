#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 90), JOBS at a time (default 2), with nightly and
# cargo-fuzz (`cargo install cargo-fuzz`). New inputs go to a scratch corpus (target/fuzz-corpus/),
# not to the checked-in seeds; crashes to fuzz/artifacts/<target>/. Prints each target's last status
# line (`#N DONE ... exec/s`); the logs are in target/fuzz-logs/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="${1:-90}"
jobs="${JOBS:-2}"
cd "$here"
cargo +nightly fuzz build
mkdir -p target/fuzz-logs
targets=$(cargo +nightly fuzz list)
run() {
  local t="$1"
  mkdir -p "target/fuzz-corpus/$t" "artifacts/$t"
  cargo +nightly fuzz run "$t" "target/fuzz-corpus/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 >"target/fuzz-logs/$t.log" 2>&1 \
    && echo "$t: $(grep -E '^#[0-9]+[[:space:]]+DONE' "target/fuzz-logs/$t.log" | tail -1)" \
    || echo "$t: FAILED, see fuzz/target/fuzz-logs/$t.log and fuzz/artifacts/$t/"
}
export -f run
export seconds
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run {}'
