//! The benchmarks of issue 7, each measured beside its baseline on the same server in the same run:
//!
//! - P1: the compaction commit storm (assign + commit per job) at several client counts, beside
//!   `pgbench` tpcb-like at the same client counts (pgbench's default scale 1 unless
//!   `--pgbench-scale` says otherwise, as in ANCHORS.md); P1f the same with `fsync` off (ALTER SYSTEM,
//!   reset afterwards); P1e the storm and pgbench both through a TCP proxy that delays each direction
//!   by 1 ms, as a network would; P1b the same storm on several tables at once; P1c the storm through
//!   PgBouncer (transaction pooling, 20 server connections); P1d Sleeper's largest compaction test
//!   (8,192 leaves x 10 files, 200 clients);
//! - P5: the prototype's failing design (per-file count table, SERIALIZABLE), same storm;
//! - P2: adding file references in batches and in one call, beside raw `COPY` into an equivalent table;
//! - P3: reading every reference back, beside `psql \copy ... TO /dev/null`;
//! - P4: `get_partition` in a loop; P4p the same loop on one connection beside pgbench running the
//!   same statement (`-M prepared`, one client) for as long;
//! - P6: batched compaction commits, as Sleeper's batcher sends them (assign a batch of jobs, then
//!   commit them in one REPLACE_FILE_REFERENCES transaction, asynchronous mode), per batch size;
//! - P7: round trips per call: each kind of call made one after another on one connection through
//!   the 1 ms proxy and directly, the difference of the medians over 2 ms; pgbench select-only and
//!   tpcb-like (one client) the same way, for reference;
//! - P8: a query planner's read (the references on the leaves overlapping a key range) beside
//!   `get_partition`, on a table of 8,192 leaves at several sizes;
//! - P9: readers doing P8's read on the storm's own table in a loop while the storm runs, on a cluster
//!   of its own (durable) with one streaming replica: the storm alone, with the readers on the
//!   primary, and with the readers on the replica; every read is checked to be a state that existed.
//!   Once with both servers sharing the machine's cores, once with each server on a core of its own;
//! - P10: the storm with clients that record the change feed and with clients that do not,
//!   alternated, on the same server in the same run;
//! - T1: extending the partition tree from its root to 100,000 leaves in one call.
//!
//! `--workloads P7,P4p` runs only the workloads named.
//!
//! `cargo bench -p sleeper-pg --bench state_store -- --size full --json docs/benchmarks.json`
//! (`make bench` does that and writes docs/benchmarks.md). `--size tiny` runs every workload once,
//! small, as `make test` does so that the benchmarks cannot rot. Without `DATABASE_URL` it starts a
//! local cluster with PostgreSQL's durable defaults (fsync on).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde_json::{json, Value};
use sleeper_pg::testing::TcpProxy;
use sleeper_pg::*;
use sqlx::{Connection, Executor, PgConnection, Row};
use tokio::sync::Barrier;

type BenchResult<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Debug, Clone)]
struct Settings {
    clients: Vec<usize>,
    leaves: usize,
    files: usize,
    tables: usize,
    large_leaves: usize,
    large_files: usize,
    large_clients: usize,
    pooler_connections: usize,
    pgbench_seconds: u64,
    pgbench_scale: u32,
    prototype_clients: Vec<usize>,
    prototype_seconds: u64,
    bulk_references: usize,
    bulk_batch: usize,
    get_partition_calls: usize,
    batch_sizes: Vec<usize>,
    batch_clients: usize,
    extension_leaves: usize,
    /// The delay the TCP proxy adds in each direction (P7, P1e), in milliseconds.
    delay_ms: f64,
    /// Calls of each kind measured through the proxy and directly (P7), after a few to warm up.
    round_trip_calls: usize,
    /// Transactions of each pgbench run of P7 (one client).
    round_trip_transactions: usize,
    /// Clients of the storm and of pgbench through the delaying proxy (P1e).
    delay_clients: usize,
    /// Seconds of the Rust loop and of pgbench each (P4p).
    loop_seconds: u64,
    /// The sizes, in references, at which P8 measures its table of `large_leaves` leaves.
    region_sizes: Vec<usize>,
    /// Seconds of each loop of P8.
    region_seconds: f64,
    /// Storm clients and readers of P9 (the storm on a table of `large_leaves` x `large_files`).
    replica_clients: usize,
    replica_readers: usize,
    /// Storms of P10 with the change feed and without it, alternated.
    feed_rounds: usize,
    workloads: Vec<String>,
    json: Option<PathBuf>,
}

impl Settings {
    fn preset(size: &str) -> Settings {
        let all = [
            "P1", "P1f", "P1e", "P1b", "P1c", "P1d", "P5", "P2", "P3", "P4", "P4p", "P6", "P7",
            "P8", "P9", "P10", "T1",
        ]
        .map(String::from)
        .to_vec();
        match size {
            "tiny" => Settings {
                clients: vec![4],
                leaves: 16,
                files: 3,
                tables: 2,
                large_leaves: 32,
                large_files: 2,
                large_clients: 4,
                pooler_connections: 2,
                pgbench_seconds: 1,
                pgbench_scale: 1,
                prototype_clients: vec![4],
                prototype_seconds: 10,
                bulk_references: 2_000,
                bulk_batch: 500,
                get_partition_calls: 200,
                batch_sizes: vec![1, 4],
                batch_clients: 4,
                extension_leaves: 1_000,
                delay_ms: 1.0,
                round_trip_calls: 10,
                round_trip_transactions: 30,
                delay_clients: 4,
                loop_seconds: 1,
                region_sizes: vec![1_000, 10_000],
                region_seconds: 0.3,
                replica_clients: 4,
                replica_readers: 4,
                feed_rounds: 1,
                workloads: all,
                json: None,
            },
            _ => Settings {
                clients: vec![16, 64, 256],
                leaves: 1024,
                files: 11,
                tables: 8,
                large_leaves: 8192,
                large_files: 10,
                large_clients: 200,
                pooler_connections: 20,
                pgbench_seconds: 15,
                pgbench_scale: 1,
                prototype_clients: vec![16, 64, 256],
                prototype_seconds: 120,
                bulk_references: 1_000_000,
                bulk_batch: 1_000,
                get_partition_calls: 20_000,
                batch_sizes: vec![1, 16, 64, 256],
                batch_clients: 16,
                extension_leaves: 100_000,
                delay_ms: 1.0,
                round_trip_calls: 200,
                round_trip_transactions: 1_000,
                delay_clients: 64,
                loop_seconds: 10,
                region_sizes: vec![10_000, 100_000, 1_000_000],
                region_seconds: 3.0,
                replica_clients: 64,
                replica_readers: 64,
                feed_rounds: 3,
                workloads: all,
                json: None,
            },
        }
    }

    /// The settings of `--size` (first), changed by the other flags; every flag takes a value.
    fn from_args() -> BenchResult<Settings> {
        use lexopt::prelude::*;
        let mut flags = Vec::new();
        let mut parser = lexopt::Parser::from_env();
        while let Some(arg) = parser.next()? {
            match arg {
                Long("bench") => {} // passed by `cargo bench`
                Long(name) => {
                    let name = name.to_owned();
                    flags.push((name, parser.value()?.string()?));
                }
                other => return Err(other.unexpected().into()),
            }
        }
        let size = flags
            .iter()
            .find(|(name, _)| name == "size")
            .map_or("full", |(_, value)| value.as_str());
        let mut settings = Settings::preset(size);
        let list = |v: &str| -> BenchResult<Vec<usize>> {
            v.split(',')
                .map(|n| n.trim().parse::<usize>().map_err(Into::into))
                .collect()
        };
        for (name, value) in &flags {
            let number = || value.parse::<usize>();
            match name.as_str() {
                "size" => {}
                "clients" => settings.clients = list(value)?,
                "prototype-clients" => settings.prototype_clients = list(value)?,
                "batch-sizes" => settings.batch_sizes = list(value)?,
                "leaves" => settings.leaves = number()?,
                "files" => settings.files = number()?,
                "tables" => settings.tables = number()?,
                "large-leaves" => settings.large_leaves = number()?,
                "large-files" => settings.large_files = number()?,
                "large-clients" => settings.large_clients = number()?,
                "pgbench-seconds" => settings.pgbench_seconds = value.parse()?,
                "pgbench-scale" => settings.pgbench_scale = value.parse()?,
                "prototype-seconds" => settings.prototype_seconds = value.parse()?,
                "references" => settings.bulk_references = number()?,
                "batch" => settings.bulk_batch = number()?,
                "calls" => settings.get_partition_calls = number()?,
                "batch-clients" => settings.batch_clients = number()?,
                "extension-leaves" => settings.extension_leaves = number()?,
                "delay-ms" => settings.delay_ms = value.parse()?,
                "round-trip-calls" => settings.round_trip_calls = number()?,
                "round-trip-transactions" => settings.round_trip_transactions = number()?,
                "delay-clients" => settings.delay_clients = number()?,
                "loop-seconds" => settings.loop_seconds = value.parse()?,
                "region-sizes" => settings.region_sizes = list(value)?,
                "region-seconds" => settings.region_seconds = value.parse()?,
                "replica-clients" => settings.replica_clients = number()?,
                "replica-readers" => settings.replica_readers = number()?,
                "workloads" => {
                    settings.workloads = value.split(',').map(|w| w.trim().to_owned()).collect()
                }
                "json" => settings.json = Some(PathBuf::from(value)),
                other => return Err(format!("unknown flag --{other}").into()),
            }
        }
        Ok(settings)
    }

    fn runs(&self, workload: &str) -> bool {
        self.workloads.iter().any(|w| w == workload)
    }

    fn delay(&self) -> Duration {
        Duration::from_secs_f64(self.delay_ms / 1000.0)
    }
}

/// A cluster of the benchmark's own: PostgreSQL's durable defaults (fsync on), room for every client.
fn bench_cluster() -> LocalPostgresOptions {
    LocalPostgresOptions::default().with(|o| {
        o.durable = true;
        o.settings = vec![
            ("max_connections".into(), "600".into()),
            ("shared_buffers".into(), "256MB".into()),
        ];
    })
}

/// The server under test and the PostgreSQL programs beside it.
struct Server {
    url: String,
    bin: PathBuf,
    _local: Option<LocalPostgres>,
}

