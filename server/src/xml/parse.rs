use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{S3Error, S3Result};

/// Parses a request body; anything that does not match the schema is `MalformedXML`.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> S3Result<T> {
    let text = std::str::from_utf8(body).map_err(|_| S3Error::malformed_xml())?;
    quick_xml::de::from_str(text).map_err(|_| S3Error::malformed_xml())
}

/// Body of CreateBucket.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBucketConfiguration {
    pub location_constraint: Option<String>,
}

/// Body of DeleteObjects.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Delete {
    #[serde(default)]
    pub quiet: bool,
    #[serde(default, rename = "Object")]
    pub objects: Vec<DeleteObject>,
}

/// One entry of DeleteObjects, with the conditions of a conditional delete.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteObject {
    pub key: String,
    pub version_id: Option<String>,
    #[serde(rename = "ETag")]
    pub etag: Option<String>,
    pub last_modified_time: Option<String>,
    pub size: Option<String>,
}

/// Body of PutObjectTagging and PutBucketTagging.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tagging {
    pub tag_set: TagSet,
}

#[derive(Debug, Deserialize, Default)]
pub struct TagSet {
    #[serde(default, rename = "Tag")]
    pub tags: Vec<TagXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagXml {
    pub key: String,
    pub value: String,
}

impl From<TagXml> for horreo_storage::Tag {
    fn from(t: TagXml) -> Self {
        Self {
            key: t.key,
            value: t.value,
        }
    }
}

/// The `Filter` element of lifecycle rules, Intelligent-Tiering and
/// replication configurations: at most one condition, or `And` of several.
/// Each configuration checks which conditions it allows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FilterXml {
    pub prefix: Option<String>,
    pub tag: Option<TagXml>,
    pub object_size_greater_than: Option<i64>,
    pub object_size_less_than: Option<i64>,
    pub and: Option<FilterAndXml>,
}

/// The `And` element of a [`FilterXml`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FilterAndXml {
    pub prefix: Option<String>,
    #[serde(default, rename = "Tag")]
    pub tags: Vec<TagXml>,
    pub object_size_greater_than: Option<i64>,
    pub object_size_less_than: Option<i64>,
}

impl FilterXml {
    /// Whether an object-size condition appears, at the top or inside `And`.
    pub fn has_size(&self) -> bool {
        let and = self.and.as_ref();
        self.object_size_greater_than.is_some()
            || self.object_size_less_than.is_some()
            || and.is_some_and(|a| {
                a.object_size_greater_than.is_some() || a.object_size_less_than.is_some()
            })
    }
}

/// Body of PutBucketVersioning.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersioningConfiguration {
    pub status: Option<String>,
    pub mfa_delete: Option<String>,
}

/// Body of PutObjectLockConfiguration.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectLockConfiguration {
    pub object_lock_enabled: Option<String>,
    pub rule: Option<ObjectLockRule>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectLockRule {
    pub default_retention: DefaultRetention,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DefaultRetention {
    pub mode: Option<String>,
    pub days: Option<i64>,
    pub years: Option<i64>,
}

/// Body of PutObjectRetention; both fields absent removes the retention.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Retention {
    pub mode: Option<String>,
    pub retain_until_date: Option<String>,
}

/// Body of PutObjectLegalHold.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LegalHold {
    pub status: Option<String>,
}

/// Body of CompleteMultipartUpload.
#[derive(Debug, Deserialize)]
pub struct CompleteMultipartUpload {
    #[serde(default, rename = "Part")]
    pub parts: Vec<CompletedPartXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompletedPartXml {
    pub part_number: u32,
    #[serde(rename = "ETag")]
    pub etag: String,
    #[serde(rename = "ChecksumCRC32")]
    pub checksum_crc32: Option<String>,
    #[serde(rename = "ChecksumCRC32C")]
    pub checksum_crc32c: Option<String>,
    #[serde(rename = "ChecksumSHA1")]
    pub checksum_sha1: Option<String>,
    #[serde(rename = "ChecksumSHA256")]
    pub checksum_sha256: Option<String>,
    #[serde(rename = "ChecksumCRC64NVME")]
    pub checksum_crc64nvme: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn delete_objects_body_parses_with_namespace_and_quiet() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a &amp; b</Key></Object><Object><Key>c</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>"#;
        let d: Delete = parse(body).unwrap();
        assert!(d.quiet);
        assert_eq!(d.objects.len(), 2);
        assert_eq!(d.objects[0].key, "a & b");
        assert_eq!(d.objects[1].version_id.as_deref(), Some("v1"));
    }

    #[test]
    fn tagging_body_parses() {
        let body = br#"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>e</Key><Value></Value></Tag></TagSet></Tagging>"#;
        let t: Tagging = parse(body).unwrap();
        assert_eq!(t.tag_set.tags.len(), 2);
        assert_eq!(t.tag_set.tags[1].value, "");
    }

    #[test]
    fn complete_multipart_upload_body_parses() {
        let body = br#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"a1"</ETag><PartNumber>1</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><PartNumber>2</PartNumber><ETag>b2</ETag></Part></CompleteMultipartUpload>"#;
        let c: CompleteMultipartUpload = parse(body).unwrap();
        assert_eq!(c.parts.len(), 2);
        assert_eq!(c.parts[0].etag, "\"a1\"");
        assert_eq!(c.parts[0].checksum_crc32.as_deref(), Some("AAAAAA=="));
        assert_eq!(c.parts[1].part_number, 2);
        let empty: CompleteMultipartUpload = parse(b"<CompleteMultipartUpload/>").unwrap();
        assert!(empty.parts.is_empty());
    }

    #[test]
    fn object_lock_bodies_parse() {
        let body = br#"<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>3</Days></DefaultRetention></Rule></ObjectLockConfiguration>"#;
        let c: ObjectLockConfiguration = parse(body).unwrap();
        assert_eq!(c.object_lock_enabled.as_deref(), Some("Enabled"));
        let d = c.rule.unwrap().default_retention;
        assert_eq!(
            (d.mode.as_deref(), d.days, d.years),
            (Some("GOVERNANCE"), Some(3), None)
        );
        let r: Retention = parse(b"<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>").unwrap();
        assert_eq!(r.retain_until_date.as_deref(), Some("2030-01-01T00:00:00Z"));
        let r: Retention = parse(b"<Retention/>").unwrap();
        assert!(r.mode.is_none() && r.retain_until_date.is_none());
        let h: LegalHold = parse(b"<LegalHold><Status>ON</Status></LegalHold>").unwrap();
        assert_eq!(h.status.as_deref(), Some("ON"));
    }

    #[test]
    fn garbage_is_malformed_xml() {
        let err = parse::<Delete>(b"<Delete><Object>").unwrap_err();
        assert_eq!(err.code, crate::error::S3ErrorCode::MalformedXML);
    }
}
