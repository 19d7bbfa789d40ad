//! Server-side encryption: the `x-amz-server-side-encryption*` request headers,
//! the headers echoed on responses, and Put/Get/DeleteBucketEncryption.

use actix_web::{HttpResponse, HttpResponseBuilder};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use horreo_storage::{
    Bucket, BucketEncryption, CustomerKey, MultipartUpload, ObjectEncryption, SseAlgorithm,
    SseRequest,
};
use md5::{Digest, Md5};
use serde::Deserialize;

use super::{Ctx, MAX_XML_BODY, xml_response};
use crate::body::RequestBody;
use crate::error::{S3Error, S3Result};
use crate::s3_error;
use crate::xml::{self, XmlWriter};

const SSE: &str = "x-amz-server-side-encryption";
const KMS_KEY_ID: &str = "x-amz-server-side-encryption-aws-kms-key-id";
const CONTEXT: &str = "x-amz-server-side-encryption-context";
const BUCKET_KEY: &str = "x-amz-server-side-encryption-bucket-key-enabled";
const CUSTOMER: &str = "x-amz-server-side-encryption-customer-";
const COPY_SOURCE_CUSTOMER: &str = "x-amz-copy-source-server-side-encryption-customer-";

/// The encryption a write asks for: its own headers, else the bucket's default.
pub fn write_request(ctx: &Ctx, bucket: &Bucket) -> S3Result<Option<SseRequest>> {
    let customer = customer_key(ctx, CUSTOMER)?;
    let sse = ctx.header(SSE).map(str::trim);
    let key_id = ctx.header(KMS_KEY_ID).map(str::trim);
    let context = ctx.header(CONTEXT).map(str::trim);
    let bucket_key = match ctx.header(BUCKET_KEY).map(str::trim) {
        None => None,
        Some(v) if v.eq_ignore_ascii_case("true") => Some(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Some(false),
        Some(_) => {
            return Err(S3Error::invalid_argument(
                "The header 'x-amz-server-side-encryption-bucket-key-enabled' shall be either true or false",
            ));
        }
    };
    if let Some(customer) = customer {
        if sse.is_some() {
            return Err(S3Error::invalid_argument(
                "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
            ));
        }
        return Ok(Some(SseRequest::Customer(customer)));
    }
    match sse {
        None => {
            if key_id.is_some() || context.is_some() {
                return Err(s3_error!(
                    InvalidArgument,
                    "Server Side Encryption with AWS KMS managed key requires HTTP header \
                     x-amz-server-side-encryption : aws:kms"
                ));
            }
            Ok(bucket.encryption.as_ref().map(|d| {
                let mut request = d.request();
                if let (SseRequest::Kms { bucket_key: b, .. }, Some(asked)) =
                    (&mut request, bucket_key)
                {
                    *b = asked;
                }
                request
            }))
        }
        Some("AES256") => {
            if key_id.is_some() || context.is_some() {
                return Err(S3Error::invalid_argument(
                    "Server Side Encryption with AWS KMS managed key requires HTTP header \
                     x-amz-server-side-encryption : aws:kms",
                ));
            }
            Ok(Some(SseRequest::S3))
        }
        Some("aws:kms") => {
            if let Some(c) = context {
                let json = BASE64
                    .decode(c)
                    .ok()
                    .and_then(|raw| String::from_utf8(raw).ok())
                    .filter(|j| j.trim_start().starts_with('{') && j.trim_end().ends_with('}'));
                if json.is_none() {
                    return Err(S3Error::invalid_argument(
                        "The header 'x-amz-server-side-encryption-context' must be a base64-encoded UTF-8 JSON object",
                    ));
                }
            }
            let default = bucket
                .encryption
                .as_ref()
                .filter(|d| d.algorithm == SseAlgorithm::AwsKms);
            Ok(Some(SseRequest::Kms {
                key_id: key_id
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned)
                    .or_else(|| default.and_then(|d| d.kms_key_id.clone())),
                context: context.map(str::to_owned),
                bucket_key: bucket_key
                    .unwrap_or_else(|| default.is_some_and(|d| d.bucket_key_enabled)),
            }))
        }
        Some("aws:kms:dsse") => Err(S3Error::not_implemented("DSSE-KMS encryption")),
        Some(_) => Err(S3Error::invalid_argument(
            "The encryption method specified is not supported",
        )
        .with("ArgumentName", SSE)),
    }
}

/// GetObject and HeadObject: the SSE-S3 and SSE-KMS request headers choose how a
/// write encrypts, so a read carrying one is `InvalidArgument`, as on AWS. The
/// SSE-C headers are the key to read with and are not concerned.
pub fn refuse_on_read(ctx: &Ctx) -> S3Result<()> {
    for name in [SSE, KMS_KEY_ID, CONTEXT] {
        if let Some(value) = ctx.headers().get(name) {
            return Err(S3Error::invalid_argument(format!(
                "{name} header is not supported for this operation."
            ))
            .with("ArgumentName", name)
            .with("ArgumentValue", String::from_utf8_lossy(value.as_bytes())));
        }
    }
    Ok(())
}

