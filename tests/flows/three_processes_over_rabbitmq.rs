//! The distributed deployment for real: three `novactor` processes on RabbitMQ and
//! PostgreSQL — (api + conductor + scheduler), compute `node1`, compute `node2` — and 20
//! boots (sent the way the api sends them) that spread over both computes; then compute
//! `node2` is killed with SIGKILL, goes down, and new boots avoid it. It takes its turn
//! with the other clouds of this binary on RabbitMQ (`nova_on_rabbit_turn`).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::amqp_vhost::Vhost;
use crate::common::process::{command, Running};
use crate::common::{unique, Backend};
use crate::deployment::nova_on_rabbit_turn;
use crate::nova::{fresh_nova_db, BIN};
use novactor::rpc::transport::amqp::AmqpSettings;
use novactor::rpc::{ClientShared, RequestContext, Transport};
use novactor_nova::api::compute_api::ComputeApiDeps;
use novactor_nova::api::compute_api_create::{self, BootRequest};
use novactor_nova::rpcapi::ComputeApi;
use novactor_nova::rpcapi::{ComputeTaskApi, ConductorApi};

fn start(dir: &Path, conf: &Path, actors: &str, host: &str) -> Running {
    let mut command = command(BIN.as_ref(), dir);
    command.args([
        "--config-file",
        conf.to_str().unwrap(),
        "run",
        "--actors",
        actors,
        "--host",
        host,
    ]);
    let running = Running::spawn(command);
    running.wait_for("connected to RabbitMQ", 1, Duration::from_secs(30));
    running
}

#[actix_rt::test]
async fn twenty_boots_spread_over_two_compute_processes_and_a_killed_one_is_avoided() {
    let _turn = nova_on_rabbit_turn().await;
    let dir = tempfile::tempdir().unwrap();
    // A database of the test's own (created, migrated, dropped by the guard).
    let fresh = fresh_nova_db(Backend::Postgres, "novactor_three").await;
    let db_url = fresh.url.clone();
    let exchange = unique("three");
    // A vhost of its own: oslo's queue names (`conductor`, `compute.node1`) do not depend on
    // the exchange, so another run on the same broker would share them.
    let vhost = Vhost::new();
    let conf = dir.path().join("nova.conf");
    std::fs::write(
        &conf,
        format!(
            "[DEFAULT]\ntransport_url = {}\ncontrol_exchange = {exchange}\nreport_interval = 1\nservice_down_time = 5\nupdate_resources_interval = 2\nperiodic_fuzzy_delay = 0\n[database]\nconnection = {db_url}\n",
            vhost.url()
        ),
    )
    .unwrap();
    let sync = command(BIN.as_ref(), dir.path())
        .args(["--config-file", conf.to_str().unwrap(), "db", "sync"])
        .output()
        .unwrap();
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );

    let mut control = start(dir.path(), &conf, "api,conductor,scheduler", &unique("ctl"));
    let mut node1 = start(dir.path(), &conf, "compute", "node1");
    let mut node2 = start(dir.path(), &conf, "compute", "node2");

    let db = fresh.db.clone();
    let started = Instant::now();
    loop {
        let ready = db
            .compute_node_get_by_host_and_nodename("node1", "node1")
            .await
            .is_ok()
            && db
                .compute_node_get_by_host_and_nodename("node2", "node2")
                .await
                .is_ok();
        if ready {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "computes never registered their nodes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The api's part of a boot, from this test process, over its own connection.
    let transport: Arc<dyn Transport> = Arc::new(vhost.transport(AmqpSettings::default()).await);
    let shared = ClientShared::new(transport, exchange.clone());
    let deps = ComputeApiDeps {
        db: db.clone(),
        compute_task: ComputeTaskApi::new(
            shared.client(ConductorApi::target(), Duration::from_secs(30)),
        ),
        compute: ComputeApi::new(shared.client(ComputeApi::target(), Duration::from_secs(30))),
        service_down_time: Duration::from_secs(5),
        service_zones: novactor_nova::conf::NovaConfig::default_for_tests()
            .compute
            .service_zones(),
        lab_network: novactor_nova::conf::NovaConfig::default_for_tests().lab_network,
        reclaim_instance_interval: Duration::ZERO,
        key_pairs_quota: Some(100),
        injected_file_quota: Default::default(),
        allow_resize_to_same_host: false,
    };
    let request = BootRequest {
        name: "spread".into(),
        flavor: "m1.tiny".into(),
        image_ref: "cirros".into(),
        count: 20,
        user_id: "u".into(),
        project_id: "p".into(),
        details: Default::default(),
    };
    let uuids = compute_api_create::create(&deps, &RequestContext::new(), &request)
        .await
        .expect("boot accepted");
    assert_eq!(uuids.len(), 20);
    let started = Instant::now();
    let hosts = loop {
        let mut hosts = Vec::new();
        for uuid in &uuids {
            let row = db.instance_get_by_uuid(uuid).await.unwrap();
            if row.vm_state.as_deref() == Some("active") {
                hosts.push(row.host.unwrap_or_default());
            }
        }
        if hosts.len() == uuids.len() {
            break hosts;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "only {} of 20 active",
            hosts.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let on1 = hosts.iter().filter(|h| *h == "node1").count();
    let on2 = hosts.iter().filter(|h| *h == "node2").count();
    assert_eq!(on1 + on2, 20, "{hosts:?}");
    assert!(
        on1 >= 5 && on2 >= 5,
        "spread over both computes: node1 {on1}, node2 {on2}"
    );

    // A compute process killed outright: its service goes down and new boots avoid it.
    node2.signal("KILL");
    node2.wait_exit(Duration::from_secs(10));
    let started = Instant::now();
    loop {
        let service = db
            .service_get_by_host_and_binary("node2", "nova-compute")
            .await
            .unwrap()
            .unwrap();
        if !novactor_nova::db::service_is_up(&service, Duration::from_secs(5), chrono::Utc::now()) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "killed node2 never went down"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after = BootRequest {
        name: "after-kill".into(),
        count: 5,
        ..request
    };
    let uuids = compute_api_create::create(&deps, &RequestContext::new(), &after)
        .await
        .expect("boot accepted");
    let started = Instant::now();
    loop {
        let mut active = 0;
        for uuid in &uuids {
            let row = db.instance_get_by_uuid(uuid).await.unwrap();
            if row.vm_state.as_deref() == Some("active") {
                assert_eq!(
                    row.host.as_deref(),
                    Some("node1"),
                    "a boot went to the dead compute"
                );
                active += 1;
            }
        }
        if active == uuids.len() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "only {active} of 5 active after the kill"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    for running in [&mut node1, &mut control] {
        running.signal("TERM");
        assert_eq!(
            running.wait_exit(Duration::from_secs(30)).code(),
            Some(0),
            "{}",
            running.lines().join("\n")
        );
    }
}
