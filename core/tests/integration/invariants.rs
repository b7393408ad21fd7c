//! The concurrent invariant checker (issue 8): 64 clients on 4 tables issue random operations (adds,
//! partition splits, reference push-downs, job assignments, compaction commits, garbage collection,
//! queries) while random backends are terminated. A checker reads consistent snapshots of the schema
//! during the run (REPEATABLE READ) and, at pauses and at the end, compares them with what the store
//! reports. The invariants:
//! 1. every reference belongs to an existing file record;
//! 2. at most one reference per (file, partition);
//! 3. reference counts and file times agree with the references;
//! 4. the partition tree is valid;
//! 5. each reference was assigned to at most one job;
//! 6. every acknowledged commit's output file exists unless a later acknowledged operation removed it;
//! 7. no input file of an acknowledged commit is still referenced on that partition.
//!
//! `make test` runs a short version; `SLEEPER_PG_SOAK=1` runs 100,000 operations and writes the
//! figures to `docs/reliability.md`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::model::snapshot::{self, region_violations, Snapshot};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sleeper_pg::*;
use tokio::sync::RwLock;

const CLIENTS: usize = 64;
const TABLES: usize = 4;
/// Partitions are split only this many levels deep.
const MAX_DEPTH: usize = 5;

fn soak() -> bool {
    std::env::var_os("SLEEPER_PG_SOAK").is_some()
}

/// (table index, filename, partition id)
type RefKey = (usize, String, String);

/// What the clients were told, and what they were about to do.
#[derive(Default)]
struct Ledger {
    /// Acknowledged commits: (table, partition, inputs, output).
    commits: Vec<(usize, String, Vec<String>, String)>,
    /// Acknowledged assignments of each reference.
    assignments: HashMap<RefKey, Vec<String>>,
    /// References some call was about to remove (commit or push-down), recorded before the call.
    removing: HashSet<RefKey>,
    /// Files some garbage collector was about to delete, recorded before the call.
    deleting: HashSet<(usize, String)>,
    /// Calls that failed with a connection error while committing: outcome unknown.
    unknown: usize,
}

#[derive(Default)]
struct Figures {
    /// (operation, outcome) -> count
    outcomes: BTreeMap<(String, String), usize>,
    snapshots: usize,
    pauses: usize,
    terminated: usize,
    violations: Vec<String>,
}

struct Run {
    url: String,
    tables: Vec<String>,
    operations: usize,
    next: AtomicUsize,
    done: AtomicUsize,
    ledger: Mutex<Ledger>,
    figures: Mutex<Figures>,
    pause: RwLock<()>,
    finished: AtomicBool,
}

impl Run {
    fn count(&self, operation: &str, outcome: &str) {
        *self
            .figures
            .lock()
            .unwrap()
            .outcomes
            .entry((operation.to_owned(), outcome.to_owned()))
            .or_default() += 1;
    }

    fn violation(&self, what: String) {
        self.figures.lock().unwrap().violations.push(what);
    }
}

fn cause_name(error: &Error) -> String {
    match error {
        Error::SplitRequestsFailed { cause, .. } | Error::ReplaceRequestsFailed { cause, .. } => {
            format!("{}({})", error.exception_name(), cause.exception_name())
        }
        _ => error.exception_name().to_owned(),
    }
}

/// One client's view of a table, refreshed from time to time.
#[derive(Default, Clone)]
struct Cache {
    partitions: Vec<Partition>,
    unassigned: Vec<FileReference>,
}

struct Worker {
    id: usize,
    rng: StdRng,
    stores: Vec<StateStore>,
    caches: Vec<Cache>,
    /// Acknowledged assignments of this client not yet committed: (table, job, partition, files).
    jobs: Vec<(usize, String, String, Vec<String>)>,
    n: usize,
}

impl Worker {
    fn name(&mut self, what: &str) -> String {
        self.n += 1;
        format!("c{}-{what}{}", self.id, self.n)
    }

