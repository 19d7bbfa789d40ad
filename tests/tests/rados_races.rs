//! Races between gateway processes on one RADOS pool, each request sent
//! straight to a gateway of its choosing (no balancer): conditional PUTs of
//! one key through eight gateways at once, CompleteMultipartUpload of one
//! upload through four at once, and the gateway running the background work
//! killed mid-upload: its acknowledged writes stay, the workers' lease moves
//! to exactly one other gateway, and the gc there deletes each freed blob
//! once; one stopped cleanly hands the lease over at once. One throwaway
//! cluster for the file; its tests take turns (each holds or awaits the one
//! lease, and the kill test counts the whole pool's gc). Skipped on a machine
//! without the Ceph daemons unless `CI` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use horreo_tests::ceph::Cluster;
use horreo_tests::get_bytes as get;
use horreo_tests::{
    Horreo, REGION, err_status, http_request, md5_hex, random_bytes, sigv4_headers,
    unique_bucket_name, versioned_bucket,
};

const MIB: usize = 1 << 20;
/// Above the inline threshold (64 KiB): each such object is one blob.
const BLOB_SIZE: usize = 100 << 10;
/// `--workers-lease-seconds` of the gateways here (the shortest allowed):
/// a killed holder's lease runs out soon.
const LEASE_SECONDS: &str = "5";

/// The file's cluster, booted by the first test that asks (`None` without Ceph);
/// its watcher stops it when the test process exits.
fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    CLUSTER.get_or_init(Cluster::boot).as_ref()
}

/// Held by each test for its whole run.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `count` gateways on the cluster's pool, as `Cluster::gateways` starts
/// them, with a workers' lease of `lease_seconds`.
fn gateways(cluster: &Cluster, count: usize, lease_seconds: &str) -> Vec<Horreo> {
    cluster.gateways_with(count, |options| {
        options.arg("--workers-lease-seconds").arg(lease_seconds)
    })
}

/// Waits for this test's turn, then starts `count` gateways with a lease of
/// [`LEASE_SECONDS`]; `None` without Ceph.
async fn take_turn(count: usize) -> Option<(tokio::sync::MutexGuard<'static, ()>, Vec<Horreo>)> {
    let cluster = cluster()?;
    let turn = TURN.lock().await;
    let started = tokio::task::block_in_place(|| gateways(cluster, count, LEASE_SECONDS));
    Some((turn, started))
}

/// A path-style client of `gateway` alone that never retries: each call is
/// one request, so its answer is the gateway's.
fn client(gateway: &Horreo) -> Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(gateway.credentials())
        .endpoint_url(gateway.endpoint())
        .force_path_style(true)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// The value of the unlabelled series `name` in `gateway`'s metrics.
fn metric(gateway: &Horreo, name: &str) -> u64 {
    let scrape = http_request(&gateway.authority(), "GET", "/_horreo/metrics", &[], b"");
    assert_eq!(scrape.status, 200, "{}", scrape.text());
    let text = scrape.text();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in the metrics of {}", gateway.endpoint()))
}

