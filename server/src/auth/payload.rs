//! How an authenticated request's body is framed and verified, and the
//! [`BodyDecoder`] that turns the raw body into the object's content.

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::chunked::ChunkedDecoder;
use super::signing::{SigningKey, signatures_equal};
use super::{RequestParts, Verified};
use crate::error::{S3Error, S3ErrorCode, S3Result};

pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
pub const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
pub const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
pub const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// What the client promised about the body, and how [`BodyDecoder`] checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadMode {
    /// `UNSIGNED-PAYLOAD` (and presigned URLs): the body is the content, unchecked.
    Unsigned,
    /// A literal `x-amz-content-sha256`: the body is the content and must hash to this.
    Sha256([u8; 32]),
    /// An aws-chunked body (`STREAMING-*`): chunk framing to strip, chunk
    /// signatures and trailers to check.
    Streaming(Streaming),
}

/// The parameters of an aws-chunked body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streaming {
    /// Present for `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`: every chunk
    /// must carry a valid `chunk-signature`. Absent for
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    pub signing: Option<ChunkSigning>,
    /// Whether trailing headers may follow the final chunk (`*-TRAILER`).
    pub trailer: bool,
    /// `x-amz-decoded-content-length`: the content length the decoder enforces.
    pub decoded_content_length: Option<u64>,
    /// Names announced in `x-amz-trailer` (lower-case); each must arrive.
    pub declared_trailers: Vec<String>,
}

/// What chunk signatures are computed from: the request's signing key, its
/// timestamp and scope, and the request signature that seeds the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkSigning {
    pub(super) key: SigningKey,
    pub(super) timestamp: String,
    pub(super) scope: String,
    pub(super) seed: String,
}

impl PayloadMode {
    /// The content length announced for an aws-chunked body, if any.
    pub fn decoded_content_length(&self) -> Option<u64> {
        match self {
            Self::Streaming(s) => s.decoded_content_length,
            _ => None,
        }
    }

    /// Whether the body is aws-chunked (and `Content-Length` counts the framing).
    pub fn is_aws_chunked(&self) -> bool {
        matches!(self, Self::Streaming(_))
    }
}

/// The `x-amz-content-sha256` value, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ContentSha256 {
    Unsigned,
    Sha256([u8; 32]),
    StreamingSigned { trailer: bool },
    StreamingUnsignedTrailer,
}

impl ContentSha256 {
    pub fn parse(value: &str) -> S3Result<Self> {
        Ok(match value {
            UNSIGNED_PAYLOAD => Self::Unsigned,
            STREAMING_SIGNED => Self::StreamingSigned { trailer: false },
            STREAMING_SIGNED_TRAILER => Self::StreamingSigned { trailer: true },
            STREAMING_UNSIGNED_TRAILER => Self::StreamingUnsignedTrailer,
            hex_digest => {
                let mut digest = [0u8; 32];
                hex::decode_to_slice(hex_digest, &mut digest).map_err(|_| {
                    S3Error::invalid_argument(
                        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.",
                    )
                    .with("ArgumentName", "x-amz-content-sha256")
                    .with("ArgumentValue", value)
                })?;
                Self::Sha256(digest)
            }
        })
    }

    /// The payload mode, given the request's headers and what chunk
    /// signatures chain from (`None` for an anonymous request, which cannot
    /// use signed streaming: `AccessDenied`).
    pub fn into_mode(
        self,
        req: &RequestParts<'_>,
        signing: Option<ChunkSigning>,
    ) -> S3Result<PayloadMode> {
        let (signing, trailer) = match (self, signing) {
            (Self::Unsigned, _) => return Ok(PayloadMode::Unsigned),
            (Self::Sha256(digest), _) => return Ok(PayloadMode::Sha256(digest)),
            (Self::StreamingSigned { trailer }, Some(signing)) => (Some(signing), trailer),
            (Self::StreamingSigned { .. }, None) => return Err(S3Error::access_denied()),
            (Self::StreamingUnsignedTrailer, _) => (None, true),
        };
        let decoded_content_length = match req.header("x-amz-decoded-content-length") {
            None => None,
            Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
                S3Error::invalid_argument("x-amz-decoded-content-length is not a valid length.")
                    .with("ArgumentName", "x-amz-decoded-content-length")
                    .with("ArgumentValue", v.as_ref())
            })?),
        };
        let declared_trailers = if trailer {
            req.header_values("x-amz-trailer")
                .flat_map(|v| v.split(','))
                .map(|name| name.trim().to_ascii_lowercase())
                .filter(|name| !name.is_empty())
                .collect()
        } else {
            Vec::new()
        };
        Ok(PayloadMode::Streaming(Streaming {
            signing,
            trailer,
            decoded_content_length,
            declared_trailers,
        }))
    }
}

