//! The JSON of Sleeper's `TransactionSerDe` (v0.36), read and written field for field
//! (`CONTRACT.md` section 9). Files and partitions go through serde structs whose fields are Gson's
//! names in Gson's order; regions, whose key values need the table's row key types, are read here.
//! Unknown fields are ignored, as Gson ignores them.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{CompactionJobCommit, IngestJobRun, Transaction, TransactionType};
use crate::error::{Error, Result};
use crate::keys::next_key;
use crate::model::{
    AllReferencesToAFile, AssignJobIdRequest, FileReference, KeyType, KeyValue, Partition, Range,
    Region, ReplaceFileReferencesRequest, RowKeyField, SplitFileReferenceRequest, Timestamp,
};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReferenceJson {
    /// Absent inside an ADD_FILES file, whose filename it takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) filename: Option<String>,
    pub(crate) partition_id: String,
    number_of_rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    job_id: Option<String>,
    #[serde(default)]
    count_approximate: bool,
    #[serde(default)]
    only_contains_data_for_this_partition: bool,
}

#[derive(Serialize, Deserialize)]
struct FileJson {
    filename: String,
    references: Vec<ReferenceJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddFilesJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    task_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    job_run_id: Option<String>,
    /// Epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    written_time: Option<i64>,
    files: Vec<FileJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssignJson {
    job_id: String,
    partition_id: String,
    filenames: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct AssignJobIdsJson {
    requests: Vec<AssignJson>,
}

#[derive(Serialize, Deserialize)]
struct DeleteFilesJson {
    filenames: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobJson {
    job_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    task_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    job_run_id: Option<String>,
    input_files: Vec<String>,
    new_reference: ReferenceJson,
}

#[derive(Serialize, Deserialize)]
struct ReplaceJson {
    jobs: Vec<JobJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SplitRequestJson {
    old_reference: ReferenceJson,
    new_references: Vec<ReferenceJson>,
}

#[derive(Serialize, Deserialize)]
struct SplitFilesJson {
    requests: Vec<SplitRequestJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PartitionJson {
    partition_id: String,
    is_leaf_partition: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent_partition_id: Option<String>,
    #[serde(default)]
    child_partition_ids: Vec<String>,
    region: Map<String, Value>,
    dimension: i32,
}

#[derive(Serialize, Deserialize)]
struct InitialiseJson {
    partitions: Vec<PartitionJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SplitPartitionJson {
    parent: PartitionJson,
    new_children: Vec<PartitionJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtendJson {
    update_partitions: Vec<PartitionJson>,
    new_partitions: Vec<PartitionJson>,
}

/// One entry of a table's transaction log, as one line of a log file: the transaction, and the
/// number and update time Sleeper's log gave it, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionLogEntry {
    /// The entry's number in Sleeper's log.
    pub transaction_number: Option<i64>,
    /// The time everything the transaction writes carries.
    pub update_time: Option<Timestamp>,
    /// The transaction.
    pub transaction: Transaction,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogEntryJson {
    #[serde(default)]
    transaction_number: Option<i64>,
    #[serde(default)]
    update_time: Option<i64>,
    transaction_type: String,
    /// The transaction's JSON, as an object or as a string holding it.
    transaction: Value,
}

impl TransactionLogEntry {
    /// Reads one line of a log file: `{"transactionNumber": 7, "updateTime": <epoch ms>,
    /// "transactionType": "ADD_FILES", "transaction": {...}}`, the number and time optional.
    pub fn from_json_line(line: &[u8], row_keys: &[RowKeyField]) -> Result<TransactionLogEntry> {
        let entry: LogEntryJson = serde_json::from_slice(line)
            .map_err(|e| Error::invalid(format!("Invalid transaction log entry: {e}")))?;
        let transaction_type: TransactionType = entry.transaction_type.parse()?;
        let transaction = match entry.transaction {
            Value::String(body) => read(transaction_type, body.as_bytes(), row_keys)?,
            body => read_value(transaction_type, body, row_keys)?,
        };
        Ok(TransactionLogEntry {
            transaction_number: entry.transaction_number,
            update_time: entry
                .update_time
                .map(crate::time::update_time_from_millis)
                .transpose()?,
            transaction,
        })
    }
}

pub(super) fn read(
    transaction_type: TransactionType,
    json: &[u8],
    row_keys: &[RowKeyField],
) -> Result<Transaction> {
    let value: Value = serde_json::from_slice(json).map_err(|e| invalid(transaction_type, e))?;
    read_value(transaction_type, value, row_keys)
}

fn read_value(
    transaction_type: TransactionType,
    value: Value,
    row_keys: &[RowKeyField],
) -> Result<Transaction> {
    fn parse<T: serde::de::DeserializeOwned>(t: TransactionType, value: Value) -> Result<T> {
        serde_json::from_value(value).map_err(|e| invalid(t, e))
    }
    let t = transaction_type;
    let partitions = |list: Vec<PartitionJson>| -> Result<Vec<Partition>> {
        list.into_iter().map(|p| partition(p, row_keys)).collect()
    };
    Ok(match t {
        TransactionType::AddFiles => {
            let add: AddFilesJson = parse(t, value)?;
            Transaction::AddFiles {
                files: add
                    .files
                    .into_iter()
                    .map(|file| {
                        let references = file
                            .references
                            .into_iter()
                            .map(|r| match &r.filename {
                                // The file's filename is the reference's: another one is not
                                // kept (to_json would write the file's), so it is refused here.
                                Some(other) if *other != file.filename => Err(invalid(
                                    t,
                                    format!(
                                        "a reference in file {} names file {other}",
                                        file.filename
                                    ),
                                )),
                                _ => reference(r, Some(&file.filename)),
                            })
                            .collect::<Result<_>>()?;
                        Ok(AllReferencesToAFile::new(file.filename, references))
                    })
                    .collect::<Result<_>>()?,
                job_run: IngestJobRun {
                    job_id: add.job_id,
                    task_id: add.task_id,
                    job_run_id: add.job_run_id,
                    written_time: add
                        .written_time
                        .map(crate::time::update_time_from_millis)
                        .transpose()?,
                },
            }
        }
        TransactionType::AssignJobIds => Transaction::AssignJobIds {
            requests: parse::<AssignJobIdsJson>(t, value)?
                .requests
                .into_iter()
                .map(|r| AssignJobIdRequest::new(r.job_id, r.partition_id, r.filenames))
                .collect(),
        },
        TransactionType::ClearFiles => {
            parse::<Map<String, Value>>(t, value)?;
            Transaction::ClearFiles
        }
        TransactionType::DeleteFiles => Transaction::DeleteFiles {
            filenames: parse::<DeleteFilesJson>(t, value)?.filenames,
        },
        TransactionType::InitialisePartitions => Transaction::InitialisePartitions {
            partitions: partitions(parse::<InitialiseJson>(t, value)?.partitions)?,
        },
        TransactionType::ReplaceFileReferences => Transaction::ReplaceFileReferences {
            jobs: parse::<ReplaceJson>(t, value)?
                .jobs
                .into_iter()
                .map(|job| {
                    let new_reference = reference(job.new_reference, None)?;
                    Ok(CompactionJobCommit {
                        request: ReplaceFileReferencesRequest::new(
                            job.job_id,
                            new_reference.partition_id.clone(),
                            job.input_files,
                            new_reference,
                        ),
                        task_id: job.task_id,
                        job_run_id: job.job_run_id,
                    })
                })
                .collect::<Result<_>>()?,
        },
        TransactionType::SplitFileReferences => Transaction::SplitFileReferences {
            requests: parse::<SplitFilesJson>(t, value)?
                .requests
                .into_iter()
                .map(|r| {
                    Ok(SplitFileReferenceRequest::new(
                        reference(r.old_reference, None)?,
                        r.new_references
                            .into_iter()
                            .map(|n| reference(n, None))
                            .collect::<Result<_>>()?,
                    ))
                })
                .collect::<Result<_>>()?,
        },
        TransactionType::SplitPartition => {
            let split: SplitPartitionJson = parse(t, value)?;
            Transaction::SplitPartition {
                parent: partition(split.parent, row_keys)?,
                new_children: partitions(split.new_children)?,
            }
        }
        TransactionType::ExtendPartitionTree => {
            let extend: ExtendJson = parse(t, value)?;
            Transaction::ExtendPartitionTree {
                update_partitions: partitions(extend.update_partitions)?,
                new_partitions: partitions(extend.new_partitions)?,
            }
        }
    })
}

pub(super) fn write(transaction: &Transaction) -> Value {
    fn to_value(value: impl Serialize) -> Value {
        // Plain structs of strings, numbers and maps: serialising them cannot fail.
        serde_json::to_value(value).unwrap_or(Value::Null)
    }
    let partitions = |list: &[Partition]| list.iter().map(partition_json).collect::<Vec<_>>();
    match transaction {
        Transaction::AddFiles { files, job_run } => to_value(AddFilesJson {
            job_id: job_run.job_id.clone(),
            task_id: job_run.task_id.clone(),
            job_run_id: job_run.job_run_id.clone(),
            written_time: job_run.written_time.map(|t| t.timestamp_millis()),
            files: files
                .iter()
                .map(|file| FileJson {
                    filename: file.filename.clone(),
                    references: file
                        .references
                        .iter()
                        .map(|r| ReferenceJson {
                            filename: None,
                            ..reference_json(r)
                        })
                        .collect(),
                })
                .collect(),
        }),
        Transaction::AssignJobIds { requests } => to_value(AssignJobIdsJson {
            requests: requests
                .iter()
                .map(|r| AssignJson {
                    job_id: r.job_id.clone(),
                    partition_id: r.partition_id.clone(),
                    filenames: r.filenames.clone(),
                })
                .collect(),
        }),
        Transaction::ClearFiles => Value::Object(Map::new()),
        Transaction::DeleteFiles { filenames } => to_value(DeleteFilesJson {
            filenames: filenames.clone(),
        }),
        Transaction::InitialisePartitions { partitions: list } => to_value(InitialiseJson {
            partitions: partitions(list),
        }),
        Transaction::ReplaceFileReferences { jobs } => to_value(ReplaceJson {
            jobs: jobs
                .iter()
                .map(|job| JobJson {
                    job_id: job.request.job_id.clone(),
                    task_id: job.task_id.clone(),
                    job_run_id: job.job_run_id.clone(),
                    input_files: job.request.input_files.clone(),
                    new_reference: reference_json(&job.request.new_reference),
                })
                .collect(),
        }),
        Transaction::SplitFileReferences { requests } => to_value(SplitFilesJson {
            requests: requests
                .iter()
                .map(|r| SplitRequestJson {
                    old_reference: reference_json(&r.old_reference),
                    new_references: r.new_references.iter().map(reference_json).collect(),
                })
                .collect(),
        }),
        Transaction::SplitPartition {
            parent,
            new_children,
        } => to_value(SplitPartitionJson {
            parent: partition_json(parent),
            new_children: partitions(new_children),
        }),
        Transaction::ExtendPartitionTree {
            update_partitions,
            new_partitions,
        } => to_value(ExtendJson {
            update_partitions: partitions(update_partitions),
            new_partitions: partitions(new_partitions),
        }),
    }
}

fn invalid(transaction_type: TransactionType, why: impl std::fmt::Display) -> Error {
    Error::invalid(format!("Invalid {transaction_type} transaction: {why}"))
}

/// A reference as Sleeper writes it; `filename` is the file's when the JSON leaves it out.
pub(crate) fn reference(json: ReferenceJson, filename: Option<&str>) -> Result<FileReference> {
    let filename = json
        .filename
        .or_else(|| filename.map(str::to_owned))
        .ok_or_else(|| Error::invalid("A file reference has no filename"))?;
    let number_of_rows = json.number_of_rows.ok_or_else(|| {
        Error::invalid(format!(
            "The reference to {filename} on partition {} has no numberOfRows",
            json.partition_id
        ))
    })?;
    Ok(FileReference {
        filename,
        partition_id: json.partition_id,
        number_of_rows,
        job_id: json.job_id,
        last_update_time: None,
        count_approximate: json.count_approximate,
        only_contains_data_for_this_partition: json.only_contains_data_for_this_partition,
    })
}

pub(crate) fn reference_json(reference: &FileReference) -> ReferenceJson {
    ReferenceJson {
        filename: Some(reference.filename.clone()),
        partition_id: reference.partition_id.clone(),
        number_of_rows: Some(reference.number_of_rows),
        job_id: reference.job_id.clone(),
        count_approximate: reference.count_approximate,
        only_contains_data_for_this_partition: reference.only_contains_data_for_this_partition,
    }
}

pub(crate) fn partition(json: PartitionJson, row_keys: &[RowKeyField]) -> Result<Partition> {
    let region = region(&json.region, row_keys).map_err(|why| {
        Error::invalid(format!(
            "Invalid region in partition {}: {why}",
            json.partition_id
        ))
    })?;
    Ok(Partition {
        id: json.partition_id,
        region,
        is_leaf_partition: json.is_leaf_partition,
        parent_partition_id: json.parent_partition_id,
        child_partition_ids: json.child_partition_ids,
        dimension: json.dimension,
    })
}

pub(crate) fn partition_json(partition: &Partition) -> PartitionJson {
    PartitionJson {
        partition_id: partition.id.clone(),
        is_leaf_partition: partition.is_leaf_partition,
        parent_partition_id: partition.parent_partition_id.clone(),
        child_partition_ids: partition.child_partition_ids.clone(),
        region: region_json(&partition.region),
        dimension: partition.dimension,
    }
}

/// Sleeper's `RegionSerDe`: one member per field, ranges in canonical form once read (2.2).
fn region(json: &Map<String, Value>, row_keys: &[RowKeyField]) -> Result<Region, String> {
    let base64 = match json.get("stringsBase64Encoded") {
        None => true,
        Some(flag) => flag
            .as_bool()
            .ok_or("stringsBase64Encoded must be true or false")?,
    };
    let mut ranges = Vec::new();
    for (field_name, range) in json {
        if field_name == "stringsBase64Encoded" {
            continue;
        }
        let field = row_keys
            .iter()
            .find(|f| &f.name == field_name)
            .ok_or_else(|| {
                format!("Key \"{field_name}\" was not a row key field in the table schema")
            })?;
        let range = range
            .as_object()
            .ok_or_else(|| format!("the range of {field_name} is not an object"))?;
        let bound = |name: &str| -> Result<Option<KeyValue>, String> {
            match range.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => key(value, field.key_type, base64).map(Some).ok_or_else(|| {
                    format!("{name} of {field_name} is not a {}", field.key_type.name())
                }),
            }
        };
        let inclusive = |name: &str, default: bool| -> Result<bool, String> {
            match range.get(name) {
                None => Ok(default),
                Some(flag) => flag
                    .as_bool()
                    .ok_or_else(|| format!("{name} of {field_name} must be true or false")),
            }
        };
        let min = bound("min")?.ok_or_else(|| format!("the range of {field_name} has no min"))?;
        let min = if inclusive("minInclusive", true)? {
            min
        } else {
            next_key(&min)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("the range of {field_name} is empty"))?
        };
        let max = match bound("max")? {
            Some(max) if inclusive("maxInclusive", false)? => {
                next_key(&max).map_err(|e| e.to_string())?
            }
            max => max,
        };
        ranges.push(Range::new(field_name.clone(), min, max));
    }
    Ok(Region::new(ranges))
}

fn key(value: &Value, key_type: KeyType, base64: bool) -> Option<KeyValue> {
    match key_type {
        KeyType::Int => value
            .as_i64()
            .and_then(|v| i32::try_from(v).ok())
            .map(KeyValue::Int),
        KeyType::Long => value.as_i64().map(KeyValue::Long),
        // Java decodes bytes that are not UTF-8 with replacement characters; so does this.
        KeyType::String if base64 => BASE64
            .decode(value.as_str()?)
            .ok()
            .map(|bytes| KeyValue::String(String::from_utf8_lossy(&bytes).into_owned())),
        KeyType::String => value.as_str().map(|s| KeyValue::String(s.to_owned())),
        KeyType::Bytes => BASE64.decode(value.as_str()?).ok().map(KeyValue::Bytes),
    }
}

fn region_json(region: &Region) -> Map<String, Value> {
    let mut json = Map::new();
    for range in &region.ranges {
        let mut bounds = Map::new();
        bounds.insert("min".to_owned(), key_json(&range.min));
        bounds.insert("minInclusive".to_owned(), Value::Bool(true));
        if let Some(max) = &range.max {
            bounds.insert("max".to_owned(), key_json(max));
        }
        bounds.insert("maxInclusive".to_owned(), Value::Bool(false));
        json.insert(range.field_name.clone(), Value::Object(bounds));
    }
    json.insert("stringsBase64Encoded".to_owned(), Value::Bool(true));
    json
}

fn key_json(value: &KeyValue) -> Value {
    match value {
        KeyValue::Int(v) => Value::from(*v),
        KeyValue::Long(v) => Value::from(*v),
        KeyValue::String(s) => Value::String(BASE64.encode(s.as_bytes())),
        KeyValue::Bytes(b) => Value::String(BASE64.encode(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string_key() -> Vec<RowKeyField> {
        vec![RowKeyField::new("key", KeyType::String)]
    }

    fn round_trip(transaction_type: TransactionType, json: &str, row_keys: &[RowKeyField]) {
        let transaction = Transaction::from_json(transaction_type, json.as_bytes(), row_keys)
            .expect("the JSON parses");
        assert_eq!(transaction.transaction_type(), transaction_type);
        let written: Value = serde_json::from_str(&transaction.to_json()).unwrap();
        let expected: Value = serde_json::from_str(json).unwrap();
        assert_eq!(written, expected);
    }

    #[test]
    fn a_split_partition_round_trips_with_base64_strings_and_an_unbounded_max() {
        round_trip(
            TransactionType::SplitPartition,
            r#"{"parent":{"partitionId":"root","isLeafPartition":false,"childPartitionIds":["L","R"],
                "region":{"key":{"min":"","minInclusive":true,"maxInclusive":false},"stringsBase64Encoded":true},"dimension":0},
               "newChildren":[
                {"partitionId":"L","isLeafPartition":true,"parentPartitionId":"root","childPartitionIds":[],
                 "region":{"key":{"min":"","minInclusive":true,"max":"cA\u003d\u003d","maxInclusive":false},"stringsBase64Encoded":true},"dimension":-1},
                {"partitionId":"R","isLeafPartition":true,"parentPartitionId":"root","childPartitionIds":[],
                 "region":{"key":{"min":"cA==","minInclusive":true,"maxInclusive":false},"stringsBase64Encoded":true},"dimension":-1}]}"#,
            &string_key(),
        );
    }

    #[test]
    fn a_compaction_commit_keeps_its_tracking_ids() {
        round_trip(
            TransactionType::ReplaceFileReferences,
            r#"{"jobs":[{"jobId":"job","taskId":"task","jobRunId":"run","inputFiles":["a","b"],
                "newReference":{"filename":"c","partitionId":"root","numberOfRows":100,
                "countApproximate":false,"onlyContainsDataForThisPartition":true}}]}"#,
            &string_key(),
        );
    }

    #[test]
    fn an_ingest_keeps_its_job_and_written_time() {
        round_trip(
            TransactionType::AddFiles,
            r#"{"jobId":"job","taskId":"task","jobRunId":"run","writtenTime":1700000000000,
                "files":[{"filename":"f","references":[{"partitionId":"root","numberOfRows":3,
                "jobId":"j","countApproximate":true,"onlyContainsDataForThisPartition":false}]}]}"#,
            &string_key(),
        );
    }

    #[test]
    fn a_range_with_other_inclusivity_is_read_in_canonical_form() {
        let row_keys = vec![RowKeyField::new("key", KeyType::Long)];
        let region = region(
            serde_json::from_str(
                r#"{"key":{"min":1,"minInclusive":false,"max":9,"maxInclusive":true}}"#,
            )
            .as_ref()
            .unwrap(),
            &row_keys,
        )
        .unwrap();
        assert_eq!(
            region,
            Region::new(vec![Range::new(
                "key",
                KeyValue::Long(2),
                Some(KeyValue::Long(10))
            )])
        );
    }

    #[test]
    fn an_inclusive_max_at_the_type_maximum_has_no_upper_bound() {
        let row_keys = vec![RowKeyField::new("key", KeyType::Int)];
        let json: Map<String, Value> = serde_json::from_str(&format!(
            r#"{{"key":{{"min":0,"max":{},"maxInclusive":true}}}}"#,
            i32::MAX
        ))
        .unwrap();
        assert_eq!(
            region(&json, &row_keys).unwrap(),
            Region::new(vec![Range::new("key", KeyValue::Int(0), None)])
        );
    }

    #[test]
    fn a_field_outside_the_schema_is_invalid() {
        let json = r#"{"partitions":[{"partitionId":"root","isLeafPartition":true,"childPartitionIds":[],
            "region":{"other":{"min":""}},"dimension":-1}]}"#;
        let error = Transaction::from_json(
            TransactionType::InitialisePartitions,
            json.as_bytes(),
            &string_key(),
        )
        .unwrap_err();
        assert!(matches!(error, Error::InvalidArgument { .. }), "{error:?}");
    }

    #[test]
    fn a_log_line_takes_its_transaction_as_an_object_or_a_string() {
        let object = br#"{"transactionNumber":3,"updateTime":1700000000000,"transactionType":"DELETE_FILES","transaction":{"filenames":["a"]}}"#;
        let string =
            br#"{"transactionType":"DELETE_FILES","transaction":"{\"filenames\":[\"a\"]}"}"#;
        let from_object = TransactionLogEntry::from_json_line(object, &string_key()).unwrap();
        let from_string = TransactionLogEntry::from_json_line(string, &string_key()).unwrap();
        assert_eq!(from_object.transaction, from_string.transaction);
        assert_eq!(from_object.transaction_number, Some(3));
        assert_eq!(
            from_object.update_time.map(|t| t.timestamp_millis()),
            Some(1_700_000_000_000)
        );
    }
}
