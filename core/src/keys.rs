//! Row key values as Sleeper's Java code sees them: their ordering and which values fit a field
//! (`CONTRACT.md` 2.1 and 2.3).

use std::cmp::Ordering;

use crate::model::{KeyType, KeyValue, Range, Region, RowKeyField};

/// Compares two values of one type. Strings compare by UTF-16 code unit (Java `String.compareTo`),
/// byte strings by signed byte; a strict prefix comes first in both.
pub fn compare_keys(a: &KeyValue, b: &KeyValue) -> Option<Ordering> {
    match (a, b) {
        (KeyValue::Int(a), KeyValue::Int(b)) => Some(a.cmp(b)),
        (KeyValue::Long(a), KeyValue::Long(b)) => Some(a.cmp(b)),
        (KeyValue::String(a), KeyValue::String(b)) => Some(a.encode_utf16().cmp(b.encode_utf16())),
        (KeyValue::Bytes(a), KeyValue::Bytes(b)) => {
            Some(a.iter().map(|&x| x as i8).cmp(b.iter().map(|&x| x as i8)))
        }
        _ => None,
    }
}

/// The value as the field's type, or why it does not fit. An integer fits an `int` field when it is
/// within 32 bits, whichever integer variant carries it.
pub fn coerce_to_field(value: &KeyValue, key_type: KeyType) -> Result<KeyValue, String> {
    let fitted = match (key_type, value) {
        (KeyType::Int, KeyValue::Int(v)) => Some(KeyValue::Int(*v)),
        (KeyType::Int, KeyValue::Long(v)) => i32::try_from(*v).ok().map(KeyValue::Int),
        (KeyType::Long, KeyValue::Int(v)) => Some(KeyValue::Long(i64::from(*v))),
        (KeyType::Long, KeyValue::Long(v)) => Some(KeyValue::Long(*v)),
        (KeyType::String, KeyValue::String(s)) => Some(KeyValue::String(s.clone())),
        (KeyType::Bytes, KeyValue::Bytes(b)) => Some(KeyValue::Bytes(b.clone())),
        _ => None,
    };
    fitted.ok_or_else(|| {
        format!(
            "{} is not a valid value of type {}",
            describe(value),
            key_type.name()
        )
    })
}

/// A value as it appears in messages: numbers plainly, strings quoted, bytes in hex.
pub fn describe(value: &KeyValue) -> String {
    match value {
        KeyValue::Int(v) => v.to_string(),
        KeyValue::Long(v) => v.to_string(),
        KeyValue::String(s) => format!("{s:?}"),
        KeyValue::Bytes(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            format!("0x{hex}")
        }
    }
}

/// Checks a region against a table's row key fields (2.3, in order: fields, types, min < max) and
/// returns it with values of the fields' types and ranges in field order.
pub fn validate_region(region: &Region, row_keys: &[RowKeyField]) -> Result<Region, String> {
    for range in &region.ranges {
        if !row_keys.iter().any(|field| field.name == range.field_name) {
            return Err(format!(
                "no row key field is named \"{}\"",
                range.field_name
            ));
        }
    }
    let mut ranges = Vec::with_capacity(row_keys.len());
    for field in row_keys {
        let range = region
            .range(&field.name)
            .ok_or_else(|| format!("no range for row key field \"{}\"", field.name))?;
        ranges.push(range);
    }
    let mut typed = Vec::with_capacity(ranges.len());
    for (range, field) in ranges.iter().zip(row_keys) {
        let min = coerce_to_field(&range.min, field.key_type)
            .map_err(|why| format!("min of field \"{}\": {why}", field.name))?;
        let max = match &range.max {
            Some(max) => Some(
                coerce_to_field(max, field.key_type)
                    .map_err(|why| format!("max of field \"{}\": {why}", field.name))?,
            ),
            None => None,
        };
        typed.push(Range::new(field.name.clone(), min, max));
    }
    for range in &typed {
        if let Some(max) = &range.max {
            if compare_keys(&range.min, max) != Some(Ordering::Less) {
                return Err(format!(
                    "min {} is not less than max {} on field \"{}\"",
                    describe(&range.min),
                    describe(max),
                    range.field_name
                ));
            }
        }
    }
    Ok(Region::new(typed))
}

