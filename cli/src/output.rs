//! How reports look to people: aligned columns, times in RFC 3339, keys as the store's messages show
//! them. JSON comes from the reports' `Serialize`, with times and keys as plain JSON values.

use std::fmt;

use chrono::SecondsFormat;
use serde::{Serialize, Serializer};
use sleeper_pg::{keys, KeyValue, Timestamp};

use crate::commands::{
    ApplyReport, Counts, ExportReport, FileReferenceRow, ImportReport, Migration, PartitionTree,
    Status, UnreferencedFile,
};
use crate::schema::{self, State};

/// A report as text for people, ending with a newline unless empty.
pub trait Human {
    fn human(&self) -> String;
}

/// A time as RFC 3339 in UTC with milliseconds, the store's precision: `2024-01-01T10:00:00.000Z`.
pub struct Time(pub Timestamp);

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A row key value: in JSON a number, a string, or bytes as lowercase hex (the row key types say
/// which); for people as in the store's messages (strings quoted, bytes as `0x...`).
pub struct Key(pub KeyValue);

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&keys::describe(&self.0))
    }
}

impl Serialize for Key {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            KeyValue::Int(value) => serializer.serialize_i32(*value),
            KeyValue::Long(value) => serializer.serialize_i64(*value),
            KeyValue::String(value) => serializer.serialize_str(value),
            KeyValue::Bytes(value) => {
                let hex: String = value.iter().map(|byte| format!("{byte:02x}")).collect();
                serializer.serialize_str(&hex)
            }
        }
    }
}

/// Rows of cells as columns two spaces apart, each as wide as its widest cell; the columns numbered
/// in `right` (numbers, and their heading) are aligned right.
fn columns(rows: &[Vec<String>], right: &[usize]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        widths.resize(widths.len().max(row.len()), 0);
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            if column > 0 {
                line.push_str("  ");
            }
            let width = widths[column];
            if right.contains(&column) {
                line.push_str(&format!("{cell:>width$}"));
            } else if column + 1 < row.len() {
                line.push_str(&format!("{cell:<width$}"));
            } else {
                // Nothing follows the last column: no padding to leave at the end of the line.
                line.push_str(cell);
            }
        }
        text.push_str(&line);
        text.push('\n');
    }
    text
}

fn or_dash(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "-".to_owned(), |value| value.to_string())
}

/// One name a line, with no heading: `tables` and `gc-candidates`, ready for `xargs`.
impl Human for Vec<String> {
    fn human(&self) -> String {
        self.iter().map(|name| format!("{name}\n")).collect()
    }
}

impl Human for Migration {
    fn human(&self) -> String {
        let mut text: String = self
            .newly_applied
            .iter()
            .map(|version| {
                let description = schema::description(*version).unwrap_or_default();
                format!("applied {version:04} {description}\n")
            })
            .collect();
        let (schema, version, bundled) = (&self.schema, self.version, self.bundled_version);
        text.push_str(&match self.state {
            State::Current => format!("schema \"{schema}\": version {version}, current\n"),
            State::Behind => format!(
                "schema \"{schema}\": version {version}, behind this sleeper-pg's version {bundled}: \
                 run sleeper-pg migrate\n"
            ),
            State::Ahead => format!(
                "schema \"{schema}\": version {version}, ahead of this sleeper-pg's version {bundled}\n"
            ),
        });
        text
    }
}

impl Human for Status {
    fn human(&self) -> String {
        let line = |name: &str, value: String| vec![name.to_owned(), value];
        columns(
            &[
                line("table", self.table.clone()),
                line("partitions", self.partitions.to_string()),
                line("leaf partitions", self.leaf_partitions.to_string()),
                line("files", self.files.to_string()),
                line("references", self.references.to_string()),
                line(
                    "references with no job",
                    self.references_with_no_job.to_string(),
                ),
                line("jobs in flight", self.jobs_in_flight.to_string()),
                line("unreferenced files", self.unreferenced_files.to_string()),
                line(
                    "oldest reference with no job",
                    or_dash(self.oldest_reference_with_no_job.as_ref()),
                ),
                line(
                    "oldest unreferenced file",
                    or_dash(self.oldest_unreferenced_file.as_ref()),
                ),
            ],
            &[],
        )
    }
}

