//! Inline policies of users, groups and roles; customer managed policies,
//! their versions and attachments; and the documents that apply to a user
//! or role, for the authoriser.

use std::time::SystemTime;

use super::table;
use super::{HasPolicies, new_id, principals::check_path};
use crate::engine::Engine;
use crate::meta::MetaDb;
use crate::types::{
    Group, IamPage, MAX_ATTACHED_POLICIES, MAX_POLICY_VERSIONS, ManagedPolicy, Policies,
    PolicyVersion, Role, User,
};
use crate::{Error, Result};

/// What a policy is put on or attached to.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    User(&'a str),
    Group(&'a str),
    Role(&'a str),
}

/// Runs `$body` with `$entity` bound to the holder's entity type.
macro_rules! with_holder {
    ($holder:expr, $name:ident, $ty:ident => $body:expr) => {
        match $holder {
            Holder::User($name) => {
                type $ty = User;
                $body
            }
            Holder::Group($name) => {
                type $ty = Group;
                $body
            }
            Holder::Role($name) => {
                type $ty = Role;
                $body
            }
        }
    };
}

/// The account and name of a customer managed policy's ARN
/// (`arn:aws:iam::ACCOUNT:policy/PATH/NAME`).
pub fn parse_policy_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("policy/")?;
    let name = path_and_name.rsplit('/').next()?;
    (!name.is_empty()).then_some((account, name))
}

fn policy_arn(account: &str, policy: &ManagedPolicy) -> String {
    format!(
        "arn:aws:iam::{account}:policy{}{}",
        policy.path, policy.name
    )
}

fn no_such_policy(arn: &str) -> Error {
    Error::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
}

/// The managed policy an ARN names in `account`.
fn policy_by_arn(db: &MetaDb, account: &str, arn: &str) -> Result<ManagedPolicy> {
    let (owner, name) = parse_policy_arn(arn).ok_or_else(|| no_such_policy(arn))?;
    if owner != account {
        return Err(no_such_policy(arn));
    }
    let policy: ManagedPolicy =
        table::get(db, account, name)?.ok_or_else(|| no_such_policy(arn))?;
    if policy_arn(account, &policy) != arn {
        return Err(no_such_policy(arn));
    }
    Ok(policy)
}

impl Engine {
    /// Adds or replaces inline policy `name` of `holder`.
    pub fn put_inline_policy(
        &self,
        account: &str,
        holder: Holder<'_>,
        name: &str,
        document: &str,
    ) -> Result<()> {
        with_holder!(holder, who, E => self.update::<E>(account, who, |e| {
            e.policies_mut().inline.insert(name.to_owned(), document.to_owned());
            Ok(())
        }))
    }

    /// Inline policy `name` of `holder`.
    pub fn inline_policy(&self, account: &str, holder: Holder<'_>, name: &str) -> Result<String> {
        let policies = self.holder_policies(account, holder)?;
        policies.inline.get(name).cloned().ok_or_else(|| {
            Error::NoSuchEntity(format!("The policy with name {name} cannot be found."))
        })
    }

    /// Removes inline policy `name` of `holder`.
    pub fn delete_inline_policy(
        &self,
        account: &str,
        holder: Holder<'_>,
        name: &str,
    ) -> Result<()> {
        with_holder!(holder, who, E => self.update::<E>(account, who, |e| {
            e.policies_mut().inline.remove(name).map(|_| ()).ok_or_else(|| {
                Error::NoSuchEntity(format!("The policy with name {name} cannot be found."))
            })
        }))
    }

    /// The inline policies and attached policy ARNs of `holder`.
    pub fn holder_policies(&self, account: &str, holder: Holder<'_>) -> Result<Policies> {
        let db = &self.inner.shared.db;
        with_holder!(holder, who, E => Ok(table::require::<E>(db, account, who)?.policies().clone()))
    }

