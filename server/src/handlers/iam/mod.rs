//! The IAM query API (`Action=CreateUser&Version=2010-05-08&...`), served on
//! the S3 endpoint for requests signed for the service `iam`.
//!
//! Every action runs inside the caller's account, on the blocking pool, as
//! one function of [`Call`]: it authorises first ([`authz`]), so a denied
//! call changes nothing, then answers in IAM's XML ([`response`]).

mod access_keys;
mod accounts;
mod authz;
mod entities;
mod groups;
mod policies;
mod roles;
mod users;

use std::sync::Arc;

use horreo_policy::{Policy, PolicyKind};
use horreo_storage::{Engine, Holder, IamPage};

use crate::access::{Authoriser, Caller, Identities};
use crate::app::AppState;
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::handlers::query::params::Params;
use crate::handlers::query::response::Response;
use crate::xml::XmlWriter;

/// The API version every request must name.
const VERSION: &str = "2010-05-08";

type Handler = fn(&Call<'_>) -> S3Result<Response>;

/// Every action served, by name; CreateAccount and ListAccounts are horreo's own.
const ACTIONS: &[(&str, Handler)] = &[
    ("CreateAccount", accounts::create),
    ("ListAccounts", accounts::list),
    ("CreateUser", users::create),
    ("GetUser", users::get),
    ("ListUsers", users::list),
    ("UpdateUser", users::update),
    ("DeleteUser", users::delete),
    ("CreateAccessKey", access_keys::create),
    ("ListAccessKeys", access_keys::list),
    ("UpdateAccessKey", access_keys::update),
    ("DeleteAccessKey", access_keys::delete),
    ("GetAccessKeyLastUsed", access_keys::last_used),
    ("CreateGroup", groups::create),
    ("GetGroup", groups::get),
    ("ListGroups", groups::list),
    ("DeleteGroup", groups::delete),
    ("AddUserToGroup", groups::add_user),
    ("RemoveUserFromGroup", groups::remove_user),
    ("ListGroupsForUser", groups::list_for_user),
    ("CreateRole", roles::create),
    ("GetRole", roles::get),
    ("ListRoles", roles::list),
    ("DeleteRole", roles::delete),
    ("UpdateAssumeRolePolicy", roles::update_trust),
    ("CreatePolicy", policies::create),
    ("GetPolicy", policies::get),
    ("ListPolicies", policies::list),
    ("DeletePolicy", policies::delete),
    ("CreatePolicyVersion", policies::create_version),
    ("GetPolicyVersion", policies::get_version),
    ("ListPolicyVersions", policies::list_versions),
    ("DeletePolicyVersion", policies::delete_version),
    ("SetDefaultPolicyVersion", policies::set_default_version),
    ("PutUserPolicy", |c| policies::put_inline(c, Kind::User)),
    ("GetUserPolicy", |c| policies::get_inline(c, Kind::User)),
    ("ListUserPolicies", |c| policies::list_inline(c, Kind::User)),
    ("DeleteUserPolicy", |c| {
        policies::delete_inline(c, Kind::User)
    }),
    ("AttachUserPolicy", |c| {
        policies::attach(c, Kind::User, true)
    }),
    ("DetachUserPolicy", |c| {
        policies::attach(c, Kind::User, false)
    }),
    ("ListAttachedUserPolicies", |c| {
        policies::list_attached(c, Kind::User)
    }),
    ("PutGroupPolicy", |c| policies::put_inline(c, Kind::Group)),
    ("GetGroupPolicy", |c| policies::get_inline(c, Kind::Group)),
    ("ListGroupPolicies", |c| {
        policies::list_inline(c, Kind::Group)
    }),
    ("DeleteGroupPolicy", |c| {
        policies::delete_inline(c, Kind::Group)
    }),
    ("AttachGroupPolicy", |c| {
        policies::attach(c, Kind::Group, true)
    }),
    ("DetachGroupPolicy", |c| {
        policies::attach(c, Kind::Group, false)
    }),
    ("ListAttachedGroupPolicies", |c| {
        policies::list_attached(c, Kind::Group)
    }),
    ("PutRolePolicy", |c| policies::put_inline(c, Kind::Role)),
    ("GetRolePolicy", |c| policies::get_inline(c, Kind::Role)),
    ("ListRolePolicies", |c| policies::list_inline(c, Kind::Role)),
    ("DeleteRolePolicy", |c| {
        policies::delete_inline(c, Kind::Role)
    }),
    ("AttachRolePolicy", |c| {
        policies::attach(c, Kind::Role, true)
    }),
    ("DetachRolePolicy", |c| {
        policies::attach(c, Kind::Role, false)
    }),
    ("ListAttachedRolePolicies", |c| {
        policies::list_attached(c, Kind::Role)
    }),
];

/// Runs the action `params` names for `caller`; returns the response document.
pub async fn handle(
    state: Arc<AppState>,
    caller: Arc<Caller>,
    params: Params,
    request_id: String,
) -> S3Result<String> {
    let names: Vec<&str> = ACTIONS.iter().map(|(name, _)| *name).collect();
    let name = params.action(VERSION, &names)?;
    let Some(&(action, handler)) = ACTIONS.iter().find(|(a, _)| *a == name) else {
        return Err(S3Error::internal("an IAM action without a handler"));
    };
    tokio::task::spawn_blocking(move || {
        let call = Call {
            engine: &state.engine,
            identities: &state.identities,
            access: &state.access,
            caller: &caller,
            action,
            params: &params,
        };
        let response = handler(&call)?;
        if !is_read(action) {
            // S3 authorisation caches identity policies: they may have changed.
            state.access.forget_identities();
        }
        Ok(response.finish(&request_id))
    })
    .await
    .map_err(S3Error::internal)?
}

/// Whether an action only reads (`Get...`, `List...`).
fn is_read(action: &str) -> bool {
    action.starts_with("Get") || action.starts_with("List")
}

/// One IAM call: who makes it, with which parameters.
pub struct Call<'a> {
    pub engine: &'a Engine,
    pub identities: &'a Identities,
    pub access: &'a Authoriser,
    pub caller: &'a Arc<Caller>,
    pub action: &'static str,
    pub params: &'a Params,
}

