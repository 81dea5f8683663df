//! The key pair and the host of a create: a server booted with `key_name` and rebuilt with
//! another key and with none (2.54); servers placed on a named host and node among three
//! fake hosts (2.74, admin only), forced onto one past the filters (`availability_zone`
//! `az:host[:node]`, admin only), and the refusals in Nova's words.

use serde_json::{json, Value};

use crate::cloud::*;
use crate::keypairs::{call, message, CIRROS, SSH_KEY};

async fn boot(cloud: &Cloud, version: &str, token: &str, name: &str, extra: Value) -> Reply {
    let mut server =
        json!({"name": name, "imageRef": CIRROS, "flavorRef": "1", "networks": "none"});
    if let (Some(server), Some(extra)) = (server.as_object_mut(), extra.as_object()) {
        server.extend(extra.clone());
    }
    call(
        cloud,
        token,
        version,
        "POST",
        "/v2.1/servers",
        Some(json!({ "server": server })),
    )
    .await
}

fn id_of(reply: &Reply) -> String {
    assert_eq!(reply.status, 202, "{reply:?}");
    reply.body["server"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

#[actix_rt::test]
async fn servers_boot_with_a_key_pair_are_rebuilt_with_another_and_land_on_the_named_host() {
    let cloud = cloud_with(&[("compute", "fake_hosts", "3")]).await;
    let admin = "admin:admin";
    for name in ["k1", "k2"] {
        let reply = call(
            &cloud,
            admin,
            "2.2",
            "POST",
            "/v2.1/os-keypairs",
            Some(json!({"keypair": {"name": name, "public_key": SSH_KEY}})),
        )
        .await;
        assert_eq!(reply.status, 201, "{reply:?}");
    }

    // key_name: the server shows it, the instance keeps the public key and the KeyPairList.
    let id = id_of(&boot(&cloud, "2.53", admin, "keyed", json!({"key_name": "k1"})).await);
    let shown = cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(shown["server"]["key_name"], "k1");
    let row = cloud.db.instance_get_by_uuid(&id).await.expect("the row");
    assert_eq!(row.key_data.as_deref(), Some(SSH_KEY));
    assert!(
        row.keypairs
            .as_deref()
            .unwrap_or_default()
            .contains("\"k1\""),
        "{row:?}"
    );
    let unknown = boot(&cloud, "2.53", admin, "x", json!({"key_name": "nope"})).await;
    assert_eq!(
        (unknown.status, message(&unknown).as_str()),
        (400, "Invalid key_name provided.")
    );
    // Key pairs are the user's: bob has no k1.
    let not_bobs = boot(&cloud, "2.53", "bob:p2", "x", json!({"key_name": "k1"})).await;
    assert_eq!(
        (not_bobs.status, message(&not_bobs).as_str()),
        (400, "Invalid key_name provided.")
    );

    // Rebuild (2.54): another key, then none.
    let path = format!("/v2.1/servers/{id}/action");
    let rebuilt = call(
        &cloud,
        admin,
        "2.54",
        "POST",
        &path,
        Some(json!({"rebuild": {"imageRef": CIRROS, "key_name": "k2"}})),
    )
    .await;
    assert_eq!(rebuilt.status, 202, "{rebuilt:?}");
    assert_eq!(rebuilt.body["server"]["key_name"], "k2");
    assert_eq!(
        cloud.wait_status(&id, "ACTIVE").await["server"]["key_name"],
        "k2"
    );
    let unknown = call(
        &cloud,
        admin,
        "2.54",
        "POST",
        &path,
        Some(json!({"rebuild": {"imageRef": CIRROS, "key_name": "nope"}})),
    )
    .await;
    assert_eq!(
        (unknown.status, message(&unknown).as_str()),
        (400, "Invalid key_name provided.")
    );
    let unset = call(
        &cloud,
        admin,
        "2.54",
        "POST",
        &path,
        Some(json!({"rebuild": {"imageRef": CIRROS, "key_name": null}})),
    )
    .await;
    assert_eq!(unset.status, 202, "{unset:?}");
    assert_eq!(
        cloud.wait_status(&id, "ACTIVE").await["server"]["key_name"],
        Value::Null
    );
    let row = cloud.db.instance_get_by_uuid(&id).await.expect("the row");
    assert_eq!((row.key_data, row.keypairs), (None, None));
    let before_2_54 = call(
        &cloud,
        admin,
        "2.53",
        "POST",
        &path,
        Some(json!({"rebuild": {"imageRef": CIRROS, "key_name": "k1"}})),
    )
    .await;
    assert_eq!(before_2_54.status, 400, "{before_2_54:?}");

    // 2.74: host, node, or both pin the server; whatever the weighers would pick.
    let last = cloud.computes[2].clone();
    let middle = cloud.computes[1].clone();
    for (pin, expected) in [
        (json!({"host": last}), &last),
        (json!({"hypervisor_hostname": middle}), &middle),
        (json!({"host": last, "hypervisor_hostname": last}), &last),
    ] {
        let id = id_of(&boot(&cloud, "2.74", admin, "pinned", pin.clone()).await);
        let shown = cloud.wait_status(&id, "ACTIVE").await;
        assert_eq!(
            shown["server"]["OS-EXT-SRV-ATTR:host"],
            json!(expected),
            "{pin}"
        );
        // As Nova, the kept request spec does not pin the server's later moves.
        let kept = cloud
            .db
            .request_spec_get_by_instance_uuid(&id)
            .await
            .expect("a spec");
        let kept = kept.spec_json().expect("JSON");
        assert!(
            kept["nova_object.data"]
                .get("requested_destination")
                .is_none(),
            "{kept}"
        );
    }
    let no_host = boot(&cloud, "2.74", admin, "x", json!({"host": "nowhere"})).await;
    assert_eq!(
        (no_host.status, message(&no_host).as_str()),
        (400, "Compute host nowhere could not be found.")
    );
    let no_node = boot(
        &cloud,
        "2.74",
        admin,
        "x",
        json!({"host": last, "hypervisor_hostname": middle}),
    )
    .await;
    assert_eq!(no_node.status, 400, "{no_node:?}");
    assert_eq!(
        message(&no_node),
        format!("Compute host {last} could not be found.")
    );
    let only_node = boot(
        &cloud,
        "2.74",
        admin,
        "x",
        json!({"hypervisor_hostname": "nonode"}),
    )
    .await;
    assert_eq!(
        (only_node.status, message(&only_node).as_str()),
        (400, "Compute host nonode could not be found.")
    );
    let not_admin = boot(&cloud, "2.74", "bob:p2", "x", json!({"host": last})).await;
    assert_eq!(not_admin.status, 403, "{not_admin:?}");
    assert_eq!(
        message(&not_admin),
        "Policy doesn't allow compute:servers:create:requested_destination to be performed."
    );
    let before_2_74 = boot(&cloud, "2.73", admin, "x", json!({"host": last})).await;
    assert_eq!(before_2_74.status, 400, "{before_2_74:?}");
    let bad_name = boot(&cloud, "2.74", admin, "x", json!({"host": "a b"})).await;
    assert_eq!(bad_name.status, 400, "{bad_name:?}");
}

#[actix_rt::test]
async fn an_admin_forces_a_host_through_the_availability_zone_past_the_filters() {
    let cloud = cloud_with(&[("compute", "fake_hosts", "3")]).await;
    let admin = "admin:admin";
    let last = cloud.computes[2].clone();
    let middle = cloud.computes[1].clone();
    let zone = |value: String| json!({ "availability_zone": value });
    let first = id_of(&boot(&cloud, "2.1", admin, "first", zone(format!("nova:{last}"))).await);
    let shown = cloud.wait_status(&first, "ACTIVE").await;
    assert_eq!(shown["server"]["OS-EXT-SRV-ATTR:host"], json!(last));
    assert_eq!(shown["server"]["OS-EXT-AZ:availability_zone"], "nova");
    // Nova keeps the forced host in the request spec (and resets it for every move).
    let kept = cloud
        .db
        .request_spec_get_by_instance_uuid(&first)
        .await
        .expect("a spec")
        .spec_json()
        .expect("JSON");
    assert_eq!(kept["nova_object.data"]["force_hosts"], json!([last]));

    // The filters are skipped: DifferentHostFilter would have refused the host.
    let body = json!({"server": {"name": "apart", "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none", "availability_zone": format!(":{last}")},
        "os:scheduler_hints": {"different_host": [first]}});
    let forced = call(&cloud, admin, "2.1", "POST", "/v2.1/servers", Some(body)).await;
    let forced = id_of(&forced);
    let shown = cloud.wait_status(&forced, "ACTIVE").await;
    assert_eq!(shown["server"]["OS-EXT-SRV-ATTR:host"], json!(last));

    // az::node, and a zone the forced host is not in (dropped, as Nova's bug #1934770 fix).
    for (value, expected) in [
        (format!("nova::{middle}"), &middle),
        (format!("elsewhere:{middle}:{middle}"), &middle),
    ] {
        let id = id_of(&boot(&cloud, "2.1", admin, "node", zone(value.clone())).await);
        let shown = cloud.wait_status(&id, "ACTIVE").await;
        assert_eq!(
            shown["server"]["OS-EXT-SRV-ATTR:host"],
            json!(expected),
            "{value}"
        );
    }

    // A forced host that does not exist: the scheduler finds none, the server is ERROR.
    let lost = id_of(&boot(&cloud, "2.1", admin, "lost", zone("nova:nowhere".into())).await);
    let shown = cloud.wait_status(&lost, "ERROR").await;
    let fault = shown["server"]["fault"]["message"].as_str().unwrap_or("");
    assert!(fault.starts_with("No valid host was found."), "{shown}");

    // A move is scheduled through the filters again: the forced host no longer pins it.
    let moved = call(
        &cloud,
        admin,
        "2.56",
        "POST",
        &format!("/v2.1/servers/{first}/action"),
        Some(json!({"migrate": null})),
    )
    .await;
    assert_eq!(moved.status, 202, "{moved:?}");
    let shown = cloud.wait_status(&first, "VERIFY_RESIZE").await;
    assert_ne!(shown["server"]["OS-EXT-SRV-ATTR:host"], json!(last));

    // Refusals, in Nova's words.
    let member = boot(&cloud, "2.1", "bob:p2", "x", zone(format!("nova:{last}"))).await;
    assert_eq!(
        (member.status, message(&member).as_str()),
        (
            403,
            "Policy doesn't allow os_compute_api:servers:create:forced_host to be performed."
        )
    );
    let unknown = boot(&cloud, "2.1", admin, "x", zone("elsewhere".into())).await;
    assert_eq!(
        (unknown.status, message(&unknown).as_str()),
        (400, "The requested availability zone is not available")
    );
    let unparsable = boot(&cloud, "2.1", admin, "x", zone("a:b:c:d".into())).await;
    assert_eq!(
        (unparsable.status, message(&unparsable).as_str()),
        (
            400,
            "Invalid input received: Unable to parse availability_zone"
        )
    );
    cloud.node.shutdown().await.expect("shutdown");
}
