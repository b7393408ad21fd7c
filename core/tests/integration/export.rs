//! A table exported to a file (`docs/export-format.md`) and imported: the round trip is exact for
//! every read, an import into a table with files is refused, and a bad line is refused by number.

use std::collections::BTreeMap;

use sleeper_pg::{
    AllReferencesToAllFiles, AssignJobIdRequest, Client, Error, ExportCounts, FileReference,
    KeyType, KeyValue, Partition, Range, Region, ReplaceFileReferencesRequest, RowKeyField,
    SplitFileReferenceRequest, StateStore, TableExport,
};

use crate::common::{at, client, new_store, strings, unique_table_id};

/// Every read of a table whose answer an import must reproduce.
#[derive(Debug, PartialEq)]
struct Reads {
    partitions: Vec<Partition>,
    files: AllReferencesToAllFiles,
    references: Vec<FileReference>,
    by_partition: BTreeMap<String, Vec<String>>,
    ready_for_gc: Vec<String>,
}

async fn reads(store: &StateStore) -> Reads {
    Reads {
        partitions: store.get_all_partitions().await.unwrap(),
        files: store
            .get_all_files_with_max_unreferenced(1000)
            .await
            .unwrap(),
        references: store.get_file_references().await.unwrap(),
        by_partition: store.get_partition_to_referenced_files_map().await.unwrap(),
        ready_for_gc: store
            .get_ready_for_gc_filenames_before(at(12, 30, 0, 0))
            .await
            .unwrap(),
    }
}

fn all_key_types() -> Vec<RowKeyField> {
    vec![
        RowKeyField::new("i", KeyType::Int),
        RowKeyField::new("l", KeyType::Long),
        RowKeyField::new("s", KeyType::String),
        RowKeyField::new("b", KeyType::Bytes),
    ]
}

/// `parent` split on `dimension` at `value` into `left` and `right`: the three partitions to store.
fn split(
    parent: &Partition,
    dimension: usize,
    value: KeyValue,
    left: &str,
    right: &str,
) -> [Partition; 3] {
    let child = |id: &str, min: KeyValue, max: Option<KeyValue>| {
        let mut ranges = parent.region.ranges.clone();
        ranges[dimension] = Range::new(ranges[dimension].field_name.clone(), min, max);
        Partition {
            parent_partition_id: Some(parent.id.clone()),
            ..Partition::new(id, Region::new(ranges))
        }
    };
    let range = &parent.region.ranges[dimension];
    [
        Partition {
            is_leaf_partition: false,
            child_partition_ids: strings(&[left, right]),
            dimension: i32::try_from(dimension).unwrap(),
            ..parent.clone()
        },
        child(left, range.min.clone(), Some(value.clone())),
        child(right, value, range.max.clone()),
    ]
}

