//! Who a request comes from: an identity of an account, or anonymous.

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
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: Account,
    pub identity: Identity,
    /// The access key that signed the request.
    pub access_key: String,
}

impl Caller {
    /// The caller's ARN, as policies and `GetCallerIdentity` name it.
    pub fn arn(&self) -> String {
        let account = &self.account.id;
        match &self.identity {
            Identity::Root => format!("arn:aws:iam::{account}:root"),
            Identity::User { name, path, .. } => format!("arn:aws:iam::{account}:user{path}{name}"),
        }
    }

    /// The user id AWS reports (`aws:userid`): the account id for the root.
    pub fn user_id(&self) -> &str {
        match &self.identity {
            Identity::Root => &self.account.id,
            Identity::User { id, .. } => id,
        }
    }

    /// The user name (`aws:username`), for users only.
    pub fn user_name(&self) -> Option<&str> {
        match &self.identity {
            Identity::Root => None,
            Identity::User { name, .. } => Some(name),
        }
    }

    pub fn is_root(&self) -> bool {
        self.identity == Identity::Root
    }
}

/// Who a request comes from. One per request, so the size of a caller is
/// no burden worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    Caller(Caller),
}

impl Principal {
    pub fn caller(&self) -> Option<&Caller> {
        match self {
            Self::Anonymous => None,
            Self::Caller(c) => Some(c),
        }
    }
}
