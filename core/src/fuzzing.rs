//! Fuzz targets: every decoder of outside input, driven by arbitrary bytes. Not API: the cargo-fuzz
//! targets of `fuzz/` and the seeded stable test (`tests/fuzz_corpus.rs`) both call these functions,
//! so the two cannot drift apart. Each target only decodes, runs the checks the store would run next
//! (before anything reaches the database), and asserts what is cheap to assert: no panic, and that a
//! value that decodes is encoded and decoded back to itself.
//!
//! The first byte of an input picks what a decoder needs besides the bytes (a transaction type, the
//! table's row key types); the rest is the input itself, so a seed file is one byte and then
//! readable JSON or text.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::export::ExportWriter;
use crate::keys::{coerce_to_field, compare_keys, describe, next_key, validate_region};
use crate::model::{KeyType, KeyValue, Range, Region, RowKeyField};
use crate::partitions::{
    partitions_from_split_points, validate_extension, validate_split, validate_tree,
};
use crate::store::codec::{region_from_json, region_to_json};
use crate::{ClientOptions, TableExport, Transaction, TransactionLogEntry, TransactionType};

/// A fuzz target: decodes `data`, panicking only on a bug.
pub type Target = fn(&[u8]);

/// Every target of this crate, by the name of its cargo-fuzz target and corpus directory
/// (`fuzz/corpus/<name>/`). The C options target needs the `capi` feature.
pub fn targets() -> Vec<(&'static str, Target)> {
    #[allow(unused_mut)]
    let mut targets: Vec<(&'static str, Target)> = vec![
        ("transaction_json", transaction_json),
        ("transaction_log_line", transaction_log_line),
        ("connection_url", connection_url),
        ("region_json", region_json),
        ("key_values", key_values),
        ("export", export),
    ];
    #[cfg(feature = "capi")]
    targets.push(("capi_options", capi_options));
    targets
}

/// The row key fields of a table, picked by `selector`: each key type alone, and all four.
pub fn row_keys(selector: u8) -> Vec<RowKeyField> {
    let types = [KeyType::Int, KeyType::Long, KeyType::String, KeyType::Bytes];
    match selector % 5 {
        4 => ["i", "l", "s", "b"]
            .iter()
            .zip(types)
            .map(|(name, key_type)| RowKeyField::new(*name, key_type))
            .collect(),
        n => vec![RowKeyField::new("key", types[usize::from(n)])],
    }
}

/// `Transaction::from_json` (the JSON of Sleeper's `TransactionSerDe`). First byte: the low nibble
/// picks the transaction type, the high nibble the row keys. A transaction that reads is written
/// with `to_json` and reads back the same, and the partition checks it meets next do not panic.
pub fn transaction_json(data: &[u8]) {
    let Some((&selector, json)) = data.split_first() else {
        return;
    };
    let transaction_type = TransactionType::ALL[usize::from(selector & 0x0f) % 9];
    let row_keys = row_keys(selector >> 4);
    if let Ok(transaction) = Transaction::from_json(transaction_type, json, &row_keys) {
        check_transaction(&transaction, &row_keys);
    }
}

/// `TransactionLogEntry::from_json_line` (one line of a Sleeper transaction log file). First byte:
/// the row keys.
pub fn transaction_log_line(data: &[u8]) {
    let Some((&selector, line)) = data.split_first() else {
        return;
    };
    let row_keys = row_keys(selector);
    if let Ok(entry) = TransactionLogEntry::from_json_line(line, &row_keys) {
        check_transaction(&entry.transaction, &row_keys);
    }
}

