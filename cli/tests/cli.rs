//! The `sleeper-pg` binary against a real PostgreSQL: `DATABASE_URL`, or one local cluster for this
//! test binary (`sleeper_pg::testing::database_url`). Each test has a schema of its own, so that what
//! a command lists is only what the test made.

use std::collections::HashMap;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use sleeper_pg::testing::database_url;
use sleeper_pg::{
    block_on, partitions_from_split_points, AssignJobIdRequest, Client, ClientOptions,
    FileReference, KeyType, KeyValue, Partition, ReplaceFileReferencesRequest, RowKeyField,
    StateStore, Timestamp,
};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the binary with `args` against the test database.
fn sleeper_pg(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_sleeper-pg"))
        .args(args)
        .env("DATABASE_URL", database_url())
        .output()
        .expect("run sleeper-pg");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 output"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 errors"),
    }
}

/// The binary's output for `args`, which must succeed.
fn stdout(args: &[&str]) -> String {
    let run = sleeper_pg(args);
    assert_eq!(
        run.code,
        Some(0),
        "sleeper-pg {args:?} failed: {}",
        run.stderr
    );
    run.stdout
}

/// The binary's output for `args` with `--json`, parsed.
fn json_of(args: &[&str]) -> Value {
    let output = stdout(&[args, &["--json"]].concat());
    serde_json::from_str(&output).expect("one JSON document")
}

/// A schema name no other test uses, in this process or another.
fn unique_schema() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "cli_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A client of a new schema, migrated.
fn client_of_new_schema() -> (Client, String) {
    let schema = unique_schema();
    let options = ClientOptions::default().with(|o| {
        o.url = Some(database_url());
        o.schema = schema.clone();
    });
    (
        block_on(Client::connect_with(options)).expect("connect"),
        schema,
    )
}

/// 2024-01-01 at the hour, UTC.
fn at(hour: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2024, 1, 1, hour, 0, 0).unwrap()
}

/// Sleeper's tree for the split points 100 and 200, with names instead of random ids: leaves `a`, `b`,
/// `c`, then `ab` over the first two, then `root`.
fn named_tree(row_keys: &[RowKeyField]) -> Vec<Partition> {
    let tree = partitions_from_split_points(row_keys, &[KeyValue::Long(100), KeyValue::Long(200)])
        .expect("a tree");
    let names: HashMap<String, String> = tree
        .iter()
        .zip(["a", "b", "c", "ab", "root"])
        .map(|(partition, name)| (partition.id.clone(), name.to_owned()))
        .collect();
    tree.into_iter()
        .map(|p| Partition {
            id: names[&p.id].clone(),
            parent_partition_id: p.parent_partition_id.map(|id| names[&id].clone()),
            child_partition_ids: p
                .child_partition_ids
                .iter()
                .map(|id| names[id].clone())
                .collect(),
            ..p
        })
        .collect()
}

/// A schema with the table `events`: the tree of `named_tree`; at 10:00 files f1 to f4, one on each
/// leaf and f4 on `a`, and f6 on both `b` and `c`; at 11:00 job-1 takes f1 and f4 on `a` and job-2
/// takes f2 and f6 on `b`; at 12:00 job-1 replaces f1 and f4 with f5. Returns the schema.
fn schema_with_events_table() -> String {
    let (client, schema) = client_of_new_schema();
    let row_keys = [RowKeyField::new("key", KeyType::Long)];
    block_on(async {
        let store = client.create_table("events", &row_keys).await?;
        store
            .initialise_with_partitions(&named_tree(&row_keys))
            .await?;
        let spanning = |partition: &str, rows| FileReference {
            only_contains_data_for_this_partition: false,
            ..FileReference::new("f6.parquet", partition, rows)
        };
        set_clock(&store, 10)?;
        store
            .add_files(&[
                FileReference::new("f1.parquet", "a", 100),
                FileReference::new("f2.parquet", "b", 200),
                FileReference {
                    count_approximate: true,
                    ..FileReference::new("f3.parquet", "c", 300)
                },
                FileReference::new("f4.parquet", "a", 50),
                spanning("b", 10),
                spanning("c", 20),
            ])
            .await?;
        set_clock(&store, 11)?;
        store
            .assign_job_ids(&[
                AssignJobIdRequest::new("job-1", "a", strings(&["f1.parquet", "f4.parquet"])),
                AssignJobIdRequest::new("job-2", "b", strings(&["f2.parquet", "f6.parquet"])),
            ])
            .await?;
        set_clock(&store, 12)?;
        store
            .atomically_replace_file_references_with_new_ones(&[ReplaceFileReferencesRequest::new(
                "job-1",
                "a",
                strings(&["f1.parquet", "f4.parquet"]),
                FileReference::new("f5.parquet", "a", 150),
            )])
            .await?;
        client.close().await;
        Ok(())
    })
    .expect("set up the table");
    schema
}

