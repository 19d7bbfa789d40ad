//! The [`BlobStore`] in memory: for tests, and the base of the fault injector's
//! power-cut images.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use parking_lot::Mutex;

use super::store::{BlobRead, BlobStore, StagedWrite};
use crate::meta::records::BlobId;

/// Blobs in memory. Clones share the same blobs.
#[derive(Clone, Default)]
pub struct MemoryBlobs {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    installed: BTreeMap<BlobId, Arc<[u8]>>,
    quarantined: BTreeMap<BlobId, Arc<[u8]>>,
}

impl MemoryBlobs {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `installed` and `quarantined` (a power cut's image).
    pub fn with(
        installed: BTreeMap<BlobId, Vec<u8>>,
        quarantined: BTreeMap<BlobId, Vec<u8>>,
    ) -> Self {
        let state = State {
            installed: installed.into_iter().map(|(k, v)| (k, v.into())).collect(),
            quarantined: quarantined
                .into_iter()
                .map(|(k, v)| (k, v.into()))
                .collect(),
        };
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// Copies of the installed and the quarantined blobs.
    pub fn contents(&self) -> (BTreeMap<BlobId, Vec<u8>>, BTreeMap<BlobId, Vec<u8>>) {
        let state = self.state.lock();
        let copy =
            |m: &BTreeMap<BlobId, Arc<[u8]>>| m.iter().map(|(id, b)| (*id, b.to_vec())).collect();
        (copy(&state.installed), copy(&state.quarantined))
    }
}

impl BlobStore for MemoryBlobs {
    fn stage(&self) -> io::Result<Box<dyn StagedWrite>> {
        Ok(Box::new(Staged {
            bytes: Vec::new(),
            state: Arc::clone(&self.state),
        }))
    }

    fn open(&self, id: BlobId) -> io::Result<Option<Box<dyn BlobRead>>> {
        Ok(self
            .state
            .lock()
            .installed
            .get(&id)
            .map(|b| Box::new(Bytes(Arc::clone(b))) as Box<dyn BlobRead>))
    }

    fn remove(&self, id: BlobId) -> io::Result<bool> {
        Ok(self.state.lock().installed.remove(&id).is_some())
    }

    fn list(&self, after: Option<BlobId>, limit: usize) -> io::Result<Vec<BlobId>> {
        let state = self.state.lock();
        let ids = match after {
            Some(a) => state
                .installed
                .range((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded)),
            None => state.installed.range(..),
        };
        Ok(ids.map(|(id, _)| *id).take(limit).collect())
    }

    fn quarantine(&self, id: BlobId) -> io::Result<bool> {
        let mut state = self.state.lock();
        match state.installed.remove(&id) {
            Some(bytes) => {
                state.quarantined.insert(id, bytes);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn restore(&self, id: BlobId) -> io::Result<bool> {
        let mut state = self.state.lock();
        match state.quarantined.remove(&id) {
            Some(bytes) => {
                state.installed.insert(id, bytes);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn quarantined(&self) -> io::Result<Vec<BlobId>> {
        Ok(self.state.lock().quarantined.keys().copied().collect())
    }

    fn open_quarantined(&self, id: BlobId) -> io::Result<Option<Box<dyn BlobRead>>> {
        Ok(self
            .state
            .lock()
            .quarantined
            .get(&id)
            .map(|b| Box::new(Bytes(Arc::clone(b))) as Box<dyn BlobRead>))
    }

    fn wipe_staged(&self) -> io::Result<()> {
        // Staged blobs live only in their writers: nothing outlives them.
        Ok(())
    }

    fn quarantine_location(&self) -> String {
        "the in-memory quarantine".into()
    }
}

struct Staged {
    bytes: Vec<u8>,
    state: Arc<Mutex<State>>,
}

impl StagedWrite for Staged {
    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        self.bytes.extend_from_slice(data);
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn install(self: Box<Self>, id: BlobId) -> io::Result<()> {
        let Staged { bytes, state } = *self;
        state.lock().installed.insert(id, bytes.into());
        Ok(())
    }
}

/// An installed blob's bytes, shared: removing the blob leaves readers theirs.
struct Bytes(Arc<[u8]>);

impl BlobRead for Bytes {
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.len() as u64)
    }

    fn read_exact_at(&self, buf: &mut [u8], at: u64) -> io::Result<()> {
        let start = usize::try_from(at).unwrap_or(usize::MAX);
        match start
            .checked_add(buf.len())
            .and_then(|end| self.0.get(start..end))
        {
            Some(bytes) => {
                buf.copy_from_slice(bytes);
                Ok(())
            }
            None => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read past the end of the blob",
            )),
        }
    }
}