impl Server {
    fn start() -> BenchResult<Server> {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            let bin = std::fs::read_dir("/usr/lib/postgresql")?
                .flatten()
                .map(|e| e.path().join("bin"))
                .max()
                .ok_or("no /usr/lib/postgresql/*/bin for pgbench and psql")?;
            return Ok(Server {
                url,
                bin,
                _local: None,
            });
        }
        let local = LocalPostgres::start_with(&bench_cluster())?;
        Ok(Server {
            url: local.url(),
            bin: local.bin_directory().to_owned(),
            _local: Some(local),
        })
    }

    fn program(&self, name: &str) -> Command {
        Command::new(self.bin.join(name))
    }

    async fn connection(&self) -> BenchResult<PgConnection> {
        Ok(PgConnection::connect(&self.url).await?)
    }

    async fn client(&self, max_connections: u32) -> Result<Client> {
        Client::connect_with(self.direct().with(|o| {
            o.max_connections = max_connections;
        }))
        .await
    }

    /// How a storm client connects straight to the server: one connection of its own.
    fn direct(&self) -> ClientOptions {
        ClientOptions::default().with(|o| {
            o.url = Some(self.url.clone());
            o.max_connections = 1;
        })
    }

    /// Where the server listens on TCP: 127.0.0.1 for the benchmark's own cluster (which listens
    /// there besides its Unix socket), else the host and port of `DATABASE_URL`.
    fn tcp_address(&self) -> BenchResult<(String, u16)> {
        if let Some(local) = &self._local {
            return Ok(("127.0.0.1".into(), local.port()));
        }
        let url = url::Url::parse(&self.url)?;
        let host = url
            .query_pairs()
            .find(|(name, _)| name == "host")
            .map(|(_, value)| value.into_owned())
            .or_else(|| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".into());
        if host.starts_with('/') || host.is_empty() {
            return Err(
                "DATABASE_URL names a Unix socket: the TCP proxy needs a TCP address".into(),
            );
        }
        Ok((host, url.port().unwrap_or(5432)))
    }

    /// The server's URL with another host and port (any `host`, `hostaddr` or `port` parameter
    /// dropped): the server over TCP, or a proxy in front of it.
    fn url_at(&self, host: &str, port: u16) -> BenchResult<String> {
        let mut url = url::Url::parse(&self.url)?;
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| !matches!(name.as_ref(), "host" | "hostaddr" | "port"))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        url.set_host(Some(host))?;
        url.set_port(Some(port))
            .map_err(|()| "the server's URL takes no port")?;
        url.set_query(None);
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept);
        }
        Ok(url.into())
    }

    /// A TCP proxy in front of the server that holds every chunk for `delay` each way, and the
    /// server's URL through it.
    fn delay_proxy(&self, delay: Duration) -> BenchResult<(TcpProxy, String)> {
        let (host, port) = self.tcp_address()?;
        let proxy = TcpProxy::start_with_delay((host.as_str(), port), delay)?;
        let url = self.url_at("127.0.0.1", proxy.port())?;
        Ok((proxy, url))
    }

    /// Client options for one connection of its own to `url` (the schema is already migrated).
    fn one_connection_to(&self, url: &str) -> ClientOptions {
        self.direct().with(|o| {
            o.url = Some(url.to_owned());
            o.migrate = false;
        })
    }
}

/// Latencies of one kind of call, merged from every client.
#[derive(Default)]
struct Latencies(Vec<Duration>);

impl Latencies {
    fn summary(&mut self) -> Value {
        self.0.sort();
        let at = |q: f64| -> f64 {
            if self.0.is_empty() {
                return 0.0;
            }
            let i = ((self.0.len() as f64 - 1.0) * q).round() as usize;
            self.0[i].as_secs_f64() * 1000.0
        };
        json!({"calls": self.0.len(), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0)})
    }
}

#[derive(Default)]
struct StormOutcome {
    jobs: usize,
    seconds: f64,
    assign: Latencies,
    commit: Latencies,
    failed_calls: usize,
    retries: u64,
    first_error: Option<String>,
}

impl StormOutcome {
    fn report(&mut self) -> Value {
        json!({
            "jobs": self.jobs,
            "seconds": self.seconds,
            "jobs_per_second": self.jobs as f64 / self.seconds,
            "assign": self.assign.summary(),
            "commit": self.commit.summary(),
            "failed_calls": self.failed_calls,
            "retries": self.retries,
            "first_error": self.first_error,
        })
    }
}

/// A table ready for the storm: `leaves` leaf partitions and `files` files each referenced on every
/// leaf, as Sleeper's ingest leaves them before compaction.
struct StormTable {
    table_id: String,
    leaves: Vec<String>,
}

async fn prepare_storm_table(
    client: &Client,
    name: &str,
    leaves: usize,
    files: usize,
) -> BenchResult<StormTable> {
    let row_keys = [RowKeyField::new("key", KeyType::Long)];
    let _ = client.delete_table(name).await;
    let store = client.create_table(name, &row_keys).await?;
    let split_points: Vec<KeyValue> = (1..leaves as i64)
        .map(|i| KeyValue::Long(i * 1_000))
        .collect();
    let tree = partitions_from_split_points(&row_keys, &split_points)?;
    store.initialise_with_partitions(&tree).await?;
    let leaf_ids: Vec<String> = tree[..leaves].iter().map(|p| p.id.clone()).collect();
    for f in 0..files {
        let filename = format!("s3a://sleeper-bench/{name}/ingest/{f:04}.parquet");
        let references: Vec<FileReference> = leaf_ids
            .iter()
            .map(|leaf| FileReference::new(filename.clone(), leaf.clone(), 1_000))
            .collect();
        store.add_files(&references).await?;
    }
    Ok(StormTable {
        table_id: name.to_owned(),
        leaves: leaf_ids,
    })
}

/// The file a compaction job on `partition_id` writes, named as Sleeper names it: under the partition's
/// directory, whose id is a random UUID, so that outputs land all over the files' key order.
fn compaction_output(table_id: &str, partition_id: &str) -> String {
    format!("s3a://sleeper-bench/{table_id}/data/partition_{partition_id}/compacted.parquet")
}

/// One compaction job per leaf of every table (assign the leaf's references, then commit one output
/// file), taken from a shared queue by `clients` clients, each with a connection of its own.
async fn run_storm(
    via: &ClientOptions,
    tables: &[StormTable],
    files: usize,
    clients: usize,
) -> BenchResult<StormOutcome> {
    let jobs: Vec<(usize, usize)> = (0..tables[0].leaves.len())
        .flat_map(|leaf| (0..tables.len()).map(move |table| (table, leaf)))
        .collect();
    let jobs = Arc::new(jobs);
    let inputs: Arc<Vec<Vec<String>>> = Arc::new(
        tables
            .iter()
            .map(|t| {
                (0..files)
                    .map(|f| format!("s3a://sleeper-bench/{}/ingest/{f:04}.parquet", t.table_id))
                    .collect()
            })
            .collect(),
    );
    let leaves: Arc<Vec<Vec<String>>> = Arc::new(tables.iter().map(|t| t.leaves.clone()).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(clients + 1));
    let retries = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for _ in 0..clients {
        let client = Client::connect_with(via.clone()).await?;
        let mut stores = Vec::new();
        for table in tables {
            stores.push(client.table(&table.table_id).await?);
        }
        let (jobs, inputs, leaves, next, barrier, retries) = (
            jobs.clone(),
            inputs.clone(),
            leaves.clone(),
            next.clone(),
            barrier.clone(),
            retries.clone(),
        );
        handles.push(tokio::spawn(async move {
            let mut outcome = StormOutcome::default();
            barrier.wait().await;
            loop {
                let j = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(table, leaf)) = jobs.get(j) else {
                    break;
                };
                let partition = &leaves[table][leaf];
                let job_id = format!("job-{table}-{leaf}");
                let store = &stores[table];
                let started = Instant::now();
                let assigned = store
                    .assign_job_ids(&[AssignJobIdRequest::new(
                        &job_id,
                        partition,
                        inputs[table].clone(),
                    )])
                    .await;
                outcome.assign.0.push(started.elapsed());
                if let Err(error) = assigned {
                    outcome.failed_calls += 1;
                    outcome.first_error.get_or_insert(error.to_string());
                    continue;
                }
                let output = FileReference::new(
                    compaction_output(store.table_id(), partition),
                    partition.clone(),
                    1_000 * inputs[table].len() as u64,
                );
                let started = Instant::now();
                let committed = store
                    .atomically_replace_file_references_with_new_ones(&[
                        ReplaceFileReferencesRequest::new(
                            &job_id,
                            partition,
                            inputs[table].clone(),
                            output,
                        ),
                    ])
                    .await;
                outcome.commit.0.push(started.elapsed());
                match committed {
                    Ok(()) => outcome.jobs += 1,
                    Err(error) => {
                        outcome.failed_calls += 1;
                        outcome.first_error.get_or_insert(error.to_string());
                    }
                }
            }
            retries.fetch_add(client.retries(), Ordering::Relaxed);
            outcome
        }));
    }
    barrier.wait().await;
    let started = Instant::now();
    let mut total = StormOutcome::default();
    for handle in handles {
        let outcome = handle.await?;
        total.jobs += outcome.jobs;
        total.assign.0.extend(outcome.assign.0);
        total.commit.0.extend(outcome.commit.0);
        total.failed_calls += outcome.failed_calls;
        if total.first_error.is_none() {
            total.first_error = outcome.first_error;
        }
    }
    total.seconds = started.elapsed().as_secs_f64();
    total.retries = retries.load(Ordering::Relaxed);
    Ok(total)
}

/// After a storm every leaf holds exactly its output, every input file is unreferenced, and the rows
/// are conserved: each output holds all of its inputs' rows on that leaf.
async fn check_storm_result(
    client: &Client,
    table: &StormTable,
    files: usize,
) -> BenchResult<Value> {
    let store = client.table(&table.table_id).await?;
    let references = store.get_file_references().await?;
    let report = store
        .get_all_files_with_max_unreferenced(u64::from(u32::MAX >> 1))
        .await?;
    let rows: u64 = references.iter().map(|r| r.number_of_rows).sum();
    let expected_rows = (table.leaves.len() * files * 1_000) as u64;
    let unreferenced = report.files_with_no_references().count();
    let conserved =
        references.len() == table.leaves.len() && unreferenced == files && rows == expected_rows;
    Ok(json!({
        "references": references.len(),
        "unreferenced_files": unreferenced,
        "rows": rows,
        "expected_rows": expected_rows,
        "conserved": conserved,
    }))
}

