//! An in-memory model of one Sleeper table, written from `CONTRACT.md` alone and sharing no code with
//! the store: the partitions by id and the file records by filename, each with its references by
//! partition id. Every write works on a copy of the state and keeps it only if every check passes,
//! which is the contract's all-or-nothing rule in its plainest form. Only the plain data types of the
//! crate (`FileReference`, `Partition`, ...) and its error enum are used, so that results and errors
//! compare with `==`.
#![allow(dead_code)]

pub mod snapshot;

use std::collections::BTreeMap;

use sleeper_pg::{
    AllReferencesToAFile, AllReferencesToAllFiles, AssignJobIdRequest, Error, FileReference,
    KeyValue, Partition, Range, Region, ReplaceFileReferencesRequest, SplitFileReferenceRequest,
    Timestamp,
};

/// One file record: its file-level time and its references, at most one per partition.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    pub time: Timestamp,
    pub references: BTreeMap<String, FileReference>,
}

/// The state of one table whose single row key field is `key` of type `long`.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub partitions: BTreeMap<String, Partition>,
    pub files: BTreeMap<String, ModelFile>,
}

/// An invalid-input error whose wording the contract leaves to the implementation: only its kind is
/// compared (see `same_error`).
fn invalid() -> Error {
    Error::InvalidArgument {
        message: String::new(),
    }
}

fn invalid_saying(message: &str) -> Error {
    Error::InvalidArgument {
        message: message.to_owned(),
    }
}

/// Errors are equal when they are the same value, except that an invalid-input error of the model
/// with no message matches any invalid-input error.
pub fn same_error(model: &Error, store: &Error) -> bool {
    match (model, store) {
        (Error::InvalidArgument { message }, Error::InvalidArgument { .. })
            if message.is_empty() =>
        {
            true
        }
        _ => model == store,
    }
}

fn check_text(value: &str) -> Result<(), Error> {
    if value.is_empty() || value.contains('\0') {
        return Err(invalid());
    }
    Ok(())
}

fn check_reference(reference: &FileReference) -> Result<(), Error> {
    check_text(&reference.filename)?;
    check_text(&reference.partition_id)?;
    if reference.number_of_rows > i64::MAX as u64 {
        return Err(invalid());
    }
    if let Some(job) = &reference.job_id {
        check_text(job)?;
    }
    Ok(())
}

fn stamped(reference: &FileReference, now: Timestamp) -> FileReference {
    FileReference {
        last_update_time: Some(now),
        ..reference.clone()
    }
}

fn reference_not_found(filename: &str, partition_id: &str) -> Error {
    Error::FileReferenceNotFound {
        filename: filename.to_owned(),
        partition_id: partition_id.to_owned(),
    }
}

/// The whole range of a `long` key.
pub fn whole_key() -> Range {
    Range::new("key", KeyValue::Long(i64::MIN), None)
}

pub fn root_partition() -> Partition {
    Partition::new("root", Region::new(vec![whole_key()]))
}

fn plain(message: impl Into<String>) -> Error {
    Error::StateStore {
        message: message.into(),
        cause: None,
    }
}

/// A split that fails Sleeper's `validateSplit`: the reason both in the message and as its cause.
fn split_failure(reason: String) -> Error {
    Error::StateStore {
        message: format!("Failed to validate partition split: {reason}"),
        cause: Some(Box::new(Error::InvalidArgument { message: reason })),
    }
}

impl Model {
    /// A table just created and initialised: the root partition, no files.
    pub fn initialised() -> Model {
        let mut model = Model::default();
        model.partitions.insert("root".to_owned(), root_partition());
        model
    }

    // ---- Partitions ----

    pub fn initialise(&mut self) -> Result<(), Error> {
        self.initialise_with(vec![root_partition()])
    }

    /// Replaces the tree; the caller passes only valid trees, so only the file check is modelled.
    pub fn initialise_with(&mut self, partitions: Vec<Partition>) -> Result<(), Error> {
        if !self.files.is_empty() {
            return Err(Error::InitialiseWithFilesPresent);
        }
        self.partitions = partitions.into_iter().map(|p| (p.id.clone(), p)).collect();
        Ok(())
    }

