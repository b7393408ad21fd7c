//! The one trampoline every database call goes through: release the GIL, run the call on the core's
//! shared runtime, and turn its error into the matching Python exception. While it waits it checks
//! for signals, so that Ctrl-C interrupts a call that is stuck (on a lock, or in the retry backoff).

use std::future::Future;
use std::time::Duration;

use pyo3::prelude::*;

use crate::errors::to_py_err;

/// How often a waiting call looks for a pending signal (such as `KeyboardInterrupt`).
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// Runs the future `make` returns with the GIL released. `make` runs without the GIL too, so it
/// must borrow only Rust values (converted before the call).
pub(crate) fn call<T, F, Fut>(py: Python<'_>, make: F) -> PyResult<T>
where
    F: FnOnce() -> Fut + Send,
    Fut: Future<Output = sleeper_pg::Result<T>>,
    T: Send,
{
    let outcome = py.detach(move || sleeper_pg::block_on(checking_signals(make())));
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(interrupted)) => Err(interrupted),
        Err(error) => Err(to_py_err(py, error)),
    }
}

/// The call's result, or the exception a signal handler raised while it ran. An interrupted call is
/// abandoned: its transaction rolls back, unless its commit was already in flight (then, as with a
/// lost connection, its outcome is unknown).
async fn checking_signals<T>(
    call: impl Future<Output = sleeper_pg::Result<T>>,
) -> sleeper_pg::Result<PyResult<T>> {
    let mut call = std::pin::pin!(call);
    loop {
        match tokio::time::timeout(SIGNAL_CHECK_INTERVAL, call.as_mut()).await {
            Ok(result) => return result.map(Ok),
            Err(_still_running) => {
                if let Err(raised) = Python::attach(|py| py.check_signals()) {
                    return Ok(Err(raised));
                }
            }
        }
    }
}
