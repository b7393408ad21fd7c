//! The fault rounds of `faults` (issue 15) with the client behind a transaction-pooling PgBouncer and
//! its statement cache off: the server killed and restarted, backends terminated, the client's
//! connections to the pooler cut, and the pooler's connections to the server cut. After each: every
//! acknowledged commit is there, none is half-applied, the invariants hold, and the same `Client`
//! recovers by itself. The storm, the checks and the figures are those of `faults`.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::faults::*;
use sleeper_pg::testing::{PgBouncer, TcpProxy};
use sleeper_pg::*;

/// PgBouncer's connections to the server: fewer than the client's, so that transactions share them.
const SERVER_CONNECTIONS: usize = 4;

/// A client of `pooler` as `faults` configures one, with the one option a transaction pooler needs
/// (the statement cache off); the schema is migrated first through a direct connection to `server`.
async fn pooled_client(server: &LocalPostgres, pooler_url: String) -> Client {
    Client::connect_with(options(server.url()))
        .await
        .expect("migrate through a direct connection")
        .close()
        .await;
    Client::connect_with(options(pooler_url).with(|o| {
        o.statement_cache = false;
        o.migrate = false;
    }))
    .await
    .expect("a client behind the pooler")
}

fn start_pooler(server: &LocalPostgres) -> PgBouncer {
    PgBouncer::start(server, SERVER_CONNECTIONS).expect("start PgBouncer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn behind_pgbouncer_a_server_killed_and_restarted_mid_storm_keeps_every_acknowledged_commit()
{
    let local = crash_safe_server();
    let pooler = start_pooler(&local);
    let client = pooled_client(&local, pooler.url()).await;
    let url = local.url();
    let local = Arc::new(Mutex::new(local));
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
        assert_ne!(local.lock().unwrap().server_pid(), pid, "a new server");
        verify(&store, &outcomes, &url).await;
        assert!(
            count(&outcomes, true) > before,
            "no commit succeeded after the restart"
        );
        tally.add(1, &outcomes);
    }
    tally.write(
        "pooler-faults-kill",
        "behind PgBouncer: server killed (SIGKILL) and restarted",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn behind_pgbouncer_terminated_backends_lose_no_acknowledged_commit() {
    let local = crash_safe_server();
    let pooler = start_pooler(&local);
    let client = pooled_client(&local, pooler.url()).await;
    // PgBouncer's connections to the server: every client backend but the killer's own.
    storms_with_backends_terminated(
        &client,
        &local.url(),
        "backend_type = 'client backend'",
        "pooler-faults-terminate",
        "behind PgBouncer: backends terminated (pg_terminate_backend)",
    )
    .await;
}

/// Runs storms with the client behind `pooler` while `proxy` cuts every connection through it 30
/// times a round; `fault` names the connections cut, in the figures.
async fn storms_with_cuts(
    local: &LocalPostgres,
    client_url: String,
    proxy: &TcpProxy,
    (name, fault): (&str, &str),
) {
    let client = pooled_client(local, client_url).await;
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
    tally.write(name, fault);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connections_to_pgbouncer_cut_lose_no_acknowledged_commit() {
    let local = crash_safe_server();
    let pooler = start_pooler(&local);
    let proxy = TcpProxy::start(("127.0.0.1", pooler.port())).expect("start the TCP proxy");
    storms_with_cuts(
        &local,
        tcp_url(proxy.port()),
        &proxy,
        (
            "pooler-faults-cut-client",
            "behind PgBouncer: the client's connections to PgBouncer cut",
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pgbouncer_connections_to_the_server_cut_lose_no_acknowledged_commit() {
    let local = crash_safe_server();
    let proxy = TcpProxy::start(("127.0.0.1", local.port())).expect("start the TCP proxy");
    let pooler = PgBouncer::start_for("127.0.0.1", proxy.port(), SERVER_CONNECTIONS)
        .expect("start PgBouncer");
    storms_with_cuts(
        &local,
        pooler.url(),
        &proxy,
        (
            "pooler-faults-cut-server",
            "behind PgBouncer: PgBouncer's connections to the server cut",
        ),
    )
    .await;
}
