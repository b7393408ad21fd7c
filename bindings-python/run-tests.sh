#!/usr/bin/env bash
# The Python package's tests: builds the native module (debug) into a virtual environment under
# target/python-venv (kept between runs), then runs mypy --strict on the tests and the example, the
# example itself, and pytest (last, so that its summary line closes the output).
# Uses $DATABASE_URL when set, else a throwaway local PostgreSQL cluster per test session.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/target/python-venv"
python="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# What a fresh machine lacks (python3-venv; the PostgreSQL server unless DATABASE_URL is given).
if ! "$python" -c 'import venv, ensurepip' 2>/dev/null \
   || { [ -z "${DATABASE_URL:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; }; then
  "$root/scripts/setup.sh"
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "python: creating $venv"
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade "maturin>=1.9,<2" "pytest>=8" "mypy>=1.10"
# What the Arrow tests hand record batches to (tests/test_arrow.py; polars is skipped if it fails to install).
"$venv/bin/python" -m pip install -q "pyarrow>=14" "duckdb>=1"
"$venv/bin/python" -m pip install -q "polars>=1" || echo "python: polars did not install; its test is skipped"

# A test build: the `testing` feature adds _native._error_samples(), the core's sample of every error,
# which tests/test_exceptions.py checks the error mapping with. A wheel (`maturin build`) has no such
# function.
echo "python: building the native module (debug, with the testing feature) into $venv"
VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" \
  "$venv/bin/maturin" develop --quiet --features testing --manifest-path "$root/bindings-python/Cargo.toml"

echo "python: mypy --strict on the package, tests and example"
(
  cd "$root/bindings-python"
  "$venv/bin/mypy" --strict python/sleeper_pg tests "$root/examples/python"
)

echo "python: running examples/python/demo.py"
demo_log="$root/target/python-demo.log"
if ! "$venv/bin/python" "$root/examples/python/demo.py" >"$demo_log" 2>&1; then
  cat "$demo_log"
  echo "python: the demo failed" >&2
  exit 1
fi

cd "$root/bindings-python"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests
