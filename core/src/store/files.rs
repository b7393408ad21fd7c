//! Files and their references (`CONTRACT.md` 3.4 to 3.9).
//!
//! Every write follows one pattern: lock and load the rows the call touches (one statement), check
//! the requests in order against an in-memory view of those rows that each request updates (so each
//! check sees the effects of the ones before it), then write the view's net changes (one statement).
//! See `docs/design.md` for why no two calls on disjoint references touch a common row.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::copy_out::CopyRow;
use super::{bulk, StateStore};
use crate::client::{retrying, Failure};
use crate::connection::Session;
use crate::error::{Error, Result};
use crate::feed::{recording, Recorded};
use crate::model::{
    AllReferencesToAFile, AllReferencesToAllFiles, AssignJobIdRequest, CheckFileAssignmentsRequest,
    FileReference, ReplaceFileReferencesRequest, SplitFileReferenceRequest, Timestamp,
};
use crate::stats::Operation;
use crate::transaction::{CommitMode, CompactionJobCommit, Transaction, TransactionFailure};
use crate::validate;

/// Reads, in one statement and so one snapshot, whether the table exists (the row of kind 0), the
/// file records named in `$4` (kind 1) and the reference rows, live or removed, at the pairs of `$2`
/// and `$3` (kind 2), each with its version (see `migrations/0002_optimistic_writes.sql`). No locks:
/// `write_file_changes` checks the rows are unchanged when the call writes.
///
/// Every key is looked up on its own through a LATERAL subquery (`OFFSET 0` keeps the planner from
/// flattening it): planned as a join, a table whose statistics are stale (a new table, growing fast)
/// would be scanned whole for each call.
const READ: &str = "SELECT 0 AS kind, NULL::text AS filename, NULL::text AS partition_id, NULL::bigint AS seq, \
            NULL::bigint AS number_of_rows, NULL::text AS job_id, NULL::bool AS count_approximate, \
            NULL::bool AS only_this_partition, NULL::bool AS removed \
     FROM {s}.sleeper_tables WHERE table_pk = $1 \
     UNION ALL \
     SELECT 1, f.filename, NULL, f.created_seq, NULL, NULL, NULL, NULL, NULL \
     FROM unnest($4::text[]) AS n(filename) \
     CROSS JOIN LATERAL ( \
         SELECT f.filename, f.created_seq FROM {s}.files f \
         WHERE f.table_pk = $1 AND f.filename = n.filename OFFSET 0 \
     ) f \
     UNION ALL \
     SELECT 2, r.filename, r.partition_id, r.update_seq, r.number_of_rows, r.job_id, \
            r.count_approximate, r.only_this_partition, r.removed \
     FROM unnest($2::text[], $3::text[]) AS w(filename, partition_id) \
     CROSS JOIN LATERAL ( \
         SELECT r.filename, r.partition_id, r.update_seq, r.number_of_rows, r.job_id, \
                r.count_approximate, r.only_this_partition, r.removed \
         FROM {s}.file_references r \
         WHERE r.table_pk = $1 AND r.filename = w.filename AND r.partition_id = w.partition_id OFFSET 0 \
     ) r";

/// Writes a call's net changes if what it read is unchanged; see the function in the migrations.
const WRITE_CALL: &str = "{s}.write_file_changes($1, $2, $3, $4, $5, $6, $7, $8, $9, \
     $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)";
const WRITE_PARAMETERS: usize = 24;

pub(super) const REFERENCE_COLUMNS: &str =
    "r.filename, r.partition_id, r.number_of_rows, r.job_id, r.updated_at, \
     r.count_approximate, r.only_this_partition";

/// A reference row as a call sees it.
#[derive(Debug, Clone)]
struct RefRow {
    number_of_rows: i64,
    job_id: Option<String>,
    count_approximate: bool,
    only_this_partition: bool,
    removed: bool,
}

type RefKey = (String, String);

/// A changed row as it is written.
type RowRef<'a> = (&'a RefKey, &'a RefRow);

fn key(filename: &str, partition_id: &str) -> RefKey {
    (filename.to_owned(), partition_id.to_owned())
}

/// What a call needs read: file records and (file, partition) reference rows.
#[derive(Default)]
struct Wanted {
    files: Vec<String>,
    refs: Vec<RefKey>,
}

impl Wanted {
    /// Sorted and without repeats: every write locks the rows it read in key order (byte order, which
    /// is the columns' `COLLATE "C"` order), so that lock waits cannot form a cycle.
    fn in_key_order(mut self) -> Wanted {
        self.files.sort_unstable();
        self.files.dedup();
        self.refs.sort_unstable();
        self.refs.dedup();
        self
    }
}

/// The rows read with the call's changes applied in order.
struct View {
    /// The file records the call sees: each one read, with its version (see `READ`), or created by
    /// the call (`None`).
    files: HashMap<String, Option<i64>>,
    refs: HashMap<RefKey, RefRow>,
    /// The version of each reference row read: changes to these rows are updates, others inserts.
    ref_versions: HashMap<RefKey, i64>,
    created_files: Vec<String>,
    /// The keys of changed rows, in order of first change, to write their final state once.
    changed_refs: Vec<RefKey>,
    changed: HashSet<RefKey>,
    /// Every change, newest last, so that a request that fails part way can be taken back.
    undo: Vec<Undo>,
}

/// How to take back one change to a `View`.
enum Undo {
    CreatedFile,
    /// The reference row as it was before, and whether this change first marked it changed.
    Changed {
        key: RefKey,
        before: Option<RefRow>,
        first_change: bool,
    },
}

