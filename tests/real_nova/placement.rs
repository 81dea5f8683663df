//! The compute's placement client against a real placement 16.0.0: what an operator sees
//! in placement after a fake-driver host reports (Nova's inventory and traits), and the
//! client's behaviour under generation conflicts, a hundred hosts at once, an outage, and
//! the deletion of a server's allocations.

use std::collections::BTreeSet;
use std::time::Instant;

use novactor_nova::conf::NovaConfig;
use novactor_nova::placement::{
    allocation_ratio, compute_node_inventory, compute_node_traits, Ensured, Inventories,
    NodeRatios, NodeReserved, NodeSize, PlacementError, ReportClient, Update,
};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::captured_logs::CapturedLogs;
use crate::keystone_stub::KeystoneStub;
use crate::placement_server::RealPlacement;

/// A client configured as nova.conf would configure it, plus `extra` options.
fn client(placement: &RealPlacement, extra: &[(&'static str, &'static str, &str)]) -> ReportClient {
    let mut options = placement.options();
    options.extend(extra.iter().map(|(g, n, v)| (*g, *n, (*v).to_owned())));
    client_with(&options)
}

/// A client from nova.conf options `(group, name, value)`.
fn client_with(options: &[(&'static str, &'static str, String)]) -> ReportClient {
    let overrides: Vec<(&str, &str, &str)> = options
        .iter()
        .map(|(g, n, v)| (*g, *n, v.as_str()))
        .collect();
    let config = NovaConfig::with_overrides(&overrides).expect("nova.conf loads");
    ReportClient::from_config(&config)
        .expect("client builds")
        .expect("[placement] is configured")
}

/// Nova's inventory of a default fake-driver host (nova.conf defaults).
fn default_inventory() -> Inventories {
    compute_node_inventory(
        NodeSize {
            vcpus: 1000,
            memory_mb: 800_000,
            local_gb: 600_000,
        },
        NodeReserved {
            cpus: 0,
            memory_mb: 512,
            disk_mb: 0,
        },
        NodeRatios {
            cpu: allocation_ratio(None, 4.0, None),
            ram: allocation_ratio(None, 1.0, None),
            disk: allocation_ratio(None, 1.0, None),
        },
    )
}

/// `ensure` + `set_inventory` + `set_traits`, as the resource tracker runs them.
async fn report(client: &ReportClient, uuid: Uuid, name: &str) -> Result<(), PlacementError> {
    client.ensure_resource_provider(uuid, name).await?;
    client.set_inventory(uuid, &default_inventory()).await?;
    let current = client.provider_traits(uuid).unwrap_or_default();
    let traits = compute_node_traits(current.iter().map(String::as_str), false);
    client.set_traits(uuid, &traits).await?;
    Ok(())
}

fn trait_set(body: &Value) -> BTreeSet<String> {
    body["traits"]
        .as_array()
        .expect("traits")
        .iter()
        .map(|t| t.as_str().expect("trait").to_owned())
        .collect()
}

