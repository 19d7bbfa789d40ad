//! Put/Get/DeleteBucketReplication.
//!
//! A rule's destination is a bucket of this server (`arn:aws:s3:::BUCKET`) or
//! of a remote S3 endpoint the server defines (`--replication-remote ID=URL`:
//! `arn:horreo:s3::ID:BUCKET`, see [`crate::delivery::replication`]). As on
//! AWS, the source bucket needs versioning, and so does a destination bucket
//! of this server.

mod config;

use actix_web::HttpResponse;
use horreo_storage::{ReplicationConfig, VersioningState};

use super::{Ctx, MAX_XML_BODY, xml_response};
use crate::body::RequestBody;
use crate::delivery::replication::Destination;
use crate::error::{S3Error, S3Result};
use crate::s3_error;
use crate::xml;

pub async fn put(ctx: Ctx, body: RequestBody) -> S3Result<HttpResponse> {
    let body = body.read_all(MAX_XML_BODY).await?;
    let config = config::validate(xml::parse(&body)?)?;
    let name = ctx.bucket.clone();
    let source = ctx.engine(move |e| e.bucket(&name)).await?;
    if source.versioning != VersioningState::Enabled {
        return Err(S3Error::invalid_request(
            "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
        ));
    }
    check_destinations(&ctx, &config).await?;
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.replication = Some(config);
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::Ok().finish())
}

/// Every destination must be a versioned bucket of this server other than
/// the source, or a bucket of a remote the server defines.
async fn check_destinations(ctx: &Ctx, config: &ReplicationConfig) -> S3Result<()> {
    for rule in &config.rules {
        let arn = &rule.destination.bucket_arn;
        match Destination::parse(arn) {
            None => {
                return Err(S3Error::invalid_argument(format!(
                    "Invalid destination bucket ARN: {arn}"
                )));
            }
            Some(Destination::Remote { remote, .. }) => {
                if ctx.state.replication.remote(&remote).is_none() {
                    return Err(S3Error::invalid_argument(format!(
                        "No replication remote {remote:?} is defined on the server"
                    )));
                }
            }
            Some(Destination::Local { bucket }) => {
                if bucket == ctx.bucket {
                    return Err(S3Error::invalid_request(
                        "Destination bucket cannot be the same as the source bucket.",
                    ));
                }
                let found = ctx.engine(move |e| e.bucket(&bucket)).await;
                match found {
                    Ok(b) if b.versioning == VersioningState::Enabled => {}
                    Ok(_) => {
                        return Err(S3Error::invalid_request(
                            "Destination bucket must have versioning enabled.",
                        ));
                    }
                    Err(e) if e.code.as_str() == "NoSuchBucket" => {
                        return Err(S3Error::invalid_request("Destination bucket must exist."));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(())
}

pub async fn get(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    let bucket = ctx.engine(move |e| e.bucket(&name)).await?;
    match &bucket.replication {
        Some(config) => Ok(xml_response(config::render(config))),
        None => Err(not_found(&ctx.bucket)),
    }
}

pub async fn delete(ctx: Ctx) -> S3Result<HttpResponse> {
    let name = ctx.bucket.clone();
    ctx.engine(move |e| {
        e.update_bucket(&name, |b| {
            b.replication = None;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn not_found(bucket: &str) -> S3Error {
    s3_error!(
        ReplicationConfigurationNotFoundError,
        "The replication configuration was not found"
    )
    .with("BucketName", bucket)
}