    /// Creates managed policy `name` with `document` as its version `v1`.
    pub fn create_policy(
        &self,
        account: &str,
        name: &str,
        path: &str,
        description: &str,
        document: &str,
    ) -> Result<(String, ManagedPolicy)> {
        check_path(path)?;
        let db = &self.inner.shared.db;
        let _lock = self.inner.iam_lock.lock();
        self.account(account)?;
        if table::get::<ManagedPolicy>(db, account, name)?.is_some() {
            return Err(Error::EntityAlreadyExists(format!(
                "A policy called {name} already exists. Duplicate names are not allowed."
            )));
        }
        let now = SystemTime::now();
        let policy = ManagedPolicy {
            name: name.to_owned(),
            id: new_id("ANPA", 17),
            path: path.to_owned(),
            description: description.to_owned(),
            created: now,
            updated: now,
            versions: vec![PolicyVersion {
                id: "v1".into(),
                document: document.to_owned(),
                created: now,
            }],
            default_version: "v1".into(),
            next_version: 2,
            attachments: 0,
        };
        let mut batch = db.batch();
        table::put(&mut batch, account, &policy)?;
        batch.commit()?;
        Ok((policy_arn(account, &policy), policy))
    }

    /// The managed policy `arn` names.
    pub fn policy(&self, account: &str, arn: &str) -> Result<ManagedPolicy> {
        policy_by_arn(&self.inner.shared.db, account, arn)
    }

    /// Managed policies whose path starts with `path_prefix`, with their ARNs.
    pub fn policies(
        &self,
        account: &str,
        path_prefix: &str,
        only_attached: bool,
        marker: Option<&str>,
        max: usize,
    ) -> Result<IamPage<(String, ManagedPolicy)>> {
        let db = &self.inner.shared.db;
        let mut page: IamPage<ManagedPolicy> = table::list(db, account, path_prefix, marker, max)?;
        if only_attached {
            page.items.retain(|p| p.attachments > 0);
        }
        Ok(IamPage {
            items: page
                .items
                .into_iter()
                .map(|p| (policy_arn(account, &p), p))
                .collect(),
            marker: page.marker,
        })
    }

