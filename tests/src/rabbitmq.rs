//! A RabbitMQ broker for notification tests, started from Debian's
//! `rabbitmq-server` on free loopback ports with its own node name, data and
//! log directories, no plugins, and its own `epmd` (so it never meets another
//! test's broker or a system one). Dropping it kills the broker's process
//! group and the `epmd`, by their process ids.

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The broker's own start script (the one in `/usr/sbin` switches users).
const SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";

/// A RabbitMQ node; `guest`/`guest` may connect from loopback.
pub struct RabbitMq {
    port: u16,
    dir: tempfile::TempDir,
    epmd: Option<Child>,
    node: Option<Child>,
}

impl RabbitMq {
    /// A broker on a free port, not started yet.
    pub fn down() -> Self {
        assert!(
            Path::new(SERVER).is_file(),
            "rabbitmq-server is not installed (tests/run-all.sh installs it from Debian's packages)"
        );
        Self {
            port: crate::free_port(),
            dir: tempfile::tempdir().unwrap(),
            epmd: None,
            node: None,
        }
    }

    /// A running broker.
    pub fn up() -> Self {
        let mut broker = Self::down();
        broker.start();
        broker
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `amqp://guest:guest@127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}", self.port)
    }

    /// Starts `epmd` and the node, and waits until the node takes AMQP
    /// connections (RabbitMQ opens its listeners last, once booted).
    pub fn start(&mut self) {
        let dir = self.dir.path();
        let epmd_port = crate::free_port();
        let log = |name: &str| std::fs::File::create(dir.join(name)).unwrap();
        let epmd = Command::new("epmd")
            .args(["-port", &epmd_port.to_string(), "-address", "127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(log("epmd.log"))
            .stderr(log("epmd.err"))
            .spawn()
            .unwrap();
        self.epmd = Some(epmd);
        self.wait_for(epmd_port, "epmd");
        std::fs::write(dir.join("enabled_plugins"), "[].\n").unwrap();
        let node = Command::new(SERVER)
            .current_dir(dir)
            .env("HOME", dir)
            .env("ERL_EPMD_PORT", epmd_port.to_string())
            .env(
                "RABBITMQ_NODENAME",
                format!("horreo-test-{}@localhost", self.port),
            )
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", crate::free_port().to_string())
            .env("RABBITMQ_MNESIA_BASE", dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", dir.join("log"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir.join("enabled_plugins"))
            .env("RABBITMQ_CONFIG_FILE", dir.join("rabbitmq"))
            .env("RABBITMQ_ADVANCED_CONFIG_FILE", dir.join("advanced.config"))
            .env("RABBITMQ_CONF_ENV_FILE", dir.join("rabbitmq-env.conf"))
            .env("RABBITMQ_PID_FILE", dir.join("rabbitmq.pid"))
            .env("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-start_epmd false")
            .stdin(Stdio::null())
            .stdout(log("node.log"))
            .stderr(log("node.err"))
            // Its own process group: the script, the Erlang VM and its helpers
            // are stopped together.
            .process_group(0)
            .spawn()
            .unwrap();
        self.node = Some(node);
        self.wait_for(self.port, "rabbitmq-server");
    }

    fn wait_for(&self, port: u16, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{what} did not start: {}{}",
                std::fs::read_to_string(self.dir.path().join("node.log")).unwrap_or_default(),
                std::fs::read_to_string(self.dir.path().join("node.err")).unwrap_or_default(),
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for RabbitMq {
    fn drop(&mut self) {
        if let Some(mut node) = self.node.take() {
            // The group's id is the script's process id (process_group(0)).
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", node.id())])
                .status();
            let _ = node.kill();
            let _ = node.wait();
        }
        if let Some(mut epmd) = self.epmd.take() {
            let _ = epmd.kill();
            let _ = epmd.wait();
        }
    }
}
