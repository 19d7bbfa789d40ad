//! Copying one queued version (or delete marker) to its destination: a
//! bucket of this server through the engine, or a remote S3 endpoint.
//!
//! Replicas keep the key, version id, last-modified time, content headers,
//! user metadata, tags, checksums, lock settings and storage class (or the
//! rule's); multipart sources keep their parts and ETag (see
//! `replication_parts`). Encrypted sources are encrypted again at the
//! destination: SSE-S3 with its own key, SSE-KMS with the rule's
//! `ReplicaKmsKeyID`; plain sources get the destination bucket's default.
//! SSE-C sources (whose key the server never keeps) are copied still sealed
//! to buckets of this server, and refused by remote destinations.

use horreo_storage::{
    Bucket, ChecksumAlgorithm, ChecksumType, Engine, Error, ObjectEncryption, ObjectKey,
    ObjectVersion, PutOptions, QueuedReplication, ReplicaSource, ReplicationTask, SseRequest,
};

use super::replication::{Destination, Remote, SendError};
use super::replication_parts::{self, part_plan};
use crate::xml;

/// Copies `entry`'s version to its destination. A source version that is
/// gone needs no copy: `Ok`.
pub(super) fn copy(
    engine: &Engine,
    remotes: &[Remote],
    entry: &QueuedReplication,
) -> Result<(), SendError> {
    let task = &entry.task;
    let destination = Destination::parse(&task.destination)
        .ok_or_else(|| SendError::Refused(format!("{} is not a destination", task.destination)))?;
    let source_bucket = match engine.bucket(&task.bucket) {
        Ok(b) => b,
        Err(Error::NoSuchBucket) => return Ok(()),
        Err(e) => return Err(local_error(e)),
    };
    let version_id = task.version_id.as_deref().unwrap_or("null");
    let version = match engine.head_object(&task.bucket, &task.key, Some(version_id)) {
        Ok(v) => v,
        Err(Error::NoSuchKey | Error::NoSuchVersion | Error::DeleteMarker { .. }) => {
            return Ok(());
        }
        Err(e) => return Err(local_error(e)),
    };
    let source = ReplicaSource {
        version_id: version.version_id.clone(),
        last_modified: version.last_modified,
        etag: version.etag.contains('-').then(|| version.etag.clone()),
    };
    let replica_key = replica_kms_key(&source_bucket, task);
    match destination {
        Destination::Local { bucket } => {
            if version.is_delete_marker {
                return engine
                    .put_replica_marker(&bucket, &task.key, &source)
                    .map_err(local_error);
            }
            copy_local(engine, &bucket, task, &version, &source, replica_key)
        }
        Destination::Remote { remote, bucket } => {
            let remote = remotes.iter().find(|r| r.id == remote).ok_or_else(|| {
                SendError::Refused(format!("no replication remote {remote:?} is defined"))
            })?;
            let mut headers = replica_headers(&source);
            if version.is_delete_marker {
                return remote.delete(&bucket, &task.key, headers);
            }
            if matches!(version.encryption, Some(ObjectEncryption::Customer { .. })) {
                return Err(SendError::Refused(
                    "an SSE-C object replicates only to a bucket of this server \
                     (the customer's key is not kept, so its content cannot be read)"
                        .into(),
                ));
            }
            if let Some(plan) = part_plan(&version) {
                // The replica keeps the source's ETag, whatever its form.
                if source.etag.is_none() {
                    headers.push(("x-horreo-replica-etag".into(), version.etag.clone()));
                }
                let upload = replication_parts::RemoteUpload {
                    remote,
                    source_bucket: &task.bucket,
                    bucket: &bucket,
                    headers: object_headers(task, &version, replica_key),
                    replica: headers,
                };
                return replication_parts::send_remote(engine, &version, &plan, upload);
            }
            headers.extend(object_headers(task, &version, replica_key));
            headers.extend(body_checks(&version));
            let reader = engine
                .open_object(&task.bucket, &version, None)
                .map_err(local_error)?;
            remote.put(&bucket, &task.key, headers, version.size, reader)
        }
    }
}

/// The KMS key the rule of `task` names for replicas, if any.
fn replica_kms_key(bucket: &Bucket, task: &ReplicationTask) -> Option<String> {
    bucket
        .replication
        .as_ref()?
        .rules
        .iter()
        .find(|r| r.id == task.rule_id)?
        .destination
        .replica_kms_key_id
        .clone()
}

fn copy_local(
    engine: &Engine,
    bucket: &str,
    task: &ReplicationTask,
    version: &ObjectVersion,
    source: &ReplicaSource,
    replica_key: Option<String>,
) -> Result<(), SendError> {
    let destination = engine.bucket(bucket).map_err(local_error)?;
    let sse = match &version.encryption {
        Some(ObjectEncryption::S3) => Some(SseRequest::S3),
        Some(ObjectEncryption::Kms { .. }) => Some(SseRequest::Kms {
            key_id: replica_key,
            context: None,
            bucket_key: false,
        }),
        _ => destination.encryption.as_ref().map(|d| d.request()),
    };
    let opts = PutOptions {
        content: version.content.clone(),
        user_metadata: version.user_metadata.clone(),
        tags: version.tags.clone(),
        storage_class: task.storage_class.unwrap_or(version.storage_class),
        owner: destination.owner.clone(),
        acl: None,
        precondition: None,
        lock: version.lock,
        sse: None,
    };
    let key = ObjectKey::parse(&task.key).map_err(|e| SendError::Refused(e.to_string()))?;
    if matches!(version.encryption, Some(ObjectEncryption::Customer { .. })) {
        return engine
            .put_replica_sealed(&task.bucket, version, bucket, &key, source, opts)
            .map(|_| ())
            .map_err(local_error);
    }
    if let Some(plan) = part_plan(version) {
        let upload = replication_parts::LocalUpload {
            source_bucket: &task.bucket,
            bucket,
            key,
            opts,
            sse,
            source,
        };
        return replication_parts::copy_local(engine, version, &plan, upload);
    }
    let algorithms = full_object_checksums(version)
        .map(|(a, _)| a)
        .collect::<Vec<_>>();
    let mut reader = engine
        .open_object(&task.bucket, version, None)
        .map_err(local_error)?;
    let staged = engine
        .stage_sse(&mut reader, &algorithms, sse.as_ref())
        .map_err(local_error)?;
    for (algorithm, value) in full_object_checksums(version) {
        if staged.checksums.get(algorithm) != Some(value) {
            return Err(SendError::Transient(format!(
                "the copy's {} differs from the source's",
                algorithm.as_str()
            )));
        }
    }
    engine
        .put_replica(bucket, &key, source, staged, opts)
        .map(|_| ())
        .map_err(local_error)
}

