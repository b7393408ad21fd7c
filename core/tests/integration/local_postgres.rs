//! The embedded default: throwaway local clusters.

use std::path::PathBuf;

use sleeper_pg::{Client, LocalPostgres};

#[tokio::test]
async fn a_local_cluster_accepts_connections_at_its_url() {
    let cluster = tokio::task::spawn_blocking(LocalPostgres::start)
        .await
        .unwrap()
        .unwrap();
    let client = Client::connect(Some(&cluster.url())).await.unwrap();
    assert!(client.list_tables().await.is_ok());
}

#[test]
fn dropping_a_local_cluster_stops_it_and_removes_its_directory() {
    let cluster = LocalPostgres::start().unwrap();
    let directory = cluster.directory().to_owned();
    let pid_file = directory.join("data/postmaster.pid");
    let server_pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    drop(cluster);
    assert!(!directory.exists());
    assert!(
        !PathBuf::from(format!("/proc/{server_pid}")).exists(),
        "the server process has stopped"
    );
}

#[test]
fn two_local_clusters_run_at_once_on_different_ports() {
    let first = LocalPostgres::start().unwrap();
    let second = LocalPostgres::start().unwrap();
    assert_ne!(first.port(), second.port());
    assert_ne!(first.url(), second.url());
}

#[test]
fn a_directory_left_by_a_dead_process_is_removed_by_the_next_start() {
    let cluster = LocalPostgres::start().unwrap();
    let base = cluster.directory().parent().unwrap().to_owned();
    // No process has this pid: the kernel's pid_max is far below it.
    let stale = base.join("2147483646-0");
    std::fs::create_dir_all(stale.join("data")).unwrap();
    let _next = LocalPostgres::start().unwrap();
    assert!(!stale.exists());
}

#[tokio::test]
async fn a_client_without_a_url_or_database_url_starts_its_own_cluster() {
    if std::env::var_os("DATABASE_URL").is_some() {
        return; // the embedded default applies only without DATABASE_URL
    }
    let client = Client::connect(None).await.unwrap();
    assert!(client.list_tables().await.unwrap().is_empty());
}

/// Run as a child process by the test below: starts a cluster, reports its server's pid, waits.
const CHILD: &str = "SLEEPER_PG_LOCAL_POSTGRES_CHILD";

#[test]
fn a_local_cluster_stops_when_its_process_is_killed() {
    use std::io::BufRead;
    if std::env::var_os(CHILD).is_some() {
        let cluster = LocalPostgres::start().unwrap();
        let pid_file =
            std::fs::read_to_string(cluster.directory().join("data/postmaster.pid")).unwrap();
        println!("server-pid {}", pid_file.lines().next().unwrap());
        std::thread::sleep(std::time::Duration::from_secs(120));
        return;
    }
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "local_postgres::a_local_cluster_stops_when_its_process_is_killed",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let server_pid = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("server-pid ").map(str::to_owned))
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let server = PathBuf::from(format!("/proc/{server_pid}"));
    for _ in 0..300 {
        if !server.exists()
            || std::fs::read_to_string(server.join("stat")).is_ok_and(|s| s.contains(") Z "))
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the server {server_pid} outlived its killed process");
}
