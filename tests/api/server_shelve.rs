//! Shelving over HTTP in a cloud of fake hosts, as a user sees it (Nova: `shelve.py`,
//! `compute/api.py` `shelve` / `shelve_offload` / `unshelve`, the compute's flows and
//! `_poll_shelved_instances`): with `shelved_offload_time` 0 a shelve ends
//! SHELVED_OFFLOADED without a host, its usage given back and its address kept; unshelve
//! goes through the scheduler (to its choice, to a 2.91 host, to a 2.77 zone) and back to
//! ACTIVE; a positive time leaves the server SHELVED until the periodic task offloads it;
//! -1 keeps it SHELVED, where unshelve powers it on in place and `shelveOffload` (admin)
//! offloads it. Nova's 400/403/409s, the system metadata and the actions' events. The
//! shelve's snapshot is the `<name>-shelved` image in the catalog (active, `image_type`
//! snapshot, `instance_uuid`) while the server is shelved, and gone after an unshelve
//! (offloaded or in place) or a delete; an unshelve whose image was deleted meanwhile ends
//! in ERROR with Nova's fault.

use std::time::Duration;

use serde_json::{json, Value};

use crate::cloud::*;
use crate::common::wait_until;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
/// A member (not admin) of project `p1`, as noauth2 reads the token.
const BOB: &str = "bob:p1";
const ADMIN: &str = "notused";

/// `body` posted to server `id`'s action with `token` at `version`.
async fn act(cloud: &Cloud, token: &str, version: &str, id: &str, body: Value) -> Reply {
    let version = format!("compute {version}");
    let body = body.to_string();
    cloud
        .send(
            "POST",
            &format!("/v2.1/servers/{id}/action"),
            &[("X-Auth-Token", token), ("OpenStack-API-Version", &version)],
            Some(&body),
        )
        .await
}

/// A server of bob's on the lab network, ACTIVE; its admin view.
async fn bobs_server(cloud: &Cloud, name: &str) -> (String, Value) {
    let body = json!({"server": {"name": name, "imageRef": CIRROS, "flavorRef": "1",
        "networks": "auto"}})
    .to_string();
    let created = cloud
        .send(
            "POST",
            "/v2.1/servers",
            &[
                ("X-Auth-Token", BOB),
                ("OpenStack-API-Version", "compute 2.53"),
            ],
            Some(&body),
        )
        .await;
    assert_eq!(created.status, 202, "{created:?}");
    let id = created.body["server"]["id"].as_str().unwrap().to_owned();
    let view = cloud.wait_status(&id, "ACTIVE").await;
    (id, view["server"].clone())
}

fn message<'a>(reply: &'a Reply, status: u16, kind: &str) -> &'a str {
    assert_eq!(reply.status, status, "{reply:?}");
    reply.body[kind]["message"].as_str().unwrap_or_default()
}

/// The events of `uuid`'s newest action named `name`, once all have finished.
async fn finished_events(cloud: &Cloud, uuid: &str, name: &str) -> Vec<(String, String)> {
    wait_until(
        Duration::from_secs(20),
        &format!("{name} events finished"),
        async || {
            let actions = cloud.db.actions_get(uuid).await.unwrap();
            let Some(action) = actions
                .into_iter()
                .find(|a| a.action.as_deref() == Some(name))
            else {
                return Err(format!("no {name} action yet"));
            };
            let events: Vec<(String, String)> = cloud
                .db
                .action_events_get(action.id)
                .await
                .unwrap()
                .into_iter()
                .map(|e| (e.event.unwrap_or_default(), e.result.unwrap_or_default()))
                .collect();
            if events.is_empty() || events.iter().any(|(_, result)| result.is_empty()) {
                return Err(format!("{events:?} not finished"));
            }
            Ok(events)
        },
    )
    .await
}

fn events(names: &[&str]) -> Vec<(String, String)> {
    names
        .iter()
        .map(|n| ((*n).to_owned(), "Success".to_owned()))
        .collect()
}

async fn system_metadata(cloud: &Cloud, id: &str) -> Value {
    let row = cloud.db.instance_get_by_uuid(id).await.unwrap();
    row.system_metadata_json().unwrap()
}

async fn running_vms(cloud: &Cloud, host: &str) -> i64 {
    cloud
        .db
        .compute_node_get_by_host_and_nodename(host, host)
        .await
        .unwrap()
        .running_vms
        .unwrap_or_default()
}

