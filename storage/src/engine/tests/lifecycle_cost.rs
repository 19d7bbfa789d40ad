//! Measurements of the lifecycle worker (ignored by default; run with
//! `cargo test --workspace --lib lifecycle_cost -- --ignored --nocapture`,
//! `HORREO_LC_OBJECTS` setting the population, 1,000,000 by default).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use super::*;

const DAY: Duration = Duration::from_millis(200);
const DUE: usize = 1000;

fn open_cost(dir: &Path) -> Engine {
    let mut config = EngineConfig::new(dir);
    config.lifecycle = LifecycleSettings {
        day: DAY,
        worker: false,
        rate: None,
    };
    Engine::open(config).unwrap()
}

fn rule(id: &str, prefix: &str, days: u32) -> LifecycleRule {
    LifecycleRule {
        id: id.into(),
        enabled: true,
        filter: LifecycleFilter {
            prefix: prefix.into(),
            ..Default::default()
        },
        expiration: Some(LifecycleExpiration {
            days: Some(days),
            ..Default::default()
        }),
        transitions: vec![],
        noncurrent_expiration: None,
        noncurrent_transitions: vec![],
        abort_incomplete_upload_days: None,
    }
}

/// A bucket whose `due/` objects expire after a day and every other object
/// after 100,000 days (so each has an index row, far in the future).
fn bucket_with_rules(e: &Engine) {
    bucket(e, "cost");
    e.set_bucket_lifecycle(
        "cost",
        Some(BucketLifecycle {
            rules: vec![rule("due", "due/", 1), rule("later", "", 100_000)],
            ..Default::default()
        }),
    )
    .unwrap();
    // The (empty) bucket's re-index.
    e.lifecycle_run(None, &mut |_| {}).unwrap();
}

/// Puts `count` objects named `prefix{i}` from 8 threads (commits share fsyncs).
fn fill(e: &Engine, prefix: &str, count: usize, body: &[u8]) {
    let next = Arc::new(AtomicU64::new(0));
    std::thread::scope(|s| {
        for _ in 0..8 {
            let next = Arc::clone(&next);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    if i >= count {
                        return;
                    }
                    put(e, "cost", &format!("{prefix}{i:08}"), body).unwrap();
                }
            });
        }
    });
}

/// Seconds of a pass that expires the `due/` objects.
fn timed_pass(e: &Engine) -> f64 {
    std::thread::sleep(DAY * 2 + DAY / 2);
    let start = Instant::now();
    let done = e.lifecycle_run(None, &mut |_| {}).unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(done.expired, DUE as u64);
    secs
}

#[test]
#[ignore = "a measurement: minutes, and a large store"]
fn lifecycle_cost_of_a_pass_is_o_due() {
    let objects: usize = std::env::var("HORREO_LC_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let small_dir = tempfile::tempdir().unwrap();
    let small = open_cost(small_dir.path());
    bucket_with_rules(&small);
    fill(&small, "due/", DUE, b"x");
    let alone = timed_pass(&small);

    let big_dir = tempfile::tempdir().unwrap();
    let big = open_cost(big_dir.path());
    bucket_with_rules(&big);
    let start = Instant::now();
    fill(&big, "later/", objects, b"x");
    eprintln!(
        "loaded {objects} objects in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    fill(&big, "due/", DUE, b"x");
    let among = timed_pass(&big);
    let start = Instant::now();
    let mut rows = 0;
    big.lifecycle_run(None, &mut |p| rows = p.rows).unwrap();
    let idle = start.elapsed().as_secs_f64();
    eprintln!(
        "pass expiring {DUE} of {DUE} objects: {:.1} ms; {DUE} of {objects}: {:.1} ms \
         (ratio {:.2}); a pass with nothing due among {objects}: {:.3} ms, {rows} rows read",
        alone * 1e3,
        among * 1e3,
        among / alone,
        idle * 1e3
    );
    assert_eq!(rows, 0);
}

/// 4 KiB PUT+GET pairs per second on one thread for `for_how_long`.
fn put_get_rate(e: &Engine, stop: &AtomicBool) -> f64 {
    let body = content(4096, 9);
    let start = Instant::now();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let key = format!("io/{}", n % 1000);
        put(e, "cost", &key, &body).unwrap();
        assert_eq!(get(e, "cost", &key, None).unwrap().len(), 4096);
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

#[test]
#[ignore = "a measurement: minutes"]
fn lifecycle_cost_of_io_during_a_pass() {
    let expiring: usize = std::env::var("HORREO_LC_EXPIRING")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let e = open_cost(dir.path());
    bucket_with_rules(&e);
    fill(&e, "due/", expiring, b"x");
    std::thread::sleep(DAY * 2 + DAY / 2);
    let stop = AtomicBool::new(false);
    let idle = std::thread::scope(|s| {
        let io = s.spawn(|| put_get_rate(&e, &stop));
        std::thread::sleep(Duration::from_secs(10));
        stop.store(true, Ordering::Relaxed);
        io.join().unwrap()
    });
    stop.store(false, Ordering::Relaxed);
    let (busy, pass_secs, expired) = std::thread::scope(|s| {
        let io = s.spawn(|| put_get_rate(&e, &stop));
        let start = Instant::now();
        let done = e.lifecycle_run(None, &mut |_| {}).unwrap();
        let secs = start.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        (io.join().unwrap(), secs, done.expired)
    });
    eprintln!(
        "4 KiB PUT+GET pairs/s: idle {idle:.0}, during a pass {busy:.0} (ratio {:.2}); \
         the pass expired {expired} objects in {pass_secs:.1} s ({:.0}/s)",
        busy / idle,
        expired as f64 / pass_secs
    );
}
