//! The gateway on Ceph RADOS (`--backend rados`): metadata in omap, object
//! data striped over 4 MiB RADOS objects; stores in namespaces of one pool;
//! the harness's `HORREO_TOPOLOGY=rados3`. One throwaway cluster
//! (`tests/ceph/cluster.sh`) for the whole file; skipped on a machine without
//! the Ceph daemons unless `CI` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use horreo_tests::ceph::Cluster;
use horreo_tests::get_bytes as get;
use horreo_tests::{
    Horreo, Topology, err_status, eventually, md5_hex, multipart_upload, random_bytes,
    random_string, unique_bucket_name, xml_element,
};

const MIB: usize = 1 << 20;

async fn put(s3: &Client, bucket: &str, key: &str, data: &[u8]) -> Option<String> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT {key}: {e:?}"))
        .version_id
}

fn same(got: &[u8], want: &[u8]) -> bool {
    got.len() == want.len() && md5_hex(got) == md5_hex(want)
}

/// What the test wrote, to read back after a restart and from a second gateway.
struct Written {
    bucket: String,
    versioned: String,
    objects: Vec<(String, Vec<u8>)>,
    /// The versions of key `v` in `versioned`, oldest first.
    versions: Vec<(String, Vec<u8>)>,
}

async fn buckets_list_and_delete(s3: &Client) -> String {
    let bucket = unique_bucket_name("rados");
    let gone = unique_bucket_name("rados-gone");
    for b in [&bucket, &gone] {
        s3.create_bucket().bucket(b).send().await.unwrap();
    }
    s3.delete_bucket().bucket(&gone).send().await.unwrap();
    let names: Vec<String> = s3
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name.clone())
        .collect();
    assert!(names.contains(&bucket), "{names:?}");
    assert!(!names.contains(&gone), "{names:?}");
    bucket
}

/// Small (inline), striped and multipart objects, a ranged GET across the
/// first stripe boundary, an SSE-S3 object and a delimiter listing.
async fn objects(s3: &Client, bucket: &str) -> Vec<(String, Vec<u8>)> {
    let small = random_bytes(100);
    let striped = random_bytes(9 * MIB + 17);
    put(s3, bucket, "dir/small", &small).await;
    put(s3, bucket, "dir/striped", &striped).await;
    put(s3, bucket, "other/x", b"x").await;
    put(s3, bucket, "top", b"top").await;
    assert!(same(&get(s3, bucket, "dir/small").await, &small));
    assert!(same(&get(s3, bucket, "dir/striped").await, &striped));

    // The blob's first stripe ends just before 4 MiB of content (the chunk
    // header and checksums come first): this range spans it.
    let (from, to) = (4 * MIB - 70_000, 4 * MIB + 70_000);
    let ranged = s3
        .get_object()
        .bucket(bucket)
        .key("dir/striped")
        .range(format!("bytes={from}-{to}"))
        .send()
        .await
        .unwrap();
    let body = ranged.body.collect().await.unwrap().into_bytes();
    assert!(same(&body, &striped[from..=to]));

    let listing = s3
        .list_objects_v2()
        .bucket(bucket)
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let prefixes: Vec<&str> = listing
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    let keys: Vec<&str> = listing.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(prefixes, ["dir/", "other/"]);
    assert_eq!(keys, ["top"]);

    let parts = [random_bytes(5 * MIB), random_bytes(MIB + 3)];
    multipart_upload(s3, bucket, "multipart", &parts).await;
    let whole = parts.concat();
    assert!(same(&get(s3, bucket, "multipart").await, &whole));

    let secret = random_bytes(5 * MIB + 1);
    s3.put_object()
        .bucket(bucket)
        .key("sse")
        .server_side_encryption(ServerSideEncryption::Aes256)
        .body(ByteStream::from(secret.clone()))
        .send()
        .await
        .unwrap();
    let out = s3
        .get_object()
        .bucket(bucket)
        .key("sse")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    assert!(same(
        &out.body.collect().await.unwrap().into_bytes(),
        &secret
    ));

    vec![
        ("dir/small".into(), small),
        ("dir/striped".into(), striped),
        ("multipart".into(), whole),
        ("sse".into(), secret),
    ]
}

