//! The AMQP 0-9-1 destination (RabbitMQ and its peers): each event published
//! to an exchange with a routing key, persistent (delivery mode 2) and
//! mandatory, on a channel in confirm mode. It counts as delivered only once
//! the broker confirmed it (`basic.ack`) without returning it: an event no
//! queue takes (`NO_ROUTE`) or one the broker refuses (`basic.nack`) stays
//! queued here and is retried, so declaring the queue late loses nothing.

use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::uri::AMQPUri;
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};
use percent_encoding::percent_decode_str;

/// How long connecting and one publication (up to its confirm) may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// AMQP's short strings (exchange names, routing keys) hold up to 255 bytes.
const SHORT_STRING_MAX: usize = 255;
/// Query parameters the client library reads itself.
const CONNECTION_PARAMETERS: [&str; 5] = [
    "heartbeat",
    "frame_max",
    "channel_max",
    "connection_timeout",
    "auth_mechanism",
];

/// A broker, and the exchange and routing key events are published with.
#[derive(Clone)]
pub struct Amqp {
    /// Holds the password: never printed.
    uri: AMQPUri,
    exchange: String,
    routing_key: String,
}

impl std::fmt::Debug for Amqp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Amqp")
            .field("host", &self.uri.authority.host)
            .field("port", &self.uri.authority.port)
            .field("vhost", &self.uri.vhost)
            .field("exchange", &self.exchange)
            .field("routing_key", &self.routing_key)
            .finish()
    }
}

impl Amqp {
    /// `url`: `amqp://[USER:PASSWORD@]HOST[:PORT][/VHOST][?exchange=E&routing_key=K]`
    /// (port 5672; vhost `/` when the path is absent, percent-encoded
    /// otherwise, `%2f` for `/`; exchange: the default exchange `""`, which
    /// routes to the queue named by the routing key; routing key:
    /// `default_routing_key`). The client's own parameters (`heartbeat`,
    /// `connection_timeout`, ...) may follow too.
    pub fn new(url: &str, default_routing_key: &str) -> Result<Self, String> {
        if url.starts_with("amqps://") {
            return Err(format!(
                "AMQP URL {}: amqps (TLS) is not built in; use amqp://",
                redact(url)
            ));
        }
        let rest = url
            .strip_prefix("amqp://")
            .ok_or_else(|| format!("AMQP URL {}: must start with amqp://", redact(url)))?;
        let mut exchange = String::new();
        let mut routing_key = default_routing_key.to_owned();
        if let Some((_, query)) = rest.split_once('?') {
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let value = percent_decode_str(value)
                    .decode_utf8()
                    .map_err(|_| format!("AMQP URL parameter {name}: not UTF-8"))?
                    .into_owned();
                match name {
                    "exchange" => exchange = value,
                    "routing_key" => routing_key = value,
                    n if CONNECTION_PARAMETERS.contains(&n) => {}
                    other => {
                        return Err(format!(
                            "AMQP URL parameter {other:?}: use exchange, routing_key or one of {CONNECTION_PARAMETERS:?}"
                        ));
                    }
                }
            }
        }
        for (what, value) in [("exchange", &exchange), ("routing key", &routing_key)] {
            if value.len() > SHORT_STRING_MAX {
                return Err(format!("AMQP {what}: at most {SHORT_STRING_MAX} bytes"));
            }
        }
        let host = host_of(rest).ok_or_else(|| format!("AMQP URL {}: no host", redact(url)))?;
        let mut uri: AMQPUri = url
            .parse()
            .map_err(|e| format!("AMQP URL {}: {e}", redact(url)))?;
        // The client library reads only DNS names and would put `localhost`
        // in place of an IP address.
        uri.authority.host = host;
        Ok(Self {
            uri,
            exchange,
            routing_key,
        })
    }

    pub fn connect(&self) -> AmqpSender {
        AmqpSender {
            target: self.clone(),
            runtime: None,
            session: None,
        }
    }
}

/// The host of `authority[/path][?query]`, without user info, port or the
/// brackets of an IPv6 address.
fn host_of(rest: &str) -> Option<String> {
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => host_port.split(':').next().unwrap_or_default(),
    };
    (!host.is_empty()).then(|| host.to_owned())
}

/// `url` with any password replaced, for messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{}", &rest[end..])
        }
        None => url.to_owned(),
    }
}

/// One worker's connection and confirm-mode channel, opened when needed and
/// dropped after a failure. The client runs on the worker's own runtime,
/// whose one thread keeps answering the broker's heartbeats between events.
pub struct AmqpSender {
    target: Amqp,
    runtime: Option<tokio::runtime::Runtime>,
    session: Option<(Connection, Channel)>,
}