    async fn refresh(&mut self, t: usize) -> Result<()> {
        let store = &self.stores[t];
        self.caches[t] = Cache {
            partitions: store.get_all_partitions().await?,
            unassigned: store.get_file_references_with_no_job_id().await?,
        };
        Ok(())
    }

    async fn step(&mut self, run: &Run) {
        let t = self.rng.gen_range(0..TABLES);
        if self.caches[t].partitions.is_empty() || self.rng.gen_ratio(1, 8) {
            let refreshed = self.refresh(t).await;
            self.record(run, "refresh", &refreshed, &[]);
        }
        let roll = self.rng.gen_range(0..100);
        match roll {
            0..=24 => self.add(run, t).await,
            25..=27 => self.split_partition(run, t).await,
            28..=41 => self.push_down(run, t).await,
            42..=61 => self.assign(run, t).await,
            62..=84 => self.commit(run, t).await,
            85..=91 => self.garbage_collect(run, t).await,
            _ => self.query(run, t).await,
        }
    }

    /// Counts the outcome; an error not in `expected` (nor a connection error) is a violation.
    fn record<T>(&self, run: &Run, operation: &str, result: &Result<T>, expected: &[&str]) {
        match result {
            Ok(_) => run.count(operation, "ok"),
            Err(error) => {
                let name = cause_name(error);
                run.count(operation, &name);
                if let Error::Connection { .. } = error {
                    run.ledger.lock().unwrap().unknown += 1;
                } else if !expected.contains(&name.as_str()) {
                    run.violation(format!("{operation} failed unexpectedly: {error:?}"));
                }
            }
        }
    }

    fn leaves(&self, t: usize) -> Vec<&Partition> {
        self.caches[t]
            .partitions
            .iter()
            .filter(|p| p.is_leaf_partition)
            .collect()
    }

    async fn add(&mut self, run: &Run, t: usize) {
        let leaves: Vec<String> = self.leaves(t).iter().map(|p| p.id.clone()).collect();
        if leaves.is_empty() {
            return;
        }
        let filename = self.name("f");
        let mut partitions = vec![leaves[self.rng.gen_range(0..leaves.len())].clone()];
        let other = leaves[self.rng.gen_range(0..leaves.len())].clone();
        if self.rng.gen_ratio(1, 4) && !partitions.contains(&other) {
            partitions.push(other);
        }
        let references: Vec<FileReference> = partitions
            .iter()
            .map(|p| FileReference::new(&filename, p, self.rng.gen_range(0..10_000)))
            .collect();
        let result = self.stores[t].add_files(&references).await;
        self.record(run, "add_files", &result, &[]);
    }

    async fn split_partition(&mut self, run: &Run, t: usize) {
        let leaves: Vec<Partition> = self
            .leaves(t)
            .into_iter()
            .filter(|p| p.id.len() < "root".len() + MAX_DEPTH)
            .cloned()
            .collect();
        if leaves.is_empty() {
            return;
        }
        let leaf = &leaves[self.rng.gen_range(0..leaves.len())];
        let KeyValue::Long(min) = leaf.region.ranges[0].min else {
            return;
        };
        let max = match &leaf.region.ranges[0].max {
            Some(KeyValue::Long(max)) => *max,
            _ => i64::MAX,
        };
        let at = min / 2 + max / 2;
        if at <= min {
            return;
        }
        let (split, left, right) =
            split_of(leaf, &format!("{}0", leaf.id), &format!("{}1", leaf.id), at);
        let result = self.stores[t]
            .atomically_update_partition_and_create_new_ones(&split, &left, &right)
            .await;
        // Another client may have split it first.
        self.record(run, "split_partition", &result, &["StateStoreException"]);
        if let Err(Error::StateStore { message, .. }) = &result {
            if message != "Parent should be a leaf partition" {
                run.violation(format!("split of {} failed: {message}", leaf.id));
            }
        }
        let _ = self.refresh(t).await;
    }

