//! Policies: customer managed policies and their versions; inline policies
//! of users, groups and roles; attaching managed policies to them. Every
//! document is validated before it is stored (`MalformedPolicyDocument`).

use horreo_policy::PolicyKind;
use horreo_storage::PolicyVersion;

use super::entities;
use super::{Call, Kind};
use crate::error::S3Result;
use crate::handlers::query::params;
use crate::handlers::query::response::{self, Response};

/// The `PolicyArn` parameter, once the caller may act on it.
fn policy_arn<'a>(call: &Call<'a>) -> S3Result<&'a str> {
    let arn = call.params.required("PolicyArn")?;
    call.authorize(arn)?;
    Ok(arn)
}

pub fn create(call: &Call<'_>) -> S3Result<Response> {
    let name = call.params.name("PolicyName")?;
    let path = call.params.optional("Path").unwrap_or("/");
    let document = call.policy_document("PolicyDocument", PolicyKind::Managed)?;
    let description = call.params.optional("Description").unwrap_or_default();
    call.authorize(&call.arn("policy", path, name))?;
    let (arn, policy) =
        call.engine
            .create_policy(call.account(), name, path, description, document)?;
    let mut r = call.response();
    r.xml().open("Policy");
    entities::policy(r.xml(), &arn, &policy);
    r.xml().close("Policy");
    Ok(r)
}

pub fn get(call: &Call<'_>) -> S3Result<Response> {
    let arn = policy_arn(call)?;
    let policy = call.engine.policy(call.account(), arn)?;
    let mut r = call.response();
    r.xml().open("Policy");
    entities::policy(r.xml(), arn, &policy);
    r.xml().close("Policy");
    Ok(r)
}

/// The account's own policies (`Scope` `All` or `Local`); horreo has no
/// AWS managed policies, so `Scope=AWS` lists none.
pub fn list(call: &Call<'_>) -> S3Result<Response> {
    let prefix = call.params.optional("PathPrefix").unwrap_or("/");
    call.authorize(&call.arn("policy", prefix, "*"))?;
    let only_attached = call.params.boolean("OnlyAttached", false)?;
    let paging = call.params.paging()?;
    let page = match call.params.optional("Scope").unwrap_or("All") {
        "All" | "Local" => call.engine.policies(
            call.account(),
            prefix,
            only_attached,
            paging.marker.as_deref(),
            paging.max_items,
        )?,
        "AWS" => horreo_storage::IamPage {
            items: Vec::new(),
            marker: None,
        },
        other => {
            return Err(params::invalid(
                "Scope",
                other,
                "Member must satisfy enum value set: [All, AWS, Local]",
            ));
        }
    };
    let mut r = call.response();
    r.list("Policies", &page.items, |w, (arn, policy)| {
        entities::policy(w, arn, policy)
    });
    r.truncation(page.marker.as_deref());
    Ok(r)
}

pub fn delete(call: &Call<'_>) -> S3Result<Response> {
    let arn = policy_arn(call)?;
    call.engine.delete_policy(call.account(), arn)?;
    call.done()
}

/// `<PolicyVersion>` without its document, as CreatePolicyVersion and
/// ListPolicyVersions answer.
fn version_summary(w: &mut crate::xml::XmlWriter, version: &PolicyVersion, default: &str) {
    w.elem("VersionId", &version.id)
        .elem("IsDefaultVersion", (version.id == default).to_string())
        .elem("CreateDate", response::date(version.created));
}

pub fn create_version(call: &Call<'_>) -> S3Result<Response> {
    let document = call.policy_document("PolicyDocument", PolicyKind::Managed)?;
    let set_default = call.params.boolean("SetAsDefault", false)?;
    let arn = policy_arn(call)?;
    let version = call
        .engine
        .create_policy_version(call.account(), arn, document, set_default)?;
    let default = if set_default { version.id.as_str() } else { "" };
    let mut r = call.response();
    r.xml().open("PolicyVersion");
    version_summary(r.xml(), &version, default);
    r.xml().close("PolicyVersion");
    Ok(r)
}

pub fn get_version(call: &Call<'_>) -> S3Result<Response> {
    let id = call.params.required("VersionId")?;
    let arn = policy_arn(call)?;
    let policy = call.engine.policy(call.account(), arn)?;
    let version = policy.versions.iter().find(|v| v.id == id).ok_or_else(|| {
        crate::s3_error!(
            NoSuchEntity,
            "Policy {arn} version {id} does not exist or is not attachable."
        )
    })?;
    let mut r = call.response();
    r.xml().open("PolicyVersion");
    entities::policy_version(r.xml(), version, &policy.default_version);
    r.xml().close("PolicyVersion");
    Ok(r)
}

