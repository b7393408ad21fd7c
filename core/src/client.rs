//! `Client`: a pool of connections to one database, the tables in it, and the retry loop every call
//! runs in.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Row};
use tracing::Instrument;

use crate::connection::Session;
use crate::error::{DriverError, Error, Result};
use crate::feed::{Listener, Notifier};
use crate::local_postgres::LocalPostgres;
use crate::model::RowKeyField;
use crate::pool::{Pool, PoolOptions};
use crate::replicas::{self, Replicas};
use crate::schema::Schema;
use crate::stats::{self, CallStats, ClientStats, Operation};
use crate::store::StateStore;

/// How conflicts are retried (`CONTRACT.md` 6.12): the whole call is run again after a wait drawn
/// from `[0, ceiling)`, the ceiling starting at `initial_backoff` and doubling up to `max_backoff`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts of a call in all, the first included.
    pub max_attempts: u32,
    /// The first ceiling of the wait before another attempt.
    pub initial_backoff: Duration,
    /// The largest the ceiling grows to.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// Checks that the policy makes sense: at least one attempt, and a first wait no longer than the
    /// longest.
    pub fn validate(&self) -> Result<()> {
        if self.max_attempts == 0 {
            return Err(Error::invalid("retry max_attempts must be at least 1"));
        }
        if self.initial_backoff > self.max_backoff {
            return Err(Error::invalid(format!(
                "retry initial_backoff ({:?}) must not be longer than max_backoff ({:?})",
                self.initial_backoff, self.max_backoff
            )));
        }
        Ok(())
    }

    /// This policy with the changes `set` makes (see [`ClientOptions::with`]).
    pub fn with(mut self, set: impl FnOnce(&mut Self)) -> Self {
        set(&mut self);
        self
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// How to connect. `url: None` takes `DATABASE_URL`, and without it starts a [`LocalPostgres`] that
/// lives as long as the client.
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The database, `postgresql://user:password@host:port/db?sslmode=...`.
    pub url: Option<String>,
    /// Connections the client holds at the most; a call waits for a free one.
    pub max_connections: u32,
    /// How long a call waits for a free connection while all `max_connections` are in use.
    pub acquire_timeout: Duration,
    /// How long one try at opening a connection may take.
    pub connect_timeout: Duration,
    /// How long a call waits for a server that cannot take connections for now: one that refuses
    /// them (restarting, starting up, shutting down, out of connection slots) or does not answer
    /// within `connect_timeout` (an Aurora Serverless v2 instance resuming from a pause). Opening is
    /// tried again, the waits doubling from 10 ms to 1 s, until this long has passed since the first
    /// try; any other failure (a wrong password, no such database) stands at once. The default,
    /// 60 s, is long enough for a resume or a restart; zero makes one try.
    pub server_wait_timeout: Duration,
    /// A server-side limit on each statement; `None` leaves the server's setting.
    pub statement_timeout: Option<Duration>,
    /// Connections idle this long are closed, so that idle processes hold none.
    pub idle_timeout: Option<Duration>,
    /// A client-side limit on one attempt of a call, counted from when it has its connection: a
    /// server that stops answering (where its own `statement_timeout` cannot fire) fails the attempt
    /// with a connection error, its transaction rolled back. With `statement_timeout` set it is at
    /// least twice that, so that the server answers first. Default 60 s; `None` for no limit.
    pub attempt_timeout: Option<Duration>,
    /// A client-side limit on one call in all: its waits for a connection, its attempts and the
    /// waits between them. A call over it fails with a connection error, and its attempt under way
    /// is abandoned as at `attempt_timeout`. Default 300 s; `None` for no limit.
    /// (`wait_for_changes` applies it to each read it makes, not to its own wait.)
    pub call_timeout: Option<Duration>,
    /// Apply the bundled migrations when connecting. Off where an admin step owns the schema.
    pub migrate: bool,
    /// The PostgreSQL schema holding the store's tables.
    pub schema: String,
    /// How conflicts are retried.
    pub retry: RetryPolicy,
    /// Cache prepared statements per connection. Off behind a transaction-pooling PgBouncer: then
    /// statements are unnamed, every call runs in a transaction, and no startup options are sent
    /// (PgBouncer refuses them), so `statement_timeout` is enforced on the client only. Migrations
    /// need a session of their own: run them through a direct connection (`migrate` off here).
    pub statement_cache: bool,
    /// Hot standbys of the database, as URLs like `url`: reads go to them in turn (a pool of
    /// `max_connections` each), writes to `url`. A read after this client's write waits for its
    /// replica to have replayed the write, at most `replica_wait`, and otherwise reads from `url`; so
    /// does a read while no replica can be reached.
    pub replica_urls: Vec<String>,
    /// How long a read after a write waits for a replica to have replayed the write.
    pub replica_wait: Duration,
    /// Record every write in its table's change feed, and wake the feed's followers after it. Off
    /// only where nothing follows the feed: the writes of such a client are missing from it.
    pub change_feed: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            url: None,
            max_connections: 10,
            acquire_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            server_wait_timeout: Duration::from_secs(60),
            statement_timeout: None,
            idle_timeout: Some(Duration::from_secs(60)),
            attempt_timeout: Some(Duration::from_secs(60)),
            call_timeout: Some(Duration::from_secs(300)),
            migrate: true,
            schema: "sleeper".to_owned(),
            retry: RetryPolicy::default(),
            statement_cache: true,
            replica_urls: Vec::new(),
            replica_wait: Duration::from_millis(500),
            change_feed: true,
        }
    }
}

