#!/usr/bin/env bash
# Makes Sleeper's core module (sleeper:core:$SLEEPER_VERSION, its jar and tests jar) available in the local
# Maven repository, for bindings-java/sleeper and the Rust test of Sleeper's transaction JSON. Sleeper
# publishes no artifacts: when the repository lacks them, this installs them from a copy made by Sleeper's
# own build (a folder with VERSION/core-VERSION*.jar and install.sh, as this project's brief has):
# $SLEEPER_CORE_DIR, else ../shared/sleeper beside this repository, else /work/shared/sleeper.
# Exit 0 when Sleeper's core is there; 1, saying what to do, when it is not.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${SLEEPER_VERSION:-0.36.1}"
# The local repository, as Maven finds it: -Dmaven.repo.local in MAVEN_OPTS, else ~/.m2/repository.
repository="$HOME/.m2/repository"
for option in ${MAVEN_OPTS:-}; do
  case "$option" in -Dmaven.repo.local=*) repository="${option#-Dmaven.repo.local=}" ;; esac
done
installed() {
  [ -f "$repository/sleeper/core/$version/core-$version.jar" ] \
    && [ -f "$repository/sleeper/core/$version/core-$version-tests.jar" ]
}

installed && exit 0
for dir in "${SLEEPER_CORE_DIR:-}" "$root/../shared/sleeper" /work/shared/sleeper; do
  if [ -n "$dir" ] && [ -f "$dir/install.sh" ] && [ -d "$dir/$version" ]; then
    echo "sleeper-core: installing Sleeper's core $version from $dir into $repository"
    bash "$dir/install.sh" "$version"
    installed && exit 0
  fi
done
cat >&2 <<MESSAGE
sleeper-core: Sleeper's core module $version is not in the local Maven repository ($repository), and no copy
of it was found (\$SLEEPER_CORE_DIR, $root/../shared/sleeper, /work/shared/sleeper). Sleeper publishes no
artifacts; to build and test bindings-java/sleeper, either
  - set SLEEPER_CORE_DIR to a folder holding $version/core-$version.jar, core-$version-tests.jar, their poms
    and install.sh (as this project's brief has), or
  - install it from a Sleeper checkout: cd sleeper/java && mvn -pl core -am install -DskipTests
    (with SLEEPER_VERSION=<its version> for another release).
MESSAGE
exit 1
