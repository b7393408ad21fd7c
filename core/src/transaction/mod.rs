//! Sleeper's state store transactions as data: one variant per `TransactionType` of Sleeper v0.36,
//! read from and written to the JSON of Sleeper's `TransactionSerDe` ([`json`]), and what applying
//! one reports. `StateStore::apply_transaction` gives them their meaning.

pub(crate) mod json;

pub use json::TransactionLogEntry;

use crate::error::{Error, Result};
use crate::model::{
    AllReferencesToAFile, AssignJobIdRequest, Partition, ReplaceFileReferencesRequest,
    SplitFileReferenceRequest, Timestamp,
};

/// Sleeper's `TransactionType`, by its name in the log (`ADD_FILES`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionType {
    /// `ADD_FILES`: an ingest's new files.
    AddFiles,
    /// `ASSIGN_JOB_IDS`: compaction jobs created.
    AssignJobIds,
    /// `CLEAR_FILES`: every file removed.
    ClearFiles,
    /// `DELETE_FILES`: garbage-collected files removed.
    DeleteFiles,
    /// `INITIALISE_PARTITIONS`: a new partition tree.
    InitialisePartitions,
    /// `REPLACE_FILE_REFERENCES`: compaction jobs committed.
    ReplaceFileReferences,
    /// `SPLIT_FILE_REFERENCES`: references pushed down to child partitions.
    SplitFileReferences,
    /// `SPLIT_PARTITION`: a leaf split.
    SplitPartition,
    /// `EXTEND_PARTITION_TREE`: many splits at once.
    ExtendPartitionTree,
}

/// cbindgen:ignore
impl TransactionType {
    /// Every type, in Sleeper's order.
    pub const ALL: [TransactionType; 9] = [
        TransactionType::AddFiles,
        TransactionType::AssignJobIds,
        TransactionType::ClearFiles,
        TransactionType::DeleteFiles,
        TransactionType::InitialisePartitions,
        TransactionType::ReplaceFileReferences,
        TransactionType::SplitFileReferences,
        TransactionType::SplitPartition,
        TransactionType::ExtendPartitionTree,
    ];

    /// The name Sleeper gives the type.
    pub fn name(self) -> &'static str {
        match self {
            TransactionType::AddFiles => "ADD_FILES",
            TransactionType::AssignJobIds => "ASSIGN_JOB_IDS",
            TransactionType::ClearFiles => "CLEAR_FILES",
            TransactionType::DeleteFiles => "DELETE_FILES",
            TransactionType::InitialisePartitions => "INITIALISE_PARTITIONS",
            TransactionType::ReplaceFileReferences => "REPLACE_FILE_REFERENCES",
            TransactionType::SplitFileReferences => "SPLIT_FILE_REFERENCES",
            TransactionType::SplitPartition => "SPLIT_PARTITION",
            TransactionType::ExtendPartitionTree => "EXTEND_PARTITION_TREE",
        }
    }
}

impl std::str::FromStr for TransactionType {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        TransactionType::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = TransactionType::ALL.iter().map(|t| t.name()).collect();
                Error::invalid(format!(
                    "Unknown transaction type \"{name}\": expected one of {}",
                    names.join(", ")
                ))
            })
    }
}

impl std::fmt::Display for TransactionType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The ids by which Sleeper's ingest job tracker knows the job that wrote an ADD_FILES transaction.
/// The store keeps none of them; they are read and written so that a transaction round-trips.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct IngestJobRun {
    /// The ingest job.
    pub job_id: Option<String>,
    /// The compaction task that ran the job.
    pub task_id: Option<String>,
    /// The run of the job.
    pub job_run_id: Option<String>,
    /// When the job wrote the files.
    pub written_time: Option<Timestamp>,
}

/// One compaction job of a REPLACE_FILE_REFERENCES transaction: its commit (whose partition is the
/// new reference's, as in Sleeper v0.36) and the task and run the job tracker reports it by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompactionJobCommit {
    /// The commit.
    pub request: ReplaceFileReferencesRequest,
    /// The compaction task that ran the job.
    pub task_id: Option<String>,
    /// The run of the job.
    pub job_run_id: Option<String>,
}

impl CompactionJobCommit {
    /// A commit with no task or run ids.
    pub fn new(request: ReplaceFileReferencesRequest) -> Self {
        CompactionJobCommit {
            request,
            task_id: None,
            job_run_id: None,
        }
    }
}

