//! What an ACL grants a request, as AWS maps ACL permissions to actions.
//!
//! An ACL grant is a resource-side allow: the policy evaluation still needs
//! the caller's identity side for a user of another account, and an explicit
//! deny still wins ([`horreo_policy::Policies::acl_allows`]).

use horreo_storage::{Account, Acl, Grantee, GroupGrantee, Permission};

use super::Principal;

/// Which ACL decides an action: the bucket's or the object's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclLevel {
    Bucket,
    Object,
}

/// The ACL and permission that grant `action`, if an ACL can grant it.
pub fn permission_for(action: &str) -> Option<(AclLevel, Permission)> {
    use AclLevel::{Bucket, Object};
    Some(match action {
        "s3:ListBucket" | "s3:ListBucketVersions" | "s3:ListBucketMultipartUploads" => {
            (Bucket, Permission::Read)
        }
        "s3:PutObject" | "s3:DeleteObject" | "s3:DeleteObjectVersion" => {
            (Bucket, Permission::Write)
        }
        "s3:GetBucketAcl" => (Bucket, Permission::ReadAcp),
        "s3:PutBucketAcl" => (Bucket, Permission::WriteAcp),
        "s3:GetObject" | "s3:GetObjectVersion" => (Object, Permission::Read),
        "s3:GetObjectAcl" | "s3:GetObjectVersionAcl" => (Object, Permission::ReadAcp),
        "s3:PutObjectAcl" | "s3:PutObjectVersionAcl" => (Object, Permission::WriteAcp),
        _ => return None,
    })
}

/// A resource's ACL with whom it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Protected<'a> {
    /// `None`: `private`, the owner's FULL_CONTROL.
    pub acl: Option<&'a Acl>,
    /// The bucket's or object's owner.
    pub owner: &'a Account,
    /// The bucket owner's account id: a grant to that account reaches its
    /// users only through their identity policies, as on AWS.
    pub bucket_owner: &'a str,
}

