//! Identities, as AWS models them: accounts own buckets; inside an account,
//! its root, IAM users (in groups), roles and managed policies. Policy
//! documents are kept as the text the client sent: the gateway parses and
//! validates them, the engine only stores them.

use std::collections::BTreeMap;
use std::time::SystemTime;

/// An account: a tenant that owns buckets and identities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Twelve decimal digits, as AWS account ids.
    pub id: String,
    /// Unique among accounts (compared without case).
    pub name: String,
    /// 64 hex digits: how ACL grants and `Owner` elements name the account.
    pub canonical_id: String,
    pub created: SystemTime,
    /// The root's access keys stored here (the first account's root key pair
    /// comes from the server's configuration instead).
    pub access_keys: Vec<String>,
}

/// Inline policies by name, and the ARNs of attached managed policies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policies {
    pub inline: BTreeMap<String, String>,
    pub attached: Vec<String>,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    /// `AIDA...`: stable for the user's life, unlike the name.
    pub id: String,
    pub path: String,
    pub created: SystemTime,
    pub policies: Policies,
    /// Names of the groups the user is in.
    pub groups: Vec<String>,
    /// Ids of the user's access keys (at most [`MAX_ACCESS_KEYS`]).
    pub access_keys: Vec<String>,
}

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    /// `AGPA...`
    pub id: String,
    pub path: String,
    pub created: SystemTime,
    pub policies: Policies,
}

/// An IAM role, assumed through STS by the principals its trust policy names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    /// `AROA...`
    pub id: String,
    pub path: String,
    pub created: SystemTime,
    pub description: String,
    /// The trust policy document.
    pub assume_role_policy: String,
    /// Longest session, in seconds (3600 to 43200).
    pub max_session_duration: u32,
    pub policies: Policies,
}

/// A customer managed policy and its versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicy {
    pub name: String,
    /// `ANPA...`
    pub id: String,
    pub path: String,
    pub description: String,
    pub created: SystemTime,
    pub updated: SystemTime,
    /// Oldest first; at most [`MAX_POLICY_VERSIONS`].
    pub versions: Vec<PolicyVersion>,
    /// The version in force (`v1`, `v2`, ...).
    pub default_version: String,
    /// The number the next version gets.
    pub next_version: u32,
    /// Users, groups and roles it is attached to.
    pub attachments: u32,
}

impl ManagedPolicy {
    /// The document of the default version.
    pub fn document(&self) -> &str {
        self.versions
            .iter()
            .find(|v| v.id == self.default_version)
            .map_or("", |v| v.document.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    pub id: String,
    pub document: String,
    pub created: SystemTime,
}

/// Whether an access key may sign requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Inactive,
}

/// An access key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub account: String,
    /// The user it belongs to; `None` for the account's root.
    pub user: Option<String>,
    pub status: KeyStatus,
    pub created: SystemTime,
    /// When it last signed a request (recorded at most hourly).
    pub last_used: Option<SystemTime>,
}

/// At most this many access keys per user (and per root), as AWS.
pub const MAX_ACCESS_KEYS: usize = 2;
/// At most this many versions per managed policy, as AWS.
pub const MAX_POLICY_VERSIONS: usize = 5;
/// At most this many managed policies attached to one user, group or role.
pub const MAX_ATTACHED_POLICIES: usize = 10;
/// At most this many groups per user.
pub const MAX_GROUPS_PER_USER: usize = 10;

/// One page of a listing by name, with the marker that continues it.
#[derive(Debug, Clone)]
pub struct IamPage<T> {
    pub items: Vec<T>,
    /// Set when more follow: pass it as the next page's marker.
    pub marker: Option<String>,
}
