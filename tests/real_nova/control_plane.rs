//! A real Nova 34 control plane for one test (`scripts/real-nova/realnova.py up`): its own
//! RabbitMQ vhost and MariaDB databases, nova-api, conductor, scheduler and placement from
//! the real-Nova venv, the real `openstack` CLI, Python `nova-compute`s on demand; taken
//! down by PID (`realnova.py down`) when dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::repository_root;
use crate::placement_server::real_nova_venv;

/// One control plane, up.
pub(crate) struct ControlPlane {
    /// `realnova.json`: endpoints, transport URL, processes.
    pub(crate) facts: Value,
    workdir: tempfile::TempDir,
    bin: PathBuf,
}

fn script() -> PathBuf {
    repository_root().join("scripts/real-nova/realnova.py")
}

fn text(output: &Output) -> String {
    format!(
        "exit {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

impl ControlPlane {
    /// `realnova.py up`, with the defaults its README documents (report_interval 5,
    /// service_down_time 20, discovery every 2 s).
    pub(crate) fn up() -> Self {
        let bin = real_nova_venv().join("bin");
        let workdir = tempfile::tempdir().expect("workdir");
        let output = Command::new(bin.join("python"))
            .arg(script())
            .args(["up", "--workdir"])
            .arg(workdir.path())
            .output()
            .expect("realnova.py runs");
        if !output.status.success() {
            // `up` takes down what it started when it fails.
            panic!("realnova.py up failed: {}", text(&output));
        }
        let facts = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("realnova.py up printed no JSON ({e}): {}", text(&output)));
        Self {
            facts,
            workdir,
            bin,
        }
    }

    /// The directory of this control plane's files and logs.
    pub(crate) fn workdir(&self) -> &Path {
        self.workdir.path()
    }

    /// A fact of `realnova.json` as a string (`/endpoints/placement`).
    pub(crate) fn fact(&self, pointer: &str) -> String {
        self.facts
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("realnova.json has no {pointer}"))
            .to_owned()
    }

    /// Start a Python `nova-compute` (Nova's fake driver) as `host`; ready once nova-api
    /// shows it up.
    pub(crate) fn python_compute(&self, host: &str) {
        let output = Command::new(self.bin.join("python"))
            .arg(script())
            .args(["compute", "--workdir"])
            .arg(self.workdir())
            .args(["--host", host])
            .output()
            .expect("realnova.py runs");
        assert!(
            output.status.success(),
            "realnova.py compute failed: {}",
            text(&output)
        );
    }

    /// `openstack <args>` with this control plane's environment; its stdout, or a panic
    /// with what it said.
    pub(crate) fn openstack(&self, args: &[&str]) -> String {
        let output = self.try_openstack(args);
        assert!(
            output.status.success(),
            "openstack {}: {}",
            args.join(" "),
            text(&output)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// `openstack <args> -f json`, parsed.
    pub(crate) fn openstack_json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-f", "json"]);
        let out = self.openstack(&all);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("openstack {} printed no JSON ({e}): {out}", args.join(" ")))
    }

    /// `openstack <args>`, whatever its outcome.
    pub(crate) fn try_openstack(&self, args: &[&str]) -> Output {
        let mut command = Command::new(self.bin.join("openstack"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        if let Some(env) = self
            .facts
            .pointer("/openstack/env")
            .and_then(Value::as_object)
        {
            for (key, value) in env {
                if let Some(value) = value.as_str() {
                    command.env(key, value);
                }
            }
        }
        command.env("HOME", self.workdir());
        command.args(args).output().expect("openstack runs")
    }

    /// `GET <placement><path>` as the admin token, at `microversion`.
    pub(crate) fn placement_get(&self, path: &str, microversion: &str) -> Value {
        let url = format!("{}{path}", self.fact("/endpoints/placement"));
        let output = Command::new("curl")
            .args(["-sS", "--max-time", "30", "-H", "X-Auth-Token: admin", "-H"])
            .arg(format!("OpenStack-API-Version: placement {microversion}"))
            .arg(&url)
            .output()
            .expect("curl runs");
        assert!(output.status.success(), "GET {url}: {}", text(&output));
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("GET {url} answered no JSON ({e}): {}", text(&output)))
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        let output = Command::new(self.bin.join("python"))
            .arg(script())
            .args(["down", "--workdir"])
            .arg(self.workdir())
            .output();
        if let Ok(output) = output {
            if !output.status.success() {
                eprintln!("realnova.py down failed: {}", text(&output));
            }
        }
    }
}
