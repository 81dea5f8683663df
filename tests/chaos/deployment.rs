//! A real deployment on loopback for the chaos scenarios: RabbitMQ, a PostgreSQL database
//! of its own, and three `novactor` processes — control (api + conductor + scheduler),
//! compute `node1`, compute `node2` — each with its dashboard; plus the REST API client
//! and the fault switches (broker, database, signals).

#![allow(unreachable_pub)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use novactor_nova::db::NovaDb;
use serde_json::{json, Value};

use crate::common::amqp_vhost::Vhost;
use crate::common::process::{command, free_port, Running};
use crate::common::{http, unique, Backend};
use crate::nova::{fresh_nova_db, FreshNovaDb, BIN};

/// The dashboards' admin token.
pub const TOKEN: &str = "chaos-admin-token";

/// The stand-in Glance's one image.
pub const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

/// The control process's name in [`Deployment::processes`].
pub const CONTROL: &str = "control";

/// One process of the deployment and how to start it again.
pub struct Process {
    pub running: Running,
    pub actors: &'static str,
    pub host: String,
    pub dashboard: u16,
    /// Extra `OS_<GROUP>__<OPTION>` settings of this process only.
    pub env: Vec<(String, String)>,
}

pub struct Deployment {
    pub dir: tempfile::TempDir,
    pub conf: PathBuf,
    pub exchange: String,
    pub db: NovaDb,
    pub api: String,
    pub processes: BTreeMap<&'static str, Process>,
    _fresh: FreshNovaDb,
    /// The deployment's own RabbitMQ vhost: oslo's queue names (`conductor`, `compute.<host>`)
    /// do not depend on the exchange, so two runs on one broker would otherwise share queues.
    pub vhost: Vhost,
}

/// What an instance became.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub uuid: String,
    pub vm_state: String,
    pub task_state: Option<String>,
    pub host: Option<String>,
    pub deleted: bool,
}

impl Outcome {
    /// ACTIVE, ERROR or deleted, with no task under way: nothing left to happen.
    pub fn settled(&self) -> bool {
        self.deleted
            || (matches!(self.vm_state.as_str(), "active" | "error") && self.task_state.is_none())
    }
}

