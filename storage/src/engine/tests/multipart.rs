use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::*;

fn upload_parts(engine: &Engine, key: &str, parts: &[Vec<u8>]) -> ObjectVersion {
    let k = ObjectKey::parse(key).unwrap();
    let upload = engine
        .create_upload(
            "bkt",
            &k,
            PutOptions::default(),
            Some(ChecksumAlgorithm::Crc32c),
            Some(ChecksumType::FullObject),
        )
        .unwrap();
    let mut listed = Vec::new();
    for (i, data) in parts.iter().enumerate() {
        let number = i as u32 + 1;
        let staged = engine
            .stage_part(&mut &data[..], &[ChecksumAlgorithm::Crc32c])
            .unwrap();
        let part = engine
            .put_part("bkt", key, &upload.upload_id, number, staged)
            .unwrap();
        listed.push(CompletedPart {
            number,
            etag: part.etag,
            checksums: Vec::new(),
        });
    }
    engine
        .complete_upload(
            "bkt",
            &k,
            &upload.upload_id,
            Completion {
                parts: listed,
                ..Default::default()
            },
        )
        .unwrap()
}

#[test]
fn any_range_of_a_multipart_object_reads_the_right_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(dir.path());
    bucket(&engine, "bkt");
    // Part boundaries fall inside blob chunks; the last part is tiny.
    let parts = vec![
        content(MIN_PART_SIZE as usize + 7, 1),
        content(MIN_PART_SIZE as usize, 2),
        content(3, 3),
    ];
    let whole = parts.concat();
    let version = upload_parts(&engine, "mp", &parts);
    assert_eq!(version.size, whole.len() as u64);
    assert_eq!(version.parts_count(), Some(3));
    assert_eq!(
        version.part_range(2),
        Some(parts[0].len() as u64..(parts[0].len() + parts[1].len()) as u64)
    );
    assert_eq!(version.part_range(4), None);
    // Each part keeps its size and its checksum in the upload's algorithm.
    let stored = engine
        .head_object("bkt", "mp", None)
        .unwrap()
        .parts()
        .unwrap();
    let expected: Vec<ObjectPart> = parts
        .iter()
        .zip(1..)
        .map(|(data, number)| ObjectPart {
            number,
            size: data.len() as u64,
            checksum: Some(base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                crc32c::crc32c(data).to_be_bytes(),
            )),
        })
        .collect();
    assert_eq!(stored, expected);
    // The full-object CRC32C is combined from the parts' CRCs without reading data.
    let crc = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        crc32c::crc32c(&whole).to_be_bytes(),
    );
    assert_eq!(
        version.checksums.get(ChecksumAlgorithm::Crc32c),
        Some(crc.as_str())
    );
    assert_eq!(get(&engine, "bkt", "mp", None).unwrap(), whole);

    let len = whole.len() as u64;
    let mut runner = TestRunner::new(Config::with_cases(64));
    runner
        .run(&(0..len, 0..len), |(a, b)| {
            let (start, end) = (a.min(b), a.max(b) + 1);
            let got = get(&engine, "bkt", "mp", Some(start..end)).unwrap();
            prop_assert!(got[..] == whole[start as usize..end as usize]);
            Ok(())
        })
        .unwrap();
}

#[test]
fn list_uploads_pages_match_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(dir.path());
    bucket(&engine, "bkt");
    let keys = ["a", "a", "a/b", "a/c/d", "b", "b/x", "c", "c", "c/y/z", "d"];
    let mut all = Vec::new();
    for key in keys {
        let k = ObjectKey::parse(key).unwrap();
        let u = engine
            .create_upload("bkt", &k, PutOptions::default(), None, None)
            .unwrap();
        all.push((key.to_owned(), u.upload_id));
    }
    // By key, then initiation (the sort is stable).
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let mut runner = TestRunner::new(Config::with_cases(64));
    let strategy = (
        prop::sample::select(vec!["", "a", "a/", "b", "c/"]),
        prop::option::of(Just("/")),
        1usize..4,
    );
    runner
        .run(&strategy, |(prefix, delimiter, max)| {
            // The model: uploads under the prefix, rolled up by the delimiter.
            let mut want: Vec<String> = Vec::new();
            for (key, id) in all.iter().filter(|(k, _)| k.starts_with(prefix)) {
                let entry = match delimiter.and_then(|d| key[prefix.len()..].find(d)) {
                    Some(i) => format!("prefix:{}", &key[..prefix.len() + i + 1]),
                    None => format!("{key}:{id}"),
                };
                if want.last() != Some(&entry) {
                    want.push(entry);
                }
            }
            let mut got = Vec::new();
            let mut query = UploadsQuery {
                prefix: prefix.to_owned(),
                delimiter: delimiter.map(str::to_owned),
                max_uploads: max,
                ..Default::default()
            };
            loop {
                let page = engine.list_uploads("bkt", &query).unwrap();
                prop_assert!(page.entries.len() <= max);
                for e in &page.entries {
                    got.push(match e {
                        UploadEntry::Upload(u) => format!("{}:{}", u.key, u.upload_id),
                        UploadEntry::CommonPrefix(p) => format!("prefix:{p}"),
                    });
                }
                if !page.is_truncated {
                    break;
                }
                query.key_marker = page.next_key_marker;
                query.upload_id_marker = page.next_upload_id_marker;
            }
            prop_assert_eq!(got, want);
            Ok(())
        })
        .unwrap();
}

#[test]
fn uploads_survive_a_reopen_and_go_with_their_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let engine = open_engine(dir.path());
        bucket(&engine, "bkt");
        let k = ObjectKey::parse("k").unwrap();
        let u = engine
            .create_upload("bkt", &k, PutOptions::default(), None, None)
            .unwrap();
        let staged = engine.stage_part(&mut &b"part"[..], &[]).unwrap();
        engine
            .put_part("bkt", "k", &u.upload_id, 1, staged)
            .unwrap();
        u.upload_id
    };
    let engine = open_engine(dir.path());
    let (_, page) = engine.list_parts("bkt", "k", &id, 0, 10).unwrap();
    assert_eq!(page.parts.len(), 1);
    assert_eq!(page.parts[0].size, 4);
    engine.delete_bucket("bkt").unwrap();
    bucket(&engine, "bkt");
    assert!(matches!(
        engine.list_parts("bkt", "k", &id, 0, 10),
        Err(Error::NoSuchUpload)
    ));
    eventually("the aborted part's blob to go", || {
        blob_files(dir.path()).is_empty()
    });
}
