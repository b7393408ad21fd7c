//! How to connect and how to start a local cluster: the options structs of `spg_connect_with` and
//! `spg_local_postgres_start_with`, whose fields left zero take core's defaults, and their conversion
//! to core's options (core owns every default and every check).

use std::ffi::c_char;
use std::ptr;
use std::time::Duration;

use crate::error::Result;
use crate::{ClientOptions, LocalPostgresOptions};

use super::inputs::{each, optional_text, text, texts};

/// How to connect (`spg_connect_with`). Every field left zero (NULL, 0, false) takes core's default,
/// so `spg_client_options options = {0};` or `spg_client_options_default()` with only the fields
/// you want set is the way to fill it; the library passes on only what was set, and core checks it
/// (a value core refuses is `SPG_INVALID_ARGUMENT`). Where zero is a value of its own, a `has_` flag
/// beside the field says whether it is set. Times are in milliseconds.
#[repr(C)]
pub struct spg_client_options {
    /// `postgresql://user:pass@host:port/db?...`, NUL-terminated, borrowed. NULL: the `DATABASE_URL`
    /// environment variable, and without it a new local cluster that lives as long as the client.
    pub url: *const c_char,
    /// The PostgreSQL schema holding the tables, NUL-terminated, borrowed. NULL: core's default
    /// (currently `"sleeper"`).
    pub schema: *const c_char,
    /// The most connections the pool opens. 0: core's default (currently 10).
    pub max_connections: u32,
    /// How long a call waits for a free connection while all are in use. 0: core's default
    /// (currently 30000).
    pub acquire_timeout_ms: u64,
    /// How long one try at opening a connection may take. 0: core's default (currently 10000).
    pub connect_timeout_ms: u64,
    /// Whether `statement_timeout_ms` is set. False: core's default (currently none, the server's
    /// setting applies).
    pub has_statement_timeout: bool,
    /// A server-side limit on each statement (enforced by the client only when `statement_cache` is
    /// off); 0 for none.
    pub statement_timeout_ms: u64,
    /// Whether `idle_timeout_ms` is set. False: core's default (currently 60000).
    pub has_idle_timeout: bool,
    /// Connections idle this long are closed; 0 keeps them open.
    pub idle_timeout_ms: u64,
    /// Whether `migrate` is set. False: core's default (currently true).
    pub has_migrate: bool,
    /// Apply the bundled migrations when connecting (off where an admin step owns the schema).
    pub migrate: bool,
    /// Whether `statement_cache` is set. False: core's default (currently true).
    pub has_statement_cache: bool,
    /// Cache prepared statements per connection (off behind a transaction-pooling PgBouncer).
    pub statement_cache: bool,
    /// Attempts of a call that meets conflicts, the first included. 0: core's default (currently 10).
    pub retry_max_attempts: u32,
    /// Whether `retry_initial_backoff_ms` is set. False: core's default (currently 200).
    pub has_retry_initial_backoff: bool,
    /// The ceiling of the first wait before another attempt (each wait is drawn from 0 to the
    /// ceiling, which doubles after each); 0 retries at once.
    pub retry_initial_backoff_ms: u64,
    /// Whether `retry_max_backoff_ms` is set. False: core's default (currently 30000).
    pub has_retry_max_backoff: bool,
    /// The most the ceiling of a wait grows to.
    pub retry_max_backoff_ms: u64,
    /// Hot standbys of the database, `replica_url_count` NUL-terminated URLs, borrowed: reads go to
    /// them in turn, writes to `url`. A read after this client's write waits for its replica to have
    /// replayed the write (up to `replica_wait_ms`) and otherwise reads from `url`, as it does while
    /// no replica answers. May be NULL when the count is 0 (core's default: none).
    pub replica_urls: *const *const c_char,
    /// How many URLs `replica_urls` holds.
    pub replica_url_count: usize,
    /// How long a read after a write waits for a replica to replay the write. 0: core's default
    /// (currently 500).
    pub replica_wait_ms: u64,
    /// Whether `change_feed` is set. False: core's default (currently true).
    pub has_change_feed: bool,
    /// Record every write in its table's change feed (`spg_store_read_changes`) and wake the feed's
    /// followers after it. Off only where nothing follows the feed: the writes of such a client are
    /// missing from it.
    pub change_feed: bool,
    /// Whether `server_wait_timeout_ms` is set. False: core's default (currently 60000).
    pub has_server_wait_timeout: bool,
    /// How long a call waits for a server that cannot take connections for now (restarting, out of
    /// connection slots, or an Aurora Serverless v2 instance resuming from a pause), trying again;
    /// 0 makes one try.
    pub server_wait_timeout_ms: u64,
    /// Whether `attempt_timeout_ms` is set. False: core's default (currently 60000).
    pub has_attempt_timeout: bool,
    /// A client-side limit on one attempt of a call once it has its connection, so that a server
    /// that stops answering fails the call; at least twice `statement_timeout_ms`. 0 for none.
    pub attempt_timeout_ms: u64,
    /// Whether `call_timeout_ms` is set. False: core's default (currently 300000).
    pub has_call_timeout: bool,
    /// A client-side limit on one call in all, its retries included; 0 for none.
    pub call_timeout_ms: u64,
}

