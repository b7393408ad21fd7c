//! The session of a call: a pooled connection that goes back to the pool only when the call ended
//! its conversation with the server, never with a transaction open.

use std::sync::atomic::Ordering;

use sqlx::{Executor, PgConnection};

use crate::client::{sqlstate, ClientInner, Failure};
use crate::error::Error;
use crate::pool::PooledConnection;
use crate::replicas;

/// The connection of a call that is one statement, or a few run one after another. Behind a
/// transaction-pooling PgBouncer (the client's statement cache off) they run inside a transaction:
/// between the messages of one unnamed statement the pooler may otherwise switch the client to
/// another server.
pub(crate) struct Session {
    connection: PooledConnection,
    in_transaction: bool,
    on_replica: bool,
}

impl Session {
    pub(crate) async fn open(client: &ClientInner) -> Result<Session, Failure> {
        Session::start(client, !client.statement_cache).await
    }

    /// A session whose statements run in one transaction, committed by `finish`.
    pub(crate) async fn begin(client: &ClientInner) -> Result<Session, Failure> {
        Session::start(client, true).await
    }

    /// A session for a read: on a replica that has this client's writes, if the client has replicas
    /// and one has them in time; on the primary otherwise.
    pub(crate) async fn open_read(client: &ClientInner) -> Result<Session, Failure> {
        if client.replicas.write_end_unknown() {
            // A write's commit whose WAL end was not learned: the primary's WAL end now covers it.
            let mut session = Session::open(client).await?;
            let end = replicas::wal_end(session.connection()).await?;
            client.replicas.learned(end);
            return Ok(session);
        }
        match client.replicas.connection().await {
            Some(connection) => {
                let mut session = Session::on(connection, !client.statement_cache).await?;
                session.on_replica = true;
                Ok(session)
            }
            None => Session::open(client).await,
        }
    }

    async fn start(client: &ClientInner, in_transaction: bool) -> Result<Session, Failure> {
        let mut connection = client.pool.acquire().await.map_err(Failure::Rejected)?;
        if !client.schema_checked.load(Ordering::Relaxed) {
            client
                .schema
                .refuse_newer(&mut connection)
                .await
                .map_err(Failure::Rejected)?;
            client.schema_checked.store(true, Ordering::Relaxed);
        }
        Session::on(connection, in_transaction).await
    }

    async fn on(
        mut connection: PooledConnection,
        in_transaction: bool,
    ) -> Result<Session, Failure> {
        if in_transaction {
            connection.execute("BEGIN").await?;
        }
        Ok(Session {
            connection,
            in_transaction,
            on_replica: false,
        })
    }

    /// Whether the session reads from a replica, which may not have other clients' latest writes.
    pub(crate) fn on_replica(&self) -> bool {
        self.on_replica
    }

    pub(crate) fn connection(&mut self) -> &mut PgConnection {
        &mut self.connection
    }

    /// What a failed write statement means for the attempt. A statement the server refused changed
    /// nothing, and outside a transaction leaves nothing open, so the connection can serve another
    /// call. Any other failure of a statement that commits on its own (outside a transaction) leaves
    /// its outcome unknown.
    pub(crate) fn write_failure(&mut self, error: sqlx::Error) -> Failure {
        let refused = sqlstate(&error).is_some();
        if refused && !self.in_transaction {
            self.connection.finish();
        }
        if refused || self.in_transaction {
            Failure::Database(error)
        } else {
            Failure::Uncertain(error)
        }
    }

    /// Ends the session of a call whose checks failed on what it read, with that failure: its
    /// statements have all completed, so the connection goes back to the pool.
    pub(crate) async fn end_rejected<T>(self, error: Error) -> Result<T, Failure> {
        self.finish().await?;
        Err(Failure::Rejected(error))
    }

    /// Ends the session, committing its transaction if it has one. A session dropped without this
    /// closes its connection.
    pub(crate) async fn finish(mut self) -> Result<(), sqlx::Error> {
        if self.in_transaction {
            self.connection.execute("COMMIT").await?;
        }
        self.connection.finish();
        Ok(())
    }

    /// Ends the session of a call that wrote, as `finish` does. A client with replicas then asks the
    /// primary where its WAL ends, past the write's commit, so that the client's next read waits for
    /// a replica to have replayed that far. The write has committed by then: a failure to ask is no
    /// failure of the call, only sends reads to the primary until the next write or read learns it.
    pub(crate) async fn finish_write(mut self, client: &ClientInner) -> Result<(), sqlx::Error> {
        if self.in_transaction {
            self.connection.execute("COMMIT").await?;
        }
        if !client.replicas.is_empty() {
            match replicas::wal_end(&mut self.connection).await {
                Ok(end) => client.replicas.wrote(Some(end)),
                Err(error) => {
                    tracing::debug!(%error, "the end of a write's WAL is unknown: reading from the primary");
                    // The connection is closed, not given back: the question may be under way.
                    client.replicas.wrote(None);
                    return Ok(());
                }
            }
        }
        self.connection.finish();
        Ok(())
    }
}
