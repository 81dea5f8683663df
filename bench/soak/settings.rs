//! The soak's fixed settings and knobs: the binary, sampling and warm-up periods, the
//! slack allowed for fds and threads, environment overrides, free ports.

use std::time::Duration;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_novactor");
pub(crate) const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
pub(crate) const SAMPLE_EVERY: Duration = Duration::from_secs(10);
pub(crate) const WARM_UP: f64 = 60.0;
pub(crate) const IDLE_AFTER: Duration = Duration::from_secs(60);
/// Allowed end-over-start growth of open fds and threads per process.
pub(crate) const FD_SLACK: f64 = 8.0;
pub(crate) const THREAD_SLACK: f64 = 4.0;

pub(crate) fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