/// The customer key of `x-amz-server-side-encryption-customer-*` (SSE-C), checked
/// against its MD5; refused over plain HTTP unless the server allows it.
pub fn customer_key_of(ctx: &Ctx) -> S3Result<Option<CustomerKey>> {
    customer_key(ctx, CUSTOMER)
}

/// The customer key of the copy source (`x-amz-copy-source-server-side-encryption-customer-*`).
pub fn copy_source_key(ctx: &Ctx) -> S3Result<Option<CustomerKey>> {
    customer_key(ctx, COPY_SOURCE_CUSTOMER)
}

fn customer_key(ctx: &Ctx, prefix: &str) -> S3Result<Option<CustomerKey>> {
    let get = |suffix: &str| ctx.header(&format!("{prefix}{suffix}")).map(str::trim);
    let (algorithm, key, md5) = (get("algorithm"), get("key"), get("key-md5"));
    if algorithm.is_none() && key.is_none() && md5.is_none() {
        return Ok(None);
    }
    if !ctx.req.app_config().secure() && !ctx.state.allow_insecure_sse_c {
        return Err(S3Error::invalid_request(
            "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
        ));
    }
    match algorithm {
        None => {
            return Err(S3Error::invalid_argument(
                "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
            ));
        }
        Some("AES256") => {}
        Some(_) => {
            return Err(s3_error!(
                InvalidEncryptionAlgorithmError,
                "The Encryption request you specified is not valid. Supported value: AES256."
            ));
        }
    }
    let key = key.ok_or_else(|| {
        S3Error::invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
        )
    })?;
    let raw: [u8; 32] = BASE64
        .decode(key)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| {
            S3Error::invalid_argument("The secret key was invalid for the specified algorithm.")
        })?;
    let md5 = md5.ok_or_else(|| {
        S3Error::invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
        )
    })?;
    let actual = BASE64.encode(Md5::digest(raw));
    if actual != md5 {
        return Err(S3Error::invalid_argument(
            "The calculated MD5 hash of the key did not match the hash that was provided.",
        ));
    }
    Ok(Some(CustomerKey::new(raw, actual)))
}

/// The request a part of `upload` is encrypted with: the upload's own mode (for
/// SSE-C, with the key the request carries, which must be the upload's).
pub fn part_request(ctx: &Ctx, upload: &MultipartUpload) -> S3Result<Option<SseRequest>> {
    let customer = customer_key_of(ctx)?;
    upload
        .check_customer_key(customer.as_ref())
        .map_err(S3Error::from)?;
    Ok(match (&upload.encryption, customer) {
        (None, _) => None,
        (Some(ObjectEncryption::S3), _) => Some(SseRequest::S3),
        (
            Some(ObjectEncryption::Kms {
                key_id,
                context,
                bucket_key,
            }),
            _,
        ) => Some(SseRequest::Kms {
            key_id: Some(key_id.clone()),
            context: context.clone(),
            bucket_key: *bucket_key,
        }),
        (Some(ObjectEncryption::Customer { .. }), Some(key)) => Some(SseRequest::Customer(key)),
        (Some(ObjectEncryption::Customer { .. }), None) => {
            return Err(S3Error::from(horreo_storage::Error::SseCustomerKeyRequired));
        }
    })
}

/// `AccessDenied` unless the principal may use the KMS key of `sse` (if it
/// names SSE-KMS) for `action`: `kms:GenerateDataKey` to encrypt new data,
/// `kms:Decrypt` to read it, as SSE-KMS needs on AWS. Keys count as the
/// bucket owner's: its root may always; others need an identity policy.
pub async fn authorise_kms(ctx: &Ctx, action: &'static str, key_id: Option<&str>) -> S3Result<()> {
    let arn = kms_arn(
        ctx,
        key_id.unwrap_or(horreo_storage::crypto::kms::DEFAULT_KEY_NAME),
    );
    let Some(caller) = ctx.principal.caller().cloned() else {
        return Err(S3Error::access_denied());
    };
    let (state, owner) = (ctx.state.clone(), ctx.owner_account());
    if caller.is_root() && caller.account.id == owner {
        return Ok(());
    }
    let allowed = tokio::task::spawn_blocking(move || {
        let context = horreo_policy::Context::new();
        state
            .access
            .allows_with(&state.engine, &caller, action, &arn, None, &owner, context)
    })
    .await
    .map_err(S3Error::internal)??;
    if allowed {
        Ok(())
    } else {
        Err(S3Error::access_denied())
    }
}

/// [`authorise_kms`] for data about to be written with `sse`.
pub async fn authorise_kms_write(ctx: &Ctx, sse: Option<&SseRequest>) -> S3Result<()> {
    match sse {
        Some(SseRequest::Kms { key_id, .. }) => {
            authorise_kms(ctx, "kms:GenerateDataKey", key_id.as_deref()).await
        }
        _ => Ok(()),
    }
}

