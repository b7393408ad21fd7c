//! PgBouncer from Debian's package in front of a local cluster, in transaction pooling mode: for the
//! tests and the benchmarks of the client's pooler mode.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use crate::{ClientOptions, LocalPostgres};

/// A running PgBouncer, stopped (and its directory removed) when dropped.
pub struct PgBouncer {
    process: Child,
    directory: PathBuf,
    port: u16,
}

impl PgBouncer {
    /// Starts PgBouncer on a free port of 127.0.0.1 with `server_connections` connections to `server`.
    pub fn start(server: &LocalPostgres, server_connections: usize) -> Result<PgBouncer, String> {
        let host = server.socket_directory().display().to_string();
        Self::start_for(&host, server.port(), server_connections)
    }

    /// Starts PgBouncer as `start` does, with its connections to the server at `host` (a name, an
    /// address or a Unix socket's directory) and `server_port`: for example a `TcpProxy` in front of the
    /// server, to cut the pooler's own connections.
    pub fn start_for(
        host: &str,
        server_port: u16,
        server_connections: usize,
    ) -> Result<PgBouncer, String> {
        let directory = std::env::temp_dir().join(format!(
            "sleeper-pg-pgbouncer-{}-{server_port}",
            std::process::id(),
        ));
        let io = |e: std::io::Error| format!("pgbouncer: {e}");
        std::fs::create_dir_all(&directory).map_err(io)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(io)?
            .port();
        let config = format!(
            "[databases]\npostgres = host={host} port={server_port} dbname=postgres user=postgres\n\
             [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {dir}/users.txt\npool_mode = transaction\n\
             default_pool_size = {server_connections}\nmax_db_connections = {server_connections}\n\
             max_client_conn = 2000\nlogfile = {dir}/pgbouncer.log\n\
             server_login_retry = 1\n",
            dir = directory.display(),
        );
        std::fs::write(directory.join("pgbouncer.ini"), config).map_err(io)?;
        std::fs::write(directory.join("users.txt"), "\"postgres\" \"\"\n").map_err(io)?;
        let mut command = Command::new("pgbouncer");
        // PgBouncer refuses to run as root.
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            command.args(["-u", "postgres"]);
            Command::new("chmod")
                .arg("-R")
                .arg("a+rwX")
                .arg(&directory)
                .status()
                .map_err(io)?;
        }
        let process = command
            .arg("-q")
            .arg(directory.join("pgbouncer.ini"))
            .spawn()
            .map_err(|e| format!("pgbouncer (apt-get install pgbouncer): {e}"))?;
        let pgbouncer = PgBouncer {
            process,
            directory,
            port,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(pgbouncer);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("pgbouncer did not start listening".into())
    }

    /// The port PgBouncer listens on, at 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of the server's database `postgres` through the pooler.
    pub fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A client behind the pooler: one option, the statement cache off; the schema is migrated
    /// through a direct connection first.
    pub fn client_options(&self, max_connections: u32) -> ClientOptions {
        ClientOptions::default().with(|o| {
            o.url = Some(self.url());
            o.max_connections = max_connections;
            o.statement_cache = false;
            o.migrate = false;
        })
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}
