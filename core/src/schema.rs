//! The store's PostgreSQL schema: its name, the SQL that names it, and the embedded migrations.

use sqlx::migrate::Migrator;
use sqlx::{Executor, PgConnection, Row};

use crate::error::{Error, Result};

/// The migrations in `migrations/` (core/migrations links to it, so that a package of the crate holds
/// them), compiled into the library.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The schema that holds every object of the store, so that it can share a database with others.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    quoted: String,
    /// The first key of the two-key advisory locks on this schema's tables.
    pub(crate) lock_space: i32,
}

impl Schema {
    pub(crate) fn new(name: &str) -> Result<Schema> {
        crate::validate::id("schema", name, crate::validate::MAX_SCHEMA_BYTES)?;
        Ok(Schema {
            quoted: format!("\"{}\"", name.replace('"', "\"\"")),
            lock_space: stable_hash(name),
        })
    }

    /// `template` with every `{s}` replaced by the quoted schema name.
    pub(crate) fn sql(&self, template: &str) -> String {
        template.replace("{s}", &self.quoted)
    }

    /// Creates the schema if needed and applies the migrations that are missing, under a session
    /// advisory lock so that processes connecting to a fresh database at once do it one at a time.
    /// On `connection`, which the caller then closes: that releases the lock and the search path this
    /// leaves.
    pub(crate) async fn migrate_on(&self, connection: &mut PgConnection) -> Result<()> {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(i64::from(self.lock_space))
            .execute(&mut *connection)
            .await?;
        self.migrate_locked(connection).await
    }

    async fn migrate_locked(&self, connection: &mut PgConnection) -> Result<()> {
        connection
            .execute(self.sql("CREATE SCHEMA IF NOT EXISTS {s}").as_str())
            .await?;
        connection
            .execute(self.sql("SET search_path TO {s}").as_str())
            .await?;
        self.refuse_newer(connection).await?;
        // The lock taken above already serialises migrators; sqlx's own would be a second one.
        let migrator = Migrator {
            migrations: MIGRATOR.migrations.clone(),
            locking: false,
            ..Migrator::DEFAULT
        };
        migrator.run_direct(connection).await?;
        Ok(())
    }
}

impl Schema {
    /// Refuses a schema that a newer version of the library has migrated: this version's writes
    /// would leave out what the newer schema expects of them (the change feed's entries, when
    /// migration 4 was new). Clients connected before the upgrade go on as they were.
    pub(crate) async fn refuse_newer(&self, connection: &mut PgConnection) -> Result<()> {
        // One simple-protocol statement, so that it also runs through a transaction pooler.
        let newest_sql = self.sql("SELECT max(version) FROM {s}._sqlx_migrations");
        let newest = connection.fetch_one(newest_sql.as_str()).await;
        let newest_applied: Option<i64> = match newest {
            Ok(row) => row.try_get(0)?,
            // No record of migrations: a new schema.
            Err(error) if crate::client::sqlstate(&error).as_deref() == Some("42P01") => None,
            Err(error) => return Err(error.into()),
        };
        let newest_known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        match newest_applied {
            Some(applied) if applied > newest_known => Err(Error::connection(format!(
                "The store's schema {} is at migration {applied}, which this version of \
                 sleeper-pg ({}) does not know (it knows migrations up to {newest_known}): use \
                 the version of sleeper-pg that migrated it, or a later one",
                self.quoted,
                env!("CARGO_PKG_VERSION")
            ))),
            _ => Ok(()),
        }
    }
}

/// FNV-1a: the same number for the same schema name in every process and version.
fn stable_hash(name: &str) -> i32 {
    let hash = name.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    i32::from_ne_bytes(hash.to_ne_bytes())
}
