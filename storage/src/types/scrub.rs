//! What the scrubber is told and what it reports.

use std::time::{Duration, SystemTime};

/// How the background scrubber runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScrubConfig {
    /// Time from the end of one full pass to the start of the next; `None`: no
    /// background scrubber.
    pub interval: Option<Duration>,
    /// Object bytes read per second at most; 0: as fast as the disk allows.
    pub rate: u64,
}

/// The scrubber's persisted state: the pass in progress and the last complete one.
#[derive(Debug, Clone, Default)]
pub struct ScrubStatus {
    /// The pass in progress (resumed from its cursor after a restart).
    pub running: Option<ScrubPass>,
    /// The last pass that reached the end.
    pub last: Option<ScrubPass>,
}

/// One full pass over every object version, upload part and metadata row.
#[derive(Debug, Clone)]
pub struct ScrubPass {
    pub started: SystemTime,
    /// `None` while the pass runs.
    pub finished: Option<SystemTime>,
    /// Object versions and parts whose content was checked.
    pub objects: u64,
    /// Content bytes read and verified.
    pub bytes: u64,
    /// Versions whose content could only be checked for its length: SSE-C
    /// (the key is never stored) or encrypted without the master key at hand.
    pub unverifiable: u64,
    /// Problems found, at most [`ScrubPass::MAX_FINDINGS`] of them.
    pub damaged: Vec<ScrubFinding>,
    /// All problems found, also those past the list's limit.
    pub damaged_total: u64,
    /// Where the pass stands: a column family index and the last row done.
    pub(crate) phase: u8,
    pub(crate) cursor: Option<Vec<u8>>,
}

impl ScrubPass {
    /// Findings kept in the status record; the count goes on.
    pub const MAX_FINDINGS: usize = 1000;

    pub(crate) fn new(started: SystemTime) -> Self {
        Self {
            started,
            finished: None,
            objects: 0,
            bytes: 0,
            unverifiable: 0,
            damaged: Vec::new(),
            damaged_total: 0,
            phase: 0,
            cursor: None,
        }
    }

    pub(crate) fn record(&mut self, finding: ScrubFinding) {
        self.damaged_total += 1;
        if self.damaged.len() < Self::MAX_FINDINGS {
            self.damaged.push(finding);
        }
    }
}

/// One damaged object (or metadata range) found by the scrubber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrubFinding {
    /// Empty for damage in metadata that names no object.
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    /// The blob file, hex, when the damage is in one.
    pub blob: Option<String>,
    /// What is wrong, e.g. "chunk 3 of blob ... failed its CRC32C check".
    pub problem: String,
}

impl std::fmt::Display for ScrubFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.bucket.is_empty() {
            write!(
                f,
                "{}/{} version {}",
                self.bucket,
                self.key,
                self.version_id.as_deref().unwrap_or("null")
            )?;
        } else if !self.key.is_empty() {
            write!(f, "{}", self.key)?;
        } else {
            write!(f, "metadata")?;
        }
        if let Some(blob) = &self.blob {
            write!(f, " (blob {blob})")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// Where a pass that runs now stands, for progress output.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScrubProgress {
    pub objects: u64,
    pub bytes: u64,
    /// Content bytes of the whole pass, as counted when it started.
    pub total_bytes: u64,
    pub damaged: u64,
}

/// Counters of the background scrubber since the engine opened.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScrubCounters {
    pub passes: u64,
    pub objects: u64,
    pub bytes: u64,
    pub damaged: u64,
}
