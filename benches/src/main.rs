//! `horreo-bench`: a load generator for any S3 endpoint.
//!
//! Workers share one aws-sdk-s3 client (one connection pool) and one payload
//! buffer; each records its latencies locally, merged at the end, so the
//! generator itself stays cheap next to the server it measures. Progress goes
//! to stderr; stdout carries only the result (with `--json`, one JSON object).

mod args;
mod limits;
mod stats;
mod workload;

use std::time::Duration;

use anyhow::Context;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::error::DisplayErrorContext;
use clap::Parser;

use args::{Args, Workload};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.workload == Workload::Limits {
        return limits::run(args.duration.unwrap_or(Duration::from_secs(1)), args.json);
    }
    let (Some(access_key), Some(secret_key)) = (&args.access_key, &args.secret_key) else {
        anyhow::bail!(
            "credentials needed: --access-key/--secret-key or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        );
    };
    let creds =
        aws_credential_types::Credentials::new(access_key, secret_key, None, None, "horreo-bench");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(&args.endpoint)
        .region(aws_sdk_s3::config::Region::new(args.region.clone()))
        .credentials_provider(creds)
        .force_path_style(true)
        // A load generator counts failures; it does not hide them behind retries.
        .retry_config(RetryConfig::disabled())
        .build();
    let client = Client::from_conf(config);
    match client.create_bucket().bucket(&args.bucket).send().await {
        Ok(_) => {}
        // Some servers (s3s-fs) answer BucketAlreadyExists for the caller's own bucket.
        Err(e)
            if e.as_service_error().is_some_and(|s| {
                s.is_bucket_already_owned_by_you() || s.is_bucket_already_exists()
            }) => {}
        Err(e) => {
            return Err(anyhow::anyhow!("{}", DisplayErrorContext(e)))
                .context("creating the bench bucket");
        }
    }
    workload::run(client, args).await
}