impl View {
    /// The view of `READ`'s rows, or `None` if the table is gone.
    fn from_rows(rows: &[PgRow]) -> Result<Option<View>> {
        let mut view = View {
            files: HashMap::new(),
            refs: HashMap::new(),
            ref_versions: HashMap::new(),
            created_files: Vec::new(),
            changed_refs: Vec::new(),
            changed: HashSet::new(),
            undo: Vec::new(),
        };
        let mut table_exists = false;
        for row in rows {
            match row.try_get::<i32, _>("kind")? {
                0 => table_exists = true,
                1 => {
                    view.files
                        .insert(row.try_get("filename")?, Some(row.try_get("seq")?));
                }
                _ => {
                    let key = (row.try_get("filename")?, row.try_get("partition_id")?);
                    let stored = RefRow {
                        number_of_rows: row.try_get("number_of_rows")?,
                        job_id: row.try_get("job_id")?,
                        count_approximate: row.try_get("count_approximate")?,
                        only_this_partition: row.try_get("only_this_partition")?,
                        removed: row.try_get("removed")?,
                    };
                    view.ref_versions.insert(key.clone(), row.try_get("seq")?);
                    view.refs.insert(key, stored);
                }
            }
        }
        Ok(table_exists.then_some(view))
    }

    fn has_file(&self, filename: &str) -> bool {
        self.files.contains_key(filename)
    }

    fn live_ref(&self, filename: &str, partition_id: &str) -> Option<&RefRow> {
        self.refs
            .get(&key(filename, partition_id))
            .filter(|r| !r.removed)
    }

    fn create_file(&mut self, filename: &str) {
        self.files.insert(filename.to_owned(), None);
        self.created_files.push(filename.to_owned());
        self.undo.push(Undo::CreatedFile);
    }

    fn change(&mut self, key: RefKey, row: RefRow) {
        let first_change = self.changed.insert(key.clone());
        if first_change {
            self.changed_refs.push(key.clone());
        }
        let before = self.refs.insert(key.clone(), row);
        self.undo.push(Undo::Changed {
            key,
            before,
            first_change,
        });
    }

    /// A point to take the view back to with `roll_back`.
    fn savepoint(&self) -> usize {
        self.undo.len()
    }

    /// Takes back every change made since `savepoint`, newest first.
    fn roll_back(&mut self, savepoint: usize) {
        while self.undo.len() > savepoint {
            match self.undo.pop() {
                Some(Undo::CreatedFile) => {
                    if let Some(filename) = self.created_files.pop() {
                        self.files.remove(&filename);
                    }
                }
                Some(Undo::Changed {
                    key,
                    before,
                    first_change,
                }) => {
                    if first_change {
                        self.changed.remove(&key);
                        self.changed_refs.pop();
                    }
                    match before {
                        Some(row) => self.refs.insert(key, row),
                        None => self.refs.remove(&key),
                    };
                }
                None => {}
            }
        }
    }

    /// Applies `request` to the view with `apply_one`, or, if it fails, leaves the view as it was.
    fn try_apply<R>(
        &mut self,
        request: &R,
        apply_one: impl Fn(&mut View, &R) -> Result<()>,
    ) -> Result<()> {
        let savepoint = self.savepoint();
        apply_one(self, request).inspect_err(|_| self.roll_back(savepoint))
    }

    fn put_ref(&mut self, reference: &FileReference) {
        let row = RefRow {
            number_of_rows: i64::try_from(reference.number_of_rows).unwrap_or(i64::MAX),
            job_id: reference.job_id.clone(),
            count_approximate: reference.count_approximate,
            only_this_partition: reference.only_contains_data_for_this_partition,
            removed: false,
        };
        self.change(key(&reference.filename, &reference.partition_id), row);
    }

    /// Only called on a key whose live reference the caller has just checked.
    fn update_ref(&mut self, filename: &str, partition_id: &str, update: impl FnOnce(&mut RefRow)) {
        let key = key(filename, partition_id);
        if let Some(mut row) = self.refs.get(&key).cloned() {
            update(&mut row);
            self.change(key, row);
        }
    }
}

impl StateStore {
    /// Reads what `wanted` names.
    async fn read(&self, connection: &mut PgConnection, wanted: &Wanted) -> Result<View, Failure> {
        let sql = self.sql(READ);
        let (ref_files, ref_partitions): (Vec<&str>, Vec<&str>) = wanted
            .refs
            .iter()
            .map(|(f, p)| (f.as_str(), p.as_str()))
            .unzip();
        let rows = self
            .query(&sql)
            .bind(self.inner.table_pk)
            .bind(ref_files)
            .bind(ref_partitions)
            .bind(&wanted.files)
            .fetch_all(&mut *connection)
            .await?;
        View::from_rows(&rows)?.ok_or_else(|| Failure::Rejected(self.table_not_found()))
    }

