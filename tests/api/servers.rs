//! `/v2.1/servers` over HTTP: create → ACTIVE → stop → start → reboot → delete → 404,
//! plus the 400s of bad bodies and the 409 of a refused action.

use crate::cloud::*;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

#[actix_rt::test]
async fn a_server_boots_stops_starts_reboots_and_is_deleted() {
    let cloud = cloud().await;
    let body = format!(
        r#"{{"server": {{"name": "vm1", "imageRef": "{CIRROS}", "flavorRef": "1", "networks": "none", "min_count": 1, "max_count": 1}}}}"#
    );
    let created = cloud.admin("POST", "/v2.1/servers", Some(&body)).await;
    assert_eq!(created.status, 202, "{created:?}");
    let id = created.body["server"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("{}/v2.1/servers/{id}", cloud.base))
    );
    assert_eq!(
        created.body["server"]["adminPass"].as_str().unwrap().len(),
        12
    );
    assert_eq!(
        created.body["server"]["security_groups"][0]["name"],
        "default"
    );

    let active = cloud.wait_status(&id, "ACTIVE").await;
    let s = &active["server"];
    assert_eq!(s["name"], "vm1");
    assert_eq!(s["tenant_id"], "admin");
    assert_eq!(s["OS-EXT-SRV-ATTR:host"], cloud.host.as_str());
    assert_eq!(s["hostId"].as_str().unwrap().len(), 56);
    assert_eq!(s["image"]["id"], CIRROS);
    assert_eq!(s["flavor"]["original_name"], "m1.tiny");
    assert_eq!(s["flavor"]["ram"], 512);
    assert_eq!(s["OS-EXT-STS:power_state"], 1);
    assert_eq!(s["host_status"], "UP");
    assert_eq!(s["locked"], false);
    assert!(s["OS-EXT-SRV-ATTR:instance_name"]
        .as_str()
        .unwrap()
        .starts_with("instance-"));

    let list = cloud.admin("GET", "/v2.1/servers", None).await;
    assert_eq!(list.body["servers"][0]["id"], id.as_str());
    let detail = cloud
        .admin("GET", "/v2.1/servers/detail?deleted=False&name=vm", None)
        .await;
    assert_eq!(detail.body["servers"][0]["status"], "ACTIVE");
    let other = cloud
        .send("GET", "/v2.1/servers", &[("X-Auth-Token", "bob:p2")], None)
        .await;
    assert_eq!(other.body["servers"].as_array().unwrap().len(), 0);
    let hidden = cloud
        .send(
            "GET",
            &format!("/v2.1/servers/{id}"),
            &[("X-Auth-Token", "bob:p2")],
            None,
        )
        .await;
    assert_eq!(hidden.status, 404);

    let action = format!("/v2.1/servers/{id}/action");
    assert_eq!(
        cloud
            .admin("POST", &action, Some(r#"{"os-stop": null}"#))
            .await
            .status,
        202
    );
    cloud.wait_status(&id, "SHUTOFF").await;
    let again = cloud
        .admin("POST", &action, Some(r#"{"os-stop": null}"#))
        .await;
    assert_eq!(again.status, 409);
    assert!(
        again.body["conflictingRequest"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Cannot 'stop' instance"),
        "{again:?}"
    );
    assert_eq!(
        cloud
            .admin("POST", &action, Some(r#"{"os-start": null}"#))
            .await
            .status,
        202
    );
    cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(
        cloud
            .admin("POST", &action, Some(r#"{"reboot": {"type": "soft"}}"#))
            .await
            .status,
        202
    );
    cloud.wait_status(&id, "ACTIVE").await;
    assert_eq!(
        cloud
            .admin("POST", &action, Some(r#"{"reboot": {"type": "HARD"}}"#))
            .await
            .status,
        202
    );
    cloud.wait_status(&id, "ACTIVE").await;

    let deleted = cloud
        .admin("DELETE", &format!("/v2.1/servers/{id}"), None)
        .await;
    assert_eq!(deleted.status, 204);
    let started = std::time::Instant::now();
    loop {
        let gone = cloud
            .admin("GET", &format!("/v2.1/servers/{id}"), None)
            .await;
        if gone.status == 404 {
            assert_eq!(
                gone.body["itemNotFound"]["message"],
                format!("Instance {id} could not be found.")
            );
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "never deleted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn bad_create_and_action_bodies_are_400s_a_person_can_act_on() {
    let cloud = cloud().await;
    let cases: &[(&str, &str)] = &[
        ("{not json", "Malformed request body"),
        (
            r#"{"server": {"name": "x", "flavorRef": "1", "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b"}}"#,
            "'networks' is a required property",
        ),
        (
            r#"{"server": {"flavorRef": "1", "networks": "none"}}"#,
            "'name' is a required property",
        ),
        (
            r#"{"server": {"name": "x", "flavorRef": "1", "networks": "none", "imageRef": "nope"}}"#,
            "Can not find requested image",
        ),
        (
            r#"{"server": {"name": "x", "flavorRef": "99", "networks": "none", "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b"}}"#,
            "Invalid flavorRef provided.",
        ),
        (
            r#"{"server": {"name": "x", "flavorRef": "1", "networks": "none", "imageRef": "70a599e0-31e7-49b7-b260-868f441e862b", "min_count": 3, "max_count": 2}}"#,
            "min_count must be <= max_count",
        ),
        (
            r#"{"server": {"name": "x", "flavorRef": "1", "networks": "none", "bogus": 1}}"#,
            "('bogus' was unexpected)",
        ),
    ];
    for (body, message) in cases {
        let reply = cloud.admin("POST", "/v2.1/servers", Some(body)).await;
        assert_eq!(reply.status, 400, "{body}: {reply:?}");
        let text = reply.body["badRequest"]["message"].as_str().unwrap();
        assert!(text.contains(message), "{body}: {text}");
    }
    let missing = cloud
        .admin(
            "POST",
            "/v2.1/servers/00000000-0000-0000-0000-000000000000/action",
            Some(r#"{"os-stop": null}"#),
        )
        .await;
    assert_eq!(missing.status, 404);
    let unknown = cloud
        .admin(
            "POST",
            "/v2.1/servers/x/action",
            Some(r#"{"addFloatingIp": null}"#),
        )
        .await;
    assert_eq!(unknown.status, 400);
    let reboot = cloud
        .admin(
            "POST",
            "/v2.1/servers/x/action",
            Some(r#"{"reboot": {"type": "WARM"}}"#),
        )
        .await;
    assert_eq!(reboot.status, 400);
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn a_create_field_novactor_cannot_honour_is_a_400_naming_it_and_the_rest_is_honoured() {
    let cloud = cloud().await;
    let with = |extra: &str| {
        format!(
            r#"{{"server": {{"name": "f", "imageRef": "{CIRROS}", "flavorRef": "1", "networks": "none"{extra}}}}}"#
        )
    };
    for (field, extra) in [
        (
            "security_groups",
            r#", "security_groups": [{"name": "web"}]"#,
        ),
        (
            "block_device_mapping_v2",
            r#", "block_device_mapping_v2": [{"boot_index": 0, "source_type": "volume", "destination_type": "volume", "uuid": "v1"}]"#,
        ),
        (
            "query",
            r#"}, "os:scheduler_hints": {"query": "[\">=\", \"$free_ram_mb\", 1024]""#,
        ),
    ] {
        let refused = cloud
            .admin("POST", "/v2.1/servers", Some(&with(extra)))
            .await;
        assert_eq!(refused.status, 400, "{field}: {refused:?}");
        let message = refused.body["badRequest"]["message"].as_str().unwrap_or("");
        assert!(
            message.contains(&format!("field/attribute {field}."))
                && message.contains("cannot honour"),
            "{field}: {message}"
        );
    }
    let listed = cloud.admin("GET", "/v2.1/servers", None).await;
    assert_eq!(
        listed.body["servers"],
        serde_json::json!([]),
        "no refused create left a server"
    );

    // What is honoured: metadata, user data, config drive (stored and shown as Nova shows
    // them), a supplied adminPass, the reservation id, "nothing asked" values.
    let supplied = with(
        r#", "adminPass": "s3cret-Pass", "metadata": {"role": "db"}, "user_data": "IyEvYmluL3NoCg==", "config_drive": true, "security_groups": [{"name": "default"}], "availability_zone": "nova", "tags": []"#,
    );
    let created = cloud.admin("POST", "/v2.1/servers", Some(&supplied)).await;
    assert_eq!(created.status, 202, "{created:?}");
    assert_eq!(created.body["server"]["adminPass"], "s3cret-Pass");
    let id = created.body["server"]["id"].as_str().unwrap().to_owned();
    let shown = cloud
        .admin("GET", &format!("/v2.1/servers/{id}"), None)
        .await;
    let server = &shown.body["server"];
    assert_eq!(
        server["metadata"],
        serde_json::json!({"role": "db"}),
        "{server}"
    );
    assert_eq!(server["config_drive"], "True");
    assert_eq!(server["OS-EXT-SRV-ATTR:user_data"], "IyEvYmluL3NoCg==");
    for (bad, status) in [
        (r#", "metadata": {"bad/key": "v"}"#, 400),
        (r#", "user_data": "not base64!""#, 400),
        (r#", "config_drive": "perhaps""#, 400),
    ] {
        let refused = cloud.admin("POST", "/v2.1/servers", Some(&with(bad))).await;
        assert_eq!(refused.status, status, "{bad}: {refused:?}");
    }
    let reserved = cloud
        .admin(
            "POST",
            "/v2.1/servers",
            Some(&with(r#", "return_reservation_id": true, "max_count": 2"#)),
        )
        .await;
    assert_eq!(reserved.status, 202, "{reserved:?}");
    let reservation = reserved.body["reservation_id"]
        .as_str()
        .expect("reservation_id")
        .to_owned();
    assert!(reservation.starts_with("r-"), "{reservation}");
    assert!(reserved.body.get("server").is_none(), "{:?}", reserved.body);
    let both = cloud
        .admin(
            "GET",
            &format!("/v2.1/servers?reservation_id={reservation}"),
            None,
        )
        .await;
    assert_eq!(
        both.body["servers"].as_array().map(Vec::len),
        Some(2),
        "{:?}",
        both.body
    );
    cloud.node.shutdown().await.unwrap();
}
