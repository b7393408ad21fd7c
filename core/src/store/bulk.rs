//! Large adds of new files through binary `COPY` (`CONTRACT.md` 3.4's add, when a call carries many
//! references). A new file's rows can only clash with a row another call adds, which the primary
//! keys refuse, so such an add needs no read first: one statement takes the table lock and inserts the
//! file rows, a `COPY` writes the reference rows straight into their table, and the add commits. If a
//! file turns out to exist, nothing is written and the caller runs the ordinary add, whose checks
//! report it as the contract says.

use std::collections::HashSet;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::{PgConnection, Row};

use super::files::{record_added, NewFile};
use super::StateStore;
use crate::client::{retrying, sqlstate, Failure};
use crate::connection::Session;
use crate::error::Result;
use crate::feed::recording;
use crate::model::{FileReference, Timestamp};

/// From this many references an add goes through `COPY`. It takes five round trips (`BEGIN`, start,
/// `COPY` and its data, `COMMIT`) where the ordinary add takes two (read, write), and saves about
/// 1.7 us per reference of client and server time: measured on one machine, `COPY` is ahead from
/// about 50 references, but a network with 0.5 ms round trips moves that to about 900.
pub const COPY_FROM_REFERENCES: usize = 512;

/// Takes the table lock (raising `P0002` if the table is gone), inserts the file rows, and gives the
/// version and time the reference rows carry (see `start_bulk_add` in the migrations).
const START: &str = "SELECT seq, at FROM {s}.start_bulk_add($1, $2, $3, $4)";

pub(super) const COPY_REFERENCES: &str = "COPY {s}.file_references (table_pk, filename, partition_id, \
     number_of_rows, job_id, count_approximate, only_this_partition, removed, updated_at, update_seq) \
     FROM STDIN (FORMAT binary)";

/// Copy data is sent in messages of about this size, each encoded while the one before is on its way.
const MESSAGE_BYTES: usize = 1 << 20;

