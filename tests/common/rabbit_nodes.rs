//! Private RabbitMQ nodes of one test, made by `scripts/rabbit-nodes.sh` in a temp state
//! directory: a TLS node requiring client certificates ([`PrivateNodes::tls`]) or a
//! three-node cluster ([`PrivateNodes::cluster`]). Dropping the guard stops every node (also
//! when the test panics); the script's watcher stops them if the test process is killed.
//! A missing prerequisite (rabbitmq-server, openssl) fails the test, loudly, on CI and off it.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The project's script.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/rabbit-nodes.sh")
}

/// Nodes started by the script, stopped on drop.
pub struct PrivateNodes {
    /// The state directory (node data, logs, certificates).
    pub dir: tempfile::TempDir,
    /// What the script printed: `NODE`, `TLS_PORT`, `CA_FILE`, … or `NODE1`, `PORT1`, ….
    pub values: HashMap<String, String>,
    stopped: bool,
}

impl PrivateNodes {
    /// One node with a TLS listener requiring a client certificate.
    pub fn tls() -> Self {
        Self::start("tls")
    }

    /// Three clustered nodes.
    pub fn cluster() -> Self {
        Self::start("cluster")
    }

    fn start(kind: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("novactor-rabbit-")
            .tempdir()
            .expect("a temp dir");
        let started = Instant::now();
        let output = Command::new("bash")
            .arg(script())
            .arg(kind)
            .arg(dir.path())
            .arg("--owner")
            .arg(std::process::id().to_string())
            .output()
            .expect("bash runs scripts/rabbit-nodes.sh");
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            // Stop whatever did start before failing.
            let _ = Command::new("bash")
                .arg(script())
                .arg("stop")
                .arg(dir.path())
                .status();
            let ci = std::env::var("CI").as_deref() == Ok("true");
            panic!(
                "scripts/rabbit-nodes.sh {kind} failed ({}){}:\n{stderr}\nThis test needs \
                 Debian's rabbitmq-server (and openssl for TLS): apt-get install rabbitmq-server \
                 openssl. It never passes without them.",
                output.status,
                if ci {
                    " on CI, where they must exist"
                } else {
                    ""
                },
            );
        }
        let values = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        eprintln!(
            "rabbit-nodes.sh {kind}: ready in {:.1} s\n{}",
            started.elapsed().as_secs_f64(),
            stderr.trim_end()
        );
        Self {
            dir,
            values,
            stopped: false,
        }
    }

    /// A value the script printed.
    pub fn value(&self, key: &str) -> &str {
        self.values
            .get(key)
            .unwrap_or_else(|| panic!("rabbit-nodes.sh printed no {key}: {:?}", self.values))
    }

    /// `rabbitmqctl -n node args…` with the state directory's cookie, bounded by `deadline`;
    /// its stdout, or what went wrong.
    pub fn ctl(&self, node: &str, args: &[&str], deadline: Duration) -> Result<String, String> {
        let mut child = Command::new("bash")
            .arg(script())
            .arg("ctl")
            .arg(self.dir.path())
            .arg(node)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn rabbit-nodes.sh ctl: {e}"))?;
        let started = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if started.elapsed() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "rabbitmqctl {args:?} on {node}: no answer in {deadline:?}"
                    ));
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        let output = child.wait_with_output().map_err(|e| e.to_string())?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(format!(
                "rabbitmqctl {args:?} on {node} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }

    /// Stop every node now (the drop does it too).
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let status = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(self.dir.path())
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!(
                "rabbit-nodes.sh stop {}: {status:?}",
                self.dir.path().display()
            );
        }
    }
}

impl Drop for PrivateNodes {
    fn drop(&mut self) {
        self.stop();
    }
}
