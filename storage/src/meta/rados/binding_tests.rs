//! What the RADOS store relies on from the bindings, checked on the test
//! cluster: guards cancel a whole operation, omap pages in order, leases
//! exclude, ranged reads and xattrs read back what was written.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use horreo_rados::{Compare, Error, ReadOp, WriteOp};

use super::test_cluster::test_cluster;

#[test]
fn a_failed_guard_applies_nothing_of_the_operation() {
    let Some(cluster) = test_cluster() else {
        return;
    };
    let io = cluster.fresh_namespace();
    let mut op = WriteOp::new();
    op.create(false)
        .omap_set(&[(b"v".as_slice(), b"1".as_slice())])
        .set_xattr("gen", b"1");
    op.operate(&io, "o").unwrap();

    // A stale omap compare: neither the set nor the remove happens.
    let mut op = WriteOp::new();
    op.cmp_omap(b"v", Compare::Eq, b"0")
        .omap_set(&[(b"w".as_slice(), b"2".as_slice())])
        .omap_remove(&[b"v"]);
    assert!(matches!(
        op.operate(&io, "o"),
        Err(Error::GuardFailed { .. })
    ));
    // A stale xattr compare: the same.
    let mut op = WriteOp::new();
    op.cmp_xattr("gen", Compare::Eq, b"2").write_full(b"data");
    assert!(matches!(
        op.operate(&io, "o"),
        Err(Error::GuardFailed { .. })
    ));
    let mut read = ReadOp::new();
    read.omap_get_vals(b"", 10);
    let pages = read.operate(&io, "o").unwrap();
    assert_eq!(pages[0].rows, vec![(b"v".to_vec(), b"1".to_vec())]);
    assert_eq!(io.stat("o").unwrap().size, 0);

    // Guards that hold: the operation applies.
    let mut op = WriteOp::new();
    op.cmp_omap(b"v", Compare::Eq, b"1")
        .cmp_omap(b"absent", Compare::Eq, b"")
        .cmp_xattr("gen", Compare::Eq, b"1")
        .omap_remove(&[b"v"])
        .write_full(b"data");
    op.operate(&io, "o").unwrap();
    assert_eq!(io.read("o", 0, 100).unwrap(), b"data");
}

#[test]
fn omap_lists_in_pages_after_a_start_key() {
    let Some(cluster) = test_cluster() else {
        return;
    };
    let io = cluster.fresh_namespace();
    let keys: Vec<Vec<u8>> = (0..250u32)
        .map(|i| format!("k{i:04}").into_bytes())
        .collect();
    let rows: Vec<(&[u8], &[u8])> = keys
        .iter()
        .map(|k| (k.as_slice(), b"".as_slice()))
        .collect();
    let mut op = WriteOp::new();
    op.create(false).omap_set(&rows);
    op.operate(&io, "index").unwrap();

    let mut seen = Vec::new();
    let mut after = Vec::new();
    loop {
        let mut read = ReadOp::new();
        read.omap_get_vals(&after, 100);
        let page = read.operate(&io, "index").unwrap().remove(0);
        seen.extend(page.rows.iter().map(|(k, _)| k.clone()));
        match page.rows.last() {
            Some((k, _)) if page.more => after = k.clone(),
            _ => break,
        }
    }
    assert_eq!(seen, keys);
    // A NUL byte cannot be a start key (librados takes a C string).
    let mut read = ReadOp::new();
    read.omap_get_vals(b"a\0b", 1);
    assert!(matches!(
        read.operate(&io, "index"),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn a_lease_excludes_other_holders_until_released() {
    let Some(cluster) = test_cluster() else {
        return;
    };
    let io = cluster.fresh_namespace();
    let lease = Duration::from_secs(30);
    io.lock_exclusive("gc", "worker", "gateway-a", lease, false)
        .unwrap();
    assert!(matches!(
        io.lock_exclusive("gc", "worker", "gateway-b", lease, false),
        Err(Error::Busy { .. })
    ));
    // The holder renews its own lease.
    io.lock_exclusive("gc", "worker", "gateway-a", lease, true)
        .unwrap();
    io.unlock("gc", "worker", "gateway-a").unwrap();
    io.lock_exclusive("gc", "worker", "gateway-b", lease, false)
        .unwrap();
}

#[test]
fn objects_read_back_by_range_with_their_xattrs() {
    let Some(cluster) = test_cluster() else {
        return;
    };
    let io = cluster.fresh_namespace();
    let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    io.write_full("blob", &data).unwrap();
    io.write("blob", b"xyz", 10).unwrap();
    assert_eq!(io.stat("blob").unwrap().size, 100_000);
    assert_eq!(io.read("blob", 9, 5).unwrap(), [9, b'x', b'y', b'z', 13]);
    assert_eq!(io.read("blob", 99_998, 10).unwrap(), data[99_998..]);
    io.set_xattr("blob", "etag", b"abc").unwrap();
    assert_eq!(io.get_xattr("blob", "etag").unwrap().unwrap(), b"abc");
    assert_eq!(io.get_xattr("blob", "none").unwrap(), None);
    io.remove_xattr("blob", "etag").unwrap();
    io.remove("blob").unwrap();
    assert!(matches!(io.stat("blob"), Err(Error::NotFound { .. })));
    assert!(matches!(io.remove("blob"), Err(Error::NotFound { .. })));
}

#[test]
fn asynchronous_writes_and_reads_complete_on_a_tokio_runtime() {
    let Some(cluster) = test_cluster() else {
        return;
    };
    let io = cluster.fresh_namespace();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let data = vec![5u8; 1 << 20];
        // Several in flight at once, each completed by its own callback.
        let (a, b, c, d) = tokio::join!(
            io.write_full_async("part0", &data),
            io.write_full_async("part1", &data),
            io.write_full_async("part2", &data),
            io.write_full_async("part3", &data),
        );
        for result in [a, b, c, d] {
            result.unwrap();
        }
        assert_eq!(io.read_async("part3", 1000, 10).await.unwrap(), [5u8; 10]);
        assert!(matches!(
            io.read_async("missing", 0, 10).await,
            Err(Error::NotFound { .. })
        ));
    });
}

/// Latencies of the omap operations the store makes (for benches/README.md;
/// run with `cargo test --workspace --lib omap_latencies -- --ignored --nocapture`).
#[test]
#[ignore]
fn omap_latencies() {
    let Some(cluster) = test_cluster() else {
        return;
    };
    let io = cluster.fresh_namespace();
    let n = 500;
    let p50 = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (mut set, mut get, mut list) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let key = format!("key{i:06}").into_bytes();
        let t = Instant::now();
        let mut op = WriteOp::new();
        op.create(false)
            .omap_set(&[(key.as_slice(), [7u8; 200].as_slice())]);
        op.operate(&io, "bench").unwrap();
        set.push(t.elapsed());
        let t = Instant::now();
        let mut read = ReadOp::new();
        read.omap_get_vals_by_keys(&[&key]);
        read.operate(&io, "bench").unwrap();
        get.push(t.elapsed());
        let t = Instant::now();
        let mut read = ReadOp::new();
        read.omap_get_vals(b"key", 100);
        read.operate(&io, "bench").unwrap();
        list.push(t.elapsed());
    }
    eprintln!(
        "omap p50 over {n}: set 1 key {:?}, get 1 key {:?}, list 100 rows {:?}",
        p50(set),
        p50(get),
        p50(list)
    );
}
