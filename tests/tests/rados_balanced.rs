//! Three gateways on one RADOS pool behind haproxy, round-robin per request
//! (`tests/ceph/balancer.sh`): listings under concurrent writes, a multipart
//! upload whose parts go through different gateways, and a crash test (a
//! gateway killed and the OSD restarted under load). One throwaway cluster for
//! the file; its tests take turns, as the crash test restarts the OSD. Skipped
//! on a machine without the Ceph daemons unless `CI` is set. The races between
//! gateways, and the workers' lease moving when its holder is killed, are in
//! `rados_races`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use futures::StreamExt;
use horreo_tests::ceph::{Balancer, Cluster};
use horreo_tests::get_bytes as get;
use horreo_tests::{
    Horreo, err_status, md5_hex, multipart_upload, random_bytes, unique_bucket_name,
};

const MIB: usize = 1 << 20;

/// The file's cluster, booted by the first test that asks (`None` without Ceph);
/// its watcher stops it when the test process exits.
fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    CLUSTER.get_or_init(Cluster::boot).as_ref()
}

/// Held by each test for its whole run.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn put(s3: &Client, bucket: &str, key: &str, data: Vec<u8>) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT {key}: {e:?}"));
}

/// Every key of `bucket`, paged 7 at a time; asserts that the keys come
/// sorted, within and across pages, so none is listed twice.
async fn list_all(s3: &Client, bucket: &str) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .max_keys(7)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        for key in page.contents().iter().filter_map(|o| o.key()) {
            if let Some(last) = keys.last() {
                assert!(last.as_str() < key, "{key} listed after {last}");
            }
            keys.push(key.to_owned());
        }
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            return keys;
        }
    }
}

/// How many requests of `operation` on `key` the gateway logged.
fn served(gateway: &Horreo, operation: &str, key: &str) -> usize {
    let needle = format!("operation=\"{operation}\" bucket=");
    gateway
        .log()
        .lines()
        .filter(|l| l.contains(&needle) && l.contains(&format!("key=\"{key}\"")))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn listings_under_concurrent_writes_and_multipart_across_gateways() {
    let Some(cluster) = cluster() else {
        return;
    };
    let _turn = TURN.lock().await;
    let gateways = cluster.gateways(3);
    let balancer = Balancer::start(&gateways);
    let s3 = balancer.client(&gateways[0]);
    let bucket = unique_bucket_name("balanced");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    // Acknowledged (through the balancer) before any listing starts.
    let acked = Arc::new(Mutex::new(Vec::new()));
    for n in 0..20 {
        let key = format!("k/{n:03}/before");
        put(&s3, &bucket, &key, b"b".to_vec()).await;
        acked.lock().unwrap().push(key);
    }
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (s3, bucket, acked) = (s3.clone(), bucket.clone(), acked.clone());
            tokio::spawn(async move {
                for n in 0..30 {
                    let key = format!("k/{n:03}/writer-{w}");
                    put(&s3, &bucket, &key, vec![b'w'; 100]).await;
                    acked.lock().unwrap().push(key);
                }
            })
        })
        .collect();
    let mut passes = 0;
    loop {
        let writing = writers.iter().any(|w| !w.is_finished());
        let before: Vec<String> = acked.lock().unwrap().clone();
        let listed = list_all(&s3, &bucket).await;
        for key in &before {
            assert!(
                listed.binary_search(key).is_ok(),
                "{key} was acknowledged before the listing started, and is not listed"
            );
        }
        passes += 1;
        if !writing {
            break;
        }
    }
    for writer in writers {
        writer.await.unwrap();
    }
    assert!(passes >= 2, "no listing ran while the writers wrote");
    assert_eq!(list_all(&s3, &bucket).await.len(), 20 + 4 * 30);

    // Consecutive requests go to the gateways in turn: the parts (and the
    // upload's creation and completion) go through different ones.
    let parts = [
        random_bytes(5 * MIB),
        random_bytes(5 * MIB),
        random_bytes(1000),
    ];
    multipart_upload(&s3, &bucket, "multipart", &parts).await;
    let parts_per_gateway: Vec<usize> = gateways
        .iter()
        .map(|g| served(g, "UploadPart", "multipart"))
        .collect();
    assert_eq!(parts_per_gateway.iter().sum::<usize>(), 3);
    assert!(
        parts_per_gateway.iter().filter(|&&n| n > 0).count() >= 2,
        "all parts went through one gateway: {parts_per_gateway:?}"
    );
    let whole = md5_hex(&parts.concat());
    for gateway in &gateways {
        assert_eq!(
            md5_hex(&get(&gateway.client(), &bucket, "multipart").await),
            whole
        );
    }
}

