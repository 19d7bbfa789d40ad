//! silo's S3 gateway: routing, SigV4 authentication, handlers and S3 XML.

pub mod auth;
pub mod error;
