//! A stand-in for Keystone's password login only (`POST /v3/auth/tokens`), on a thread with a
//! std listener: it records each login body and answers 201 with the token `admin` (what
//! placement's noauth2 takes as admin) in `X-Subject-Token`, an `expires_at` a chosen time
//! ahead, and a catalog whose placement `internal` endpoint is the real placement and whose
//! `public` one goes nowhere — the shape `spec/keystone-30/README.md` records. Placement
//! itself is never stubbed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

/// The stand-in, stopped on drop.
pub(crate) struct KeystoneStub {
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
    logins: Arc<Mutex<Vec<Value>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl KeystoneStub {
    /// Issues tokens valid for `lifetime`, with `placement_url` as placement's internal
    /// endpoint in region `RegionOne`.
    pub(crate) fn start(placement_url: &str, lifetime: chrono::TimeDelta) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let logins = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopping, placement) = (
            Arc::clone(&logins),
            Arc::clone(&stop),
            placement_url.to_owned(),
        );
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    answer(stream, &seen, &placement, lifetime);
                }
            }
        });
        KeystoneStub {
            url,
            logins,
            stop,
            thread: Some(thread),
        }
    }

    /// The login bodies received so far.
    pub(crate) fn logins(&self) -> Vec<Value> {
        self.logins.lock().unwrap().clone()
    }
}

fn answer(
    stream: TcpStream,
    seen: &Mutex<Vec<Value>>,
    placement: &str,
    lifetime: chrono::TimeDelta,
) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    let mut length = 0;
    let _ = reader.read_line(&mut request_line);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let (status, headers, reply) = if request_line.starts_with("POST /v3/auth/tokens ") {
        seen.lock()
            .unwrap()
            .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
        let expires_at = (chrono::Utc::now() + lifetime).format("%Y-%m-%dT%H:%M:%S%.6fZ");
        let token = json!({"token": {
            "methods": ["password"],
            "expires_at": expires_at.to_string(),
            "catalog": [{"type": "placement", "name": "placement", "id": "s1", "endpoints": [
                {"id": "e1", "interface": "public", "region_id": "RegionOne",
                 "region": "RegionOne", "url": "http://127.0.0.1:9/placement"},
                {"id": "e2", "interface": "internal", "region_id": "RegionOne",
                 "region": "RegionOne", "url": placement}]}]}});
        (
            "201 Created",
            "X-Subject-Token: admin\r\n",
            token.to_string(),
        )
    } else {
        (
            "404 Not Found",
            "",
            r#"{"error": {"code": 404, "title": "Not Found", "message": "no"}}"#.to_owned(),
        )
    };
    let mut stream = reader.into_inner();
    let _ = write!(
        stream,
        "HTTP/1.0 {status}\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{reply}",
        reply.len()
    );
}

impl Drop for KeystoneStub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
