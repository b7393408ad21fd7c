//! Differential testing: random sequences of valid and invalid operations run on the store and on the
//! in-memory model of `model/mod.rs`, comparing every result, every error (kind and message) and the
//! table's whole state after every step.
//!
//! `SLEEPER_PG_MODEL_CASES` sets the number of sequences (default 32; the soak uses thousands).
//! Shrunk failures are kept in `model_check.proptest-regressions` beside this file and run first.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::common::*;
use crate::model::{same_error, whole_key, Model};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use sleeper_pg::*;

const FILES: [&str; 8] = [
    "f0",
    "f1",
    "F2",
    "f3",
    "f4",
    "f'; DROP TABLE sleeper.files; --",
    "ü😀\\n\"x\"",
    "s3a://bucket/table/data/partition_root/f5.parquet",
];
/// Partition ids: the fixed layout (root; a, b; aa, ab, ba, bb) and one that never exists.
const PARTITIONS: [&str; 8] = ["root", "a", "b", "aa", "ab", "ba", "bb", "Ω'\"%_"];
const JOBS: [&str; 3] = ["j0", "j1", "J😀'"];

/// Which file reference an operation acts on: mostly one that exists (the `index`-th, in order),
/// otherwise the named file and partition, which may or may not have one.
#[derive(Debug, Clone)]
struct Pick {
    existing: bool,
    index: u8,
    file: u8,
    partition: u8,
}

#[derive(Debug, Clone)]
struct RefSpec {
    file: u8,
    partition: u8,
    rows: u64,
    job: Option<u8>,
    approximate: bool,
    only_this_partition: bool,
    /// Supply a time, which the store must ignore.
    supplied_time: bool,
}

#[derive(Debug, Clone)]
enum Op {
    Add {
        clock: u8,
        references: Vec<RefSpec>,
    },
    AddWithReferences {
        clock: u8,
        files: Vec<(u8, Vec<u8>)>,
    },
    Split {
        clock: u8,
        requests: Vec<(Pick, Option<Vec<u8>>)>,
    },
    Assign {
        clock: u8,
        requests: Vec<(u8, Pick, u8, Option<u8>)>,
    },
    Commit {
        clock: u8,
        requests: Vec<CommitSpec>,
    },
    Delete {
        files: Vec<(bool, u8)>,
    },
    Gc {
        cutoff: u8,
    },
    SplitPartition {
        which: u8,
        variant: u8,
    },
    Initialise {
        tree: bool,
    },
    ClearFiles,
    ClearPartitions,
    ClearTable,
    Invalid {
        kind: u8,
        file: u8,
    },
    IsAssigned {
        pick: Pick,
        count: u8,
        job: Option<u8>,
    },
    Report {
        max: u8,
    },
    GetPartition {
        partition: u8,
    },
}

#[derive(Debug, Clone)]
struct CommitSpec {
    pick: Pick,
    inputs: u8,
    job: u8,
    mistake: u8,
    output: u8,
    rows: u64,
}

