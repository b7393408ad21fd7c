#!/usr/bin/env bash
# Builds the native library, then the Java API and its tests against real PostgreSQL ($DATABASE_URL, or a
# throwaway local cluster without it), then runs the Java example, then the Sleeper module (bindings-java/
# sleeper) with Sleeper's own state store tests. `make test-java` runs this.
#   SLEEPER_PG_PROFILE=release  build and package the optimised library instead of the debug one
#   MAVEN_ARGS="..."            extra arguments for Maven on the Java API (for example -Dtest=ClientTest)
#   SLEEPER_MAVEN_ARGS="..."    the same for the Sleeper module
#   SLEEPER_VERSION=0.36.1      the Sleeper version to build the module against
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
# -ntp: no download progress; Surefire still prints each class and the closing summary. `install` runs the
# tests and puts the jar into the local repository, where the Sleeper module finds it.
mvn -B -ntp -Dnative.dir="$native_dir" ${MAVEN_ARGS:-} install

jar="$(ls "$here"/target/sleeper-pg-*.jar | head -n 1)"
echo "run-tests: $(basename "$jar") is $(du -h "$jar" | cut -f1)"
echo "run-tests: running examples/java/Demo.java"
java -cp "$jar" "$root/examples/java/Demo.java"

# The Sleeper module, with Sleeper's own state store tests, when Sleeper's core is available.
if "$root/scripts/sleeper-core.sh"; then
  echo "run-tests: bindings-java/sleeper against Sleeper's core ${SLEEPER_VERSION:-0.36.1}"
  (cd "$here/sleeper" && mvn -B -ntp -Dsleeper.version="${SLEEPER_VERSION:-0.36.1}" ${SLEEPER_MAVEN_ARGS:-} verify)
else
  echo "run-tests: SKIPPED bindings-java/sleeper: Sleeper's core module is not available (see above)"
fi