    /// Writes the view's changes with this handle's clock, and `recorded` in the change feed, if the
    /// rows `wanted` names are as the view read them; false, writing nothing, if not.
    async fn write(
        &self,
        session: &mut Session,
        wanted: &Wanted,
        view: &View,
        recorded: Option<&Recorded>,
    ) -> Result<bool, Failure> {
        let (updates, inserts): (Vec<RowRef>, Vec<RowRef>) = view
            .changed_refs
            .iter()
            .filter_map(|key| view.refs.get(key).map(|row| (key, row)))
            .partition(|(key, _)| view.ref_versions.contains_key(*key));
        // Rows read absent that the call inserts need no check of their own: their primary key
        // refuses them if another call inserted them first.
        let inserted: HashSet<(&str, &str)> = inserts
            .iter()
            .map(|(key, _)| (key.0.as_str(), key.1.as_str()))
            .collect();
        let (files, file_versions): (Vec<&str>, Vec<Option<i64>>) = wanted
            .files
            .iter()
            .filter_map(|f| match view.files.get(f) {
                Some(None) => None, // created by the call
                read => Some((f.as_str(), read.copied().flatten())),
            })
            .unzip();
        // The rows the call changes are checked by their update itself. Only if the call read rows it
        // leaves unchanged are all the rows it read locked and checked first, in one pass in key order,
        // so that two calls never lock rows in orders that could cross.
        let changed: HashSet<&RefKey> = updates.iter().map(|(key, _)| *key).collect();
        let lock_all_first = wanted
            .refs
            .iter()
            .any(|k| view.ref_versions.contains_key(k) && !changed.contains(k));
        let checked_refs: Vec<((&str, &str), Option<i64>)> = wanted
            .refs
            .iter()
            .map(|k| {
                (
                    (k.0.as_str(), k.1.as_str()),
                    view.ref_versions.get(k).copied(),
                )
            })
            .filter(|(key, version)| match version {
                Some(_) => lock_all_first,
                None => !inserted.contains(key),
            })
            .collect();
        let (ref_files, ref_partitions): (Vec<&str>, Vec<&str>) =
            checked_refs.iter().map(|(key, _)| *key).unzip();
        let ref_versions: Vec<Option<i64>> = checked_refs.iter().map(|(_, v)| *v).collect();
        let update_versions: Vec<Option<i64>> = updates
            .iter()
            .map(|(key, _)| view.ref_versions.get(*key).copied())
            .collect();
        let sql = match recorded {
            Some(_) => self.sql(&recording(
                &format!("SELECT {WRITE_CALL} AS written"),
                "w.written",
                WRITE_PARAMETERS,
            )),
            None => self.sql(&format!("SELECT {WRITE_CALL}")),
        };
        let query = self
            .query(&sql)
            .bind(self.inner.client.schema.lock_space)
            .bind(self.inner.table_pk)
            .bind(self.file_clock())
            .bind(files)
            .bind(file_versions)
            .bind(ref_files)
            .bind(ref_partitions)
            .bind(ref_versions)
            .bind(&view.created_files);
        let query = bind_rows(bind_rows(query, &updates).bind(update_versions), &inserts);
        let query = match recorded {
            Some(recorded) => recorded.bind(query),
            None => query,
        };
        self.run_write(session, query).await
    }

    /// The pattern of every file write: read `wanted`, let `check` apply the requests to the view in
    /// order, then write the view's changes, with the entry `record` makes of what `check` returned
    /// in the change feed, as one attempt of the call; the whole call runs again if the rows changed
    /// between its read and its write.
    async fn change_files<T>(
        &self,
        wanted: Wanted,
        check: impl Fn(&mut View) -> Result<T>,
        record: impl Fn(&T) -> Recorded,
    ) -> Result<T> {
        let wanted = wanted.in_key_order();
        let client = &self.inner.client;
        retrying!(client, async {
            let mut session = Session::open(client).await?;
            let mut view = self.read(session.connection(), &wanted).await?;
            let checked = match check(&mut view) {
                Ok(checked) => checked,
                Err(error) => return session.end_rejected(error).await,
            };
            let unchanged = view.created_files.is_empty() && view.changed_refs.is_empty();
            let recorded = client.change_feed.then(|| record(&checked));
            let written = unchanged
                || self
                    .write(&mut session, &wanted, &view, recorded.as_ref())
                    .await?;
            session
                .finish_write(client)
                .await
                .map_err(Failure::Uncertain)?;
            if written && !unchanged {
                self.changed();
            }
            if written {
                Ok(checked)
            } else {
                Err(Failure::Stale)
            }
        })
    }

    /// Exactly `add_files(&[reference])`.
    pub async fn add_file(&self, reference: &FileReference) -> Result<()> {
        self.observe(Operation::AddFile, async {
            self.add_files(std::slice::from_ref(reference)).await
        })
        .await
    }

    /// Adds new files from their references, grouped by filename in order of first appearance.
    pub async fn add_files(&self, references: &[FileReference]) -> Result<()> {
        self.observe(Operation::AddFiles, async {
            validate::all(references, FileReference::validate)?;
            let mut files: Vec<NewFile> = Vec::new();
            let mut index: HashMap<&str, usize> = HashMap::new();
            for reference in references {
                let filename = reference.filename.as_str();
                // References usually come a file at a time: only a change of file needs the index.
                let i = match files.last() {
                    Some(last) if last.filename == filename => files.len() - 1,
                    _ => *index.entry(filename).or_insert_with(|| {
                        files.push(NewFile {
                            filename,
                            references: Vec::new(),
                        });
                        files.len() - 1
                    }),
                };
                files[i].references.push(reference);
            }
            self.add_new_files(&files, CommitMode::Synchronous)
                .await
                .map(drop)
        })
        .await
    }

    /// Adds new files, each with zero or more references.
    pub async fn add_files_with_references(&self, files: &[AllReferencesToAFile]) -> Result<()> {
        self.observe(Operation::AddFilesWithReferences, async {
            self.add_file_groups(files, CommitMode::Synchronous)
                .await
                .map(drop)
        })
        .await
    }

    /// Adds new files. Synchronous: the first file that cannot be added fails the call. Asynchronous
    /// (Sleeper's ADD_FILES apply): that file's failure is reported and none of the files is added.
    pub(crate) async fn add_file_groups(
        &self,
        files: &[AllReferencesToAFile],
        mode: CommitMode,
    ) -> Result<Vec<TransactionFailure>> {
        validate::all(files, AllReferencesToAFile::validate)?;
        let files: Vec<NewFile> = files.iter().map(NewFile::of).collect();
        self.add_new_files(&files, mode).await
    }

