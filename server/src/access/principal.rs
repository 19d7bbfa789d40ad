//! Who a request comes from: an identity of an account, or anonymous.

use std::sync::Arc;

use horreo_policy::{IdentityKind, Principal as PolicyPrincipal};
use horreo_storage::Account;

/// The identity inside an account that signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The account's root user: may do anything in its own account.
    Root,
    User {
        name: String,
        id: String,
        path: String,
    },
    /// A session of a role (STS AssumeRole).
    AssumedRole {
        role: String,
        path: String,
        /// The role's id (`AROA...`).
        role_id: String,
        session: String,
    },
}

/// An authenticated caller. Built once per key (per session for temporary
/// credentials) and shared by its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: Account,
    pub identity: Identity,
    /// The access key that signed the request.
    pub access_key: String,
    /// Session policies of temporary credentials: they limit what the
    /// identity's own policies allow.
    pub session_policies: Vec<String>,
    /// How the policy language sees the caller.
    policy: PolicyPrincipal,
    /// Where its identity policies are cached: (account, `user/NAME` or
    /// `role/NAME`); none for a root, which needs none.
    policies_key: Option<(String, String)>,
}

impl Caller {
    pub fn new(
        account: Account,
        identity: Identity,
        access_key: String,
        session_policies: Vec<String>,
    ) -> Self {
        let mut caller = Self {
            account,
            identity,
            access_key,
            session_policies,
            policy: PolicyPrincipal::Anonymous,
            policies_key: None,
        };
        let account_id = caller.account.id.clone();
        caller.policies_key = match &caller.identity {
            Identity::Root => None,
            Identity::User { name, .. } => Some((account_id, format!("user/{name}"))),
            Identity::AssumedRole { role, .. } => Some((account_id, format!("role/{role}"))),
        };
        caller.policy = PolicyPrincipal::Identity(horreo_policy::Identity {
            account: caller.account.id.clone(),
            arn: caller.arn(),
            kind: match &caller.identity {
                Identity::Root => IdentityKind::Root,
                Identity::User { name, .. } => IdentityKind::User { name: name.clone() },
                Identity::AssumedRole { session, .. } => IdentityKind::AssumedRole {
                    role_arn: caller.role_arn().unwrap_or_default(),
                    session: session.clone(),
                },
            },
            user_id: caller.user_id(),
            canonical_id: Some(caller.account.canonical_id.clone()),
        });
        caller
    }

    /// How the policy language sees the caller.
    pub fn policy_principal(&self) -> &PolicyPrincipal {
        &self.policy
    }

    /// Where the caller's identity policies are cached; `None` for a root.
    pub fn policies_key(&self) -> Option<&(String, String)> {
        self.policies_key.as_ref()
    }

    /// The caller's ARN, as policies and `GetCallerIdentity` name it.
    pub fn arn(&self) -> String {
        let account = &self.account.id;
        match &self.identity {
            Identity::Root => format!("arn:aws:iam::{account}:root"),
            Identity::User { name, path, .. } => format!("arn:aws:iam::{account}:user{path}{name}"),
            Identity::AssumedRole { role, session, .. } => {
                format!("arn:aws:sts::{account}:assumed-role/{role}/{session}")
            }
        }
    }

    /// The ARN of the role a session assumed.
    pub fn role_arn(&self) -> Option<String> {
        match &self.identity {
            Identity::AssumedRole { role, path, .. } => {
                Some(format!("arn:aws:iam::{}:role{path}{role}", self.account.id))
            }
            _ => None,
        }
    }

    /// The user id AWS reports (`aws:userid`): the account id for the root.
    pub fn user_id(&self) -> String {
        match &self.identity {
            Identity::Root => self.account.id.clone(),
            Identity::User { id, .. } => id.clone(),
            Identity::AssumedRole {
                role_id, session, ..
            } => format!("{role_id}:{session}"),
        }
    }

    /// The user name (`aws:username`), for users only.
    pub fn user_name(&self) -> Option<&str> {
        match &self.identity {
            Identity::User { name, .. } => Some(name),
            _ => None,
        }
    }

    pub fn is_root(&self) -> bool {
        self.identity == Identity::Root
    }
}

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    Caller(Arc<Caller>),
}

/// How the policy language sees an anonymous request.
static ANONYMOUS: PolicyPrincipal = PolicyPrincipal::Anonymous;

impl Principal {
    /// How the policy language sees the principal.
    pub fn policy_principal(&self) -> &PolicyPrincipal {
        match self {
            Self::Anonymous => &ANONYMOUS,
            Self::Caller(c) => c.policy_principal(),
        }
    }

    pub fn caller(&self) -> Option<&Arc<Caller>> {
        match self {
            Self::Anonymous => None,
            Self::Caller(c) => Some(c),
        }
    }
}
