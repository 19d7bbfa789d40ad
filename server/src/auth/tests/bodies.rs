//! Body decoding: aws-chunked framing, chunk and trailer signatures, and
//! independence from how the body is split.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::*;
use crate::auth::Streaming;
use crate::auth::testing::{ACCESS_KEY, SECRET_KEY, Signed, aws_chunked, sign_header};
use crate::error::S3ErrorCode;

fn streaming_request(
    content_sha256: &str,
    decoded_len: usize,
    trailer: Option<&str>,
) -> TestRequest {
    let mut req = TestRequest::new("PUT", "/bucket/obj", "")
        .header("host", "localhost:9000")
        .header("content-encoding", "aws-chunked")
        .header("x-amz-content-sha256", content_sha256)
        .header("x-amz-date", DOC_TIME)
        .header("x-amz-decoded-content-length", &decoded_len.to_string());
    if let Some(t) = trailer {
        req = req.header("x-amz-trailer", t);
    }
    req
}

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

#[test]
fn signed_trailer_round_trip_and_rejections() {
    let data = content(200_000);
    let mut req = streaming_request(
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        data.len(),
        Some("x-amz-checksum-crc32"),
    );
    let signed = sign_header(&mut req, ACCESS_KEY, SECRET_KEY, REGION, doc_date());
    let mode = check(&req).unwrap().payload;
    let trailers = [("x-amz-checksum-crc32", "sOO8/Q==")];
    let body = aws_chunked(&data, 65536, Some(&signed), &trailers);
    let (out, got) = decode(&mode, &body).unwrap();
    assert_eq!(out, data);
    assert_eq!(
        got,
        vec![("x-amz-checksum-crc32".to_owned(), "sOO8/Q==".to_owned())]
    );

    // The trailer value changed, its signature dropped, or no trailer at all.
    let text = String::from_utf8_lossy(&body[body.len() - 200..]).into_owned();
    let tampered = [
        &body[..body.len() - 200],
        text.replace("sOO8/Q==", "AAAAAA==").as_bytes(),
    ]
    .concat();
    assert_eq!(
        decode(&mode, &tampered).unwrap_err().code,
        S3ErrorCode::SignatureDoesNotMatch
    );
    let sig_at = body.len() - 2 - "x-amz-trailer-signature:".len() - 64 - 2;
    let unsigned = [&body[..sig_at], b"\r\n"].concat();
    assert_eq!(
        decode(&mode, &unsigned).unwrap_err().code,
        S3ErrorCode::SignatureDoesNotMatch
    );
    let bare = aws_chunked(&data, 65536, Some(&signed), &[]);
    assert_eq!(
        decode(&mode, &bare).unwrap_err().code,
        S3ErrorCode::IncompleteBody
    );
}

/// What boto3 and the AWS CLI send by default: unsigned chunks, a CRC trailer.
#[test]
fn unsigned_trailer_as_boto3_sends_it() {
    let mut req = streaming_request(
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        11,
        Some("x-amz-checksum-crc32"),
    );
    sign_header(&mut req, ACCESS_KEY, SECRET_KEY, REGION, doc_date());
    let mode = check(&req).unwrap().payload;
    let body = b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    let (out, trailers) = decode(&mode, body).unwrap();
    assert_eq!(out, b"hello world");
    assert_eq!(
        trailers,
        vec![("x-amz-checksum-crc32".to_owned(), "DUoRhQ==".to_owned())]
    );
    // Tolerated: the final CRLF missing, even the last trailer line's.
    for cut in 1..=4 {
        assert_eq!(
            decode(&mode, &body[..body.len() - cut]).unwrap().1,
            trailers,
            "{cut}"
        );
    }
    // Not tolerated: a declared trailer missing.
    assert_eq!(
        decode(&mode, b"b\r\nhello world\r\n0\r\n\r\n")
            .unwrap_err()
            .code,
        S3ErrorCode::IncompleteBody
    );
    assert_eq!(
        decode(&mode, b"b\r\nhello world\r\n0\r\n")
            .unwrap_err()
            .code,
        S3ErrorCode::IncompleteBody
    );
    // Chunk extensions are ignored when chunks are unsigned.
    assert!(decode(&mode, b"b;foo=bar;chunk-signature=zz\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n").is_ok());
}