    /// `add_file_groups` on validated input.
    async fn add_new_files(
        &self,
        files: &[NewFile<'_>],
        mode: CommitMode,
    ) -> Result<Vec<TransactionFailure>> {
        if files.is_empty() || bulk::worth_copying(files) && self.copy_new_files(files).await? {
            return Ok(Vec::new());
        }
        let wanted = Wanted {
            files: files.iter().map(|f| f.filename.to_owned()).collect(),
            ..Wanted::default()
        };
        let failures = self
            .change_files(
                wanted,
                |view| {
                    let savepoint = view.savepoint();
                    for (index, file) in files.iter().enumerate() {
                        if let Err(error) = add_one(view, file) {
                            if mode == CommitMode::Synchronous {
                                return Err(error);
                            }
                            view.roll_back(savepoint);
                            return Ok(vec![TransactionFailure { index, error }]);
                        }
                    }
                    Ok(Vec::new())
                },
                |_| record_added(files),
            )
            .await?;
        tracing::debug!(
            table_id = self.table_id(),
            files = files.len(),
            skipped = !failures.is_empty(),
            "added files"
        );
        Ok(failures)
    }

    /// Replaces references by new ones on other partitions; all requests apply or none.
    pub async fn split_file_references(
        &self,
        requests: &[SplitFileReferenceRequest],
    ) -> Result<()> {
        self.observe(Operation::SplitFileReferences, async {
            validate::all(requests, SplitFileReferenceRequest::validate)?;
            if requests.is_empty() {
                return Ok(());
            }
            let mut wanted = Wanted::default();
            for request in requests {
                let filename = &request.old_reference.filename;
                wanted.files.push(filename.clone());
                wanted
                    .refs
                    .push(key(filename, &request.old_reference.partition_id));
                wanted.refs.extend(
                    request
                        .new_references
                        .iter()
                        .map(|r| key(filename, &r.partition_id)),
                );
            }
            self.change_files(
                wanted,
                |view| {
                    requests
                        .iter()
                        .try_for_each(|request| split_one(view, request))
                },
                |_| {
                    Recorded::of(&Transaction::SplitFileReferences {
                        requests: requests.to_vec(),
                    })
                },
            )
            .await
            .map_err(|cause| {
                wrap_failure(cause, |cause| Error::SplitRequestsFailed {
                    failed: requests.to_vec(),
                    cause,
                })
            })
        })
        .await
    }

    /// Assigns each request's job to the named files' references on its partition.
    pub async fn assign_job_ids(&self, requests: &[AssignJobIdRequest]) -> Result<()> {
        self.observe(Operation::AssignJobIds, async {
            validate::all(requests, AssignJobIdRequest::validate)?;
            let requests: Vec<&AssignJobIdRequest> = requests
                .iter()
                .filter(|r| !r.filenames.is_empty())
                .collect();
            if requests.is_empty() {
                return Ok(());
            }
            let wanted = Wanted {
                refs: requests
                    .iter()
                    .flat_map(|r| r.filenames.iter().map(|f| key(f, &r.partition_id)))
                    .collect(),
                ..Wanted::default()
            };
            let recorded = || {
                Recorded::of(&Transaction::AssignJobIds {
                    requests: requests.iter().map(|r| (*r).clone()).collect(),
                })
            };
            self.change_files(
                wanted,
                |view| {
                    for request in &requests {
                        for filename in &request.filenames {
                            let reference = view
                                .live_ref(filename, &request.partition_id)
                                .ok_or_else(|| {
                                    Error::file_reference_not_found(filename, &request.partition_id)
                                })?;
                            if let Some(job_id) = &reference.job_id {
                                return Err(Error::FileReferenceAssignedToJob {
                                    filename: filename.clone(),
                                    partition_id: request.partition_id.clone(),
                                    job_id: job_id.clone(),
                                });
                            }
                            view.update_ref(filename, &request.partition_id, |row| {
                                row.job_id = Some(request.job_id.clone())
                            });
                        }
                    }
                    Ok(())
                },
                |_| recorded(),
            )
            .await
        })
        .await
    }

    /// Commits compaction jobs: each removes its inputs' references on its partition and adds its
    /// output file.
    pub async fn atomically_replace_file_references_with_new_ones(
        &self,
        requests: &[ReplaceFileReferencesRequest],
    ) -> Result<()> {
        self.observe(
            Operation::AtomicallyReplaceFileReferencesWithNewOnes,
            async {
                self.replace_jobs(requests, CommitMode::Synchronous)
                    .await
                    .map(drop)
            },
        )
        .await
    }

    /// Commits compaction jobs. Synchronous: all or none, failing with `ReplaceRequestsFailed`.
    /// Asynchronous (Sleeper's REPLACE_FILE_REFERENCES apply): each job that fails its checks,
    /// against the state the jobs before it left, is skipped and reported; the others apply.
    pub(crate) async fn replace_jobs(
        &self,
        requests: &[ReplaceFileReferencesRequest],
        mode: CommitMode,
    ) -> Result<Vec<TransactionFailure>> {
        validate::all(requests, ReplaceFileReferencesRequest::validate)?;
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let mut wanted = Wanted::default();
        for request in requests {
            wanted.files.extend(request.input_files.iter().cloned());
            wanted.files.push(request.new_reference.filename.clone());
            wanted.refs.extend(
                request
                    .input_files
                    .iter()
                    .map(|f| key(f, &request.partition_id)),
            );
        }
        self.change_files(
            wanted,
            |view| match mode {
                CommitMode::Synchronous => requests
                    .iter()
                    .try_for_each(|request| replace_one(view, request))
                    .map(|()| Vec::new()),
                CommitMode::Asynchronous => Ok(requests
                    .iter()
                    .enumerate()
                    .filter_map(|(index, request)| {
                        let error = view.try_apply(request, replace_one).err()?;
                        Some(TransactionFailure { index, error })
                    })
                    .collect()),
            },
            // The jobs applied: an asynchronous commit skips those that fail their checks.
            |failures: &Vec<TransactionFailure>| {
                let jobs = requests
                    .iter()
                    .enumerate()
                    .filter(|(index, _)| !failures.iter().any(|f| f.index == *index))
                    .map(|(_, request)| CompactionJobCommit::new(request.clone()))
                    .collect();
                Recorded::of(&Transaction::ReplaceFileReferences { jobs })
            },
        )
        .await
        .map_err(|cause| {
            wrap_failure(cause, |cause| Error::ReplaceRequestsFailed {
                failed: requests.to_vec(),
                cause,
            })
        })
    }

    /// Removes the records of garbage-collected files, which must have no references left.
    pub async fn delete_garbage_collected_file_reference_counts(
        &self,
        filenames: &[String],
    ) -> Result<()> {
        self.observe(Operation::DeleteGarbageCollectedFileReferenceCounts, async {
            validate::all(filenames, |f| validate::filename("filename", f))?;
            if filenames.is_empty() {
                return Ok(());
            }
            let mut in_key_order = filenames.to_vec();
            in_key_order.sort_unstable();
            in_key_order.dedup();
            // The count of each file's live references, read without locks; the delete checks again,
            // under the file rows' locks, that the files are still there without references.
            let read = self.sql(
                "SELECT f.filename, f.live FROM {s}.sleeper_tables t LEFT JOIN LATERAL ( \
                     SELECT f.filename, (SELECT count(*) FROM {s}.file_references r \
                         WHERE r.table_pk = f.table_pk AND r.filename = f.filename AND NOT r.removed) AS live \
                     FROM unnest($2::text[]) AS n(filename) \
                     CROSS JOIN LATERAL ( \
                         SELECT f.table_pk, f.filename FROM {s}.files f \
                         WHERE f.table_pk = t.table_pk AND f.filename = n.filename OFFSET 0 \
                     ) f \
                 ) f ON true WHERE t.table_pk = $1",
            );
            let delete = self.write_sql("{s}.delete_unreferenced_files($1, $2, $3)", 3);
            let recorded = || {
                Recorded::of(&Transaction::DeleteFiles {
                    filenames: filenames.to_vec(),
                })
            };
            let client = &self.inner.client;
            retrying!(client, async {
                let mut session = Session::open(client).await?;
                let rows = self
                    .query(&read)
                    .bind(self.inner.table_pk)
                    .bind(&in_key_order)
                    .fetch_all(session.connection())
                    .await?;
                if rows.is_empty() {
                    return Err(Failure::Rejected(self.table_not_found()));
                }
                let mut live: HashMap<String, i64> = HashMap::with_capacity(rows.len());
                for row in &rows {
                    if let Some(filename) = row.try_get::<Option<String>, _>(0)? {
                        live.insert(filename, row.try_get(1)?);
                    }
                }
                // Taken out as checked: a second delete of a file in the call finds it gone.
                let unreferenced =
                    filenames
                        .iter()
                        .try_for_each(|filename| match live.remove(filename) {
                            None => Err(Error::FileNotFound {
                                filename: filename.clone(),
                            }),
                            Some(count) if count > 0 => Err(Error::FileHasReferences {
                                filename: filename.clone(),
                                reference_count: u64::try_from(count).unwrap_or_default(),
                            }),
                            Some(_) => Ok(()),
                        });
                if let Err(error) = unreferenced {
                    return session.end_rejected(error).await;
                }
                let query = self
                    .query(&delete)
                    .bind(self.inner.client.schema.lock_space)
                    .bind(self.inner.table_pk)
                    .bind(&in_key_order);
                let query = self.bind_recorded(query, recorded);
                let deleted = self.run_write(&mut session, query).await?;
                session
                    .finish_write(client)
                    .await
                    .map_err(Failure::Uncertain)?;
                if deleted {
                    self.changed();
                    Ok(())
                } else {
                    Err(Failure::Stale)
                }
            })
        })
        .await
    }

    /// Every reference of every file, by filename then partition id.
    pub async fn get_file_references(&self) -> Result<Vec<FileReference>> {
        self.observe(Operation::GetFileReferences, async {
            self.select_references("").await
        })
        .await
    }

    /// The references with no job, by filename then partition id.
    pub async fn get_file_references_with_no_job_id(&self) -> Result<Vec<FileReference>> {
        self.observe(Operation::GetFileReferencesWithNoJobId, async {
            self.select_references("AND r.job_id IS NULL").await
        })
        .await
    }

    /// Sorted here rather than by the server: the server's sort of a large table spills to disk
    /// (beyond `work_mem`) before it sends the first row, where the client sorts in memory after
    /// the rows have streamed in.
    async fn select_references(&self, condition: &str) -> Result<Vec<FileReference>> {
        let copy = self.sql(&copy_references_sql(
            condition,
            self.inner.table_pk,
            ServerOrder::AsFound,
        ));
        let mut references = self
            .copy_table(&copy, 0, Vec::new, |references, row: &ReferenceRow<'_>| {
                references.push(reference_from_copy(row, 0)?);
                Ok(())
            })
            .await?;
        // Filename and partition id are unique together, so the unstable sort is deterministic; str
        // order is byte order, as the columns' C collation.
        references.sort_unstable_by(|a, b| {
            (a.filename.as_str(), a.partition_id.as_str())
                .cmp(&(b.filename.as_str(), b.partition_id.as_str()))
        });
        Ok(references)
    }