impl Deployment {
    /// Start the deployment; `extra` is appended to nova.conf; `per_process` adds
    /// environment settings to the named processes (`control`, `node1`, `node2`).
    pub async fn start(name: &str, extra: &str, per_process: &[(&str, &str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let fresh = fresh_nova_db(Backend::Postgres, &format!("novactor_chaos_{name}")).await;
        let exchange = unique(&format!("chaos-{name}"));
        let vhost = Vhost::new();
        let api_port = free_port();
        let conf = dir.path().join("nova.conf");
        std::fs::write(
            &conf,
            format!(
                "[DEFAULT]\ntransport_url = {rabbit}\ncontrol_exchange = {exchange}\n\
                 report_interval = 1\nservice_down_time = 5\nupdate_resources_interval = 2\n\
                 periodic_fuzzy_delay = 0\nrpc_response_timeout = 10\n\
                 osapi_compute_listen = 127.0.0.1\nosapi_compute_listen_port = {api_port}\n\
                 osapi_compute_workers = 1\ngraceful_shutdown_timeout = 20\n\
                 [database]\nconnection = {db}\nmax_retries = 0\n\
                 [dashboard]\nadmin_token = {TOKEN}\nrefresh_interval = 0.5\n\
                 {extra}\n",
                rabbit = vhost.url(),
                db = fresh.url,
            ),
        )
        .expect("write nova.conf");
        let mut deployment = Self {
            db: fresh.db.clone(),
            api: format!("http://127.0.0.1:{api_port}"),
            dir,
            conf,
            exchange,
            processes: BTreeMap::new(),
            _fresh: fresh,
            vhost,
        };
        let control_host = unique("ctl");
        for (name, actors, host) in [
            (CONTROL, "api,conductor,scheduler", control_host.as_str()),
            ("node1", "compute", "node1"),
            ("node2", "compute", "node2"),
        ] {
            let env = per_process
                .iter()
                .filter(|(process, _, _)| *process == name)
                .map(|(_, key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect();
            let process = deployment.spawn(actors, host, free_port(), env);
            deployment.processes.insert(name, process);
        }
        for name in [CONTROL, "node1", "node2"] {
            deployment.wait_ready(name, Duration::from_secs(60)).await;
        }
        deployment
    }

    fn spawn(
        &self,
        actors: &'static str,
        host: &str,
        dashboard: u16,
        env: Vec<(String, String)>,
    ) -> Process {
        let mut command = command(BIN.as_ref(), self.dir.path());
        command
            .args(["--config-file", self.conf.to_str().expect("UTF-8 path")])
            .args(["run", "--actors", actors, "--host", host])
            .env("OS_DASHBOARD__PORT", dashboard.to_string());
        for (key, value) in &env {
            command.env(key, value);
        }
        Process {
            running: Running::spawn(command),
            actors,
            host: host.to_owned(),
            dashboard,
            env,
        }
    }

    pub fn process(&self, name: &str) -> &Process {
        self.processes
            .get(name)
            .unwrap_or_else(|| panic!("no process {name}"))
    }

    /// Start the process `name` again after it exited (same host, port and settings).
    pub async fn restart(&mut self, name: &'static str) {
        let old = self.processes.remove(name).expect("known process");
        let mut old_running = old.running;
        assert!(
            old_running.child.try_wait().expect("wait").is_some(),
            "{name} is still running"
        );
        let process = self.spawn(old.actors, &old.host, old.dashboard, old.env);
        self.processes.insert(name, process);
        self.wait_ready(name, Duration::from_secs(60)).await;
    }

    /// Every process is still running (no fault made one exit).
    pub fn assert_all_running(&mut self) {
        for (name, process) in &mut self.processes {
            if let Some(status) = process.running.child.try_wait().expect("wait") {
                panic!(
                    "{name} exited ({status}); log:\n{}",
                    process.running.lines().join("\n")
                );
            }
        }
    }

    /// GET an URL; `(status, body as JSON or string)`. Never hangs past 15 s.
    pub async fn http(&self, method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = http::request(method, url)
            .timeout(Duration::from_secs(15))
            .header("X-Auth-Token", "notused")
            .header("OpenStack-API-Version", "compute 2.53")
            .header("Authorization", format!("Bearer {TOKEN}"));
        if let Some(body) = body {
            request = request.json_body(body.to_string());
        }
        match request.send().await {
            Ok(reply) => (reply.status, reply.json_or_text()),
            Err(error) => (0, json!(format!("request failed: {error}"))),
        }
    }

    /// The compute API: `(status, body)`.
    pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.http(method, &format!("{}{path}", self.api), body)
            .await
    }

    /// A process's dashboard: `(status, body)`.
    pub async fn dashboard(&self, name: &str, path: &str) -> (u16, Value) {
        let port = self.process(name).dashboard;
        self.http("GET", &format!("http://127.0.0.1:{port}{path}"), None)
            .await
    }

    pub async fn wait_ready(&self, name: &str, within: Duration) {
        let started = Instant::now();
        loop {
            let (status, body) = self.dashboard(name, "/readyz").await;
            if status == 200 && body["status"] == "pass" {
                return;
            }
            if started.elapsed() > within {
                panic!(
                    "{name} not ready within {within:?}: {status} {body}; log:\n{}",
                    self.process(name).running.lines().join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Boot one server; its uuid, or the API's answer when it refused.
    pub async fn boot(&self, name: &str) -> Result<String, (u16, Value)> {
        let body = json!({"server": {"name": name, "flavorRef": "1", "imageRef": CIRROS,
            "networks": "none"}});
        let (status, reply) = self.api("POST", "/v2.1/servers", Some(body)).await;
        match reply["server"]["id"].as_str() {
            Some(id) if status == 202 => Ok(id.to_owned()),
            _ => Err((status, reply)),
        }
    }

    /// Boot `count` servers named `<prefix>-<n>`, each of which the API must accept.
    pub async fn boot_accepted(&self, prefix: &str, count: usize) -> Vec<String> {
        let mut uuids = Vec::with_capacity(count);
        for n in 0..count {
            let name = format!("{prefix}-{n}");
            match self.boot(&name).await {
                Ok(uuid) => uuids.push(uuid),
                Err((status, body)) => panic!("boot {name} refused: {status} {body}"),
            }
        }
        uuids
    }

    /// What each instance is now, from the database.
    pub async fn outcomes(&self, uuids: &[String]) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(uuids.len());
        for uuid in uuids {
            let row = self
                .db
                .instance_get_by_uuid_read_deleted(uuid)
                .await
                .unwrap_or_else(|e| panic!("instance {uuid}: {e}"));
            outcomes.push(Outcome {
                uuid: uuid.clone(),
                vm_state: row.vm_state.clone().unwrap_or_default(),
                task_state: row.task_state.clone(),
                host: row.host.clone(),
                deleted: row.deleted != 0,
            });
        }
        outcomes
    }

    /// Wait until every instance is settled; returns the outcomes.
    pub async fn wait_settled(&self, uuids: &[String], within: Duration) -> Vec<Outcome> {
        let started = Instant::now();
        loop {
            let outcomes = self.outcomes(uuids).await;
            if outcomes.iter().all(Outcome::settled) {
                return outcomes;
            }
            if started.elapsed() > within {
                let stuck: Vec<_> = outcomes.iter().filter(|o| !o.settled()).collect();
                panic!(
                    "{} of {} instances not ACTIVE, ERROR or deleted after {within:?}: {stuck:#?}\n\
                     control log:\n{}",
                    stuck.len(),
                    outcomes.len(),
                    self.process(CONTROL).running.lines().join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Is the service of `host`'s compute up, by Nova's rule?
    pub async fn compute_is_up(&self, host: &str) -> Option<bool> {
        let service = self
            .db
            .service_get_by_host_and_binary(host, "nova-compute")
            .await
            .ok()??;
        Some(novactor_nova::db::service_is_up(
            &service,
            Duration::from_secs(5),
            chrono::Utc::now(),
        ))
    }

    pub async fn wait_compute(&self, host: &str, up: bool, within: Duration) {
        let started = Instant::now();
        while self.compute_is_up(host).await != Some(up) {
            assert!(
                started.elapsed() < within,
                "compute {host} not {} within {within:?}",
                if up { "up" } else { "down" }
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Deployment {
    /// POST a dashboard operation of process `name` (with the admin token).
    pub async fn operate(&self, name: &str, path: &str, body: Option<Value>) -> Value {
        let port = self.process(name).dashboard;
        let (status, reply) = self
            .http("POST", &format!("http://127.0.0.1:{port}{path}"), body)
            .await;
        assert!(
            status == 200 || status == 202,
            "{name} {path}: {status} {reply}"
        );
        reply
    }

    /// One actor instance of process `name`, from its dashboard.
    pub async fn actor(&self, name: &str, actor: &str) -> Value {
        let (status, body) = self
            .dashboard(name, &format!("/api/v1/actors/{actor}"))
            .await;
        assert_eq!(status, 200, "{name} {actor}: {body}");
        body["actor"].clone()
    }

    /// Wait until `check` holds for the actor; returns it.
    pub async fn wait_actor(
        &self,
        name: &str,
        actor: &str,
        what: &str,
        within: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let started = Instant::now();
        loop {
            let snapshot = self.actor(name, actor).await;
            if check(&snapshot) {
                return snapshot;
            }
            assert!(
                started.elapsed() < within,
                "{name} {actor}: not {what} within {within:?}: {snapshot}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
