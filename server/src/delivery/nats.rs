//! The NATS destination: each event published to a subject, counted as
//! delivered once the server confirmed it has it (a flush: NATS's PING/PONG).
//! Core NATS keeps nothing for subscribers that are away; the queue here
//! keeps events while the NATS server itself is down.

use std::time::Duration;

/// How long connecting and one publication may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A NATS server and the subject events go to.
#[derive(Debug, Clone)]
pub struct Nats {
    /// `nats://HOST:PORT`, without the subject.
    server: String,
    subject: String,
}

impl Nats {
    /// `url`: `nats://HOST[:PORT][/SUBJECT]` (subject `default_subject`).
    pub fn new(url: &str, default_subject: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("nats://")
            .ok_or_else(|| format!("NATS URL {url}: must start with nats://"))?;
        let (authority, subject) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.is_empty() {
            return Err(format!("NATS URL {url}: no host"));
        }
        let subject = if subject.is_empty() {
            default_subject
        } else {
            subject
        };
        if subject.contains([' ', '\t', '*', '>']) {
            return Err(format!("NATS subject {subject:?}: no spaces or wildcards"));
        }
        Ok(Self {
            server: format!("nats://{authority}"),
            subject: subject.to_owned(),
        })
    }

    pub fn connect(&self) -> NatsSender {
        NatsSender {
            target: self.clone(),
            runtime: None,
            client: None,
        }
    }
}

/// One worker's connection, opened when needed and dropped after a failure;
/// the client runs on the worker's own single-threaded runtime.
pub struct NatsSender {
    target: Nats,
    runtime: Option<tokio::runtime::Runtime>,
    client: Option<async_nats::Client>,
}

impl super::Sender for NatsSender {
    fn send(&mut self, body: &str) -> Result<(), String> {
        let runtime = match &mut self.runtime {
            Some(r) => r,
            None => self.runtime.insert(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("nats: {e}"))?,
            ),
        };
        let target = &self.target;
        let existing = self.client.take();
        let payload = bytes::Bytes::copy_from_slice(body.as_bytes());
        let sent = runtime.block_on(async {
            tokio::time::timeout(TIMEOUT, async {
                let client = match existing {
                    Some(c) => c,
                    None => async_nats::ConnectOptions::new()
                        .connection_timeout(TIMEOUT)
                        .connect(target.server.as_str())
                        .await
                        .map_err(|e| e.to_string())?,
                };
                client
                    .publish(target.subject.clone(), payload)
                    .await
                    .map_err(|e| e.to_string())?;
                client.flush().await.map_err(|e| e.to_string())?;
                Ok::<_, String>(client)
            })
            .await
            .map_err(|_| "timed out".to_owned())?
        });
        match sent {
            Ok(client) => {
                self.client = Some(client);
                Ok(())
            }
            Err(e) => Err(format!("nats: {e}")),
        }
    }
}