/// Waits until `cond` holds, failing with `what` after a minute.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until exactly one of `gateways` reports holding the workers' lease;
/// returns its index.
fn lease_holder(gateways: &[&Horreo]) -> usize {
    let mut holder = None;
    wait_for("exactly one gateway to hold the workers' lease", || {
        let holding: Vec<usize> = (0..gateways.len())
            .filter(|&i| metric(gateways[i], "horreo_workers_lease_held") == 1)
            .collect();
        holder = holding.first().copied().filter(|_| holding.len() == 1);
        holder.is_some()
    });
    holder.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn eight_gateways_racing_put_if_none_match_store_exactly_one() {
    let Some((_turn, gateways)) = take_turn(8).await else {
        return;
    };
    let clients: Vec<Client> = gateways.iter().map(client).collect();
    let bucket = unique_bucket_name("once");
    clients[0]
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    // Every client's connection is open before the race starts.
    for s3 in &clients {
        s3.head_bucket().bucket(&bucket).send().await.unwrap();
    }
    let mut lost = (0, 0);
    for round in 0..4 {
        let key = format!("once-{round}");
        let start = Arc::new(tokio::sync::Barrier::new(clients.len()));
        let writers: Vec<_> = clients
            .iter()
            .map(|s3| {
                let (s3, bucket, key, start) =
                    (s3.clone(), bucket.clone(), key.clone(), start.clone());
                tokio::spawn(async move {
                    let body = random_bytes(BLOB_SIZE);
                    start.wait().await;
                    let put = s3
                        .put_object()
                        .bucket(&bucket)
                        .key(&key)
                        .if_none_match("*")
                        .body(ByteStream::from(body.clone()))
                        .send()
                        .await;
                    (body, put)
                })
            })
            .collect();
        let mut won = Vec::new();
        for (gateway, writer) in writers.into_iter().enumerate() {
            match writer.await.unwrap() {
                (body, Ok(out)) => {
                    assert_eq!(
                        out.e_tag(),
                        Some(format!("\"{}\"", md5_hex(&body)).as_str())
                    );
                    won.push(body);
                }
                // What AWS answers: the object exists (412), or another
                // conditional write of it is in progress (409).
                (_, Err(e)) => match (err_status(&e), e.code()) {
                    (Some(412), Some("PreconditionFailed")) => lost.0 += 1,
                    (Some(409), Some("ConditionalRequestConflict")) => lost.1 += 1,
                    _ => panic!("round {round}, gateway {gateway}: {e:?}"),
                },
            }
        }
        assert_eq!(won.len(), 1, "round {round}: {} PUTs succeeded", won.len());
        // Every gateway reads the winner's bytes.
        for s3 in &clients {
            assert_eq!(md5_hex(&get(s3, &bucket, &key).await), md5_hex(&won[0]));
        }
    }
    eprintln!("losers: {} answered 412, {} answered 409", lost.0, lost.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn completions_of_one_upload_through_four_gateways_make_one_version() {
    let Some((_turn, gateways)) = take_turn(4).await else {
        return;
    };
    let clients: Vec<Client> = gateways.iter().map(client).collect();
    let bucket = versioned_bucket(&clients[0], "complete").await;
    let key = "mp";
    let upload = clients[0]
        .create_multipart_upload()
        .bucket(&bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap().to_owned();
    let parts = [random_bytes(5 * MIB), random_bytes(BLOB_SIZE)];
    let mut completed = Vec::new();
    for (number, part) in (1..).zip(&parts) {
        // Each part through another gateway.
        let out = clients[number as usize]
            .upload_part()
            .bucket(&bucket)
            .key(key)
            .upload_id(&upload_id)
            .part_number(number)
            .body(ByteStream::from(part.clone()))
            .send()
            .await
            .unwrap();
        completed.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(out.e_tag().unwrap())
                .build(),
        );
    }
    let completion = CompletedMultipartUpload::builder()
        .set_parts(Some(completed))
        .build();
    for s3 in &clients {
        s3.head_bucket().bucket(&bucket).send().await.unwrap();
    }
    let start = Arc::new(tokio::sync::Barrier::new(clients.len()));
    let completions: Vec<_> = clients
        .iter()
        .map(|s3| {
            let (s3, bucket, upload_id, completion, start) = (
                s3.clone(),
                bucket.clone(),
                upload_id.clone(),
                completion.clone(),
                start.clone(),
            );
            tokio::spawn(async move {
                start.wait().await;
                s3.complete_multipart_upload()
                    .bucket(&bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .multipart_upload(completion)
                    .send()
                    .await
            })
        })
        .collect();
    let (mut answers, mut succeeded) = (HashSet::new(), 0);
    for (gateway, completion) in completions.into_iter().enumerate() {
        match completion.await.unwrap() {
            Ok(out) => {
                succeeded += 1;
                answers.insert((
                    out.e_tag().unwrap().to_owned(),
                    out.version_id().unwrap().to_owned(),
                ));
            }
            // What AWS answers a completion of an upload completed meanwhile.
            Err(e) => assert_eq!(
                (err_status(&e), e.code()),
                (Some(404), Some("NoSuchUpload")),
                "gateway {gateway}: {e:?}"
            ),
        }
    }
    // Every success names the one version made.
    eprintln!("{succeeded} of 4 completions succeeded (the others answered NoSuchUpload)");
    assert_eq!(answers.len(), 1, "{answers:?}");
    let (etag, version) = answers.into_iter().next().unwrap();
    let listed = clients[3]
        .list_object_versions()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let versions: Vec<(&str, &str)> = listed
        .versions()
        .iter()
        .map(|v| (v.e_tag().unwrap(), v.version_id().unwrap()))
        .collect();
    assert_eq!(versions, [(etag.as_str(), version.as_str())]);
    assert!(listed.delete_markers().is_empty());
    let whole = md5_hex(&parts.concat());
    for s3 in &clients {
        assert_eq!(md5_hex(&get(s3, &bucket, key).await), whole);
    }
}

/// Sends `gateway` a signed `PUT target` of `body` but only the first half
/// of the body, and returns the connection: the request stays in flight.
fn half_sent_put(gateway: &Horreo, target: &str, body: &[u8]) -> TcpStream {
    let authority = gateway.authority();
    let signed = sigv4_headers(
        &gateway.credentials(),
        SystemTime::now(),
        "PUT",
        &authority,
        target,
        &[],
        body,
    );
    let mut head = format!(
        "PUT {target} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in signed {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = TcpStream::connect(&authority).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..body.len() / 2]).unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_lease_holder_loses_no_acknowledged_write_and_its_work_moves_once() {
    let Some((_turn, mut gateways)) = take_turn(3).await else {
        return;
    };
    let holder = tokio::task::block_in_place(|| lease_holder(&gateways.iter().collect::<Vec<_>>()));
    let s3 = client(&gateways[holder]);
    let bucket = unique_bucket_name("killed");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    // Acknowledged by the holder before it dies: PUTs, and two parts of an
    // upload.
    let mut objects = Vec::new();
    for n in 0..4 {
        let (key, body) = (format!("put-{n}"), random_bytes(BLOB_SIZE));
        s3.put_object()
            .bucket(&bucket)
            .key(&key)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
        objects.push((key, body));
    }
    let upload = s3
        .create_multipart_upload()
        .bucket(&bucket)
        .key("mp")
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap().to_owned();
    let parts = [random_bytes(5 * MIB), random_bytes(BLOB_SIZE)];
    let mut acked = Vec::new();
    for (number, part) in (1..).zip(&parts) {
        let out = s3
            .upload_part()
            .bucket(&bucket)
            .key("mp")
            .upload_id(&upload_id)
            .part_number(number)
            .body(ByteStream::from(part.clone()))
            .send()
            .await
            .unwrap();
        acked.push((number, out.e_tag().unwrap().to_owned()));
    }

    // A third part and a large PUT are half sent when the holder is killed.
    let dying = &gateways[holder];
    let in_flight = tokio::task::block_in_place(|| {
        let part = half_sent_put(
            dying,
            &format!("/{bucket}/mp?partNumber=3&uploadId={upload_id}"),
            &random_bytes(2 * MIB),
        );
        let put = half_sent_put(dying, &format!("/{bucket}/large"), &random_bytes(16 * MIB));
        wait_for("both uploads to be in flight", || {
            metric(dying, "horreo_s3_requests_in_flight") == 2
        });
        [part, put]
    });
    tokio::task::block_in_place(|| gateways[holder].kill9());
    for mut connection in in_flight {
        let mut answer = Vec::new();
        let _ = connection.read_to_end(&mut answer);
        assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    }

    let live: Vec<&Horreo> = (0..gateways.len())
        .filter(|&i| i != holder)
        .map(|i| &gateways[i])
        .collect();
    // Everything acknowledged reads back through every live gateway; nothing
    // of what was in flight is visible.
    for gateway in &live {
        let s3 = client(gateway);
        for (key, body) in &objects {
            assert_eq!(md5_hex(&get(&s3, &bucket, key).await), md5_hex(body));
        }
        let listed = s3
            .list_parts()
            .bucket(&bucket)
            .key("mp")
            .upload_id(&upload_id)
            .send()
            .await
            .unwrap();
        let listed: Vec<(i32, String)> = listed
            .parts()
            .iter()
            .map(|p| (p.part_number().unwrap(), p.e_tag().unwrap().to_owned()))
            .collect();
        assert_eq!(listed, acked);
        let large = s3.head_object().bucket(&bucket).key("large").send().await;
        assert_eq!(large.map_err(|e| err_status(&e)).err(), Some(Some(404)));
    }

    // The lease moves to exactly one live gateway.
    let holder = tokio::task::block_in_place(|| lease_holder(&live));
    let (holder, other) = (live[holder], live[1 - holder]);

    // The upload completes through the other gateway from its acknowledged parts.
    let s3 = client(other);
    let completion = acked
        .iter()
        .map(|(number, etag)| {
            CompletedPart::builder()
                .part_number(*number)
                .e_tag(etag)
                .build()
        })
        .collect();
    s3.complete_multipart_upload()
        .bucket(&bucket)
        .key("mp")
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completion))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        md5_hex(&get(&s3, &bucket, "mp").await),
        md5_hex(&parts.concat())
    );

    // Deleting it all frees one blob per object and per part: the new
    // holder's gc deletes each once, the other gateway's none.
    let pending = |g: &Horreo| metric(g, "horreo_gc_pending_blobs");
    let reclaimed = |g: &Horreo| metric(g, "horreo_gc_reclaimed_blobs_total");
    tokio::task::block_in_place(|| wait_for("an empty gc backlog", || pending(holder) == 0));
    let before = (reclaimed(holder), reclaimed(other));
    for key in objects.iter().map(|(key, _)| key.as_str()).chain(["mp"]) {
        s3.delete_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap();
    }
    let freed = (objects.len() + parts.len()) as u64;
    tokio::task::block_in_place(|| {
        wait_for("the freed blobs to be deleted", || {
            pending(other) == 0
                && reclaimed(holder) + reclaimed(other) >= before.0 + before.1 + freed
        });
    });
    let after = (reclaimed(holder), reclaimed(other));
    eprintln!("gc reclaimed {after:?} blobs (new holder, other), {before:?} before the deletes");
    assert_eq!((after.0 - before.0, after.1 - before.1), (freed, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_stopped_cleanly_hands_the_lease_over_at_once() {
    let Some(cluster) = cluster() else {
        return;
    };
    let _turn = TURN.lock().await;
    tokio::task::block_in_place(|| {
        // An hour's lease: only its release lets the other gateway take it
        // within the minute `wait_for` allows.
        let mut gateways = gateways(cluster, 2, "3600");
        let holder = lease_holder(&gateways.iter().collect::<Vec<_>>());
        assert!(gateways[holder].stop(), "SIGTERM did not stop the holder");
        let other = &gateways[1 - holder];
        wait_for("the other gateway to take the lease over", || {
            metric(other, "horreo_workers_lease_held") == 1
        });
    });
}
