//! Commands that work on a stopped store's data directory.

pub mod fsck;