/// The size of one storm: tables, leaves per table, files on every leaf, concurrent clients.
#[derive(Clone, Copy)]
struct Storm {
    tables: usize,
    leaves: usize,
    files: usize,
    clients: usize,
}

async fn storm(
    via: &ClientOptions,
    client: &Client,
    label: &str,
    shape: Storm,
) -> BenchResult<Value> {
    let Storm {
        tables,
        leaves,
        files,
        clients,
    } = shape;
    let mut prepared = Vec::new();
    for t in 0..tables {
        prepared.push(
            prepare_storm_table(
                client,
                &format!("bench-{label}-{clients}-{t}"),
                leaves,
                files,
            )
            .await?,
        );
    }
    let mut outcome = run_storm(via, &prepared, files, clients).await?;
    let mut checks = Vec::new();
    for table in &prepared {
        checks.push(check_storm_result(client, table, files).await?);
        client.delete_table(&table.table_id).await?;
    }
    let mut result = outcome.report();
    result["clients"] = json!(clients);
    result["tables"] = json!(tables);
    result["leaves"] = json!(leaves);
    result["files"] = json!(files);
    result["checks"] = Value::Array(checks);
    eprintln!(
        "{label}: {clients} clients, {tables} table(s): {:.0} jobs/s, {} failed calls, {} retries",
        result["jobs_per_second"].as_f64().unwrap_or(0.0),
        outcome.failed_calls,
        outcome.retries
    );
    Ok(result)
}

/// P10: the storm of P1 at its middle client count on several tables (so that each storm lasts a
/// few seconds), with clients that record the change feed and with clients that do not, alternated
/// `feed_rounds` times; the median jobs/s of each.
async fn storms_with_and_without_feed(
    server: &Server,
    client: &Client,
    settings: &Settings,
) -> BenchResult<Value> {
    let clients = settings.clients[settings.clients.len() / 2];
    let shape = Storm {
        tables: (settings.tables / 2).max(1),
        leaves: settings.leaves,
        files: settings.files,
        clients,
    };
    let with_feed = server.direct();
    let without_feed = server.direct().with(|o| o.change_feed = false);
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for round in 0..settings.feed_rounds {
        let label = format!("p10-{round}");
        off.push(
            storm(
                &without_feed,
                client,
                &format!("{label}-without-feed"),
                shape,
            )
            .await?,
        );
        on.push(storm(&with_feed, client, &format!("{label}-with-feed"), shape).await?);
    }
    let median = |runs: &[Value]| {
        let mut rates: Vec<f64> = runs
            .iter()
            .map(|r| r["jobs_per_second"].as_f64().unwrap_or(0.0))
            .collect();
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let (on_rate, off_rate) = (median(&on), median(&off));
    eprintln!(
        "P10: {clients} clients: {on_rate:.0} jobs/s with the change feed, {off_rate:.0} without ({:.3} x)",
        on_rate / off_rate
    );
    Ok(json!({
        "clients": clients,
        "tables": shape.tables,
        "rounds": settings.feed_rounds,
        "with_feed_jobs_per_second": on_rate,
        "without_feed_jobs_per_second": off_rate,
        "ratio_with_over_without": on_rate / off_rate,
        "with_feed": on,
        "without_feed": off,
    }))
}

/// pgbench on the same server: tpcb-like (`builtin` "tpcb-like"), the target's baseline, or
/// "simple-update" (`-N`: no update of the few branch and teller rows, so no hot rows), for scale.
fn pgbench(
    server: &Server,
    settings: &Settings,
    clients: usize,
    builtin: &str,
) -> BenchResult<f64> {
    let run = run_pgbench(
        server,
        &server.url,
        clients,
        Length::Seconds(settings.pgbench_seconds),
        &["-b", builtin],
    )?;
    eprintln!("pgbench {builtin}: {clients} clients: {:.0} tps", run.tps);
    Ok(run.tps)
}

/// How long a pgbench run lasts: `-T` seconds, or `-t` transactions per client.
#[derive(Clone, Copy)]
enum Length {
    Seconds(u64),
    Transactions(usize),
}

/// What one pgbench run printed.
struct PgbenchRun {
    tps: f64,
    /// Mean time per transaction of one client.
    latency_ms: f64,
    transactions: u64,
}

/// pgbench (`-n -M prepared`) against `url` with `clients` clients and the script arguments
/// `script` (`-b tpcb-like`, `-f file`, ...).
fn run_pgbench(
    server: &Server,
    url: &str,
    clients: usize,
    length: Length,
    script: &[&str],
) -> BenchResult<PgbenchRun> {
    let (flag, amount) = match length {
        Length::Seconds(seconds) => ("-T", seconds.to_string()),
        Length::Transactions(transactions) => ("-t", transactions.to_string()),
    };
    let output = server
        .program("pgbench")
        .args(script)
        .args([
            "-n",
            "-M",
            "prepared",
            "-j",
            &clients.clamp(1, 2).to_string(),
            "-c",
            &clients.to_string(),
            flag,
            &amount,
        ])
        .arg(url)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let figure = |prefix: &str, at: usize| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(at))
            .and_then(|n| n.split('/').next())
            .and_then(|n| n.parse::<f64>().ok())
    };
    let missing = || {
        format!(
            "pgbench {script:?} printed no tps: {text} {}",
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let tps = figure("tps = ", 2).ok_or_else(missing)?;
    Ok(PgbenchRun {
        tps,
        // From the TPS without the connections' start: pgbench's "latency average" counts it in,
        // which a short run through the delaying proxy would feel.
        latency_ms: 1000.0 * clients as f64 / tps,
        transactions: figure("number of transactions actually processed: ", 5).unwrap_or(0.0)
            as u64,
    })
}

fn pgbench_init(server: &Server, settings: &Settings) -> BenchResult<()> {
    let status = server
        .program("pgbench")
        .args(["-i", "-q", "-s", &settings.pgbench_scale.to_string()])
        .arg(&server.url)
        .output()?;
    if !status.status.success() {
        return Err(format!(
            "pgbench -i failed: {}",
            String::from_utf8_lossy(&status.stderr)
        )
        .into());
    }
    Ok(())
}

/// The prototype's design (ANCHORS.md, option 1): references plus a per-file count row that every
/// commit decrements, at SERIALIZABLE, retried with this library's budget (10 attempts, full jitter
/// from a 0.2 s ceiling doubling to 30 s). Lives in the benchmark only, as the baseline to beat.
/// P9: query planners' reads beside the storm, without and with a streaming replica.
mod replica_reads {
    use super::*;

    /// A reader's tally: reads made, reads that saw a state no commit made (with the first), latencies.
    #[derive(Default)]
    struct Reads {
        reads: u64,
        impossible: u64,
        first_impossible: Option<String>,
        latencies: Latencies,
    }

    /// P9 twice: with the primary and the replica sharing the machine's cores, and with each server on a
    /// core of its own (as if on machines of their own; the benchmark's clients use every core).
    pub(super) async fn run(settings: &Settings) -> BenchResult<Value> {
        let shared = placement_run(settings, false).await?;
        let pinned = placement_run(settings, true).await?;
        Ok(json!({"shared_cores": shared, "core_per_server": pinned}))
    }

    /// The storm alone, then with `replica_readers` readers on the primary, then on a replica, each on a
    /// fresh table, on a durable cluster of P9's own with one streaming replica.
    async fn placement_run(settings: &Settings, core_per_server: bool) -> BenchResult<Value> {
        let (primary, replica) = tokio::task::spawn_blocking(|| {
            let primary = LocalPostgres::start_with(&bench_cluster())?;
            let replica = primary.start_replica()?;
            Ok::<_, sleeper_pg::Error>((primary, replica))
        })
        .await??;
        let placement = if core_per_server {
            pin_server(&primary, 0)?;
            pin_server(&replica, 1)?;
            "a core per server"
        } else {
            "shared cores"
        };
        let admin = Client::connect(Some(&primary.url())).await?;
        let direct = ClientOptions::default().with(|o| {
            o.url = Some(primary.url());
            o.max_connections = 1;
            o.migrate = false;
        });
        let through_replica = direct
            .clone()
            .with(|o| o.replica_urls = vec![replica.url()]);
        let mut phases = serde_json::Map::new();
        for (phase, readers) in [
            ("storm_alone", None),
            ("readers_on_primary", Some(&direct)),
            ("readers_on_replica", Some(&through_replica)),
        ] {
            let result = phase_run(settings, &admin, &direct, readers, phase).await?;
            phases.insert(phase.into(), result);
        }
        let jobs = |phase: &str| {
            phases[phase]["storm"]["jobs_per_second"]
                .as_f64()
                .unwrap_or(0.0)
        };
        let reads = |phase: &str| phases[phase]["reads_per_second"].as_f64().unwrap_or(0.0);
        let result = json!({
            "placement": placement,
            "storm_clients": settings.replica_clients,
            "readers": settings.replica_readers,
            "leaves": settings.large_leaves,
            "files": settings.large_files,
            "phases": phases,
            "reads_ratio_replica_over_primary": reads("readers_on_replica") / reads("readers_on_primary"),
            "storm_ratio_readers_on_replica_over_alone": jobs("readers_on_replica") / jobs("storm_alone"),
            "storm_ratio_readers_on_primary_over_alone": jobs("readers_on_primary") / jobs("storm_alone"),
        });
        eprintln!(
            "P9 ({placement}): reads/s with the replica {:.2} x without; storm {:.2} x alone (readers on the primary: {:.2} x)",
            result["reads_ratio_replica_over_primary"].as_f64().unwrap_or(0.0),
            result["storm_ratio_readers_on_replica_over_alone"].as_f64().unwrap_or(0.0),
            result["storm_ratio_readers_on_primary_over_alone"].as_f64().unwrap_or(0.0),
        );
        admin.close().await;
        drop(replica);
        drop(primary);
        Ok(result)
    }

    /// Puts a local server's processes (the postmaster, and so every backend it starts from now on, and
    /// its running children) on one core, the core's index taken modulo the machine's cores.
    fn pin_server(server: &LocalPostgres, core: usize) -> BenchResult<()> {
        let pid_file = std::fs::read_to_string(server.directory().join("data/postmaster.pid"))?;
        let postmaster: i32 = pid_file
            .lines()
            .next()
            .ok_or("empty postmaster.pid")?
            .trim()
            .parse()?;
        let children = std::fs::read_dir("/proc")?.flatten().filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // The parent's pid is the second field after the command, which is in parentheses.
            let parent: i32 = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            (parent == postmaster).then_some(pid)
        });
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        for pid in std::iter::once(postmaster).chain(children.collect::<Vec<_>>()) {
            // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET and sched_setaffinity get a valid set
            // and its size.
            let pinned = unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(core % cores, &mut set);
                libc::sched_setaffinity(pid, std::mem::size_of::<libc::cpu_set_t>(), &set)
            };
            if pinned != 0 {
                return Err(format!(
                    "sched_setaffinity({pid}): {}",
                    std::io::Error::last_os_error()
                )
                .into());
            }
        }
        Ok(())
    }

    async fn phase_run(
        settings: &Settings,
        admin: &Client,
        direct: &ClientOptions,
        readers: Option<&ClientOptions>,
        phase: &str,
    ) -> BenchResult<Value> {
        let (leaves, files) = (settings.large_leaves, settings.large_files);
        let table = prepare_storm_table(admin, &format!("bench-p9-{phase}"), leaves, files).await?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut handles = Vec::new();
        if let Some(via) = readers {
            for reader in 0..settings.replica_readers {
                let client = Client::connect_with(via.clone()).await?;
                let store = client.table(&table.table_id).await?;
                let inputs: Vec<String> = (0..files)
                    .map(|f| {
                        format!(
                            "s3a://sleeper-bench/{}/ingest/{f:04}.parquet",
                            table.table_id
                        )
                    })
                    .collect();
                let stop = stop.clone();
                handles.push(tokio::spawn(async move {
                    read_until(&store, &inputs, leaves, reader, &stop).await
                }));
            }
        }
        let mut outcome = run_storm(
            direct,
            std::slice::from_ref(&table),
            files,
            settings.replica_clients,
        )
        .await?;
        stop.store(true, Ordering::Release);
        let mut total = Reads::default();
        for handle in handles {
            let reads = handle.await??;
            total.reads += reads.reads;
            total.impossible += reads.impossible;
            total.first_impossible = total.first_impossible.or(reads.first_impossible);
            total.latencies.0.extend(reads.latencies.0);
        }
        let check = check_storm_result(admin, &table, files).await?;
        admin.delete_table(&table.table_id).await?;
        let mut storm = outcome.report();
        storm["checks"] = json!([check]);
        let reads_per_second = total.reads as f64 / outcome.seconds;
        eprintln!(
            "P9 {phase}: storm {:.0} jobs/s, {} reads ({reads_per_second:.0}/s), {} impossible",
            storm["jobs_per_second"].as_f64().unwrap_or(0.0),
            total.reads,
            total.impossible
        );
        Ok(json!({
            "storm": storm,
            "reads": total.reads,
            "reads_per_second": reads_per_second,
            "read_latency": total.latencies.summary(),
            "impossible_reads": total.impossible,
            "first_impossible_read": total.first_impossible,
        }))
    }

    /// A query planner's read of one leaf's key range after another until `stop`. A leaf's files are, in
    /// every committed state, either its ingested inputs (assigned to a job or not) or its one output.
    async fn read_until(
        store: &StateStore,
        inputs: &[String],
        leaves: usize,
        reader: usize,
        stop: &std::sync::atomic::AtomicBool,
    ) -> Result<Reads> {
        let mut tally = Reads::default();
        let mut leaf = reader * 7919 % leaves;
        while !stop.load(Ordering::Acquire) {
            let min = leaf as i64 * 1_000 + 1;
            let region = Region::new(vec![Range::new(
                "key",
                KeyValue::Long(min),
                Some(KeyValue::Long(min + 1)),
            )]);
            let started = Instant::now();
            let map = store
                .get_partition_to_referenced_files_map_in_region(&region)
                .await?;
            tally.latencies.0.push(started.elapsed());
            tally.reads += 1;
            let mut seen: Vec<&String> = map.values().flatten().collect();
            seen.sort();
            let as_ingested =
                seen.len() == inputs.len() && seen.iter().zip(inputs).all(|(a, b)| *a == b);
            let compacted = seen.len() == 1 && seen[0].contains("/data/partition_");
            if !as_ingested && !compacted {
                tally.impossible += 1;
                tally.first_impossible.get_or_insert(format!("{map:?}"));
            }
            leaf = (leaf + 1) % leaves;
        }
        Ok(tally)
    }
}

