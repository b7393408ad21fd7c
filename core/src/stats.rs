//! Statistics of a client's calls: per operation, the calls, failures by error kind, retries and a
//! latency histogram, kept in atomics (no lock on a call's path) and published as they happen
//! through the `metrics` facade. Every public call of `Client` and `StateStore` runs inside
//! [`observe`], which also opens the call's tracing span.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tracing::Instrument;

use crate::error::{ErrorKind, Result};

macro_rules! operations {
    ($($variant:ident => $name:literal,)*) => {
        /// A public call of [`Client`](crate::Client) or [`StateStore`](crate::StateStore): what its
        /// statistics, metrics and tracing spans are labelled with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Operation {
            $(#[doc = concat!("`", $name, "`")] $variant,)*
        }

        impl Operation {
            /// Every operation, in the order [`ClientStats`] lists them.
            pub const ALL: &'static [Operation] = &[$(Operation::$variant,)*];

            /// The Rust method's name, which labels the operation everywhere.
            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$variant => $name,)*
                }
            }
        }
    };
}

operations! {
    CreateTable => "create_table",
    Table => "table",
    ListTables => "list_tables",
    DeleteTable => "delete_table",
    AppliedMigrations => "applied_migrations",
    Initialise => "initialise",
    InitialiseWithPartitions => "initialise_with_partitions",
    AtomicallyUpdatePartitionAndCreateNewOnes => "atomically_update_partition_and_create_new_ones",
    SplitPartition => "split_partition",
    ExtendPartitionTree => "extend_partition_tree",
    GetAllPartitions => "get_all_partitions",
    GetLeafPartitions => "get_leaf_partitions",
    GetPartition => "get_partition",
    ClearPartitionData => "clear_partition_data",
    AddFile => "add_file",
    AddFiles => "add_files",
    AddFilesWithReferences => "add_files_with_references",
    SplitFileReferences => "split_file_references",
    AssignJobIds => "assign_job_ids",
    AtomicallyReplaceFileReferencesWithNewOnes => "atomically_replace_file_references_with_new_ones",
    DeleteGarbageCollectedFileReferenceCounts => "delete_garbage_collected_file_reference_counts",
    GetFileReferences => "get_file_references",
    GetFileReferencesWithNoJobId => "get_file_references_with_no_job_id",
    GetPartitionToReferencedFilesMap => "get_partition_to_referenced_files_map",
    GetReadyForGcFilenamesBefore => "get_ready_for_gc_filenames_before",
    GetAllFilesWithMaxUnreferenced => "get_all_files_with_max_unreferenced",
    HasNoFiles => "has_no_files",
    IsPartitionFilesAssignedToJob => "is_partition_files_assigned_to_job",
    IsAssigned => "is_assigned",
    ClearFileData => "clear_file_data",
    ClearSleeperTable => "clear_sleeper_table",
    GetFileReferencesOnPartitions => "get_file_references_on_partitions",
    GetPartitionToReferencedFilesMapOnPartitions => "get_partition_to_referenced_files_map_on_partitions",
    GetPartitionsInRegion => "get_partitions_in_region",
    GetFileReferencesInRegion => "get_file_references_in_region",
    GetPartitionToReferencedFilesMapInRegion => "get_partition_to_referenced_files_map_in_region",
    GetFileReferencesArrow => "get_file_references_arrow",
    GetPartitionsArrow => "get_partitions_arrow",
    ApplyTransaction => "apply_transaction",
    ApplyTransactionLog => "apply_transaction_log",
    Status => "status",
    ReadChanges => "read_changes",
    WaitForChanges => "wait_for_changes",
    DeleteChangesThrough => "delete_changes_through",
    ExportTable => "export_table",
    ImportTable => "import_table",
}

/// The upper bounds of the latency buckets, 1-2-5 from 50 us to 50 s; slower calls fall in the
/// bucket above the last bound.
const BOUNDS: [Duration; 19] = {
    const fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }
    [
        us(50),
        us(100),
        us(200),
        us(500),
        us(1_000),
        us(2_000),
        us(5_000),
        us(10_000),
        us(20_000),
        us(50_000),
        us(100_000),
        us(200_000),
        us(500_000),
        us(1_000_000),
        us(2_000_000),
        us(5_000_000),
        us(10_000_000),
        us(20_000_000),
        us(50_000_000),
    ]
};

/// One operation's counters. Buckets count the calls that fell in each (not cumulative) so that a
/// call touches one; the snapshot adds them up.
#[derive(Default)]
struct Counters {
    calls: AtomicU64,
    retries: AtomicU64,
    failures: [AtomicU64; ErrorKind::ALL.len()],
    buckets: [AtomicU64; BOUNDS.len() + 1],
    nanos: AtomicU64,
}

