//! The file one table is exported to and imported from (`docs/export-format.md`): JSON lines, a
//! header, the partitions, the files with their references, then an end line with the counts, so that
//! an export cut short is refused rather than imported in part. Partitions and references are in
//! Sleeper's JSON forms (`CONTRACT.md` 9), so key values of every type are written as Sleeper writes
//! them; references and files add the times Sleeper's forms leave to the log entry.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use chrono::{DateTime, SecondsFormat};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::model::{AllReferencesToAFile, FileReference, Partition, RowKeyField, Timestamp};
use crate::transaction::json::{
    partition, partition_json, reference, reference_json, PartitionJson, ReferenceJson,
};

/// The `format` of every export's header line.
pub const EXPORT_FORMAT: &str = "sleeper-pg-table";

/// The version of the format this sleeper-pg writes, and the newest it reads.
///
/// (Not in the C header: the C API neither exports nor imports.)
/// cbindgen:ignore
pub const EXPORT_VERSION: u32 = 1;

/// How much of a table an export holds: written on its end line, and reported as it is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCounts {
    /// Partition lines.
    pub partitions: u64,
    /// File lines: every file record, with or without references.
    pub files: u64,
    /// References, over all files.
    pub references: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    format: String,
    version: u32,
    table_id: String,
    row_keys: Vec<RowKeyField>,
    exported_at: Time,
}

/// Every line after the header: `{"partition": ...}`, `{"file": ...}` or `{"end": ...}`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Line {
    Partition(PartitionJson),
    File(FileLine),
    End(ExportCounts),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileLine {
    filename: String,
    /// The file's own time: of its last write, which may have removed a reference since.
    last_update_time: Option<Time>,
    references: Vec<ReferenceLine>,
}

/// Sleeper's reference without its filename (the file's), with the time the store wrote it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReferenceLine {
    #[serde(flatten)]
    reference: ReferenceJson,
    last_update_time: Option<Time>,
}

/// A time as RFC 3339 in UTC to the millisecond, the store's precision: `2024-01-01T10:00:00.000Z`.
#[derive(Clone, Copy)]
struct Time(Timestamp);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Time, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|time| Time(time.to_utc()))
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not an RFC 3339 time")))
    }
}

/// Writes an export line by line, counting what it wrote.
pub(crate) struct ExportWriter<W: Write> {
    out: W,
    counts: ExportCounts,
    started: bool,
}

impl<W: Write> ExportWriter<W> {
    pub(crate) fn new(out: W) -> Self {
        ExportWriter {
            out,
            counts: ExportCounts::default(),
            started: false,
        }
    }

    /// Whether any line was written: another attempt at the read would write it again.
    pub(crate) fn started(&self) -> bool {
        self.started
    }

    pub(crate) fn counts(&self) -> ExportCounts {
        self.counts
    }

    pub(crate) fn header(
        &mut self,
        table_id: &str,
        row_keys: &[RowKeyField],
        exported_at: Timestamp,
    ) -> Result<()> {
        self.line(&Header {
            format: EXPORT_FORMAT.to_owned(),
            version: EXPORT_VERSION,
            table_id: table_id.to_owned(),
            row_keys: row_keys.to_vec(),
            exported_at: Time(exported_at),
        })
    }

    pub(crate) fn partition(&mut self, partition: &Partition) -> Result<()> {
        self.counts.partitions += 1;
        self.line(&Line::Partition(partition_json(partition)))
    }

    pub(crate) fn file(&mut self, file: &AllReferencesToAFile) -> Result<()> {
        self.counts.files += 1;
        self.counts.references += file.references.len() as u64;
        let references = file
            .references
            .iter()
            .map(|r| {
                // The file's filename, as in Sleeper's ADD_FILES.
                let mut reference = reference_json(r);
                reference.filename = None;
                ReferenceLine {
                    reference,
                    last_update_time: r.last_update_time.map(Time),
                }
            })
            .collect();
        self.line(&Line::File(FileLine {
            filename: file.filename.clone(),
            last_update_time: file.last_update_time.map(Time),
            references,
        }))
    }

