//! How regions are kept in the `region` jsonb column: one `{"min": v, "max": v | null}` per row key
//! field, in dimension order. Integers are JSON numbers, strings JSON strings, byte strings lowercase
//! hex strings, so the column reads plainly from any SQL client.

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::model::{KeyType, KeyValue, Range, Region, RowKeyField};

/// A region already validated for the table: its ranges are in field order.
pub(crate) fn region_to_json(region: &Region) -> Value {
    Value::Array(
        region
            .ranges
            .iter()
            .map(|range| json!({"min": key_to_json(&range.min), "max": range.max.as_ref().map(key_to_json)}))
            .collect(),
    )
}

fn key_to_json(value: &KeyValue) -> Value {
    match value {
        KeyValue::Int(v) => json!(v),
        KeyValue::Long(v) => json!(v),
        KeyValue::String(s) => json!(s),
        KeyValue::Bytes(b) => Value::String(b.iter().map(|x| format!("{x:02x}")).collect()),
    }
}

pub(crate) fn region_from_json(value: &Value, row_keys: &[RowKeyField]) -> Result<Region> {
    let ranges = value
        .as_array()
        .filter(|r| r.len() == row_keys.len())
        .ok_or_else(unreadable)?;
    ranges
        .iter()
        .zip(row_keys)
        .map(|(range, field)| {
            let min = key_from_json(range.get("min").ok_or_else(unreadable)?, field.key_type)?;
            let max = match range.get("max") {
                None | Some(Value::Null) => None,
                Some(max) => Some(key_from_json(max, field.key_type)?),
            };
            Ok(Range::new(field.name.clone(), min, max))
        })
        .collect::<Result<Vec<_>>>()
        .map(Region::new)
}

fn key_from_json(value: &Value, key_type: KeyType) -> Result<KeyValue> {
    let key = match key_type {
        KeyType::Int => value
            .as_i64()
            .and_then(|v| i32::try_from(v).ok())
            .map(KeyValue::Int),
        KeyType::Long => value.as_i64().map(KeyValue::Long),
        KeyType::String => value.as_str().map(|s| KeyValue::String(s.to_owned())),
        KeyType::Bytes => value.as_str().and_then(hex_to_bytes).map(KeyValue::Bytes),
    };
    key.ok_or_else(unreadable)
}

fn hex_to_bytes(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

fn unreadable() -> Error {
    Error::connection("A stored partition region is unreadable")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_of_every_key_type_round_trips() {
        let row_keys = vec![
            RowKeyField::new("i", KeyType::Int),
            RowKeyField::new("l", KeyType::Long),
            RowKeyField::new("s", KeyType::String),
            RowKeyField::new("b", KeyType::Bytes),
        ];
        let region = Region::new(vec![
            Range::new("i", KeyValue::Int(i32::MIN), Some(KeyValue::Int(7))),
            Range::new("l", KeyValue::Long(i64::MIN), None),
            Range::new(
                "s",
                KeyValue::String("".into()),
                Some(KeyValue::String("\u{1F600}'\\".into())),
            ),
            Range::new(
                "b",
                KeyValue::Bytes(vec![]),
                Some(KeyValue::Bytes(vec![0x80, 0x00, 0xff])),
            ),
        ]);
        assert_eq!(
            region_from_json(&region_to_json(&region), &row_keys),
            Ok(region)
        );
    }
}