    /// Each partition with references, to the filenames referenced on it; keys and lists sorted.
    pub async fn get_partition_to_referenced_files_map(
        &self,
    ) -> Result<BTreeMap<String, Vec<String>>> {
        self.observe(Operation::GetPartitionToReferencedFilesMap, async {
            let sql = self.sql(
                "SELECT r.partition_id, r.filename FROM {s}.sleeper_tables t \
                 LEFT JOIN {s}.file_references r ON r.table_pk = t.table_pk AND NOT r.removed \
                 WHERE t.table_pk = $1 ORDER BY r.partition_id, r.filename",
            );
            let pairs = self
                .query_table(
                    &sql,
                    1,
                    |q| q,
                    |row| Ok((row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?)),
                )
                .await?;
            let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (partition_id, filename) in pairs {
                map.entry(partition_id).or_default().push(filename);
            }
            Ok(map)
        })
        .await
    }

    /// The files with no references whose last update is strictly before `max_update_time`.
    pub async fn get_ready_for_gc_filenames_before(
        &self,
        max_update_time: Timestamp,
    ) -> Result<Vec<String>> {
        self.observe(Operation::GetReadyForGcFilenamesBefore, async {
            let sql = self.sql(
                "SELECT f.filename FROM {s}.sleeper_tables t LEFT JOIN LATERAL ( \
                     SELECT f.filename FROM {s}.files f \
                     WHERE f.table_pk = t.table_pk \
                       AND NOT EXISTS (SELECT 1 FROM {s}.file_references r \
                           WHERE r.table_pk = f.table_pk AND r.filename = f.filename AND NOT r.removed) \
                       AND (SELECT w.at FROM ( \
                               SELECT f.created_at AS at, f.created_seq AS seq \
                               UNION ALL SELECT r.updated_at, r.update_seq FROM {s}.file_references r \
                                   WHERE r.table_pk = f.table_pk AND r.filename = f.filename \
                            ) w ORDER BY w.seq DESC LIMIT 1) < $2 \
                 ) f ON true \
                 WHERE t.table_pk = $1 ORDER BY f.filename",
            );
            let cutoff = crate::time::cutoff(max_update_time);
            self.query_table(&sql, 0, |q| q.bind(cutoff), |row| Ok(row.try_get(0)?))
                .await
        })
        .await
    }

