//! Encryption at rest through the engine: every mode, ranges, parts, keys.

use std::io::Read;

use super::*;
use crate::crypto::Key256;

fn open_encrypted(dir: &Path, master: &Key256) -> Result<Engine> {
    let mut config = EngineConfig::new(dir);
    config.inline_threshold = 1024;
    config.master_key = Some(master.clone());
    Engine::open(config)
}

fn put_sse(e: &Engine, key: &str, data: &[u8], sse: &SseRequest) -> ObjectVersion {
    let blob = e.stage_sse(&mut &data[..], &[], Some(sse)).unwrap();
    e.put_object(
        "bkt",
        &ObjectKey::parse(key).unwrap(),
        blob,
        PutOptions::default(),
    )
    .unwrap()
}

fn read(
    e: &Engine,
    key: &str,
    range: Option<Range<u64>>,
    customer: Option<&CustomerKey>,
) -> Result<Vec<u8>> {
    let v = e.head_object("bkt", key, None)?;
    let mut out = Vec::new();
    e.open_object_sse("bkt", &v, range, customer)?
        .read_to_end(&mut out)
        .map_err(read_error)?;
    Ok(out)
}

/// Every file under `dir`, read whole.
fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_files(&path));
        } else if let Ok(data) = std::fs::read(&path) {
            out.push((path, data));
        }
    }
    out
}

fn customer(byte: u8) -> CustomerKey {
    CustomerKey::new([byte; 32], format!("md5-of-{byte}"))
}

#[test]
fn every_mode_round_trips_inline_and_in_blobs_with_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_encrypted(dir.path(), &Key256::random()).unwrap();
    bucket(&e, "bkt");
    let c = customer(1);
    let modes = [
        SseRequest::S3,
        SseRequest::Kms {
            key_id: None,
            context: Some("ctx".into()),
            bucket_key: true,
        },
        SseRequest::Customer(c.clone()),
    ];
    for (m, sse) in modes.iter().enumerate() {
        for len in [0usize, 5, 1024, 1025, 200_000] {
            let data = content(len, m as u8);
            let key = format!("k{m}-{len}");
            let v = put_sse(&e, &key, &data, sse);
            assert!(v.encryption.is_some());
            let ck = matches!(sse, SseRequest::Customer(_)).then_some(&c);
            assert_eq!(read(&e, &key, None, ck).unwrap(), data, "{key}");
            if len > 10 {
                let r = 3..len as u64 - 2;
                assert_eq!(
                    read(&e, &key, Some(r.clone()), ck).unwrap(),
                    &data[r.start as usize..r.end as usize]
                );
            }
        }
    }
    let v = e.head_object("bkt", "k1-5", None).unwrap();
    match v.encryption {
        Some(ObjectEncryption::Kms {
            key_id,
            context,
            bucket_key,
        }) => {
            assert_eq!(key_id, e.kms_resolve(None).unwrap());
            assert_eq!(context.as_deref(), Some("ctx"));
            assert!(bucket_key);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn customer_keys_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_encrypted(dir.path(), &Key256::random()).unwrap();
    bucket(&e, "bkt");
    put_sse(
        &e,
        "c",
        &content(5000, 1),
        &SseRequest::Customer(customer(1)),
    );
    put_sse(&e, "s", &content(10, 1), &SseRequest::S3);
    assert!(matches!(
        read(&e, "c", None, None),
        Err(Error::SseCustomerKeyRequired)
    ));
    assert!(matches!(
        read(&e, "c", None, Some(&customer(2))),
        Err(Error::SseCustomerKeyMismatch)
    ));
    assert!(matches!(
        read(&e, "s", None, Some(&customer(1))),
        Err(Error::SseNotApplicable)
    ));
    let v = e.head_object("bkt", "c", None).unwrap();
    v.check_customer_key(Some(&customer(1))).unwrap();
    assert!(v.check_customer_key(Some(&customer(3))).is_err());
}

#[test]
fn nothing_on_disk_holds_the_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_encrypted(dir.path(), &Key256::random()).unwrap();
    bucket(&e, "bkt");
    let marker = b"PLAINTEXT-MARKER-0123456789";
    let data: Vec<u8> = marker.iter().copied().cycle().take(300_000).collect();
    put_sse(&e, "big", &data, &SseRequest::S3);
    put_sse(&e, "small", &data[..100], &SseRequest::S3);
    drop(e);
    for (path, bytes) in all_files(dir.path()) {
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker),
            "{} holds the plaintext",
            path.display()
        );
    }
}

#[test]
fn flipped_byte_in_an_encrypted_blob_fails_the_read() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_encrypted(dir.path(), &Key256::random()).unwrap();
    bucket(&e, "bkt");
    let data = content(200_000, 3);
    let v = put_sse(&e, "k", &data, &SseRequest::S3);
    let DataLoc::Blob { id, .. } = v.data.0 else {
        panic!("not a blob")
    };
    let path = crate::blob::LocalBlobs::open(dir.path()).unwrap().path(id);
    let mut raw = std::fs::read(&path).unwrap();
    raw[100_000] ^= 0x04;
    std::fs::write(&path, raw).unwrap();
    assert!(matches!(read(&e, "k", None, None), Err(Error::Corrupt(_))));
    // Chunks before the damaged one still read.
    assert_eq!(read(&e, "k", Some(0..1000), None).unwrap(), &data[..1000]);
}

