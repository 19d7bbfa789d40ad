//! Access control: who a request comes from ([`Principal`]) and what it may do.

mod identities;
mod principal;

pub use identities::Identities;
pub use principal::{Caller, Identity, Principal};
