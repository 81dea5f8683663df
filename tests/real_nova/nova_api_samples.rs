//! Nova's own API samples (`nova/tests/functional/api_sample_tests/api_samples/`, the
//! request templates Nova's functional tests and its API reference are made from) sent to
//! novactor for every route it serves (servers, their power actions, resize and cold
//! migration, os-shelve, os-services, os-server-groups, os-keypairs), at the microversion of
//! the sample's directory: each is answered 2xx — or, for the few that ask for what novactor has not built, refused with
//! a 400 naming the field ([`REFUSED`]), never accepted and dropped.

use serde_json::{json, Value};

use crate::cloud::{cloud_with, Cloud};

#[path = "nova_api_samples_shelve.rs"]
mod shelve;
use crate::nova_api_sample_files::{fill, samples, samples_dir};
use crate::nova_api_samples_keypairs::keypair_requests;

mod moves;
mod refused;

use refused::REFUSED;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

struct Outcome {
    sample: String,
    status: u16,
    body: Value,
}

pub(crate) async fn send(
    cloud: &Cloud,
    version: &str,
    method: &str,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let header = format!("compute {version}");
    let text = (!body.is_null()).then(|| body.to_string());
    let reply = cloud
        .send(
            method,
            path,
            &[
                ("X-Auth-Token", "admin:admin"),
                ("OpenStack-API-Version", &header),
            ],
            text.as_deref(),
        )
        .await;
    (reply.status, reply.body)
}