mod prototype {
    use super::*;

    pub async fn prepare(server: &Server, leaves: usize, files: usize) -> BenchResult<()> {
        let mut connection = server.connection().await?;
        connection
            .execute(
                "DROP TABLE IF EXISTS proto_refs, proto_counts; \
                 CREATE TABLE proto_refs (filename text, partition_id text, job_id text, rows bigint, \
                     PRIMARY KEY (filename, partition_id)); \
                 CREATE TABLE proto_counts (filename text PRIMARY KEY, refs integer NOT NULL)",
            )
            .await?;
        for f in 0..files {
            let filename = format!("input-{f:04}");
            sqlx::query(
                "INSERT INTO proto_refs SELECT $1, 'leaf-' || lpad(l::text, 5, '0'), NULL, 1000 \
                 FROM generate_series(0, $2 - 1) l",
            )
            .bind(&filename)
            .bind(leaves as i32)
            .execute(&mut connection)
            .await?;
            sqlx::query("INSERT INTO proto_counts VALUES ($1, $2)")
                .bind(&filename)
                .bind(leaves as i32)
                .execute(&mut connection)
                .await?;
        }
        Ok(())
    }

    async fn serializable<F>(
        connection: &mut PgConnection,
        statements: F,
    ) -> std::result::Result<(), sqlx::Error>
    where
        F: for<'c> Fn(&'c mut PgConnection) -> BoxFuture<'c, std::result::Result<(), sqlx::Error>>,
    {
        connection
            .execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            .await?;
        match statements(connection).await {
            Ok(()) => connection.execute("COMMIT").await.map(|_| ()),
            Err(error) => {
                let _ = connection.execute("ROLLBACK").await;
                Err(error)
            }
        }
    }

    /// Runs the call with the library's retry budget; true when it eventually succeeded.
    async fn with_retries<F>(
        connection: &mut PgConnection,
        retries: &AtomicU64,
        statements: F,
    ) -> bool
    where
        F: for<'c> Fn(&'c mut PgConnection) -> BoxFuture<'c, std::result::Result<(), sqlx::Error>>,
    {
        let mut ceiling = Duration::from_millis(200);
        for attempt in 1..=10 {
            match serializable(connection, &statements).await {
                Ok(()) => return true,
                Err(error) => {
                    let code = error
                        .as_database_error()
                        .and_then(|e| e.code())
                        .map(|c| c.into_owned());
                    if !matches!(code.as_deref(), Some("40001" | "40P01")) || attempt == 10 {
                        return false;
                    }
                    retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(ceiling.mul_f64(rand_fraction())).await;
                    ceiling = (ceiling * 2).min(Duration::from_secs(30));
                }
            }
        }
        false
    }

    pub async fn run(
        server: &Server,
        leaves: usize,
        files: usize,
        clients: usize,
        limit: Duration,
    ) -> BenchResult<StormOutcome> {
        let next = Arc::new(AtomicUsize::new(0));
        let retries = Arc::new(AtomicU64::new(0));
        let barrier = Arc::new(Barrier::new(clients + 1));
        let deadline = Arc::new(std::sync::OnceLock::<Instant>::new());
        let mut handles = Vec::new();
        for _ in 0..clients {
            let mut connection = server.connection().await?;
            let (next, retries, barrier, deadline) = (
                next.clone(),
                retries.clone(),
                barrier.clone(),
                deadline.clone(),
            );
            handles.push(tokio::spawn(async move {
                let mut outcome = StormOutcome::default();
                barrier.wait().await;
                let inputs: Vec<String> = (0..files).map(|f| format!("input-{f:04}")).collect();
                loop {
                    let leaf = next.fetch_add(1, Ordering::Relaxed);
                    if leaf >= leaves || deadline.get().is_some_and(|d| Instant::now() > *d) {
                        break;
                    }
                    let partition = format!("leaf-{leaf:05}");
                    let job = format!("job-{leaf}");
                    let (p, j, i) = (partition.clone(), job.clone(), inputs.clone());
                    let started = Instant::now();
                    let assigned = with_retries(&mut connection, &retries, move |c| {
                        let (p, j, i) = (p.clone(), j.clone(), i.clone());
                        Box::pin(async move {
                            sqlx::query("UPDATE proto_refs SET job_id = $1 WHERE partition_id = $2 AND filename = ANY($3) AND job_id IS NULL")
                                .bind(j).bind(p).bind(i).execute(&mut *c).await?;
                            Ok(())
                        })
                    })
                    .await;
                    outcome.assign.0.push(started.elapsed());
                    if !assigned {
                        outcome.failed_calls += 1;
                        continue;
                    }
                    let (p, i) = (partition.clone(), inputs.clone());
                    let started = Instant::now();
                    let committed = with_retries(&mut connection, &retries, move |c| {
                        let (p, i) = (p.clone(), i.clone());
                        Box::pin(async move {
                            sqlx::query("DELETE FROM proto_refs WHERE partition_id = $1 AND filename = ANY($2)")
                                .bind(&p).bind(&i).execute(&mut *c).await?;
                            sqlx::query("UPDATE proto_counts SET refs = refs - 1 WHERE filename = ANY($1)")
                                .bind(&i).execute(&mut *c).await?;
                            let output = format!("output-{p}");
                            sqlx::query("INSERT INTO proto_refs VALUES ($1, $2, NULL, 11000)")
                                .bind(&output).bind(&p).execute(&mut *c).await?;
                            sqlx::query("INSERT INTO proto_counts VALUES ($1, 1)").bind(&output).execute(&mut *c).await?;
                            Ok(())
                        })
                    })
                    .await;
                    outcome.commit.0.push(started.elapsed());
                    if committed {
                        outcome.jobs += 1;
                    } else {
                        outcome.failed_calls += 1;
                    }
                }
                outcome
            }));
        }
        barrier.wait().await;
        let started = Instant::now();
        let _ = deadline.set(started + limit);
        let mut total = StormOutcome::default();
        for handle in handles {
            let outcome = handle.await?;
            total.jobs += outcome.jobs;
            total.assign.0.extend(outcome.assign.0);
            total.commit.0.extend(outcome.commit.0);
            total.failed_calls += outcome.failed_calls;
        }
        total.seconds = started.elapsed().as_secs_f64();
        total.retries = retries.load(Ordering::Relaxed);
        Ok(total)
    }

    fn rand_fraction() -> f64 {
        rand::random::<f64>()
    }
}

