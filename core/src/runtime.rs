//! The one tokio runtime of the process and the blocking facade over it. The bindings (Python, Java,
//! C) call the async store through [`block_on`], so every language shares one runtime and its pools.

use std::future::Future;
use std::sync::Mutex;

use tokio::runtime::Runtime;

use crate::error::{Error, Result};

/// The runtime and the process it was made in: a forked child has none of its threads, so it gets a
/// runtime of its own. The parent's runtime is leaked in the child, since dropping it would wait for
/// threads that do not exist there.
static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

fn runtime() -> Result<&'static Runtime> {
    let pid = std::process::id();
    let mut slot = RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, runtime)) = *slot {
        if owner == pid {
            return Ok(runtime);
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("sleeper-pg")
        .enable_all()
        .build()
        .map_err(|e| Error::connection(format!("Could not start the sleeper-pg runtime: {e}")))?;
    let runtime: &'static Runtime = Box::leak(Box::new(runtime));
    *slot = Some((pid, runtime));
    Ok(runtime)
}

/// Runs a store call to completion on the shared runtime, blocking the calling thread. Called from a
/// thread that is itself driving a tokio runtime it returns an error instead of blocking that runtime.
pub fn block_on<T>(future: impl Future<Output = Result<T>>) -> Result<T> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::state_store(
            "The blocking sleeper-pg API was called from inside a tokio runtime: use the async API there",
        ));
    }
    runtime()?.block_on(future)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_on_runs_a_future_to_completion() {
        assert_eq!(block_on(async { Ok(42) }), Ok(42));
    }

    #[test]
    fn block_on_inside_a_runtime_returns_an_error() {
        let outer = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let result = outer.block_on(async { block_on(async { Ok(1) }) });
        assert!(matches!(result, Err(Error::StateStore { .. })));
    }
}