/// Two versions of `v` and a delete marker over them.
async fn versions(s3: &Client) -> (String, Vec<(String, Vec<u8>)>) {
    let bucket = horreo_tests::versioned_bucket(s3, "rados-versions").await;
    let mut versions = Vec::new();
    for data in [random_bytes(10), random_bytes(5 * MIB)] {
        let id = put(s3, &bucket, "v", &data).await.unwrap();
        versions.push((id, data));
    }
    let marker = s3
        .delete_object()
        .bucket(&bucket)
        .key("v")
        .send()
        .await
        .unwrap();
    assert_eq!(marker.delete_marker(), Some(true));
    (bucket, versions)
}

/// Everything `written` holds reads back through `s3`, the delete marker hides
/// `v`, and its versions still read by id.
async fn assert_served(s3: &Client, written: &Written, who: &str) {
    for (key, data) in &written.objects {
        assert!(
            same(&get(s3, &written.bucket, key).await, data),
            "{who}: {key}"
        );
    }
    let hidden = s3
        .get_object()
        .bucket(&written.versioned)
        .key("v")
        .send()
        .await;
    let hidden = hidden.expect_err("the delete marker hides v");
    assert_eq!(err_status(&hidden), Some(404), "{who}");
    for (id, data) in &written.versions {
        let out = s3
            .get_object()
            .bucket(&written.versioned)
            .key("v")
            .version_id(id)
            .send()
            .await
            .unwrap();
        let body = out.body.collect().await.unwrap().into_bytes();
        assert!(same(&body, data), "{who}: version {id}");
    }
    let listed = s3
        .list_object_versions()
        .bucket(&written.versioned)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.versions().len(), 2, "{who}");
    assert_eq!(listed.delete_markers().len(), 1, "{who}");
}

#[tokio::test]
async fn gateways_on_one_rados_pool_serve_the_same_objects() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let mut first = cluster.gateway().start();
    let s3 = first.client();
    let bucket = buckets_list_and_delete(&s3).await;
    let objects = objects(&s3, &bucket).await;
    let (versioned, versions) = versions(&s3).await;
    let written = Written {
        bucket,
        versioned,
        objects,
        versions,
    };

    first.restart();
    assert_served(&first.client(), &written, "after a restart").await;

    // A second gateway on the same pool, with the same root credentials and
    // master key: it serves the first one's objects (SSE ones included), and
    // the first serves what the second writes.
    let second = cluster
        .gateway()
        .env("HORREO_ROOT_ACCESS_KEY", first.access_key())
        .env("HORREO_ROOT_SECRET_KEY", first.secret_key())
        .env("HORREO_MASTER_KEY", first.master_key())
        .start();
    let s3_second = second.client_with(first.access_key(), first.secret_key());
    assert_served(&s3_second, &written, "the second gateway").await;
    let data = random_bytes(6 * MIB);
    put(&s3_second, &written.bucket, "from-second", &data).await;
    assert!(same(
        &get(&first.client(), &written.bucket, "from-second").await,
        &data
    ));
}

async fn bucket_names(s3: &Client) -> Vec<String> {
    let out = s3.list_buckets().send().await.unwrap();
    out.buckets()
        .iter()
        .filter_map(|b| b.name.clone())
        .collect()
}