/// The tree indented two spaces a level, then whether each partition is a leaf and its range on each
/// row key field, `[min, max)`.
impl Human for PartitionTree {
    fn human(&self) -> String {
        let heading = ["PARTITION", "LEAF"]
            .into_iter()
            .map(str::to_owned)
            .chain(self.row_keys.iter().map(|field| field.name.clone()))
            .collect();
        let rows = self.partitions.iter().map(|partition| {
            let ranges = self.row_keys.iter().map(|field| {
                match partition.ranges.iter().find(|r| r.field == field.name) {
                    Some(range) => format!(
                        "[{}, {})",
                        range.min,
                        range.max.as_ref().map_or("∞".to_owned(), Key::to_string)
                    ),
                    None => "-".to_owned(),
                }
            });
            [
                format!("{}{}", "  ".repeat(partition.depth), partition.id),
                if partition.leaf { "yes" } else { "no" }.to_owned(),
            ]
            .into_iter()
            .chain(ranges)
            .collect()
        });
        columns(
            &std::iter::once(heading).chain(rows).collect::<Vec<_>>(),
            &[],
        )
    }
}

impl Human for Vec<FileReferenceRow> {
    fn human(&self) -> String {
        let heading = ["FILENAME", "PARTITION", "ROWS", "JOB", "LAST UPDATE"]
            .map(str::to_owned)
            .to_vec();
        let rows = self.iter().map(|r| {
            let approximate = if r.rows_approximate { "~" } else { "" };
            vec![
                r.filename.clone(),
                r.partition.clone(),
                format!("{approximate}{}", r.rows),
                or_dash(r.job.as_ref()),
                or_dash(r.last_update.as_ref()),
            ]
        });
        columns(
            &std::iter::once(heading).chain(rows).collect::<Vec<_>>(),
            &[2],
        )
    }
}

impl Human for Vec<UnreferencedFile> {
    fn human(&self) -> String {
        let heading = vec!["FILENAME".to_owned(), "LAST UPDATE".to_owned()];
        let rows = self
            .iter()
            .map(|file| vec![file.filename.clone(), or_dash(file.last_update.as_ref())]);
        columns(
            &std::iter::once(heading).chain(rows).collect::<Vec<_>>(),
            &[],
        )
    }
}

/// Named values, one a line, the values in a column.
fn named(lines: &[(&str, String)]) -> String {
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|(name, value)| vec![(*name).to_owned(), value.clone()])
        .collect();
    columns(&rows, &[])
}

impl Counts {
    fn lines(&self) -> [(&'static str, String); 3] {
        [
            ("partitions", self.partitions.to_string()),
            ("files", self.files.to_string()),
            ("references", self.references.to_string()),
        ]
    }
}

impl Human for ExportReport {
    fn human(&self) -> String {
        let head = [
            ("table", self.table.clone()),
            ("written to", or_dash(self.output.as_ref())),
        ];
        named(&[&head[..], &self.counts.lines()].concat())
    }
}

impl Human for ImportReport {
    fn human(&self) -> String {
        let head = [
            ("table", self.table.clone()),
            ("read from", self.file.clone()),
            ("exported from", self.exported_from.clone()),
        ];
        named(&[&head[..], &self.counts.lines()].concat())
    }
}

/// The counts, then the parts skipped, if any, as a table after a blank line.
impl Human for ApplyReport {
    fn human(&self) -> String {
        let mut text = named(&[
            ("table", self.table.clone()),
            ("entries applied", self.entries.to_string()),
            ("parts skipped", self.skipped.len().to_string()),
        ]);
        if !self.skipped.is_empty() {
            let heading = ["ENTRY", "REQUEST", "ERROR"].map(str::to_owned).to_vec();
            let rows = self.skipped.iter().map(|part| {
                vec![
                    part.entry.to_string(),
                    part.request.to_string(),
                    part.error.clone(),
                ]
            });
            text.push('\n');
            text.push_str(&columns(
                &std::iter::once(heading).chain(rows).collect::<Vec<_>>(),
                &[0, 1],
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_left_and_numbers_right_with_no_trailing_spaces() {
        let rows = [
            vec!["NAME".to_owned(), "ROWS".to_owned(), "JOB".to_owned()],
            vec!["a".to_owned(), "5".to_owned(), "-".to_owned()],
            vec!["longer".to_owned(), "1000".to_owned(), "job-1".to_owned()],
        ];
        assert_eq!(
            columns(&rows, &[1]),
            "NAME    ROWS  JOB\na          5  -\nlonger  1000  job-1\n"
        );
    }

    #[test]
    fn keys_are_plain_json_values() {
        let json = |value| serde_json::to_string(&Key(value)).unwrap();
        assert_eq!(json(KeyValue::Long(-5)), "-5");
        assert_eq!(json(KeyValue::String("a\"b".into())), r#""a\"b""#);
        assert_eq!(json(KeyValue::Bytes(vec![0, 255])), r#""00ff""#);
    }
}
