//! The byte format that carries values across JNI in one array per call, instead of one JNI call per
//! field. Its Java twin is `sleeper.statestore.postgres.internal.WireWriter`/`WireReader`, and for
//! each model object the `WIRE` codec kept in its Java class (`FileReference.WIRE`, ...).
//!
//! Everything is little-endian. Java to Rust (read here by [`Reader`]): a string is an `i32` count of
//! UTF-16 code units and the units (count -1 for null), so that an unpaired surrogate reaches Rust and
//! is refused rather than silently replaced. Rust to Java (written by [`Writer`]): a string is an `i32`
//! index into the strings already sent in this answer (-1 for null); an index equal to their number
//! introduces a new one, followed by its UTF-8 length and bytes. A result with a million references
//! on a thousand partitions so sends each partition id once.
//!
//! Other values, both ways: `bool` one byte, `i32`, `i64`; a time is a presence byte and epoch
//! milliseconds (Java saturates an instant beyond the `long` range to `Long.MIN_VALUE` or
//! `Long.MAX_VALUE`, which the core classifies as it would the instant); a key value is a tag (0 int,
//! 1 long, 2 string, 3 bytes, 255 none) and its value; a list is an `i32` count and its items. A time
//! from Java has one of two meanings, read by [`Reader::update_time`] (a time the store keeps: refused
//! unless storable) or [`Reader::cutoff`] (a bound to compare with: every instant is valid).
//!
//! An error (Rust to Java, [`Writer::error`]) is derived from the core's error alone: the number of
//! its kind (`ErrorKind::number`), its message (UTF-8 length and bytes), its named fields
//! (`Error::fields`: a count, then each name and a tagged value, 0 text or 1 count), its requests (a
//! tag: 0 none, 1 split requests, 2 replace requests, then the list) and its cause (a presence byte
//! and the cause, encoded the same way). Java's `Errors` maps the kind number to the exception class.
//!
//! Client options (Java to Rust, [`Reader::client_options`]) are the URL and only the options the
//! caller set, each as its Java name and value: the core owns every default.

use std::collections::BTreeMap;
use std::time::Duration;

use rustc_hash::FxHashMap;
use sleeper_pg::{
    time, validate, AllReferencesToAFile, AllReferencesToAllFiles, AssignJobIdRequest, Change,
    CheckFileAssignmentsRequest, ClientOptions, ClientStats, Error, FieldValue, FileReference,
    KeyType, KeyValue, LocalPostgresOptions, LogReplay, Partition, Range, Region,
    ReplaceFileReferencesRequest, Result, RowKeyField, SplitFileReferenceRequest, TableStatus,
    Timestamp, TransactionFailure, TransactionOutcome,
};

const TAG_INT: u8 = 0;
const TAG_LONG: u8 = 1;
const TAG_STRING: u8 = 2;
const TAG_BYTES: u8 = 3;
const TAG_NONE: u8 = 255;

const FIELD_TEXT: u8 = 0;
const FIELD_COUNT: u8 = 1;

const REQUESTS_NONE: u8 = 0;
const REQUESTS_SPLIT: u8 = 1;
const REQUESTS_REPLACE: u8 = 2;

/// Data that does not follow the format: a bug in this binding, never the caller's input.
pub fn malformed(what: &str) -> Error {
    Error::state_store(format!(
        "sleeper-pg Java binding: malformed call data ({what})"
    ))
}

