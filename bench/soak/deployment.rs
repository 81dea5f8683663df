//! The deployment: three release `novactor` processes with their logs in `target/soak/`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::settings::*;

pub(crate) struct Proc {
    pub(crate) name: &'static str,
    pub(crate) child: Child,
    pub(crate) dashboard: u16,
    pub(crate) log: PathBuf,
}

impl Proc {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub(crate) fn novactor(dir: &Path, conf: &Path, dashboard: u16) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("OS_DASHBOARD__PORT", dashboard.to_string())
        .current_dir(dir)
        .arg("--config-file")
        .arg(conf);
    command
}

pub(crate) fn spawn(dir: &Path, conf: &Path, name: &'static str, actors: &str, host: &str) -> Proc {
    let dashboard = free_port();
    let log = dir.join(format!("{name}.log"));
    let out = File::create(&log).expect("log file");
    let err = out.try_clone().expect("log file");
    let child = novactor(dir, conf, dashboard)
        .args(["run", "--actors", actors, "--host", host])
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("novactor starts");
    Proc {
        name,
        child,
        dashboard,
        log,
    }
}
