//! SigV4 verification through the gateway's public `auth::verify`, on the worked
//! examples of the AWS documentation (so the signatures are known-good): an
//! `Authorization` header and a presigned URL.

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use horreo_server::auth::{Header, RequestParts, SecretStore, verify};

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EMPTY_SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// 2013-05-24T00:00:00Z, the documentation's request time.
const DOC_TIME: u64 = 1_369_353_600;

struct Keys;

impl SecretStore for Keys {
    fn secret_key(&self, access_key: &str) -> Option<String> {
        (access_key == ACCESS_KEY).then(|| SECRET_KEY.to_owned())
    }
}

fn headers<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<Header<'a>> {
    pairs.iter().map(|&(n, v)| (n.into(), v.into())).collect()
}

fn sigv4(c: &mut Criterion) {
    let now = UNIX_EPOCH + Duration::from_secs(DOC_TIME);
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20130524/us-east-1/s3/aws4_request,\
         SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
         Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    );
    let get_headers = headers(&[
        ("host", "examplebucket.s3.amazonaws.com"),
        ("range", "bytes=0-9"),
        ("x-amz-content-sha256", EMPTY_SHA),
        ("x-amz-date", "20130524T000000Z"),
        ("authorization", &authorization),
    ]);
    let header_request = RequestParts {
        method: "GET",
        raw_path: "/test.txt",
        raw_query: "",
        headers: &get_headers,
        virtual_host_bucket: Some("examplebucket"),
    };
    let presigned_headers = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
    let presigned_request = RequestParts {
        method: "GET",
        raw_path: "/test.txt",
        raw_query: "X-Amz-Algorithm=AWS4-HMAC-SHA256\
            &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
            &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
            &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
        headers: &presigned_headers,
        virtual_host_bucket: Some("examplebucket"),
    };
    // Benchmarking the rejection path by mistake would measure nothing useful.
    for (name, req) in [
        ("header", &header_request),
        ("presigned", &presigned_request),
    ] {
        if let Err(e) = verify(req, now, "us-east-1", &Keys) {
            panic!("the documentation's {name} example did not verify: {e:?}");
        }
    }
    let mut group = c.benchmark_group("sigv4_verify");
    group.bench_function("authorization_header", |b| {
        b.iter(|| verify(black_box(&header_request), now, "us-east-1", &Keys))
    });
    group.bench_function("presigned_url", |b| {
        b.iter(|| verify(black_box(&presigned_request), now, "us-east-1", &Keys))
    });
    group.finish();
}

criterion_group!(benches, sigv4);
criterion_main!(benches);