    /// Every referenced file with its references and time, and the first `max_unreferenced_files`
    /// unreferenced ones by filename; `more_than_max` tells whether any were left out.
    pub async fn get_all_files_with_max_unreferenced(
        &self,
        max_unreferenced_files: u64,
    ) -> Result<AllReferencesToAllFiles> {
        self.observe(Operation::GetAllFilesWithMaxUnreferenced, async {
            validate::max_unreferenced_files(max_unreferenced_files)?;
            // Two ordered scans in one statement (so one snapshot), merged here: a join of the two tables
            // could be planned badly while the table's statistics are stale, and each scan follows its
            // primary key. Columns: kind (0 the table, 1 a file, 2 a reference row), removed, version,
            // then REFERENCE_COLUMNS, a file's time standing in for `updated_at`.
            let sql = self.sql(&format!(
                "SELECT 0 AS kind, NULL::bool, NULL::bigint, NULL::text, NULL::text, NULL::bigint, \
                        NULL::text, NULL::timestamptz, NULL::bool, NULL::bool \
                 FROM {{s}}.sleeper_tables WHERE table_pk = $1 \
                 UNION ALL (SELECT 1, NULL, f.created_seq, f.filename, NULL, NULL, NULL, f.created_at, NULL, NULL \
                     FROM {{s}}.files f WHERE f.table_pk = $1 ORDER BY f.filename) \
                 UNION ALL (SELECT 2, r.removed, r.update_seq, {REFERENCE_COLUMNS} \
                     FROM {{s}}.file_references r WHERE r.table_pk = $1 ORDER BY r.filename, r.partition_id)"
            ));
            let client = &self.inner.client;
            let rows = retrying!(client, async {
                let mut session = Session::open_read(client).await?;
                let rows = self
                    .query(&sql)
                    .bind(self.inner.table_pk)
                    .fetch_all(session.connection())
                    .await?;
                session.finish().await?;
                Ok::<_, Failure>(rows)
            })?;
            let (mut table, mut files, mut references) = (false, Vec::new(), Vec::new());
            for row in &rows {
                match row.try_get::<i32, _>(0)? {
                    0 => table = true,
                    1 => files.push(row),
                    _ => references.push(row),
                }
            }
            if !table {
                return Err(self.table_not_found());
            }
            // Each scan's order is kept by PostgreSQL's append of the two; checked rather than assumed.
            let key = |row: &&PgRow| -> (String, String) {
                (
                    row.try_get(3).unwrap_or_default(),
                    row.try_get(4).unwrap_or_default(),
                )
            };
            let in_order = |a: &&PgRow, b: &&PgRow| {
                (text_at(a, 3), text_at(a, 4)) <= (text_at(b, 3), text_at(b, 4))
            };
            if !files.is_sorted_by(in_order) {
                files.sort_by_cached_key(key);
            }
            if !references.is_sorted_by(in_order) {
                references.sort_by_cached_key(key);
            }
            let mut report = AllReferencesToAllFiles::default();
            let mut unreferenced = 0_u64;
            let mut rows = references.into_iter().peekable();
            for file in files {
                let filename: String = file.try_get(3)?;
                let mut latest: (i64, Timestamp) = (file.try_get(2)?, file.try_get(7)?);
                let mut references = Vec::new();
                while let Some(row) = rows.next_if(|row| {
                    row.try_get::<&str, _>(3)
                        .is_ok_and(|f| f <= filename.as_str())
                }) {
                    if row.try_get::<&str, _>(3)? != filename {
                        continue; // a reference without a file record: not part of any file
                    }
                    let seq: i64 = row.try_get(2)?;
                    if seq > latest.0 {
                        latest = (seq, row.try_get(7)?);
                    }
                    if !row.try_get::<bool, _>(1)? {
                        references.push(reference_from_row(row, 3)?);
                    }
                }
                if references.is_empty() {
                    unreferenced += 1;
                    if unreferenced > max_unreferenced_files {
                        report.more_than_max = true;
                        continue;
                    }
                }
                report.files.push(AllReferencesToAFile {
                    filename,
                    references,
                    last_update_time: Some(latest.1),
                });
            }
            Ok(report)
        })
        .await
    }

    /// True iff the table has no file record at all, referenced or not.
    pub async fn has_no_files(&self) -> Result<bool> {
        self.observe(Operation::HasNoFiles, async {
            let sql = self.sql(
                "SELECT f.filename FROM {s}.sleeper_tables t LEFT JOIN LATERAL ( \
                     SELECT f.filename FROM {s}.files f WHERE f.table_pk = t.table_pk LIMIT 1 \
                 ) f ON true WHERE t.table_pk = $1",
            );
            let any_file = self.query_table(&sql, 0, |q| q, |_| Ok(())).await?;
            Ok(any_file.is_empty())
        })
        .await
    }

