//! Server-side encryption as S3 names it: what a write asks for, what a stored
//! object reports, and a bucket's default.

use crate::crypto::{self, Key256};

/// The encryption a write asks for (`x-amz-server-side-encryption*` headers or
/// the bucket default).
#[derive(Debug, Clone)]
pub enum SseRequest {
    /// `AES256`: a data key sealed under the server's master key.
    S3,
    /// `aws:kms`: a data key sealed under a KMS key (`None`: the default key).
    Kms {
        key_id: Option<String>,
        /// `x-amz-server-side-encryption-context` as sent (base64 JSON), bound
        /// into the sealing of the data key.
        context: Option<String>,
        bucket_key: bool,
    },
    /// SSE-C: a data key sealed under the customer's key, which is never stored.
    Customer(CustomerKey),
}

/// A customer-provided key (SSE-C), already checked against its MD5.
#[derive(Clone)]
pub struct CustomerKey {
    pub(crate) key: Key256,
    /// Base64 MD5 of the key, as the client sent it.
    pub key_md5: String,
}

impl CustomerKey {
    pub fn new(raw: [u8; 32], key_md5: String) -> Self {
        Self {
            key: Key256::from_bytes(raw),
            key_md5,
        }
    }
}

impl std::fmt::Debug for CustomerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CustomerKey(md5 {})", self.key_md5)
    }
}

/// How a stored object (or an upload's parts) is encrypted, as S3 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectEncryption {
    S3,
    Kms {
        /// The KMS key's id (the gateway renders it as an ARN).
        key_id: String,
        context: Option<String>,
        bucket_key: bool,
    },
    Customer {
        /// Base64 MD5 of the customer's key.
        key_md5: String,
    },
}

/// The algorithm of a bucket's default encryption rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseAlgorithm {
    Aes256,
    AwsKms,
}

/// A bucket's default encryption (PutBucketEncryption): applied to every new
/// object written without encryption headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketEncryption {
    pub algorithm: SseAlgorithm,
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: bool,
}

impl BucketEncryption {
    /// What a write without encryption headers gets.
    pub fn request(&self) -> SseRequest {
        match self.algorithm {
            SseAlgorithm::Aes256 => SseRequest::S3,
            SseAlgorithm::AwsKms => SseRequest::Kms {
                key_id: self.kms_key_id.clone(),
                context: None,
                bucket_key: self.bucket_key_enabled,
            },
        }
    }
}

/// A key of the built-in KMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsKeyInfo {
    /// Random id, as in `arn:aws:kms:REGION:ACCOUNT:key/ID`.
    pub id: String,
    pub name: String,
    pub created: std::time::SystemTime,
}

/// The encryption mode of a stored object or upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseMode {
    S3,
    Kms {
        key_id: String,
        context: Option<String>,
        bucket_key: bool,
    },
    Customer {
        salt: [u8; 16],
        digest: [u8; 32],
        key_md5: String,
    },
}

impl SseMode {
    /// The public view.
    pub fn view(&self) -> ObjectEncryption {
        match self {
            SseMode::S3 => ObjectEncryption::S3,
            SseMode::Kms {
                key_id,
                context,
                bucket_key,
            } => ObjectEncryption::Kms {
                key_id: key_id.clone(),
                context: context.clone(),
                bucket_key: *bucket_key,
            },
            SseMode::Customer { key_md5, .. } => ObjectEncryption::Customer {
                key_md5: key_md5.clone(),
            },
        }
    }

    /// Associated data bound into the sealing of every data key of this mode: a
    /// key cannot be moved to another mode, KMS key or encryption context.
    pub(crate) fn key_context(&self) -> Vec<u8> {
        match self {
            SseMode::S3 => b"s3".to_vec(),
            SseMode::Kms {
                key_id, context, ..
            } => {
                let mut c = b"kms\0".to_vec();
                c.extend_from_slice(key_id.as_bytes());
                c.push(0);
                c.extend_from_slice(context.as_deref().unwrap_or_default().as_bytes());
                c
            }
            SseMode::Customer { .. } => b"customer".to_vec(),
        }
    }

    /// Whether a blob sealed in mode `other` may belong to an object of this
    /// mode (an upload's parts): same kind, same KMS key and context.
    pub(crate) fn compatible(&self, other: &SseMode) -> bool {
        match (self, other) {
            (SseMode::S3, SseMode::S3) | (SseMode::Customer { .. }, SseMode::Customer { .. }) => {
                true
            }
            (
                SseMode::Kms {
                    key_id: a,
                    context: ca,
                    ..
                },
                SseMode::Kms {
                    key_id: b,
                    context: cb,
                    ..
                },
            ) => a == b && ca == cb,
            _ => false,
        }
    }
}

/// How a stored version's content is encrypted: its mode, and (unless its content
/// is in parts, each with its own) the key material of its one blob or inline
/// content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionRecord {
    pub mode: SseMode,
    pub key: Option<crypto::BlobKey>,
}
