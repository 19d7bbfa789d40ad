//! Stored identities (`iam`): accounts, users, groups, roles, managed
//! policies and access keys; and the session an STS token seals.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::crypto::BlobKey;
use super::mirror_enum;
use crate::engine::iam::{self as engine_iam, access_keys};
use crate::types;
use crate::{Error, Result};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub canonical_id: String,
    pub created: SystemTime,
    #[serde(default)]
    pub access_keys: Vec<String>,
}

impl From<types::Account> for Account {
    fn from(a: types::Account) -> Self {
        Self {
            id: a.id,
            name: a.name,
            canonical_id: a.canonical_id,
            created: a.created,
            access_keys: a.access_keys,
        }
    }
}

impl From<Account> for types::Account {
    fn from(a: Account) -> Self {
        Self {
            id: a.id,
            name: a.name,
            canonical_id: a.canonical_id,
            created: a.created,
            access_keys: a.access_keys,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Policies {
    pub inline: BTreeMap<String, String>,
    pub attached: Vec<String>,
}

impl From<types::Policies> for Policies {
    fn from(p: types::Policies) -> Self {
        Self {
            inline: p.inline,
            attached: p.attached,
        }
    }
}

impl From<Policies> for types::Policies {
    fn from(p: Policies) -> Self {
        Self {
            inline: p.inline,
            attached: p.attached,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub id: String,
    pub path: String,
    pub created: SystemTime,
    pub policies: Policies,
    pub groups: Vec<String>,
    pub access_keys: Vec<String>,
}

impl From<types::User> for User {
    fn from(u: types::User) -> Self {
        Self {
            name: u.name,
            id: u.id,
            path: u.path,
            created: u.created,
            policies: u.policies.into(),
            groups: u.groups,
            access_keys: u.access_keys,
        }
    }
}

impl From<User> for types::User {
    fn from(u: User) -> Self {
        Self {
            name: u.name,
            id: u.id,
            path: u.path,
            created: u.created,
            policies: u.policies.into(),
            groups: u.groups,
            access_keys: u.access_keys,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub id: String,
    pub path: String,
    pub created: SystemTime,
    pub policies: Policies,
}

impl From<types::Group> for Group {
    fn from(g: types::Group) -> Self {
        Self {
            name: g.name,
            id: g.id,
            path: g.path,
            created: g.created,
            policies: g.policies.into(),
        }
    }
}

impl From<Group> for types::Group {
    fn from(g: Group) -> Self {
        Self {
            name: g.name,
            id: g.id,
            path: g.path,
            created: g.created,
            policies: g.policies.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub id: String,
    pub path: String,
    pub created: SystemTime,
    pub description: String,
    pub assume_role_policy: String,
    pub max_session_duration: u32,
    pub policies: Policies,
}

impl From<types::Role> for Role {
    fn from(r: types::Role) -> Self {
        Self {
            name: r.name,
            id: r.id,
            path: r.path,
            created: r.created,
            description: r.description,
            assume_role_policy: r.assume_role_policy,
            max_session_duration: r.max_session_duration,
            policies: r.policies.into(),
        }
    }
}

impl From<Role> for types::Role {
    fn from(r: Role) -> Self {
        Self {
            name: r.name,
            id: r.id,
            path: r.path,
            created: r.created,
            description: r.description,
            assume_role_policy: r.assume_role_policy,
            max_session_duration: r.max_session_duration,
            policies: r.policies.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub id: String,
    pub path: String,
    pub description: String,
    pub created: SystemTime,
    pub updated: SystemTime,
    pub versions: Vec<PolicyVersion>,
    pub default_version: String,
    pub next_version: u32,
    pub attachments: u32,
}

impl From<types::ManagedPolicy> for ManagedPolicy {
    fn from(p: types::ManagedPolicy) -> Self {
        Self {
            name: p.name,
            id: p.id,
            path: p.path,
            description: p.description,
            created: p.created,
            updated: p.updated,
            versions: super::all(p.versions),
            default_version: p.default_version,
            next_version: p.next_version,
            attachments: p.attachments,
        }
    }
}

impl From<ManagedPolicy> for types::ManagedPolicy {
    fn from(p: ManagedPolicy) -> Self {
        Self {
            name: p.name,
            id: p.id,
            path: p.path,
            description: p.description,
            created: p.created,
            updated: p.updated,
            versions: super::all(p.versions),
            default_version: p.default_version,
            next_version: p.next_version,
            attachments: p.attachments,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub id: String,
    pub document: String,
    pub created: SystemTime,
}

impl From<types::PolicyVersion> for PolicyVersion {
    fn from(v: types::PolicyVersion) -> Self {
        Self {
            id: v.id,
            document: v.document,
            created: v.created,
        }
    }
}

impl From<PolicyVersion> for types::PolicyVersion {
    fn from(v: PolicyVersion) -> Self {
        Self {
            id: v.id,
            document: v.document,
            created: v.created,
        }
    }
}

mirror_enum! {
    pub enum KeyStatus <=> types::KeyStatus {
        Active,
        Inactive,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub account: String,
    pub user: Option<String>,
    pub status: KeyStatus,
    pub created: SystemTime,
    pub last_used: Option<SystemTime>,
}

impl From<types::AccessKey> for AccessKey {
    fn from(k: types::AccessKey) -> Self {
        Self {
            id: k.id,
            account: k.account,
            user: k.user,
            status: k.status.into(),
            created: k.created,
            last_used: k.last_used,
        }
    }
}

impl From<AccessKey> for types::AccessKey {
    fn from(k: AccessKey) -> Self {
        Self {
            id: k.id,
            account: k.account,
            user: k.user,
            status: k.status.into(),
            created: k.created,
            last_used: k.last_used,
        }
    }
}

/// An access key and its secret, sealed under the master key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyRow {
    pub key: AccessKey,
    pub secret: BlobKey,
}

impl From<access_keys::KeyRow> for KeyRow {
    fn from(r: access_keys::KeyRow) -> Self {
        Self {
            key: r.key.into(),
            secret: r.secret.into(),
        }
    }
}

impl TryFrom<KeyRow> for access_keys::KeyRow {
    type Error = Error;

    fn try_from(r: KeyRow) -> Result<Self> {
        Ok(Self {
            key: r.key.into(),
            secret: r.secret.try_into()?,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SessionIdentity {
    Root,
    User {
        name: String,
    },
    Role {
        name: String,
        path: String,
        id: String,
        session_name: String,
    },
}

impl From<engine_iam::SessionIdentity> for SessionIdentity {
    fn from(i: engine_iam::SessionIdentity) -> Self {
        use engine_iam::SessionIdentity as I;
        match i {
            I::Root => Self::Root,
            I::User { name } => Self::User { name },
            I::Role {
                name,
                path,
                id,
                session_name,
            } => Self::Role {
                name,
                path,
                id,
                session_name,
            },
        }
    }
}

impl From<SessionIdentity> for engine_iam::SessionIdentity {
    fn from(i: SessionIdentity) -> Self {
        match i {
            SessionIdentity::Root => Self::Root,
            SessionIdentity::User { name } => Self::User { name },
            SessionIdentity::Role {
                name,
                path,
                id,
                session_name,
            } => Self::Role {
                name,
                path,
                id,
                session_name,
            },
        }
    }
}

/// A temporary credential, as its session token seals it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub access_key: String,
    pub secret: String,
    pub account: String,
    pub identity: SessionIdentity,
    pub expires: SystemTime,
    pub policies: Vec<String>,
}

impl From<engine_iam::Session> for Session {
    fn from(s: engine_iam::Session) -> Self {
        Self {
            access_key: s.access_key,
            secret: s.secret,
            account: s.account,
            identity: s.identity.into(),
            expires: s.expires,
            policies: s.policies,
        }
    }
}

impl From<Session> for engine_iam::Session {
    fn from(s: Session) -> Self {
        Self {
            access_key: s.access_key,
            secret: s.secret,
            account: s.account,
            identity: s.identity.into(),
            expires: s.expires,
            policies: s.policies,
        }
    }
}
