//! Storage tiers: which [`BlobStore`] holds the blobs of each storage class.
//!
//! A tier is named after a storage class it was configured for (`GLACIER`);
//! records name the tier of each blob they reference, and `None` is the main
//! data directory (every record written before tiers existed says `None`).
//! Classes configured onto the same directory share one store, named after
//! the first of them in name order, so "same tier" is "same store".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{BlobStore, LocalBlobs};
use crate::types::StorageClass;
use crate::{Error, Result};

/// The main blob store and one store per configured tier directory.
#[derive(Clone)]
pub struct Tiers {
    /// Index 0 is the main store; the others are the distinct tier stores.
    stores: Vec<Arc<dyn BlobStore>>,
    /// Each configured tier name (a class name) to its store's index.
    names: BTreeMap<String, usize>,
    /// The name new blobs of a store get (index 0 has none).
    canonical: Vec<Option<String>>,
}

impl Tiers {
    /// Only the main store: every class lands in it.
    pub fn single(main: Arc<dyn BlobStore>) -> Self {
        Self {
            stores: vec![main],
            names: BTreeMap::new(),
            canonical: vec![None],
        }
    }

    /// The main store plus a [`LocalBlobs`] per distinct directory of `tiers`
    /// (created if needed). A class mapped onto `main_dir` stays in the main store.
    pub fn open_local(
        main: Arc<dyn BlobStore>,
        main_dir: &Path,
        tiers: &[(StorageClass, PathBuf)],
    ) -> Result<Self> {
        let mut out = Self::single(main);
        let mut dirs: Vec<PathBuf> = vec![canonical_dir(main_dir)?];
        let mut sorted: Vec<&(StorageClass, PathBuf)> = tiers.iter().collect();
        sorted.sort_by_key(|(class, _)| class.as_str());
        for (class, dir) in sorted {
            let dir = canonical_dir(dir)?;
            let index = match dirs.iter().position(|d| *d == dir) {
                Some(i) => i,
                None => {
                    out.stores.push(Arc::new(LocalBlobs::open(&dir)?));
                    out.canonical.push(Some(class.as_str().to_owned()));
                    dirs.push(dir);
                    dirs.len() - 1
                }
            };
            out.names.insert(class.as_str().to_owned(), index);
        }
        Ok(out)
    }

    /// The main store (records without a tier).
    pub fn main(&self) -> &Arc<dyn BlobStore> {
        &self.stores[0]
    }

    /// The store of tier `tier`. `Corrupt` for a tier no longer configured: its
    /// blobs cannot be reached until it is configured again.
    pub fn store(&self, tier: Option<&str>) -> Result<&Arc<dyn BlobStore>> {
        Ok(&self.stores[self.index(tier)?])
    }

    /// The tier new blobs of `class` go to (`None`: the main store).
    pub fn for_class(&self, class: StorageClass) -> Option<String> {
        let index = *self.names.get(class.as_str())?;
        self.canonical[index].clone()
    }

    /// Whether tiers `a` and `b` are the same store (unknown tiers never are).
    pub fn same(&self, a: Option<&str>, b: Option<&str>) -> bool {
        matches!((self.index(a), self.index(b)), (Ok(x), Ok(y)) if x == y)
    }

    /// Every distinct store, each with the tier name its blobs are recorded under.
    pub fn all(&self) -> impl Iterator<Item = (Option<&str>, &Arc<dyn BlobStore>)> {
        self.canonical
            .iter()
            .map(Option::as_deref)
            .zip(self.stores.iter())
    }

    fn index(&self, tier: Option<&str>) -> Result<usize> {
        match tier {
            None => Ok(0),
            Some(name) => self.names.get(name).copied().ok_or_else(|| {
                Error::Corrupt(format!(
                    "a blob is in storage tier {name}, which is not configured (--tier {name}=DIR)"
                ))
            }),
        }
    }
}

/// `dir`, created if needed, with symbolic links and `..` resolved: two
/// spellings of one directory are one tier.
fn canonical_dir(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    Ok(std::fs::canonicalize(dir)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn classes_map_to_distinct_directories_and_share_one() {
        let root = tempfile::tempdir().unwrap();
        let main_dir = root.path().join("main");
        let main: Arc<dyn BlobStore> = Arc::new(LocalBlobs::open(&main_dir).unwrap());
        let slow = root.path().join("slow");
        let tiers = Tiers::open_local(
            main,
            &main_dir,
            &[
                (StorageClass::DeepArchive, slow.clone()),
                (StorageClass::Glacier, slow.join("..").join("slow")),
                (StorageClass::Standard, main_dir.clone()),
                (StorageClass::StandardIa, root.path().join("ia")),
            ],
        )
        .unwrap();
        assert_eq!(tiers.all().count(), 3);
        // Both archive classes share the directory, named after DEEP_ARCHIVE.
        assert_eq!(
            tiers.for_class(StorageClass::Glacier).as_deref(),
            Some("DEEP_ARCHIVE")
        );
        assert!(tiers.same(Some("GLACIER"), Some("DEEP_ARCHIVE")));
        assert!(!tiers.same(Some("GLACIER"), Some("STANDARD_IA")));
        // STANDARD on the main directory, and unmapped classes, use the main store.
        assert_eq!(tiers.for_class(StorageClass::Standard), None);
        assert_eq!(tiers.for_class(StorageClass::OnezoneIa), None);
        assert!(tiers.same(Some("STANDARD"), None));
        assert!(matches!(tiers.store(Some("SNOW")), Err(Error::Corrupt(_))));
        assert!(!tiers.same(Some("SNOW"), Some("SNOW")));
    }
}
