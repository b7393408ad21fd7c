//! The client's connections. sqlx's own pool tests each connection given back to it with a round trip
//! (a `Sync` and a wait for `ReadyForQuery`), which the next call on that connection waits for: a
//! read would cost two round trips instead of one. This pool gives a connection back untested when
//! the call that used it finished its conversation with the server, and closes it otherwise.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, Result};

pub(crate) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    connect_options: PgConnectOptions,
    /// One permit per connection that may be open: a call holds one for as long as it runs.
    permits: Arc<Semaphore>,
    max_connections: u32,
    /// Connections not in use, the most recently used last (taken first, so that the others age out).
    idle: Mutex<Vec<Idle>>,
    acquire_timeout: Duration,
    connect_timeout: Duration,
    server_wait_timeout: Duration,
    wait_for_server: bool,
    closed: AtomicBool,
}

struct Idle {
    connection: PgConnection,
    since: Instant,
}

/// How the pool is set up (see `ClientOptions` for each).
pub(crate) struct PoolOptions {
    pub(crate) max_connections: u32,
    pub(crate) acquire_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) server_wait_timeout: Duration,
    pub(crate) idle_timeout: Option<Duration>,
    /// Whether a server that cannot take connections for now (paused, starting, restarting, full) is
    /// waited for, within `server_wait_timeout`: the primary's is; a replica's refusal sends reads
    /// to the primary.
    pub(crate) wait_for_server: bool,
}

impl Pool {
    /// A pool that opens connections as calls need them. Called inside a tokio runtime: a task on it
    /// closes connections idle for longer than `idle_timeout`, until the pool is dropped.
    pub(crate) fn new(connect_options: PgConnectOptions, options: PoolOptions) -> Pool {
        let shared = Arc::new(Shared {
            connect_options,
            permits: Arc::new(Semaphore::new(options.max_connections as usize)),
            max_connections: options.max_connections,
            idle: Mutex::new(Vec::new()),
            acquire_timeout: options.acquire_timeout,
            connect_timeout: options.connect_timeout,
            server_wait_timeout: options.server_wait_timeout,
            wait_for_server: options.wait_for_server,
            closed: AtomicBool::new(false),
        });
        if let Some(idle_timeout) = options.idle_timeout {
            tokio::spawn(close_idle_connections(
                Arc::downgrade(&shared),
                idle_timeout,
            ));
        }
        Pool { shared }
    }

    /// A connection for one call: an idle one, or a new one while fewer than `max_connections` are
    /// open. Waits for a free one at most `acquire_timeout`, and for a server that cannot take a new
    /// one for now at most `server_wait_timeout` (see `Shared::connect`).
    pub(crate) async fn acquire(&self) -> Result<PooledConnection> {
        let shared = &self.shared;
        let permit =
            match tokio::time::timeout(shared.acquire_timeout, shared.permits.clone().acquire_owned())
                .await
            {
                Ok(permit) => permit.map_err(|_| closed())?,
                Err(_) => {
                    return Err(Error::connection(format!(
                        "Timed out after {:?} waiting for a free database connection (the client holds at most {})",
                        shared.acquire_timeout, shared.max_connections
                    )))
                }
            };
        let connection = match shared.take_idle() {
            Some(connection) => connection,
            None => shared.connect().await?,
        };
        crate::client::attempt_connected();
        Ok(PooledConnection {
            connection: Some(connection),
            shared: shared.clone(),
            finished: false,
            _permit: permit,
        })
    }

    /// Closes the idle connections, after one was found broken: those beside it most likely broke
    /// with it (a restarted server), and each would otherwise cost a call an attempt.
    pub(crate) fn discard_idle(&self) {
        let idle = std::mem::take(&mut *lock(&self.shared.idle));
        // Dropped, not closed politely: their server is most likely gone.
        drop(idle);
    }

    /// Connections open now, in use or idle.
    pub(crate) fn size(&self) -> usize {
        let in_use = self.shared.max_connections as usize - self.shared.permits.available_permits();
        in_use + lock(&self.shared.idle).len()
    }