/// P2: add references in batches, and all in one call (files of ten references each), beside COPY of
/// the same rows into an equivalent table. Every side's rows are made before its clock starts, and
/// the store's tables are vacuumed first, so that the dead rows of earlier workloads do not slow its
/// inserts while COPY writes into a new table.
async fn bulk_add(server: &Server, client: &Client, settings: &Settings) -> BenchResult<Value> {
    let per_file = 10;
    let filename =
        |i: usize| format!("s3a://sleeper-bench-bucket/tables/bulk/data/partition/{i:012}.parquet");
    let references: Vec<FileReference> = (0..settings.bulk_references)
        .map(|r| {
            FileReference::new(
                filename(r / per_file),
                format!("partition-{:04}", r % per_file),
                100,
            )
        })
        .collect();
    let mut connection = server.connection().await?;
    let batch_seconds = timed_add(
        &mut connection,
        client,
        "bench-bulk",
        &references,
        settings.bulk_batch,
    )
    .await?;
    let one_call_seconds = timed_add(
        &mut connection,
        client,
        "bench-bulk-one-call",
        &references,
        settings.bulk_references,
    )
    .await?;
    client.delete_table("bench-bulk-one-call").await?;

    connection
        .execute(
            "DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (LIKE sleeper.file_references INCLUDING ALL)",
        )
        .await?;
    let mut data = String::new();
    for r in 0..settings.bulk_references {
        data.push_str(&format!(
            "1\t{}\tpartition-{:04}\t100\t\\N\tf\tt\tf\t2024-01-01 00:00:00+00\t1\n",
            filename(r / per_file),
            r % per_file
        ));
    }
    let started = Instant::now();
    let mut copy = connection.copy_in_raw("COPY bench_copy FROM STDIN").await?;
    copy.send(data.as_bytes()).await?;
    copy.finish().await?;
    let copy_seconds = started.elapsed().as_secs_f64();
    // Beside it, what batching alone costs: the same rows by COPY in batches, each committed.
    connection.execute("TRUNCATE bench_copy").await?;
    let lines: Vec<&str> = data.split_inclusive('\n').collect();
    let batches: Vec<String> = lines
        .chunks(settings.bulk_batch)
        .map(|batch| batch.concat())
        .collect();
    let started = Instant::now();
    for batch in &batches {
        let mut copy = connection.copy_in_raw("COPY bench_copy FROM STDIN").await?;
        copy.send(batch.as_bytes()).await?;
        copy.finish().await?;
    }
    let copy_batches_seconds = started.elapsed().as_secs_f64();
    connection.execute("DROP TABLE bench_copy").await?;
    let count = settings.bulk_references as f64;
    let result = json!({
        "references": settings.bulk_references,
        "batch": settings.bulk_batch,
        "store_seconds": batch_seconds,
        "store_references_per_second": count / batch_seconds,
        "one_call_seconds": one_call_seconds,
        "one_call_references_per_second": count / one_call_seconds,
        "copy_seconds": copy_seconds,
        "copy_rows_per_second": count / copy_seconds,
        "copy_batches_seconds": copy_batches_seconds,
        "copy_batches_rows_per_second": count / copy_batches_seconds,
        "ratio": copy_seconds / batch_seconds,
        "one_call_ratio": copy_seconds / one_call_seconds,
    });
    eprintln!("P2: {result}");
    Ok(result)
}

/// Seconds to add `references` to a new table `name` in calls of `batch` references, after vacuuming
/// the store's tables.
async fn timed_add(
    connection: &mut PgConnection,
    client: &Client,
    name: &str,
    references: &[FileReference],
    batch: usize,
) -> BenchResult<f64> {
    let _ = client.delete_table(name).await; // left by an interrupted run
    connection
        .execute("VACUUM sleeper.files, sleeper.file_references")
        .await?;
    let store = client
        .create_table(name, &[RowKeyField::new("key", KeyType::Long)])
        .await?;
    store.initialise().await?;
    let started = Instant::now();
    for chunk in references.chunks(batch) {
        store.add_files(chunk).await?;
    }
    Ok(started.elapsed().as_secs_f64())
}

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_owned)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// P3: read every reference of the bulk table, beside `psql \copy` of the same rows to /dev/null.
async fn bulk_read(server: &Server, client: &Client) -> BenchResult<Value> {
    let store = client.table("bench-bulk").await?;
    let before = resident_kib();
    let started = Instant::now();
    let references = store.get_file_references().await?;
    let read_seconds = started.elapsed().as_secs_f64();
    let read_kib = resident_kib().saturating_sub(before);
    let count = references.len();
    drop(references);
    // The Arrow read's figure is the median of three, as the bindings' Arrow reads it is compared with
    // are medians of their rounds.
    let mut arrow_rounds = Vec::new();
    let mut arrow_buffer_bytes = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let arrow = store.get_file_references_arrow(&ReadScope::Table).await?;
        arrow_rounds.push(started.elapsed().as_secs_f64());
        if arrow.num_rows() != count {
            return Err(format!(
                "read {} references as Arrow, expected {count}",
                arrow.num_rows()
            )
            .into());
        }
        arrow_buffer_bytes = arrow
            .batches()
            .iter()
            .map(|batch| batch.get_array_memory_size())
            .sum();
    }
    arrow_rounds.sort_by(f64::total_cmp);
    let arrow_seconds = arrow_rounds[1];
    let started = Instant::now();
    let report = store.get_all_files_with_max_unreferenced(1000).await?;
    let report_seconds = started.elapsed().as_secs_f64();
    drop(report);
    let started = Instant::now();
    let output = server
        .program("psql")
        .arg(&server.url)
        .args([
            "-X",
            "-q",
            "-c",
            "\\copy (SELECT r.filename, r.partition_id, r.number_of_rows, r.job_id, r.updated_at, \
             r.count_approximate, r.only_this_partition FROM sleeper.file_references r \
             JOIN sleeper.sleeper_tables t ON t.table_pk = r.table_pk \
             WHERE t.table_id = 'bench-bulk' AND NOT r.removed ORDER BY r.filename, r.partition_id) TO '/dev/null'",
        ])
        .output()?;
    let psql_seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        return Err(format!("psql failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    let result = json!({
        "references": count,
        "rust_seconds": read_seconds,
        "rust_resident_kib": read_kib,
        "arrow_seconds": arrow_seconds,
        "arrow_rounds_seconds": arrow_rounds,
        "arrow_buffer_bytes": arrow_buffer_bytes,
        "report_seconds": report_seconds,
        "psql_copy_seconds": psql_seconds,
        "ratio": read_seconds / psql_seconds,
    });
    eprintln!("P3: {result}");
    client.delete_table("bench-bulk").await?;
    Ok(result)
}

/// P4: one small call in a loop.
async fn get_partition_loop(client: &Client, calls: usize) -> BenchResult<Value> {
    let _ = client.delete_table("bench-get-partition").await; // left by an interrupted run
    let store = client
        .create_table(
            "bench-get-partition",
            &[RowKeyField::new("key", KeyType::Long)],
        )
        .await?;
    store.initialise().await?;
    for _ in 0..100 {
        store.get_partition("root").await?;
    }
    let started = Instant::now();
    for _ in 0..calls {
        store.get_partition("root").await?;
    }
    let micros = started.elapsed().as_secs_f64() * 1e6 / calls as f64;
    client.delete_table("bench-get-partition").await?;
    eprintln!("P4: get_partition from Rust: {micros:.1} us per call");
    Ok(json!({"calls": calls, "rust_us_per_call": micros}))
}

/// The statement `get_partition` runs (`select_partitions` in core/src/store/partitions.rs), with
/// the table's key and the partition id as literals: what pgbench runs beside the Rust loop in P4p.
fn get_partition_sql(table_pk: i64, partition_id: &str) -> String {
    format!(
        "SELECT p.partition_id, p.is_leaf, p.parent_id, p.child_ids, p.dimension, p.region \
         FROM sleeper.sleeper_tables t \
         LEFT JOIN sleeper.partitions p ON p.table_pk = t.table_pk AND p.partition_id = '{partition_id}' \
         WHERE t.table_pk = {table_pk} ORDER BY p.partition_id;\n"
    )
}

/// P4p: `get_partition` from Rust on one connection in a loop for `loop_seconds`, beside pgbench
/// (one client, `-M prepared`) running the same statement for as long.
async fn get_partition_against_pgbench(
    server: &Server,
    client: &Client,
    settings: &Settings,
) -> BenchResult<Value> {
    let name = "bench-p4p";
    let _ = client.delete_table(name).await; // left by an interrupted run
    let store = client
        .create_table(name, &[RowKeyField::new("key", KeyType::Long)])
        .await?;
    store.initialise().await?;
    let partition_id = store.get_all_partitions().await?[0].id.clone();
    let mut connection = server.connection().await?;
    let table_pk: i64 =
        sqlx::query_scalar("SELECT table_pk FROM sleeper.sleeper_tables WHERE table_id = $1")
            .bind(name)
            .fetch_one(&mut connection)
            .await?;
    drop(connection);
    let one = server.client(1).await?;
    let store = one.table(name).await?;
    for _ in 0..100 {
        store.get_partition(&partition_id).await?;
    }
    let length = Duration::from_secs(settings.loop_seconds);
    // Called on the benchmark's main thread, in the runtime's `block_on` as the bindings' blocking
    // facade calls it, a worker thread that sees the server's answer has to wake the main thread; on a
    // task of the runtime, as an async application calls it, the worker runs the call itself.
    let blocking_us = us_per_get_partition(&store, &partition_id, length).await?;
    let rust_us = tokio::spawn({
        let (store, partition_id) = (store.clone(), partition_id.clone());
        async move { us_per_get_partition(&store, &partition_id, length).await }
    })
    .await??;
    one.close().await;
    let script =
        std::env::temp_dir().join(format!("sleeper-pg-bench-p4p-{}.sql", std::process::id()));
    write_file(&script, &get_partition_sql(table_pk, &partition_id))?;
    let run = run_pgbench(
        server,
        &server.url,
        1,
        Length::Seconds(settings.loop_seconds),
        &["-f", &script.to_string_lossy()],
    );
    let _ = std::fs::remove_file(&script);
    let run = run?;
    client.delete_table(name).await?;
    let pgbench_us = run.latency_ms * 1000.0;
    eprintln!(
        "P4p: get_partition from a Rust task {rust_us:.1} us per call, from block_on {blocking_us:.1} us, \
         pgbench {pgbench_us:.1} us: {:.2} x",
        rust_us / pgbench_us
    );
    Ok(json!({
        "seconds": settings.loop_seconds,
        "rust_us_per_call": rust_us,
        "rust_block_on_us_per_call": blocking_us,
        "block_on_ratio": blocking_us / pgbench_us,
        "pgbench_transactions": run.transactions,
        "pgbench_us_per_call": pgbench_us,
        "ratio": rust_us / pgbench_us,
    }))
}