/// The checksums of the whole content a version carries (a composite one
/// covers parts, which a replica does not have).
fn full_object_checksums(
    version: &ObjectVersion,
) -> impl Iterator<Item = (ChecksumAlgorithm, &str)> {
    let full = version.checksums.kind == ChecksumType::FullObject;
    version
        .checksums
        .values
        .iter()
        .filter(move |_| full)
        .map(|(a, v)| (*a, v.as_str()))
}

/// Refusals that retrying cannot cure fail the task; the rest are retried.
pub(super) fn local_error(e: Error) -> SendError {
    match e {
        Error::NoSuchBucket
        | Error::InvalidReplica(_)
        | Error::ObjectLockNotEnabled
        | Error::NoMasterKey
        | Error::KmsKeyNotFound(_)
        | Error::Corrupt(_)
        | Error::SseCustomerKeyRequired
        | Error::InvalidBucketName(_)
        | Error::KeyTooLong
        | Error::EmptyKey => SendError::Refused(e.to_string()),
        e => SendError::Transient(e.to_string()),
    }
}

/// What a horreo destination keeps of the source version.
fn replica_headers(source: &ReplicaSource) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(id) = &source.version_id {
        out.push(("x-horreo-replica-version-id".into(), id.clone()));
    }
    let ms = source
        .last_modified
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    out.push(("x-horreo-replica-last-modified".into(), ms.to_string()));
    if let Some(etag) = &source.etag {
        out.push(("x-horreo-replica-etag".into(), etag.clone()));
    }
    out
}

/// The S3 headers of a PutObject that recreates `version`.
fn object_headers(
    task: &ReplicationTask,
    version: &ObjectVersion,
    replica_key: Option<String>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, value: Option<&String>| {
        if let Some(v) = value {
            out.push((name.to_owned(), v.clone()));
        }
    };
    let c = &version.content;
    add("content-type", c.content_type.as_ref());
    add("cache-control", c.cache_control.as_ref());
    add("content-disposition", c.content_disposition.as_ref());
    add("content-encoding", c.content_encoding.as_ref());
    add("content-language", c.content_language.as_ref());
    add("expires", c.expires.as_ref());
    add(
        "x-amz-website-redirect-location",
        c.website_redirect_location.as_ref(),
    );
    for (name, value) in &version.user_metadata {
        out.push((format!("x-amz-meta-{name}"), value.clone()));
    }
    if !version.tags.is_empty() {
        let mut tagging = String::new();
        for (i, t) in version.tags.iter().enumerate() {
            if i > 0 {
                tagging.push('&');
            }
            crate::auth::canonical::uri_encode(&mut tagging, t.key.as_bytes(), true);
            tagging.push('=');
            crate::auth::canonical::uri_encode(&mut tagging, t.value.as_bytes(), true);
        }
        out.push(("x-amz-tagging".into(), tagging));
    }
    let class = task.storage_class.unwrap_or(version.storage_class);
    out.push(("x-amz-storage-class".into(), class.as_str().into()));
    if let Some(r) = &version.lock.retention {
        out.push(("x-amz-object-lock-mode".into(), r.mode.as_str().into()));
        out.push((
            "x-amz-object-lock-retain-until-date".into(),
            xml::timestamp(r.retain_until),
        ));
    }
    if let Some(on) = version.lock.legal_hold {
        let value = if on { "ON" } else { "OFF" };
        out.push(("x-amz-object-lock-legal-hold".into(), value.into()));
    }
    match &version.encryption {
        Some(ObjectEncryption::S3) => {
            out.push(("x-amz-server-side-encryption".into(), "AES256".into()));
        }
        Some(ObjectEncryption::Kms { .. }) => {
            out.push(("x-amz-server-side-encryption".into(), "aws:kms".into()));
            if let Some(key) = replica_key {
                out.push(("x-amz-server-side-encryption-aws-kms-key-id".into(), key));
            }
        }
        _ => {}
    }
    out
}

/// The headers of a single PUT that let the destination check the content.
fn body_checks(version: &ObjectVersion) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (algorithm, value) in full_object_checksums(version) {
        out.push((algorithm.header_name().into(), value.into()));
    }
    // The content's MD5 lets the destination check the copy (and satisfies
    // object lock's integrity requirement).
    let mut md5 = [0u8; 16];
    if hex::decode_to_slice(&version.etag, &mut md5).is_ok() {
        use base64::Engine as _;
        let value = base64::engine::general_purpose::STANDARD.encode(md5);
        out.push(("content-md5".into(), value));
    }
    out
}
