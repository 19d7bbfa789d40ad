//! Who a request comes from: an identity of an account, or anonymous.

use std::sync::Arc;

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

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: Account,
    pub identity: Identity,
    /// The access key that signed the request.
    pub access_key: String,
    /// Session policies of temporary credentials: they limit what the
    /// identity's own policies allow.
    pub session_policies: Vec<String>,
}

impl Caller {
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

impl Principal {
    pub fn caller(&self) -> Option<&Arc<Caller>> {
        match self {
            Self::Anonymous => None,
            Self::Caller(c) => Some(c),
        }
    }
}
