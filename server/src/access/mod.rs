//! Access control: who a request comes from ([`Principal`]) and whether it
//! may do what it asks ([`Authoriser`]), by AWS's policy evaluation logic.

mod acl;
mod authorise;
mod context;
pub mod gate;
mod identities;
mod principal;

pub use authorise::{Ask, Authoriser, BucketAccess};
pub use context::{RequestFacts, request_context};
pub use identities::Identities;
pub use principal::{Caller, Identity, Principal};