fn unsigned_mode(decoded: Option<u64>, trailer: bool) -> PayloadMode {
    PayloadMode::Streaming(Streaming {
        signing: None,
        trailer,
        decoded_content_length: decoded,
        declared_trailers: Vec::new(),
    })
}

#[test]
fn malformed_chunked_bodies_are_rejected() {
    use S3ErrorCode::*;
    let mode = unsigned_mode(None, false);
    let long_line = format!("{}\r\n", "1".repeat(5000));
    for (body, code) in [
        (&b"zz\r\n"[..], IncompleteBody),
        (b"\r\n", IncompleteBody),
        (b"-1\r\n", IncompleteBody),
        (b"10000000000000000\r\n", IncompleteBody),
        (b"5\nhello\r\n0\r\n\r\n", IncompleteBody),
        (b"5\r\nhelloXX0\r\n\r\n", IncompleteBody),
        (b"5\r\nhello\r\n0\r\n\r\nextra", IncompleteBody),
        (
            b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
            IncompleteBody,
        ),
        (b"5\r\nhel", IncompleteBody),
        (b"ffffffffffffffff\r\nabc", IncompleteBody),
        (b"5\r\nhello\r\n", IncompleteBody),
        (b"", IncompleteBody),
        (long_line.as_bytes(), IncompleteBody),
        (b"5\xff\r\nhello\r\n0\r\n\r\n", IncompleteBody),
    ] {
        let e = decode(&mode, body).unwrap_err();
        assert_eq!(e.code, code, "{:?}", String::from_utf8_lossy(body));
    }
    assert_eq!(
        decode(&mode, b"5 ; x=y\r\nhello\r\n0\r\n\r\n").unwrap().0,
        b"hello"
    );
    // Final CRLF missing without trailers: tolerated like the trailer case.
    assert_eq!(decode(&mode, b"5\r\nhello\r\n0\r\n").unwrap().0, b"hello");

    // x-amz-decoded-content-length must match exactly.
    let body = b"5\r\nhello\r\n0\r\n\r\n";
    assert!(decode(&unsigned_mode(Some(5), false), body).is_ok());
    assert_eq!(
        decode(&unsigned_mode(Some(6), false), body)
            .unwrap_err()
            .code,
        IncompleteBody
    );
    assert_eq!(
        decode(&unsigned_mode(Some(4), false), body)
            .unwrap_err()
            .code,
        IncompleteBody
    );

    // Trailers are bounded.
    let many: Vec<u8> = [
        &b"0\r\n"[..],
        format!("x-amz-meta-a:{}\r\n", "v".repeat(4000))
            .repeat(5)
            .as_bytes(),
        b"\r\n",
    ]
    .concat();
    assert_eq!(
        decode(&unsigned_mode(None, true), &many).unwrap_err().code,
        IncompleteBody
    );
}

#[test]
fn errors_are_sticky() {
    let mode = unsigned_mode(None, false);
    let mut decoder = BodyDecoder::for_mode(&mode);
    let mut out = BytesMut::new();
    assert!(decoder.push(b"zz\r\n", &mut out).is_err());
    assert!(decoder.push(b"5\r\nhello\r\n0\r\n\r\n", &mut out).is_err());
    assert!(out.is_empty());
    assert!(decoder.finish().is_err());
}

