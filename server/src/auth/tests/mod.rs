//! End-to-end tests of [`verify`](super::verify) and
//! [`BodyDecoder`](super::BodyDecoder): the examples of the AWS documentation,
//! round trips through a botocore-style signer, and every rejection.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bodies;
mod doc_examples;
mod requests;
mod sigv2;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::BytesMut;

use super::signing::AmzDate;
use super::testing::{ACCESS_KEY, Keys, REGION, TestRequest};
use super::{BodyDecoder, PayloadMode, Verified, verify};
use crate::error::{S3Error, S3Result};

const DOC_TIME: &str = "20130524T000000Z";
const EMPTY_SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn at(ts: &str) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(AmzDate::parse(ts).unwrap().unix() as u64)
}

fn doc_date() -> AmzDate {
    AmzDate::parse(DOC_TIME).unwrap()
}

fn check(req: &TestRequest) -> S3Result<Verified> {
    verify(&req.parts(), at(DOC_TIME), REGION, &Keys::example())
}

fn err(result: S3Result<Verified>) -> S3Error {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

type Trailers = Vec<(String, String)>;

fn decode(mode: &PayloadMode, body: &[u8]) -> S3Result<(Vec<u8>, Trailers)> {
    let mut decoder = BodyDecoder::for_mode(mode);
    let mut out = BytesMut::new();
    decoder.push(body, &mut out)?;
    let trailers = decoder.finish()?;
    Ok((out.to_vec(), trailers))
}

fn doc_authorization(signed_headers: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed_headers},Signature={signature}"
    )
}
