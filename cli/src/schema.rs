//! The schema's version: which of the bundled migrations (`sleeper_pg::MIGRATOR`) its
//! `_sqlx_migrations` table, written by sqlx as the core migrates, records as applied.

use serde::Serialize;
use sleeper_pg::{Result, MIGRATOR};
use sqlx::{Connection, PgConnection};

/// How a schema's migrations compare with the bundled ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Every bundled migration is applied, and no other.
    Current,
    /// Some bundled migration is not applied: `sleeper-pg migrate` applies it.
    Behind,
    /// Migrations of a newer sleeper-pg are applied.
    Ahead,
}

/// The versions of the bundled migrations, in order.
pub fn bundled() -> Vec<i64> {
    MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| m.version)
        .collect()
}

/// The bundled migration's description, as its file names it (`0001_state_store.sql`: "state store").
pub fn description(version: i64) -> Option<&'static str> {
    MIGRATOR
        .iter()
        .find(|m| m.version == version)
        .map(|m| &*m.description)
}

pub fn state(applied: &[i64]) -> State {
    let bundled = bundled();
    if bundled.iter().any(|version| !applied.contains(version)) {
        State::Behind
    } else if applied.iter().any(|version| !bundled.contains(version)) {
        State::Ahead
    } else {
        State::Current
    }
}

/// The versions of the migrations applied to `schema`, in order: none while the schema or its
/// migrations table does not exist.
pub async fn applied(url: &str, schema: &str) -> Result<Vec<i64>> {
    let mut connection = PgConnection::connect(url).await?;
    // The server quotes the name; a schema that does not exist is no error, and resolves nothing.
    sqlx::query("SELECT set_config('search_path', quote_ident($1), false)")
        .bind(schema)
        .execute(&mut connection)
        .await?;
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut connection)
        .await?;
    let versions = if exists {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut connection)
            .await?
    } else {
        Vec::new()
    };
    connection.close().await?;
    Ok(versions)
}
