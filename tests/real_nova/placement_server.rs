//! A real placement 16.0.0, alone, for one test: from the real-Nova venv, a temp dir with
//! `placement.conf` (a fresh MariaDB database of its own through PyMySQL — SQLite answers
//! "database is locked" to concurrent writers — and `[api] auth_strategy = noauth2`),
//! `placement-manage db sync`, then `placement_wsgi.py` (placement's WSGI app under Python's
//! threaded `wsgiref`) on a free port. Tracked by PID, killed by PID on drop; stopped and
//! restarted on the same port (same database) for outage tests. Readiness is waited for
//! with deadlines, never a fixed sleep.
//!
//! Where the venv comes from, first found wins:
//! 1. `NOVACTOR_REAL_NOVA_VENV` (a venv directory with `openstack-placement==16.0.0`);
//! 2. `scripts/real-nova/venv.sh` if the repository has it (it creates the venv when missing):
//!    its last stdout line is the venv's `bin` directory;
//! 3. the newest complete `real-nova-<12 hex>/` in
//!    `${NOVACTOR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/novactor}` (venv.sh's completion
//!    marker `.novactor-complete` and `bin/placement-manage` present).
//!
//! None found is a failure with the way to fix it, never a silent pass.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::common::{repository_root, wait_until, wait_until_blocking, Backend, FreshDatabase};

/// Placement starting (imports, app load) takes 1–3 s here; a loaded CI box may be slower.
const START_DEADLINE: Duration = Duration::from_secs(90);

/// The venv's directory, or a failure saying how to get one.
pub(crate) fn real_nova_venv() -> PathBuf {
    if let Some(dir) = std::env::var_os("NOVACTOR_REAL_NOVA_VENV") {
        return PathBuf::from(dir);
    }
    let script = repository_root().join("scripts/real-nova/venv.sh");
    if script.is_file() {
        let out = Command::new("bash")
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} failed: {}",
            script.display(),
            out.status
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let last = stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let last = PathBuf::from(last.trim());
        // The bin directory (venv.sh's contract), or the venv itself.
        return if last.join("python").is_file() {
            last.parent().map(Path::to_path_buf).unwrap_or(last)
        } else {
            last
        };
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cache = std::env::var_os("NOVACTOR_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("novactor")))
        .unwrap_or_else(|| home.join(".cache/novactor"));
    let newest = std::fs::read_dir(&cache)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_prefix("real-nova-")
                .is_some_and(|hash| hash.len() == 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
                && entry.path().join(".novactor-complete").is_file()
                && entry.path().join("bin/placement-manage").is_file()
        })
        .max_by_key(|entry| entry.metadata().and_then(|m| m.modified()).ok());
    match newest {
        Some(entry) => entry.path(),
        None => panic!(
            "no real-Nova venv (placement 16.0.0){}: looked for NOVACTOR_REAL_NOVA_VENV, \
             scripts/real-nova/venv.sh and a complete {}/real-nova-<12 hex>/. \
             Create it with scripts/real-nova/venv.sh, or point NOVACTOR_REAL_NOVA_VENV at a \
             venv with `pip install openstack-placement==16.0.0`. These tests never pass \
             without a real placement.",
            if std::env::var("CI").as_deref() == Ok("true") {
                " on CI, where it must exist"
            } else {
                ""
            },
            cache.display()
        ),
    }
}

/// A placement server process and its state directory.
pub(crate) struct RealPlacement {
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
    port: u16,
    venv: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
    http: reqwest::Client,
    /// Dropped (the database with it) after the process is killed.
    _database: FreshDatabase,
}