/// Reads the arguments Java encoded for one call.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(malformed("truncated"));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub fn bool(&mut self) -> Result<bool> {
        Ok(self.u8()? != 0)
    }

    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A count of items or units; negative only where null is allowed, which the callers check.
    fn count(&mut self) -> Result<usize> {
        usize::try_from(self.i32()?).map_err(|_| malformed("negative count"))
    }

    /// A string; `what` names it in the error for an unpaired surrogate.
    pub fn string(&mut self, what: &str) -> Result<String> {
        self.opt_string(what)?
            .ok_or_else(|| malformed("unexpected null string"))
    }

    pub fn opt_string(&mut self, what: &str) -> Result<Option<String>> {
        let units = self.i32()?;
        if units < 0 {
            return Ok(None);
        }
        let units = usize::try_from(units).map_err(|_| malformed("string length"))?;
        let bytes = self.take(
            units
                .checked_mul(2)
                .ok_or_else(|| malformed("string length"))?,
        )?;
        let code_units = bytes
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
        let mut text = String::with_capacity(units);
        for decoded in char::decode_utf16(code_units) {
            match decoded {
                Ok(c) => text.push(c),
                Err(_) => {
                    return Err(Error::invalid(format!(
                        "{what} must be valid Unicode: it has an unpaired surrogate"
                    )))
                }
            }
        }
        Ok(Some(text))
    }

    pub fn strings(&mut self, what: &str) -> Result<Vec<String>> {
        self.list(|r| r.string(what))
    }

    /// A time as Java sends it: epoch milliseconds, or `None` for null.
    fn millis(&mut self) -> Result<Option<i64>> {
        if !self.bool()? {
            return Ok(None);
        }
        self.i64().map(Some)
    }

    /// A time the store keeps (a fixed clock, a model object's time): one the store cannot keep is
    /// invalid input (`time::update_time_from_millis`).
    pub fn update_time(&mut self) -> Result<Option<Timestamp>> {
        self.millis()?
            .map(time::update_time_from_millis)
            .transpose()
    }

    /// A cutoff to compare stored times with: every instant is valid, one beyond what the store keeps
    /// moved to the nearest it can (`time::cutoff_from_millis`).
    pub fn cutoff(&mut self) -> Result<Option<Timestamp>> {
        Ok(self.millis()?.map(time::cutoff_from_millis))
    }

    pub fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        let count = self.count()?;
        // Every item takes at least one byte: a bound that stops a bad count from reserving memory.
        let mut items = Vec::with_capacity(count.min(self.bytes.len()));
        for _ in 0..count {
            items.push(item(self)?);
        }
        Ok(items)
    }

    /// Checks that every byte was read, then returns `value`.
    pub fn done<T>(self, value: T) -> Result<T> {
        if self.bytes.is_empty() {
            Ok(value)
        } else {
            Err(malformed("trailing bytes"))
        }
    }

    fn key_tagged(&mut self, tag: u8, what: &str) -> Result<KeyValue> {
        Ok(match tag {
            TAG_INT => KeyValue::Int(self.i32()?),
            TAG_LONG => KeyValue::Long(self.i64()?),
            TAG_STRING => KeyValue::String(self.string(what)?),
            TAG_BYTES => {
                let n = self.count()?;
                KeyValue::Bytes(self.take(n)?.to_vec())
            }
            _ => return Err(malformed("key tag")),
        })
    }

    pub fn key(&mut self, what: &str) -> Result<KeyValue> {
        let tag = self.u8()?;
        self.key_tagged(tag, what)
    }

    pub fn opt_key(&mut self, what: &str) -> Result<Option<KeyValue>> {
        match self.u8()? {
            TAG_NONE => Ok(None),
            tag => self.key_tagged(tag, what).map(Some),
        }
    }

    pub fn key_type(&mut self) -> Result<KeyType> {
        Ok(match self.u8()? {
            TAG_INT => KeyType::Int,
            TAG_LONG => KeyType::Long,
            TAG_STRING => KeyType::String,
            TAG_BYTES => KeyType::Bytes,
            _ => return Err(malformed("key type")),
        })
    }

    pub fn row_key_field(&mut self) -> Result<RowKeyField> {
        let name = self.string("row key field name")?;
        Ok(RowKeyField::new(name, self.key_type()?))
    }

    pub fn range(&mut self) -> Result<Range> {
        let field_name = self.string("field name")?;
        let min = self.key("min")?;
        let max = self.opt_key("max")?;
        Ok(Range::new(field_name, min, max))
    }

    pub fn region(&mut self) -> Result<Region> {
        Ok(Region::new(self.list(Self::range)?))
    }

    pub fn partition(&mut self) -> Result<Partition> {
        Ok(Partition {
            id: self.string("partition id")?,
            region: self.region()?,
            is_leaf_partition: self.bool()?,
            parent_partition_id: self.opt_string("parent partition id")?,
            child_partition_ids: self.strings("child partition id")?,
            dimension: self.i32()?,
        })
    }

    pub fn file_reference(&mut self) -> Result<FileReference> {
        Ok(FileReference {
            filename: self.string("filename")?,
            partition_id: self.string("partition id")?,
            number_of_rows: validate::number_of_rows_from_signed(self.i64()?)?,
            job_id: self.opt_string("job id")?,
            last_update_time: self.update_time()?,
            count_approximate: self.bool()?,
            only_contains_data_for_this_partition: self.bool()?,
        })
    }

    pub fn file(&mut self) -> Result<AllReferencesToAFile> {
        Ok(AllReferencesToAFile {
            filename: self.string("filename")?,
            references: self.list(Self::file_reference)?,
            last_update_time: self.update_time()?,
        })
    }

    pub fn split_request(&mut self) -> Result<SplitFileReferenceRequest> {
        let old_reference = self.file_reference()?;
        Ok(SplitFileReferenceRequest::new(
            old_reference,
            self.list(Self::file_reference)?,
        ))
    }

    pub fn replace_request(&mut self) -> Result<ReplaceFileReferencesRequest> {
        Ok(ReplaceFileReferencesRequest {
            job_id: self.string("job id")?,
            partition_id: self.string("partition id")?,
            input_files: self.strings("input filename")?,
            new_reference: self.file_reference()?,
        })
    }

    pub fn assign_request(&mut self) -> Result<AssignJobIdRequest> {
        Ok(AssignJobIdRequest {
            job_id: self.string("job id")?,
            partition_id: self.string("partition id")?,
            filenames: self.strings("filename")?,
        })
    }

    pub fn check_request(&mut self) -> Result<CheckFileAssignmentsRequest> {
        Ok(CheckFileAssignmentsRequest {
            job_id: self.string("job id")?,
            filenames: self.strings("filename")?,
            partition_id: self.string("partition id")?,
        })
    }

    /// A model object of the kind Java numbers it with (`WireKind`).
    pub fn model(&mut self, kind: i32) -> Result<Model> {
        Ok(match kind {
            0 => Model::RowKeyField(self.row_key_field()?),
            1 => Model::Range(self.range()?),
            2 => Model::Region(self.region()?),
            3 => Model::Partition(self.partition()?),
            4 => Model::FileReference(self.file_reference()?),
            5 => Model::File(self.file()?),
            6 => Model::SplitRequest(self.split_request()?),
            7 => Model::ReplaceRequest(self.replace_request()?),
            8 => Model::AssignRequest(self.assign_request()?),
            9 => Model::CheckRequest(self.check_request()?),
            _ => return Err(malformed("model kind")),
        })
    }

    /// A duration in milliseconds, or `None` for none; `what` names it when it is negative.
    fn opt_duration(&mut self, what: &str) -> Result<Option<Duration>> {
        self.millis()?
            .map(|millis| {
                u64::try_from(millis)
                    .map(Duration::from_millis)
                    .map_err(|_| {
                        Error::invalid(format!("{what} must not be negative, got {millis} ms"))
                    })
            })
            .transpose()
    }

    fn duration(&mut self, what: &str) -> Result<Duration> {
        self.opt_duration(what)?
            .ok_or_else(|| malformed("missing duration"))
    }

    fn count_option(&mut self, what: &str) -> Result<u32> {
        let value = self.i32()?;
        u32::try_from(value)
            .map_err(|_| Error::invalid(format!("{what} must not be negative, got {value}")))
    }

    /// The URL and the options the caller set, over the core's defaults. Each option is its Java name
    /// and value; the core checks the values when connecting.
    pub fn client_options(&mut self) -> Result<ClientOptions> {
        let mut options = ClientOptions::default();
        options.url = self.opt_string("url")?;
        for _ in 0..self.count()? {
            let name = self.string("option name")?;
            let what = name.as_str();
            match what {
                "maxConnections" => options.max_connections = self.count_option(what)?,
                "acquireTimeout" => options.acquire_timeout = self.duration(what)?,
                "connectTimeout" => options.connect_timeout = self.duration(what)?,
                "statementTimeout" => options.statement_timeout = self.opt_duration(what)?,
                "idleTimeout" => options.idle_timeout = self.opt_duration(what)?,
                "serverWaitTimeout" => options.server_wait_timeout = self.duration(what)?,
                "attemptTimeout" => options.attempt_timeout = self.opt_duration(what)?,
                "callTimeout" => options.call_timeout = self.opt_duration(what)?,
                "migrate" => options.migrate = self.bool()?,
                "schema" => options.schema = self.string(what)?,
                "statementCache" => options.statement_cache = self.bool()?,
                "retryMaxAttempts" => options.retry.max_attempts = self.count_option(what)?,
                "retryInitialBackoff" => options.retry.initial_backoff = self.duration(what)?,
                "retryMaxBackoff" => options.retry.max_backoff = self.duration(what)?,
                "replicaUrls" => options.replica_urls = self.strings(what)?,
                "replicaWait" => options.replica_wait = self.duration(what)?,
                "changeFeed" => options.change_feed = self.bool()?,
                _ => return Err(malformed("unknown client option")),
            }
        }
        Ok(options)
    }
}