/// Turns raw body bytes into the object's content while verifying them as the
/// payload mode requires. Content may be emitted before it is verified (a
/// chunk's signature follows its data only in time, a literal SHA-256 only at
/// the end): whatever was emitted must be discarded unless every `push` and
/// `finish` succeeded.
#[derive(Debug)]
pub struct BodyDecoder {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Plain {
        expected: Option<[u8; 32]>,
        hasher: Sha256,
        len: u64,
    },
    Chunked(Box<ChunkedDecoder>),
}

impl BodyDecoder {
    pub fn new(verified: &Verified) -> Self {
        Self::for_mode(&verified.payload)
    }

    pub fn for_mode(mode: &PayloadMode) -> Self {
        let inner = match mode {
            PayloadMode::Unsigned => Inner::Plain {
                expected: None,
                hasher: Sha256::new(),
                len: 0,
            },
            PayloadMode::Sha256(digest) => Inner::Plain {
                expected: Some(*digest),
                hasher: Sha256::new(),
                len: 0,
            },
            PayloadMode::Streaming(streaming) => {
                Inner::Chunked(Box::new(ChunkedDecoder::new(streaming)))
            }
        };
        Self { inner }
    }

    /// Feeds the next raw body bytes, split anywhere; appends decoded content
    /// to `out`. The output does not depend on how the body was split.
    pub fn push(&mut self, raw: &[u8], out: &mut BytesMut) -> S3Result<()> {
        match &mut self.inner {
            Inner::Plain {
                expected,
                hasher,
                len,
            } => {
                if expected.is_some() {
                    hasher.update(raw);
                }
                *len += raw.len() as u64;
                out.extend_from_slice(raw);
                Ok(())
            }
            Inner::Chunked(decoder) => decoder.push(raw, out),
        }
    }

    /// Like [`BodyDecoder::push`], for raw bytes held in a [`Bytes`]: a body
    /// that is not aws-chunked is its own content and comes back as it is,
    /// without a copy; an aws-chunked one is decoded into a new buffer.
    pub fn push_bytes(&mut self, raw: Bytes) -> S3Result<Bytes> {
        match &mut self.inner {
            Inner::Plain {
                expected,
                hasher,
                len,
            } => {
                if expected.is_some() {
                    hasher.update(&raw);
                }
                *len += raw.len() as u64;
                Ok(raw)
            }
            Inner::Chunked(decoder) => {
                let mut out = BytesMut::with_capacity(raw.len());
                decoder.push(&raw, &mut out)?;
                Ok(out.freeze())
            }
        }
    }

    /// Content bytes produced so far.
    pub fn decoded_len(&self) -> u64 {
        match &self.inner {
            Inner::Plain { len, .. } => *len,
            Inner::Chunked(decoder) => decoder.decoded_len(),
        }
    }

    /// The raw body ended: checks what only the end can show (the payload
    /// SHA-256; the final chunk, its signature and the trailer signature; the
    /// decoded length) and returns the trailing headers, names lower-case.
    pub fn finish(self) -> S3Result<Vec<(String, String)>> {
        match self.inner {
            Inner::Plain {
                expected: Some(expected),
                hasher,
                ..
            } => {
                let computed: [u8; 32] = hasher.finalize().into();
                if signatures_equal(&computed, &expected) {
                    Ok(Vec::new())
                } else {
                    Err(S3Error::new(
                        S3ErrorCode::XAmzContentSHA256Mismatch,
                        "The provided 'x-amz-content-sha256' header does not match what was computed.",
                    )
                    .with("ClientComputedContentSHA256", hex::encode(expected))
                    .with("S3ComputedContentSHA256", hex::encode(computed)))
                }
            }
            Inner::Plain { expected: None, .. } => Ok(Vec::new()),
            Inner::Chunked(decoder) => decoder.finish(),
        }
    }
}