/// Microseconds per `get_partition` of `partition_id`, called one after another for `length`.
async fn us_per_get_partition(
    store: &StateStore,
    partition_id: &str,
    length: Duration,
) -> sleeper_pg::Result<f64> {
    let started = Instant::now();
    let mut calls = 0_u64;
    while started.elapsed() < length {
        store.get_partition(partition_id).await?;
        calls += 1;
    }
    Ok(started.elapsed().as_secs_f64() * 1e6 / calls as f64)
}

/// The calls P7 measures, each with its kind: a read (goal: one round trip) or a write (goal: two at
/// most); `SELECT 1` is the reference, one round trip by definition.
const ROUND_TRIP_CALLS: [(&str, &str); 6] = [
    ("SELECT 1 (sqlx)", "reference"),
    ("get_partition", "read"),
    ("add_file", "write"),
    ("assign_job_ids", "write"),
    ("atomically_replace_file_references_with_new_ones", "write"),
    ("split_partition", "write"),
];

/// Calls of each kind made before the measured ones (statements prepared, caches warm).
const WARMUP_CALLS: usize = 5;

/// One path of P7: a client with one connection (through the proxy or not), its table's store and
/// leaves, and a plain connection for `SELECT 1`.
struct RoundTripPath {
    store: StateStore,
    leaves: Vec<Partition>,
    connection: PgConnection,
    latencies: Vec<Vec<Duration>>,
}

impl RoundTripPath {
    async fn open(
        client: &Client,
        server: &Server,
        name: &str,
        url: &str,
        calls: usize,
    ) -> BenchResult<Self> {
        let row_keys = [RowKeyField::new("key", KeyType::Long)];
        let _ = client.delete_table(name).await; // left by an interrupted run
        let store = client.create_table(name, &row_keys).await?;
        let split_points: Vec<KeyValue> = (1..calls as i64)
            .map(|i| KeyValue::Long(i * 1_000))
            .collect();
        let tree = partitions_from_split_points(&row_keys, &split_points)?;
        store.initialise_with_partitions(&tree).await?;
        let leaves = tree[..calls].to_vec();
        let inputs: Vec<FileReference> = leaves
            .iter()
            .enumerate()
            .map(|(i, leaf)| FileReference::new(round_trip_input(i), &leaf.id, 1_000))
            .collect();
        store.add_files(&inputs).await?;
        let store = Client::connect_with(server.one_connection_to(url))
            .await?
            .table(name)
            .await?;
        Ok(RoundTripPath {
            store,
            leaves,
            connection: PgConnection::connect(url).await?,
            latencies: vec![Vec::new(); ROUND_TRIP_CALLS.len()],
        })
    }

    /// Makes call `i` of kind `kind` and records how long it took once warm.
    async fn call(&mut self, kind: usize, i: usize) -> BenchResult<()> {
        let leaf = &self.leaves[i];
        let store = &self.store;
        let job = format!("job-{i}");
        let started = Instant::now();
        match ROUND_TRIP_CALLS[kind].0 {
            "SELECT 1 (sqlx)" => {
                sqlx::query("SELECT 1")
                    .execute(&mut self.connection)
                    .await?;
            }
            "get_partition" => {
                store.get_partition(&leaf.id).await?;
            }
            "add_file" => {
                store
                    .add_file(&FileReference::new(
                        format!("s3a://sleeper-bench/p7/added/{i:05}.parquet"),
                        &leaf.id,
                        100,
                    ))
                    .await?
            }
            "assign_job_ids" => {
                store
                    .assign_job_ids(&[AssignJobIdRequest::new(
                        &job,
                        &leaf.id,
                        vec![round_trip_input(i)],
                    )])
                    .await?
            }
            "atomically_replace_file_references_with_new_ones" => {
                store
                    .atomically_replace_file_references_with_new_ones(&[
                        ReplaceFileReferencesRequest::new(
                            &job,
                            &leaf.id,
                            vec![round_trip_input(i)],
                            FileReference::new(
                                format!("s3a://sleeper-bench/p7/compacted/{i:05}.parquet"),
                                &leaf.id,
                                1_000,
                            ),
                        ),
                    ])
                    .await?
            }
            "split_partition" => {
                let (split, left, right) = split_in_two(leaf)?;
                store.split_partition(&split, &[left, right]).await?
            }
            other => return Err(format!("no call {other}").into()),
        }
        let elapsed = started.elapsed();
        if i >= WARMUP_CALLS {
            self.latencies[kind].push(elapsed);
        }
        Ok(())
    }
}

fn round_trip_input(i: usize) -> String {
    format!("s3a://sleeper-bench/p7/ingest/{i:05}.parquet")
}

/// A leaf of one long key split at the middle of its range: the split leaf and its two children.
fn split_in_two(leaf: &Partition) -> BenchResult<(Partition, Partition, Partition)> {
    let range = &leaf.region.ranges[0];
    let (KeyValue::Long(min), max) = (&range.min, &range.max) else {
        return Err("a long key".into());
    };
    let max = match max {
        Some(KeyValue::Long(max)) => Some(*max),
        None => None,
        Some(_) => return Err("a long key".into()),
    };
    let at = match (*min, max) {
        (i64::MIN, Some(max)) => max - 500,
        (min, Some(max)) => min / 2 + max / 2,
        (min, None) => min.saturating_add(500),
    };
    let child = |side: &str, min: i64, max: Option<i64>| Partition {
        parent_partition_id: Some(leaf.id.clone()),
        ..Partition::new(
            format!("{}-{side}", leaf.id),
            Region::new(vec![Range::new(
                range.field_name.clone(),
                KeyValue::Long(min),
                max.map(KeyValue::Long),
            )]),
        )
    };
    let (left, right) = (child("L", *min, Some(at)), child("R", at, max));
    let split = Partition {
        is_leaf_partition: false,
        child_partition_ids: vec![left.id.clone(), right.id.clone()],
        dimension: 0,
        ..leaf.clone()
    };
    Ok((split, left, right))
}

