//! Buckets: creation, lookup, configuration, deletion.

use super::{Inner, multipart};
use crate::meta::records::{decode, encode};
use crate::meta::{Batch, Cf, MetaDb, keys};
use crate::types::{
    Bucket, BucketName, ObjectLockConfig, ObjectOwnership, PublicAccessBlock, VersioningState,
};
use crate::{Error, Result};

const NEXT_BUCKET_ID: &[u8] = b"next_bucket_id";

pub(super) fn create(
    inner: &Inner,
    name: &BucketName,
    owner: &str,
    region: &str,
    object_lock: bool,
    configure: impl FnOnce(&mut Bucket),
) -> Result<Bucket> {
    let db = &inner.shared.db;
    let _config = inner.locks.bucket_config();
    if db.get(Cf::Buckets, name.as_str().as_bytes())?.is_some() {
        return Err(Error::BucketAlreadyOwnedByYou);
    }
    // Taken before the bucket's row commits: a create that then loses the
    // name to another gateway leaves a gap in the ids, which is harmless.
    let (id, _) = super::locks::reserve_range(db, NEXT_BUCKET_ID, 1, |next| (next, next + 1))?;
    let mut bucket = Bucket {
        id,
        name: name.as_str().to_owned(),
        created: inner.shared.now(),
        region: region.to_owned(),
        owner: owner.to_owned(),
        // Object lock needs every version kept: it comes with versioning.
        versioning: if object_lock {
            VersioningState::Enabled
        } else {
            VersioningState::Unversioned
        },
        tags: None,
        object_lock: object_lock.then(ObjectLockConfig::default),
        encryption: None,
        policy: None,
        public_access_block: Some(PublicAccessBlock::ALL),
        ownership: Some(ObjectOwnership::BucketOwnerEnforced),
        acl: None,
        lifecycle: None,
        cors: None,
        website: None,
        notification: None,
        replication: None,
        intelligent_tiering: Vec::new(),
    };
    configure(&mut bucket);
    // The id, name and owner are the engine's.
    bucket.id = id;
    bucket.name = name.as_str().to_owned();
    bucket.owner = owner.to_owned();
    let mut batch = db.batch();
    // Another gateway may have created it since the check above.
    batch.expect(Cf::Buckets, bucket.name.as_bytes(), None)?;
    batch.put(Cf::Buckets, bucket.name.as_bytes(), &encode(&bucket)?)?;
    let committed = batch.commit();
    inner.buckets.forget(&bucket.name);
    match committed {
        Err(Error::Conflict) => Err(Error::BucketAlreadyOwnedByYou),
        committed => committed.map(|()| bucket),
    }
}

/// The bucket `name` (`NoSuchBucket` if there is none), from [`Cache`] when it
/// holds it: every object request reads its bucket several times.
pub(super) fn get(inner: &Inner, name: &str) -> Result<Bucket> {
    // Other gateways change buckets without telling this one's cache.
    let cached = !inner.shared.db.shared_by_gateways();
    if let Some(bucket) = inner.buckets.get(name).filter(|_| cached) {
        return Ok(bucket);
    }
    let generation = inner.buckets.generation();
    let bucket: Bucket = match inner.shared.db.get(Cf::Buckets, name.as_bytes())? {
        Some(raw) => decode(&raw)?,
        None => return Err(Error::NoSuchBucket),
    };
    if cached {
        inner.buckets.insert(generation, &bucket);
    }
    Ok(bucket)
}

/// The bucket `name` as stored (not cached), with `batch` made to commit
/// only if its row is unchanged then: another gateway may change or delete
/// it meanwhile ([`Error::Conflict`]).
fn read_guarded(inner: &Inner, batch: &mut Batch<'_>, name: &str) -> Result<Bucket> {
    let raw = inner
        .shared
        .db
        .get(Cf::Buckets, name.as_bytes())?
        .ok_or(Error::NoSuchBucket)?;
    batch.expect(Cf::Buckets, name.as_bytes(), Some(&raw))?;
    decode(&raw)
}

/// Decoded buckets by name, as committed. Every change to a bucket's row
/// calls [`Cache::forget`] after its commit (whether or not the commit
/// succeeded), while still holding the lock that serialises bucket changes;
/// a reader that read the row before a change and inserts after it is
/// refused by the generation, so the cache never holds a replaced bucket.
/// In-process only: on a store shared by several gateways it is not used.
#[derive(Default)]
pub(super) struct Cache {
    state: parking_lot::RwLock<CacheState>,
}

