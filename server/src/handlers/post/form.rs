//! A `multipart/form-data` body read as it arrives: the fields before the
//! file are collected (bounded), the file part is handed out piece by piece
//! and never held whole; whatever follows the file is not read.

use bytes::{Bytes, BytesMut};

use crate::body::ChunkSource;
use crate::error::{S3Error, S3Result};
use crate::s3_error;

/// Bytes of a part's headers at most.
const MAX_PART_HEAD: usize = 8 * 1024;

/// The head of one part of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHead {
    /// The field name, as sent.
    pub name: String,
    /// The file name, for a file part.
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

/// Reads one form body.
pub struct FormReader<S> {
    body: S,
    /// Received, not yet consumed.
    buf: BytesMut,
    /// `\r\n--BOUNDARY`: what ends each part.
    delimiter: Vec<u8>,
    /// The body has no more bytes.
    exhausted: bool,
    /// The current part's content has been read up to its delimiter.
    at_delimiter: bool,
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

pub fn malformed() -> S3Error {
    s3_error!(
        MalformedPOSTRequest,
        "The body of your POST request is not well-formed multipart/form-data."
    )
}

impl<S: ChunkSource> FormReader<S> {
    pub fn new(body: S, boundary: &str) -> Self {
        // The first delimiter may open the body, without its CRLF: one is
        // supplied so that every delimiter looks alike.
        let mut buf = BytesMut::new();
        buf.extend_from_slice(b"\r\n");
        Self {
            body,
            buf,
            delimiter: format!("\r\n--{boundary}").into_bytes(),
            exhausted: false,
            at_delimiter: false,
        }
    }

    /// Receives more of the body; false at its end.
    async fn fill(&mut self) -> S3Result<bool> {
        if self.exhausted {
            return Ok(false);
        }
        match self.body.next_piece().await {
            Some(piece) => {
                self.buf.extend_from_slice(&piece?);
                Ok(true)
            }
            None => {
                self.exhausted = true;
                Ok(false)
            }
        }
    }

    /// The head of the next part; `None` after the closing delimiter. Any
    /// content of the current part not read yet is skipped.
    pub async fn next_part(&mut self) -> S3Result<Option<PartHead>> {
        while !self.at_delimiter {
            if self.next_piece_of_part().await?.is_none() && !self.at_delimiter {
                return Err(malformed());
            }
        }
        // Past the delimiter: `--` closes the form, CRLF opens a part.
        while self.buf.len() < self.delimiter.len() + 2 {
            if !self.fill().await? {
                return Err(malformed());
            }
        }
        let after = &self.buf[self.delimiter.len()..self.delimiter.len() + 2];
        if after == b"--" {
            return Ok(None);
        }
        if after != b"\r\n" {
            return Err(malformed());
        }
        let _ = self.buf.split_to(self.delimiter.len() + 2);
        let end = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                break end;
            }
            if self.buf.len() > MAX_PART_HEAD || !self.fill().await? {
                return Err(malformed());
            }
        };
        let head = self.buf.split_to(end + 4);
        self.at_delimiter = false;
        parse_head(&head[..end]).map(Some)
    }

    /// The next piece of the current part's content; `None` at its end.
    pub async fn next_piece_of_part(&mut self) -> S3Result<Option<Bytes>> {
        if self.at_delimiter {
            return Ok(None);
        }
        loop {
            if let Some(at) = find(&self.buf, &self.delimiter) {
                self.at_delimiter = true;
                if at == 0 {
                    return Ok(None);
                }
                return Ok(Some(self.buf.split_to(at).freeze()));
            }
            // All but what could be the start of a delimiter is content.
            let safe = self.buf.len().saturating_sub(self.delimiter.len() - 1);
            if safe > 0 {
                return Ok(Some(self.buf.split_to(safe).freeze()));
            }
            if !self.fill().await? {
                return Err(malformed());
            }
        }
    }

    /// Reads and discards what is left of the body, at most `limit` bytes.
    pub async fn drain(&mut self, limit: u64) {
        let mut drained = 0u64;
        self.buf.clear();
        while !self.exhausted && drained <= limit {
            match self.body.next_piece().await {
                Some(Ok(piece)) => drained += piece.len() as u64,
                _ => self.exhausted = true,
            }
        }
    }

    /// The whole content of the current (text) part; more than `limit`
    /// bytes fails with `error`.
    pub async fn read_value(&mut self, limit: usize, error: fn() -> S3Error) -> S3Result<Vec<u8>> {
        let mut value = Vec::new();
        while let Some(piece) = self.next_piece_of_part().await? {
            value.extend_from_slice(&piece);
            if value.len() > limit {
                return Err(error());
            }
        }
        Ok(value)
    }
}

