//! Identities: uniqueness, quotas, delete conflicts, sealed secrets that
//! survive a restart and a master-key rotation, and the policy documents
//! that apply to a user.

use super::*;
use crate::MasterKey;
use crate::types::KeyStatus;

fn open_with_master(dir: &Path, master: &MasterKey) -> Engine {
    let mut config = EngineConfig::new(dir);
    config.master_key = Some(master.clone());
    Engine::open(config).unwrap()
}

#[test]
fn users_are_unique_per_account_without_regard_to_case() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with_master(dir.path(), &MasterKey::random());
    let a = engine.default_account().unwrap();
    let (b, _, _) = engine.create_account("tenant").unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(a.id.len(), 12);
    engine.create_user(&a.id, "Alice", "/").unwrap();
    assert!(matches!(
        engine.create_user(&a.id, "alice", "/"),
        Err(Error::EntityAlreadyExists(m)) if m == "User with name alice already exists."
    ));
    // Another account may have its own alice.
    engine.create_user(&b.id, "alice", "/").unwrap();
    assert!(matches!(
        engine.user(&a.id, "bob"),
        Err(Error::NoSuchEntity(m)) if m == "The user with name bob cannot be found."
    ));
    assert!(matches!(
        engine.create_user(&a.id, "no spaces", "/"),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        engine.create_account("TENANT"),
        Err(Error::EntityAlreadyExists(_))
    ));
}

#[test]
fn listings_page_by_name_and_filter_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with_master(dir.path(), &MasterKey::random());
    let acct = engine.default_account().unwrap().id;
    for (name, path) in [("d", "/ops/"), ("a", "/"), ("c", "/ops/"), ("b", "/")] {
        engine.create_user(&acct, name, path).unwrap();
    }
    let first = engine.users(&acct, "/", None, 3).unwrap();
    let names: Vec<_> = first.items.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    let rest = engine
        .users(&acct, "/", first.marker.as_deref(), 3)
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert!(rest.marker.is_none());
    let ops = engine.users(&acct, "/ops/", None, 100).unwrap();
    assert_eq!(ops.items.len(), 2);
}

#[test]
fn access_keys_are_sealed_limited_and_survive_restart_and_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let master = MasterKey::random();
    let engine = open_with_master(dir.path(), &master);
    let acct = engine.default_account().unwrap().id;
    engine.create_user(&acct, "alice", "/").unwrap();
    let (k1, s1) = engine.create_access_key(&acct, Some("alice")).unwrap();
    let (_k2, _) = engine.create_access_key(&acct, Some("alice")).unwrap();
    assert!(k1.id.starts_with("AKIA") && k1.id.len() == 20);
    assert_eq!(s1.len(), 40);
    assert!(matches!(
        engine.create_access_key(&acct, Some("alice")),
        Err(Error::LimitExceeded(_))
    ));
    engine
        .update_access_key(&acct, Some("alice"), &k1.id, KeyStatus::Inactive)
        .unwrap();
    // Another user cannot touch alice's key.
    engine.create_user(&acct, "bob", "/").unwrap();
    assert!(matches!(
        engine.delete_access_key(&acct, Some("bob"), &k1.id),
        Err(Error::NoSuchEntity(_))
    ));
    drop(engine);

    // The secret is nowhere in the store in plain text.
    for file in std::fs::read_dir(dir.path().join("meta")).unwrap() {
        let raw = std::fs::read(file.unwrap().path()).unwrap();
        assert!(!raw.windows(s1.len()).any(|w| w == s1.as_bytes()));
    }

    let engine = open_with_master(dir.path(), &master);
    let (key, secret) = engine.resolve_access_key(&k1.id).unwrap().unwrap();
    assert_eq!(secret, s1);
    assert_eq!(key.status, KeyStatus::Inactive);
    assert_eq!(key.user.as_deref(), Some("alice"));
    let new = MasterKey::random();
    engine.rotate_master_key(&new).unwrap();
    drop(engine);
    let engine = open_with_master(dir.path(), &new);
    assert_eq!(engine.resolve_access_key(&k1.id).unwrap().unwrap().1, s1);
    assert!(
        engine
            .resolve_access_key("AKIANOSUCHKEY0000000")
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_user_is_deleted_only_once_it_holds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with_master(dir.path(), &MasterKey::random());
    let acct = engine.default_account().unwrap().id;
    engine.create_user(&acct, "alice", "/").unwrap();
    let (key, _) = engine.create_access_key(&acct, Some("alice")).unwrap();
    engine.create_group(&acct, "devs", "/").unwrap();
    engine.add_user_to_group(&acct, "devs", "alice").unwrap();
    engine
        .put_inline_policy(&acct, Holder::User("alice"), "p", "{}")
        .unwrap();
    let conflict = |engine: &Engine| {
        matches!(
            engine.delete_user(&acct, "alice"),
            Err(Error::DeleteConflict(_))
        )
    };
    assert!(conflict(&engine));
    engine
        .delete_access_key(&acct, Some("alice"), &key.id)
        .unwrap();
    assert!(conflict(&engine));
    engine
        .delete_inline_policy(&acct, Holder::User("alice"), "p")
        .unwrap();
    assert!(conflict(&engine));
    assert!(matches!(
        engine.delete_group(&acct, "devs"),
        Err(Error::DeleteConflict(_))
    ));
    engine
        .remove_user_from_group(&acct, "devs", "alice")
        .unwrap();
    engine.delete_user(&acct, "alice").unwrap();
    engine.delete_group(&acct, "devs").unwrap();
    assert!(matches!(
        engine.user(&acct, "alice"),
        Err(Error::NoSuchEntity(_))
    ));
}