    async fn push_down(&mut self, run: &Run, t: usize) {
        let cache = &self.caches[t];
        let split: HashMap<&str, &Partition> = cache
            .partitions
            .iter()
            .filter(|p| !p.is_leaf_partition)
            .map(|p| (p.id.as_str(), p))
            .collect();
        let candidates: Vec<&FileReference> = cache
            .unassigned
            .iter()
            .filter(|r| split.contains_key(r.partition_id.as_str()))
            .collect();
        if candidates.is_empty() {
            return;
        }
        let reference = candidates[self.rng.gen_range(0..candidates.len())].clone();
        let parent = split[reference.partition_id.as_str()];
        let request = SplitFileReferenceRequest::split_file_to_child_partitions(
            &reference,
            &parent.child_partition_ids[0],
            &parent.child_partition_ids[1],
        );
        let key = (
            t,
            reference.filename.clone(),
            reference.partition_id.clone(),
        );
        run.ledger.lock().unwrap().removing.insert(key);
        let result = self.stores[t].split_file_references(&[request]).await;
        // Stale cache: the reference was pushed down, assigned or compacted (and collected) since.
        self.record(
            run,
            "split_file_references",
            &result,
            &[
                "SplitRequestsFailedException(FileReferenceNotFoundException)",
                "SplitRequestsFailedException(FileReferenceAssignedToJobException)",
                "SplitRequestsFailedException(FileNotFoundException)",
            ],
        );
        self.caches[t].unassigned.retain(|r| r != &reference);
    }

    async fn assign(&mut self, run: &Run, t: usize) {
        let cache = &self.caches[t];
        if cache.unassigned.is_empty() {
            return;
        }
        let partition = cache.unassigned[self.rng.gen_range(0..cache.unassigned.len())]
            .partition_id
            .clone();
        let count = self.rng.gen_range(1..=3);
        let files: Vec<String> = cache
            .unassigned
            .iter()
            .filter(|r| r.partition_id == partition)
            .take(count)
            .map(|r| r.filename.clone())
            .collect();
        let job = self.name("job");
        let request = AssignJobIdRequest::new(&job, &partition, files.clone());
        let result = self.stores[t].assign_job_ids(&[request]).await;
        self.record(
            run,
            "assign_job_ids",
            &result,
            &[
                "FileReferenceAssignedToJobException",
                "FileReferenceNotFoundException",
            ],
        );
        self.caches[t]
            .unassigned
            .retain(|r| !(r.partition_id == partition && files.contains(&r.filename)));
        if result.is_ok() {
            let mut ledger = run.ledger.lock().unwrap();
            for file in &files {
                ledger
                    .assignments
                    .entry((t, file.clone(), partition.clone()))
                    .or_default()
                    .push(job.clone());
            }
            drop(ledger);
            self.jobs.push((t, job, partition, files));
        }
    }

    /// Commits one of this client's jobs: its references are its own, so the commit must succeed.
    async fn commit(&mut self, run: &Run, t: usize) {
        let Some(index) = self.jobs.iter().position(|j| j.0 == t) else {
            return;
        };
        let (_, job, partition, inputs) = self.jobs.swap_remove(index);
        let output = self.name("out");
        let rows = self.rng.gen_range(0..100_000);
        {
            let mut ledger = run.ledger.lock().unwrap();
            for input in &inputs {
                ledger
                    .removing
                    .insert((t, input.clone(), partition.clone()));
            }
        }
        let request = ReplaceFileReferencesRequest::new(
            &job,
            &partition,
            inputs.clone(),
            FileReference::new(&output, &partition, rows),
        );
        let result = self.stores[t]
            .atomically_replace_file_references_with_new_ones(&[request])
            .await;
        self.record(run, "commit", &result, &[]);
        if result.is_ok() {
            run.ledger
                .lock()
                .unwrap()
                .commits
                .push((t, partition, inputs, output));
        }
    }