fn median_ms(latencies: &mut [Duration]) -> f64 {
    latencies.sort();
    latencies
        .get(latencies.len() / 2)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// P7: round trips per call. One client with one connection makes each kind of call one after
/// another through a TCP proxy that delays each direction by `delay_ms`, and the same calls straight
/// to the server over TCP, alternating; the round trips of a call are the difference of the medians
/// over one round trip's added delay (`2 * delay_ms`). pgbench (one client, `-M prepared`)
/// select-only and tpcb-like through the same proxy and directly, for reference.
async fn round_trips(server: &Server, client: &Client, settings: &Settings) -> BenchResult<Value> {
    let delay = settings.delay();
    let (proxy, proxy_url) = server.delay_proxy(delay)?;
    let (host, port) = server.tcp_address()?;
    let direct_url = server.url_at(&host, port)?;
    let calls = WARMUP_CALLS + settings.round_trip_calls;
    let mut through =
        RoundTripPath::open(client, server, "bench-p7-proxy", &proxy_url, calls).await?;
    let mut direct =
        RoundTripPath::open(client, server, "bench-p7-direct", &direct_url, calls).await?;
    // Every kind in turn for each leaf (a job is assigned before it is committed, a leaf split
    // last), so that each kind meets the same load on a shared machine.
    for i in 0..calls {
        for kind in 0..ROUND_TRIP_CALLS.len() {
            through.call(kind, i).await?;
            direct.call(kind, i).await?;
        }
    }
    let round_trip_ms = 2.0 * settings.delay_ms;
    let mut store_calls = Vec::new();
    // What one round trip (`SELECT 1`, the first kind) costs through the proxy here, its hop included.
    let mut one_trip_ms = round_trip_ms;
    for (kind, (call, class)) in ROUND_TRIP_CALLS.iter().enumerate() {
        let proxy_ms = median_ms(&mut through.latencies[kind]);
        let direct_ms = median_ms(&mut direct.latencies[kind]);
        if kind == 0 && proxy_ms > direct_ms {
            one_trip_ms = proxy_ms - direct_ms;
        }
        let trips = (proxy_ms - direct_ms) / round_trip_ms;
        eprintln!("P7: {call}: {proxy_ms:.2} ms through the proxy, {direct_ms:.2} ms direct: {trips:.2} round trips");
        store_calls.push(json!({
            "call": call,
            "kind": class,
            "calls": through.latencies[kind].len(),
            "proxy_p50_ms": proxy_ms,
            "direct_p50_ms": direct_ms,
            "round_trips": trips,
            "over_select_1": (proxy_ms - direct_ms) / one_trip_ms,
        }));
    }
    drop((through, direct));
    let mut pgbench_runs = Vec::new();
    for builtin in ["select-only", "tpcb-like"] {
        let length = Length::Transactions(settings.round_trip_transactions);
        let proxied = run_pgbench(server, &proxy_url, 1, length, &["-b", builtin])?;
        let straight = run_pgbench(server, &direct_url, 1, length, &["-b", builtin])?;
        let trips = (proxied.latency_ms - straight.latency_ms) / round_trip_ms;
        eprintln!(
            "P7: pgbench {builtin}: {:.2} ms through the proxy, {:.2} ms direct: {trips:.2} round trips",
            proxied.latency_ms, straight.latency_ms
        );
        pgbench_runs.push(json!({
            "script": builtin,
            "transactions": proxied.transactions,
            "proxy_latency_ms": proxied.latency_ms,
            "direct_latency_ms": straight.latency_ms,
            "round_trips": trips,
        }));
    }
    drop(proxy);
    client.delete_table("bench-p7-proxy").await?;
    client.delete_table("bench-p7-direct").await?;
    Ok(json!({
        "delay_ms": settings.delay_ms,
        "warmup_calls": WARMUP_CALLS,
        "store_calls": store_calls,
        "pgbench": pgbench_runs,
    }))
}

/// Sets `fsync` with ALTER SYSTEM (`None` resets it) and reloads the configuration, then waits until
/// new connections see `expected`; returns what they see.
async fn set_fsync(server: &Server, value: Option<&str>, expected: &str) -> BenchResult<String> {
    let mut connection = server.connection().await?;
    match value {
        Some(value) => {
            connection
                .execute(format!("ALTER SYSTEM SET fsync = {value}").as_str())
                .await?
        }
        None => connection.execute("ALTER SYSTEM RESET fsync").await?,
    };
    connection.execute("SELECT pg_reload_conf()").await?;
    drop(connection);
    // The reload is asynchronous: wait until a new connection sees the change.
    let mut seen = String::new();
    for _ in 0..100 {
        let mut connection = server.connection().await?;
        seen = sqlx::query_scalar("SHOW fsync")
            .fetch_one(&mut connection)
            .await?;
        if seen == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(seen)
}

/// The P1 storm at each client count, each beside pgbench tpcb-like's TPS at that count (`baseline`),
/// with the ratio of the two.
async fn storms_against_pgbench(
    server: &Server,
    client: &Client,
    settings: &Settings,
    name: &str,
    mut baseline: impl FnMut(usize) -> BenchResult<f64>,
) -> BenchResult<Vec<Value>> {
    let mut runs = Vec::new();
    for &clients in &settings.clients {
        let mut result = storm(
            &server.direct(),
            client,
            name,
            Storm {
                tables: 1,
                leaves: settings.leaves,
                files: settings.files,
                clients,
            },
        )
        .await?;
        let tps = baseline(clients)?;
        result["pgbench_tps"] = json!(tps);
        result["pgbench_scale"] = json!(settings.pgbench_scale);
        result["ratio_to_pgbench"] = json!(result["jobs_per_second"].as_f64().unwrap_or(0.0) / tps);
        runs.push(result);
    }
    Ok(runs)
}

/// P1f: the P1 storm and pgbench tpcb-like at each client count with `fsync` off.
async fn storms_without_fsync(
    server: &Server,
    client: &Client,
    settings: &Settings,
) -> BenchResult<Value> {
    let mut runs = storms_against_pgbench(server, client, settings, "p1f", |clients| {
        pgbench(server, settings, clients, "tpcb-like")
    })
    .await?;
    for run in &mut runs {
        run["fsync"] = json!("off");
    }
    Ok(Value::Array(runs))
}

/// P6: the storm's table, one compaction job per leaf, committed in batches as Sleeper's batcher
/// sends them: a client takes `batch` jobs, assigns them in one call, then commits them in one
/// asynchronous REPLACE_FILE_REFERENCES transaction. Every job must apply.
async fn batched_commits(
    server: &Server,
    client: &Client,
    settings: &Settings,
    batch: usize,
) -> BenchResult<Value> {
    let (leaves, files) = (settings.leaves, settings.files);
    let table = prepare_storm_table(client, &format!("bench-p6-{batch}"), leaves, files).await?;
    let inputs: Arc<Vec<String>> = Arc::new(
        (0..files)
            .map(|f| {
                format!(
                    "s3a://sleeper-bench/{}/ingest/{f:04}.parquet",
                    table.table_id
                )
            })
            .collect(),
    );
    let batches: Arc<Vec<Vec<String>>> =
        Arc::new(table.leaves.chunks(batch).map(<[String]>::to_vec).collect());
    let clients = settings.batch_clients.min(batches.len()).max(1);
    let next = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(clients + 1));
    let mut handles = Vec::new();
    for _ in 0..clients {
        let store = Client::connect_with(server.direct())
            .await?
            .table(&table.table_id)
            .await?;
        let (inputs, batches, next, barrier) = (
            inputs.clone(),
            batches.clone(),
            next.clone(),
            barrier.clone(),
        );
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let (mut applied, mut skipped, mut failed_calls) = (0_usize, 0_usize, 0_usize);
            while let Some(partitions) = batches.get(next.fetch_add(1, Ordering::Relaxed)) {
                let job = |partition: &String| format!("job-{partition}");
                let assign: Vec<AssignJobIdRequest> = partitions
                    .iter()
                    .map(|p| AssignJobIdRequest::new(job(p), p, inputs.to_vec()))
                    .collect();
                if store.assign_job_ids(&assign).await.is_err() {
                    failed_calls += 1;
                    continue;
                }
                let jobs = partitions
                    .iter()
                    .map(|p| {
                        CompactionJobCommit::new(ReplaceFileReferencesRequest::new(
                            job(p),
                            p,
                            inputs.to_vec(),
                            FileReference::new(
                                compaction_output(store.table_id(), p),
                                p,
                                1_000 * inputs.len() as u64,
                            ),
                        ))
                    })
                    .collect();
                let commit = Transaction::ReplaceFileReferences { jobs };
                match store
                    .apply_transaction(&commit, CommitMode::Asynchronous)
                    .await
                {
                    Ok(outcome) => {
                        skipped += outcome.failures.len();
                        applied += partitions.len() - outcome.failures.len();
                    }
                    Err(_) => failed_calls += 1,
                }
            }
            (applied, skipped, failed_calls)
        }));
    }
    barrier.wait().await;
    let started = Instant::now();
    let (mut applied, mut skipped, mut failed_calls) = (0, 0, 0);
    for handle in handles {
        let (a, s, f) = handle.await?;
        applied += a;
        skipped += s;
        failed_calls += f;
    }
    let seconds = started.elapsed().as_secs_f64();
    let check = check_storm_result(client, &table, files).await?;
    client.delete_table(&table.table_id).await?;
    let jobs_per_second = applied as f64 / seconds;
    eprintln!(
        "P6: batches of {batch}, {clients} clients: {jobs_per_second:.0} jobs/s, {skipped} skipped, {failed_calls} failed calls"
    );
    Ok(json!({
        "batch": batch,
        "clients": clients,
        "leaves": leaves,
        "files": files,
        "jobs": applied,
        "seconds": seconds,
        "jobs_per_second": jobs_per_second,
        "skipped_jobs": skipped,
        "failed_calls": failed_calls,
        "every_job_applied": applied == table.leaves.len() && skipped == 0 && failed_calls == 0,
        "checks": [check],
    }))
}

/// P8: a query planner's read (the partition-to-files map of the partitions overlapping a narrow key
/// range) beside `get_partition`, on a table of `large_leaves` leaves as it grows through
/// `region_sizes` references. The range's leaf keeps its ten references while the other leaves fill
/// up, so what grows is the table, not the answer. Both loops run on a task of the runtime.
async fn region_reads(client: &Client, settings: &Settings) -> BenchResult<Value> {
    let name = "bench-p8";
    let _ = client.delete_table(name).await; // left by an interrupted run
    let row_keys = [RowKeyField::new("key", KeyType::Long)];
    let store = client.create_table(name, &row_keys).await?;
    let leaves = settings.large_leaves;
    let split_points: Vec<KeyValue> = (1..leaves as i64)
        .map(|i| KeyValue::Long(i * 1_000))
        .collect();
    let tree = partitions_from_split_points(&row_keys, &split_points)?;
    store.initialise_with_partitions(&tree).await?;
    let target_min = (leaves / 2) as i64 * 1_000;
    let leaf_of = |min: i64| {
        tree.iter()
            .find(|p| p.is_leaf_partition && p.region.ranges[0].min == KeyValue::Long(min))
            .map(|p| p.id.clone())
            .ok_or("no leaf at that key")
    };
    let target = leaf_of(target_min)?;
    let others: Vec<String> = tree
        .iter()
        .filter(|p| p.is_leaf_partition && p.id != target)
        .map(|p| p.id.clone())
        .collect();
    let on_target: Vec<FileReference> = (0..10)
        .map(|f| {
            FileReference::new(
                format!("s3a://sleeper-bench/{name}/target/{f}.parquet"),
                &target,
                100,
            )
        })
        .collect();
    store.add_files(&on_target).await?;
    let region = Region::new(vec![Range::new(
        "key",
        KeyValue::Long(target_min + 1),
        Some(KeyValue::Long(target_min + 2)),
    )]);
    let per_file = 10;
    let mut references = on_target.len();
    let mut file = 0;
    let mut results = Vec::new();
    for &size in &settings.region_sizes {
        while references < size {
            let batch: Vec<FileReference> = (0..(size - references).min(10_000))
                .map(|r| {
                    let index = references + r;
                    FileReference::new(
                        format!(
                            "s3a://sleeper-bench/{name}/data/{:08}.parquet",
                            file + r / per_file
                        ),
                        &others[index % others.len()],
                        100,
                    )
                })
                .collect();
            file += batch.len().div_ceil(per_file);
            references += batch.len();
            store.add_files(&batch).await?;
        }
        let length = Duration::from_secs_f64(settings.region_seconds);
        let (store, region, target) = (store.clone(), region.clone(), target.clone());
        let (read_us, get_partition_us, files) = tokio::spawn(async move {
            let files: usize = store
                .get_partition_to_referenced_files_map_in_region(&region)
                .await?
                .values()
                .map(Vec::len)
                .sum();
            let started = Instant::now();
            let mut reads = 0_u64;
            while started.elapsed() < length {
                store
                    .get_partition_to_referenced_files_map_in_region(&region)
                    .await?;
                reads += 1;
            }
            let read_us = started.elapsed().as_secs_f64() * 1e6 / reads as f64;
            let get_partition_us = us_per_get_partition(&store, &target, length).await?;
            Ok::<_, sleeper_pg::Error>((read_us, get_partition_us, files))
        })
        .await??;
        eprintln!(
            "P8: {references} references: region read {read_us:.1} us, get_partition {get_partition_us:.1} us: {:.2} x",
            read_us / get_partition_us
        );
        results.push(json!({
            "references": references,
            "leaves": leaves,
            "files_in_answer": files,
            "read_us_per_call": read_us,
            "get_partition_us_per_call": get_partition_us,
            "ratio": read_us / get_partition_us,
        }));
    }
    client.delete_table(name).await?;
    Ok(Value::Array(results))
}

