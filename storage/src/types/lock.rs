//! Object lock (WORM): a bucket's default retention and each version's lock.

use std::time::{Duration, SystemTime};

/// How strictly a retention period protects a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionMode {
    /// Removable or shortenable early by a request that bypasses governance.
    Governance,
    /// Never removable or shortenable before its date, by anyone.
    Compliance,
}

impl RetentionMode {
    /// Parses `GOVERNANCE` or `COMPLIANCE` (exact, as AWS requires).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "GOVERNANCE" => Some(Self::Governance),
            "COMPLIANCE" => Some(Self::Compliance),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Governance => "GOVERNANCE",
            Self::Compliance => "COMPLIANCE",
        }
    }
}

/// A version's retention: it cannot be removed before `retain_until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub mode: RetentionMode,
    pub retain_until: SystemTime,
}

impl Retention {
    /// A retention until `retain_until`, truncated to whole milliseconds as S3
    /// reports it, so that a date read back and sent again is the same date.
    pub fn new(mode: RetentionMode, retain_until: SystemTime) -> Self {
        let since_epoch = retain_until
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let millis = Duration::from_millis(since_epoch.as_millis().try_into().unwrap_or(u64::MAX));
        Self {
            mode,
            retain_until: SystemTime::UNIX_EPOCH + millis,
        }
    }

    /// Whether the retention still protects its version at `now`.
    pub fn is_active(&self, now: SystemTime) -> bool {
        self.retain_until > now
    }
}

/// The lock state of one object version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObjectLock {
    pub retention: Option<Retention>,
    /// `Some(true)` while a legal hold is on; `None` if none was ever set.
    pub legal_hold: Option<bool>,
}

impl ObjectLock {
    /// Whether anything is set at all.
    pub fn is_set(&self) -> bool {
        self.retention.is_some() || self.legal_hold.is_some()
    }

    /// Whether a version with this lock may be removed at `now`: never under a
    /// legal hold or an active COMPLIANCE retention; under an active GOVERNANCE
    /// retention only when `bypass_governance`.
    pub fn allows_removal(&self, now: SystemTime, bypass_governance: bool) -> bool {
        if self.legal_hold == Some(true) {
            return false;
        }
        match self.retention {
            Some(r) if r.is_active(now) => r.mode == RetentionMode::Governance && bypass_governance,
            _ => true,
        }
    }

    /// Whether the retention may change from what it is to `new` at `now`.
    /// An active retention may always be kept or extended in the same mode.
    /// Any other change of an active GOVERNANCE retention (shortening, removal,
    /// or a change of mode, to COMPLIANCE too) needs `bypass_governance`; an
    /// active COMPLIANCE retention allows no other change at all. An expired
    /// retention may change freely.
    pub fn allows_retention(
        &self,
        new: Option<&Retention>,
        now: SystemTime,
        bypass_governance: bool,
    ) -> bool {
        let Some(old) = self.retention.filter(|r| r.is_active(now)) else {
            return true;
        };
        let kept_or_extended =
            new.is_some_and(|n| n.mode == old.mode && n.retain_until >= old.retain_until);
        kept_or_extended || (old.mode == RetentionMode::Governance && bypass_governance)
    }
}

/// A retention period counted from a version's creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionPeriod {
    Days(u32),
    Years(u32),
}

impl RetentionPeriod {
    /// The period's length; a year counts 365 days.
    pub fn duration(self) -> Duration {
        let days = match self {
            Self::Days(d) => u64::from(d),
            Self::Years(y) => u64::from(y) * 365,
        };
        Duration::from_secs(days * 24 * 60 * 60)
    }
}

/// The retention every new version of a bucket gets unless its write names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRetention {
    pub mode: RetentionMode,
    pub period: RetentionPeriod,
}

/// A bucket's object lock configuration; its presence means object lock is
/// enabled, which it stays for the life of the bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObjectLockConfig {
    pub default_retention: Option<DefaultRetention>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn retention(mode: RetentionMode, until: SystemTime) -> Option<Retention> {
        Some(Retention {
            mode,
            retain_until: until,
        })
    }

    #[test]
    fn removal_rules() {
        let now = SystemTime::now();
        let (past, future) = (now - HOUR, now + HOUR);
        let lock = |retention, legal_hold| ObjectLock {
            retention,
            legal_hold,
        };
        use RetentionMode::*;
        assert!(lock(None, None).allows_removal(now, false));
        assert!(lock(None, Some(false)).allows_removal(now, false));
        assert!(!lock(None, Some(true)).allows_removal(now, true));
        assert!(lock(retention(Compliance, past), None).allows_removal(now, false));
        assert!(!lock(retention(Compliance, future), None).allows_removal(now, true));
        assert!(!lock(retention(Governance, future), None).allows_removal(now, false));
        assert!(lock(retention(Governance, future), None).allows_removal(now, true));
        assert!(!lock(retention(Governance, future), Some(true)).allows_removal(now, true));
    }

    #[test]
    fn retention_change_rules() {
        let now = SystemTime::now();
        let (soon, later) = (now + HOUR, now + 2 * HOUR);
        use RetentionMode::*;
        let with = |r: Option<Retention>| ObjectLock {
            retention: r,
            legal_hold: None,
        };
        let compliance = with(retention(Compliance, soon));
        assert!(compliance.allows_retention(retention(Compliance, later).as_ref(), now, false));
        assert!(compliance.allows_retention(retention(Compliance, soon).as_ref(), now, false));
        assert!(!compliance.allows_retention(retention(Compliance, now).as_ref(), now, true));
        assert!(!compliance.allows_retention(retention(Governance, later).as_ref(), now, true));
        assert!(!compliance.allows_retention(None, now, true));
        let governance = with(retention(Governance, soon));
        assert!(governance.allows_retention(retention(Governance, later).as_ref(), now, false));
        assert!(!governance.allows_retention(retention(Compliance, later).as_ref(), now, false));
        assert!(!governance.allows_retention(retention(Compliance, soon).as_ref(), now, false));
        assert!(governance.allows_retention(retention(Compliance, later).as_ref(), now, true));
        assert!(!governance.allows_retention(retention(Governance, now).as_ref(), now, false));
        assert!(governance.allows_retention(retention(Governance, now).as_ref(), now, true));
        assert!(!governance.allows_retention(None, now, false));
        assert!(governance.allows_retention(None, now, true));
        let expired = with(retention(Compliance, now - HOUR));
        assert!(expired.allows_retention(None, now, false));
        assert!(with(None).allows_retention(retention(Governance, soon).as_ref(), now, false));
    }

    #[test]
    fn periods() {
        assert_eq!(RetentionPeriod::Days(2).duration(), 48 * HOUR);
        assert_eq!(RetentionPeriod::Years(1).duration(), 365 * 24 * HOUR);
    }
}
