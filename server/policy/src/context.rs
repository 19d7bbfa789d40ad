//! What a request brings to evaluation: who asks, for what, and the condition
//! keys the server knows about it.

use std::collections::HashMap;

/// Condition keys and their values for one request. Key names compare
/// case-insensitively, as AWS's do; values keep their case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    values: HashMap<String, Vec<String>>,
}

impl Context {
    /// An empty context: every key absent.
    pub fn new() -> Context {
        Context::default()
    }

    /// Adds one value to `key` (a key may hold several, as
    /// `s3:RequestObjectTagKeys` does).
    pub fn insert(&mut self, key: &str, value: impl Into<String>) -> &mut Context {
        self.values
            .entry(key.to_lowercase())
            .or_default()
            .push(value.into());
        self
    }

    /// Sets `key` to exactly `values`; an empty list is a present key with no
    /// values, which `ForAllValues` and `Null` tell apart from an absent one.
    pub fn set(&mut self, key: &str, values: Vec<String>) -> &mut Context {
        self.values.insert(key.to_lowercase(), values);
        self
    }

    /// The values of `key`, or `None` when the request does not carry it.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        match self.values.get(key) {
            Some(values) => Some(values),
            None => self.values.get(&key.to_lowercase()).map(Vec::as_slice),
        }
    }

    /// Adds the global keys that describe the principal: `aws:PrincipalType`,
    /// `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:userid`, and
    /// `aws:username` for IAM users. Anonymous requests get
    /// `aws:PrincipalType` `Anonymous` only.
    pub fn with_principal(mut self, principal: &Principal) -> Context {
        let Principal::Identity(identity) = principal else {
            self.insert("aws:PrincipalType", "Anonymous");
            return self;
        };
        let (kind, arn) = match &identity.kind {
            IdentityKind::Root => ("Account", identity.arn.as_str()),
            IdentityKind::User { name } => {
                self.insert("aws:username", name.as_str());
                ("User", identity.arn.as_str())
            }
            IdentityKind::AssumedRole { role_arn, .. } => ("AssumedRole", role_arn.as_str()),
        };
        self.insert("aws:PrincipalType", kind);
        self.insert("aws:PrincipalArn", arn);
        self.insert("aws:PrincipalAccount", identity.account.as_str());
        self.insert("aws:userid", identity.user_id.as_str());
        self
    }
}

/// Who makes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// An unsigned request.
    Anonymous,
    /// A request signed with an account's credentials.
    Identity(Identity),
}

/// An authenticated principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The 12-digit account the principal belongs to.
    pub account: String,
    /// `arn:aws:iam::ACCOUNT:root`, `arn:aws:iam::ACCOUNT:user/PATH/NAME`, or
    /// for a role session `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub arn: String,
    /// What kind of principal, with what its kind carries.
    pub kind: IdentityKind,
    /// The unique id (`aws:userid`): the account id for root, `AIDA...` for a
    /// user, `AROA...:SESSION` for a role session.
    pub user_id: String,
    /// The account's canonical user id, which `CanonicalUser` principals name.
    pub canonical_id: Option<String>,
}

/// The kinds of authenticated principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityKind {
    /// The account's root user.
    Root,
    /// An IAM user.
    User {
        /// The user's friendly name (`aws:username`).
        name: String,
    },
    /// A session of an assumed role.
    AssumedRole {
        /// The role's ARN, with its path: `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
        role_arn: String,
        /// The session name.
        session: String,
    },
}

/// One request to authorize.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The IAM action, such as `s3:GetObject`.
    pub action: &'a str,
    /// The resource ARN (`arn:aws:s3:::bucket/key`), or `*` for actions
    /// without one (`s3:ListAllMyBuckets`).
    pub resource: &'a str,
    /// Who asks.
    pub principal: &'a Principal,
    /// The condition keys of the request.
    pub context: &'a Context,
}

impl Principal {
    /// The authenticated identity, if any.
    pub fn identity(&self) -> Option<&Identity> {
        match self {
            Principal::Anonymous => None,
            Principal::Identity(identity) => Some(identity),
        }
    }
}
