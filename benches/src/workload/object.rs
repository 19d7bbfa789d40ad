//! The single-request operations: PutObject, GetObject, DeleteObject, ListObjectsV2.
//! Each returns the payload bytes it moved.

use std::sync::atomic::Ordering;

use aws_sdk_s3::primitives::ByteStream;

use super::{Shared, key};

pub async fn put(shared: &Shared, n: u64) -> anyhow::Result<u64> {
    let a = &shared.args;
    shared
        .client
        .put_object()
        .bucket(&a.bucket)
        .key(key(a.prefixes, n))
        .body(ByteStream::from(shared.payload.clone()))
        .send()
        .await?;
    Ok(shared.payload.len() as u64)
}

/// Reads object `n` to its end, discarding the bytes.
pub async fn get(shared: &Shared, n: u64) -> anyhow::Result<u64> {
    let a = &shared.args;
    let out = shared
        .client
        .get_object()
        .bucket(&a.bucket)
        .key(key(a.prefixes, n))
        .send()
        .await?;
    let mut body = out.body;
    let mut read = 0u64;
    while let Some(chunk) = body.try_next().await? {
        read += chunk.len() as u64;
    }
    Ok(read)
}

pub async fn delete(shared: &Shared, n: u64) -> anyhow::Result<u64> {
    let a = &shared.args;
    shared
        .client
        .delete_object()
        .bucket(&a.bucket)
        .key(key(a.prefixes, n))
        .send()
        .await?;
    Ok(0)
}

pub async fn list(shared: &Shared, n: u64) -> anyhow::Result<u64> {
    let a = &shared.args;
    let from_start = a.from_start || a.delimiter.is_some();
    let out = shared
        .client
        .list_objects_v2()
        .bucket(&a.bucket)
        .max_keys(a.max_keys)
        .set_delimiter(a.delimiter.clone())
        .set_start_after((!from_start).then(|| key(a.prefixes, n % a.items())))
        .send()
        .await?;
    // KeyCount counts keys and common prefixes, as S3 defines it.
    let returned = out.key_count.unwrap_or(0).max(0) as u64;
    shared.listed.fetch_add(returned, Ordering::Relaxed);
    Ok(0)
}
