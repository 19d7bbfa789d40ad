//! Stored key material: data keys, encryption modes and built-in KMS keys.
//! Fixed-size binary is checked on the way in: a wrong length is `Corrupt`.

use std::time::SystemTime;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{binary, fixed};
use crate::crypto::kms::KeyRecord;
use crate::crypto::{self, SealedKey};
use crate::types;
use crate::{Error, Result};

/// A blob's content id and sealed data key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlobKey {
    pub content_id: Bytes,
    pub sealed: Bytes,
}

impl From<crypto::BlobKey> for BlobKey {
    fn from(k: crypto::BlobKey) -> Self {
        Self {
            content_id: binary(&k.content_id),
            sealed: binary(&k.sealed.0),
        }
    }
}

impl TryFrom<BlobKey> for crypto::BlobKey {
    type Error = Error;

    fn try_from(k: BlobKey) -> Result<Self> {
        Ok(Self {
            content_id: fixed(&k.content_id, "content id")?,
            sealed: SealedKey(fixed(&k.sealed, "sealed data key")?),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SseMode {
    S3,
    Kms {
        key_id: String,
        #[serde(default)]
        context: Option<String>,
        #[serde(default)]
        bucket_key: bool,
    },
    Customer {
        salt: Bytes,
        digest: Bytes,
        key_md5: String,
    },
}

impl From<types::SseMode> for SseMode {
    fn from(m: types::SseMode) -> Self {
        match m {
            types::SseMode::S3 => Self::S3,
            types::SseMode::Kms {
                key_id,
                context,
                bucket_key,
            } => Self::Kms {
                key_id,
                context,
                bucket_key,
            },
            types::SseMode::Customer {
                salt,
                digest,
                key_md5,
            } => Self::Customer {
                salt: binary(&salt),
                digest: binary(&digest),
                key_md5,
            },
        }
    }
}

impl TryFrom<SseMode> for types::SseMode {
    type Error = Error;

    fn try_from(m: SseMode) -> Result<Self> {
        Ok(match m {
            SseMode::S3 => Self::S3,
            SseMode::Kms {
                key_id,
                context,
                bucket_key,
            } => Self::Kms {
                key_id,
                context,
                bucket_key,
            },
            SseMode::Customer {
                salt,
                digest,
                key_md5,
            } => Self::Customer {
                salt: fixed(&salt, "SSE-C salt")?,
                digest: fixed(&digest, "SSE-C key digest")?,
                key_md5,
            },
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EncryptionRecord {
    pub mode: SseMode,
    #[serde(default)]
    pub key: Option<BlobKey>,
}

impl From<types::EncryptionRecord> for EncryptionRecord {
    fn from(e: types::EncryptionRecord) -> Self {
        Self {
            mode: e.mode.into(),
            key: e.key.map(Into::into),
        }
    }
}

impl TryFrom<EncryptionRecord> for types::EncryptionRecord {
    type Error = Error;

    fn try_from(e: EncryptionRecord) -> Result<Self> {
        Ok(Self {
            mode: e.mode.try_into()?,
            key: e.key.map(TryInto::try_into).transpose()?,
        })
    }
}

/// A key of the built-in KMS, sealed under the master key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KmsKey {
    pub id: String,
    pub name: String,
    pub created: SystemTime,
    pub sealed: Bytes,
}

impl From<KeyRecord> for KmsKey {
    fn from(k: KeyRecord) -> Self {
        Self {
            id: k.id,
            name: k.name,
            created: k.created,
            sealed: binary(&k.sealed.0),
        }
    }
}

impl TryFrom<KmsKey> for KeyRecord {
    type Error = Error;

    fn try_from(k: KmsKey) -> Result<Self> {
        Ok(Self {
            id: k.id,
            name: k.name,
            created: k.created,
            sealed: SealedKey(fixed(&k.sealed, "sealed KMS key")?),
        })
    }
}