impl RealPlacement {
    /// A fresh placement (its own database) on a free port, answering.
    pub(crate) async fn start() -> Self {
        let venv = real_nova_venv();
        let dir = tempfile::tempdir().expect("temp dir");
        let database = FreshDatabase::create(Backend::MySql, "placement").await;
        let mut connection = database.url.replacen("mysql://", "mysql+pymysql://", 1);
        if !connection.contains('?') {
            connection.push_str("?charset=utf8");
        }
        let conf = format!(
            "[DEFAULT]\ndebug = false\n[placement_database]\nconnection = {connection}\n\
             [api]\nauth_strategy = noauth2\n"
        );
        std::fs::write(dir.path().join("placement.conf"), conf).expect("write placement.conf");
        let manage = venv.join("bin/placement-manage");
        let status = Command::new(&manage)
            .arg("--config-file")
            .arg(dir.path().join("placement.conf"))
            .args(["db", "sync"])
            .env("OS_PLACEMENT_CONFIG_DIR", dir.path())
            .stdout(Stdio::null())
            .stderr(log_file(dir.path(), "db-sync.log"))
            .status()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", manage.display()));
        assert!(
            status.success(),
            "placement-manage db sync failed ({status}):\n{}",
            read_log(dir.path(), "db-sync.log")
        );
        let mut placement = RealPlacement {
            url: String::new(),
            port: 0,
            venv,
            dir,
            child: None,
            http: reqwest::Client::new(),
            _database: database,
        };
        placement.launch().await;
        placement
    }

    /// Starts the server (on `self.port`; 0 the first time) and waits until it answers.
    async fn launch(&mut self) {
        let script = repository_root().join("tests/real_nova/placement_wsgi.py");
        let mut child = Command::new(self.venv.join("bin/python"))
            .arg(&script)
            .args(["--port", &self.port.to_string()])
            .env("OS_PLACEMENT_CONFIG_DIR", self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file(self.dir.path(), "placement.log"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        self.child = Some(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let first = BufReader::new(stdout).lines().next();
            let _ = tx.send(first);
        });
        let line = match rx.recv_timeout(START_DEADLINE) {
            Ok(Some(Ok(line))) => line,
            other => panic!(
                "placement did not start within {START_DEADLINE:?} ({other:?}):\n{}",
                read_log(self.dir.path(), "placement.log")
            ),
        };
        let address = line
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("unexpected launcher output {line:?}"));
        self.port = address
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        self.url = format!("http://{address}");
        let root = format!("{}/", self.url);
        let http = self.http.clone();
        wait_until(
            START_DEADLINE,
            "placement answers GET /",
            async || match http.get(&root).send().await {
                Ok(reply) if reply.status() == 200 => Ok(()),
                Ok(reply) => Err(format!("status {}", reply.status())),
                Err(e) => Err(e.to_string()),
            },
        )
        .await;
    }

    /// Kills the server (by its PID) and waits for it; the database stays.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let port = self.port;
        wait_until_blocking(Duration::from_secs(10), "the port to be free", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        });
    }

    /// Starts it again on the same port, with the same database.
    pub(crate) async fn restart(&mut self) {
        self.launch().await;
    }

    /// The nova.conf options a compute would use for this placement.
    pub(crate) fn options(&self) -> Vec<(&'static str, &'static str, String)> {
        vec![
            ("placement", "auth_type", "admin_token".into()),
            ("placement", "token", "admin".into()),
            ("placement", "endpoint", self.url.clone()),
        ]
    }

    /// One request straight to placement, as another writer or an operator would send
    /// it: (status, JSON body or null).
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        microversion: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("X-Auth-Token", "admin")
            .header("OpenStack-API-Version", format!("placement {microversion}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = request.send().await.expect("placement answers");
        let status = reply.status().as_u16();
        let text = reply.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `GET` with a microversion; panics unless 200.
    pub(crate) async fn get(&self, path: &str, microversion: &str) -> Value {
        let (status, body) = self
            .call(reqwest::Method::GET, path, microversion, None)
            .await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// The launcher's counters: `requests`, `max_concurrent_requests`, `connections`,
    /// `max_concurrent_connections`.
    pub(crate) async fn stats(&self) -> Value {
        self.get("/_launcher/stats", "1.0").await
    }
}

impl Drop for RealPlacement {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn log_file(dir: &Path, name: &str) -> Stdio {
    std::fs::File::create(dir.join(name))
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::null())
}

fn read_log(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}