#[test]
fn wrong_master_key_refuses_and_rotation_keeps_data_readable() {
    let dir = tempfile::tempdir().unwrap();
    let old = Key256::random();
    let e = open_encrypted(dir.path(), &old).unwrap();
    bucket(&e, "bkt");
    e.kms_create_key("app").unwrap();
    let data = content(100_000, 9);
    put_sse(&e, "s3", &data, &SseRequest::S3);
    put_sse(&e, "small", &data[..10], &SseRequest::S3);
    put_sse(
        &e,
        "kms",
        &data,
        &SseRequest::Kms {
            key_id: Some("app".into()),
            context: None,
            bucket_key: false,
        },
    );
    drop(e);
    assert!(matches!(
        open_encrypted(dir.path(), &Key256::random()),
        Err(Error::WrongMasterKey)
    ));
    let new = Key256::random();
    let e = open_encrypted(dir.path(), &old).unwrap();
    assert!(e.rotate_master_key(&new).unwrap() >= 3);
    drop(e);
    assert!(matches!(
        open_encrypted(dir.path(), &old),
        Err(Error::WrongMasterKey)
    ));
    let e = open_encrypted(dir.path(), &new).unwrap();
    for key in ["s3", "kms"] {
        assert_eq!(read(&e, key, None, None).unwrap(), data);
    }
    assert_eq!(read(&e, "small", None, None).unwrap(), &data[..10]);
}

#[test]
fn multipart_parts_are_encrypted_with_the_upload_mode() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_encrypted(dir.path(), &Key256::random()).unwrap();
    bucket(&e, "bkt");
    let c = customer(7);
    let key = ObjectKey::parse("mp").unwrap();
    let opts = PutOptions {
        sse: Some(SseRequest::Customer(c.clone())),
        ..Default::default()
    };
    let upload = e.create_upload("bkt", &key, opts, None, None).unwrap();
    upload.check_customer_key(Some(&c)).unwrap();
    assert!(upload.check_customer_key(Some(&customer(8))).is_err());
    let parts = [content(MIN_PART_SIZE as usize, 1), content(1000, 2)];
    // A plain part does not fit an encrypted upload.
    let plain = e.stage_part(&mut &parts[1][..], &[]).unwrap();
    assert!(matches!(
        e.put_part("bkt", "mp", &upload.upload_id, 2, plain),
        Err(Error::EncryptionMismatch)
    ));
    let mut listed = Vec::new();
    for (i, data) in parts.iter().enumerate() {
        let staged = e
            .stage_part_sse(&mut &data[..], &[], Some(&SseRequest::Customer(c.clone())))
            .unwrap();
        let part = e
            .put_part("bkt", "mp", &upload.upload_id, i as u32 + 1, staged)
            .unwrap();
        listed.push(CompletedPart {
            number: part.number,
            etag: part.etag,
            checksums: Vec::new(),
        });
    }
    let v = e
        .complete_upload(
            "bkt",
            &key,
            &upload.upload_id,
            Completion {
                parts: listed,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(matches!(
        v.encryption,
        Some(ObjectEncryption::Customer { .. })
    ));
    let whole = parts.concat();
    assert_eq!(read(&e, "mp", None, Some(&c)).unwrap(), whole);
    let r = MIN_PART_SIZE - 10..MIN_PART_SIZE + 10;
    assert_eq!(
        read(&e, "mp", Some(r.clone()), Some(&c)).unwrap(),
        &whole[r.start as usize..r.end as usize]
    );
    assert!(matches!(
        read(&e, "mp", None, None),
        Err(Error::SseCustomerKeyRequired)
    ));
}

#[test]
fn a_store_that_never_used_its_master_key_accepts_another() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_encrypted(dir.path(), &Key256::random()).unwrap();
    bucket(&e, "bkt");
    put(&e, "bkt", "plain", b"plain").unwrap();
    // SSE-C seals under the customer's key, not the master key.
    put_sse(&e, "c", b"customer", &SseRequest::Customer(customer(1)));
    drop(e);
    let second = Key256::random();
    let e = open_encrypted(dir.path(), &second).unwrap();
    put_sse(&e, "s3", b"now it counts", &SseRequest::S3);
    drop(e);
    assert!(matches!(
        open_encrypted(dir.path(), &Key256::random()),
        Err(Error::WrongMasterKey)
    ));
    let e = open_encrypted(dir.path(), &second).unwrap();
    assert_eq!(read(&e, "s3", None, None).unwrap(), b"now it counts");
    assert_eq!(
        read(&e, "c", None, Some(&customer(1))).unwrap(),
        b"customer"
    );
}
