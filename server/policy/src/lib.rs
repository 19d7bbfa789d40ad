//! The IAM policy language, as AWS defines it for S3: parse and validate
//! identity, bucket, role trust and session policies; evaluate one policy or
//! all that bear on a request; tell whether a bucket policy is public.
//!
//! Pure code: no I/O, no clock (the caller puts `aws:CurrentTime` and
//! `aws:EpochTime` in the [`Context`]). No input makes it panic, and parsing
//! is linear in the document's size.
//!
//! ```
//! use horreo_policy::{Context, Decision, Policy, PolicyKind, Principal, Request};
//!
//! let policy = Policy::parse(
//!     r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
//!         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}]}"#,
//!     PolicyKind::Bucket { name: "site".into() },
//! )?;
//! let context = Context::new();
//! let request = Request {
//!     action: "s3:GetObject",
//!     resource: "arn:aws:s3:::site/index.html",
//!     principal: &Principal::Anonymous,
//!     context: &context,
//! };
//! assert_eq!(policy.evaluate(&request).decision, Decision::Allow);
//! assert!(policy.is_public());
//! # Ok::<(), horreo_policy::Error>(())
//! ```

mod actions;
mod authorize;
mod condition;
mod context;
mod document;
mod error;
mod evaluate;
mod json;
mod matching;
mod principal;
mod public;
mod validate;

pub use actions::{ACTIONS, Action, ResourceType, lookup as lookup_action};
pub use authorize::{Policies, Reason, Source, Verdict, authorize};
pub use context::{Context, Identity, IdentityKind, Principal, Request};
pub use document::{Effect, Statement};
pub use error::Error;
pub use evaluate::{Decision, Evaluation};
pub use principal::PrincipalMatch;

/// What a policy document is attached to, which sets its rules, its size
/// quota and how its errors are worded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A customer managed identity policy (6,144 characters).
    Managed,
    /// An inline policy of an IAM user (2,048 characters for all of them).
    UserInline,
    /// An inline policy of an IAM group (5,120 characters).
    GroupInline,
    /// An inline policy of an IAM role (10,240 characters).
    RoleInline,
    /// The policy of bucket `name` (20 KB): names principals, and only
    /// resources of that bucket and S3 actions that apply to them.
    Bucket {
        /// The bucket the policy is attached to.
        name: String,
    },
    /// A role's trust policy (2,048 characters): names principals, no resources.
    RoleTrust,
    /// A session policy passed to STS (2,048 characters).
    Session,
}

/// Whose wording a document's errors take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    S3,
    Iam {
        /// The quota named in `LimitExceeded` messages.
        quota: &'static str,
    },
}

impl PolicyKind {
    /// The error code a malformed document of this kind fails with:
    /// `MalformedPolicy` (S3) or `MalformedPolicyDocument` (IAM, STS).
    pub fn error_code(&self) -> &'static str {
        match self.dialect() {
            Dialect::S3 => "MalformedPolicy",
            Dialect::Iam { .. } => "MalformedPolicyDocument",
        }
    }

    /// The size quota: bytes for a bucket policy, characters other than
    /// white space for IAM.
    pub fn size_limit(&self) -> usize {
        match self {
            PolicyKind::Managed => 6_144,
            PolicyKind::UserInline | PolicyKind::RoleTrust | PolicyKind::Session => 2_048,
            PolicyKind::GroupInline => 5_120,
            PolicyKind::RoleInline => 10_240,
            PolicyKind::Bucket { .. } => 20 * 1024,
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        let quota = match self {
            PolicyKind::Bucket { .. } => return Dialect::S3,
            PolicyKind::Managed => "PolicySize",
            PolicyKind::UserInline => "UserPolicySize",
            PolicyKind::GroupInline => "GroupPolicySize",
            PolicyKind::RoleInline => "RolePolicySize",
            PolicyKind::RoleTrust => "ACLSizePerRole",
            PolicyKind::Session => "PackedPolicySize",
        };
        Dialect::Iam { quota }
    }

    /// Resource policies name principals; identity and session policies must not.
    pub(crate) fn has_principals(&self) -> bool {
        matches!(self, PolicyKind::Bucket { .. } | PolicyKind::RoleTrust)
    }

    /// Every kind but a trust policy names resources.
    pub(crate) fn has_resources(&self) -> bool {
        *self != PolicyKind::RoleTrust
    }
}

/// The policy language version (`Version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `2008-10-17`, also assumed when `Version` is missing: no policy variables.
    V2008_10_17,
    /// `2012-10-17`: policy variables in resources and condition values.
    V2012_10_17,
}

/// A parsed and validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    kind: PolicyKind,
    version: Version,
    id: Option<String>,
    statements: Vec<Statement>,
}

impl Policy {
    /// Parses `text` as a policy of `kind`, with the checks AWS makes when
    /// such a policy is stored; the error carries AWS's code and message.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, Error> {
        document::parse(text, &kind).map_err(|problem| problem.into_error(kind.dialect()))
    }

    /// The kind the policy was parsed as.
    pub fn kind(&self) -> &PolicyKind {
        &self.kind
    }

    /// The `Version` element.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The `Id` element.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// Whether a condition of the policy tests a key that starts with
    /// `prefix` (compared without case): tells the caller that the context
    /// needs such keys, which may be costly to find (`s3:ExistingObjectTag/`).
    pub fn tests_key(&self, prefix: &str) -> bool {
        let prefix = prefix.to_lowercase();
        self.statements
            .iter()
            .any(|s| s.conditions.iter().any(|c| c.key.starts_with(&prefix)))
    }
}
