//! The native module `sleeper_pg._native`: a thin translation of the core's blocking API into
//! Python. Each method converts its arguments (`convert`), makes one call into the core with the GIL
//! released (`call`), and converts the result or the error (`errors`). The public package
//! `sleeper_pg` (python/sleeper_pg) re-exports these names with the exception classes.

mod arrow;
mod call;
mod cli;
mod convert;
mod errors;
mod feed;
mod model;
mod status;
mod store;
mod transaction;

use pyo3::prelude::*;

/// Sends the core's `tracing` events (through the `log` crate) to Python's `logging`: an event of
/// module `sleeper_pg::client` goes to the logger `sleeper_pg.client`. sqlx's own logging (one
/// event per statement) is left out below warnings, so that it costs nothing. Loggers are looked up
/// once, levels on every event, so `logging` configuration made later still applies.
fn install_logging(py: Python<'_>) -> PyResult<()> {
    let mut logger =
        pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers)?.filter(log::LevelFilter::Debug);
    for sqlx in ["sqlx", "sqlx_core", "sqlx_postgres"] {
        logger = logger.filter_target(sqlx.to_owned(), log::LevelFilter::Warn);
    }
    // Fails only when a logger is already installed (the module imported twice): keep that one.
    let _ = logger.install();
    Ok(())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    install_logging(m.py())?;
    m.add_class::<store::Client>()?;
    m.add_class::<store::StateStore>()?;
    m.add_class::<store::LocalPostgres>()?;
    m.add_class::<arrow::ArrowStream>()?;
    m.add_class::<model::FileReference>()?;
    m.add_class::<model::AllReferencesToAFile>()?;
    m.add_class::<model::AllReferencesToAllFiles>()?;
    m.add_class::<model::Range>()?;
    m.add_class::<model::Region>()?;
    m.add_class::<model::Partition>()?;
    m.add_class::<model::SplitFileReferenceRequest>()?;
    m.add_class::<model::ReplaceFileReferencesRequest>()?;
    m.add_class::<model::AssignJobIdRequest>()?;
    m.add_class::<model::CheckFileAssignmentsRequest>()?;
    m.add_class::<status::TableStatus>()?;
    m.add_class::<feed::Change>()?;
    m.add_class::<feed::ChangeSummary>()?;
    m.add_class::<transaction::TransactionOutcome>()?;
    m.add_class::<transaction::TransactionLogReplay>()?;
    m.add_function(wrap_pyfunction!(store::_connect, m)?)?;
    m.add_function(wrap_pyfunction!(model::partitions_from_split_points, m)?)?;
    m.add_function(wrap_pyfunction!(cli::_run_cli, m)?)?;
    #[cfg(feature = "testing")]
    m.add_function(wrap_pyfunction!(errors::_error_samples, m)?)?;
    Ok(())
}
