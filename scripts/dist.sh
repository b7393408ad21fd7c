#!/usr/bin/env bash
# Builds the artifacts a user installs, each the way its ecosystem expects, into OUT (`make dist`: dist/):
#   OUT/python/  an abi3 wheel tagged manylinux2014_x86_64 (glibc 2.17+, built with zig) and an sdist
#   OUT/java/    the Java API's jar (its native library inside), sources and javadoc jars and pom, and the
#                Sleeper module's; both also installed into the local Maven repository
#   OUT/c/       sleeper-pg-VERSION-linux-x86_64.tar.gz: include/, lib/ (libsleeper_pg.so with the soname
#                libsleeper_pg.so.MAJOR, libsleeper_pg.a), lib/pkgconfig/sleeper_pg.pc
# Usage: scripts/dist.sh [--profile release|dev] [--out DIR] [python] [java] [c]   (default: all, release)
#        scripts/dist.sh --install PREFIX                                        (`make install`: the C library)
# The dev profile builds faster and is what `make test` uses to test installing each artifact.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
profile=release
out="$root/dist"
prefix=""
parts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="$2"; shift 2 ;;
    --out) out="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
    --install) prefix="$2"; shift 2 ;;
    python|java|c) parts+=("$1"); shift ;;
    *) echo "dist: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#parts[@]} -gt 0 ] || parts=(python java c)
case "$profile" in release|dev) ;; *) echo "dist: --profile is release or dev" >&2; exit 2 ;; esac
# A release is built with cargo's profile `dist` (release without debug information, Cargo.toml).
cargo_profile=$([ "$profile" = release ] && echo dist || echo dev)
profile_dir=$([ "$profile" = release ] && echo dist || echo debug)

metadata="$(cd "$root" && cargo metadata --no-deps --format-version 1)"
field() { python3 -c "import json, sys; m = json.load(sys.stdin); print($1)" <<<"$metadata"; }
version="$(field '[p["version"] for p in m["packages"] if p["name"] == "sleeper-pg"][0]')"
target_dir="$(field 'm["target_directory"]')"
major="${version%%.*}"
step() { echo "dist: $*"; }

# The tools for the wheel, in a virtual environment of their own under target/.
tools="$target_dir/dist-venv"
python_tools() {
  [ -x "$tools/bin/python" ] || python3 -m venv "$tools"
  "$tools/bin/python" -m pip install -q --disable-pip-version-check "maturin>=1.9,<2" "ziglang>=0.13" auditwheel
}

build_python() {
  python_tools
  rm -rf "$out/python" && mkdir -p "$out/python"
  step "Python: abi3 wheel for manylinux2014 (zig as the linker, glibc 2.17) and sdist"
  # maturin finds zig through the environment's python: its bin/ first on PATH.
  (cd "$root/bindings-python" && PATH="$tools/bin:$PATH" "$tools/bin/maturin" build --quiet \
    --profile "$cargo_profile" --zig --compatibility manylinux2014 --out "$out/python")
  (cd "$root/bindings-python" && PATH="$tools/bin:$PATH" "$tools/bin/maturin" sdist --out "$out/python") >/dev/null
  local shown
  shown="$("$tools/bin/auditwheel" show "$out/python"/*.whl)"
  grep -q '"manylinux_2_17_x86_64"' <<<"$shown" \
    || { echo "$shown"; echo "dist: the wheel is not manylinux_2_17" >&2; exit 1; }
}

build_java() {
  rm -rf "$out/java" && mkdir -p "$out/java"
  step "Java: the API's jars (native library inside), then the Sleeper module's, into the local repository"
  (cd "$root/bindings-java" && mvn -B -q -ntp -Dcargo.profile="$cargo_profile" -DskipTests -Pdist install)
  cp "$root/bindings-java/target/sleeper-pg-$version"{.jar,-sources.jar,-javadoc.jar} "$out/java/"
  cp "$root/bindings-java/pom.xml" "$out/java/sleeper-pg-$version.pom"
  if "$root/scripts/sleeper-core.sh"; then
    (cd "$root/bindings-java/sleeper" && mvn -B -q -ntp -DskipTests -Pdist install)
    cp "$root/bindings-java/sleeper/target/sleeper-pg-sleeper-$version"{.jar,-sources.jar,-javadoc.jar} "$out/java/"
    cp "$root/bindings-java/sleeper/pom.xml" "$out/java/sleeper-pg-sleeper-$version.pom"
  else
    echo "dist: SKIPPED the Sleeper module's jars: Sleeper's core module is not available (see above)"
  fi
}

# The C library with its soname, into the layout of an installed prefix under $1.
c_tree() {
  local tree="$1"
  (cd "$root" && cargo rustc --quiet -p sleeper-pg --lib --features capi --crate-type cdylib,staticlib \
    --profile "$cargo_profile" -- -C "link-arg=-Wl,-soname,libsleeper_pg.so.$major")
  local built="$target_dir/$profile_dir"
  mkdir -p "$tree/include" "$tree/lib/pkgconfig"
  cp "$root/include/sleeper_pg.h" "$tree/include/"
  cp "$built/libsleeper_pg.so" "$tree/lib/libsleeper_pg.so.$version"
  ln -sf "libsleeper_pg.so.$version" "$tree/lib/libsleeper_pg.so.$major"
  ln -sf "libsleeper_pg.so.$major" "$tree/lib/libsleeper_pg.so"
  cp "$built/libsleeper_pg.a" "$tree/lib/"
  # Relocatable: pkg-config resolves ${pcfiledir} to wherever the file is.
  cat >"$tree/lib/pkgconfig/sleeper_pg.pc" <<PC
prefix=\${pcfiledir}/../..
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: sleeper_pg
Description: The PostgreSQL state store for Sleeper tables, its C API
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lsleeper_pg
Libs.private: -lpthread -ldl -lm -lrt -lgcc_s
PC
}

build_c() {
  rm -rf "$out/c" && mkdir -p "$out/c"
  local name="sleeper-pg-$version-linux-x86_64" work
  work="$(mktemp -d)"
  step "C: $name.tar.gz (header, shared library with soname libsleeper_pg.so.$major, static library, pkg-config)"
  c_tree "$work/$name"
  cp "$root/examples/c/README.md" "$work/$name/README.md"
  tar -C "$work" -czf "$out/c/$name.tar.gz" "$name"
  rm -rf "$work"
}

if [ -n "$prefix" ]; then
  step "installing the C library into $prefix"
  c_tree "$prefix"
  exit 0
fi
for part in "${parts[@]}"; do "build_$part"; done
step "wrote $out:"
(cd "$out" && find . -type f | sort | while read -r f; do printf '  %-72s %s\n' "$f" "$(du -h "$f" | cut -f1)"; done)