/// Whether `files` is worth adding by `COPY`: many references, no filename or (file, partition) pair
/// repeated within the call (which the ordinary add reports in its order of checks), and every value
/// short enough for a field.
pub(super) fn worth_copying(files: &[NewFile<'_>]) -> bool {
    let references: usize = files.iter().map(|f| f.references.len()).sum();
    if references < COPY_FROM_REFERENCES {
        return false;
    }
    let mut filenames = HashSet::with_capacity(files.len());
    files.iter().all(|file| {
        filenames.insert(file.filename)
            && fits_a_field(file.filename)
            && file.references.iter().all(|r| {
                fits_a_field(&r.partition_id) && r.job_id.as_deref().is_none_or(fits_a_field)
            })
            && partitions_distinct(&file.references)
    })
}

/// Whether the value fits a `COPY` field, whose length is 32 bits (PostgreSQL refuses any value over
/// 1 GB anyway; the ordinary add sends it and reports the server's error).
fn fits_a_field(value: &str) -> bool {
    value.len() <= 1 << 30
}

/// Whether no two of a file's references share a partition. A file has few references, usually one
/// or two, so comparing each pair costs less than hashing them.
fn partitions_distinct(references: &[&FileReference]) -> bool {
    if references.len() > 16 {
        let mut partitions = HashSet::with_capacity(references.len());
        return references
            .iter()
            .all(|r| partitions.insert(r.partition_id.as_str()));
    }
    references.iter().enumerate().all(|(i, reference)| {
        references[..i]
            .iter()
            .all(|earlier| earlier.partition_id != reference.partition_id)
    })
}

impl StateStore {
    /// Adds `files` as new files by `COPY`, all or nothing: true once committed, false if one of
    /// them exists already (nothing written).
    pub(super) async fn copy_new_files(&self, files: &[NewFile<'_>]) -> Result<bool> {
        let client = &self.inner.client;
        let start = self.sql(&if client.change_feed {
            recording(START, "true", 4)
        } else {
            START.to_owned()
        });
        let copy_references = self.sql(COPY_REFERENCES);
        let filenames: Vec<&str> = files.iter().map(|f| f.filename).collect();
        retrying!(client, async {
            let mut session = Session::begin(client).await?;
            let copied = async {
                let started = self
                    .query(&start)
                    .bind(client.schema.lock_space)
                    .bind(self.inner.table_pk)
                    .bind(self.file_clock())
                    .bind(&filenames);
                let started = self
                    .bind_recorded(started, || record_added(files))
                    .fetch_one(session.connection())
                    .await?;
                self.note_followers(&started);
                let rows = Rows {
                    table_pk: self.inner.table_pk,
                    version: started.try_get(0)?,
                    at: started.try_get(1)?,
                };
                copy_in(
                    session.connection(),
                    &copy_references,
                    files,
                    |data, file| {
                        for reference in &file.references {
                            data.reference(
                                rows.table_pk,
                                file.filename,
                                reference,
                                rows.at,
                                rows.version,
                            );
                        }
                    },
                )
                .await
            }
            .await;
            match copied {
                Ok(()) => {}
                Err(error) => {
                    return match sqlstate(&error).as_deref() {
                        Some("P0002") => Err(Failure::Rejected(self.table_not_found())),
                        // Another call added one of the files first (the session, its
                        // transaction failed, is dropped with its connection).
                        Some("23505") => Ok(false),
                        _ => Err(error.into()),
                    };
                }
            }
            session
                .finish_write(client)
                .await
                .map_err(Failure::Uncertain)?;
            self.changed();
            tracing::debug!(
                table_id = self.table_id(),
                files = files.len(),
                "added files by COPY"
            );
            Ok::<_, Failure>(true)
        })
    }
}

/// Runs `statement`, a `COPY .. FROM STDIN (FORMAT binary)`, with the rows `encode` writes for each
/// item, sent in messages of about `MESSAGE_BYTES`.
pub(super) async fn copy_in<T>(
    connection: &mut PgConnection,
    statement: &str,
    items: impl IntoIterator<Item = T>,
    mut encode: impl FnMut(&mut CopyData, T),
) -> Result<(), sqlx::Error> {
    // The first message is ready before the statement starts, so the server never waits for it.
    let mut data = CopyData::start();
    let mut rest = items.into_iter();
    for item in rest.by_ref() {
        encode(&mut data, item);
        if data.bytes.len() >= MESSAGE_BYTES {
            break;
        }
    }
    let mut copy_in = connection.copy_in_raw(statement).await?;
    for item in rest {
        if data.bytes.len() >= MESSAGE_BYTES {
            copy_in.send(data.take()).await?;
        }
        encode(&mut data, item);
    }
    copy_in.send(data.end()).await?;
    copy_in.finish().await.map(drop)
}

/// What every reference row copied by one call shares.
struct Rows {
    table_pk: i64,
    at: Timestamp,
    version: i64,
}

/// PostgreSQL's binary `COPY` format: a header, then per row its field count and each field as a
/// length and the type's binary form (big-endian), then a trailer.
pub(super) struct CopyData {
    bytes: Vec<u8>,
}

impl CopyData {
    /// One live row of `file_references`, in the column order of `COPY_REFERENCES`.
    pub(super) fn reference(
        &mut self,
        table_pk: i64,
        filename: &str,
        reference: &FileReference,
        at: Timestamp,
        version: i64,
    ) {
        self.row(10);
        self.bigint(table_pk);
        self.text(filename);
        self.text(&reference.partition_id);
        self.bigint(i64::try_from(reference.number_of_rows).unwrap_or(i64::MAX));
        match &reference.job_id {
            Some(job_id) => self.text(job_id),
            None => self.null(),
        }
        self.boolean(reference.count_approximate);
        self.boolean(reference.only_contains_data_for_this_partition);
        self.boolean(false);
        self.timestamp(at);
        self.bigint(version);
    }

    fn start() -> CopyData {
        let mut bytes = Vec::with_capacity(MESSAGE_BYTES + 4096);
        bytes.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        bytes.extend_from_slice(&0_i32.to_be_bytes()); // flags
        bytes.extend_from_slice(&0_i32.to_be_bytes()); // header extension length
        CopyData { bytes }
    }

    /// The data so far, to send as one message.
    fn take(&mut self) -> Vec<u8> {
        std::mem::replace(&mut self.bytes, Vec::with_capacity(MESSAGE_BYTES + 4096))
    }

    fn end(mut self) -> Vec<u8> {
        self.bytes.extend_from_slice(&(-1_i16).to_be_bytes());
        self.bytes
    }

    pub(super) fn row(&mut self, fields: i16) {
        self.bytes.extend_from_slice(&fields.to_be_bytes());
    }

    fn field(&mut self, value: &[u8]) {
        // `worth_copying` keeps longer values out of `COPY`.
        let length = i32::try_from(value.len()).unwrap_or(i32::MAX);
        self.bytes.extend_from_slice(&length.to_be_bytes());
        self.bytes.extend_from_slice(value);
    }

    fn null(&mut self) {
        self.bytes.extend_from_slice(&(-1_i32).to_be_bytes());
    }

    pub(super) fn bigint(&mut self, value: i64) {
        self.field(&value.to_be_bytes());
    }

    pub(super) fn text(&mut self, value: &str) {
        self.field(value.as_bytes());
    }

    fn boolean(&mut self, value: bool) {
        self.field(&[u8::from(value)]);
    }

    /// Microseconds since PostgreSQL's epoch, 2000-01-01 00:00 UTC.
    pub(super) fn timestamp(&mut self, value: Timestamp) {
        let micros = (value - postgres_epoch()).num_microseconds().unwrap_or(0);
        self.bigint(micros);
    }
}

fn postgres_epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}
