#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (fuzz/corpus/<target>/), from the formats' documented
examples. Run it again after changing a seed; regression inputs found by fuzzing are kept beside the
seeds as crash-* files and are not written here."""
import base64, json, os, struct

here = os.path.dirname(os.path.abspath(__file__))
ALL = ["ADD_FILES", "ASSIGN_JOB_IDS", "CLEAR_FILES", "DELETE_FILES", "INITIALISE_PARTITIONS",
       "REPLACE_FILE_REFERENCES", "SPLIT_FILE_REFERENCES", "SPLIT_PARTITION", "EXTEND_PARTITION_TREE"]
INT, LONG, STRING, BYTES, FOUR = range(5)

def write(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def j(v):
    return json.dumps(v, separators=(",", ":"))

def b64(s):
    return base64.b64encode(s if isinstance(s, bytes) else s.encode()).decode()

def ref(pid, rows=10, job=None, **extra):
    r = {"partitionId": pid, "numberOfRows": rows}
    if job:
        r["jobId"] = job
    r.update({"countApproximate": False, "onlyContainsDataForThisPartition": True})
    r.update(extra)
    return r

def rng(lo, hi=None, b64s=True):
    r = {"min": lo, "minInclusive": True}
    if hi is not None:
        r["max"] = hi
    r["maxInclusive"] = False
    return r

def part(pid, region, leaf=True, parent=None, children=(), dim=-1):
    p = {"partitionId": pid, "isLeafPartition": leaf}
    if parent:
        p["parentPartitionId"] = parent
    p.update({"childPartitionIds": list(children), "region": region, "dimension": dim})
    return p

# Regions of each row key layout: the whole space, and the halves of a split at a point.
def regions(keys):
    if keys == INT:
        return {"key": rng(-2**31)}, {"key": rng(-2**31, 7)}, {"key": rng(7)}
    if keys == LONG:
        return {"key": rng(-2**63)}, {"key": rng(-2**63, 99)}, {"key": rng(99)}
    if keys == STRING:
        s = lambda r: dict(r, stringsBase64Encoded=True)
        return ({"key": rng(""), "stringsBase64Encoded": True},
                {"key": rng("", b64("p")), "stringsBase64Encoded": True},
                {"key": rng(b64("p")), "stringsBase64Encoded": True})
    if keys == BYTES:
        return {"key": rng("")}, {"key": rng("", b64(b"\x80\x00"))}, {"key": rng(b64(b"\x80\x00"))}
    whole = {"i": rng(-2**31), "l": rng(-2**63), "s": rng(""), "b": rng(""), "stringsBase64Encoded": True}
    left = dict(whole, i=rng(-2**31, 0))
    right = dict(whole, i=rng(0))
    return whole, left, right

def transactions(keys):
    whole, left, right = regions(keys)
    root = part("root", whole, leaf=False, children=["L", "R"], dim=0)
    L = part("L", left, parent="root")
    R = part("R", right, parent="root")
    return {
        "ADD_FILES": {"jobId": "job", "taskId": "task", "jobRunId": "run", "writtenTime": 1700000000000,
                      "files": [{"filename": "s3a://bucket/f1.parquet", "references": [ref("root", 3)]},
                                {"filename": "f2", "references": [ref("L", 1, countApproximate=True), ref("R", 2)]}]},
        "ASSIGN_JOB_IDS": {"requests": [{"jobId": "job", "partitionId": "root", "filenames": ["a", "b"]}]},
        "CLEAR_FILES": {},
        "DELETE_FILES": {"filenames": ["a", "b"]},
        "INITIALISE_PARTITIONS": {"partitions": [root, L, R]},
        "REPLACE_FILE_REFERENCES": {"jobs": [{"jobId": "job", "taskId": "task", "jobRunId": "run",
                                              "inputFiles": ["a", "b"], "newReference": dict(ref("root", 100), filename="c")}]},
        "SPLIT_FILE_REFERENCES": {"requests": [{"oldReference": dict(ref("root", 10), filename="a"),
                                                "newReferences": [dict(ref("L", 5), filename="a"), dict(ref("R", 5), filename="a")]}]},
        "SPLIT_PARTITION": {"parent": root, "newChildren": [L, R]},
        "EXTEND_PARTITION_TREE": {"updatePartitions": [dict(root)], "newPartitions": [L, R]},
    }

# transaction_json: selector = type index | row keys << 4.
for keys in (LONG, STRING, FOUR):
    for i, (name, tx) in enumerate(transactions(keys).items()):
        if keys != STRING and name in ("CLEAR_FILES", "DELETE_FILES", "ASSIGN_JOB_IDS"):
            continue
        write("transaction_json", f"{name.lower()}-{keys}", bytes([i | keys << 4]) + j(tx).encode())
# Other inclusivity, base64 off, an int max at the type maximum.
write("transaction_json", "inclusivity-long", bytes([4 | LONG << 4]) + j({"partitions": [part("root", {"key": {"min": 1, "minInclusive": False, "max": 9, "maxInclusive": True}})]}).encode())
write("transaction_json", "plain-strings", bytes([4 | STRING << 4]) + j({"partitions": [part("root", {"key": {"min": "a", "max": "z"}, "stringsBase64Encoded": False})]}).encode())
write("transaction_json", "int-max-inclusive", bytes([4 | INT << 4]) + j({"partitions": [part("root", {"key": {"min": 0, "max": 2**31 - 1, "maxInclusive": True}})]}).encode())

# transaction_log_line: selector = row keys.
for keys in (LONG, STRING):
    for n, (name, tx) in enumerate(transactions(keys).items()):
        if keys == LONG and name not in ("INITIALISE_PARTITIONS", "SPLIT_PARTITION", "ADD_FILES"):
            continue
        line = {"transactionNumber": n + 1, "updateTime": 1700000000000 + n, "transactionType": name, "transaction": tx}
        if n % 2:
            line["transaction"] = j(tx)
        write("transaction_log_line", f"{name.lower()}-{keys}", bytes([keys]) + j(line).encode())
write("transaction_log_line", "minimal", bytes([STRING]) + b'{"transactionType":"DELETE_FILES","transaction":"{\\"filenames\\":[\\"a\\"]}"}')

# connection_url
for i, url in enumerate([
    "postgresql://user:secretpassword@localhost:5432/db?sslmode=require",
    "postgres://u:p%40ss%20word@[::1]:5433/sleeper?password=otherpassword&application_name=x",
    "postgresql:///db?host=/tmp&port=5432",
    "postgresql://localhost/db?options=-c%20statement_timeout%3D5s&sslmode=verify-full&sslrootcert=/x.pem",
    "postgresql://a:b@host1,host2:5432/db?target_session_attrs=read-write",
    "postgres://user@%2Fvar%2Frun%2Fpostgresql/db",
    "not a url",
    "postgresql://user:pw@h:99999/db?statement_cache_capacity=0&extra_float_digits=x",
]):
    write("connection_url", f"url-{i}", url)

# region_json (store codec): selector = row keys; bytes as lowercase hex.
for i, (keys, region) in enumerate([
    (INT, [{"min": -2**31, "max": 7}]),
    (LONG, [{"min": -2**63, "max": None}]),
    (STRING, [{"min": "", "max": "\U0001F600'\\"}]),
    (BYTES, [{"min": "", "max": "8000ff"}]),
    (FOUR, [{"min": 0, "max": 5}, {"min": -2**63, "max": None}, {"min": "a", "max": "b"}, {"min": "00", "max": None}]),
]):
    write("region_json", f"region-{i}", bytes([keys]) + j(region).encode())

# key_values: selector = row keys; values are a tag (0 int, 1 long, 2 string, 3 bytes) and the value.
def kv_int(v): return bytes([0]) + struct.pack("<i", v)
def kv_long(v): return bytes([1]) + struct.pack("<q", v)
def kv_str(s): b = s.encode(); return bytes([2, len(b)]) + b
def kv_bytes(b): return bytes([3, len(b)]) + b
write("key_values", "ints", bytes([INT]) + kv_int(-5) + kv_int(0) + kv_int(2**31 - 1))
write("key_values", "longs", bytes([LONG]) + kv_long(-2**63) + kv_long(7) + kv_long(2**63 - 1))
write("key_values", "strings", bytes([STRING]) + kv_str("a") + kv_str("\U0001F600") + kv_str("\uffff"))
write("key_values", "bytes", bytes([BYTES]) + kv_bytes(b"\x80") + kv_bytes(b"\x00") + kv_bytes(b"\x7f\x01"))
write("key_values", "mixed", bytes([FOUR]) + kv_int(1) + kv_int(2) + kv_long(3) + kv_long(9) + kv_str("a") + kv_str("b") + kv_bytes(b"") + kv_bytes(b"\x01"))

# export: docs/export-format.md.
header = {"format": "sleeper-pg-table", "version": 1, "tableId": "events", "rowKeys": [{"name": "key", "type": "long"}], "exportedAt": "2026-11-28T05:46:58.071Z"}
whole, left, right = regions(LONG)
lines = [header,
         {"partition": part("root", whole, leaf=False, children=["b", "c"], dim=0)},
         {"partition": part("b", {"key": rng(-2**63, 200), "stringsBase64Encoded": True}, parent="root")},
         {"partition": part("c", {"key": rng(200), "stringsBase64Encoded": True}, parent="root")},
         {"file": {"filename": "f5.parquet", "lastUpdateTime": "2024-01-01T09:00:00.000Z", "references": []}},
         {"file": {"filename": "f6.parquet", "lastUpdateTime": "2024-01-01T11:00:00.000Z", "references": [
             {"partitionId": "b", "numberOfRows": 10, "jobId": "job-2", "countApproximate": False, "onlyContainsDataForThisPartition": False, "lastUpdateTime": "2024-01-01T11:00:00.000Z"},
             {"partitionId": "c", "numberOfRows": 20, "countApproximate": False, "onlyContainsDataForThisPartition": False, "lastUpdateTime": "2024-01-01T10:00:00.000Z"}]}},
         {"end": {"partitions": 3, "files": 2, "references": 2}}]
write("export", "docs-example", "".join(j(l) + "\n" for l in lines))
write("export", "empty-table", j(header) + "\n" + j({"partition": part("root", whole)}) + "\n" + j({"end": {"partitions": 1, "files": 0, "references": 0}}) + "\n")
h4 = dict(header, rowKeys=[{"name": "i", "type": "int"}, {"name": "s", "type": "string"}, {"name": "b", "type": "bytes"}])
write("export", "three-keys", j(h4) + "\n" + j({"partition": part("root", {"i": rng(-2**31), "s": rng(""), "b": rng(""), "stringsBase64Encoded": True})}) + "\n" + j({"end": {"partitions": 1, "files": 0, "references": 0}}) + "\n")

# capi_options: numbers and flags (little-endian u64s), then 0xff-separated strings.
def opts(flags, numbers, strings):
    return struct.pack("<Q", flags) + b"".join(struct.pack("<Q", n) for n in numbers) + b"".join(b"\xff" + s.encode() for s in strings)
write("capi_options", "defaults", b"")
write("capi_options", "url-schema", opts(0, [], ["postgresql://u:p@localhost/db", "sleeper_test"]))
write("capi_options", "everything", opts(0b1011111111100, [4, 1000, 2000, 300, 0, 3, 10, 1000, 250], ["postgresql://localhost/db", "s", "postgresql://replica/db", "work_mem", "64MB"]))
write("capi_options", "bad-retry", opts(0b1100000000, [0, 0, 0, 0, 0, 0, 5000, 10], ["postgresql://localhost/db", "bad schema;"]))
write("capi_options", "null-arrays", opts(0b1000010000000011, [], ["x", "y", "z"]))

# wire: the JNI byte format (bindings-java/src/wire.rs). Selector: the low nibble the call, the high
# nibble the row keys of a transaction.
def w_str(s):
    if s is None:
        return struct.pack("<i", -1)
    units = s.encode("utf-16-le")
    return struct.pack("<i", len(units) // 2) + units
def w_list(items): return struct.pack("<i", len(items)) + b"".join(items)
def w_bool(b): return bytes([1 if b else 0])
def w_i32(v): return struct.pack("<i", v)
def w_i64(v): return struct.pack("<q", v)
def w_time(ms): return b"\x00" if ms is None else b"\x01" + w_i64(ms)
def w_key(tag, v):
    if tag == 255: return b"\xff"
    if tag == 0: return b"\x00" + w_i32(v)
    if tag == 1: return b"\x01" + w_i64(v)
    if tag == 2: return b"\x02" + w_str(v)
    return b"\x03" + w_i32(len(v)) + v
def w_range(name, mn, mx): return w_str(name) + w_key(*mn) + w_key(*mx)
def w_region(ranges): return w_list([w_range(*r) for r in ranges])
def w_ref(fn, pid, rows=10, job=None, t=1700000000000):
    return w_str(fn) + w_str(pid) + w_i64(rows) + w_str(job) + w_time(t) + w_bool(False) + w_bool(True)
region = [("key", (1, -2**63), (1, 99))]
wire = {
    "row-key-field": (0, w_str("key") + b"\x02"),
    "range": (1, w_range("key", (2, "a\U0001F600"), (255, None))),
    "region": (2, w_region([("i", (0, 0), (0, 5)), ("b", (3, b"\x80"), (255, None))])),
    "partition": (3, w_str("root") + w_region(region) + w_bool(False) + w_str(None) + w_list([w_str("L"), w_str("R")]) + w_i32(0)),
    "file-reference": (4, w_ref("f.parquet", "root", job="job")),
    "file": (5, w_str("f") + w_list([w_ref("f", "L"), w_ref("f", "R")]) + w_time(1700000000000)),
    "split-request": (6, w_ref("f", "root") + w_list([w_ref("f", "L", 5), w_ref("f", "R", 5)])),
    "replace-request": (7, w_str("job") + w_str("root") + w_list([w_str("a"), w_str("b")]) + w_ref("c", "root", 100)),
    "assign-request": (8, w_str("job") + w_str("root") + w_list([w_str("a")])),
    "check-request": (9, w_str("job") + w_list([w_str("a")]) + w_str("root")),
    "client-options": (10, w_str("postgresql://u:pw@localhost/db") + w_i32(5) + w_str("maxConnections") + w_i32(4)
                       + w_str("statementTimeout") + w_time(5000) + w_str("schema") + w_str("s")
                       + w_str("replicaUrls") + w_list([w_str("postgresql://r/db")]) + w_str("retryMaxBackoff") + w_time(100)),
    "local-options": (11, w_bool(True) + w_bool(True) + w_list([w_str("work_mem") + w_str("64MB")])),
    "read-scope": (12, w_bool(False) + w_bool(True) + w_region(region)),
    "split-points": (13, w_list([w_str("key") + b"\x01"]) + w_list([w_key(1, 5), w_key(1, 10)])),
    "transaction": (14 | 2 << 4, w_str("DELETE_FILES") + w_str('{"filenames":["a","b"]}') + w_bool(True)),
    "transaction-split": (14 | 1 << 4, w_str("SPLIT_PARTITION") + w_str(j(transactions(LONG)["SPLIT_PARTITION"])) + w_bool(False)),
    "split-to-children": (15, w_ref("f", "root", 11) + w_str("L") + w_str("R")),
}
for name, (selector, body) in wire.items():
    write("wire", name, bytes([selector]) + body)