    pub fn split_partition(
        &mut self,
        split: &Partition,
        new_1: &Partition,
        new_2: &Partition,
    ) -> Result<(), Error> {
        for p in [split, new_1, new_2] {
            check_text(&p.id)?;
        }
        let stored = self
            .partitions
            .get(&split.id)
            .ok_or_else(|| Error::PartitionNotFound {
                partition_id: split.id.clone(),
                message: "Parent partition not found".to_owned(),
            })?;
        if !stored.is_leaf_partition {
            return Err(plain("Parent should be a leaf partition"));
        }
        if split.is_leaf_partition {
            return Err(plain("Parent should not be a leaf partition after split"));
        }
        if split.region != stored.region || split.parent_partition_id != stored.parent_partition_id
        {
            return Err(plain(format!(
                "Split must not change the region or parent of partition {}",
                split.id
            )));
        }
        if split.dimension != 0 {
            return Err(split_failure(format!(
                "No row key at dimension {} for parent partition {}",
                split.dimension, split.id
            )));
        }
        let range = |p: &Partition| p.region.range("key").cloned().expect("a key range");
        let (r1, r2) = (range(new_1), range(new_2));
        let (left, right) = if r1.max.is_some() && r1.max.as_ref() == Some(&r2.min) {
            (new_1, new_2)
        } else if r2.max.is_some() && r2.max.as_ref() == Some(&r1.min) {
            (new_2, new_1)
        } else {
            return Err(split_failure(format!(
                "Child partitions do not meet at a split point on dimension 0 set in parent partition {}",
                split.id
            )));
        };
        if split.child_partition_ids != [left.id.clone(), right.id.clone()] {
            return Err(split_failure(format!(
                "Child partition IDs do not match expected order in parent partition {}, expected: [{}, {}]",
                split.id, left.id, right.id
            )));
        }
        let parent_range = range(stored);
        if range(left).min != parent_range.min {
            return Err(split_failure(format!(
                "Left child partition {} does not match boundary of parent {}",
                left.id, split.id
            )));
        }
        if range(right).max != parent_range.max {
            return Err(split_failure(format!(
                "Right child partition {} does not match boundary of parent {}",
                right.id, split.id
            )));
        }
        for (child, other) in [(new_1, new_2), (new_2, new_1)] {
            if self.partitions.contains_key(&child.id) || child.id == other.id {
                return Err(plain("Child partition should not be present"));
            }
            if child.parent_partition_id.as_deref() != Some(split.id.as_str()) {
                return Err(plain(format!(
                    "Parent ID does not match on child: {}",
                    child.id
                )));
            }
            if !child.is_leaf_partition || !child.child_partition_ids.is_empty() {
                return Err(plain(format!(
                    "Child should be a leaf partition: {}",
                    child.id
                )));
            }
        }
        for p in [split, new_1, new_2] {
            self.partitions.insert(p.id.clone(), p.clone());
        }
        Ok(())
    }

    pub fn all_partitions(&self) -> Vec<Partition> {
        self.partitions.values().cloned().collect()
    }

    pub fn leaf_partitions(&self) -> Vec<Partition> {
        self.partitions
            .values()
            .filter(|p| p.is_leaf_partition)
            .cloned()
            .collect()
    }

    pub fn partition(&self, id: &str) -> Result<Partition, Error> {
        check_text(id)?;
        self.partitions
            .get(id)
            .cloned()
            .ok_or_else(|| Error::PartitionNotFound {
                partition_id: id.to_owned(),
                message: format!("Partition not found: {id}"),
            })
    }

    pub fn clear_partitions(&mut self) {
        self.partitions.clear();
    }

    // ---- Files ----

    pub fn add_files(&mut self, references: &[FileReference], now: Timestamp) -> Result<(), Error> {
        for reference in references {
            check_reference(reference)?;
        }
        let mut files: Vec<AllReferencesToAFile> = Vec::new();
        for reference in references {
            match files.iter_mut().find(|f| f.filename == reference.filename) {
                Some(file) => file.references.push(reference.clone()),
                None => files.push(AllReferencesToAFile::new(
                    reference.filename.clone(),
                    vec![reference.clone()],
                )),
            }
        }
        self.add_files_with_references(&files, now)
    }

    pub fn add_files_with_references(
        &mut self,
        files: &[AllReferencesToAFile],
        now: Timestamp,
    ) -> Result<(), Error> {
        for file in files {
            check_text(&file.filename)?;
            for reference in &file.references {
                check_reference(reference)?;
                if reference.filename != file.filename {
                    return Err(invalid());
                }
            }
        }
        let mut next = self.files.clone();
        for file in files {
            if next.contains_key(&file.filename) {
                return Err(Error::FileAlreadyExists {
                    filename: file.filename.clone(),
                });
            }
            let mut record = ModelFile {
                time: now,
                references: BTreeMap::new(),
            };
            for reference in &file.references {
                if record.references.contains_key(&reference.partition_id) {
                    return Err(Error::FileReferenceAlreadyExists {
                        filename: file.filename.clone(),
                        partition_id: reference.partition_id.clone(),
                    });
                }
                record
                    .references
                    .insert(reference.partition_id.clone(), stamped(reference, now));
            }
            next.insert(file.filename.clone(), record);
        }
        self.files = next;
        Ok(())
    }

