//! Fuzz entry points for authentication: the `Authorization` header, the
//! presigned query, whole SigV4 requests and aws-chunked bodies. See
//! `crate::fuzzing`.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::BytesMut;

use super::payload::{ChunkSigning, ContentSha256, Streaming};
use super::presigned::{self, MAX_EXPIRES_SECS};
use super::signing::{AmzDate, Credential};
use super::testing::{self, ACCESS_KEY, Keys, REGION, SECRET_KEY, Signed, TestRequest};
use super::{BodyDecoder, PayloadMode, header, http_date, signed_service};
use crate::error::{S3ErrorCode, S3Result};
use crate::fuzzing::{Input, printable};

/// 2013-05-24T00:00:00Z, the day of AWS's SigV4 examples: signed seeds verify.
const EXAMPLE_NOW: i64 = 1_369_353_600;

fn example_now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(EXAMPLE_NOW.unsigned_abs())
}

/// The text parsers of authentication: the `Authorization` header, the
/// presigned query, credentials, `X-Amz-Date`, HTTP dates and
/// `x-amz-content-sha256`. What parses is well-formed and renders back.
pub fn authorization(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(auth) = header::parse(text) {
        assert!(!auth.signed_headers.is_empty());
        for name in &auth.signed_headers {
            assert!(!name.is_empty() && !name.bytes().any(|b| b.is_ascii_uppercase()));
        }
        let rendered = format!("{}/{}", auth.credential.access_key, auth.credential.scope());
        assert_eq!(
            Credential::parse(&rendered).as_ref(),
            Some(&auth.credential)
        );
        assert_eq!(signed_service(text), Some(auth.credential.service));
    }
    let _ = presigned::query_auth(text);
    if let Ok(params) = presigned::parse(text) {
        assert!((1..=MAX_EXPIRES_SECS).contains(&params.expires_secs));
        assert_eq!(params.date.timestamp(), params.raw_date);
    }
    if let Some(date) = AmzDate::parse(text) {
        assert_eq!(date.timestamp(), text);
    }
    if let Some(date) = http_date::parse_http_date(text) {
        // What parses renders as an IMF-fixdate that parses to the same instant.
        if let Ok(secs) = u64::try_from(date.unix()) {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            if crate::dates::representable(t) {
                let rendered = crate::dates::http_date(t);
                assert_eq!(http_date::parse_http_date(&rendered), Some(date));
            }
        }
    }
    let _ = ContentSha256::parse(text);
}

/// Whole requests. With the top bit of the first byte clear, the input is a
/// request (method, path, query, headers) sent as is: anything may fail but
/// nothing may panic, and only the one known key can succeed. With it set,
/// the input describes a request that the independent test signer signs the
/// way botocore does (header or presigned): it must verify.
pub fn signed_request(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    if flags & 0x80 == 0 {
        raw_request(input);
    } else {
        sdk_request(flags, input);
    }
}

fn raw_request(mut input: Input<'_>) {
    let method = input.text();
    let path = input.text();
    let query = input.text();
    let mut headers = Vec::new();
    while !input.rest().is_empty() && headers.len() < 32 {
        let line = input.text();
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        headers.push((
            name.trim().to_ascii_lowercase().into(),
            value.to_owned().into(),
        ));
    }
    let mut req = TestRequest::new(&method, &path, &query);
    req.headers = headers;
    if let Ok(verified) = super::verify(&req.parts(), example_now(), REGION, &Keys::example()) {
        assert_eq!(verified.access_key, ACCESS_KEY);
    }
    let _ = super::anonymous_payload(&req.parts());
}

fn sdk_request(flags: u8, mut input: Input<'_>) {
    const METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];
    let method = METHODS[usize::from(flags) % METHODS.len()];
    let path = format!("/{}", testing::sdk_quote(input.field(), b"/~"));
    let mut query = Vec::new();
    for _ in 0..input.byte() % 4 {
        let name = testing::sdk_quote(input.field(), b"~");
        let value = testing::sdk_quote(input.field(), b"~");
        // Authentication parameters are the signer's to add.
        let lower = name.to_ascii_lowercase();
        if !lower.starts_with("x-amz-") && lower != "awsaccesskeyid" && lower != "signature" {
            query.push(format!("{name}={value}"));
        }
    }
    let mut req = TestRequest::new(method, &path, &query.join("&"));
    for _ in 0..input.byte() % 4 {
        let suffix: String = input
            .field()
            .iter()
            .map(|&b| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789-"[usize::from(b) % 37]))
            .collect();
        let value = printable(input.field());
        req = req.header(&format!("x-fuzz-{suffix}"), &value);
    }
    req = req
        .header("host", "examplebucket.s3.amazonaws.com")
        .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    let date = AmzDate::from_unix(EXAMPLE_NOW);
    if flags & 0x40 == 0 {
        req = req.header("x-amz-date", &date.timestamp());
        testing::sign_header(&mut req, ACCESS_KEY, SECRET_KEY, REGION, date);
    } else {
        let expires = 1 + u64::from(input.byte());
        testing::presign(&mut req, ACCESS_KEY, SECRET_KEY, REGION, date, expires);
    }
    let verified = super::verify(&req.parts(), example_now(), REGION, &Keys::example());
    if let Err(err) = verified {
        panic!("an SDK-signed request failed: {req:?}: {err:?}");
    }
}

