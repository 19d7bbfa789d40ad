//! The signature of a POST form upload: the string to sign is the base64
//! policy field itself, signed with SigV4's key of the credential's scope
//! (`x-amz-signature`) or, in the older form boto3 still sends by default,
//! with the secret itself by HMAC-SHA1 (`AWSAccessKeyId` and `signature`).

use super::signing::{Credential, SigningKey, signature_matches};
use super::{PayloadMode, SecretStore, Verified};
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// The form fields that carry a POST upload's signature.
#[derive(Debug, Clone, Copy)]
pub struct PostSignature<'a> {
    /// `x-amz-algorithm`: `AWS4-HMAC-SHA256`.
    pub algorithm: Option<&'a str>,
    /// `x-amz-credential`: `AKID/DATE/REGION/s3/aws4_request`.
    pub credential: Option<&'a str>,
    /// `x-amz-signature`, hex.
    pub signature: Option<&'a str>,
    /// `x-amz-security-token`, for temporary credentials.
    pub session_token: Option<&'a str>,
    /// `AWSAccessKeyId` of a Signature Version 2 form.
    pub v2_access_key: Option<&'a str>,
    /// `signature` of a Signature Version 2 form, base64.
    pub v2_signature: Option<&'a str>,
}

/// Verifies the signature of `policy` (the base64 text as sent). `Ok`
/// guarantees that the signature is the HMAC of the policy under the signing
/// key of the credential's secret, for the server's `region` and `s3`; the
/// policy's own conditions (`x-amz-date`, expiration) are checked apart.
pub fn verify_post(
    policy: &str,
    fields: PostSignature<'_>,
    region: &str,
    secrets: &dyn SecretStore,
) -> S3Result<Verified> {
    let missing = |name: &str| {
        S3Error::invalid_argument(format!(
            "Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."
        ))
        .with("ArgumentName", name.to_owned())
    };
    if let Some(access_key) = fields.v2_access_key {
        let signature = fields.v2_signature.ok_or_else(|| missing("signature"))?;
        return verify_v2(policy, access_key, signature, fields.session_token, secrets);
    }
    let algorithm = fields.algorithm.ok_or_else(|| missing("x-amz-algorithm"))?;
    if algorithm != "AWS4-HMAC-SHA256" {
        return Err(S3Error::invalid_argument(
            "Only AWS4-HMAC-SHA256 is supported as x-amz-algorithm.",
        )
        .with("ArgumentName", "x-amz-algorithm")
        .with("ArgumentValue", algorithm.to_owned()));
    }
    let raw_credential = fields
        .credential
        .ok_or_else(|| missing("x-amz-credential"))?;
    let signature = fields.signature.ok_or_else(|| missing("x-amz-signature"))?;
    let credential = Credential::parse(raw_credential)
        .filter(|c| c.service == "s3" && c.terminator == "aws4_request")
        .ok_or_else(|| {
            S3Error::invalid_argument("Invalid x-amz-credential.")
                .with("ArgumentName", "x-amz-credential")
                .with("ArgumentValue", raw_credential.to_owned())
        })?;
    if credential.region != region {
        return Err(S3Error::new(
            S3ErrorCode::AuthorizationQueryParametersError,
            format!(
                "Error parsing the X-Amz-Credential parameter; the region '{}' is wrong; expecting '{region}'",
                credential.region
            ),
        )
        .with("Region", region.to_owned()));
    }
    let secret = match fields.session_token {
        Some(token) => secrets.session_secret(credential.access_key, token)?,
        None => secrets.secret_key(credential.access_key).ok_or_else(|| {
            S3Error::new(
                S3ErrorCode::InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records.",
            )
            .with("AWSAccessKeyId", credential.access_key.to_owned())
        })?,
    };
    let key = SigningKey::for_verifying(
        credential.access_key,
        &secret,
        credential.date,
        credential.region,
        "s3",
    );
    if !signature_matches(signature, &key.sign(policy)) {
        return Err(S3Error::new(
            S3ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
        .with("AWSAccessKeyId", credential.access_key.to_owned())
        .with("StringToSign", policy.to_owned())
        .with("SignatureProvided", signature.to_owned()));
    }
    Ok(Verified {
        access_key: credential.access_key.to_owned(),
        payload: PayloadMode::Unsigned,
        session_token: fields.session_token.map(str::to_owned),
    })
}

/// A Signature Version 2 form: `signature` is the base64 HMAC-SHA1 of the
/// policy under the secret.
fn verify_v2(
    policy: &str,
    access_key: &str,
    signature: &str,
    session_token: Option<&str>,
    secrets: &dyn SecretStore,
) -> S3Result<Verified> {
    let secret = match session_token {
        Some(token) => secrets.session_secret(access_key, token)?,
        None => secrets.secret_key(access_key).ok_or_else(|| {
            S3Error::new(
                S3ErrorCode::InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records.",
            )
            .with("AWSAccessKeyId", access_key.to_owned())
        })?,
    };
    let expected = super::sigv2::sign(&secret, policy);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        expected.as_bytes(),
        signature.trim().as_bytes(),
    )) {
        return Err(S3Error::new(
            S3ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        )
        .with("AWSAccessKeyId", access_key.to_owned())
        .with("StringToSign", policy.to_owned())
        .with("SignatureProvided", signature.to_owned()));
    }
    Ok(Verified {
        access_key: access_key.to_owned(),
        payload: PayloadMode::Unsigned,
        session_token: session_token.map(str::to_owned),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    struct One;

    impl SecretStore for One {
        fn secret_key(&self, access_key: &str) -> Option<String> {
            (access_key == "AKIAIOSFODNN7EXAMPLE")
                .then(|| "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned())
        }
    }

    fn fields<'a>(credential: &'a str, signature: &'a str) -> PostSignature<'a> {
        PostSignature {
            algorithm: Some("AWS4-HMAC-SHA256"),
            credential: Some(credential),
            signature: Some(signature),
            session_token: None,
            v2_access_key: None,
            v2_signature: None,
        }
    }

    #[test]
    fn a_version_2_form_signature_verifies() {
        let policy = "eyJleHBpcmF0aW9uIjogIjIwMzAtMDEtMDFUMDA6MDA6MDBaIn0=";
        let good = super::super::sigv2::sign("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", policy);
        let form = |signature| PostSignature {
            algorithm: None,
            credential: None,
            signature: None,
            session_token: None,
            v2_access_key: Some("AKIAIOSFODNN7EXAMPLE"),
            v2_signature: Some(signature),
        };
        let verified = verify_post(policy, form(&good), "us-east-1", &One).unwrap();
        assert_eq!(verified.access_key, "AKIAIOSFODNN7EXAMPLE");
        let err = verify_post(policy, form("AAAA"), "us-east-1", &One).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::SignatureDoesNotMatch);
    }

    #[test]
    fn a_policy_signed_with_the_secret_verifies() {
        let policy = "eyJleHBpcmF0aW9uIjogIjIwMzAtMDEtMDFUMDA6MDA6MDBaIn0=";
        let credential = "AKIAIOSFODNN7EXAMPLE/20300101/us-east-1/s3/aws4_request";
        let key = SigningKey::derive(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20300101",
            "us-east-1",
            "s3",
        );
        let signature = hex::encode(key.sign(policy));
        let verified =
            verify_post(policy, fields(credential, &signature), "us-east-1", &One).unwrap();
        assert_eq!(verified.access_key, "AKIAIOSFODNN7EXAMPLE");
        let tampered = format!("{policy}x");
        let err =
            verify_post(&tampered, fields(credential, &signature), "us-east-1", &One).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::SignatureDoesNotMatch);
        let err =
            verify_post(policy, fields(credential, &signature), "eu-west-1", &One).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::AuthorizationQueryParametersError);
        let stranger = "AKIDUNKNOWN/20300101/us-east-1/s3/aws4_request";
        let err = verify_post(policy, fields(stranger, &signature), "us-east-1", &One).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::InvalidAccessKeyId);
    }
}
