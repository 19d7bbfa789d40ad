//! The [`BlobStore`] on a local file system: one file per blob.
//!
//! Layout under the data directory: `blobs/ab/cd/<id>` for installed blobs,
//! `tmp/` for staged ones, `quarantine/<id>` for blobs no record referenced
//! when they were found (never deleted by horreo; `horreo fsck --repair`
//! moves back the ones a salvaged record needs). Paths derive only from random
//! blob ids, never from object keys.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::store::{BlobRead, BlobStore, StagedWrite};
use crate::meta::records::BlobId;

/// Blobs as files under a data directory.
pub struct LocalBlobs {
    dirs: Arc<Dirs>,
}

struct Dirs {
    blobs: PathBuf,
    tmp: PathBuf,
    quarantine: PathBuf,
    /// One bit per `ab/cd` directory known to be created and fsynced into its parent
    /// by this process, so that the common install costs one directory fsync.
    durable_dirs: Vec<AtomicU64>,
}

impl LocalBlobs {
    /// Creates `blobs/` and `tmp/` under `data_dir` if needed.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let blobs = data_dir.join("blobs");
        let tmp = data_dir.join("tmp");
        fs::create_dir_all(&blobs)?;
        fs::create_dir_all(&tmp)?;
        sync_dir(data_dir)?;
        let dirs = Dirs {
            blobs,
            tmp,
            quarantine: data_dir.join("quarantine"),
            durable_dirs: (0..65536 / 64).map(|_| AtomicU64::new(0)).collect(),
        };
        Ok(Self {
            dirs: Arc::new(dirs),
        })
    }

    /// Where blob `id` lives (for tests that damage files).
    #[cfg(test)]
    pub fn path(&self, id: BlobId) -> PathBuf {
        self.dirs.path(id)
    }

    /// The quarantine directory (fsck keeps its log backups there too).
    pub fn quarantine_dir(&self) -> &Path {
        &self.dirs.quarantine
    }
}

impl Dirs {
    fn path(&self, id: BlobId) -> PathBuf {
        let hex = id.to_hex();
        self.blobs.join(&hex[0..2]).join(&hex[2..4]).join(hex)
    }

    fn quarantine_path(&self, id: BlobId) -> PathBuf {
        self.quarantine.join(id.to_hex())
    }

    /// Moves the file at `from` to blob `id`'s path, durably.
    fn install(&self, from: &Path, id: BlobId) -> io::Result<()> {
        let dir_index = usize::from(u16::from_be_bytes([id.0[0], id.0[1]]));
        let (word, bit) = (dir_index / 64, 1u64 << (dir_index % 64));
        let dest = self.path(id);
        let leaf = dest
            .parent()
            .ok_or_else(|| io::Error::other("blob path has no parent"))?;
        let durable = self
            .durable_dirs
            .get(word)
            .is_some_and(|w| w.load(Ordering::Acquire) & bit != 0);
        if !durable {
            // Whoever finds the bit unset makes the directories durable itself, even if
            // another thread created them, so no rename can outlive its directory.
            let mid = leaf
                .parent()
                .ok_or_else(|| io::Error::other("blob path has no parent"))?;
            create_dir_if_missing(mid)?;
            sync_dir(&self.blobs)?;
            create_dir_if_missing(leaf)?;
            sync_dir(mid)?;
        }
        fs::rename(from, &dest)?;
        sync_dir(leaf)?;
        if !durable && let Some(w) = self.durable_dirs.get(word) {
            w.fetch_or(bit, Ordering::AcqRel);
        }
        Ok(())
    }

    /// The ids in leaf directory `leaf`, ascending; other names are ignored.
    fn ids_in(&self, leaf: &Path) -> io::Result<Vec<BlobId>> {
        let mut ids = Vec::new();
        for entry in read_dir_if_exists(leaf)? {
            let entry = entry?;
            match entry.file_name().to_str().and_then(BlobId::from_hex) {
                Some(id) if self.path(id) == entry.path() => ids.push(id),
                _ => {
                    tracing::warn!(path = %entry.path().display(), "unexpected file in blob store")
                }
            }
        }
        ids.sort();
        Ok(ids)
    }
}

