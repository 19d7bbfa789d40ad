//! Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey,
//! DeleteAccessKey, GetAccessKeyLastUsed. Without `UserName` they act on the
//! caller's own keys (a root caller's: the account root's). Every change
//! takes effect for signing before the response is sent.

use horreo_storage::{AccessKey, KeyStatus};

use super::{Call, Kind};
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::handlers::query::params;
use crate::handlers::query::response::{self, Response};

/// The owner the call is about (`None`: the root), once authorised.
fn owner(call: &Call<'_>) -> S3Result<Option<String>> {
    let user = call.user_or_self()?;
    if let Some(user) = &user {
        call.authorize_on(Kind::User, user)?;
    }
    Ok(user)
}

fn status_text(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Active => "Active",
        KeyStatus::Inactive => "Inactive",
    }
}

pub fn create(call: &Call<'_>) -> S3Result<Response> {
    let user = owner(call)?;
    let (key, secret) = call
        .engine
        .create_access_key(call.account(), user.as_deref())?;
    call.reload_identities()?;
    let mut r = call.response();
    r.xml()
        .open("AccessKey")
        .opt("UserName", key.user.as_deref())
        .elem("AccessKeyId", &key.id)
        .elem("Status", status_text(key.status))
        .elem("SecretAccessKey", secret)
        .elem("CreateDate", response::date(key.created))
        .close("AccessKey");
    Ok(r)
}

pub fn list(call: &Call<'_>) -> S3Result<Response> {
    let user = owner(call)?;
    let paging = call.params.paging()?;
    let mut keys = call.engine.access_keys(call.account(), user.as_deref())?;
    keys.sort_by(|a, b| a.id.cmp(&b.id));
    let (keys, marker) = paging.apply(keys, |k| &k.id);
    let mut r = call.response();
    r.list("AccessKeyMetadata", &keys, |w, key: &AccessKey| {
        w.opt("UserName", key.user.as_deref())
            .elem("AccessKeyId", &key.id)
            .elem("Status", status_text(key.status))
            .elem("CreateDate", response::date(key.created));
    });
    r.truncation(marker.as_deref());
    Ok(r)
}

pub fn update(call: &Call<'_>) -> S3Result<Response> {
    let user = owner(call)?;
    let id = call.params.required("AccessKeyId")?;
    let status = match call.params.required("Status")? {
        "Active" => KeyStatus::Active,
        "Inactive" => KeyStatus::Inactive,
        other => {
            return Err(params::invalid(
                "Status",
                other,
                "Member must satisfy enum value set: [Active, Inactive]",
            ));
        }
    };
    call.engine
        .update_access_key(call.account(), user.as_deref(), id, status)?;
    call.reload_identities()?;
    call.done()
}

pub fn delete(call: &Call<'_>) -> S3Result<Response> {
    let user = owner(call)?;
    let id = call.params.required("AccessKeyId")?;
    call.engine
        .delete_access_key(call.account(), user.as_deref(), id)?;
    call.reload_identities()?;
    call.done()
}

/// When and where a key of the caller's account last signed a request.
pub fn last_used(call: &Call<'_>) -> S3Result<Response> {
    let id = call.params.required("AccessKeyId")?;
    let not_found = || {
        S3Error::new(
            S3ErrorCode::NoSuchEntity,
            format!("The Access Key with id {id} cannot be found."),
        )
    };
    let (key, _) = call
        .engine
        .resolve_access_key(id)?
        .filter(|(key, _)| key.account == call.account())
        .ok_or_else(not_found)?;
    if let Some(user) = &key.user {
        call.authorize_on(Kind::User, user)?;
    } else {
        call.authorize(&call.arn("root", "", ""))?;
    }
    let mut r = call.response();
    let unknown = key.last_used.is_none().then_some("N/A");
    r.xml()
        .opt("UserName", key.user.as_deref())
        .open("AccessKeyLastUsed")
        .opt("LastUsedDate", key.last_used.map(response::date))
        .elem("ServiceName", unknown.unwrap_or("s3"))
        .elem("Region", unknown.unwrap_or("N/A"))
        .close("AccessKeyLastUsed");
    Ok(r)
}
