//! The lab network (`[lab_network]`, docs/DEVIATIONS.md D-LABNET) as a user meets it:
//! `networks` auto / none / the network's uuid / a `fixed_ip` give the addresses `server
//! show`, `servers/detail` and `/ips` show; a deleted server's address is free again; a
//! tiny pool runs out with Nova's error and leaves no server behind; concurrent creates
//! never share an address (SQLite, PostgreSQL, MariaDB); malformed `networks` are 400s.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::cloud::*;
use crate::common::{wait_until, Backend};
use crate::nova::fresh_nova_db;

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";
/// `[lab_network] uuid`'s default.
const LAB: &str = "3c5c6a4e-7d3b-4d8e-9f30-6b1f5a0c2e11";

fn body(name: &str, networks: Option<Value>, extra: Value) -> String {
    let mut server = json!({"name": name, "imageRef": CIRROS, "flavorRef": "1"});
    if let Some(networks) = networks {
        server["networks"] = networks;
    }
    if let (Some(server), Some(extra)) = (server.as_object_mut(), extra.as_object()) {
        server.extend(extra.clone());
    }
    json!({ "server": server }).to_string()
}

/// Creates a server (202 expected); its id.
async fn create(cloud: &Cloud, name: &str, networks: Option<Value>) -> String {
    let created = cloud
        .admin(
            "POST",
            "/v2.1/servers",
            Some(&body(name, networks, json!({}))),
        )
        .await;
    assert_eq!(created.status, 202, "{created:?}");
    created.body["server"]["id"].as_str().unwrap().to_owned()
}

async fn show(cloud: &Cloud, id: &str) -> Value {
    let shown = cloud
        .admin("GET", &format!("/v2.1/servers/{id}"), None)
        .await;
    assert_eq!(shown.status, 200, "{shown:?}");
    shown.body["server"].clone()
}