    /// Writes the end line and flushes.
    pub(crate) fn finish(mut self) -> Result<ExportCounts> {
        let counts = self.counts;
        self.line(&Line::End(counts))?;
        self.out.flush().map_err(write_failed)?;
        Ok(counts)
    }

    fn line(&mut self, line: &impl Serialize) -> Result<()> {
        self.started = true;
        serde_json::to_writer(&mut self.out, line)
            .map_err(|e| write_failed(e.into()))
            .and_then(|()| self.out.write_all(b"\n").map_err(write_failed))
    }
}

fn write_failed(error: std::io::Error) -> Error {
    Error::invalid(format!("Could not write the export: {error}"))
}

/// A table's state as an export holds it, read and checked line by line.
#[derive(Debug, Clone, PartialEq)]
pub struct TableExport {
    /// The id of the table it was exported from.
    pub table_id: String,
    /// The table's row key fields, in dimension order.
    pub row_keys: Vec<RowKeyField>,
    /// When it was exported.
    pub exported_at: Timestamp,
    /// Every partition, by id.
    pub partitions: Vec<Partition>,
    /// Every file record, by filename, with its last update time and its references (with theirs).
    pub files: Vec<AllReferencesToAFile>,
}

impl TableExport {
    /// Reads an export, telling `progress` how many bytes it has read after each line. Any line
    /// that is not as `docs/export-format.md` describes is invalid input naming its line number:
    /// lines out of order, a partition or file twice, a reference to a partition the export does
    /// not have or twice to one partition, a missing time, and an end line missing or whose counts
    /// differ from the lines before it.
    pub fn read(lines: impl BufRead, progress: impl FnMut(u64)) -> Result<TableExport> {
        let mut reader = Reader {
            lines,
            progress,
            buffer: Vec::new(),
            number: 0,
            bytes: 0,
        };
        let header: Header = match reader.next()? {
            Some(line) => serde_json::from_slice(line).map_err(|e| reader.invalid(e))?,
            None => return Err(Error::invalid("The export is empty")),
        };
        if header.format != EXPORT_FORMAT {
            return Err(reader.invalid(format_args!(
                "the format is {:?}, not {EXPORT_FORMAT:?}",
                header.format
            )));
        }
        if header.version > EXPORT_VERSION {
            return Err(reader.invalid(format_args!(
                "the format's version {} is newer than this sleeper-pg reads ({EXPORT_VERSION})",
                header.version
            )));
        }
        crate::validate::table_id(&header.table_id).map_err(|e| reader.invalid(e))?;
        crate::validate::row_keys(&header.row_keys).map_err(|e| reader.invalid(e))?;
        // To the millisecond and within the years every language reads, as the store writes it: a
        // finer or farther time would not be written back as it was read.
        let exported_at = crate::time::validate_update_time(header.exported_at.0)
            .map_err(|e| reader.invalid(e))?;
        let mut export = TableExport {
            table_id: header.table_id,
            row_keys: header.row_keys,
            exported_at,
            partitions: Vec::new(),
            files: Vec::new(),
        };
        // The line of each partition, to name the first when one repeats.
        let mut partition_lines: HashMap<String, u64> = HashMap::new();
        loop {
            let Some(line) = reader.next()? else {
                return Err(Error::invalid(format!(
                    "The export ends after line {} without its end line: it is incomplete",
                    reader.number
                )));
            };
            let line: Line = serde_json::from_slice(line).map_err(|e| reader.invalid(e))?;
            match line {
                Line::Partition(json) => {
                    if !export.files.is_empty() {
                        return Err(reader.invalid("a partition follows the files"));
                    }
                    let partition = partition(json, &export.row_keys)
                        .and_then(|p| p.validate().map(|()| p))
                        .map_err(|e| reader.invalid(e))?;
                    if let Some(first) = partition_lines.insert(partition.id.clone(), reader.number)
                    {
                        return Err(reader.invalid(format_args!(
                            "partition {} is also on line {first}",
                            partition.id
                        )));
                    }
                    export.partitions.push(partition);
                }
                Line::File(json) => {
                    let file = file(json, &partition_lines).map_err(|e| reader.invalid(e))?;
                    if let Some(before) = export.files.last() {
                        // In filename order, so a file named twice is next to itself.
                        if before.filename >= file.filename {
                            return Err(reader.invalid(format_args!(
                                "file {} is not after file {} (files are in filename order, each once)",
                                file.filename, before.filename
                            )));
                        }
                    }
                    export.files.push(file);
                }
                Line::End(counts) => {
                    if counts != export.counts() {
                        return Err(reader.invalid(format_args!(
                            "the end line counts {counts:?}, the lines before it {:?}",
                            export.counts()
                        )));
                    }
                    if reader.next()?.is_some() {
                        return Err(reader.invalid("a line follows the end line"));
                    }
                    return Ok(export);
                }
            }
        }
    }

