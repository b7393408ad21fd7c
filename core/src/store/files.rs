//! Files and their references (`CONTRACT.md` 3.4 to 3.9).
//!
//! Every write follows one pattern: lock and load the rows the call touches (one statement), check
//! the requests in order against an in-memory view of those rows that each request updates (so each
//! check sees the effects of the ones before it), then write the view's net changes (one statement).
//! See `docs/design.md` for why no two calls on disjoint references touch a common row.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::StateStore;
use crate::client::Failure;
use crate::error::{Error, Result};
use crate::model::{
    AllReferencesToAFile, AllReferencesToAllFiles, AssignJobIdRequest, CheckFileAssignmentsRequest,
    FileReference, ReplaceFileReferencesRequest, SplitFileReferenceRequest, Timestamp,
};
use crate::transaction::{CommitMode, TransactionFailure};
use crate::validate;

/// Loads the file records named in `$4` and the reference rows (live or removed) at the pairs of `$2`
/// and `$3`, locking the reference rows (and the file rows with `{file_lock}`) in the arrays' order,
/// which the caller sorts. File rows come first, as `partition_id` NULL.
///
/// Every key is looked up on its own through a LATERAL subquery (`OFFSET 0` keeps the planner from
/// flattening it): planned as a join, a table whose statistics are stale (a new table, growing fast)
/// would be scanned whole for each call.
const LOAD: &str = "WITH found_files AS ( \
         SELECT f.filename FROM unnest($4::text[]) WITH ORDINALITY AS n(filename, ord) \
         CROSS JOIN LATERAL ( \
             SELECT f.filename FROM {s}.files f WHERE f.table_pk = $1 AND f.filename = n.filename \
             OFFSET 0 {file_lock} \
         ) f \
     ), found_refs AS ( \
         SELECT r.* FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS w(filename, partition_id, ord) \
         CROSS JOIN LATERAL ( \
             SELECT r.filename, r.partition_id, r.number_of_rows, r.job_id, r.count_approximate, \
                    r.only_this_partition, r.removed \
             FROM {s}.file_references r \
             WHERE r.table_pk = $1 AND r.filename = w.filename AND r.partition_id = w.partition_id \
             OFFSET 0 FOR UPDATE \
         ) r \
     ) \
     SELECT filename, NULL::text AS partition_id, NULL::bigint AS number_of_rows, NULL::text AS job_id, \
            NULL::bool AS count_approximate, NULL::bool AS only_this_partition, NULL::bool AS removed \
     FROM found_files \
     UNION ALL SELECT * FROM found_refs";

/// Writes a call's net changes: new file records, the final state of every changed reference row
/// that exists (`$4`..`$10`), and the new reference rows (`$11`..`$17`), all with the call's time and
/// transaction id. Plain UPDATE and INSERT rather than an upsert: the call knows which rows exist. The
/// rows to update are found key by key, as in `LOAD`, then updated by their row id.
const APPLY: &str = "WITH now_ AS ( \
         SELECT COALESCE($2::timestamptz, date_trunc('milliseconds', now())) AS at, \
                pg_current_xact_id()::text::bigint AS seq \
     ), new_files AS ( \
         INSERT INTO {s}.files (table_pk, filename, created_at, created_seq) \
         SELECT $1, f.filename, now_.at, now_.seq FROM unnest($3::text[]) AS f(filename), now_ \
     ), changed AS ( \
         UPDATE {s}.file_references r SET number_of_rows = x.number_of_rows, job_id = x.job_id, \
             count_approximate = x.count_approximate, only_this_partition = x.only_this_partition, \
             removed = x.removed, updated_at = now_.at, update_seq = now_.seq \
         FROM ( \
             SELECT x.*, found.row_id \
             FROM unnest($4::text[], $5::text[], $6::bigint[], $7::text[], $8::bool[], $9::bool[], $10::bool[]) \
                  AS x(filename, partition_id, number_of_rows, job_id, count_approximate, only_this_partition, removed) \
             CROSS JOIN LATERAL ( \
                 SELECT k.ctid AS row_id FROM {s}.file_references k \
                 WHERE k.table_pk = $1 AND k.filename = x.filename AND k.partition_id = x.partition_id OFFSET 0 \
             ) found \
         ) x, now_ \
         WHERE r.ctid = x.row_id \
     ) \
     INSERT INTO {s}.file_references (table_pk, filename, partition_id, number_of_rows, job_id, \
         count_approximate, only_this_partition, removed, updated_at, update_seq) \
     SELECT $1, y.filename, y.partition_id, y.number_of_rows, y.job_id, y.count_approximate, \
            y.only_this_partition, y.removed, now_.at, now_.seq \
     FROM unnest($11::text[], $12::text[], $13::bigint[], $14::text[], $15::bool[], $16::bool[], $17::bool[]) \
          AS y(filename, partition_id, number_of_rows, job_id, count_approximate, only_this_partition, removed), \
          now_";

