//! Running the real Python oslo.messaging peer (`tests/interop/oslo_peer.py`) from tests.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::repository_root;
use super::wait::wait_until_blocking;

/// The venv's python, created by scripts/python-venv.sh once per test binary. A missing
/// PyPI or Python is a test failure with the script's message, never a skip.
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let output = Command::new("bash")
                .arg(repository_root().join("scripts/python-venv.sh"))
                .output()
                .expect("bash runs scripts/python-venv.sh");
            assert!(
                output.status.success(),
                "scripts/python-venv.sh failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let stdout = String::from_utf8_lossy(&output.stdout);
            PathBuf::from(
                stdout
                    .lines()
                    .last()
                    .expect("the script prints the venv python")
                    .trim(),
            )
        })
        .clone()
}

fn peer() -> String {
    repository_root()
        .join("tests/interop/oslo_peer.py")
        .display()
        .to_string()
}

/// A running oslo RPC server (`oslo_peer.py server`) whose stdout events are collected.
pub struct OsloServer {
    child: Child,
    events: Arc<Mutex<Vec<Value>>>,
    pub topic: String,
    pub server: String,
}

impl OsloServer {
    /// Start a server on `topic` as `server` and wait until it consumes.
    pub fn start(url: &str, topic: &str, server: &str) -> Self {
        let mut child = Command::new(python())
            .args([
                peer().as_str(),
                "server",
                "--url",
                url,
                "--topic",
                topic,
                "--server",
                server,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("oslo peer starts");
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        let stdout = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(event) = serde_json::from_str::<Value>(&line) {
                    sink.lock().unwrap().push(event);
                }
            }
        });
        let server = Self {
            child,
            events,
            topic: topic.to_owned(),
            server: server.to_owned(),
        };
        server.wait_for(
            Duration::from_secs(60),
            "the oslo server to be ready",
            |events| events.iter().any(|e| e["event"] == "ready"),
        );
        server
    }

    pub fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }

    /// Values of the `record` events received.
    pub fn records(&self) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["event"] == "record")
            .map(|e| e["value"].clone())
            .collect()
    }

    pub fn wait_for(&self, deadline: Duration, what: &str, condition: impl Fn(&[Value]) -> bool) {
        wait_until_blocking(deadline, what, || {
            let events = self.events();
            if condition(&events) {
                Ok(())
            } else {
                Err(format!("events: {events:?}"))
            }
        });
    }
}

impl Drop for OsloServer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One oslo client invocation's JSON answer.
pub fn oslo_client(url: &str, args: &[&str]) -> Value {
    let output = Command::new("timeout")
        .args([
            "120",
            python().to_str().unwrap(),
            peer().as_str(),
            "client",
            "--url",
            url,
        ])
        .args(args)
        .output()
        .expect("oslo client runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| {
        panic!(
            "oslo client printed nothing; stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("oslo client output is not JSON ({e}): {line}"))
}

/// `oslo_client` on a blocking thread, for use inside async tests.
pub async fn oslo_client_async(url: String, args: Vec<String>) -> Value {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        oslo_client(&url, &args)
    })
    .await
    .expect("client thread")
}