    /// True iff every named file's reference on the partition has `job_id`; an error for a missing
    /// reference or one with another job, met in filename order.
    pub async fn is_partition_files_assigned_to_job(
        &self,
        partition_id: &str,
        filenames: &[String],
        job_id: &str,
    ) -> Result<bool> {
        self.observe(Operation::IsPartitionFilesAssignedToJob, async {
            self.is_assigned(&[CheckFileAssignmentsRequest::new(
                job_id,
                filenames.to_vec(),
                partition_id,
            )])
            .await
        })
        .await
    }

    /// Sleeper's `isAssigned`: true iff every named reference of every request has the request's
    /// job. Walking the requests and their filenames in order, a missing reference raises
    /// `FileReferenceNotFound` and one with another job `FileReferenceAssignedToJob`; one with no job
    /// makes the answer false. One snapshot.
    pub async fn is_assigned(&self, requests: &[CheckFileAssignmentsRequest]) -> Result<bool> {
        self.observe(Operation::IsAssigned, async {
            validate::all(requests, CheckFileAssignmentsRequest::validate)?;
            let (filenames, partitions): (Vec<&str>, Vec<&str>) = requests
                .iter()
                .flat_map(|r| {
                    r.filenames
                        .iter()
                        .map(|f| (f.as_str(), r.partition_id.as_str()))
                })
                .unzip();
            let sql = self.sql(
                "SELECT r.filename, r.partition_id, r.job_id FROM {s}.sleeper_tables t \
                 LEFT JOIN LATERAL ( \
                     SELECT r.filename, r.partition_id, r.job_id \
                     FROM unnest($2::text[], $3::text[]) AS n(filename, partition_id) \
                     CROSS JOIN LATERAL ( \
                         SELECT r.filename, r.partition_id, r.job_id FROM {s}.file_references r \
                         WHERE r.table_pk = t.table_pk AND r.filename = n.filename \
                           AND r.partition_id = n.partition_id AND NOT r.removed OFFSET 0 \
                     ) r \
                 ) r ON true \
                 WHERE t.table_pk = $1",
            );
            let jobs: HashMap<RefKey, Option<String>> = self
                .query_table(
                    &sql,
                    0,
                    |q| q.bind(&filenames).bind(&partitions),
                    |row| Ok(((row.try_get(0)?, row.try_get(1)?), row.try_get(2)?)),
                )
                .await?
                .into_iter()
                .collect();
            let mut all_assigned = true;
            for request in requests {
                let partition_id = &request.partition_id;
                for filename in &request.filenames {
                    match jobs.get(&key(filename, partition_id)) {
                        None => {
                            return Err(Error::file_reference_not_found(filename, partition_id))
                        }
                        Some(Some(other)) if *other != request.job_id => {
                            return Err(Error::FileReferenceAssignedToJob {
                                filename: filename.clone(),
                                partition_id: partition_id.clone(),
                                job_id: other.clone(),
                            })
                        }
                        Some(Some(_)) => {}
                        Some(None) => all_assigned = false,
                    }
                }
            }
            Ok(all_assigned)
        })
        .await
    }

    /// Removes every file record and reference of the table; partitions stay.
    pub async fn clear_file_data(&self) -> Result<()> {
        self.observe(Operation::ClearFileData, async {
            self.clear_table(true, false, || Recorded::of(&Transaction::ClearFiles))
                .await
        })
        .await
    }

    /// Removes every file and partition of the table; it needs `initialise` again.
    pub async fn clear_sleeper_table(&self) -> Result<()> {
        self.observe(Operation::ClearSleeperTable, async {
            self.clear_table(true, true, || {
                Recorded::of(&Transaction::ClearFiles).and(Recorded::of(
                    &Transaction::InitialisePartitions {
                        partitions: Vec::new(),
                    },
                ))
            })
            .await
        })
        .await
    }
}

/// Binds reference rows as seven arrays, one per column.
fn bind_rows<'q>(
    query: super::PgQuery<'q>,
    rows: &[(&'q RefKey, &'q RefRow)],
) -> super::PgQuery<'q> {
    query
        .bind(rows.iter().map(|(k, _)| k.0.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|(k, _)| k.1.as_str()).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|(_, r)| r.number_of_rows)
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|(_, r)| r.job_id.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|(_, r)| r.count_approximate)
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|(_, r)| r.only_this_partition)
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|(_, r)| r.removed).collect::<Vec<_>>())
}

/// A file to add, borrowed from the call's input, which is validated: each reference names the file.
pub(super) struct NewFile<'a> {
    pub(super) filename: &'a str,
    pub(super) references: Vec<&'a FileReference>,
}