const REFERENCE_COLUMNS: &str =
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

/// What a call needs loaded: file records to look up and (file, partition) reference rows to lock.
#[derive(Default)]
struct Wanted {
    files: Vec<String>,
    refs: Vec<RefKey>,
    /// Lock the file rows too: a split adds references to an existing file, which must not race
    /// another split or a garbage collector's delete of the same file.
    lock_files: bool,
}

impl Wanted {
    /// Sorted and without repeats: every call locks rows in key order (byte order, which is the
    /// columns' `COLLATE "C"` order), so that lock waits cannot form a cycle.
    fn in_key_order(mut self) -> Wanted {
        self.files.sort_unstable();
        self.files.dedup();
        self.refs.sort_unstable();
        self.refs.dedup();
        self
    }
}

/// The loaded rows with the call's changes applied in order.
struct View {
    files: HashSet<String>,
    refs: HashMap<RefKey, RefRow>,
    /// The keys of the rows loaded from the database: changes to them are updates, others inserts.
    stored: HashSet<RefKey>,
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
    fn from_rows(rows: &[PgRow]) -> Result<View> {
        let mut view = View {
            files: HashSet::new(),
            refs: HashMap::new(),
            stored: HashSet::new(),
            created_files: Vec::new(),
            changed_refs: Vec::new(),
            changed: HashSet::new(),
            undo: Vec::new(),
        };
        for row in rows {
            let filename: String = row.try_get("filename")?;
            match row.try_get::<Option<String>, _>("partition_id")? {
                None => {
                    view.files.insert(filename);
                }
                Some(partition_id) => {
                    let stored = RefRow {
                        number_of_rows: row.try_get("number_of_rows")?,
                        job_id: row.try_get("job_id")?,
                        count_approximate: row.try_get("count_approximate")?,
                        only_this_partition: row.try_get("only_this_partition")?,
                        removed: row.try_get("removed")?,
                    };
                    view.stored.insert((filename.clone(), partition_id.clone()));
                    view.refs.insert((filename, partition_id), stored);
                }
            }
        }
        Ok(view)
    }

    fn has_file(&self, filename: &str) -> bool {
        self.files.contains(filename)
    }

    fn live_ref(&self, filename: &str, partition_id: &str) -> Option<&RefRow> {
        self.refs
            .get(&key(filename, partition_id))
            .filter(|r| !r.removed)
    }