impl Call<'_> {
    /// The caller's account: every action works inside it.
    pub fn account(&self) -> &str {
        &self.caller.account.id
    }

    /// `AccessDenied` unless the caller may perform this action on `resource`.
    pub fn authorize(&self, resource: &str) -> S3Result<()> {
        authz::authorize(self, resource)
    }

    /// Authorises the action on entity `name` of `kind` (its ARN with its
    /// path, or with `/` if there is no such entity).
    pub fn authorize_on(&self, kind: Kind, name: &str) -> S3Result<()> {
        if self.caller.is_root() {
            return Ok(());
        }
        let path = kind.path(self.engine, self.account(), name);
        self.authorize(&self.arn(kind.arn_kind(), path.as_deref().unwrap_or("/"), name))
    }

    /// The ARN of an entity of the caller's account.
    pub fn arn(&self, kind: &str, path: &str, name: &str) -> String {
        entities::arn(self.account(), kind, path, name)
    }

    /// `List{Users,Groups,Roles}`: the entities of `arn_kind` whose path
    /// starts with `PathPrefix`, paged by `Marker`/`MaxItems`, each written
    /// by `write` as a member of `element`.
    pub fn list_entities<T>(
        &self,
        arn_kind: &str,
        element: &str,
        fetch: impl FnOnce(
            &Engine,
            &str,
            &str,
            Option<&str>,
            usize,
        ) -> horreo_storage::Result<IamPage<T>>,
        write: impl Fn(&mut XmlWriter, &str, &T),
    ) -> S3Result<Response> {
        let prefix = self.params.optional("PathPrefix").unwrap_or("/");
        self.authorize(&self.arn(arn_kind, prefix, "*"))?;
        let paging = self.params.paging()?;
        let page = fetch(
            self.engine,
            self.account(),
            prefix,
            paging.marker.as_deref(),
            paging.max_items,
        )?;
        let mut r = self.response();
        r.list(element, &page.items, |w, item| {
            write(w, self.account(), item)
        });
        r.truncation(page.marker.as_deref());
        Ok(r)
    }

    /// A response with a result element.
    pub fn response(&self) -> Response {
        Response::new(self.action)
    }

    /// A response without one, for actions that only change.
    pub fn done(&self) -> S3Result<Response> {
        Ok(Response::empty(self.action))
    }

    /// Makes changes to keys and users take effect for signing at once.
    pub fn reload_identities(&self) -> S3Result<()> {
        Ok(self.identities.reload(self.engine)?)
    }

    /// The policy document parameter `name`, validated as a policy of `kind`.
    pub fn policy_document(&self, name: &str, kind: PolicyKind) -> S3Result<&str> {
        let text = self.params.required(name)?;
        Policy::parse(text, kind).map_err(|err| {
            let code = match err {
                horreo_policy::Error::LimitExceeded(_) => S3ErrorCode::LimitExceeded,
                _ => S3ErrorCode::MalformedPolicyDocument,
            };
            S3Error::new(code, err.message())
        })?;
        Ok(text)
    }

    /// The user parameter `UserName`, or the caller's own user when it is
    /// left out; `None` for the root's own keys.
    pub fn user_or_self(&self) -> S3Result<Option<String>> {
        let named = match self.params.optional("UserName") {
            Some(_) => Some(self.params.name("UserName")?),
            None => self.caller.user_name(),
        };
        Ok(named.map(str::to_owned))
    }
}

/// The entities that hold policies, and how IAM names their parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
    Role,
}

impl Kind {
    /// The parameter naming the entity (`UserName`, ...).
    pub fn param(self) -> &'static str {
        match self {
            Kind::User => "UserName",
            Kind::Group => "GroupName",
            Kind::Role => "RoleName",
        }
    }

    /// The resource type in the entity's ARN.
    pub fn arn_kind(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Role => "role",
        }
    }

    pub fn holder(self, name: &str) -> Holder<'_> {
        match self {
            Kind::User => Holder::User(name),
            Kind::Group => Holder::Group(name),
            Kind::Role => Holder::Role(name),
        }
    }

    /// The rules an inline policy of this entity follows.
    pub fn inline_policy(self) -> PolicyKind {
        match self {
            Kind::User => PolicyKind::UserInline,
            Kind::Group => PolicyKind::GroupInline,
            Kind::Role => PolicyKind::RoleInline,
        }
    }

    /// The stored path of entity `name`, if it exists.
    fn path(self, engine: &Engine, account: &str, name: &str) -> Option<String> {
        match self {
            Kind::User => engine.user(account, name).ok().map(|u| u.path),
            Kind::Group => engine.group(account, name).ok().map(|(g, _)| g.path),
            Kind::Role => engine.role(account, name).ok().map(|r| r.path),
        }
    }
}
