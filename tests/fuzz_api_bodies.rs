//! Bad input, target 3: what the compute REST API reads from a request: the JSON body of
//! every write it accepts (`POST /servers`, `POST /servers/{id}/action` with `os-stop`,
//! `os-start`, `reboot`, `PUT /os-services/{id}` at 2.53 and the legacy
//! `PUT /os-services/{action}` below it; `POST /flavors`, which novactor does not serve),
//! and the path ids and query strings of its reads. Any request gets a 2xx or a 4xx with
//! Nova's error body (`{"<fault name>": {"code": N, "message": "…"}}`) and request id,
//! never a 5xx, a panic or a hang.
//!
//! Corpus `tests/corpus/api_bodies/`: one file per body as Nova's API reference and
//! python-openstackclient send them, named `<endpoint>__<what>.json`; `HOST` stands for the
//! cloud's compute host. The cloud is the one of the `api_*` tests (all four services in
//! one process over the memory transport and SQLite). The older
//! `tests/api_random_bodies_never_get_a_500.rs` sends generated bodies to the same
//! endpoints; this target starts from real bodies and covers every endpoint.

#[path = "api_support/mod.rs"]
mod api_support;
#[path = "fuzz_support/mod.rs"]
mod fuzz_support;

use std::time::Duration;

use fuzz_support::*;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

const TARGET: &str = "api_bodies";

/// Keys of the bodies the API reads, and some it does not.
const KEYS: &[&str] = &[
    "server",
    "name",
    "imageRef",
    "flavorRef",
    "networks",
    "uuid",
    "port",
    "fixed_ip",
    "min_count",
    "max_count",
    "block_device_mapping_v2",
    "boot_index",
    "source_type",
    "destination_type",
    "availability_zone",
    "metadata",
    "description",
    "user_data",
    "key_name",
    "security_groups",
    "os:scheduler_hints",
    "reboot",
    "type",
    "os-stop",
    "os-start",
    "status",
    "disabled_reason",
    "forced_down",
    "host",
    "binary",
    "flavor",
];

const STRINGS: &[&str] = &[
    "70a599e0-31e7-49b7-b260-868f441e862b",
    "1",
    "2",
    "42",
    "none",
    "auto",
    "SOFT",
    "HARD",
    "soft",
    "enabled",
    "disabled",
    "nova-compute",
    "nova-conductor",
    "image",
    "volume",
    "http://127.0.0.1:8774/v2.1/flavors/1",
    "/",
];

/// The endpoints a body may go to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Endpoint {
    ServersCreate,
    ServerAction,
    ServicesUpdate,
    ServicesLegacy,
    FlavorsCreate,
}

const ENDPOINTS: &[Endpoint] = &[
    Endpoint::ServersCreate,
    Endpoint::ServerAction,
    Endpoint::ServicesUpdate,
    Endpoint::ServicesLegacy,
    Endpoint::FlavorsCreate,
];

fn endpoint_of(seed: &Seed) -> Endpoint {
    match seed.name.split("__").next() {
        Some("servers_create") => Endpoint::ServersCreate,
        Some("server_action") => Endpoint::ServerAction,
        Some("os_services_update") => Endpoint::ServicesUpdate,
        Some("os_services_legacy") => Endpoint::ServicesLegacy,
        Some("flavors_create") => Endpoint::FlavorsCreate,
        _ => panic!(
            "{}: corpus files are named <endpoint>__<what>.json",
            seed.name
        ),
    }
}

/// The running cloud, as the fuzz thread sees it.
#[derive(Debug, Clone)]
struct Target {
    base: String,
    host: String,
    server_id: String,
    service_id: String,
}

