//! Engine tests: shared helpers here, tests by topic in the submodules.
#![allow(clippy::unwrap_used)]

mod clock;
mod durability;
mod encryption;
mod events;
mod faults;
#[cfg(feature = "rados")]
mod gateways;
mod iam;
mod lifecycle;
mod lifecycle_cost;
mod lock;
mod multipart;
mod objects;
mod replication;
mod scrub;
mod tiering;
mod usage;
mod versioning;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::*;

/// Objects above 1 KiB go to blob files, so tests exercise both paths cheaply.
pub(super) fn open_engine(dir: &Path) -> Engine {
    let mut config = EngineConfig::new(dir);
    config.inline_threshold = 1024;
    Engine::open(config).unwrap()
}

pub(super) fn bucket(engine: &Engine, name: &str) {
    engine
        .create_bucket(
            &BucketName::parse(name).unwrap(),
            "owner",
            "us-east-1",
            false,
        )
        .unwrap();
}

pub(super) fn put(engine: &Engine, bucket: &str, key: &str, data: &[u8]) -> Result<ObjectVersion> {
    put_with(engine, bucket, key, data, PutOptions::default())
}

pub(super) fn put_with(
    engine: &Engine,
    bucket: &str,
    key: &str,
    data: &[u8],
    opts: PutOptions,
) -> Result<ObjectVersion> {
    let blob = engine.stage(&mut &data[..], &[]).unwrap();
    engine.put_object(bucket, &ObjectKey::parse(key).unwrap(), blob, opts)
}

pub(super) fn get(
    engine: &Engine,
    bucket: &str,
    key: &str,
    range: Option<Range<u64>>,
) -> Result<Vec<u8>> {
    let v = engine.head_object(bucket, key, None)?;
    let mut out = Vec::new();
    engine
        .open_object(bucket, &v, range)?
        .read_to_end(&mut out)?;
    Ok(out)
}

pub(super) fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

/// Every blob file under the data directory.
pub(super) fn blob_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("blobs")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out
}

pub(super) fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