fn set_clock(store: &StateStore, hour: u32) -> sleeper_pg::Result<()> {
    store.fix_file_update_time(Some(at(hour)))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

#[test]
fn tables_prints_the_table_ids_one_a_line() {
    let (client, schema) = client_of_new_schema();
    let row_keys = [RowKeyField::new("key", KeyType::Long)];
    block_on(async {
        client.create_table("orders", &row_keys).await?;
        client.create_table("events", &row_keys).await?;
        Ok(())
    })
    .expect("create tables");

    assert_eq!(stdout(&["--schema", &schema, "tables"]), "events\norders\n");
    assert_eq!(
        json_of(&["--schema", &schema, "tables"]),
        json!(["events", "orders"])
    );
}

#[test]
fn status_counts_partitions_files_references_and_jobs() {
    let schema = schema_with_events_table();

    assert_eq!(
        stdout(&["--schema", &schema, "status", "events"]),
        "\
table                         events
partitions                    5
leaf partitions               3
files                         6
references                    5
references with no job        3
jobs in flight                1
unreferenced files            2
oldest reference with no job  2024-01-01T10:00:00.000Z
oldest unreferenced file      2024-01-01T12:00:00.000Z
"
    );
}

#[test]
fn status_json_has_the_counts_and_the_oldest_times() {
    let schema = schema_with_events_table();

    assert_eq!(
        json_of(&["--schema", &schema, "status", "events"]),
        json!({
            "table": "events",
            "partitions": 5,
            "leaf_partitions": 3,
            "files": 6,
            "references": 5,
            "references_with_no_job": 3,
            "jobs_in_flight": 1,
            "unreferenced_files": 2,
            "oldest_reference_with_no_job": "2024-01-01T10:00:00.000Z",
            "oldest_unreferenced_file": "2024-01-01T12:00:00.000Z",
        })
    );
}

#[test]
fn partitions_prints_the_tree_indented_from_the_root() {
    let schema = schema_with_events_table();

    assert_eq!(
        stdout(&["--schema", &schema, "partitions", "events"]),
        "\
PARTITION  LEAF  key
root       no    [-9223372036854775808, ∞)
  ab       no    [-9223372036854775808, 200)
    a      yes   [-9223372036854775808, 100)
    b      yes   [100, 200)
  c        yes   [200, ∞)
"
    );
}

#[test]
fn partitions_json_lists_the_tree_depth_first_with_typed_ranges() {
    let schema = schema_with_events_table();

    let tree = json_of(&["--schema", &schema, "partitions", "events"]);

    assert_eq!(tree["row_keys"], json!([{"name": "key", "type": "long"}]));
    let ids: Vec<&str> = tree["partitions"]
        .as_array()
        .expect("partitions")
        .iter()
        .map(|p| p["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(ids, ["root", "ab", "a", "b", "c"]);
    assert_eq!(
        tree["partitions"][1],
        json!({
            "id": "ab",
            "depth": 1,
            "leaf": false,
            "parent": "root",
            "children": ["a", "b"],
            "ranges": [{"field": "key", "min": i64::MIN, "max": 200}],
        })
    );
    assert_eq!(tree["partitions"][4]["ranges"][0]["max"], Value::Null);
}

#[test]
fn files_prints_every_reference() {
    let schema = schema_with_events_table();

    assert_eq!(
        stdout(&["--schema", &schema, "files", "events"]),
        "\
FILENAME    PARTITION  ROWS  JOB    LAST UPDATE
f2.parquet  b           200  job-2  2024-01-01T11:00:00.000Z
f3.parquet  c          ~300  -      2024-01-01T10:00:00.000Z
f5.parquet  a           150  -      2024-01-01T12:00:00.000Z
f6.parquet  b            10  job-2  2024-01-01T11:00:00.000Z
f6.parquet  c            20  -      2024-01-01T10:00:00.000Z
"
    );
}

#[test]
fn files_on_a_partition_are_only_its_references() {
    let schema = schema_with_events_table();

    assert_eq!(
        stdout(&["--schema", &schema, "files", "events", "--partition", "c"]),
        "\
FILENAME    PARTITION  ROWS  JOB  LAST UPDATE
f3.parquet  c          ~300  -    2024-01-01T10:00:00.000Z
f6.parquet  c            20  -    2024-01-01T10:00:00.000Z
"
    );
}

#[test]
fn files_of_a_job_are_only_the_references_assigned_to_it() {
    let schema = schema_with_events_table();

    let references = json_of(&["--schema", &schema, "files", "events", "--job", "job-2"]);

    assert_eq!(
        references,
        json!([
            {
                "filename": "f2.parquet",
                "partition": "b",
                "rows": 200,
                "rows_approximate": false,
                "job": "job-2",
                "last_update": "2024-01-01T11:00:00.000Z",
            },
            {
                "filename": "f6.parquet",
                "partition": "b",
                "rows": 10,
                "rows_approximate": false,
                "job": "job-2",
                "last_update": "2024-01-01T11:00:00.000Z",
            },
        ])
    );
}

#[test]
fn files_unreferenced_prints_the_files_with_no_references() {
    let schema = schema_with_events_table();

    assert_eq!(
        stdout(&["--schema", &schema, "files", "events", "--unreferenced"]),
        "\
FILENAME    LAST UPDATE
f1.parquet  2024-01-01T12:00:00.000Z
f4.parquet  2024-01-01T12:00:00.000Z
"
    );
    assert_eq!(
        json_of(&["--schema", &schema, "files", "events", "--unreferenced"])[0],
        json!({"filename": "f1.parquet", "last_update": "2024-01-01T12:00:00.000Z"})
    );
}

#[test]
fn gc_candidates_are_the_unreferenced_files_updated_strictly_before_the_time() {
    let schema = schema_with_events_table();
    let before = |time| {
        stdout(&[
            "--schema",
            &schema,
            "gc-candidates",
            "events",
            "--before",
            time,
        ])
    };

    assert_eq!(before("2024-01-01T12:00:00Z"), "");
    assert_eq!(
        before("2024-01-01T13:00:00.001+01:00"),
        "f1.parquet\nf4.parquet\n"
    );
}

#[test]
fn gc_candidates_json_is_an_array_of_filenames() {
    let schema = schema_with_events_table();

    assert_eq!(
        json_of(&[
            "--schema",
            &schema,
            "gc-candidates",
            "events",
            "--before",
            "2024-01-02T00:00:00Z"
        ]),
        json!(["f1.parquet", "f4.parquet"])
    );
}

#[test]
fn a_missing_table_is_one_line_on_stderr_and_exit_code_1() {
    let (_client, schema) = client_of_new_schema();

    let run = sleeper_pg(&["--schema", &schema, "status", "nothing"]);

    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "sleeper-pg: Table not found with ID \"nothing\"\n"
    );
}

#[test]
fn a_time_that_is_not_rfc_3339_is_a_usage_error() {
    let run = sleeper_pg(&["gc-candidates", "events", "--before", "yesterday"]);

    assert_eq!(run.code, Some(2));
    assert_eq!(
        run.stderr.lines().next(),
        Some(
            "error: invalid value 'yesterday' for '--before <TIME>': expected an RFC 3339 time, \
             such as 2024-01-01T00:00:00Z"
        )
    );
}

#[test]
fn migrate_check_on_a_new_schema_exits_1_and_migrates_nothing() {
    let schema = unique_schema();

    for _ in 0..2 {
        let run = sleeper_pg(&["--schema", &schema, "migrate", "--check"]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(
            run.stdout
                .starts_with(&format!("schema \"{schema}\": version 0, behind")),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn migrate_applies_every_bundled_migration_and_then_the_check_exits_0() {
    let schema = unique_schema();
    let bundled: Vec<i64> = sleeper_pg::MIGRATOR.iter().map(|m| m.version).collect();
    let latest = *bundled.last().expect("migrations");

    let migrated = json_of(&["--schema", &schema, "migrate"]);

    assert_eq!(
        migrated,
        json!({
            "schema": schema,
            "version": latest,
            "bundled_version": latest,
            "state": "current",
            "newly_applied": bundled,
        })
    );
    assert_eq!(
        stdout(&["--schema", &schema, "migrate", "--check"]),
        format!("schema \"{schema}\": version {latest}, current\n")
    );
}

#[test]
fn no_database_url_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_sleeper-pg"))
        .arg("tables")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run sleeper-pg");

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .starts_with("error: no database: pass --url or set DATABASE_URL\n"));
}

#[test]
fn a_password_in_the_url_is_never_printed() {
    let run = sleeper_pg(&[
        "--url",
        "postgresql://someone:hunter2@127.0.0.1:1/nothing",
        "migrate",
        "--check",
    ]);

    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("someone:***@127.0.0.1:1"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
}

/// A path in the temporary directory no other test uses; the file is removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str) -> TempFile {
        TempFile(std::env::temp_dir().join(format!("{}-{name}", unique_schema())))
    }

    fn with(name: &str, contents: &str) -> TempFile {
        let file = TempFile::new(name);
        std::fs::write(&file.0, contents).expect("write a file");
        file
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }

    fn read(&self) -> String {
        std::fs::read_to_string(&self.0).expect("read the file")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// An export's lines but its header, which names the table and the time.
fn body(export: &str) -> Vec<&str> {
    export.lines().skip(1).collect()
}

#[test]
fn export_writes_the_table_to_a_file_and_reports_what_it_holds() {
    let schema = schema_with_events_table();
    let file = TempFile::new("events.jsonl");

    let report = stdout(&[
        "--schema",
        &schema,
        "export",
        "events",
        "--output",
        file.path(),
    ]);

    assert_eq!(
        report,
        format!(
            "\
table       events
written to  {}
partitions  5
files       6
references  5
",
            file.path()
        )
    );
    let export = file.read();
    let header: Value = serde_json::from_str(export.lines().next().unwrap()).unwrap();
    assert_eq!(header["format"], "sleeper-pg-table");
    assert_eq!(header["tableId"], "events");
    assert_eq!(header["rowKeys"], json!([{"name": "key", "type": "long"}]));
    assert_eq!(
        body(&export)[5],
        r#"{"file":{"filename":"f1.parquet","lastUpdateTime":"2024-01-01T12:00:00.000Z","references":[]}}"#
    );
}

#[test]
fn export_json_reports_the_counts() {
    let schema = schema_with_events_table();
    let file = TempFile::new("events.jsonl");

    assert_eq!(
        json_of(&["--schema", &schema, "export", "events", "-o", file.path()]),
        json!({
            "table": "events",
            "output": file.path(),
            "partitions": 5,
            "files": 6,
            "references": 5,
        })
    );
}

#[test]
fn export_with_no_output_file_prints_only_the_export() {
    let schema = schema_with_events_table();
    let file = TempFile::new("events.jsonl");
    stdout(&["--schema", &schema, "export", "events", "-o", file.path()]);

    let printed = stdout(&["--schema", &schema, "export", "events", "--json"]);

    assert_eq!(body(&printed), body(&file.read()));
}

#[test]
fn an_export_imported_into_another_table_exports_the_same_lines() {
    let schema = schema_with_events_table();
    let first = TempFile::new("first.jsonl");
    let second = TempFile::new("second.jsonl");
    stdout(&["--schema", &schema, "export", "events", "-o", first.path()]);

    let report = stdout(&[
        "--schema",
        &schema,
        "import",
        first.path(),
        "--table",
        "copy",
    ]);
    stdout(&["--schema", &schema, "export", "copy", "-o", second.path()]);

    assert_eq!(
        report,
        format!(
            "\
table          copy
read from      {}
exported from  events
partitions     5
files          6
references     5
",
            first.path()
        )
    );
    assert_eq!(body(&second.read()), body(&first.read()));
    assert_eq!(
        stdout(&["--schema", &schema, "files", "copy"]),
        stdout(&["--schema", &schema, "files", "events"])
    );
}

#[test]
fn import_json_reports_the_table_it_made() {
    let schema = schema_with_events_table();
    let file = TempFile::new("events.jsonl");
    stdout(&["--schema", &schema, "export", "events", "-o", file.path()]);
    let (client, other_schema) = client_of_new_schema();
    drop(client);

    let report = json_of(&["--schema", &other_schema, "import", file.path()]);

    assert_eq!(
        report,
        json!({
            "table": "events",
            "file": file.path(),
            "exported_from": "events",
            "partitions": 5,
            "files": 6,
            "references": 5,
        })
    );
    assert_eq!(stdout(&["--schema", &other_schema, "tables"]), "events\n");
}

#[test]
fn import_into_a_table_with_files_is_refused() {
    let schema = schema_with_events_table();
    let file = TempFile::new("events.jsonl");
    stdout(&["--schema", &schema, "export", "events", "-o", file.path()]);

    let run = sleeper_pg(&["--schema", &schema, "import", file.path()]);

    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "sleeper-pg: Cannot import into table events: it has files; import into a new table or one \
         with no files\n"
    );
}

#[test]
fn import_of_a_missing_file_is_one_line_and_exit_code_1() {
    let (_client, schema) = client_of_new_schema();
    let missing = TempFile::new("missing.jsonl");

    let run = sleeper_pg(&["--schema", &schema, "import", missing.path()]);

    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        format!(
            "sleeper-pg: {}: No such file or directory (os error 2)\n",
            missing.path()
        )
    );
}

#[test]
fn import_of_a_bad_line_names_it_and_makes_no_table() {
    let schema = schema_with_events_table();
    let file = TempFile::new("events.jsonl");
    stdout(&["--schema", &schema, "export", "events", "-o", file.path()]);
    let mut lines: Vec<String> = file.read().lines().map(str::to_owned).collect();
    lines[3] = "{\"partition\": 7}".to_owned();
    let bad = TempFile::with("bad.jsonl", &lines.join("\n"));

    let run = sleeper_pg(&["--schema", &schema, "import", bad.path(), "--table", "new"]);

    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .starts_with("sleeper-pg: Line 4 of the export: invalid type: integer `7`"),
        "{}",
        run.stderr
    );
    assert_eq!(stdout(&["--schema", &schema, "tables"]), "events\n");
}

#[test]
fn export_of_a_missing_table_leaves_no_file() {
    let (_client, schema) = client_of_new_schema();
    let file = TempFile::new("nothing.jsonl");

    let run = sleeper_pg(&["--schema", &schema, "export", "nothing", "-o", file.path()]);

    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "sleeper-pg: Table not found with ID \"nothing\"\n"
    );
    assert!(!file.0.exists());
}

/// A Sleeper transaction log: at 10:00 file a.parquet on the root; at 11:00 job-1 takes it; at 12:00
/// two commits of job-1 replace it, the second after the first has (skipped as Sleeper skips it).
const LOG: &str = r#"{"transactionNumber": 1, "updateTime": 1704103200000, "transactionType": "ADD_FILES", "transaction": {"files": [{"filename": "a.parquet", "references": [{"partitionId": "root", "numberOfRows": 10, "countApproximate": false, "onlyContainsDataForThisPartition": true}]}]}}
{"transactionNumber": 2, "updateTime": 1704106800000, "transactionType": "ASSIGN_JOB_IDS", "transaction": {"requests": [{"jobId": "job-1", "partitionId": "root", "filenames": ["a.parquet"]}]}}
{"transactionNumber": 3, "updateTime": 1704110400000, "transactionType": "REPLACE_FILE_REFERENCES", "transaction": {"jobs": [{"jobId": "job-1", "partitionId": "root", "inputFiles": ["a.parquet"], "newReference": {"filename": "b.parquet", "partitionId": "root", "numberOfRows": 10, "countApproximate": false, "onlyContainsDataForThisPartition": true}}, {"jobId": "job-1", "partitionId": "root", "inputFiles": ["a.parquet"], "newReference": {"filename": "c.parquet", "partitionId": "root", "numberOfRows": 10, "countApproximate": false, "onlyContainsDataForThisPartition": true}}]}}
"#;

/// A schema with the table `logged`, one `long` key, initialised with its root.
fn schema_with_empty_table() -> String {
    let (client, schema) = client_of_new_schema();
    block_on(async {
        let store = client
            .create_table("logged", &[RowKeyField::new("key", KeyType::Long)])
            .await?;
        store.initialise().await?;
        client.close().await;
        Ok(())
    })
    .expect("set up the table");
    schema
}

#[test]
fn apply_replays_a_log_and_reports_the_parts_skipped() {
    let schema = schema_with_empty_table();
    let log = TempFile::with("log.jsonl", LOG);

    let report = stdout(&["--schema", &schema, "apply", "logged", log.path()]);

    assert_eq!(
        report,
        "\
table            logged
entries applied  3
parts skipped    1

ENTRY  REQUEST  ERROR
    3        1  File reference not found in partition root, filename a.parquet
"
    );
    assert_eq!(
        stdout(&["--schema", &schema, "files", "logged"]),
        "\
FILENAME   PARTITION  ROWS  JOB  LAST UPDATE
b.parquet  root         10  -    2024-01-01T12:00:00.000Z
"
    );
}

#[test]
fn apply_json_reports_the_entries_and_the_parts_skipped() {
    let schema = schema_with_empty_table();
    let log = TempFile::with("log.jsonl", LOG);

    assert_eq!(
        json_of(&["--schema", &schema, "apply", "logged", log.path()]),
        json!({
            "table": "logged",
            "entries": 3,
            "skipped": [{"entry": 3, "request": 1, "error": "File reference not found in partition root, filename a.parquet"}],
        })
    );
}

#[test]
fn apply_stops_at_a_bad_line_naming_its_entry() {
    let schema = schema_with_empty_table();
    let log = TempFile::with("log.jsonl", &format!("{}not json\n", LOG));

    let run = sleeper_pg(&["--schema", &schema, "apply", "logged", log.path()]);

    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.starts_with(
            "sleeper-pg: Entry 4 of the transaction log: Invalid transaction log entry"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}
