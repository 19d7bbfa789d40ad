//! Incremental decoder of `Content-Encoding: aws-chunked` bodies:
//!
//! ```text
//! 10000;chunk-signature=<64 hex>\r\n <65536 bytes> \r\n      (signed)
//! 400\r\n <1024 bytes> \r\n                                   (unsigned)
//! 0;chunk-signature=<64 hex>\r\n                              (final chunk)
//! x-amz-checksum-crc32:sOO8/Q==\r\n                           (trailers, if any)
//! x-amz-trailer-signature:<64 hex>\r\n                        (signed trailers)
//! \r\n
//! ```
//!
//! Memory is bounded by one header or trailer line ([`MAX_LINE`]) plus the
//! trailers ([`MAX_TRAILER_BYTES`]): chunk data is streamed out as it arrives,
//! before the chunk's signature can be checked, so a caller must discard
//! everything it received if `push` or `finish` fails.

use bytes::BytesMut;
use sha2::{Digest, Sha256};

use super::payload::{ChunkSigning, Streaming};
use super::signing::{
    chunk_string_to_sign, parse_signature, signature_matches, signatures_equal,
    trailer_string_to_sign,
};
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// Longest chunk-header or trailer line accepted, CRLF included.
pub const MAX_LINE: usize = 4096;
/// Most trailer bytes accepted in total.
pub const MAX_TRAILER_BYTES: usize = 16 * 1024;
/// A chunk size is at most 16 hex digits (any `u64`).
const MAX_SIZE_DIGITS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk-header line.
    Header,
    /// This many bytes of the current chunk's data are still to come.
    Data(u64),
    /// Expecting the CRLF that ends chunk data; this many bytes of it seen.
    DataEnd(u8),
    /// Reading trailer lines after the final chunk, up to an empty line.
    Trailers,
    /// The body is complete; nothing more may follow.
    Done,
}

/// The chain of chunk signatures: each chunk's signature covers the previous one.
#[derive(Debug)]
struct Chain {
    signing: ChunkSigning,
    /// Hex signature of the previous chunk (the request signature at first).
    previous: String,
    /// Signature sent for the current chunk.
    provided: Option<[u8; 32]>,
    hasher: Sha256,
}

#[derive(Debug)]
pub struct ChunkedDecoder {
    chain: Option<Chain>,
    trailers_allowed: bool,
    declared_trailers: Vec<String>,
    decoded_limit: Option<u64>,
    state: State,
    line: Vec<u8>,
    decoded: u64,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<String>,
    trailer_bytes: usize,
    failed: Option<S3Error>,
}

fn malformed(what: &str) -> S3Error {
    S3Error::new(
        S3ErrorCode::IncompleteBody,
        format!("The aws-chunked request body is malformed: {what}."),
    )
}

fn chunk_signature_mismatch(string_to_sign: String, provided: &str) -> S3Error {
    S3Error::new(
        S3ErrorCode::SignatureDoesNotMatch,
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    )
    .with("StringToSign", string_to_sign)
    .with("SignatureProvided", provided)
}

fn length_mismatch(declared: u64) -> S3Error {
    S3Error::new(
        S3ErrorCode::IncompleteBody,
        format!(
            "The decoded body length does not match x-amz-decoded-content-length ({declared})."
        ),
    )
}

impl ChunkedDecoder {
    pub fn new(streaming: &Streaming) -> Self {
        Self {
            chain: streaming.signing.as_ref().map(|signing| Chain {
                signing: signing.clone(),
                previous: signing.seed.clone(),
                provided: None,
                hasher: Sha256::new(),
            }),
            trailers_allowed: streaming.trailer,
            declared_trailers: streaming.declared_trailers.clone(),
            decoded_limit: streaming.decoded_content_length,
            state: State::Header,
            line: Vec::new(),
            decoded: 0,
            trailers: Vec::new(),
            trailer_signature: None,
            trailer_bytes: 0,
            failed: None,
        }
    }

