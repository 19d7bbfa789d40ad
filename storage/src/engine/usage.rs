//! Objects and bytes stored per bucket, kept exact by the commits themselves.
//!
//! Each commit that adds or removes a version row adds a delta to its bucket's
//! usage row in the same batch, as a merge operand that the `meta`
//! column family's merge operator sums: concurrent commits to one bucket never
//! read-modify-write the row, and no count is lost or doubled by a crash. A store
//! written before usage was counted is counted once, by a scan at open.
//!
//! Counted are version rows that are not delete markers, current and noncurrent
//! alike (what the disk holds), by their object size. Parts of multipart uploads
//! in progress are not counted. `INTELLIGENT_TIERING` versions are also counted
//! store-wide per access tier, the same way (a tier move is a removal from one
//! tier row and an addition to another, in the move's batch).

use std::collections::BTreeMap;

use super::{Engine, Inner};
use crate::Result;
use crate::meta::records::{DataSummary, VersionRecord, decode};
use crate::meta::{Batch, Cf, MetaDb, keys};
use crate::types::{AccessTier, StorageClass, TierUsage};

/// Usage rows: this prefix, then the bucket id (u64 BE).
pub(super) const PREFIX: &[u8] = b"usage/";
/// Present once every version row is counted in the usage rows.
pub(super) const COUNTED: &[u8] = b"usage_counted";

/// What a bucket holds: versions that are not delete markers, and their bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BucketUsage {
    pub objects: u64,
    pub bytes: u64,
}

/// A change to a bucket's usage, as stored in a merge operand (and, summed, in
/// the row): objects then bytes, each an i64 BE.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Delta {
    objects: i64,
    bytes: i64,
}

impl Delta {
    fn encode(self) -> [u8; 16] {
        let mut out = [0; 16];
        out[..8].copy_from_slice(&self.objects.to_be_bytes());
        out[8..].copy_from_slice(&self.bytes.to_be_bytes());
        out
    }

    fn decode(raw: &[u8]) -> Option<Self> {
        let objects = i64::from_be_bytes(raw.get(..8)?.try_into().ok()?);
        let bytes = i64::from_be_bytes(raw.get(8..16)?.try_into().ok()?);
        (raw.len() == 16).then_some(Self { objects, bytes })
    }

    fn add(self, other: Self) -> Self {
        Self {
            objects: self.objects.wrapping_add(other.objects),
            bytes: self.bytes.wrapping_add(other.bytes),
        }
    }
}

pub(super) fn row_key(bucket_id: u64) -> Vec<u8> {
    let mut key = PREFIX.to_vec();
    key.extend_from_slice(&bucket_id.to_be_bytes());
    key
}

/// Adds to `batch` that version `rec` of bucket `bucket_id` is stored (`added`)
/// or removed (not `added`). Delete markers count nothing.
pub(super) fn count<D>(
    batch: &mut Batch<'_>,
    bucket_id: u64,
    rec: &VersionRecord<D>,
    added: bool,
) -> Result<()> {
    if rec.is_delete_marker {
        return Ok(());
    }
    let size = i64::try_from(rec.size).unwrap_or(i64::MAX);
    let delta = if added {
        Delta {
            objects: 1,
            bytes: size,
        }
    } else {
        Delta {
            objects: -1,
            bytes: size.wrapping_neg(),
        }
    };
    batch.merge(Cf::Meta, &row_key(bucket_id), &delta.encode())?;
    if rec.storage_class == StorageClass::IntelligentTiering {
        batch.merge(Cf::Meta, &tier_row_key(tier_of(rec)), &delta.encode())?;
    }
    Ok(())
}

/// Store-wide usage rows of Intelligent-Tiering's access tiers: this prefix,
/// then the tier's code.
const TIER_PREFIX: &[u8] = b"usage_tier/";
/// Present once every `INTELLIGENT_TIERING` version is counted in the tier rows.
const TIERS_COUNTED: &[u8] = b"usage_tiers_counted";

fn tier_row_key(tier: AccessTier) -> Vec<u8> {
    let mut key = TIER_PREFIX.to_vec();
    key.push(tier.code());
    key
}

fn tier_of<D>(rec: &VersionRecord<D>) -> AccessTier {
    rec.tiering.map(|t| t.tier).unwrap_or_default()
}

/// Counts every `INTELLIGENT_TIERING` version into the tier rows, once per
/// store (one written before tiers were counted, or a new one). Runs at open.
pub(super) fn count_tiers_once(db: &MetaDb) -> Result<()> {
    if db.get(Cf::Meta, TIERS_COUNTED)?.is_some() {
        return Ok(());
    }
    let mut sums: BTreeMap<AccessTier, Delta> = BTreeMap::new();
    let mut it = db.iter(Cf::Versions, None, None)?;
    it.seek_to_first();
    while let Some(value) = it.value() {
        let rec: VersionRecord<DataSummary> = decode(value)?;
        if !rec.is_delete_marker && rec.storage_class == StorageClass::IntelligentTiering {
            let sum = sums.entry(tier_of(&rec)).or_default();
            *sum = sum.add(Delta {
                objects: 1,
                bytes: i64::try_from(rec.size).unwrap_or(i64::MAX),
            });
        }
        it.next();
    }
    it.status()?;
    let mut batch = db.batch();
    for (tier, sum) in &sums {
        batch.put(Cf::Meta, &tier_row_key(*tier), &sum.encode())?;
    }
    batch.put(Cf::Meta, TIERS_COUNTED, b"1")?;
    batch.commit()
}