/// Starts the cloud on its own thread (its own actix system: the fuzz cases block their
/// own), creates a server to aim actions at, and returns where things are. The cloud
/// serves until the test process exits.
fn start_cloud(system: &actix_rt::SystemRunner) -> Target {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_rt::System::new().block_on(async move {
            let cloud = api_support::cloud().await;
            ready_tx
                .send((cloud.base.clone(), cloud.host.clone()))
                .expect("the test waits");
            std::future::pending::<()>().await;
        });
    });
    let (base, host) = ready_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the cloud started");
    let headers = [
        ("X-Auth-Token", "notused"),
        ("OpenStack-API-Version", "compute 2.53"),
    ];
    let created = system.block_on(request(
        &base,
        "POST",
        "/v2.1/servers",
        &headers,
        Some(br#"{"server": {"name": "target", "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b", "flavorRef": "1", "networks": "none"}}"#.to_vec()),
    )).expect("create");
    assert_eq!(created.0, 202, "{created:?}");
    let server_id = json(&created.2)["server"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let services = system
        .block_on(request(&base, "GET", "/v2.1/os-services", &headers, None))
        .expect("services");
    let service_id = json(&services.2)["services"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["binary"] == "nova-compute"))
        .and_then(|s| s["id"].as_str())
        .expect("the compute service")
        .to_owned();
    Target {
        base,
        host,
        server_id,
        service_id,
    }
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// One request: (status, request-id header, body). `Err` when no answer came in time.
async fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Result<(u16, Option<String>, Vec<u8>), String> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(20))
        .disable_redirects()
        .finish();
    let method = awc::http::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut request = client.request(method, format!("{base}{path}"));
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    let sent = match body {
        Some(body) => request.send_body(body).await,
        None => request.send().await,
    };
    let mut response = sent.map_err(|e| format!("no response: {e}"))?;
    let bytes = response
        .body()
        .limit(1 << 24)
        .await
        .map_err(|e| format!("body not read: {e}"))?;
    let id = response
        .headers()
        .get("x-openstack-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((response.status().as_u16(), id, bytes.to_vec()))
}

