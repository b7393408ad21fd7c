//! `sleeper-pg`: migrate the store's schema, look at its tables, and export, import and replay them
//! from the command line, as aligned columns for people or JSON for scripts. A library so that the
//! Python package runs the same command line (`python -m sleeper_pg`).

mod commands;
mod output;
mod progress;
mod schema;

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::DateTime;
use clap::{CommandFactory, Parser, Subcommand};
use sleeper_pg::{block_on, redact_url, Client, ClientOptions, ErrorKind, Timestamp};

use serde::Serialize;

use crate::output::Human;
use crate::schema::State;

/// The heading of the options every command takes, apart from each command's own.
const GLOBAL: &str = "Global options";

#[derive(Parser)]
#[command(name = "sleeper-pg", version, about, long_about = None)]
struct Cli {
    /// The database: postgresql://user:password@host:port/database
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true, help_heading = GLOBAL)]
    url: Option<String>,
    /// The PostgreSQL schema that holds the store
    #[arg(long, global = true, default_value = "sleeper", help_heading = GLOBAL)]
    schema: String,
    /// Print one JSON document instead of aligned columns
    #[arg(long, global = true, help_heading = GLOBAL)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply the bundled schema migrations, or with --check only report whether the schema is current
    Migrate {
        /// Change nothing; exit with 0 if the schema is current, 1 if not
        #[arg(long)]
        check: bool,
    },
    /// The ids of the tables
    Tables,
    /// A table's partitions, files and references, counted
    Status {
        /// The table's id
        table: String,
    },
    /// A table's partition tree, from the root, with each partition's key ranges
    Partitions {
        /// The table's id
        table: String,
    },
    /// A table's file references, or with --unreferenced its files with no references
    Files {
        /// The table's id
        table: String,
        /// Only the references on this partition
        #[arg(long, value_name = "ID", conflicts_with = "unreferenced")]
        partition: Option<String>,
        /// Only the references assigned to this compaction job
        #[arg(long, value_name = "ID", conflicts_with = "unreferenced")]
        job: Option<String>,
        /// The files with no references instead
        #[arg(long)]
        unreferenced: bool,
    },
    /// The files with no references last updated before a time: ready for garbage collection
    GcCandidates {
        /// The table's id
        table: String,
        /// An RFC 3339 time, such as 2024-01-01T00:00:00Z
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        before: Timestamp,
    },
    /// Write a table's partitions, files and references, as of one moment, to a file of JSON lines
    Export {
        /// The table's id
        table: String,
        /// The file to write, instead of standard output (then nothing else is printed there)
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Load an export into a new table, or into an existing one with no files, all or nothing
    Import {
        /// The file `sleeper-pg export` wrote
        file: PathBuf,
        /// The table to load it into, instead of the one it was exported from
        #[arg(long, value_name = "ID")]
        table: Option<String>,
    },
    /// Replay a file of Sleeper transaction log entries (JSON lines) on a table, entry by entry
    Apply {
        /// The table's id
        table: String,
        /// One entry a line: {"transactionType": ..., "transaction": ..., "updateTime": <epoch ms>}
        file: PathBuf,
    },
}

fn parse_time(text: &str) -> Result<Timestamp, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.to_utc())
        .map_err(|_| "expected an RFC 3339 time, such as 2024-01-01T00:00:00Z".to_owned())
}

/// What went wrong, for the one line of `sleeper-pg: <message>`.
type Error = Box<dyn std::error::Error>;

/// Runs the command line on `args` (the program's name first) and gives its exit code: 0, 1 for
/// an error (one line on stderr) or `migrate --check` on a schema that is not current, 2 for a
/// usage error.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => return usage(&error),
    };
    let Some(url) = cli.url.clone() else {
        return usage(&Cli::command().error(
            clap::error::ErrorKind::MissingRequiredArgument,
            "no database: pass --url or set DATABASE_URL",
        ));
    };
    match run_command(cli, &url) {
        Ok(code) => code,
        Err(error) => {
            // One line, whatever the error's text holds; stderr may be gone, which is no reason to panic.
            let message = error
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let _ = writeln!(std::io::stderr(), "sleeper-pg: {message}");
            FAILURE
        }
    }
}

const SUCCESS: u8 = 0;
const FAILURE: u8 = 1;

/// Prints clap's usage error, or the help or version asked for, and gives its exit code.
fn usage(error: &clap::Error) -> u8 {
    let _ = error.print();
    u8::try_from(error.exit_code()).unwrap_or(FAILURE)
}

