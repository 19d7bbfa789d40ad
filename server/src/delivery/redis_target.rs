//! The Redis destination: each event appended to a list (`RPUSH`, so a
//! consumer's `BLPOP` reads them in order) or to a stream (`XADD`).

use std::time::Duration;

/// How long connecting and each command may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where in Redis events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisFormat {
    /// `RPUSH KEY JSON`.
    List,
    /// `XADD KEY * event JSON`.
    Stream,
}

/// A Redis server and the key events are appended to.
#[derive(Clone)]
pub struct Redis {
    client: redis::Client,
    key: String,
    format: RedisFormat,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password an URL may hold.
        f.debug_struct("Redis")
            .field("key", &self.key)
            .field("format", &self.format)
            .finish()
    }
}

impl Redis {
    /// `url`: `redis://[:PASSWORD@]HOST:PORT[/DB]`.
    pub fn new(url: &str, key: String, format: RedisFormat) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("redis URL: {e}"))?;
        Ok(Self {
            client,
            key,
            format,
        })
    }

    pub fn connect(&self) -> RedisSender {
        RedisSender {
            target: self.clone(),
            connection: None,
        }
    }
}

/// One worker's connection, opened when needed and dropped after a failure.
pub struct RedisSender {
    target: Redis,
    connection: Option<redis::Connection>,
}

impl super::Sender for RedisSender {
    fn send(&mut self, body: &str) -> Result<(), String> {
        let result = self.try_send(body);
        if result.is_err() {
            self.connection = None;
        }
        result.map_err(|e| format!("redis: {e}"))
    }
}

impl RedisSender {
    fn try_send(&mut self, body: &str) -> redis::RedisResult<()> {
        let connection = match &mut self.connection {
            Some(c) => c,
            None => {
                let c = self.target.client.get_connection_with_timeout(TIMEOUT)?;
                c.set_read_timeout(Some(TIMEOUT))?;
                c.set_write_timeout(Some(TIMEOUT))?;
                self.connection.insert(c)
            }
        };
        let key = &self.target.key;
        match self.target.format {
            RedisFormat::List => redis::cmd("RPUSH")
                .arg(key)
                .arg(body)
                .query::<i64>(connection)
                .map(drop),
            RedisFormat::Stream => redis::cmd("XADD")
                .arg(key)
                .arg("*")
                .arg("event")
                .arg(body)
                .query::<String>(connection)
                .map(drop),
        }
    }
}
