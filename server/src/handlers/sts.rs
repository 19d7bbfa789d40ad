//! STS on the S3 endpoint, in the query protocol: GetCallerIdentity,
//! GetSessionToken and AssumeRole hand out temporary credentials whose
//! session token carries the whole session (see `Engine::issue_session`).

use std::sync::Arc;
use std::time::Duration;

use horreo_policy::{Context, Decision, Policy, PolicyKind, Request};
use horreo_storage::{Session, SessionIdentity};

use super::query::params::Params;
use super::query::response::{self, Response, STS_NAMESPACE};
use crate::access::{Caller, Identity};
use crate::app::AppState;
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::xml::XmlWriter;

/// The API version clients send.
const VERSION: &str = "2011-06-15";
/// The actions answered.
const ACTIONS: [&str; 3] = ["GetCallerIdentity", "GetSessionToken", "AssumeRole"];

/// Runs the STS action `params` names for `caller`; returns the response document.
pub async fn handle(
    state: Arc<AppState>,
    caller: Arc<Caller>,
    params: Params,
    request_id: String,
) -> S3Result<String> {
    let action = params.action(VERSION, &ACTIONS)?;
    tokio::task::spawn_blocking(move || {
        let response = match action {
            "GetCallerIdentity" => caller_identity(&caller),
            "GetSessionToken" => session_token(&state, &caller, &params)?,
            _ => assume_role(&state, &caller, &params)?,
        };
        Ok(response.finish(&request_id))
    })
    .await
    .map_err(S3Error::internal)?
}

fn caller_identity(caller: &Caller) -> Response {
    let mut r = Response::with_result("GetCallerIdentity", STS_NAMESPACE);
    r.xml()
        .elem("Arn", caller.arn())
        .elem("UserId", caller.user_id())
        .elem("Account", &caller.account.id);
    r
}

fn access_denied(caller: &Caller, action: &str, resource: &str) -> S3Error {
    S3Error::new(
        S3ErrorCode::AccessDenied,
        format!(
            "User: {} is not authorized to perform: sts:{action} on resource: {resource}",
            caller.arn()
        ),
    )
}

/// `DurationSeconds` within `range`, `default` when absent.
fn duration(params: &Params, min: u64, max: u64, default: u64) -> S3Result<Duration> {
    let seconds = params
        .integer("DurationSeconds", min..=max)?
        .unwrap_or(default.min(max));
    Ok(Duration::from_secs(seconds))
}

/// Temporary credentials of the caller itself (a root or an IAM user), for
/// 15 minutes to 36 hours (12 by default; a root's at most one).
fn session_token(state: &AppState, caller: &Caller, params: &Params) -> S3Result<Response> {
    let (identity, max) = match &caller.identity {
        Identity::Root => (SessionIdentity::Root, 3600),
        Identity::User { name, .. } => (SessionIdentity::User { name: name.clone() }, 129_600),
        Identity::AssumedRole { .. } => {
            return Err(S3Error::new(
                S3ErrorCode::AccessDenied,
                "Cannot call GetSessionToken with session credentials",
            ));
        }
    };
    let lifetime = duration(params, 900, max, 43_200)?;
    let (session, token) = state.engine.issue_session(
        &caller.account.id,
        identity,
        state.engine.now() + lifetime,
        Vec::new(),
    )?;
    let mut r = Response::with_result("GetSessionToken", STS_NAMESPACE);
    credentials(r.xml(), &session, &token);
    Ok(r)
}

/// A session of the role `RoleArn` names, if its trust policy (and, where
/// AWS requires it, the caller's own policies) allow `sts:AssumeRole`;
/// limited by the session policy `Policy`, if given.
fn assume_role(state: &AppState, caller: &Arc<Caller>, params: &Params) -> S3Result<Response> {
    let role_arn = params.required("RoleArn")?.to_owned();
    let session_name = params.name("RoleSessionName")?.to_owned();
    if !(2..=64).contains(&session_name.len()) {
        return Err(S3Error::new(
            S3ErrorCode::ValidationError,
            "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64",
        ));
    }
    if caller.is_root() {
        return Err(S3Error::new(
            S3ErrorCode::AccessDenied,
            "Roles may not be assumed by root accounts.",
        ));
    }
    let denied = || access_denied(caller, "AssumeRole", &role_arn);
    let (account, name) = parse_role_arn(&role_arn).ok_or_else(denied)?;
    let role = state.engine.role(account, name).map_err(|_| denied())?;
    let trust =
        Policy::parse(&role.assume_role_policy, PolicyKind::RoleTrust).map_err(|_| denied())?;
    let mut context = Context::new();
    if let Some(external_id) = params.optional("ExternalId") {
        context.insert("sts:ExternalId", external_id);
    }
    context.insert("aws:CurrentTime", crate::xml::timestamp(state.engine.now()));
    // Unlike other resource policies, a trust policy must always allow: a
    // caller's own policies never suffice alone, even in the role's account.
    let principal = caller.policy_principal();
    let trusted = trust.evaluate(&Request {
        action: "sts:AssumeRole",
        resource: &role_arn,
        principal,
        context: &context.clone().with_principal(principal),
    });
    let allowed = trusted.decision == Decision::Allow
        && state.access.allows_with(
            &state.engine,
            caller,
            "sts:AssumeRole",
            &role_arn,
            Some(&trust),
            account,
            context,
        )?;
    if !allowed {
        return Err(denied());
    }
    let policies = match params.optional("Policy") {
        Some(text) => {
            Policy::parse(text, PolicyKind::Session)
                .map_err(|e| S3Error::new(S3ErrorCode::MalformedPolicyDocument, e.message()))?;
            vec![text.to_owned()]
        }
        None => Vec::new(),
    };
    // A session of a session (role chaining) lasts at most an hour, as on AWS.
    let chained = matches!(caller.identity, Identity::AssumedRole { .. });
    let max = if chained {
        3600
    } else {
        u64::from(role.max_session_duration)
    };
    let lifetime = duration(params, 900, max, 3600)?;
    let identity = SessionIdentity::Role {
        name: role.name.clone(),
        path: role.path.clone(),
        id: role.id.clone(),
        session_name: session_name.clone(),
    };
    let (session, token) =
        state
            .engine
            .issue_session(account, identity, state.engine.now() + lifetime, policies)?;
    let mut r = Response::with_result("AssumeRole", STS_NAMESPACE);
    credentials(r.xml(), &session, &token);
    r.xml()
        .open("AssumedRoleUser")
        .elem("AssumedRoleId", format!("{}:{session_name}", role.id))
        .elem(
            "Arn",
            format!(
                "arn:aws:sts::{account}:assumed-role/{}/{session_name}",
                role.name
            ),
        )
        .close("AssumedRoleUser");
    Ok(r)
}

/// The account and name of `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    (!name.is_empty() && account.len() == 12).then_some((account, name))
}

fn credentials(w: &mut XmlWriter, session: &Session, token: &str) {
    w.open("Credentials")
        .elem("AccessKeyId", &session.access_key)
        .elem("SecretAccessKey", &session.secret)
        .elem("SessionToken", token)
        .elem("Expiration", response::date(session.expires))
        .close("Credentials");
}

#[cfg(test)]
mod tests {
    use super::parse_role_arn;

    #[test]
    fn role_arns() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/ops/deployer"),
            Some(("123456789012", "deployer"))
        );
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/r"),
            Some(("123456789012", "r"))
        );
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:user/u"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::12:role/r"), None);
    }
}