    async fn garbage_collect(&mut self, run: &Run, t: usize) {
        let store = &self.stores[t];
        let ready = store
            .get_ready_for_gc_filenames_before(chrono::Utc::now() + chrono::Duration::days(1))
            .await;
        self.record(run, "get_ready_for_gc", &ready, &[]);
        let Ok(ready) = ready else { return };
        let start = if ready.is_empty() {
            0
        } else {
            self.rng.gen_range(0..ready.len())
        };
        let batch: Vec<String> = ready.into_iter().skip(start).take(5).collect();
        if batch.is_empty() {
            return;
        }
        {
            let mut ledger = run.ledger.lock().unwrap();
            for file in &batch {
                ledger.deleting.insert((t, file.clone()));
            }
        }
        let result = self.stores[t]
            .delete_garbage_collected_file_reference_counts(&batch)
            .await;
        // Another collector may have deleted one of them first.
        self.record(run, "delete_gc", &result, &["FileNotFoundException"]);
    }

    async fn query(&mut self, run: &Run, t: usize) {
        let store = &self.stores[t];
        let report = store.get_all_files_with_max_unreferenced(20).await;
        self.record(run, "report", &report, &[]);
        if let Ok(report) = report {
            // One snapshot: files in order, each with its own references only.
            let names: Vec<&String> = report.files.iter().map(|f| &f.filename).collect();
            if !names.windows(2).all(|w| w[0] < w[1]) {
                run.violation(format!("report files out of order: {names:?}"));
            }
            for file in &report.files {
                if file.references.iter().any(|r| r.filename != file.filename) {
                    run.violation(format!(
                        "report file {} holds another's reference",
                        file.filename
                    ));
                }
            }
        }
        let map = store.get_partition_to_referenced_files_map().await;
        self.record(run, "partition_map", &map, &[]);
    }
}

async fn worker(run: Arc<Run>, id: usize) {
    let client = Client::connect_with(ClientOptions::default().with(|o| {
        o.url = Some(run.url.clone());
        o.max_connections = 2;
        o.statement_timeout = Some(Duration::from_secs(30));
        o.migrate = false;
    }))
    .await
    .expect("connect a client");
    let mut stores = Vec::new();
    for table in &run.tables {
        stores.push(client.table(table).await.expect("open a table"));
    }
    let mut worker = Worker {
        id,
        rng: StdRng::seed_from_u64(id as u64 ^ 0x5eed),
        stores,
        caches: vec![Cache::default(); TABLES],
        jobs: Vec::new(),
        n: 0,
    };
    while run.next.fetch_add(1, Ordering::Relaxed) < run.operations {
        let _running = run.pause.read().await;
        worker.step(&run).await;
        run.done.fetch_add(1, Ordering::Relaxed);
    }
}

/// The checks that compare a snapshot with the ledger, taken after the snapshot: acknowledgements
/// read before it are in it, intentions read after it cover every call that could be.
fn ledger_violations(
    snapshot: &Snapshot,
    tables: &[String],
    acknowledged: &Acknowledged,
    ledger: &Ledger,
) -> Vec<String> {
    let (commits, assignments) = acknowledged;
    let mut found = Vec::new();
    for (t, partition, inputs, output) in commits {
        let table = &snapshot.tables[&tables[*t]];
        let output_removed = ledger
            .removing
            .contains(&(*t, output.clone(), partition.clone()));
        let output_deleted = ledger.deleting.contains(&(*t, output.clone()));
        if !output_deleted && !table.files.contains_key(output) {
            found.push(format!("{}: acknowledged output {output} lost", tables[*t]));
        }
        if !output_removed && !output_deleted && !table.is_referenced(output, partition) {
            found.push(format!(
                "{}: acknowledged output {output} lost its reference on {partition}",
                tables[*t]
            ));
        }
        for input in inputs {
            if table.is_referenced(input, partition) {
                found.push(format!(
                    "{}: input {input} of an acknowledged commit still referenced on {partition}",
                    tables[*t]
                ));
            }
        }
    }
    for ((t, file, partition), jobs) in assignments {
        if jobs.len() > 1 {
            found.push(format!(
                "{}: {file} on {partition} assigned to {jobs:?}",
                tables[*t]
            ));
        }
        let table = &snapshot.tables[&tables[*t]];
        if let Some(reference) = table.reference(file, partition) {
            if reference.job_id.as_ref() != jobs.first() {
                found.push(format!(
                    "{}: {file} on {partition} has job {:?}, acknowledged {jobs:?}",
                    tables[*t], reference.job_id
                ));
            }
        }
    }
    found
}