    /// Closes the idle connections, and every other one as its call ends; later calls fail.
    pub(crate) async fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.permits.close();
        let idle = std::mem::take(&mut *lock(&self.shared.idle));
        for idle in idle {
            let _ = idle.connection.close().await;
        }
    }
}

impl Shared {
    fn take_idle(&self) -> Option<PgConnection> {
        lock(&self.idle).pop().map(|idle| idle.connection)
    }

    /// Opens a connection. A server that cannot take one for now (refusing connections while it
    /// starts, restarts or shuts down, out of connection slots, or not answering within
    /// `connect_timeout`, as an Aurora Serverless v2 instance resuming from a pause) is tried again,
    /// with waits doubling from 10 ms to 1 s, until `server_wait_timeout` has passed since the first
    /// try (unless the pool does not wait for its server); any other failure (a wrong password, no
    /// such database) stands.
    async fn connect(&self) -> Result<PgConnection> {
        let started = tokio::time::Instant::now();
        let mut wait = Duration::from_millis(10);
        loop {
            if self.closed.load(Ordering::Acquire) {
                return Err(closed());
            }
            let attempt = tokio::time::timeout(
                self.connect_timeout,
                PgConnection::connect_with(&self.connect_options),
            )
            .await;
            let why = match attempt {
                Ok(Ok(connection)) => return Ok(connection),
                Ok(Err(error)) if !self.wait_for_server || !unavailable_for_now(&error) => {
                    return Err(error.into())
                }
                Ok(Err(error)) => error.to_string(),
                Err(_) => format!("no answer within {:?}", self.connect_timeout),
            };
            if !self.wait_for_server || started.elapsed() + wait > self.server_wait_timeout {
                return Err(Error::connection(format!(
                    "Could not open a database connection (tried for {:?}; the server wait timeout is {:?}): {why}",
                    started.elapsed(),
                    self.server_wait_timeout
                )));
            }
            tracing::debug!(%why, ?wait, "cannot connect yet");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(1));
        }
    }
}

/// A refused or broken connection, or the server saying it cannot take one now (starting up,
/// shutting down, too many connections).
fn unavailable_for_now(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) => true,
        _ => crate::client::sqlstate(error)
            .is_some_and(|code| code.starts_with("57P0") || code == "53300"),
    }
}

/// Closes, every so often, the connections idle for longer than `idle_timeout`.
async fn close_idle_connections(shared: Weak<Shared>, idle_timeout: Duration) {
    let period = (idle_timeout / 2).max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(period).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let expired: Vec<Idle> = {
            let mut idle = lock(&shared.idle);
            let now = Instant::now();
            let (expired, kept) = std::mem::take(&mut *idle)
                .into_iter()
                .partition(|i| now.duration_since(i.since) >= idle_timeout);
            *idle = kept;
            expired
        };
        drop(shared);
        for idle in expired {
            let _ = idle.connection.close().await;
        }
    }
}

fn closed() -> Error {
    Error::connection("The client is closed")
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A connection in use by one call. Dropped, it goes back to the pool if the call said it is
/// `finished` with it (no statement under way, no transaction open), and is closed otherwise: a call
/// cancelled part way may have left it in the middle of a conversation.
pub(crate) struct PooledConnection {
    connection: Option<PgConnection>,
    shared: Arc<Shared>,
    finished: bool,
    _permit: OwnedSemaphorePermit,
}

impl PooledConnection {
    /// The call is done with the connection and left it as it found it: it may be reused.
    pub(crate) fn finish(&mut self) {
        self.finished = true;
    }
}

impl std::ops::Deref for PooledConnection {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        self.connection.as_ref().expect("present until dropped")
    }
}

impl std::ops::DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.connection.as_mut().expect("present until dropped")
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        if self.finished && !self.shared.closed.load(Ordering::Acquire) {
            lock(&self.shared.idle).push(Idle {
                connection,
                since: Instant::now(),
            });
        }
        // Otherwise the socket closes with the connection, and the server rolls back whatever the
        // connection had open.
    }
}