impl ClientOptions {
    /// These options with the changes `set` makes: `ClientOptions::default().with(|o| o.max_connections = 4)`.
    /// (The options are `#[non_exhaustive]`, so that adding one breaks no caller.)
    pub fn with(mut self, set: impl FnOnce(&mut Self)) -> Self {
        set(&mut self);
        self
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("url", &self.url.as_deref().map(redact_url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("server_wait_timeout", &self.server_wait_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("call_timeout", &self.call_timeout)
            .field("migrate", &self.migrate)
            .field("schema", &self.schema)
            .field("retry", &self.retry)
            .field("statement_cache", &self.statement_cache)
            .field(
                "replica_urls",
                &self
                    .replica_urls
                    .iter()
                    .map(|url| redact_url(url))
                    .collect::<Vec<_>>(),
            )
            .field("replica_wait", &self.replica_wait)
            .field("change_feed", &self.change_feed)
            .finish()
    }
}

/// The URL with any password (in the authority, or as a `password` parameter) replaced by `***`. A
/// URL that does not parse is shown as `(unparseable URL)`: it could hold a password anywhere.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "(unparseable URL)".to_owned();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query_pairs().any(|(key, _)| is_password(&key)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if is_password(&key) {
                    "***".into()
                } else {
                    value
                };
                (key.into_owned(), value.into_owned())
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

fn is_password(key: &str) -> bool {
    key.eq_ignore_ascii_case("password")
}

/// The password a URL carries, in the authority or as a `password` parameter, in every form it may
/// appear in an error's text: as written (percent-encoded) and decoded.
pub(crate) fn url_passwords(url: &str) -> Vec<String> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Vec::new();
    };
    let mut passwords: Vec<String> = parsed
        .query_pairs()
        .filter(|(key, _)| is_password(key))
        .map(|(_, value)| value.into_owned())
        .collect();
    if let Some(written) = parsed.password() {
        passwords.push(written.to_owned());
        if let Ok(decoded) = percent_encoding::percent_decode_str(written).decode_utf8() {
            passwords.push(decoded.into_owned());
        }
    }
    passwords.retain(|p| !p.is_empty());
    passwords
}

/// An error's text with the passwords removed, for errors raised while the URL is being used. An
/// error whose text held one loses its driver error too, which would hold it as well.
fn scrub(error: Error, passwords: &[String]) -> Error {
    match error {
        Error::Connection {
            message, sqlstate, ..
        } if passwords.iter().any(|p| message.contains(p.as_str())) => Error::Connection {
            message: passwords
                .iter()
                .fold(message, |message, p| message.replace(p.as_str(), "***")),
            sqlstate,
            source: None,
        },
        error => error,
    }
}

/// How to open a connection to `url`, with the settings of `options` every connection has.
pub(crate) fn connect_options(url: &str, options: &ClientOptions) -> Result<PgConnectOptions> {
    let mut connect_options = PgConnectOptions::from_str(url)
        .map_err(|e| Error::invalid(format!("Invalid database URL {}: {e}", redact_url(url))))?;
    connect_options = connect_options.application_name("sleeper-pg");
    // A million-row read takes more than sqlx's one-second threshold by design: not a warning.
    connect_options =
        connect_options.log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
    if options.statement_cache {
        // Every query names its table's key prefix, so an index always serves it, and a
        // sequential scan would read every Sleeper table in the database. Plans cached while a
        // table was small (statistics not yet gathered) must not keep scanning it as it grows.
        // For the same reason a statement's plan does not depend on its parameters, so it is
        // planned once per connection, not on each of its first calls.
        connect_options = connect_options.options([
            ("enable_seqscan", "off"),
            ("plan_cache_mode", "force_generic_plan"),
        ]);
        if let Some(timeout) = options.statement_timeout {
            connect_options = connect_options
                .options([("statement_timeout", format!("{}ms", timeout.as_millis()))]);
        }
    } else {
        // Behind a transaction pooler: only the startup parameters PgBouncer knows.
        connect_options = connect_options
            .statement_cache_capacity(0)
            .extra_float_digits(None);
    }
    Ok(connect_options)
}

