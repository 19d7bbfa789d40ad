use std::io;

/// Everything the storage engine can fail with, organised by meaning.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid bucket name: {0}")]
    InvalidBucketName(&'static str),
    #[error("object key is longer than 1024 bytes")]
    KeyTooLong,
    #[error("object key is empty")]
    EmptyKey,
    #[error("the specified bucket does not exist")]
    NoSuchBucket,
    #[error("the bucket is already owned by you")]
    BucketAlreadyOwnedByYou,
    #[error("the bucket is not empty")]
    BucketNotEmpty,
    #[error("the specified key does not exist")]
    NoSuchKey,
    /// The key's newest version is a delete marker (`None`: the null version).
    #[error("the specified key does not exist (its latest version is a delete marker)")]
    DeleteMarker { version_id: Option<String> },
    #[error("the specified version does not exist")]
    NoSuchVersion,
    #[error("the specified multipart upload does not exist")]
    NoSuchUpload,
    #[error("one or more of the specified parts could not be found or did not match: {0}")]
    InvalidPart(String),
    #[error("the list of parts was not in ascending order")]
    InvalidPartOrder,
    #[error("part {0} is smaller than the minimum allowed size")]
    EntityTooSmall(u32),
    #[error("the {0} checksum stated does not match the computed one")]
    ChecksumMismatch(&'static str),
    #[error("the object would exceed the maximum allowed size")]
    EntityTooLarge,
    /// The operation does not apply to the version's storage class: reading
    /// an archived version that is not restored, or restoring one that is
    /// not archived.
    #[error("{0}")]
    InvalidObjectState(&'static str),
    /// A RestoreObject without `Days` of a GLACIER or DEEP_ARCHIVE version
    /// (`tiered`: with `Days`, of an Intelligent-Tiering one).
    #[error("a restore's Days is required for archive classes and refused for Intelligent-Tiering")]
    RestoreDays { tiered: bool },
    /// A RestoreObject of the version is still in progress.
    #[error("object restore is already in progress")]
    RestoreAlreadyInProgress,
    /// The version is under a legal hold or an active retention.
    #[error("the object version is protected by object lock")]
    ObjectLocked,
    /// Object lock settings for a bucket without object lock.
    #[error("the bucket has no object lock configuration")]
    ObjectLockNotEnabled,
    /// The change conflicts with the bucket's state (e.g. suspending versioning
    /// of a bucket with object lock); the text is S3's message.
    #[error("invalid bucket state: {0}")]
    InvalidBucketState(&'static str),
    #[error("a write precondition did not hold")]
    PreconditionFailed,
    /// A batch's row precondition ([`crate::meta::Change::Expect`]) did not
    /// hold: another writer (another gateway, on a shared store) changed the
    /// row since it was read. Nothing was written; the engine re-reads and
    /// retries, and gives this up only after losing many races in a row.
    #[error("a conflicting operation changed the same row; try again")]
    Conflict,
    /// Stored data failed its integrity check: never served as data.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The master key given is not the one the store was initialised with.
    #[error(
        "the master key does not match the one this data directory was initialised with; \
         start with the original key (HORREO_MASTER_KEY or --master-key-file), or rotate it \
         with `horreo kms rotate-master-key`"
    )]
    WrongMasterKey,
    /// Encryption was asked for but the engine has no master key.
    #[error("encryption at rest is not configured (no master key)")]
    NoMasterKey,
    #[error("KMS key {0:?} does not exist")]
    KmsKeyNotFound(String),
    #[error("a KMS key named {0:?} already exists")]
    KmsKeyExists(String),
    #[error("invalid KMS key name {0:?}")]
    KmsInvalidKeyName(String),
    /// The object is encrypted with a customer key (SSE-C) and none was given.
    #[error("the object is encrypted with a customer-provided key, which was not given")]
    SseCustomerKeyRequired,
    /// The customer key given is not the one the object was encrypted with.
    #[error("the customer-provided key is not the one the object was encrypted with")]
    SseCustomerKeyMismatch,
    /// A customer key was given for data that is not encrypted with one.
    #[error("the encryption parameters are not applicable to this object")]
    SseNotApplicable,
    /// A part's encryption differs from its upload's.
    #[error("the encryption parameters do not match those of the multipart upload")]
    EncryptionMismatch,
    /// The disk (or the user's quota) is full: the write was refused, nothing
    /// was stored. `{0}` says what failed.
    #[error("insufficient storage: {0}")]
    InsufficientStorage(String),
    /// The metadata store cannot be opened without losing acknowledged writes;
    /// the text names the damaged files and the command that salvages them.
    #[error("{0}")]
    DamagedStore(String),
    /// IAM: the named user, group, role, policy or key does not exist; the
    /// text is IAM's message.
    #[error("{0}")]
    NoSuchEntity(String),
    #[error("{0}")]
    EntityAlreadyExists(String),
    /// IAM: the entity still has what must be removed first.
    #[error("{0}")]
    DeleteConflict(String),
    /// IAM: a quota (keys per user, policy versions, ...) would be exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// IAM: a parameter is out of range or malformed.
    #[error("{0}")]
    InvalidInput(String),
    /// A replica cannot be written as asked (the text is S3's message).
    #[error("{0}")]
    InvalidReplica(&'static str),
    #[error("I/O error: {0}")]
    Io(io::Error),
    #[error("metadata store error: {0}")]
    Meta(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether the disk or the metadata store failed (rather than a check of
    /// the engine's): a commit that fails so may still be in the store's log.
    pub fn is_store_failure(&self) -> bool {
        matches!(
            self,
            Error::Io(_)
                | Error::Meta(_)
                | Error::Corrupt(_)
                | Error::InsufficientStorage(_)
                | Error::DamagedStore(_)
        )
    }
}

/// `ENOSPC` and `EDQUOT`, the errors of a full disk or quota.
fn is_out_of_space(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(28 | 122)) || e.kind() == io::ErrorKind::StorageFull
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        if is_out_of_space(&e) {
            Error::InsufficientStorage(e.to_string())
        } else {
            Error::Io(e)
        }
    }
}

#[cfg(feature = "rocksdb")]
impl From<rocksdb::Error> for Error {
    fn from(e: rocksdb::Error) -> Self {
        let message = e.into_string();
        if message.contains("No space left on device") || message.contains("quota exceeded") {
            Error::InsufficientStorage(message)
        } else {
            Error::Meta(message)
        }
    }
}