#[tokio::test]
async fn a_reported_host_shows_novas_inventory_and_traits_in_placement() {
    let placement = RealPlacement::start().await;
    let client = client(&placement, &[]);
    let uuid = Uuid::new_v4();
    report(&client, uuid, "fake-host-1")
        .await
        .expect("reported");

    let inventories = placement
        .get(&format!("/resource_providers/{uuid}/inventories"), "1.26")
        .await;
    // Exactly what nova-compute 34.0.0 with the fake driver PUT (captures/placement/
    // compute-startup.json); placement answers its own key order.
    assert_eq!(
        inventories["inventories"],
        json!({
            "VCPU": {"total": 1000, "reserved": 0, "min_unit": 1, "max_unit": 1000,
                     "step_size": 1, "allocation_ratio": 4.0},
            "MEMORY_MB": {"total": 800000, "reserved": 512, "min_unit": 1, "max_unit": 800000,
                          "step_size": 1, "allocation_ratio": 1.0},
            "DISK_GB": {"total": 600000, "reserved": 0, "min_unit": 1, "max_unit": 600000,
                        "step_size": 1, "allocation_ratio": 1.0}
        })
    );
    let traits = placement
        .get(&format!("/resource_providers/{uuid}/traits"), "1.6")
        .await;
    let expected: BTreeSet<String> = [
        "COMPUTE_ACCELERATORS",
        "COMPUTE_ADDRESS_SPACE_EMULATED",
        "COMPUTE_ADDRESS_SPACE_PASSTHROUGH",
        "COMPUTE_DEVICE_TAGGING",
        "COMPUTE_IMAGE_TYPE_RAW",
        "COMPUTE_MEM_BACKING_FILE",
        "COMPUTE_NET_ATTACH_INTERFACE",
        "COMPUTE_NET_ATTACH_INTERFACE_WITH_TAG",
        "COMPUTE_NODE",
        "COMPUTE_SECURITY_STATELESS_FIRMWARE",
        "COMPUTE_STORAGE_VIRTIO_FS",
        "COMPUTE_TRUSTED_CERTS",
        "COMPUTE_VOLUME_ATTACH_WITH_TAG",
        "COMPUTE_VOLUME_EXTEND",
        "COMPUTE_VOLUME_MULTI_ATTACH",
        "OWNER_NOVA",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(trait_set(&traits), expected);
    // Created at 0, inventory → 1, traits → 2: as in the recording.
    assert_eq!(traits["resource_provider_generation"], 2);

    // The scheduler finds it: the query nova-scheduler 34 sends for a 1-vCPU server.
    let candidates = placement
        .get(
            "/allocation_candidates?limit=1000&resources=DISK_GB:1,MEMORY_MB:512,VCPU:1\
             &root_required=OWNER_NOVA,!COMPUTE_STATUS_DISABLED",
            "1.36",
        )
        .await;
    assert_eq!(
        candidates["allocation_requests"].as_array().map(Vec::len),
        Some(1)
    );

    // A second periodic run with nothing changed sends nothing.
    let before = placement.stats().await["requests"].as_u64();
    report(&client, uuid, "fake-host-1")
        .await
        .expect("reported again");
    let after = placement.stats().await["requests"].as_u64();
    assert_eq!(after, before, "an unchanged host sends no request");
}

#[tokio::test]
async fn ensuring_a_provider_twice_or_from_two_clients_makes_one_provider() {
    let placement = RealPlacement::start().await;
    let first = client(&placement, &[]);
    let uuid = Uuid::new_v4();
    assert_eq!(
        first.ensure_resource_provider(uuid, "twice").await.unwrap(),
        Ensured::Created
    );
    assert_eq!(
        first.ensure_resource_provider(uuid, "twice").await.unwrap(),
        Ensured::Cached
    );
    // A restarted compute (empty cache) finds it and reads its associations.
    let second = client(&placement, &[]);
    assert_eq!(
        second
            .ensure_resource_provider(uuid, "twice")
            .await
            .unwrap(),
        Ensured::Refreshed
    );
    assert_eq!(second.provider_traits(uuid), Some(BTreeSet::new()));
    let named = placement
        .get("/resource_providers?name=twice", "1.14")
        .await;
    assert_eq!(
        named["resource_providers"].as_array().map(Vec::len),
        Some(1)
    );

    // Another uuid under the same name: a stale provider of a re-created host.
    let err = second
        .ensure_resource_provider(Uuid::new_v4(), "twice")
        .await
        .expect_err("name taken");
    assert!(matches!(err, PlacementError::NameConflict { .. }), "{err}");
}

#[tokio::test]
async fn updates_succeed_after_another_writer_bumps_the_generation() {
    let placement = RealPlacement::start().await;
    let client = client(&placement, &[]);
    let uuid = Uuid::new_v4();
    report(&client, uuid, "contended").await.expect("reported");

    // An operator changes the inventory behind the client's back.
    let path = format!("/resource_providers/{uuid}/inventories");
    let current = placement.get(&path, "1.26").await;
    let mut theirs = current.clone();
    theirs["inventories"]["VCPU"]["allocation_ratio"] = json!(16.0);
    let (status, _) = placement
        .call(Method::PUT, &path, "1.26", Some(theirs))
        .await;
    assert_eq!(status, 200);

    // The compute's next change is conditioned on the generation it cached: 409, re-read,
    // PUT again.
    let mut ours = default_inventory();
    ours.0.get_mut("VCPU").expect("VCPU").reserved = 2;
    assert_eq!(
        client
            .set_inventory(uuid, &ours)
            .await
            .expect("409 handled"),
        Update::Updated
    );
    let written = placement.get(&path, "1.26").await;
    assert_eq!(written["inventories"]["VCPU"]["reserved"], 2);
    assert_eq!(written["inventories"]["VCPU"]["allocation_ratio"], 4.0);

    // Same for traits: an operator's trait bumps the generation.
    let traits_path = format!("/resource_providers/{uuid}/traits");
    let (status, _) = placement
        .call(Method::PUT, "/traits/CUSTOM_RACK_7", "1.6", None)
        .await;
    assert_eq!(status, 201);
    let generation =
        placement.get(&traits_path, "1.6").await["resource_provider_generation"].clone();
    let body = json!({"resource_provider_generation": generation, "traits": ["CUSTOM_RACK_7"]});
    assert_eq!(
        placement
            .call(Method::PUT, &traits_path, "1.6", Some(body))
            .await
            .0,
        200
    );
    let wanted = compute_node_traits([], true);
    assert_eq!(
        client.set_traits(uuid, &wanted).await.expect("409 handled"),
        Update::Updated
    );
    let now = trait_set(&placement.get(&traits_path, "1.6").await);
    assert_eq!(now, wanted.into_iter().collect::<BTreeSet<_>>());
    assert!(now.contains("COMPUTE_STATUS_DISABLED"));
}

#[tokio::test]
async fn a_hundred_and_twenty_hosts_at_once_stay_within_the_concurrency_bound() {
    const HOSTS: usize = 120;
    const BOUND: u64 = 8;
    let placement = RealPlacement::start().await;
    let client = client(&placement, &[("placement", "max_concurrent_requests", "8")]);
    let before = placement.stats().await;
    let hosts: Vec<Uuid> = (0..HOSTS).map(|_| Uuid::new_v4()).collect();
    let names: Vec<String> = (0..HOSTS).map(|i| format!("host-{i}")).collect();
    let started = Instant::now();
    let results = futures::future::join_all(
        hosts
            .iter()
            .zip(&names)
            .map(|(uuid, name)| report(&client, *uuid, name)),
    )
    .await;
    let took = started.elapsed();
    for result in results {
        result.expect("every host reported");
    }
    let stats = placement.stats().await;
    let requests =
        stats["requests"].as_u64().unwrap_or(0) - before["requests"].as_u64().unwrap_or(0);
    eprintln!(
        "{HOSTS} hosts registered (ensure + inventory + traits) in {took:?}: {requests} placement \
         requests, at most {} at once (bound {BOUND}), {} connections at once",
        stats["max_concurrent_requests"], stats["max_concurrent_connections"]
    );
    let most = stats["max_concurrent_requests"].as_u64().expect("counter");
    assert!(
        most <= BOUND,
        "{most} requests at once with a bound of {BOUND}"
    );
    assert!(most > 1, "the hosts' requests never overlapped: {stats}");
    let all = placement.get("/resource_providers", "1.14").await;
    assert_eq!(
        all["resource_providers"].as_array().map(Vec::len),
        Some(HOSTS)
    );
    for uuid in hosts.iter().step_by(17) {
        let inventory = placement
            .get(&format!("/resource_providers/{uuid}/inventories"), "1.26")
            .await;
        assert_eq!(inventory["inventories"]["MEMORY_MB"]["reserved"], 512);
    }
}

#[tokio::test]
async fn a_placement_outage_fails_operations_and_is_logged_once_until_placement_is_back() {
    let (logs, _capture) = CapturedLogs::install();
    let mut placement = RealPlacement::start().await;
    let client = client(&placement, &[("placement", "timeout", "5")]);
    let uuid = Uuid::new_v4();
    report(&client, uuid, "weathered").await.expect("reported");

    placement.stop();
    let mut changed = default_inventory();
    changed.0.get_mut("MEMORY_MB").expect("RAM").reserved = 1024;
    for _ in 0..3 {
        let errors = [
            client
                .set_inventory(uuid, &changed)
                .await
                .expect_err("down"),
            client
                .ensure_resource_provider(Uuid::new_v4(), "new")
                .await
                .expect_err("down"),
            client
                .delete_allocation_for_instance(Uuid::new_v4())
                .await
                .expect_err("down"),
        ];
        for error in errors {
            assert!(error.is_outage(), "{error}");
        }
    }
    assert!(client.outage().is_some());
    let warnings = logs.at(tracing::Level::WARN);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("Placement API service is not responding"),
        "{warnings:?}"
    );

    placement.restart().await;
    assert_eq!(
        client.set_inventory(uuid, &changed).await.expect("back"),
        Update::Updated
    );
    assert_eq!(client.outage(), None);
    assert_eq!(logs.at(tracing::Level::WARN).len(), 1);
    let recovered: Vec<String> = logs
        .at(tracing::Level::INFO)
        .into_iter()
        .filter(|m| m.contains("responding again"))
        .collect();
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    let inventory = placement
        .get(&format!("/resource_providers/{uuid}/inventories"), "1.26")
        .await;
    assert_eq!(inventory["inventories"]["MEMORY_MB"]["reserved"], 1024);
}

