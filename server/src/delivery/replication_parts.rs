//! Replicas sent in parts: a multipart source keeps its part boundaries, so
//! that the replica's ETag (`…-N`), composite checksum and parts (`partNumber`
//! GETs, `GetObjectAttributes`) are the source's, as AWS replication keeps
//! them; a source over 5 GiB, which one PUT cannot carry, goes in parts too.
//!
//! Each part streams from the source's byte range, so memory stays bounded
//! whatever the size. An upload that fails half-way is aborted; the task stays
//! queued and the whole copy is tried again.

use std::ops::Range;

use horreo_storage::{
    ChecksumAlgorithm, ChecksumType, CompletedPart, Completion, Engine, ObjectKey, ObjectVersion,
    PutOptions, ReplicaSource, SseRequest,
};

use super::replication::{Remote, SendError};
use super::replication_remote::{answered, between};
use crate::xml::XmlWriter;

/// The most one PUT carries (5 GiB).
const MAX_PUT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// The part size a source over 5 GiB without parts of its own is cut into
/// (larger when 10,000 such parts would not cover it).
const SPLIT_PART: u64 = 512 * 1024 * 1024;
/// S3's most parts in one upload.
const MAX_PARTS: u64 = 10_000;

/// One part of a replica: the source's bytes it holds, and their checksum in
/// the source's algorithm when the source kept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PartPlan {
    pub range: Range<u64>,
    pub checksum: Option<String>,
}

/// How `version` is sent in parts; `None` when one PUT carries it.
pub(super) fn part_plan(version: &ObjectVersion) -> Option<Vec<PartPlan>> {
    if let Some(parts) = version.parts() {
        let mut start = 0;
        let plan = parts
            .into_iter()
            .map(|p| {
                let range = start..start + p.size;
                start = range.end;
                PartPlan {
                    range,
                    checksum: p.checksum,
                }
            })
            .collect();
        return Some(plan);
    }
    (version.size > MAX_PUT_SIZE).then(|| split(version.size))
}

/// `size` bytes cut into parts of [`SPLIT_PART`] or more.
fn split(size: u64) -> Vec<PartPlan> {
    let part = SPLIT_PART.max(size.div_ceil(MAX_PARTS));
    (0..size.div_ceil(part))
        .map(|i| PartPlan {
            range: i * part..((i + 1) * part).min(size),
            checksum: None,
        })
        .collect()
}

/// The checksum algorithm and type the replica's upload takes: the source's,
/// when the destination can compute it from the parts.
pub(super) fn upload_checksum(
    version: &ObjectVersion,
) -> Option<(ChecksumAlgorithm, ChecksumType)> {
    let (algorithm, _) = version.checksums.values.first()?;
    let kind = version.checksums.kind;
    // A composite checksum needs the source's boundaries; a split source has none.
    let split = version.parts().is_none();
    (kind.allowed_with(*algorithm) && !(split && kind == ChecksumType::Composite))
        .then_some((*algorithm, kind))
}

/// What a copy to a bucket of this server needs besides the parts.
pub(super) struct LocalUpload<'a> {
    pub source_bucket: &'a str,
    pub bucket: &'a str,
    pub key: ObjectKey,
    pub opts: PutOptions,
    pub sse: Option<SseRequest>,
    pub source: &'a ReplicaSource,
}

