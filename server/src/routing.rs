//! Turns method + host + path + query into one [`Endpoint`]; dispatch is one `match`.

use percent_encoding::percent_decode_str;

use crate::error::{S3Error, S3Result};

/// The decoded query string, in order.
#[derive(Debug, Default, Clone)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Decodes `a=b&c` (percent escapes, and `+` as space as S3 does).
    pub fn parse(raw: &str) -> S3Result<Self> {
        let mut pairs = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((decode_query(name)?, decode_query(value)?));
        }
        Ok(Self(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

fn decode_query(s: &str) -> S3Result<String> {
    let s = s.replace('+', " ");
    percent_decode_str(&s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| S3Error::invalid_argument("The query string is not valid UTF-8."))
}

/// Which bucket and key a request addresses, path-style or virtual-host-style.
#[derive(Debug, Default)]
pub struct Target {
    pub bucket: Option<String>,
    pub key: Option<String>,
}

impl Target {
    /// `raw_path` is the path as sent (percent-encoded). With `domain` set, a Host of
    /// `bucket.domain` selects virtual-host style and the whole path is the key.
    pub fn parse(host: Option<&str>, raw_path: &str, domain: Option<&str>) -> S3Result<Self> {
        let path = percent_decode_str(raw_path)
            .decode_utf8()
            .map_err(|_| S3Error::invalid_argument("The request path is not valid UTF-8."))?;
        let path = path.strip_prefix('/').unwrap_or(&path);
        // Host names compare case-insensitively and may end with a dot; the port
        // (of the Host or of a `--domain` written with one) plays no part.
        let name = |h: &str| {
            let h = h.rsplit_once(':').map_or(h, |(name, _port)| name);
            h.strip_suffix('.').unwrap_or(h).to_ascii_lowercase()
        };
        let host = host.map(name);
        let domain = domain.map(name);
        let vhost_bucket = match (host.as_deref(), domain.as_deref()) {
            (Some(host), Some(domain)) => host
                .strip_suffix(domain)
                .and_then(|rest| rest.strip_suffix('.'))
                .filter(|b| !b.is_empty()),
            _ => None,
        };
        let (bucket, key) = match vhost_bucket {
            Some(bucket) => (Some(bucket), path),
            None => match path.split_once('/') {
                Some((bucket, key)) => (Some(bucket), key),
                None => ((!path.is_empty()).then_some(path), ""),
            },
        };
        Ok(Self {
            bucket: bucket.map(str::to_owned),
            key: (!key.is_empty()).then(|| key.to_owned()),
        })
    }
}

/// Every S3 operation horreo routes, one variant each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    GetBucketVersioning,
    PutBucketVersioning,
    ListObjectVersions,
    GetObjectLockConfiguration,
    PutObjectLockConfiguration,
    GetObjectRetention,
    PutObjectRetention,
    GetObjectLegalHold,
    PutObjectLegalHold,
    PutBucketTagging,
    GetBucketTagging,
    DeleteBucketTagging,
    PutBucketEncryption,
    GetBucketEncryption,
    DeleteBucketEncryption,
    ListObjects,
    ListObjectsV2,
    DeleteObjects,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    GetObjectAttributes,
    PutObjectTagging,
    GetObjectTagging,
    DeleteObjectTagging,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    ListMultipartUploads,
    /// A real S3 operation horreo does not implement yet: 501 NotImplemented.
    NotImplemented(&'static str),
}

/// Bucket sub-resources S3 has and horreo does not implement yet.
const BUCKET_SUBRESOURCES: &[(&str, &str)] = &[
    ("accelerate", "Bucket accelerate configuration"),
    ("acl", "Bucket ACLs"),
    ("analytics", "Bucket analytics"),
    ("cors", "Bucket CORS"),
    ("intelligent-tiering", "Intelligent-Tiering configuration"),
    ("inventory", "Bucket inventory"),
    ("lifecycle", "Bucket lifecycle"),
    ("logging", "Bucket logging"),
    ("metrics", "Bucket metrics"),
    ("notification", "Bucket notifications"),
    ("ownershipControls", "Bucket ownership controls"),
    ("policy", "Bucket policies"),
    ("policyStatus", "Bucket policy status"),
    ("publicAccessBlock", "Public access block"),
    ("replication", "Bucket replication"),
    ("requestPayment", "Requester pays"),
    ("website", "Bucket website"),
];

/// Object sub-resources S3 has and horreo does not implement yet.
const OBJECT_SUBRESOURCES: &[(&str, &str)] = &[
    ("acl", "Object ACLs"),
    ("attributes", "GetObjectAttributes"),
    ("restore", "RestoreObject"),
    ("select", "SelectObjectContent"),
    ("torrent", "GetObjectTorrent"),
];

impl Endpoint {
    /// Routes a request. `copy_source` tells whether `x-amz-copy-source` is present.
    pub fn route(
        method: &str,
        target: &Target,
        query: &Query,
        copy_source: bool,
    ) -> S3Result<Self> {
        use Endpoint::*;
        let Some(_bucket) = &target.bucket else {
            return match method {
                "GET" => Ok(ListBuckets),
                _ => Err(method_not_allowed()),
            };
        };
        if target.key.is_none() {
            match method {
                "GET" if query.has("versioning") => return Ok(GetBucketVersioning),
                "GET" if query.has("uploads") => return Ok(ListMultipartUploads),
                "GET" if query.has("versions") => return Ok(ListObjectVersions),
                "PUT" if query.has("versioning") => return Ok(PutBucketVersioning),
                "GET" if query.has("object-lock") => return Ok(GetObjectLockConfiguration),
                "PUT" if query.has("object-lock") => return Ok(PutObjectLockConfiguration),
                "PUT" if query.has("encryption") => return Ok(PutBucketEncryption),
                "GET" if query.has("encryption") => return Ok(GetBucketEncryption),
                "DELETE" if query.has("encryption") => return Ok(DeleteBucketEncryption),
                _ => {}
            }
            if let Some(what) = unimplemented(query, BUCKET_SUBRESOURCES) {
                return Ok(NotImplemented(what));
            }
            let tagging = query.has("tagging");
            return Ok(match method {
                "PUT" if tagging => PutBucketTagging,
                "GET" if tagging => GetBucketTagging,
                "DELETE" if tagging => DeleteBucketTagging,
                "PUT" => CreateBucket,
                "HEAD" => HeadBucket,
                "DELETE" => DeleteBucket,
                "GET" if query.has("location") => GetBucketLocation,
                "GET" if query.get("list-type") == Some("2") => ListObjectsV2,
                "GET" => ListObjects,
                "POST" if query.has("delete") => DeleteObjects,
                _ => return Err(method_not_allowed()),
            });
        }
        match method {
            "GET" if query.has("retention") => return Ok(GetObjectRetention),
            "PUT" if query.has("retention") => return Ok(PutObjectRetention),
            "GET" if query.has("legal-hold") => return Ok(GetObjectLegalHold),
            "PUT" if query.has("legal-hold") => return Ok(PutObjectLegalHold),
            "GET" if query.has("attributes") => return Ok(GetObjectAttributes),
            _ => {}
        }
        if let Some(what) = unimplemented(query, OBJECT_SUBRESOURCES) {
            return Ok(NotImplemented(what));
        }
        let tagging = query.has("tagging");
        let upload = query.has("uploadId");
        Ok(match method {
            "POST" if query.has("uploads") => CreateMultipartUpload,
            "POST" if upload => CompleteMultipartUpload,
            "PUT" if upload && copy_source => UploadPartCopy,
            "PUT" if upload => UploadPart,
            "GET" if upload => ListParts,
            "DELETE" if upload => AbortMultipartUpload,
            "PUT" if tagging => PutObjectTagging,
            "GET" if tagging => GetObjectTagging,
            "DELETE" if tagging => DeleteObjectTagging,
            "PUT" if copy_source => CopyObject,
            "PUT" => PutObject,
            "GET" => GetObject,
            "HEAD" => HeadObject,
            "DELETE" => DeleteObject,
            "POST" => NotImplemented("POST on an object"),
            _ => return Err(method_not_allowed()),
        })
    }
}

fn unimplemented(query: &Query, table: &[(&str, &'static str)]) -> Option<&'static str> {
    table
        .iter()
        .find(|(name, _)| query.has(name))
        .map(|(_, what)| *what)
}

fn method_not_allowed() -> S3Error {
    crate::s3_error!(
        MethodNotAllowed,
        "The specified method is not allowed against this resource."
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn route(method: &str, path: &str, query: &str) -> Endpoint {
        let target = Target::parse(Some("localhost:9000"), path, None).unwrap();
        Endpoint::route(method, &target, &Query::parse(query).unwrap(), false).unwrap()
    }

    #[test]
    fn path_style_splits_bucket_and_decoded_key() {
        let t = Target::parse(Some("localhost"), "/b/dir/a%20b%2Bc", None).unwrap();
        assert_eq!(t.bucket.as_deref(), Some("b"));
        assert_eq!(t.key.as_deref(), Some("dir/a b+c"));
        let t = Target::parse(None, "/b/", None).unwrap();
        assert_eq!((t.bucket.as_deref(), t.key), (Some("b"), None));
    }

    #[test]
    fn virtual_host_style_takes_bucket_from_host() {
        let t = Target::parse(Some("photos.s3.local:9000"), "/x/y", Some("s3.local")).unwrap();
        assert_eq!(t.bucket.as_deref(), Some("photos"));
        assert_eq!(t.key.as_deref(), Some("x/y"));
        let t = Target::parse(Some("s3.local"), "/photos/x", Some("s3.local")).unwrap();
        assert_eq!(t.bucket.as_deref(), Some("photos"));
        for host in ["PHOTOS.S3.Local:9000", "photos.s3.local."] {
            let t = Target::parse(Some(host), "/x", Some("s3.local:9000")).unwrap();
            assert_eq!(t.bucket.as_deref(), Some("photos"), "{host}");
        }
    }

    #[test]
    fn operations_route_by_method_and_subresource() {
        assert_eq!(route("GET", "/", ""), Endpoint::ListBuckets);
        assert_eq!(
            route("GET", "/b", "list-type=2&prefix=a"),
            Endpoint::ListObjectsV2
        );
        assert_eq!(route("GET", "/b", "location"), Endpoint::GetBucketLocation);
        assert_eq!(
            route("PUT", "/b", "encryption"),
            Endpoint::PutBucketEncryption
        );
        assert_eq!(
            route("DELETE", "/b", "encryption"),
            Endpoint::DeleteBucketEncryption
        );
        assert_eq!(route("POST", "/b", "delete"), Endpoint::DeleteObjects);
        assert_eq!(route("PUT", "/b/k", "tagging"), Endpoint::PutObjectTagging);
        assert!(matches!(
            route("GET", "/b", "policy"),
            Endpoint::NotImplemented(_)
        ));
        assert_eq!(
            route("POST", "/b/k", "uploads"),
            Endpoint::CreateMultipartUpload
        );
        assert_eq!(
            route("PUT", "/b/k", "partNumber=1&uploadId=x"),
            Endpoint::UploadPart
        );
        assert_eq!(route("GET", "/b/k", "uploadId=x"), Endpoint::ListParts);
        assert_eq!(
            route("DELETE", "/b/k", "uploadId=x"),
            Endpoint::AbortMultipartUpload
        );
        assert_eq!(
            route("POST", "/b/k", "uploadId=x"),
            Endpoint::CompleteMultipartUpload
        );
        assert_eq!(
            route("GET", "/b", "uploads"),
            Endpoint::ListMultipartUploads
        );
        assert_eq!(
            route("PUT", "/b", "object-lock"),
            Endpoint::PutObjectLockConfiguration
        );
        assert_eq!(
            route("GET", "/b/k", "retention&versionId=v"),
            Endpoint::GetObjectRetention
        );
        assert_eq!(
            route("PUT", "/b/k", "legal-hold"),
            Endpoint::PutObjectLegalHold
        );
    }

    #[test]
    fn query_decodes_plus_and_escapes() {
        let q = Query::parse("prefix=a+b%2Fc&acl").unwrap();
        assert_eq!(q.get("prefix"), Some("a b/c"));
        assert_eq!(q.get("acl"), Some(""));
    }
}
