//! Roles and their trust policies: CreateRole, GetRole, ListRoles,
//! DeleteRole, UpdateAssumeRolePolicy.

use horreo_policy::PolicyKind;
use horreo_storage::Engine;

use super::entities;
use super::{Call, Kind};
use crate::error::S3Result;
use crate::handlers::query::response::Response;

/// AWS's default and bounds for `MaxSessionDuration`, in seconds.
const DEFAULT_SESSION: u64 = 3600;
const SESSION_RANGE: std::ops::RangeInclusive<u64> = 3600..=43200;

pub fn create(call: &Call<'_>) -> S3Result<Response> {
    let name = call.params.name("RoleName")?;
    let path = call.params.optional("Path").unwrap_or("/");
    let trust = call.policy_document("AssumeRolePolicyDocument", PolicyKind::RoleTrust)?;
    let description = call.params.optional("Description").unwrap_or_default();
    let max_session = call
        .params
        .integer("MaxSessionDuration", SESSION_RANGE)?
        .unwrap_or(DEFAULT_SESSION);
    call.authorize(&call.arn("role", path, name))?;
    let role = call.engine.create_role(
        call.account(),
        name,
        path,
        trust,
        description,
        u32::try_from(max_session).unwrap_or(u32::MAX),
    )?;
    let mut r = call.response();
    r.xml().open("Role");
    entities::role(r.xml(), call.account(), &role);
    r.xml().close("Role");
    Ok(r)
}

pub fn get(call: &Call<'_>) -> S3Result<Response> {
    let name = call.params.name("RoleName")?;
    call.authorize_on(Kind::Role, name)?;
    let role = call.engine.role(call.account(), name)?;
    let mut r = call.response();
    r.xml().open("Role");
    entities::role(r.xml(), call.account(), &role);
    r.xml().close("Role");
    Ok(r)
}

pub fn list(call: &Call<'_>) -> S3Result<Response> {
    call.list_entities("role", "Roles", Engine::roles, entities::role)
}

pub fn delete(call: &Call<'_>) -> S3Result<Response> {
    let name = call.params.name("RoleName")?;
    call.authorize_on(Kind::Role, name)?;
    call.engine.delete_role(call.account(), name)?;
    call.done()
}

pub fn update_trust(call: &Call<'_>) -> S3Result<Response> {
    let name = call.params.name("RoleName")?;
    let trust = call.policy_document("PolicyDocument", PolicyKind::RoleTrust)?;
    call.authorize_on(Kind::Role, name)?;
    call.engine
        .update_assume_role_policy(call.account(), name, trust)?;
    call.done()
}