/// The commits and assignments acknowledged before a snapshot began.
type Acknowledged = (
    Vec<(usize, String, Vec<String>, String)>,
    HashMap<RefKey, Vec<String>>,
);

/// One check from a REPEATABLE READ snapshot while clients run.
async fn check_snapshot(run: &Run, connection: &mut sqlx::PgConnection) {
    let acknowledged: Acknowledged = {
        let ledger = run.ledger.lock().unwrap();
        (ledger.commits.clone(), ledger.assignments.clone())
    };
    let snapshot = match Snapshot::take(connection, "sleeper").await {
        Ok(snapshot) => snapshot,
        Err(error) => {
            run.violation(format!("snapshot failed: {error}"));
            return;
        }
    };
    let mut found = snapshot.violations();
    {
        let ledger = run.ledger.lock().unwrap();
        found.extend(ledger_violations(
            &snapshot,
            &run.tables,
            &acknowledged,
            &ledger,
        ));
    }
    let mut figures = run.figures.lock().unwrap();
    figures.snapshots += 1;
    figures.violations.extend(found);
}

/// At a pause (no call in flight): the store's answers agree with its rows.
async fn check_quiescent(run: &Run, client: &Client, connection: &mut sqlx::PgConnection) {
    check_snapshot(run, connection).await;
    let snapshot = Snapshot::take(connection, "sleeper")
        .await
        .expect("a snapshot");
    let mut found = Vec::new();
    for table_id in &run.tables {
        let store = client.table(table_id).await.expect("open a table");
        let report = store
            .get_all_files_with_max_unreferenced(i32::MAX as u64)
            .await
            .expect("the report");
        let table = &snapshot.tables[table_id];
        if report.files != table.files_report() {
            found.push(format!(
                "{table_id}: the report disagrees with the rows (counts or times)"
            ));
        }
        let partitions = store.get_all_partitions().await.expect("partitions");
        found.extend(region_violations(table_id, &partitions));
        let references = store.get_file_references().await.expect("references");
        let live: Vec<(String, String)> = table
            .live()
            .map(|r| (r.filename.clone(), r.partition_id.clone()))
            .collect();
        let listed: Vec<(String, String)> = references
            .iter()
            .map(|r| (r.filename.clone(), r.partition_id.clone()))
            .collect();
        if live != listed {
            found.push(format!("{table_id}: the references disagree with the rows"));
        }
    }
    let mut figures = run.figures.lock().unwrap();
    figures.pauses += 1;
    figures.violations.extend(found);
}

