//! The one place where failures become S3 error responses.
//!
//! Every handler returns [`S3Error`]; storage errors convert into it through
//! [`From<horreo_storage::Error>`], so no handler invents its own error XML.

use actix_web::http::StatusCode;

/// An S3 error code together with the HTTP status AWS answers it with.
macro_rules! s3_error_codes {
    ($($name:ident $(as $code:literal)? => $status:expr),* $(,)?) => {
        /// The S3 error codes horreo answers, named exactly as AWS names them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum S3ErrorCode { $($name),* }

        impl S3ErrorCode {
            /// The `<Code>` element of the error XML.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$name => code_str!($name $(, $code)?)),* }
            }

            /// The HTTP status AWS sends with this code.
            pub fn status(self) -> StatusCode {
                match self { $(Self::$name => $status),* }
            }
        }
    };
}

/// The `<Code>` of a variant: its name, or the literal given for codes that are
/// not Rust identifiers (`KMS.NotFoundException`).
macro_rules! code_str {
    ($name:ident) => {
        stringify!($name)
    };
    ($name:ident, $code:literal) => {
        $code
    };
}

s3_error_codes! {
    AccessControlListNotSupported => StatusCode::BAD_REQUEST,
    AccessDenied => StatusCode::FORBIDDEN,
    AccessForbidden => StatusCode::FORBIDDEN,
    AuthorizationHeaderMalformed => StatusCode::BAD_REQUEST,
    AuthorizationQueryParametersError => StatusCode::BAD_REQUEST,
    BadRequest => StatusCode::BAD_REQUEST,
    BadDigest => StatusCode::BAD_REQUEST,
    BucketAlreadyExists => StatusCode::CONFLICT,
    BucketAlreadyOwnedByYou => StatusCode::CONFLICT,
    BucketNotEmpty => StatusCode::CONFLICT,
    ConditionalRequestConflict => StatusCode::CONFLICT,
    DeleteConflict => StatusCode::CONFLICT,
    EntityAlreadyExists => StatusCode::CONFLICT,
    EntityTooLarge => StatusCode::BAD_REQUEST,
    ExpiredToken => StatusCode::BAD_REQUEST,
    EntityTooSmall => StatusCode::BAD_REQUEST,
    IncompleteBody => StatusCode::BAD_REQUEST,
    IncorrectNumberOfFilesInPostRequest => StatusCode::BAD_REQUEST,
    InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
    InternalError => StatusCode::INTERNAL_SERVER_ERROR,
    InvalidAccessKeyId => StatusCode::FORBIDDEN,
    InvalidAction => StatusCode::BAD_REQUEST,
    InvalidArgument => StatusCode::BAD_REQUEST,
    InvalidBucketAclWithBlockPublicAccessError => StatusCode::BAD_REQUEST,
    InvalidBucketAclWithObjectOwnership => StatusCode::BAD_REQUEST,
    InvalidBucketState => StatusCode::CONFLICT,
    InvalidBucketName => StatusCode::BAD_REQUEST,
    InvalidClientTokenId => StatusCode::FORBIDDEN,
    InvalidDigest => StatusCode::BAD_REQUEST,
    InvalidEncryptionAlgorithmError => StatusCode::BAD_REQUEST,
    InvalidInput => StatusCode::BAD_REQUEST,
    InvalidLocationConstraint => StatusCode::BAD_REQUEST,
    InvalidObjectState => StatusCode::FORBIDDEN,
    InvalidPart => StatusCode::BAD_REQUEST,
    InvalidPartNumber => StatusCode::RANGE_NOT_SATISFIABLE,
    InvalidPartOrder => StatusCode::BAD_REQUEST,
    InvalidPolicyDocument => StatusCode::BAD_REQUEST,
    InvalidRange => StatusCode::RANGE_NOT_SATISFIABLE,
    InvalidRedirectLocation => StatusCode::BAD_REQUEST,
    InvalidRequest => StatusCode::BAD_REQUEST,
    InvalidStorageClass => StatusCode::BAD_REQUEST,
    InvalidTag => StatusCode::BAD_REQUEST,
    InvalidToken => StatusCode::BAD_REQUEST,
    KeyTooLongError => StatusCode::BAD_REQUEST,
    KmsNotFoundException as "KMS.NotFoundException" => StatusCode::BAD_REQUEST,
    LimitExceeded => StatusCode::CONFLICT,
    MalformedACLError => StatusCode::BAD_REQUEST,
    MalformedPolicy => StatusCode::BAD_REQUEST,
    MalformedPolicyDocument => StatusCode::BAD_REQUEST,
    MalformedPOSTRequest => StatusCode::BAD_REQUEST,
    MaxPostPreDataLengthExceeded => StatusCode::BAD_REQUEST,
    MalformedXML => StatusCode::BAD_REQUEST,
    MetadataTooLarge => StatusCode::BAD_REQUEST,
    MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
    MissingContentLength => StatusCode::LENGTH_REQUIRED,
    MissingAction => StatusCode::BAD_REQUEST,
    MissingParameter => StatusCode::BAD_REQUEST,
    MissingSecurityHeader => StatusCode::BAD_REQUEST,
    NoSuchBucket => StatusCode::NOT_FOUND,
    NoSuchBucketPolicy => StatusCode::NOT_FOUND,
    NoSuchCORSConfiguration => StatusCode::NOT_FOUND,
    NoSuchConfiguration => StatusCode::NOT_FOUND,
    NoSuchEntity => StatusCode::NOT_FOUND,
    NoSuchKey => StatusCode::NOT_FOUND,
    NoSuchLifecycleConfiguration => StatusCode::NOT_FOUND,
    NoSuchObjectLockConfiguration => StatusCode::NOT_FOUND,
    NoSuchPublicAccessBlockConfiguration => StatusCode::NOT_FOUND,
    NoSuchTagSet => StatusCode::NOT_FOUND,
    NoSuchUpload => StatusCode::NOT_FOUND,
    NoSuchVersion => StatusCode::NOT_FOUND,
    NoSuchWebsiteConfiguration => StatusCode::NOT_FOUND,
    NotImplemented => StatusCode::NOT_IMPLEMENTED,
    NotModified => StatusCode::NOT_MODIFIED,
    ObjectLockConfigurationNotFoundError => StatusCode::NOT_FOUND,
    OwnershipControlsNotFoundError => StatusCode::NOT_FOUND,
    PreconditionFailed => StatusCode::PRECONDITION_FAILED,
    ReplicationConfigurationNotFoundError => StatusCode::NOT_FOUND,
    RequestEntityTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
    RequestTimeout => StatusCode::BAD_REQUEST,
    RequestTimeTooSkewed => StatusCode::FORBIDDEN,
    RestoreAlreadyInProgress => StatusCode::CONFLICT,
    ServerSideEncryptionConfigurationNotFoundError => StatusCode::NOT_FOUND,
    SignatureDoesNotMatch => StatusCode::FORBIDDEN,
    UnresolvableGrantByEmailAddress => StatusCode::BAD_REQUEST,
    ValidationError => StatusCode::BAD_REQUEST,
    XAmzContentSHA256Mismatch => StatusCode::BAD_REQUEST,
}

