//! ACLs: Get/PutBucketAcl, Get/PutObjectAcl, and the ACL a write asks for
//! (`x-amz-acl` or `x-amz-grant-*`) on CreateBucket, PutObject, CopyObject
//! and CreateMultipartUpload, as the bucket's Object Ownership allows.
//!
//! With `BucketOwnerEnforced` ACLs are disabled: a write may ask only for the
//! bucket owner's full control (no ACL, `private`, `bucket-owner-full-control`
//! or grants to the owner alone), which is then not stored, and reads answer
//! the bucket owner's FULL_CONTROL. Nothing is ever accepted and ignored.

use actix_web::HttpResponse;
use horreo_storage::{
    Account, Acl, Bucket, Grant, Grantee, GroupGrantee, ObjectOwnership, Permission,
};
use serde::Deserialize;

use super::{Ctx, MAX_XML_BODY, xml_response};
use crate::body::RequestBody;
use crate::error::{S3Error, S3Result};
use crate::s3_error;
use crate::xml::{self, XmlWriter};

const CANNED_ACL: &str = "x-amz-acl";
const GRANT_HEADERS: [(&str, Permission); 5] = [
    ("x-amz-grant-read", Permission::Read),
    ("x-amz-grant-write", Permission::Write),
    ("x-amz-grant-read-acp", Permission::ReadAcp),
    ("x-amz-grant-write-acp", Permission::WriteAcp),
    ("x-amz-grant-full-control", Permission::FullControl),
];
/// AWS's limit on the grants of one ACL.
const MAX_GRANTS: usize = 100;
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// S3's canned ACLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Canned {
    Private,
    PublicRead,
    PublicReadWrite,
    AuthenticatedRead,
    AwsExecRead,
    BucketOwnerRead,
    BucketOwnerFullControl,
    LogDeliveryWrite,
}

impl Canned {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "private" => Self::Private,
            "public-read" => Self::PublicRead,
            "public-read-write" => Self::PublicReadWrite,
            "authenticated-read" => Self::AuthenticatedRead,
            "aws-exec-read" => Self::AwsExecRead,
            "bucket-owner-read" => Self::BucketOwnerRead,
            "bucket-owner-full-control" => Self::BucketOwnerFullControl,
            "log-delivery-write" => Self::LogDeliveryWrite,
            _ => return None,
        })
    }

    /// The grants AWS documents, for a resource owned by `owner` in a
    /// bucket owned by `bucket_owner` (canonical ids). `aws-exec-read`'s
    /// grant to EC2 has no grantee here: it is the owner's alone.
    fn expand(self, owner: &str, bucket_owner: &str) -> Acl {
        let mut acl = Acl::private(owner);
        let mut add = |grantee: Grantee, permission| {
            acl.grants.push(Grant {
                grantee,
                permission,
            })
        };
        let all_users = || Grantee::Group(GroupGrantee::AllUsers);
        let log_delivery = || Grantee::Group(GroupGrantee::LogDelivery);
        let other_owner =
            (bucket_owner != owner).then(|| Grantee::CanonicalUser(bucket_owner.into()));
        match self {
            Self::Private | Self::AwsExecRead => {}
            Self::PublicRead => add(all_users(), Permission::Read),
            Self::PublicReadWrite => {
                add(all_users(), Permission::Read);
                add(all_users(), Permission::Write);
            }
            Self::AuthenticatedRead => add(
                Grantee::Group(GroupGrantee::AuthenticatedUsers),
                Permission::Read,
            ),
            Self::BucketOwnerRead => other_owner
                .into_iter()
                .for_each(|g| add(g, Permission::Read)),
            Self::BucketOwnerFullControl => other_owner
                .into_iter()
                .for_each(|g| add(g, Permission::FullControl)),
            Self::LogDeliveryWrite => {
                add(log_delivery(), Permission::Write);
                add(log_delivery(), Permission::ReadAcp);
            }
        }
        acl
    }
}

/// The ACL a request's headers ask for.
#[derive(Debug, PartialEq, Eq)]
enum Requested {
    None,
    Canned(Canned),
    Grants(Vec<Grant>),
}