/// What went wrong in one attempt of a call: a rejection that stands, or a database error that may be a
/// conflict worth another attempt.
pub(crate) enum Failure {
    Rejected(Error),
    /// Nothing of the attempt was committed: a conflict, or a lost connection, is worth another try.
    Database(sqlx::Error),
    /// The rows the attempt read changed before it could write, so it wrote nothing: the call runs
    /// again from its read.
    Stale,
    /// The attempt may have committed (an error from `COMMIT` or from a statement that commits on its
    /// own): only a conflict the server reported, which means it did not commit, is retried.
    Uncertain(sqlx::Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Rejected(error)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        Failure::Database(error)
    }
}

/// Serialization failure, deadlock, and unique violation: the last means a concurrent call created the
/// same row first, and the next attempt's validation reports it as the contract's error.
const RETRYABLE_CODES: [&str; 3] = ["40001", "40P01", "23505"];

/// The connection broke: closed or reset (a pooled connection whose server process was terminated or
/// restarted, or a cut network), or the server ended the session (57P01-57P03) or the connection (08).
fn connection_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) => true,
        _ => sqlstate(error).is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
    }
}

pub(crate) fn sqlstate(error: &sqlx::Error) -> Option<String> {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|code| code.into_owned())
}

pub(crate) struct ClientInner {
    /// Never dropped in a forked child (see `Drop`).
    pub(crate) pool: std::mem::ManuallyDrop<Pool>,
    /// Never dropped in a forked child, like `pool`.
    pub(crate) replicas: std::mem::ManuallyDrop<Replicas>,
    pub(crate) schema: Schema,
    retry: RetryPolicy,
    pub(crate) stats: CallStats,
    process_id: u32,
    /// Prepared statements cached per connection; off behind a transaction-pooling PgBouncer.
    pub(crate) statement_cache: bool,
    /// A client-side limit on each attempt of a call from when it has its connection, so that a
    /// server that stops answering (where its own statement timeout cannot fire) fails the call
    /// instead of hanging it (`ClientOptions::attempt_timeout`, at least twice `statement_timeout`).
    attempt_timeout: Option<Duration>,
    /// A client-side limit on each call, its retries included (`ClientOptions::call_timeout`).
    call_timeout: Option<Duration>,
    /// Whether writes record their entries in the change feed.
    pub(crate) change_feed: bool,
    /// Whether the schema is known not to be newer than this version (`Schema::refuse_newer`):
    /// checked by migrating, or else on the first session, so that connecting stays lazy.
    pub(crate) schema_checked: std::sync::atomic::AtomicBool,
    /// Wakes the feed's followers after writes, with the change feed on. Never dropped in a forked
    /// child, like `pool`.
    pub(crate) notifier: Option<std::mem::ManuallyDrop<Notifier>>,
    /// The `LISTEN` of this client's followers, started by the first. Never dropped in a forked
    /// child, like `pool`.
    listener: std::sync::OnceLock<std::mem::ManuallyDrop<Listener>>,
    /// How the pool connects to the primary, for the connections of `notifier` and `listener`.
    connect_options: PgConnectOptions,
    // Declared last: dropped after the pool.
    _local: Option<LocalPostgres>,
}

/// A statement with its arguments, as the store builds them.
pub(crate) type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

impl ClientInner {
    /// The client's `LISTEN`, started on first use.
    pub(crate) fn listener(&self) -> &Listener {
        self.listener.get_or_init(|| {
            std::mem::ManuallyDrop::new(Listener::start(
                self.connect_options.clone(),
                self.schema.lock_space,
            ))
        })
    }

