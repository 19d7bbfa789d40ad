//! A webhook receiver for notification tests: an HTTP/1.1 server on a loopback
//! port that answers every POST with 200 and keeps the bodies, in order.
//! It can be started late (the port is chosen first), so that a server sees a
//! destination that is down, then comes up.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What a receiver got: each POST's body and `Authorization` header.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub body: String,
    pub authorization: Option<String>,
}

/// A webhook endpoint; listening once [`WebhookReceiver::listen`] is called.
pub struct WebhookReceiver {
    port: u16,
    received: Arc<Mutex<Vec<Delivery>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl WebhookReceiver {
    /// A receiver on a free port, not listening yet: connections are refused.
    pub fn down() -> Self {
        Self {
            port: crate::free_port(),
            received: Arc::default(),
            stop: Arc::default(),
            thread: None,
        }
    }

    /// A receiver that is listening.
    pub fn up() -> Self {
        let mut receiver = Self::down();
        receiver.listen();
        receiver
    }

    /// `http://127.0.0.1:PORT/events`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/events", self.port)
    }

    /// Starts accepting deliveries.
    pub fn listen(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("bind webhook port");
        listener.set_nonblocking(true).unwrap();
        let (received, stop) = (Arc::clone(&self.received), Arc::clone(&self.stop));
        self.thread = Some(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &received),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }));
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Delivery> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to 60 s) until at least `n` deliveries arrived; returns them all.
    pub fn wait_for(&self, n: usize) -> Vec<Delivery> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {n} deliveries, got {}: {got:#?}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request, keeps its body, answers 200 and closes.
fn serve(stream: TcpStream, received: &Mutex<Vec<Delivery>>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    let mut authorization = None;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().unwrap_or(0),
                "authorization" => authorization = Some(value.to_owned()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    received.lock().unwrap().push(Delivery {
        body: String::from_utf8_lossy(&body).into_owned(),
        authorization,
    });
    let mut stream = reader.into_inner();
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
}
