//! The MQTT destination: each event published to a topic with QoS 1, counted
//! as delivered once the broker acknowledged it (PUBACK).

use std::time::{Duration, Instant};

use rumqttc::{Client, Connection, Event, MqttOptions, Packet, QoS};

/// How long connecting and one publication may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// An MQTT broker and the topic events go to.
#[derive(Debug, Clone)]
pub struct Mqtt {
    host: String,
    port: u16,
    topic: String,
    client_id: String,
}

impl Mqtt {
    /// `url`: `mqtt://HOST[:PORT][/TOPIC]` (port 1883; topic `default_topic`).
    pub fn new(url: &str, default_topic: &str, client_id: String) -> Result<Self, String> {
        let rest = url
            .strip_prefix("mqtt://")
            .or_else(|| url.strip_prefix("tcp://"))
            .ok_or_else(|| format!("MQTT URL {url}: must start with mqtt://"))?;
        let (authority, topic) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse()
                    .map_err(|_| format!("MQTT URL {url}: bad port"))?,
            ),
            None => (authority, 1883),
        };
        if host.is_empty() {
            return Err(format!("MQTT URL {url}: no host"));
        }
        let topic = if topic.is_empty() {
            default_topic
        } else {
            topic
        };
        Ok(Self {
            host: host.to_owned(),
            port,
            topic: topic.to_owned(),
            client_id,
        })
    }

    pub fn connect(&self) -> MqttSender {
        MqttSender {
            target: self.clone(),
            session: None,
        }
    }
}

/// One worker's session, opened when needed and dropped after a failure.
pub struct MqttSender {
    target: Mqtt,
    session: Option<(Client, Connection)>,
}

impl super::Sender for MqttSender {
    fn send(&mut self, body: &str) -> Result<(), String> {
        let result = self.try_send(body);
        if result.is_err() {
            self.session = None;
        }
        result.map_err(|e| format!("mqtt: {e}"))
    }
}

impl MqttSender {
    fn try_send(&mut self, body: &str) -> Result<(), String> {
        let t = &self.target;
        let (client, connection) = self.session.get_or_insert_with(|| {
            let mut options = MqttOptions::new(t.client_id.clone(), t.host.clone(), t.port);
            options.set_keep_alive(Duration::from_secs(30));
            options.set_max_packet_size(16 << 20, 16 << 20);
            Client::new(options, 16)
        });
        client
            .publish(t.topic.clone(), QoS::AtLeastOnce, false, body.as_bytes())
            .map_err(|e| e.to_string())?;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("no PUBACK in time".into());
            }
            match connection.recv_timeout(left) {
                Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => return Ok(()),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(e.to_string()),
                Err(e) => return Err(format!("{e:?}")),
            }
        }
    }
}