/// The smallest value greater than `value` (`CONTRACT.md` 2.2), which a bound written with other
/// inclusivity becomes in canonical form. `None` past the type's maximum: no upper bound. A string
/// has none the store can keep (it would end in U+0000), so one is refused as invalid input.
pub fn next_key(value: &KeyValue) -> crate::Result<Option<KeyValue>> {
    Ok(match value {
        KeyValue::Int(v) => v.checked_add(1).map(KeyValue::Int),
        KeyValue::Long(v) => v.checked_add(1).map(KeyValue::Long),
        KeyValue::String(_) => {
            return Err(crate::Error::invalid(format!(
                "The string bound {} has no next value the store can keep: it would end in U+0000",
                describe(value)
            )))
        }
        KeyValue::Bytes(b) => {
            let mut next = b.clone();
            next.push(0x80);
            Some(KeyValue::Bytes(next))
        }
    })
}

/// The region covering every key of the table: `[type minimum, no upper bound)` on each field.
pub fn whole_key_space(row_keys: &[RowKeyField]) -> Region {
    Region::new(
        row_keys
            .iter()
            .map(|field| Range::new(field.name.clone(), field.key_type.minimum(), None))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> KeyValue {
        KeyValue::String(v.to_owned())
    }

    fn b(v: &[u8]) -> KeyValue {
        KeyValue::Bytes(v.to_vec())
    }

    #[test]
    fn strings_compare_by_utf16_code_unit() {
        assert_eq!(
            compare_keys(&s("\u{1F600}"), &s("\u{FFFF}")),
            Some(Ordering::Less)
        );
        assert_eq!(compare_keys(&s("L"), &s("R")), Some(Ordering::Less));
        assert_eq!(compare_keys(&s("a"), &s("ab")), Some(Ordering::Less));
    }

    #[test]
    fn bytes_compare_by_signed_byte_with_prefix_first() {
        assert_eq!(compare_keys(&b(&[0x80]), &b(&[0x00])), Some(Ordering::Less));
        assert_eq!(compare_keys(&b(&[0x00]), &b(&[0x7f])), Some(Ordering::Less));
        assert_eq!(
            compare_keys(&b(&[0x01]), &b(&[0x01, 0x00])),
            Some(Ordering::Less)
        );
    }

    #[test]
    fn the_next_byte_string_appends_the_smallest_signed_byte() {
        assert_eq!(next_key(&b(&[1])), Ok(Some(b(&[1, 0x80]))));
        assert_eq!(compare_keys(&b(&[1]), &b(&[1, 0x80])), Some(Ordering::Less));
    }

    #[test]
    fn the_next_integer_past_the_maximum_is_no_bound() {
        assert_eq!(next_key(&KeyValue::Int(i32::MAX)), Ok(None));
        assert_eq!(next_key(&KeyValue::Long(7)), Ok(Some(KeyValue::Long(8))));
    }

    #[test]
    fn a_string_has_no_next_value_the_store_can_keep() {
        assert!(next_key(&s("a")).is_err());
    }

    #[test]
    fn values_of_different_kinds_do_not_compare() {
        assert_eq!(compare_keys(&KeyValue::Int(1), &KeyValue::Long(1)), None);
    }

    #[test]
    fn an_int_field_takes_a_long_within_32_bits_only() {
        assert_eq!(
            coerce_to_field(&KeyValue::Long(5), KeyType::Int),
            Ok(KeyValue::Int(5))
        );
        assert!(coerce_to_field(&KeyValue::Long(1 << 40), KeyType::Int).is_err());
    }
}