/// The API's answer is acceptable: a 2xx, or a 4xx with Nova's fault body; a request id
/// either way.
fn check(answer: Result<(u16, Option<String>, Vec<u8>), String>) -> Result<u16, String> {
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

const VERSIONS: &[&str] = &[
    "compute 2.1",
    "compute 2.11",
    "compute 2.19",
    "compute 2.37",
    "compute 2.52",
    "compute 2.53",
    "compute latest",
    "compute 2.99",
    "compute 3.0",
    "compute x",
    "compute",
    "nova 2.1",
    "",
];

const TOKENS: &[Option<&str>] = &[
    Some("notused"),
    Some("notused"),
    Some("admin:admin"),
    Some("alice:p1"),
    Some("alice"),
    Some(":"),
    Some(""),
    None,
];

const CONTENT_TYPES: &[Option<&str>] = &[
    Some("application/json"),
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("text/plain"),
    Some("application/x-www-form-urlencoded"),
    None,
];

/// Ids in a path: the real ones, and everything else.
const IDS: &[&str] = &[
    "REAL",
    "REAL",
    "REAL",
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    "1",
    "%FF%FE",
    "%00",
    "%2F..%2F",
    "..",
    "a%20b",
    "%E2%98%83",
    "",
];

/// One generated request with a body.
#[derive(Debug, Clone)]
struct BodyRequest {
    body: Mutation,
    /// `None`: the seed's own endpoint.
    endpoint: Option<Index>,
    id: Index,
    legacy_action: Index,
    version: Index,
    token: Index,
    content_type: Index,
}

fn body_request() -> impl Strategy<Value = BodyRequest> {
    (
        mutation(KEYS, STRINGS),
        prop::option::weighted(0.15, any::<Index>()),
        any::<Index>(),
        any::<Index>(),
        any::<Index>(),
        any::<Index>(),
        any::<Index>(),
    )
        .prop_map(
            |(body, endpoint, id, legacy_action, version, token, content_type)| BodyRequest {
                body,
                endpoint,
                id,
                legacy_action,
                version,
                token,
                content_type,
            },
        )
}

impl BodyRequest {
    fn path(&self, endpoint: Endpoint, target: &Target) -> (&'static str, String) {
        let id = |real: &str| match *self.id.get(IDS) {
            "REAL" => real.to_owned(),
            other => other.to_owned(),
        };
        match endpoint {
            Endpoint::ServersCreate => ("POST", "/v2.1/servers".to_owned()),
            Endpoint::ServerAction => (
                "POST",
                format!("/v2.1/servers/{}/action", id(&target.server_id)),
            ),
            Endpoint::ServicesUpdate => (
                "PUT",
                format!("/v2.1/os-services/{}", id(&target.service_id)),
            ),
            Endpoint::ServicesLegacy => {
                let action = *self.legacy_action.get(&[
                    "enable",
                    "disable",
                    "disable-log-reason",
                    "force-down",
                    "nonsense",
                ]);
                ("PUT", format!("/v2.1/os-services/{action}"))
            }
            Endpoint::FlavorsCreate => ("POST", "/v2.1/flavors".to_owned()),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn send(
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

/// The seeds with the cloud's compute host put in.
fn seeds_for(target: &Target) -> Vec<Seed> {
    corpus(TARGET)
        .into_iter()
        .map(|seed| Seed {
            bytes: String::from_utf8_lossy(&seed.bytes)
                .replace("HOST", &target.host)
                .into_bytes(),
            name: seed.name,
        })
        .collect()
}

#[test]
fn any_body_gets_a_2xx_or_a_4xx_with_novas_error_body() {
    let system = actix_rt::System::new();
    let target = start_cloud(&system);
    let seeds = seeds_for(&target);
    let tokens = BYTE_TOKENS.to_vec();
    // Each body verbatim to its endpoint, at the newest version and as the oldest
    // (legacy os-services) speaks: served ones succeed, the rest are refused.
    replay(TARGET, &seeds, |seed| {
        let endpoint = endpoint_of(seed);
        let (method, path) = match endpoint {
            Endpoint::ServicesLegacy => ("PUT", "/v2.1/os-services/disable".to_owned()),
            Endpoint::ServerAction => {
                ("POST", format!("/v2.1/servers/{}/action", target.server_id))
            }
            Endpoint::ServicesUpdate => ("PUT", format!("/v2.1/os-services/{}", target.service_id)),
            Endpoint::ServersCreate => ("POST", "/v2.1/servers".to_owned()),
            Endpoint::FlavorsCreate => ("POST", "/v2.1/flavors".to_owned()),
        };
        // A name ending in a version (`…_2_19.json`) says which one the body is for.
        let version = match seed.name.trim_end_matches(".json").rsplit_once("_2_") {
            Some((_, minor)) if minor.chars().all(|c| c.is_ascii_digit()) => {
                format!("compute 2.{minor}")
            }
            _ if endpoint == Endpoint::ServicesLegacy => "compute 2.1".to_owned(),
            _ => "compute 2.53".to_owned(),
        };
        let status = send(
            &system,
            &target,
            method,
            &path,
            &version,
            Some("notused"),
            Some("application/json"),
            Some(seed.bytes.clone()),
        )?;
        let served = !seed.name.contains("not_served");
        match (served, status) {
            // An action may conflict with the state the previous one left.
            (true, 200..=299 | 409) | (false, 400..=499) => Ok(()),
            _ => Err(format!("{method} {path} ({version}): {status}")),
        }
    });
    fuzz(
        "api: mutated bodies",
        "fuzz_api_bodies",
        3000,
        Duration::from_secs(15),
        Duration::from_secs(30),
        body_request(),
        |case, watch| {
            let seed = case.body.seed(&seeds);
            let endpoint = match &case.endpoint {
                Some(index) => *index.get(ENDPOINTS),
                None => endpoint_of(seed),
            };
            let body = case.body.apply(&seeds, &tokens);
            let (method, path) = case.path(endpoint, &target);
            watch.input(&body);
            let version = *case.version.get(VERSIONS);
            send(
                &system,
                &target,
                method,
                &path,
                version,
                *case.token.get(TOKENS),
                *case.content_type.get(CONTENT_TYPES),
                Some(body.clone()),
            )
            .map(drop)
            .map_err(|e| format!("{method} {path} ({version}): {e}\nbody: {}", show(&body)))
        },
    );
}

/// Query parameters the list endpoints read, and some they do not.
const QUERY_KEYS: &[&str] = &[
    "name",
    "status",
    "host",
    "image",
    "flavor",
    "reservation_id",
    "all_tenants",
    "limit",
    "marker",
    "is_public",
    "minRam",
    "minDisk",
    "sort_key",
    "sort_dir",
    "binary",
    "changes-since",
    "deleted",
    "hypervisor_hostname_pattern",
    "with_servers",
];

const QUERY_VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "1000",
    "99999999999999999999",
    "true",
    "false",
    "None",
    "ACTIVE",
    "active",
    "BOGUS",
    "(a+)+$",
    "[",
    "\\",
    "*",
    ".*",
    "a{1000000}",
    "%",
    "%FF",
    "%00",
    "%E2%98%83",
    "+",
    "&",
    "=",
    "70a599e0-31e7-49b7-b260-868f441e862b",
    "m1.tiny",
    "nova-compute",
];

const READ_PATHS: &[&str] = &[
    "/v2.1/servers",
    "/v2.1/servers/detail",
    "/v2.1/servers/ID",
    "/v2.1/flavors",
    "/v2.1/flavors/detail",
    "/v2.1/flavors/ID",
    "/v2.1/os-services",
    "/v2.1/os-hypervisors",
    "/v2.1/os-hypervisors/detail",
    "/v2.1/os-hypervisors/ID",
    "/v2.1/os-hypervisors/ID/uptime",
    "/v2.1/os-aggregates",
    "/image/v2/images",
    "/image/v2/images/ID",
    "/v2.1",
    "/",
    "/v2.1/nowhere",
];

/// One generated read: a path with an id, a query string, a version and a token.
#[derive(Debug, Clone)]
struct ReadRequest {
    path: Index,
    id: Index,
    id_noise: Option<String>,
    query: Vec<(Index, QueryValue)>,
    version: Index,
    token: Index,
}

#[derive(Debug, Clone)]
enum QueryValue {
    Known(Index),
    Text(String),
    Bytes(Vec<u8>),
}

fn read_request() -> impl Strategy<Value = ReadRequest> {
    let value = prop_oneof![
        3 => any::<Index>().prop_map(QueryValue::Known),
        1 => ".{0,16}".prop_map(QueryValue::Text),
        1 => prop::collection::vec(any::<u8>(), 0..12).prop_map(QueryValue::Bytes),
    ];
    (
        any::<Index>(),
        any::<Index>(),
        prop::option::weighted(0.2, "[^/?#]{0,40}"),
        prop::collection::vec((any::<Index>(), value), 0..5),
        any::<Index>(),
        any::<Index>(),
    )
        .prop_map(|(path, id, id_noise, query, version, token)| ReadRequest {
            path,
            id,
            id_noise,
            query,
            version,
            token,
        })
}

/// `text` %-encoded except for unreserved characters (and sometimes a raw `%`).
fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'%' => {
                (*b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl ReadRequest {
    fn uri(&self, target: &Target) -> String {
        let template = *self.path.get(READ_PATHS);
        let id = match &self.id_noise {
            Some(noise) => encode(noise.as_bytes()),
            None => match *self.id.get(IDS) {
                "REAL" if template.contains("servers") => target.server_id.clone(),
                "REAL" if template.contains("flavors") => "1".to_owned(),
                "REAL" if template.contains("images") => {
                    "70a599e0-31e7-49b7-b260-868f441e862b".to_owned()
                }
                "REAL" => "1".to_owned(),
                other => other.to_owned(),
            },
        };
        let path = template.replace("ID", &id);
        if self.query.is_empty() {
            return path;
        }
        let pairs: Vec<String> = self
            .query
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    QueryValue::Known(i) => (*i.get(QUERY_VALUES)).to_owned(),
                    QueryValue::Text(text) => encode(text.as_bytes()),
                    QueryValue::Bytes(bytes) => encode(bytes),
                };
                format!("{}={value}", key.get(QUERY_KEYS))
            })
            .collect();
        format!("{path}?{}", pairs.join("&"))
    }
}

#[test]
fn any_path_id_and_query_string_gets_a_2xx_or_a_4xx_with_novas_error_body() {
    let system = actix_rt::System::new();
    let target = start_cloud(&system);
    fuzz(
        "api: path ids and query strings",
        "fuzz_api_bodies",
        2000,
        Duration::from_secs(10),
        Duration::from_secs(30),
        read_request(),
        |case, watch| {
            let uri = case.uri(&target);
            watch.input(uri.as_bytes());
            let version = *case.version.get(VERSIONS);
            send(
                &system,
                &target,
                "GET",
                &uri,
                version,
                *case.token.get(TOKENS),
                None,
                None,
            )
            .map(drop)
            .map_err(|e| format!("GET {uri} ({version}): {e}"))
        },
    );
}

/// Regression (found by this target): a body over the 1 MiB limit got a bare 413 from
/// actix-web; it is Nova's `overLimit` fault now, on every endpoint. (Not a corpus file:
/// the input is 1.2 MiB of a repeated create body.)
#[test]
fn a_body_over_one_mib_gets_novas_over_limit_fault() {
    let system = actix_rt::System::new();
    let target = start_cloud(&system);
    let body = br#"{"server": {"name": "vm-bdm", "flavorRef": "1""#.repeat(26_000);
    assert!(body.len() > 1 << 20);
    for (method, path) in [
        ("POST", "/v2.1/servers".to_owned()),
        ("POST", format!("/v2.1/servers/{}/action", target.server_id)),
        ("PUT", format!("/v2.1/os-services/{}", target.service_id)),
    ] {
        let status = send(
            &system,
            &target,
            method,
            &path,
            "compute 2.53",
            Some("notused"),
            Some("application/json"),
            Some(body.clone()),
        );
        assert_eq!(status, Ok(413), "{method} {path}");
    }
}
