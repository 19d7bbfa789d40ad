//! IAM users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser.

use horreo_storage::Engine;

use super::entities;
use super::{Call, Kind};
use crate::error::S3Result;
use crate::handlers::query::response::{self, Response};

pub fn create(call: &Call<'_>) -> S3Result<Response> {
    let name = call.params.name("UserName")?;
    let path = call.params.optional("Path").unwrap_or("/");
    call.authorize(&call.arn("user", path, name))?;
    let user = call.engine.create_user(call.account(), name, path)?;
    let mut r = call.response();
    r.xml().open("User");
    entities::user(r.xml(), call.account(), &user);
    r.xml().close("User");
    Ok(r)
}

/// The user `UserName` names, or the caller itself without it.
pub fn get(call: &Call<'_>) -> S3Result<Response> {
    let Some(name) = call.user_or_self()? else {
        return root(call);
    };
    call.authorize_on(Kind::User, &name)?;
    let user = call.engine.user(call.account(), &name)?;
    let mut r = call.response();
    r.xml().open("User");
    entities::user(r.xml(), call.account(), &user);
    r.xml().close("User");
    Ok(r)
}

/// GetUser by the root without `UserName`: the root itself, as IAM answers.
fn root(call: &Call<'_>) -> S3Result<Response> {
    let account = &call.caller.account;
    let mut r = call.response();
    r.xml()
        .open("User")
        .elem("UserId", &account.id)
        .elem("Arn", call.caller.arn())
        .elem("CreateDate", response::date(account.created))
        .close("User");
    Ok(r)
}

pub fn list(call: &Call<'_>) -> S3Result<Response> {
    call.list_entities("user", "Users", Engine::users, entities::user)
}

/// Renames a user (`NewUserName`) and/or moves it (`NewPath`); its keys sign
/// under the new name at once.
pub fn update(call: &Call<'_>) -> S3Result<Response> {
    let name = call.params.name("UserName")?;
    call.authorize_on(Kind::User, name)?;
    let new_name = call.params.optional("NewUserName");
    let new_path = call.params.optional("NewPath");
    if let Some(new_name) = new_name {
        call.authorize(&call.arn("user", new_path.unwrap_or("/"), new_name))?;
    }
    call.engine
        .update_user(call.account(), name, new_name, new_path)?;
    call.reload_identities()?;
    call.done()
}

pub fn delete(call: &Call<'_>) -> S3Result<Response> {
    let name = call.params.name("UserName")?;
    call.authorize_on(Kind::User, name)?;
    call.engine.delete_user(call.account(), name)?;
    call.reload_identities()?;
    call.done()
}
