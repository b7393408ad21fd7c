//! The embedded default: a throwaway PostgreSQL cluster from the system's PostgreSQL packages, in a
//! directory of its own, on a private Unix socket and a free port. Dropping it stops the server and
//! deletes the directory; a directory left by a process that died is cleaned up by the next start.

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

#[cfg(feature = "testing")]
mod crash;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(15);
const INSTALL_HINT: &str = "install the PostgreSQL server (Debian: apt-get install postgresql)";

/// A running throwaway cluster. Several may run at once, beside any other server.
pub struct LocalPostgres {
    server: Child,
    directory: PathBuf,
    bin_directory: PathBuf,
    port: u16,
    socket_directory: PathBuf,
    /// How the server was started: to start it again on the same data (`restart`), or a replica.
    launch: Launch,
    /// The process that started the cluster: only it stops the cluster. A forked child's copy of
    /// the handle leaves the parent's server alone.
    owner_process: u32,
}

/// How to start the server: again, after a crash (`testing`), or on a replica's copy of the data.
#[derive(Clone)]
struct Launch {
    postgres: PathBuf,
    owner: Option<(u32, u32)>,
    options: LocalPostgresOptions,
}

impl std::fmt::Debug for LocalPostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalPostgres")
            .field("url", &self.url())
            .finish()
    }
}

/// How to start a cluster. The default suits tests: fast, not crash safe (fsync off).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LocalPostgresOptions {
    /// Keep PostgreSQL's crash-safe defaults (fsync, synchronous commit), as benchmarks need.
    pub durable: bool,
    /// Further `name=value` server settings, passed as `-c name=value`.
    pub settings: Vec<(String, String)>,
}

impl LocalPostgresOptions {
    /// These options with the changes `set` makes (see [`crate::ClientOptions::with`]).
    pub fn with(mut self, set: impl FnOnce(&mut Self)) -> Self {
        set(&mut self);
        self
    }
}

impl LocalPostgres {
    /// Starts a new empty cluster with the default options and waits until it accepts connections.
    pub fn start() -> Result<LocalPostgres> {
        Self::start_with(&LocalPostgresOptions::default())
    }

    /// Starts a new empty cluster with `options` and waits until it accepts connections.
    pub fn start_with(options: &LocalPostgresOptions) -> Result<LocalPostgres> {
        let binaries = find_binaries()?;
        let base = base_directory()?;
        clean_up_stale_clusters(&base);
        let owner = ServerUser::for_this_process()?;
        let directory = new_cluster_directory(&base, &owner)?;
        let started = init_and_start(&binaries, &directory, &owner, options);
        if started.is_err() {
            let _ = fs::remove_dir_all(&directory);
        }
        started
    }

    /// A URL for the cluster's superuser `postgres` and database `postgres`, through the Unix socket.
    pub fn url(&self) -> String {
        format!(
            "postgresql://postgres@localhost:{}/postgres?host={}",
            self.port,
            self.socket_directory.display()
        )
    }

    /// The TCP port the server also listens on, at 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory of the server's Unix socket.
    pub fn socket_directory(&self) -> &Path {
        &self.socket_directory
    }

    /// The directory of the PostgreSQL programs that run the cluster (`psql`, `pgbench` are there too).
    pub fn bin_directory(&self) -> &Path {
        &self.bin_directory
    }

    /// The cluster's directory: its data, socket and server log.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// Starts a hot standby of this cluster that streams its WAL (a copy by `pg_basebackup`, with
    /// this cluster's options, on a port and in a directory of its own) and waits until it accepts
    /// read-only connections. Dropping it stops the standby alone.
    pub fn start_replica(&self) -> Result<LocalPostgres> {
        let base = base_directory()?;
        let owner = ServerUser::for_this_process()?;
        let directory = new_cluster_directory(&base, &owner)?;
        let started = replicate_and_start(self, &directory, &owner);
        if started.is_err() {
            let _ = fs::remove_dir_all(&directory);
        }
        started
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        if std::process::id() != self.owner_process {
            return;
        }
        stop_server(&mut self.server);
        let _ = fs::remove_dir_all(&self.directory);
    }
}

