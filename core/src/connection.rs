//! The session of a call: a pooled connection that goes back to the pool only when the call ended
//! its conversation with the server, never with a transaction open.

use sqlx::{Executor, PgConnection};

use crate::client::{sqlstate, ClientInner, Failure};
use crate::error::Error;
use crate::pool::PooledConnection;

/// The connection of a call that is one statement, or a few run one after another. Behind a
/// transaction-pooling PgBouncer (the client's statement cache off) they run inside a transaction:
/// between the messages of one unnamed statement the pooler may otherwise switch the client to
/// another server.
pub(crate) struct Session {
    connection: PooledConnection,
    in_transaction: bool,
}

impl Session {
    pub(crate) async fn open(client: &ClientInner) -> Result<Session, Failure> {
        Session::start(client, !client.statement_cache).await
    }

    /// A session whose statements run in one transaction, committed by `finish`.
    pub(crate) async fn begin(client: &ClientInner) -> Result<Session, Failure> {
        Session::start(client, true).await
    }

    async fn start(client: &ClientInner, in_transaction: bool) -> Result<Session, Failure> {
        let mut connection = client.pool.acquire().await.map_err(Failure::Rejected)?;
        if in_transaction {
            connection.execute("BEGIN").await?;
        }
        Ok(Session {
            connection,
            in_transaction,
        })
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
}
