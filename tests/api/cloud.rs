//! The api tests' fixture (also the api_boot bench's): a whole cloud (conductor, scheduler,
//! compute, api) in one process over the memory transport and SQLite, with the compute API
//! on 127.0.0.1:0, and requests to it as the OpenStack client sends them.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use novactor::rpc::transport::memory::MemoryTransport;
use novactor::supervisor::RuntimeEnv;
use novactor::Node;
use novactor_nova::db::{DbServiceGroup, NovaDb, SERVICE_VERSION};
use novactor_nova::{definitions, NovaService};
use serde_json::Value;

use crate::common::{http, init_test_logging, wait_until};

/// A running cloud and where its API listens.
pub struct Cloud {
    pub node: Node,
    pub db: NovaDb,
    pub host: String,
    /// The compute hosts: `host`, or `<host>-1` … `<host>-N` with `[compute] fake_hosts`.
    pub computes: Vec<String>,
    pub base: String,
    _dir: tempfile::TempDir,
}

/// One response, read fully, its body as JSON (or as a JSON string when it is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

impl From<http::Reply> for Reply {
    fn from(reply: http::Reply) -> Self {
        Self {
            status: reply.status,
            body: reply.json_or_text(),
            headers: reply.headers,
        }
    }
}

pub async fn cloud() -> Cloud {
    cloud_with(&[]).await
}

pub async fn cloud_with(extra: &[(&str, &str, &str)]) -> Cloud {
    init_test_logging();
    let host = format!("api{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let dir = tempfile::tempdir().unwrap();
    let state_path = dir.path().to_str().unwrap().to_owned();
    let mut options = vec![
        ("DEFAULT", "host", host.as_str()),
        ("DEFAULT", "state_path", state_path.as_str()),
        ("DEFAULT", "control_exchange", host.as_str()),
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("DEFAULT", "report_interval", "1"),
        ("DEFAULT", "service_down_time", "5"),
        ("DEFAULT", "osapi_compute_listen", "127.0.0.1"),
        ("DEFAULT", "osapi_compute_listen_port", "0"),
        ("DEFAULT", "osapi_compute_workers", "1"),
    ];
    options.extend_from_slice(extra);
    let config = crate::nova::nova_config(&options).expect("config");
    let db = novactor_nova::db::open(&config).await.expect("SQLite");
    let servicegroup = Arc::new(DbServiceGroup::new(db.clone(), SERVICE_VERSION));
    let env = RuntimeEnv::new(
        Arc::clone(config.runtime()),
        Arc::new(MemoryTransport::new()),
        servicegroup,
    );
    let services = definitions(&config, &NovaService::ALL, Some(&db)).unwrap();
    let node = Node::start_with(env, services).await.expect("node starts");
    let addr = wait_until(Duration::from_secs(20), "the api to bind", async || {
        novactor_nova::api::bound_addr(&host)
    })
    .await;
    let fake_hosts = extra
        .iter()
        .find(|(group, option, _)| *group == "compute" && *option == "fake_hosts")
        .and_then(|(_, _, n)| n.parse::<usize>().ok())
        .unwrap_or(1);
    let computes = if fake_hosts > 1 {
        (1..=fake_hosts).map(|n| format!("{host}-{n}")).collect()
    } else {
        vec![host.clone()]
    };
    let cloud = Cloud {
        node,
        db,
        base: format!("http://{addr}"),
        host,
        computes,
        _dir: dir,
    };
    cloud.wait_for_compute().await;
    cloud
}

impl Cloud {
    async fn wait_for_compute(&self) {
        for host in &self.computes {
            wait_until(Duration::from_secs(30), "compute registered", async || {
                let node = self
                    .db
                    .compute_node_get_by_host_and_nodename(host, host)
                    .await;
                let service = self
                    .db
                    .service_get_by_host_and_binary(host, "nova-compute")
                    .await;
                node.is_ok() && matches!(service, Ok(Some(ref s)) if s.report_count > 0)
            })
            .await;
        }
    }

    /// A request with `headers`, optional raw body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut request = http::request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        if let Some(body) = body {
            request = request.json_body(body);
        }
        request.send().await.expect("request sent").into()
    }

    /// As the OSC sends: admin via `notused`, at 2.53.
    pub async fn admin(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        self.send(
            method,
            path,
            &[
                ("X-Auth-Token", "notused"),
                ("OpenStack-API-Version", "compute 2.53"),
            ],
            body,
        )
        .await
    }

    /// Polls `GET /servers/{id}` until `status`; returns the last body.
    pub async fn wait_status(&self, id: &str, status: &str) -> Value {
        wait_until(
            Duration::from_secs(30),
            &format!("{id} to reach {status}"),
            async || {
                let reply = self
                    .admin("GET", &format!("/v2.1/servers/{id}"), None)
                    .await;
                assert_eq!(reply.status, 200, "{reply:?}");
                if reply.body["server"]["status"] == status
                    && reply.body["server"]["OS-EXT-STS:task_state"].is_null()
                {
                    Ok(reply.body)
                } else {
                    Err(format!("{:?}", reply.body["server"]["status"]))
                }
            },
        )
        .await
    }
}
