//! The one error type of the store. Each variant is one [`ErrorKind`]: one of Sleeper's state store
//! exceptions (named in `CONTRACT.md` 2.12) with its named fields, or `InvalidArgument`, which the
//! bindings turn into their language's own error for bad input (Python `ValueError`, Java
//! `IllegalArgumentException`, C `SPG_INVALID_ARGUMENT`). The bindings translate the kind, its
//! [`fields`](Error::fields) and its [`cause`](Error::cause) generically, so a new field or kind is
//! added here once.

use std::sync::Arc;

use crate::model::{ReplaceFileReferencesRequest, SplitFileReferenceRequest};

/// The result of every call of the store.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Messages are Sleeper's, word for word, so that callers who match on them keep working.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file added, or a compaction's output, already has a file record.
    #[error("File already exists: {filename}")]
    FileAlreadyExists {
        /// The file.
        filename: String,
    },

    /// A file named by a split, commit or delete has no file record.
    #[error("File not found: {filename}")]
    FileNotFound {
        /// The file.
        filename: String,
    },

    /// The file has no reference on the partition.
    #[error("File reference not found in partition {partition_id}, filename {filename}")]
    FileReferenceNotFound {
        /// The file.
        filename: String,
        /// The partition it has no reference on.
        partition_id: String,
    },

    /// The file already has a reference on the partition.
    #[error("Reference to file already exists in partition {partition_id}, filename {filename}")]
    FileReferenceAlreadyExists {
        /// The file.
        filename: String,
        /// The partition it already has a reference on.
        partition_id: String,
    },

    /// The reference is assigned to a job already.
    #[error("Reference to file is already assigned to job {job_id}, in partition {partition_id}, filename {filename}")]
    FileReferenceAssignedToJob {
        /// The file.
        filename: String,
        /// The partition of the reference.
        partition_id: String,
        /// The job the reference already has.
        job_id: String,
    },

    /// A compaction input's reference is not assigned to the committing job.
    #[error("Reference to file is not assigned to job {job_id}, in partition {partition_id}, filename {filename}")]
    FileReferenceNotAssignedToJob {
        /// The file.
        filename: String,
        /// The partition of the reference.
        partition_id: String,
        /// The job of the request that expected the reference.
        job_id: String,
    },

    /// A compaction's output has the name of one of its inputs.
    #[error("New file has the same filename as a file being removed: {filename}")]
    NewReferenceSameAsOldReference {
        /// The file.
        filename: String,
    },

    /// A garbage-collected file still has references.
    #[error("Cannot remove file as it still has references, filename {filename}, {reference_count} references")]
    FileHasReferences {
        /// The file.
        filename: String,
        /// How many references it has.
        reference_count: u64,
    },

    /// Every request of the call failed together; `cause` is the first request's specific error.
    /// Nothing of the call was applied, so there are never successful requests.
    #[error("{} split requests failed to update the state store", failed.len())]
    SplitRequestsFailed {
        /// Every request of the call, in the order given.
        failed: Vec<SplitFileReferenceRequest>,
        /// The specific error of the first request that failed.
        #[source]
        cause: Box<Error>,
    },

    /// As `SplitRequestsFailed`, for compaction commits.
    #[error("{} replace file reference requests failed to update the state store", failed.len())]
    ReplaceRequestsFailed {
        /// Every request of the call, in the order given.
        failed: Vec<ReplaceFileReferencesRequest>,
        /// The specific error of the first request that failed.
        #[source]
        cause: Box<Error>,
    },

    /// `initialise` while the table has files.
    #[error("Cannot initialise state store when files are present")]
    InitialiseWithFilesPresent,

    /// "Partition not found: ID" from a lookup, "Parent partition not found" from a split.
    #[error("{message}")]
    PartitionNotFound {
        /// The partition.
        partition_id: String,
        /// Sleeper's message, which differs between the two cases.
        message: String,
    },

    /// The table does not exist, or was deleted.
    #[error("Table not found with ID \"{table_id}\"")]
    TableNotFound {
        /// The table.
        table_id: String,
    },

    /// A table with the id exists already.
    #[error("Table already exists: {table_id}")]
    TableAlreadyExists {
        /// The table.
        table_id: String,
    },

    /// The database could not be reached, answered unexpectedly, or conflicts outlasted the retry
    /// budget. `source` is the driver's error, when there was one.
    #[error("{message}")]
    Connection {
        /// What happened, with no password in it.
        message: String,
        /// The database's SQLSTATE code, when it answered with an error.
        sqlstate: Option<String>,
        /// The driver's error.
        #[source]
        source: Option<DriverError>,
    },

    /// A plain `StateStoreException`: a partition tree or a split failed validation. `cause` is the
    /// reason when Sleeper reports one separately (an `IllegalArgumentException` in Java): "Update
    /// results in invalid partition tree" is caused by what is wrong with the tree.
    #[error("{message}")]
    StateStore {
        /// Sleeper's message.
        message: String,
        /// The reason, as invalid input.
        #[source]
        cause: Option<Box<Error>>,
    },

    /// Input that breaks `CONTRACT.md` section 8; nothing reached the database.
    #[error("{message}")]
    InvalidArgument {
        /// What is wrong with the input.
        message: String,
    },
}