/// One Sleeper state store transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Transaction {
    /// New files from an ingest.
    AddFiles {
        /// The files, each with its references.
        files: Vec<AllReferencesToAFile>,
        /// The ingest job, for the job tracker.
        job_run: IngestJobRun,
    },
    /// Compaction jobs assigned to references.
    AssignJobIds {
        /// The assignments.
        requests: Vec<AssignJobIdRequest>,
    },
    /// `CLEAR_FILES`: every file removed.
    ClearFiles,
    /// Garbage-collected files removed.
    DeleteFiles {
        /// The files.
        filenames: Vec<String>,
    },
    /// An empty list removes every partition (Sleeper's `ClearPartitionsTransaction`).
    InitialisePartitions {
        /// The whole new tree.
        partitions: Vec<Partition>,
    },
    /// Compaction jobs committed.
    ReplaceFileReferences {
        /// The jobs, in order.
        jobs: Vec<CompactionJobCommit>,
    },
    /// References replaced by references on other partitions.
    SplitFileReferences {
        /// The splits.
        requests: Vec<SplitFileReferenceRequest>,
    },
    /// A leaf split into its children.
    SplitPartition {
        /// The leaf, now split.
        parent: Partition,
        /// Its two children.
        new_children: Vec<Partition>,
    },
    /// Leaves split and partitions added, any number of levels at once.
    ExtendPartitionTree {
        /// Leaves, now split.
        update_partitions: Vec<Partition>,
        /// The partitions added.
        new_partitions: Vec<Partition>,
    },
}

impl Transaction {
    /// The Sleeper type of this transaction.
    pub fn transaction_type(&self) -> TransactionType {
        match self {
            Transaction::AddFiles { .. } => TransactionType::AddFiles,
            Transaction::AssignJobIds { .. } => TransactionType::AssignJobIds,
            Transaction::ClearFiles => TransactionType::ClearFiles,
            Transaction::DeleteFiles { .. } => TransactionType::DeleteFiles,
            Transaction::InitialisePartitions { .. } => TransactionType::InitialisePartitions,
            Transaction::ReplaceFileReferences { .. } => TransactionType::ReplaceFileReferences,
            Transaction::SplitFileReferences { .. } => TransactionType::SplitFileReferences,
            Transaction::SplitPartition { .. } => TransactionType::SplitPartition,
            Transaction::ExtendPartitionTree { .. } => TransactionType::ExtendPartitionTree,
        }
    }

    /// Reads the JSON Sleeper's `TransactionSerDe` writes for a transaction of `transaction_type`;
    /// `row_keys` gives the types of the key values in regions.
    pub fn from_json(
        transaction_type: TransactionType,
        json: &[u8],
        row_keys: &[crate::model::RowKeyField],
    ) -> Result<Transaction> {
        json::read(transaction_type, json, row_keys)
    }

    /// The JSON Sleeper's `TransactionSerDe` writes for this transaction (compact, fields in
    /// Sleeper's order).
    pub fn to_json(&self) -> String {
        json::write(self).to_string()
    }
}

/// How a transaction is applied: as Sleeper's `synchronousCommit` does, or as its state store
/// committer applies a transaction from its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommitMode {
    /// Any invalid part fails the whole transaction with the exception Sleeper raises, and nothing
    /// is applied.
    Synchronous,
    /// The transaction's own checks, then Sleeper's apply: a compaction job that is no longer valid
    /// is skipped (each checked against the state the jobs before it left), and an ingest whose
    /// files cannot be added is skipped whole. Other types fail as in synchronous mode.
    Asynchronous,
}

/// A part of a transaction that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionFailure {
    /// The index of the compaction job, or of the file, in the transaction.
    pub index: usize,
    /// The exception Sleeper would report for it.
    pub error: Error,
}

/// What applying a transaction did. In synchronous mode, and for every type other than ADD_FILES
/// and REPLACE_FILE_REFERENCES, a transaction either applies whole or fails, so `failures` is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionOutcome {
    /// The skipped parts, by index. For REPLACE_FILE_REFERENCES the jobs not listed were applied;
    /// for ADD_FILES a failure means that none of its files was added.
    pub failures: Vec<TransactionFailure>,
}

impl TransactionOutcome {
    /// True when every part of the transaction was applied.
    pub fn is_fully_applied(&self) -> bool {
        self.failures.is_empty()
    }
}
