#!/usr/bin/env bash
# Installs each artifact of scripts/dist.sh as a user would, outside this repository, and uses it once
# against a throwaway local cluster: the wheel into a fresh virtual environment; the C tarball as an
# installed prefix that the C demo builds against through pkg-config; the Java API from the local Maven
# repository, in a Maven project of its own. `make test` runs it on a dev build (scripts/dist.sh
# --profile dev --out target/dist-test).
# Usage: scripts/test-dist.sh DIST
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dist="$(cd "$1" && pwd)"
version="$(cd "$root" && cargo metadata --no-deps --format-version 1 \
  | python3 -c 'import json, sys; print([p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "sleeper-pg"][0])')"
work="$(mktemp -d "${TMPDIR:-/tmp}/sleeper-pg-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
step() { echo "test-dist: $*"; }

# --- Python: the wheel's tag, then a fresh virtual environment ----------------------------------------
wheel="$(ls "$dist"/python/*.whl)"
case "$(basename "$wheel")" in
  *-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl) step "wheel tag: $(basename "$wheel")" ;;
  *) echo "test-dist: the wheel is not tagged cp39-abi3-manylinux2014_x86_64: $(basename "$wheel")" >&2; exit 1 ;;
esac
# The sdist builds with `pip install` where Rust is present (tried by hand: about 2 minutes); here, that it
# holds what the build needs, the schema's migrations included.
contents="$(tar -tzf "$dist/python/sleeper_pg-$version.tar.gz")"
grep -q "/core/migrations/0001_state_store.sql" <<<"$contents" \
  || { echo "test-dist: the sdist lacks the migrations" >&2; exit 1; }
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "$wheel"
step "the wheel, installed in a fresh virtual environment, against a local cluster"
(cd "$work" && "$work/venv/bin/python" - <<'PY'
import sleeper_pg
from sleeper_pg import FileReference

with sleeper_pg.LocalPostgres() as pg, sleeper_pg.connect(pg.url) as client:
    store = client.create_table("installed", [("key", "long")])
    store.initialise()
    store.add_file(FileReference("file1", "root", 100))
    assert [r.filename for r in store.get_file_references()] == ["file1"]
    print("test-dist: python:", sleeper_pg.__file__, "works")
PY
)

# --- C: the tarball as an installed prefix, the demo through pkg-config --------------------------------
tar -C "$work" -xzf "$dist/c/sleeper-pg-$version-linux-x86_64.tar.gz"
prefix="$work/sleeper-pg-$version-linux-x86_64"
soname="$(readelf -d "$prefix/lib/libsleeper_pg.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
[ "$soname" = "libsleeper_pg.so.${version%%.*}" ] || { echo "test-dist: soname is '$soname'" >&2; exit 1; }
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
step "C: cc demo.c \$(pkg-config --cflags --libs sleeper_pg), soname $soname"
(cd "$work" && cc -std=c11 -Wall -Werror "$root/examples/c/demo.c" $(pkg-config --cflags --libs sleeper_pg) -o demo)
LD_LIBRARY_PATH="$prefix/lib" "$work/demo" >"$work/c-demo.log"
step "C: the demo ran ($(wc -l <"$work/c-demo.log") lines of output)"

# --- Java: a Maven project of its own, depending on the installed coordinates -------------------------
mkdir -p "$work/java/src/main/java/example"
cat >"$work/java/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>uses-sleeper-pg</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.13.0</version>
      </plugin>
    </plugins>
  </build>
  <dependencies>
    <dependency>
      <groupId>sleeper.statestore.postgres</groupId>
      <artifactId>sleeper-pg</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
</project>
POM
cat >"$work/java/src/main/java/example/UsesSleeperPg.java" <<'JAVA'
package example;

import java.util.List;

import sleeper.statestore.postgres.LocalPostgres;
import sleeper.statestore.postgres.PostgresStateStore;
import sleeper.statestore.postgres.PostgresStateStoreClient;
import sleeper.statestore.postgres.model.KeyType;
import sleeper.statestore.postgres.model.RowKeyField;

public class UsesSleeperPg {
    public static void main(String[] args) throws Exception {
        try (LocalPostgres postgres = LocalPostgres.start();
             PostgresStateStoreClient client = PostgresStateStoreClient.connect(postgres.getUrl());
             PostgresStateStore store = client.createTable("installed", List.of(new RowKeyField("key", KeyType.LONG)))) {
            store.initialise();
            System.out.println("test-dist: java: " + store.getAllPartitions().size() + " partition");
        }
    }
}
JAVA
step "Java: a Maven project outside the repository, depending on sleeper.statestore.postgres:sleeper-pg:$version"
(cd "$work/java" && mvn -B -q -ntp compile dependency:build-classpath -Dmdep.outputFile=classpath >"$work/mvn.log" 2>&1) \
  || { cat "$work/mvn.log" >&2; exit 1; }
(cd "$work/java" && java -cp "target/classes:$(cat classpath)" example.UsesSleeperPg)
step "every artifact installed and ran"
