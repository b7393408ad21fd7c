//! A client's statistics of its calls (`Client::stats`), the same numbers through the `metrics`
//! facade, and the tracing spans of each call and attempt.

use std::sync::{Arc, Mutex};

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use sleeper_pg::testing::before_next_write;
use sleeper_pg::*;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use crate::common::*;

fn assign(job_id: &str) -> AssignJobIdRequest {
    AssignJobIdRequest::new(job_id, "root", strings(&["f"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_an_operations_calls_and_its_failures_by_kind() {
    let client = client().await;
    let store = new_store(&client).await;
    let file = FileReference::new("f", "root", 10);
    store.add_file(&file).await.unwrap();
    store.add_file(&file).await.unwrap_err();

    let stats = client.stats();
    let add_file = stats.operation(Operation::AddFile).unwrap();
    assert_eq!(add_file.calls, 2);
    assert_eq!(
        add_file.failures.get("FileAlreadyExistsException"),
        Some(&1)
    );
    assert_eq!(add_file.failures.len(), 1);
    assert_eq!(add_file.retries, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_made_by_another_call_counts_only_as_the_outer_one() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_file(&FileReference::new("f", "root", 10))
        .await
        .unwrap();

    let stats = client.stats();
    assert!(stats.operation(Operation::AddFile).is_some());
    assert!(stats.operation(Operation::AddFiles).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_after_a_concurrent_change_counts_as_a_retry_of_its_operation() {
    let client = client().await;
    let store = new_store(&client).await;
    store
        .add_file(&FileReference::new("f", "root", 10))
        .await
        .unwrap();
    let table_id = store.table_id().to_owned();
    before_next_write(
        &store,
        Box::pin(async move {
            let other = crate::common::client().await;
            let store = other.table(&table_id).await.unwrap();
            store.assign_job_ids(&[assign("other")]).await.unwrap();
        }),
    );

    store.assign_job_ids(&[assign("mine")]).await.unwrap_err();

    let assign_job_ids = client
        .stats()
        .operation(Operation::AssignJobIds)
        .unwrap()
        .clone();
    assert_eq!(assign_job_ids.calls, 1);
    assert_eq!(assign_job_ids.retries, 1);
    assert_eq!(client.retries(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_latency_histogram_holds_every_call_once() {
    let client = client().await;
    let store = new_store(&client).await;
    for _ in 0..5 {
        store.get_partition("root").await.unwrap();
    }

    let stats = client.stats();
    let histogram = &stats.operation(Operation::GetPartition).unwrap().duration;
    assert_eq!(histogram.count, 5);
    assert!(histogram.sum_seconds > 0.0);
    let counts: Vec<u64> = histogram.buckets.iter().map(|b| b.count).collect();
    assert!(counts.is_sorted(), "cumulative: {counts:?}");
    assert!(*counts.last().unwrap() <= 5);
    let (p50, p99) = (
        histogram.p50_seconds.unwrap(),
        histogram.p99_seconds.unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p99, "{p50} {p99}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_serialize_as_json() {
    let client = client().await;
    client.list_tables().await.unwrap();

    let json = serde_json::to_value(client.stats()).unwrap();

    let operation = &json["operations"][0];
    assert_eq!(operation["operation"], "list_tables");
    assert_eq!(operation["calls"], 1);
    assert_eq!(operation["duration"]["count"], 1);
}

/// A metric as recorded: its name, its labels and its value.
type Recorded = (String, Vec<(String, String)>, DebugValue);

/// Runs `calls` on the shared runtime with a recorder of its own installed on this thread, where
/// `block_on` polls the calls, and gives what the recorder saw: (name, labels, value).
fn recorded(calls: impl std::future::Future<Output = Result<()>>) -> Vec<Recorded> {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || block_on(calls)).unwrap();
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let labels = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            (key.name().to_owned(), labels, value)
        })
        .collect()
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn calls_failures_retries_and_durations_reach_the_metrics_facade() {
    let seen = recorded(async {
        let client = client().await;
        let store = new_store(&client).await;
        store.get_partition("root").await?;
        store.get_partition("none").await.unwrap_err();
        Ok(())
    });

    let get_partition = labels(&[("operation", "get_partition")]);
    let value = |name: &str, labels: &[(String, String)]| {
        seen.iter()
            .find(|(n, l, _)| n == name && l == labels)
            .map(|(_, _, value)| value)
    };
    assert_eq!(
        value("sleeper_pg_calls_total", &get_partition),
        Some(&DebugValue::Counter(2))
    );
    assert_eq!(
        value("sleeper_pg_call_retries_total", &get_partition),
        Some(&DebugValue::Counter(0))
    );
    assert_eq!(
        value(
            "sleeper_pg_call_failures_total",
            &labels(&[
                ("operation", "get_partition"),
                ("kind", "PartitionNotFoundException")
            ])
        ),
        Some(&DebugValue::Counter(1))
    );
    match value("sleeper_pg_call_duration_seconds", &get_partition) {
        Some(DebugValue::Histogram(durations)) => assert_eq!(durations.len(), 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn status_sets_the_tables_gauges_in_the_metrics_facade() {
    let table = unique_table_id("gauges");
    let seen = recorded(async {
        let client = client().await;
        let store = client.create_table(&table, &long_key()).await?;
        store.initialise().await?;
        store.add_file(&FileReference::new("f", "root", 10)).await?;
        store.status().await.map(drop)
    });

    let gauge = |name: &str| {
        seen.iter()
            .find(|(n, l, _)| n == name && *l == labels(&[("table", &table)]))
            .map(|(_, _, value)| value)
    };
    assert_eq!(
        gauge("sleeper_pg_references_without_job"),
        Some(&DebugValue::Gauge(1.0.into()))
    );
    assert_eq!(
        gauge("sleeper_pg_unreferenced_files"),
        Some(&DebugValue::Gauge(0.0.into()))
    );
}

/// A span as opened: its name, its fields as text, and its parent's name.
#[derive(Debug, Clone, PartialEq)]
struct OpenedSpan {
    name: String,
    fields: Vec<(String, String)>,
    parent: Option<String>,
}

/// Keeps every span opened.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<OpenedSpan>>>);

struct Fields(Vec<(String, String)>);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Spans {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = Fields(Vec::new());
        attrs.record(&mut fields);
        let parent = ctx
            .span(id)
            .and_then(|span| span.parent())
            .map(|parent| parent.name().to_owned());
        self.0.lock().unwrap().push(OpenedSpan {
            name: attrs.metadata().name().to_owned(),
            fields: fields.0,
            parent,
        });
    }
}

#[test]
fn a_call_has_a_span_with_its_table_and_operation_and_one_per_attempt() {
    let spans = Spans::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    let table = unique_table_id("spans");
    tracing::subscriber::with_default(subscriber, || {
        block_on(async {
            let client = client().await;
            let store = client.create_table(&table, &long_key()).await?;
            store.initialise().await
        })
    })
    .unwrap();

    let spans = spans.0.lock().unwrap().clone();
    let call = spans
        .iter()
        .position(|s| {
            s.name == "sleeper_pg.call"
                && s.fields
                    .contains(&("operation".into(), "initialise".into()))
        })
        .expect("the call's span");
    assert!(spans[call]
        .fields
        .contains(&("table".to_owned(), table.clone())));
    let attempt = spans[call + 1..]
        .iter()
        .find(|s| s.name == "sleeper_pg.attempt")
        .expect("an attempt's span");
    assert_eq!(attempt.parent.as_deref(), Some("sleeper_pg.call"));
    assert_eq!(attempt.fields, vec![("attempt".to_owned(), "1".to_owned())]);
}