/// A client's counters, one set per operation, indexed by the operation's discriminant.
pub(crate) struct CallStats {
    operations: Box<[Counters]>,
}

impl Default for CallStats {
    fn default() -> Self {
        CallStats {
            operations: Operation::ALL.iter().map(|_| Counters::default()).collect(),
        }
    }
}

impl CallStats {
    fn record(
        &self,
        operation: Operation,
        elapsed: Duration,
        retries: u64,
        failure: Option<ErrorKind>,
    ) {
        let counters = &self.operations[operation as usize];
        counters.calls.fetch_add(1, Ordering::Relaxed);
        counters.retries.fetch_add(retries, Ordering::Relaxed);
        let bucket = BOUNDS.partition_point(|bound| *bound < elapsed);
        counters.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        counters.nanos.fetch_add(nanos, Ordering::Relaxed);
        if let Some(kind) = failure {
            counters.failures[usize::from(kind.number())].fetch_add(1, Ordering::Relaxed);
        }

        let name = operation.name();
        ::metrics::counter!("sleeper_pg_calls_total", "operation" => name).increment(1);
        ::metrics::counter!("sleeper_pg_call_retries_total", "operation" => name)
            .increment(retries);
        ::metrics::histogram!("sleeper_pg_call_duration_seconds", "operation" => name)
            .record(elapsed.as_secs_f64());
        if let Some(kind) = failure {
            ::metrics::counter!(
                "sleeper_pg_call_failures_total",
                "operation" => name,
                "kind" => kind.exception_name()
            )
            .increment(1);
        }
    }

    /// Retries of every operation.
    pub(crate) fn retries(&self) -> u64 {
        self.operations
            .iter()
            .map(|c| c.retries.load(Ordering::Relaxed))
            .sum()
    }

    /// The counters now. Each is read on its own, so a call in flight may show in some and not yet
    /// in others.
    pub(crate) fn snapshot(&self) -> ClientStats {
        let operations = Operation::ALL
            .iter()
            .zip(self.operations.iter())
            .filter(|(_, counters)| counters.calls.load(Ordering::Relaxed) > 0)
            .map(|(operation, counters)| OperationStats::of(*operation, counters))
            .collect();
        ClientStats { operations }
    }
}

/// What a client's calls did since it connected ([`Client::stats`](crate::Client::stats)).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ClientStats {
    /// The operations called at least once, in the order of [`Operation::ALL`].
    pub operations: Vec<OperationStats>,
}

impl ClientStats {
    /// The statistics of one operation, if it was called.
    pub fn operation(&self, operation: Operation) -> Option<&OperationStats> {
        self.operations
            .iter()
            .find(|stats| stats.operation == operation.name())
    }
}

/// One operation's calls.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct OperationStats {
    /// [`Operation::name`].
    pub operation: String,
    /// Calls, finished, whatever their outcome.
    pub calls: u64,
    /// Failed calls by the exception name of their error's kind ([`ErrorKind::exception_name`]);
    /// kinds that never happened are left out.
    pub failures: BTreeMap<String, u64>,
    /// Attempts beyond the first, after conflicts.
    pub retries: u64,
    /// How long the calls took, retries included.
    pub duration: DurationHistogram,
}

impl OperationStats {
    fn of(operation: Operation, counters: &Counters) -> Self {
        let failures = ErrorKind::ALL
            .iter()
            .zip(&counters.failures)
            .map(|(kind, count)| {
                (
                    kind.exception_name().to_owned(),
                    count.load(Ordering::Relaxed),
                )
            })
            .filter(|(_, count)| *count > 0)
            .collect();
        let counts: Vec<u64> = counters
            .buckets
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect();
        OperationStats {
            operation: operation.name().to_owned(),
            calls: counters.calls.load(Ordering::Relaxed),
            failures,
            retries: counters.retries.load(Ordering::Relaxed),
            duration: DurationHistogram::of(&counts, counters.nanos.load(Ordering::Relaxed)),
        }
    }
}

/// A latency histogram as Prometheus keeps one: cumulative buckets, the count and the sum, from
/// which quantiles are estimated.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DurationHistogram {
    /// Calls measured.
    pub count: u64,
    /// Their durations added up, in seconds.
    pub sum_seconds: f64,
    /// For each upper bound, the calls that took at most that long; the calls slower than the last
    /// bound are `count` less the last bucket's.
    pub buckets: Vec<Bucket>,
    /// The median, estimated from the buckets (linear within one); `None` before any call.
    pub p50_seconds: Option<f64>,
    /// The 99th percentile, estimated the same way.
    pub p99_seconds: Option<f64>,
}