impl Requested {
    /// Reads `x-amz-acl` and `x-amz-grant-*`: `InvalidRequest` for both,
    /// `InvalidArgument` for a value S3 does not know.
    fn from_headers(ctx: &Ctx) -> S3Result<Self> {
        let mut grants = Vec::new();
        let mut any_grant = false;
        for (header, permission) in GRANT_HEADERS {
            let Some(value) = ctx.headers().get(header) else {
                continue;
            };
            any_grant = true;
            let value = value
                .to_str()
                .map_err(|_| S3Error::invalid_argument("Invalid grant header"))?;
            for grantee in parse_grantees(ctx, value)? {
                grants.push(Grant {
                    grantee,
                    permission,
                });
            }
        }
        match (ctx.headers().get(CANNED_ACL), any_grant) {
            (Some(_), true) => Err(S3Error::invalid_request(
                "Specifying both Canned ACLs and Header Grants is not allowed",
            )),
            (Some(value), false) => value
                .to_str()
                .ok()
                .and_then(Canned::parse)
                .map(Self::Canned)
                .ok_or_else(|| {
                    S3Error::invalid_argument("The canned ACL is not one S3 defines")
                        .with("ArgumentName", CANNED_ACL)
                        .with("ArgumentValue", String::from_utf8_lossy(value.as_bytes()))
                }),
            (None, true) => limit(grants).map(Self::Grants),
            (None, false) => Ok(Self::None),
        }
    }

    /// The ACL for a resource owned by `owner` in a bucket owned by
    /// `bucket_owner` (canonical ids); `None` if none was asked for.
    fn expand(self, owner: &str, bucket_owner: &str) -> Option<Acl> {
        match self {
            Self::None => None,
            Self::Canned(canned) => Some(canned.expand(owner, bucket_owner)),
            Self::Grants(grants) => Some(Acl { grants }),
        }
    }
}

/// `id="..."`, `uri="..."` or `emailAddress="..."`, comma-separated.
fn parse_grantees(ctx: &Ctx, value: &str) -> S3Result<Vec<Grantee>> {
    value
        .split(',')
        .map(|item| {
            let (kind, name) = item.trim().split_once('=').ok_or_else(|| {
                S3Error::invalid_argument("Argument format not recognized")
                    .with("ArgumentValue", item.trim())
            })?;
            let name = name.trim().trim_matches('"');
            match kind.trim().to_ascii_lowercase().as_str() {
                "id" => canonical_user(ctx, name),
                "uri" => group(name),
                "emailaddress" => Err(unresolvable_email()),
                _ => Err(S3Error::invalid_argument("Argument format not recognized")
                    .with("ArgumentValue", item.trim())),
            }
        })
        .collect()
}

/// A grantee naming an account by canonical id: `InvalidArgument` unless
/// it is an account's.
fn canonical_user(ctx: &Ctx, id: &str) -> S3Result<Grantee> {
    match ctx.state.identities.by_canonical_id(id) {
        Some(_) => Ok(Grantee::CanonicalUser(id.to_owned())),
        None => Err(S3Error::invalid_argument("Invalid id")
            .with("ArgumentName", "CanonicalUser/ID")
            .with("ArgumentValue", id)),
    }
}

fn group(uri: &str) -> S3Result<Grantee> {
    GroupGrantee::from_uri(uri)
        .map(Grantee::Group)
        .ok_or_else(|| {
            S3Error::invalid_argument("Invalid group uri")
                .with("ArgumentName", "Group/URI")
                .with("ArgumentValue", uri)
        })
}

/// horreo's accounts have no e-mail address, so no grant by one resolves.
fn unresolvable_email() -> S3Error {
    s3_error!(
        UnresolvableGrantByEmailAddress,
        "The e-mail address you provided does not match any account on record."
    )
}

fn limit(grants: Vec<Grant>) -> S3Result<Vec<Grant>> {
    if grants.len() > MAX_GRANTS {
        return Err(s3_error!(
            MalformedACLError,
            "The ACL has more than {MAX_GRANTS} grants"
        ));
    }
    Ok(grants)
}

fn acls_not_supported() -> S3Error {
    s3_error!(
        AccessControlListNotSupported,
        "The bucket does not allow ACLs"
    )
}

/// `AccessDenied` for a public ACL where BlockPublicAcls is on.
fn check_public(ctx: &Ctx, acl: Option<&Acl>) -> S3Result<()> {
    let blocked = ctx
        .bucket_access
        .as_ref()
        .map_or(ctx.state.access.server_block(), |b| b.block)
        .block_public_acls;
    if blocked && acl.is_some_and(Acl::is_public) {
        return Err(S3Error::access_denied());
    }
    Ok(())
}