impl super::Sender for AmqpSender {
    fn send(&mut self, body: &str) -> Result<(), String> {
        let runtime = match &mut self.runtime {
            Some(r) => r,
            None => self.runtime.insert(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("horreo-amqp")
                    .enable_all()
                    .build()
                    .map_err(|e| format!("amqp: {e}"))?,
            ),
        };
        let target = &self.target;
        let existing = self.session.take().filter(|(connection, channel)| {
            connection.status().connected() && channel.status().connected()
        });
        let (result, session) = runtime.block_on(async {
            match tokio::time::timeout(TIMEOUT, publish(target, existing, body.as_bytes())).await {
                Ok(outcome) => outcome,
                Err(_) => (Err("timed out".to_owned()), None),
            }
        });
        self.session = session;
        result.map_err(|e| format!("amqp: {e}"))
    }
}

/// Publishes `body` on `session` (or a new one) and waits for the broker's
/// confirm; gives back the session when it is still usable.
async fn publish(
    target: &Amqp,
    session: Option<(Connection, Channel)>,
    body: &[u8],
) -> (Result<(), String>, Option<(Connection, Channel)>) {
    let (connection, channel) = match session {
        Some(s) => s,
        None => match open(target).await {
            Ok(s) => s,
            Err(e) => return (Err(e.to_string()), None),
        },
    };
    let properties = BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into());
    let options = BasicPublishOptions {
        mandatory: true,
        ..BasicPublishOptions::default()
    };
    let confirm = match channel
        .basic_publish(
            target.exchange.as_str().into(),
            target.routing_key.as_str().into(),
            options,
            body,
            properties,
        )
        .await
    {
        Ok(pending) => pending.await,
        Err(e) => Err(e),
    };
    match confirm {
        Ok(Confirmation::Ack(None)) => (Ok(()), Some((connection, channel))),
        Ok(Confirmation::Ack(Some(returned))) => (
            Err(format!(
                "no queue took the event (exchange {:?}, routing key {:?}): {} {}",
                target.exchange, target.routing_key, returned.reply_code, returned.reply_text
            )),
            Some((connection, channel)),
        ),
        Ok(Confirmation::Nack(_)) => (
            Err("the broker refused the event (nack)".to_owned()),
            Some((connection, channel)),
        ),
        Ok(Confirmation::NotRequested) => (Err("the broker sent no confirm".to_owned()), None),
        Err(e) => (Err(e.to_string()), None),
    }
}

/// Connects and opens a channel in confirm mode.
async fn open(target: &Amqp) -> lapin::Result<(Connection, Channel)> {
    let properties = ConnectionProperties::default().with_connection_name("horreo".into());
    let connection = Connection::connect_uri(target.uri.clone(), properties).await?;
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    Ok((connection, channel))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_the_default_exchange_and_the_id_as_routing_key() {
        let a = Amqp::new("amqp://guest:guest@127.0.0.1:5673", "events").unwrap();
        assert_eq!(a.exchange, "");
        assert_eq!(a.routing_key, "events");
        assert_eq!(a.uri.authority.host, "127.0.0.1");
        assert_eq!(a.uri.authority.port, 5673);
        assert_eq!(a.uri.vhost, "/");
        assert_eq!(a.uri.authority.userinfo.password, "guest");
    }

    #[test]
    fn reads_vhost_exchange_routing_key_and_client_parameters() {
        let a = Amqp::new(
            "amqp://u:p@[::1]/prod?exchange=s3&routing_key=bucket%2Eevents&heartbeat=30",
            "id",
        )
        .unwrap();
        assert_eq!(a.uri.authority.host, "::1");
        assert_eq!(a.uri.authority.port, 5672);
        assert_eq!(a.uri.vhost, "prod");
        assert_eq!(a.exchange, "s3");
        assert_eq!(a.routing_key, "bucket.events");
        assert_eq!(a.uri.query.heartbeat, Some(30));
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        for url in [
            "amqps://h/",
            "http://h/",
            "amqp:///vhost",
            "amqp://h/?exchnage=x",
            "amqp://h:notaport/",
        ] {
            assert!(Amqp::new(url, "id").is_err(), "{url}");
        }
        let long = format!("amqp://h/?routing_key={}", "k".repeat(256));
        assert!(Amqp::new(&long, "id").is_err());
    }

    #[test]
    fn never_shows_the_password() {
        let a = Amqp::new("amqp://user:s3cret@h:5672/v", "id").unwrap();
        assert!(!format!("{a:?}").contains("s3cret"));
        let e = Amqp::new("amqps://user:s3cret@h/", "id").unwrap_err();
        assert!(!e.contains("s3cret"), "{e}");
        assert_eq!(
            redact("amqp://user:s3cret@h/v?x=1"),
            "amqp://user:***@h/v?x=1"
        );
    }
}
