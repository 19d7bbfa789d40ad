//! How IAM writes its entities: users, groups, roles, managed policies and
//! their versions, ARNs, and policy documents (URL-encoded).

use horreo_storage::{Group, ManagedPolicy, PolicyVersion, Role, User};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::handlers::query::response::date;
use crate::xml::XmlWriter;

/// RFC 3986 unreserved characters stay; IAM encodes everything else in the
/// policy documents it returns.
const DOCUMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A policy document as IAM returns it: URL-encoded.
pub fn document(text: &str) -> String {
    utf8_percent_encode(text, DOCUMENT).to_string()
}

/// The ARN of an IAM entity: `arn:aws:iam::ACCOUNT:KIND/PATH/NAME`.
pub fn arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

pub fn user(w: &mut XmlWriter, account: &str, user: &User) {
    w.elem("Path", &user.path)
        .elem("UserName", &user.name)
        .elem("UserId", &user.id)
        .elem("Arn", arn(account, "user", &user.path, &user.name))
        .elem("CreateDate", date(user.created));
}

pub fn group(w: &mut XmlWriter, account: &str, group: &Group) {
    w.elem("Path", &group.path)
        .elem("GroupName", &group.name)
        .elem("GroupId", &group.id)
        .elem("Arn", arn(account, "group", &group.path, &group.name))
        .elem("CreateDate", date(group.created));
}

pub fn role(w: &mut XmlWriter, account: &str, role: &Role) {
    w.elem("Path", &role.path)
        .elem("RoleName", &role.name)
        .elem("RoleId", &role.id)
        .elem("Arn", arn(account, "role", &role.path, &role.name))
        .elem("CreateDate", date(role.created))
        .elem(
            "AssumeRolePolicyDocument",
            document(&role.assume_role_policy),
        )
        .opt(
            "Description",
            Some(&role.description).filter(|d| !d.is_empty()),
        )
        .elem("MaxSessionDuration", role.max_session_duration.to_string());
}

pub fn policy(w: &mut XmlWriter, arn: &str, policy: &ManagedPolicy) {
    w.elem("PolicyName", &policy.name)
        .elem("PolicyId", &policy.id)
        .elem("Arn", arn)
        .elem("Path", &policy.path)
        .elem("DefaultVersionId", &policy.default_version)
        .elem("AttachmentCount", policy.attachments.to_string())
        .elem("PermissionsBoundaryUsageCount", "0")
        .elem("IsAttachable", "true")
        .opt(
            "Description",
            Some(&policy.description).filter(|d| !d.is_empty()),
        )
        .elem("CreateDate", date(policy.created))
        .elem("UpdateDate", date(policy.updated));
}

pub fn policy_version(w: &mut XmlWriter, version: &PolicyVersion, default: &str) {
    w.elem("Document", document(&version.document))
        .elem("VersionId", &version.id)
        .elem("IsDefaultVersion", (version.id == default).to_string())
        .elem("CreateDate", date(version.created));
}

/// `<AttachedPolicies>` members: the name (last ARN segment) and ARN.
pub fn attached_policy(w: &mut XmlWriter, arn: &String) {
    let name = arn.rsplit('/').next().unwrap_or_default();
    w.elem("PolicyName", name).elem("PolicyArn", arn);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_url_encoded() {
        assert_eq!(
            document(r#"{"A": "s3:*"}"#),
            "%7B%22A%22%3A%20%22s3%3A%2A%22%7D"
        );
    }
}
