//! Sleeper's transactions applied with v0.36's meaning: each one database transaction, through the
//! same operations as the method-per-operation API. `docs/sleeper-transactions.md` tells, type by
//! type, what each mode does and where this store is stricter than Sleeper's.

use std::io::BufRead;

use super::StateStore;
use crate::error::{Error, Result};
use crate::stats::Operation;
use crate::transaction::{
    CommitMode, Transaction, TransactionFailure, TransactionLogEntry, TransactionOutcome,
};
use crate::validate;

/// How far `apply_transaction_log` has got: reported after each entry it applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogProgress {
    /// Entries applied so far.
    pub entries: u64,
    /// Bytes of the log read so far.
    pub bytes: u64,
}

/// What `apply_transaction_log` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogReplay {
    /// Entries applied, skipped parts included.
    pub entries: u64,
    /// The parts Sleeper's apply skips, with the number (from 1) of the entry they belong to.
    pub failures: Vec<(u64, TransactionFailure)>,
}

impl StateStore {
    /// Applies one Sleeper transaction in one database transaction, as `mode` says (see
    /// [`CommitMode`]). Errors are the exceptions Sleeper raises for the transaction: synchronous
    /// splits and compaction commits wrap theirs in `SplitRequestsFailed` and `ReplaceRequestsFailed`
    /// as Sleeper's `synchronousCommit` does, asynchronous ones raise the specific exception as
    /// Sleeper's committer sees it. A transaction Sleeper treats as empty changes nothing.
    pub async fn apply_transaction(
        &self,
        transaction: &Transaction,
        mode: CommitMode,
    ) -> Result<TransactionOutcome> {
        self.observe(Operation::ApplyTransaction, async {
            let failures = match transaction {
                Transaction::AddFiles { files, .. } => self.add_file_groups(files, mode).await?,
                Transaction::AssignJobIds { requests } => {
                    self.assign_job_ids(requests).await?;
                    Vec::new()
                }
                Transaction::ClearFiles => {
                    self.clear_file_data().await?;
                    Vec::new()
                }
                Transaction::DeleteFiles { filenames } => {
                    self.delete_garbage_collected_file_reference_counts(filenames)
                        .await?;
                    Vec::new()
                }
                Transaction::InitialisePartitions { partitions } if partitions.is_empty() => {
                    self.replace_partitions(Vec::new()).await?;
                    Vec::new()
                }
                Transaction::InitialisePartitions { partitions } => {
                    self.initialise_with_partitions(partitions).await?;
                    Vec::new()
                }
                Transaction::ReplaceFileReferences { jobs } => {
                    let requests: Vec<_> = jobs.iter().map(|job| job.request.clone()).collect();
                    reject_output_named_as_input(&requests)?;
                    self.replace_jobs(&requests, mode).await?
                }
                Transaction::SplitFileReferences { requests } => {
                    match (self.split_file_references(requests).await, mode) {
                        (
                            Err(Error::SplitRequestsFailed { cause, .. }),
                            CommitMode::Asynchronous,
                        ) => return Err(*cause),
                        (result, _) => result?,
                    }
                    Vec::new()
                }
                Transaction::SplitPartition {
                    parent,
                    new_children,
                } => {
                    self.split_partition(parent, new_children).await?;
                    Vec::new()
                }
                Transaction::ExtendPartitionTree {
                    update_partitions,
                    new_partitions,
                } => {
                    self.extend_partition_tree(update_partitions, new_partitions)
                        .await?;
                    Vec::new()
                }
            };
            Ok(TransactionOutcome { failures })
        })
        .await
    }

    /// Replays a table's transaction log, one JSON line per entry (see
    /// [`TransactionLogEntry::from_json_line`]; blank lines are skipped), in order, each entry in a
    /// database transaction of its own, as Sleeper applies its log (asynchronous mode), with the
    /// entry's update time as the clock when it has one. Stops at the first entry that fails; the
    /// entries before it stay applied, and `progress` has been told how many there were. Reads the
    /// lines synchronously: from async code, pass a reader that does not block.
    pub async fn apply_transaction_log(
        &self,
        mut lines: impl BufRead + Send,
        mut progress: impl FnMut(LogProgress) + Send,
    ) -> Result<LogReplay> {
        self.observe(Operation::ApplyTransactionLog, async {
            let mut replay = LogReplay::default();
            let mut at = LogProgress::default();
            let mut line = Vec::new();
            loop {
                line.clear();
                let read = lines.read_until(b'\n', &mut line).map_err(|e| {
                    Error::invalid(format!("Could not read the transaction log: {e}"))
                })?;
                if read == 0 {
                    return Ok(replay);
                }
                at.bytes += read as u64;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let entry =
                    TransactionLogEntry::from_json_line(&line, self.row_keys()).map_err(|e| {
                        Error::invalid(format!(
                            "Entry {} of the transaction log: {e}",
                            at.entries + 1
                        ))
                    })?;
                let outcome = match entry.update_time {
                    Some(time) => {
                        self.with_file_clock(time)
                            .apply_transaction(&entry.transaction, CommitMode::Asynchronous)
                            .await?
                    }
                    None => {
                        self.apply_transaction(&entry.transaction, CommitMode::Asynchronous)
                            .await?
                    }
                };
                at.entries += 1;
                replay.entries = at.entries;
                replay
                    .failures
                    .extend(outcome.failures.into_iter().map(|f| (at.entries, f)));
                progress(at);
            }
        })
        .await
    }
}

/// Sleeper cannot even build a REPLACE_FILE_REFERENCES transaction in which a job's output is one of
/// its inputs: its constructor fails the whole transaction, in either mode.
fn reject_output_named_as_input(
    requests: &[crate::model::ReplaceFileReferencesRequest],
) -> Result<()> {
    validate::all(
        requests,
        crate::model::ReplaceFileReferencesRequest::validate,
    )?;
    let same = requests.iter().find_map(|request| {
        let output = &request.new_reference.filename;
        request.input_files.contains(output).then(|| output.clone())
    });
    match same {
        None => Ok(()),
        Some(filename) => Err(Error::ReplaceRequestsFailed {
            failed: requests.to_vec(),
            cause: Box::new(Error::NewReferenceSameAsOldReference { filename }),
        }),
    }
}