    pub fn split_file_references(
        &mut self,
        requests: &[SplitFileReferenceRequest],
        now: Timestamp,
    ) -> Result<(), Error> {
        for request in requests {
            check_reference(&request.old_reference)?;
            if request.new_references.is_empty() {
                return Err(invalid_saying("newReferences must not be empty"));
            }
            for reference in &request.new_references {
                check_reference(reference)?;
                if reference.filename != request.old_reference.filename {
                    return Err(invalid());
                }
            }
        }
        let mut next = self.files.clone();
        let outcome = requests.iter().try_for_each(|request| {
            let old = &request.old_reference;
            let file = next
                .get_mut(&old.filename)
                .ok_or_else(|| Error::FileNotFound {
                    filename: old.filename.clone(),
                })?;
            let existing = file
                .references
                .get(&old.partition_id)
                .ok_or_else(|| reference_not_found(&old.filename, &old.partition_id))?;
            if let Some(job) = &existing.job_id {
                return Err(Error::FileReferenceAssignedToJob {
                    filename: old.filename.clone(),
                    partition_id: old.partition_id.clone(),
                    job_id: job.clone(),
                });
            }
            for reference in &request.new_references {
                if file.references.contains_key(&reference.partition_id) {
                    return Err(Error::FileReferenceAlreadyExists {
                        filename: reference.filename.clone(),
                        partition_id: reference.partition_id.clone(),
                    });
                }
                file.references
                    .insert(reference.partition_id.clone(), stamped(reference, now));
            }
            file.references.remove(&old.partition_id);
            file.time = now;
            Ok(())
        });
        match outcome {
            Ok(()) => {
                self.files = next;
                Ok(())
            }
            Err(cause) => Err(Error::SplitRequestsFailed {
                failed: requests.to_vec(),
                cause: Box::new(cause),
            }),
        }
    }

    pub fn assign_job_ids(
        &mut self,
        requests: &[AssignJobIdRequest],
        now: Timestamp,
    ) -> Result<(), Error> {
        for request in requests {
            check_text(&request.job_id)?;
            check_text(&request.partition_id)?;
            for filename in &request.filenames {
                check_text(filename)?;
            }
        }
        let mut next = self.files.clone();
        for request in requests {
            for filename in &request.filenames {
                let file = next
                    .get_mut(filename)
                    .filter(|f| f.references.contains_key(&request.partition_id))
                    .ok_or_else(|| reference_not_found(filename, &request.partition_id))?;
                let reference = file
                    .references
                    .get_mut(&request.partition_id)
                    .expect("checked above");
                if let Some(job) = &reference.job_id {
                    return Err(Error::FileReferenceAssignedToJob {
                        filename: filename.clone(),
                        partition_id: request.partition_id.clone(),
                        job_id: job.clone(),
                    });
                }
                reference.job_id = Some(request.job_id.clone());
                reference.last_update_time = Some(now);
                file.time = now;
            }
        }
        self.files = next;
        Ok(())
    }

    pub fn replace_file_references(
        &mut self,
        requests: &[ReplaceFileReferencesRequest],
        now: Timestamp,
    ) -> Result<(), Error> {
        for request in requests {
            check_text(&request.job_id)?;
            check_text(&request.partition_id)?;
            for filename in &request.input_files {
                check_text(filename)?;
            }
            check_reference(&request.new_reference)?;
        }
        let mut next = self.files.clone();
        let outcome = requests.iter().try_for_each(|request| {
            let output = &request.new_reference.filename;
            if request.input_files.contains(output) {
                return Err(Error::NewReferenceSameAsOldReference {
                    filename: output.clone(),
                });
            }
            for input in &request.input_files {
                let file = next.get_mut(input).ok_or_else(|| Error::FileNotFound {
                    filename: input.clone(),
                })?;
                let reference = file
                    .references
                    .get(&request.partition_id)
                    .ok_or_else(|| reference_not_found(input, &request.partition_id))?;
                if reference.job_id.as_deref() != Some(request.job_id.as_str()) {
                    return Err(Error::FileReferenceNotAssignedToJob {
                        filename: input.clone(),
                        partition_id: request.partition_id.clone(),
                        job_id: request.job_id.clone(),
                    });
                }
                file.references.remove(&request.partition_id);
                file.time = now;
            }
            if next.contains_key(output) {
                return Err(Error::FileAlreadyExists {
                    filename: output.clone(),
                });
            }
            let reference = stamped(&request.new_reference, now);
            next.insert(
                output.clone(),
                ModelFile {
                    time: now,
                    references: BTreeMap::from([(reference.partition_id.clone(), reference)]),
                },
            );
            Ok(())
        });
        match outcome {
            Ok(()) => {
                self.files = next;
                Ok(())
            }
            Err(cause) => Err(Error::ReplaceRequestsFailed {
                failed: requests.to_vec(),
                cause: Box::new(cause),
            }),
        }
    }

