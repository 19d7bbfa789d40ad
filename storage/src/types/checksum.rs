/// The additional checksum algorithms S3 supports (`x-amz-checksum-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Sha1,
    Sha256,
    Crc64Nvme,
}

impl ChecksumAlgorithm {
    pub const ALL: [ChecksumAlgorithm; 5] = [
        Self::Crc32,
        Self::Crc32c,
        Self::Sha1,
        Self::Sha256,
        Self::Crc64Nvme,
    ];

    /// Name as in `x-amz-checksum-algorithm` / `x-amz-sdk-checksum-algorithm` (`CRC32`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Crc64Nvme => "CRC64NVME",
        }
    }

    /// Parses the algorithm name, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
    }

    /// The header carrying the value: `x-amz-checksum-crc32`, ...
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
        }
    }
}

/// How a multipart object's checksum covers its content (`x-amz-checksum-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChecksumType {
    /// The checksum of the whole content (every single-part object).
    #[default]
    FullObject,
    /// The checksum of the parts' checksums, written `value-N`.
    Composite,
}

impl ChecksumType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FullObject => "FULL_OBJECT",
            Self::Composite => "COMPOSITE",
        }
    }

    /// The type a multipart upload gets when it names only the algorithm.
    pub fn default_for(algorithm: ChecksumAlgorithm) -> Self {
        match algorithm {
            ChecksumAlgorithm::Crc64Nvme => Self::FullObject,
            _ => Self::Composite,
        }
    }

    /// Whether AWS allows this type with `algorithm`: FULL_OBJECT only for the
    /// CRCs, COMPOSITE for all but CRC64NVME.
    pub fn allowed_with(self, algorithm: ChecksumAlgorithm) -> bool {
        match self {
            Self::FullObject => !matches!(
                algorithm,
                ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256
            ),
            Self::Composite => algorithm != ChecksumAlgorithm::Crc64Nvme,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::FullObject, Self::Composite]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// Checksum values of an object's content, base64 encoded as S3 sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checksums {
    pub values: Vec<(ChecksumAlgorithm, String)>,
    pub kind: ChecksumType,
}

impl Checksums {
    pub fn get(&self, alg: ChecksumAlgorithm) -> Option<&str> {
        self.values
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, v)| v.as_str())
    }
}
