//! `/v2.1/os-server-groups` and the scheduler hints of a create, on a cloud of two fake
//! compute hosts: the group's shape at 2.1, 2.13 and 2.64, its quota and policy checks;
//! affinity keeps a group on one host, anti-affinity spreads it and a third member finds no
//! host; `same_host` / `different_host` against the host the RAM weigher would pick; the
//! hints novactor cannot honour refused naming the hint.

use serde_json::{json, Value};

use crate::cloud::*;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

async fn two_hosts() -> Cloud {
    cloud_with(&[("compute", "fake_hosts", "2")]).await
}

async fn at(cloud: &Cloud, version: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
    let header = format!("compute {version}");
    let text = body.map(|b| b.to_string());
    cloud
        .send(
            method,
            path,
            &[
                ("X-Auth-Token", "admin:admin"),
                ("OpenStack-API-Version", header.as_str()),
            ],
            text.as_deref(),
        )
        .await
}

async fn new_group(cloud: &Cloud, policy: &str, rules: Value) -> String {
    let reply = at(
        cloud,
        "2.64",
        "POST",
        "/v2.1/os-server-groups",
        Some(json!({"server_group": {"name": format!("g-{policy}"), "policy": policy, "rules": rules}})),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["server_group"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// Boot `count` servers with `hints`; their ids.
async fn boot(cloud: &Cloud, name: &str, count: u32, hints: Value) -> Vec<String> {
    let body = json!({"server": {"name": name, "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none", "min_count": count, "max_count": count},
        "os:scheduler_hints": hints});
    let reply = at(cloud, "2.53", "POST", "/v2.1/servers", Some(body)).await;
    assert_eq!(reply.status, 202, "{reply:?}");
    if count == 1 {
        return vec![reply.body["server"]["id"].as_str().unwrap().to_owned()];
    }
    let listed = at(
        cloud,
        "2.53",
        "GET",
        &format!("/v2.1/servers/detail?name=^{name}-"),
        None,
    )
    .await;
    let mut ids: Vec<String> = listed.body["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids.len(), count as usize, "{listed:?}");
    ids
}

/// The host of an ACTIVE server.
async fn host_of(cloud: &Cloud, id: &str) -> String {
    let server = cloud.wait_status(id, "ACTIVE").await;
    server["server"]["OS-EXT-SRV-ATTR:host"]
        .as_str()
        .expect("a host")
        .to_owned()
}

#[actix_rt::test]
async fn server_groups_are_created_listed_shown_and_deleted_at_each_version_shape() {
    let cloud = cloud().await;
    let old = at(
        &cloud,
        "2.1",
        "POST",
        "/v2.1/os-server-groups",
        Some(json!({"server_group": {"name": "web", "policies": ["anti-affinity"]}})),
    )
    .await;
    assert_eq!(old.status, 200, "{old:?}");
    let id = old.body["server_group"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        old.body,
        json!({"server_group": {"id": id, "name": "web", "policies": ["anti-affinity"],
            "metadata": {}, "members": []}})
    );
    let v213 = at(
        &cloud,
        "2.13",
        "GET",
        &format!("/v2.1/os-server-groups/{id}"),
        None,
    )
    .await;
    assert_eq!(v213.body["server_group"]["project_id"], "admin");
    assert_eq!(v213.body["server_group"]["user_id"], "admin");
    assert_eq!(
        v213.body["server_group"]["policies"],
        json!(["anti-affinity"])
    );
    let v264 = at(
        &cloud,
        "2.64",
        "GET",
        &format!("/v2.1/os-server-groups/{id}"),
        None,
    )
    .await;
    assert_eq!(
        v264.body["server_group"],
        json!({"id": id, "name": "web", "policy": "anti-affinity", "rules": {},
            "members": [], "project_id": "admin", "user_id": "admin"})
    );
    let ruled = at(
        &cloud,
        "2.64",
        "POST",
        "/v2.1/os-server-groups",
        Some(
            json!({"server_group": {"name": "db", "policy": "anti-affinity",
            "rules": {"max_server_per_host": 3}}}),
        ),
    )
    .await;
    assert_eq!(
        ruled.body["server_group"]["rules"],
        json!({"max_server_per_host": 3})
    );

    // Nova's refusals: policies before 2.64 only, soft policies from 2.15, rules only for
    // anti-affinity, the group quota of 10.
    for (version, body, text) in [
        (
            "2.64",
            json!({"server_group": {"name": "x", "policies": ["affinity"]}}),
            "Additional properties",
        ),
        (
            "2.1",
            json!({"server_group": {"name": "x", "policies": ["soft-affinity"]}}),
            "is not one of",
        ),
        (
            "2.64",
            json!({"server_group": {"name": "x", "policy": "affinity", "rules": {"max_server_per_host": 2}}}),
            "Only anti-affinity policy supports rules.",
        ),
        (
            "2.64",
            json!({"server_group": {"name": "x", "policy": "anti-affinity", "rules": {"max_server_per_host": 0}}}),
            "max_server_per_host",
        ),
        (
            "2.1",
            json!({"server_group": {"policies": ["affinity"]}}),
            "'name' is a required property",
        ),
    ] {
        let refused = at(
            &cloud,
            version,
            "POST",
            "/v2.1/os-server-groups",
            Some(body),
        )
        .await;
        assert_eq!(refused.status, 400, "{refused:?}");
        assert!(
            refused.body["badRequest"]["message"]
                .as_str()
                .unwrap()
                .contains(text),
            "{refused:?}"
        );
    }
    let soft = at(
        &cloud,
        "2.15",
        "POST",
        "/v2.1/os-server-groups",
        Some(json!({"server_group": {"name": "s", "policies": ["soft-affinity"]}})),
    )
    .await;
    assert_eq!(soft.status, 200, "{soft:?}");
    for n in 3..10 {
        new_group(
            &cloud,
            if n % 2 == 0 {
                "affinity"
            } else {
                "anti-affinity"
            },
            json!({}),
        )
        .await;
    }
    let over = at(
        &cloud,
        "2.64",
        "POST",
        "/v2.1/os-server-groups",
        Some(json!({"server_group": {"name": "eleven", "policy": "affinity"}})),
    )
    .await;
    assert_eq!(over.status, 403, "{over:?}");
    assert_eq!(
        over.body["forbidden"]["message"],
        "Quota exceeded, too many server groups."
    );

    // The list: own project (another project sees none), limit/offset, all_projects for admins.
    let list = at(
        &cloud,
        "2.64",
        "GET",
        "/v2.1/os-server-groups?limit=2&offset=1",
        None,
    )
    .await;
    let page = list.body["server_groups"].as_array().unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["id"], ruled.body["server_group"]["id"]);
    let other = cloud
        .send(
            "GET",
            "/v2.1/os-server-groups",
            &[
                ("X-Auth-Token", "bob:p2"),
                ("OpenStack-API-Version", "compute 2.64"),
            ],
            None,
        )
        .await;
    assert_eq!(other.body["server_groups"], json!([]));
    let hidden = cloud
        .send(
            "GET",
            &format!("/v2.1/os-server-groups/{id}"),
            &[("X-Auth-Token", "bob:p2")],
            None,
        )
        .await;
    assert_eq!(hidden.status, 403, "{hidden:?}");
    let all = cloud
        .send(
            "GET",
            "/v2.1/os-server-groups?all_projects=True",
            &[
                ("X-Auth-Token", "admin:p2"),
                ("OpenStack-API-Version", "compute 2.64"),
            ],
            None,
        )
        .await;
    assert_eq!(
        all.body["server_groups"].as_array().map(Vec::len),
        Some(10),
        "{all:?}"
    );
    let bad = at(
        &cloud,
        "2.75",
        "GET",
        "/v2.1/os-server-groups?color=red",
        None,
    )
    .await;
    assert_eq!(bad.status, 400);

    // The member quota (10 of a user's servers per group): a create of 11 is refused whole.
    let body = json!({"server": {"name": "crowd", "imageRef": CIRROS, "flavorRef": "1",
        "networks": "none", "min_count": 11, "max_count": 11},
        "os:scheduler_hints": {"group": id}});
    let crowd = at(&cloud, "2.53", "POST", "/v2.1/servers", Some(body)).await;
    assert_eq!(crowd.status, 403, "{crowd:?}");
    assert_eq!(
        crowd.body["forbidden"]["message"],
        "Quota exceeded, too many servers in group"
    );
    let servers = at(&cloud, "2.53", "GET", "/v2.1/servers", None).await;
    assert_eq!(
        servers.body["servers"],
        json!([]),
        "no server of it remains"
    );
    let group = at(
        &cloud,
        "2.64",
        "GET",
        &format!("/v2.1/os-server-groups/{id}"),
        None,
    )
    .await;
    assert_eq!(group.body["server_group"]["members"], json!([]));

    assert_eq!(
        at(
            &cloud,
            "2.64",
            "DELETE",
            &format!("/v2.1/os-server-groups/{id}"),
            None
        )
        .await
        .status,
        204
    );
    let gone = at(
        &cloud,
        "2.64",
        "GET",
        &format!("/v2.1/os-server-groups/{id}"),
        None,
    )
    .await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.body["itemNotFound"]["message"],
        format!("Instance group {id} could not be found.")
    );
    assert_eq!(
        at(
            &cloud,
            "2.64",
            "DELETE",
            &format!("/v2.1/os-server-groups/{id}"),
            None
        )
        .await
        .status,
        404
    );
}

#[actix_rt::test]
async fn affinity_keeps_a_group_on_one_host_and_anti_affinity_spreads_it() {
    let cloud = two_hosts().await;
    let affinity = new_group(&cloud, "affinity", json!({})).await;
    let first = boot(&cloud, "aff-a", 1, json!({"group": affinity})).await;
    let first_host = host_of(&cloud, &first[0]).await;
    // The RAM weigher now prefers the other host: only the filter keeps the group together.
    let second = boot(&cloud, "aff-b", 1, json!({"group": affinity})).await;
    assert_eq!(host_of(&cloud, &second[0]).await, first_host);
    let pair = boot(&cloud, "aff-multi", 2, json!({"group": affinity})).await;
    for id in &pair {
        assert_eq!(host_of(&cloud, id).await, first_host);
    }
    let group = at(
        &cloud,
        "2.64",
        "GET",
        &format!("/v2.1/os-server-groups/{affinity}"),
        None,
    )
    .await;
    assert_eq!(
        group.body["server_group"]["members"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    let shown = at(
        &cloud,
        "2.71",
        "GET",
        &format!("/v2.1/servers/{}", first[0]),
        None,
    )
    .await;
    assert_eq!(shown.body["server"]["server_groups"], json!([affinity]));
    let hints = at(
        &cloud,
        "2.100",
        "GET",
        &format!("/v2.1/servers/{}", first[0]),
        None,
    )
    .await;
    assert_eq!(
        hints.body["server"]["scheduler_hints"],
        json!({"group": [affinity]})
    );

    let anti = new_group(&cloud, "anti-affinity", json!({})).await;
    let spread = boot(&cloud, "anti", 2, json!({"group": anti})).await;
    let (h1, h2) = (
        host_of(&cloud, &spread[0]).await,
        host_of(&cloud, &spread[1]).await,
    );
    assert_ne!(h1, h2, "anti-affinity puts the two on two hosts");
    let third = boot(&cloud, "anti-third", 1, json!({"group": anti})).await;
    let failed = cloud.wait_status(&third[0], "ERROR").await;
    let failed_at_2100 = at(
        &cloud,
        "2.100",
        "GET",
        &format!("/v2.1/servers/{}", third[0]),
        None,
    )
    .await;
    assert_eq!(
        failed_at_2100.body["server"]["scheduler_hints"],
        json!({"group": [anti]}),
        "a server that found no host still shows what it asked"
    );
    assert_eq!(
        failed["server"]["fault"]["message"],
        "No valid host was found. There are not enough hosts available."
    );
    // A deleted member leaves the group's view; its place is free again.
    let reply = at(
        &cloud,
        "2.53",
        "DELETE",
        &format!("/v2.1/servers/{}", spread[0]),
        None,
    )
    .await;
    assert_eq!(reply.status, 204);
    wait_gone(&cloud, &spread[0]).await;
    let group = at(
        &cloud,
        "2.64",
        "GET",
        &format!("/v2.1/os-server-groups/{anti}"),
        None,
    )
    .await;
    let members = group.body["server_group"]["members"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!members.contains(&json!(spread[0])), "{members:?}");
    assert!(members.contains(&json!(spread[1])), "{members:?}");
    let fourth = boot(&cloud, "anti-fourth", 1, json!({"group": anti})).await;
    assert_eq!(host_of(&cloud, &fourth[0]).await, h1);

    // max_server_per_host 2: four members fit on two hosts, a fifth does not.
    let two_each = new_group(&cloud, "anti-affinity", json!({"max_server_per_host": 2})).await;
    let four = boot(&cloud, "two-each", 4, json!({"group": two_each})).await;
    let mut hosts = Vec::new();
    for id in &four {
        hosts.push(host_of(&cloud, id).await);
    }
    hosts.sort();
    assert_eq!(hosts[0], hosts[1]);
    assert_eq!(hosts[2], hosts[3]);
    assert_ne!(hosts[0], hosts[2]);
    let fifth = boot(&cloud, "two-each-5", 1, json!({"group": two_each})).await;
    cloud.wait_status(&fifth[0], "ERROR").await;

    let unknown = at(
        &cloud,
        "2.53",
        "POST",
        "/v2.1/servers",
        Some(json!({"server": {"name": "x",
        "imageRef": CIRROS, "flavorRef": "1", "networks": "none"}, "os:scheduler_hints": {"group": CIRROS}})),
    )
    .await;
    assert_eq!(unknown.status, 400, "{unknown:?}");
    assert_eq!(
        unknown.body["badRequest"]["message"],
        format!("Instance group {CIRROS} could not be found.")
    );
}

async fn wait_gone(cloud: &Cloud, id: &str) {
    crate::common::wait_until(
        std::time::Duration::from_secs(30),
        "the server to go",
        async || {
            at(cloud, "2.53", "GET", &format!("/v2.1/servers/{id}"), None)
                .await
                .status
                == 404
        },
    )
    .await;
}

#[actix_rt::test]
async fn same_host_and_different_host_place_against_the_weigher_and_other_hints_are_refused() {
    let cloud = two_hosts().await;
    let anchor = boot(&cloud, "anchor", 1, json!({})).await;
    let anchor_host = host_of(&cloud, &anchor[0]).await;
    let same = boot(&cloud, "same", 1, json!({"same_host": anchor[0]})).await;
    assert_eq!(
        host_of(&cloud, &same[0]).await,
        anchor_host,
        "same_host beats the RAM weigher"
    );
    let different = boot(
        &cloud,
        "different",
        1,
        json!({"different_host": [anchor[0]]}),
    )
    .await;
    assert_ne!(host_of(&cloud, &different[0]).await, anchor_host);
    let both = boot(
        &cloud,
        "both",
        1,
        json!({"same_host": [anchor[0]], "different_host": [anchor[0]]}),
    )
    .await;
    cloud.wait_status(&both[0], "ERROR").await;
    let shown = at(
        &cloud,
        "2.100",
        "GET",
        &format!("/v2.1/servers/{}", same[0]),
        None,
    )
    .await;
    assert_eq!(
        shown.body["server"]["scheduler_hints"],
        json!({"same_host": [anchor[0]]})
    );

    for (hints, named) in [
        (
            json!({"query": "[\">=\", \"$free_ram_mb\", 1024]"}),
            "query",
        ),
        (json!({"target_cell": "cell1"}), "target_cell"),
        (
            json!({"build_near_host_ip": "10.0.0.1"}),
            "build_near_host_ip",
        ),
        (json!({"cidr": "/24"}), "cidr"),
        (json!({"same_host": "not-a-uuid"}), "same_host"),
    ] {
        let body = json!({"server": {"name": "x", "imageRef": CIRROS, "flavorRef": "1"},
            "OS-SCH-HNT:scheduler_hints": hints});
        let refused = at(&cloud, "2.1", "POST", "/v2.1/servers", Some(body)).await;
        assert_eq!(refused.status, 400, "{refused:?}");
        let message = refused.body["badRequest"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("field/attribute {named}.")),
            "{message}"
        );
        assert!(
            !message.contains("OS-SCH-HNT"),
            "names the hint, not the object: {message}"
        );
    }
    let servers = at(&cloud, "2.53", "GET", "/v2.1/servers", None).await;
    assert_eq!(
        servers.body["servers"].as_array().map(Vec::len),
        Some(4),
        "no refused server was created"
    );
}
