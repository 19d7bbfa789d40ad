//! The AWS query protocol (`Action=...&Version=...`) that IAM and STS share:
//! reading its parameters and writing its response envelope and errors.

pub mod params;
pub mod response;
