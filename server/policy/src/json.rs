//! A JSON tree that keeps object members in document order and refuses
//! duplicate keys, which `serde_json::Value` would silently collapse.
//!
//! Parsing is linear in the input: serde_json's reader, a hash set per object,
//! and serde_json's nesting limit (128) against deep recursion.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

/// One JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// A number, kept as its text so `10` and `10.0` stay as written.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses a complete document; `None` if it is not JSON or repeats a key.
    pub(crate) fn parse(text: &str) -> Option<Json> {
        serde_json::from_str(text).ok()
    }

    /// The text of a string, number or boolean: the forms a policy accepts
    /// wherever it expects a scalar.
    pub(crate) fn as_scalar(&self) -> Option<String> {
        match self {
            Json::String(s) | Json::Number(s) => Some(s.clone()),
            Json::Bool(b) => Some(b.to_string()),
            Json::Null | Json::Array(_) | Json::Object(_) => None,
        }
    }

    /// A string, or a non-empty array of strings: the form of `Action`,
    /// `Resource` and principal lists.
    pub(crate) fn strings(&self) -> Option<Vec<String>> {
        match self {
            Json::String(s) => Some(vec![s.clone()]),
            Json::Array(items) if !items.is_empty() => items
                .iter()
                .map(|item| match item {
                    Json::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!("duplicate key {key}")));
            }
            let value = map.next_value()?;
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn keeps_order_and_refuses_duplicates() {
        let Some(Json::Object(members)) = Json::parse(r#"{"b": 1, "a": [true, null, "x"]}"#) else {
            panic!("not an object");
        };
        assert_eq!(members[0].0, "b");
        assert_eq!(
            members[1].1,
            Json::Array(vec![Json::Bool(true), Json::Null, Json::String("x".into())])
        );
        assert_eq!(Json::parse(r#"{"a": 1, "a": 2}"#), None);
        assert_eq!(Json::parse(r#"{"a": 1} x"#), None);
        assert_eq!(Json::parse(&"[".repeat(100_000)), None);
    }
}
