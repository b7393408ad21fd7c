//! Crashing and recovering a local cluster, for the fault tests (the `testing` feature).

use std::fs;
use std::time::{Duration, Instant};

use super::{spawn_server, wait_until_ready, LocalPostgres, SHUTDOWN_TIMEOUT};
use crate::error::Result;

impl LocalPostgres {
    /// The process id of the server (the postmaster).
    pub fn server_pid(&self) -> u32 {
        self.server.id()
    }

    /// The process ids of the server's own processes (backends, checkpointer, ...): the postmaster's
    /// children. Each is a process group of its own, so signalling the postmaster's group misses them.
    pub fn server_child_pids(&self) -> Vec<u32> {
        children_of(self.server.id())
    }

    /// Kills the server with SIGKILL, as a crash would: the postmaster and every process it started,
    /// and waits until they are gone. The data stays; `restart` starts the server on it again.
    pub fn kill(&mut self) {
        if let Ok(Some(_)) = self.server.try_wait() {
            return;
        }
        let Ok(pid) = i32::try_from(self.server.id()) else {
            return;
        };
        // Stopped first, so that it starts no process between the listing and the kill.
        // SAFETY: kill with a pid and a signal has no memory-safety preconditions.
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        let children = children_of(self.server.id());
        // SAFETY: as above.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        for &child in &children {
            if let Ok(child) = i32::try_from(child) {
                // SAFETY: as above.
                unsafe { libc::kill(child, libc::SIGKILL) };
            }
        }
        let _ = self.server.wait();
        let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
        while children.iter().any(|&child| process_running(child)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server again on the same data directory, port and socket, after `kill` (or a crash),
    /// and waits until it has recovered and accepts connections. A server still running is killed
    /// first.
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        let data = self.directory.join("data");
        let log_path = self.directory.join("server.log");
        // Every process of the old server is gone (`kill`), so its lock file is stale; and it says
        // "ready": remove it, so that readiness is the new server's.
        let _ = fs::remove_file(data.join("postmaster.pid"));
        let mut attempts = 0;
        loop {
            attempts += 1;
            self.server = spawn_server(
                &self.launch,
                &data,
                &self.socket_directory,
                self.port,
                &log_path,
            )?;
            match wait_until_ready(self, &data, &log_path) {
                Ok(()) => break,
                // A dying process of the old server may still hold its shared memory for a moment.
                Err(_) if attempts < 5 => {
                    self.kill();
                    let _ = fs::remove_file(data.join("postmaster.pid"));
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(error) => return Err(error),
            }
        }
        tracing::info!(port = self.port, "restarted a local PostgreSQL cluster");
        Ok(())
    }

    /// Stops the server with a fast shutdown (SIGINT), as an administrator restarting it would: open
    /// sessions are ended (their transactions rolled back) and new connections refused until
    /// `restart`.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.server.try_wait() {
            return;
        }
        super::stop_server(&mut self.server);
    }

    /// `kill`, then `restart`: a crash of the server and its recovery.
    pub fn kill_and_restart(&mut self) -> Result<()> {
        self.kill();
        self.restart()
    }
}

/// The processes whose parent is `parent`, from `/proc`.
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // The fields after the command (in parentheses, which may hold spaces): state, ppid.
                    let after = &stat[stat.rfind(')')? + 1..];
                    after.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

/// True while `pid` exists and is not a zombie.
fn process_running(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after = &stat[stat.rfind(')')? + 1..];
            after.split_whitespace().next().map(|state| state != "Z")
        })
        .unwrap_or(false)
}
