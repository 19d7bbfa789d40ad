//! S3 access control lists and Object Ownership. The engine keeps them; the
//! gateway decides what they mean for a request.

/// A bucket's Object Ownership setting: who owns new objects, and whether
/// ACLs take part in authorisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectOwnership {
    /// ACLs are disabled; the bucket owner owns every object.
    BucketOwnerEnforced,
    /// The bucket owner owns objects written with `bucket-owner-full-control`.
    BucketOwnerPreferred,
    /// The writer's account owns what it writes.
    ObjectWriter,
}

impl ObjectOwnership {
    const NAMES: [(Self, &'static str); 3] = [
        (Self::BucketOwnerEnforced, "BucketOwnerEnforced"),
        (Self::BucketOwnerPreferred, "BucketOwnerPreferred"),
        (Self::ObjectWriter, "ObjectWriter"),
    ];

    /// Parses S3's name of a setting (exact).
    pub fn parse(s: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(_, n)| *n == s).map(|(o, _)| *o)
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(o, _)| *o == self)
            .map_or("BucketOwnerEnforced", |(_, n)| n)
    }
}

/// The predefined groups an ACL can grant to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupGrantee {
    /// Everyone, anonymous requests included.
    AllUsers,
    /// Every signed request, from any account.
    AuthenticatedUsers,
    /// The server access log delivery group.
    LogDelivery,
}

impl GroupGrantee {
    const URIS: [(Self, &'static str); 3] = [
        (
            Self::AllUsers,
            "http://acs.amazonaws.com/groups/global/AllUsers",
        ),
        (
            Self::AuthenticatedUsers,
            "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
        ),
        (
            Self::LogDelivery,
            "http://acs.amazonaws.com/groups/s3/LogDelivery",
        ),
    ];

    /// The group a URI names (exact).
    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::URIS.iter().find(|(_, u)| *u == uri).map(|(g, _)| *g)
    }

    pub fn uri(self) -> &'static str {
        Self::URIS
            .iter()
            .find(|(g, _)| *g == self)
            .map_or("", |(_, u)| u)
    }

    /// Whether a grant to this group makes a resource public (AWS's meaning).
    pub fn is_public(self) -> bool {
        matches!(self, Self::AllUsers | Self::AuthenticatedUsers)
    }
}

/// Whom a grant is to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// An account, by its canonical id.
    CanonicalUser(String),
    Group(GroupGrantee),
}

/// What a grant allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    Write,
    ReadAcp,
    WriteAcp,
    FullControl,
}

impl Permission {
    const NAMES: [(Self, &'static str); 5] = [
        (Self::Read, "READ"),
        (Self::Write, "WRITE"),
        (Self::ReadAcp, "READ_ACP"),
        (Self::WriteAcp, "WRITE_ACP"),
        (Self::FullControl, "FULL_CONTROL"),
    ];

    /// Parses S3's name of a permission (exact, upper case).
    pub fn parse(s: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(_, n)| *n == s).map(|(p, _)| *p)
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(p, _)| *p == self)
            .map_or("FULL_CONTROL", |(_, n)| n)
    }

    /// Whether holding `self` gives `other` (FULL_CONTROL gives every one).
    pub fn covers(self, other: Self) -> bool {
        self == other || self == Self::FullControl
    }
}

/// One grant of an ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub grantee: Grantee,
    pub permission: Permission,
}

/// An access control list: its grants, in the order given. The owner is the
/// resource's (the bucket's or the version's `owner`), not part of the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acl {
    pub grants: Vec<Grant>,
}

impl Acl {
    /// `private`: the owner's FULL_CONTROL alone.
    pub fn private(owner_canonical_id: &str) -> Self {
        Self {
            grants: vec![Grant {
                grantee: Grantee::CanonicalUser(owner_canonical_id.to_owned()),
                permission: Permission::FullControl,
            }],
        }
    }

    /// Whether any grant is to everyone or to every signed caller.
    pub fn is_public(&self) -> bool {
        self.grants
            .iter()
            .any(|g| matches!(g.grantee, Grantee::Group(group) if group.is_public()))
    }

    /// Whether the list grants anything to anyone but `owner_canonical_id`.
    pub fn grants_others(&self, owner_canonical_id: &str) -> bool {
        self.grants
            .iter()
            .any(|g| !matches!(&g.grantee, Grantee::CanonicalUser(id) if id == owner_canonical_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (o, n) in ObjectOwnership::NAMES {
            assert_eq!(ObjectOwnership::parse(n), Some(o));
            assert_eq!(o.as_str(), n);
        }
        for (p, n) in Permission::NAMES {
            assert_eq!(Permission::parse(n), Some(p));
            assert_eq!(p.as_str(), n);
        }
        for (g, u) in GroupGrantee::URIS {
            assert_eq!(GroupGrantee::from_uri(u), Some(g));
            assert_eq!(g.uri(), u);
        }
        assert_eq!(Permission::parse("read"), None);
    }

    #[test]
    fn public_and_foreign_grants() {
        let mut acl = Acl::private("me");
        assert!(!acl.is_public() && !acl.grants_others("me"));
        acl.grants.push(Grant {
            grantee: Grantee::Group(GroupGrantee::LogDelivery),
            permission: Permission::Write,
        });
        assert!(!acl.is_public() && acl.grants_others("me"));
        acl.grants.push(Grant {
            grantee: Grantee::Group(GroupGrantee::AuthenticatedUsers),
            permission: Permission::Read,
        });
        assert!(acl.is_public());
    }
}