pub fn list_versions(call: &Call<'_>) -> S3Result<Response> {
    let arn = policy_arn(call)?;
    let paging = call.params.paging()?;
    let policy = call.engine.policy(call.account(), arn)?;
    let mut versions = policy.versions.clone();
    // Newest first, as IAM lists them; the marker is the last version shown.
    versions.reverse();
    let skip = paging
        .marker
        .as_deref()
        .and_then(|m| versions.iter().position(|v| v.id == m))
        .map_or(0, |at| at + 1);
    let rest: Vec<PolicyVersion> = versions.into_iter().skip(skip).collect();
    let more = rest.len() > paging.max_items;
    let shown = &rest[..rest.len().min(paging.max_items)];
    let mut r = call.response();
    r.list("Versions", shown, |w, version| {
        version_summary(w, version, &policy.default_version)
    });
    r.truncation(shown.last().filter(|_| more).map(|v| v.id.as_str()));
    Ok(r)
}

pub fn delete_version(call: &Call<'_>) -> S3Result<Response> {
    let id = call.params.required("VersionId")?;
    let arn = policy_arn(call)?;
    call.engine.delete_policy_version(call.account(), arn, id)?;
    call.done()
}

pub fn set_default_version(call: &Call<'_>) -> S3Result<Response> {
    let id = call.params.required("VersionId")?;
    let arn = policy_arn(call)?;
    call.engine
        .set_default_policy_version(call.account(), arn, id)?;
    call.done()
}

pub fn put_inline(call: &Call<'_>, kind: Kind) -> S3Result<Response> {
    let holder = call.params.name(kind.param())?;
    let name = call.params.name("PolicyName")?;
    let document = call.policy_document("PolicyDocument", kind.inline_policy())?;
    call.authorize_on(kind, holder)?;
    call.engine
        .put_inline_policy(call.account(), kind.holder(holder), name, document)?;
    call.done()
}

pub fn get_inline(call: &Call<'_>, kind: Kind) -> S3Result<Response> {
    let holder = call.params.name(kind.param())?;
    let name = call.params.name("PolicyName")?;
    call.authorize_on(kind, holder)?;
    let document = call
        .engine
        .inline_policy(call.account(), kind.holder(holder), name)?;
    let mut r = call.response();
    r.xml()
        .elem(kind.param(), holder)
        .elem("PolicyName", name)
        .elem("PolicyDocument", entities::document(&document));
    Ok(r)
}

pub fn list_inline(call: &Call<'_>, kind: Kind) -> S3Result<Response> {
    let holder = call.params.name(kind.param())?;
    call.authorize_on(kind, holder)?;
    let paging = call.params.paging()?;
    let policies = call
        .engine
        .holder_policies(call.account(), kind.holder(holder))?;
    let names: Vec<String> = policies.inline.into_keys().collect();
    let (names, marker) = paging.apply(names, String::as_str);
    let mut r = call.response();
    r.list("PolicyNames", &names, |w, name| {
        w.text(name);
    });
    r.truncation(marker.as_deref());
    Ok(r)
}

pub fn delete_inline(call: &Call<'_>, kind: Kind) -> S3Result<Response> {
    let holder = call.params.name(kind.param())?;
    let name = call.params.name("PolicyName")?;
    call.authorize_on(kind, holder)?;
    call.engine
        .delete_inline_policy(call.account(), kind.holder(holder), name)?;
    call.done()
}

/// Attaches (or detaches) managed policy `PolicyArn` to the entity.
pub fn attach(call: &Call<'_>, kind: Kind, attach: bool) -> S3Result<Response> {
    let holder = call.params.name(kind.param())?;
    let arn = call.params.required("PolicyArn")?;
    call.authorize_on(kind, holder)?;
    let (account, holder) = (call.account(), kind.holder(holder));
    if attach {
        call.engine.attach_policy(account, holder, arn)?;
    } else {
        call.engine.detach_policy(account, holder, arn)?;
    }
    call.done()
}

pub fn list_attached(call: &Call<'_>, kind: Kind) -> S3Result<Response> {
    let holder = call.params.name(kind.param())?;
    call.authorize_on(kind, holder)?;
    let prefix = call.params.optional("PathPrefix").unwrap_or("/");
    let paging = call.params.paging()?;
    let policies = call
        .engine
        .holder_policies(call.account(), kind.holder(holder))?;
    let mut arns: Vec<String> = policies
        .attached
        .into_iter()
        .filter(|arn| policy_path(arn).starts_with(prefix))
        .collect();
    arns.sort();
    let (arns, marker) = paging.apply(arns, String::as_str);
    let mut r = call.response();
    r.list("AttachedPolicies", &arns, entities::attached_policy);
    r.truncation(marker.as_deref());
    Ok(r)
}

/// The path of a policy ARN (`/` for `...:policy/NAME`).
fn policy_path(arn: &str) -> &str {
    let resource = arn.split_once(":policy").map_or("", |(_, r)| r);
    resource.rfind('/').map_or("/", |end| &resource[..=end])
}