    /// Decoded content bytes produced so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// Decodes `raw`, appending chunk data to `out`. After an error every
    /// further call returns that error.
    pub fn push(&mut self, raw: &[u8], out: &mut BytesMut) -> S3Result<()> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let result = self.push_inner(raw, out);
        if let Err(err) = &result {
            self.failed = Some(err.clone());
        }
        result
    }

    fn push_inner(&mut self, mut raw: &[u8], out: &mut BytesMut) -> S3Result<()> {
        while !raw.is_empty() {
            match self.state {
                State::Header | State::Trailers => {
                    let taken = self.take_line(raw)?;
                    raw = &raw[taken..];
                }
                State::Data(remaining) => {
                    let n = usize::try_from(remaining).map_or(raw.len(), |r| r.min(raw.len()));
                    let (data, rest) = raw.split_at(n);
                    raw = rest;
                    self.decoded += n as u64;
                    if let Some(chain) = &mut self.chain {
                        chain.hasher.update(data);
                    }
                    out.extend_from_slice(data);
                    let remaining = remaining - n as u64;
                    self.state = if remaining == 0 {
                        State::DataEnd(0)
                    } else {
                        State::Data(remaining)
                    };
                }
                State::DataEnd(seen) => {
                    let expected = if seen == 0 { b'\r' } else { b'\n' };
                    if raw[0] != expected {
                        return Err(malformed("chunk data is not followed by CRLF"));
                    }
                    raw = &raw[1..];
                    if seen == 0 {
                        self.state = State::DataEnd(1);
                    } else {
                        self.verify_chunk()?;
                        self.state = State::Header;
                    }
                }
                State::Done => return Err(malformed("data follows the final chunk")),
            }
        }
        Ok(())
    }

    /// Moves bytes of `raw` into the line buffer up to and including the next
    /// LF, handling the line if complete. Returns how many bytes it consumed.
    fn take_line(&mut self, raw: &[u8]) -> S3Result<usize> {
        let (taken, complete) = match raw.iter().position(|&b| b == b'\n') {
            Some(lf) => (lf + 1, true),
            None => (raw.len(), false),
        };
        if self.line.len() + taken > MAX_LINE {
            return Err(malformed("a chunk header or trailer line is too long"));
        }
        self.line.extend_from_slice(&raw[..taken]);
        if complete {
            let mut line = std::mem::take(&mut self.line);
            let result = match line.strip_suffix(b"\r\n") {
                Some(content) if self.state == State::Header => self.on_header(content),
                Some(content) => self.on_trailer(content),
                None => Err(malformed("a line does not end with CRLF")),
            };
            line.clear();
            self.line = line;
            result?;
        }
        Ok(taken)
    }

    fn on_header(&mut self, line: &[u8]) -> S3Result<()> {
        let line =
            std::str::from_utf8(line).map_err(|_| malformed("a chunk header is not text"))?;
        let (size, extensions) = line.split_once(';').unwrap_or((line, ""));
        let size = size.trim_matches([' ', '\t']);
        if size.is_empty()
            || size.len() > MAX_SIZE_DIGITS
            || !size.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(malformed("a chunk size is not a hexadecimal number"));
        }
        let size = u64::from_str_radix(size, 16)
            .map_err(|_| malformed("a chunk size is not a hexadecimal number"))?;
        let mut signature = None;
        for extension in extensions.split(';') {
            let (name, value) = extension.split_once('=').unwrap_or((extension, ""));
            if name.trim_matches([' ', '\t']) == "chunk-signature" {
                if signature.is_some() {
                    return Err(malformed("a chunk has two signatures"));
                }
                signature = Some(value.trim_matches([' ', '\t']));
            }
        }
        if let Some(chain) = &mut self.chain {
            let Some(signature) = signature else {
                return Err(S3Error::new(
                    S3ErrorCode::SignatureDoesNotMatch,
                    "A chunk of the signed aws-chunked body has no chunk-signature.",
                ));
            };
            chain.provided = Some(
                parse_signature(signature)
                    .ok_or_else(|| chunk_signature_mismatch(String::new(), signature))?,
            );
            chain.hasher = Sha256::new();
        }
        // Checked before any of the chunk is emitted, so the output is the
        // same however the body is split.
        if let Some(limit) = self.decoded_limit
            && self.decoded.saturating_add(size) > limit
        {
            return Err(length_mismatch(limit));
        }
        if size == 0 {
            self.verify_chunk()?;
            self.state = State::Trailers;
        } else {
            self.state = State::Data(size);
        }
        Ok(())
    }

    /// Checks the signature of the chunk just read and advances the chain.
    fn verify_chunk(&mut self) -> S3Result<()> {
        let Some(chain) = &mut self.chain else {
            return Ok(());
        };
        let hash: [u8; 32] = std::mem::take(&mut chain.hasher).finalize().into();
        let string_to_sign = chunk_string_to_sign(
            &chain.signing.timestamp,
            &chain.signing.scope,
            &chain.previous,
            &hash,
        );
        let expected = chain.signing.key.sign(&string_to_sign);
        let provided = chain.provided.take().unwrap_or_default();
        if !signatures_equal(&provided, &expected) {
            return Err(chunk_signature_mismatch(
                string_to_sign,
                &hex::encode(provided),
            ));
        }
        chain.previous = hex::encode(expected);
        Ok(())
    }

    fn on_trailer(&mut self, line: &[u8]) -> S3Result<()> {
        if line.is_empty() {
            return self.end_trailers();
        }
        if !self.trailers_allowed {
            return Err(malformed(
                "trailing headers were sent without a trailer payload mode",
            ));
        }
        self.trailer_bytes += line.len() + 2;
        if self.trailer_bytes > MAX_TRAILER_BYTES {
            return Err(malformed("the trailing headers are too large"));
        }
        let line = std::str::from_utf8(line).map_err(|_| malformed("a trailer is not text"))?;
        let Some((name, value)) = line.split_once(':') else {
            return Err(malformed("a trailer line has no ':'"));
        };
        let name = name.trim_matches([' ', '\t']).to_ascii_lowercase();
        let value = value.trim_matches([' ', '\t']).to_owned();
        if name.is_empty() || name.bytes().any(|b| !b.is_ascii_graphic()) {
            return Err(malformed("a trailer name is invalid"));
        }
        if name == "x-amz-trailer-signature" {
            if self.trailer_signature.replace(value).is_some() {
                return Err(malformed("the trailer signature appears twice"));
            }
        } else {
            self.trailers.push((name, value));
        }
        Ok(())
    }

    /// The trailer section ended: verifies its signature and that every
    /// trailer announced in `x-amz-trailer` arrived.
    fn end_trailers(&mut self) -> S3Result<()> {
        if let Some(chain) = &self.chain
            && self.trailers_allowed
            && (!self.trailers.is_empty() || self.trailer_signature.is_some())
        {
            let mut sorted: Vec<&(String, String)> = self.trailers.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            let canonical: String = sorted
                .iter()
                .map(|(name, value)| format!("{name}:{value}\n"))
                .collect();
            let string_to_sign = trailer_string_to_sign(
                &chain.signing.timestamp,
                &chain.signing.scope,
                &chain.previous,
                &canonical,
            );
            let expected = chain.signing.key.sign(&string_to_sign);
            let provided = self.trailer_signature.as_deref().unwrap_or("");
            if !signature_matches(provided, &expected) {
                return Err(chunk_signature_mismatch(string_to_sign, provided));
            }
        }
        if let Some(missing) = self
            .declared_trailers
            .iter()
            .find(|name| !self.trailers.iter().any(|(n, _)| n == *name))
        {
            return Err(malformed(&format!(
                "the trailer {missing} announced in x-amz-trailer is missing"
            )));
        }
        self.state = State::Done;
        Ok(())
    }

    /// The body ended: it must have ended exactly after the final chunk and
    /// its trailers, and have the announced decoded length. Returns the trailers.
    pub fn finish(mut self) -> S3Result<Vec<(String, String)>> {
        if let Some(err) = self.failed.take() {
            return Err(err);
        }
        match self.state {
            State::Done => {}
            // Tolerated, as the AWS documentation's own example shows it: the
            // body ends without the blank line after the trailers, or even
            // without the CRLF of the last trailer line. A cut-short value
            // still fails its signature (or, unsigned, its checksum).
            State::Trailers => {
                let line = std::mem::take(&mut self.line);
                let line = line.strip_suffix(b"\r").unwrap_or(&line);
                if !line.is_empty() {
                    self.on_trailer(line)?;
                }
                self.end_trailers()?;
            }
            _ => {
                return Err(S3Error::new(
                    S3ErrorCode::IncompleteBody,
                    "The aws-chunked request body ended before its final chunk.",
                ));
            }
        }
        if let Some(limit) = self.decoded_limit
            && self.decoded != limit
        {
            return Err(length_mismatch(limit));
        }
        Ok(self.trailers)
    }
}
