//! PostgreSQL's binary COPY format (the "Binary Format" section of the `COPY` page of its manual),
//! decoded as the server streams it. A whole-table read as `COPY (SELECT ..) TO STDOUT (FORMAT
//! binary)` spares the server its text output functions (a time's above all) and the client the
//! driver's work per row; the fields are read in place from the server's messages.
//!
//! Anything the decoder cannot read is a connection error: the server sent what the store did not
//! ask for, so the connection is not trusted again.

use chrono::DateTime;

use crate::error::{Error, Result};
use crate::model::Timestamp;

/// The first bytes of every binary COPY stream.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Header flags a reader must understand: bits 0-15 change the format, bit 16 adds an OID field to
/// each row. The store asks for neither; bits 17-31 may be ignored.
const CRITICAL_FLAGS: u32 = 0x0001_ffff;

/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01T00:00:00Z.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// A stream of rows of `N` fields, fed in chunks as they arrive; a row may span chunks.
pub(super) struct CopyDecoder<const N: usize> {
    header_read: bool,
    trailer_read: bool,
    /// What the last chunk ended with of a row (or of the header) that it did not hold whole.
    partial: Vec<u8>,
}

impl<const N: usize> CopyDecoder<N> {
    pub(super) fn new() -> Self {
        CopyDecoder {
            header_read: false,
            trailer_read: false,
            partial: Vec::new(),
        }
    }

    /// Decodes the rows completed by `chunk`, calling `on_row` with each in order.
    pub(super) fn feed(
        &mut self,
        chunk: &[u8],
        mut on_row: impl FnMut(&CopyRow<'_, N>) -> Result<()>,
    ) -> Result<()> {
        if self.partial.is_empty() {
            // The server sends a message per row, so this is the usual case: no copy of the chunk.
            let used = self.decode(chunk, &mut on_row)?;
            self.partial.extend_from_slice(&chunk[used..]);
        } else {
            let mut data = std::mem::take(&mut self.partial);
            data.extend_from_slice(chunk);
            let used = self.decode(&data, &mut on_row)?;
            data.drain(..used);
            self.partial = data;
        }
        Ok(())
    }

    /// Checks that the stream ended where it may: after its trailer.
    pub(super) fn finish(self) -> Result<()> {
        if self.trailer_read {
            Ok(())
        } else {
            Err(malformed("it ended before its trailer"))
        }
    }

    /// Decodes the header, if not yet read, and the whole rows at the start of `data`; returns how
    /// many bytes they took.
    fn decode(
        &mut self,
        data: &[u8],
        on_row: &mut impl FnMut(&CopyRow<'_, N>) -> Result<()>,
    ) -> Result<usize> {
        let mut reader = Reader { data, at: 0 };
        if !self.header_read {
            if !reader.header()? {
                return Ok(0);
            }
            self.header_read = true;
        }
        loop {
            let start = reader.at;
            if start == data.len() {
                return Ok(start);
            }
            if self.trailer_read {
                return Err(malformed("data follows its trailer"));
            }
            match reader.row::<N>()? {
                Some(Some(row)) => on_row(&row)?,
                Some(None) => self.trailer_read = true,
                None => return Ok(start),
            }
        }
    }
}

/// The fields of one row, `None` for NULL, with accessors that check each field is of its type.
pub(super) struct CopyRow<'a, const N: usize> {
    fields: [Option<&'a [u8]>; N],
}

impl<'a, const N: usize> CopyRow<'a, N> {
    pub(super) fn is_null(&self, i: usize) -> bool {
        matches!(self.fields.get(i), Some(None))
    }

    pub(super) fn text(&self, i: usize) -> Result<&'a str> {
        text(i, self.value(i)?)
    }

    pub(super) fn optional_text(&self, i: usize) -> Result<Option<&'a str>> {
        self.optional(i)?.map(|value| text(i, value)).transpose()
    }

    pub(super) fn int8(&self, i: usize) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array(i, "an int8")?))
    }

    pub(super) fn bool(&self, i: usize) -> Result<bool> {
        match self.value(i)? {
            [0] => Ok(false),
            [1] => Ok(true),
            _ => Err(malformed(format!("field {i} is not a bool"))),
        }
    }

    /// A `timestamptz`: microseconds since PostgreSQL's epoch.
    pub(super) fn timestamp(&self, i: usize) -> Result<Timestamp> {
        let micros = i64::from_be_bytes(self.array(i, "a timestamp")?);
        micros
            .checked_add(POSTGRES_EPOCH_MICROS)
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(|| malformed(format!("field {i} is a time out of range")))
    }

    fn optional(&self, i: usize) -> Result<Option<&'a [u8]>> {
        self.fields
            .get(i)
            .copied()
            .ok_or_else(|| malformed(format!("a row has {N} fields, not field {i}")))
    }

    fn value(&self, i: usize) -> Result<&'a [u8]> {
        self.optional(i)?
            .ok_or_else(|| malformed(format!("field {i} is NULL")))
    }

    fn array<const L: usize>(&self, i: usize, kind: &str) -> Result<[u8; L]> {
        self.value(i)?
            .try_into()
            .map_err(|_| malformed(format!("field {i} is not {kind}")))
    }
}

