//! The running cloud as the fuzz thread sees it (the api tests' `Cloud`, on a thread and
//! actix system of its own), and one request to it checked against Nova's error contract.

use std::time::Duration;

use serde_json::Value;

use crate::common::http;
use crate::support::show;

/// The running cloud, as the fuzz thread sees it.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub(super) base: String,
    /// The compute host the target server is created on.
    pub(super) host: String,
    /// The cloud's other compute host (a move's destination).
    pub(super) other_host: String,
    pub(super) server_id: String,
    pub(super) service_id: String,
}

/// Starts a cloud of two fake computes on its own thread (its own actix system: the fuzz
/// cases block their own), creates a server on the first (2.74 `host`) to aim actions at —
/// so a move naming the other host is a valid request — waits for it to be ACTIVE, and returns where things are. The
/// cloud serves until the test process exits.
pub(super) fn start_cloud(system: &actix_rt::SystemRunner) -> Target {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_rt::System::new().block_on(async move {
            let cloud = crate::cloud::cloud_with(&[("compute", "fake_hosts", "2")]).await;
            ready_tx
                .send((cloud.base.clone(), cloud.computes.clone()))
                .expect("the test waits");
            std::future::pending::<()>().await;
        });
    });
    let (base, computes) = ready_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the cloud started");
    let [host, other_host] = <[String; 2]>::try_from(computes).expect("two compute hosts");
    let headers = [
        ("X-Auth-Token", "notused"),
        ("OpenStack-API-Version", "compute 2.53"),
    ];
    let pinned = [
        ("X-Auth-Token", "notused"),
        ("OpenStack-API-Version", "compute 2.74"),
    ];
    let body = format!(
        r#"{{"server": {{"name": "target", "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b", "flavorRef": "1", "networks": "none", "host": "{host}"}}}}"#
    );
    let created = system
        .block_on(request(
            &base,
            "POST",
            "/v2.1/servers",
            &pinned,
            Some(body.into_bytes()),
        ))
        .expect("create");
    assert_eq!(created.0, 202, "{created:?}");
    let server_id = json(&created.2)["server"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    // The seeds act on a running server: before it is ACTIVE its guest does not exist yet
    // and a read of it (console output) is Nova's 404, not what a seed tests.
    let path = format!("/v2.1/servers/{server_id}");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let shown = system
            .block_on(request(&base, "GET", &path, &headers, None))
            .expect("show the server");
        match json(&shown.2)["server"]["status"].as_str() {
            Some("ACTIVE") => break,
            status if std::time::Instant::now() > deadline => {
                panic!("the target server is not ACTIVE after 60 s: {status:?}")
            }
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let services = system
        .block_on(request(&base, "GET", "/v2.1/os-services", &headers, None))
        .expect("services");
    let service_id = json(&services.2)["services"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|s| s["binary"] == "nova-compute" && s["host"] == host.as_str())
        })
        .and_then(|s| s["id"].as_str())
        .expect("the compute service")
        .to_owned();
    Target {
        base,
        host,
        other_host,
        server_id,
        service_id,
    }
}

pub(super) fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// One request: (status, request-id header, body). `Err` when no answer came in time.
pub(super) async fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Result<(u16, Option<String>, Vec<u8>), String> {
    let mut request = http::request(method, format!("{base}{path}"))
        .timeout(Duration::from_secs(20))
        .no_redirects();
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let reply = request.send().await.map_err(|e| e.to_string())?;
    let id = reply.header("x-openstack-request-id").map(str::to_owned);
    Ok((reply.status, id, reply.body))
}

/// The API's answer is acceptable: a 2xx, or a 4xx with Nova's fault body; a request id
/// either way.
pub(super) fn check(answer: Result<(u16, Option<String>, Vec<u8>), String>) -> Result<u16, String> {
    let (status, id, body) = answer?;
    if id.is_none() {
        return Err(format!("{status} without x-openstack-request-id"));
    }
    match status {
        200..=299 => Ok(status),
        400..=499 => {
            let name = match status {
                400 => "badRequest",
                401 => "unauthorized",
                403 => "forbidden",
                404 => "itemNotFound",
                405 => "badMethod",
                409 => "conflictingRequest",
                413 | 429 => "overLimit",
                415 => "badMediaType",
                _ => "computeFault",
            };
            let body = json(&body);
            let fault = &body[name];
            if fault["code"] == status && fault["message"].is_string() {
                Ok(status)
            } else {
                Err(format!("{status} without Nova's {name} body: {body}"))
            }
        }
        _ => Err(format!("status {status}: {}", show(&body))),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn send(
    system: &actix_rt::SystemRunner,
    target: &Target,
    method: &str,
    path: &str,
    version: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Option<Vec<u8>>,
) -> Result<u16, String> {
    let mut headers = vec![("OpenStack-API-Version", version)];
    if let Some(token) = token {
        headers.push(("X-Auth-Token", token));
    }
    if let Some(content_type) = content_type {
        headers.push(("Content-Type", content_type));
    }
    check(system.block_on(request(&target.base, method, path, &headers, body)))
}
