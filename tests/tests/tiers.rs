//! Storage tiers with aws-sdk-s3: a server started with two tier directories
//! (`--tier STANDARD_IA=A --tier GLACIER_IR=B`) and a lifecycle day of one
//! second. Objects written with a class land in its directory, multipart parts
//! too; a lifecycle transition (of the worker, or of `horreo admin lifecycle
//! run`) and a CopyObject that changes the class move the files, encrypted ones
//! too; reads work before, during and after, and after a restart; a kill -9
//! in the middle of transitions loses nothing and leaves `horreo fsck` clean.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, CompletedMultipartUpload, CompletedPart, ExpirationStatus,
    LifecycleRule, LifecycleRuleFilter, StorageClass, Transition, TransitionStorageClass,
};
use horreo_tests::{Horreo, eventually, horreo_binary, random_bytes, unique_bucket_name};

/// Larger than the inline threshold (a blob file) and than the smallest
/// object lifecycle transitions by default (128 KiB).
const SIZE: usize = 130 * 1024;

/// Two tier directories beside a server that uses them.
struct Tiered {
    server: Horreo,
    _dirs: tempfile::TempDir,
    ia: PathBuf,
    glacier_ir: PathBuf,
}

impl Tiered {
    fn start() -> Self {
        let dirs = tempfile::tempdir().unwrap();
        let (ia, glacier_ir) = (dirs.path().join("ia"), dirs.path().join("glacier-ir"));
        let server = Horreo::options()
            .arg("--lifecycle-day-seconds")
            .arg("1")
            .arg("--tier")
            .arg(&format!("STANDARD_IA={}", ia.display()))
            .arg("--tier")
            .arg(&format!("GLACIER_IR={}", glacier_ir.display()))
            .start();
        Self {
            server,
            _dirs: dirs,
            ia,
            glacier_ir,
        }
    }

    /// Blob files in (main, STANDARD_IA, GLACIER_IR).
    fn files(&self) -> (usize, usize, usize) {
        (
            blob_files(self.server.data_dir()),
            blob_files(&self.ia),
            blob_files(&self.glacier_ir),
        )
    }

    /// `horreo fsck` over every tier, on the stopped server: its output if clean.
    fn fsck_clean(&mut self) -> String {
        assert!(self.server.stop());
        let out = Command::new(horreo_binary())
            .arg("fsck")
            .arg("--data-dir")
            .arg(self.server.data_dir())
            .arg("--tier")
            .arg(format!("STANDARD_IA={}", self.ia.display()))
            .arg("--tier")
            .arg(format!("GLACIER_IR={}", self.glacier_ir.display()))
            .env_remove("HORREO_DATA_DIR")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "fsck: {text}");
        text
    }
}

/// Files under a directory's blob store.
fn blob_files(dir: &Path) -> usize {
    fn walk(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() { walk(&path) } else { 1 }
                })
                .sum()
        })
    }
    walk(&dir.join("blobs"))
}

fn body(i: usize) -> Vec<u8> {
    let mut b = random_bytes(SIZE);
    b[0] = i as u8;
    b
}

async fn put(s3: &Client, bucket: &str, key: &str, data: &[u8], class: StorageClass) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .storage_class(class)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap();
}

async fn get(s3: &Client, bucket: &str, key: &str) -> (Vec<u8>, Option<StorageClass>) {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let class = out.storage_class().cloned();
    (out.body.collect().await.unwrap().to_vec(), class)
}

async fn transition_rule(s3: &Client, bucket: &str, prefix: &str, class: TransitionStorageClass) {
    let rule = LifecycleRule::builder()
        .id("cold")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
        .transitions(Transition::builder().days(0).storage_class(class).build())
        .build()
        .unwrap();
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn classes_land_in_their_tier_and_transitions_move_the_files() {
    let mut t = Tiered::start();
    let s3 = t.server.client();
    let bucket = unique_bucket_name("tiers");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let bodies: Vec<Vec<u8>> = (0..4).map(body).collect();
    for (i, b) in bodies.iter().enumerate() {
        put(&s3, &bucket, &format!("hot/{i}"), b, StorageClass::Standard).await;
    }
    put(&s3, &bucket, "ia/0", &bodies[0], StorageClass::StandardIa).await;
    assert_eq!(t.files(), (4, 1, 0), "each object in its class's directory");

    // A multipart upload of class STANDARD_IA writes its parts into that tier.
    let upload = s3
        .create_multipart_upload()
        .bucket(&bucket)
        .key("ia/multi")
        .storage_class(StorageClass::StandardIa)
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap();
    let part1 = random_bytes(5 * 1024 * 1024);
    let part2 = random_bytes(1000);
    let mut parts = Vec::new();
    for (n, data) in [(1, &part1), (2, &part2)] {
        let out = s3
            .upload_part()
            .bucket(&bucket)
            .key("ia/multi")
            .upload_id(upload_id)
            .part_number(n)
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .build(),
        );
    }
    assert_eq!(t.files(), (4, 3, 0), "parts land in the upload's tier");
    s3.complete_multipart_upload()
        .bucket(&bucket)
        .key("ia/multi")
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (got, class) = get(&s3, &bucket, "ia/multi").await;
    assert_eq!(got, [part1.clone(), part2.clone()].concat());
    assert_eq!(class, Some(StorageClass::StandardIa));

    // A transition of hot/ to GLACIER_IR moves their files; every GET while
    // it runs and after it returns the same bytes.
    transition_rule(&s3, &bucket, "hot/", TransitionStorageClass::GlacierIr).await;
    eventually("the hot/ objects to move to GLACIER_IR", || {
        let (s3, bucket, bodies) = (s3.clone(), bucket.clone(), bodies.clone());
        let files = t.files();
        async move {
            let mut moved = 0;
            for (i, b) in bodies.iter().enumerate() {
                let (got, class) = get(&s3, &bucket, &format!("hot/{i}")).await;
                assert_eq!(&got, b, "hot/{i} reads the same during the move");
                moved += usize::from(class == Some(StorageClass::GlacierIr));
            }
            moved == bodies.len() && files == (0, 3, 4)
        }
    })
    .await;

    // CopyObject onto itself with a new class moves the data too.
    s3.copy_object()
        .bucket(&bucket)
        .key("ia/0")
        .copy_source(format!("{bucket}/ia/0"))
        .storage_class(StorageClass::GlacierIr)
        .send()
        .await
        .unwrap();
    eventually("the copy's old file to be freed", || {
        let files = t.files();
        async move { files == (0, 2, 5) }
    })
    .await;
    assert_eq!(get(&s3, &bucket, "ia/0").await.0, bodies[0]);

    // A restart keeps everything where it is and readable.
    t.server.restart();
    let s3 = t.server.client();
    for (i, b) in bodies.iter().enumerate() {
        let (got, class) = get(&s3, &bucket, &format!("hot/{i}")).await;
        assert_eq!(&got, b);
        assert_eq!(class, Some(StorageClass::GlacierIr));
    }
    assert_eq!(
        get(&s3, &bucket, "ia/multi").await.0,
        [part1, part2].concat()
    );
    assert_eq!(t.files(), (0, 2, 5));
    t.fsck_clean();
}

