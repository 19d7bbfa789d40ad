//! Groups and membership: CreateGroup, GetGroup, ListGroups, DeleteGroup,
//! AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser.

use horreo_storage::Engine;

use super::entities;
use super::{Call, Kind};
use crate::error::S3Result;
use crate::handlers::query::response::Response;

pub fn create(call: &Call<'_>) -> S3Result<Response> {
    let name = call.params.name("GroupName")?;
    let path = call.params.optional("Path").unwrap_or("/");
    call.authorize(&call.arn("group", path, name))?;
    let group = call.engine.create_group(call.account(), name, path)?;
    let mut r = call.response();
    r.xml().open("Group");
    entities::group(r.xml(), call.account(), &group);
    r.xml().close("Group");
    Ok(r)
}

/// The group and a page of its members.
pub fn get(call: &Call<'_>) -> S3Result<Response> {
    let name = call.params.name("GroupName")?;
    call.authorize_on(Kind::Group, name)?;
    let paging = call.params.paging()?;
    let (group, mut members) = call.engine.group(call.account(), name)?;
    members.sort_by(|a, b| a.name.cmp(&b.name));
    let (members, marker) = paging.apply(members, |u| &u.name);
    let mut r = call.response();
    r.xml().open("Group");
    entities::group(r.xml(), call.account(), &group);
    r.xml().close("Group");
    r.list("Users", &members, |w, user| {
        entities::user(w, call.account(), user)
    });
    r.truncation(marker.as_deref());
    Ok(r)
}

pub fn list(call: &Call<'_>) -> S3Result<Response> {
    call.list_entities("group", "Groups", Engine::groups, entities::group)
}

pub fn delete(call: &Call<'_>) -> S3Result<Response> {
    let name = call.params.name("GroupName")?;
    call.authorize_on(Kind::Group, name)?;
    call.engine.delete_group(call.account(), name)?;
    call.done()
}

pub fn add_user(call: &Call<'_>) -> S3Result<Response> {
    membership(call, true)
}

pub fn remove_user(call: &Call<'_>) -> S3Result<Response> {
    membership(call, false)
}

fn membership(call: &Call<'_>, add: bool) -> S3Result<Response> {
    let group = call.params.name("GroupName")?;
    let user = call.params.name("UserName")?;
    call.authorize_on(Kind::Group, group)?;
    if add {
        call.engine.add_user_to_group(call.account(), group, user)?;
    } else {
        call.engine
            .remove_user_from_group(call.account(), group, user)?;
    }
    call.done()
}

pub fn list_for_user(call: &Call<'_>) -> S3Result<Response> {
    let user = call.params.name("UserName")?;
    call.authorize_on(Kind::User, user)?;
    let paging = call.params.paging()?;
    let mut groups = call.engine.groups_for_user(call.account(), user)?;
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    let (groups, marker) = paging.apply(groups, |g| &g.name);
    let mut r = call.response();
    r.list("Groups", &groups, |w, group| {
        entities::group(w, call.account(), group)
    });
    r.truncation(marker.as_deref());
    Ok(r)
}