/// The aws-chunked decoder. With the low bit of the first byte clear, the
/// rest is a body decoded under the mode the flags choose: decoding it whole,
/// split in two and byte by byte gives the same content or the same error.
/// With it set, the input describes content, a chunk size and trailers,
/// encoded by the test encoder: decoding gives them back exactly.
pub fn aws_chunked(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    if flags & 1 == 0 {
        decode_any(flags, input);
    } else {
        round_trip(flags, input);
    }
}

/// The chunk signing of a request signed with the example key, computed once.
fn example_signing() -> &'static (Signed, ChunkSigning) {
    static SIGNING: OnceLock<(Signed, ChunkSigning)> = OnceLock::new();
    SIGNING.get_or_init(sign_example)
}

fn sign_example() -> (Signed, ChunkSigning) {
    let mut req = TestRequest::new("PUT", "/bucket/key", "")
        .header("host", "bucket.s3.amazonaws.com")
        .header("x-amz-date", "20130524T000000Z");
    let date = AmzDate::from_unix(EXAMPLE_NOW);
    let signed = testing::sign_header(&mut req, ACCESS_KEY, SECRET_KEY, REGION, date);
    let signing = ChunkSigning {
        key: signed.key.clone(),
        timestamp: signed.timestamp.clone(),
        scope: signed.scope.clone(),
        seed: signed.signature.clone(),
    };
    (signed, signing)
}

/// Flags bits 1-2: unsigned with trailers, signed, signed with trailers,
/// unsigned without trailers.
fn streaming(flags: u8, decoded_content_length: Option<u64>, declared: Vec<String>) -> Streaming {
    let (signed, trailer) = match (flags >> 1) & 3 {
        0 => (false, true),
        1 => (true, false),
        2 => (true, true),
        _ => (false, false),
    };
    Streaming {
        signing: signed.then(|| example_signing().1.clone()),
        trailer,
        decoded_content_length,
        declared_trailers: declared,
    }
}

/// Decoded content and trailers.
type Content = (Vec<u8>, Vec<(String, String)>);
type Decoded = S3Result<Content>;

fn decode(mode: &PayloadMode, pieces: &mut dyn Iterator<Item = &[u8]>) -> Decoded {
    let mut decoder = BodyDecoder::for_mode(mode);
    let mut out = BytesMut::new();
    for piece in pieces {
        decoder.push(piece, &mut out)?;
    }
    let trailers = decoder.finish()?;
    Ok((out.to_vec(), trailers))
}

/// The outcome as a client sees it: the content and trailers, or the error code.
fn outcome(decoded: Decoded) -> Result<Content, S3ErrorCode> {
    decoded.map_err(|e| e.code)
}

fn decode_any(flags: u8, mut input: Input<'_>) {
    let split = usize::from(input.byte());
    let limit = input.byte();
    let declared = if flags & 0x10 != 0 {
        vec!["x-amz-checksum-crc32".to_owned()]
    } else {
        Vec::new()
    };
    let decoded_length = (flags & 8 != 0).then_some(u64::from(limit));
    let mode = PayloadMode::Streaming(streaming(flags, decoded_length, declared));
    let body = input.rest();
    let whole = outcome(decode(&mode, &mut std::iter::once(body)));
    if let Ok((content, _)) = &whole {
        assert!(content.len() <= body.len());
    }
    let (a, b) = body.split_at(split.min(body.len()));
    let halves = outcome(decode(&mode, &mut [a, b].into_iter()));
    assert_eq!(whole, halves, "split at {split}");
    if body.len() <= 512 {
        let bytes = outcome(decode(&mode, &mut body.chunks(1)));
        assert_eq!(whole, bytes, "byte by byte");
    }
}

fn round_trip(flags: u8, mut input: Input<'_>) {
    const TRAILERS: [&str; 2] = ["x-amz-checksum-crc32", "x-amz-checksum-sha256"];
    let chunk_size = 1 + usize::from(input.byte());
    let count = usize::from(input.byte() % 3);
    // Within the decoder's bound on a trailer line (`MAX_LINE`).
    let values: Vec<String> = (0..count)
        .map(|_| {
            let value = input.field();
            printable(&value[..value.len().min(1024)]).trim().to_owned()
        })
        .collect();
    let trailers: Vec<(&str, &str)> = TRAILERS
        .iter()
        .zip(&values)
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let content = input.rest();
    let mut streaming = streaming(flags | 2, Some(content.len() as u64), Vec::new());
    if trailers.is_empty() {
        // Trailers are only sent in a trailer mode; this one has none.
        streaming.trailer = flags & 2 == 0;
    } else {
        streaming.trailer = true;
        streaming.declared_trailers = TRAILERS[..trailers.len()]
            .iter()
            .map(|n| (*n).to_owned())
            .collect();
    }
    let signed = streaming.signing.is_some().then(|| &example_signing().0);
    let body = testing::aws_chunked(content, chunk_size, signed, &trailers);
    let mode = PayloadMode::Streaming(streaming);
    let decoded = outcome(decode(&mode, &mut body.chunks(chunk_size + 7)));
    let expected: Vec<(String, String)> = trailers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(decoded, Ok((content.to_vec(), expected)));
}
