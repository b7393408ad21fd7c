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
    pub(crate) idle_timeout: Option<Duration>,
    /// Whether a server that refuses connections for now (starting, restarting, full) is waited for,
    /// within `acquire_timeout`: the primary's is; a replica's refusal sends reads to the primary.
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
    /// open. Waits for one at most `acquire_timeout`, opening included.
    pub(crate) async fn acquire(&self) -> Result<PooledConnection> {
        let shared = &self.shared;
        let acquired = tokio::time::timeout(shared.acquire_timeout, async {
            let permit = shared
                .permits
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| closed())?;
            let connection = match shared.take_idle() {
                Some(connection) => connection,
                None => shared.connect().await?,
            };
            Ok::<_, Error>(PooledConnection {
                connection: Some(connection),
                shared: shared.clone(),
                finished: false,
                _permit: permit,
            })
        })
        .await;
        match acquired {
            Ok(acquired) => acquired,
            Err(_) => Err(Error::connection(format!(
                "Timed out after {:?} waiting for a database connection (the client holds at most {})",
                shared.acquire_timeout, shared.max_connections
            ))),
        }
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

    /// Opens a connection. A server that refuses connections for now (starting up, restarting, or
    /// out of connection slots) is tried again, with waits doubling from 10 ms, until the caller's
    /// `acquire_timeout` ends the wait (unless the pool does not wait for its server); any other
    /// failure (a wrong password, no such database) stands.
    async fn connect(&self) -> Result<PgConnection> {
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
            match attempt {
                Ok(Ok(connection)) => return Ok(connection),
                Ok(Err(error)) if !self.wait_for_server || !unavailable_for_now(&error) => {
                    return Err(error.into())
                }
                Ok(Err(error)) => tracing::debug!(%error, ?wait, "cannot connect yet"),
                Err(_) => {
                    return Err(Error::connection(format!(
                        "Timed out after {:?} opening a database connection",
                        self.connect_timeout
                    )))
                }
            }
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
