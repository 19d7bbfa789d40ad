//! The scrubber resumes its pass after a restart and finds damage.

use super::*;

fn open_with(dir: &Path, rate: u64) -> Engine {
    let mut config = EngineConfig::new(dir);
    config.inline_threshold = 1024;
    config.scrub = ScrubConfig {
        interval: Some(Duration::from_secs(3600)),
        rate,
    };
    Engine::open(config).unwrap()
}

#[test]
fn a_pass_resumes_where_it_stood_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = open_engine(dir.path());
        bucket(&engine, "bkt");
        for i in 0..8 {
            put(&engine, "bkt", &format!("k{i}"), &vec![i as u8; 64 * 1024]).unwrap();
        }
    }
    // 64 KiB/s: about one object per second; stop after a few.
    let engine = open_with(dir.path(), 64 * 1024);
    std::thread::sleep(Duration::from_millis(2500));
    drop(engine);
    let engine = open_engine(dir.path());
    let status = engine.scrub_status().unwrap();
    drop(engine);
    let running = status.running.expect("a pass in progress was saved");
    assert!(status.last.is_none());
    assert!(
        running.objects > 0 && running.objects < 8,
        "{}",
        running.objects
    );
    assert!(running.cursor.is_some());

    // Unthrottled, the same pass runs to its end, counting each object once.
    let engine = open_with(dir.path(), 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    let last = loop {
        if let Some(last) = engine.scrub_status().unwrap().last {
            break last;
        }
        assert!(Instant::now() < deadline, "the pass did not finish");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(last.started, running.started, "the same pass, resumed");
    assert_eq!(last.objects, 8);
    assert_eq!(last.damaged_total, 0);
    assert!(engine.scrub_status().unwrap().running.is_none());
}

#[test]
fn scrub_now_reports_a_damaged_blob() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(dir.path());
    bucket(&engine, "bkt");
    put(&engine, "bkt", "inline", b"small").unwrap();
    put(&engine, "bkt", "blob", &vec![7u8; 200 * 1024]).unwrap();
    let id = engine.inner.shared.blobs.list(None, 1).unwrap()[0];
    let path = crate::blob::LocalBlobs::open(dir.path()).unwrap().path(id);
    let mut raw = std::fs::read(&path).unwrap();
    raw[70_000] ^= 4;
    std::fs::write(&path, raw).unwrap();
    let mut calls = 0;
    let pass = engine.scrub_now(&mut |_| calls += 1).unwrap();
    assert!(calls > 0);
    assert_eq!(pass.objects, 2);
    assert_eq!(pass.damaged_total, 1);
    let finding = &pass.damaged[0];
    assert_eq!(
        (finding.bucket.as_str(), finding.key.as_str()),
        ("bkt", "blob")
    );
    assert_eq!(finding.blob, Some(id.to_hex()));
    assert!(finding.problem.contains("CRC32C"), "{}", finding.problem);
    assert_eq!(
        engine.scrub_status().unwrap().last.unwrap().damaged,
        pass.damaged
    );
}
