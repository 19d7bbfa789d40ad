//! Command-line front ends of maintenance work on a store: `horreo scrub`.

pub mod scrub;
