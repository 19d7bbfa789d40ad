//! Event notifications: a bucket's configuration, the events the engine
//! queues for it, and who caused them.

use std::time::SystemTime;

/// Every event type a notification configuration may name, as S3 spells them.
pub const EVENT_TYPES: &[&str] = &[
    "s3:TestEvent",
    "s3:ReducedRedundancyLostObject",
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectAcl:Put",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
];

/// The concrete event types `pattern` (one of [`EVENT_TYPES`]) stands for:
/// itself, or every type under a `*`.
fn expands_to(pattern: &str) -> Vec<&'static str> {
    match pattern.strip_suffix('*') {
        Some(family) => EVENT_TYPES
            .iter()
            .copied()
            .filter(|t| t.starts_with(family) && !t.ends_with('*'))
            .collect(),
        None => EVENT_TYPES
            .iter()
            .copied()
            .filter(|t| *t == pattern)
            .collect(),
    }
}

/// A bucket's notification configuration (PutBucketNotificationConfiguration).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationConfig {
    pub rules: Vec<NotificationRule>,
    /// An `EventBridgeConfiguration` element was given (kept, not acted on).
    pub event_bridge: bool,
}

/// Which element of the configuration a rule came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationKind {
    Topic,
    Queue,
    CloudFunction,
}

/// One Topic/Queue/CloudFunctionConfiguration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRule {
    pub id: String,
    pub kind: DestinationKind,
    /// The destination's ARN, as the client gave it.
    pub arn: String,
    /// Event types (`s3:ObjectCreated:*`, ...), each one of [`EVENT_TYPES`].
    pub events: Vec<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
}

impl NotificationRule {
    /// Whether an event of type `event` (`ObjectCreated:Put`, without `s3:`)
    /// on `key` goes to this rule's destination.
    pub fn matches(&self, event: &str, key: &str) -> bool {
        let wanted = self.events.iter().any(|pattern| {
            let pattern = pattern.strip_prefix("s3:").unwrap_or(pattern);
            match pattern.strip_suffix('*') {
                Some(family) => event.starts_with(family),
                None => pattern == event,
            }
        });
        wanted
            && self.prefix.as_deref().is_none_or(|p| key.starts_with(p))
            && self.suffix.as_deref().is_none_or(|s| key.ends_with(s))
    }

    /// Whether one event could match both rules: S3 refuses such a pair
    /// ("Configurations overlap"). They overlap when they share an event type
    /// and a key could pass both filters.
    pub fn overlaps(&self, other: &NotificationRule) -> bool {
        let mine: Vec<&str> = self.events.iter().flat_map(|e| expands_to(e)).collect();
        let shared = other
            .events
            .iter()
            .flat_map(|e| expands_to(e))
            .any(|t| mine.contains(&t));
        let compatible =
            |a: &Option<String>, b: &Option<String>, f: fn(&str, &str) -> bool| match (a, b) {
                (Some(a), Some(b)) => f(a, b) || f(b, a),
                _ => true,
            };
        shared
            && compatible(&self.prefix, &other.prefix, |a, b| a.starts_with(b))
            && compatible(&self.suffix, &other.suffix, |a, b| a.ends_with(b))
    }
}

/// How a change came about, for the events it causes: set on an [`Engine`]
/// handle with [`Engine::caused_by`] so that every write through it carries it.
///
/// [`Engine`]: crate::Engine
/// [`Engine::caused_by`]: crate::Engine::caused_by
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventCause {
    /// Who made the request (`userIdentity.principalId`); empty for the server.
    pub principal_id: String,
    /// `requestParameters.sourceIPAddress`.
    pub source_ip: String,
    /// `x-amz-request-id` of the request.
    pub request_id: String,
    pub origin: EventOrigin,
}

/// What kind of operation made the change: decides the event type of an object
/// creation (`ObjectCreated:Put`/`Post`/`Copy`) or removal
/// (`ObjectRemoved:*` or `LifecycleExpiration:*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EventOrigin {
    /// A plain request: PutObject, DeleteObject, tagging, ACL, ...
    #[default]
    Request,
    /// A browser upload through an HTML form (POST Object).
    Post,
    /// CopyObject.
    Copy,
    /// A lifecycle rule expiring objects.
    Lifecycle,
}

/// One event, as queued for delivery to one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEvent {
    /// The event type without `s3:` (`ObjectCreated:Put`), or `TestEvent`.
    pub name: String,
    pub time: SystemTime,
    pub bucket: String,
    /// The bucket owner's account id.
    pub bucket_owner: String,
    /// Empty for a test event.
    pub key: String,
    pub size: Option<u64>,
    pub etag: Option<String>,
    pub version_id: Option<String>,
    /// The id of the configuration rule that matched.
    pub config_id: String,
    pub cause: EventCause,
}

impl ObjectEvent {
    /// Whether this is the `s3:TestEvent` sent when a configuration is saved.
    pub fn is_test(&self) -> bool {
        self.name == "TestEvent"
    }
}

/// An event waiting in a destination's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEvent {
    /// The destination's ARN.
    pub destination: String,
    /// Increases with every change: orders events per key (S3's `sequencer`).
    pub sequence: u64,
    pub event: ObjectEvent,
}

/// How many events wait for one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventBacklog {
    pub destination: String,
    pub queued: u64,
    /// When the oldest waiting event happened.
    pub oldest: Option<SystemTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(events: &[&str], prefix: Option<&str>, suffix: Option<&str>) -> NotificationRule {
        NotificationRule {
            id: "r".into(),
            kind: DestinationKind::Queue,
            arn: "arn".into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            prefix: prefix.map(str::to_owned),
            suffix: suffix.map(str::to_owned),
        }
    }

    #[test]
    fn wildcards_and_filters_match() {
        let r = rule(&["s3:ObjectCreated:*"], Some("images/"), Some(".jpg"));
        assert!(r.matches("ObjectCreated:Put", "images/a.jpg"));
        assert!(r.matches("ObjectCreated:CompleteMultipartUpload", "images/b.jpg"));
        assert!(!r.matches("ObjectRemoved:Delete", "images/a.jpg"));
        assert!(!r.matches("ObjectCreated:Put", "docs/a.jpg"));
        assert!(!r.matches("ObjectCreated:Put", "images/a.png"));
        let exact = rule(&["s3:ObjectRemoved:DeleteMarkerCreated"], None, None);
        assert!(exact.matches("ObjectRemoved:DeleteMarkerCreated", "k"));
        assert!(!exact.matches("ObjectRemoved:Delete", "k"));
    }

    #[test]
    fn overlap_needs_a_shared_type_and_compatible_filters() {
        let all = rule(&["s3:ObjectCreated:*"], None, None);
        let put = rule(&["s3:ObjectCreated:Put"], Some("a/"), None);
        let removed = rule(&["s3:ObjectRemoved:*"], None, None);
        assert!(all.overlaps(&put));
        assert!(!all.overlaps(&removed));
        let b = rule(&["s3:ObjectCreated:Put"], Some("b/"), None);
        assert!(!put.overlaps(&b));
        let ab = rule(&["s3:ObjectCreated:Put"], Some("a/b"), None);
        assert!(put.overlaps(&ab));
        let jpg = rule(&["s3:ObjectCreated:Put"], None, Some(".jpg"));
        let png = rule(&["s3:ObjectCreated:Put"], None, Some(".png"));
        assert!(!jpg.overlaps(&png));
    }
}
