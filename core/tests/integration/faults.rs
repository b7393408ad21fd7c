//! Faults during a compaction commit storm (issue 8): the server killed with SIGKILL and restarted,
//! backends terminated, connections cut by a TCP proxy, and a server that stops answering. After
//! each: every acknowledged commit is there, no commit is half-applied, the invariants hold, and the
//! same `Client` recovers by itself. Each test starts a server of its own, since it breaks it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::model::snapshot::{self, Snapshot};
use sleeper_pg::testing::TcpProxy;
use sleeper_pg::*;

/// A call that takes longer than this has hung: far above every timeout the tests configure.
pub(crate) const HANG: Duration = Duration::from_secs(60);

/// A throwaway server whose commits survive a crash of the server process: `synchronous_commit` on
/// (the test default turns it off), `fsync` still off since only the process dies, not the machine.
pub(crate) fn crash_safe_server() -> LocalPostgres {
    LocalPostgres::start_with(&LocalPostgresOptions::default().with(|o| {
        o.durable = false;
        o.settings = vec![("synchronous_commit".to_owned(), "on".to_owned())];
    }))
    .expect("start a local server")
}

pub(crate) fn tcp_url(port: u16) -> String {
    format!("postgresql://postgres@127.0.0.1:{port}/postgres")
}

pub(crate) fn options(url: String) -> ClientOptions {
    ClientOptions::default().with(|o| {
        o.url = Some(url);
        o.max_connections = 8;
        o.acquire_timeout = Duration::from_secs(3);
        o.connect_timeout = Duration::from_secs(3);
        o.statement_timeout = Some(Duration::from_secs(3));
        o.attempt_timeout = Some(Duration::from_secs(6));
        o.server_wait_timeout = Duration::from_secs(3);
    })
}

// ---- The TCP proxy ----

/// A TCP proxy on 127.0.0.1 in front of the server (`sleeper_pg::testing::TcpProxy`), which can cut
/// every open connection and freeze.
fn start_proxy(local: &LocalPostgres) -> TcpProxy {
    TcpProxy::start(("127.0.0.1", local.port())).expect("start the TCP proxy")
}

// ---- The commit storm ----

#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    NotRun,
    Acknowledged,
    /// A connection error: the commit may or may not have been applied.
    Unknown(String),
    /// Any other error: never expected here.
    Rejected(Error),
}

pub(crate) fn input(job: usize) -> String {
    format!("in-{job}")
}

pub(crate) fn output(job: usize) -> String {
    format!("out-{job}")
}

pub(crate) fn job_id(job: usize) -> String {
    format!("job-{job}")
}

/// A table with `jobs` input files on the root partition, each assigned to its own compaction job.
pub(crate) async fn storm_table(client: &Client, jobs: usize) -> StateStore {
    let store = client
        .create_table(&unique_table_id("storm"), &long_key())
        .await
        .expect("create table");
    store.initialise().await.expect("initialise");
    let inputs: Vec<FileReference> = (0..jobs)
        .map(|job| FileReference {
            job_id: Some(job_id(job)),
            ..FileReference::new(input(job), "root", 100)
        })
        .collect();
    store.add_files(&inputs).await.expect("add the inputs");
    store
}

/// Commits every job from `workers` tasks at once through one store handle, counting acknowledged
/// commits in `acknowledged`. A worker whose call fails with a connection error waits a little, as a
/// compaction task would, so that the storm outlasts a fault.
pub(crate) async fn storm(
    store: &StateStore,
    jobs: usize,
    workers: usize,
    acknowledged: Arc<AtomicUsize>,
) -> Vec<Outcome> {
    let next = Arc::new(AtomicUsize::new(0));
    let outcomes = Arc::new(Mutex::new(vec![Outcome::NotRun; jobs]));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (store, next, outcomes, acknowledged) = (
            store.clone(),
            next.clone(),
            outcomes.clone(),
            acknowledged.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let job = next.fetch_add(1, Ordering::Relaxed);
                if job >= jobs {
                    return;
                }
                let requests = [ReplaceFileReferencesRequest::new(
                    job_id(job),
                    "root",
                    vec![input(job)],
                    FileReference::new(output(job), "root", 100),
                )];
                let call = store.atomically_replace_file_references_with_new_ones(&requests);
                let outcome = match tokio::time::timeout(HANG, call).await {
                    Err(_) => panic!("a commit hung for {HANG:?}"),
                    Ok(Ok(())) => {
                        acknowledged.fetch_add(1, Ordering::Relaxed);
                        Outcome::Acknowledged
                    }
                    Ok(Err(Error::Connection { message, .. })) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Outcome::Unknown(message)
                    }
                    Ok(Err(other)) => Outcome::Rejected(other),
                };
                outcomes.lock().unwrap()[job] = outcome;
            }
        }));
    }
    for task in tasks {
        task.await.expect("a storm worker");
    }
    let outcomes = outcomes.lock().unwrap().clone();
    outcomes
}

