//! The crate's one error type, and the wording of every rejection in one table.
//!
//! S3 (`PutBucketPolicy`) and IAM/STS word the same fault differently; the
//! parser reports a [`Problem`] and [`Problem::into_error`] words it for the
//! kind of policy being parsed.

use crate::Dialect;

/// Why a policy document was refused, with the error code and message AWS sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// S3's `MalformedPolicy` (bucket policies).
    #[error("MalformedPolicy: {0}")]
    MalformedPolicy(String),
    /// IAM's and STS's `MalformedPolicyDocument` (identity, trust and session policies).
    #[error("MalformedPolicyDocument: {0}")]
    MalformedPolicyDocument(String),
    /// IAM's `LimitExceeded`: the document is over its size quota.
    #[error("LimitExceeded: {0}")]
    LimitExceeded(String),
}

impl Error {
    /// The error code AWS returns (`MalformedPolicy`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedPolicy(_) => "MalformedPolicy",
            Self::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            Self::LimitExceeded(_) => "LimitExceeded",
        }
    }

    /// The message AWS returns with the code.
    pub fn message(&self) -> &str {
        match self {
            Self::MalformedPolicy(m)
            | Self::MalformedPolicyDocument(m)
            | Self::LimitExceeded(m) => m,
        }
    }
}

/// A fault found in a document, before it is worded for S3 or IAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Not JSON, not an object, a duplicate key, or a value of the wrong JSON type.
    Syntax,
    TooLarge {
        limit: usize,
    },
    /// Characters IAM refuses (outside tab, CR, LF and U+0020..=U+00FF).
    InvalidCharacters,
    InvalidVersion,
    /// Policy variables under a version older than 2012-10-17.
    VariablesNeedVersion,
    UnknownField(String),
    MissingField(&'static str),
    ProhibitedField(&'static str),
    /// Both an element and its `Not` form in one statement.
    Conflicting(&'static str),
    EmptyStatement,
    DuplicateSid(String),
    InvalidEffect(String),
    InvalidPrincipal(String),
    InvalidAction(String),
    InvalidResource(String),
    ActionNotApplicable,
    InvalidConditionType(String),
    InvalidConditionKey(String),
    InvalidConditionValue {
        operator: String,
        value: String,
    },
}

impl Problem {
    /// Words the problem as AWS does for the given dialect.
    pub(crate) fn into_error(self, dialect: Dialect) -> Error {
        match dialect {
            Dialect::S3 => Error::MalformedPolicy(self.s3_message()),
            Dialect::Iam { quota } => match self {
                Self::TooLarge { limit } => {
                    Error::LimitExceeded(format!("Cannot exceed quota for {quota}: {limit}"))
                }
                other => Error::MalformedPolicyDocument(other.iam_message()),
            },
        }
    }

    fn s3_message(self) -> String {
        match self {
            Self::Syntax | Self::InvalidCharacters => {
                "Policies must be valid JSON and the first byte must be '{'".into()
            }
            Self::TooLarge { .. } => "Policy exceeds the maximum allowed document size.".into(),
            Self::InvalidVersion => "The policy must contain a valid version string".into(),
            Self::VariablesNeedVersion => {
                "Policy document must be version 2012-10-17 or greater.".into()
            }
            Self::UnknownField(name) => format!("Unknown field {name}"),
            Self::MissingField(name) => format!("Missing required field {name}"),
            Self::ProhibitedField(name) => format!("Has prohibited field {name}"),
            Self::Conflicting(name) => format!("Statement has both {name} and Not{name}"),
            Self::EmptyStatement => "Could not parse the policy: Statement is empty!".into(),
            Self::DuplicateSid(sid) => format!("Statement IDs (SID) must be unique: {sid}"),
            Self::InvalidEffect(effect) => format!("Invalid effect: {effect}"),
            Self::InvalidPrincipal(_) => "Invalid principal in policy".into(),
            Self::InvalidAction(_) => "Policy has invalid action".into(),
            Self::InvalidResource(_) => "Policy has invalid resource".into(),
            Self::ActionNotApplicable => {
                "Action does not apply to any resource(s) in statement".into()
            }
            Self::InvalidConditionType(operator) => format!("Invalid Condition type : {operator}"),
            Self::InvalidConditionKey(_) => "Policy has an invalid condition key".into(),
            Self::InvalidConditionValue { operator, value } => {
                format!("Invalid Condition value for {operator} : {value}")
            }
        }
    }

    fn iam_message(self) -> String {
        match self {
            Self::Syntax
            | Self::TooLarge { .. }
            | Self::InvalidVersion
            | Self::UnknownField(_)
            | Self::EmptyStatement
            | Self::InvalidEffect(_)
            | Self::InvalidConditionType(_)
            | Self::Conflicting(_) => "Syntax errors in policy.".into(),
            Self::InvalidCharacters => {
                "The policy contains characters that are not allowed.".into()
            }
            Self::VariablesNeedVersion => {
                "Policy document must be version 2012-10-17 or greater.".into()
            }
            Self::MissingField("Action") => "Policy statement must contain actions.".into(),
            Self::MissingField("Resource") => "Policy statement must contain resources.".into(),
            Self::MissingField("Principal") => "Policy statement must contain principals.".into(),
            Self::MissingField(name) => format!("Missing required field {name}"),
            Self::ProhibitedField(name) => format!("Has prohibited field {name}"),
            Self::DuplicateSid(_) => {
                "Statement IDs (SID) in a single policy must be unique.".into()
            }
            Self::InvalidPrincipal(principal) => {
                format!("Invalid principal in policy: {principal}")
            }
            Self::InvalidAction(action) if action.matches(':').count() > 1 => {
                format!("Actions/Conditions can contain only one colon: {action}")
            }
            Self::InvalidAction(_) | Self::InvalidConditionKey(_) => {
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.".into()
            }
            Self::InvalidResource(resource) => {
                format!("Resource {resource} must be in ARN format or \"*\".")
            }
            Self::ActionNotApplicable => {
                "Action does not apply to any resource(s) in statement".into()
            }
            Self::InvalidConditionValue { operator, value } => {
                format!("Invalid Condition value for {operator} : {value}")
            }
        }
    }
}
