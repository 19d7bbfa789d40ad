//! `multipart`: one object of `--size` per operation, in parts of `--part-size`,
//! `--part-concurrency` parts of it in flight at once.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use futures::{StreamExt, TryStreamExt};

use super::{Shared, key};

/// How many parts an object of `size` has (at least one, possibly empty).
pub fn part_count(size: u64, part_size: u64) -> u64 {
    size.div_ceil(part_size.max(1)).max(1)
}

/// Uploads object `n` and returns its size; aborts the upload if a step fails.
pub async fn upload(shared: &Shared, n: u64) -> anyhow::Result<u64> {
    let a = &shared.args;
    let key = key(a.prefixes, n);
    let created = shared
        .client
        .create_multipart_upload()
        .bucket(&a.bucket)
        .key(&key)
        .send()
        .await?;
    let upload_id = created
        .upload_id
        .ok_or_else(|| anyhow::anyhow!("CreateMultipartUpload returned no UploadId"))?;
    let result = upload_parts(shared, &key, &upload_id).await;
    if result.is_err() {
        let _ = shared
            .client
            .abort_multipart_upload()
            .bucket(&a.bucket)
            .key(&key)
            .upload_id(&upload_id)
            .send()
            .await;
    }
    result
}

async fn upload_parts(shared: &Shared, key: &str, upload_id: &str) -> anyhow::Result<u64> {
    let a = &shared.args;
    let part_size = a.part_size.max(1);
    let parts = part_count(a.size, part_size);
    let completed: Vec<CompletedPart> = futures::stream::iter(0..parts)
        .map(|i| async move {
            let len = (a.size - i * part_size).min(part_size) as usize;
            let number = i32::try_from(i + 1)?;
            let out = shared
                .client
                .upload_part()
                .bucket(&a.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(shared.payload.slice(..len)))
                .send()
                .await?;
            Ok::<_, anyhow::Error>(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag)
                    .build(),
            )
        })
        .buffered(a.part_concurrency.max(1))
        .try_collect()
        .await?;
    shared
        .client
        .complete_multipart_upload()
        .bucket(&a.bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await?;
    Ok(a.size)
}

#[cfg(test)]
mod tests {
    use super::part_count;

    #[test]
    fn parts_cover_the_object() {
        assert_eq!(part_count(0, 8 << 20), 1);
        assert_eq!(part_count(1, 8 << 20), 1);
        assert_eq!(part_count(8 << 20, 8 << 20), 1);
        assert_eq!(part_count((8 << 20) + 1, 8 << 20), 2);
        assert_eq!(part_count(1 << 30, 8 << 20), 128);
    }
}
