//! The command line `sleeper-pg` (the crate in `cli/`), for `python -m sleeper_pg` and the
//! `sleeper-pg` console script (`python/sleeper_pg/__main__.py`).

use pyo3::prelude::*;

/// Runs the command line on `args` (the program's name first) with the GIL released, printing to the
/// process's stdout and stderr, and returns its exit code.
#[pyfunction]
pub fn _run_cli(py: Python<'_>, args: Vec<String>) -> u8 {
    py.detach(|| sleeper_pg_cli::run(args))
}