fn check_transaction(transaction: &Transaction, row_keys: &[RowKeyField]) {
    let json = transaction.to_json();
    let again = Transaction::from_json(transaction.transaction_type(), json.as_bytes(), row_keys);
    assert_eq!(
        again.as_ref(),
        Ok(transaction),
        "a transaction does not read back from its own JSON {json}"
    );
    // The checks applying it runs before anything reaches the database.
    match transaction {
        Transaction::AddFiles { files, .. } => files.iter().for_each(|f| drop(f.validate())),
        Transaction::AssignJobIds { requests } => {
            requests.iter().for_each(|r| drop(r.validate()));
        }
        Transaction::ReplaceFileReferences { jobs } => {
            jobs.iter().for_each(|j| drop(j.request.validate()));
        }
        Transaction::SplitFileReferences { requests } => {
            requests.iter().for_each(|r| drop(r.validate()));
        }
        Transaction::InitialisePartitions { partitions } => {
            let _ = validate_tree(partitions, row_keys);
        }
        Transaction::SplitPartition {
            parent,
            new_children,
        } => {
            let _ = validate_split(None, parent, new_children, row_keys, |_| false);
            let _ = validate_split(Some(parent), parent, new_children, row_keys, |id| {
                id == parent.id
            });
        }
        Transaction::ExtendPartitionTree {
            update_partitions,
            new_partitions,
        } => {
            if let Ok(root) = partitions_from_split_points(row_keys, &[]) {
                let _ = validate_extension(&root, update_partitions, new_partitions, row_keys);
            }
        }
        Transaction::ClearFiles | Transaction::DeleteFiles { .. } => {}
    }
}