#[test]
fn signed_chunks_need_their_signatures() {
    let data = content(1000);
    let mut req = streaming_request("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", data.len(), None);
    let signed = sign_header(&mut req, ACCESS_KEY, SECRET_KEY, REGION, doc_date());
    let mode = check(&req).unwrap().payload;
    let body = aws_chunked(&data, 300, Some(&signed), &[]);
    assert_eq!(decode(&mode, &body).unwrap().0, data);
    // Chunks without signatures, chunks reordered, a signature that is not hex.
    let unsigned = aws_chunked(&data, 300, None, &[]);
    assert_eq!(
        decode(&mode, &unsigned).unwrap_err().code,
        S3ErrorCode::SignatureDoesNotMatch
    );
    // Each 300-byte chunk takes 86 + 300 + 2 bytes on the wire: swap the first two.
    let framed = "12c;chunk-signature=".len() + 64 + 2 + 300 + 2;
    let reordered = [
        &body[framed..2 * framed],
        &body[..framed],
        &body[2 * framed..],
    ]
    .concat();
    assert_eq!(
        decode(&mode, &reordered).unwrap_err().code,
        S3ErrorCode::SignatureDoesNotMatch
    );
    let garbled =
        String::from_utf8_lossy(&body).replacen("chunk-signature=", "chunk-signature=zz", 1);
    assert_eq!(
        decode(&mode, garbled.as_bytes()).unwrap_err().code,
        S3ErrorCode::SignatureDoesNotMatch
    );
    // The final chunk's signature matters too.
    let cut = body.len() - 2 - 64 - 2;
    let wrong_final = [&body[..cut], "0".repeat(64).as_bytes(), b"\r\n\r\n"].concat();
    assert_eq!(
        decode(&mode, &wrong_final).unwrap_err().code,
        S3ErrorCode::SignatureDoesNotMatch
    );
    // Trailers are not allowed without a trailer mode.
    let with_trailer = aws_chunked(
        &data,
        300,
        Some(&signed),
        &[("x-amz-checksum-crc32", "AAAAAA==")],
    );
    assert_eq!(
        decode(&mode, &with_trailer).unwrap_err().code,
        S3ErrorCode::IncompleteBody
    );
}

/// Feeds `body` in pieces cut at `cuts` and returns output and outcome.
fn decode_split(
    mode: &PayloadMode,
    body: &[u8],
    cuts: &[usize],
) -> (Vec<u8>, Result<Trailers, S3ErrorCode>) {
    let mut decoder = BodyDecoder::for_mode(mode);
    let mut out = BytesMut::new();
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    points.push(0);
    points.push(body.len());
    points.sort_unstable();
    for pair in points.windows(2) {
        if let Err(e) = decoder.push(&body[pair[0]..pair[1]], &mut out) {
            return (out.to_vec(), Err(e.code));
        }
    }
    (out.to_vec(), decoder.finish().map_err(|e| e.code))
}

fn modes_for(len: usize) -> (Vec<PayloadMode>, Signed) {
    let mut req = streaming_request(
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        len,
        Some("x-amz-checksum-crc32"),
    );
    let signed = sign_header(&mut req, ACCESS_KEY, SECRET_KEY, REGION, doc_date());
    let signed_mode = check(&req).unwrap().payload;
    (
        vec![
            signed_mode,
            unsigned_mode(Some(len as u64), true),
            PayloadMode::Sha256(crate::auth::signing::sha256(&content(len))),
            PayloadMode::Unsigned,
        ],
        signed,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any split of the raw body gives the same content and the same outcome,
    /// for every payload mode, for valid bodies and for corrupted ones.
    #[test]
    fn any_split_decodes_identically(
        len in 0usize..3000,
        chunk_size in 1usize..700,
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
        corrupt in proptest::option::of((any::<usize>(), any::<u8>())),
    ) {
        let (modes, signed) = modes_for(len);
        let data = content(len);
        let trailers = [("x-amz-checksum-crc32", "AAAAAA==")];
        let bodies = [
            aws_chunked(&data, chunk_size, Some(&signed), &trailers),
            aws_chunked(&data, chunk_size, None, &trailers),
            data.clone(),
            data.clone(),
        ];
        for (mode, body) in modes.iter().zip(bodies) {
            let mut body = body;
            if let Some((at, byte)) = corrupt && !body.is_empty() {
                let i = at % body.len();
                body[i] = byte;
            }
            let whole = decode_split(mode, &body, &[]);
            if corrupt.is_none() {
                prop_assert_eq!(&whole.0, &data);
                prop_assert!(whole.1.is_ok(), "{:?}", whole.1);
            }
            prop_assert_eq!(decode_split(mode, &body, &cuts), whole.clone());
            let bytes: Vec<usize> = (0..body.len()).collect();
            prop_assert_eq!(decode_split(mode, &body, &bytes), whole);
        }
    }

    /// Arbitrary bytes never panic the decoder.
    #[test]
    fn garbage_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let (modes, _) = modes_for(10);
        for mode in &modes {
            let _ = decode_split(mode, &body, &[]);
        }
    }
}
