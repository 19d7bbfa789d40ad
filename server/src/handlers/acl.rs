//! ACLs are disabled: every bucket has Object Ownership `BucketOwnerEnforced`, as
//! every bucket AWS has created since April 2023. Access is granted by policies
//! alone, so a write asking for an ACL that would grant anything more than the
//! owner's full control is refused, never accepted and silently ignored.

use super::Ctx;
use crate::error::S3Result;
use crate::s3_error;

const CANNED_ACL: &str = "x-amz-acl";
/// `x-amz-grant-read`, `-write`, `-read-acp`, `-write-acp`, `-full-control`.
const GRANT_PREFIX: &str = "x-amz-grant-";

/// PutObject, CopyObject and CreateMultipartUpload: no ACL, `private` or
/// `bucket-owner-full-control` (the owner of every object is the bucket owner);
/// anything else is `AccessControlListNotSupported`.
pub fn check_object_acl(ctx: &Ctx) -> S3Result<()> {
    if only_owner_full_control(ctx, &["private", "bucket-owner-full-control"]) {
        return Ok(());
    }
    Err(s3_error!(
        AccessControlListNotSupported,
        "The bucket does not allow ACLs"
    ))
}

/// CreateBucket: no ACL or `private`; `bucket-owner-read` and
/// `bucket-owner-full-control` are object ACLs that AWS ignores on a bucket.
/// Anything else is `InvalidBucketAclWithObjectOwnership`.
pub fn check_bucket_acl(ctx: &Ctx) -> S3Result<()> {
    let ignored = ["private", "bucket-owner-read", "bucket-owner-full-control"];
    if only_owner_full_control(ctx, &ignored) {
        return Ok(());
    }
    Err(s3_error!(
        InvalidBucketAclWithObjectOwnership,
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"
    ))
}

/// No grant header, and no canned ACL or one of `allowed`.
fn only_owner_full_control(ctx: &Ctx, allowed: &[&str]) -> bool {
    let headers = ctx.req.headers();
    let canned_ok = headers
        .get(CANNED_ACL)
        .is_none_or(|v| allowed.iter().any(|a| v.as_bytes() == a.as_bytes()));
    canned_ok && !headers.keys().any(|n| n.as_str().starts_with(GRANT_PREFIX))
}