/// PutObject, CopyObject and CreateMultipartUpload: the new object's owner
/// (an account id) and ACL. The writer's account owns it under
/// `ObjectWriter`, and under `BucketOwnerPreferred` unless the writer sends
/// `bucket-owner-full-control`; the bucket owner otherwise (anonymous
/// writers included).
pub fn for_new_object(ctx: &Ctx, bucket: &Bucket) -> S3Result<(String, Option<Acl>)> {
    let bucket_owner = ctx.state.identities.owner(&bucket.owner);
    let ownership = bucket.object_ownership();
    if ownership == ObjectOwnership::BucketOwnerEnforced {
        // As AWS: no ACL, `private` or `bucket-owner-full-control`; anything
        // else is refused before it is even read.
        if !only_owner_full_control(ctx, &["private", "bucket-owner-full-control"]) {
            return Err(acls_not_supported());
        }
        return Ok((bucket_owner.id, None));
    }
    let requested = Requested::from_headers(ctx)?;
    let to_bucket_owner = ownership == ObjectOwnership::BucketOwnerPreferred
        && requested == Requested::Canned(Canned::BucketOwnerFullControl);
    let owner = match ctx.principal.caller() {
        Some(caller) if !to_bucket_owner => caller.account.clone(),
        _ => bucket_owner.clone(),
    };
    let acl = requested.expand(&owner.canonical_id, &bucket_owner.canonical_id);
    check_public(ctx, acl.as_ref())?;
    Ok((owner.id, acl))
}

/// CreateBucket: the new bucket's Object Ownership (`x-amz-object-ownership`,
/// `BucketOwnerEnforced` by default) and ACL. A bucket ACL granting others
/// with `BucketOwnerEnforced` is `InvalidBucketAclWithObjectOwnership`; a
/// public one is refused, as new buckets block public ACLs.
pub fn for_new_bucket(ctx: &Ctx, owner: &Account) -> S3Result<(ObjectOwnership, Option<Acl>)> {
    let ownership = match ctx.header("x-amz-object-ownership") {
        None => ObjectOwnership::BucketOwnerEnforced,
        Some(value) => ObjectOwnership::parse(value).ok_or_else(|| {
            S3Error::invalid_argument("Invalid x-amz-object-ownership header")
                .with("ArgumentName", "x-amz-object-ownership")
                .with("ArgumentValue", value)
        })?,
    };
    if ownership == ObjectOwnership::BucketOwnerEnforced {
        // `bucket-owner-read` and `bucket-owner-full-control` are object ACLs
        // that AWS ignores on a bucket.
        let ignored = ["private", "bucket-owner-read", "bucket-owner-full-control"];
        if !only_owner_full_control(ctx, &ignored) {
            return Err(invalid_with_enforced());
        }
        return Ok((ownership, None));
    }
    let id = &owner.canonical_id;
    let acl = Requested::from_headers(ctx)?.expand(id, id);
    if acl.as_ref().is_some_and(Acl::is_public) {
        return Err(s3_error!(
            InvalidBucketAclWithBlockPublicAccessError,
            "Bucket cannot have public ACLs set with BlockPublicAccess enabled"
        ));
    }
    Ok((ownership, acl))
}

/// No grant header, and no canned ACL or one of `allowed`.
fn only_owner_full_control(ctx: &Ctx, allowed: &[&str]) -> bool {
    let headers = ctx.headers();
    let canned_ok = headers
        .get(CANNED_ACL)
        .is_none_or(|v| allowed.iter().any(|a| v.as_bytes() == a.as_bytes()));
    canned_ok && !GRANT_HEADERS.iter().any(|(h, _)| headers.contains_key(*h))
}

/// The error of asking for `BucketOwnerEnforced` with a bucket ACL that
/// grants others.
pub fn invalid_with_enforced() -> S3Error {
    s3_error!(
        InvalidBucketAclWithObjectOwnership,
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"
    )
}

pub async fn get_bucket(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let owner = ctx.state.identities.owner(&bucket.owner);
    let enabled = bucket.acls_enabled();
    let acl = bucket.acl.filter(|_| enabled);
    Ok(xml_response(render(&ctx, &owner, acl)))
}

pub async fn put_bucket(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    let owner = ctx.state.identities.owner(&bucket.owner);
    let acl = requested_acl(&ctx, body, &owner, &owner).await?;
    let grants_others = acl.grants_others(&owner.canonical_id);
    if !bucket.acls_enabled() && grants_others {
        return Err(acls_not_supported());
    }
    check_public(&ctx, Some(&acl))?;
    let name = ctx.bucket.clone();
    // Decided again under the engine's bucket lock, with the ownership then
    // in force.
    let updated = ctx
        .engine(move |e| {
            e.update_bucket(&name, |b| {
                if b.acls_enabled() {
                    b.acl = Some(acl);
                }
                Ok(())
            })
        })
        .await?;
    ctx.state.access.forget_bucket(&ctx.bucket);
    if !updated.acls_enabled() && grants_others {
        return Err(acls_not_supported());
    }
    Ok(HttpResponse::Ok().finish())
}