/// A table with a row key of each type, split on the string key and then on the bytes key at values
/// that JSON and base64 must carry exactly; references with and without jobs, on leaves and on the
/// root; files with removed references, with no references, and one whose last write (on a clock
/// set back) is older than its remaining reference.
async fn table_of_every_kind(client: &Client) -> StateStore {
    let store = client
        .create_table(&unique_table_id("export"), &all_key_types())
        .await
        .unwrap();
    store.initialise().await.unwrap();
    let root = store.get_partition("root").await.unwrap();
    let [root, l, r] = split(
        &root,
        2,
        KeyValue::String("\u{1F600}é\"\\".into()),
        "L",
        "R",
    );
    store
        .atomically_update_partition_and_create_new_ones(&root, &l, &r)
        .await
        .unwrap();
    let [r, rl, rr] = split(&r, 3, KeyValue::Bytes(vec![0x80, 0x00, 0xff]), "RL", "RR");
    store
        .atomically_update_partition_and_create_new_ones(&r, &rl, &rr)
        .await
        .unwrap();

    let clock = |hour, minute| store.fix_file_update_time(Some(at(hour, minute, 0, 0)));
    clock(10, 0).unwrap();
    store
        .add_files(&[
            FileReference::new("f1", "L", 100),
            FileReference {
                count_approximate: true,
                only_contains_data_for_this_partition: false,
                ..FileReference::new("f2", "RL", 20)
            },
            FileReference::new("f2", "RR", 30),
            FileReference::new("f3", "root", 7),
            FileReference::new("f4", "RR", 40),
        ])
        .await
        .unwrap();
    clock(11, 0).unwrap();
    store
        .assign_job_ids(&[
            AssignJobIdRequest::new("job-1", "L", strings(&["f1"])),
            AssignJobIdRequest::new("job-2", "RR", strings(&["f4", "f2"])),
        ])
        .await
        .unwrap();
    clock(11, 30).unwrap();
    let f3 = FileReference::new("f3", "root", 7);
    store
        .split_file_references(&[SplitFileReferenceRequest::split_file_to_child_partitions(
            &f3, "L", "R",
        )])
        .await
        .unwrap();
    clock(12, 0).unwrap();
    store
        .atomically_replace_file_references_with_new_ones(&[ReplaceFileReferencesRequest::new(
            "job-2",
            "RR",
            strings(&["f4"]),
            FileReference::new("f5", "RR", 40),
        )])
        .await
        .unwrap();
    clock(9, 0).unwrap();
    store
        .atomically_replace_file_references_with_new_ones(&[ReplaceFileReferencesRequest::new(
            "job-2",
            "RR",
            strings(&["f2"]),
            FileReference::new("f6", "RR", 30),
        )])
        .await
        .unwrap();
    store
}

async fn export(store: &StateStore) -> Vec<u8> {
    let mut out = Vec::new();
    store.export_table(&mut out, |_| {}).await.unwrap();
    out
}

fn read(export: &[u8]) -> sleeper_pg::Result<TableExport> {
    TableExport::read(export, |_| {})
}

/// The export's lines but the header, which names the table and the time.
fn body(export: &[u8]) -> Vec<String> {
    let text = String::from_utf8(export.to_vec()).unwrap();
    text.lines().skip(1).map(str::to_owned).collect()
}

#[tokio::test]
async fn an_import_of_an_export_answers_every_read_as_the_exported_table() {
    let client = client().await;
    let exported = table_of_every_kind(&client).await;
    let file = export(&exported).await;

    let copy_id = unique_table_id("import");
    let imported = client
        .import_table(&read(&file).unwrap(), Some(&copy_id))
        .await
        .unwrap();

    assert_eq!(imported.table_id(), copy_id);
    assert_eq!(imported.row_keys(), all_key_types());
    let original = reads(&exported).await;
    assert_eq!(reads(&imported).await, original);
    assert_eq!(
        original.files.files[1].last_update_time,
        Some(at(9, 0, 0, 0)),
        "f2's last write set the clock back"
    );
    assert_eq!(body(&export(&imported).await), body(&file));
}