    /// A statement as this client runs it: prepared once per connection, or unnamed when the statement
    /// cache is off (a transaction pooler cannot keep a connection's prepared statements).
    pub(crate) fn query<'q>(&self, sql: &'q str) -> PgQuery<'q> {
        sqlx::query(sql).persistent(self.statement_cache)
    }

    /// Runs `call`, one public call, counted in the client's statistics (see `stats::observe`).
    ///
    /// The call runs on the heap: a call's future holds those of the calls it makes, and nested in
    /// each other unboxed they outgrow a thread's stack in unoptimised builds.
    pub(crate) fn observe<'a, T: Send + 'a>(
        &'a self,
        operation: Operation,
        table: Option<&'a str>,
        call: impl std::future::Future<Output = Result<T>> + Send + 'a,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T>> + Send + 'a>> {
        Box::pin(stats::observe(&self.stats, operation, table, call))
    }

    /// The retry state of one call; refuses calls from a process other than the one that connected.
    pub(crate) fn retrier(&self) -> Result<Retrier<'_>> {
        // A pool made before `fork()` holds the parent's sockets: using it in the child would
        // corrupt both.
        if std::process::id() != self.process_id {
            return Err(Error::connection(
                "This client was created in another process (before a fork); create a new client in this process",
            ));
        }
        Ok(Retrier {
            client: self,
            attempts: 0,
            ceiling: self.retry.initial_backoff,
            deadline: self
                .call_timeout
                .map(|limit| tokio::time::Instant::now() + limit),
        })
    }
}

tokio::task_local! {
    /// Told, within an attempt, when the attempt has its connection: its `attempt_timeout` counts
    /// from then, so that waiting for a connection (bounded by the pool) is not held against it.
    static ATTEMPT_CONNECTED: Arc<tokio::sync::Notify>;
}

/// Called by the pool when it hands out a connection: starts the clock of the attempt under way.
pub(crate) fn attempt_connected() {
    let _ = ATTEMPT_CONNECTED.try_with(|connected| connected.notify_one());
}

/// Counts the attempts of one call and waits between them (full jitter, doubling ceiling).
pub(crate) struct Retrier<'a> {
    client: &'a ClientInner,
    attempts: u32,
    ceiling: Duration,
    /// When the call's `call_timeout` ends it.
    deadline: Option<tokio::time::Instant>,
}