/// One concrete call, as both the store and the model receive it.
#[derive(Debug, Clone)]
enum Call {
    AddFiles(Vec<FileReference>),
    AddFilesWithReferences(Vec<AllReferencesToAFile>),
    Split(Vec<SplitFileReferenceRequest>),
    Assign(Vec<AssignJobIdRequest>),
    Replace(Vec<ReplaceFileReferencesRequest>),
    Delete(Vec<String>),
    ReadyForGc(Timestamp),
    SplitPartition(Box<(Partition, Partition, Partition)>),
    Initialise,
    InitialiseWith(Vec<Partition>),
    ClearFiles,
    ClearPartitions,
    ClearTable,
    IsAssigned(String, Vec<String>, String),
    Report(u64),
    GetPartition(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Done,
    Bool(bool),
    Names(Vec<String>),
    Report(AllReferencesToAllFiles),
    Partition(Partition),
}

fn pick() -> impl Strategy<Value = Pick> {
    (prop::bool::weighted(0.85), any::<u8>(), 0..8u8, 0..8u8).prop_map(
        |(existing, index, file, partition)| Pick {
            existing,
            index,
            file,
            partition,
        },
    )
}

fn ref_spec() -> impl Strategy<Value = RefSpec> {
    (
        0..8u8,
        0..8u8,
        prop_oneof![0..3u64, 0..100_000u64, Just(i64::MAX as u64)],
        prop::option::weighted(0.1, 0..3u8),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(file, partition, rows, job, approximate, only_this_partition, supplied_time)| {
                RefSpec {
                    file,
                    partition,
                    rows,
                    job,
                    approximate,
                    only_this_partition,
                    supplied_time,
                }
            },
        )
}

fn clock() -> impl Strategy<Value = u8> {
    0..6u8
}

fn op() -> impl Strategy<Value = Op> {
    let commit = (pick(), 0..4u8, 0..3u8, 0..12u8, 0..8u8, 0..10_000u64).prop_map(
        |(pick, inputs, job, mistake, output, rows)| CommitSpec {
            pick,
            inputs,
            job,
            mistake,
            output,
            rows,
        },
    );
    prop_oneof![
        6 => (clock(), prop::collection::vec(ref_spec(), 0..4))
            .prop_map(|(clock, references)| Op::Add { clock, references }),
        1 => (clock(), prop::collection::vec((0..8u8, prop::collection::vec(0..8u8, 0..3)), 0..3))
            .prop_map(|(clock, files)| Op::AddWithReferences { clock, files }),
        5 => (clock(), prop::collection::vec(
                (pick(), prop::option::weighted(0.3, prop::collection::vec(0..8u8, 1..3))), 0..3))
            .prop_map(|(clock, requests)| Op::Split { clock, requests }),
        6 => (clock(), prop::collection::vec(
                (0..3u8, pick(), 0..4u8, prop::option::weighted(0.15, 0..8u8)), 0..3))
            .prop_map(|(clock, requests)| Op::Assign { clock, requests }),
        6 => (clock(), prop::collection::vec(commit, 0..3))
            .prop_map(|(clock, requests)| Op::Commit { clock, requests }),
        2 => prop::collection::vec((prop::bool::weighted(0.8), 0..8u8), 0..3)
            .prop_map(|files| Op::Delete { files }),
        3 => (0..8u8).prop_map(|cutoff| Op::Gc { cutoff }),
        3 => (0..4u8, 0..6u8).prop_map(|(which, variant)| Op::SplitPartition { which, variant }),
        1 => any::<bool>().prop_map(|tree| Op::Initialise { tree }),
        1 => Just(Op::ClearFiles),
        1 => prop_oneof![Just(Op::ClearPartitions), Just(Op::ClearTable)],
        2 => (0..8u8, 0..8u8).prop_map(|(kind, file)| Op::Invalid { kind, file }),
        2 => (pick(), 0..4u8, prop::option::of(0..3u8))
            .prop_map(|(pick, count, job)| Op::IsAssigned { pick, count, job }),
        1 => (0..4u8).prop_map(|max| Op::Report { max }),
        1 => (0..8u8).prop_map(|partition| Op::GetPartition { partition }),
    ]
}

/// 2024-01-01 10:00:00 plus `n` milliseconds: few distinct times, so equal and earlier ones recur.
fn time(n: u8) -> Timestamp {
    at(10, 0, 0, i64::from(n))
}

fn long(min: i64, max: Option<i64>) -> Region {
    long_range(min, max)
}

/// A partition of the fixed layout: its region, its parent, and its children with the split point.
type Layout = (
    Region,
    Option<&'static str>,
    Option<(&'static str, &'static str, i64)>,
);

/// The region and parent of each partition of the fixed layout, and its children with the split point.
fn layout(id: &str) -> Option<Layout> {
    Some(match id {
        "root" => (Region::new(vec![whole_key()]), None, Some(("a", "b", 0))),
        "a" => (
            long(i64::MIN, Some(0)),
            Some("root"),
            Some(("aa", "ab", -1000)),
        ),
        "b" => (long(0, None), Some("root"), Some(("ba", "bb", 1000))),
        "aa" => (long(i64::MIN, Some(-1000)), Some("a"), None),
        "ab" => (long(-1000, Some(0)), Some("a"), None),
        "ba" => (long(0, Some(1000)), Some("b"), None),
        "bb" => (long(1000, None), Some("b"), None),
        _ => return None,
    })
}

/// The split of a partition of the layout (or of `zz`, which is never stored), with a mistake chosen
/// by `variant`: 0 none, 1 children passed right first, 2 parent still a leaf, 3 children listed in
/// the wrong order, 4 a child with another parent, 5 a child that is not a leaf.
fn partition_split(which: u8, variant: u8) -> (Partition, Partition, Partition) {
    let (parent, left_id, right_id, at) = match which {
        0 => ("root", "a", "b", 0),
        1 => ("a", "aa", "ab", -1000),
        2 => ("b", "ba", "bb", 1000),
        _ => ("zz", "zzL", "zzR", 5),
    };
    let (region, grandparent) = layout(parent)
        .map(|(region, grandparent, _)| (region, grandparent))
        .unwrap_or_else(|| (Region::new(vec![whole_key()]), None));
    let stored = Partition {
        parent_partition_id: grandparent.map(str::to_owned),
        ..Partition::new(parent, region)
    };
    let (split, mut left, mut right) = split_of(&stored, left_id, right_id, at);
    let mut split = split;
    match variant {
        2 => split.is_leaf_partition = true,
        3 => split.child_partition_ids.reverse(),
        4 => right.parent_partition_id = Some("zz".to_owned()),
        5 => left.child_partition_ids = vec!["x".to_owned()],
        _ => {}
    }
    if variant == 1 {
        (split, right, left)
    } else {
        (split, left, right)
    }
}

fn tree() -> Vec<Partition> {
    let root = Partition::new("root", Region::new(vec![whole_key()]));
    let (root, a, b) = split_of(&root, "a", "b", 0);
    vec![root, a, b]
}

/// Turns an abstract operation into concrete calls, choosing existing references through the model.
fn resolve(op: &Op, model: &Model) -> Vec<(Option<Timestamp>, Call)> {
    let references: Vec<FileReference> = model.file_references();
    let choose = |pick: &Pick| -> (String, String) {
        if pick.existing && !references.is_empty() {
            let r = &references[pick.index as usize % references.len()];
            (r.filename.clone(), r.partition_id.clone())
        } else {
            (
                FILES[pick.file as usize].to_owned(),
                PARTITIONS[pick.partition as usize].to_owned(),
            )
        }
    };
    // The references on one partition, by filename.
    let on = |partition: &str| -> Vec<&FileReference> {
        references
            .iter()
            .filter(|r| r.partition_id == partition)
            .collect()
    };
    match op {
        Op::Add { clock, references } => {
            let references = references
                .iter()
                .map(|s| FileReference {
                    filename: FILES[s.file as usize].to_owned(),
                    partition_id: PARTITIONS[s.partition as usize].to_owned(),
                    number_of_rows: s.rows,
                    job_id: s.job.map(|j| JOBS[j as usize].to_owned()),
                    last_update_time: s.supplied_time.then(|| at(9, 0, 0, 0)),
                    count_approximate: s.approximate,
                    only_contains_data_for_this_partition: s.only_this_partition,
                })
                .collect();
            vec![(Some(time(*clock)), Call::AddFiles(references))]
        }
        Op::AddWithReferences { clock, files } => {
            let files = files
                .iter()
                .map(|(file, partitions)| {
                    let filename = FILES[*file as usize];
                    AllReferencesToAFile {
                        filename: filename.to_owned(),
                        references: partitions
                            .iter()
                            .map(|p| FileReference::new(filename, PARTITIONS[*p as usize], 7))
                            .collect(),
                        last_update_time: Some(at(9, 0, 0, 0)),
                    }
                })
                .collect();
            vec![(Some(time(*clock)), Call::AddFilesWithReferences(files))]
        }
        Op::Split { clock, requests } => {
            let requests = requests
                .iter()
                .map(|(pick, to)| {
                    let (filename, partition) = choose(pick);
                    let old = references
                        .iter()
                        .find(|r| r.filename == filename && r.partition_id == partition)
                        .cloned()
                        .unwrap_or_else(|| FileReference::new(&filename, &partition, 10));
                    match to {
                        Some(partitions) => SplitFileReferenceRequest::new(
                            old,
                            partitions
                                .iter()
                                .map(|p| FileReference::new(&filename, PARTITIONS[*p as usize], 3))
                                .collect(),
                        ),
                        None => {
                            let (left, right) = layout(&partition)
                                .and_then(|(_, _, children)| children)
                                .map(|(l, r, _)| (l, r))
                                .unwrap_or(("aa", "ab"));
                            SplitFileReferenceRequest::split_file_to_child_partitions(
                                &old, left, right,
                            )
                        }
                    }
                })
                .collect();
            vec![(Some(time(*clock)), Call::Split(requests))]
        }
        Op::Assign { clock, requests } => {
            let requests = requests
                .iter()
                .map(|(job, pick, count, extra)| {
                    let (filename, partition) = choose(pick);
                    let mut filenames: Vec<String> = on(&partition)
                        .iter()
                        .map(|r| r.filename.clone())
                        .filter(|f| *f != filename)
                        .take(*count as usize)
                        .collect();
                    filenames.insert(0, filename);
                    if let Some(extra) = extra {
                        filenames.push(FILES[*extra as usize].to_owned());
                    }
                    AssignJobIdRequest::new(JOBS[*job as usize], partition, filenames)
                })
                .collect();
            vec![(Some(time(*clock)), Call::Assign(requests))]
        }
        Op::Commit { clock, requests } => {
            let requests = requests
                .iter()
                .map(|spec| {
                    let (_, partition) = choose(&spec.pick);
                    let candidates = on(&partition);
                    // The job of the first assigned reference there, so that most commits are valid.
                    let job = candidates
                        .iter()
                        .find_map(|r| r.job_id.clone())
                        .unwrap_or_else(|| JOBS[spec.job as usize].to_owned());
                    let mut inputs: Vec<String> = candidates
                        .iter()
                        .filter(|r| r.job_id.as_deref() == Some(job.as_str()))
                        .map(|r| r.filename.clone())
                        .take(spec.inputs as usize + 1)
                        .collect();
                    let mut output = FILES[spec.output as usize].to_owned();
                    match spec.mistake {
                        0 => {
                            if let Some(unassigned) = candidates.iter().find(|r| r.job_id.is_none())
                            {
                                inputs.push(unassigned.filename.clone());
                            }
                        }
                        1 => {
                            if let Some(first) = inputs.first().cloned() {
                                inputs.push(first);
                            }
                        }
                        2 => {
                            if let Some(first) = inputs.first() {
                                output = first.clone();
                            }
                        }
                        3 => inputs.push("missing".to_owned()),
                        4 => inputs.clear(),
                        _ => {}
                    }
                    ReplaceFileReferencesRequest::new(
                        job,
                        partition.clone(),
                        inputs,
                        FileReference::new(output, partition, spec.rows),
                    )
                })
                .collect();
            vec![(Some(time(*clock)), Call::Replace(requests))]
        }
        Op::Delete { files } => {
            let unreferenced: Vec<&String> = model
                .files
                .iter()
                .filter(|(_, f)| f.references.is_empty())
                .map(|(name, _)| name)
                .collect();
            let filenames = files
                .iter()
                .map(|(unref, index)| {
                    if *unref && !unreferenced.is_empty() {
                        unreferenced[*index as usize % unreferenced.len()].clone()
                    } else {
                        FILES[*index as usize].to_owned()
                    }
                })
                .collect();
            vec![(None, Call::Delete(filenames))]
        }
        Op::Gc { cutoff } => {
            let cutoff = time(*cutoff);
            vec![
                (None, Call::ReadyForGc(cutoff)),
                (None, Call::Delete(model.ready_for_gc_before(cutoff))),
            ]
        }
        Op::SplitPartition { which, variant } => {
            let (split, one, two) = partition_split(*which, *variant);
            vec![(None, Call::SplitPartition(Box::new((split, one, two))))]
        }
        Op::Initialise { tree: false } => vec![(None, Call::Initialise)],
        Op::Initialise { tree: true } => vec![(None, Call::InitialiseWith(tree()))],
        Op::ClearFiles => vec![(None, Call::ClearFiles)],
        Op::ClearPartitions => vec![(None, Call::ClearPartitions)],
        Op::ClearTable => vec![(None, Call::ClearTable)],
        Op::Invalid { kind, file } => {
            let filename = FILES[*file as usize];
            let reference = FileReference::new(filename, "root", 1);
            let call = match kind {
                0 => Call::Split(vec![SplitFileReferenceRequest::new(reference, vec![])]),
                1 => Call::Split(vec![SplitFileReferenceRequest::new(
                    reference,
                    vec![FileReference::new("other", "a", 1)],
                )]),
                2 => Call::Assign(vec![AssignJobIdRequest::new(
                    "",
                    "root",
                    vec![filename.to_owned()],
                )]),
                3 => Call::AddFiles(vec![FileReference::new("", "root", 1)]),
                4 => Call::AddFiles(vec![FileReference::new("nul\0name", "root", 1)]),
                5 => Call::AddFiles(vec![FileReference::new(filename, "root", u64::MAX)]),
                6 => Call::Replace(vec![ReplaceFileReferencesRequest::new(
                    "j0",
                    "",
                    vec![filename.to_owned()],
                    FileReference::new("out", "root", 1),
                )]),
                _ => Call::Report(u64::from(u32::MAX)),
            };
            vec![(Some(time(0)), call)]
        }
        Op::IsAssigned { pick, count, job } => {
            let (filename, partition) = choose(pick);
            let on_partition = on(&partition);
            let job = match job {
                Some(j) => JOBS[*j as usize].to_owned(),
                None => on_partition
                    .iter()
                    .find_map(|r| r.job_id.clone())
                    .unwrap_or_else(|| JOBS[0].to_owned()),
            };
            let mut filenames: Vec<String> = on_partition
                .iter()
                .map(|r| r.filename.clone())
                .filter(|f| *f != filename)
                .take(*count as usize)
                .collect();
            filenames.insert(0, filename);
            vec![(None, Call::IsAssigned(partition, filenames, job))]
        }
        Op::Report { max } => vec![(None, Call::Report(u64::from(*max)))],
        Op::GetPartition { partition } => vec![(
            None,
            Call::GetPartition(PARTITIONS[*partition as usize].to_owned()),
        )],
    }
}

fn on_model(model: &mut Model, call: &Call, now: Timestamp) -> Result<Outcome> {
    Ok(match call {
        Call::AddFiles(refs) => model.add_files(refs, now).map(|()| Outcome::Done)?,
        Call::AddFilesWithReferences(files) => model
            .add_files_with_references(files, now)
            .map(|()| Outcome::Done)?,
        Call::Split(requests) => model
            .split_file_references(requests, now)
            .map(|()| Outcome::Done)?,
        Call::Assign(requests) => model
            .assign_job_ids(requests, now)
            .map(|()| Outcome::Done)?,
        Call::Replace(requests) => model
            .replace_file_references(requests, now)
            .map(|()| Outcome::Done)?,
        Call::Delete(filenames) => model.delete_gc_files(filenames).map(|()| Outcome::Done)?,
        Call::ReadyForGc(cutoff) => Outcome::Names(model.ready_for_gc_before(*cutoff)),
        Call::SplitPartition(split) => model
            .split_partition(&split.0, &split.1, &split.2)
            .map(|()| Outcome::Done)?,
        Call::Initialise => model.initialise().map(|()| Outcome::Done)?,
        Call::InitialiseWith(tree) => model
            .initialise_with(tree.clone())
            .map(|()| Outcome::Done)?,
        Call::ClearFiles => {
            model.clear_files();
            Outcome::Done
        }
        Call::ClearPartitions => {
            model.clear_partitions();
            Outcome::Done
        }
        Call::ClearTable => {
            model.clear_files();
            model.clear_partitions();
            Outcome::Done
        }
        Call::IsAssigned(partition, filenames, job) => {
            Outcome::Bool(model.is_partition_files_assigned_to_job(partition, filenames, job)?)
        }
        Call::Report(max) => Outcome::Report(model.report(*max)?),
        Call::GetPartition(id) => Outcome::Partition(model.partition(id)?),
    })
}

async fn on_store(store: &StateStore, call: &Call) -> Result<Outcome> {
    let done = |r: Result<()>| r.map(|()| Outcome::Done);
    match call {
        Call::AddFiles(refs) => done(store.add_files(refs).await),
        Call::AddFilesWithReferences(files) => done(store.add_files_with_references(files).await),
        Call::Split(requests) => done(store.split_file_references(requests).await),
        Call::Assign(requests) => done(store.assign_job_ids(requests).await),
        Call::Replace(requests) => done(
            store
                .atomically_replace_file_references_with_new_ones(requests)
                .await,
        ),
        Call::Delete(filenames) => done(
            store
                .delete_garbage_collected_file_reference_counts(filenames)
                .await,
        ),
        Call::ReadyForGc(cutoff) => store
            .get_ready_for_gc_filenames_before(*cutoff)
            .await
            .map(Outcome::Names),
        Call::SplitPartition(split) => done(
            store
                .atomically_update_partition_and_create_new_ones(&split.0, &split.1, &split.2)
                .await,
        ),
        Call::Initialise => done(store.initialise().await),
        Call::InitialiseWith(tree) => done(store.initialise_with_partitions(tree).await),
        Call::ClearFiles => done(store.clear_file_data().await),
        Call::ClearPartitions => done(store.clear_partition_data().await),
        Call::ClearTable => done(store.clear_sleeper_table().await),
        Call::IsAssigned(partition, filenames, job) => store
            .is_partition_files_assigned_to_job(partition, filenames, job)
            .await
            .map(Outcome::Bool),
        Call::Report(max) => store
            .get_all_files_with_max_unreferenced(*max)
            .await
            .map(Outcome::Report),
        Call::GetPartition(id) => store.get_partition(id).await.map(Outcome::Partition),
    }
}

/// The table's whole state as every query shows it.
#[derive(Debug, PartialEq)]
struct State {
    partitions: Vec<Partition>,
    leaves: Vec<Partition>,
    report: AllReferencesToAllFiles,
    references: Vec<FileReference>,
    unassigned: Vec<FileReference>,
    partition_map: BTreeMap<String, Vec<String>>,
    no_files: bool,
}

fn model_state(model: &Model) -> State {
    State {
        partitions: model.all_partitions(),
        leaves: model.leaf_partitions(),
        report: model.report(1_000_000).unwrap(),
        references: model.file_references(),
        unassigned: model.file_references_with_no_job(),
        partition_map: model.partition_to_files(),
        no_files: model.has_no_files(),
    }
}

async fn store_state(store: &StateStore) -> Result<State> {
    Ok(State {
        partitions: store.get_all_partitions().await?,
        leaves: store.get_leaf_partitions().await?,
        report: store.get_all_files_with_max_unreferenced(1_000_000).await?,
        references: store.get_file_references().await?,
        unassigned: store.get_file_references_with_no_job_id().await?,
        partition_map: store.get_partition_to_referenced_files_map().await?,
        no_files: store.has_no_files().await?,
    })
}

fn same_outcome(model: &Result<Outcome>, store: &Result<Outcome>) -> bool {
    match (model, store) {
        (Ok(m), Ok(s)) => m == s,
        (Err(m), Err(s)) => same_error(m, s),
        _ => false,
    }
}

fn shared_client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let url = database_url();
        block_on(Client::connect(Some(&url))).expect("connect")
    })
}

