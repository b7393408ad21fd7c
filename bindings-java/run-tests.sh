#!/usr/bin/env bash
# Builds the native library, then the Java API and its tests against real PostgreSQL ($DATABASE_URL, or a
# throwaway local cluster without it), then runs the Java example. `make test-java` runs this.
#   SLEEPER_PG_PROFILE=release  build and package the optimised library instead of the debug one
#   MAVEN_ARGS="..."            extra arguments for Maven (for example -Dtest=ClientTest)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
profile="${SLEEPER_PG_PROFILE:-debug}"
cargo_args=(build --quiet -p sleeper-pg-java)
[ "$profile" = release ] && cargo_args+=(--release)

cd "$root"
cargo "${cargo_args[@]}"
# Wherever cargo puts its output (CARGO_TARGET_DIR, or target/ of the workspace).
target_dir="$(cargo metadata --no-deps --format-version 1 | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
native_dir="$target_dir/$profile"

cd "$here"
# -ntp: no download progress; Surefire still prints each class and the closing summary.
mvn -B -ntp -Dnative.dir="$native_dir" ${MAVEN_ARGS:-} verify

jar="$(ls "$here"/target/sleeper-pg-*.jar | head -n 1)"
echo "run-tests: $(basename "$jar") is $(du -h "$jar" | cut -f1)"
echo "run-tests: running examples/java/Demo.java"
java -cp "$jar" "$root/examples/java/Demo.java"