/// Copies `version` in parts to a bucket of this server through a multipart
/// upload completed as a replica; aborted if any step fails.
pub(super) fn copy_local(
    engine: &Engine,
    version: &ObjectVersion,
    plan: &[PartPlan],
    upload: LocalUpload<'_>,
) -> Result<(), SendError> {
    let checksum = upload_checksum(version);
    let mut opts = upload.opts;
    opts.sse = upload.sse.clone();
    let created = engine
        .create_upload(
            upload.bucket,
            &upload.key,
            opts,
            checksum.map(|(a, _)| a),
            checksum.map(|(_, k)| k),
        )
        .map_err(super::replication_copy::local_error)?;
    let id = created.upload_id;
    let key = upload.key.as_str();
    let sent = (|| {
        let algorithms: Vec<ChecksumAlgorithm> = checksum.map(|(a, _)| a).into_iter().collect();
        let mut parts = Vec::with_capacity(plan.len());
        for (part, number) in plan.iter().zip(1..) {
            let mut reader =
                engine.open_object(upload.source_bucket, version, Some(part.range.clone()))?;
            let staged = engine.stage_part_sse(&mut reader, &algorithms, upload.sse.as_ref())?;
            if let (Some((algorithm, _)), Some(want)) = (checksum, &part.checksum)
                && staged.checksums.get(algorithm) != Some(want.as_str())
            {
                return Err(horreo_storage::Error::Corrupt(format!(
                    "the copy of part {number} has another {} than the source's",
                    algorithm.as_str()
                )));
            }
            let stored = engine.put_part(upload.bucket, key, &id, number, staged)?;
            parts.push(CompletedPart {
                number,
                etag: stored.etag,
                checksums: Vec::new(),
            });
        }
        let completion = Completion {
            parts,
            replica: Some(upload.source.clone()),
            ..Default::default()
        };
        engine.complete_upload(upload.bucket, &upload.key, &id, completion)
    })();
    match sent {
        Ok(_) => Ok(()),
        Err(e) => {
            if let Err(abort) = engine.abort_upload(upload.bucket, key, &id) {
                tracing::warn!(
                    bucket = upload.bucket,
                    key,
                    "aborting a replica's upload failed: {abort}"
                );
            }
            Err(super::replication_copy::local_error(e))
        }
    }
}

/// What a copy to a remote needs besides the parts.
pub(super) struct RemoteUpload<'a> {
    pub remote: &'a Remote,
    pub source_bucket: &'a str,
    pub bucket: &'a str,
    /// The object's headers (metadata, tags, class, lock, encryption).
    pub headers: Vec<(String, String)>,
    /// The replica's headers (`x-horreo-replica-*`).
    pub replica: Vec<(String, String)>,
}

/// Sends `version` in parts to a remote: CreateMultipartUpload with the
/// object's and the replica's headers, one UploadPart per planned part read
/// from the source, CompleteMultipartUpload with the replica's headers; the
/// upload is aborted if any step fails.
pub(super) fn send_remote(
    engine: &Engine,
    version: &ObjectVersion,
    plan: &[PartPlan],
    upload: RemoteUpload<'_>,
) -> Result<(), SendError> {
    let RemoteUpload {
        remote,
        source_bucket,
        bucket,
        headers,
        replica,
    } = upload;
    let key = version.key.as_str();
    let checksum = upload_checksum(version);
    let mut create = headers;
    create.extend(replica.iter().cloned());
    if let Some((algorithm, kind)) = checksum {
        create.push(("x-amz-checksum-algorithm".into(), algorithm.as_str().into()));
        create.push(("x-amz-checksum-type".into(), kind.as_str().into()));
    }
    let id = remote.create_upload(bucket, key, create)?;
    let sent = (|| {
        let mut etags = Vec::with_capacity(plan.len());
        for (part, number) in plan.iter().zip(1u32..) {
            let reader = engine
                .open_object(source_bucket, version, Some(part.range.clone()))
                .map_err(super::replication_copy::local_error)?;
            let mut headers = Vec::new();
            if let (Some((algorithm, _)), Some(value)) = (checksum, &part.checksum) {
                headers.push((algorithm.header_name().to_owned(), value.clone()));
            }
            let size = part.range.end - part.range.start;
            etags.push(remote.upload_part(bucket, key, &id, number, headers, size, reader)?);
        }
        let mut xml = XmlWriter::new("CompleteMultipartUpload");
        for (etag, number) in etags.iter().zip(1..) {
            xml.open("Part")
                .elem("PartNumber", number.to_string())
                .elem("ETag", etag)
                .close("Part");
        }
        let xml = xml.finish("CompleteMultipartUpload");
        remote.complete_upload(bucket, key, &id, replica, xml)
    })();
    if sent.is_err()
        && let Err(e) = remote.abort_upload(bucket, key, &id)
    {
        tracing::warn!(bucket, key, "aborting a replica's upload failed: {e:?}");
    }
    sent
}

