//! Random JSON (and non-JSON) bodies and headers sent to the compute API's write endpoints
//! never produce a 5xx: every malformed request is a 4xx a person can act on. Values come
//! from proptest strategies (fixed seed, so a failure replays); no shrinking.

use crate::cloud::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};

/// Any JSON, a few levels deep, with keys the API knows mixed in.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        ".{0,16}".prop_map(Value::String),
        Just(json!("70a599e0-31e7-49b7-b260-868f441e862b")),
        Just(json!("1")),
        Just(json!("none")),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::hash_map(
                prop_oneof![
                    Just("server".to_owned()),
                    Just("name".to_owned()),
                    Just("imageRef".to_owned()),
                    Just("flavorRef".to_owned()),
                    Just("networks".to_owned()),
                    Just("min_count".to_owned()),
                    Just("max_count".to_owned()),
                    Just("block_device_mapping_v2".to_owned()),
                    Just("reboot".to_owned()),
                    Just("type".to_owned()),
                    Just("os-stop".to_owned()),
                    Just("status".to_owned()),
                    Just("disabled_reason".to_owned()),
                    Just("forced_down".to_owned()),
                    Just("metadata".to_owned()),
                    Just("meta".to_owned()),
                    Just("tags".to_owned()),
                    Just("description".to_owned()),
                    Just("hostname".to_owned()),
                    ".{0,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn sample<S: Strategy>(strategy: &S, runner: &mut TestRunner) -> S::Value {
    strategy.new_tree(runner).expect("a value").current()
}

#[actix_rt::test]
async fn random_bodies_and_versions_get_4xx_never_5xx() {
    let cloud = cloud().await;
    let seed = [7u8; 32];
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    );
    // A real server and service to aim actions and updates at.
    let created = cloud
        .admin(
            "POST",
            "/v2.1/servers",
            Some(r#"{"server": {"name": "target", "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b", "flavorRef": "1", "networks": "none"}}"#),
        )
        .await;
    assert_eq!(created.status, 202, "{created:?}");
    let server_id = created.body["server"]["id"].as_str().unwrap().to_owned();
    let services = cloud.admin("GET", "/v2.1/os-services", None).await;
    let service_id = services.body["services"][0]["id"]
        .as_str()
        .unwrap_or("x")
        .to_owned();
    let paths = [
        ("POST", "/v2.1/servers".to_owned()),
        ("POST", format!("/v2.1/servers/{server_id}/action")),
        ("POST", "/v2.1/servers/not-a-uuid/action".to_owned()),
        ("PUT", format!("/v2.1/os-services/{service_id}")),
        ("PUT", "/v2.1/os-services/disable".to_owned()),
        ("PUT", format!("/v2.1/servers/{server_id}")),
        ("POST", format!("/v2.1/servers/{server_id}/metadata")),
        ("PUT", format!("/v2.1/servers/{server_id}/metadata")),
        ("PUT", format!("/v2.1/servers/{server_id}/metadata/k")),
        ("PUT", format!("/v2.1/servers/{server_id}/tags")),
        ("PUT", format!("/v2.1/servers/{server_id}/tags/t")),
        ("POST", "/v2.1/os-server-groups".to_owned()),
    ];
    let versions = [
        "compute 2.1",
        "compute 2.37",
        "compute 2.53",
        "compute latest",
        "compute 2.99",
        "compute x",
        "nova 2.1",
    ];
    let bodies = json_value();
    for case in 0..480 {
        let (method, path) = &paths[case % paths.len()];
        let body = match case % 10 {
            // Now and then not JSON at all.
            0 => String::from_utf8_lossy(&sample(
                &prop::collection::vec(any::<u8>(), 0..64),
                &mut runner,
            ))
            .into_owned(),
            // Mostly a known top-level key around random content.
            1..=6 => {
                let key = [
                    "server",
                    "reboot",
                    "os-stop",
                    "os-start",
                    "status",
                    "metadata",
                    "meta",
                    "tags",
                    "server_group",
                ][case % 9];
                json!({ key: sample(&bodies, &mut runner) }).to_string()
            }
            _ => sample(&bodies, &mut runner).to_string(),
        };
        let version = versions[case % versions.len()];
        let reply = cloud
            .send(
                method,
                path,
                &[
                    ("X-Auth-Token", "notused"),
                    ("OpenStack-API-Version", version),
                ],
                Some(&body),
            )
            .await;
        assert!(
            reply.status < 500,
            "case {case}: {method} {path} ({version}) with {body} → {reply:?}"
        );
        assert!(
            reply.header("x-openstack-request-id").is_some(),
            "case {case}: no request id"
        );
    }
}

#[actix_rt::test]
async fn a_create_asking_for_more_than_a_thousand_instances_is_a_400() {
    let cloud = cloud().await;
    let reply = cloud
        .admin(
            "POST",
            "/v2.1/servers",
            Some(r#"{"server": {"name": "many", "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b", "flavorRef": "1", "networks": "none", "max_count": 4000000000}}"#),
        )
        .await;
    assert_eq!(reply.status, 400, "{reply:?}");
    assert!(
        reply.body["badRequest"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("1000"),
        "{reply:?}"
    );
}
