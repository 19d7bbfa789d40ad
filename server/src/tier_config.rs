//! Storage tiers in the configuration: `--tier CLASS=DIR` (repeatable) or a
//! `[tiers]` table of the config file (`GLACIER = "/mnt/slow"`), shared by the
//! server and the commands that open a stopped store (`fsck`, `scrub`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use horreo_storage::StorageClass;

/// One `--tier CLASS=DIR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierArg {
    pub class: StorageClass,
    pub dir: PathBuf,
}

impl TierArg {
    /// Parses `CLASS=DIR`; the class is one of S3's storage class names.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (class, dir) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}` is not CLASS=DIR"))?;
        let class = StorageClass::parse(class.trim())
            .ok_or_else(|| format!("`{class}` is not a storage class (STANDARD, GLACIER, ...)"))?;
        if dir.trim().is_empty() {
            return Err(format!("tier {} has no directory", class.as_str()));
        }
        Ok(Self {
            class,
            dir: PathBuf::from(dir.trim()),
        })
    }
}

/// The tier map for a command that opens a stopped store: the same flags and
/// config file the server was started with.
#[derive(Debug, Args)]
pub struct TierArgs {
    /// Storage tier: the blobs of storage class CLASS live under DIR; repeatable
    /// (the server's --tier flags) [default: every class in the data directory]
    #[arg(long = "tier", value_name = "CLASS=DIR", env = "HORREO_TIERS", value_delimiter = ',', value_parser = TierArg::parse)]
    pub tiers: Vec<TierArg>,
    /// The server's TOML config file, for its `[tiers]` table
    #[arg(long = "config", env = "HORREO_CONFIG")]
    pub config: Option<PathBuf>,
}

impl TierArgs {
    /// The map: the flags if any, else the config file's `[tiers]`.
    pub fn resolve(self) -> anyhow::Result<Vec<(StorageClass, PathBuf)>> {
        let file = match &self.config {
            Some(path) => tiers_of_file(path)?,
            None => BTreeMap::new(),
        };
        resolve(self.tiers, &file)
    }
}

/// The tier map from `flags`, else from the config file's `[tiers]` table
/// (class name to directory). A class named twice is an error.
pub fn resolve(
    flags: Vec<TierArg>,
    file: &BTreeMap<String, PathBuf>,
) -> anyhow::Result<Vec<(StorageClass, PathBuf)>> {
    let tiers = if flags.is_empty() {
        file.iter()
            .map(|(class, dir)| {
                TierArg::parse(&format!("{class}={}", dir.display()))
                    .map_err(|e| anyhow::anyhow!("tiers in the config file: {e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?
    } else {
        flags
    };
    let mut out: Vec<(StorageClass, PathBuf)> = Vec::new();
    for tier in tiers {
        if out.iter().any(|(class, _)| *class == tier.class) {
            anyhow::bail!("storage class {} has two tiers", tier.class.as_str());
        }
        out.push((tier.class, tier.dir));
    }
    Ok(out)
}

/// The `[tiers]` table of a config file, ignoring its other keys.
fn tiers_of_file(path: &Path) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    #[derive(serde::Deserialize)]
    struct OnlyTiers {
        #[serde(default)]
        tiers: BTreeMap<String, PathBuf>,
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading config file {}: {e}", path.display()))?;
    let parsed: OnlyTiers = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("parsing config file {}: {e}", path.display()))?;
    Ok(parsed.tiers)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_class_equals_dir() {
        let t = TierArg::parse("GLACIER=/mnt/slow").unwrap();
        assert_eq!(t.class, StorageClass::Glacier);
        assert_eq!(t.dir, PathBuf::from("/mnt/slow"));
        assert!(TierArg::parse("glacier=/x").is_err());
        assert!(TierArg::parse("GLACIER").is_err());
        assert!(TierArg::parse("GLACIER=").is_err());
    }

    #[test]
    fn flags_win_over_the_file_and_a_class_may_not_repeat() {
        let file = BTreeMap::from([("DEEP_ARCHIVE".to_owned(), PathBuf::from("/slow"))]);
        let from_file = resolve(vec![], &file).unwrap();
        assert_eq!(
            from_file,
            vec![(StorageClass::DeepArchive, PathBuf::from("/slow"))]
        );
        let flag = TierArg::parse("GLACIER=/g").unwrap();
        let from_flags = resolve(vec![flag.clone()], &file).unwrap();
        assert_eq!(
            from_flags,
            vec![(StorageClass::Glacier, PathBuf::from("/g"))]
        );
        assert!(resolve(vec![flag.clone(), flag], &file).is_err());
        let bad = BTreeMap::from([("COLD".to_owned(), PathBuf::from("/c"))]);
        assert!(resolve(vec![], &bad).is_err());
    }
}