/// One server setting of a local cluster, `name=value` (PostgreSQL's `-c name=value`). Borrowed.
#[repr(C)]
pub struct spg_setting {
    /// NUL-terminated UTF-8.
    pub name: *const c_char,
    /// NUL-terminated UTF-8.
    pub value: *const c_char,
}

/// How to start a local cluster (`spg_local_postgres_start_with`). As for `spg_client_options`, every
/// field left zero takes core's default: `spg_local_postgres_options options = {0};`.
#[repr(C)]
pub struct spg_local_postgres_options {
    /// Whether `durable` is set. False: core's default (currently false: fast and not crash safe,
    /// fsync off, as tests want).
    pub has_durable: bool,
    /// Keep PostgreSQL's crash-safe settings (fsync, synchronous commit), as benchmarks need.
    pub durable: bool,
    /// Further server settings, borrowed; none by default. May be NULL when the count is 0.
    pub settings: *const spg_setting,
    /// How many settings `settings` holds.
    pub setting_count: usize,
}

/// Options with no field set, all zero: connecting with them is connecting with core's defaults.
/// The same as `spg_client_options options = {0};`, for callers that prefer a function.
#[no_mangle]
pub extern "C" fn spg_client_options_default() -> spg_client_options {
    spg_client_options {
        url: ptr::null(),
        schema: ptr::null(),
        max_connections: 0,
        acquire_timeout_ms: 0,
        connect_timeout_ms: 0,
        has_statement_timeout: false,
        statement_timeout_ms: 0,
        has_idle_timeout: false,
        idle_timeout_ms: 0,
        has_migrate: false,
        migrate: false,
        has_statement_cache: false,
        statement_cache: false,
        retry_max_attempts: 0,
        has_retry_initial_backoff: false,
        retry_initial_backoff_ms: 0,
        has_retry_max_backoff: false,
        retry_max_backoff_ms: 0,
        replica_urls: ptr::null(),
        replica_url_count: 0,
        replica_wait_ms: 0,
        has_change_feed: false,
        change_feed: false,
        has_server_wait_timeout: false,
        server_wait_timeout_ms: 0,
        has_attempt_timeout: false,
        attempt_timeout_ms: 0,
        has_call_timeout: false,
        call_timeout_ms: 0,
    }
}