/// Two stores in namespaces of one pool (`--rados-namespace`): each has a
/// bucket of the same name, and neither sees the other's buckets or objects.
#[tokio::test]
async fn stores_in_different_namespaces_of_one_pool_see_nothing_of_each_other() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let store = |name: &str| {
        let namespace = format!("{name}-{}", random_string(8));
        cluster
            .gateway()
            .arg("--rados-namespace")
            .arg(&namespace)
            .start()
    };
    let (a, b) = (store("a"), store("b"));
    let (s3a, s3b) = (a.client(), b.client());
    let bucket = unique_bucket_name("namespaced");
    for s3 in [&s3a, &s3b] {
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
    }
    put(&s3a, &bucket, "k", b"from a").await;
    let only_a = unique_bucket_name("only-a");
    s3a.create_bucket().bucket(&only_a).send().await.unwrap();

    assert_eq!(bucket_names(&s3b).await, std::slice::from_ref(&bucket));
    let missing = s3b.get_object().bucket(&bucket).key("k").send().await;
    assert_eq!(err_status(&missing.expect_err("b has no k")), Some(404));
    // b's bucket of that name is empty, so it goes; a's stays with its object.
    s3b.delete_bucket().bucket(&bucket).send().await.unwrap();
    assert_eq!(get(&s3a, &bucket, "k").await, b"from a");
    let mut names = bucket_names(&s3a).await;
    names.sort();
    let mut want = [bucket, only_a];
    want.sort();
    assert_eq!(names, want);
}

/// What `HORREO_TOPOLOGY=rados3` runs: a client's requests spread over three
/// gateways of one store, and what needs one process refuses to run.
#[tokio::test]
async fn the_rados3_topology_serves_one_store_through_three_gateways() {
    if Cluster::shared().is_none() {
        return;
    }
    let mut horreo = Horreo::options().topology(Topology::Rados3).start();
    let s3 = horreo.client();
    let bucket = unique_bucket_name("rados3");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    for n in 0..6 {
        put(&s3, &bucket, &format!("k{n}"), &[n]).await;
    }
    for n in 0..6 {
        assert_eq!(get(&s3, &bucket, &format!("k{n}")).await, [n]);
    }
    assert_eq!(horreo.gateways().len(), 3);
    for (i, gateway) in horreo.gateways().iter().enumerate() {
        let puts = gateway.log().matches("operation=\"PutObject\"").count();
        assert!(puts > 0, "gateway {i} served no PUT:\n{}", gateway.log());
    }

    // A restart restarts every gateway; the store is in RADOS.
    horreo.restart();
    for n in 0..6 {
        assert_eq!(get(&s3, &bucket, &format!("k{n}")).await, [n]);
    }
    let kill = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| horreo.kill9()));
    let message = kill.expect_err("kill9 needs one process");
    let message = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("HORREO_TOPOLOGY=rados3"), "{message}");
}

/// Whether `gateway` lists buckets for the key pair.
async fn lists_buckets(gateway: &Horreo, access_key: &str, secret_key: &str) -> bool {
    let listed = gateway
        .client_with(access_key, secret_key)
        .list_buckets()
        .send()
        .await;
    listed.is_ok()
}

/// A key made through the balancer signs on every gateway, and stops once
/// deleted through it: gateways read IAM changes made elsewhere again.
#[tokio::test]
async fn iam_changes_through_one_gateway_apply_on_every_gateway() {
    if Cluster::shared().is_none() {
        return;
    }
    let horreo = Horreo::options().topology(Topology::Rados3).start();
    let iam = |params: &[(&str, &str)]| {
        let response = horreo.iam(None, params);
        assert_eq!(response.status, 200, "{params:?}: {}", response.text());
        response.text()
    };
    const V: (&str, &str) = ("Version", "2010-05-08");
    iam(&[("Action", "CreateUser"), V, ("UserName", "carol")]);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#;
    iam(&[
        ("Action", "PutUserPolicy"),
        V,
        ("UserName", "carol"),
        ("PolicyName", "list"),
        ("PolicyDocument", policy),
    ]);
    let created = iam(&[("Action", "CreateAccessKey"), V, ("UserName", "carol")]);
    let id = xml_element(&created, "AccessKeyId").unwrap();
    let secret = xml_element(&created, "SecretAccessKey").unwrap();
    for gateway in horreo.gateways() {
        eventually("the new key to sign on every gateway", || {
            lists_buckets(gateway, &id, &secret)
        })
        .await;
    }
    iam(&[
        ("Action", "DeleteAccessKey"),
        V,
        ("UserName", "carol"),
        ("AccessKeyId", &id),
    ]);
    for gateway in horreo.gateways() {
        eventually("the deleted key to be refused on every gateway", || async {
            !lists_buckets(gateway, &id, &secret).await
        })
        .await;
    }
}