impl Retrier<'_> {
    /// Runs one attempt within the client's attempt timeout (counted from when the attempt has its
    /// connection) and the call's, in a tracing span numbering it from 1. A timed-out attempt is not
    /// retried, and dropping it closes any transaction's connection (see `WriteTransaction`).
    pub(crate) async fn bounded<T>(
        &self,
        attempt: impl std::future::Future<Output = Result<T, Failure>>,
    ) -> Result<T, Failure> {
        let span = tracing::info_span!("sleeper_pg.attempt", attempt = self.attempts + 1);
        let attempt = attempt.instrument(span);
        let limit = self.client.attempt_timeout;
        if limit.is_none() && self.deadline.is_none() {
            return attempt.await;
        }
        let connected = Arc::new(tokio::sync::Notify::new());
        let attempt = ATTEMPT_CONNECTED.scope(connected.clone(), attempt);
        let notified = connected.notified();
        // No deadline yet without a call timeout: a year stands for none.
        let never = tokio::time::Instant::now() + Duration::from_secs(365 * 24 * 3600);
        let expiry = tokio::time::sleep_until(self.deadline.unwrap_or(never));
        tokio::pin!(attempt, notified, expiry);
        // Whether the attempt has its connection, and the attempt timeout then ends it first.
        let mut connected = false;
        let mut attempt_ends = false;
        loop {
            tokio::select! {
                biased;
                outcome = &mut attempt => return outcome,
                () = &mut notified, if !connected => {
                    connected = true;
                    if let Some(limit) = limit {
                        let end = tokio::time::Instant::now() + limit;
                        if self.deadline.is_none_or(|deadline| end < deadline) {
                            attempt_ends = true;
                            expiry.as_mut().reset(end);
                        }
                    }
                }
                () = &mut expiry => {
                    let message = if attempt_ends {
                        format!(
                            "The database did not answer within {:?} (the attempt timeout)",
                            limit.unwrap_or_default()
                        )
                    } else {
                        format!(
                            "The call did not complete within {:?} (the call timeout)",
                            self.client.call_timeout.unwrap_or_default()
                        )
                    };
                    return Err(Failure::Rejected(Error::connection(message)));
                }
            }
        }
    }

    /// Whether the call's `call_timeout` has passed.
    fn out_of_time(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| tokio::time::Instant::now() >= deadline)
    }

    /// After a failed attempt: `Ok` once it is worth another attempt (having waited), or the error
    /// the call ends with.
    pub(crate) async fn retry_after(&mut self, failure: Failure) -> Result<()> {
        self.attempts += 1;
        let (error, committed_nothing) = match failure {
            Failure::Rejected(error) => return Err(error),
            Failure::Stale => return self.rerun_stale().await,
            Failure::Database(error) => (error, true),
            Failure::Uncertain(error) => (error, false),
        };
        let retryable =
            sqlstate(&error).is_some_and(|code| RETRYABLE_CODES.contains(&code.as_str()));
        let lost = connection_lost(&error);
        if lost {
            // The connections idle beside it most likely went with it (a restarted server): they
            // are closed rather than each costing a call an attempt.
            self.client.pool.discard_idle();
        }
        let lost = committed_nothing && lost;
        if (!retryable && !lost) || self.out_of_time() {
            return Err(error.into());
        }
        let policy = &self.client.retry;
        if lost {
            // A broken pooled connection (its server process gone): the attempt changed nothing, so
            // run it again at once on another connection. A server that is restarting or paused is
            // waited for when the next attempt opens a connection, within `server_wait_timeout`.
            if self.attempts >= policy.max_attempts {
                return Err(error.into());
            }
            tracing::debug!(attempts = self.attempts, %error, "retrying on another connection");
            return Ok(());
        }
        if self.attempts >= policy.max_attempts {
            return Err(Error::Connection {
                message: format!(
                    "Gave up after {} attempts because of conflicting concurrent updates: {error}",
                    self.attempts
                ),
                sqlstate: sqlstate(&error),
                source: Some(DriverError::new(error)),
            });
        }
        tracing::debug!(attempts = self.attempts, %error, "retrying after a conflict");
        self.back_off().await;
        Ok(())
    }

    /// After an attempt whose rows changed between its read and its write: the first time, at once
    /// (the other call has committed, so the next read sees it); after that, as after a conflict.
    async fn rerun_stale(&mut self) -> Result<()> {
        if self.attempts >= self.client.retry.max_attempts {
            return Err(Error::connection(format!(
                "Gave up after {} attempts because of conflicting concurrent updates: the rows \
                 read kept changing before the write",
                self.attempts
            )));
        }
        tracing::debug!(
            attempts = self.attempts,
            "re-running after concurrent changes"
        );
        if self.attempts > 1 {
            self.back_off().await;
        } else {
            stats::count_retry();
        }
        Ok(())
    }

    /// Counts a retry and waits before it: a time drawn from `[0, ceiling)`, the ceiling then doubling
    /// up to the policy's longest.
    async fn back_off(&mut self) {
        stats::count_retry();
        let mut wait = self.ceiling.mul_f64(rand::thread_rng().gen::<f64>());
        if let Some(deadline) = self.deadline {
            wait = wait.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        }
        tokio::time::sleep(wait).await;
        self.ceiling = (self.ceiling * 2).min(self.client.retry.max_backoff);
    }
}

/// Runs one call: `$attempt` (an `async` block giving `Result<T, Failure>`) is the whole call, made
/// afresh for each attempt, and conflicts are retried with backoff. A macro rather than a function
/// taking a closure, so that the call's future stays `Send`.
macro_rules! retrying {
    ($client:expr, $attempt:expr) => {{
        let client: &$crate::client::ClientInner = $client;
        match client.retrier() {
            Err(error) => Err(error),
            Ok(mut retrier) => loop {
                match retrier.bounded($attempt).await {
                    Ok(value) => break Ok(value),
                    Err(failure) => {
                        if let Err(error) = retrier.retry_after(failure).await {
                            break Err(error);
                        }
                    }
                }
            },
        }
    }};
}
pub(crate) use retrying;

impl Drop for ClientInner {
    /// In a forked child the pool's sockets and tasks belong to the parent: closing them here would
    /// break the parent's connections, so the child lets go of them without closing anything.
    fn drop(&mut self) {
        if std::process::id() == self.process_id {
            // SAFETY: the pools and tasks are dropped once, here, and never used again.
            unsafe {
                std::mem::ManuallyDrop::drop(&mut self.pool);
                std::mem::ManuallyDrop::drop(&mut self.replicas);
                if let Some(notifier) = self.notifier.as_mut() {
                    std::mem::ManuallyDrop::drop(notifier);
                }
                if let Some(listener) = self.listener.get_mut() {
                    std::mem::ManuallyDrop::drop(listener);
                }
            }
        }
    }
}

