//! Times as the store keeps them (`CONTRACT.md` section 7): UTC, whole milliseconds, within the years
//! 1 to 9999. PostgreSQL would keep more (4714 BC to 294276 AD), but Python's `datetime` ends at those
//! years, so a time outside them written from Java, C or Rust could not be read back from Python. The
//! bindings hand times over as epoch milliseconds or `datetime`s and convert them here, so that every
//! language accepts and rejects the same instants.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use crate::error::{Error, Result};
use crate::model::Timestamp;

/// The first instant the store keeps: 0001-01-01T00:00:00Z.
pub fn earliest() -> Timestamp {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc())
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The last instant the store keeps: 9999-12-31T23:59:59.999Z.
pub fn latest() -> Timestamp {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|date| date.and_hms_milli_opt(23, 59, 59, 999))
        .map(|time| time.and_utc())
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Truncates a time to whole milliseconds, the precision of everything the store keeps.
pub fn truncate_to_millis(time: Timestamp) -> Timestamp {
    DateTime::from_timestamp_millis(time.timestamp_millis()).unwrap_or(time)
}

/// Checks that the store can keep `time` as an update time (a fixed clock, or a log entry's time),
/// truncated to milliseconds; outside [`earliest`]..=[`latest`] it is invalid input.
pub fn validate_update_time(time: Timestamp) -> Result<Timestamp> {
    let time = truncate_to_millis(time);
    if time < earliest() || time > latest() {
        return Err(out_of_range(&time.to_rfc3339()));
    }
    Ok(time)
}

/// An update time given as epoch milliseconds (Java `Instant.toEpochMilli`, C `spg_time_ms`).
pub fn update_time_from_millis(millis: i64) -> Result<Timestamp> {
    DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| out_of_range(&format!("{millis} ms after 1970-01-01")))
        .and_then(validate_update_time)
}

/// A cutoff for a query such as `get_ready_for_gc_filenames_before`. Any instant is a valid cutoff:
/// one outside what the store keeps is moved to the nearest instant that compares the same way with
/// every stored time (the first kept instant, or the millisecond after the last).
pub fn cutoff(time: Timestamp) -> Timestamp {
    truncate_to_millis(time.clamp(earliest(), latest() + TimeDelta::milliseconds(1)))
}

/// [`cutoff`] for epoch milliseconds: every `i64` is a valid cutoff.
pub fn cutoff_from_millis(millis: i64) -> Timestamp {
    match DateTime::from_timestamp_millis(millis) {
        Some(time) => cutoff(time),
        None if millis < 0 => earliest(),
        None => cutoff(latest() + TimeDelta::milliseconds(1)),
    }
}

fn out_of_range(time: &str) -> Error {
    Error::invalid(format!(
        "The update time {time} is outside the years 1 to 9999 (UTC), which every language of the \
         store can read back"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis_after(time: Timestamp, millis: i64) -> i64 {
        time.timestamp_millis() + millis
    }

    #[test]
    fn the_largest_and_smallest_instants_are_valid_cutoffs() {
        assert_eq!(
            cutoff_from_millis(i64::MAX),
            latest() + TimeDelta::milliseconds(1)
        );
        assert_eq!(cutoff_from_millis(i64::MIN), earliest());
    }

    #[test]
    fn a_cutoff_past_the_last_kept_time_still_follows_it() {
        assert!(cutoff_from_millis(millis_after(latest(), 10)) > latest());
    }

    #[test]
    fn a_cutoff_within_range_is_only_truncated_to_millis() {
        let time = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        assert_eq!(cutoff(time).timestamp_millis(), 1_700_000_000_123);
    }

    #[test]
    fn an_update_time_outside_the_years_1_to_9999_is_invalid() {
        for millis in [
            i64::MAX,
            millis_after(earliest(), -1),
            millis_after(latest(), 1),
        ] {
            assert!(
                matches!(
                    update_time_from_millis(millis),
                    Err(Error::InvalidArgument { .. })
                ),
                "{millis}"
            );
        }
    }

    #[test]
    fn the_first_and_last_kept_instants_are_valid_update_times() {
        assert_eq!(
            update_time_from_millis(earliest().timestamp_millis()),
            Ok(earliest())
        );
        assert_eq!(
            update_time_from_millis(latest().timestamp_millis()),
            Ok(latest())
        );
    }
}
