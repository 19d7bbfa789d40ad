//! The access keys horreo accepts, held in memory so that authenticating a
//! request never touches the disk: the configured root key pair of the first
//! account, and every key stored in the engine (reloaded after each change,
//! and every two seconds on a store shared by gateways: see `app.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use std::time::{Duration, Instant};

use horreo_storage::{Account, Engine, KeyStatus, Session, SessionIdentity};

use super::principal::{Caller, Identity};
use crate::auth::{SecretStore, invalid_token};
use crate::credentials::Credentials;
use crate::error::{S3Error, S3ErrorCode, S3Result};

struct Entry {
    caller: Arc<Caller>,
    secret: String,
    active: bool,
}

/// The keys and whom each belongs to. Cheap to share.
pub struct Identities {
    /// Opens session tokens.
    engine: Engine,
    root: Credentials,
    /// The first account's root, as the configured key pair signs.
    root_caller: Arc<Caller>,
    default_account: Account,
    keys: RwLock<Arc<HashMap<String, Entry>>>,
    /// Every account, by id.
    accounts: RwLock<Arc<HashMap<String, Account>>>,
    /// When each stored key's use was last written down.
    noted: Mutex<HashMap<String, Instant>>,
}

/// How often a key's last use is written down at most.
const NOTE_USE_EVERY: Duration = Duration::from_secs(3600);

impl Identities {
    /// Loads every stored key. Blocks (reads the engine).
    pub fn load(engine: &Engine, root: Credentials) -> horreo_storage::Result<Self> {
        let default_account = engine.default_account()?;
        let identities = Self {
            engine: engine.clone(),
            root_caller: Arc::new(Caller::new(
                default_account.clone(),
                Identity::Root,
                root.access_key.clone(),
                Vec::new(),
            )),
            root,
            default_account,
            keys: RwLock::new(Arc::default()),
            accounts: RwLock::new(Arc::default()),
            noted: Mutex::default(),
        };
        identities.reload(engine)?;
        Ok(identities)
    }

    /// Reads the stored keys and accounts again: call after any change to
    /// keys, users or accounts.
    pub fn reload(&self, engine: &Engine) -> horreo_storage::Result<()> {
        let accounts: HashMap<String, Account> = engine
            .accounts()?
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect();
        let mut keys = HashMap::new();
        for (key, secret) in engine.all_access_keys()? {
            let Some(account) = accounts.get(&key.account).cloned() else {
                continue;
            };
            let identity = match &key.user {
                None => Identity::Root,
                Some(name) => match engine.user(&key.account, name) {
                    Ok(user) => Identity::User {
                        name: user.name,
                        id: user.id,
                        path: user.path,
                    },
                    Err(_) => continue,
                },
            };
            keys.insert(
                key.id.clone(),
                Entry {
                    caller: Arc::new(Caller::new(account, identity, key.id, Vec::new())),
                    secret,
                    active: key.status == KeyStatus::Active,
                },
            );
        }
        if let Ok(mut current) = self.keys.write() {
            *current = Arc::new(keys);
        }
        if let Ok(mut current) = self.accounts.write() {
            *current = Arc::new(accounts);
        }
        Ok(())
    }

    /// The account a stored owner names: buckets and objects record their
    /// account's id (those stored before accounts existed, the root's access
    /// key: the first account's).
    pub fn owner(&self, stored: &str) -> Account {
        self.accounts
            .read()
            .ok()
            .and_then(|accounts| accounts.get(stored).cloned())
            .unwrap_or_else(|| self.default_account.clone())
    }

    /// The account whose canonical id is `canonical_id`, if there is one.
    pub fn by_canonical_id(&self, canonical_id: &str) -> Option<Account> {
        if self.default_account.canonical_id == canonical_id {
            return Some(self.default_account.clone());
        }
        let accounts = self.accounts.read().ok()?.clone();
        accounts
            .values()
            .find(|a| a.canonical_id == canonical_id)
            .cloned()
    }

    /// The first account: it owns what was created before accounts existed.
    pub fn default_account(&self) -> &Account {
        &self.default_account
    }

    /// Notes that stored key `access_key` signed a request now (for
    /// GetAccessKeyLastUsed): written at most hourly per key, on the blocking
    /// pool, never on the request's path.
    pub fn note_use(&self, access_key: &str) {
        if access_key == self.root.access_key {
            return;
        }
        let now = Instant::now();
        if let Ok(mut noted) = self.noted.lock() {
            if noted
                .get(access_key)
                .is_some_and(|at| now.duration_since(*at) < NOTE_USE_EVERY)
            {
                return;
            }
            noted.insert(access_key.to_owned(), now);
        }
        let (engine, key) = (self.engine.clone(), access_key.to_owned());
        tokio::task::spawn_blocking(move || {
            if let Err(e) = engine.record_key_use(&key, engine.now()) {
                tracing::warn!("cannot record the use of access key {key}: {e}");
            }
        });
    }

    /// Whose key `access_key` is, if it is an active key.
    pub fn caller(&self, access_key: &str) -> Option<Arc<Caller>> {
        if access_key == self.root.access_key {
            return Some(Arc::clone(&self.root_caller));
        }
        let keys = self.keys.read().ok()?.clone();
        keys.get(access_key)
            .filter(|e| e.active)
            .map(|e| e.caller.clone())
    }
}

impl Identities {
    /// The unexpired session `token` carries for `access_key`.
    fn session(&self, access_key: &str, token: &str) -> S3Result<Session> {
        let session = self
            .engine
            .open_session(token)
            .map_err(S3Error::internal)?
            .filter(|s| s.access_key == access_key)
            .ok_or_else(invalid_token)?;
        if session.expires <= self.engine.now() {
            return Err(S3Error::new(
                S3ErrorCode::ExpiredToken,
                "The provided token has expired.",
            ));
        }
        Ok(session)
    }

    /// Who signs with temporary credentials: the identity their session
    /// stands for, limited by its session policies.
    pub fn session_caller(&self, access_key: &str, token: &str) -> S3Result<Arc<Caller>> {
        let session = self.session(access_key, token)?;
        let account = self
            .accounts
            .read()
            .ok()
            .and_then(|accounts| accounts.get(&session.account).cloned())
            .ok_or_else(invalid_token)?;
        let identity = match session.identity {
            SessionIdentity::Root => Identity::Root,
            SessionIdentity::User { name } => {
                let user = self
                    .engine
                    .user(&account.id, &name)
                    .map_err(|_| invalid_token())?;
                Identity::User {
                    name: user.name,
                    id: user.id,
                    path: user.path,
                }
            }
            SessionIdentity::Role {
                name,
                path,
                id,
                session_name,
            } => Identity::AssumedRole {
                role: name,
                path,
                role_id: id,
                session: session_name,
            },
        };
        Ok(Arc::new(Caller::new(
            account,
            identity,
            session.access_key,
            session.policies,
        )))
    }
}

impl SecretStore for Identities {
    /// The secret of an active key; inactive keys sign nothing.
    fn secret_key(&self, access_key: &str) -> Option<String> {
        if access_key == self.root.access_key {
            return Some(self.root.secret_key.clone());
        }
        let keys = self.keys.read().ok()?.clone();
        keys.get(access_key)
            .filter(|e| e.active)
            .map(|e| e.secret.clone())
    }

    fn session_secret(&self, access_key: &str, token: &str) -> S3Result<String> {
        Ok(self.session(access_key, token)?.secret)
    }
}