/// Waits until `count` reaches `at_least` (bounded by `HANG`).
pub(crate) async fn wait_for(count: &AtomicUsize, at_least: usize) {
    let deadline = Instant::now() + HANG;
    while count.load(Ordering::Relaxed) < at_least {
        assert!(Instant::now() < deadline, "the storm made no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The same client, once the server is reachable again, recovers by itself: the next calls succeed,
/// since a call that meets a connection broken by the fault (one that committed nothing) runs again on
/// another connection.
pub(crate) async fn recovers(store: &StateStore) {
    for _ in 0..20 {
        match tokio::time::timeout(HANG, store.get_file_references()).await {
            Err(_) => panic!("a call hung after the fault"),
            Ok(result) => {
                result.expect("calls after the fault succeed");
            }
        }
    }
    let report = store.get_all_files_with_max_unreferenced(0).await;
    assert!(report.is_ok(), "a call after the fault failed: {report:?}");
}

/// Every acknowledged commit is there; every commit with an unknown outcome is all there or not at
/// all; commits that never ran left their input alone; and the snapshot invariants hold.
pub(crate) async fn verify(store: &StateStore, outcomes: &[Outcome], checker_url: &str) {
    let rejected: Vec<&Error> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Rejected(error) => Some(error),
            _ => None,
        })
        .collect();
    assert!(rejected.is_empty(), "commits rejected: {rejected:?}");
    let mut connection = snapshot::connect(checker_url).await;
    let snapshot = Snapshot::take(&mut connection, "sleeper")
        .await
        .expect("a snapshot");
    let violations = snapshot.violations();
    assert!(violations.is_empty(), "invariants broken: {violations:?}");
    let table = &snapshot.tables[store.table_id()];
    for (job, outcome) in outcomes.iter().enumerate() {
        let input_left = table.is_referenced(&input(job), "root");
        let output_there = table.is_referenced(&output(job), "root");
        match outcome {
            Outcome::Acknowledged => assert!(
                output_there && !input_left,
                "acknowledged commit {job} lost: output there {output_there}, input left {input_left}"
            ),
            Outcome::Unknown(why) => assert!(
                output_there != input_left,
                "commit {job} ({why}) half-applied: output there {output_there}, input left {input_left}"
            ),
            Outcome::NotRun => assert!(input_left && !output_there, "job {job} never ran"),
            Outcome::Rejected(_) => unreachable!(),
        }
    }
    // The store agrees with the rows it keeps.
    let report = store
        .get_all_files_with_max_unreferenced(1_000_000)
        .await
        .expect("the report");
    assert_eq!(report.files, table.files_report());
}

pub(crate) fn count(outcomes: &[Outcome], acknowledged: bool) -> usize {
    outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Acknowledged) == acknowledged)
        .count()
}

// ---- Tests ----

/// Storm rounds per fault test: one in `make test`, more in the long run (`SLEEPER_PG_SOAK=1`).
pub(crate) fn rounds() -> usize {
    if std::env::var_os("SLEEPER_PG_SOAK").is_some() {
        10
    } else {
        1
    }
}

/// The figures of one fault test's rounds; with `SLEEPER_PG_SOAK=1` written to
/// `docs/reliability.md`.
#[derive(Default)]
pub(crate) struct Tally {
    rounds: usize,
    faults: usize,
    commits: usize,
    acknowledged: usize,
    unknown: usize,
}

