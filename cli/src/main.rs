//! The `sleeper-pg` binary: the command line of `sleeper_pg_cli`.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(sleeper_pg_cli::run(std::env::args_os()))
}
