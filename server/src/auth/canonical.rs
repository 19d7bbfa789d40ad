//! The canonical request of SigV4 as S3 computes it: the path is neither
//! normalised nor double-encoded, query parameters are sorted, header values
//! trimmed.

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn push_escaped(out: &mut String, b: u8) {
    out.push('%');
    out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
    out.push(char::from(HEX_UPPER[usize::from(b & 0x0f)]));
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The byte a `%XY` escape at the start of `rest` stands for.
fn escape_at(rest: &[u8]) -> Option<u8> {
    match rest {
        [b'%', hi, lo, ..] => Some((hex_value(*hi)? << 4) | hex_value(*lo)?),
        _ => None,
    }
}

/// Percent-encodes every byte but the unreserved ones (and `/` unless `encode_slash`).
pub fn uri_encode(out: &mut String, bytes: &[u8], encode_slash: bool) {
    for &b in bytes {
        if is_unreserved(b) || (b == b'/' && !encode_slash) {
            out.push(char::from(b));
        } else {
            push_escaped(out, b);
        }
    }
}

/// Decodes `%XY` escapes (and `+` as a space when `plus_is_space`); a `%` that
/// does not start a valid escape stands for itself.
pub fn percent_decode(s: &str, plus_is_space: bool) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if let Some(decoded) = escape_at(&bytes[i..]) {
            out.push(decoded);
            i += 3;
            continue;
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    out
}

/// The canonical URI of a path as sent on the wire: each byte is decoded and
/// encoded again with only the unreserved set left bare, so a client that sent
/// `!` or `+` unescaped verifies like one that escaped it. `/` separates
/// segments and stays; an escaped `%2F` stays escaped, because it is part of a
/// segment. No `.`/`..` normalisation and no double encoding, as S3 does.
pub fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".to_owned();
    }
    let bytes = raw_path.as_bytes();
    let mut out = String::with_capacity(bytes.len() + 16);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if let Some(decoded) = escape_at(&bytes[i..]) {
            if decoded == b'/' {
                out.push_str("%2F");
            } else {
                uri_encode(&mut out, &[decoded], false);
            }
            i += 3;
        } else {
            uri_encode(&mut out, &[b], false);
            i += 1;
        }
    }
    out
}

/// The parameters of a raw query string, decoded (`+` is a space), in order.
/// Empty segments (`a=1&&b=2`) are skipped; a parameter without `=` has an
/// empty value.
pub fn query_params(raw_query: &str) -> Vec<(String, String)> {
    raw_query
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            (
                String::from_utf8_lossy(&percent_decode(name, true)).into_owned(),
                String::from_utf8_lossy(&percent_decode(value, true)).into_owned(),
            )
        })
        .collect()
}

/// The canonical query string: every parameter decoded then encoded again,
/// sorted by encoded name then value, `name=value` joined by `&` (`acl=` for a
/// bare `acl`). With `skip_signature`, `X-Amz-Signature` is left out, as query
/// string authentication requires.
pub fn canonical_query(raw_query: &str, skip_signature: bool) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|segment| !segment.is_empty())
        .filter_map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            let name = percent_decode(name, true);
            if skip_signature && name == b"X-Amz-Signature" {
                return None;
            }
            let mut encoded_name = String::with_capacity(name.len());
            uri_encode(&mut encoded_name, &name, true);
            let mut encoded_value = String::with_capacity(value.len());
            uri_encode(&mut encoded_value, &percent_decode(value, true), true);
            Some((encoded_name, encoded_value))
        })
        .collect();
    pairs.sort_unstable();
    let mut out = String::with_capacity(raw_query.len() + 8);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// A header value as SigV4 signs it: surrounding whitespace removed, runs of
/// spaces collapsed into one.
pub fn trim_value(out: &mut String, value: &str) {
    let mut previous_space = false;
    for c in value.trim_matches([' ', '\t']).chars() {
        if c == ' ' {
            if !previous_space {
                out.push(' ');
            }
            previous_space = true;
        } else {
            out.push(c);
            previous_space = false;
        }
    }
}