/// An S3 error response: code, human message and the extra elements some codes carry.
#[derive(Debug, Clone)]
pub struct S3Error {
    pub code: S3ErrorCode,
    pub message: String,
    /// Additional child elements of `<Error>`, e.g. `StringToSign` or `BucketName`.
    pub details: Vec<(&'static str, String)>,
    /// Response headers some errors carry, e.g. `x-amz-delete-marker`.
    pub headers: Vec<(&'static str, String)>,
}

/// Result of every handler and of request authentication.
pub type S3Result<T> = Result<T, S3Error>;

impl S3Error {
    pub fn new(code: S3ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Adds a response header to the error response.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Adds one child element to the error XML.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.details.push((name, value.into()));
        self
    }

    /// Whether the error XML already has this child element.
    pub fn has(&self, name: &str) -> bool {
        self.details.iter().any(|(n, _)| *n == name)
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {err}");
        Self::new(
            S3ErrorCode::InternalError,
            "We encountered an internal error. Please try again.",
        )
    }

    pub fn not_implemented(what: &str) -> Self {
        Self::new(
            S3ErrorCode::NotImplemented,
            format!("{what} is not implemented by horreo yet."),
        )
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(S3ErrorCode::InvalidArgument, message)
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(S3ErrorCode::InvalidRequest, message)
    }

    pub fn malformed_xml() -> Self {
        Self::new(
            S3ErrorCode::MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema.",
        )
    }

    pub fn access_denied() -> Self {
        Self::new(S3ErrorCode::AccessDenied, "Access Denied")
    }
}

/// Shorthand: `s3_error!(NoSuchKey, "The specified key does not exist.")`.
#[macro_export]
macro_rules! s3_error {
    ($code:ident, $($msg:tt)+) => {
        $crate::error::S3Error::new($crate::error::S3ErrorCode::$code, format!($($msg)+))
    };
}

impl std::fmt::Display for S3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for S3Error {}

impl From<horreo_storage::Error> for S3Error {
    fn from(err: horreo_storage::Error) -> Self {
        use horreo_storage::Error as E;
        match err {
            E::InvalidBucketName(why) => Self::new(
                S3ErrorCode::InvalidBucketName,
                format!("The specified bucket is not valid: {why}"),
            ),
            E::KeyTooLong => Self::new(S3ErrorCode::KeyTooLongError, "Your key is too long"),
            E::EmptyKey => Self::invalid_argument("The object key must not be empty."),
            E::NoSuchBucket => Self::new(
                S3ErrorCode::NoSuchBucket,
                "The specified bucket does not exist",
            ),
            E::BucketAlreadyOwnedByYou => Self::new(
                S3ErrorCode::BucketAlreadyOwnedByYou,
                "Your previous request to create the named bucket succeeded and you already own it.",
            ),
            E::BucketNotEmpty => Self::new(
                S3ErrorCode::BucketNotEmpty,
                "The bucket you tried to delete is not empty",
            ),
            E::NoSuchKey => Self::new(S3ErrorCode::NoSuchKey, "The specified key does not exist."),
            E::DeleteMarker { version_id } => {
                Self::new(S3ErrorCode::NoSuchKey, "The specified key does not exist.")
                    .with_header("x-amz-delete-marker", "true")
                    .with_header(
                        "x-amz-version-id",
                        version_id.unwrap_or_else(|| "null".into()),
                    )
            }
            E::NoSuchVersion => Self::new(
                S3ErrorCode::NoSuchVersion,
                "The specified version does not exist.",
            ),
            E::InvalidObjectState(why) => Self::new(S3ErrorCode::InvalidObjectState, why),
            E::RestoreDays { tiered: false } => Self::malformed_xml(),
            E::RestoreDays { tiered: true } => Self::invalid_argument(
                "Days is not allowed for objects in the INTELLIGENT_TIERING storage class",
            ),
            E::RestoreAlreadyInProgress => Self::new(
                S3ErrorCode::RestoreAlreadyInProgress,
                "Object restore is already in progress",
            ),
            E::ObjectLocked => Self::new(
                S3ErrorCode::AccessDenied,
                "Access Denied because object protected by object lock.",
            ),
            E::ObjectLockNotEnabled => {
                Self::invalid_request("Bucket is missing Object Lock Configuration")
            }
            E::InvalidBucketState(why) => {
                Self::new(S3ErrorCode::InvalidBucketState, format!("{why}."))
            }
            E::PreconditionFailed => Self::new(
                S3ErrorCode::PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold",
            ),
            E::Conflict => Self::new(
                S3ErrorCode::ConditionalRequestConflict,
                "A conflicting operation occurred on this object. Please try again.",
            ),
            E::NoSuchUpload => Self::new(
                S3ErrorCode::NoSuchUpload,
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
            ),
            E::InvalidPart(why) => Self::new(
                S3ErrorCode::InvalidPart,
                format!(
                    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag. ({why})"
                ),
            ),
            E::InvalidPartOrder => Self::new(
                S3ErrorCode::InvalidPartOrder,
                "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
            ),
            E::EntityTooSmall(part) => Self::new(
                S3ErrorCode::EntityTooSmall,
                "Your proposed upload is smaller than the minimum allowed object size.",
            )
            .with("PartNumber", part.to_string())
            .with("MinSizeAllowed", horreo_storage::MIN_PART_SIZE.to_string()),
            E::EntityTooLarge => crate::body::entity_too_large(),
            E::ChecksumMismatch(alg) => Self::new(
                S3ErrorCode::BadDigest,
                format!("The {alg} you specified did not match the calculated checksum."),
            ),
            E::KmsKeyNotFound(id) => Self::new(
                S3ErrorCode::KmsNotFoundException,
                format!("Invalid keyId '{id}'"),
            ),
            e @ (E::KmsKeyExists(_) | E::KmsInvalidKeyName(_)) => {
                Self::invalid_argument(e.to_string())
            }
            E::SseCustomerKeyRequired => Self::invalid_request(
                "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
            ),
            E::SseCustomerKeyMismatch => Self::access_denied(),
            E::SseNotApplicable => Self::invalid_request(
                "The encryption parameters are not applicable to this object.",
            ),
            E::EncryptionMismatch => Self::invalid_request(
                "The provided encryption parameters did not match the ones used originally.",
            ),
            E::InsufficientStorage(why) => {
                tracing::error!("refused a write: the disk is full: {why}");
                Self::new(
                    S3ErrorCode::InsufficientStorage,
                    "Your request could not be completed because the server has insufficient storage.",
                )
            }
            // Found before the status line went out (see `Engine::open_object`):
            // a 500 the client retries or reports, never damaged bytes.
            E::Corrupt(what) => {
                tracing::error!("integrity check failed: {what}");
                Self::new(
                    S3ErrorCode::InternalError,
                    "The stored data of this object failed its integrity check and was not served.",
                )
            }
            E::NoSuchEntity(why) => Self::new(S3ErrorCode::NoSuchEntity, why),
            E::EntityAlreadyExists(why) => Self::new(S3ErrorCode::EntityAlreadyExists, why),
            E::DeleteConflict(why) => Self::new(S3ErrorCode::DeleteConflict, why),
            E::LimitExceeded(why) => Self::new(S3ErrorCode::LimitExceeded, why),
            E::InvalidInput(why) => Self::new(S3ErrorCode::InvalidInput, why),
            E::InvalidReplica(why) => Self::invalid_request(why),
            other @ (E::Io(_)
            | E::Meta(_)
            | E::DamagedStore(_)
            | E::WrongMasterKey
            | E::NoMasterKey) => Self::internal(other),
        }
    }
}