impl Reader<'_> {
    /// The options of a local cluster that the caller set, over the core's defaults: durability (a
    /// presence byte and the value) and the server settings (a count of name and value pairs).
    pub fn local_postgres_options(&mut self) -> Result<LocalPostgresOptions> {
        let durable = if self.bool()? {
            Some(self.bool()?)
        } else {
            None
        };
        let settings =
            self.list(|r| Ok((r.string("setting name")?, r.string("setting value")?)))?;
        Ok(LocalPostgresOptions::default().with(|options| {
            if let Some(durable) = durable {
                options.durable = durable;
            }
            options.settings.extend(settings);
        }))
    }
}

/// A model object as Java sends it to be checked (`Native.validate`) or echoed back (tests).
pub enum Model {
    RowKeyField(RowKeyField),
    Range(Range),
    Region(Region),
    Partition(Partition),
    FileReference(FileReference),
    File(AllReferencesToAFile),
    SplitRequest(SplitFileReferenceRequest),
    ReplaceRequest(ReplaceFileReferencesRequest),
    AssignRequest(AssignJobIdRequest),
    CheckRequest(CheckFileAssignmentsRequest),
}

impl Model {
    /// The core's checks of the object (`CONTRACT.md` 8), which the Java constructors run.
    pub fn validate(&self) -> Result<()> {
        match self {
            Model::RowKeyField(field) => validate::field_name("row key field name", &field.name),
            Model::Range(range) => range.validate(),
            Model::Region(region) => region.validate(),
            Model::Partition(partition) => partition.validate(),
            Model::FileReference(reference) => reference.validate(),
            Model::File(file) => file.validate(),
            Model::SplitRequest(request) => request.validate(),
            Model::ReplaceRequest(request) => request.validate(),
            Model::AssignRequest(request) => request.validate(),
            Model::CheckRequest(request) => request.validate(),
        }
    }
}