impl Tally {
    pub(crate) fn add(&mut self, faults: usize, outcomes: &[Outcome]) {
        self.rounds += 1;
        self.faults += faults;
        self.commits += outcomes.len();
        self.acknowledged += count(outcomes, true);
        self.unknown += outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Unknown(_)))
            .count();
    }

    pub(crate) fn write(&self, name: &str, fault: &str) {
        if std::env::var_os("SLEEPER_PG_SOAK").is_none() {
            return;
        }
        static WRITING: Mutex<()> = Mutex::new(());
        let _one_at_a_time = WRITING.lock().unwrap();
        crate::model::write_reliability_section(
            name,
            &format!(
                "| fault | rounds | faults injected | commits attempted | acknowledged | \
                 outcome unknown | acknowledged lost | half-applied |\n\
                 |---|---|---|---|---|---|---|---|\n\
                 | {fault} | {} | {} | {} | {} | {} | 0 | 0 |",
                self.rounds, self.faults, self.commits, self.acknowledged, self.unknown
            ),
        );
    }
}

/// Starts a storm of `jobs` commits on a new table, 8 at a time.
pub(crate) async fn start_storm(
    client: &Client,
    jobs: usize,
) -> (
    StateStore,
    Arc<AtomicUsize>,
    tokio::task::JoinHandle<Vec<Outcome>>,
) {
    let store = storm_table(client, jobs).await;
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let storm = tokio::spawn({
        let (store, acknowledged) = (store.clone(), acknowledged.clone());
        async move { storm(&store, jobs, 8, acknowledged).await }
    });
    (store, acknowledged, storm)
}