pub async fn get_object(ctx: Ctx, version_id: Option<String>) -> S3Result<HttpResponse> {
    let (version, bucket_owner, enabled) = object_and_bucket(&ctx, version_id).await?;
    let (owner, acl) = match enabled {
        true => (ctx.state.identities.owner(&version.owner), version.acl),
        false => (bucket_owner, None),
    };
    let mut resp = HttpResponse::Ok();
    if let Some(id) = &version.version_id {
        resp.insert_header(("x-amz-version-id", id.as_str()));
    }
    Ok(resp
        .content_type("application/xml")
        .body(render(&ctx, &owner, acl)))
}

pub async fn put_object(
    ctx: Ctx,
    version_id: Option<String>,
    body: RequestBody,
) -> S3Result<HttpResponse> {
    let (version, bucket_owner, enabled) = object_and_bucket(&ctx, version_id).await?;
    let owner = match enabled {
        true => ctx.state.identities.owner(&version.owner),
        false => bucket_owner.clone(),
    };
    let acl = requested_acl(&ctx, body, &owner, &bucket_owner).await?;
    if !enabled {
        return match acl.grants_others(&bucket_owner.canonical_id) {
            true => Err(acls_not_supported()),
            false => Ok(HttpResponse::Ok().finish()),
        };
    }
    check_public(&ctx, Some(&acl))?;
    let (bucket, key, version) = (ctx.bucket.clone(), ctx.key.clone(), version.version_id);
    ctx.engine(move |e| e.set_object_acl(&bucket, &key, version.as_deref(), Some(acl)))
        .await?;
    Ok(HttpResponse::Ok().finish())
}

/// The version addressed, the bucket owner, and whether ACLs are enabled.
async fn object_and_bucket(
    ctx: &Ctx,
    version_id: Option<String>,
) -> S3Result<(horreo_storage::ObjectVersion, Account, bool)> {
    let (name, key) = (ctx.bucket.clone(), ctx.key.clone());
    let (bucket, version) = ctx
        .engine(move |e| {
            let bucket = e.bucket(&name)?;
            let version = e.head_object(&name, &key, version_id.as_deref())?;
            Ok((bucket, version))
        })
        .await?;
    let owner = ctx.state.identities.owner(&bucket.owner);
    Ok((version, owner, bucket.acls_enabled()))
}

