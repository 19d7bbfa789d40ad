//! Command-line front ends of maintenance work on a stopped store's data
//! directory: `horreo fsck`, `horreo scrub`.

pub mod fsck;
pub mod scrub;
