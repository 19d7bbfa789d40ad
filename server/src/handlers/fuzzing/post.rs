//! Browser-based uploads: the POST policy document and the
//! `multipart/form-data` body.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;

use super::example_now;
use crate::body::ChunkSource;
use crate::error::{S3ErrorCode, S3Result};
use crate::fuzzing::Input;
use crate::handlers::post::form::{FormReader, PartHead, boundary};
use crate::handlers::post::policy::PostPolicy;

/// Most parts read from one form, and most bytes of one part's value.
const MAX_PARTS: usize = 16;
const MAX_VALUE: usize = 64 * 1024;

/// With the low bit of the first byte clear: a POST policy (the rest as
/// JSON, base64-encoded as a browser form sends it; bit 1 sends it as is),
/// checked against a few form fields. With it set: a form body read with
/// the boundary of its first field, whole and in pieces of a chosen size,
/// which must read the same.
pub fn post_form(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    if flags & 1 == 0 {
        policy(flags, input);
    } else {
        form(input);
    }
}

fn policy(flags: u8, mut input: Input<'_>) {
    let key = input.text();
    let content_type = input.text();
    let document = input.rest();
    let encoded = if flags & 2 == 0 {
        BASE64.encode(document)
    } else {
        String::from_utf8_lossy(document).into_owned()
    };
    let Ok(policy) = PostPolicy::parse(&encoded) else {
        return;
    };
    let fields = vec![
        ("key".to_owned(), key),
        ("content-type".to_owned(), content_type),
        ("policy".to_owned(), encoded.clone()),
    ];
    let _ = policy.check(&fields, "examplebucket", example_now());
    let _ = policy.length_range();
}

/// Feeds a body in pieces.
struct Pieces(std::vec::IntoIter<Bytes>);

impl ChunkSource for Pieces {
    async fn next_piece(&mut self) -> Option<S3Result<Bytes>> {
        self.0.next().map(Ok)
    }
}

/// The parts as read: each head with its value, then the error code if reading failed.
type Read = (Vec<(PartHead, Vec<u8>)>, Option<S3ErrorCode>);

async fn read_form(body: &[u8], piece: usize, boundary: &str) -> Read {
    let pieces: Vec<Bytes> = body.chunks(piece).map(Bytes::copy_from_slice).collect();
    let mut form = FormReader::new(Pieces(pieces.into_iter()), boundary);
    let mut parts = Vec::new();
    while parts.len() < MAX_PARTS {
        let head = match form.next_part().await {
            Ok(Some(head)) => head,
            Ok(None) => return (parts, None),
            Err(err) => return (parts, Some(err.code)),
        };
        match form
            .read_value(MAX_VALUE, super::super::post::form::malformed)
            .await
        {
            Ok(value) => parts.push((head, value)),
            Err(err) => return (parts, Some(err.code)),
        }
    }
    (parts, None)
}

fn form(mut input: Input<'_>) {
    let piece = 1 + usize::from(input.byte());
    let content_type = input.text();
    let Some(boundary) = boundary(&content_type) else {
        return;
    };
    let body = input.rest();
    let whole = futures::executor::block_on(read_form(body, body.len().max(1), &boundary));
    let pieces = futures::executor::block_on(read_form(body, piece, &boundary));
    assert_eq!(whole, pieces, "pieces of {piece}");
}
