//! Client text that horreo sends back as a response header.
//!
//! Guarantees: a value with a control character is refused with `InvalidArgument`
//! where it enters (a stored content header or `x-amz-meta-*`, a `response-*`
//! override), and a stored value that still cannot be a header (written by an
//! older version, or damaged) is left out of the response instead of turning it
//! into a bare 500 from the HTTP layer.

use actix_web::HttpResponseBuilder;
use actix_web::http::header::{HeaderName, HeaderValue};

use crate::error::{S3Error, S3Result};

/// Whether `value` holds a control character (U+0000–U+001F, tab included, or U+007F).
pub fn has_control_character(value: &str) -> bool {
    value.chars().any(|c| c.is_ascii_control())
}

/// Refuses a value that is stored to be sent back later as header `name`.
pub fn check_storable(name: &str, value: &str) -> S3Result<()> {
    if has_control_character(value) {
        return Err(control_character(name));
    }
    Ok(())
}

fn control_character(name: &str) -> S3Error {
    // No `ArgumentValue`: XML 1.0 cannot carry most control characters.
    S3Error::invalid_argument("Header value cannot contain control characters.")
        .with("ArgumentName", name.to_owned())
}

/// The `response-*` overrides of GetObject/HeadObject, as (header, value), encoded
/// in ISO-8859-1 as AWS sends them. A control character, or a character
/// ISO-8859-1 lacks, is `InvalidArgument` naming the query parameter.
pub fn response_overrides(
    overrides: Vec<(&'static str, String)>,
) -> S3Result<Vec<(&'static str, HeaderValue)>> {
    overrides
        .into_iter()
        .map(|(header, value)| {
            let param = format!("response-{header}");
            if has_control_character(&value) {
                return Err(control_character(&param));
            }
            let encoded = iso_8859_1(&value)
                .and_then(|bytes| HeaderValue::from_bytes(&bytes).ok())
                .ok_or_else(|| {
                    S3Error::invalid_argument(
                        "Header value cannot be represented using ISO-8859-1.",
                    )
                    .with("ArgumentName", param)
                    .with("ArgumentValue", value)
                })?;
            Ok((header, encoded))
        })
        .collect()
}

/// `value` as ISO-8859-1 bytes; `None` if a character is beyond U+00FF.
fn iso_8859_1(value: &str) -> Option<Vec<u8>> {
    value
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

/// Sets header `name` to a stored `value`, or leaves it out (logged) if no
/// header can carry it: the rest of the response is still served.
pub fn insert_stored(resp: &mut HttpResponseBuilder, name: &str, value: &str) {
    if let Some(pair) = header_pair(name, value) {
        resp.insert_header(pair);
    }
}

/// Like [`insert_stored`], for a header that may repeat (`x-amz-meta-*`).
pub fn append_stored(resp: &mut HttpResponseBuilder, name: &str, value: &str) {
    if let Some(pair) = header_pair(name, value) {
        resp.append_header(pair);
    }
}

fn header_pair(name: &str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    match (HeaderName::try_from(name), HeaderValue::from_str(value)) {
        (Ok(name), Ok(value)) => Some((name, value)),
        _ => {
            tracing::warn!(header = name, "stored value cannot be a header; left out");
            None
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use actix_web::HttpResponse;

    #[test]
    fn control_characters_are_refused_where_values_are_stored() {
        for bad in ["a\nb", "\r", "x\0", "tab\there", "\u{7f}"] {
            assert!(check_storable("content-type", bad).is_err(), "{bad:?}");
        }
        for good in [
            "text/plain; charset=utf-8",
            "attachment; filename=\"é\"",
            "",
        ] {
            assert!(check_storable("content-type", good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn overrides_are_iso_8859_1_and_refuse_what_it_cannot_carry() {
        let query = |header: &'static str, value: &str| vec![(header, value.to_owned())];
        let got = response_overrides(query("content-disposition", "café")).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "content-disposition");
        assert_eq!(got[0].1.as_bytes(), b"caf\xe9");
        let err = response_overrides(query("content-type", "\n")).unwrap_err();
        assert_eq!(err.code, crate::error::S3ErrorCode::InvalidArgument);
        assert!(response_overrides(query("expires", "€")).is_err());
        assert!(response_overrides(Vec::new()).unwrap().is_empty());
    }

    #[test]
    fn a_stored_value_no_header_can_carry_is_left_out() {
        let mut resp = HttpResponse::Ok();
        insert_stored(&mut resp, "content-type", "text/plain\nX-Injected: 1");
        append_stored(&mut resp, "x-amz-meta-a", "fine");
        append_stored(&mut resp, "x-amz-meta-b\n", "bad name");
        let resp = resp.finish();
        assert_eq!(resp.status(), 200);
        assert!(resp.headers().get("content-type").is_none());
        assert_eq!(resp.headers().get("x-amz-meta-a").unwrap(), "fine");
        assert_eq!(resp.headers().len(), 1);
    }
}