/// Core's options with what the caller set: core owns every default and every check.
pub(crate) unsafe fn client_options(set: &spg_client_options) -> Result<ClientOptions> {
    fn millis(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }
    /// An optional time: 0 for none.
    fn optional_millis(ms: u64) -> Option<Duration> {
        (ms != 0).then(|| millis(ms))
    }
    let mut options = ClientOptions::default();
    // SAFETY: C strings or NULL by contract.
    if let Some(url) = unsafe { optional_text(set.url, "options.url") }? {
        options.url = Some(url);
    }
    // SAFETY: as above.
    if let Some(schema) = unsafe { optional_text(set.schema, "options.schema") }? {
        options.schema = schema;
    }
    if set.max_connections != 0 {
        options.max_connections = set.max_connections;
    }
    if set.acquire_timeout_ms != 0 {
        options.acquire_timeout = millis(set.acquire_timeout_ms);
    }
    if set.connect_timeout_ms != 0 {
        options.connect_timeout = millis(set.connect_timeout_ms);
    }
    if set.has_statement_timeout {
        options.statement_timeout = optional_millis(set.statement_timeout_ms);
    }
    if set.has_idle_timeout {
        options.idle_timeout = optional_millis(set.idle_timeout_ms);
    }
    if set.has_migrate {
        options.migrate = set.migrate;
    }
    if set.has_statement_cache {
        options.statement_cache = set.statement_cache;
    }
    if set.retry_max_attempts != 0 {
        options.retry.max_attempts = set.retry_max_attempts;
    }
    if set.has_retry_initial_backoff {
        options.retry.initial_backoff = millis(set.retry_initial_backoff_ms);
    }
    if set.has_retry_max_backoff {
        options.retry.max_backoff = millis(set.retry_max_backoff_ms);
    }
    // SAFETY: an array of `replica_url_count` C strings, or NULL with a count of 0, by contract.
    options.replica_urls = unsafe {
        texts(
            set.replica_urls,
            set.replica_url_count,
            "options.replica_urls",
        )
    }?;
    if set.replica_wait_ms != 0 {
        options.replica_wait = millis(set.replica_wait_ms);
    }
    if set.has_change_feed {
        options.change_feed = set.change_feed;
    }
    if set.has_server_wait_timeout {
        options.server_wait_timeout = millis(set.server_wait_timeout_ms);
    }
    if set.has_attempt_timeout {
        options.attempt_timeout = optional_millis(set.attempt_timeout_ms);
    }
    if set.has_call_timeout {
        options.call_timeout = optional_millis(set.call_timeout_ms);
    }
    Ok(options)
}

