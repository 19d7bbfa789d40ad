//! The gate between routing and dispatch: who an authenticated request
//! comes from, and whether the authoriser lets it do what it asks.

use std::sync::Arc;

use crate::access::{self, Ask, BucketAccess, Caller, Principal, RequestFacts};
use crate::app::AppState;
use crate::auth::Verified;
use crate::error::{S3Error, S3ErrorCode};
use crate::routing;

/// Whose key signed the request. A key valid a moment ago may have been
/// deleted or made inactive since: it no longer signs.
pub(crate) fn caller_of(state: &AppState, verified: &Verified) -> Result<Arc<Caller>, S3Error> {
    if let Some(token) = &verified.session_token {
        return state.identities.session_caller(&verified.access_key, token);
    }
    let caller = state
        .identities
        .caller(&verified.access_key)
        .ok_or_else(|| {
            S3Error::new(
                S3ErrorCode::InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records.",
            )
            .with("AWSAccessKeyId", verified.access_key.clone())
        })?;
    state.identities.note_use(&verified.access_key);
    Ok(caller)
}

/// Who an authenticated request comes from, and whether they may do what it
/// asks (`AccessDenied` if not); with what is known of its bucket, if that
/// exists. DeleteObjects is authorised key by key, by its handler.
pub(crate) async fn admit(
    facts: &RequestFacts<'_>,
    state: &AppState,
    verified: &Verified,
    endpoint: &routing::Endpoint,
) -> Result<(Principal, Option<Arc<BucketAccess>>), S3Error> {
    let principal = if verified.access_key.is_empty() {
        Principal::Anonymous
    } else {
        Principal::Caller(caller_of(state, verified)?)
    };
    let operation = endpoint.operation();
    let bucket = match endpoint.bucket() {
        // A bucket is created in the caller's own account, whoever holds the name.
        Some(_) if operation == routing::Operation::CreateBucket => None,
        Some(name) => {
            state
                .access
                .bucket(&state.engine, &state.identities, name)
                .await?
        }
        None => None,
    };
    let ask = Ask {
        action: endpoint.action(),
        bucket: endpoint.bucket(),
        key: endpoint.key(),
        version_id: endpoint.version_id(),
    };
    // A bucket that does not exist answers NoSuchBucket, as on AWS.
    let exists = bucket.is_some()
        || endpoint.bucket().is_none()
        || operation == routing::Operation::CreateBucket;
    if exists && operation != routing::Operation::DeleteObjects {
        authorise(facts, state, &principal, ask, bucket.as_deref()).await?;
    }
    Ok((principal, bucket))
}

/// What the root of a bucket's account may always do to it.
const BUCKET_POLICY_ACTIONS: [&str; 3] = [
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
];

/// Whether the authoriser allows `ask`.
pub(crate) async fn permits(
    facts: &RequestFacts<'_>,
    state: &AppState,
    principal: &Principal,
    ask: Ask<'_>,
    bucket: Option<&BucketAccess>,
) -> Result<bool, S3Error> {
    let owner_root = principal
        .caller()
        .is_some_and(|c| c.is_root() && bucket.is_none_or(|b| b.owner.id == c.account.id));
    // The owner's root can always manage the bucket policy, so no policy
    // locks it out (as on AWS); without a policy nothing can deny it.
    let unbound =
        bucket.is_none_or(|b| b.policy.is_none()) || BUCKET_POLICY_ACTIONS.contains(&ask.action);
    if owner_root && unbound {
        return Ok(true);
    }
    let context = access::request_context(facts, principal.policy_principal(), state.engine.now());
    let verdict = state
        .access
        .decide(
            &state.engine,
            &state.identities,
            principal,
            ask,
            bucket,
            context,
        )
        .await?;
    if !verdict.allowed {
        tracing::debug!(?verdict, action = ask.action, "access denied");
    }
    Ok(verdict.allowed)
}

/// `AccessDenied` unless the authoriser allows `ask`.
pub(crate) async fn authorise(
    facts: &RequestFacts<'_>,
    state: &AppState,
    principal: &Principal,
    ask: Ask<'_>,
    bucket: Option<&BucketAccess>,
) -> Result<(), S3Error> {
    if permits(facts, state, principal, ask, bucket).await? {
        Ok(())
    } else {
        Err(S3Error::access_denied())
    }
}