impl BlobStore for LocalBlobs {
    fn stage(&self) -> io::Result<Box<dyn StagedWrite>> {
        loop {
            let path = self.dirs.tmp.join(BlobId::random().to_hex());
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(Box::new(StagedFile {
                        file,
                        path,
                        dirs: Arc::clone(&self.dirs),
                        installed: false,
                    }));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn open(&self, id: BlobId) -> io::Result<Option<Box<dyn BlobRead>>> {
        open_file(&self.dirs.path(id))
    }

    fn remove(&self, id: BlobId) -> io::Result<bool> {
        match fs::remove_file(self.dirs.path(id)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn list(&self, after: Option<BlobId>, limit: usize) -> io::Result<Vec<BlobId>> {
        // Directory names are the id's first two bytes in hex, so walking them
        // in name order walks ids in order; leaves before `after`'s are skipped.
        let first_leaf = after.map(|id| {
            let hex = id.to_hex();
            (hex[0..2].to_owned(), hex[2..4].to_owned())
        });
        let mut out = Vec::new();
        for mid in sorted_subdirs(&self.dirs.blobs)? {
            let mid_name = file_name(&mid);
            if first_leaf.as_ref().is_some_and(|(m, _)| mid_name < *m) {
                continue;
            }
            for leaf in sorted_subdirs(&mid)? {
                if first_leaf
                    .as_ref()
                    .is_some_and(|(m, l)| (mid_name.as_str(), file_name(&leaf).as_str()) < (m, l))
                {
                    continue;
                }
                for id in self.dirs.ids_in(&leaf)? {
                    if after.is_some_and(|a| id <= a) {
                        continue;
                    }
                    out.push(id);
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
        }
        Ok(out)
    }

    fn quarantine(&self, id: BlobId) -> io::Result<bool> {
        create_dir_if_missing(&self.dirs.quarantine)?;
        match fs::rename(self.dirs.path(id), self.dirs.quarantine_path(id)) {
            Ok(()) => {
                sync_dir(&self.dirs.quarantine)?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn restore(&self, id: BlobId) -> io::Result<bool> {
        let from = self.dirs.quarantine_path(id);
        if !from.exists() {
            return Ok(false);
        }
        self.dirs.install(&from, id)?;
        sync_dir(&self.dirs.quarantine)?;
        Ok(true)
    }

    fn quarantined(&self) -> io::Result<Vec<BlobId>> {
        let mut ids = Vec::new();
        for entry in read_dir_if_exists(&self.dirs.quarantine)? {
            if let Some(id) = entry?.file_name().to_str().and_then(BlobId::from_hex) {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    fn open_quarantined(&self, id: BlobId) -> io::Result<Option<Box<dyn BlobRead>>> {
        open_file(&self.dirs.quarantine_path(id))
    }

    fn wipe_staged(&self) -> io::Result<()> {
        for entry in fs::read_dir(&self.dirs.tmp)? {
            let entry = entry?;
            let path = entry.path();
            let result = if entry.file_type()?.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            if let Err(e) = result
                && e.kind() != io::ErrorKind::NotFound
            {
                return Err(e);
            }
        }
        Ok(())
    }

    fn quarantine_location(&self) -> String {
        self.dirs.quarantine.display().to_string()
    }
}

/// A staged blob: a file under `tmp/`, removed on drop unless installed.
struct StagedFile {
    file: File,
    path: PathBuf,
    dirs: Arc<Dirs>,
    installed: bool,
}

impl StagedWrite for StagedFile {
    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        self.file.write_all(data)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn install(mut self: Box<Self>, id: BlobId) -> io::Result<()> {
        self.dirs.install(&self.path, id)?;
        self.installed = true;
        Ok(())
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.installed
            && let Err(e) = fs::remove_file(&self.path)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), "cannot remove staged file: {e}");
        }
    }
}

impl BlobRead for File {
    fn len(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }

    fn read_exact_at(&self, buf: &mut [u8], at: u64) -> io::Result<()> {
        FileExt::read_exact_at(self, buf, at)
    }
}

fn open_file(path: &Path) -> io::Result<Option<Box<dyn BlobRead>>> {
    match File::open(path) {
        Ok(file) => Ok(Some(Box::new(file))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_dir_if_exists(dir: &Path) -> io::Result<Vec<io::Result<fs::DirEntry>>> {
    match fs::read_dir(dir) {
        Ok(rd) => Ok(rd.collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

fn sorted_subdirs(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in read_dir_if_exists(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

fn create_dir_if_missing(dir: &Path) -> io::Result<()> {
    match fs::create_dir(dir) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Makes a directory's entries durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
