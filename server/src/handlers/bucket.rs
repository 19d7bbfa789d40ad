//! Bucket operations: create, head, delete, list, location, versioning.

use actix_web::HttpResponse;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use horreo_storage::{BucketName, VersioningState};

use super::{Ctx, MAX_XML_BODY, xml_response};
use crate::body::RequestBody;
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::s3_error;
use crate::xml::{self, XmlWriter};

/// The region where CreateBucket of a bucket you already own answers 200.
const LEGACY_REGION: &str = "us-east-1";

pub async fn list_buckets(
    ctx: Ctx,
    prefix: Option<String>,
    max: usize,
    continuation_token: Option<String>,
) -> S3Result<HttpResponse> {
    let after = match continuation_token {
        None => None,
        Some(t) => Some(
            URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    S3Error::invalid_argument("The continuation token provided is incorrect")
                })?,
        ),
    };
    let buckets = ctx.engine(|e| e.list_buckets()).await?;
    let account = &ctx.caller()?.account;
    let mut selected = buckets
        .iter()
        .filter(|b| ctx.state.identities.owner(&b.owner).id == account.id)
        .filter(|b| b.name.starts_with(prefix.as_deref().unwrap_or_default()))
        .filter(|b| after.as_ref().is_none_or(|a| b.name.as_str() > a.as_str()));
    let mut w = XmlWriter::new("ListAllMyBucketsResult");
    w.open("Owner")
        .elem("ID", &account.canonical_id)
        .elem("DisplayName", &account.name)
        .close("Owner")
        .open("Buckets");
    let mut last = None;
    for b in selected.by_ref().take(max) {
        w.open("Bucket")
            .elem("Name", &b.name)
            .elem("CreationDate", xml::timestamp(b.created))
            .elem("BucketRegion", &b.region)
            .close("Bucket");
        last = Some(b.name.clone());
    }
    w.close("Buckets");
    if let (Some(last), true) = (last, selected.next().is_some()) {
        w.elem("ContinuationToken", URL_SAFE_NO_PAD.encode(last));
    }
    w.opt("Prefix", prefix.as_ref());
    Ok(xml_response(w.finish("ListAllMyBucketsResult")))
}

pub async fn create(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let name = BucketName::parse(&ctx.bucket)?;
    let body = body.read_all(MAX_XML_BODY).await?;
    let config: xml::CreateBucketConfiguration = if body.iter().all(u8::is_ascii_whitespace) {
        Default::default()
    } else {
        xml::parse(&body)?
    };
    let region = ctx.state.region.clone();
    if let Some(constraint) = config.location_constraint.filter(|c| !c.is_empty())
        && constraint != region
    {
        return Err(s3_error!(
            InvalidLocationConstraint,
            "The specified location-constraint is not valid"
        )
        .with("LocationConstraint", constraint));
    }
    let account = ctx.caller()?.account.clone();
    let (ownership, acl) = super::acl::for_new_bucket(&ctx, &account)?;
    let object_lock = super::lock::object_lock_requested(&ctx);
    let created = ctx
        .engine(move |e| {
            e.create_bucket_with(&name, &account.id, &region, object_lock, |b| {
                b.ownership = Some(ownership);
                b.acl = acl;
            })
        })
        .await;
    match created {
        Ok(_) => {}
        Err(err) if err.code == S3ErrorCode::BucketAlreadyOwnedByYou => {
            let name = ctx.bucket.clone();
            let existing = ctx.engine(move |e| e.bucket(&name)).await?;
            let account = &ctx.caller()?.account;
            if ctx.state.identities.owner(&existing.owner).id != account.id {
                return Err(s3_error!(
                    BucketAlreadyExists,
                    "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."
                )
                .with("BucketName", ctx.bucket.clone()));
            }
            // AWS's legacy behaviour, in us-east-1 only: re-creating a bucket
            // you own succeeds and changes nothing.
            if ctx.state.region != LEGACY_REGION {
                return Err(err.with("BucketName", ctx.bucket.clone()));
            }
        }
        Err(err) => return Err(err.with("BucketName", ctx.bucket.clone())),
    }
    ctx.state.access.forget_bucket(&ctx.bucket);
    Ok(HttpResponse::Ok()
        .insert_header(("location", format!("/{}", ctx.bucket)))
        .finish())
}

pub async fn head(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("x-amz-bucket-region", bucket.region))
        .insert_header(("x-amz-access-point-alias", "false"))
        .finish())
}

pub async fn delete(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    ctx.engine(move |e| e.delete_bucket(&name))
        .await
        .map_err(|err| err.with("BucketName", ctx.bucket.clone()))?;
    ctx.state.access.forget_bucket(&ctx.bucket);
    Ok(HttpResponse::NoContent().finish())
}

pub async fn location(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    // AWS reports us-east-1 as an empty constraint.
    let region = if bucket.region == "us-east-1" {
        ""
    } else {
        &bucket.region
    };
    let mut w = XmlWriter::new("LocationConstraint");
    w.text(region);
    let doc = w.finish("LocationConstraint");
    Ok(xml_response(doc))
}

pub async fn versioning(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let mut w = XmlWriter::new("VersioningConfiguration");
    match bucket.versioning {
        VersioningState::Unversioned => {}
        VersioningState::Enabled => {
            w.elem("Status", "Enabled");
        }
        VersioningState::Suspended => {
            w.elem("Status", "Suspended");
        }
    }
    Ok(xml_response(w.finish("VersioningConfiguration")))
}

/// PutBucketVersioning: `Enabled` or `Suspended`; a bucket never returns to
/// unversioned. MFA delete is not supported.
pub async fn put_versioning(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let config: xml::VersioningConfiguration = xml::parse(&body.read_all(MAX_XML_BODY).await?)?;
    let state = match config.status.as_deref() {
        Some("Enabled") => VersioningState::Enabled,
        Some("Suspended") => VersioningState::Suspended,
        _ => return Err(S3Error::malformed_xml()),
    };
    if config.mfa_delete.as_deref() == Some("Enabled") {
        return Err(S3Error::not_implemented("MFA delete"));
    }
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.versioning = state;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::Ok().finish())
}
