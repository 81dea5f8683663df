//! The server actions beyond stop/start/reboot over HTTP, as a user sees them: each one's
//! status afterwards, Nova's 409 texts for a wrong state and a locked server, the 403 of a
//! member on admin-only actions, the lock reason from 2.73, and the instance actions and
//! events each leaves in the database.

use std::time::Duration;

use serde_json::{json, Value};

use crate::cloud::*;
use crate::common::wait_until;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
/// A member (not admin) of project `p1`, as noauth2 reads the token.
const ALICE: &str = "alice:p1";

impl Cloud {
    /// A request as `token` at `version`.
    async fn as_user(
        &self,
        token: &str,
        version: &str,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Reply {
        let version = format!("compute {version}");
        self.send(
            method,
            path,
            &[("X-Auth-Token", token), ("OpenStack-API-Version", &version)],
            body,
        )
        .await
    }

    /// A server of alice's, ACTIVE.
    async fn alices_server(&self, name: &str) -> String {
        let body = json!({"server": {"name": name, "imageRef": CIRROS, "flavorRef": "1",
            "networks": "none"}})
        .to_string();
        let created = self
            .as_user(ALICE, "2.53", "POST", "/v2.1/servers", Some(&body))
            .await;
        assert_eq!(created.status, 202, "{created:?}");
        let id = created.body["server"]["id"].as_str().unwrap().to_owned();
        self.wait_status(&id, "ACTIVE").await;
        id
    }

    /// `body` posted to server `id`'s action as `token` at 2.53.
    async fn act(&self, token: &str, id: &str, body: Value) -> Reply {
        let path = format!("/v2.1/servers/{id}/action");
        self.as_user(token, "2.53", "POST", &path, Some(&body.to_string()))
            .await
    }

    /// The action names recorded for `uuid`, oldest first, once each has its events
    /// finished.
    async fn recorded_actions(&self, uuid: &str) -> Vec<(String, Vec<(String, String)>)> {
        wait_until(Duration::from_secs(20), "events finished", async || {
            let mut out = Vec::new();
            for action in self.db.actions_get(uuid).await.unwrap().into_iter().rev() {
                let events = self.db.action_events_get(action.id).await.unwrap();
                let events: Vec<(String, String)> = events
                    .into_iter()
                    .rev()
                    .map(|e| (e.event.unwrap_or_default(), e.result.unwrap_or_default()))
                    .collect();
                if events.iter().any(|(_, result)| result.is_empty()) {
                    return Err(format!("{events:?} not finished"));
                }
                out.push((action.action.unwrap_or_default(), events));
            }
            Ok(out)
        })
        .await
    }
}

fn conflict(reply: &Reply) -> &str {
    assert_eq!(reply.status, 409, "{reply:?}");
    reply.body["conflictingRequest"]["message"]
        .as_str()
        .unwrap_or_default()
}

fn bad_request(reply: &Reply) -> &str {
    assert_eq!(reply.status, 400, "{reply:?}");
    reply.body["badRequest"]["message"]
        .as_str()
        .unwrap_or_default()
}

#[actix_rt::test]
async fn pause_suspend_rescue_and_the_rest_show_novas_statuses_and_are_recorded() {
    let cloud = cloud().await;
    let id = cloud.alices_server("acts").await;

    // pause / unpause
    assert_eq!(
        cloud.act(ALICE, &id, json!({"pause": null})).await.status,
        202
    );
    let paused = cloud.wait_status(&id, "PAUSED").await;
    assert_eq!(paused["server"]["OS-EXT-STS:vm_state"], "paused");
    assert_eq!(paused["server"]["OS-EXT-STS:power_state"], 3);
    let again = cloud.act(ALICE, &id, json!({"pause": null})).await;
    assert_eq!(
        conflict(&again),
        format!("Cannot 'pause' instance {id} while it is in vm_state paused")
    );
    let stop = cloud.act(ALICE, &id, json!({"os-stop": null})).await;
    assert_eq!(
        conflict(&stop),
        format!("Cannot 'stop' instance {id} while it is in vm_state paused")
    );
    assert_eq!(
        cloud.act(ALICE, &id, json!({"unpause": {}})).await.status,
        202
    );
    let active = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(active["server"]["OS-EXT-STS:power_state"], 1);
    let unpause = cloud.act(ALICE, &id, json!({"unpause": null})).await;
    assert_eq!(
        conflict(&unpause),
        format!("Cannot 'unpause' instance {id} while it is in vm_state active")
    );

    // suspend / resume
    assert_eq!(
        cloud.act(ALICE, &id, json!({"suspend": null})).await.status,
        202
    );
    let suspended = cloud.wait_status(&id, "SUSPENDED").await;
    assert_eq!(suspended["server"]["OS-EXT-STS:power_state"], 7);
    let row = cloud.db.instance_get_by_uuid(&id).await.unwrap();
    assert_eq!(
        row.system_metadata_json().unwrap()["old_vm_state"],
        "active"
    );
    assert_eq!(
        cloud.act(ALICE, &id, json!({"resume": null})).await.status,
        202
    );
    cloud.wait_status(&id, "ACTIVE").await;
    let row = cloud.db.instance_get_by_uuid(&id).await.unwrap();
    assert!(row
        .system_metadata_json()
        .unwrap()
        .get("old_vm_state")
        .is_none());

    // rescue / unrescue
    let unknown = "11111111-2222-3333-4444-555555555555";
    let refused = cloud
        .act(ALICE, &id, json!({"rescue": {"rescue_image_ref": unknown}}))
        .await;
    assert_eq!(
        bad_request(&refused),
        format!("Requested rescue image '{unknown}' is not supported")
    );
    let not_uuid = cloud
        .act(
            ALICE,
            &id,
            json!({"rescue": {"rescue_image_ref": "cirros"}}),
        )
        .await;
    assert!(bad_request(&not_uuid).contains("'cirros' is not a 'uuid'"));
    let extra = cloud.act(ALICE, &id, json!({"rescue": {"bogus": 1}})).await;
    assert!(bad_request(&extra).contains("('bogus' was unexpected)"));
    let rescued = cloud.act(ALICE, &id, json!({"rescue": null})).await;
    assert_eq!(rescued.status, 200, "{rescued:?}");
    assert_eq!(rescued.body["adminPass"].as_str().unwrap().len(), 12);
    let shown = cloud.wait_status(&id, "RESCUE").await;
    assert_eq!(shown["server"]["OS-EXT-STS:vm_state"], "rescued");
    let rescue_again = cloud.act(ALICE, &id, json!({"rescue": null})).await;
    assert_eq!(
        conflict(&rescue_again),
        format!("Cannot 'rescue' instance {id} while it is in vm_state rescued")
    );
    assert_eq!(
        cloud
            .act(ALICE, &id, json!({"unrescue": null}))
            .await
            .status,
        202
    );
    cloud.wait_status(&id, "ACTIVE").await;
    let with_image = cloud
        .act(
            ALICE,
            &id,
            json!({"rescue": {"adminPass": "s3cret", "rescue_image_ref": CIRROS}}),
        )
        .await;
    assert_eq!(with_image.body, json!({"adminPass": "s3cret"}));
    cloud.wait_status(&id, "RESCUE").await;
    assert_eq!(
        cloud
            .act(ALICE, &id, json!({"unrescue": null}))
            .await
            .status,
        202
    );
    cloud.wait_status(&id, "ACTIVE").await;

    // changePassword
    let no_pass = cloud.act(ALICE, &id, json!({"changePassword": {}})).await;
    assert!(bad_request(&no_pass).contains("'adminPass' is a required property"));
    let changed = cloud
        .act(ALICE, &id, json!({"changePassword": {"adminPass": "n3w"}}))
        .await;
    assert_eq!(changed.status, 202, "{changed:?}");
    cloud.wait_status(&id, "ACTIVE").await;

    // os-getConsoleOutput
    let console = cloud
        .act(ALICE, &id, json!({"os-getConsoleOutput": {}}))
        .await;
    assert_eq!(console.status, 200, "{console:?}");
    assert_eq!(
        console.body["output"],
        "FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE"
    );
    let tail = cloud
        .act(ALICE, &id, json!({"os-getConsoleOutput": {"length": "1"}}))
        .await;
    assert_eq!(tail.body, json!({"output": "LAST LINE"}));
    let negative = cloud
        .act(ALICE, &id, json!({"os-getConsoleOutput": {"length": -2}}))
        .await;
    assert!(bad_request(&negative).contains("less than the minimum of -1"));

    // trigger_crash_dump: 2.17+
    let old = cloud
        .as_user(
            ALICE,
            "2.16",
            "POST",
            &format!("/v2.1/servers/{id}/action"),
            Some(r#"{"trigger_crash_dump": null}"#),
        )
        .await;
    assert_eq!(old.status, 404, "{old:?}");
    let dumped = cloud
        .act(ALICE, &id, json!({"trigger_crash_dump": null}))
        .await;
    assert_eq!(dumped.status, 202, "{dumped:?}");

    // os-resetState: admin only
    let member = cloud
        .act(ALICE, &id, json!({"os-resetState": {"state": "error"}}))
        .await;
    assert_eq!(member.status, 403, "{member:?}");
    assert_eq!(
        member.body["forbidden"]["message"],
        "Policy doesn't allow os_compute_api:os-admin-actions:reset_state to be performed."
    );
    let bad_state = cloud
        .act(
            "notused",
            &id,
            json!({"os-resetState": {"state": "paused"}}),
        )
        .await;
    assert!(bad_request(&bad_state).contains("is not one of ['active', 'error']"));
    let reset = cloud
        .act("notused", &id, json!({"os-resetState": {"state": "error"}}))
        .await;
    assert_eq!(reset.status, 202, "{reset:?}");
    cloud.wait_status(&id, "ERROR").await;
    let pause_error = cloud.act(ALICE, &id, json!({"pause": null})).await;
    assert_eq!(
        conflict(&pause_error),
        format!("Cannot 'pause' instance {id} while it is in vm_state error")
    );
    // A task in progress, then a server never launched: Nova names the attribute.
    let set = |values: Value| {
        let cloud = &cloud;
        let id = id.clone();
        async move {
            let values = values.as_object().unwrap().clone();
            cloud
                .db
                .instance_update_and_get(&id, &values, None, None)
                .await
                .unwrap();
        }
    };
    set(json!({"vm_state": "active", "task_state": "powering-off"})).await;
    for (body, action) in [
        (json!({"suspend": null}), "suspend"),
        (json!({"os-stop": null}), "stop"),
        (json!({"reboot": {"type": "SOFT"}}), "reboot"),
    ] {
        let refused = cloud.act(ALICE, &id, body).await;
        assert_eq!(
            conflict(&refused),
            format!("Cannot '{action}' instance {id} while it is in task_state powering-off")
        );
    }
    let launched_at = cloud
        .db
        .instance_get_by_uuid(&id)
        .await
        .unwrap()
        .launched_at;
    set(json!({"task_state": null, "launched_at": null})).await;
    let refused = cloud.act(ALICE, &id, json!({"pause": null})).await;
    assert_eq!(
        conflict(&refused),
        format!("Cannot 'pause' instance {id} while it is in launched_at None")
    );
    let launched_at = launched_at
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string();
    set(json!({ "launched_at": launched_at })).await;
    let reset = cloud
        .act(
            "notused",
            &id,
            json!({"os-resetState": {"state": "active"}}),
        )
        .await;
    assert_eq!(reset.status, 202);
    cloud.wait_status(&id, "ACTIVE").await;

    // os-server-password: no metadata service, so nothing was ever posted
    let path = format!("/v2.1/servers/{id}/os-server-password");
    let password = cloud.as_user(ALICE, "2.53", "GET", &path, None).await;
    assert_eq!(password.body, json!({"password": ""}), "{password:?}");
    let cleared = cloud.as_user(ALICE, "2.53", "DELETE", &path, None).await;
    assert_eq!(cleared.status, 204, "{cleared:?}");
    let row = cloud.db.instance_get_by_uuid(&id).await.unwrap();
    assert_eq!(row.system_metadata_json().unwrap()["password_3"], "");

    let recorded = cloud.recorded_actions(&id).await;
    let names: Vec<&str> = recorded.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        names,
        [
            "create",
            "pause",
            "unpause",
            "suspend",
            "resume",
            "rescue",
            "unrescue",
            "rescue",
            "unrescue",
            "changePassword",
            "trigger_crash_dump",
            "resetState",
            "resetState",
        ]
    );
    let events = |action: usize| recorded[action].1.clone();
    let ok = |event: &str| vec![(event.to_owned(), "Success".to_owned())];
    assert_eq!(events(1), ok("compute_pause_instance"));
    assert_eq!(events(2), ok("compute_unpause_instance"));
    assert_eq!(events(3), ok("compute_suspend_instance"));
    assert_eq!(events(4), ok("compute_resume_instance"));
    assert_eq!(events(5), ok("compute_rescue_instance"));
    assert_eq!(events(6), ok("compute_unrescue_instance"));
    assert_eq!(events(9), ok("compute_set_admin_password"));
    assert_eq!(events(10), ok("compute_trigger_crash_dump"));
    assert!(events(11).is_empty(), "resetState records no event in Nova");
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn a_locked_server_refuses_everyone_but_an_admin() {
    let cloud = cloud().await;
    let id = cloud.alices_server("locked").await;

    assert_eq!(
        cloud.act(ALICE, &id, json!({"lock": null})).await.status,
        202
    );
    let shown = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(shown["server"]["locked"], true);
    let locked = format!("Instance {id} is locked");
    for body in [
        json!({"os-stop": null}),
        json!({"reboot": {"type": "HARD"}}),
        json!({"pause": null}),
        json!({"suspend": null}),
        json!({"rescue": null}),
        json!({"changePassword": {"adminPass": "x"}}),
        json!({"trigger_crash_dump": null}),
    ] {
        let refused = cloud.act(ALICE, &id, body.clone()).await;
        assert_eq!(conflict(&refused), locked, "{body}");
    }
    let delete = cloud
        .as_user(
            ALICE,
            "2.53",
            "DELETE",
            &format!("/v2.1/servers/{id}"),
            None,
        )
        .await;
    assert_eq!(conflict(&delete), locked);

    // An admin is not held by the lock.
    assert_eq!(
        cloud
            .act("notused", &id, json!({"pause": null}))
            .await
            .status,
        202
    );
    cloud.wait_status(&id, "PAUSED").await;
    assert_eq!(
        cloud
            .act("notused", &id, json!({"unpause": null}))
            .await
            .status,
        202
    );
    cloud.wait_status(&id, "ACTIVE").await;

    // The admin's lock (not the owner's) cannot be undone by the owner.
    assert_eq!(
        cloud
            .act("notused", &id, json!({"lock": null}))
            .await
            .status,
        202
    );
    let row = cloud.db.instance_get_by_uuid(&id).await.unwrap();
    assert_eq!(row.locked_by.as_deref(), Some("admin"));
    let unlock = cloud.act(ALICE, &id, json!({"unlock": null})).await;
    assert_eq!(unlock.status, 403, "{unlock:?}");
    assert_eq!(
        unlock.body["forbidden"]["message"],
        "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed."
    );
    assert_eq!(
        cloud
            .act("notused", &id, json!({"unlock": null}))
            .await
            .status,
        202
    );
    let shown = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(shown["server"]["locked"], false);
    assert_eq!(cloud.act(ALICE, &id, json!({"lock": {}})).await.status, 202);
    assert_eq!(
        cloud.act(ALICE, &id, json!({"unlock": null})).await.status,
        202
    );
    assert_eq!(
        cloud.act(ALICE, &id, json!({"os-stop": null})).await.status,
        202
    );
    cloud.wait_status(&id, "SHUTOFF").await;

    let recorded = cloud.recorded_actions(&id).await;
    let lock_actions: Vec<_> = recorded
        .iter()
        .filter(|(a, _)| a == "lock" || a == "unlock")
        .cloned()
        .collect();
    let event = |name: &str| vec![(name.to_owned(), "Success".to_owned())];
    assert_eq!(
        lock_actions,
        [
            ("lock".to_owned(), event("api_lock")),
            ("lock".to_owned(), event("api_lock")),
            ("unlock".to_owned(), event("api_unlock")),
            ("lock".to_owned(), event("api_lock")),
            ("unlock".to_owned(), event("api_unlock")),
        ]
    );
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn the_lock_reason_is_kept_and_shown_from_2_73() {
    let cloud = cloud().await;
    let id = cloud.alices_server("reason").await;
    let root = cloud.admin("GET", "/v2.1", None).await;
    let max = root.body["version"]["version"].as_str().unwrap().to_owned();
    let max_minor: u32 = max.trim_start_matches("2.").parse().unwrap();
    let action = format!("/v2.1/servers/{id}/action");
    if max_minor < 73 {
        // The lead's microversion work raises the maximum; until then 2.73 is refused.
        let refused = cloud
            .as_user(ALICE, "2.73", "POST", &action, Some(r#"{"lock": null}"#))
            .await;
        assert_eq!(refused.status, 406, "{refused:?}");
        // Before 2.73 a reason is ignored, as Nova's schema `'lock': {}` ignores it.
        let old = cloud
            .act(ALICE, &id, json!({"lock": {"locked_reason": "ignored"}}))
            .await;
        assert_eq!(old.status, 202);
        let row = cloud.db.instance_get_by_uuid(&id).await.unwrap();
        assert_eq!(row.locked_by.as_deref(), Some("owner"));
        assert!(row
            .system_metadata_json()
            .unwrap()
            .get("locked_reason")
            .is_none());
        cloud.node.shutdown().await.unwrap();
        return;
    }
    let lock = |body: Value| {
        let action = action.clone();
        let cloud = &cloud;
        async move {
            cloud
                .as_user(ALICE, "2.73", "POST", &action, Some(&body.to_string()))
                .await
        }
    };
    let too_long = lock(json!({"lock": {"locked_reason": "x".repeat(256)}})).await;
    assert!(bad_request(&too_long).contains("is too long"));
    let empty = lock(json!({"lock": {"locked_reason": ""}})).await;
    assert_eq!(empty.status, 400, "{empty:?}");
    let other = lock(json!({"lock": {"reason": "x"}})).await;
    assert_eq!(other.status, 400, "{other:?}");
    assert_eq!(
        lock(json!({"lock": {"locked_reason": "maintenance"}}))
            .await
            .status,
        202
    );
    let show = |version: &'static str| {
        let cloud = &cloud;
        let path = format!("/v2.1/servers/{id}");
        async move { cloud.as_user(ALICE, version, "GET", &path, None).await }
    };
    let shown = show("2.73").await;
    assert_eq!(shown.body["server"]["locked_reason"], "maintenance");
    assert_eq!(shown.body["server"]["locked"], true);
    assert!(show("2.72").await.body["server"]
        .get("locked_reason")
        .is_none());
    let unlocked = cloud
        .as_user(ALICE, "2.73", "POST", &action, Some(r#"{"unlock": null}"#))
        .await;
    assert_eq!(unlocked.status, 202);
    let shown = show("2.73").await;
    assert_eq!(shown.body["server"]["locked_reason"], Value::Null);
    cloud.node.shutdown().await.unwrap();
}