/// What kind of error an [`Error`] is: one of Sleeper's state store exceptions, or invalid input.
/// Every language maps the kind, and nothing else, to its own error type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `FileAlreadyExistsException`.
    FileAlreadyExists,
    /// `FileNotFoundException`.
    FileNotFound,
    /// `FileReferenceNotFoundException`.
    FileReferenceNotFound,
    /// `FileReferenceAlreadyExistsException`.
    FileReferenceAlreadyExists,
    /// `FileReferenceAssignedToJobException`.
    FileReferenceAssignedToJob,
    /// `FileReferenceNotAssignedToJobException`.
    FileReferenceNotAssignedToJob,
    /// `NewReferenceSameAsOldReferenceException`.
    NewReferenceSameAsOldReference,
    /// `FileHasReferencesException`.
    FileHasReferences,
    /// `SplitRequestsFailedException`.
    SplitRequestsFailed,
    /// `ReplaceRequestsFailedException`.
    ReplaceRequestsFailed,
    /// `InitialiseWithFilesPresentException`.
    InitialiseWithFilesPresent,
    /// `PartitionNotFoundException`.
    PartitionNotFound,
    /// `TableNotFoundException`.
    TableNotFound,
    /// `TableAlreadyExistsException`.
    TableAlreadyExists,
    /// `StateStoreConnectionException`.
    Connection,
    /// A plain `StateStoreException`.
    StateStore,
    /// Invalid input: the language's own error for it.
    InvalidArgument,
}

/// cbindgen:ignore
impl ErrorKind {
    /// Every kind, in a fixed order: a kind's position is its number across the language boundaries
    /// (the C status code, the Java wire tag), so new kinds are added at the end.
    pub const ALL: [ErrorKind; 17] = [
        ErrorKind::FileAlreadyExists,
        ErrorKind::FileNotFound,
        ErrorKind::FileReferenceNotFound,
        ErrorKind::FileReferenceAlreadyExists,
        ErrorKind::FileReferenceAssignedToJob,
        ErrorKind::FileReferenceNotAssignedToJob,
        ErrorKind::NewReferenceSameAsOldReference,
        ErrorKind::FileHasReferences,
        ErrorKind::SplitRequestsFailed,
        ErrorKind::ReplaceRequestsFailed,
        ErrorKind::InitialiseWithFilesPresent,
        ErrorKind::PartitionNotFound,
        ErrorKind::TableNotFound,
        ErrorKind::TableAlreadyExists,
        ErrorKind::Connection,
        ErrorKind::StateStore,
        ErrorKind::InvalidArgument,
    ];

    /// The kind's number: its position in [`ErrorKind::ALL`], from 0.
    pub fn number(self) -> u8 {
        // ALL lists every kind, so the search always finds it; 17 fits a u8.
        ErrorKind::ALL.iter().position(|k| *k == self).unwrap_or(0) as u8
    }

    /// The kind of the given number, if there is one.
    pub fn from_number(number: u8) -> Option<ErrorKind> {
        ErrorKind::ALL.get(usize::from(number)).copied()
    }

