//! Hot standbys that serve a client's reads. A read goes to the replicas in turn; it waits for the
//! one it picked to have replayed this client's latest write (read-your-writes), within a bound, and
//! otherwise reads from the primary. Writes, and the reads inside writes, always go to the primary.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::{Executor, PgConnection, Row};

use crate::pool::{lock, Pool, PooledConnection};

/// Where the WAL ends, as a number: on the primary after a commit, the end of that commit's record.
/// Run as a simple query (no parameters), so that it is one message even behind a pooler.
const WAL_END: &str = "SELECT (pg_current_wal_insert_lsn() - '0/0')::int8";
/// How far a standby has replayed the primary's WAL; NULL on a server that is not a standby.
const REPLAYED: &str = "SELECT (pg_last_wal_replay_lsn() - '0/0')::int8";

/// `written` when a write committed but where its WAL ended is unknown (the connection broke between
/// the commit and the question): reads go to the primary until that is learned again.
const UNKNOWN: u64 = u64::MAX;
/// How long a replica that could not be reached is left out before it is tried again.
const REST: Duration = Duration::from_secs(5);
/// The longest pause between two questions to a replica that has not replayed a write yet.
const LONGEST_POLL: Duration = Duration::from_millis(20);

pub(crate) struct Replicas {
    members: Vec<Replica>,
    /// The replica the next read tries first.
    next: AtomicUsize,
    /// Where the primary's WAL ended after this client's latest write (0 before any).
    written: AtomicU64,
    /// How long a read waits for a replica to replay this client's latest write.
    wait: Duration,
}

struct Replica {
    pool: Pool,
    /// The furthest this replica was seen to have replayed.
    replayed: AtomicU64,
    /// Left out until then, after it could not be reached.
    resting_until: Mutex<Option<Instant>>,
}

impl Replicas {
    pub(crate) fn new(pools: Vec<Pool>, wait: Duration) -> Replicas {
        Replicas {
            members: pools
                .into_iter()
                .map(|pool| Replica {
                    pool,
                    replayed: AtomicU64::new(0),
                    resting_until: Mutex::new(None),
                })
                .collect(),
            next: AtomicUsize::new(0),
            written: AtomicU64::new(0),
            wait,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Connections open to the replicas now.
    pub(crate) fn size(&self) -> usize {
        self.members.iter().map(|r| r.pool.size()).sum()
    }

    pub(crate) async fn close(&self) {
        for replica in &self.members {
            replica.pool.close().await;
        }
    }

    /// Notes the end of a write's WAL on the primary, asked on the write's connection after its
    /// commit (`None`: the question failed, so where it ended is unknown).
    pub(crate) fn wrote(&self, wal_end: Option<u64>) {
        match wal_end {
            Some(end) => {
                self.written.fetch_max(end, Ordering::AcqRel);
            }
            None => self.written.store(UNKNOWN, Ordering::Release),
        }
    }

    /// Whether the end of this client's latest write is unknown, so reads must learn it first.
    pub(crate) fn write_end_unknown(&self) -> bool {
        self.written.load(Ordering::Acquire) == UNKNOWN
    }

    /// Learned on the primary after it was unknown: the primary's WAL end now covers every write
    /// this client made.
    pub(crate) fn learned(&self, wal_end: u64) {
        let _ =
            self.written
                .compare_exchange(UNKNOWN, wal_end, Ordering::AcqRel, Ordering::Acquire);
    }

    /// A connection to a replica that has replayed this client's latest write, or `None` when no
    /// replica has within the wait (or none can be reached): the read then goes to the primary.
    pub(crate) async fn connection(&self) -> Option<PooledConnection> {
        let written = self.written.load(Ordering::Acquire);
        if self.members.is_empty() || written == UNKNOWN {
            return None;
        }
        let deadline = Instant::now() + self.wait;
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        let count = self.members.len();
        for i in 0..count {
            let replica = &self.members[(first + i) % count];
            if let Some(connection) = replica.caught_up(written, deadline).await {
                return Some(connection);
            }
        }
        None
    }
}

impl Replica {
    /// A connection to this replica once it has replayed up to `written`, waiting until `deadline` at
    /// the most for the replay (a wait for a free connection is the pool's, as for any call).
    async fn caught_up(&self, written: u64, deadline: Instant) -> Option<PooledConnection> {
        if self.resting() {
            return None;
        }
        let mut connection = match self.pool.acquire().await {
            Ok(connection) => connection,
            Err(error) => {
                tracing::debug!(%error, "a replica could not be reached: reading from the primary");
                self.rest();
                return None;
            }
        };
        let mut pause = Duration::from_millis(1);
        loop {
            if self.replayed.load(Ordering::Acquire) >= written {
                return Some(connection);
            }
            match replayed(&mut connection).await {
                Ok(Some(replayed)) => {
                    self.replayed.fetch_max(replayed, Ordering::AcqRel);
                }
                Ok(None) => {
                    // Not a standby (promoted, or a primary given as a replica): nothing says it
                    // has this client's writes.
                    connection.finish();
                    return None;
                }
                Err(error) => {
                    tracing::debug!(%error, "a replica did not answer: reading from the primary");
                    return None;
                }
            }
            if self.replayed.load(Ordering::Acquire) >= written {
                return Some(connection);
            }
            if Instant::now() + pause > deadline {
                connection.finish();
                tracing::debug!(
                    "no replica replayed this client's latest write in time: reading from the primary"
                );
                return None;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(LONGEST_POLL);
        }
    }

    fn resting(&self) -> bool {
        let mut resting_until = lock(&self.resting_until);
        match *resting_until {
            Some(until) if Instant::now() < until => true,
            Some(_) => {
                *resting_until = None;
                false
            }
            None => false,
        }
    }

    fn rest(&self) {
        *lock(&self.resting_until) = Some(Instant::now() + REST);
    }
}

/// How far the server has replayed, or `None` if it is not a standby.
async fn replayed(connection: &mut PgConnection) -> Result<Option<u64>, sqlx::Error> {
    let row = connection.fetch_one(REPLAYED).await?;
    Ok(row.try_get::<Option<i64>, _>(0)?.map(lsn))
}

/// The WAL end asked with [`WAL_END`].
pub(crate) async fn wal_end(connection: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let row = connection.fetch_one(WAL_END).await?;
    Ok(lsn(row.try_get::<i64, _>(0)?))
}

fn lsn(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}