pub(crate) const JOBS: usize = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_and_restarted_mid_storm_keeps_every_acknowledged_commit() {
    let local = crash_safe_server();
    let (url, port) = (local.url(), local.port());
    let local = Arc::new(Mutex::new(local));
    let client = Client::connect_with(options(url.clone())).await.unwrap();
    let mut tally = Tally::default();
    for _ in 0..rounds() {
        let pid = local.lock().unwrap().server_pid();
        let (store, acknowledged, storm) = start_storm(&client, JOBS).await;
        wait_for(&acknowledged, JOBS / 4).await;
        let before = acknowledged.load(Ordering::Relaxed);
        let crash = local.clone();
        tokio::task::spawn_blocking(move || crash.lock().unwrap().kill_and_restart())
            .await
            .unwrap()
            .expect("restart the server");
        let outcomes = storm.await.unwrap();
        recovers(&store).await;
        assert_eq!(local.lock().unwrap().port(), port);
        assert_ne!(
            local.lock().unwrap().server_pid(),
            pid,
            "a new server process"
        );
        verify(&store, &outcomes, &url).await;
        assert!(
            count(&outcomes, true) > before,
            "no commit succeeded after the restart"
        );
        tally.add(1, &outcomes);
    }
    tally.write("faults-kill", "server killed (SIGKILL) and restarted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn terminated_backends_fail_only_their_calls_and_lose_no_acknowledged_commit() {
    let local = crash_safe_server();
    let url = local.url();
    let client = Client::connect_with(options(url.clone())).await.unwrap();
    storms_with_backends_terminated(
        &client,
        &url,
        "application_name = 'sleeper-pg'",
        "faults-terminate",
        "backends terminated (pg_terminate_backend)",
    )
    .await;
}

/// `rounds()` storms by `client`, each with 50 backends of the server at `url` terminated while it
/// runs, one every 10 ms, chosen at random among those `backends` (a condition on
/// `pg_stat_activity`) selects; every storm verified, and the figures written as `tally_key`.
pub(crate) async fn storms_with_backends_terminated(
    client: &Client,
    url: &str,
    backends: &str,
    tally_key: &str,
    label: &str,
) {
    let mut killer = snapshot::connect(url).await;
    let terminate = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE {backends} AND pid <> pg_backend_pid() ORDER BY random() LIMIT 1"
    );
    let mut tally = Tally::default();
    for _ in 0..rounds() {
        let (store, acknowledged, storm) = start_storm(client, JOBS).await;
        wait_for(&acknowledged, JOBS / 8).await;
        let mut terminated = 0;
        for _ in 0..50 {
            let killed: Option<bool> = sqlx::query_scalar(&terminate)
                .fetch_optional(&mut killer)
                .await
                .expect("terminate a backend");
            terminated += usize::from(killed == Some(true));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let outcomes = storm.await.unwrap();
        recovers(&store).await;
        verify(&store, &outcomes, url).await;
        assert!(terminated > 0, "no backend was terminated");
        assert!(count(&outcomes, true) > JOBS / 8);
        tally.add(terminated, &outcomes);
    }
    tally.write(tally_key, label);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connections_cut_by_a_proxy_lose_no_acknowledged_commit() {
    let local = crash_safe_server();
    let proxy = start_proxy(&local);
    let client = Client::connect_with(options(tcp_url(proxy.port())))
        .await
        .unwrap();
    let mut tally = Tally::default();
    for _ in 0..rounds() {
        let cut_before = proxy.cut_connections();
        let (store, acknowledged, storm) = start_storm(&client, JOBS).await;
        wait_for(&acknowledged, JOBS / 8).await;
        for _ in 0..30 {
            proxy.cut_all();
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        let outcomes = storm.await.unwrap();
        recovers(&store).await;
        verify(&store, &outcomes, &local.url()).await;
        let cut = proxy.cut_connections() - cut_before;
        assert!(cut > 0, "no connection was cut");
        tally.add(cut, &outcomes);
    }
    tally.write("faults-cut", "connections cut by the TCP proxy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn large_adds_cut_by_a_proxy_are_applied_whole_or_not_at_all() {
    let local = crash_safe_server();
    let proxy = start_proxy(&local);
    let client = Client::connect_with(options(tcp_url(proxy.port())))
        .await
        .unwrap();
    let store = new_store(&client).await;
    let references_per_add = 4 * testing::COPY_FROM_REFERENCES;
    let mut acknowledged = 0;
    for add in 0..10 * rounds() {
        let references: Vec<FileReference> = (0..references_per_add)
            .map(|i| FileReference::new(format!("add-{add}-{i:06}"), "root", 1))
            .collect();
        let adding = {
            let store = store.clone();
            tokio::spawn(async move { store.add_files(&references).await })
        };
        tokio::time::sleep(Duration::from_millis(2 * add as u64 % 20)).await;
        proxy.cut_all();
        let outcome = adding.await.unwrap();

        let added = store
            .get_file_references()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.filename.starts_with(&format!("add-{add}-")))
            .count();
        match outcome {
            Ok(()) => {
                acknowledged += 1;
                assert_eq!(
                    added, references_per_add,
                    "acknowledged add {add} incomplete"
                );
            }
            Err(error) => {
                assert!(matches!(error, Error::Connection { .. }), "{error:?}");
                assert!(
                    added == 0 || added == references_per_add,
                    "add {add} ({error}) half-applied: {added} references"
                );
            }
        }
    }
    assert!(proxy.cut_connections() > 0, "no connection was cut");
    eprintln!(
        "large adds cut by the proxy: {acknowledged} of {} acknowledged, {} connections cut",
        10 * rounds(),
        proxy.cut_connections()
    );
}

/// Runs `call` and expects a connection error, well within `HANG`.
async fn fails_in_time<T: std::fmt::Debug>(
    what: &str,
    call: impl std::future::Future<Output = Result<T>>,
) -> Duration {
    let started = Instant::now();
    match tokio::time::timeout(HANG, call).await {
        Err(_) => panic!("{what} hung against a server that does not answer"),
        Ok(Err(Error::Connection { .. })) => started.elapsed(),
        Ok(other) => panic!("{what} gave {other:?}, not a connection error"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_that_stops_answering_makes_calls_fail_within_the_timeouts() {
    let local = crash_safe_server();
    let proxy = start_proxy(&local);
    let client = Client::connect_with(options(tcp_url(proxy.port())))
        .await
        .unwrap();
    let store = storm_table(&client, 4).await;
    proxy.freeze(true);
    // A connection already open, then new ones, which cannot even be opened.
    fails_in_time("a query", store.get_file_references()).await;
    fails_in_time(
        "a commit",
        store.atomically_replace_file_references_with_new_ones(&[
            ReplaceFileReferencesRequest::new(
                job_id(0),
                "root",
                vec![input(0)],
                FileReference::new(output(0), "root", 1),
            ),
        ]),
    )
    .await;
    fails_in_time(
        "a new client",
        Client::connect_with(options(tcp_url(proxy.port()))),
    )
    .await;
    proxy.freeze(false);
    recovers(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_server_process_makes_calls_fail_within_the_timeouts() {
    let local = crash_safe_server();
    let client = Client::connect_with(options(local.url())).await.unwrap();
    let store = storm_table(&client, 4).await;
    // SIGSTOP the postmaster and every process it started (each its own process group), and
    // SIGCONT them whatever happens next.
    let mut processes = vec![local.server_pid()];
    processes.extend(local.server_child_pids());
    struct Continue(Vec<u32>);
    impl Drop for Continue {
        fn drop(&mut self) {
            signal(&self.0, libc::SIGCONT);
        }
    }
    signal(&processes, libc::SIGSTOP);
    let resume = Continue(processes);
    fails_in_time("a query", store.get_file_references()).await;
    fails_in_time(
        "an add",
        store.add_file(&FileReference::new("new", "root", 1)),
    )
    .await;
    drop(resume);
    recovers(&store).await;
    let _ = &local;
}

fn signal(processes: &[u32], signal: i32) {
    for &pid in processes {
        // SAFETY: kill with a pid and a signal has no memory-safety preconditions.
        unsafe { libc::kill(pid as i32, signal) };
    }
}

// ---- Bounded waits with the default options (issue 15) ----

/// Longer than any default bound on a call against a server that does not answer (an attempt's 60 s,
/// or 60 s of waiting for a server plus a last 10 s try at connecting), well short of forever.
const DEFAULT_HANG: Duration = Duration::from_secs(240);

/// Runs `call` and expects a connection error within `DEFAULT_HANG`.
async fn fails_by_default<T: std::fmt::Debug>(
    what: &str,
    call: impl std::future::Future<Output = Result<T>>,
) -> String {
    match tokio::time::timeout(DEFAULT_HANG, call).await {
        Err(_) => {
            panic!("{what} hung with the default options against a server that does not answer")
        }
        Ok(Err(Error::Connection { message, .. })) => message,
        Ok(other) => panic!("{what} gave {other:?}, not a connection error"),
    }
}

/// The one commit of `storm_table(.., 1)` was applied whole or not at all.
async fn whole_or_not_at_all(store: &StateStore) {
    let references = store
        .get_file_references()
        .await
        .expect("read the references");
    let input_left = references.iter().any(|r| r.filename == input(0));
    let output_there = references.iter().any(|r| r.filename == output(0));
    assert!(
        input_left != output_there,
        "the commit was half-applied: input left {input_left}, output there {output_there}"
    );
}

async fn commit_job_0(store: &StateStore) -> Result<()> {
    let requests = [ReplaceFileReferencesRequest::new(
        job_id(0),
        "root",
        vec![input(0)],
        FileReference::new(output(0), "root", 1),
    )];
    store
        .atomically_replace_file_references_with_new_ones(&requests)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_frozen_server_fails_calls_with_the_default_options() {
    let local = crash_safe_server();
    let proxy = start_proxy(&local);
    let url = tcp_url(proxy.port());
    let client = Client::connect_with(ClientOptions::default().with(|o| o.url = Some(url.clone())))
        .await
        .unwrap();
    let store = storm_table(&client, 1).await;
    proxy.freeze(true);
    // At once: one call on the connection already open (the attempt timeout ends it), the others
    // on new ones, which cannot be opened (the server wait timeout ends them).
    let (query, commit, new_client) = tokio::join!(
        fails_by_default("a query", store.get_file_references()),
        fails_by_default("a commit", commit_job_0(&store)),
        fails_by_default(
            "a new client",
            Client::connect_with(ClientOptions::default().with(|o| o.url = Some(url.clone())))
        ),
    );
    eprintln!("frozen server, default options: {query} / {commit} / {new_client}");
    proxy.freeze(false);
    recovers(&store).await;
    whole_or_not_at_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_server_process_fails_calls_with_the_default_options() {
    let local = crash_safe_server();
    let client = Client::connect_with(ClientOptions::default().with(|o| o.url = Some(local.url())))
        .await
        .unwrap();
    let store = storm_table(&client, 1).await;
    let mut processes = vec![local.server_pid()];
    processes.extend(local.server_child_pids());
    struct Continue(Vec<u32>);
    impl Drop for Continue {
        fn drop(&mut self) {
            signal(&self.0, libc::SIGCONT);
        }
    }
    signal(&processes, libc::SIGSTOP);
    let resume = Continue(processes);
    let new_file = FileReference::new("new", "root", 1);
    let (commit, add) = tokio::join!(
        fails_by_default("a commit", commit_job_0(&store)),
        fails_by_default("an add", store.add_file(&new_file)),
    );
    eprintln!("stopped server process, default options: {commit} / {add}");
    drop(resume);
    recovers(&store).await;
    whole_or_not_at_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_call_timeout_bounds_a_call_without_an_attempt_timeout() {
    let local = crash_safe_server();
    let proxy = start_proxy(&local);
    let client = Client::connect_with(ClientOptions::default().with(|o| {
        o.url = Some(tcp_url(proxy.port()));
        o.attempt_timeout = None;
        o.call_timeout = Some(Duration::from_secs(2));
    }))
    .await
    .unwrap();
    let store = storm_table(&client, 1).await;
    proxy.freeze(true);
    let message = fails_by_default("a commit", commit_job_0(&store)).await;
    assert!(message.contains("call timeout"), "{message}");
    proxy.freeze(false);
    recovers(&store).await;
    whole_or_not_at_all(&store).await;
}

/// Seconds the cluster stays down in `calls_wait_for_a_stopped_server_and_apply_once`.
const DOWN: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_made_while_the_server_is_stopped_wait_for_it_and_apply_once() {
    let local = crash_safe_server();
    let client = Client::connect_with(ClientOptions::default().with(|o| o.url = Some(local.url())))
        .await
        .unwrap();
    let store = new_store(&client).await;
    let local = Arc::new(Mutex::new(local));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let calls = Arc::new(AtomicUsize::new(0));
    // Writers adding files of their own, one call after another, until after the restart.
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let (store, done, calls) = (store.clone(), done.clone(), calls.clone());
            tokio::spawn(async move {
                let mut added = Vec::new();
                for call in 0.. {
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    let files: Vec<FileReference> = (0..3)
                        .map(|i| FileReference::new(format!("w{writer}-c{call}-f{i}"), "root", 1))
                        .collect();
                    let started = Instant::now();
                    match tokio::time::timeout(DEFAULT_HANG, store.add_files(&files)).await {
                        Err(_) => panic!("an add hung while the server was down"),
                        Ok(Err(error)) => panic!("writer {writer}'s call {call} failed: {error:?}"),
                        Ok(Ok(())) => {}
                    }
                    calls.fetch_add(1, Ordering::Relaxed);
                    added.extend(files.into_iter().map(|f| f.filename));
                    let took = started.elapsed();
                    if took > Duration::from_secs(1) {
                        eprintln!("writer {writer}'s call {call} waited {took:?} for the server");
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                added
            })
        })
        .collect();
    wait_for(&calls, 20).await;
    let down = local.clone();
    tokio::task::spawn_blocking(move || {
        down.lock().unwrap().stop();
        std::thread::sleep(DOWN);
        down.lock().unwrap().restart()
    })
    .await
    .unwrap()
    .expect("restart the server");
    let after = calls.load(Ordering::Relaxed);
    wait_for(&calls, after + 20).await;
    done.store(true, Ordering::Relaxed);
    let mut added = Vec::new();
    for writer in writers {
        added.extend(writer.await.expect("a writer"));
    }
    // Every call succeeded (the writers check), and each wrote its files exactly once.
    let mut stored: Vec<String> = store
        .get_file_references()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.filename)
        .collect();
    stored.sort();
    added.sort();
    assert_eq!(stored, added);
    let report = store.get_all_files_with_max_unreferenced(0).await.unwrap();
    assert_eq!(report.files.len(), added.len());
    eprintln!(
        "server stopped for {DOWN:?} under {} writers: {} calls, all succeeded, {} files each once",
        4,
        calls.load(Ordering::Relaxed),
        added.len()
    );
}
