//! Several gateways on one RADOS pool: each engine here has its own
//! in-process locks and sequencer, and they share the metadata store (one
//! namespace of the test cluster) and one blob directory. Races between
//! them are settled by the store's guarded batches alone.

use std::collections::HashSet;
use std::sync::Barrier;

use md5::Digest;

use super::*;
use crate::meta::rados::test_cluster::test_cluster;
use crate::meta::records::{BlobId, BlobRef, ObjectData, decode};
use crate::meta::{Cf, RadosStore, keys};

/// `n` engines on one fresh namespace of the test cluster; `None` where
/// the cluster cannot run (see `test_cluster`). The directory holds the
/// shared blobs and each engine's own files.
fn gateways(n: usize) -> Option<(Vec<Engine>, tempfile::TempDir)> {
    let cluster = test_cluster()?;
    let dir = tempfile::tempdir().unwrap();
    let blobs: Arc<dyn BlobStore> = Arc::new(LocalBlobs::open(&dir.path().join("blobs")).unwrap());
    let engines = cluster
        .fresh_namespace_for(n)
        .into_iter()
        .enumerate()
        .map(|(i, io)| {
            let mut config = EngineConfig::new(dir.path().join(format!("gateway-{i}")));
            config.lifecycle.worker = false;
            let db: Arc<MetaDb> = Arc::new(MetaDb::new(RadosStore::open(io)));
            Engine::open_with(config, db, Arc::clone(&blobs)).unwrap()
        })
        .collect();
    Some((engines, dir))
}

