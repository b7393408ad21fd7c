#!/usr/bin/env bash
# The Java API with its tests, then the Java example, then the Sleeper module (bindings-java/sleeper) with
# Sleeper's own state store tests. `make test-java` runs this. Maven builds the native libraries itself
# (pom.xml: cargo, for the jar and, with the `testing` feature, for the tests); the tests run against
# $DATABASE_URL, or a throwaway local cluster without it.
#   SLEEPER_PG_PROFILE=release  build and package the optimised library instead of the debug one
#   MAVEN_ARGS="..."            extra arguments for Maven on the Java API (for example -Dtest=ClientTest)
#   SLEEPER_MAVEN_ARGS="..."    the same for the Sleeper module
#   SLEEPER_VERSION=0.36.1      the Sleeper version to build the module against
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
profile="${SLEEPER_PG_PROFILE:-dev}"
[ "$profile" = debug ] && profile=dev

# -ntp: no download progress; Surefire still prints each class and the closing summary. `install` puts the
# jar (and the tests jar) into the local repository, where the Sleeper module finds them.
(cd "$here" && mvn -B -ntp -Dcargo.profile="$profile" ${MAVEN_ARGS:-} install)

jar="$here/target/sleeper-pg-0.1.0.jar"
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
