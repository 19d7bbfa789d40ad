//! Console sessions: who signed in, kept in memory (a restart signs everyone
//! out). A session holds an access key, never its secret: each presign looks
//! the secret up again, so a deleted or deactivated key stops working at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;

/// How long a session lasts after sign-in.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_key: String,
    /// Must accompany every request that changes something (`x-horreo-csrf`).
    pub csrf: String,
    expires: Instant,
}

/// The sessions of the server, by the id their cookie carries.
#[derive(Debug, Default)]
pub struct Sessions {
    by_id: Mutex<HashMap<String, Session>>,
}

fn random_token() -> String {
    hex::encode(rand::rng().random::<[u8; 32]>())
}

impl Sessions {
    /// Opens a session for `access_key`; returns its id and the session.
    pub fn open(&self, access_key: &str) -> (String, Session) {
        let id = random_token();
        let session = Session {
            access_key: access_key.to_owned(),
            csrf: random_token(),
            expires: Instant::now() + LIFETIME,
        };
        let mut map = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        map.retain(|_, s| s.expires > now);
        map.insert(id.clone(), session.clone());
        (id, session)
    }

    /// The live session with this id.
    pub fn get(&self, id: &str) -> Option<Session> {
        let map = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        map.get(id).filter(|s| s.expires > Instant::now()).cloned()
    }

    /// Ends the session with this id.
    pub fn close(&self, id: &str) {
        let mut map = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(id);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sessions_open_find_and_close() {
        let sessions = Sessions::default();
        let (id, session) = sessions.open("AKIA");
        assert_eq!(id.len(), 64);
        assert_ne!(session.csrf, id);
        assert_eq!(sessions.get(&id).unwrap().access_key, "AKIA");
        assert!(sessions.get("other").is_none());
        sessions.close(&id);
        assert!(sessions.get(&id).is_none());
    }
}