/// The ACL of a PutBucketAcl or PutObjectAcl: from the headers or from an
/// `AccessControlPolicy` body, never both (`UnexpectedContent`-style
/// `InvalidRequest`); neither is `MissingSecurityHeader`.
async fn requested_acl(
    ctx: &Ctx,
    body: RequestBody,
    owner: &Account,
    bucket_owner: &Account,
) -> S3Result<Acl> {
    let from_headers = Requested::from_headers(ctx)?;
    let body = body.read_all(MAX_XML_BODY).await?;
    let has_body = !body.iter().all(u8::is_ascii_whitespace);
    match (from_headers, has_body) {
        (Requested::None, false) => Err(s3_error!(
            MissingSecurityHeader,
            "Your request was missing a required header"
        )
        .with("MissingHeaderName", CANNED_ACL)),
        (Requested::None, true) => from_body(ctx, &body, owner),
        (_, true) => Err(S3Error::invalid_request(
            "This request does not support content",
        )),
        (requested, false) => Ok(requested
            .expand(&owner.canonical_id, &bucket_owner.canonical_id)
            .unwrap_or_else(|| Acl::private(&owner.canonical_id))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AccessControlPolicy {
    owner: Option<OwnerXml>,
    access_control_list: Option<GrantsXml>,
}

#[derive(Debug, Deserialize)]
struct OwnerXml {
    #[serde(rename = "ID")]
    id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GrantsXml {
    #[serde(rename = "Grant", default)]
    grants: Vec<GrantXml>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GrantXml {
    grantee: GranteeXml,
    permission: String,
}

/// Which grantee is meant follows from the element given (`ID`, `URI` or
/// `EmailAddress`), as `xsi:type` says.
#[derive(Debug, Deserialize)]
struct GranteeXml {
    #[serde(rename = "ID")]
    id: Option<String>,
    #[serde(rename = "URI")]
    uri: Option<String>,
    #[serde(rename = "EmailAddress")]
    email_address: Option<String>,
}

/// An `AccessControlPolicy` body: `MalformedACLError` for what does not
/// match the schema; `AccessDenied` for an `Owner` that is not the owner.
fn from_body(ctx: &Ctx, body: &[u8], owner: &Account) -> S3Result<Acl> {
    let malformed = || {
        s3_error!(
            MalformedACLError,
            "The XML you provided was not well-formed or did not validate against our published schema"
        )
    };
    let policy: AccessControlPolicy = xml::parse(body).map_err(|_| malformed())?;
    let owner_id = policy.owner.and_then(|o| o.id);
    if owner_id.is_some_and(|id| id != owner.canonical_id) {
        return Err(S3Error::access_denied());
    }
    let grants = policy
        .access_control_list
        .map(|l| l.grants)
        .unwrap_or_default()
        .into_iter()
        .map(|g| {
            let permission = Permission::parse(&g.permission).ok_or_else(malformed)?;
            let grantee = match (g.grantee.id, g.grantee.uri, g.grantee.email_address) {
                (Some(id), None, None) => canonical_user(ctx, &id)?,
                (None, Some(uri), None) => group(&uri)?,
                (None, None, Some(_)) => return Err(unresolvable_email()),
                _ => return Err(malformed()),
            };
            Ok(Grant {
                grantee,
                permission,
            })
        })
        .collect::<S3Result<Vec<_>>>()?;
    Ok(Acl {
        grants: limit(grants)?,
    })
}

/// The `AccessControlPolicy` document of a resource owned by `owner`;
/// `acl` `None` is the owner's FULL_CONTROL.
fn render(ctx: &Ctx, owner: &Account, acl: Option<Acl>) -> String {
    let acl = acl.unwrap_or_else(|| Acl::private(&owner.canonical_id));
    let mut w = XmlWriter::new("AccessControlPolicy");
    w.open("Owner")
        .elem("ID", &owner.canonical_id)
        .elem("DisplayName", &owner.name)
        .close("Owner")
        .open("AccessControlList");
    for grant in &acl.grants {
        w.open("Grant");
        match &grant.grantee {
            Grantee::CanonicalUser(id) => {
                w.open_with(
                    "Grantee",
                    &[("xmlns:xsi", XSI), ("xsi:type", "CanonicalUser")],
                )
                .elem("ID", id);
                if let Some(account) = ctx.state.identities.by_canonical_id(id) {
                    w.elem("DisplayName", &account.name);
                }
            }
            Grantee::Group(group) => {
                w.open_with("Grantee", &[("xmlns:xsi", XSI), ("xsi:type", "Group")])
                    .elem("URI", group.uri());
            }
        }
        w.close("Grantee")
            .elem("Permission", grant.permission.as_str())
            .close("Grant");
    }
    w.close("AccessControlList");
    w.finish("AccessControlPolicy")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn canned_acls_expand_as_aws_documents() {
        let public = Canned::PublicReadWrite.expand("o", "o");
        let permissions: Vec<_> = public.grants.iter().map(|g| g.permission).collect();
        assert_eq!(
            permissions,
            [Permission::FullControl, Permission::Read, Permission::Write]
        );
        assert!(public.is_public());
        assert_eq!(
            Canned::BucketOwnerFullControl.expand("o", "o"),
            Acl::private("o")
        );
        let full = Canned::BucketOwnerFullControl.expand("w", "o");
        assert_eq!(full.grants.len(), 2);
        assert!(full.grants_others("w") && !full.is_public());
        let logs = Canned::LogDeliveryWrite.expand("o", "o");
        assert!(logs.grants_others("o") && !logs.is_public());
        assert_eq!(Canned::parse("public-read"), Some(Canned::PublicRead));
        assert_eq!(Canned::parse("Public-Read"), None);
    }

    #[test]
    fn access_control_policy_bodies_parse() {
        let body = r#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
            <Owner><ID>abc</ID></Owner>
            <AccessControlList>
              <Grant>
                <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">
                  <URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>
                </Grantee>
                <Permission>READ</Permission>
              </Grant>
              <Grant>
                <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">
                  <ID>abc</ID><DisplayName>x</DisplayName>
                </Grantee>
                <Permission>FULL_CONTROL</Permission>
              </Grant>
            </AccessControlList>
          </AccessControlPolicy>"#;
        let policy: AccessControlPolicy = xml::parse(body.as_bytes()).unwrap();
        assert_eq!(policy.owner.unwrap().id.as_deref(), Some("abc"));
        let grants = policy.access_control_list.unwrap().grants;
        assert_eq!(grants.len(), 2);
        assert_eq!(
            grants[0].grantee.uri.as_deref(),
            Some(GroupGrantee::AllUsers.uri())
        );
        assert_eq!(grants[1].grantee.id.as_deref(), Some("abc"));
        assert_eq!(grants[1].permission, "FULL_CONTROL");
    }
}