struct Binaries {
    initdb: PathBuf,
    postgres: PathBuf,
}

/// The newest `/usr/lib/postgresql/N/bin`, else the directory of `initdb` on `PATH`.
fn find_binaries() -> Result<Binaries> {
    find_binaries_in(Path::new("/usr/lib/postgresql"), std::env::var_os("PATH"))
}

fn find_binaries_in(packages: &Path, path: Option<std::ffi::OsString>) -> Result<Binaries> {
    let mut candidates: Vec<(u32, PathBuf)> = fs::read_dir(packages)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    candidates.sort();
    let on_path = path
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    candidates
        .into_iter()
        .rev()
        .map(|(_, dir)| dir)
        .chain(on_path)
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
        .map(|dir| Binaries {
            initdb: dir.join("initdb"),
            postgres: dir.join("postgres"),
        })
        .ok_or_else(|| {
            Error::connection(format!(
                "No PostgreSQL server binaries (initdb, postgres) under /usr/lib/postgresql/*/bin or on PATH: {INSTALL_HINT}"
            ))
        })
}

fn base_directory() -> Result<PathBuf> {
    let base = std::env::temp_dir().join("sleeper-pg-local");
    fs::create_dir_all(&base).map_err(|e| io_error("create", &base, e))?;
    Ok(base)
}

/// The user the server runs as. PostgreSQL refuses to run as root, so root hands it to `postgres`
/// (or `nobody`); anyone else runs it as themselves.
struct ServerUser {
    ids: Option<(u32, u32)>,
}

impl ServerUser {
    fn for_this_process() -> Result<ServerUser> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(ServerUser { ids: None });
        }
        ["postgres", "nobody"]
            .iter()
            .find_map(|name| user_ids(name))
            .map(|ids| ServerUser { ids: Some(ids) })
            .ok_or_else(|| {
                Error::connection(
                    "Running as root, but there is no user postgres or nobody to run the server as",
                )
            })
    }

    fn give(&self, path: &Path) -> Result<()> {
        if let Some((uid, gid)) = self.ids {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .map_err(|e| io_error("chown", path, e))?;
        }
        Ok(())
    }

    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        if let Some((uid, gid)) = self.ids {
            command.uid(uid).gid(gid).env("HOME", "/tmp");
        }
        command
    }
}

fn user_ids(name: &str) -> Option<(u32, u32)> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam takes a NUL-terminated name and returns NULL or a pointer to static storage,
    // read at once; nothing else in this library calls it concurrently.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        return None;
    }
    // SAFETY: checked non-null above.
    let entry = unsafe { &*entry };
    Some((entry.pw_uid, entry.pw_gid))
}

static CLUSTERS_STARTED: AtomicU32 = AtomicU32::new(0);

/// `<base>/<pid>-<n>`: the pid tells a later start whether the owner is still alive.
fn new_cluster_directory(base: &Path, owner: &ServerUser) -> Result<PathBuf> {
    let n = CLUSTERS_STARTED.fetch_add(1, Ordering::Relaxed);
    let directory = base.join(format!("{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&directory);
    fs::create_dir_all(directory.join("socket")).map_err(|e| io_error("create", &directory, e))?;
    fs::set_permissions(&directory, fs::Permissions::from_mode(0o700))
        .map_err(|e| io_error("chmod", &directory, e))?;
    owner.give(&directory)?;
    owner.give(&directory.join("socket"))?;
    Ok(directory)
}

/// Stops the servers and removes the directories of clusters whose owning process has gone.
fn clean_up_stale_clusters(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name
            .to_str()
            .and_then(|n| n.split('-').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if process_alive(owner) {
            continue;
        }
        let directory = entry.path();
        if let Some(server) = fs::read_to_string(directory.join("data/postmaster.pid"))
            .ok()
            .and_then(|pid_file| {
                pid_file
                    .lines()
                    .next()
                    .and_then(|line| line.trim().parse::<i32>().ok())
            })
        {
            // SAFETY: kill with a pid and a signal has no memory-safety preconditions.
            unsafe { libc::kill(server, libc::SIGQUIT) };
        }
        tracing::info!(directory = %directory.display(), "removing a local cluster left by a process that has gone");
        let _ = fs::remove_dir_all(&directory);
    }
}

fn process_alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

fn init_and_start(
    binaries: &Binaries,
    directory: &Path,
    owner: &ServerUser,
    options: &LocalPostgresOptions,
) -> Result<LocalPostgres> {
    let data = directory.join("data");
    let mut initdb = owner.command(&binaries.initdb);
    initdb
        .args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "-D",
        ])
        .arg(&data);
    run_to_end(initdb, "initdb", Some(INSTALL_HINT))?;
    start_on(
        Launch {
            postgres: binaries.postgres.clone(),
            owner: owner.ids,
            options: options.clone(),
        },
        binaries
            .initdb
            .parent()
            .map(Path::to_owned)
            .unwrap_or_default(),
        directory,
        owner,
    )
}

