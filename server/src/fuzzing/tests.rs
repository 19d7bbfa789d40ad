//! Every fuzz target over its committed corpus (`fuzz/corpus/<target>/`):
//! what the fuzzer found interesting once must keep passing.

use std::path::PathBuf;

/// Runs `target` on every file of the corpus of `name`; the corpus must exist.
fn run_corpus(name: &str, target: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(name);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) => panic!("corpus {}: {err}", dir.display()),
    };
    let mut count = 0;
    for entry in entries {
        let path = match entry {
            Ok(entry) => entry.path(),
            Err(err) => panic!("corpus {}: {err}", dir.display()),
        };
        let data = match std::fs::read(&path) {
            Ok(data) => data,
            Err(err) => panic!("{}: {err}", path.display()),
        };
        target(&data);
        count += 1;
    }
    assert!(count > 0, "corpus {} is empty", dir.display());
}

#[test]
fn authorization_corpus() {
    run_corpus("authorization", super::authorization);
}

#[test]
fn signed_request_corpus() {
    run_corpus("signed_request", super::signed_request);
}

#[test]
fn aws_chunked_corpus() {
    run_corpus("aws_chunked", super::aws_chunked);
}

#[test]
fn xml_bodies_corpus() {
    run_corpus("xml_bodies", super::xml_bodies);
}

#[test]
fn headers_corpus() {
    run_corpus("headers", super::headers);
}

#[test]
fn post_form_corpus() {
    run_corpus("post_form", super::post_form);
}

#[test]
fn iam_policy_corpus() {
    run_corpus("iam_policy", super::iam_policy);
}
