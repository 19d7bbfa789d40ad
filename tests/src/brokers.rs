//! Message brokers for notification tests, started from their Debian packages
//! (`redis-server`, `mosquitto`, `nats-server`) on free loopback ports with temporary
//! directories, and stopped (SIGKILL, by process id) when dropped. A broker
//! can be created down and started later, to play a destination that is out.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Redis,
    Mosquitto,
    Nats,
}

/// A broker process on a loopback port.
pub struct Broker {
    kind: Kind,
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Broker {
    /// A broker on a free port, not started yet.
    pub fn down(kind: Kind) -> Self {
        Self {
            kind,
            port: crate::free_port(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
        }
    }

    /// A running broker.
    pub fn up(kind: Kind) -> Self {
        let mut broker = Self::down(kind);
        broker.start();
        broker
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the broker and waits until it accepts connections.
    pub fn start(&mut self) {
        let port = self.port.to_string();
        let mut command = match self.kind {
            Kind::Redis => {
                let mut c = Command::new(binary("redis-server"));
                c.args(["--port", &port, "--bind", "127.0.0.1", "--save", ""])
                    .args(["--appendonly", "no", "--dir"])
                    .arg(self.dir.path());
                c
            }
            Kind::Mosquitto => {
                let config = self.dir.path().join("mosquitto.conf");
                std::fs::write(
                    &config,
                    format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
                )
                .unwrap();
                let mut c = Command::new(binary("mosquitto"));
                c.arg("-c").arg(config);
                c
            }
            Kind::Nats => {
                let mut c = Command::new(binary("nats-server"));
                c.args(["-a", "127.0.0.1", "-p", &port]);
                c
            }
        };
        let log = std::fs::File::create(self.dir.path().join("log")).unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {:?}: {e}", self.kind));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{:?} did not start: {}",
                self.kind,
                std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `redis-cli -p PORT ARGS`: its output.
    pub fn redis_cli(&self, args: &[&str]) -> String {
        assert_eq!(self.kind, Kind::Redis);
        let out = Command::new(binary("redis-cli"))
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "redis-cli {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The path of a broker's program: on `PATH`, or in `/usr/sbin` (where Debian
/// puts `mosquitto`, outside a normal user's `PATH`).
fn binary(name: &str) -> PathBuf {
    for dir in std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/usr/bin"])
    {
        let path = PathBuf::from(dir).join(name);
        if path.is_file() {
            return path;
        }
    }
    panic!("{name} is not installed (tests/run-all.sh installs it from Debian's packages)")
}
