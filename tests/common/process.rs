//! Running a program from a test: a child whose stderr lines are collected, signals, waits
//! with deadlines, and free loopback ports to give it. (Which program: the `novactor`
//! binary is `common/nova.rs`'s `BIN`.)
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::wait::wait_until_blocking;

/// A port on `ip` nothing listens on right now (bound and released).
pub fn free_port_on(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_else(|e| panic!("bind a free port on {ip}: {e}"))
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    free_port_on("127.0.0.1")
}

/// A command for `program` with a clean environment: no `OS_*` options leak in, and the
/// working directory holds no `nova.conf`.
pub fn command(program: &Path, cwd: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", cwd)
        // Many processes run at once: none takes the dashboard's default port. A test that
        // wants a dashboard sets OS_DASHBOARD__PORT again (the environment outranks nova.conf).
        .env("OS_DASHBOARD__PORT", "0")
        .current_dir(cwd);
    command
}

pub struct Running {
    pub child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stderr(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("binary starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&lines);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Self {
            child,
            lines,
            reader: Some(reader),
        }
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    pub fn count(&self, needle: &str) -> usize {
        self.lines().iter().filter(|l| l.contains(needle)).count()
    }

    /// Wait until `count(needle) >= n`; panics with the log after `deadline`.
    pub fn wait_for(&self, needle: &str, n: usize, deadline: Duration) -> Duration {
        let started = Instant::now();
        wait_until_blocking(deadline, &format!("{n}× {needle:?}"), || {
            if self.count(needle) >= n {
                Ok(())
            } else {
                Err(format!("log:\n{}", self.lines().join("\n")))
            }
        });
        started.elapsed()
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} failed");
    }

    pub fn wait_exit(&mut self, deadline: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The process is gone; read what it wrote last before anyone counts lines.
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                return status;
            }
            if started.elapsed() > deadline {
                let _ = self.child.kill();
                panic!(
                    "process did not exit within {deadline:?}; log:\n{}",
                    self.lines().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
