//! Times as the store keeps them (`CONTRACT.md` section 7): UTC, whole milliseconds, within what a
//! PostgreSQL `timestamptz` holds. The bindings hand times over as epoch milliseconds and convert them
//! here, so that every language accepts and rejects the same instants.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{Error, Result};
use crate::model::Timestamp;

/// The earliest instant PostgreSQL stores: 4714-11-24 BC (ISO year -4713), midnight UTC.
fn earliest() -> Timestamp {
    NaiveDate::from_ymd_opt(-4713, 11, 24)
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc())
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The latest instant the store can take. PostgreSQL goes on to 294276 AD, but chrono, and so the
/// store's API, ends in 262143 AD: the nearer of the two.
fn latest() -> Timestamp {
    truncate_to_millis(DateTime::<Utc>::MAX_UTC)
}

/// Truncates a time to whole milliseconds, the precision of everything the store keeps.
pub fn truncate_to_millis(time: Timestamp) -> Timestamp {
    DateTime::from_timestamp_millis(time.timestamp_millis()).unwrap_or(time)
}

/// Checks that the store can keep `time` as an update time (a fixed clock): from 4714 BC to
/// 262143 AD. Outside that the database would refuse it, so it is refused here, as invalid input.
pub fn validate_update_time(time: Timestamp) -> Result<Timestamp> {
    if time < earliest() || time > latest() {
        return Err(out_of_range(time.timestamp_millis()));
    }
    Ok(truncate_to_millis(time))
}

/// An update time given as epoch milliseconds (Java `Instant.toEpochMilli`, C `spg_time_ms`).
pub fn update_time_from_millis(millis: i64) -> Result<Timestamp> {
    DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| out_of_range(millis))
        .and_then(validate_update_time)
}

/// A cutoff for a query such as `get_ready_for_gc_filenames_before`: any instant is a valid cutoff,
/// so one beyond what the store can keep is moved to the nearest it can, which compares the same way
/// with every stored time.
pub fn cutoff(time: Timestamp) -> Timestamp {
    truncate_to_millis(time.clamp(earliest(), latest()))
}

/// [`cutoff`] for epoch milliseconds: every `i64` is a valid cutoff.
pub fn cutoff_from_millis(millis: i64) -> Timestamp {
    match DateTime::from_timestamp_millis(millis) {
        Some(time) => cutoff(time),
        None if millis < 0 => earliest(),
        None => latest(),
    }
}

fn out_of_range(millis: i64) -> Error {
    Error::invalid(format!(
        "The time {millis} ms after 1970-01-01 is outside what the store can keep \
         (4714 BC to 262143 AD)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_instant_is_a_valid_cutoff() {
        assert_eq!(cutoff_from_millis(i64::MAX), latest());
        assert_eq!(cutoff_from_millis(i64::MIN), earliest());
    }

    #[test]
    fn a_cutoff_within_range_is_only_truncated_to_millis() {
        let time = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        assert_eq!(cutoff(time).timestamp_millis(), 1_700_000_000_123);
    }

    #[test]
    fn an_update_time_the_database_cannot_store_is_invalid() {
        assert!(matches!(
            update_time_from_millis(i64::MAX),
            Err(Error::InvalidArgument { .. })
        ));
        let before_4713_bc = earliest().timestamp_millis() - 1;
        assert!(matches!(
            update_time_from_millis(before_4713_bc),
            Err(Error::InvalidArgument { .. })
        ));
    }

    #[test]
    fn an_update_time_within_range_is_kept() {
        assert_eq!(
            update_time_from_millis(1_700_000_000_123).map(|t| t.timestamp_millis()),
            Ok(1_700_000_000_123)
        );
        assert!(update_time_from_millis(earliest().timestamp_millis()).is_ok());
    }
}