/// [`authorise_kms`] for stored data encrypted as `enc`.
pub async fn authorise_kms_read(ctx: &Ctx, enc: Option<&ObjectEncryption>) -> S3Result<()> {
    match enc {
        Some(ObjectEncryption::Kms { key_id, .. }) => {
            authorise_kms(ctx, "kms:Decrypt", Some(key_id)).await
        }
        _ => Ok(()),
    }
}

/// `arn:aws:kms:REGION:ACCOUNT:key/ID`, as AWS reports a KMS key.
pub fn kms_arn(ctx: &Ctx, key_id: &str) -> String {
    format!("arn:aws:kms:{}:000000000000:key/{key_id}", ctx.state.region)
}

/// The `x-amz-server-side-encryption*` response headers of stored data.
pub fn response_headers(ctx: &Ctx, resp: &mut HttpResponseBuilder, enc: Option<&ObjectEncryption>) {
    match enc {
        None => {}
        Some(ObjectEncryption::S3) => {
            resp.insert_header((SSE, "AES256"));
        }
        Some(ObjectEncryption::Kms {
            key_id,
            context,
            bucket_key,
        }) => {
            resp.insert_header((SSE, "aws:kms"));
            // The key id may come from a bucket's encryption configuration (XML).
            super::header_value::insert_stored(resp, KMS_KEY_ID, &kms_arn(ctx, key_id));
            if let Some(c) = context {
                super::header_value::insert_stored(resp, CONTEXT, c);
            }
            if *bucket_key {
                resp.insert_header((BUCKET_KEY, "true"));
            }
        }
        Some(ObjectEncryption::Customer { key_md5 }) => {
            resp.insert_header((format!("{CUSTOMER}algorithm"), "AES256"))
                .insert_header((format!("{CUSTOMER}key-md5"), key_md5.as_str()));
        }
    }
}

/// Body of PutBucketEncryption.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ServerSideEncryptionConfiguration {
    #[serde(default, rename = "Rule")]
    rules: Vec<RuleXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RuleXml {
    apply_server_side_encryption_by_default: Option<DefaultXml>,
    bucket_key_enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct DefaultXml {
    #[serde(rename = "SSEAlgorithm")]
    algorithm: String,
    #[serde(rename = "KMSMasterKeyID")]
    kms_key_id: Option<String>,
}

pub async fn put_bucket(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let doc: ServerSideEncryptionConfiguration = xml::parse(&body.read_all(MAX_XML_BODY).await?)?;
    let [rule] = &doc.rules[..] else {
        return Err(S3Error::malformed_xml());
    };
    let Some(default) = &rule.apply_server_side_encryption_by_default else {
        return Err(S3Error::malformed_xml());
    };
    let kms_key_id = default
        .kms_key_id
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    let algorithm = match default.algorithm.trim() {
        "AES256" => {
            if kms_key_id.is_some() {
                return Err(S3Error::invalid_argument(
                    "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms",
                ));
            }
            SseAlgorithm::Aes256
        }
        "aws:kms" => SseAlgorithm::AwsKms,
        "aws:kms:dsse" => return Err(S3Error::not_implemented("DSSE-KMS encryption")),
        _ => return Err(S3Error::malformed_xml()),
    };
    let config = BucketEncryption {
        algorithm,
        kms_key_id,
        bucket_key_enabled: rule.bucket_key_enabled.unwrap_or(false),
    };
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.encryption = Some(config);
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::Ok().finish())
}

pub async fn get_bucket(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let Some(config) = bucket.encryption else {
        return Err(s3_error!(
            ServerSideEncryptionConfigurationNotFoundError,
            "The server side encryption configuration was not found"
        )
        .with("BucketName", ctx.bucket.clone()));
    };
    let mut w = XmlWriter::new("ServerSideEncryptionConfiguration");
    w.open("Rule").open("ApplyServerSideEncryptionByDefault");
    match config.algorithm {
        SseAlgorithm::Aes256 => w.elem("SSEAlgorithm", "AES256"),
        SseAlgorithm::AwsKms => w.elem("SSEAlgorithm", "aws:kms"),
    };
    w.opt("KMSMasterKeyID", config.kms_key_id.as_deref())
        .close("ApplyServerSideEncryptionByDefault")
        .elem("BucketKeyEnabled", config.bucket_key_enabled.to_string())
        .close("Rule");
    Ok(xml_response(w.finish("ServerSideEncryptionConfiguration")))
}

pub async fn delete_bucket(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.encryption = None;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bucket_encryption_body_parses() {
        let body = br#"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>app</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"#;
        let doc: ServerSideEncryptionConfiguration = xml::parse(body).unwrap();
        let d = doc.rules[0]
            .apply_server_side_encryption_by_default
            .as_ref()
            .unwrap();
        assert_eq!(d.algorithm, "aws:kms");
        assert_eq!(d.kms_key_id.as_deref(), Some("app"));
        assert_eq!(doc.rules[0].bucket_key_enabled, Some(true));
    }
}
