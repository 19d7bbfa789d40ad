//! The storage engine's metadata paths, through `horreo_storage::Engine` on a
//! temporary directory: a durable commit of a small (inline) object, alone and
//! from several threads at once (whose synced writes may share a WAL fsync), and
//! one ListObjectsV2 page.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use horreo_storage::{BucketName, Engine, EngineConfig, ListQuery, ObjectKey, PutOptions};

const BUCKET: &str = "bench";
const BODY: &[u8] = &[42u8; 4096];

fn open() -> (tempfile::TempDir, Engine) {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("no temporary directory: {e}"),
    };
    let engine = match Engine::open(EngineConfig::new(dir.path())) {
        Ok(e) => e,
        Err(e) => panic!("opening the engine: {e}"),
    };
    let created = BucketName::parse(BUCKET)
        .and_then(|b| engine.create_bucket(&b, "bench", "us-east-1", false));
    if let Err(e) = created {
        panic!("creating the bucket: {e}");
    }
    (dir, engine)
}

/// Stages `body` and commits it as `key`: one durable PutObject.
fn put(engine: &Engine, key: &str, body: &[u8]) {
    let result = ObjectKey::parse(key).and_then(|key| {
        let blob = engine.stage(&mut &body[..], &[])?;
        engine.put_object(BUCKET, &key, blob, PutOptions::default())
    });
    if let Err(e) = result {
        panic!("put {key}: {e}");
    }
}

fn key(n: u64) -> String {
    format!("p{:04}/obj{n:010}", n % 100)
}

fn commit(c: &mut Criterion) {
    let (_dir, engine) = open();
    let next = AtomicU64::new(0);
    let mut group = c.benchmark_group("metadata_commit_4KiB");
    group.measurement_time(Duration::from_secs(5));
    for threads in [1u64, 8, 32] {
        group.bench_with_input(
            BenchmarkId::new("threads", threads),
            &threads,
            |b, &threads| {
                // Time per commit, amortised over `threads` committing at once.
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    let end = next.load(Ordering::Relaxed) + iters;
                    std::thread::scope(|s| {
                        for _ in 0..threads {
                            s.spawn(|| {
                                loop {
                                    let n = next.fetch_add(1, Ordering::Relaxed);
                                    if n >= end {
                                        break;
                                    }
                                    put(&engine, &key(n), BODY);
                                }
                            });
                        }
                    });
                    // Every thread overshoots `end` by one claim; start the next batch at `end`.
                    next.store(end, Ordering::Relaxed);
                    start.elapsed()
                })
            },
        );
    }
    group.finish();
}

fn listing(c: &mut Criterion) {
    let (_dir, engine) = open();
    const KEYS: u64 = 20_000;
    let next = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..16 {
            s.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= KEYS {
                        break;
                    }
                    put(&engine, &key(n), b"");
                }
            });
        }
    });
    let mut group = c.benchmark_group("list_page_of_20000_keys");
    let queries = [
        ("1000_from_start", None, None),
        ("1000_after_a_key", None, Some(key(KEYS / 2))),
        ("delimiter_100_prefixes", Some("/".to_owned()), None),
    ];
    for (name, delimiter, after) in queries {
        let query = ListQuery {
            prefix: String::new(),
            delimiter,
            after,
            max_keys: 1000,
        };
        group.bench_function(name, |b| {
            b.iter(|| match engine.list_objects(BUCKET, black_box(&query)) {
                Ok(page) => page.entries.len(),
                Err(e) => panic!("listing: {e}"),
            })
        });
    }
    group.finish();
}

criterion_group!(benches, commit, listing);
criterion_main!(benches);
