//! horreo's S3 gateway: routing, SigV4 authentication, handlers and S3 XML.

mod access;
pub mod admin;
pub mod app;
pub mod auth;
pub mod backend;
mod body;
pub mod config;
mod cors;
mod credentials;
mod dates;
pub mod delivery;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
mod handlers;
mod listen;
pub mod master_key;
pub mod ops;
mod pipeline;
mod query;
pub mod routing;
mod startup;
pub mod tier_config;
pub mod tls;
mod xml;
