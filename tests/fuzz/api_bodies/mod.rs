//! Bad input, target 3: what the compute REST API reads from a request: the JSON body of
//! every write it accepts (`POST /servers`, `POST /servers/{id}/action` with every action
//! novactor serves, `PUT /os-services/{id}` at 2.53 and the legacy
//! `PUT /os-services/{action}` below it; `POST /flavors`, which novactor does not serve),
//! and the path ids and query strings of its reads. Any request gets a 2xx or a 4xx with
//! Nova's error body (`{"<fault name>": {"code": N, "message": "…"}}`) and request id,
//! never a 5xx, a panic or a hang.
//!
//! Corpus `tests/corpus/api_bodies/`: one file per body as Nova's API reference and
//! python-openstackclient send them, named `<endpoint>__<what>.json`; `HOST` stands for the
//! cloud's compute host. The cloud is the one of the api tests (all four services in
//! one process over the memory transport and SQLite). The older
//! `tests/api/random_bodies_never_get_a_500.rs` sends generated bodies to the same
//! endpoints; this target starts from real bodies and covers every endpoint.
//!
//! `target`: the running cloud and the requests sent to it; `requests`: the generated
//! requests (bodies on their endpoints; paths, ids and query strings).

mod requests;
mod target;

use std::time::Duration;

use crate::support::*;
use requests::*;
use target::*;

const TARGET: &str = "api_bodies";

/// The seeds with the cloud's compute hosts put in: `OTHER_HOST` the one the target server
/// is not on, `HOST` the one it is on.
fn seeds_for(target: &Target) -> Vec<Seed> {
    corpus(TARGET)
        .into_iter()
        .map(|seed| Seed {
            bytes: String::from_utf8_lossy(&seed.bytes)
                .replace("OTHER_HOST", &target.other_host)
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
