//! Connections as calls use them: a write transaction on one table (`BEGIN` and the table lock in one
//! round trip, and a connection that never goes back to the pool with a transaction open), and the
//! session of a single statement.

use sqlx::pool::PoolConnection;
use sqlx::{Executor, PgConnection, Postgres};

use crate::client::{sqlstate, ClientInner, Failure};
use crate::error::Error;

pub(crate) struct WriteTransaction {
    connection: PoolConnection<Postgres>,
    /// Set once COMMIT or ROLLBACK has run; a transaction dropped before that (its call's future
    /// was cancelled) closes its connection, which makes the server roll it back.
    finished: bool,
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
            connection: client.pool.acquire().await?,
            finished: false,
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
            self.finished = true;
        }
        // A connection lost here leaves the outcome unknown: never run the call again.
        committed.map(|_| ()).map_err(Failure::Uncertain)
    }

    /// Rolls back; a connection that cannot even do that is closed rather than reused.
    pub(crate) async fn rollback(mut self) {
        if self.connection.execute("ROLLBACK").await.is_ok() {
            self.finished = true;
        }
    }
}

impl Drop for WriteTransaction {
    fn drop(&mut self) {
        if !self.finished {
            self.connection.close_on_drop();
        }
    }
}

/// The connection of a call that is one statement. Behind a transaction-pooling PgBouncer (the client's
/// statement cache off) the statement runs inside a transaction: between the messages of one unnamed
/// statement the pooler may otherwise switch the client to another server.
pub(crate) enum Session {
    Pooled(PoolConnection<Postgres>),
    InTransaction(sqlx::Transaction<'static, Postgres>),
}

impl Session {
    pub(crate) async fn open(client: &ClientInner) -> Result<Session, sqlx::Error> {
        Ok(if client.statement_cache {
            Session::Pooled(client.pool.acquire().await?)
        } else {
            Session::InTransaction(client.pool.begin().await?)
        })
    }

    pub(crate) fn connection(&mut self) -> &mut PgConnection {
        match self {
            Session::Pooled(connection) => connection,
            Session::InTransaction(transaction) => transaction,
        }
    }

    pub(crate) async fn finish(self) -> Result<(), sqlx::Error> {
        match self {
            Session::Pooled(_) => Ok(()),
            Session::InTransaction(transaction) => transaction.commit().await,
        }
    }
}