impl Remote {
    /// CreateMultipartUpload: the new upload's id.
    fn create_upload(
        &self,
        bucket: &str,
        key: &str,
        headers: Vec<(String, String)>,
    ) -> Result<String, SendError> {
        let (url, signed) = self.sign("POST", bucket, key, &[("uploads", "")], headers);
        let mut request = self.agent.post(&url);
        for (name, value) in &signed {
            request = request.header(name, value);
        }
        let text = read_text(answered(request.send_empty())?)?;
        between(&text, "<UploadId>", "</UploadId>")
            .map(str::to_owned)
            .ok_or_else(|| SendError::Transient("CreateMultipartUpload gave no UploadId".into()))
    }

    /// UploadPart of `size` bytes of `body`: the part's ETag, quotes kept.
    #[allow(clippy::too_many_arguments)]
    fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        number: u32,
        mut headers: Vec<(String, String)>,
        size: u64,
        body: impl std::io::Read + 'static,
    ) -> Result<String, SendError> {
        headers.push(("content-length".into(), size.to_string()));
        let number = number.to_string();
        let query = [("partNumber", number.as_str()), ("uploadId", upload_id)];
        let (url, signed) = self.sign("PUT", bucket, key, &query, headers);
        let mut request = self.agent.put(&url);
        for (name, value) in &signed {
            request = request.header(name, value);
        }
        let response = answered(request.send(ureq::SendBody::from_owned_reader(body)))?;
        response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| SendError::Transient(format!("UploadPart {number} gave no ETag")))
    }

    /// CompleteMultipartUpload with `xml`; an error in a 200 answer (S3 may
    /// send one once it has started answering) fails too.
    fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        mut headers: Vec<(String, String)>,
        xml: String,
    ) -> Result<(), SendError> {
        headers.push(("content-type".into(), "application/xml".into()));
        headers.push(("content-length".into(), xml.len().to_string()));
        let (url, signed) = self.sign("POST", bucket, key, &[("uploadId", upload_id)], headers);
        let mut request = self.agent.post(&url);
        for (name, value) in &signed {
            request = request.header(name, value);
        }
        let text = read_text(answered(request.send(xml.as_bytes()))?)?;
        match between(&text, "<Code>", "</Code>") {
            Some(code) => Err(SendError::Transient(format!(
                "CompleteMultipartUpload failed: {code}"
            ))),
            None => Ok(()),
        }
    }

    /// AbortMultipartUpload.
    fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<(), SendError> {
        let (url, signed) = self.sign(
            "DELETE",
            bucket,
            key,
            &[("uploadId", upload_id)],
            Vec::new(),
        );
        let mut request = self.agent.delete(&url);
        for (name, value) in &signed {
            request = request.header(name, value);
        }
        answered(request.call()).map(|_| ())
    }
}

fn read_text(response: ureq::http::Response<ureq::Body>) -> Result<String, SendError> {
    response
        .into_body()
        .with_config()
        .limit(1024 * 1024)
        .read_to_string()
        .map_err(|e| SendError::Transient(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_source_over_5_gib_is_cut_into_parts() {
        let size = 6 * 1024 * 1024 * 1024 + 1;
        let plan = split(size);
        assert_eq!(plan.len(), 13);
        assert_eq!(plan[0].range, 0..SPLIT_PART);
        assert_eq!(plan[12].range, 12 * SPLIT_PART..size);
        let huge = split(5 * 1024 * 1024 * 1024 * 1024);
        assert_eq!(huge.len(), 10_000);
        assert_eq!(huge.last().map(|p| p.range.end), Some(5 << 40));
    }
}