/// Runs `ops` on a new table and on a new model; the first divergence is the error.
async fn run(client: &Client, ops: &[Op]) -> std::result::Result<(), String> {
    let store = client
        .create_table(&unique_table_id("model"), &long_key())
        .await
        .map_err(|e| e.to_string())?;
    store.initialise().await.map_err(|e| e.to_string())?;
    let mut model = Model::initialised();
    for (step, op) in ops.iter().enumerate() {
        for (clock, call) in resolve(op, &model) {
            let now = clock.unwrap_or_else(|| time(0));
            store.fix_file_update_time(Some(now)).unwrap();
            let expected = on_model(&mut model, &call, now);
            let actual = on_store(&store, &call).await;
            count(&call, &actual);
            if !same_outcome(&expected, &actual) {
                return Err(format!(
                    "step {step}: {call:?}\n  model: {expected:?}\n  store: {actual:?}"
                ));
            }
            let state = store_state(&store)
                .await
                .map_err(|e| format!("step {step}: reading the state failed: {e}"))?;
            let wanted = model_state(&model);
            if state != wanted {
                return Err(format!(
                    "step {step}: after {call:?} the states differ\n  model: {wanted:#?}\n  store: {state:#?}"
                ));
            }
        }
    }
    client
        .delete_table(store.table_id())
        .await
        .map_err(|e| e.to_string())
}