    /// What the export holds, as its end line counts it.
    pub fn counts(&self) -> ExportCounts {
        ExportCounts {
            partitions: self.partitions.len() as u64,
            files: self.files.len() as u64,
            references: self.files.iter().map(|f| f.references.len() as u64).sum(),
        }
    }
}

/// A file line as a file record, checked against the partitions read before it.
fn file(json: FileLine, partition_lines: &HashMap<String, u64>) -> Result<AllReferencesToAFile> {
    let filename = json.filename;
    let time = |time: Option<Time>, whose: &dyn std::fmt::Display| {
        let time = time.ok_or_else(|| Error::invalid(format!("{whose} has no lastUpdateTime")))?;
        crate::time::validate_update_time(time.0)
    };
    let mut references: Vec<FileReference> = Vec::with_capacity(json.references.len());
    for line in json.references {
        let whose = format!(
            "the reference to {filename} on {}",
            line.reference.partition_id
        );
        let last_update_time = Some(time(line.last_update_time, &whose)?);
        let reference = FileReference {
            last_update_time,
            ..reference(line.reference, Some(&filename))?
        };
        reference.validate()?;
        if !partition_lines.contains_key(&reference.partition_id) {
            return Err(Error::invalid(format!(
                "{whose}: the export has no partition {}",
                reference.partition_id
            )));
        }
        if references
            .iter()
            .any(|r| r.partition_id == reference.partition_id)
        {
            return Err(Error::invalid(format!("{whose} is there twice")));
        }
        references.push(reference);
    }
    let file = AllReferencesToAFile {
        last_update_time: Some(time(json.last_update_time, &format!("file {filename}"))?),
        filename,
        references,
    };
    file.validate()?;
    Ok(file)
}

/// The lines of an export, numbered from 1, blank ones skipped.
struct Reader<R, P> {
    lines: R,
    progress: P,
    buffer: Vec<u8>,
    /// The number of the line last read.
    number: u64,
    bytes: u64,
}

impl<R: BufRead, P: FnMut(u64)> Reader<R, P> {
    fn next(&mut self) -> Result<Option<&[u8]>> {
        loop {
            self.buffer.clear();
            let read = self
                .lines
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| Error::invalid(format!("Could not read the export: {e}")))?;
            if read == 0 {
                return Ok(None);
            }
            self.number += 1;
            self.bytes += read as u64;
            (self.progress)(self.bytes);
            if !self.buffer.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(&self.buffer));
            }
        }
    }

    /// Invalid input on the line last read.
    fn invalid(&self, why: impl std::fmt::Display) -> Error {
        Error::invalid(format!("Line {} of the export: {why}", self.number))
    }
}
