//! Temporary credentials (STS): everything a session is, sealed into its
//! session token under a key derived from the master key. Nothing is stored:
//! a token opens only on a server with the same master key, cannot be
//! altered, and carries its own expiry. Rotating the master key ends every
//! session.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::new_id;
use crate::Result;
use crate::crypto::{Key256, derive_key, open_bytes, seal_bytes};
use crate::engine::{Engine, encryption};
use crate::meta::records::{decode, encode};

/// What a temporary credential stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionIdentity {
    /// GetSessionToken by an account's root.
    Root,
    /// GetSessionToken by an IAM user.
    User { name: String },
    /// AssumeRole: a session of role `name` (with its path).
    Role {
        name: String,
        path: String,
        /// The role's id (`AROA...`).
        id: String,
        session_name: String,
    },
}

/// A session, as its token carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// `ASIA...`: the access key id the session signs with.
    pub access_key: String,
    pub secret: String,
    /// The account the identity belongs to.
    pub account: String,
    pub identity: SessionIdentity,
    pub expires: SystemTime,
    /// Session policies passed to STS: they limit what the identity's own
    /// policies allow.
    pub policies: Vec<String>,
}

const LABEL: &[u8] = b"horreo/sts-session-token/v1";

fn token_key(engine: &Engine) -> Result<Key256> {
    let keys = encryption::keys(&engine.inner)?;
    derive_key(&keys.master, LABEL)
}

impl Engine {
    /// A new session for `identity` of `account` until `expires`: returns it
    /// (with a fresh access key id and secret) and its session token.
    pub fn issue_session(
        &self,
        account: &str,
        identity: SessionIdentity,
        expires: SystemTime,
        policies: Vec<String>,
    ) -> Result<(Session, String)> {
        let secret_material = Key256::random();
        let session = Session {
            access_key: new_id("ASIA", 16),
            secret: base64::engine::general_purpose::STANDARD.encode(&secret_material.0[..30]),
            account: account.to_owned(),
            identity,
            expires,
            policies,
        };
        let sealed = seal_bytes(&token_key(self)?, &encode(&session)?, LABEL)?;
        Ok((session, URL_SAFE_NO_PAD.encode(sealed)))
    }

    /// The session a token carries, whether or not it has expired; `None` for
    /// a token this server did not issue (or one altered since).
    pub fn open_session(&self, token: &str) -> Result<Option<Session>> {
        let Ok(sealed) = URL_SAFE_NO_PAD.decode(token.trim()) else {
            return Ok(None);
        };
        let Some(plain) = open_bytes(&token_key(self)?, &sealed, LABEL) else {
            return Ok(None);
        };
        Ok(decode(&plain).ok())
    }
}