/// T1: Sleeper's `shouldExtendFromRootTo100_000Leaves`: a table whose tree is a root only, extended to
/// Sleeper's tree from split points in one `extend_partition_tree` call.
async fn extend_tree(client: &Client, leaves: usize) -> BenchResult<Value> {
    let row_keys = [RowKeyField::new("key", KeyType::Int)];
    let _ = client.delete_table("bench-extend").await; // left by an interrupted run
    let store = client.create_table("bench-extend", &row_keys).await?;
    let split_points: Vec<KeyValue> = (1..leaves as i32).map(KeyValue::Int).collect();
    let tree = partitions_from_split_points(&row_keys, &split_points)?;
    let root = tree
        .iter()
        .find(|p| p.parent_partition_id.is_none())
        .ok_or("a tree has a root")?
        .clone();
    store
        .initialise_with_partitions(&[Partition::new(root.id.clone(), root.region.clone())])
        .await?;
    let new: Vec<Partition> = tree.iter().filter(|p| p.id != root.id).cloned().collect();
    let started = Instant::now();
    store.extend_partition_tree(&[root], &new).await?;
    let seconds = started.elapsed().as_secs_f64();
    let stored = store.get_all_partitions().await?.len();
    client.delete_table("bench-extend").await?;
    eprintln!("T1: root to {leaves} leaves ({stored} partitions) in {seconds:.2} s");
    Ok(
        json!({"leaves": leaves, "partitions": stored, "seconds": seconds, "complete": stored == tree.len()}),
    )
}

fn main() -> BenchResult<()> {
    let settings = Settings::from_args()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let server = Server::start()?;
    let results = runtime.block_on(run(&server, &settings))?;
    let text = serde_json::to_string_pretty(&results)?;
    if let Some(path) = &settings.json {
        write_file(path, &text)?;
        eprintln!("wrote {}", path.display());
    } else {
        println!("{text}");
    }
    println!(
        "benchmarks: {} passed, 0 failed",
        results["workloads"].as_object().map_or(0, |w| w.len())
    );
    Ok(())
}

fn write_file(path: &Path, text: &str) -> BenchResult<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)?;
    Ok(())
}

async fn run(server: &Server, settings: &Settings) -> BenchResult<Value> {
    let client = server.client(4).await?;
    let mut workloads: BTreeMap<String, Value> = BTreeMap::new();
    let mut pgbench_tps: BTreeMap<usize, f64> = BTreeMap::new();
    let mut baseline = |clients: usize| -> BenchResult<f64> {
        if let Some(tps) = pgbench_tps.get(&clients) {
            return Ok(*tps);
        }
        let tps = pgbench(server, settings, clients, "tpcb-like")?;
        pgbench_tps.insert(clients, tps);
        Ok(tps)
    };
    if ["P1", "P1b", "P5", "P1f", "P1e", "P7"]
        .iter()
        .any(|w| settings.runs(w))
    {
        pgbench_init(server, settings)?;
    }
    if settings.runs("P1") {
        let mut runs =
            storms_against_pgbench(server, &client, settings, "p1", &mut baseline).await?;
        for (run, &clients) in runs.iter_mut().zip(&settings.clients) {
            let simple = pgbench(server, settings, clients, "simple-update")?;
            run["pgbench_simple_update_tps"] = json!(simple);
        }
        workloads.insert("P1".into(), Value::Array(runs));
    }
    if settings.runs("P1f") {
        let mut connection = server.connection().await?;
        let before: String = sqlx::query_scalar("SHOW fsync")
            .fetch_one(&mut connection)
            .await?;
        drop(connection);
        let off = set_fsync(server, Some("off"), "off").await;
        let runs = match off {
            Ok(seen) if seen == "off" => storms_without_fsync(server, &client, settings).await,
            Ok(seen) => Err(format!(
                "P1f: fsync is still {seen} after ALTER SYSTEM (set on the server's command line?)"
            )
            .into()),
            Err(error) => Err(error),
        };
        // fsync back as it was, whatever happened.
        let restored = set_fsync(server, None, &before).await?;
        if restored != before {
            return Err(
                format!("P1f: fsync is {restored} after ALTER SYSTEM RESET, was {before}").into(),
            );
        }
        workloads.insert("P1f".into(), runs?);
    }
    if settings.runs("P1e") {
        let clients = settings.delay_clients;
        let (proxy, url) = server.delay_proxy(settings.delay())?;
        let mut result = storm(
            &server.one_connection_to(&url),
            &client,
            "p1e",
            Storm {
                tables: 1,
                leaves: settings.leaves,
                files: settings.files,
                clients,
            },
        )
        .await?;
        let run = run_pgbench(
            server,
            &url,
            clients,
            Length::Seconds(settings.pgbench_seconds),
            &["-b", "tpcb-like"],
        )?;
        drop(proxy);
        eprintln!(
            "pgbench tpcb-like through the proxy: {clients} clients: {:.0} tps",
            run.tps
        );
        result["delay_ms"] = json!(settings.delay_ms);
        result["pgbench_tps"] = json!(run.tps);
        result["pgbench_scale"] = json!(settings.pgbench_scale);
        result["ratio_to_pgbench"] =
            json!(result["jobs_per_second"].as_f64().unwrap_or(0.0) / run.tps);
        workloads.insert("P1e".into(), result);
    }
    if settings.runs("P1b") {
        let clients = *settings.clients.last().unwrap_or(&16);
        let result = storm(
            &server.direct(),
            &client,
            "p1b",
            Storm {
                tables: settings.tables,
                leaves: settings.leaves,
                files: settings.files,
                clients,
            },
        )
        .await?;
        workloads.insert("P1b".into(), result);
    }
    if settings.runs("P10") {
        workloads.insert(
            "P10".into(),
            storms_with_and_without_feed(server, &client, settings).await?,
        );
    }
    if settings.runs("P1c") {
        let clients = *settings.clients.last().unwrap_or(&16);
        let local = server
            ._local
            .as_ref()
            .ok_or("P1c needs the benchmark's own local cluster (DATABASE_URL is set)")?;
        let pooler = sleeper_pg::testing::PgBouncer::start(local, settings.pooler_connections)?;
        let shape = Storm {
            tables: 1,
            leaves: settings.leaves,
            files: settings.files,
            clients,
        };
        let mut result = storm(&pooler.client_options(1), &client, "p1c", shape).await?;
        result["server_connections"] = json!(settings.pooler_connections);
        workloads.insert("P1c".into(), result);
    }
    if settings.runs("P1d") {
        let result = storm(
            &server.direct(),
            &client,
            "p1d",
            Storm {
                tables: 1,
                leaves: settings.large_leaves,
                files: settings.large_files,
                clients: settings.large_clients,
            },
        )
        .await?;
        workloads.insert("P1d".into(), result);
    }
    if settings.runs("P5") {
        let mut runs = Vec::new();
        for &clients in &settings.prototype_clients {
            prototype::prepare(server, settings.leaves, settings.files).await?;
            let limit = Duration::from_secs(settings.prototype_seconds);
            let mut outcome =
                prototype::run(server, settings.leaves, settings.files, clients, limit).await?;
            let mut result = outcome.report();
            result["clients"] = json!(clients);
            eprintln!(
                "P5 prototype: {clients} clients: {:.1} jobs/s, {} failed calls, {} retries",
                result["jobs_per_second"].as_f64().unwrap_or(0.0),
                outcome.failed_calls,
                outcome.retries
            );
            runs.push(result);
        }
        workloads.insert("P5".into(), Value::Array(runs));
    }
    if settings.runs("P2") {
        workloads.insert("P2".into(), bulk_add(server, &client, settings).await?);
    }
    if settings.runs("P3") {
        if !settings.runs("P2") {
            bulk_add(server, &client, settings).await?;
        }
        workloads.insert("P3".into(), bulk_read(server, &client).await?);
    } else if settings.runs("P2") {
        client.delete_table("bench-bulk").await?;
    }
    if settings.runs("P4") {
        workloads.insert(
            "P4".into(),
            get_partition_loop(&client, settings.get_partition_calls).await?,
        );
    }
    if settings.runs("P4p") {
        workloads.insert(
            "P4p".into(),
            get_partition_against_pgbench(server, &client, settings).await?,
        );
    }
    if settings.runs("P6") {
        let mut runs = Vec::new();
        for &batch in &settings.batch_sizes {
            runs.push(batched_commits(server, &client, settings, batch).await?);
        }
        workloads.insert("P6".into(), Value::Array(runs));
    }
    if settings.runs("P7") {
        workloads.insert("P7".into(), round_trips(server, &client, settings).await?);
    }
    if settings.runs("P8") {
        workloads.insert("P8".into(), region_reads(&client, settings).await?);
    }
    if settings.runs("P9") {
        workloads.insert("P9".into(), replica_reads::run(settings).await?);
    }
    if settings.runs("T1") {
        workloads.insert(
            "T1".into(),
            extend_tree(&client, settings.extension_leaves).await?,
        );
    }
    let server_settings = server_settings(server).await?;
    Ok(json!({
        "settings": format!("{settings:?}"),
        "server": server_settings,
        "machine": machine(),
        "workloads": workloads,
    }))
}

async fn server_settings(server: &Server) -> BenchResult<Value> {
    let mut connection = server.connection().await?;
    let mut settings = serde_json::Map::new();
    for name in [
        "server_version",
        "fsync",
        "synchronous_commit",
        "shared_buffers",
        "max_connections",
        "wal_level",
    ] {
        let row = sqlx::query(&format!("SHOW {name}"))
            .fetch_one(&mut connection)
            .await?;
        settings.insert(name.to_owned(), json!(row.try_get::<String, _>(0)?));
    }
    Ok(Value::Object(settings))
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("model name"))
            .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
    });
    json!({
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
    })
}