/// How many calls of each kind ended how, over the whole run: printed with
/// `SLEEPER_PG_MODEL_STATS=1`, to see that the generator reaches both successes and each error.
static COUNTS: std::sync::Mutex<BTreeMap<String, u64>> = std::sync::Mutex::new(BTreeMap::new());

fn count(call: &Call, outcome: &Result<Outcome>) {
    let name = format!("{call:?}");
    let name = name.split('(').next().unwrap_or_default();
    let ended = match outcome {
        Ok(_) => "ok".to_owned(),
        Err(
            Error::SplitRequestsFailed { cause, .. } | Error::ReplaceRequestsFailed { cause, .. },
        ) => cause.exception_name().to_owned(),
        Err(e) => e.exception_name().to_owned(),
    };
    let mut counts = COUNTS.lock().unwrap();
    *counts.entry(format!("{name} {ended}")).or_default() += 1;
    if std::env::var_os("SLEEPER_PG_MODEL_STATS").is_some() {
        eprintln!("{counts:?}");
    }
}

fn cases() -> u32 {
    std::env::var("SLEEPER_PG_MODEL_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(32)
}

fn soak() -> bool {
    std::env::var_os("SLEEPER_PG_SOAK").is_some()
}

#[test]
fn the_store_agrees_with_the_model_on_random_operation_sequences() {
    let cases = if soak() && std::env::var_os("SLEEPER_PG_MODEL_CASES").is_none() {
        2_000
    } else {
        cases()
    };
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        max_shrink_iters: 500,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        source_file: Some(file!()),
        ..ProptestConfig::default()
    });
    let client = shared_client();
    let started = std::time::Instant::now();
    let result = runner.run(&prop::collection::vec(op(), 1..40), |ops| {
        let outcome = block_on(async { Ok(run(client, &ops).await) }).expect("the runtime runs");
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
        Ok(())
    });
    if soak() {
        let counts = COUNTS.lock().unwrap();
        let calls: u64 = counts.values().sum();
        let mut text = format!(
            "## Differential test against the model\n\n\
             | figure | value |\n|---|---|\n\
             | random operation sequences (1 to 39 operations each) | {cases} |\n\
             | calls compared, each followed by a comparison of the whole state | {calls} |\n\
             | duration | {:.0} s |\n\
             | divergences from the model | {} |\n\n\
             Calls by kind and outcome:\n\n| call | outcome | count |\n|---|---|---|\n",
            started.elapsed().as_secs_f64(),
            usize::from(result.is_err()),
        );
        for (key, n) in counts.iter() {
            let (call, outcome) = key.split_once(' ').unwrap_or((key, ""));
            text.push_str(&format!("| {call} | {outcome} | {n} |\n"));
        }
        crate::model::write_reliability_section("model", &text);
    }
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