#[test]
fn managed_policies_version_attach_and_apply_through_groups() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with_master(dir.path(), &MasterKey::random());
    let acct = engine.default_account().unwrap().id;
    engine.create_user(&acct, "alice", "/").unwrap();
    engine.create_group(&acct, "readers", "/").unwrap();
    engine.add_user_to_group(&acct, "readers", "alice").unwrap();
    let (arn, _) = engine
        .create_policy(&acct, "Read", "/team/", "", "doc-v1")
        .unwrap();
    assert_eq!(arn, format!("arn:aws:iam::{acct}:policy/team/Read"));
    engine
        .attach_policy(&acct, Holder::Group("readers"), &arn)
        .unwrap();
    engine
        .put_inline_policy(&acct, Holder::User("alice"), "own", "inline-doc")
        .unwrap();
    let docs = engine.user_policy_documents(&acct, "alice").unwrap();
    assert_eq!(docs, ["inline-doc", "doc-v1"]);

    let v2 = engine
        .create_policy_version(&acct, &arn, "doc-v2", true)
        .unwrap();
    assert_eq!(v2.id, "v2");
    assert_eq!(
        engine.user_policy_documents(&acct, "alice").unwrap(),
        ["inline-doc", "doc-v2"]
    );
    assert!(matches!(
        engine.delete_policy_version(&acct, &arn, "v2"),
        Err(Error::DeleteConflict(_))
    ));
    for n in 3..=5 {
        engine
            .create_policy_version(&acct, &arn, &format!("doc-v{n}"), false)
            .unwrap();
    }
    assert!(matches!(
        engine.create_policy_version(&acct, &arn, "six", false),
        Err(Error::LimitExceeded(_))
    ));
    assert!(matches!(
        engine.delete_policy(&acct, &arn),
        Err(Error::DeleteConflict(_))
    ));
    engine
        .detach_policy(&acct, Holder::Group("readers"), &arn)
        .unwrap();
    for v in ["v1", "v3", "v4", "v5"] {
        engine.delete_policy_version(&acct, &arn, v).unwrap();
    }
    engine.delete_policy(&acct, &arn).unwrap();
    assert!(matches!(
        engine.policy(&acct, &arn),
        Err(Error::NoSuchEntity(_))
    ));
    // A policy of another account is not attachable.
    let (other, _, _) = engine.create_account("other").unwrap();
    let (foreign, _) = engine
        .create_policy(&other.id, "Theirs", "/", "", "doc")
        .unwrap();
    assert!(matches!(
        engine.attach_policy(&acct, Holder::User("alice"), &foreign),
        Err(Error::NoSuchEntity(_))
    ));
}

#[test]
fn session_tokens_open_only_unaltered_and_only_under_their_master_key() {
    let dir = tempfile::tempdir().unwrap();
    let master = MasterKey::random();
    let engine = open_with_master(dir.path(), &master);
    let acct = engine.default_account().unwrap().id;
    let expires = std::time::SystemTime::now() + Duration::from_secs(3600);
    let identity = SessionIdentity::Role {
        name: "deployer".into(),
        path: "/".into(),
        id: "AROAEXAMPLE".into(),
        session_name: "ci".into(),
    };
    let (session, token) = engine
        .issue_session(&acct, identity.clone(), expires, vec!["{}".into()])
        .unwrap();
    assert!(session.access_key.starts_with("ASIA"));
    assert_eq!(session.secret.len(), 40);
    let opened = engine.open_session(&token).unwrap().unwrap();
    assert_eq!(opened, session);
    assert_eq!(opened.identity, identity);

    // One changed character, or garbage, opens nothing.
    let mut altered = token.clone().into_bytes();
    let last = altered.len() - 5;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    assert!(engine.open_session(&altered).unwrap().is_none());
    assert!(engine.open_session("not a token").unwrap().is_none());

    // Rotating the master key ends every session.
    let new = MasterKey::random();
    engine.rotate_master_key(&new).unwrap();
    drop(engine);
    let engine = open_with_master(dir.path(), &new);
    assert!(engine.open_session(&token).unwrap().is_none());
}