/// Runs one of PostgreSQL's programs to the end; its error output, if it fails, is the error.
/// `hint` follows the error of a program that could not be run at all.
fn run_to_end(mut command: Command, name: &str, hint: Option<&str>) -> Result<()> {
    let output = command.stdin(Stdio::null()).output().map_err(|e| {
        let program = command.get_program().to_string_lossy().into_owned();
        let hint = hint.map(|hint| format!("; {hint}")).unwrap_or_default();
        Error::connection(format!("Could not run {program}: {e}{hint}"))
    })?;
    if !output.status.success() {
        return Err(Error::connection(format!(
            "{name} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

/// Starts a server on the data in `directory` and waits until it accepts connections.
fn start_on(
    launch: Launch,
    bin_directory: PathBuf,
    directory: &Path,
    owner: &ServerUser,
) -> Result<LocalPostgres> {
    let data = directory.join("data");
    let log_path = directory.join("server.log");
    let socket_directory = directory.join("socket");
    let log = fs::File::create(&log_path).map_err(|e| io_error("create", &log_path, e))?;
    owner.give(&log_path)?;
    drop(log);
    let port = free_port()?;
    let server = spawn_server(&launch, &data, &socket_directory, port, &log_path)?;
    let mut cluster = LocalPostgres {
        server,
        directory: directory.to_owned(),
        bin_directory,
        port,
        socket_directory,
        launch,
        owner_process: std::process::id(),
    };
    wait_until_ready(&mut cluster, &data, &log_path)?;
    tracing::info!(port, directory = %directory.display(), "started a local PostgreSQL cluster");
    Ok(cluster)
}

/// Copies `primary`'s data with `pg_basebackup`, set up to stream its WAL from it (`-R`), and starts
/// a server on the copy.
fn replicate_and_start(
    primary: &LocalPostgres,
    directory: &Path,
    owner: &ServerUser,
) -> Result<LocalPostgres> {
    let data = directory.join("data");
    let pg_basebackup = primary.bin_directory.join("pg_basebackup");
    let mut copy = owner.command(&pg_basebackup);
    copy.args([
        "--write-recovery-conf",
        "--wal-method=stream",
        "--checkpoint=fast",
        "--no-sync",
    ])
    .arg("--host")
    .arg(&primary.socket_directory)
    .args([
        "--port",
        &primary.port.to_string(),
        "--username",
        "postgres",
        "--pgdata",
    ])
    .arg(&data);
    run_to_end(copy, "pg_basebackup", None)?;
    start_on(
        primary.launch.clone(),
        primary.bin_directory.clone(),
        directory,
        owner,
    )
}

/// Starts the server on `data`, its output appended to the log at `log_path`.
fn spawn_server(
    launch: &Launch,
    data: &Path,
    socket_directory: &Path,
    port: u16,
    log_path: &Path,
) -> Result<Child> {
    let options = &launch.options;
    let owner = ServerUser { ids: launch.owner };
    let log = fs::OpenOptions::new()
        .append(true)
        .open(log_path)
        .map_err(|e| io_error("open", log_path, e))?;
    let mut command = owner.command(&launch.postgres);
    command
        .arg("-D")
        .arg(data)
        .arg("-k")
        .arg(socket_directory)
        .args([
            "-p",
            &port.to_string(),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=400",
        ]);
    if !options.durable {
        command.args([
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]);
    }
    for (name, value) in &options.settings {
        command.arg("-c").arg(format!("{name}={value}"));
    }
    let log_err = log.try_clone().map_err(|e| io_error("open", log_path, e))?;
    command
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        // Its own process group: a Ctrl-C meant for the caller must not stop the server under it.
        .process_group(0);
    spawn_dying_with_process(command).map_err(|e| {
        Error::connection(format!(
            "Could not start {}: {e}",
            launch.postgres.display()
        ))
    })
}

/// Spawns `command` so that it gets SIGQUIT (PostgreSQL's immediate shutdown) when this process dies,
/// however it dies. Linux sends the parent-death signal when the spawning *thread* exits, so the
/// spawn happens on a thread that lives as long as the process.
fn spawn_dying_with_process(mut command: Command) -> std::io::Result<Child> {
    type Request = (Command, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: Mutex<Option<(u32, mpsc::Sender<Request>)>> = Mutex::new(None);

    // SAFETY: the closure runs in the child between fork and exec and only calls prctl, which is
    // async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let requests = {
        let mut spawner = SPAWNER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*spawner {
            // A forked child has no spawner thread, so it starts its own.
            Some((pid, requests)) if *pid == std::process::id() => requests.clone(),
            _ => {
                let (requests, incoming) = mpsc::channel::<Request>();
                std::thread::Builder::new()
                    .name("sleeper-pg-local-postgres".to_owned())
                    .spawn(move || {
                        for (mut command, reply) in incoming {
                            let _ = reply.send(command.spawn());
                        }
                    })?;
                *spawner = Some((std::process::id(), requests.clone()));
                requests
            }
        }
    };
    let (reply, result) = mpsc::channel();
    requests
        .send((command, reply))
        .map_err(|_| std::io::Error::other("the spawner thread has stopped"))?;
    result
        .recv()
        .map_err(|_| std::io::Error::other("the spawner thread has stopped"))?
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::connection(format!("No free port: {e}")))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|e| Error::connection(format!("No free port: {e}")))
}

/// PostgreSQL writes "ready" as the status line of `postmaster.pid` once it accepts connections, and
/// "standby" once a hot standby accepts read-only ones.
fn wait_until_ready(cluster: &mut LocalPostgres, data: &Path, log_path: &Path) -> Result<()> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        let status = fs::read_to_string(data.join("postmaster.pid")).unwrap_or_default();
        if matches!(
            status.lines().nth(7).map(str::trim),
            Some("ready" | "standby")
        ) {
            return Ok(());
        }
        if let Ok(Some(exit)) = cluster.server.try_wait() {
            return Err(Error::connection(format!(
                "The local PostgreSQL server exited ({exit}) while starting: {}",
                log_tail(log_path)
            )));
        }
        if Instant::now() > deadline {
            return Err(Error::connection(format!(
                "The local PostgreSQL server did not start within {STARTUP_TIMEOUT:?}: {}",
                log_tail(log_path)
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn log_tail(log_path: &Path) -> String {
    let mut text = String::new();
    let _ = fs::File::open(log_path).and_then(|mut f| f.read_to_string(&mut text));
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

/// Fast shutdown (SIGINT), then SIGKILL if the server does not stop in time.
fn stop_server(server: &mut Child) {
    let Ok(pid) = i32::try_from(server.id()) else {
        return;
    };
    // SAFETY: kill with a pid and a signal has no memory-safety preconditions.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = server.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = server.kill();
    let _ = server.wait();
}

fn io_error(action: &str, path: &Path, error: std::io::Error) -> Error {
    Error::connection(format!("Could not {action} {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_server_binaries_the_error_names_the_package_to_install() {
        let nowhere = Path::new("/nonexistent/sleeper-pg");
        let error = find_binaries_in(nowhere, Some(nowhere.as_os_str().to_owned())).err();
        let message = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("apt-get install postgresql"), "{message}");
    }
}