#[actix_rt::test]
async fn novas_own_request_samples_are_served() {
    // Soft delete on, for the os-deferred-delete samples.
    // Shelved servers stay SHELVED, for the shelveOffload sample; two hosts, so that the
    // cold migrations (never to the server's own host) have somewhere to go.
    let cloud = cloud_with(&[
        ("compute", "fake_hosts", "2"),
        ("DEFAULT", "reclaim_instance_interval", "3600"),
        ("DEFAULT", "shelved_offload_time", "-1"),
        ("DEFAULT", "allow_resize_to_same_host", "true"),
    ])
    .await;
    // Nova's sample tests boot flavor 6 (its `m1.tiny.specs`); novactor's defaults end at 5.
    cloud
        .db
        .database()
        .execute(
            "INSERT INTO flavors (id, flavorid, name, memory_mb, vcpus, root_gb, ephemeral_gb, \"swap\", rxtx_factor, is_public, disabled) \
             VALUES (6, '6', 'm1.tiny.specs', 512, 1, 1, 0, 0, 1, ?, ?)",
            &[true.into(), false.into()],
        )
        .await
        .expect("flavor 6");
    let root = samples_dir();
    let server_subs = |name: &str| {
        vec![
            ("image_id", CIRROS.to_owned()),
            ("host", "http://openstack.example.com".to_owned()),
            ("name", name.to_owned()),
            ("availability_zone", "nova".to_owned()),
            ("access_ip_v4", "1.2.3.4".to_owned()),
            ("access_ip_v6", "80fe::".to_owned()),
            (
                "user_data",
                "IyEvYmluL2Jhc2gKL2Jpbi9zdQplY2hvICJJIGFtIGluIHlvdSEiCg==".to_owned(),
            ),
            ("uuid", "48e6a9f6-30af-47e0-bc04-acaed113bb4e".to_owned()),
            ("type", "SOFT".to_owned()),
        ]
    };
    let mut outcomes = Vec::new();
    // os-server-groups: each version's create sample, then the list and one delete; the
    // 2.71 sample's group is the one the 2.71 create sample boots into.
    let mut group_samples = samples(&root, "os-server-groups", |f| {
        f == "server-groups-post-req.json.tpl"
    });
    group_samples.push((
        "servers/v2.71/server-groups-post-req.json.tpl".to_owned(),
        "2.71".to_owned(),
    ));
    let mut groups = Vec::new();
    for (index, (sample, version)) in group_samples.iter().enumerate() {
        let template = std::fs::read_to_string(root.join(sample)).expect("the sample");
        let body = fill(&template, &[("name", format!("group-{index}"))], sample);
        let (status, answer) = send(&cloud, version, "POST", "/v2.1/os-server-groups", &body).await;
        if let Some(id) = answer["server_group"]["id"].as_str() {
            groups.push(id.to_owned());
        }
        outcomes.push(Outcome {
            sample: sample.clone(),
            status,
            body: answer,
        });
    }
    assert_eq!(groups.len(), 4, "the four group create samples");
    let sg_uuid = groups.last().cloned().unwrap_or_default();
    for version in ["2.1", "2.13", "2.64"] {
        let (status, answer) = send(
            &cloud,
            version,
            "GET",
            "/v2.1/os-server-groups",
            &json!(null),
        )
        .await;
        outcomes.push(Outcome {
            sample: format!("os-server-groups list at {version}"),
            status,
            body: answer,
        });
    }
    let (status, answer) = send(
        &cloud,
        "2.1",
        "DELETE",
        &format!("/v2.1/os-server-groups/{}", groups[0]),
        &json!(null),
    )
    .await;
    outcomes.push(Outcome {
        sample: "os-server-groups delete".into(),
        status,
        body: answer,
    });
    // os-keypairs (`nova_api_samples_keypairs.rs`), before the rebuilds that use `new-key`.
    for request in keypair_requests(&root) {
        let (status, answer) = send(
            &cloud,
            &request.version,
            request.method,
            &request.path,
            &request.body,
        )
        .await;
        if let Some(why) = request.nova_refuses {
            assert_eq!(status, 400, "{}: {answer}", request.sample);
            assert!(
                answer.to_string().contains(why),
                "{}: {answer}",
                request.sample
            );
            continue;
        }
        outcomes.push(Outcome {
            sample: request.sample,
            status,
            body: answer,
        });
    }
    let creates = samples(&root, "servers", |f| f.starts_with("server-create-req"));
    assert!(creates.len() >= 20, "the create samples: {creates:?}");
    let mut booted = None;
    for (index, (sample, version)) in creates.iter().enumerate() {
        let template = std::fs::read_to_string(root.join(sample)).expect("the sample");
        let name = format!("sample-{index}");
        let mut subs = server_subs(&name);
        subs.push(("sg_uuid", sg_uuid.clone()));
        let mut body = fill(&template, &subs, sample);
        // The 2.74 samples name Nova's test compute (openstack-node-01): this cloud's
        // first compute (host and node) stands in for it.
        for field in ["host", "hypervisor_hostname"] {
            if let Some(named) = body["server"].get_mut(field) {
                *named = json!(cloud.computes[0]);
            }
        }
        // The samples' same_host names a server that does not exist: those go to ERROR.
        let hinted = body.get("OS-SCH-HNT:scheduler_hints").is_some();
        let (status, answer) = send(&cloud, version, "POST", "/v2.1/servers", &body).await;
        if status == 202 && booted.is_none() && !hinted {
            booted = answer["server"]["id"].as_str().map(str::to_owned);
        }
        outcomes.push(Outcome {
            sample: sample.clone(),
            status,
            body: answer,
        });
    }
    // The power actions, in an order each state allows, on a booted server.
    let id = booted.expect("at least one create sample booted a server");
    cloud.wait_status(&id, "ACTIVE").await;
    let action_path = format!("/v2.1/servers/{id}/action");
    for (file, action, after) in [
        ("server-action-stop.json.tpl", "os-stop", "SHUTOFF"),
        ("server-action-start.json.tpl", "os-start", "ACTIVE"),
        ("server-action-reboot.json.tpl", "reboot", "ACTIVE"),
    ] {
        let sample = format!("servers/{file}");
        let template = std::fs::read_to_string(root.join(&sample)).expect("the sample");
        let mut subs = server_subs("unused");
        subs.push(("action", action.to_owned()));
        let body = fill(&template, &subs, &sample);
        let (status, answer) = send(&cloud, "2.1", "POST", &action_path, &body).await;
        outcomes.push(Outcome {
            sample,
            status,
            body: answer,
        });
        cloud.wait_status(&id, after).await;
    }
    // Rebuild, each version's sample, waited for.
    let rebuilds = samples(&root, "servers", |f| f == "server-action-rebuild.json.tpl");
    assert!(rebuilds.len() >= 14, "the rebuild samples: {rebuilds:?}");
    for (sample, version) in rebuilds {
        let template = std::fs::read_to_string(root.join(&sample)).expect("the sample");
        let mut subs = server_subs("rebuilt");
        subs.retain(|(key, _)| *key != "uuid");
        subs.extend([
            ("uuid", CIRROS.to_owned()),
            ("pass", "seekr3t".to_owned()),
            ("description", "rebuilt".to_owned()),
            ("disk_config", "AUTO".to_owned()),
            ("hostname", "rebuilt-host".to_owned()),
            ("key_name", "new-key".to_owned()),
            ("preserve_ephemeral", "true".to_owned()),
        ]);
        let body = fill(&template, &subs, &sample);
        let (status, answer) = send(&cloud, &version, "POST", &action_path, &body).await;
        outcomes.push(Outcome {
            sample,
            status,
            body: answer,
        });
        cloud.wait_status(&id, "ACTIVE").await;
    }
    outcomes.extend(moves::moves(&cloud, &root, &action_path, &id, server_subs("unused")).await);
    // The server's sub-resources: update, metadata, tags.
    let one = format!("/v2.1/servers/{id}");
    let updates = samples(&root, "servers", |f| {
        f == "server-update-req.json.tpl" || f == "server-put-req.json.tpl"
    });
    assert!(updates.len() >= 10, "the update samples: {updates:?}");
    let mut subs = server_subs("unused");
    subs.extend([
        ("value", "Foo Value".to_owned()),
        ("tag1", "tag1".to_owned()),
        ("tag2", "tag2".to_owned()),
    ]);
    let mut requests: Vec<(String, String, &str, String)> = updates
        .into_iter()
        .map(|(sample, version)| (sample, version, "PUT", one.clone()))
        .collect();
    for (file, method, path) in [
        (
            "server-metadata-all-req.json.tpl",
            "PUT",
            format!("{one}/metadata"),
        ),
        (
            "server-metadata-all-req.json.tpl",
            "POST",
            format!("{one}/metadata"),
        ),
        (
            "server-metadata-req.json.tpl",
            "PUT",
            format!("{one}/metadata/foo"),
        ),
    ] {
        requests.push((
            format!("server-metadata/{file}"),
            "2.1".to_owned(),
            method,
            path,
        ));
    }
    requests.push((
        "os-server-tags/v2.26/server-tags-put-all-req.json.tpl".to_owned(),
        "2.26".to_owned(),
        "PUT",
        format!("{one}/tags"),
    ));
    for (sample, version, method, path) in requests {
        let template = std::fs::read_to_string(root.join(&sample)).expect("the sample");
        let body = fill(&template, &subs, &sample);
        let (status, answer) = send(&cloud, &version, method, &path, &body).await;
        outcomes.push(Outcome {
            sample: format!("{sample} ({method})"),
            status,
            body: answer,
        });
    }
    // The guest actions, each waited for before the next (Nova's sample directory, the
    // microversion of its subdirectory).
    let mut subs = server_subs("unused");
    subs.push(("password", "MySecretPass".to_owned()));
    for (sample, version, after) in [
        (
            "os-pause-server/pause-server.json.tpl",
            "2.1",
            Some("PAUSED"),
        ),
        (
            "os-pause-server/unpause-server.json.tpl",
            "2.1",
            Some("ACTIVE"),
        ),
        (
            "os-suspend-server/server-suspend.json.tpl",
            "2.1",
            Some("SUSPENDED"),
        ),
        (
            "os-suspend-server/server-resume.json.tpl",
            "2.1",
            Some("ACTIVE"),
        ),
        (
            "os-rescue/server-rescue-req.json.tpl",
            "2.1",
            Some("RESCUE"),
        ),
        (
            "os-rescue/server-unrescue-req.json.tpl",
            "2.1",
            Some("ACTIVE"),
        ),
        (
            "os-rescue/server-rescue-req-with-image-ref.json.tpl",
            "2.1",
            Some("RESCUE"),
        ),
        (
            "os-rescue/server-unrescue-req.json.tpl",
            "2.1",
            Some("ACTIVE"),
        ),
        (
            "os-rescue/v2.87/server-rescue-req.json.tpl",
            "2.87",
            Some("RESCUE"),
        ),
        (
            "os-rescue/v2.87/server-unrescue-req.json.tpl",
            "2.87",
            Some("ACTIVE"),
        ),
        ("os-lock-server/lock-server.json.tpl", "2.1", None),
        ("os-lock-server/unlock-server.json.tpl", "2.1", None),
        (
            "os-lock-server/v2.73/lock-server-with-reason.json.tpl",
            "2.73",
            None,
        ),
        ("os-lock-server/v2.73/unlock-server.json.tpl", "2.73", None),
        ("os-lock-server/v2.73/lock-server.json.tpl", "2.73", None),
        ("os-lock-server/v2.73/unlock-server.json.tpl", "2.73", None),
        (
            "os-admin-actions/admin-actions-reset-server-state.json.tpl",
            "2.1",
            Some("ACTIVE"),
        ),
        (
            "os-admin-password/admin-password-change-password.json.tpl",
            "2.1",
            None,
        ),
        (
            "os-console-output/console-output-post-req.json.tpl",
            "2.1",
            None,
        ),
        (
            "servers/v2.17/server-action-trigger-crash-dump.json.tpl",
            "2.17",
            None,
        ),
        (
            "servers/server-action-create-image.json.tpl",
            "2.1",
            Some("ACTIVE"),
        ),
        (
            "servers/v2.45/server-action-create-image.json.tpl",
            "2.45",
            Some("ACTIVE"),
        ),
        (
            "os-create-backup/create-backup-req.json.tpl",
            "2.1",
            Some("ACTIVE"),
        ),
        (
            "os-create-backup/v2.45/create-backup-req.json.tpl",
            "2.45",
            Some("ACTIVE"),
        ),
        (
            "os-admin-actions/admin-actions-inject-network-info.json.tpl",
            "2.1",
            None,
        ),
    ] {
        let template = std::fs::read_to_string(root.join(sample)).expect("the sample");
        let body = fill(&template, &subs, sample);
        let (status, answer) = send(&cloud, version, "POST", &action_path, &body).await;
        outcomes.push(Outcome {
            sample: sample.to_owned(),
            status,
            body: answer,
        });
        if let Some(after) = after {
            cloud.wait_status(&id, after).await;
        }
    }
    // Not sent: `os-admin-actions/admin-actions-reset-state.json.tpl` is not JSON.
    outcomes.extend(shelve::shelve_samples(&cloud, &root, &id, &action_path).await);
    // os-services: the legacy PUTs by name before 2.53, by uuid from then on.
    let services = cloud.admin("GET", "/v2.1/os-services", None).await;
    let compute_uuid = services.body["services"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|s| s["binary"] == "nova-compute" && s["host"] == cloud.computes[0])
        })
        .and_then(|s| s["id"].as_str())
        .expect("the compute service")
        .to_owned();
    let service_subs = vec![
        ("host", cloud.computes[0].clone()),
        ("binary", "nova-compute".to_owned()),
        ("disabled_reason", "test2".to_owned()),
        ("forced_down", "true".to_owned()),
    ];
    for (sample, version) in samples(&root, "os-services", |f| f.ends_with("-put-req.json.tpl")) {
        let template = std::fs::read_to_string(root.join(&sample)).expect("the sample");
        let body = fill(&template, &service_subs, &sample);
        let path = if version == "2.53" {
            format!("/v2.1/os-services/{compute_uuid}")
        } else {
            let file = sample.rsplit('/').next().unwrap_or_default();
            let legacy = match file {
                "service-disable-put-req.json.tpl" => "disable",
                "service-enable-put-req.json.tpl" => "enable",
                "service-disable-log-put-req.json.tpl" => "disable-log-reason",
                "service-force-down-put-req.json.tpl" => "force-down",
                other => panic!("an os-services sample novactor does not know: {other}"),
            };
            format!("/v2.1/os-services/{legacy}")
        };
        let (status, answer) = send(&cloud, &version, "PUT", &path, &body).await;
        outcomes.push(Outcome {
            sample,
            status,
            body: answer,
        });
    }
    // os-deferred-delete: restore a soft-deleted server, then force-delete it.
    for (file, after) in [
        ("restore-post-req.json.tpl", "ACTIVE"),
        ("force-delete-post-req.json.tpl", "gone"),
    ] {
        let deleted = cloud.admin("DELETE", &one, None).await;
        assert_eq!(deleted.status, 204, "{deleted:?}");
        cloud.wait_status(&id, "SOFT_DELETED").await;
        let sample = format!("os-deferred-delete/{file}");
        let template = std::fs::read_to_string(root.join(&sample)).expect("the sample");
        let body = fill(&template, &[], &sample);
        let (status, answer) = send(&cloud, "2.1", "POST", &action_path, &body).await;
        outcomes.push(Outcome {
            sample,
            status,
            body: answer,
        });
        if after == "ACTIVE" {
            cloud.wait_status(&id, after).await;
        }
    }
    let mut wrong = Vec::new();
    for outcome in &outcomes {
        let refused = REFUSED.iter().find(|(s, _)| *s == outcome.sample);
        let right = match refused {
            None => (200..300).contains(&outcome.status),
            Some((_, field)) => {
                outcome.status == 400
                    && outcome.body["badRequest"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains(&format!("novactor cannot honour {field}")))
            }
        };
        if !right {
            wrong.push(format!(
                "{} → {} {}{}",
                outcome.sample,
                outcome.status,
                outcome.body,
                refused.map_or(String::new(), |(_, f)| format!(
                    " (expected a 400 naming {f})"
                ))
            ));
        }
    }
    for (sample, _) in REFUSED {
        assert!(
            outcomes.iter().any(|o| o.sample == *sample),
            "{sample} is listed as refused but was not sent"
        );
    }
    assert!(
        wrong.is_empty(),
        "{} of {} of Nova's request samples were not answered as expected:\n{}",
        wrong.len(),
        outcomes.len(),
        wrong.join("\n")
    );
    let served = outcomes.len() - REFUSED.len();
    assert!(
        served >= 30,
        "only {served} samples served: {}",
        json!(outcomes.len())
    );
}