#[derive(Default)]
struct CacheState {
    buckets: std::collections::HashMap<String, Bucket>,
    /// Bumped by every [`Cache::forget`].
    generation: u64,
}

impl Cache {
    fn get(&self, name: &str) -> Option<Bucket> {
        self.state.read().buckets.get(name).cloned()
    }

    fn generation(&self) -> u64 {
        self.state.read().generation
    }

    /// Keeps `bucket`, read when the cache was at `generation`, unless a
    /// change came since.
    fn insert(&self, generation: u64, bucket: &Bucket) {
        let mut state = self.state.write();
        if state.generation == generation {
            state.buckets.insert(bucket.name.clone(), bucket.clone());
        }
    }

    /// Drops `name` after a change to its row.
    fn forget(&self, name: &str) {
        let mut state = self.state.write();
        state.buckets.remove(name);
        state.generation += 1;
    }
}

pub(super) fn list(inner: &Inner) -> Result<Vec<Bucket>> {
    let mut it = inner.shared.db.iter(Cf::Buckets, None, None)?;
    it.seek_to_first();
    let mut out = Vec::new();
    while let Some(raw) = it.value() {
        out.push(decode(raw)?);
        it.next();
    }
    it.status()?;
    Ok(out)
}

/// Deletes the bucket `name` if it is empty.
pub(super) fn delete(inner: &Inner, name: &str) -> Result<()> {
    super::object::retry_conflicts(|| delete_once(inner, name))
}

/// Makes `batch` (an object write to bucket `bucket_id`) commit only while
/// the bucket is open to writes.
///
/// Within one gateway the bucket gate (`Locks::bucket_exclusive`) keeps
/// writes out of a bucket being deleted. Across gateways the guard must sit
/// in the object the write commits to, the bucket's index, not on the
/// bucket's row (another object, and a batch's guards share one object on
/// RADOS): DeleteBucket first writes the bucket's closing row there, then
/// checks that the bucket is empty. A write committed before the closing
/// row is seen by that check (`BucketNotEmpty`); one committing after it
/// fails its guard (`Conflict`, and retried it finds no bucket). The row
/// stays once the bucket is gone, as ids are never reused. One omap
/// compare in an operation the write sends anyway: no extra round trip.
/// On a store of one gateway the gate suffices and nothing is added.
pub(super) fn guard_open(db: &MetaDb, batch: &mut Batch<'_>, bucket_id: u64) -> Result<()> {
    if db.shared_by_gateways() {
        batch.expect(Cf::Current, &keys::bucket_closed_key(bucket_id), None)?;
    }
    Ok(())
}

/// Writes (`closed`) or removes the closing row of bucket `bucket_id`, on a
/// store shared by gateways (see [`guard_open`]).
fn set_closed(db: &MetaDb, bucket_id: u64, closed: bool) -> Result<()> {
    if !db.shared_by_gateways() {
        return Ok(());
    }
    let mut batch = db.batch();
    let row = keys::bucket_closed_key(bucket_id);
    if closed {
        batch.put(Cf::Current, &row, b"closed")?;
    } else {
        batch.delete(Cf::Current, &row)?;
    }
    batch.commit()
}

fn delete_once(inner: &Inner, name: &str) -> Result<()> {
    let db = &inner.shared.db;
    let _config = inner.locks.bucket_config();
    let mut batch = db.batch();
    let bucket = read_guarded(inner, &mut batch, name)?;
    let _exclusive = inner.locks.bucket_exclusive(bucket.id);
    set_closed(db, bucket.id, true)?;
    let deleted = delete_closed(inner, &bucket, batch);
    if deleted.is_err() && still_there(inner, &bucket)? {
        // Open it to writes again (another gateway may have deleted it:
        // then the row stays).
        set_closed(db, bucket.id, false)?;
    }
    deleted
}

/// Whether `bucket` (this id under this name) is still stored.
fn still_there(inner: &Inner, bucket: &Bucket) -> Result<bool> {
    match inner.shared.db.get(Cf::Buckets, bucket.name.as_bytes())? {
        Some(raw) => Ok(decode::<Bucket>(&raw)?.id == bucket.id),
        None => Ok(false),
    }
}