    /// The name of Sleeper's exception class for the kind (Java's and Python's class name);
    /// `"InvalidArgument"` for invalid input, which each language reports with its own type.
    pub fn exception_name(self) -> &'static str {
        match self {
            ErrorKind::FileAlreadyExists => "FileAlreadyExistsException",
            ErrorKind::FileNotFound => "FileNotFoundException",
            ErrorKind::FileReferenceNotFound => "FileReferenceNotFoundException",
            ErrorKind::FileReferenceAlreadyExists => "FileReferenceAlreadyExistsException",
            ErrorKind::FileReferenceAssignedToJob => "FileReferenceAssignedToJobException",
            ErrorKind::FileReferenceNotAssignedToJob => "FileReferenceNotAssignedToJobException",
            ErrorKind::NewReferenceSameAsOldReference => "NewReferenceSameAsOldReferenceException",
            ErrorKind::FileHasReferences => "FileHasReferencesException",
            ErrorKind::SplitRequestsFailed => "SplitRequestsFailedException",
            ErrorKind::ReplaceRequestsFailed => "ReplaceRequestsFailedException",
            ErrorKind::InitialiseWithFilesPresent => "InitialiseWithFilesPresentException",
            ErrorKind::PartitionNotFound => "PartitionNotFoundException",
            ErrorKind::TableNotFound => "TableNotFoundException",
            ErrorKind::TableAlreadyExists => "TableAlreadyExistsException",
            ErrorKind::Connection => "StateStoreConnectionException",
            ErrorKind::StateStore => "StateStoreException",
            ErrorKind::InvalidArgument => "InvalidArgument",
        }
    }
}

/// A value an error carries in one of its named fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValue<'a> {
    /// A filename, partition id, job id, table id or SQLSTATE.
    Text(&'a str),
    /// A count.
    Count(u64),
}

/// A database driver's error, kept as the source of a connection error. Compares by its text.
#[derive(Debug, Clone)]
pub struct DriverError(Arc<sqlx::Error>);

impl DriverError {
    pub(crate) fn new(error: sqlx::Error) -> Self {
        DriverError(Arc::new(error))
    }

    /// The driver's error itself.
    pub fn sqlx(&self) -> &sqlx::Error {
        &self.0
    }
}

