//! Object Ownership of a bucket: Put/Get/DeleteBucketOwnershipControls.

use actix_web::HttpResponse;
use horreo_storage::ObjectOwnership;
use serde::Deserialize;

use super::{Ctx, MAX_XML_BODY, acl, xml_response};
use crate::body::RequestBody;
use crate::error::{S3Error, S3Result};
use crate::s3_error;
use crate::xml::{self, XmlWriter};

/// The request body: exactly one rule.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OwnershipControls {
    #[serde(rename = "Rule", default)]
    rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Rule {
    object_ownership: String,
}

/// `InvalidBucketAclWithObjectOwnership` when asking for
/// `BucketOwnerEnforced` while the bucket ACL grants anyone but the owner;
/// stored ACLs are kept (and apply again if ACLs are enabled again).
pub async fn put(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let body = body.read_all(MAX_XML_BODY).await?;
    let controls: OwnershipControls = xml::parse(&body)?;
    let [rule] = controls.rules.as_slice() else {
        return Err(S3Error::malformed_xml());
    };
    let wanted =
        ObjectOwnership::parse(&rule.object_ownership).ok_or_else(S3Error::malformed_xml)?;
    let owner_canonical = match &ctx.bucket_access {
        Some(access) => access.owner.canonical_id.clone(),
        None => ctx.caller()?.account.canonical_id.clone(),
    };
    let name = ctx.bucket.clone();
    // Checked under the engine's bucket lock, against the ACL then stored.
    let updated = ctx
        .engine(move |e| {
            e.update_bucket(&name, |b| {
                let foreign = b
                    .acl
                    .as_ref()
                    .is_some_and(|a| a.grants_others(&owner_canonical));
                if wanted != ObjectOwnership::BucketOwnerEnforced || !foreign {
                    b.ownership = Some(wanted);
                }
                Ok(())
            })
        })
        .await?;
    ctx.state.access.forget_bucket(&ctx.bucket);
    if updated.ownership != Some(wanted) {
        return Err(acl::invalid_with_enforced());
    }
    Ok(HttpResponse::Ok().finish())
}

pub async fn get(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let Some(ownership) = bucket.ownership else {
        return Err(s3_error!(
            OwnershipControlsNotFoundError,
            "The bucket ownership controls were not found"
        )
        .with("BucketName", ctx.bucket.clone()));
    };
    let mut w = XmlWriter::new("OwnershipControls");
    w.open("Rule")
        .elem("ObjectOwnership", ownership.as_str())
        .close("Rule");
    Ok(xml_response(w.finish("OwnershipControls")))
}

/// Removes the setting: the bucket then behaves as `ObjectWriter`.
pub async fn delete(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.ownership = None;
            Ok(())
        })
    })
    .await?;
    ctx.state.access.forget_bucket(&ctx.bucket);
    Ok(HttpResponse::NoContent().finish())
}
