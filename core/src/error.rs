//! The one error type of the store. Each variant is one of Sleeper's state store exceptions (named in
//! `CONTRACT.md` 2.12), except `InvalidArgument`, which the bindings turn into their language's own
//! error for bad input (Python `ValueError`, Java `IllegalArgumentException`, C `SPG_INVALID_ARGUMENT`).

use crate::model::{ReplaceFileReferencesRequest, SplitFileReferenceRequest};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Messages are Sleeper's, word for word, so that callers who match on them keep working.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("File already exists: {filename}")]
    FileAlreadyExists { filename: String },

    #[error("File not found: {filename}")]
    FileNotFound { filename: String },

    #[error("File reference not found in partition {partition_id}, filename {filename}")]
    FileReferenceNotFound {
        filename: String,
        partition_id: String,
    },

    #[error("Reference to file already exists in partition {partition_id}, filename {filename}")]
    FileReferenceAlreadyExists {
        filename: String,
        partition_id: String,
    },

    /// `job_id` is the job the reference already has.
    #[error("Reference to file is already assigned to job {job_id}, in partition {partition_id}, filename {filename}")]
    FileReferenceAssignedToJob {
        filename: String,
        partition_id: String,
        job_id: String,
    },

    /// `job_id` is the job of the request that expected the reference.
    #[error("Reference to file is not assigned to job {job_id}, in partition {partition_id}, filename {filename}")]
    FileReferenceNotAssignedToJob {
        filename: String,
        partition_id: String,
        job_id: String,
    },

    #[error("New file has the same filename as a file being removed: {filename}")]
    NewReferenceSameAsOldReference { filename: String },

    #[error("Cannot remove file as it still has references, filename {filename}, {reference_count} references")]
    FileHasReferences {
        filename: String,
        reference_count: u64,
    },

    /// Every request of the call failed together; `cause` is the first request's specific error.
    /// Nothing of the call was applied, so there are never successful requests.
    #[error("{} split requests failed to update the state store", failed.len())]
    SplitRequestsFailed {
        failed: Vec<SplitFileReferenceRequest>,
        cause: Box<Error>,
    },

    #[error("{} replace file reference requests failed to update the state store", failed.len())]
    ReplaceRequestsFailed {
        failed: Vec<ReplaceFileReferencesRequest>,
        cause: Box<Error>,
    },

    #[error("Cannot initialise state store when files are present")]
    InitialiseWithFilesPresent,

    /// "Partition not found: ID" from a lookup, "Parent partition not found" from a split.
    #[error("{message}")]
    PartitionNotFound {
        partition_id: String,
        message: String,
    },

    #[error("Table not found with ID \"{table_id}\"")]
    TableNotFound { table_id: String },

    #[error("Table already exists: {table_id}")]
    TableAlreadyExists { table_id: String },

    /// The database could not be reached, answered unexpectedly, or conflicts outlasted the retry budget.
    #[error("{message}")]
    Connection { message: String },

    /// A plain `StateStoreException`: a partition tree or a split failed validation. `cause` is the
    /// reason when Sleeper reports one separately (an `IllegalArgumentException` in Java): "Update
    /// results in invalid partition tree" is caused by what is wrong with the tree.
    #[error("{message}")]
    StateStore {
        message: String,
        cause: Option<Box<Error>>,
    },

    /// Input that breaks `CONTRACT.md` section 8; nothing reached the database.
    #[error("{message}")]
    InvalidArgument { message: String },
}

impl Error {
    /// The Sleeper exception class this error stands for; the bindings use it to pick their type.
    pub fn exception_name(&self) -> &'static str {
        match self {
            Error::FileAlreadyExists { .. } => "FileAlreadyExistsException",
            Error::FileNotFound { .. } => "FileNotFoundException",
            Error::FileReferenceNotFound { .. } => "FileReferenceNotFoundException",
            Error::FileReferenceAlreadyExists { .. } => "FileReferenceAlreadyExistsException",
            Error::FileReferenceAssignedToJob { .. } => "FileReferenceAssignedToJobException",
            Error::FileReferenceNotAssignedToJob { .. } => "FileReferenceNotAssignedToJobException",
            Error::NewReferenceSameAsOldReference { .. } => {
                "NewReferenceSameAsOldReferenceException"
            }
            Error::FileHasReferences { .. } => "FileHasReferencesException",
            Error::SplitRequestsFailed { .. } => "SplitRequestsFailedException",
            Error::ReplaceRequestsFailed { .. } => "ReplaceRequestsFailedException",
            Error::InitialiseWithFilesPresent => "InitialiseWithFilesPresentException",
            Error::PartitionNotFound { .. } => "PartitionNotFoundException",
            Error::TableNotFound { .. } => "TableNotFoundException",
            Error::TableAlreadyExists { .. } => "TableAlreadyExistsException",
            Error::Connection { .. } => "StateStoreConnectionException",
            Error::StateStore { .. } => "StateStoreException",
            Error::InvalidArgument { .. } => "InvalidArgument",
        }
    }

    pub(crate) fn state_store(message: impl Into<String>) -> Self {
        Error::StateStore {
            message: message.into(),
            cause: None,
        }
    }

    /// A plain `StateStoreException` whose cause is invalid input described by `reason`.
    pub(crate) fn state_store_caused_by(
        message: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::StateStore {
            message: message.into(),
            cause: Some(Box::new(Error::invalid(reason))),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            message: message.into(),
        }
    }

    pub(crate) fn connection(message: impl Into<String>) -> Self {
        Error::Connection {
            message: message.into(),
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
        Error::connection(error.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Error::connection(format!("Migration failed: {error}"))
    }
}
