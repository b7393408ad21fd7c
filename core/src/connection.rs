//! Connections as calls use them: a write transaction on one table (`BEGIN` and the table lock in one
//! round trip, and a connection that never goes back to the pool with a transaction open), and the
//! session of a single statement.

use sqlx::{Executor, PgConnection};

use crate::client::{sqlstate, ClientInner, Failure};
use crate::error::Error;
use crate::pool::PooledConnection;

/// A transaction dropped before COMMIT or ROLLBACK has run (its call's future was cancelled) closes
/// its connection, which makes the server roll it back.
pub(crate) struct WriteTransaction {
    connection: PooledConnection,
}

impl WriteTransaction {
    /// Begins a transaction holding the table's advisory lock, shared or `exclusive` (see
    /// `lock_table` in the migrations), after checking the table still exists; `not_found` is the
    /// error for a table that does not.
    pub(crate) async fn begin(
        client: &ClientInner,
        table_pk: i64,
        exclusive: bool,
        not_found: impl FnOnce() -> Error,
    ) -> Result<WriteTransaction, Failure> {
        let mut transaction = WriteTransaction {
            connection: client.pool.acquire().await.map_err(Failure::Rejected)?,
        };
        // Literal numbers of our own, not caller input: the simple protocol sends both statements in
        // one round trip, which parameters would not allow.
        let begin = client.schema.sql(&format!(
            "BEGIN; SELECT {{s}}.lock_table({}, {table_pk}, {exclusive})",
            client.schema.lock_space
        ));
        if let Err(error) = transaction.connection.execute(sqlx::raw_sql(&begin)).await {
            transaction.rollback().await;
            return Err(match sqlstate(&error).as_deref() {
                Some("P0002") => Failure::Rejected(not_found()),
                _ => Failure::Database(error),
            });
        }
        Ok(transaction)
    }

    pub(crate) fn connection(&mut self) -> &mut PgConnection {
        &mut self.connection
    }

    pub(crate) async fn commit(mut self) -> Result<(), Failure> {
        let committed = self.connection.execute("COMMIT").await;
        if committed.is_ok() {
            self.connection.finish();
        }
        // A connection lost here leaves the outcome unknown: never run the call again.
        committed.map(|_| ()).map_err(Failure::Uncertain)
    }

    /// Rolls back; a connection that cannot even do that is closed rather than reused.
    pub(crate) async fn rollback(mut self) {
        if self.connection.execute("ROLLBACK").await.is_ok() {
            self.connection.finish();
        }
    }
}

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