/// Core's options with what the caller set.
pub(crate) unsafe fn local_postgres_options(
    set: &spg_local_postgres_options,
) -> Result<LocalPostgresOptions> {
    let mut options = LocalPostgresOptions::default();
    if set.has_durable {
        options.durable = set.durable;
    }
    // SAFETY: an array of `setting_count` settings, or NULL with a count of 0, by contract.
    options.settings = unsafe {
        each(
            set.settings,
            set.setting_count,
            "options.settings",
            |setting, what| {
                Ok((
                    text(setting.name, &format!("{what}.name"))?.to_owned(),
                    text(setting.value, &format!("{what}.value"))?.to_owned(),
                ))
            },
        )
    }?;
    Ok(options)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::RetryPolicy;

    use super::*;

    /// The documented current defaults of the options are core's.
    #[test]
    fn the_options_document_cores_defaults() {
        let source = include_str!("options.rs");
        let start = source.find("pub struct spg_client_options {").unwrap();
        let end = start + source[start..].find("\n}\n").unwrap();
        let body = &source[start..end];
        // Each field's documentation: the comment lines before it.
        let mut docs = BTreeMap::new();
        let mut doc = String::new();
        for line in body.lines().skip(1).map(str::trim) {
            if let Some(text) = line.strip_prefix("///") {
                doc.push_str(text);
            } else if let Some(field) = line.strip_prefix("pub ") {
                let name = field.split(':').next().unwrap().to_owned();
                docs.insert(name, std::mem::take(&mut doc));
            }
        }
        let ms = |d: Duration| d.as_millis().to_string();
        let defaults = ClientOptions::default();
        let documented = [
            ("schema", format!("`\"{}\"`", defaults.schema)),
            ("max_connections", defaults.max_connections.to_string()),
            ("acquire_timeout_ms", ms(defaults.acquire_timeout)),
            ("connect_timeout_ms", ms(defaults.connect_timeout)),
            (
                "has_statement_timeout",
                defaults.statement_timeout.map_or("none".into(), ms),
            ),
            (
                "has_idle_timeout",
                defaults.idle_timeout.map_or("none".into(), ms),
            ),
            ("has_migrate", defaults.migrate.to_string()),
            ("has_statement_cache", defaults.statement_cache.to_string()),
            (
                "retry_max_attempts",
                defaults.retry.max_attempts.to_string(),
            ),
            (
                "has_retry_initial_backoff",
                ms(defaults.retry.initial_backoff),
            ),
            ("has_retry_max_backoff", ms(defaults.retry.max_backoff)),
            ("replica_wait_ms", ms(defaults.replica_wait)),
            ("has_change_feed", defaults.change_feed.to_string()),
            ("has_server_wait_timeout", ms(defaults.server_wait_timeout)),
            (
                "has_attempt_timeout",
                defaults.attempt_timeout.map_or("none".into(), ms),
            ),
            (
                "has_call_timeout",
                defaults.call_timeout.map_or("none".into(), ms),
            ),
        ];
        for (field, value) in documented {
            let doc = docs[field].split_whitespace().collect::<Vec<_>>().join(" ");
            let expected = format!("core's default (currently {value}");
            // The whole value: "(currently 10)" is not "(currently 100)".
            let documents_it = doc.match_indices(&expected).any(|(at, _)| {
                !doc[at + expected.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
            });
            assert!(documents_it, "{field}: \"{doc}\" lacks \"{expected}\"");
        }
        let local = LocalPostgresOptions::default();
        assert!(source.contains(&format!("core's default (currently {}:", local.durable)));
        assert!(local.settings.is_empty());
    }

    #[test]
    fn options_left_zero_are_cores_defaults() {
        let zero = spg_client_options_default();
        // SAFETY: no pointers set.
        let options = unsafe { client_options(&zero) }.unwrap();
        assert_eq!(
            format!("{options:?}"),
            format!("{:?}", ClientOptions::default())
        );
        let replicas = [c"postgresql://standby/db".as_ptr()];
        let set = spg_client_options {
            url: c"postgresql://u:secret@h/db".as_ptr(),
            schema: c"other".as_ptr(),
            max_connections: 3,
            acquire_timeout_ms: 4,
            connect_timeout_ms: 5,
            has_statement_timeout: true,
            statement_timeout_ms: 6,
            has_idle_timeout: true,
            idle_timeout_ms: 0,
            has_migrate: true,
            migrate: false,
            has_statement_cache: true,
            statement_cache: false,
            retry_max_attempts: 7,
            has_retry_initial_backoff: true,
            retry_initial_backoff_ms: 0,
            has_retry_max_backoff: true,
            retry_max_backoff_ms: 9,
            replica_urls: replicas.as_ptr(),
            replica_url_count: replicas.len(),
            replica_wait_ms: 10,
            has_change_feed: true,
            change_feed: false,
            has_server_wait_timeout: true,
            server_wait_timeout_ms: 0,
            has_attempt_timeout: true,
            attempt_timeout_ms: 0,
            has_call_timeout: true,
            call_timeout_ms: 11,
        };
        // SAFETY: the pointers are static C strings.
        let options = unsafe { client_options(&set) }.unwrap();
        let ms = Duration::from_millis;
        let expected = ClientOptions::default().with(|o| {
            o.url = Some("postgresql://u:secret@h/db".into());
            o.schema = "other".into();
            o.max_connections = 3;
            o.acquire_timeout = ms(4);
            o.connect_timeout = ms(5);
            o.statement_timeout = Some(ms(6));
            o.idle_timeout = None;
            o.migrate = false;
            o.statement_cache = false;
            o.retry = RetryPolicy::default().with(|r| {
                r.max_attempts = 7;
                r.initial_backoff = ms(0);
                r.max_backoff = ms(9);
            });
            o.replica_urls = vec!["postgresql://standby/db".into()];
            o.replica_wait = ms(10);
            o.change_feed = false;
            o.server_wait_timeout = ms(0);
            o.attempt_timeout = None;
            o.call_timeout = Some(ms(11));
        });
        assert_eq!(options.url, expected.url);
        assert_eq!(format!("{options:?}"), format!("{expected:?}"));
    }
}
