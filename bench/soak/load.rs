//! The load: server lifecycles and listings through the compute API at a fixed request
//! rate (one token limiter for every request, polls included).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::http::{http, Reply};
use crate::settings::*;

#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) ops: BTreeMap<&'static str, u64>,
    pub(crate) errors: BTreeMap<&'static str, u64>,
    pub(crate) error_log: Vec<String>,
    /// Requests and their summed latency since the last sample.
    pub(crate) window_requests: u64,
    pub(crate) window_latency: f64,
    /// (seconds since load start, seconds from POST to ACTIVE).
    pub(crate) boots: Vec<(f64, f64)>,
    pub(crate) lifecycles: u64,
}

pub(crate) struct Load {
    pub(crate) client: awc::Client,
    pub(crate) base: String,
    pub(crate) limiter: tokio::sync::Mutex<tokio::time::Interval>,
    pub(crate) stats: RefCell<Stats>,
    pub(crate) in_flight: Cell<i64>,
    pub(crate) started: Instant,
    pub(crate) deadline: Instant,
}

impl Load {
    pub(crate) fn t(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    pub(crate) fn error(&self, kind: &'static str, message: String) {
        let mut stats = self.stats.borrow_mut();
        *stats.errors.entry(kind).or_default() += 1;
        let line = format!("t={:.1}s {kind}: {message}", self.t());
        eprintln!("soak error: {line}");
        stats.error_log.push(line);
    }

    /// One rate-limited request; an unexpected status or a failed request is an error.
    pub(crate) async fn request(
        &self,
        kind: &'static str,
        method: &str,
        path: &str,
        body: Option<&str>,
        expect: &[u16],
    ) -> Option<Reply> {
        self.limiter.lock().await.tick().await;
        let sent = Instant::now();
        let result = http(&self.client, method, &format!("{}{path}", self.base), body).await;
        let latency = sent.elapsed().as_secs_f64();
        {
            let mut stats = self.stats.borrow_mut();
            *stats.ops.entry(kind).or_default() += 1;
            stats.window_requests += 1;
            stats.window_latency += latency;
        }
        match result {
            Ok(reply) if expect.contains(&reply.status) => Some(reply),
            Ok(reply) => {
                let body = reply.body.to_string();
                self.error(
                    kind,
                    format!(
                        "{method} {path} → {} {}",
                        reply.status,
                        &body[..body.len().min(300)]
                    ),
                );
                None
            }
            Err(e) => {
                self.error(kind, format!("{method} {path}: {e}"));
                None
            }
        }
    }

    /// Polls until the server shows `want` with no task state. False on error or timeout.
    pub(crate) async fn wait_status(&self, id: &str, want: &str, timeout: Duration) -> bool {
        let started = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let Some(reply) = self
                .request("show", "GET", &format!("/v2.1/servers/{id}"), None, &[200])
                .await
            else {
                return false;
            };
            let server = &reply.body["server"];
            let status = server["status"].as_str().unwrap_or("?");
            if status == want && server["OS-EXT-STS:task_state"].is_null() {
                return true;
            }
            if status == "ERROR" {
                self.error(
                    "server-error",
                    format!("{id} went to ERROR waiting for {want}: {}", server["fault"]),
                );
                return false;
            }
            if started.elapsed() > timeout {
                self.error(
                    "stuck",
                    format!(
                        "{id} still {status}/{} after {timeout:?} waiting for {want}",
                        server["OS-EXT-STS:task_state"]
                    ),
                );
                return false;
            }
        }
    }

