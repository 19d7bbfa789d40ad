//! The HTTP webhook destination: a POST of the event JSON.

use std::time::Duration;

/// How long one POST may take before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP(S) endpoint that receives each event as a POST of its JSON and
/// answers 2xx once it has taken it.
#[derive(Clone)]
pub struct Webhook {
    url: String,
    /// Sent as `Authorization: Bearer TOKEN`.
    token: Option<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Webhook").field("url", &self.url).finish()
    }
}

impl Webhook {
    /// A webhook at `url` (http or https; https trusts the usual web roots,
    /// or only `ca_cert`'s PEM certificates if given).
    pub fn new(url: &str, token: Option<String>, ca_cert: Option<&[u8]>) -> Result<Self, String> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "webhook URL {url}: must start with http:// or https://"
            ));
        }
        let mut tls = ureq::tls::TlsConfig::builder().unversioned_rustls_crypto_provider(
            std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        );
        if let Some(pem) = ca_cert {
            let cert = ureq::tls::Certificate::from_pem(pem)
                .map_err(|e| format!("webhook CA certificate: {e}"))?;
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&[cert]));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .tls_config(tls.build())
            .build()
            .new_agent();
        Ok(Self {
            url: url.to_owned(),
            token,
            agent,
        })
    }
}

impl super::Sender for Webhook {
    /// POSTs `body`; `Err` with the reason unless the endpoint answered 2xx.
    fn send(&mut self, body: &str) -> Result<(), String> {
        let mut request = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json");
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = request.send(body).map_err(|e| e.to_string())?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("{} answered {status}", self.url))
        }
    }
}