/// A pool of connections to one database holding any number of Sleeper tables. Cheap to clone; all
/// clones share the pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("schema", &self.inner.schema)
            .field("pool_size", &self.inner.pool.size())
            .field("replica_pool_size", &self.inner.replicas.size())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects with default options to `url`, or to `DATABASE_URL`, or to a new local cluster.
    pub async fn connect(url: Option<&str>) -> Result<Client> {
        Client::connect_with(ClientOptions {
            url: url.map(str::to_owned),
            ..ClientOptions::default()
        })
        .await
    }

    /// Connects with `options`: the pool opens connections as calls need them, after applying the
    /// migrations if `options.migrate` says so.
    pub async fn connect_with(options: ClientOptions) -> Result<Client> {
        let schema = Schema::new(&options.schema)?;
        if options.max_connections == 0 {
            return Err(Error::invalid("max_connections must be at least 1"));
        }
        options.retry.validate()?;
        let (url, local) = match options
            .url
            .clone()
            .or_else(|| std::env::var("DATABASE_URL").ok())
        {
            Some(url) => (url, None),
            None => {
                let local = tokio::task::spawn_blocking(LocalPostgres::start)
                    .await
                    .map_err(|e| {
                        Error::connection(format!("Starting a local cluster failed: {e}"))
                    })??;
                (local.url(), Some(local))
            }
        };
        let primary_options = connect_options(&url, &options)?;
        let replica_options = options
            .replica_urls
            .iter()
            .map(|url| connect_options(url, &options))
            .collect::<Result<Vec<_>>>()?;
        let passwords: Vec<String> = std::iter::once(&url)
            .chain(&options.replica_urls)
            .flat_map(|url| url_passwords(url))
            .collect();
        let connected = async {
            let pool_options = |wait_for_server| PoolOptions {
                max_connections: options.max_connections,
                acquire_timeout: options.acquire_timeout,
                connect_timeout: options.connect_timeout,
                server_wait_timeout: options.server_wait_timeout,
                idle_timeout: options.idle_timeout,
                wait_for_server,
            };
            let replicas = replica_options
                .into_iter()
                .map(|connect_options| Pool::new(connect_options, pool_options(false)))
                .collect();
            let pool = Pool::new(primary_options.clone(), pool_options(true));
            if options.migrate {
                // A connection of its own, waiting for a server that cannot take one yet, and closed
                // afterwards (never finished), which releases the migration lock and search path.
                let mut connection = pool.acquire().await?;
                tokio::time::timeout(options.connect_timeout, schema.migrate_on(&mut connection))
                    .await
                    .map_err(|_| Error::connection("Timed out migrating the database"))??;
            }
            let replicas = Replicas::new(replicas, options.replica_wait);
            if !replicas.is_empty() {
                // Reads from the replicas start from the primary's state now, migrations included.
                let mut connection = pool.acquire().await?;
                replicas.wrote(Some(replicas::wal_end(&mut connection).await?));
                connection.finish();
            }
            Ok::<_, Error>((pool, replicas))
        };
        let (pool, replicas) = connected.await.map_err(|e| scrub(e, &passwords))?;
        let lock_space = schema.lock_space;
        tracing::info!(schema = %options.schema, max_connections = options.max_connections, replicas = options.replica_urls.len(), "sleeper-pg client ready");
        Ok(Client {
            inner: Arc::new(ClientInner {
                pool: std::mem::ManuallyDrop::new(pool),
                replicas: std::mem::ManuallyDrop::new(replicas),
                schema,
                retry: options.retry,
                stats: CallStats::default(),
                process_id: std::process::id(),
                statement_cache: options.statement_cache,
                // Room for the server to enforce its own statement timeout first and answer.
                attempt_timeout: options
                    .attempt_timeout
                    .map(|limit| limit.max(options.statement_timeout.unwrap_or_default() * 2)),
                call_timeout: options.call_timeout,
                change_feed: options.change_feed,
                schema_checked: std::sync::atomic::AtomicBool::new(options.migrate),
                notifier: options.change_feed.then(|| {
                    std::mem::ManuallyDrop::new(Notifier::start(
                        primary_options.clone(),
                        lock_space,
                    ))
                }),
                listener: std::sync::OnceLock::new(),
                connect_options: primary_options,
                _local: local,
            }),
        })
    }

    /// How many times calls through this client were retried after a conflict, since it connected.
    pub fn retries(&self) -> u64 {
        self.inner.stats.retries()
    }

    /// What this client's calls did since it connected, per operation: calls, failures by kind,
    /// retries and a latency histogram.
    pub fn stats(&self) -> ClientStats {
        self.inner.stats.snapshot()
    }

    /// Creates a table with no partitions and no files; `initialise` it before use.
    pub async fn create_table(
        &self,
        table_id: &str,
        row_keys: &[RowKeyField],
    ) -> Result<StateStore> {
        self.inner
            .observe(Operation::CreateTable, Some(table_id), async {
                crate::validate::table_id(table_id)?;
                crate::validate::row_keys(row_keys)?;
                let row_keys_json =
                    serde_json::to_value(row_keys).map_err(|e| Error::invalid(e.to_string()))?;
                let sql = self.inner.schema.sql(
                    "INSERT INTO {s}.sleeper_tables (table_id, row_keys) VALUES ($1, $2) \
             ON CONFLICT (table_id) DO NOTHING RETURNING table_pk",
                );
                let table_pk = retrying!(&self.inner, async {
                    let mut session = Session::open(&self.inner).await?;
                    let row = self
                        .inner
                        .query(&sql)
                        .bind(table_id)
                        .bind(&row_keys_json)
                        .fetch_optional(session.connection())
                        .await
                        .map_err(Failure::Uncertain)?;
                    // The insert commits on its own, or with the session's transaction.
                    session
                        .finish_write(&self.inner)
                        .await
                        .map_err(Failure::Uncertain)?;
                    match row {
                        Some(row) => Ok(row.try_get::<i64, _>(0)?),
                        None => Err(Failure::Rejected(Error::TableAlreadyExists {
                            table_id: table_id.to_owned(),
                        })),
                    }
                })?;
                tracing::info!(table_id, "created table");
                Ok(StateStore::new(
                    self.inner.clone(),
                    table_pk,
                    table_id,
                    row_keys.to_vec(),
                ))
            })
            .await
    }

    /// A new handle on an existing table, with the database clock.
    pub async fn table(&self, table_id: &str) -> Result<StateStore> {
        self.inner
            .observe(Operation::Table, Some(table_id), async {
                crate::validate::table_id(table_id)?;
                let sql = self
                    .inner
                    .schema
                    .sql("SELECT table_pk, row_keys FROM {s}.sleeper_tables WHERE table_id = $1");
                // On the primary after a replica did not have the table, the client also learns where the
                // primary's WAL ends: its later reads wait for a replica to have the table too.
                let find = |mut session: Session, learn_wal_end: bool| {
                    let query = self.inner.query(&sql).bind(table_id);
                    async move {
                        let row = query.fetch_optional(session.connection()).await?;
                        if learn_wal_end && row.is_some() {
                            let end = replicas::wal_end(session.connection()).await?;
                            self.inner.replicas.wrote(Some(end));
                        }
                        session.finish().await?;
                        Ok::<_, Failure>(row)
                    }
                };
                let (table_pk, row_keys) = retrying!(&self.inner, async {
                    let session = Session::open_read(&self.inner).await?;
                    let on_replica = session.on_replica();
                    let mut row = find(session, false).await?;
                    if row.is_none() && on_replica {
                        // Created by another client, perhaps, and not replayed yet.
                        row = find(Session::open(&self.inner).await?, true).await?;
                    }
                    let row = row.ok_or_else(|| Error::TableNotFound {
                        table_id: table_id.to_owned(),
                    })?;
                    Ok::<_, Failure>((
                        row.try_get::<i64, _>(0)?,
                        row.try_get::<serde_json::Value, _>(1)?,
                    ))
                })?;
                let row_keys: Vec<RowKeyField> = serde_json::from_value(row_keys).map_err(|e| {
                    Error::connection(format!(
                        "Stored row keys of table {table_id} are unreadable: {e}"
                    ))
                })?;
                Ok(StateStore::new(
                    self.inner.clone(),
                    table_pk,
                    table_id,
                    row_keys,
                ))
            })
            .await
    }

    /// The ids of all tables, in code point order.
    pub async fn list_tables(&self) -> Result<Vec<String>> {
        self.inner
            .observe(Operation::ListTables, None, async {
                let sql = self
                    .inner
                    .schema
                    .sql("SELECT table_id FROM {s}.sleeper_tables ORDER BY table_id");
                retrying!(&self.inner, async {
                    let mut session = Session::open_read(&self.inner).await?;
                    let rows = self
                        .inner
                        .query(&sql)
                        .fetch_all(session.connection())
                        .await?;
                    session.finish().await?;
                    rows.iter()
                        .map(|row| Ok(row.try_get::<String, _>(0)?))
                        .collect::<Result<Vec<_>, Failure>>()
                })
            })
            .await
    }

    /// Removes a table with its partitions and files, once every write in flight on it has finished.
    pub async fn delete_table(&self, table_id: &str) -> Result<()> {
        self.inner
            .observe(Operation::DeleteTable, Some(table_id), async {
                crate::validate::table_id(table_id)?;
                let sql = self.inner.schema.sql("SELECT {s}.delete_table($1, $2)");
                retrying!(&self.inner, async {
                    let mut session = Session::open(&self.inner).await?;
                    let deleted = self
                        .inner
                        .query(&sql)
                        .bind(self.inner.schema.lock_space)
                        .bind(table_id)
                        .execute(session.connection())
                        .await;
                    match deleted {
                        Ok(_) => session
                            .finish_write(&self.inner)
                            .await
                            .map_err(Failure::Uncertain),
                        Err(error) if sqlstate(&error).as_deref() == Some("P0002") => {
                            session.write_failure(error);
                            Err(Failure::Rejected(Error::TableNotFound {
                                table_id: table_id.to_owned(),
                            }))
                        }
                        Err(error) => Err(session.write_failure(error)),
                    }
                })?;
                tracing::info!(table_id, "deleted table");
                Ok(())
            })
            .await
    }

    /// The versions of the bundled migrations ([`crate::MIGRATOR`]) applied to the client's schema,
    /// in order: none while the schema, or its record of migrations, does not exist.
    pub async fn applied_migrations(&self) -> Result<Vec<i64>> {
        self.inner
            .observe(Operation::AppliedMigrations, None, async {
                let record = self.inner.schema.sql("{s}._sqlx_migrations");
                let versions = self
                    .inner
                    .schema
                    .sql("SELECT version FROM {s}._sqlx_migrations WHERE success ORDER BY version");
                retrying!(&self.inner, async {
                    let mut session = Session::open(&self.inner).await?;
                    let recorded: bool = self
                        .inner
                        .query("SELECT to_regclass($1) IS NOT NULL")
                        .bind(&record)
                        .fetch_one(session.connection())
                        .await?
                        .try_get(0)?;
                    let applied = if recorded {
                        let rows = self
                            .inner
                            .query(&versions)
                            .fetch_all(session.connection())
                            .await?;
                        rows.iter()
                            .map(|row| row.try_get::<i64, _>(0))
                            .collect::<Result<Vec<_>, _>>()?
                    } else {
                        Vec::new()
                    };
                    session.finish().await?;
                    Ok::<_, Failure>(applied)
                })
            })
            .await
    }

    /// Closes every connection; calls after this fail with a connection error. In a forked child
    /// it does nothing: the connections are the parent's.
    pub async fn close(&self) {
        if self.inner.retrier().is_ok() {
            self.inner.pool.close().await;
            self.inner.replicas.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_password_is_redacted() {
        assert_eq!(
            redact_url("postgresql://user:secret@host:5432/db?sslmode=require"),
            "postgresql://user:***@host:5432/db?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://host/db?user=u&password=secret"),
            "postgres://host/db?user=u&password=***"
        );
    }

    #[test]
    fn a_percent_encoded_password_is_scrubbed_as_written_and_decoded() {
        let passwords = url_passwords("postgresql://user:p%40ss@host/db");
        assert_eq!(passwords, ["p%40ss", "p@ss"]);
        let error = scrub(Error::connection("failed for p@ss and p%40ss"), &passwords);
        assert_eq!(error.to_string(), "failed for *** and ***");
    }

    #[test]
    fn a_local_socket_url_is_shown_whole() {
        let url =
            "postgresql://postgres@localhost/postgres?host=/tmp/sleeper-pg-1/socket&port=5432";
        assert_eq!(redact_url(url), url);
    }

    #[test]
    fn a_url_that_does_not_parse_is_not_shown() {
        assert_eq!(redact_url("not a url :secret@"), "(unparseable URL)");
    }

    #[test]
    fn a_retry_policy_needs_an_attempt_and_ordered_backoffs() {
        let policy = RetryPolicy::default();
        assert!(policy.validate().is_ok());
        assert!(policy
            .clone()
            .with(|p| p.max_attempts = 0)
            .validate()
            .is_err());
        let inverted = policy.with(|p| p.initial_backoff = p.max_backoff * 2);
        assert!(matches!(
            inverted.validate(),
            Err(Error::InvalidArgument { .. })
        ));
    }

    #[test]
    fn options_debug_hides_the_password() {
        let options = ClientOptions {
            url: Some("postgresql://user:secret@host/db".to_owned()),
            ..ClientOptions::default()
        };
        assert!(!format!("{options:?}").contains("secret"));
    }
}
