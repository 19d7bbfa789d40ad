//! `horreo health`: asks a running server's health check over plain HTTP and
//! exits 0 only on `200 OK`. For container `HEALTHCHECK`s and scripts on images
//! that carry no HTTP client of their own.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::Context;

/// How long the whole check may take.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Whether `url` (`http://HOST:PORT/PATH`) answers `200`; an error when it
/// cannot be asked at all.
pub fn check(url: &str) -> anyhow::Result<bool> {
    let rest = url.strip_prefix("http://").context(
        "the health URL must start with http:// (use the admin listener for TLS servers)",
    )?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let address = authority
        .to_socket_addrs()
        .with_context(|| format!("resolving {authority}"))?
        .next()
        .with_context(|| format!("{authority} has no address"))?;
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)
        .with_context(|| format!("connecting to {authority}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 12];
    stream
        .read_exact(&mut head)
        .context("reading the status line")?;
    Ok(status_is_ok(&head))
}

fn status_is_ok(head: &[u8]) -> bool {
    head.starts_with(b"HTTP/1.") && head.get(8..12) == Some(b" 200".as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_200_is_healthy() {
        assert!(status_is_ok(b"HTTP/1.1 200"));
        assert!(!status_is_ok(b"HTTP/1.1 503"));
        assert!(!status_is_ok(b"HTTP/1.1 20"));
        assert!(check("https://127.0.0.1:1/").is_err());
    }
}