/// The current part's content, as a [`ChunkSource`] for staging.
pub struct PartContent<'a, S>(pub &'a mut FormReader<S>);

impl<S: ChunkSource> ChunkSource for PartContent<'_, S> {
    async fn next_piece(&mut self) -> Option<S3Result<Bytes>> {
        self.0.next_piece_of_part().await.transpose()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while from + needle.len() <= haystack.len() {
        let at = from + haystack[from..].iter().position(|&b| b == first)?;
        if haystack.len() < at + needle.len() {
            return None;
        }
        if &haystack[at + 1..at + needle.len()] == rest {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// `Content-Disposition: form-data; name="key"; filename="a.txt"` and
/// `Content-Type`.
fn parse_head(raw: &[u8]) -> S3Result<PartHead> {
    let text = std::str::from_utf8(raw).map_err(|_| malformed())?;
    let mut name = None;
    let mut filename = None;
    let mut content_type = None;
    for line in text.split("\r\n") {
        let Some((header, value)) = line.split_once(':') else {
            continue;
        };
        let header = header.trim();
        if header.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned());
        } else if header.eq_ignore_ascii_case("content-disposition") {
            for param in disposition_params(value) {
                match param {
                    (n, v) if n.eq_ignore_ascii_case("name") => name = Some(v),
                    (n, v) if n.eq_ignore_ascii_case("filename") => filename = Some(v),
                    _ => {}
                }
            }
        }
    }
    Ok(PartHead {
        name: name.ok_or_else(malformed)?,
        filename,
        content_type,
    })
}

/// The `name=value` parameters of a Content-Disposition value, quotes
/// removed (a `;` inside quotes belongs to the value).
fn disposition_params(value: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut rest = value;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq].rsplit(';').next().unwrap_or_default().trim();
        let after = rest[eq + 1..].trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            }
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        params.push((name.to_owned(), value.to_owned()));
        rest = remaining;
    }
    params
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Feeds a body in pieces of `size` bytes.
    struct Pieces(Vec<Bytes>);

    impl ChunkSource for Pieces {
        async fn next_piece(&mut self) -> Option<S3Result<Bytes>> {
            (!self.0.is_empty()).then(|| Ok(self.0.remove(0)))
        }
    }

    fn pieces(body: &[u8], size: usize) -> Pieces {
        Pieces(body.chunks(size).map(Bytes::copy_from_slice).collect())
    }

    const FORM: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nuploads/${filename}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b.txt\"\r\nContent-Type: text/plain\r\n\r\nline one\r\n--XyQ not yet\r\n--XyZ--\r\n";

    #[tokio::test]
    async fn fields_and_file_parse_in_any_piece_size() {
        for size in [1, 2, 7, 64, FORM.len()] {
            let mut form = FormReader::new(pieces(FORM, size), "XyZ");
            let key = form.next_part().await.unwrap().unwrap();
            assert_eq!(key.name, "key");
            let value = form.read_value(100, malformed).await.unwrap();
            assert_eq!(value, b"uploads/${filename}");
            let file = form.next_part().await.unwrap().unwrap();
            assert_eq!(file.filename.as_deref(), Some("a;b.txt"));
            assert_eq!(file.content_type.as_deref(), Some("text/plain"));
            let mut content = Vec::new();
            while let Some(piece) = form.next_piece_of_part().await.unwrap() {
                content.extend_from_slice(&piece);
            }
            assert_eq!(content, b"line one\r\n--XyQ not yet", "pieces of {size}");
            assert_eq!(form.next_part().await.unwrap(), None);
        }
    }

    #[tokio::test]
    async fn a_truncated_form_is_malformed() {
        let mut form = FormReader::new(pieces(&FORM[..FORM.len() - 30], 5), "XyZ");
        form.next_part().await.unwrap();
        form.next_part().await.unwrap();
        let mut result = Ok(Some(Bytes::new()));
        while let Ok(Some(_)) = result {
            result = form.next_piece_of_part().await;
        }
        assert!(result.is_err());
    }

    #[test]
    fn boundaries_come_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----abc").as_deref(),
            Some("----abc")
        );
        assert_eq!(
            boundary("Multipart/Form-Data; charset=utf-8; boundary=\"q r\"").as_deref(),
            Some("q r")
        );
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
    }
}
