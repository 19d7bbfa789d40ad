//! What `horreo admin` manages (accounts, users, access keys, user policies),
//! behind one trait with two homes: a stopped store opened directly
//! ([`Engine`]) and a running server reached over its IAM API
//! ([`super::remote::Remote`]). The commands print the same either way.

use horreo_storage::{Account, Engine, Holder, KeyStatus};

/// A new account and its root key pair (the secret is shown once).
pub struct NewAccount {
    pub account: AccountRow,
    pub key: NewKey,
}

pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub canonical_id: String,
}

pub struct UserRow {
    pub name: String,
    pub id: String,
    pub path: String,
    pub arn: String,
}

/// A new access key pair (the secret is shown once).
pub struct NewKey {
    pub id: String,
    pub secret: String,
}

pub struct KeyRow {
    pub id: String,
    pub status: String,
    pub created: String,
}

/// A user's inline policy names and attached policy ARNs.
pub struct UserPolicies {
    pub inline: Vec<String>,
    pub attached: Vec<String>,
}

/// The operations of `horreo admin`. `account` names the account to work in
/// (`None`: the first one, or the signer's own on a running server).
pub trait Directory {
    fn create_account(&self, name: &str) -> anyhow::Result<NewAccount>;
    fn accounts(&self) -> anyhow::Result<Vec<AccountRow>>;
    /// A new root access key for account `name`.
    fn create_root_key(&self, name: &str) -> anyhow::Result<NewKey>;
    fn create_user(&self, account: Option<&str>, name: &str) -> anyhow::Result<UserRow>;
    fn users(&self, account: Option<&str>) -> anyhow::Result<Vec<UserRow>>;
    fn delete_user(&self, account: Option<&str>, name: &str) -> anyhow::Result<()>;
    fn create_key(&self, account: Option<&str>, user: &str) -> anyhow::Result<NewKey>;
    fn keys(&self, account: Option<&str>, user: &str) -> anyhow::Result<Vec<KeyRow>>;
    fn delete_key(&self, account: Option<&str>, user: &str, key: &str) -> anyhow::Result<()>;
    /// Puts `document` (already validated) on `user` as inline policy `name`.
    fn put_user_policy(
        &self,
        account: Option<&str>,
        user: &str,
        name: &str,
        document: &str,
    ) -> anyhow::Result<()>;
    fn user_policies(&self, account: Option<&str>, user: &str) -> anyhow::Result<UserPolicies>;
}

/// The account `name` names, else the first account.
fn select(engine: &Engine, name: Option<&str>) -> anyhow::Result<Account> {
    Ok(match name {
        Some(name) => engine.account_by_name(name)?,
        None => engine.default_account()?,
    })
}

fn account_row(account: Account) -> AccountRow {
    AccountRow {
        id: account.id,
        name: account.name,
        canonical_id: account.canonical_id,
    }
}

/// Keys and dates as the IAM API writes them.
fn status_text(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Active => "Active",
        KeyStatus::Inactive => "Inactive",
    }
}

impl Directory for Engine {
    fn create_account(&self, name: &str) -> anyhow::Result<NewAccount> {
        let (account, id, secret) = Engine::create_account(self, name)?;
        Ok(NewAccount {
            account: account_row(account),
            key: NewKey { id, secret },
        })
    }

    fn accounts(&self) -> anyhow::Result<Vec<AccountRow>> {
        Ok(Engine::accounts(self)?
            .into_iter()
            .map(account_row)
            .collect())
    }

    fn create_root_key(&self, name: &str) -> anyhow::Result<NewKey> {
        let account = self.account_by_name(name)?;
        let (key, secret) = self.create_access_key(&account.id, None)?;
        Ok(NewKey { id: key.id, secret })
    }

    fn create_user(&self, account: Option<&str>, name: &str) -> anyhow::Result<UserRow> {
        let account = select(self, account)?;
        let user = Engine::create_user(self, &account.id, name, "/")?;
        Ok(UserRow {
            arn: format!("arn:aws:iam::{}:user{}{}", account.id, user.path, user.name),
            name: user.name,
            id: user.id,
            path: user.path,
        })
    }

    fn users(&self, account: Option<&str>) -> anyhow::Result<Vec<UserRow>> {
        let account = select(self, account)?;
        let mut rows = Vec::new();
        let mut marker = None;
        loop {
            let page = Engine::users(self, &account.id, "/", marker.as_deref(), 1000)?;
            rows.extend(page.items.into_iter().map(|user| UserRow {
                arn: format!("arn:aws:iam::{}:user{}{}", account.id, user.path, user.name),
                name: user.name,
                id: user.id,
                path: user.path,
            }));
            match page.marker {
                Some(next) => marker = Some(next),
                None => return Ok(rows),
            }
        }
    }

    fn delete_user(&self, account: Option<&str>, name: &str) -> anyhow::Result<()> {
        let account = select(self, account)?;
        Ok(Engine::delete_user(self, &account.id, name)?)
    }

    fn create_key(&self, account: Option<&str>, user: &str) -> anyhow::Result<NewKey> {
        let account = select(self, account)?;
        let (key, secret) = self.create_access_key(&account.id, Some(user))?;
        Ok(NewKey { id: key.id, secret })
    }

    fn keys(&self, account: Option<&str>, user: &str) -> anyhow::Result<Vec<KeyRow>> {
        let account = select(self, account)?;
        Ok(self
            .access_keys(&account.id, Some(user))?
            .into_iter()
            .map(|key| KeyRow {
                status: status_text(key.status).to_owned(),
                created: crate::xml::timestamp(key.created),
                id: key.id,
            })
            .collect())
    }

    fn delete_key(&self, account: Option<&str>, user: &str, key: &str) -> anyhow::Result<()> {
        let account = select(self, account)?;
        Ok(self.delete_access_key(&account.id, Some(user), key)?)
    }

    fn put_user_policy(
        &self,
        account: Option<&str>,
        user: &str,
        name: &str,
        document: &str,
    ) -> anyhow::Result<()> {
        let account = select(self, account)?;
        Ok(self.put_inline_policy(&account.id, Holder::User(user), name, document)?)
    }

    fn user_policies(&self, account: Option<&str>, user: &str) -> anyhow::Result<UserPolicies> {
        let account = select(self, account)?;
        let policies = self.holder_policies(&account.id, Holder::User(user))?;
        Ok(UserPolicies {
            inline: policies.inline.keys().cloned().collect(),
            attached: policies.attached,
        })
    }
}