/// Deletes `bucket`, closed to writes, if it is empty, with `batch` guarded
/// on its row.
fn delete_closed(inner: &Inner, bucket: &Bucket, mut batch: Batch<'_>) -> Result<()> {
    let db = &inner.shared.db;
    // Object keys are not empty: every object row sorts after the closing row.
    let first_object = keys::current_key(bucket.id, &[0]);
    let prefix = keys::bucket_prefix(bucket.id).to_vec();
    let upper = keys::bucket_upper_bound(bucket.id);
    if db.any_in_range(Cf::Versions, prefix, upper.clone())?
        || db.any_in_range(Cf::Current, first_object, upper)?
    {
        return Err(Error::BucketNotEmpty);
    }
    // As in AWS, uploads in progress do not keep a bucket alive: they go with it.
    let aborted = multipart::abort_all(inner, bucket.id, &mut batch)?;
    batch.delete(Cf::Buckets, bucket.name.as_bytes())?;
    super::usage::forget(&mut batch, bucket.id)?;
    let committed = batch.commit();
    inner.buckets.forget(&bucket.name);
    committed?;
    if aborted > 0 {
        inner.gc.wake();
    }
    Ok(())
}

pub(super) fn update<F>(inner: &Inner, name: &str, change: F) -> Result<Bucket>
where
    F: FnOnce(&mut Bucket) -> Result<()>,
{
    update_with(inner, name, change, |_, _| Ok(()))
}

/// Like [`update`], with `also` adding rows to the batch that stores the
/// changed bucket (they commit together).
pub(super) fn update_with<F, A>(inner: &Inner, name: &str, change: F, also: A) -> Result<Bucket>
where
    F: FnOnce(&mut Bucket) -> Result<()>,
    A: FnOnce(&Bucket, &mut Batch<'_>) -> Result<()>,
{
    let db = &inner.shared.db;
    let _config = inner.locks.bucket_config();
    let mut batch = db.batch();
    let mut bucket = read_guarded(inner, &mut batch, name)?;
    let (id, stored_name) = (bucket.id, bucket.name.clone());
    let had_lock = bucket.object_lock.is_some();
    change(&mut bucket)?;
    bucket.id = id;
    bucket.name = stored_name;
    if had_lock && bucket.object_lock.is_none() {
        return Err(Error::InvalidBucketState(
            "Object Lock cannot be disabled once it is enabled",
        ));
    }
    if bucket.replication.is_some() && bucket.versioning != VersioningState::Enabled {
        return Err(Error::InvalidBucketState(
            "A replication configuration is present on this bucket, so the versioning state cannot be changed",
        ));
    }
    if bucket.object_lock.is_some() && bucket.versioning != VersioningState::Enabled {
        return Err(Error::InvalidBucketState(if had_lock {
            "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed"
        } else {
            "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
        }));
    }
    batch.put(Cf::Buckets, name.as_bytes(), &encode(&bucket)?)?;
    also(&bucket, &mut batch)?;
    let committed = batch.commit();
    inner.buckets.forget(name);
    committed?;
    Ok(bucket)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::engine::tests::{bucket as create_bucket, open_engine};

    /// A bucket changed or deleted is seen so at once, though it was cached.
    #[test]
    fn changes_are_seen_through_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let engine = open_engine(dir.path());
        create_bucket(&engine, "cached");
        let inner = &engine.inner;
        assert_eq!(
            get(inner, "cached").unwrap().versioning,
            VersioningState::Unversioned
        );
        update(inner, "cached", |b| {
            b.versioning = VersioningState::Enabled;
            Ok(())
        })
        .unwrap();
        assert_eq!(
            get(inner, "cached").unwrap().versioning,
            VersioningState::Enabled
        );
        delete(inner, "cached").unwrap();
        assert!(matches!(get(inner, "cached"), Err(Error::NoSuchBucket)));
    }

    /// A reader that read a bucket's row before a change does not cache it after.
    #[test]
    fn a_row_read_before_a_change_is_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let engine = open_engine(dir.path());
        create_bucket(&engine, "cached");
        let inner = &engine.inner;
        let generation = inner.buckets.generation();
        let read_before = get(inner, "cached").unwrap();
        inner.buckets.forget("cached");
        inner.buckets.insert(generation, &read_before);
        assert!(inner.buckets.get("cached").is_none());
    }
}