/// What the writers of the crash test saw.
#[derive(Default)]
struct Outcome {
    /// Acknowledged PUTs: key and body.
    acked: BTreeMap<String, Vec<u8>>,
    /// PUTs without a response (connection refused or reset).
    connection_errors: usize,
    /// PUTs answered 5xx.
    server_errors: usize,
}

/// PUTs distinct keys through `s3` until `stop`; any answer but 200 or 5xx fails.
async fn write_until(s3: Client, bucket: String, writer: usize, stop: Arc<AtomicBool>) -> Outcome {
    let mut outcome = Outcome::default();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let key = format!("w{writer}/{n:05}");
        let data = random_bytes(1 + rand::random::<u16>() as usize);
        n += 1;
        let sent = s3
            .put_object()
            .bucket(&bucket)
            .key(&key)
            .body(ByteStream::from(data.clone()))
            .send()
            .await;
        match sent {
            Ok(_) => {
                outcome.acked.insert(key, data);
            }
            Err(e) => match err_status(&e) {
                Some(status) if status >= 500 => outcome.server_errors += 1,
                Some(status) => panic!("PUT {key}: {status} {e:?}"),
                None if matches!(e, SdkError::DispatchFailure(_) | SdkError::ResponseError(_)) => {
                    outcome.connection_errors += 1
                }
                None => panic!("PUT {key}: {e:?}"),
            },
        }
    }
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_puts_survive_a_killed_gateway_and_an_osd_restart() {
    let Some(cluster) = cluster() else {
        return;
    };
    let _turn = TURN.lock().await;
    let mut gateways = cluster.gateways(3);
    let balancer = Balancer::start(&gateways);
    let s3 = balancer.client(&gateways[0]);
    let bucket = unique_bucket_name("crash");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..6)
        .map(|w| tokio::spawn(write_until(s3.clone(), bucket.clone(), w, stop.clone())))
        .collect();
    let pause = || tokio::time::sleep(Duration::from_millis(1500));
    pause().await;
    // The gateway in the middle dies with requests in flight; the OSD crashes
    // and comes back; then the gateway comes back on its port.
    tokio::task::block_in_place(|| gateways[1].kill9());
    pause().await;
    tokio::task::block_in_place(|| cluster.restart_osd());
    pause().await;
    tokio::task::block_in_place(|| gateways[1].start_again());
    pause().await;
    stop.store(true, Ordering::Relaxed);

    let mut all = Outcome::default();
    for writer in writers {
        let outcome = writer.await.unwrap();
        all.acked.extend(outcome.acked);
        all.connection_errors += outcome.connection_errors;
        all.server_errors += outcome.server_errors;
    }
    eprintln!(
        "{} PUTs acknowledged, {} connection errors, {} 5xx",
        all.acked.len(),
        all.connection_errors,
        all.server_errors
    );
    assert!(
        all.acked.len() >= 60,
        "too few PUTs went through to say anything"
    );

    // Every acknowledged PUT, through every gateway, with its exact bytes.
    for gateway in &gateways {
        let s3 = gateway.client();
        let mut reads = futures::stream::iter(&all.acked)
            .map(|(key, data)| {
                let (s3, bucket) = (&s3, &bucket);
                async move { (key, md5_hex(&get(s3, bucket, key).await) == md5_hex(data)) }
            })
            .buffer_unordered(16);
        while let Some((key, same)) = reads.next().await {
            assert!(
                same,
                "{key} reads back other bytes through {}",
                gateway.endpoint()
            );
        }
    }
}
