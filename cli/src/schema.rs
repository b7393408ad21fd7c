//! The schema's version: the bundled migrations (`sleeper_pg::MIGRATOR`) against those the core says
//! are applied (`Client::applied_migrations`).

use serde::Serialize;
use sleeper_pg::MIGRATOR;

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
