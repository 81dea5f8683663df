//! The oslo.messaging column: `tests/interop/oslo_peer.py` `server` plus its `bench` mode,
//! skipped with a note without the venv.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::figures::*;

/// Names the oslo run declared, for the clean-up.
#[derive(Debug, Default)]
pub(crate) struct OsloNames {
    pub(crate) exchange: String,
    pub(crate) topics: Vec<String>,
}

pub(crate) fn find_python(root: &Path) -> Result<PathBuf, String> {
    if let Ok(python) = std::env::var("NOVACTOR_BENCH_PYTHON") {
        let python = PathBuf::from(python);
        return if python.exists() {
            Ok(python)
        } else {
            Err(format!(
                "no Python interpreter at {} (NOVACTOR_BENCH_PYTHON); scripts/python-venv.sh makes one",
                python.display()
            ))
        };
    }
    let output = Command::new("bash")
        .arg(root.join("scripts/python-venv.sh"))
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run scripts/python-venv.sh: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "scripts/python-venv.sh failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .map(|line| PathBuf::from(line.trim()))
        .ok_or_else(|| "scripts/python-venv.sh printed no interpreter".to_owned())
}

/// An oslo RPC server on `topic`, returned once its queues exist.
pub(crate) struct OsloServer {
    pub(crate) child: std::process::Child,
}

impl OsloServer {
    pub(crate) fn start(
        python: &Path,
        peer: &Path,
        url: &str,
        exchange: &str,
        topic: &str,
    ) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let ready = dir.path().join("ready");
        let child = Command::new(python)
            .arg(peer)
            .args(["server", "--url", url, "--topic", topic, "--server", "s1"])
            .args(["--exchange", exchange, "--ready-file"])
            .arg(&ready)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the oslo server: {e}"))?;
        let mut server = Self { child };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ready.exists() {
            if let Ok(Some(status)) = server.child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = server.child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                return Err(format!("oslo server exited ({status}): {}", stderr.trim()));
            }
            if Instant::now() > deadline {
                return Err("oslo server not ready within 60 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    /// SIGTERM (oslo's clean stop), SIGKILL after 10 s.
    pub(crate) fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
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

pub(crate) fn oslo_bench(
    python: &Path,
    peer: &Path,
    url: &str,
    exchange: &str,
    topic: &str,
    calls: usize,
    casts: usize,
) -> Result<Value, String> {
    let output = Command::new(python)
        .arg(peer)
        .args([
            "bench",
            "--url",
            url,
            "--topic",
            topic,
            "--exchange",
            exchange,
        ])
        .args(["--method", "echo", "--args", r#"{"value": "x"}"#])
        .args(["--calls", &calls.to_string(), "--casts", &casts.to_string()])
        .args(["--concurrency", &CONCURRENT_CALLERS.to_string()])
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run the oslo bench: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let value: Value = serde_json::from_str(line).map_err(|e| {
        format!(
            "oslo bench printed {line:?} ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )
    })?;
    if value["ok"] != json!(true) {
        return Err(format!("oslo bench failed: {value}"));
    }
    Ok(value)
}

/// Casts against one oslo server, then calls against another, so the calls do not queue
/// behind casts the first server is still working through.
pub(crate) fn bench_oslo(url: &str, names: &mut OsloNames) -> Result<Figures, String> {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let python = find_python(root)?;
    let peer = root.join("tests/interop/oslo_peer.py");
    names.exchange = unique("bench_oslo");
    let cast_topic = unique("oslo_casts");
    let call_topic = unique("oslo_calls");
    names.topics = vec![cast_topic.clone(), call_topic.clone()];

    let server = OsloServer::start(&python, &peer, url, &names.exchange, &cast_topic)?;
    let casts = oslo_bench(&python, &peer, url, &names.exchange, &cast_topic, 0, CASTS);
    server.stop();
    let casts = casts?;

    let server = OsloServer::start(&python, &peer, url, &names.exchange, &call_topic)?;
    let calls = oslo_bench(
        &python,
        &peer,
        url,
        &names.exchange,
        &call_topic,
        SEQUENTIAL_CALLS,
        0,
    );
    server.stop();
    let calls = calls?;

    Ok(Figures {
        casts_confirmed_per_s: casts["cast_per_s"].as_f64(),
        casts_handled_per_s: None,
        call_p50_us: calls["call_p50_us"].as_f64(),
        call_p99_us: calls["call_p99_us"].as_f64(),
        // The peer's bench reports percentiles only.
        sequential_calls_per_s: None,
        concurrent_calls_per_s: calls["concurrent_calls_per_s"].as_f64(),
    })
}
