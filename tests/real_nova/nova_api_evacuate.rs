//! Evacuate against Nova 34's own contract, in a cloud of two fake hosts (an evacuation
//! needs a second one): at every microversion of [`VERSIONS`] a server is booted, its host
//! forced down, and the admin's evacuate answered 200 with a body Nova's
//! `evacuate_response*` schema for that version accepts (`adminPass` before 2.14, none
//! after); and Nova's own request samples (`os-evacuate/`, each version's, with and without
//! a host) are each answered 200 and carried out.

use serde_json::{json, Value};

use crate::cloud::{cloud_with, Cloud};
use crate::nova_api_contract::{failures, minor, Recorder, ADMIN, MEMBER, VERSIONS};
use crate::nova_api_sample_files::{fill, samples, samples_dir};
use crate::nova_api_samples::send;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

/// Force `host`'s compute service down or up again (not part of what is checked).
async fn force_down(cloud: &Cloud, host: &str, down: bool) {
    let list = cloud
        .admin(
            "GET",
            &format!("/v2.1/os-services?binary=nova-compute&host={host}"),
            None,
        )
        .await;
    let uuid = list.body["services"][0]["id"]
        .as_str()
        .expect("the service's uuid");
    let body = json!({ "forced_down": down }).to_string();
    let reply = cloud
        .admin("PUT", &format!("/v2.1/os-services/{uuid}"), Some(&body))
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

/// A new ACTIVE server of `demo`'s and its host.
async fn boot(cloud: &Cloud, name: &str) -> (String, String) {
    let body = json!({"server": {"name": name, "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none"}})
    .to_string();
    let created = cloud
        .send(
            "POST",
            "/v2.1/servers",
            &[
                ("X-Auth-Token", MEMBER),
                ("OpenStack-API-Version", "compute 2.53"),
            ],
            Some(&body),
        )
        .await;
    assert_eq!(created.status, 202, "{created:?}");
    let id = created.body["server"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let server = cloud.wait_status(&id, "ACTIVE").await;
    let host = server["server"]["OS-EXT-SRV-ATTR:host"]
        .as_str()
        .expect("a host")
        .to_owned();
    (id, host)
}

/// Evacuate a fresh server off its downed host with the body `evacuate` makes for its
/// host and the other one; waits for the end state (SHUTOFF from 2.95) on the other host,
/// then brings the source back up. Returns the reply's status and body.
async fn evacuate_one<F, Fut>(cloud: &Cloud, name: &str, version: &str, evacuate: F) -> (u16, Value)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = (u16, Value)>,
{
    let (id, source) = boot(cloud, name).await;
    let other = cloud
        .computes
        .iter()
        .find(|h| **h != source)
        .expect("a second host")
        .clone();
    force_down(cloud, &source, true).await;
    let answer = evacuate(id.clone()).await;
    let ended = if minor(version) >= 95 {
        "SHUTOFF"
    } else {
        "ACTIVE"
    };
    let server = cloud.wait_status(&id, ended).await;
    assert_eq!(
        server["server"]["OS-EXT-SRV-ATTR:host"],
        other.as_str(),
        "{name}"
    );
    force_down(cloud, &source, false).await;
    answer
}

#[actix_rt::test]
async fn evacuate_answers_match_novas_response_schema_at_every_microversion() {
    let cloud = cloud_with(&[("compute", "fake_hosts", "2")]).await;
    let mut rec = Recorder {
        cloud: &cloud,
        exchanges: Vec::new(),
    };
    for version in VERSIONS {
        let v = minor(version);
        let mut body = json!({"adminPass": "seekr3t"});
        if v < 14 {
            body["onSharedStorage"] = json!(false);
        }
        let name = format!("contract-{version}");
        let rec = &mut rec;
        evacuate_one(&cloud, &name, version, |id| async move {
            let path = format!("/v2.1/servers/{id}/action");
            let reply = rec
                .send(
                    ADMIN,
                    version,
                    "POST",
                    &path,
                    Some(json!({ "evacuate": body })),
                )
                .await;
            (reply.status, reply.body)
        })
        .await;
    }
    assert_eq!(rec.exchanges.len(), VERSIONS.len());
    let failed = failures(&rec.exchanges);
    assert!(
        failed.is_empty(),
        "{} of {} evacuate answers do not match Nova 34's response schemas:\n{}",
        failed.len(),
        rec.exchanges.len(),
        failed.join("\n")
    );
}

#[actix_rt::test]
async fn novas_own_evacuate_samples_are_served() {
    let cloud = cloud_with(&[("compute", "fake_hosts", "2")]).await;
    let root = samples_dir();
    let evacuates = samples(&root, "os-evacuate", |f| f.ends_with("-req.json.tpl"));
    assert_eq!(evacuates.len(), 10, "the evacuate samples: {evacuates:?}");
    let mut wrong = Vec::new();
    for (index, (sample, version)) in evacuates.iter().enumerate() {
        let template = std::fs::read_to_string(root.join(sample)).expect("the sample");
        let name = format!("sample-{index}");
        let cloud_ref = &cloud;
        let (status, answer) = evacuate_one(&cloud, &name, version, |id| async move {
            let server = cloud_ref
                .admin("GET", &format!("/v2.1/servers/{id}"), None)
                .await;
            let source = server.body["server"]["OS-EXT-SRV-ATTR:host"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let other = cloud_ref
                .computes
                .iter()
                .find(|h| **h != source)
                .cloned()
                .unwrap_or_default();
            let subs = [
                ("host", other),
                ("adminPass", "MySecretPass".to_owned()),
                ("onSharedStorage", "False".to_owned()),
                ("force", "false".to_owned()),
            ];
            let body = fill(&template, &subs, sample);
            let path = format!("/v2.1/servers/{id}/action");
            send(cloud_ref, version, "POST", &path, &body).await
        })
        .await;
        let expected_body = if minor(version) < 14 {
            answer["adminPass"] == "MySecretPass"
        } else {
            answer == json!("") || answer.is_null()
        };
        if status != 200 || !expected_body {
            wrong.push(format!("{sample} → {status} {answer}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "Nova's evacuate samples not answered as Nova answers them:\n{}",
        wrong.join("\n")
    );
}