/// Adds to `batch` the removal of an emptied bucket's usage row.
pub(super) fn forget(batch: &mut Batch<'_>, bucket_id: u64) -> Result<()> {
    batch.delete(Cf::Meta, &row_key(bucket_id))
}

/// The `meta` column family's merge operator: sums the usage deltas onto the
/// row (bucket and tier usage rows; rows of no other kind are ever merged).
/// `None` (which RocksDB reports as corruption on reading that row) for an
/// operand that is not a delta.
pub(crate) fn merge(
    existing: Option<&[u8]>,
    operands: &mut dyn Iterator<Item = &[u8]>,
) -> Option<Vec<u8>> {
    let mut sum = match existing {
        Some(raw) => Delta::decode(raw)?,
        None => Delta::default(),
    };
    for operand in operands {
        sum = sum.add(Delta::decode(operand)?);
    }
    Some(sum.encode().to_vec())
}

/// Counts every version row into the usage rows, once per store: for a store
/// written before usage was counted (or a new one). Runs at open, before any
/// commit, so nothing changes under it.
pub(super) fn count_once(db: &MetaDb) -> Result<()> {
    if db.get(Cf::Meta, COUNTED)?.is_some() {
        return Ok(());
    }
    let mut sums: BTreeMap<u64, Delta> = BTreeMap::new();
    let mut it = db.iter(Cf::Versions, None, None)?;
    it.seek_to_first();
    while let (Some(key), Some(value)) = (it.key(), it.value()) {
        if let Some((bucket_id, _, _)) = keys::split_version_key(key) {
            let rec: VersionRecord<DataSummary> = decode(value)?;
            if !rec.is_delete_marker {
                let sum = sums.entry(bucket_id).or_default();
                *sum = sum.add(Delta {
                    objects: 1,
                    bytes: i64::try_from(rec.size).unwrap_or(i64::MAX),
                });
            }
        }
        it.next();
    }
    it.status()?;
    let mut batch = db.batch();
    for (bucket_id, sum) in &sums {
        batch.put(Cf::Meta, &row_key(*bucket_id), &sum.encode())?;
    }
    batch.put(Cf::Meta, COUNTED, b"1")?;
    batch.commit()?;
    if !sums.is_empty() {
        tracing::info!(
            buckets = sums.len(),
            "counted the usage of existing buckets"
        );
    }
    Ok(())
}

fn read(inner: &Inner, bucket_id: u64) -> Result<BucketUsage> {
    let row = inner.shared.db.get(Cf::Meta, &row_key(bucket_id))?;
    let sum = match row {
        Some(raw) => Delta::decode(&raw).ok_or_else(|| {
            crate::Error::Corrupt(format!("usage row of bucket {bucket_id} is malformed"))
        })?,
        None => Delta::default(),
    };
    Ok(BucketUsage {
        objects: u64::try_from(sum.objects).unwrap_or(0),
        bytes: u64::try_from(sum.bytes).unwrap_or(0),
    })
}

impl Engine {
    /// Objects and bytes of `INTELLIGENT_TIERING` versions in each access
    /// tier, shallowest first: one point read per tier.
    pub fn tier_usage(&self) -> Result<Vec<TierUsage>> {
        AccessTier::ALL
            .iter()
            .map(|&tier| {
                let row = self.inner.shared.db.get(Cf::Meta, &tier_row_key(tier))?;
                let sum = row.and_then(|raw| Delta::decode(&raw)).unwrap_or_default();
                Ok(TierUsage {
                    tier,
                    objects: u64::try_from(sum.objects).unwrap_or(0),
                    bytes: u64::try_from(sum.bytes).unwrap_or(0),
                })
            })
            .collect()
    }

    /// Each bucket's name and usage, in name order: one point read per bucket,
    /// whatever the number of objects.
    pub fn bucket_usage(&self) -> Result<Vec<(String, BucketUsage)>> {
        super::bucket::list(&self.inner)?
            .into_iter()
            .map(|b| Ok((b.name.to_string(), read(&self.inner, b.id)?)))
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn deltas_round_trip_and_sum() {
        let a = Delta {
            objects: 3,
            bytes: 4096,
        };
        let b = Delta {
            objects: -1,
            bytes: -1000,
        };
        assert_eq!(Delta::decode(&a.encode()), Some(a));
        assert_eq!(
            a.add(b),
            Delta {
                objects: 2,
                bytes: 3096
            }
        );
        assert_eq!(Delta::decode(b"short"), None);
        assert_eq!(Delta::decode(&[0; 17]), None);
    }
}
