//! The real python-openstackclient as the OSC tests drive it: the venv's `openstack`
//! (`scripts/osc-venv.sh`), run against a novactor API with `OS_AUTH_TYPE=none`, optionally
//! pinned to a compute microversion; it remembers the instance actions it performed so the
//! `server event list` check follows them.

use std::cell::RefCell;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::common::wait_until_blocking;

pub(crate) fn openstack_bin() -> PathBuf {
    let output = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/osc-venv.sh"
        ))
        .output()
        .expect("bash runs scripts/osc-venv.sh");
    assert!(
        output.status.success(),
        "scripts/osc-venv.sh failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .last()
            .expect("a path")
            .trim(),
    )
}

pub(crate) struct Client {
    pub(crate) bin: PathBuf,
    pub(crate) port: u16,
    pub(crate) home: PathBuf,
    /// `OS_COMPUTE_API_VERSION`: none lets the client pick its default.
    pub(crate) compute_api_version: Option<&'static str>,
    /// The compute hosts of the cloud, in order.
    pub(crate) hosts: Vec<String>,
    /// The instance actions `act` performed on the test's long-lived server, oldest first:
    /// what `server event list` must show, newest first.
    pub(crate) performed: RefCell<Vec<&'static str>>,
}

impl Client {
    /// Run `openstack <args>`, an action on the long-lived server that Nova records as the
    /// instance action `action`; returns stdout.
    pub(crate) fn act(&self, action: &'static str, args: &[&str]) -> String {
        let out = self.run(args);
        self.performed.borrow_mut().push(action);
        out
    }

    /// The server's value of one `server show` column.
    pub(crate) fn field(&self, name: &str, column: &str) -> String {
        self.run(&["server", "show", name, "-c", column, "-f", "value"])
            .trim()
            .to_owned()
    }

    /// Run `openstack <args>`; returns stdout, panicking with stderr on failure.
    pub(crate) fn run(&self, args: &[&str]) -> String {
        let output = self.output(args);
        assert!(
            output.status.success(),
            "openstack {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Run `openstack <args>` and hand back what it did, success or not.
    pub(crate) fn output(&self, args: &[&str]) -> std::process::Output {
        let mut command = Command::new("timeout");
        command.env_clear();
        if let Some(version) = self.compute_api_version {
            command.env("OS_COMPUTE_API_VERSION", version);
        }
        command
            .arg("120")
            .arg(&self.bin)
            .args(args)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("OS_AUTH_TYPE", "none")
            .env(
                "OS_ENDPOINT",
                format!("http://127.0.0.1:{}/v2.1", self.port),
            )
            .env("OS_IDENTITY_API_VERSION", "3")
            .env(
                "OS_IMAGE_ENDPOINT_OVERRIDE",
                format!("http://127.0.0.1:{}/image/v2", self.port),
            )
            .output()
            .expect("openstack runs")
    }

    pub(crate) fn status(&self, name: &str) -> String {
        self.run(&["server", "show", name, "-c", "status", "-f", "value"])
            .trim()
            .to_owned()
    }

    pub(crate) fn wait_status(&self, name: &str, want: &str) {
        wait_until_blocking(
            Duration::from_secs(60),
            &format!("{name} to be {want}"),
            || {
                let status = self.status(name);
                if status == want {
                    Ok(())
                } else {
                    Err(format!("{name} stayed {status}"))
                }
            },
        );
    }
}
