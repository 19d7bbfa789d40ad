//! Entry points for fuzzing every parser that reads client bytes.
//!
//! Each function takes arbitrary bytes, drives the real parsers with them and
//! panics only when an invariant breaks (a parse that renders back to
//! something else, a decoder whose output depends on how its input was split,
//! a request signed as an SDK signs it that fails to verify). The cargo-fuzz
//! targets in `fuzz/` are one call each, and `tests` runs every function over
//! its committed corpus so that the targets keep compiling and passing in the
//! ordinary test run.
//!
//! Not an API: hidden from the documentation, for `fuzz/` and the tests only.

mod input;
#[cfg(test)]
mod tests;

pub use crate::auth::fuzzing::{authorization, aws_chunked, signed_request};
pub use crate::handlers::fuzzing::{headers, iam_policy, post_form, xml_bodies};
pub(crate) use input::{Input, printable};
