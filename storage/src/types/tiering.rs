//! S3 Intelligent-Tiering: the access tiers of an `INTELLIGENT_TIERING`
//! version and a bucket's configurations of the opt-in archive tiers
//! (PutBucketIntelligentTieringConfiguration).

use std::time::SystemTime;

use super::{LifecycleFilter, Tag};

/// Lifecycle days without access after which a version leaves Frequent Access.
pub const INFREQUENT_ACCESS_DAYS: u32 = 30;
/// Lifecycle days without access after which a version reaches Archive Instant Access.
pub const ARCHIVE_INSTANT_ACCESS_DAYS: u32 = 90;
/// Versions smaller than this are not monitored and stay in Frequent Access, as on AWS.
pub const MIN_MONITORED_SIZE: u64 = 128 * 1024;

/// Where an `INTELLIGENT_TIERING` version is, deepest last. S3 shows only the
/// two opt-in archive tiers to clients (`x-amz-archive-status`, the
/// `AccessTier` of an `InvalidObjectState`); horreo shows all to operators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessTier {
    #[default]
    FrequentAccess,
    InfrequentAccess,
    ArchiveInstantAccess,
    ArchiveAccess,
    DeepArchiveAccess,
}

impl AccessTier {
    /// Every tier, shallowest first.
    pub const ALL: [AccessTier; 5] = [
        Self::FrequentAccess,
        Self::InfrequentAccess,
        Self::ArchiveInstantAccess,
        Self::ArchiveAccess,
        Self::DeepArchiveAccess,
    ];

    /// AWS's name of the tier (`ARCHIVE_ACCESS`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FrequentAccess => "FREQUENT_ACCESS",
            Self::InfrequentAccess => "INFREQUENT_ACCESS",
            Self::ArchiveInstantAccess => "ARCHIVE_INSTANT_ACCESS",
            Self::ArchiveAccess => "ARCHIVE_ACCESS",
            Self::DeepArchiveAccess => "DEEP_ARCHIVE_ACCESS",
        }
    }

    /// Parses an opt-in tier of a configuration's `Tiering` (`ARCHIVE_ACCESS`
    /// or `DEEP_ARCHIVE_ACCESS`); `None` for anything else.
    pub fn parse_opt_in(s: &str) -> Option<Self> {
        match s {
            "ARCHIVE_ACCESS" => Some(Self::ArchiveAccess),
            "DEEP_ARCHIVE_ACCESS" => Some(Self::DeepArchiveAccess),
            _ => None,
        }
    }

    /// Whether reading a version in this tier needs a RestoreObject first.
    pub fn is_archive(self) -> bool {
        matches!(self, Self::ArchiveAccess | Self::DeepArchiveAccess)
    }

    /// A small number that names the tier in stored keys.
    pub(crate) fn code(self) -> u8 {
        match self {
            Self::FrequentAccess => 0,
            Self::InfrequentAccess => 1,
            Self::ArchiveInstantAccess => 2,
            Self::ArchiveAccess => 3,
            Self::DeepArchiveAccess => 4,
        }
    }
}

/// One opt-in archive tier of a configuration: reached after `days`
/// lifecycle days without access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiering {
    pub tier: AccessTier,
    pub days: u32,
}

/// A bucket's Intelligent-Tiering configuration: which versions (by prefix
/// and tags) may reach which archive tiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntelligentTieringConfig {
    pub id: String,
    /// Prefix and tags only (no size conditions), in the shape it was put.
    pub filter: LifecycleFilter,
    pub enabled: bool,
    pub tierings: Vec<Tiering>,
}

impl IntelligentTieringConfig {
    /// Whether an enabled configuration applies to a version with this key and these tags.
    pub fn applies(&self, key: &str, tags: &[Tag]) -> bool {
        self.enabled && self.filter.admits(key, tags, None)
    }
}

/// Objects and bytes of `INTELLIGENT_TIERING` versions in one access tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierUsage {
    pub tier: AccessTier,
    pub objects: u64,
    pub bytes: u64,
}

/// Where an `INTELLIGENT_TIERING` version is and since when it was last read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierState {
    pub tier: AccessTier,
    /// The last read the store has written down (`None`: never read; the
    /// version's creation counts).
    pub last_access: Option<SystemTime>,
}