impl PartialEq for DriverError {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for DriverError {}

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for DriverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl Error {
    /// The kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::FileAlreadyExists { .. } => ErrorKind::FileAlreadyExists,
            Error::FileNotFound { .. } => ErrorKind::FileNotFound,
            Error::FileReferenceNotFound { .. } => ErrorKind::FileReferenceNotFound,
            Error::FileReferenceAlreadyExists { .. } => ErrorKind::FileReferenceAlreadyExists,
            Error::FileReferenceAssignedToJob { .. } => ErrorKind::FileReferenceAssignedToJob,
            Error::FileReferenceNotAssignedToJob { .. } => ErrorKind::FileReferenceNotAssignedToJob,
            Error::NewReferenceSameAsOldReference { .. } => {
                ErrorKind::NewReferenceSameAsOldReference
            }
            Error::FileHasReferences { .. } => ErrorKind::FileHasReferences,
            Error::SplitRequestsFailed { .. } => ErrorKind::SplitRequestsFailed,
            Error::ReplaceRequestsFailed { .. } => ErrorKind::ReplaceRequestsFailed,
            Error::InitialiseWithFilesPresent => ErrorKind::InitialiseWithFilesPresent,
            Error::PartitionNotFound { .. } => ErrorKind::PartitionNotFound,
            Error::TableNotFound { .. } => ErrorKind::TableNotFound,
            Error::TableAlreadyExists { .. } => ErrorKind::TableAlreadyExists,
            Error::Connection { .. } => ErrorKind::Connection,
            Error::StateStore { .. } => ErrorKind::StateStore,
            Error::InvalidArgument { .. } => ErrorKind::InvalidArgument,
        }
    }

    /// The Sleeper exception class this error stands for: [`ErrorKind::exception_name`].
    pub fn exception_name(&self) -> &'static str {
        self.kind().exception_name()
    }

    /// The named fields of the error other than its message, cause and requests, in the order of
    /// the exception's constructor: `filename`, `partition_id`, `job_id`, `reference_count`,
    /// `table_id`, `sqlstate`. Each language gives them its own spelling (`partitionId` in Java).
    pub fn fields(&self) -> Vec<(&'static str, FieldValue<'_>)> {
        use FieldValue::{Count, Text};
        match self {
            Error::FileAlreadyExists { filename }
            | Error::FileNotFound { filename }
            | Error::NewReferenceSameAsOldReference { filename } => {
                vec![("filename", Text(filename))]
            }
            Error::FileReferenceNotFound {
                filename,
                partition_id,
            }
            | Error::FileReferenceAlreadyExists {
                filename,
                partition_id,
            } => vec![
                ("filename", Text(filename)),
                ("partition_id", Text(partition_id)),
            ],
            Error::FileReferenceAssignedToJob {
                filename,
                partition_id,
                job_id,
            }
            | Error::FileReferenceNotAssignedToJob {
                filename,
                partition_id,
                job_id,
            } => vec![
                ("filename", Text(filename)),
                ("partition_id", Text(partition_id)),
                ("job_id", Text(job_id)),
            ],
            Error::FileHasReferences {
                filename,
                reference_count,
            } => vec![
                ("filename", Text(filename)),
                ("reference_count", Count(*reference_count)),
            ],
            Error::PartitionNotFound { partition_id, .. } => {
                vec![("partition_id", Text(partition_id))]
            }
            Error::TableNotFound { table_id } | Error::TableAlreadyExists { table_id } => {
                vec![("table_id", Text(table_id))]
            }
            Error::Connection {
                sqlstate: Some(code),
                ..
            } => vec![("sqlstate", Text(code))],
            _ => Vec::new(),
        }
    }

    /// The Sleeper exception that caused this one: the first failing request's of a split or
    /// compaction call, or the reason of a plain `StateStoreException`.
    pub fn cause(&self) -> Option<&Error> {
        match self {
            Error::SplitRequestsFailed { cause, .. }
            | Error::ReplaceRequestsFailed { cause, .. } => Some(cause),
            Error::StateStore { cause, .. } => cause.as_deref(),
            _ => None,
        }
    }

    /// The SQLSTATE code the database answered with, for a connection error that has one.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            Error::Connection { sqlstate, .. } => sqlstate.as_deref(),
            _ => None,
        }
    }

    /// A plain `StateStoreException`.
    pub fn state_store(message: impl Into<String>) -> Self {
        Error::StateStore {
            message: message.into(),
            cause: None,
        }
    }

    /// A plain `StateStoreException` whose cause is invalid input described by `reason`.
    pub fn state_store_caused_by(message: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::StateStore {
            message: message.into(),
            cause: Some(Box::new(Error::invalid(reason))),
        }
    }

    /// Invalid input.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            message: message.into(),
        }
    }

    /// A connection error with no driver error behind it.
    pub fn connection(message: impl Into<String>) -> Self {
        Error::Connection {
            message: message.into(),
            sqlstate: None,
            source: None,
        }
    }

    pub(crate) fn file_reference_not_found(filename: &str, partition_id: &str) -> Self {
        Error::FileReferenceNotFound {
            filename: filename.to_owned(),
            partition_id: partition_id.to_owned(),
        }
    }
}

/// The text of a sqlx error holds no password: neither sqlx nor the server puts it in a message
/// (`Client::connect_with` also scrubs the URL's password from connection errors, and
/// `core/tests/security.rs` checks every error and log line of a failing connection).
impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Error::Connection {
            message: error.to_string(),
            sqlstate: crate::client::sqlstate(&error),
            source: Some(DriverError::new(error)),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Error::connection(format!("Migration failed: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_number_and_exception_name() {
        let names: std::collections::HashSet<&str> =
            ErrorKind::ALL.iter().map(|k| k.exception_name()).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_number(kind.number()), Some(kind));
        }
    }

    #[test]
    fn a_database_error_keeps_its_sqlstate_and_driver_error() {
        let error = Error::from(sqlx::Error::PoolTimedOut);
        assert_eq!(error.sqlstate(), None);
        assert!(std::error::Error::source(&error).is_some());
    }
}
