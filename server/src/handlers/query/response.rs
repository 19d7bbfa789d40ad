//! The query protocol's XML (IAM's and STS's): the
//! `<ActionResponse><ActionResult>` envelope, its dates, and the
//! `<ErrorResponse>` document.

use std::time::SystemTime;

use actix_web::HttpResponse;

use crate::error::{S3Error, S3ErrorCode};
use crate::xml::{self, XmlWriter};

/// IAM's XML namespace.
pub const NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
/// STS's XML namespace.
pub const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The response of one action, being written.
pub struct Response {
    action: &'static str,
    w: XmlWriter,
    /// Whether the `<ActionResult>` element is open.
    result: bool,
}

impl Response {
    /// An IAM response with a result element, for the body to fill.
    pub fn new(action: &'static str) -> Self {
        Self::with_result(action, NAMESPACE)
    }

    /// A response in `namespace` with a result element.
    pub fn with_result(action: &'static str, namespace: &str) -> Self {
        let mut response = Self::envelope(action, namespace);
        response.w.open(&format!("{action}Result"));
        response.result = true;
        response
    }

    /// An IAM response that carries only its metadata (`DeleteUser`, ...).
    pub fn empty(action: &'static str) -> Self {
        Self::envelope(action, NAMESPACE)
    }

    fn envelope(action: &'static str, namespace: &str) -> Self {
        Self {
            action,
            w: XmlWriter::with_namespace(&format!("{action}Response"), namespace),
            result: false,
        }
    }

    /// The writer inside `<ActionResult>`.
    pub fn xml(&mut self) -> &mut XmlWriter {
        &mut self.w
    }

    /// Closes the document, with the request id.
    pub fn finish(mut self, request_id: &str) -> String {
        if self.result {
            self.w.close(&format!("{}Result", self.action));
        }
        self.w
            .open("ResponseMetadata")
            .elem("RequestId", request_id)
            .close("ResponseMetadata");
        self.w.finish(&format!("{}Response", self.action))
    }

    /// `<Name><member>..</member>...</Name>`, each member written by `write`.
    pub fn list<T>(&mut self, name: &str, items: &[T], write: impl Fn(&mut XmlWriter, &T)) {
        self.w.open(name);
        for item in items {
            self.w.open("member");
            write(&mut self.w, item);
            self.w.close("member");
        }
        self.w.close(name);
    }

    /// `<IsTruncated>` and, when more follow, `<Marker>`.
    pub fn truncation(&mut self, marker: Option<&str>) {
        self.w
            .elem(
                "IsTruncated",
                if marker.is_some() { "true" } else { "false" },
            )
            .opt("Marker", marker);
    }
}

/// `2026-01-02T03:04:05Z`-style dates.
pub fn date(t: SystemTime) -> String {
    xml::timestamp(t)
}

/// An error as IAM (or STS, in its `namespace`) answers it; authentication
/// errors take their codes.
pub fn error(err: &S3Error, request_id: &str, namespace: &str) -> HttpResponse {
    let (code, message) = match err.code {
        S3ErrorCode::InvalidAccessKeyId => (
            S3ErrorCode::InvalidClientTokenId,
            "The security token included in the request is invalid.".to_owned(),
        ),
        S3ErrorCode::SignatureDoesNotMatch => (
            S3ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details."
                .to_owned(),
        ),
        code => (code, err.message.clone()),
    };
    HttpResponse::build(code.status())
        .content_type("text/xml")
        .body(error_document(code, &message, request_id, namespace))
}

/// `<ErrorResponse><Error><Type>..</Type><Code>..</Code><Message>..</Message></Error><RequestId>`:
/// `Sender` faults for 4xx, `Receiver` for 5xx.
fn error_document(code: S3ErrorCode, message: &str, request_id: &str, namespace: &str) -> String {
    let kind = if code.status().is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    let mut w = XmlWriter::with_namespace("ErrorResponse", namespace);
    w.open("Error")
        .elem("Type", kind)
        .elem("Code", code.as_str())
        .elem("Message", message)
        .close("Error")
        .elem("RequestId", request_id);
    w.finish("ErrorResponse")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn envelope_with_result() {
        let mut r = Response::new("GetUser");
        r.xml().open("User").elem("UserName", "a&b").close("User");
        assert_eq!(
            r.finish("RID"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><GetUserResponse \
             xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetUserResult><User>\
             <UserName>a&amp;b</UserName></User></GetUserResult><ResponseMetadata>\
             <RequestId>RID</RequestId></ResponseMetadata></GetUserResponse>"
        );
    }

    #[test]
    fn envelope_without_result() {
        let text = Response::empty("DeleteUser").finish("R");
        assert!(text.contains("<DeleteUserResponse xmlns="));
        assert!(!text.contains("DeleteUserResult"));
        assert!(text.ends_with("<RequestId>R</RequestId></ResponseMetadata></DeleteUserResponse>"));
    }

    #[test]
    fn lists_and_truncation() {
        let mut r = Response::new("ListGroupsForUser");
        r.list("Groups", &["a", "b"], |w, g| {
            w.elem("GroupName", g);
        });
        r.truncation(Some("b"));
        let text = r.finish("R");
        assert!(text.contains(
            "<Groups><member><GroupName>a</GroupName></member><member><GroupName>b</GroupName>\
             </member></Groups><IsTruncated>true</IsTruncated><Marker>b</Marker>"
        ));
    }

    #[test]
    fn error_document_shape() {
        assert_eq!(
            error_document(S3ErrorCode::NoSuchEntity, "gone <x>", "RID", NAMESPACE),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse \
             xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
             <Code>NoSuchEntity</Code><Message>gone &lt;x&gt;</Message></Error>\
             <RequestId>RID</RequestId></ErrorResponse>"
        );
        assert!(
            error_document(S3ErrorCode::InternalError, "x", "R", NAMESPACE)
                .contains("<Type>Receiver</Type>")
        );
    }

    #[test]
    fn errors_take_iam_shape() {
        let err = S3Error::new(
            S3ErrorCode::NoSuchEntity,
            "The user with name x cannot be found.",
        );
        let response = error(&err, "RID", NAMESPACE);
        assert_eq!(response.status().as_u16(), 404);
        let err = S3Error::new(S3ErrorCode::InvalidAccessKeyId, "x");
        assert_eq!(error(&err, "RID", NAMESPACE).status().as_u16(), 403);
    }
}
