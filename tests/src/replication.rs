//! Replication fixtures shared by the replication tests: rules, configuring a
//! bucket, a remote server's `--replication-remote` value, and waiting for a
//! version's replication to settle.

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{
    DeleteMarkerReplication, DeleteMarkerReplicationStatus, Destination, ReplicationConfiguration,
    ReplicationRule, ReplicationRuleFilter, ReplicationRuleStatus,
};

use crate::Horreo;

/// An enabled rule for keys under `prefix` to the bucket `arn`, replicating
/// delete markers when `markers`.
pub fn rule(id: &str, priority: i32, prefix: &str, arn: &str, markers: bool) -> ReplicationRule {
    let destination = Destination::builder().bucket(arn).build().unwrap();
    rule_to(id, priority, prefix, destination, markers)
}

/// Like [`rule`], with a destination built by the caller.
pub fn rule_to(
    id: &str,
    priority: i32,
    prefix: &str,
    destination: Destination,
    markers: bool,
) -> ReplicationRule {
    let status = if markers {
        DeleteMarkerReplicationStatus::Enabled
    } else {
        DeleteMarkerReplicationStatus::Disabled
    };
    ReplicationRule::builder()
        .id(id)
        .priority(priority)
        .status(ReplicationRuleStatus::Enabled)
        .filter(ReplicationRuleFilter::builder().prefix(prefix).build())
        .delete_marker_replication(DeleteMarkerReplication::builder().status(status).build())
        .destination(destination)
        .build()
        .unwrap()
}

/// A replication configuration of `rules` with a placeholder role.
pub fn configuration(rules: Vec<ReplicationRule>) -> ReplicationConfiguration {
    ReplicationConfiguration::builder()
        .role("arn:aws:iam::000000000000:role/replication")
        .set_rules(Some(rules))
        .build()
        .unwrap()
}

/// Puts the replication configuration of `rules` on `bucket`.
pub async fn configure(s3: &Client, bucket: &str, rules: Vec<ReplicationRule>) {
    s3.put_bucket_replication()
        .bucket(bucket)
        .replication_configuration(configuration(rules))
        .send()
        .await
        .unwrap();
}

/// The `--replication-remote` value naming `destination` `id` (its buckets
/// are then `arn:horreo:s3::ID:BUCKET`), with its root credentials.
pub fn remote(id: &str, destination: &Horreo) -> String {
    format!(
        "{id}=http://{}:{}@{}",
        destination.access_key(),
        destination.secret_key(),
        destination.authority()
    )
}

/// The `x-amz-replication-status` of a version once it is no longer
/// PENDING (or after a minute); `customer_key`: its SSE-C key and key MD5.
pub async fn settled_status(
    s3: &Client,
    bucket: &str,
    key: &str,
    version: &str,
    customer_key: Option<(&str, &str)>,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut head = s3.head_object().bucket(bucket).key(key).version_id(version);
        if let Some((k, md5)) = customer_key {
            head = head
                .sse_customer_algorithm("AES256")
                .sse_customer_key(k)
                .sse_customer_key_md5(md5);
        }
        let status = head
            .send()
            .await
            .unwrap()
            .replication_status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        if status != "PENDING" || Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