/// The 400's message.
fn bad_request(reply: &Reply) -> String {
    assert_eq!(reply.status, 400, "{reply:?}");
    reply.body["badRequest"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn server_count(cloud: &Cloud) -> usize {
    let list = cloud.admin("GET", "/v2.1/servers", None).await;
    list.body["servers"].as_array().map_or(0, Vec::len)
}

async fn delete_and_wait(cloud: &Cloud, id: &str) {
    let deleted = cloud
        .admin("DELETE", &format!("/v2.1/servers/{id}"), None)
        .await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    wait_until(
        Duration::from_secs(30),
        "the server to be gone",
        async || {
            cloud
                .admin("GET", &format!("/v2.1/servers/{id}"), None)
                .await
                .status
                == 404
        },
    )
    .await;
}

#[actix_rt::test]
async fn auto_none_uuid_and_fixed_ip_give_the_addresses_show_detail_and_ips_list() {
    let cloud = cloud().await;

    let auto = create(&cloud, "auto", Some(json!("auto"))).await;
    let server = cloud.wait_status(&auto, "ACTIVE").await["server"].clone();
    let private = server["addresses"]["private"].as_array().unwrap().clone();
    assert_eq!(private.len(), 2, "{server}");
    assert_eq!(private[0]["version"], 4);
    assert!(
        private[0]["addr"].as_str().unwrap().starts_with("10.0.0."),
        "{server}"
    );
    assert_eq!(private[1]["version"], 6);
    assert!(
        private[1]["addr"].as_str().unwrap().starts_with("fd00::"),
        "{server}"
    );
    let mac = private[0]["OS-EXT-IPS-MAC:mac_addr"].as_str().unwrap();
    assert!(mac.starts_with("fa:16:3e:"), "{mac}");
    for address in &private {
        assert_eq!(address["OS-EXT-IPS:type"], "fixed");
        assert_eq!(address["OS-EXT-IPS-MAC:mac_addr"], mac);
    }
    // The instance's info cache carries the port as Nova's NetworkInfo (what a Nova peer's
    // get_network_info() reads).
    let row = cloud.db.instance_get_by_uuid(&auto).await.unwrap();
    let primitive = novactor_nova::objects::instance::instance_primitive(&row);
    let cache = &primitive["nova_object.data"]["info_cache"]["nova_object.data"];
    let info: Value = serde_json::from_str(cache["network_info"].as_str().unwrap()).unwrap();
    assert_eq!(info[0]["address"], mac, "{info}");
    assert_eq!(info[0]["network"]["label"], "private");
    let cached: Vec<&Value> = info[0]["network"]["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|subnet| &subnet["ips"][0]["address"])
        .collect();
    assert_eq!(cached, [&private[0]["addr"], &private[1]["addr"]]);
    let plain: Vec<Value> = private
        .iter()
        .map(|a| json!({"version": a["version"], "addr": a["addr"]}))
        .collect();
    let ips = cloud
        .admin("GET", &format!("/v2.1/servers/{auto}/ips"), None)
        .await;
    assert_eq!(ips.status, 200, "{ips:?}");
    assert_eq!(ips.body, json!({"addresses": {"private": plain}}));
    let label = cloud
        .admin("GET", &format!("/v2.1/servers/{auto}/ips/private"), None)
        .await;
    assert_eq!(label.body, json!({ "private": plain }));
    let other = cloud
        .admin("GET", &format!("/v2.1/servers/{auto}/ips/public"), None)
        .await;
    assert_eq!(other.status, 404, "{other:?}");
    assert_eq!(
        other.body["itemNotFound"]["message"],
        "Instance is not a member of specified network"
    );
    let hidden = cloud
        .send(
            "GET",
            &format!("/v2.1/servers/{auto}/ips"),
            &[("X-Auth-Token", "bob:p2")],
            None,
        )
        .await;
    assert_eq!(hidden.status, 404, "another project's server is not found");

    let none = create(&cloud, "none", Some(json!("none"))).await;
    assert_eq!(show(&cloud, &none).await["addresses"], json!({}));
    let ips = cloud
        .admin("GET", &format!("/v2.1/servers/{none}/ips"), None)
        .await;
    assert_eq!(ips.body, json!({"addresses": {}}));

    let by_uuid = create(&cloud, "by-uuid", Some(json!([{ "uuid": LAB }]))).await;
    assert_eq!(
        show(&cloud, &by_uuid).await["addresses"]["private"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let fixed = create(
        &cloud,
        "fixed",
        Some(json!([{"uuid": LAB, "fixed_ip": "10.0.3.7"}])),
    )
    .await;
    let fixed_addresses = &show(&cloud, &fixed).await["addresses"]["private"];
    assert_eq!(fixed_addresses.as_array().map(Vec::len), Some(1));
    assert_eq!(fixed_addresses[0]["addr"], "10.0.3.7");
    // Nova's `ip` / `ip6` list filters match the ports' addresses by regular expression.
    let listed = |query: &'static str| {
        let cloud = &cloud;
        async move {
            let reply = cloud
                .admin("GET", &format!("/v2.1/servers?{query}"), None)
                .await;
            assert_eq!(reply.status, 200, "{query}: {reply:?}");
            reply.body["servers"]
                .as_array()
                .map(|all| {
                    all.iter()
                        .filter_map(|s| s["id"].as_str())
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    };
    assert_eq!(
        listed("ip=^10\\.0\\.3\\.7$").await,
        std::slice::from_ref(&fixed)
    );
    let by_uuid_v6 = show(&cloud, &by_uuid).await["addresses"]["private"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["version"] == 6))
        .and_then(|x| x["addr"].as_str())
        .map(str::to_owned)
        .expect("an IPv6 address");
    let v6 = cloud
        .admin("GET", &format!("/v2.1/servers?ip6={by_uuid_v6}"), None)
        .await;
    let v6_ids: Vec<&str> = v6.body["servers"]
        .as_array()
        .map(|all| all.iter().filter_map(|s| s["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(v6_ids, [by_uuid.as_str()]);
    assert!(listed("ip=^192\\.").await.is_empty());
    let taken = cloud
        .admin(
            "POST",
            "/v2.1/servers",
            Some(&body(
                "taken",
                Some(json!([{"uuid": LAB, "fixed_ip": "10.0.3.7"}])),
                json!({}),
            )),
        )
        .await;
    assert_eq!(bad_request(&taken), "Fixed IP 10.0.3.7 is already in use.");
    let outside = cloud
        .admin(
            "POST",
            "/v2.1/servers",
            Some(&body(
                "outside",
                Some(json!([{"uuid": LAB, "fixed_ip": "10.1.0.5"}])),
                json!({}),
            )),
        )
        .await;
    assert_eq!(
        bad_request(&outside),
        format!("Invalid input received: Fixed IP 10.1.0.5 is not a valid ip address for network {LAB}.")
    );
    let gateway = cloud
        .admin(
            "POST",
            "/v2.1/servers",
            Some(&body(
                "gateway",
                Some(json!([{"uuid": LAB, "fixed_ip": "10.0.0.1"}])),
                json!({}),
            )),
        )
        .await;
    assert!(bad_request(&gateway).contains("is not a valid ip address"));
    let two = cloud
        .admin(
            "POST",
            "/v2.1/servers",
            Some(&body(
                "two",
                Some(json!([{"uuid": LAB, "fixed_ip": "10.0.3.8"}])),
                json!({"max_count": 2}),
            )),
        )
        .await;
    assert!(
        bad_request(&two)
            .contains("max_count cannot be greater than 1 if an fixed_ip is specified"),
        "{two:?}"
    );

    // Before 2.37 `networks` may be left out: the server gets the lab network.
    let legacy = cloud
        .send(
            "POST",
            "/v2.1/servers",
            &[("X-Auth-Token", "notused")],
            Some(&body("legacy", None, json!({}))),
        )
        .await;
    assert_eq!(legacy.status, 202, "{legacy:?}");
    let legacy = legacy.body["server"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        show(&cloud, &legacy).await["addresses"]["private"][0]["version"],
        4
    );

    // The detail list shows each server's own addresses, as show does.
    let detail = cloud.admin("GET", "/v2.1/servers/detail", None).await;
    let servers = detail.body["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 5);
    for listed in servers {
        let id = listed["id"].as_str().unwrap();
        assert_eq!(
            listed["addresses"],
            show(&cloud, id).await["addresses"],
            "{id}"
        );
    }
    let v4: HashSet<&str> = servers
        .iter()
        .filter_map(|s| s["addresses"]["private"][0]["addr"].as_str())
        .collect();
    assert_eq!(
        v4.len(),
        4,
        "four servers with addresses, all different: {v4:?}"
    );
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn a_tiny_pool_runs_out_with_novas_error_and_a_deleted_servers_address_is_used_again() {
    // 192.168.50.0/29: .1 is the gateway, .7 the broadcast: five addresses.
    let cloud = cloud_with(&[
        ("lab_network", "ipv4_cidr", "192.168.50.0/29"),
        ("lab_network", "ipv6_cidr", ""),
    ])
    .await;
    let four = cloud
        .admin(
            "POST",
            "/v2.1/servers",
            Some(&body("pool", Some(json!("auto")), json!({"max_count": 4}))),
        )
        .await;
    assert_eq!(four.status, 202, "{four:?}");
    let last = create(&cloud, "last", Some(json!("auto"))).await;
    let detail = cloud.admin("GET", "/v2.1/servers/detail", None).await;
    let taken: HashSet<String> = detail.body["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let private = s["addresses"]["private"].as_array().unwrap();
            assert_eq!(private.len(), 1, "IPv4 only: {s}");
            private[0]["addr"].as_str().unwrap().to_owned()
        })
        .collect();
    let pool: HashSet<String> = (2..=6).map(|h| format!("192.168.50.{h}")).collect();
    assert_eq!(taken, pool);

    let refused = format!("No fixed IP addresses available for network: {LAB}");
    let full = cloud
        .admin(
            "POST",
            "/v2.1/servers",
            Some(&body("full", Some(json!("auto")), json!({}))),
        )
        .await;
    assert_eq!(bad_request(&full), refused);
    assert_eq!(
        server_count(&cloud).await,
        5,
        "the refused create left no server"
    );

    // Deleted through its compute (terminate, then the conductor's destroy): free again.
    cloud.wait_status(&last, "ACTIVE").await;
    let freed = show(&cloud, &last).await["addresses"]["private"][0]["addr"]
        .as_str()
        .unwrap()
        .to_owned();
    delete_and_wait(&cloud, &last).await;
    let again = create(&cloud, "again", Some(json!("auto"))).await;
    assert_eq!(
        show(&cloud, &again).await["addresses"]["private"][0]["addr"],
        freed.as_str()
    );

    // Two asked, one address left after a delete: neither server stays.
    delete_and_wait(&cloud, &again).await;
    let pair = cloud
        .admin(
            "POST",
            "/v2.1/servers",
            Some(&body("pair", Some(json!("auto")), json!({"max_count": 2}))),
        )
        .await;
    assert_eq!(bad_request(&pair), refused);
    assert_eq!(server_count(&cloud).await, 4);
    let fixed = create(
        &cloud,
        "fixed",
        Some(json!([{"uuid": LAB, "fixed_ip": freed}])),
    )
    .await;
    assert_eq!(
        show(&cloud, &fixed).await["addresses"]["private"][0]["addr"],
        freed.as_str()
    );
    cloud.node.shutdown().await.unwrap();
}

/// 24 creates at once on a pool of 29 addresses: each server its own IPv4, IPv6 and MAC.
async fn concurrent_creates_never_share_an_address(cloud: &Cloud) {
    let creates = (0..24).map(|n| {
        let body = body(&format!("c{n}"), Some(json!("auto")), json!({}));
        async move { cloud.admin("POST", "/v2.1/servers", Some(&body)).await }
    });
    for reply in futures::future::join_all(creates).await {
        assert_eq!(reply.status, 202, "{reply:?}");
    }
    let detail = cloud.admin("GET", "/v2.1/servers/detail", None).await;
    let servers = detail.body["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 24);
    let (mut v4, mut v6, mut macs) = (HashSet::new(), HashSet::new(), HashSet::new());
    for server in servers {
        let private = server["addresses"]["private"].as_array().unwrap();
        assert_eq!(private.len(), 2, "{server}");
        v4.insert(private[0]["addr"].as_str().unwrap().to_owned());
        v6.insert(private[1]["addr"].as_str().unwrap().to_owned());
        macs.insert(
            private[0]["OS-EXT-IPS-MAC:mac_addr"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(
        (v4.len(), v6.len(), macs.len()),
        (24, 24, 24),
        "{v4:?} {v6:?}"
    );
    assert!(v4.iter().all(|a| a.starts_with("10.9.0.")), "{v4:?}");
}

const SMALL_POOL: &[(&str, &str, &str)] = &[
    ("lab_network", "ipv4_cidr", "10.9.0.0/27"),
    ("lab_network", "ipv6_cidr", "fd09::/120"),
];

#[actix_rt::test]
async fn concurrent_creates_never_share_an_address_on_sqlite() {
    let cloud = cloud_with(SMALL_POOL).await;
    concurrent_creates_never_share_an_address(&cloud).await;
    cloud.node.shutdown().await.unwrap();
}

async fn on_server(backend: Backend) {
    let fresh = fresh_nova_db(backend, "novactor_labnet").await;
    let mut options = SMALL_POOL.to_vec();
    options.push(("database", "connection", fresh.url.as_str()));
    let cloud = cloud_with(&options).await;
    concurrent_creates_never_share_an_address(&cloud).await;
    cloud.node.shutdown().await.unwrap();
}

#[actix_rt::test]
async fn concurrent_creates_never_share_an_address_on_postgresql() {
    on_server(Backend::Postgres).await;
}

#[actix_rt::test]
async fn concurrent_creates_never_share_an_address_on_mariadb() {
    on_server(Backend::MySql).await;
}

#[actix_rt::test]
async fn malformed_networks_are_400s_naming_the_problem_and_create_nothing() {
    let cloud = cloud().await;
    let other = "0b5e7c21-9a2f-4bb1-9b9d-35c4a7a3d8f0";
    let cases: Vec<(&str, Option<Value>, String)> = vec![
        ("2.53", None, "'networks' is a required property".into()),
        (
            "2.53",
            Some(json!("everything")),
            "field/attribute networks".into(),
        ),
        ("2.53", Some(json!(null)), "field/attribute networks".into()),
        ("2.53", Some(json!([5])), "field/attribute networks".into()),
        ("2.1", Some(json!([5])), "5 is not of type 'object'".into()),
        (
            "2.53",
            Some(json!([{}])),
            "Bad network format: missing 'uuid'".into(),
        ),
        (
            "2.53",
            Some(json!([{"uuid": 7}])),
            "field/attribute uuid".into(),
        ),
        (
            "2.53",
            Some(json!([{"uuid": "nope"}])),
            "'nope' is not a 'uuid'".into(),
        ),
        (
            "2.1",
            Some(json!([{"uuid": "nope"}])),
            "Bad networks format: network uuid is not in proper format (nope)".into(),
        ),
        (
            "2.53",
            Some(json!([{ "uuid": other }])),
            format!("Network {other} could not be found."),
        ),
        (
            "2.53",
            Some(json!([{"port": other}])),
            "field/attribute port".into(),
        ),
        (
            "2.53",
            Some(json!([{"uuid": LAB, "tag": "nic1"}])),
            "field/attribute tag".into(),
        ),
        (
            "2.1",
            Some(json!([{"uuid": LAB, "tag": "nic1"}])),
            "('tag' was unexpected)".into(),
        ),
        (
            "2.53",
            Some(json!([{"uuid": LAB, "bogus": 1}])),
            "('bogus' was unexpected)".into(),
        ),
        (
            "2.53",
            Some(json!([{"uuid": LAB, "fixed_ip": "ten"}])),
            "field/attribute fixed_ip".into(),
        ),
        (
            "2.53",
            Some(json!([{"uuid": LAB, "fixed_ip": 10}])),
            "field/attribute fixed_ip".into(),
        ),
        (
            "2.53",
            Some(json!([{"uuid": LAB}, {"uuid": LAB}])),
            "list it once".into(),
        ),
    ];
    for (version, networks, expected) in cases {
        let reply = cloud
            .send(
                "POST",
                "/v2.1/servers",
                &[
                    ("X-Auth-Token", "notused"),
                    ("OpenStack-API-Version", &format!("compute {version}")),
                ],
                Some(&body("bad", networks.clone(), json!({}))),
            )
            .await;
        let message = bad_request(&reply);
        assert!(
            message.contains(&expected),
            "{networks:?} at {version}: {message}"
        );
    }
    assert_eq!(server_count(&cloud).await, 0);
    cloud.node.shutdown().await.unwrap();
}
