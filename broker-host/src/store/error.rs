//! [`StoreError`].

use std::io;
use std::path::PathBuf;

/// Why the store could not open, recover, or complete an operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file operation failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done ("map", "create", "remove", ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A store file does not have the configured size.
    #[error(
        "{} has {actual} bytes but {what} is {expected}: the store was written with another \
         file size or the file is damaged; refusing to start (restore the old size or move the file away)",
        path.display()
    )]
    WrongFileSize {
        /// The file.
        path: PathBuf,
        /// Its length.
        actual: u64,
        /// The configured size.
        expected: u64,
        /// The config key.
        what: &'static str,
    },
    /// Another broker holds the store lock.
    #[error("Lock failed, MQ already started: {} is locked by another process or store instance", path.display())]
    LockHeld {
        /// The lock file.
        path: PathBuf,
    },
    /// A file name is not what the store writes.
    #[error("unexpected file name {}: {reason}", path.display())]
    BadFileName {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The configuration cannot work.
    #[error("invalid store config: {0}")]
    Config(String),
    /// The store was shut down.
    #[error("the message store is shut down")]
    ShutDown,
    /// [`check_consistency`](super::DefaultMessageStore::check_consistency) found problems.
    #[error("store is inconsistent ({} problem(s)); first: {}", problems.len(), problems.first().map(String::as_str).unwrap_or(""))]
    Inconsistent {
        /// One line per problem.
        problems: Vec<String>,
    },
    /// A background thread could not be started.
    #[error("cannot start store thread {name}: {source}")]
    Thread {
        /// Thread name.
        name: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl StoreError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StoreError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}
