//! The authoriser: gathers every policy that bears on a request (the
//! caller's identity policies, the bucket's policy, Block Public Access) and
//! asks the policy language for AWS's verdict.
//!
//! Parsed policies are cached: bucket entries until the bucket's policy,
//! settings or existence change through this server (see
//! [`Authoriser::forget_bucket`]), identity policies until an IAM change
//! ([`Authoriser::forget_identities`]). On a store of its own every change to
//! either goes through this process, so a cached answer is never stale; on a
//! store shared by gateways ([`Authoriser::new`]'s `shared`) nothing is
//! cached, since other gateways change them unseen.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use horreo_policy::{Context, Policies, Policy, PolicyKind, Reason, Request, Verdict};
use horreo_storage::{Account, Acl, CorsRule, Engine, PublicAccessBlock, WebsiteConfiguration};

use super::Identities;
use super::acl::{AclLevel, Protected, permission_for};
use super::principal::{Caller, Identity as CallerIdentity, Principal};
use crate::error::{S3Error, S3Result};

/// The condition keys of an object's stored tags, looked up only when a
/// policy that bears on the request tests one.
const EXISTING_OBJECT_TAG: &str = "s3:ExistingObjectTag/";

/// Parsed policies, shared.
type PolicySet = Arc<Vec<Policy>>;

/// What authorisation needs to know of a bucket.
pub struct BucketAccess {
    pub owner: Account,
    pub policy: Option<Policy>,
    /// Whether the policy grants public access (AWS's definition).
    pub public: bool,
    /// The bucket's Block Public Access settings with the server's.
    pub block: PublicAccessBlock,
    /// Whether ACLs take part in authorisation (Object Ownership is not
    /// BucketOwnerEnforced).
    pub acls_enabled: bool,
    /// The bucket ACL; `None` is `private`.
    pub acl: Option<Acl>,
    /// The bucket's CORS rules, if it has any.
    pub cors: Option<Vec<CorsRule>>,
    /// The bucket's website configuration, if it has one.
    pub website: Option<WebsiteConfiguration>,
}

/// Decides requests; shared by all workers.
pub struct Authoriser {
    /// Block Public Access for the whole server (like AWS's account level).
    server_block: PublicAccessBlock,
    /// Whether gateways share the store: then `buckets` and
    /// `identity_policies` stay empty.
    shared: bool,
    buckets: RwLock<HashMap<String, Arc<BucketAccess>>>,
    /// Parsed identity policies by (account id, `user/NAME` or `role/NAME`).
    identity_policies: RwLock<HashMap<(String, String), PolicySet>>,
}

/// What a request asks to do, on what.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub action: &'a str,
    pub bucket: Option<&'a str>,
    pub key: Option<&'a str>,
    /// The object version addressed; `None` for the current one.
    pub version_id: Option<&'a str>,
}

impl Ask<'_> {
    fn arn(&self) -> String {
        match (self.bucket, self.key) {
            (Some(bucket), Some(key)) => format!("arn:aws:s3:::{bucket}/{key}"),
            (Some(bucket), None) => format!("arn:aws:s3:::{bucket}"),
            (None, _) => "*".to_owned(),
        }
    }
}

impl Authoriser {
    /// `shared`: the store is shared by gateways, so nothing is cached.
    pub fn new(server_block: PublicAccessBlock, shared: bool) -> Self {
        Self {
            server_block,
            shared,
            buckets: RwLock::default(),
            identity_policies: RwLock::default(),
        }
    }

    /// The server-wide Block Public Access settings.
    pub fn server_block(&self) -> PublicAccessBlock {
        self.server_block
    }

    /// Drops what is cached of bucket `name`: call after any change to its
    /// policy or settings, and after creating or deleting it.
    pub fn forget_bucket(&self, name: &str) {
        if let Ok(mut buckets) = self.buckets.write() {
            buckets.remove(name);
        }
    }

    /// Drops every cached identity policy: call after any IAM change.
    pub fn forget_identities(&self) {
        if let Ok(mut policies) = self.identity_policies.write() {
            policies.clear();
        }
    }

