//! What the RADOS layout promises beyond the trait's contract, checked on
//! the process's test cluster: stripes of 4 MiB, ranged reads that touch only
//! their stripes, removals and wipes that reclaim every stripe.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use horreo_rados::WriteOp;

use super::index::{self, Extent, Row, shard_object};
use super::*;
use crate::meta::rados::test_cluster::test_cluster;

/// A store in a namespace of its own whose removals reclaim at once.
fn fresh() -> Option<RadosBlobs> {
    let cluster = test_cluster()?;
    Some(RadosBlobs::with_reader_grace(
        cluster.fresh_namespace(),
        Duration::ZERO,
    ))
}

/// `len` bytes that differ from stripe to stripe.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251 + i / 4099) as u8).collect()
}

/// Installs `bytes` (fed in uneven pieces) as a new blob; returns its id
/// and data id.
fn install(store: &RadosBlobs, bytes: &[u8]) -> (BlobId, [u8; 16]) {
    let mut staged = store.stage().unwrap();
    for piece in bytes.chunks(1_000_003) {
        staged.append(piece).unwrap();
    }
    staged.sync().unwrap();
    let id = BlobId::random();
    staged.install(id).unwrap();
    let row = index::get(&store.pool.io, id.0[0], &Row::Installed.key(&id.0))
        .unwrap()
        .unwrap();
    (id, Extent::decode(&row).unwrap().data)
}

fn stripe_sizes(store: &RadosBlobs, data: &[u8; 16], upto: u64) -> Vec<Option<u64>> {
    (0..upto)
        .map(|n| {
            store
                .pool
                .io
                .stat(&stripe_object(data, n))
                .ok()
                .map(|s| s.size)
        })
        .collect()
}

#[test]
fn a_blob_is_striped_and_a_range_reads_only_its_stripes() {
    let Some(store) = fresh() else { return };
    let len = 2 * STRIPE as usize + 12345;
    let bytes = content(len);
    let (id, data) = install(&store, &bytes);
    assert_eq!(
        stripe_sizes(&store, &data, 4),
        [Some(STRIPE), Some(STRIPE), Some(12345), None]
    );
    let blob = store.open(id).unwrap().unwrap();
    assert_eq!(blob.len().unwrap(), len as u64);
    // Across the boundary of stripes 0 and 1, and the whole blob.
    let at = STRIPE as usize - 100;
    let mut buf = vec![0u8; 300];
    blob.read_exact_at(&mut buf, at as u64).unwrap();
    assert_eq!(buf, &bytes[at..at + 300]);
    let mut all = vec![0u8; len];
    blob.read_exact_at(&mut all, 0).unwrap();
    assert!(all == bytes);
    // Without stripe 0, ranges in stripes 1 and 2 still read; one touching
    // stripe 0 fails as damaged.
    store.pool.io.remove(&stripe_object(&data, 0)).unwrap();
    let mut tail = vec![0u8; STRIPE as usize];
    blob.read_exact_at(&mut tail, STRIPE + 10).unwrap();
    assert!(tail == bytes[STRIPE as usize + 10..][..STRIPE as usize]);
    let err = blob.read_exact_at(&mut buf, at as u64).unwrap_err();
    assert_ne!(err.kind(), io::ErrorKind::UnexpectedEof);
}

/// Sequential reads (a GET) are served by one RADOS read per stripe: once
/// they are under way in a stripe, removing it does not stop them, while a
/// read elsewhere goes to RADOS and finds it gone.
#[test]
fn sequential_reads_read_whole_stripes_ahead() {
    let Some(store) = fresh() else { return };
    let len = 3 * STRIPE as usize + 777;
    let bytes = content(len);
    let (id, data) = install(&store, &bytes);
    let blob = store.open(id).unwrap().unwrap();
    let chunk = 170_000;
    let mut got = vec![0u8; len];
    let mut at = 0;
    // The second read continues the first: it reads stripe 0 to its end.
    for _ in 0..2 {
        blob.read_exact_at(&mut got[at..at + chunk], at as u64)
            .unwrap();
        at += chunk;
    }
    store.pool.io.remove(&stripe_object(&data, 0)).unwrap();
    while at < len {
        let n = chunk.min(len - at);
        blob.read_exact_at(&mut got[at..at + n], at as u64).unwrap();
        at += n;
    }
    assert!(got == bytes);
    let mut buf = vec![0u8; 10];
    assert!(blob.read_exact_at(&mut buf, 5).is_err());
}

#[test]
fn removal_reclaims_every_stripe_and_its_row() {
    let Some(store) = fresh() else { return };
    let (id, data) = install(&store, &content(2 * STRIPE as usize + 1));
    assert!(store.remove(id).unwrap());
    assert_eq!(stripe_sizes(&store, &data, 3), [None, None, None]);
    let (removed, _) = index::scan(&store.pool.io, id.0[0], Row::Removed, None, 10).unwrap();
    assert!(removed.is_empty());
    // A dropped staged blob leaves no stripe and no row either.
    let mut staged = store.stage().unwrap();
    staged.append(&content(STRIPE as usize + 7)).unwrap();
    staged.sync().unwrap();
    drop(staged);
    let rows = (0..=u8::MAX)
        .map(|shard| {
            index::scan_all(&store.pool.io, shard, Row::Staged)
                .unwrap()
                .len()
        })
        .sum::<usize>();
    assert_eq!(rows, 0);
}

#[test]
fn a_start_wipes_idle_staged_blobs_and_leaves_live_ones() {
    let Some(store) = fresh() else { return };
    let io = &store.pool.io;
    // Two staged blobs as writers left them: one idle for longer than
    // STAGED_IDLE (its writer crashed), one written to just now.
    let stale = [0x11u8; 16];
    let live = [0x22u8; 16];
    let idle_since = now_secs() - STAGED_IDLE.as_secs() - 60;
    for (data, since) in [(stale, idle_since), (live, now_secs())] {
        for n in 0..3 {
            io.write_full(&stripe_object(&data, n), b"stripe").unwrap();
        }
        let mut op = WriteOp::new();
        op.create(false).omap_set(&[(
            Row::Staged.key(&data).as_slice(),
            index::encode_secs(since).as_slice(),
        )]);
        op.operate(io, &shard_object(data[0])).unwrap();
    }
    store.wipe_staged().unwrap();
    assert_eq!(stripe_sizes(&store, &stale, 3), [None, None, None]);
    assert_eq!(stripe_sizes(&store, &live, 3), [Some(6), Some(6), Some(6)]);
    let (rows, _) = index::scan(io, live[0], Row::Staged, None, 10).unwrap();
    assert_eq!(rows.len(), 1);
}