impl Protected<'_> {
    /// Whether the ACL grants `permission` to `principal`. With
    /// `ignore_public` (IgnorePublicAcls) grants to AllUsers and
    /// AuthenticatedUsers count for nothing. The owner always holds READ_ACP
    /// and WRITE_ACP, whatever the list says.
    pub fn grants(
        &self,
        principal: &Principal,
        permission: Permission,
        ignore_public: bool,
    ) -> bool {
        let owner_grant = [horreo_storage::Grant {
            grantee: Grantee::CanonicalUser(self.owner.canonical_id.clone()),
            permission: Permission::FullControl,
        }];
        let grants = self.acl.map_or(&owner_grant[..], |a| &a.grants[..]);
        let owner_acp = matches!(permission, Permission::ReadAcp | Permission::WriteAcp)
            && self.is_account(principal, &self.owner.canonical_id);
        owner_acp
            || grants.iter().any(|g| {
                g.permission.covers(permission)
                    && match &g.grantee {
                        Grantee::Group(group) if ignore_public && group.is_public() => false,
                        Grantee::Group(GroupGrantee::AllUsers) => true,
                        Grantee::Group(GroupGrantee::AuthenticatedUsers) => {
                            principal.caller().is_some()
                        }
                        Grantee::Group(GroupGrantee::LogDelivery) => false,
                        Grantee::CanonicalUser(id) => self.is_account(principal, id),
                    }
            })
    }

    /// Whether a grant to the account `canonical_id` reaches `principal`: its
    /// root, or any of its users outside the bucket owner's account.
    fn is_account(&self, principal: &Principal, canonical_id: &str) -> bool {
        principal.caller().is_some_and(|c| {
            c.account.canonical_id == canonical_id
                && (c.is_root() || c.account.id != self.bucket_owner)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::SystemTime;

    use horreo_storage::Grant;

    use super::*;
    use crate::access::Caller;
    use crate::access::principal::Identity;

    fn account(id: &str) -> Account {
        Account {
            id: id.into(),
            name: format!("name-{id}"),
            canonical_id: format!("canonical-{id}"),
            created: SystemTime::UNIX_EPOCH,
            access_keys: Vec::new(),
        }
    }

    fn root(id: &str) -> Principal {
        Principal::Caller(Arc::new(Caller::new(
            account(id),
            Identity::Root,
            "AK".into(),
            Vec::new(),
        )))
    }

    fn user(id: &str) -> Principal {
        let identity = Identity::User {
            name: "u".into(),
            id: "AIDA".into(),
            path: "/".into(),
        };
        Principal::Caller(Arc::new(Caller::new(
            account(id),
            identity,
            "AK".into(),
            Vec::new(),
        )))
    }

    fn grant(grantee: Grantee, permission: Permission) -> Grant {
        Grant {
            grantee,
            permission,
        }
    }

    #[test]
    fn actions_map_to_acl_permissions() {
        assert_eq!(
            permission_for("s3:ListBucketVersions"),
            Some((AclLevel::Bucket, Permission::Read))
        );
        assert_eq!(
            permission_for("s3:DeleteObjectVersion"),
            Some((AclLevel::Bucket, Permission::Write))
        );
        assert_eq!(
            permission_for("s3:GetObjectVersionAcl"),
            Some((AclLevel::Object, Permission::ReadAcp))
        );
        assert_eq!(permission_for("s3:PutBucketPolicy"), None);
        assert_eq!(permission_for("s3:GetObjectTagging"), None);
    }

    #[test]
    fn default_acl_is_the_owners_full_control() {
        let owner = account("111");
        let private = Protected {
            acl: None,
            owner: &owner,
            bucket_owner: "111",
        };
        assert!(private.grants(&root("111"), Permission::Write, false));
        assert!(!private.grants(&root("222"), Permission::Read, false));
        assert!(!private.grants(&Principal::Anonymous, Permission::Read, false));
        // A grant to the owner's account reaches its users only by policy.
        assert!(!private.grants(&user("111"), Permission::Read, false));
    }

    #[test]
    fn groups_and_accounts() {
        let owner = account("111");
        let acl = Acl {
            grants: vec![
                grant(Grantee::Group(GroupGrantee::AllUsers), Permission::Read),
                grant(
                    Grantee::Group(GroupGrantee::AuthenticatedUsers),
                    Permission::Write,
                ),
                grant(
                    Grantee::CanonicalUser("canonical-222".into()),
                    Permission::FullControl,
                ),
            ],
        };
        let p = Protected {
            acl: Some(&acl),
            owner: &owner,
            bucket_owner: "111",
        };
        assert!(p.grants(&Principal::Anonymous, Permission::Read, false));
        assert!(!p.grants(&Principal::Anonymous, Permission::Read, true));
        assert!(!p.grants(&Principal::Anonymous, Permission::Write, false));
        assert!(p.grants(&user("333"), Permission::Write, false));
        assert!(!p.grants(&user("333"), Permission::Write, true));
        assert!(p.grants(&root("222"), Permission::WriteAcp, true));
        assert!(p.grants(&user("222"), Permission::ReadAcp, true));
        assert!(!p.grants(&root("333"), Permission::ReadAcp, false));
        // The owner keeps READ_ACP and WRITE_ACP though the list omits it.
        assert!(p.grants(&root("111"), Permission::WriteAcp, true));
        assert!(!p.grants(&root("111"), Permission::Write, true));
    }

    #[test]
    fn log_delivery_grants_no_caller() {
        let owner = account("111");
        let acl = Acl {
            grants: vec![grant(
                Grantee::Group(GroupGrantee::LogDelivery),
                Permission::FullControl,
            )],
        };
        let p = Protected {
            acl: Some(&acl),
            owner: &owner,
            bucket_owner: "111",
        };
        assert!(!p.grants(&root("222"), Permission::Write, false));
    }
}