    /// What authorisation knows of bucket `name`; `None` if it does not exist.
    pub async fn bucket(
        &self,
        engine: &Engine,
        identities: &Identities,
        name: &str,
    ) -> S3Result<Option<Arc<BucketAccess>>> {
        if let Some(found) = self.buckets.read().ok().and_then(|b| b.get(name).cloned()) {
            return Ok(Some(found));
        }
        let engine = engine.clone();
        let bucket_name = name.to_owned();
        let bucket = match blocking(move || engine.bucket(&bucket_name)).await {
            Ok(bucket) => bucket,
            Err(horreo_storage::Error::NoSuchBucket) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let policy = match &bucket.policy {
            Some(text) => match Policy::parse(text, PolicyKind::Bucket { name: name.into() }) {
                Ok(policy) => Some(policy),
                Err(e) => {
                    tracing::error!("the stored policy of bucket {name} does not parse: {e}");
                    return Err(S3Error::internal(e));
                }
            },
            None => None,
        };
        let access = Arc::new(BucketAccess {
            owner: identities.owner(&bucket.owner),
            public: policy.as_ref().is_some_and(Policy::is_public),
            policy,
            block: bucket
                .public_access_block
                .map_or(self.server_block, |b| b.or(self.server_block)),
            acls_enabled: bucket.acls_enabled(),
            acl: bucket.acl,
            cors: bucket.cors,
            website: bucket.website,
        });
        if !self.shared
            && let Ok(mut buckets) = self.buckets.write()
        {
            buckets.insert(name.to_owned(), Arc::clone(&access));
        }
        Ok(Some(access))
    }

    fn cached(&self, key: &(String, String)) -> Option<PolicySet> {
        self.identity_policies.read().ok()?.get(key).cloned()
    }

    fn remember(&self, key: (String, String), documents: &[String]) -> PolicySet {
        let parsed: PolicySet = Arc::new(
            documents
                .iter()
                .filter_map(|text| match Policy::parse(text, PolicyKind::Managed) {
                    Ok(policy) => Some(policy),
                    Err(e) => {
                        tracing::error!("a stored policy of {} does not parse: {e}", key.1);
                        None
                    }
                })
                .collect(),
        );
        if !self.shared
            && let Ok(mut cache) = self.identity_policies.write()
        {
            cache.insert(key, Arc::clone(&parsed));
        }
        parsed
    }

    /// The parsed identity policies of `caller` (none for a root).
    async fn identity_policies(
        &self,
        engine: &Engine,
        caller: &Arc<Caller>,
    ) -> S3Result<PolicySet> {
        let Some(key) = caller.policies_key() else {
            return Ok(Arc::default());
        };
        if let Some(found) = self.cached(key) {
            return Ok(found);
        }
        let (engine, who) = (engine.clone(), Arc::clone(caller));
        let documents = blocking(move || identity_documents(&engine, &who)).await?;
        Ok(self.remember(key.clone(), &documents))
    }

    /// Whether `caller`'s own policies (and session policies) allow `action`
    /// on `resource` of its own account: for IAM calls, which have no resource
    /// policy. Blocks on a cache miss.
    pub fn identity_allows(
        &self,
        engine: &Engine,
        caller: &Arc<Caller>,
        action: &str,
        resource: &str,
    ) -> S3Result<bool> {
        let owner = caller.account.id.clone();
        let context = Context::new();
        self.allows_with(engine, caller, action, resource, None, &owner, context)
    }

    /// Whether `caller` may do `action` on `resource`, owned by account
    /// `owner`, whose resource policy is `resource_policy` (a role's trust
    /// policy, for STS): AWS's evaluation, both sides across accounts. Blocks
    /// on a cache miss. `context` gets the principal's keys added.
    #[allow(clippy::too_many_arguments)]
    pub fn allows_with(
        &self,
        engine: &Engine,
        caller: &Arc<Caller>,
        action: &str,
        resource: &str,
        resource_policy: Option<&Policy>,
        owner: &str,
        context: Context,
    ) -> S3Result<bool> {
        let identity_policies = match caller.policies_key() {
            None => Arc::default(),
            Some(key) => match self.cached(key) {
                Some(found) => found,
                None => self.remember(key.clone(), &identity_documents(engine, caller)?),
            },
        };
        let Some(session) = session_policies(caller) else {
            return Ok(false);
        };
        let policy_principal = caller.policy_principal();
        let context = context.with_principal(policy_principal);
        let request = Request {
            action,
            resource,
            principal: policy_principal,
            context: &context,
        };
        let identity: Vec<&Policy> = identity_policies.iter().collect();
        let session: Vec<&Policy> = session.iter().collect();
        let policies = Policies {
            identity: &identity,
            session: &session,
            resource: resource_policy,
            resource_owner: Some(owner),
            acl_allows: false,
        };
        Ok(horreo_policy::authorize(&request, &policies).allowed)
    }

    /// AWS's verdict on `ask` by `principal`, whose request carries `context`;
    /// `bucket` is what [`Authoriser::bucket`] found of the bucket asked for.
    /// ACLs are consulted only when policies alone do not allow, and an
    /// object's record is read only then.
    pub async fn decide(
        &self,
        engine: &Engine,
        identities: &Identities,
        principal: &Principal,
        ask: Ask<'_>,
        bucket: Option<&BucketAccess>,
        mut context: Context,
    ) -> S3Result<Verdict> {
        let identity_policies = match principal.caller() {
            Some(caller) => self.identity_policies(engine, caller).await?,
            None => Arc::default(),
        };
        let identity: Vec<&Policy> = identity_policies.iter().collect();
        let Some(session) = principal
            .caller()
            .map_or(Some(Vec::new()), session_policies)
        else {
            return Ok(Verdict {
                allowed: false,
                reason: horreo_policy::Reason::ImplicitDeny,
            });
        };
        let session: Vec<&Policy> = session.iter().collect();
        let policy_principal = principal.policy_principal();
        let owner = bucket.map(|b| b.owner.id.as_str());
        let resource = bucket.and_then(|b| {
            let outsider = principal
                .caller()
                .is_none_or(|c| Some(c.account.id.as_str()) != owner);
            // RestrictPublicBuckets: a public policy grants nothing outside
            // the owner's account (its denies cannot matter there either).
            let restricted = b.public && b.block.restrict_public_buckets && outsider;
            b.policy.as_ref().filter(|_| !restricted)
        });
        let tests_tags = identity
            .iter()
            .copied()
            .chain(resource)
            .any(|p| p.tests_key(EXISTING_OBJECT_TAG));
        if let (true, Some(bucket_name), Some(key)) = (tests_tags, ask.bucket, ask.key) {
            let version = context.get("s3:VersionId").and_then(|v| v.first()).cloned();
            let (engine, bucket_name, key) =
                (engine.clone(), bucket_name.to_owned(), key.to_owned());
            let found =
                blocking(move || engine.head_object(&bucket_name, &key, version.as_deref())).await;
            // A key with no version yet has no tags: its conditions see none.
            for tag in found.map(|v| v.tags).unwrap_or_default() {
                context.insert(&format!("{EXISTING_OBJECT_TAG}{}", tag.key), tag.value);
            }
        }
        let arn = ask.arn();
        let request = Request {
            action: ask.action,
            resource: &arn,
            principal: policy_principal,
            context: &context,
        };
        let mut policies = Policies {
            identity: &identity,
            session: &session,
            resource,
            resource_owner: owner,
            acl_allows: false,
        };
        let verdict = horreo_policy::authorize(&request, &policies);
        let denied_explicitly = matches!(verdict.reason, Reason::ExplicitDeny(..));
        if verdict.allowed || denied_explicitly {
            return Ok(verdict);
        }
        let Some(bucket) = bucket.filter(|b| b.acls_enabled) else {
            return Ok(verdict);
        };
        if !acl_allows(engine, identities, principal, ask, bucket).await {
            return Ok(verdict);
        }
        policies.acl_allows = true;
        Ok(horreo_policy::authorize(&request, &policies))
    }
}

/// Whether the bucket's or object's ACL grants `ask` to `principal`; an
/// object that cannot be read grants nothing.
async fn acl_allows(
    engine: &Engine,
    identities: &Identities,
    principal: &Principal,
    ask: Ask<'_>,
    bucket: &BucketAccess,
) -> bool {
    let Some((level, permission)) = permission_for(ask.action) else {
        return false;
    };
    let ignore_public = bucket.block.ignore_public_acls;
    let on_bucket = Protected {
        acl: bucket.acl.as_ref(),
        owner: &bucket.owner,
        bucket_owner: &bucket.owner.id,
    };
    let (AclLevel::Object, Some(name), Some(key)) = (level, ask.bucket, ask.key) else {
        return level == AclLevel::Bucket && on_bucket.grants(principal, permission, ignore_public);
    };
    let engine = engine.clone();
    let (name, key, version) = (
        name.to_owned(),
        key.to_owned(),
        ask.version_id.map(str::to_owned),
    );
    let Ok(version) = blocking(move || engine.head_object(&name, &key, version.as_deref())).await
    else {
        return false;
    };
    let owner = identities.owner(&version.owner);
    Protected {
        acl: version.acl.as_ref(),
        owner: &owner,
        bucket_owner: &bucket.owner.id,
    }
    .grants(principal, permission, ignore_public)
}

/// The stored identity-policy documents of `caller` (blocks).
fn identity_documents(engine: &Engine, caller: &Caller) -> horreo_storage::Result<Vec<String>> {
    let account = &caller.account.id;
    match &caller.identity {
        CallerIdentity::Root => Ok(Vec::new()),
        CallerIdentity::User { name, .. } => engine.user_policy_documents(account, name),
        CallerIdentity::AssumedRole { role, .. } => engine.role_policy_documents(account, role),
    }
}

/// The parsed session policies of `caller`; `None` if one does not parse
/// (they were validated when the session was made: such a session may do
/// nothing rather than everything).
fn session_policies(caller: &Arc<Caller>) -> Option<Vec<Policy>> {
    caller
        .session_policies
        .iter()
        .map(|text| Policy::parse(text, PolicyKind::Session).ok())
        .collect()
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> horreo_storage::Result<T> + Send + 'static,
) -> horreo_storage::Result<T> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(horreo_storage::Error::Meta(format!(
            "engine task failed: {e}"
        )))
    })
}
