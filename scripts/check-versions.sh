#!/usr/bin/env bash
# One version for everything: the workspace Cargo.toml writes it once (every crate and, through
# maturin, the Python package take it from there); the Maven poms and the changelog must agree with it.
# `make test` runs this (make lint).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
version="$(cargo metadata --no-deps --format-version 1 \
  | python3 -c 'import json, sys; print([p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "sleeper-pg"][0])')"
python3 - "$version" <<'PY'
import re, sys, tomllib
import xml.etree.ElementTree as ET

version = sys.argv[1]
ns = {"m": "http://maven.apache.org/POM/4.0.0"}
found = {}
for pom in ("bindings-java/pom.xml", "bindings-java/sleeper/pom.xml"):
    project = ET.parse(pom).getroot()
    found[f"{pom} <version>"] = project.find("m:version", ns).text
    own = project.find("m:properties/m:sleeper-pg.version", ns)
    if own is not None:
        found[f"{pom} <sleeper-pg.version>"] = own.text
with open("bindings-python/pyproject.toml", "rb") as f:
    project = tomllib.load(f)["project"]
if "version" in project:
    found["bindings-python/pyproject.toml version"] = project["version"]
elif "version" not in project.get("dynamic", []):
    found["bindings-python/pyproject.toml (neither a version nor a dynamic one)"] = None
with open("CHANGELOG.md") as f:
    released = re.findall(r"^## \[(\d[^\]]*)\]", f.read(), re.M)
found["CHANGELOG.md, newest release"] = released[0] if released else None
wrong = {where: v for where, v in found.items() if v != version}
if wrong:
    for where, v in wrong.items():
        print(f"check-versions: {where} is {v}, the workspace Cargo.toml says {version}", file=sys.stderr)
    sys.exit(1)
print(f"check-versions: {version} everywhere ({len(found)} places checked against Cargo.toml)")
PY