/// A database URL, as `ClientOptions::url` and `replica_urls` take it: `redact_url` and the
/// connection options made from it, with and without the statement cache. `redact_url` is
/// idempotent, gives a URL that parses, and hides a password that appears once in the URL.
pub fn connection_url(data: &[u8]) {
    let Ok(url) = std::str::from_utf8(data) else {
        return;
    };
    let redacted = crate::redact_url(url);
    assert_eq!(
        crate::redact_url(&redacted),
        redacted,
        "redacting {url:?} twice differs"
    );
    if redacted != "(unparseable URL)" {
        assert!(
            url::Url::parse(&redacted).is_ok(),
            "{redacted:?} does not parse"
        );
    }
    // A password the URL holds nowhere else (not in its user name or a parameter's name, say) is not
    // in the redacted URL.
    if let Ok(mut elsewhere) = url::Url::parse(url) {
        let _ = elsewhere.set_password(None);
        let pairs: Vec<(String, String)> = elsewhere
            .query_pairs()
            .map(|(key, value)| {
                let value = if key.eq_ignore_ascii_case("password") {
                    String::new()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        elsewhere.query_pairs_mut().clear().extend_pairs(pairs);
        let elsewhere = elsewhere.to_string();
        for password in crate::client::url_passwords(url) {
            if !elsewhere.contains(password.as_str()) && !"***".contains(password.as_str()) {
                assert!(
                    !redacted.contains(password.as_str()),
                    "{url:?} is redacted as {redacted:?}, still holding {password:?}"
                );
            }
        }
    }
    check_client_options(&ClientOptions::default().with(|o| o.url = Some(url.to_owned())));
    check_client_options(&ClientOptions::default().with(|o| {
        o.url = Some(url.to_owned());
        o.statement_cache = false;
        o.statement_timeout = Some(std::time::Duration::from_millis(u64::MAX));
    }));
}

/// What `Client::connect_with` checks and builds from the options before it opens a connection:
/// the schema name, the pool size, the retry policy, and the connection options of each URL.
pub fn check_client_options(options: &ClientOptions) {
    let _ = crate::schema::Schema::new(&options.schema);
    let _ = options.retry.validate();
    for url in options.url.iter().chain(&options.replica_urls) {
        let _ = crate::client::connect_options(url, options);
        let _ = crate::client::url_passwords(url);
        let _ = crate::redact_url(url);
    }
    let _ = format!("{options:?}");
}

/// A region as the `region` column keeps it (`store::codec`). First byte: the row keys. A region
/// that reads is written and reads back the same, and the key checks of its values do not panic.
pub fn region_json(data: &[u8]) {
    let Some((&selector, json)) = data.split_first() else {
        return;
    };
    let row_keys = row_keys(selector);
    let Ok(value) = serde_json::from_slice::<Value>(json) else {
        return;
    };
    if let Ok(region) = region_from_json(&value, &row_keys) {
        assert_eq!(
            region_from_json(&region_to_json(&region), &row_keys).as_ref(),
            Ok(&region)
        );
        let _ = validate_region(&region, &row_keys);
        let _ = region.validate();
        for range in &region.ranges {
            check_key(&range.min);
            if let Some(max) = &range.max {
                check_key(max);
                check_order(&range.min, max);
            }
        }
    }
}

/// Key values and regions as the bindings hand them over: a sequence of values (a tag byte, then
/// an int, a long, or a length byte and a string or bytes), checked alone, in pairs, as the split
/// points of a table (`partitions_from_split_points`), and as the ranges of a region
/// (`validate_region`). First byte: the row keys.
pub fn key_values(data: &[u8]) {
    let Some((&selector, mut rest)) = data.split_first() else {
        return;
    };
    let row_keys = row_keys(selector);
    let mut values = Vec::new();
    while let Some(value) = take_key(&mut rest) {
        values.push(value);
    }
    for value in &values {
        check_key(value);
    }
    for pair in values.windows(2) {
        check_order(&pair[0], &pair[1]);
    }
    if let Ok(partitions) = partitions_from_split_points(&row_keys[..1], &values) {
        assert_eq!(partitions.len(), 2 * values.len() + 1);
        validate_tree(&partitions, &row_keys[..1]).expect("the tree of split points is valid");
    }
    let ranges = values
        .chunks(2)
        .zip(&row_keys)
        .map(|(pair, field)| Range::new(field.name.clone(), pair[0].clone(), pair.get(1).cloned()))
        .collect();
    let region = Region::new(ranges);
    let _ = region.validate();
    if let Ok(region) = validate_region(&region, &row_keys) {
        assert_eq!(
            region_from_json(&region_to_json(&region), &row_keys),
            Ok(region)
        );
    }
}

fn take_key(rest: &mut &[u8]) -> Option<KeyValue> {
    fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let head = rest.get(..n)?;
        *rest = &rest[n..];
        Some(head)
    }
    let tag = take(rest, 1)?[0];
    Some(match tag % 4 {
        0 => KeyValue::Int(i32::from_le_bytes(take(rest, 4)?.try_into().ok()?)),
        1 => KeyValue::Long(i64::from_le_bytes(take(rest, 8)?.try_into().ok()?)),
        2 => {
            let n = usize::from(take(rest, 1)?[0]);
            KeyValue::String(String::from_utf8_lossy(take(rest, n.min(rest.len()))?).into_owned())
        }
        _ => {
            let n = usize::from(take(rest, 1)?[0]);
            KeyValue::Bytes(take(rest, n.min(rest.len()))?.to_vec())
        }
    })
}

fn check_key(value: &KeyValue) {
    let _ = describe(value);
    for key_type in [KeyType::Int, KeyType::Long, KeyType::String, KeyType::Bytes] {
        if let Ok(fitted) = coerce_to_field(value, key_type) {
            assert_eq!(
                std::mem::discriminant(&fitted),
                std::mem::discriminant(&key_type.minimum()),
                "{value:?} coerced to {key_type:?} is {fitted:?}"
            );
        }
    }
    if let Ok(Some(next)) = next_key(value) {
        assert_eq!(
            compare_keys(value, &next),
            Some(std::cmp::Ordering::Less),
            "the next key of {value:?} is not greater"
        );
    }
}

fn check_order(a: &KeyValue, b: &KeyValue) {
    assert_eq!(
        compare_keys(a, b),
        compare_keys(b, a).map(std::cmp::Ordering::reverse)
    );
    assert_eq!(
        compare_keys(a, a),
        compare_keys(a, a).map(|_| std::cmp::Ordering::Equal)
    );
}

/// `TableExport::read` (`docs/export-format.md`). An export that reads is written again and reads
/// back the same.
pub fn export(data: &[u8]) {
    let Ok(export) = TableExport::read(Cursor::new(data), |_| {}) else {
        return;
    };
    let mut out = Vec::new();
    let mut writer = ExportWriter::new(&mut out);
    writer
        .header(&export.table_id, &export.row_keys, export.exported_at)
        .expect("writes to memory");
    for partition in &export.partitions {
        writer.partition(partition).expect("writes to memory");
    }
    for file in &export.files {
        writer.file(file).expect("writes to memory");
    }
    writer.finish().expect("writes to memory");
    let again = TableExport::read(Cursor::new(&out), |_| {});
    assert_eq!(
        again.as_ref(),
        Ok(&export),
        "an export does not read back from what it writes"
    );
}

/// The C options structs (`spg_client_options`, `spg_local_postgres_options`) filled from the
/// bytes, converted as `spg_connect_with` and `spg_local_postgres_start_with` convert them, and the
/// client options then checked as connecting would. The bytes are split at 0xff: the first piece
/// gives the numbers and flags, the next the URL, the schema, and then replica URLs and settings;
/// each string is a C string (up to its first NUL), NULL where a flag says so.
#[cfg(feature = "capi")]
pub fn capi_options(data: &[u8]) {
    use std::ffi::{c_char, CString};

    use crate::capi::options::{
        client_options, local_postgres_options, spg_client_options_default,
        spg_local_postgres_options, spg_setting,
    };

    let mut pieces = data.split(|&b| b == 0xff);
    let numbers = pieces.next().unwrap_or_default();
    let strings: Vec<CString> = pieces
        .map(|piece| {
            let end = piece.iter().position(|&b| b == 0).unwrap_or(piece.len());
            CString::new(&piece[..end]).expect("no NUL before the end")
        })
        .collect();
    let mut numbers = numbers.chunks(8).map(|chunk| {
        let mut bytes = [0; 8];
        bytes[..chunk.len()].copy_from_slice(chunk);
        u64::from_le_bytes(bytes)
    });
    let mut next = || numbers.next().unwrap_or(0);
    let flags = next();
    let flag = |bit: u32| flags & (1 << bit) != 0;
    let string = |i: usize, null: bool| -> *const c_char {
        match strings.get(i) {
            Some(s) if !null => s.as_ptr(),
            _ => std::ptr::null(),
        }
    };
    let extra: Vec<*const c_char> = strings.iter().skip(2).map(|s| s.as_ptr()).collect();
    let mut set = spg_client_options_default();
    set.url = string(0, flag(0));
    set.schema = string(1, flag(1));
    set.max_connections = next() as u32;
    set.acquire_timeout_ms = next();
    set.connect_timeout_ms = next();
    set.has_statement_timeout = flag(2);
    set.statement_timeout_ms = next();
    set.has_idle_timeout = flag(3);
    set.idle_timeout_ms = next();
    set.has_migrate = flag(4);
    set.migrate = flag(5);
    set.has_statement_cache = flag(6);
    set.statement_cache = flag(7);
    set.retry_max_attempts = next() as u32;
    set.has_retry_initial_backoff = flag(8);
    set.retry_initial_backoff_ms = next();
    set.has_retry_max_backoff = flag(9);
    set.retry_max_backoff_ms = next();
    set.replica_urls = if flag(10) {
        std::ptr::null()
    } else {
        extra.as_ptr()
    };
    set.replica_url_count = extra.len();
    set.replica_wait_ms = next();
    set.has_change_feed = flag(11);
    set.change_feed = flag(12);
    // SAFETY: the strings and the array live until the end of the function; a NULL array with a
    // non-zero count is refused by the conversion, as the contract says.
    if let Ok(options) = unsafe { client_options(&set) } {
        check_client_options(&options);
    }
    let settings: Vec<spg_setting> = strings
        .chunks(2)
        .map(|pair| spg_setting {
            name: pair[0].as_ptr(),
            value: pair.get(1).map_or(std::ptr::null(), |v| v.as_ptr()),
        })
        .collect();
    let local = spg_local_postgres_options {
        has_durable: flag(13),
        durable: flag(14),
        settings: if flag(15) {
            std::ptr::null()
        } else {
            settings.as_ptr()
        },
        setting_count: settings.len(),
    };
    // SAFETY: as above.
    let _ = unsafe { local_postgres_options(&local) };
}

/// Runs `target` over every file of `corpus` and then over `mutations` inputs made from them by
/// random edits drawn from `seed` (bit flips, bytes set, inserted, deleted, repeated, spliced from
/// another input, and tokens of the formats), as a stable-Rust stand-in for the fuzzer that keeps
/// each target honest in every test run. Returns how many inputs ran. A panic names the input.
pub fn run_seeded(name: &str, target: Target, corpus: &Path, mutations: usize, seed: u64) -> usize {
    let mut seeds: Vec<Vec<u8>> = match std::fs::read_dir(corpus) {
        Ok(entries) => {
            let mut paths: Vec<_> = entries.map(|e| e.expect("a corpus entry").path()).collect();
            paths.sort();
            paths
                .iter()
                .map(|p| std::fs::read(p).expect("a corpus file reads"))
                .collect()
        }
        Err(e) => panic!("the corpus {} of {name}: {e}", corpus.display()),
    };
    assert!(!seeds.is_empty(), "the corpus of {name} is empty");
    let run = |input: &[u8]| {
        if catch_unwind(AssertUnwindSafe(|| target(input))).is_err() {
            panic!(
                "fuzz target {name} panicked on the input {:?} (as a string: {:?})",
                input,
                String::from_utf8_lossy(input)
            );
        }
    };
    for input in &seeds {
        run(input);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..mutations {
        let mut input = seeds[rng.gen_range(0..seeds.len())].clone();
        for _ in 0..rng.gen_range(1..=4) {
            mutate(&mut input, &seeds, &mut rng);
        }
        run(&input);
        // Some mutants become seeds, so that edits pile up as in a fuzzer's corpus.
        if rng.gen_ratio(1, 16) && seeds.len() < 512 {
            seeds.push(input);
        }
    }
    seeds.len() + mutations
}

const TOKENS: &[&[u8]] = &[
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"true",
    b"-",
    b"0",
    b"-1",
    b"\\u",
    b"\\ud800",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"2147483648",
    b"1e999",
    b"\"\"",
    b"{}",
    b"[]",
    b"%",
    b"%zz",
    b"@",
    b"//",
    b"?",
    b"&",
    b"=",
    b"password",
    b"\x00",
    b"\xff",
    b"\xff\xff\xff\xff",
    b"\x00\x00\x00\x80",
    b"\n",
    b"\r\n",
    b"\xf0\x9f\x98\x80",
    b"\xed\xa0\x80",
];

fn mutate(input: &mut Vec<u8>, seeds: &[Vec<u8>], rng: &mut StdRng) {
    let len = input.len();
    let at = |rng: &mut StdRng| rng.gen_range(0..=len);
    match rng.gen_range(0..8) {
        0 if len > 0 => {
            let i = rng.gen_range(0..len);
            input[i] ^= 1 << rng.gen_range(0..8);
        }
        1 if len > 0 => {
            let i = rng.gen_range(0..len);
            input[i] = rng.gen();
        }
        2 => {
            let i = at(rng);
            let n = rng.gen_range(1..=8);
            let bytes: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            input.splice(i..i, bytes);
        }
        3 if len > 0 => {
            let i = rng.gen_range(0..len);
            let end = (i + rng.gen_range(1..=16)).min(len);
            input.drain(i..end);
        }
        4 if len > 0 => {
            let i = rng.gen_range(0..len);
            let end = (i + rng.gen_range(1..=32)).min(len);
            let copy = input[i..end].to_vec();
            let to = at(rng);
            input.splice(to..to, copy);
        }
        5 => {
            let other = &seeds[rng.gen_range(0..seeds.len())];
            if !other.is_empty() {
                let i = rng.gen_range(0..other.len());
                let end = (i + rng.gen_range(1..=64)).min(other.len());
                let to = at(rng);
                input.splice(to..to, other[i..end].iter().copied());
            }
        }
        6 if len > 0 => {
            input.truncate(rng.gen_range(0..len));
        }
        _ => {
            let token = TOKENS[rng.gen_range(0..TOKENS.len())];
            let to = at(rng);
            if rng.gen() && to < len {
                let end = (to + token.len()).min(len);
                input.splice(to..end, token.iter().copied());
            } else {
                input.splice(to..to, token.iter().copied());
            }
        }
    }
}