/// Reads from `data` at `at`.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Reads the header: false if `data` does not hold it all yet.
    fn header(&mut self) -> Result<bool> {
        let (Some(signature), Some(flags), Some(extension)) =
            (self.take(11), self.u32(), self.u32())
        else {
            return Ok(false);
        };
        if signature != SIGNATURE {
            return Err(malformed(
                "it does not start with the binary COPY signature",
            ));
        }
        if flags & CRITICAL_FLAGS != 0 {
            return Err(malformed(format!("its header has flags {flags:#x}")));
        }
        let extension = usize::try_from(extension)
            .map_err(|_| malformed("its header extension is too long"))?;
        Ok(self.take(extension).is_some())
    }

    /// The next row; `Some(None)` for the trailer, `None` if `data` does not hold it all yet.
    fn row<const N: usize>(&mut self) -> Result<Option<Option<CopyRow<'a, N>>>> {
        let Some(count) = self.take(2) else {
            return Ok(None);
        };
        let count = i16::from_be_bytes([count[0], count[1]]);
        if count == -1 {
            return Ok(Some(None));
        }
        if usize::try_from(count).ok() != Some(N) {
            return Err(malformed(format!("a row has {count} fields, not {N}")));
        }
        let mut fields = [None; N];
        for field in &mut fields {
            let Some(length) = self.u32() else {
                return Ok(None);
            };
            // A length of -1 is NULL; no other negative length is valid.
            if length == u32::MAX {
                continue;
            }
            let length = i32::try_from(length)
                .ok()
                .and_then(|length| usize::try_from(length).ok())
                .ok_or_else(|| malformed("a field has a negative length"))?;
            match self.take(length) {
                Some(value) => *field = Some(value),
                None => return Ok(None),
            }
        }
        Ok(Some(Some(CopyRow { fields })))
    }

    fn take(&mut self, length: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(length)?;
        let taken = self.data.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }

    fn u32(&mut self) -> Option<u32> {
        let bytes = self.take(4)?;
        Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }
}

fn text(i: usize, value: &[u8]) -> Result<&str> {
    std::str::from_utf8(value).map_err(|_| malformed(format!("field {i} is not UTF-8")))
}