/// The images named `name` bob sees (`GET /image/v2/images?name=…`).
async fn images_named(cloud: &Cloud, name: &str) -> Vec<Value> {
    let reply = cloud
        .send(
            "GET",
            &format!("/image/v2/images?name={name}"),
            &[("X-Auth-Token", BOB)],
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["images"].as_array().cloned().unwrap_or_default()
}

/// The server's `<name>-shelved` snapshot: the one image of that name, active, a snapshot
/// of the server, and the system metadata's `shelved_image_id`. Returns its id.
async fn shelve_snapshot(cloud: &Cloud, id: &str, name: &str) -> String {
    let images = images_named(cloud, &format!("{name}-shelved")).await;
    assert_eq!(images.len(), 1, "{images:?}");
    let image = &images[0];
    assert_eq!(image["status"], "active", "{image}");
    assert_eq!(image["image_type"], "snapshot", "{image}");
    assert_eq!(image["instance_uuid"], id, "{image}");
    assert_eq!(image["base_image_ref"], CIRROS, "{image}");
    let image_id = image["id"].as_str().unwrap().to_owned();
    assert_eq!(
        system_metadata(cloud, id).await["shelved_image_id"],
        image_id.as_str()
    );
    image_id
}

/// Shelve `id` as bob and wait for SHELVED_OFFLOADED.
async fn shelve_offloaded(cloud: &Cloud, id: &str) -> Value {
    let shelved = act(cloud, BOB, "2.53", id, json!({"shelve": null})).await;
    assert_eq!(shelved.status, 202, "{shelved:?}");
    assert!(shelved.body.is_null(), "{shelved:?}");
    cloud.wait_status(id, "SHELVED_OFFLOADED").await["server"].clone()
}

#[actix_rt::test]
async fn shelve_offloads_at_once_and_unshelve_goes_through_the_scheduler() {
    let cloud = cloud_with(&[("compute", "fake_hosts", "3")]).await;
    let (id, active) = bobs_server(&cloud, "shelf").await;
    let first_host = active["OS-EXT-SRV-ATTR:host"].as_str().unwrap().to_owned();
    assert_eq!(running_vms(&cloud, &first_host).await, 1);

    let offloaded = shelve_offloaded(&cloud, &id).await;
    assert!(offloaded["OS-EXT-SRV-ATTR:host"].is_null(), "{offloaded}");
    assert!(offloaded["OS-EXT-SRV-ATTR:hypervisor_hostname"].is_null());
    assert_eq!(offloaded["hostId"], "");
    assert_eq!(offloaded["OS-EXT-STS:vm_state"], "shelved_offloaded");
    assert_eq!(offloaded["OS-EXT-STS:power_state"], 4, "SHUTDOWN");
    assert_eq!(
        offloaded["addresses"], active["addresses"],
        "the port is kept"
    );
    assert_eq!(running_vms(&cloud, &first_host).await, 0, "usage released");
    let snapshot = shelve_snapshot(&cloud, &id, "shelf").await;
    assert_ne!(snapshot, CIRROS);
    let meta = system_metadata(&cloud, &id).await;
    assert_eq!(meta["shelved_host"], first_host.as_str());
    assert!(meta["shelved_at"].is_string());
    assert_eq!(meta["image_base_image_ref"], CIRROS);
    assert_eq!(
        finished_events(&cloud, &id, "shelve").await,
        events(&["compute_shelve_instance"])
    );

    // Unshelve at the client's default: the scheduler's choice.
    let unshelved = act(&cloud, BOB, "2.53", &id, json!({"unshelve": null})).await;
    assert_eq!(unshelved.status, 202, "{unshelved:?}");
    let active_again = cloud.wait_status(&id, "ACTIVE").await["server"].clone();
    let host = active_again["OS-EXT-SRV-ATTR:host"].as_str().unwrap();
    assert!(cloud.computes.iter().any(|c| c == host));
    assert_eq!(active_again["image"]["id"], CIRROS);
    assert_eq!(active_again["addresses"], active["addresses"]);
    assert_eq!(running_vms(&cloud, host).await, 1);
    let meta = system_metadata(&cloud, &id).await;
    assert!(meta.get("shelved_at").is_none(), "{meta}");
    assert!(meta.get("shelved_image_id").is_none(), "{meta}");
    assert!(
        images_named(&cloud, "shelf-shelved").await.is_empty(),
        "the shelve snapshot is deleted after the unshelve"
    );
    assert_eq!(
        finished_events(&cloud, &id, "unshelve").await,
        events(&[
            "compute_unshelve_instance",
            "schedule_instances",
            "get_image_info"
        ])
    );

    // 2.91: to a host, for an admin only.
    let target = cloud
        .computes
        .iter()
        .find(|c| c.as_str() != host)
        .unwrap()
        .clone();
    shelve_offloaded(&cloud, &id).await;
    let to_host = json!({"unshelve": {"host": target}});
    let refused = act(&cloud, BOB, "2.91", &id, to_host.clone()).await;
    assert_eq!(
        message(&refused, 403, "forbidden"),
        "Policy doesn't allow os_compute_api:os-shelve:unshelve_to_host to be performed."
    );
    let unknown = act(
        &cloud,
        ADMIN,
        "2.91",
        &id,
        json!({"unshelve": {"host": "nope"}}),
    )
    .await;
    assert_eq!(
        message(&unknown, 400, "badRequest"),
        "Compute host nope could not be found."
    );
    let accepted = act(&cloud, ADMIN, "2.91", &id, to_host).await;
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let on_target = cloud.wait_status(&id, "ACTIVE").await["server"].clone();
    assert_eq!(on_target["OS-EXT-SRV-ATTR:host"], target.as_str());

    // 2.77: to a zone — the computes' one; another is not available.
    shelve_offloaded(&cloud, &id).await;
    let elsewhere = act(
        &cloud,
        BOB,
        "2.77",
        &id,
        json!({"unshelve": {"availability_zone": "elsewhere"}}),
    )
    .await;
    assert_eq!(
        message(&elsewhere, 400, "badRequest"),
        "The requested availability zone is not available"
    );
    let empty = act(&cloud, BOB, "2.77", &id, json!({"unshelve": {}})).await;
    assert!(
        message(&empty, 400, "badRequest").contains("'availability_zone' is a required property")
    );
    let zoned = act(
        &cloud,
        BOB,
        "2.77",
        &id,
        json!({"unshelve": {"availability_zone": "nova"}}),
    )
    .await;
    assert_eq!(zoned.status, 202, "{zoned:?}");
    let in_zone = cloud.wait_status(&id, "ACTIVE").await["server"].clone();
    assert_eq!(in_zone["OS-EXT-AZ:availability_zone"], "nova");
    let spec = cloud
        .db
        .request_spec_get_by_instance_uuid(&id)
        .await
        .unwrap();
    let spec = spec.spec_json().unwrap();
    assert_eq!(spec["nova_object.data"]["availability_zone"], "nova");
    assert!(spec["nova_object.data"]
        .get("requested_destination")
        .is_none());

    // The actions, newest first, as `server event list` shows them.
    let listed = cloud
        .admin(
            "GET",
            &format!("/v2.1/servers/{id}/os-instance-actions"),
            None,
        )
        .await;
    let names: Vec<&str> = listed.body["instanceActions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["unshelve", "shelve", "unshelve", "shelve", "unshelve", "shelve", "create"]
    );
}

#[actix_rt::test]
async fn shelve_refuses_wrong_states_locks_and_bodies_as_nova_does() {
    let cloud = cloud_with(&[("compute", "fake_hosts", "2")]).await;
    let (id, _) = bobs_server(&cloud, "refusals").await;
    let not_shelved = act(&cloud, BOB, "2.53", &id, json!({"unshelve": null})).await;
    assert_eq!(
        message(&not_shelved, 409, "conflictingRequest"),
        format!("Cannot 'unshelve' instance {id} while it is in vm_state active")
    );
    let offload_active = act(&cloud, ADMIN, "2.53", &id, json!({"shelveOffload": null})).await;
    assert_eq!(
        message(&offload_active, 409, "conflictingRequest"),
        format!("Cannot 'shelveOffload' instance {id} while it is in vm_state active")
    );
    let bad_zone = act(
        &cloud,
        BOB,
        "2.91",
        &id,
        json!({"unshelve": {"availability_zone": 3}}),
    )
    .await;
    assert_eq!(bad_zone.status, 400, "{bad_zone:?}");
    let extra = act(&cloud, BOB, "2.91", &id, json!({"unshelve": {"zone": "x"}})).await;
    assert_eq!(extra.status, 400, "{extra:?}");

    let lock = act(&cloud, BOB, "2.53", &id, json!({"lock": null})).await;
    assert_eq!(lock.status, 202);
    let locked = act(&cloud, BOB, "2.53", &id, json!({"shelve": null})).await;
    assert_eq!(
        message(&locked, 409, "conflictingRequest"),
        format!("Instance {id} is locked")
    );
    let unlock = act(&cloud, BOB, "2.53", &id, json!({"unlock": null})).await;
    assert_eq!(unlock.status, 202);

    shelve_offloaded(&cloud, &id).await;
    let again = act(&cloud, BOB, "2.53", &id, json!({"shelve": null})).await;
    assert_eq!(
        message(&again, 409, "conflictingRequest"),
        format!("Cannot 'shelve' instance {id} while it is in vm_state shelved_offloaded")
    );
    let not_admin = act(&cloud, BOB, "2.53", &id, json!({"shelveOffload": null})).await;
    assert_eq!(
        message(&not_admin, 403, "forbidden"),
        "Policy doesn't allow os_compute_api:os-shelve:shelve_offload to be performed."
    );
    let gone = act(&cloud, BOB, "2.53", "nope", json!({"shelve": null})).await;
    assert_eq!(gone.status, 404, "{gone:?}");

    // To a disabled host: the scheduler finds none, the server stays SHELVED_OFFLOADED
    // and the action's `schedule_instances` event says why.
    let target = cloud.computes[1].clone();
    let services = cloud
        .admin(
            "GET",
            &format!("/v2.1/os-services?binary=nova-compute&host={target}"),
            None,
        )
        .await;
    let service = services.body["services"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let disabled = cloud
        .admin(
            "PUT",
            &format!("/v2.1/os-services/{service}"),
            Some(r#"{"status": "disabled"}"#),
        )
        .await;
    assert_eq!(disabled.status, 200, "{disabled:?}");
    let unshelve = json!({"unshelve": {"host": target}});
    let accepted = act(&cloud, ADMIN, "2.91", &id, unshelve).await;
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let view = cloud.wait_status(&id, "SHELVED_OFFLOADED").await["server"].clone();
    assert!(view["OS-EXT-SRV-ATTR:host"].is_null(), "{view}");
    let events = finished_events(&cloud, &id, "unshelve").await;
    assert_eq!(
        events[0],
        ("schedule_instances".to_owned(), "Error".to_owned())
    );
}

#[actix_rt::test]
async fn a_server_kept_shelved_is_unshelved_in_place_or_offloaded_by_an_admin() {
    let cloud = cloud_with(&[
        ("compute", "fake_hosts", "2"),
        ("DEFAULT", "shelved_offload_time", "-1"),
    ])
    .await;
    let (id, active) = bobs_server(&cloud, "kept").await;
    let host = active["OS-EXT-SRV-ATTR:host"].as_str().unwrap().to_owned();
    let shelved = act(&cloud, BOB, "2.53", &id, json!({"shelve": null})).await;
    assert_eq!(shelved.status, 202);
    let view = cloud.wait_status(&id, "SHELVED").await["server"].clone();
    assert_eq!(view["OS-EXT-SRV-ATTR:host"], host.as_str(), "still placed");
    assert_eq!(running_vms(&cloud, &host).await, 1, "still counted");
    shelve_snapshot(&cloud, &id, "kept").await;

    // A zone or a host is for SHELVED_OFFLOADED servers only.
    let zoned = act(
        &cloud,
        BOB,
        "2.91",
        &id,
        json!({"unshelve": {"availability_zone": null}}),
    )
    .await;
    assert_eq!(
        message(&zoned, 409, "conflictingRequest"),
        format!(
            "Specifying an availability zone or a host when unshelving server \"{id}\" with \
             status \"shelved\" is not supported. The server status must be SHELVED_OFFLOADED."
        )
    );

    // Unshelve in place: powered on where it is.
    let unshelved = act(&cloud, BOB, "2.91", &id, json!({"unshelve": null})).await;
    assert_eq!(unshelved.status, 202);
    let view = cloud.wait_status(&id, "ACTIVE").await["server"].clone();
    assert_eq!(view["OS-EXT-SRV-ATTR:host"], host.as_str());
    assert_eq!(view["OS-EXT-STS:power_state"], 1);
    let meta = system_metadata(&cloud, &id).await;
    assert!(meta.get("shelved_host").is_none(), "{meta}");
    assert!(
        images_named(&cloud, "kept-shelved").await.is_empty(),
        "the shelve snapshot is deleted after an unshelve in place"
    );
    assert_eq!(
        finished_events(&cloud, &id, "unshelve").await,
        events(&["compute_start_instance"])
    );

    // shelveOffload by an admin.
    let shelved = act(&cloud, BOB, "2.53", &id, json!({"shelve": null})).await;
    assert_eq!(shelved.status, 202);
    cloud.wait_status(&id, "SHELVED").await;
    let offload = act(&cloud, ADMIN, "2.53", &id, json!({"shelveOffload": null})).await;
    assert_eq!(offload.status, 202, "{offload:?}");
    let view = cloud.wait_status(&id, "SHELVED_OFFLOADED").await["server"].clone();
    assert!(view["OS-EXT-SRV-ATTR:host"].is_null());
    assert_eq!(running_vms(&cloud, &host).await, 0);
    assert_eq!(
        finished_events(&cloud, &id, "shelveOffload").await,
        events(&["compute_shelve_offload_instance"])
    );

    // Deleting a shelved server deletes its shelve snapshot (Nova `_delete`).
    shelve_snapshot(&cloud, &id, "kept").await;
    let deleted = cloud
        .send(
            "DELETE",
            &format!("/v2.1/servers/{id}"),
            &[("X-Auth-Token", BOB)],
            None,
        )
        .await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    assert!(images_named(&cloud, "kept-shelved").await.is_empty());
}

#[actix_rt::test]
async fn an_unshelve_whose_shelve_image_was_deleted_ends_in_error_as_nova_does() {
    let cloud = cloud_with(&[("compute", "fake_hosts", "2")]).await;
    let (id, _) = bobs_server(&cloud, "lost").await;
    shelve_offloaded(&cloud, &id).await;
    let snapshot = shelve_snapshot(&cloud, &id, "lost").await;
    let removed = cloud
        .send(
            "DELETE",
            &format!("/image/v2/images/{snapshot}"),
            &[("X-Auth-Token", BOB)],
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{removed:?}");

    let unshelved = act(&cloud, BOB, "2.53", &id, json!({"unshelve": null})).await;
    assert_eq!(unshelved.status, 202, "{unshelved:?}");
    // Nova's conductor saves ERROR without touching the task state: `unshelving` stays.
    let failed = wait_until(Duration::from_secs(30), "unshelve failed", async || {
        let reply = cloud
            .admin("GET", &format!("/v2.1/servers/{id}"), None)
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        match reply.body["server"]["status"].as_str() {
            Some("ERROR") => Ok(reply.body["server"].clone()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(failed["OS-EXT-STS:task_state"], "unshelving", "{failed}");
    assert_eq!(
        failed["fault"]["message"],
        format!("Unshelve attempted but the image {snapshot} cannot be found.")
    );
    assert_eq!(failed["fault"]["code"], 404, "{failed}");
    assert!(failed["OS-EXT-SRV-ATTR:host"].is_null(), "{failed}");
    let events = finished_events(&cloud, &id, "unshelve").await;
    assert_eq!(
        events,
        [("get_image_info".to_owned(), "Error".to_owned())],
        "not scheduled"
    );
}

#[actix_rt::test]
async fn with_a_positive_offload_time_the_periodic_task_offloads_the_shelved_server() {
    let cloud = cloud_with(&[
        ("DEFAULT", "shelved_offload_time", "2"),
        ("DEFAULT", "shelved_poll_interval", "1"),
    ])
    .await;
    let (id, active) = bobs_server(&cloud, "later").await;
    let shelved = act(&cloud, BOB, "2.53", &id, json!({"shelve": null})).await;
    assert_eq!(shelved.status, 202);
    let view = cloud.wait_status(&id, "SHELVED").await["server"].clone();
    assert_eq!(view["OS-EXT-SRV-ATTR:host"], active["OS-EXT-SRV-ATTR:host"]);
    let view = cloud.wait_status(&id, "SHELVED_OFFLOADED").await["server"].clone();
    assert!(view["OS-EXT-SRV-ATTR:host"].is_null(), "{view}");
    let unshelved = act(&cloud, BOB, "2.53", &id, json!({"unshelve": null})).await;
    assert_eq!(unshelved.status, 202);
    cloud.wait_status(&id, "ACTIVE").await;
}