#[tokio::test]
async fn a_kill_during_transitions_loses_nothing_and_leaves_no_dangling_blob() {
    let mut t = Tiered::start();
    let s3 = t.server.client();
    let bucket = unique_bucket_name("tiers-crash");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    const COUNT: usize = 150;
    for i in 0..COUNT {
        let data = vec![(i % 251) as u8; SIZE];
        put(
            &s3,
            &bucket,
            &format!("c/{i:04}"),
            &data,
            StorageClass::Standard,
        )
        .await;
    }
    transition_rule(&s3, &bucket, "c/", TransitionStorageClass::GlacierIr).await;
    let moved = |s3: Client, bucket: String| async move {
        let out = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
        assert_eq!(
            out.contents().len(),
            COUNT,
            "no object is lost or duplicated"
        );
        out.contents()
            .iter()
            .filter(|o| {
                o.storage_class() == Some(&aws_sdk_s3::types::ObjectStorageClass::GlacierIr)
            })
            .count()
    };
    eventually("the transitions to start", || {
        let (s3, bucket) = (s3.clone(), bucket.clone());
        async move { moved(s3, bucket).await > 0 }
    })
    .await;
    t.server.kill9();
    t.server.start_again();
    let s3 = t.server.client();
    eventually("every transition to be done after the restart", || {
        let (s3, bucket) = (s3.clone(), bucket.clone());
        async move { moved(s3, bucket).await == COUNT }
    })
    .await;
    for i in (0..COUNT).step_by(7) {
        let (got, _) = get(&s3, &bucket, &format!("c/{i:04}")).await;
        assert_eq!(got, vec![(i % 251) as u8; SIZE], "c/{i:04}");
    }
    // The old files go through gc; a copy the kill left uncommitted is an
    // orphan the start-up sweep set aside, never a file a record points at.
    eventually("the old files to be freed", || {
        let files = t.files();
        async move { files == (0, 0, COUNT) }
    })
    .await;
    t.fsck_clean();
}

#[tokio::test]
async fn admin_lifecycle_run_moves_data_between_the_tiers_it_is_given() {
    let dirs = tempfile::tempdir().unwrap();
    let cold = dirs.path().join("cold");
    let tier = format!("GLACIER_IR={}", cold.display());
    // A lifecycle day of a real day: only the command below acts.
    let mut server = Horreo::options().arg("--tier").arg(&tier).start();
    let s3 = server.client();
    let bucket = unique_bucket_name("tiers-admin");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    // The rule comes first: each write then indexes its key as due.
    transition_rule(&s3, &bucket, "", TransitionStorageClass::GlacierIr).await;
    let data = body(9);
    put(&s3, &bucket, "k", &data, StorageClass::Standard).await;
    // Encrypted content moves as stored and still decrypts.
    s3.put_object()
        .bucket(&bucket)
        .key("sealed")
        .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    assert!(server.stop());
    // As in lifecycle.rs: with one-second days, both are due two seconds from now.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let out = server.admin_ok(&[
        "lifecycle",
        "run",
        "--lifecycle-day-seconds",
        "1",
        "--tier",
        &tier,
    ]);
    assert!(out.contains(", 2 transitioned,"), "{out}");
    assert_eq!(blob_files(&cold), 2);
    server.start_again();
    for key in ["k", "sealed"] {
        let (got, class) = get(&server.client(), &bucket, key).await;
        assert_eq!(got, data, "{key}");
        assert_eq!(class, Some(StorageClass::GlacierIr));
    }
}
