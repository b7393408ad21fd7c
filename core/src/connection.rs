//! The session of a call: a pooled connection that goes back to the pool only when the call ended
//! its conversation with the server, never with a transaction open.

use sqlx::{Executor, PgConnection};

use crate::client::{ClientInner, Failure};
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
        let mut connection = client.pool.acquire().await.map_err(Failure::Rejected)?;
        let in_transaction = !client.statement_cache;
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

    /// Whether the session's statements run in a transaction it commits at the end.
    pub(crate) fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// After a statement the server refused: outside a transaction nothing is left open, so the
    /// connection can serve another call.
    pub(crate) fn keep_after_refusal(&mut self) {
        if !self.in_transaction {
            self.connection.finish();
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
