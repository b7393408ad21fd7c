#!/usr/bin/env bash
# Installs what `make demo` and `make test` need and the machine lacks: the PostgreSQL server, a JDK,
# Maven, valgrind, openssl, PgBouncer (for the pooler benchmark) and Python's venv (Debian packages,
# when run as root), rustfmt and clippy.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing+=(postgresql postgresql-contrib)
command -v pgbench >/dev/null || ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || missing+=(postgresql-contrib)
command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v valgrind >/dev/null || missing+=(valgrind)
command -v cc >/dev/null || missing+=(build-essential)
command -v openssl >/dev/null || missing+=(openssl)
command -v pgbouncer >/dev/null || missing+=(pgbouncer)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The server package starts a cluster of its own; this project starts its own, so stop that one.
  if command -v pg_lsclusters >/dev/null; then
    pg_lsclusters -h 2>/dev/null | while read -r version name _; do pg_ctlcluster "$version" "$name" stop 2>/dev/null || true; done
  fi
fi

if ! command -v cargo >/dev/null; then
  echo "setup: no Rust toolchain (cargo); install Rust 1.85 or newer (rustup) and run again" >&2
  exit 1
fi
if command -v rustup >/dev/null; then
  for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
  done
fi

# Sleeper's core module for bindings-java/sleeper; without it those tests are skipped, saying why.
if command -v mvn >/dev/null; then
  "$(dirname "$0")/sleeper-core.sh" || true
fi
