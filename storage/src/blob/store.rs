//! Blob file paths, temporary files, installation and removal.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::meta::records::BlobId;

/// The blob directory tree: `blobs/ab/cd/<id>` for content, `tmp/` for writes in
/// progress, `quarantine/<id>` for blob files no record referenced when they
/// were found (never deleted by horreo; `horreo fsck --repair` moves back the
/// ones a salvaged record needs). Paths derive only from random blob ids, never
/// from object keys.
pub struct BlobStore {
    blobs: PathBuf,
    tmp: PathBuf,
    quarantine: PathBuf,
    /// One bit per `ab/cd` directory known to be created and fsynced into its parent
    /// by this process, so that the common install costs one directory fsync.
    durable_dirs: Vec<AtomicU64>,
}

impl BlobStore {
    /// Creates `blobs/` and `tmp/` under `data_dir` if needed.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let blobs = data_dir.join("blobs");
        let tmp = data_dir.join("tmp");
        fs::create_dir_all(&blobs)?;
        fs::create_dir_all(&tmp)?;
        sync_dir(data_dir)?;
        Ok(Self {
            blobs,
            tmp,
            quarantine: data_dir.join("quarantine"),
            durable_dirs: (0..65536 / 64).map(|_| AtomicU64::new(0)).collect(),
        })
    }

    /// Where blob `id` lives.
    pub fn path(&self, id: BlobId) -> PathBuf {
        let hex = id.to_hex();
        self.blobs.join(&hex[0..2]).join(&hex[2..4]).join(hex)
    }

    /// Creates a new, empty, uniquely named file under `tmp/`.
    pub fn create_tmp(&self) -> io::Result<(File, PathBuf)> {
        loop {
            let path = self.tmp.join(BlobId::random().to_hex());
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => return Ok((file, path)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Moves the fsynced file at `tmp` to blob `id`'s path, durably: when this
    /// returns, the file survives a crash under its new name.
    pub fn install(&self, tmp: &Path, id: BlobId) -> io::Result<()> {
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
        fs::rename(tmp, &dest)?;
        sync_dir(leaf)?;
        if !durable && let Some(w) = self.durable_dirs.get(word) {
            w.fetch_or(bit, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Deletes blob `id`'s file. Returns `false` if it did not exist.
    pub fn remove(&self, id: BlobId) -> io::Result<bool> {
        match fs::remove_file(self.path(id)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Where blob `id` waits while quarantined.
    pub fn quarantine_path(&self, id: BlobId) -> PathBuf {
        self.quarantine.join(id.to_hex())
    }

    /// The quarantine directory.
    pub fn quarantine_dir(&self) -> &Path {
        &self.quarantine
    }

    /// Moves blob `id`'s file into the quarantine, durably. Returns `false` if
    /// it did not exist.
    pub fn quarantine(&self, id: BlobId) -> io::Result<bool> {
        create_dir_if_missing(&self.quarantine)?;
        match fs::rename(self.path(id), self.quarantine_path(id)) {
            Ok(()) => {
                sync_dir(&self.quarantine)?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Moves quarantined blob `id` back into place, durably (fsck's repair).
    #[cfg(feature = "rocksdb")]
    pub fn restore(&self, id: BlobId) -> io::Result<()> {
        self.install(&self.quarantine_path(id), id)?;
        sync_dir(&self.quarantine)
    }

    /// The blob ids of the quarantined files; other names are ignored (fsck's).
    #[cfg(feature = "rocksdb")]
    pub fn quarantined(&self) -> io::Result<Vec<BlobId>> {
        let mut ids = Vec::new();
        for entry in read_dir_if_exists(&self.quarantine)? {
            if let Some(id) = entry?.file_name().to_str().and_then(BlobId::from_hex) {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Deletes everything under `tmp/`: leftovers of writes a crash interrupted.
    pub fn wipe_tmp(&self) -> io::Result<()> {
        for entry in fs::read_dir(&self.tmp)? {
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

    /// The `ab/cd` directories that exist.
    pub fn leaf_dirs(&self) -> io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for mid in sorted_subdirs(&self.blobs)? {
            out.extend(sorted_subdirs(&mid)?);
        }
        Ok(out)
    }

    /// The blob ids of the files in one leaf directory; other names are ignored.
    pub fn ids_in(&self, leaf: &Path) -> io::Result<Vec<BlobId>> {
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
        Ok(ids)
    }
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