    pub fn delete_gc_files(&mut self, filenames: &[String]) -> Result<(), Error> {
        for filename in filenames {
            check_text(filename)?;
        }
        let mut next = self.files.clone();
        for filename in filenames {
            match next.get(filename) {
                None => {
                    return Err(Error::FileNotFound {
                        filename: filename.clone(),
                    })
                }
                Some(file) if !file.references.is_empty() => {
                    return Err(Error::FileHasReferences {
                        filename: filename.clone(),
                        reference_count: file.references.len() as u64,
                    })
                }
                Some(_) => {
                    next.remove(filename);
                }
            }
        }
        self.files = next;
        Ok(())
    }

    pub fn clear_files(&mut self) {
        self.files.clear();
    }

    // ---- Queries ----

    pub fn file_references(&self) -> Vec<FileReference> {
        self.files
            .values()
            .flat_map(|f| f.references.values().cloned())
            .collect()
    }

    pub fn file_references_with_no_job(&self) -> Vec<FileReference> {
        self.file_references()
            .into_iter()
            .filter(|r| r.job_id.is_none())
            .collect()
    }

    pub fn partition_to_files(&self) -> BTreeMap<String, Vec<String>> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (filename, file) in &self.files {
            for partition_id in file.references.keys() {
                map.entry(partition_id.clone())
                    .or_default()
                    .push(filename.clone());
            }
        }
        map
    }

    pub fn report(&self, max_unreferenced: u64) -> Result<AllReferencesToAllFiles, Error> {
        if max_unreferenced > i32::MAX as u64 {
            return Err(invalid());
        }
        let mut report = AllReferencesToAllFiles::default();
        let mut unreferenced = 0;
        for (filename, file) in &self.files {
            if file.references.is_empty() {
                unreferenced += 1;
                if unreferenced > max_unreferenced {
                    report.more_than_max = true;
                    continue;
                }
            }
            report.files.push(AllReferencesToAFile {
                filename: filename.clone(),
                references: file.references.values().cloned().collect(),
                last_update_time: Some(file.time),
            });
        }
        Ok(report)
    }

    pub fn has_no_files(&self) -> bool {
        self.files.is_empty()
    }

    pub fn ready_for_gc_before(&self, cutoff: Timestamp) -> Vec<String> {
        let cutoff = chrono::DateTime::from_timestamp_millis(cutoff.timestamp_millis()).unwrap();
        self.files
            .iter()
            .filter(|(_, f)| f.references.is_empty() && f.time < cutoff)
            .map(|(name, _)| name.clone())
            .collect()
    }

    pub fn is_partition_files_assigned_to_job(
        &self,
        partition_id: &str,
        filenames: &[String],
        job_id: &str,
    ) -> Result<bool, Error> {
        check_text(partition_id)?;
        for filename in filenames {
            check_text(filename)?;
        }
        check_text(job_id)?;
        let mut all = true;
        for filename in filenames {
            let reference = self
                .files
                .get(filename)
                .and_then(|f| f.references.get(partition_id))
                .ok_or_else(|| reference_not_found(filename, partition_id))?;
            match &reference.job_id {
                Some(other) if other != job_id => {
                    return Err(Error::FileReferenceAssignedToJob {
                        filename: filename.clone(),
                        partition_id: partition_id.to_owned(),
                        job_id: other.clone(),
                    })
                }
                Some(_) => {}
                None => all = false,
            }
        }
        Ok(all)
    }
}

/// Replaces the section `name` of `docs/reliability.md` (between `<!-- name:begin -->` and
/// `<!-- name:end -->`) with `body`, creating the file or the section as needed. The long runs write
/// their figures there.
pub fn write_reliability_section(name: &str, body: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/reliability.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        "# Reliability: long runs\n\nWritten by the long runs of the reliability tests \
         (`SLEEPER_PG_SOAK=1`, see `core/tests/invariants.rs` and `core/tests/model_check.rs`).\n"
            .to_owned()
    });
    let (begin, end) = (
        format!("<!-- {name}:begin -->"),
        format!("<!-- {name}:end -->"),
    );
    let section = format!("{begin}\n{}\n{end}", body.trim_end());
    let text = match (text.find(&begin), text.find(&end)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{section}{}", &text[..b], &text[e + end.len()..])
        }
        _ => format!("{}\n{section}\n", text.trim_end()),
    };
    std::fs::write(&path, text).expect("write docs/reliability.md");
}
