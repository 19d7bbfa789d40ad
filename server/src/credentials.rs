//! Root credentials: from the configuration, or generated once and kept in the
//! data directory with 0600 permissions. Never a fixed default.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::auth::SecretStore;

const FILE_NAME: &str = "root-credentials.toml";

/// The key pairs horreo accepts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
}

impl SecretStore for Credentials {
    fn secret_key(&self, access_key: &str) -> Option<String> {
        (access_key == self.access_key).then(|| self.secret_key.clone())
    }
}

/// Whether [`load_or_generate`] made a new key pair (to be shown once).
pub enum Origin {
    Configured,
    Stored,
    Generated,
}

/// Returns the configured pair, else the stored one, else generates and stores one.
pub fn load_or_generate(
    data_dir: &Path,
    access_key: Option<String>,
    secret_key: Option<String>,
) -> anyhow::Result<(Credentials, Origin)> {
    match (access_key, secret_key) {
        (Some(access_key), Some(secret_key)) => {
            return Ok((
                Credentials {
                    access_key,
                    secret_key,
                },
                Origin::Configured,
            ));
        }
        (None, None) => {}
        _ => {
            anyhow::bail!("set both HORREO_ROOT_ACCESS_KEY and HORREO_ROOT_SECRET_KEY, or neither")
        }
    }
    let path = path(data_dir);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let creds = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        return Ok((creds, Origin::Stored));
    }
    let creds = generate();
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(toml::to_string(&creds)?.as_bytes())?;
    file.sync_all()?;
    Ok((creds, Origin::Generated))
}

/// Where generated root credentials are kept.
pub fn path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join(FILE_NAME)
}

fn generate() -> Credentials {
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rng();
    let mut pick = |alphabet: &[u8], n: usize| -> String {
        (0..n)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
            .collect()
    };
    Credentials {
        access_key: format!("HORREO{}", pick(UPPER, 14)),
        secret_key: pick(SECRET, 40),
    }
}