/// Runs the command and prints its report; the exit code is a failure only for `migrate --check` on a
/// schema that is not current.
fn run_command(cli: Cli, url: &str) -> Result<u8, Error> {
    let options = ClientOptions::default().with(|o| {
        o.url = Some(url.to_owned());
        o.schema = cli.schema.clone();
        // Only `migrate` changes the schema: reading a table must not upgrade the database under others.
        o.migrate = false;
        o.max_connections = 1;
        // Waits for a server that is down no longer than for one that is slow to answer.
        o.acquire_timeout = o.connect_timeout;
        o.server_wait_timeout = o.connect_timeout;
    });
    let session = Session {
        options,
        json: cli.json,
    };
    let mut code = SUCCESS;
    let text = match cli.command {
        Command::Migrate { check } => {
            let report = commands::migrate(&session.options, check);
            if check && report.as_ref().is_ok_and(|r| r.state != State::Current) {
                code = FAILURE;
            }
            session.show(report)?
        }
        Command::Tables => session.read(commands::tables)?,
        Command::Status { table } => session.read(|client| commands::status(client, &table))?,
        Command::Partitions { table } => {
            session.read(|client| commands::partitions(client, &table))?
        }
        Command::Files {
            table,
            unreferenced: true,
            ..
        } => session.read(|client| commands::unreferenced_files(client, &table))?,
        Command::Files {
            table,
            partition,
            job,
            unreferenced: false,
        } => session
            .read(|client| commands::files(client, &table, partition.as_deref(), job.as_deref()))?,
        Command::GcCandidates { table, before } => {
            session.read(|client| commands::gc_candidates(client, &table, before))?
        }
        Command::Export {
            table,
            output: None,
        } => {
            // The export is the output: no report follows it.
            session.read(|client| commands::export(client, &table, std::io::stdout(), None))?;
            String::new()
        }
        Command::Export {
            table,
            output: Some(path),
        } => {
            let file = File::create(&path).map_err(|e| about(&path, e))?;
            let report = session.read(|client| commands::export(client, &table, file, Some(&path)));
            if report.is_err() {
                // What was written is no export: it lacks its end line.
                let _ = std::fs::remove_file(&path);
            }
            report?
        }
        Command::Import { file, table } => {
            let input = open(&file)?;
            session.read(|client| commands::import(client, input, &file, table.as_deref()))?
        }
        Command::Apply { table, file } => {
            let input = open(&file)?;
            session.read(|client| commands::apply(client, &table, input))?
        }
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        // A reader that stopped early (`| head`) has all it wanted.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(code),
    }
}

/// A file to read, opened before connecting, with its size for the progress bar.
fn open(path: &Path) -> Result<commands::Input, Error> {
    let file = File::open(path).map_err(|e| about(path, e))?;
    let size = file.metadata().map_err(|e| about(path, e))?.len();
    Ok(commands::Input {
        reader: BufReader::new(file),
        size,
    })
}

fn about(path: &Path, error: std::io::Error) -> Error {
    format!("{}: {error}", path.display()).into()
}

/// What every command connects with, and how it shows its report.
struct Session {
    options: ClientOptions,
    json: bool,
}

impl Session {
    /// Runs `read` on a client of its own, closed afterwards, and shows what it returns.
    fn read<R: Serialize + Human>(
        &self,
        read: impl FnOnce(&Client) -> sleeper_pg::Result<R>,
    ) -> Result<String, Error> {
        let report = block_on(Client::connect_with(self.options.clone())).and_then(|client| {
            let report = read(&client);
            block_on(async {
                client.close().await;
                Ok(())
            })?;
            report
        });
        self.show(report)
    }

    /// The report as JSON, or as text for people; either ends with a newline.
    fn show<R: Serialize + Human>(&self, report: sleeper_pg::Result<R>) -> Result<String, Error> {
        let report = report.map_err(|error| self.explain(error))?;
        Ok(if self.json {
            serde_json::to_string_pretty(&report)? + "\n"
        } else {
            report.human()
        })
    }

    /// The core's error with what a person needs to act on it: which database failed, or that the
    /// schema lacks the store's tables.
    fn explain(&self, error: sleeper_pg::Error) -> Error {
        // undefined_table
        if error.sqlstate() == Some("42P01") {
            return format!(
                "{error}: is schema \"{}\" migrated? (sleeper-pg migrate --check)",
                self.options.schema
            )
            .into();
        }
        if error.kind() == ErrorKind::Connection {
            let url = self.options.url.as_deref().unwrap_or_default();
            return format!("{error} (database {})", redact_url(url)).into();
        }
        error.into()
    }
}