impl<'a> NewFile<'a> {
    fn of(file: &'a AllReferencesToAFile) -> NewFile<'a> {
        NewFile {
            filename: &file.filename,
            references: file.references.iter().collect(),
        }
    }
}

/// The change feed's entry of an add of `files`.
pub(super) fn record_added(files: &[NewFile<'_>]) -> Recorded {
    let references = files.iter().map(|f| f.references.len()).sum();
    Recorded::of_added_files(files.len(), references, || {
        files
            .iter()
            .map(|f| {
                let references = f.references.iter().map(|r| (*r).clone()).collect();
                AllReferencesToAFile::new(f.filename, references)
            })
            .collect()
    })
}

/// Add checks 1 and 2 for one file, then its effects on the view.
fn add_one(view: &mut View, file: &NewFile) -> Result<()> {
    if view.has_file(file.filename) {
        return Err(Error::FileAlreadyExists {
            filename: file.filename.to_owned(),
        });
    }
    view.create_file(file.filename);
    for reference in &file.references {
        if view
            .live_ref(file.filename, &reference.partition_id)
            .is_some()
        {
            return Err(Error::FileReferenceAlreadyExists {
                filename: file.filename.to_owned(),
                partition_id: reference.partition_id.clone(),
            });
        }
        view.put_ref(reference);
    }
    Ok(())
}

/// Split checks 1 to 4 for one request, then its effects on the view.
fn split_one(view: &mut View, request: &SplitFileReferenceRequest) -> Result<()> {
    let old = &request.old_reference;
    if !view.has_file(&old.filename) {
        return Err(Error::FileNotFound {
            filename: old.filename.clone(),
        });
    }
    let existing = view
        .live_ref(&old.filename, &old.partition_id)
        .ok_or_else(|| Error::file_reference_not_found(&old.filename, &old.partition_id))?;
    if let Some(job_id) = &existing.job_id {
        return Err(Error::FileReferenceAssignedToJob {
            filename: old.filename.clone(),
            partition_id: old.partition_id.clone(),
            job_id: job_id.clone(),
        });
    }
    for reference in &request.new_references {
        if view
            .live_ref(&reference.filename, &reference.partition_id)
            .is_some()
        {
            return Err(Error::FileReferenceAlreadyExists {
                filename: reference.filename.clone(),
                partition_id: reference.partition_id.clone(),
            });
        }
        view.put_ref(reference);
    }
    view.update_ref(&old.filename, &old.partition_id, |row| row.removed = true);
    Ok(())
}

/// Commit checks 1 to 3 for one compaction job, then its effects on the view.
fn replace_one(view: &mut View, request: &ReplaceFileReferencesRequest) -> Result<()> {
    let output = &request.new_reference.filename;
    if request.input_files.contains(output) {
        return Err(Error::NewReferenceSameAsOldReference {
            filename: output.clone(),
        });
    }
    for input in &request.input_files {
        if !view.has_file(input) {
            return Err(Error::FileNotFound {
                filename: input.clone(),
            });
        }
        let reference = view
            .live_ref(input, &request.partition_id)
            .ok_or_else(|| Error::file_reference_not_found(input, &request.partition_id))?;
        if reference.job_id.as_deref() != Some(request.job_id.as_str()) {
            return Err(Error::FileReferenceNotAssignedToJob {
                filename: input.clone(),
                partition_id: request.partition_id.clone(),
                job_id: request.job_id.clone(),
            });
        }
        view.update_ref(input, &request.partition_id, |row| row.removed = true);
    }
    if view.has_file(output) {
        return Err(Error::FileAlreadyExists {
            filename: output.clone(),
        });
    }
    view.create_file(output);
    view.put_ref(&request.new_reference);
    Ok(())
}

/// Wraps a request's specific error for the calls that report failed requests together; errors that
/// are not about a request (table gone, connection, invalid input) pass through.
fn wrap_failure(error: Error, wrap: impl FnOnce(Box<Error>) -> Error) -> Error {
    match error {
        Error::TableNotFound { .. } | Error::Connection { .. } | Error::InvalidArgument { .. } => {
            error
        }
        specific => wrap(Box::new(specific)),
    }
}

/// The text in column `i` of a row, if it has one.
fn text_at(row: &PgRow, i: usize) -> Option<&str> {
    row.try_get::<Option<&str>, _>(i).ok().flatten()
}

/// How the server orders a whole-table read of references.
#[derive(Clone, Copy)]
pub(super) enum ServerOrder {
    /// By filename then partition id.
    ByFile,
    /// As the scan finds them, for a caller that sorts them itself.
    AsFound,
}

/// The table's live references meeting `condition` (on `r`), as one binary `COPY` for `copy_table`:
/// `REFERENCE_COLUMNS`, the filename first. `COPY` takes no bound parameters, so the table's key is
/// written into the statement; an `i64` printed as a number cannot carry SQL.
pub(super) fn copy_references_sql(condition: &str, table_pk: i64, order: ServerOrder) -> String {
    let order = match order {
        ServerOrder::ByFile => "ORDER BY r.filename, r.partition_id",
        ServerOrder::AsFound => "",
    };
    format!(
        "COPY (SELECT {REFERENCE_COLUMNS} FROM {{s}}.sleeper_tables t \
         LEFT JOIN {{s}}.file_references r ON r.table_pk = t.table_pk AND NOT r.removed {condition} \
         WHERE t.table_pk = {table_pk} {order}) TO STDOUT (FORMAT binary)"
    )
}

/// A row of `copy_references_sql`'s COPY: one field per column of `REFERENCE_COLUMNS`.
pub(super) type ReferenceRow<'a> = CopyRow<'a, 7>;

/// The reference in the `REFERENCE_COLUMNS` of a COPY row, which start at field `first`.
pub(super) fn reference_from_copy<const N: usize>(
    row: &CopyRow<'_, N>,
    first: usize,
) -> Result<FileReference> {
    Ok(FileReference {
        filename: row.text(first)?.to_owned(),
        partition_id: row.text(first + 1)?.to_owned(),
        number_of_rows: u64::try_from(row.int8(first + 2)?).unwrap_or_default(),
        job_id: row.optional_text(first + 3)?.map(str::to_owned),
        last_update_time: Some(row.timestamp(first + 4)?),
        count_approximate: row.bool(first + 5)?,
        only_contains_data_for_this_partition: row.bool(first + 6)?,
    })
}

/// The reference in the `REFERENCE_COLUMNS` of a row, which start at column `first`. By position:
/// a million-row read looks up no column names.
pub(super) fn reference_from_row(row: &PgRow, first: usize) -> Result<FileReference> {
    let rows: i64 = row.try_get(first + 2)?;
    Ok(FileReference {
        filename: row.try_get(first)?,
        partition_id: row.try_get(first + 1)?,
        number_of_rows: u64::try_from(rows).unwrap_or_default(),
        job_id: row.try_get(first + 3)?,
        last_update_time: Some(row.try_get(first + 4)?),
        count_approximate: row.try_get(first + 5)?,
        only_contains_data_for_this_partition: row.try_get(first + 6)?,
    })
}
