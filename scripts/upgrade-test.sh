#!/usr/bin/env bash
# The upgrade test of issue 14: a database at the schema of the version before the newest migration,
# full of data, is migrated by this version's command line while clients of both versions make calls
# on it, on tables of their own and on one they share. Every call must succeed and no data may be
# lost; a client of the old version started after the upgrade must fail clearly; the new clients'
# writes must be in the change feed. One client source (scripts/upgrade/driver.rs) is built against
# both versions; the old one is taken from git history (the commit before the newest migration).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
NEWEST=$(ls migrations | sort | tail -1)
ADDED=$(git log --format=%H --diff-filter=A -1 -- "migrations/$NEWEST")
OLD=$(git rev-parse "$ADDED^")
WORK=$(mktemp -d)
SERVE=
cleanup() {
    exec 3>&- 2>/dev/null || true
    [ -n "$SERVE" ] && wait "$SERVE" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
echo "upgrade test: from $(git log --format='%h %s' -1 "$OLD" | cut -c1-72)"
echo "              to the working tree (adds migrations/$NEWEST)"

mkdir "$WORK/old"
git archive "$OLD" | tar -x -C "$WORK/old"
# The same client, against each version.
driver() { # driver DIR SOURCE_ROOT
    mkdir -p "$1/src"
    cp scripts/upgrade/driver.rs "$1/src/main.rs"
    cp "$2/Cargo.lock" "$1/Cargo.lock"
    cat > "$1/Cargo.toml" <<TOML
[package]
name = "upgrade-driver"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
sleeper-pg = { path = "$2/core" }
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }

[workspace]
TOML
    # The workspace's target directory: the dependencies the tests built serve both drivers.
    CARGO_TARGET_DIR="$ROOT/target" cargo build --quiet --manifest-path "$1/Cargo.toml"
    cp "$ROOT/target/debug/upgrade-driver" "$1/driver"
}
driver "$WORK/old-driver" "$WORK/old"
driver "$WORK/new-driver" "$ROOT"
cargo build --quiet -p sleeper-pg-cli
OLD_CLIENT="$WORK/old-driver/driver"
NEW_CLIENT="$WORK/new-driver/driver"
CLI="$ROOT/target/debug/sleeper-pg"

# A throwaway cluster, served until fd 3 closes.
mkfifo "$WORK/hold"
"$NEW_CLIENT" serve < "$WORK/hold" > "$WORK/url" &
SERVE=$!
exec 3> "$WORK/hold"
while [ ! -s "$WORK/url" ]; do
    kill -0 "$SERVE" 2>/dev/null || { echo "the cluster did not start"; exit 1; }
    sleep 0.2
done
URL=$(head -1 "$WORK/url")

# The old version migrates and fills the database.
"$OLD_CLIENT" fill "$URL" full 100000
"$OLD_CLIENT" fill "$URL" shared 0
"$OLD_CLIENT" fill "$URL" old-own 0
"$CLI" --url "$URL" migrate --check && { echo "the schema should be behind this version"; exit 1; }

# Old clients at work; the upgrade; new clients at work beside them.
pids=()
"$OLD_CLIENT" work "$URL" shared 20 old-on-shared & pids+=($!)
"$OLD_CLIENT" work "$URL" old-own 20 old-on-own & pids+=($!)
sleep 4
"$CLI" --url "$URL" migrate
"$NEW_CLIENT" fill "$URL" new-own 0
"$NEW_CLIENT" work "$URL" shared 12 new-on-shared & pids+=($!)
"$NEW_CLIENT" work "$URL" new-own 12 new-on-own & pids+=($!)
for pid in "${pids[@]}"; do
    wait "$pid"
done
"$CLI" --url "$URL" migrate --check

# Nothing lost (the old clients' own reads after the upgrade were checked as they finished).
"$NEW_CLIENT" check "$URL" full 100000

# An old client started after the upgrade refuses the newer schema.
if "$OLD_CLIENT" connect "$URL" 2> "$WORK/refused"; then
    echo "a client of the old version connected to the newer schema"
    exit 1
fi
grep -q "previously applied but is missing" "$WORK/refused" || {
    echo "the old client failed without saying why:"; cat "$WORK/refused"; exit 1
}
echo "an old client started after the upgrade: $(cut -c1-150 "$WORK/refused")"

# The new clients' writes are in the change feed.
"$CLI" --url "$URL" --json status new-own > "$WORK/status.json"
FEED=$(psql -At "$URL" -c "SELECT count(*) FROM sleeper.changes c JOIN sleeper.sleeper_tables t USING (table_pk) WHERE t.table_id = 'new-own'")
[ "$FEED" -gt 4 ] || { echo "the new client's writes are not in the change feed ($FEED entries)"; exit 1; }
echo "upgrade test: passed ($FEED entries in the feed of new-own)"