/// Encodes one answer for Java.
pub struct Writer<'a> {
    buf: Vec<u8>,
    /// The strings sent so far that may come again, with their index.
    strings: FxHashMap<&'a str, i32>,
    /// The number of strings sent, looked up or not: the index of the next one.
    sent: i32,
    /// The last filename sent and its index: references come sorted by filename, so a file's references
    /// are consecutive, and filenames need no lookup.
    last_filename: Option<(&'a str, i32)>,
}

impl<'a> Writer<'a> {
    pub fn new() -> Self {
        Self::with_capacity(64)
    }

    pub fn with_capacity(bytes: usize) -> Self {
        Writer {
            buf: Vec::with_capacity(bytes),
            strings: FxHashMap::default(),
            sent: 0,
            last_filename: None,
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    pub fn u8(&mut self, value: u8) {
        self.buf.push(value);
    }

    pub fn bool(&mut self, value: bool) {
        self.buf.push(u8::from(value));
    }

    pub fn i32(&mut self, value: i32) {
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    pub fn i64(&mut self, value: i64) {
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    fn count(&mut self, n: usize) -> Result<()> {
        let n = i32::try_from(n).map_err(|_| {
            Error::state_store(format!(
                "The result has {n} items, more than a Java array can hold"
            ))
        })?;
        self.i32(n);
        Ok(())
    }

    pub fn string(&mut self, value: &'a str) -> Result<()> {
        match self.strings.get(value) {
            Some(&index) => {
                self.i32(index);
                Ok(())
            }
            None => {
                let index = self.new_string(value)?;
                self.strings.insert(value, index);
                Ok(())
            }
        }
    }

    /// Sends a string Java has not seen under any index, and returns its index.
    fn new_string(&mut self, value: &str) -> Result<i32> {
        let index = self.sent;
        self.sent = index
            .checked_add(1)
            .ok_or_else(|| malformed("too many strings"))?;
        self.i32(index);
        self.count(value.len())?;
        self.buf.extend_from_slice(value.as_bytes());
        Ok(index)
    }

    /// A string that is not kept for this answer's lifetime: sent anew, never looked up.
    pub fn owned_string(&mut self, value: &str) -> Result<()> {
        self.new_string(value).map(drop)
    }

    /// A filename: one lookup against the previous filename instead of the table.
    fn filename(&mut self, value: &'a str) -> Result<()> {
        match self.last_filename {
            Some((last, index)) if last == value => self.i32(index),
            _ => {
                let index = self.new_string(value)?;
                self.last_filename = Some((value, index));
            }
        }
        Ok(())
    }

    pub fn opt_string(&mut self, value: Option<&'a str>) -> Result<()> {
        match value {
            Some(value) => self.string(value),
            None => {
                self.i32(-1);
                Ok(())
            }
        }
    }

    pub fn strings(&mut self, values: &'a [String]) -> Result<()> {
        self.count(values.len())?;
        values.iter().try_for_each(|value| self.string(value))
    }

    pub fn time(&mut self, value: Option<Timestamp>) {
        match value {
            Some(time) => {
                self.bool(true);
                self.i64(time.timestamp_millis());
            }
            None => self.bool(false),
        }
    }

    /// A float as its IEEE 754 bits (Java's `Double.longBitsToDouble`).
    pub fn f64(&mut self, value: f64) {
        self.i64(value.to_bits() as i64);
    }

    /// An optional float: whether present, then the float.
    pub fn opt_f64(&mut self, value: Option<f64>) {
        self.bool(value.is_some());
        if let Some(value) = value {
            self.f64(value);
        }
    }

    /// `Client::stats`: per operation, its name, calls, failures (kind name, count), retries and
    /// duration histogram (count, sum, buckets (bound, cumulative count), p50, p99).
    pub fn client_stats(&mut self, stats: &'a ClientStats) -> Result<()> {
        self.list(&stats.operations, |w, operation| {
            w.string(&operation.operation)?;
            w.i64(count(operation.calls));
            w.count(operation.failures.len())?;
            for (kind, failures) in &operation.failures {
                w.string(kind)?;
                w.i64(count(*failures));
            }
            w.i64(count(operation.retries));
            let duration = &operation.duration;
            w.i64(count(duration.count));
            w.f64(duration.sum_seconds);
            w.list(&duration.buckets, |w, bucket| {
                w.f64(bucket.le_seconds);
                w.i64(count(bucket.count));
                Ok(())
            })?;
            w.opt_f64(duration.p50_seconds);
            w.opt_f64(duration.p99_seconds);
            Ok(())
        })
    }

    /// The size of the answer [`Writer::changes`] writes, near enough.
    pub fn changes_size(changes: &[Change]) -> usize {
        changes.iter().fold(4, |size, change| {
            size + 80 + change.transaction_json.as_ref().map_or(0, String::len)
        })
    }

    /// Change feed entries: per entry its number, its time (microseconds since the epoch), the
    /// transaction type's name, the transaction JSON (sent anew: each is different and may be
    /// large) or none, and the summary's four counts.
    pub fn changes(&mut self, changes: &'a [Change]) -> Result<()> {
        self.list(changes, |w, change| {
            w.i64(count(change.sequence));
            w.i64(change.recorded_at.timestamp_micros());
            w.string(change.transaction_type.name())?;
            match &change.transaction_json {
                Some(json) => w.owned_string(json)?,
                None => w.i32(-1),
            }
            let summary = &change.summary;
            for value in [
                summary.files,
                summary.references,
                summary.jobs,
                summary.partitions,
            ] {
                w.i64(count(value));
            }
            Ok(())
        })
    }

    /// `StateStore::status`: the seven counts in the order of `TableStatus`, then the two times.
    pub fn table_status(&mut self, status: &TableStatus) {
        for value in [
            status.partitions,
            status.leaf_partitions,
            status.files,
            status.references,
            status.references_with_no_job,
            status.jobs_in_flight,
            status.unreferenced_files,
        ] {
            self.i64(count(value));
        }
        self.time(status.oldest_reference_with_no_job);
        self.time(status.oldest_unreferenced_file);
    }

    pub fn list<T>(
        &mut self,
        items: &'a [T],
        mut item: impl FnMut(&mut Self, &'a T) -> Result<()>,
    ) -> Result<()> {
        self.count(items.len())?;
        items.iter().try_for_each(|value| item(self, value))
    }

    /// A byte string: its length and bytes.
    pub fn bytes(&mut self, value: &[u8]) -> Result<()> {
        self.count(value.len())?;
        self.buf.extend_from_slice(value);
        Ok(())
    }

    pub fn key(&mut self, value: &'a KeyValue) -> Result<()> {
        match value {
            KeyValue::Int(v) => {
                self.u8(TAG_INT);
                self.i32(*v);
            }
            KeyValue::Long(v) => {
                self.u8(TAG_LONG);
                self.i64(*v);
            }
            KeyValue::String(s) => {
                self.u8(TAG_STRING);
                self.string(s)?;
            }
            KeyValue::Bytes(b) => {
                self.u8(TAG_BYTES);
                self.bytes(b)?;
            }
        }
        Ok(())
    }

    pub fn key_type(&mut self, value: KeyType) {
        self.u8(match value {
            KeyType::Int => TAG_INT,
            KeyType::Long => TAG_LONG,
            KeyType::String => TAG_STRING,
            KeyType::Bytes => TAG_BYTES,
        });
    }

    pub fn row_key_field(&mut self, value: &'a RowKeyField) -> Result<()> {
        self.string(&value.name)?;
        self.key_type(value.key_type);
        Ok(())
    }

    pub fn range(&mut self, value: &'a Range) -> Result<()> {
        self.string(&value.field_name)?;
        self.key(&value.min)?;
        self.opt_key(value.max.as_ref())
    }

    pub fn opt_key(&mut self, value: Option<&'a KeyValue>) -> Result<()> {
        match value {
            Some(value) => self.key(value),
            None => {
                self.u8(TAG_NONE);
                Ok(())
            }
        }
    }

    pub fn partition(&mut self, value: &'a Partition) -> Result<()> {
        self.string(&value.id)?;
        self.list(&value.region.ranges, Self::range)?;
        self.bool(value.is_leaf_partition);
        self.opt_string(value.parent_partition_id.as_deref())?;
        self.strings(&value.child_partition_ids)?;
        self.i32(value.dimension);
        Ok(())
    }

    pub fn partitions(&mut self, values: &'a [Partition]) -> Result<()> {
        self.list(values, Self::partition)
    }

    pub fn file_reference(&mut self, value: &'a FileReference) -> Result<()> {
        self.filename(&value.filename)?;
        self.string(&value.partition_id)?;
        self.i64(i64::try_from(value.number_of_rows).map_err(|_| malformed("number of rows"))?);
        self.opt_string(value.job_id.as_deref())?;
        self.time(value.last_update_time);
        self.bool(value.count_approximate);
        self.bool(value.only_contains_data_for_this_partition);
        Ok(())
    }

    pub fn file_references(&mut self, values: &'a [FileReference]) -> Result<()> {
        self.list(values, Self::file_reference)
    }

    /// The bytes `file_references` needs at most, so that its buffer is allocated once.
    pub fn file_references_size(values: &[FileReference]) -> usize {
        values.iter().fold(4, |size, r| {
            size + 55
                + r.filename.len()
                + r.partition_id.len()
                + r.job_id.as_ref().map_or(0, String::len)
        })
    }

    pub fn file(&mut self, value: &'a AllReferencesToAFile) -> Result<()> {
        self.filename(&value.filename)?;
        self.file_references(&value.references)?;
        self.time(value.last_update_time);
        Ok(())
    }

    /// The bytes `all_files` needs at most.
    pub fn all_files_size(value: &AllReferencesToAllFiles) -> usize {
        value.files.iter().fold(5, |size, file| {
            size + 17 + file.filename.len() + Self::file_references_size(&file.references)
        })
    }

    pub fn all_files(&mut self, value: &'a AllReferencesToAllFiles) -> Result<()> {
        self.list(&value.files, Self::file)?;
        self.bool(value.more_than_max);
        Ok(())
    }

    pub fn split_request(&mut self, value: &'a SplitFileReferenceRequest) -> Result<()> {
        self.file_reference(&value.old_reference)?;
        self.file_references(&value.new_references)
    }

    pub fn replace_request(&mut self, value: &'a ReplaceFileReferencesRequest) -> Result<()> {
        self.string(&value.job_id)?;
        self.string(&value.partition_id)?;
        self.strings(&value.input_files)?;
        self.file_reference(&value.new_reference)
    }

    /// Partition id to filenames: the count of entries, then each id and its filenames.
    pub fn partition_to_files(&mut self, map: &'a BTreeMap<String, Vec<String>>) -> Result<()> {
        self.count(map.len())?;
        map.iter().try_for_each(|(partition_id, filenames)| {
            self.string(partition_id)?;
            self.strings(filenames)
        })
    }

    /// A skipped part of a transaction: its index and the error it failed with.
    pub fn transaction_failure(&mut self, value: &'a TransactionFailure) -> Result<()> {
        self.count(value.index)?;
        self.error(&value.error)
    }

    pub fn transaction_outcome(&mut self, value: &'a TransactionOutcome) -> Result<()> {
        self.list(&value.failures, Self::transaction_failure)
    }

    /// The entries applied, then each skipped part with the number of its entry.
    pub fn log_replay(&mut self, value: &'a LogReplay) -> Result<()> {
        self.i64(i64::try_from(value.entries).unwrap_or(i64::MAX));
        self.list(&value.failures, |w, (entry, failure)| {
            w.i64(i64::try_from(*entry).unwrap_or(i64::MAX));
            w.transaction_failure(failure)
        })
    }

    /// A string Java reads once, by its UTF-8 length and bytes, without an index.
    fn raw_string(&mut self, value: &str) -> Result<()> {
        self.bytes(value.as_bytes())
    }

    /// An error, derived from its kind, fields and cause (format at the top). Java's `Errors` reads it.
    pub fn error(&mut self, error: &'a Error) -> Result<()> {
        self.u8(error.kind().number());
        self.raw_string(&error.to_string())?;
        let fields = error.fields();
        self.count(fields.len())?;
        for (name, value) in fields {
            self.string(name)?;
            match value {
                FieldValue::Text(text) => {
                    self.u8(FIELD_TEXT);
                    self.string(text)?;
                }
                FieldValue::Count(count) => {
                    self.u8(FIELD_COUNT);
                    self.i64(i64::try_from(count).unwrap_or(i64::MAX));
                }
            }
        }
        match error {
            Error::SplitRequestsFailed { failed, .. } => {
                self.u8(REQUESTS_SPLIT);
                self.list(failed, Self::split_request)?;
            }
            Error::ReplaceRequestsFailed { failed, .. } => {
                self.u8(REQUESTS_REPLACE);
                self.list(failed, Self::replace_request)?;
            }
            _ => self.u8(REQUESTS_NONE),
        }
        self.bool(error.cause().is_some());
        match error.cause() {
            Some(cause) => self.error(cause),
            None => Ok(()),
        }
    }
}

/// A count as Java's `long`; no count reaches 2^63.
fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(value: &str) -> Vec<u8> {
        let units: Vec<u16> = value.encode_utf16().collect();
        let mut bytes = i32::try_from(units.len()).unwrap().to_le_bytes().to_vec();
        units
            .iter()
            .for_each(|u| bytes.extend_from_slice(&u.to_le_bytes()));
        bytes
    }

    #[test]
    fn a_string_with_an_emoji_is_read_back_exactly() {
        let bytes = utf16("a\u{1F600}b");
        let mut reader = Reader::new(&bytes);
        assert_eq!(reader.string("filename").unwrap(), "a\u{1F600}b");
        reader.done(()).unwrap();
    }

    #[test]
    fn an_unpaired_surrogate_is_invalid_input() {
        let mut bytes = 1_i32.to_le_bytes().to_vec();
        bytes.extend_from_slice(&0xD800_u16.to_le_bytes());
        let error = Reader::new(&bytes).string("filename").unwrap_err();
        assert!(matches!(error, Error::InvalidArgument { .. }));
    }

    #[test]
    fn a_repeated_string_is_sent_once() {
        let mut writer = Writer::new();
        writer.string("abc").unwrap();
        writer.string("abc").unwrap();
        let bytes = writer.into_bytes();
        assert_eq!(bytes.len(), 4 + 4 + 3 + 4);
        assert_eq!(&bytes[11..], &0_i32.to_le_bytes());
    }

    #[test]
    fn truncated_data_is_an_error_not_a_panic() {
        let bytes = 10_i32.to_le_bytes();
        assert!(Reader::new(&bytes).string("filename").is_err());
    }

    fn time_bytes(millis: i64) -> Vec<u8> {
        let mut bytes = vec![1];
        bytes.extend_from_slice(&millis.to_le_bytes());
        bytes
    }

    #[test]
    fn an_update_time_the_store_cannot_keep_is_invalid_input() {
        for millis in [i64::MAX, i64::MIN] {
            let error = Reader::new(&time_bytes(millis)).update_time().unwrap_err();
            assert!(matches!(error, Error::InvalidArgument { .. }), "{error:?}");
        }
    }

    #[test]
    fn every_instant_is_a_cutoff() {
        assert_eq!(Reader::new(&[0]).cutoff().unwrap(), None);
        for millis in [i64::MAX, i64::MIN, 0] {
            let bytes = time_bytes(millis);
            let cutoff = Reader::new(&bytes).cutoff().unwrap();
            assert_eq!(cutoff, Some(time::cutoff_from_millis(millis)));
        }
    }

    #[test]
    fn a_plain_error_with_a_cause_carries_it_after_a_presence_byte() {
        let plain = Error::state_store("Parent should be a leaf partition");
        let mut writer = Writer::new();
        writer.error(&plain).unwrap();
        let bytes = writer.into_bytes();
        assert_eq!(bytes.last(), Some(&0), "no cause");
        let caused = Error::state_store_caused_by(
            "Update results in invalid partition tree",
            "There should be exactly one root partition, found 2",
        );
        let mut writer = Writer::new();
        writer.error(&caused).unwrap();
        let bytes = writer.into_bytes();
        let reason = b"There should be exactly one root partition, found 2";
        // The reason, then its empty field list, no requests and no cause.
        let tail = [&reason[..], &0_i32.to_le_bytes(), &[REQUESTS_NONE, 0]].concat();
        assert!(bytes.ends_with(&tail));
    }

    #[test]
    fn a_negative_duration_is_invalid_input() {
        let mut bytes = (-1_i32).to_le_bytes().to_vec();
        bytes.extend(1_i32.to_le_bytes());
        bytes.extend(utf16("idleTimeout"));
        bytes.extend(time_bytes(-5));
        let error = Reader::new(&bytes).client_options().unwrap_err();
        assert_eq!(
            error,
            Error::invalid("idleTimeout must not be negative, got -5 ms")
        );
    }

    #[test]
    fn a_negative_row_count_is_invalid_input() {
        let mut bytes = utf16("f");
        bytes.extend(utf16("p"));
        bytes.extend_from_slice(&(-1_i64).to_le_bytes());
        let error = Reader::new(&bytes).file_reference().unwrap_err();
        assert!(matches!(error, Error::InvalidArgument { .. }));
    }
}