/// One cumulative bucket of a [`DurationHistogram`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Bucket {
    /// The upper bound, in seconds (inclusive).
    pub le_seconds: f64,
    /// Calls that took at most `le_seconds`.
    pub count: u64,
}

impl DurationHistogram {
    /// From the calls in each bucket (the last one above every bound) and their total nanoseconds.
    fn of(counts: &[u64], nanos: u64) -> Self {
        let count = counts.iter().sum();
        let buckets = BOUNDS
            .iter()
            .zip(counts.iter().scan(0, |total, n| {
                *total += n;
                Some(*total)
            }))
            .map(|(bound, count)| Bucket {
                le_seconds: bound.as_secs_f64(),
                count,
            })
            .collect();
        let mut histogram = DurationHistogram {
            count,
            sum_seconds: Duration::from_nanos(nanos).as_secs_f64(),
            buckets,
            p50_seconds: None,
            p99_seconds: None,
        };
        histogram.p50_seconds = histogram.quantile(0.5);
        histogram.p99_seconds = histogram.quantile(0.99);
        histogram
    }

    /// As Prometheus's `histogram_quantile`: linear within the bucket the rank falls in, from 0 in
    /// the first; a rank above the last bound gives the last bound.
    fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = q * self.count as f64;
        let mut below = (0.0, 0);
        for bucket in &self.buckets {
            if bucket.count as f64 >= rank {
                let (lower, lower_count) = below;
                let in_bucket = (bucket.count - lower_count) as f64;
                let fraction = (rank - lower_count as f64) / in_bucket;
                return Some(lower + (bucket.le_seconds - lower) * fraction);
            }
            below = (bucket.le_seconds, bucket.count);
        }
        Some(below.0)
    }
}

/// The call a task is running, for its retries to be counted against it.
struct Call {
    /// Whose call it is (the address of its client's `CallStats`): a call of another client made
    /// inside it (a test's change between a read and a write) is a call of its own.
    client: usize,
    retries: Cell<u64>,
}

tokio::task_local! {
    static CALL: Call;
}

/// Counts a retry of the call in progress.
pub(crate) fn count_retry() {
    let counted = CALL.try_with(|call| call.retries.set(call.retries.get() + 1));
    debug_assert!(counted.is_ok(), "a call retried outside `observe`");
}

/// Runs `call`, one public call of `operation` (on `table`, if it is a table's), in a tracing span
/// carrying both, and records its outcome in `stats`. A call made by another (`add_file` through
/// `add_files`) is counted once, as the outer one.
pub(crate) async fn observe<T>(
    stats: &CallStats,
    operation: Operation,
    table: Option<&str>,
    call: impl Future<Output = Result<T>>,
) -> Result<T> {
    let client = std::ptr::from_ref(stats) as usize;
    if CALL.try_with(|call| call.client == client).unwrap_or(false) {
        return call.await;
    }
    let span = tracing::info_span!("sleeper_pg.call", operation = operation.name(), table);
    let started = Instant::now();
    let (outcome, retries) = CALL
        .scope(
            Call {
                client,
                retries: Cell::new(0),
            },
            async {
                let outcome = call.await;
                (outcome, CALL.with(|call| call.retries.get()))
            },
        )
        .instrument(span)
        .await;
    let failure = outcome.as_ref().err().map(crate::Error::kind);
    stats.record(operation, started.elapsed(), retries, failure);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_own_name() {
        let names: std::collections::BTreeSet<_> =
            Operation::ALL.iter().map(|o| o.name()).collect();
        assert_eq!(names.len(), Operation::ALL.len());
    }

    #[test]
    fn the_median_is_interpolated_within_its_bucket() {
        // Two calls at most 50 us, two between 50 and 100 us.
        let mut counts = vec![0; BOUNDS.len() + 1];
        counts[0] = 2;
        counts[1] = 2;
        let histogram = DurationHistogram::of(&counts, 0);
        assert_eq!(histogram.p50_seconds, Some(50e-6));
        assert_eq!(histogram.buckets[1].count, 4);
        let p99 = histogram.p99_seconds.unwrap();
        assert!(p99 > 95e-6 && p99 <= 100e-6, "{p99}");
    }

    #[test]
    fn a_rank_above_the_last_bound_gives_the_last_bound() {
        let mut counts = vec![0; BOUNDS.len() + 1];
        counts[BOUNDS.len()] = 1;
        let histogram = DurationHistogram::of(&counts, 0);
        assert_eq!(histogram.p50_seconds, Some(50.0));
    }
}