    pub(crate) async fn delete(&self, id: &str) {
        if self
            .request(
                "delete",
                "DELETE",
                &format!("/v2.1/servers/{id}"),
                None,
                &[204],
            )
            .await
            .is_none()
        {
            return;
        }
        let started = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            match self
                .request(
                    "show",
                    "GET",
                    &format!("/v2.1/servers/{id}"),
                    None,
                    &[200, 404],
                )
                .await
            {
                Some(reply) if reply.status == 404 => {
                    self.in_flight.set(self.in_flight.get() - 1);
                    return;
                }
                Some(_) if started.elapsed() < Duration::from_secs(120) => {}
                Some(reply) => {
                    self.error(
                        "stuck",
                        format!(
                            "{id} not gone 120 s after DELETE: {}/{}",
                            reply.body["server"]["status"],
                            reply.body["server"]["OS-EXT-STS:task_state"]
                        ),
                    );
                    return;
                }
                None => return,
            }
        }
    }

    /// A server action, then wait for `then` with no task state.
    pub(crate) async fn act(&self, id: &str, kind: &'static str, body: &str, then: &str) -> bool {
        let path = format!("/v2.1/servers/{id}/action");
        self.request(kind, "POST", &path, Some(body), &[202])
            .await
            .is_some()
            && self.wait_status(id, then, Duration::from_secs(60)).await
    }

    /// Create → ACTIVE → an action or two → delete → gone.
    pub(crate) async fn lifecycle(&self, worker: usize, n: u64) {
        let body = format!(
            r#"{{"server": {{"name": "soak-{worker}-{n}", "imageRef": "{CIRROS}", "flavorRef": "1", "networks": "none"}}}}"#
        );
        let posted = Instant::now();
        let Some(reply) = self
            .request("create", "POST", "/v2.1/servers", Some(&body), &[202])
            .await
        else {
            return;
        };
        let Some(id) = reply.body["server"]["id"].as_str().map(str::to_owned) else {
            self.error("create", format!("no server id in {}", reply.body));
            return;
        };
        self.in_flight.set(self.in_flight.get() + 1);
        if self
            .wait_status(&id, "ACTIVE", Duration::from_secs(120))
            .await
        {
            self.stats
                .borrow_mut()
                .boots
                .push((self.t(), posted.elapsed().as_secs_f64()));
            let (hold, action) = {
                let mut rng = rand::rng();
                (
                    Duration::from_millis(rng.random_range(0..4000)),
                    rng.random_range(0..100u32),
                )
            };
            tokio::time::sleep(hold).await;
            if Instant::now() < self.deadline {
                let _ = match action {
                    0..=24 => {
                        self.act(&id, "reboot", r#"{"reboot": {"type": "SOFT"}}"#, "ACTIVE")
                            .await
                    }
                    25..=39 => {
                        self.act(&id, "reboot", r#"{"reboot": {"type": "HARD"}}"#, "ACTIVE")
                            .await
                    }
                    40..=64 => {
                        self.act(&id, "stop", r#"{"os-stop": null}"#, "SHUTOFF")
                            .await
                            && self
                                .act(&id, "start", r#"{"os-start": null}"#, "ACTIVE")
                                .await
                    }
                    _ => true,
                };
            }
        }
        self.delete(&id).await;
        self.stats.borrow_mut().lifecycles += 1;
    }

    pub(crate) async fn worker(self: Rc<Self>, worker: usize) {
        // Spread the workers' first requests over a few seconds.
        tokio::time::sleep(Duration::from_millis(300 * worker as u64)).await;
        let mut n = 0;
        while Instant::now() < self.deadline {
            n += 1;
            self.lifecycle(worker, n).await;
        }
    }

    pub(crate) async fn lister(self: Rc<Self>) {
        let mut round = 0u64;
        while Instant::now() < self.deadline {
            tokio::time::sleep(Duration::from_secs(2)).await;
            round += 1;
            match round % 4 {
                0 => {
                    self.request("list", "GET", "/v2.1/servers/detail", None, &[200])
                        .await;
                }
                1 => {
                    if let Some(reply) = self
                        .request("services", "GET", "/v2.1/os-services", None, &[200])
                        .await
                    {
                        let services = reply.body["services"].as_array().cloned();
                        let down: Vec<String> = services
                            .unwrap_or_default()
                            .iter()
                            .filter(|s| s["state"] != "up")
                            .map(|s| format!("{}@{}", s["binary"], s["host"]))
                            .collect();
                        if !down.is_empty() {
                            self.error("service-down", format!("{down:?}"));
                        }
                    }
                }
                2 => {
                    self.request("list", "GET", "/v2.1/servers", None, &[200])
                        .await;
                }
                _ => {
                    self.request(
                        "hypervisors",
                        "GET",
                        "/v2.1/os-hypervisors/detail",
                        None,
                        &[200],
                    )
                    .await;
                }
            }
        }
    }
}