/// Terminates a random backend of the store in the run's database now and then, as an operator or a
/// failover would.
async fn terminator(run: Arc<Run>, every: Duration) {
    let mut connection = snapshot::connect(&run.url).await;
    while !run.finished.load(Ordering::Relaxed) {
        tokio::time::sleep(every).await;
        let killed: Option<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'sleeper-pg' AND datname = current_database() \
               AND pid <> pg_backend_pid() \
             ORDER BY random() LIMIT 1",
        )
        .fetch_optional(&mut connection)
        .await
        .unwrap_or(None);
        if killed == Some(true) {
            run.figures.lock().unwrap().terminated += 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invariants_hold_while_64_clients_run_random_operations_on_4_tables() {
    let operations = if soak() { 100_000 } else { 3_000 };
    let started = Instant::now();
    // A database of its own on the shared server, so that the terminator, which picks backends of
    // that database only, never ends a connection of a test running beside this one.
    let url = own_database("invariants").await;
    let client = Client::connect_with(ClientOptions::default().with(|o| o.url = Some(url.clone())))
        .await
        .expect("connect");
    let mut tables = Vec::new();
    for _ in 0..TABLES {
        let store = new_store(&client).await;
        tables.push(store.table_id().to_owned());
    }
    let run = Arc::new(Run {
        url,
        tables,
        operations,
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        ledger: Mutex::new(Ledger::default()),
        figures: Mutex::new(Figures::default()),
        pause: RwLock::new(()),
        finished: AtomicBool::new(false),
    });
    let workers: Vec<_> = (0..CLIENTS)
        .map(|id| tokio::spawn(worker(run.clone(), id)))
        .collect();
    let terminator = tokio::spawn(terminator(run.clone(), Duration::from_millis(250)));
    let mut connection = snapshot::connect(&run.url).await;
    let mut next_pause = operations / 4;
    while run.done.load(Ordering::Relaxed) < operations && workers.iter().any(|w| !w.is_finished())
    {
        if run.done.load(Ordering::Relaxed) >= next_pause {
            let _paused = run.pause.write().await;
            check_quiescent(&run, &client, &mut connection).await;
            next_pause += operations / 4;
        } else {
            // Checks take longer as the tables grow: keep them to a quarter of the time.
            let checking = Instant::now();
            check_snapshot(&run, &mut connection).await;
            let pause = (checking.elapsed() * 3).max(Duration::from_millis(100));
            tokio::time::sleep(pause).await;
        }
    }
    for worker in workers {
        worker.await.expect("a client task");
    }
    run.finished.store(true, Ordering::Relaxed);
    terminator.await.unwrap();
    check_quiescent(&run, &client, &mut connection).await;
    drop(connection);
    client.close().await;
    drop_database(&run.url).await;

    let figures = run.figures.lock().unwrap();
    let ledger = run.ledger.lock().unwrap();
    let lost = figures
        .violations
        .iter()
        .filter(|v| v.contains("acknowledged output"))
        .count();
    let summary = summary(operations, started.elapsed(), &figures, &ledger, lost);
    eprintln!("{summary}");
    if soak() {
        crate::model::write_reliability_section("invariants", &summary);
    }
    assert!(
        figures.violations.is_empty(),
        "{} invariant violations, the first: {:#?}",
        figures.violations.len(),
        &figures.violations[..figures.violations.len().min(10)]
    );
    let commits = figures
        .outcomes
        .get(&("commit".to_owned(), "ok".to_owned()))
        .copied()
        .unwrap_or_default();
    assert!(commits > 0, "no commit succeeded: {:?}", figures.outcomes);
    assert!(figures.snapshots > 0 && figures.pauses > 0);
}

fn summary(
    operations: usize,
    elapsed: Duration,
    figures: &Figures,
    ledger: &Ledger,
    lost: usize,
) -> String {
    let mut text = format!(
        "## Concurrent invariant checker\n\n\
         | figure | value |\n|---|---|\n\
         | operations | {operations} |\n\
         | clients | {CLIENTS} |\n\
         | tables | {TABLES} |\n\
         | duration | {:.0} s |\n\
         | faults injected (backends terminated) | {} |\n\
         | calls failed with a connection error (outcome unknown) | {} |\n\
         | consistent snapshots checked during the run | {} |\n\
         | pauses with store-versus-rows comparison | {} |\n\
         | acknowledged commits | {} |\n\
         | acknowledged commits lost | {lost} |\n\
         | invariant violations | {} |\n\n\
         Outcomes by operation:\n\n| operation | outcome | count |\n|---|---|---|\n",
        elapsed.as_secs_f64(),
        figures.terminated,
        ledger.unknown,
        figures.snapshots,
        figures.pauses,
        ledger.commits.len(),
        figures.violations.len(),
    );
    for ((operation, outcome), count) in &figures.outcomes {
        text.push_str(&format!("| {operation} | {outcome} | {count} |\n"));
    }
    text
}