#[tokio::test]
async fn deleting_an_instances_allocation_brings_usage_back_to_zero() {
    let placement = RealPlacement::start().await;
    let client = client(&placement, &[]);
    let uuid = Uuid::new_v4();
    report(&client, uuid, "busy").await.expect("reported");

    // The scheduler's claim, as nova-scheduler 34 PUTs it.
    let instance = Uuid::new_v4();
    let claim = json!({
        "allocations": {uuid.to_string(): {"resources": {"VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}}},
        "project_id": "admin", "user_id": "admin", "consumer_generation": null
    });
    let (status, body) = placement
        .call(
            Method::PUT,
            &format!("/allocations/{instance}"),
            "1.28",
            Some(claim),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let usages_path = format!("/resource_providers/{uuid}/usages");
    assert_eq!(
        placement.get(&usages_path, "1.1").await["usages"]["MEMORY_MB"],
        512
    );
    let held = client
        .get_allocations_for_consumer(instance)
        .await
        .expect("read");
    assert_eq!(held.allocations[&uuid.to_string()].resources["VCPU"], 1);
    assert_eq!(held.consumer_generation, Some(1));
    let on_host = client
        .get_allocations_for_resource_provider(uuid)
        .await
        .expect("read");
    assert!(on_host.allocations.contains_key(&instance.to_string()));

    assert!(client
        .delete_allocation_for_instance(instance)
        .await
        .expect("deleted"));
    assert_eq!(
        placement.get(&usages_path, "1.1").await["usages"],
        json!({"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0})
    );
    assert!(client
        .get_allocations_for_consumer(instance)
        .await
        .expect("read")
        .allocations
        .is_empty());
    assert!(!client
        .delete_allocation_for_instance(instance)
        .await
        .expect("none left"));
}

#[tokio::test]
async fn a_refresh_reads_what_an_operator_set_and_a_removed_host_leaves_nothing_behind() {
    let placement = RealPlacement::start().await;
    let client = client(
        &placement,
        &[("compute", "resource_provider_association_refresh", "0")],
    );
    let uuid = Uuid::new_v4();
    report(&client, uuid, "retiring").await.expect("reported");

    let aggregate = Uuid::new_v4().to_string();
    let generation = client.provider_generation(uuid).expect("cached");
    let body = json!({"resource_provider_generation": generation, "aggregates": [aggregate]});
    let path = format!("/resource_providers/{uuid}/aggregates");
    assert_eq!(
        placement
            .call(Method::PUT, &path, "1.19", Some(body))
            .await
            .0,
        200
    );
    let seen = client.refresh_associations(uuid).await.expect("refreshed");
    assert_eq!(seen.aggregates, [aggregate].into_iter().collect());
    assert_eq!(seen.inventories, default_inventory());
    assert!(seen.traits.contains("OWNER_NOVA"));
    assert_eq!(seen.generation, generation + 1);

    let instance = Uuid::new_v4();
    let claim = json!({
        "allocations": {uuid.to_string(): {"resources": {"VCPU": 2}}},
        "project_id": "p", "user_id": "u", "consumer_generation": null
    });
    let alloc_path = format!("/allocations/{instance}");
    assert_eq!(
        placement
            .call(Method::PUT, &alloc_path, "1.28", Some(claim))
            .await
            .0,
        204
    );
    let err = client
        .delete_resource_provider(uuid, false)
        .await
        .expect_err("in use");
    assert!(matches!(err, PlacementError::ProviderInUse { .. }), "{err}");
    assert!(client
        .delete_resource_provider(uuid, true)
        .await
        .expect("cascade"));
    let (status, _) = placement
        .call(
            Method::GET,
            &format!("/resource_providers/{uuid}"),
            "1.14",
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert!(!client
        .delete_resource_provider(uuid, true)
        .await
        .expect("already gone"));
    assert_eq!(client.provider_generation(uuid), None);
}

#[tokio::test]
async fn a_keystone_login_finds_placement_in_the_catalog_and_is_renewed_before_expiry() {
    let placement = RealPlacement::start().await;
    let login = |keystone: &KeystoneStub| {
        vec![
            ("placement", "auth_type", "password".to_owned()),
            ("placement", "auth_url", format!("{}/v3", keystone.url)),
            ("placement", "username", "nova".to_owned()),
            ("placement", "password", "s3cret".to_owned()),
            ("placement", "user_domain_name", "Default".to_owned()),
            ("placement", "project_name", "service".to_owned()),
            ("placement", "project_domain_name", "Default".to_owned()),
            ("placement", "region_name", "RegionOne".to_owned()),
        ]
    };
    // An hour-long token: one login serves the whole report (4 requests); the catalog's
    // internal endpoint (Nova's first valid interface) is the one used.
    let keystone = KeystoneStub::start(&placement.url, chrono::TimeDelta::hours(1));
    let client = client_with(&login(&keystone));
    let uuid = Uuid::new_v4();
    report(&client, uuid, "behind-keystone")
        .await
        .expect("reported through keystone");
    let logins = keystone.logins();
    assert_eq!(logins.len(), 1, "{logins:?}");
    assert_eq!(
        logins[0]["auth"]["identity"]["password"]["user"],
        json!({"name": "nova", "domain": {"name": "Default"}, "password": "s3cret"})
    );
    assert_eq!(
        logins[0]["auth"]["scope"],
        json!({"project": {"name": "service", "domain": {"name": "Default"}}})
    );
    let traits = placement
        .get(&format!("/resource_providers/{uuid}/traits"), "1.6")
        .await;
    assert!(trait_set(&traits).contains("OWNER_NOVA"));

    // A token expiring within keystoneauth's two minutes is never used: a login per request.
    let hurried = KeystoneStub::start(&placement.url, chrono::TimeDelta::seconds(60));
    let client = client_with(&login(&hurried));
    client
        .ensure_resource_provider(Uuid::new_v4(), "hurried")
        .await
        .expect("created");
    assert_eq!(
        hurried.logins().len(),
        2,
        "in_tree GET and POST, a login each"
    );
}