#[tokio::test]
async fn an_export_counts_its_lines_and_reports_them_as_it_goes() {
    let client = client().await;
    let store = table_of_every_kind(&client).await;
    let mut seen = Vec::new();
    let mut out = Vec::new();

    let counts = store
        .export_table(&mut out, |counts| seen.push(counts))
        .await
        .unwrap();

    assert_eq!(
        counts,
        ExportCounts {
            partitions: 5,
            files: 6,
            references: 6,
        }
    );
    assert_eq!(seen.last(), Some(&counts));
    assert_eq!(seen.len(), 1 + 5 + 6, "the header, then each line");
    assert_eq!(
        body(&out).last().map(String::as_str),
        Some(r#"{"end":{"partitions":5,"files":6,"references":6}}"#)
    );
}

#[tokio::test]
async fn a_new_table_exports_its_root_and_imports_into_an_existing_empty_table() {
    let client = client().await;
    let exported = new_store(&client).await;
    let target = new_store(&client).await;
    target.clear_partition_data().await.unwrap();

    target
        .import_table(&read(&export(&exported).await).unwrap())
        .await
        .unwrap();

    assert_eq!(reads(&target).await, reads(&exported).await);
}

#[tokio::test]
async fn an_import_into_a_table_with_files_is_refused_and_changes_nothing() {
    let client = client().await;
    let file = export(&table_of_every_kind(&client).await).await;
    let target = client
        .create_table(&unique_table_id("full"), &all_key_types())
        .await
        .unwrap();
    target.initialise().await.unwrap();
    target
        .add_file(&FileReference::new("mine", "root", 1))
        .await
        .unwrap();
    let before = reads(&target).await;

    let error = target
        .import_table(&read(&file).unwrap())
        .await
        .unwrap_err();

    assert!(
        matches!(&error, Error::StateStore { message, .. } if message.contains("it has files")),
        "{error:?}"
    );
    assert_eq!(reads(&target).await, before);
}

#[tokio::test]
async fn an_import_with_other_row_keys_is_refused() {
    let client = client().await;
    let file = export(&table_of_every_kind(&client).await).await;
    let target = new_store(&client).await;

    let error = target
        .import_table(&read(&file).unwrap())
        .await
        .unwrap_err();

    assert!(matches!(error, Error::InvalidArgument { .. }), "{error:?}");
}

#[tokio::test]
async fn a_reference_to_a_partition_the_export_lacks_is_refused_by_its_line_number() {
    let client = client().await;
    let file = String::from_utf8(export(&table_of_every_kind(&client).await).await).unwrap();
    let mut lines: Vec<String> = file.lines().map(str::to_owned).collect();
    // Line 7 is the first file's: f1, on L.
    lines[6] = lines[6].replace(r#""partitionId":"L""#, r#""partitionId":"nowhere""#);

    let error = read(lines.join("\n").as_bytes()).unwrap_err();

    assert_eq!(
        error.to_string(),
        "Line 7 of the export: the reference to f1 on nowhere: the export has no partition nowhere"
    );
}

#[tokio::test]
async fn an_export_that_is_not_json_or_cut_short_is_refused() {
    let client = client().await;
    let file = String::from_utf8(export(&new_store(&client).await).await).unwrap();
    let lines: Vec<&str> = file.lines().collect();

    let not_json = [lines[0], "{\"file\": ", lines[1]].join("\n");
    let error = read(not_json.as_bytes()).unwrap_err().to_string();
    assert!(error.starts_with("Line 2 of the export: "), "{error}");

    let cut_short = lines[..2].join("\n");
    assert_eq!(
        read(cut_short.as_bytes()).unwrap_err().to_string(),
        "The export ends after line 2 without its end line: it is incomplete"
    );
}

#[tokio::test]
async fn a_file_named_twice_is_refused() {
    let client = client().await;
    let file = String::from_utf8(export(&table_of_every_kind(&client).await).await).unwrap();
    let mut lines: Vec<&str> = file.lines().collect();
    lines.insert(7, lines[6]);

    assert_eq!(
        read(lines.join("\n").as_bytes()).unwrap_err().to_string(),
        "Line 8 of the export: file f1 is not after file f1 (files are in filename order, each once)"
    );
}

#[tokio::test]
async fn exporting_a_table_that_does_not_exist_writes_nothing() {
    let client = client().await;
    let store = new_store(&client).await;
    client.delete_table(store.table_id()).await.unwrap();
    let mut out = Vec::new();

    let error = store.export_table(&mut out, |_| {}).await.unwrap_err();

    assert!(matches!(error, Error::TableNotFound { .. }), "{error:?}");
    assert!(out.is_empty());
}

#[tokio::test]
async fn a_failed_import_into_a_new_table_leaves_no_table() {
    let client = client().await;
    let mut export = read(&export(&table_of_every_kind(&client).await).await).unwrap();
    // A tree whose root is gone is no valid tree.
    export.partitions.retain(|p| p.id != "root");
    let table_id = unique_table_id("failed");

    client
        .import_table(&export, Some(&table_id))
        .await
        .unwrap_err();

    assert!(!client.list_tables().await.unwrap().contains(&table_id));
}
