#![allow(clippy::unwrap_used)]
use rand::Rng;
#[test] #[ignore] fn scratch_records() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/stored_records");
    let pool: Vec<Vec<u8>> = std::fs::read_dir(dir).unwrap().map(|e| std::fs::read(e.unwrap().path()).unwrap()).collect();
    let mut rng = rand::rng();
    std::panic::set_hook(Box::new(|_| {}));
    let mut crashes = 0;
    for i in 0..300_000 {
        let mut d = pool[rng.random_range(0..pool.len())].clone();
        for _ in 0..rng.random_range(1..6) {
            match rng.random_range(0..4) {
                0 if d.len() > 1 => { let i = rng.random_range(1..d.len()); d[i] = rng.random(); }
                1 if d.len() > 1 => { let i = rng.random_range(1..d.len()); d.remove(i); }
                2 => { let i = rng.random_range(1..=d.len().max(1)); if i <= d.len() { d.insert(i, rng.random()); } }
                _ if d.len() > 1 => { let i = rng.random_range(1..d.len()); d[i] ^= 1 << rng.random_range(0..8); }
                _ => {}
            }
        }
        if std::panic::catch_unwind(|| crate::fuzzing::stored_records(&d)).is_err() {
            crashes += 1;
            std::fs::write(format!("/tmp/scratch-rec-{i}"), &d).unwrap();
            if crashes > 5 { break; }
        }
    }
    let _ = std::panic::take_hook();
    eprintln!("records: {crashes} crashes");
}
