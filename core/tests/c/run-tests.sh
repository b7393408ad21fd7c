#!/usr/bin/env bash
# The C API's checks, as `make test-c` runs them:
#   1. run the Rust unit tests of core/src/capi/ (the error mapping and the options, against core's
#      samples);
#   2. build the C library: core with the `capi` feature as a cdylib and a staticlib (debug profile,
#      the workspace's target/debug/libsleeper_pg.so and .a), and check that it exports exactly the
#      functions of the header;
#   3. regenerate include/sleeper_pg.h with cbindgen (installed at a pinned version if missing) and
#      fail if it differs from the committed header;
#   4. build the C tests with AddressSanitizer and UndefinedBehaviorSanitizer (static library) and run
#      them, leaks included;
#   5. build them again without sanitizers (shared library) and run them under valgrind;
#   6. build and run the C example (examples/c), and build the benchmark.
# The tests use DATABASE_URL when set, else a local PostgreSQL cluster they start themselves.
# The last line is the tests' "N passed, N failed".
set -euo pipefail

CBINDGEN_VERSION=0.29.4

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$root"
here=core/tests/c
build=target/c-tests
mkdir -p "$build"
CC=${CC:-cc}
CARGO=${CARGO:-cargo}
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

echo "== capi unit tests"
"$CARGO" test --quiet -p sleeper-pg --features capi,testing --lib capi::

echo "== building the C library"
# The library crate is an rlib; the C library is built on purpose, with the C ABI's feature.
"$CARGO" rustc --quiet -p sleeper-pg --lib --features capi --crate-type cdylib,staticlib
lib=target/debug

echo "== checking include/sleeper_pg.h against cbindgen $CBINDGEN_VERSION"
if [ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]; then
  echo "installing cbindgen $CBINDGEN_VERSION"
  "$CARGO" install --quiet --locked cbindgen --version "$CBINDGEN_VERSION"
fi
generated="$build/sleeper_pg.h"
if ! cbindgen --quiet --config core/cbindgen.toml --crate sleeper-pg --output "$generated" core 2>"$build/cbindgen.log"; then
  cat "$build/cbindgen.log" >&2
  echo "cbindgen failed" >&2
  exit 1
fi
if ! cmp -s "$generated" include/sleeper_pg.h; then
  diff -u include/sleeper_pg.h "$generated" >&2 || true
  echo "include/sleeper_pg.h is out of date: regenerate it with" >&2
  echo "  cbindgen --config core/cbindgen.toml --crate sleeper-pg --output include/sleeper_pg.h core" >&2
  exit 1
fi

# The shared library exports the header's functions, and no other spg_ symbol.
declared="$(grep -vE '^[[:space:]]*(/|\*)' include/sleeper_pg.h | grep -oE '\bspg_[a-z0-9_]+\(' | tr -d '(' | sort -u)"
exported="$(nm -D --defined-only "$lib/libsleeper_pg.so" | awk '$3 ~ /^spg_/ {print $3}' | sort -u)"
if [ "$declared" != "$exported" ]; then
  diff <(echo "$declared") <(echo "$exported") >&2 || true
  echo "the functions libsleeper_pg.so exports (>) are not those include/sleeper_pg.h declares (<)" >&2
  exit 1
fi
echo "libsleeper_pg.so exports the header's $(echo "$exported" | wc -l) functions"

# The header stands alone in strict C99 and in C++.
printf '#include "sleeper_pg.h"\nint main(void) { return spg_status_name(SPG_OK) == 0; }\n' >"$build/header.c"
"$CC" -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only -Iinclude "$build/header.c"
if command -v c++ >/dev/null; then
  c++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only -Iinclude -x c++ "$build/header.c"
fi

cflags=(-std=gnu11 -Wall -Wextra -Werror -g -Iinclude)
static_libs=("$lib/libsleeper_pg.a" -lpthread -ldl -lm -lrt -lgcc_s)

echo "== C tests under AddressSanitizer and UndefinedBehaviorSanitizer"
"$CC" "${cflags[@]}" -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
  "$here/test_capi.c" "${static_libs[@]}" -o "$build/test_capi_asan"
# Leaks are errors. The runtime the library leaks on purpose is reachable from a static, so
# LeakSanitizer (which reports only unreachable memory) needs no suppression for it.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$build/test_capi_asan" | tee "$build/asan.log"
summary="$(tail -n 1 "$build/asan.log")"

echo "== C tests under valgrind"
command -v valgrind >/dev/null || { echo "valgrind is missing: run scripts/setup.sh (apt-get install valgrind)" >&2; exit 1; }
"$CC" "${cflags[@]}" "$here/test_capi.c" -L"$lib" -lsleeper_pg -Wl,-rpath,"$root/$lib" -lpthread \
  -o "$build/test_capi_valgrind"
# The local cluster's initdb and postgres are children: not traced. "Still reachable" blocks (the
# leaked runtime) are not errors; definite leaks are, and possible leaks outside valgrind.supp too.
valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 \
  --trace-children=no --suppressions="$here/valgrind.supp" "$build/test_capi_valgrind"

echo "== C example"
make --no-print-directory -C examples/c all run CC="$CC" CARGO="$CARGO"

echo "$summary"