fn malformed(what: impl std::fmt::Display) -> Error {
    Error::connection(format!(
        "The server's binary COPY data could not be read: {what}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream as the server would send it: the header, the rows, the trailer.
    fn stream(rows: &[&[Option<&[u8]>]]) -> Vec<u8> {
        let mut data = SIGNATURE.to_vec();
        data.extend_from_slice(&[0; 8]);
        for row in rows {
            data.extend_from_slice(&i16::try_from(row.len()).unwrap().to_be_bytes());
            for field in *row {
                match field {
                    None => data.extend_from_slice(&(-1i32).to_be_bytes()),
                    Some(value) => {
                        data.extend_from_slice(&i32::try_from(value.len()).unwrap().to_be_bytes());
                        data.extend_from_slice(value);
                    }
                }
            }
        }
        data.extend_from_slice(&(-1i16).to_be_bytes());
        data
    }

    /// A reference-like row: text, nullable text, int8, timestamp, bool.
    type Row = (String, Option<String>, i64, Timestamp, bool);

    /// Decodes `data` fed in chunks of `chunk` bytes.
    fn decode(data: &[u8], chunk: usize) -> Result<Vec<Row>> {
        let mut decoder = CopyDecoder::<5>::new();
        let mut rows = Vec::new();
        for piece in data.chunks(chunk) {
            decoder.feed(piece, |row| {
                rows.push((
                    row.text(0)?.to_owned(),
                    row.optional_text(1)?.map(str::to_owned),
                    row.int8(2)?,
                    row.timestamp(3)?,
                    row.bool(4)?,
                ));
                Ok(())
            })?;
        }
        decoder.finish()?;
        Ok(rows)
    }

    fn micros_since_2000(time: &str) -> [u8; 8] {
        let time = DateTime::parse_from_rfc3339(time).unwrap();
        let epoch = DateTime::parse_from_rfc3339("2000-01-01T00:00:00Z").unwrap();
        (time - epoch).num_microseconds().unwrap().to_be_bytes()
    }

    fn good() -> Vec<u8> {
        let time = micros_since_2000("2024-05-06T07:08:09.123Z");
        let early = micros_since_2000("1999-12-31T23:59:59.999Z");
        stream(&[
            &[
                Some(b"file-\xc3\xa9"),
                None,
                Some(&42i64.to_be_bytes()),
                Some(&time),
                Some(&[1]),
            ],
            &[
                Some(b"f2"),
                Some(b"job"),
                Some(&(-1i64).to_be_bytes()),
                Some(&early),
                Some(&[0]),
            ],
        ])
    }

    fn is_malformed(result: Result<Vec<Row>>, what: &str) {
        match result {
            Err(Error::Connection { message, .. }) => {
                assert!(message.contains(what), "{message} should say {what}")
            }
            other => panic!("expected a connection error saying {what}, got {other:?}"),
        }
    }

    #[test]
    fn decodes_the_rows_whatever_the_chunks() {
        let data = good();
        let expected = vec![
            (
                "file-é".to_owned(),
                None,
                42,
                DateTime::parse_from_rfc3339("2024-05-06T07:08:09.123Z")
                    .unwrap()
                    .to_utc(),
                true,
            ),
            (
                "f2".to_owned(),
                Some("job".to_owned()),
                -1,
                DateTime::parse_from_rfc3339("1999-12-31T23:59:59.999Z")
                    .unwrap()
                    .to_utc(),
                false,
            ),
        ];
        for chunk in [1, 2, 3, 7, 19, 20, data.len()] {
            assert_eq!(decode(&data, chunk).unwrap(), expected, "chunks of {chunk}");
        }
    }

    #[test]
    fn a_stream_of_no_rows_is_empty() {
        assert_eq!(decode(&stream(&[]), 5).unwrap(), vec![]);
    }

    #[test]
    fn a_header_extension_is_skipped_and_unknown_optional_flags_ignored() {
        let mut data = SIGNATURE.to_vec();
        data.extend_from_slice(&(1u32 << 20).to_be_bytes());
        data.extend_from_slice(&3u32.to_be_bytes());
        data.extend_from_slice(b"abc");
        data.extend_from_slice(&stream(&[])[19..]);
        assert_eq!(decode(&data, 4).unwrap(), vec![]);
    }

    #[test]
    fn a_stream_cut_short_anywhere_is_malformed() {
        let data = good();
        for end in 0..data.len() {
            is_malformed(decode(&data[..end], 3), "ended before its trailer");
        }
    }

    #[test]
    fn data_after_the_trailer_is_malformed() {
        let mut data = good();
        data.push(0);
        is_malformed(decode(&data, 8), "follows its trailer");
    }

    #[test]
    fn a_row_of_another_field_count_is_malformed() {
        is_malformed(decode(&stream(&[&[None; 4]]), 64), "4 fields, not 5");
        is_malformed(decode(&stream(&[&[None; 6]]), 64), "6 fields, not 5");
    }

    #[test]
    fn null_where_a_value_is_required_is_malformed() {
        let time = micros_since_2000("2024-05-06T07:08:09Z");
        let eight = 8i64.to_be_bytes();
        let fields = [Some(&b"f"[..]), None, Some(&eight), Some(&time), Some(&[1])];
        for required in [0, 2, 3, 4] {
            let mut row = fields;
            row[required] = None;
            is_malformed(
                decode(&stream(&[&row]), 64),
                &format!("field {required} is NULL"),
            );
        }
    }

    #[test]
    fn invalid_utf8_is_malformed() {
        let time = micros_since_2000("2024-05-06T07:08:09Z");
        let eight = 8i64.to_be_bytes();
        let row = [
            Some(&b"f\xff"[..]),
            None,
            Some(&eight),
            Some(&time),
            Some(&[1]),
        ];
        is_malformed(decode(&stream(&[&row]), 64), "field 0 is not UTF-8");
    }

    #[test]
    fn a_value_of_the_wrong_size_or_range_is_malformed() {
        let time = micros_since_2000("2024-05-06T07:08:09Z");
        let eight = 8i64.to_be_bytes();
        let row = [Some(&b"f"[..]), None, Some(&eight), Some(&time), Some(&[1])];
        let mut short = row;
        short[2] = Some(&eight[..4]);
        is_malformed(decode(&stream(&[&short]), 64), "field 2 is not an int8");
        let mut two = row;
        two[4] = Some(&[2]);
        is_malformed(decode(&stream(&[&two]), 64), "field 4 is not a bool");
        let infinity = i64::MAX.to_be_bytes();
        let mut infinite = row;
        infinite[3] = Some(&infinity);
        is_malformed(
            decode(&stream(&[&infinite]), 64),
            "field 3 is a time out of range",
        );
    }

    #[test]
    fn a_bad_header_or_length_is_malformed() {
        let mut data = good();
        data[0] = b'X';
        is_malformed(decode(&data, 64), "signature");
        let mut data = good();
        data[12] = 1; // bit 16: OIDs in each row
        is_malformed(decode(&data, 64), "flags 0x10000");
        let mut data = stream(&[]);
        let trailer = data.split_off(19);
        data.extend_from_slice(&5i16.to_be_bytes());
        data.extend_from_slice(&(-2i32).to_be_bytes());
        data.extend_from_slice(&trailer);
        is_malformed(decode(&data, 64), "negative length");
    }
}