    /// Deletes managed policy `arn`: refused while attached or while it has
    /// versions besides the default one, as IAM.
    pub fn delete_policy(&self, account: &str, arn: &str) -> Result<()> {
        let db = &self.inner.shared.db;
        let _lock = self.inner.iam_lock.lock();
        let policy = policy_by_arn(db, account, arn)?;
        if policy.attachments > 0 {
            return Err(Error::DeleteConflict(
                "Cannot delete a policy attached to entities.".into(),
            ));
        }
        if policy.versions.len() > 1 {
            return Err(Error::DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must \
                 delete the policy's versions. The default version is deleted with the policy."
                    .into(),
            ));
        }
        let mut batch = db.batch();
        table::remove::<ManagedPolicy>(&mut batch, account, &policy.name)?;
        batch.commit()
    }

    /// Adds a version to policy `arn`, the default one if `set_default`.
    pub fn create_policy_version(
        &self,
        account: &str,
        arn: &str,
        document: &str,
        set_default: bool,
    ) -> Result<PolicyVersion> {
        self.change_policy(account, arn, |policy| {
            if policy.versions.len() >= MAX_POLICY_VERSIONS {
                return Err(Error::LimitExceeded(format!(
                    "A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you \
                     create a new version, you must delete an existing version."
                )));
            }
            let version = PolicyVersion {
                id: format!("v{}", policy.next_version),
                document: document.to_owned(),
                created: SystemTime::now(),
            };
            policy.next_version += 1;
            if set_default {
                policy.default_version = version.id.clone();
            }
            policy.versions.push(version.clone());
            Ok(version)
        })
    }

    /// Removes a version other than the default one.
    pub fn delete_policy_version(&self, account: &str, arn: &str, version: &str) -> Result<()> {
        self.change_policy(account, arn, |policy| {
            if policy.default_version == version {
                return Err(Error::DeleteConflict(
                    "Cannot delete the default version of a policy.".into(),
                ));
            }
            let before = policy.versions.len();
            policy.versions.retain(|v| v.id != version);
            if policy.versions.len() == before {
                return Err(no_such_version(arn, version));
            }
            Ok(())
        })
    }

    /// Makes `version` the one in force.
    pub fn set_default_policy_version(
        &self,
        account: &str,
        arn: &str,
        version: &str,
    ) -> Result<()> {
        self.change_policy(account, arn, |policy| {
            if !policy.versions.iter().any(|v| v.id == version) {
                return Err(no_such_version(arn, version));
            }
            policy.default_version = version.to_owned();
            Ok(())
        })
    }

    fn change_policy<T>(
        &self,
        account: &str,
        arn: &str,
        change: impl FnOnce(&mut ManagedPolicy) -> Result<T>,
    ) -> Result<T> {
        let db = &self.inner.shared.db;
        let _lock = self.inner.iam_lock.lock();
        let mut policy = policy_by_arn(db, account, arn)?;
        let out = change(&mut policy)?;
        policy.updated = SystemTime::now();
        let mut batch = db.batch();
        table::put(&mut batch, account, &policy)?;
        batch.commit()?;
        Ok(out)
    }

    /// Attaches managed policy `arn` to `holder` (nothing if it already is).
    pub fn attach_policy(&self, account: &str, holder: Holder<'_>, arn: &str) -> Result<()> {
        with_holder!(holder, who, E => self.attachment::<E>(account, who, arn, true))
    }

    pub fn detach_policy(&self, account: &str, holder: Holder<'_>, arn: &str) -> Result<()> {
        with_holder!(holder, who, E => self.attachment::<E>(account, who, arn, false))
    }

    fn attachment<E: HasPolicies>(
        &self,
        account: &str,
        name: &str,
        arn: &str,
        attach: bool,
    ) -> Result<()> {
        let db = &self.inner.shared.db;
        let _lock = self.inner.iam_lock.lock();
        let mut entity: E = table::require(db, account, name)?;
        let mut policy = policy_by_arn(db, account, arn)?;
        let attached = &mut entity.policies_mut().attached;
        let at = attached.iter().position(|a| a == arn);
        match (attach, at) {
            (true, Some(_)) => return Ok(()),
            (true, None) => {
                if attached.len() >= MAX_ATTACHED_POLICIES {
                    return Err(Error::LimitExceeded(format!(
                        "Cannot exceed quota for PoliciesPerUser: {MAX_ATTACHED_POLICIES}"
                    )));
                }
                attached.push(arn.to_owned());
                policy.attachments += 1;
            }
            (false, Some(at)) => {
                attached.remove(at);
                policy.attachments = policy.attachments.saturating_sub(1);
            }
            (false, None) => {
                return Err(Error::NoSuchEntity(format!("Policy {arn} was not found.")));
            }
        }
        let mut batch = db.batch();
        table::put(&mut batch, account, &entity)?;
        table::put(&mut batch, account, &policy)?;
        batch.commit()
    }

    /// Every policy document that applies to user `name`: its inline and
    /// attached policies and those of its groups.
    pub fn user_policy_documents(&self, account: &str, name: &str) -> Result<Vec<String>> {
        let db = &self.inner.shared.db;
        let user: User = table::require(db, account, name)?;
        let mut docs = Vec::new();
        documents(db, account, user.policies(), &mut docs)?;
        for group in &user.groups {
            if let Some(group) = table::get::<Group>(db, account, group)? {
                documents(db, account, group.policies(), &mut docs)?;
            }
        }
        Ok(docs)
    }

    /// Every policy document of role `name` (inline and attached).
    pub fn role_policy_documents(&self, account: &str, name: &str) -> Result<Vec<String>> {
        let db = &self.inner.shared.db;
        let role: Role = table::require(db, account, name)?;
        let mut docs = Vec::new();
        documents(db, account, role.policies(), &mut docs)?;
        Ok(docs)
    }
}

fn no_such_version(arn: &str, version: &str) -> Error {
    Error::NoSuchEntity(format!(
        "Policy {arn} version {version} does not exist or is not attachable."
    ))
}

fn documents(db: &MetaDb, account: &str, policies: &Policies, out: &mut Vec<String>) -> Result<()> {
    out.extend(policies.inline.values().cloned());
    for arn in &policies.attached {
        if let Ok(policy) = policy_by_arn(db, account, arn) {
            out.push(policy.document().to_owned());
        }
    }
    Ok(())
}
