//! Who may call IAM: an account's root manages its own account's identities;
//! a user (or role session) needs an identity policy allowing `iam:<Action>`
//! on the resource. Every action works inside the caller's account only, so
//! nobody reaches another account's identities.

use super::Call;
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// `Ok` if the caller may perform `iam:{action}` on `resource` (an ARN);
/// otherwise IAM's `AccessDenied`. May read the caller's policies (blocks).
pub fn authorize(call: &Call<'_>, resource: &str) -> S3Result<()> {
    let action = format!("iam:{}", call.action);
    if call
        .access
        .identity_allows(call.engine, call.caller, &action, resource)?
    {
        return Ok(());
    }
    Err(S3Error::new(
        S3ErrorCode::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {action} on resource: {resource}",
            call.caller.arn()
        ),
    ))
}