    fn create_file(&mut self, filename: &str) {
        self.files.insert(filename.to_owned());
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
    /// Loads what `wanted` names, locking the reference rows (and the file rows if asked).
    async fn load(&self, tx: &mut PgConnection, wanted: &Wanted) -> Result<View, Failure> {
        let file_lock = if wanted.lock_files {
            "FOR UPDATE OF f"
        } else {
            ""
        };
        let sql = self.sql(&LOAD.replace("{file_lock}", file_lock));
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
            .fetch_all(&mut *tx)
            .await?;
        Ok(View::from_rows(&rows)?)
    }

    /// Writes the view's changes with this handle's clock.
    async fn apply(&self, tx: &mut PgConnection, view: &View) -> Result<(), Failure> {
        if view.created_files.is_empty() && view.changed_refs.is_empty() {
            return Ok(());
        }
        let (updates, inserts): (Vec<RowRef>, Vec<RowRef>) = view
            .changed_refs
            .iter()
            .filter_map(|key| view.refs.get(key).map(|row| (key, row)))
            .partition(|(key, _)| view.stored.contains(*key));
        let sql = self.sql(APPLY);
        let query = self
            .query(&sql)
            .bind(self.inner.table_pk)
            .bind(self.file_clock())
            .bind(&view.created_files);
        bind_rows(bind_rows(query, &updates), &inserts)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// The pattern of every file write: load `wanted`, let `check` apply the requests to the view in
    /// order, then write the view.
    async fn change_files<T>(
        &self,
        wanted: Wanted,
        check: impl Fn(&mut View) -> Result<T>,
    ) -> Result<T> {
        let wanted = wanted.in_key_order();
        in_transaction!(self, false, tx => {
            let mut view = self.load(tx, &wanted).await?;
            let checked = check(&mut view)?;
            self.apply(tx, &view).await?;
            checked
        })
    }

    /// Exactly `add_files(&[reference])`.
    pub async fn add_file(&self, reference: &FileReference) -> Result<()> {
        self.add_files(std::slice::from_ref(reference)).await
    }

    /// Adds new files from their references, grouped by filename in order of first appearance.
    pub async fn add_files(&self, references: &[FileReference]) -> Result<()> {
        validate::all(references, FileReference::validate)?;
        let mut files: Vec<AllReferencesToAFile> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for reference in references {
            let i = *index.entry(reference.filename.as_str()).or_insert_with(|| {
                files.push(AllReferencesToAFile::new(
                    reference.filename.clone(),
                    Vec::new(),
                ));
                files.len() - 1
            });
            files[i].references.push(reference.clone());
        }
        self.add_files_with_references(&files).await
    }

    /// Adds new files, each with zero or more references.
    pub async fn add_files_with_references(&self, files: &[AllReferencesToAFile]) -> Result<()> {
        self.add_file_groups(files, CommitMode::Synchronous)
            .await
            .map(drop)
    }

    /// Adds new files. Synchronous: the first file that cannot be added fails the call. Asynchronous
    /// (Sleeper's ADD_FILES apply): that file's failure is reported and none of the files is added.
    pub(crate) async fn add_file_groups(
        &self,
        files: &[AllReferencesToAFile],
        mode: CommitMode,
    ) -> Result<Vec<TransactionFailure>> {
        validate::all(files, AllReferencesToAFile::validate)?;
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let wanted = Wanted {
            files: files.iter().map(|f| f.filename.clone()).collect(),
            ..Wanted::default()
        };
        let failures = self
            .change_files(wanted, |view| {
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
            })
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
        validate::all(requests, SplitFileReferenceRequest::validate)?;
        if requests.is_empty() {
            return Ok(());
        }
        let mut wanted = Wanted {
            lock_files: true,
            ..Wanted::default()
        };
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
        self.change_files(wanted, |view| {
            requests
                .iter()
                .try_for_each(|request| split_one(view, request))
        })
        .await
        .map_err(|cause| {
            wrap_failure(cause, |cause| Error::SplitRequestsFailed {
                failed: requests.to_vec(),
                cause,
            })
        })
    }

    /// Assigns each request's job to the named files' references on its partition.
    pub async fn assign_job_ids(&self, requests: &[AssignJobIdRequest]) -> Result<()> {
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
        self.change_files(wanted, |view| {
            for request in &requests {
                for filename in &request.filenames {
                    let reference =
                        view.live_ref(filename, &request.partition_id)
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
        })
        .await
    }

    /// Commits compaction jobs: each removes its inputs' references on its partition and adds its
    /// output file.
    pub async fn atomically_replace_file_references_with_new_ones(
        &self,
        requests: &[ReplaceFileReferencesRequest],
    ) -> Result<()> {
        self.replace_jobs(requests, CommitMode::Synchronous)
            .await
            .map(drop)
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
        self.change_files(wanted, |view| match mode {
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
        })
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
        validate::all(filenames, |f| validate::id("filename", f))?;
        if filenames.is_empty() {
            return Ok(());
        }
        // Locking the file rows holds off a concurrent split, the only call that could add a
        // reference to an existing file; other calls only remove or change references.
        // Key by key, in key order, as in LOAD.
        let select = self.sql(
            "SELECT f.filename, (SELECT count(*) FROM {s}.file_references r \
                 WHERE r.table_pk = $1 AND r.filename = f.filename AND NOT r.removed) AS live \
             FROM unnest($2::text[]) WITH ORDINALITY AS n(filename, ord) \
             CROSS JOIN LATERAL ( \
                 SELECT f.filename FROM {s}.files f WHERE f.table_pk = $1 AND f.filename = n.filename \
                 OFFSET 0 FOR UPDATE \
             ) f",
        );
        let delete = self.sql(
            "WITH refs AS ( \
                 DELETE FROM {s}.file_references r USING ( \
                     SELECT k.ctid AS row_id FROM unnest($2::text[]) AS n(filename) \
                     CROSS JOIN LATERAL ( \
                         SELECT k.ctid FROM {s}.file_references k \
                         WHERE k.table_pk = $1 AND k.filename = n.filename OFFSET 0 \
                     ) k \
                 ) d WHERE r.ctid = d.row_id \
             ) \
             DELETE FROM {s}.files f USING ( \
                 SELECT k.ctid AS row_id FROM unnest($2::text[]) AS n(filename) \
                 CROSS JOIN LATERAL ( \
                     SELECT k.ctid FROM {s}.files k WHERE k.table_pk = $1 AND k.filename = n.filename OFFSET 0 \
                 ) k \
             ) d WHERE f.ctid = d.row_id",
        );
        let mut in_key_order = filenames.to_vec();
        in_key_order.sort_unstable();
        in_key_order.dedup();
        let table_pk = self.inner.table_pk;
        in_transaction!(self, false, tx => {
            let rows = self.query(&select).bind(table_pk).bind(&in_key_order).fetch_all(&mut *tx).await?;
            let mut live: HashMap<String, i64> = HashMap::with_capacity(rows.len());
            for row in &rows {
                live.insert(row.try_get("filename")?, row.try_get("live")?);
            }
            for filename in filenames {
                match live.remove(filename) {
                    None => Err(Error::FileNotFound { filename: filename.clone() })?,
                    Some(count) if count > 0 => Err(Error::FileHasReferences {
                        filename: filename.clone(),
                        reference_count: u64::try_from(count).unwrap_or_default(),
                    })?,
                    Some(_) => {}
                }
            }
            self.query(&delete).bind(table_pk).bind(&in_key_order).execute(&mut *tx).await?;
        })
    }

    /// Every reference of every file, by filename then partition id.
    pub async fn get_file_references(&self) -> Result<Vec<FileReference>> {
        self.select_references("").await
    }

    /// The references with no job, by filename then partition id.
    pub async fn get_file_references_with_no_job_id(&self) -> Result<Vec<FileReference>> {
        self.select_references("AND r.job_id IS NULL").await
    }

    async fn select_references(&self, condition: &str) -> Result<Vec<FileReference>> {
        let sql = self.sql(&format!(
            "SELECT {REFERENCE_COLUMNS} FROM {{s}}.sleeper_tables t \
             LEFT JOIN {{s}}.file_references r ON r.table_pk = t.table_pk AND NOT r.removed {condition} \
             WHERE t.table_pk = $1 ORDER BY r.filename, r.partition_id"
        ));
        self.query_table(&sql, 0, |q| q, |row| reference_from_row(row, 0))
            .await
    }

    /// Each partition with references, to the filenames referenced on it; keys and lists sorted.
    pub async fn get_partition_to_referenced_files_map(
        &self,
    ) -> Result<BTreeMap<String, Vec<String>>> {
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
    }

    /// The files with no references whose last update is strictly before `max_update_time`.
    pub async fn get_ready_for_gc_filenames_before(
        &self,
        max_update_time: Timestamp,
    ) -> Result<Vec<String>> {
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
    }

    /// Every referenced file with its references and time, and the first `max_unreferenced_files`
    /// unreferenced ones by filename; `more_than_max` tells whether any were left out.
    pub async fn get_all_files_with_max_unreferenced(
        &self,
        max_unreferenced_files: u64,
    ) -> Result<AllReferencesToAllFiles> {
        validate::max_unreferenced_files(max_unreferenced_files)?;
        // Two ordered scans in one snapshot, merged here: a join of the two tables could be planned
        // badly while the table's statistics are stale, and each scan follows its primary key.
        let files_sql = self.sql(
            "SELECT f.filename, f.created_at, f.created_seq FROM {s}.files f \
             WHERE f.table_pk = $1 ORDER BY f.filename",
        );
        let references_sql = self.sql(&format!(
            "SELECT r.removed, r.update_seq, {REFERENCE_COLUMNS} FROM {{s}}.file_references r \
             WHERE r.table_pk = $1 ORDER BY r.filename, r.partition_id"
        ));
        let (files, rows) = self.read_snapshot(&files_sql, &references_sql).await?;
        let mut report = AllReferencesToAllFiles::default();
        let mut unreferenced = 0_u64;
        let mut rows = rows.iter().peekable();
        for file in &files {
            let filename: String = file.try_get("filename")?;
            let mut latest: (i64, Timestamp) =
                (file.try_get("created_seq")?, file.try_get("created_at")?);
            let mut references = Vec::new();
            while let Some(row) = rows.next_if(|row| {
                row.try_get::<&str, _>("filename")
                    .is_ok_and(|f| f <= filename.as_str())
            }) {
                if row.try_get::<&str, _>("filename")? != filename {
                    continue; // a reference without a file record: not part of any file
                }
                let seq: i64 = row.try_get("update_seq")?;
                if seq > latest.0 {
                    latest = (seq, row.try_get("updated_at")?);
                }
                if !row.try_get::<bool, _>("removed")? {
                    references.push(reference_from_row(row, 2)?);
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
    }

    /// True iff the table has no file record at all, referenced or not.
    pub async fn has_no_files(&self) -> Result<bool> {
        let sql = self.sql(
            "SELECT f.filename FROM {s}.sleeper_tables t LEFT JOIN LATERAL ( \
                 SELECT f.filename FROM {s}.files f WHERE f.table_pk = t.table_pk LIMIT 1 \
             ) f ON true WHERE t.table_pk = $1",
        );
        let any_file = self.query_table(&sql, 0, |q| q, |_| Ok(())).await?;
        Ok(any_file.is_empty())
    }

    /// True iff every named file's reference on the partition has `job_id`; an error for a missing
    /// reference or one with another job, met in filename order.
    pub async fn is_partition_files_assigned_to_job(
        &self,
        partition_id: &str,
        filenames: &[String],
        job_id: &str,
    ) -> Result<bool> {
        self.is_assigned(&[CheckFileAssignmentsRequest::new(
            job_id,
            filenames.to_vec(),
            partition_id,
        )])
        .await
    }

    /// Sleeper's `isAssigned`: true iff every named reference of every request has the request's
    /// job. Walking the requests and their filenames in order, a missing reference raises
    /// `FileReferenceNotFound` and one with another job `FileReferenceAssignedToJob`; one with no job
    /// makes the answer false. One snapshot.
    pub async fn is_assigned(&self, requests: &[CheckFileAssignmentsRequest]) -> Result<bool> {
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
                    None => return Err(Error::file_reference_not_found(filename, partition_id)),
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
    }

    /// Removes every file record and reference of the table; partitions stay.
    pub async fn clear_file_data(&self) -> Result<()> {
        self.clear(false).await
    }

    /// Removes every file and partition of the table; it needs `initialise` again.
    pub async fn clear_sleeper_table(&self) -> Result<()> {
        self.clear(true).await
    }

    async fn clear(&self, partitions_too: bool) -> Result<()> {
        let partitions = if partitions_too {
            ", parts AS (DELETE FROM {s}.partitions WHERE table_pk = $1)"
        } else {
            ""
        };
        let sql = self.sql(&format!(
            "WITH refs AS (DELETE FROM {{s}}.file_references WHERE table_pk = $1){partitions} \
             DELETE FROM {{s}}.files WHERE table_pk = $1"
        ));
        let table_pk = self.inner.table_pk;
        in_transaction!(self, true, tx => {
            self.query(&sql).bind(table_pk).execute(&mut *tx).await?;
        })
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

/// Add checks 1 and 2 for one file, then its effects on the view.
fn add_one(view: &mut View, file: &AllReferencesToAFile) -> Result<()> {
    if view.has_file(&file.filename) {
        return Err(Error::FileAlreadyExists {
            filename: file.filename.clone(),
        });
    }
    view.create_file(&file.filename);
    for reference in &file.references {
        if view
            .live_ref(&file.filename, &reference.partition_id)
            .is_some()
        {
            return Err(Error::FileReferenceAlreadyExists {
                filename: file.filename.clone(),
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

/// The reference in the `REFERENCE_COLUMNS` of a row, which start at column `first`. By position:
/// a million-row read looks up no column names.
fn reference_from_row(row: &PgRow, first: usize) -> Result<FileReference> {
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