/// The canonical request. `signed_headers` are the names listed in the
/// signature, in that order; each gets every value of that header in
/// `headers` (matched case-insensitively), trimmed and joined by `,`; a signed
/// header that is absent gets an empty value (and the signature will not match).
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    signed_headers: &[&str],
    headers: &[(impl AsRef<str>, impl AsRef<str>)],
    payload_hash: &str,
) -> String {
    let mut out = String::with_capacity(256 + canonical_uri.len() + canonical_query.len());
    out.push_str(method);
    out.push('\n');
    out.push_str(canonical_uri);
    out.push('\n');
    out.push_str(canonical_query);
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        let mut first = true;
        for (_, value) in headers
            .iter()
            .filter(|(n, _)| n.as_ref().eq_ignore_ascii_case(name))
        {
            if !first {
                out.push(',');
            }
            first = false;
            trim_value(&mut out, value.as_ref());
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn canonical_uri_keeps_unreserved_and_slash() {
        assert_eq!(canonical_uri("/bucket/a-b_c.d~e/f"), "/bucket/a-b_c.d~e/f");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/"), "/");
    }

    #[test]
    fn canonical_uri_reencodes_what_clients_leave_bare() {
        // boto3 and the AWS SDKs escape everything but unreserved and '/'; other
        // clients send sub-delimiters bare. Both must give the same canonical URI.
        for (wire, canonical) in [
            ("/b/my%20key", "/b/my%20key"),
            ("/b/a+b=c", "/b/a%2Bb%3Dc"),
            ("/b/a%2Bb%3Dc", "/b/a%2Bb%3Dc"),
            ("/b/x!*()'", "/b/x%21%2A%28%29%27"),
            ("/b/x%21%2a%28%29%27", "/b/x%21%2A%28%29%27"),
            ("/b/caf%C3%A9", "/b/caf%C3%A9"),
            ("/b/café", "/b/caf%C3%A9"),
            ("/b/test$file.text", "/b/test%24file.text"),
            ("/b/%7Euser", "/b/~user"),
            ("/b/a%2Fb", "/b/a%2Fb"),
            ("/b/a%2fb", "/b/a%2Fb"),
            ("/b/100%", "/b/100%25"),
            ("/b/%zz", "/b/%25zz"),
            ("/b/../c/./d", "/b/../c/./d"),
            ("/b//double", "/b//double"),
        ] {
            assert_eq!(canonical_uri(wire), canonical, "{wire}");
        }
    }

    #[test]
    fn canonical_query_sorts_and_encodes() {
        assert_eq!(canonical_query("", false), "");
        assert_eq!(canonical_query("acl", false), "acl=");
        assert_eq!(canonical_query("lifecycle=", false), "lifecycle=");
        assert_eq!(
            canonical_query("prefix=J&max-keys=2", false),
            "max-keys=2&prefix=J"
        );
        assert_eq!(
            canonical_query("prefix=a%20b+c&delimiter=/&x=%2f", false),
            "delimiter=%2F&prefix=a%20b%20c&x=%2F"
        );
        assert_eq!(canonical_query("b=2&a=2&a=1", false), "a=1&a=2&b=2");
        assert_eq!(canonical_query("a=1&&b=2&", false), "a=1&b=2");
        assert_eq!(
            canonical_query("k=%E2%9C%93&e=a=b", false),
            "e=a%3Db&k=%E2%9C%93"
        );
        assert_eq!(
            canonical_query("X-Amz-Signature=abc&X-Amz-Date=1", true),
            "X-Amz-Date=1"
        );
        assert_eq!(
            canonical_query("X-Amz-Signature=abc&X-Amz-Date=1", false),
            "X-Amz-Date=1&X-Amz-Signature=abc"
        );
    }

    #[test]
    fn query_params_decode() {
        assert_eq!(
            query_params("a=1&b&c=x%2Fy+z&&"),
            vec![
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), String::new()),
                ("c".to_owned(), "x/y z".to_owned()),
            ]
        );
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let headers = vec![
            ("host".to_owned(), "example.com".to_owned()),
            ("x-amz-meta-a".to_owned(), "  one   two  ".to_owned()),
            ("x-amz-meta-a".to_owned(), "\tthree ".to_owned()),
        ];
        let cr = canonical_request(
            "PUT",
            "/k",
            "",
            &["host", "x-amz-meta-a", "x-missing"],
            &headers,
            "UNSIGNED-PAYLOAD",
        );
        assert_eq!(
            cr,
            "PUT\n/k\n\nhost:example.com\nx-amz-meta-a:one two,three\nx-missing:\n\n\
             host;x-amz-meta-a;x-missing\nUNSIGNED-PAYLOAD"
        );
    }

    proptest! {
        /// What boto3 and the AWS SDKs put on the wire (every byte but the
        /// unreserved set and '/' escaped) is already canonical.
        #[test]
        fn sdk_encoded_paths_are_canonical(key in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut wire = String::from("/bucket/");
            uri_encode(&mut wire, &key, false);
            prop_assert_eq!(canonical_uri(&wire), wire);
        }

        /// Canonicalising is idempotent and never panics on any input.
        #[test]
        fn canonical_uri_is_idempotent(path in ".{0,64}") {
            let once = canonical_uri(&path);
            prop_assert_eq!(canonical_uri(&once), once.clone());
        }

        #[test]
        fn canonical_query_never_panics(query in ".{0,64}") {
            let _ = canonical_query(&query, true);
            let _ = query_params(&query);
        }
    }
}
