//! The master key: from `HORREO_MASTER_KEY`, from `--master-key-file`, or generated
//! on a first start and kept with 0600 permissions beside (never inside) the data
//! directory, so that a copied data directory alone reveals nothing.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use horreo_storage::MasterKey;

/// Where the master key came from.
pub enum KeyOrigin {
    Environment,
    File(PathBuf),
    /// Generated now and stored at this path.
    Generated(PathBuf),
    /// Generated now and kept in memory only (`--ephemeral`).
    Memory,
}

/// Reads a key file: 64 hex digits, surrounding whitespace ignored.
pub fn read_key_file(path: &Path) -> anyhow::Result<MasterKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading master key file {}", path.display()))?;
    MasterKey::from_hex(&text).with_context(|| {
        format!(
            "master key file {} must hold 64 hex digits (256 bits)",
            path.display()
        )
    })
}

/// Where a generated key for `data_dir` lives: `<data dir>.master-key` beside it,
/// or `$XDG_CONFIG_HOME/horreo/master-key` (`~/.config/horreo/master-key`) when the
/// data directory has no parent.
pub fn default_path(data_dir: &Path) -> PathBuf {
    let absolute = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => {
            let mut file = name.to_os_string();
            file.push(".master-key");
            parent.join(file)
        }
        _ => {
            let config = std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
                .unwrap_or_else(|| PathBuf::from("."));
            config.join("horreo").join("master-key")
        }
    }
}

/// The configured key, else the one stored at [`default_path`], else a new one
/// stored there.
pub fn load_or_generate(
    data_dir: &Path,
    from_env: Option<&str>,
    file: Option<&Path>,
) -> anyhow::Result<(MasterKey, KeyOrigin)> {
    if let Some(hex) = from_env {
        let key = MasterKey::from_hex(hex)
            .context("HORREO_MASTER_KEY must be 64 hex digits (256 bits)")?;
        return Ok((key, KeyOrigin::Environment));
    }
    if let Some(path) = file {
        return Ok((read_key_file(path)?, KeyOrigin::File(path.to_path_buf())));
    }
    let path = default_path(data_dir);
    if path.exists() {
        return Ok((read_key_file(&path)?, KeyOrigin::File(path)));
    }
    let key = MasterKey::random();
    write_key_file(&path, &key)?;
    Ok((key, KeyOrigin::Generated(path)))
}

/// The master key of a command working on a stopped store: from
/// `HORREO_MASTER_KEY`, from `file`, else the one generated beside the data
/// directory (never a new one). The flag says it came from that default file.
pub fn for_stopped_store(
    data_dir: &Path,
    file: Option<&Path>,
) -> anyhow::Result<(MasterKey, bool)> {
    let env_key = std::env::var("HORREO_MASTER_KEY")
        .ok()
        .filter(|v| !v.trim().is_empty());
    match (env_key, file) {
        (Some(hex), _) => Ok((
            MasterKey::from_hex(&hex).context("HORREO_MASTER_KEY must be 64 hex digits")?,
            false,
        )),
        (None, Some(path)) => Ok((read_key_file(path)?, false)),
        (None, None) => Ok((
            read_key_file(&default_path(data_dir)).context(
                "no master key: set HORREO_MASTER_KEY or --master-key-file, \
                 or keep the generated key beside the data directory",
            )?,
            true,
        )),
    }
}

/// Writes a new key file with 0600 permissions; fails if the file exists.
pub fn write_key_file(path: &Path, key: &MasterKey) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating master key file {}", path.display()))?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    writeln!(f, "{}", key.to_hex())?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_lives_beside_the_data_dir_and_is_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (key, origin) = load_or_generate(&data, None, None).unwrap();
        let KeyOrigin::Generated(path) = origin else {
            panic!("not generated")
        };
        assert_eq!(path, dir.path().join("data.master-key"));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, _) = load_or_generate(&data, None, None).unwrap();
        assert_eq!(again, key);
        assert!(load_or_generate(&data, Some("xyz"), None).is_err());
    }
}
