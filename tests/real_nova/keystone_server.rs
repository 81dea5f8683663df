//! A real Keystone 30.0.0 for one test: `scripts/real-nova/keystone.py` from the real-Nova
//! venv, on a state directory of its own (SQLite database, fernet keys), provisioned like
//! devstack (projects demo, alt, service; users demo_member, demo_reader, alt_member, nova,
//! admin). Tracked by PID, stopped with SIGTERM and started again on the same state and port
//! (an outage); its request log (one line per request on stderr) says how often a token was
//! validated. Readiness is its ready file appearing, waited for with a deadline.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::common::process::Running;
use crate::common::{repository_root, wait_until_blocking};
use crate::placement_server::real_nova_venv;

/// A fresh start takes 3–10 s here; a loaded CI box may be slower.
const START_DEADLINE: Duration = Duration::from_secs(120);

/// A running (or stopped) Keystone.
pub(crate) struct RealKeystone {
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
    /// `http://127.0.0.1:<port>/v3`.
    pub(crate) auth_url: String,
    /// The ready file: users with passwords and ids, projects.
    pub(crate) ready: Value,
    dir: tempfile::TempDir,
    venv: PathBuf,
    args: Vec<String>,
    running: Option<Running>,
    /// Request lines of earlier (stopped) incarnations.
    earlier: Vec<String>,
}

impl RealKeystone {
    /// A fresh Keystone whose catalog lists `compute_url`, issuing tokens valid for
    /// `token_expiration`.
    pub(crate) fn start(compute_url: &str, token_expiration: Duration) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut keystone = RealKeystone {
            url: String::new(),
            auth_url: String::new(),
            ready: Value::Null,
            venv: real_nova_venv(),
            args: vec![
                "--compute-url".into(),
                compute_url.into(),
                "--token-expiration".into(),
                token_expiration.as_secs().to_string(),
            ],
            dir,
            running: None,
            earlier: Vec::new(),
        };
        keystone.launch();
        keystone
    }

    fn ready_file(&self) -> PathBuf {
        self.dir.path().join("ready.json")
    }

    fn launch(&mut self) {
        let ready_file = self.ready_file();
        let _ = std::fs::remove_file(&ready_file);
        let mut command = Command::new(self.venv.join("bin/python"));
        command
            .arg(repository_root().join("scripts/real-nova/keystone.py"))
            .arg("--state-dir")
            .arg(self.dir.path())
            .arg("--ready-file")
            .arg(&ready_file)
            .args(&self.args);
        let running = Running::spawn(command);
        let pid = running.child.id();
        self.running = Some(running);
        wait_until_blocking(START_DEADLINE, "keystone's ready file", || {
            let text = std::fs::read_to_string(&ready_file).map_err(|e| e.to_string())?;
            let ready: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            if ready["pid"].as_u64() != Some(u64::from(pid)) {
                return Err(format!("ready file of pid {} (not {pid})", ready["pid"]));
            }
            self.ready = ready;
            Ok(())
        });
        self.url = self.ready["url"].as_str().expect("url").to_owned();
        self.auth_url = self.ready["auth_url"]
            .as_str()
            .expect("auth_url")
            .to_owned();
    }

    /// SIGTERM and wait for the exit.
    pub(crate) fn stop(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.signal("TERM");
            let status = running.wait_exit(Duration::from_secs(30));
            assert!(status.success(), "keystone exited with {status}");
            self.earlier.extend(running.lines());
        }
    }

    /// Starts it again on the same state (same port, ids and keys).
    pub(crate) fn restart(&mut self) {
        assert!(self.running.is_none(), "stop it first");
        let url = self.url.clone();
        self.launch();
        assert_eq!(self.url, url, "keystone came back elsewhere");
    }

    /// `(password, project_id)` of a provisioned user.
    pub(crate) fn user(&self, name: &str) -> (String, String) {
        let user = &self.ready["users"][name];
        (
            user["password"].as_str().expect("password").to_owned(),
            user["project_id"].as_str().expect("project_id").to_owned(),
        )
    }

    /// Every line it wrote to stderr, over every incarnation.
    fn lines(&self) -> Vec<String> {
        let mut lines = self.earlier.clone();
        lines.extend(
            self.running
                .as_ref()
                .map(Running::lines)
                .unwrap_or_default(),
        );
        lines
    }

    /// Requests Keystone logged whose request line starts with `method_and_path` (e.g.
    /// `GET /v3/auth/tokens`), over every incarnation, counting every request answered
    /// before this call. Keystone writes a request's line before its answer, but our reader
    /// thread takes lines from the pipe when it gets to them: so a marker request goes last
    /// and the count is taken once its line has been read (a pipe keeps the order).
    pub(crate) async fn requests(&self, method_and_path: &str) -> usize {
        let marker = uuid::Uuid::new_v4().simple().to_string();
        let reply = reqwest::Client::new()
            .get(format!("{}?marker={marker}", self.auth_url))
            .send()
            .await
            .expect("keystone answers the marker request");
        assert_eq!(reply.status(), 200, "the marker request");
        wait_until_blocking(
            Duration::from_secs(10),
            "keystone's marker line read",
            || {
                if self.lines().iter().any(|line| line.contains(&marker)) {
                    Ok(())
                } else {
                    Err("not yet".to_owned())
                }
            },
        );
        let needle = format!("\"{method_and_path}");
        self.lines()
            .iter()
            .filter(|line| line.contains(&needle))
            .count()
    }

    /// Everything it logged, for failure messages.
    pub(crate) fn log(&self) -> String {
        self.lines().join("\n")
    }

    /// A project-scoped token of `user` (password login).
    pub(crate) async fn token(&self, user: &str) -> String {
        let (password, project_id) = self.user(user);
        let body = serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"name": "Default"}, "password": password}}},
            "scope": {"project": {"id": project_id}}}});
        let reply = reqwest::Client::new()
            .post(format!("{}/auth/tokens", self.auth_url))
            .json(&body)
            .send()
            .await
            .expect("keystone answers a login");
        assert_eq!(reply.status(), 201, "login of {user}");
        reply
            .headers()
            .get("X-Subject-Token")
            .and_then(|v| v.to_str().ok())
            .expect("X-Subject-Token")
            .to_owned()
    }
}

impl Drop for RealKeystone {
    fn drop(&mut self) {
        // Running's drop kills it by PID.
        self.running.take();
    }
}