/// Runs `op` on every engine at once (released together by a barrier) and
/// returns what each got.
fn race<T: Send>(engines: &[Engine], op: impl Fn(&Engine) -> T + Sync) -> Vec<T> {
    let start = Barrier::new(engines.len());
    std::thread::scope(|s| {
        let runs: Vec<_> = engines
            .iter()
            .map(|e| {
                let (start, op) = (&start, &op);
                s.spawn(move || {
                    start.wait();
                    op(e)
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

#[test]
fn eight_gateways_racing_put_if_none_match_store_exactly_one() {
    let Some((engines, _dir)) = gateways(8) else {
        return;
    };
    bucket(&engines[0], "bkt");
    let results = race(&engines, |e| {
        let body = format!("written by {:p}", e);
        let opts = PutOptions {
            precondition: Some(WritePrecondition::IfNoneMatchAny),
            ..Default::default()
        };
        put_with(e, "bkt", "once", body.as_bytes(), opts).map(|v| (v.etag, body))
    });
    let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    for lost in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(matches!(lost, Error::PreconditionFailed), "{lost}");
    }
    // Every gateway reads the winner's bytes.
    for e in &engines {
        assert_eq!(get(e, "bkt", "once", None).unwrap(), won[0].1.as_bytes());
    }
}

#[test]
fn concurrent_completions_of_one_upload_make_one_version() {
    let Some((engines, _dir)) = gateways(2) else {
        return;
    };
    bucket(&engines[0], "bkt");
    engines[0]
        .update_bucket("bkt", |b| {
            b.versioning = VersioningState::Enabled;
            Ok(())
        })
        .unwrap();
    let key = ObjectKey::parse("mp").unwrap();
    let upload = engines[0]
        .create_upload("bkt", &key, PutOptions::default(), None, None)
        .unwrap();
    let staged = engines[1]
        .stage_part(&mut &b"the only part"[..], &[])
        .unwrap();
    let part = engines[1]
        .put_part("bkt", "mp", &upload.upload_id, 1, staged)
        .unwrap();
    let completion = Completion {
        parts: vec![CompletedPart {
            number: 1,
            etag: part.etag,
            checksums: Vec::new(),
        }],
        ..Default::default()
    };
    let results = race(&engines, |e| {
        e.complete_upload("bkt", &key, &upload.upload_id, completion.clone())
    });
    // Both answer as a completion does (the later one as a retried one), with
    // the same version.
    let ids: HashSet<_> = results
        .iter()
        .map(|r| r.as_ref().unwrap().version_id.clone())
        .collect();
    assert_eq!(ids.len(), 1, "{results:?}");
    let page = engines[1]
        .list_object_versions(
            "bkt",
            &VersionsQuery {
                max_keys: 1000,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(page.entries.len(), 1, "{:?}", page.entries);
    assert_eq!(
        get(&engines[1], "bkt", "mp", None).unwrap(),
        b"the only part"
    );
}

#[test]
fn uploads_of_one_key_list_in_initiation_order_across_gateways() {
    let Some((engines, _dir)) = gateways(2) else {
        return;
    };
    bucket(&engines[0], "bkt");
    let key = ObjectKey::parse("k").unwrap();
    // Each gateway hands out sequences from its own block, the second's above
    // the first's: the third upload still lists last.
    let initiated: Vec<String> = [0, 1, 0]
        .into_iter()
        .map(|g| {
            engines[g]
                .create_upload("bkt", &key, PutOptions::default(), None, None)
                .unwrap()
                .upload_id
        })
        .collect();
    let query = UploadsQuery {
        max_uploads: 1000,
        ..Default::default()
    };
    let listed: Vec<String> = engines[1]
        .list_uploads("bkt", &query)
        .unwrap()
        .entries
        .into_iter()
        .filter_map(|e| match e {
            UploadEntry::Upload(u) => Some(u.upload_id),
            UploadEntry::CommonPrefix(_) => None,
        })
        .collect();
    assert_eq!(listed, initiated);
}

#[test]
fn two_gateways_creating_one_bucket_one_wins() {
    let Some((engines, _dir)) = gateways(2) else {
        return;
    };
    let name = BucketName::parse("contested").unwrap();
    let results = race(&engines, |e| {
        e.create_bucket(&name, "owner", "us-east-1", false)
    });
    let ids: Vec<u64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|b| b.id)
        .collect();
    assert_eq!(ids.len(), 1, "{results:?}");
    let lost = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert!(matches!(lost, Error::BucketAlreadyOwnedByYou), "{lost}");
    // And the next bucket gets an id of its own, whichever gateway makes it.
    let next = engines[1]
        .create_bucket(
            &BucketName::parse("second").unwrap(),
            "owner",
            "us-east-1",
            false,
        )
        .unwrap();
    assert_ne!(next.id, ids[0]);
}

/// Gateways started together on a new store each create the default account
/// (whose root owns the buckets) on first use: they must all end up with one.
#[test]
fn gateways_opening_a_new_store_at_once_agree_on_the_default_account() {
    let Some((engines, _dir)) = gateways(4) else {
        return;
    };
    let ids = race(&engines, |e| e.default_account().unwrap().id);
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(engines[0].accounts().unwrap().len(), 1);
}

#[test]
fn sequences_are_unique_across_gateways() {
    let Some((engines, _dir)) = gateways(3) else {
        return;
    };
    let per_gateway = race(&engines, |e| {
        let db = &e.inner.shared.db;
        std::thread::scope(|s| {
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        (0..200)
                            .map(|_| e.inner.seq.next(db).unwrap())
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect::<Vec<_>>()
        })
    });
    let all: Vec<u64> = per_gateway.into_iter().flatten().collect();
    let unique: HashSet<u64> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len());
}

#[test]
fn a_lease_moves_when_its_holder_stops_renewing() {
    let Some((engines, _dir)) = gateways(2) else {
        return;
    };
    // The workers run on exactly one gateway.
    let running = engines
        .iter()
        .filter(|e| e.inner.shared.runs_workers())
        .count();
    assert_eq!(running, 1);
    // And each knows it without asking the store again.
    let holding = engines.iter().filter(|e| e.holds_workers_lease()).count();
    assert_eq!(holding, 1);
    let (a, b) = (&engines[0].inner.shared.db, &engines[1].inner.shared.db);
    let term = Duration::from_secs(1);
    assert!(a.hold_lease("test", "a", term).unwrap());
    assert!(!b.hold_lease("test", "b", term).unwrap());
    assert!(a.hold_lease("test", "a", term).unwrap());
    // `a` stops renewing: `b` gets the lease once it runs out, and `a` has
    // lost it.
    let give_up = Instant::now() + Duration::from_secs(60);
    while !b.hold_lease("test", "b", term).unwrap() {
        assert!(Instant::now() < give_up, "the lease never moved");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!a.hold_lease("test", "a", term).unwrap());
}

#[test]
fn a_closing_gateway_hands_the_workers_lease_over_at_once() {
    let Some((mut engines, _dir)) = gateways(2) else {
        return;
    };
    let holder = engines
        .iter()
        .position(|e| e.inner.shared.runs_workers())
        .unwrap();
    let other = engines.remove(1 - holder);
    assert!(!other.inner.shared.runs_workers());
    // The holder closes. Had it not released the lease, the lease would
    // stay taken for its 30 s term.
    drop(engines);
    assert!(other.inner.shared.runs_workers());
}

/// Whether bucket `id` holds any object or version row.
fn holds_rows(engine: &Engine, id: u64) -> bool {
    let db = &engine.inner.shared.db;
    let upper = keys::bucket_upper_bound(id);
    db.any_in_range(
        Cf::Versions,
        keys::bucket_prefix(id).to_vec(),
        upper.clone(),
    )
    .unwrap()
        || db
            .any_in_range(Cf::Current, keys::current_key(id, &[0]), upper)
            .unwrap()
}

#[test]
fn a_put_racing_delete_bucket_on_another_gateway_leaves_no_row() {
    let Some((engines, _dir)) = gateways(2) else {
        return;
    };
    let (deleter, writer) = (&engines[0], &engines[1]);
    bucket(deleter, "doomed");
    let id = bucket::get(&deleter.inner, "doomed").unwrap().id;
    // The writer has found the bucket and is about to commit, as a PUT
    // that read the bucket's row just before the other gateway deleted it.
    let locked = object::lock_key(&writer.inner, "doomed", b"late").unwrap();
    deleter.delete_bucket("doomed").unwrap();
    let new = object::NewVersion {
        size: 1,
        etag: hex::encode(md5::Md5::digest(b"x")),
        checksums: Default::default(),
        data: ObjectData::Inline(bytes::Bytes::from_static(b"x")),
        opts: PutOptions::default(),
        upload_id: None,
        encryption: None,
        event: "ObjectCreated:Put",
    };
    let key = ObjectKey::parse("late").unwrap();
    let late = object::commit_version(
        &writer.inner,
        &EventCause::default(),
        &locked,
        &key,
        new,
        writer.inner.shared.db.batch(),
    );
    drop(locked);
    assert!(matches!(late, Err(Error::Conflict)), "{late:?}");
    assert!(!holds_rows(writer, id));
    // Retried, as the engine does, the write finds no bucket.
    assert!(matches!(
        put(writer, "doomed", "late", b"x"),
        Err(Error::NoSuchBucket)
    ));

    // The other order: a write committed first keeps the bucket, which
    // stays open to writes.
    bucket(deleter, "kept");
    put(writer, "kept", "early", b"x").unwrap();
    assert!(matches!(
        deleter.delete_bucket("kept"),
        Err(Error::BucketNotEmpty)
    ));
    put(writer, "kept", "after", b"y").unwrap();
    let listed = deleter
        .list_objects(
            "kept",
            &ListQuery {
                max_keys: 10,
                ..Default::default()
            },
        )
        .unwrap()
        .entries
        .len();
    assert_eq!(listed, 2);
}

#[test]
fn uploads_of_one_part_number_at_once_leave_only_the_winners_blob() {
    let Some((engines, _dir)) = gateways(2) else {
        return;
    };
    bucket(&engines[0], "bkt");
    let key = ObjectKey::parse("mp").unwrap();
    let upload = engines[0]
        .create_upload("bkt", &key, PutOptions::default(), None, None)
        .unwrap();
    let id = bucket::get(&engines[0].inner, "bkt").unwrap().id;
    for round in 0..8 {
        race(&engines, |e| {
            let body = format!("round {round} from {:p}", e);
            let staged = e.stage_part(&mut body.as_bytes(), &[]).unwrap();
            e.put_part("bkt", "mp", &upload.upload_id, 1, staged)
                .unwrap()
        });
        // Every blob of the bucket still referenced is the part's: the
        // loser's was freed (or replaced and freed by the winner).
        let mut blobs = engines[0]
            .inner
            .shared
            .db
            .iter(Cf::Blobs, None, None)
            .unwrap();
        blobs.seek_to_first();
        let mut referenced = 0;
        while let Some(raw) = blobs.value() {
            referenced += usize::from(decode::<BlobRef>(raw).unwrap().bucket_id == id);
            blobs.next();
        }
        assert_eq!(referenced, 1, "round {round}");
    }
}

#[test]
fn a_starting_gateway_leaves_another_gateways_uncommitted_blob_alone() {
    let Some((engines, _dir)) = gateways(1) else {
        return;
    };
    let shared = &engines[0].inner.shared;
    // Another gateway installed this blob and has yet to commit its reference.
    let mut staged = shared.blobs.stage().unwrap();
    staged.append(b"about to be committed").unwrap();
    staged.sync().unwrap();
    let id = BlobId::random();
    staged.install(id).unwrap();
    assert_eq!(gc::sweep_orphans_now(shared).unwrap(), 0);
    assert!(shared.blobs.open(id).unwrap().is_some());
}

#[test]
fn each_queued_event_is_taken_by_one_gateway() {
    let Some((engines, _dir)) = gateways(2) else {
        return;
    };
    const ARN: &str = "arn:test:webhook";
    bucket(&engines[0], "bkt");
    engines[0]
        .update_bucket("bkt", |b| {
            b.notification = Some(NotificationConfig {
                rules: vec![NotificationRule {
                    id: "all".into(),
                    kind: DestinationKind::Queue,
                    arn: ARN.into(),
                    events: vec!["s3:ObjectCreated:*".into()],
                    prefix: None,
                    suffix: None,
                }],
                event_bridge: false,
            });
            Ok(())
        })
        .unwrap();
    for i in 0..20 {
        put(&engines[i % 2], "bkt", &format!("k{i}"), b"x").unwrap();
    }
    // Both gateways run the delivery loop the server runs, at once.
    let delivered = race(&engines, |e| {
        let mut taken = Vec::new();
        for _ in 0..50 {
            if !e.runs_workers() {
                continue;
            }
            for queued in e.queued_events(ARN, 8).unwrap() {
                taken.push(queued.event.key.clone());
                e.acknowledge_event(ARN, queued.sequence).unwrap();
            }
        }
        taken
    });
    assert!(delivered.iter().any(Vec::is_empty), "{delivered:?}");
    let mut all: Vec<String> = delivered.concat();
    all.sort();
    let mut expected: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
    expected.sort();
    assert_eq!(all, expected);
}
