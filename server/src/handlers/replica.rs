//! Replicas arriving from another horreo: a PutObject, CompleteMultipartUpload
//! or DeleteObject that carries `x-horreo-replica-version-id` (see
//! `delivery::replication_remote`) writes a version or delete marker that keeps its source's version id and
//! last-modified time, status `REPLICA`. Only a principal allowed
//! `s3:ReplicateObject` (a version) or `s3:ReplicateDelete` (a marker) on the
//! key may, as S3 asks of a replication role.

use std::time::{Duration, SystemTime};

use horreo_storage::ReplicaSource;

use super::Ctx;
use crate::error::{S3Error, S3Result};

const VERSION_ID: &str = "x-horreo-replica-version-id";
const LAST_MODIFIED: &str = "x-horreo-replica-last-modified";
const ETAG: &str = "x-horreo-replica-etag";

/// The replica the request carries, if it is one; `AccessDenied` unless the
/// principal may replicate (`delete`: a delete marker) into the key.
pub async fn source(ctx: &Ctx, delete: bool) -> S3Result<Option<ReplicaSource>> {
    let Some(version_id) = ctx.header(VERSION_ID) else {
        return Ok(None);
    };
    let action = if delete {
        "s3:ReplicateDelete"
    } else {
        "s3:ReplicateObject"
    };
    ctx.authorise(action, &ctx.bucket, Some(&ctx.key), None)
        .await?;
    let ms: u64 = ctx
        .header(LAST_MODIFIED)
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            S3Error::invalid_argument(format!("{LAST_MODIFIED} is missing or invalid"))
        })?;
    Ok(Some(ReplicaSource {
        version_id: Some(version_id.trim().to_owned()),
        last_modified: SystemTime::UNIX_EPOCH + Duration::from_millis(ms),
        etag: ctx.header(ETAG).map(|e| e.trim().to_owned()),
    }))
}
