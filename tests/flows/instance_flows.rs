//! Nova's instance flows end to end through the actors' RPC API (no HTTP): conductor,
//! scheduler and computes on one broker and one database, per deployment — in one process
//! on `memory://` and SQLite, and over RabbitMQ and PostgreSQL (each test its own exchange,
//! topics-by-host and fresh database `novactor_flows_<hex>`, dropped at the end).

use novactor_nova::conf::NovaConfig;
use std::sync::Arc;
use std::time::{Duration, Instant};

use novactor::rpc::{RequestContext, Transport};
use novactor::supervisor::RuntimeEnv;
use novactor::Node;
use novactor_nova::api::compute_api::{self, ComputeApiDeps};
use novactor_nova::api::compute_api_create::{self, BootRequest};
use novactor_nova::db::{DbServiceGroup, NovaDb, SERVICE_VERSION};
use novactor_nova::rpcapi::ComputeApi;
use novactor_nova::rpcapi::{ComputeTaskApi, ConductorApi};
use novactor_nova::{definitions, NovaService};

use crate::common::*;
use crate::deployment::{nova_on_rabbit_turn, Deployment};
use crate::nova::FreshNovaDb;

struct Cloud {
    /// Held for the test's life over RabbitMQ: Nova's topic queues (`conductor`,
    /// `scheduler`) are named without the exchange, so concurrent clouds on one broker
    /// would serve each other's requests; they take turns instead.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    control: Node,
    computes: Vec<Node>,
    db: NovaDb,
    deps: ComputeApiDeps,
    transport: Arc<dyn Transport>,
    exchange: String,
    _database: FreshNovaDb,
    /// Over RabbitMQ, a vhost of the cloud's own, so another run of these tests on the same
    /// broker cannot take this cloud's messages either (dropped last, after the nodes).
    _vhost: Option<amqp_vhost::Vhost>,
}

fn flow_config(exchange: &str, host: &str, extra: &[(&str, &str, &str)]) -> NovaConfig {
    let mut all = vec![
        ("DEFAULT", "host", host),
        ("DEFAULT", "control_exchange", exchange),
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("DEFAULT", "report_interval", "1"),
        ("DEFAULT", "service_down_time", "3"),
        ("DEFAULT", "update_resources_interval", "1"),
        ("DEFAULT", "rpc_response_timeout", "20"),
    ];
    all.extend_from_slice(extra);
    crate::nova::nova_config(&all).expect("flow config")
}

/// A compute host's name and its extra options.
type ComputeHost<'a> = (&'a str, &'a [(&'a str, &'a str, &'a str)]);

/// A control node (conductor + scheduler) and one compute node per entry of `computes`
/// (host name, extra options), sharing a broker and the database.
async fn cloud(deployment: Deployment, computes: &[ComputeHost<'_>]) -> Cloud {
    init_test_logging();
    let turn = match deployment.broker() {
        Broker::Rabbit => Some(nova_on_rabbit_turn().await),
        Broker::Memory => None,
    };
    let exchange = unique("flows");
    let control_config = flow_config(&exchange, &unique("ctl"), &[]);
    let database = deployment.database().await;
    let db = database.db.clone();
    let (transport, vhost): (Arc<dyn Transport>, _) = match deployment.broker() {
        Broker::Rabbit => {
            let vhost = amqp_vhost::Vhost::new();
            let transport = Arc::new(vhost.transport(Default::default()).await);
            (transport, Some(vhost))
        }
        Broker::Memory => (Broker::Memory.transport().await, None),
    };
    let servicegroup = Arc::new(DbServiceGroup::new(db.clone(), SERVICE_VERSION));
    let env = RuntimeEnv::new(
        Arc::clone(control_config.runtime()),
        Arc::clone(&transport),
        servicegroup,
    );
    let services = definitions(
        &control_config,
        &[NovaService::Conductor, NovaService::Scheduler],
        Some(&db),
    )
    .unwrap();
    let control = Node::start_with(env, services).await.expect("control node");
    let mut nodes = Vec::new();
    for (host, extra) in computes {
        nodes.push(compute_node(&exchange, &transport, &db, host, extra).await);
    }
    let deps = ComputeApiDeps {
        db: db.clone(),
        compute_task: ComputeTaskApi::new(control.client(ConductorApi::target())),
        compute: ComputeApi::new(control.client(ComputeApi::target())),
        service_down_time: control_config.service.service_down_time,
        service_zones: control_config.compute.service_zones(),
        lab_network: control_config.lab_network.clone(),
        reclaim_instance_interval: control_config.compute.reclaim_instance_interval,
        key_pairs_quota: control_config.api.key_pairs_quota,
        injected_file_quota: control_config.api.injected_file_quota,
        allow_resize_to_same_host: false,
    };
    let cloud = Cloud {
        _turn: turn,
        _vhost: vhost,
        control,
        computes: nodes,
        db,
        deps,
        transport,
        exchange,
        _database: database,
    };
    for (host, _) in computes {
        cloud.wait_for_node(host).await;
    }
    cloud
}

/// A compute node with no database of its own (its heartbeats and writes go through the conductor).
async fn compute_node(
    exchange: &str,
    transport: &Arc<dyn Transport>,
    db: &NovaDb,
    host: &str,
    extra: &[(&str, &str, &str)],
) -> Node {
    let config = flow_config(exchange, host, extra);
    let env = RuntimeEnv::new(
        Arc::clone(config.runtime()),
        Arc::clone(transport),
        Arc::new(novactor::servicegroup::MemoryServiceGroup::default()),
    );
    // `db` is only handed over for the signature; compute never uses it.
    Node::start_with(
        env,
        definitions(&config, &[NovaService::Compute], Some(db)).unwrap(),
    )
    .await
    .expect("compute node")
}

impl Cloud {
    async fn wait_for_node(&self, host: &str) {
        wait_until(
            Duration::from_secs(30),
            &format!("compute {host} registered"),
            async || {
                let node = self
                    .db
                    .compute_node_get_by_host_and_nodename(host, host)
                    .await;
                let service = self
                    .db
                    .service_get_by_host_and_binary(host, "nova-compute")
                    .await;
                if node.is_ok() && matches!(service, Ok(Some(ref s)) if s.report_count > 0) {
                    Ok(())
                } else {
                    Err(format!("{node:?} {service:?}"))
                }
            },
        )
        .await;
    }

    async fn boot(&self, name: &str, count: u32) -> Vec<String> {
        let request = BootRequest {
            name: name.to_owned(),
            flavor: "m1.tiny".to_owned(),
            image_ref: "cirros".to_owned(),
            count,
            user_id: "u1".to_owned(),
            project_id: "p1".to_owned(),
            details: Default::default(),
        };
        compute_api_create::create(&self.deps, &RequestContext::new(), &request)
            .await
            .expect("create accepted")
    }

    async fn status(&self, uuid: &str) -> Option<(String, Option<String>, Option<String>)> {
        let row = self.db.instance_get_by_uuid(uuid).await.ok()?;
        Some((
            compute_api::status(row.vm_state.as_deref(), row.task_state.as_deref()).to_owned(),
            row.task_state.clone(),
            row.host.clone(),
        ))
    }

    /// Poll until `uuid` has API status `want`; returns the (status, task_state) pairs seen.
    async fn wait_status(&self, uuid: &str, want: &str) -> Vec<(String, Option<String>)> {
        let mut seen: Vec<(String, Option<String>)> = Vec::new();
        wait_until(
            Duration::from_secs(30),
            &format!("{uuid} to reach {want}"),
            async || {
                if let Some((status, task, _)) = self.status(uuid).await {
                    if seen.last() != Some(&(status.clone(), task.clone())) {
                        seen.push((status.clone(), task));
                    }
                    if status == want {
                        return Ok(seen.clone());
                    }
                }
                Err(format!("seen {seen:?}"))
            },
        )
        .await
    }

    async fn wait_gone(&self, uuid: &str) {
        wait_until(
            Duration::from_secs(30),
            &format!("{uuid} deleted"),
            async || match self.db.instance_get_by_uuid(uuid).await {
                Ok(_) => Err(format!("{:?}", self.status(uuid).await)),
                Err(_) => Ok(()),
            },
        )
        .await;
    }
}

async fn boot_reaches_active_through_novas_state_sequence_and_delete_removes_it(
    deployment: Deployment,
) {
    let cloud = cloud(
        deployment,
        &[("fa", &[("fake_driver", "spawn_delay", "0.3")])],
    )
    .await;
    let uuid = cloud.boot("vm", 1).await.remove(0);
    let seen = cloud.wait_status(&uuid, "ACTIVE").await;
    assert_eq!(
        seen.first().map(|s| s.1.as_deref()),
        Some(Some("scheduling")),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|s| s.1.as_deref() == Some("spawning")),
        "spawning observed: {seen:?}"
    );
    let row = cloud.db.instance_get_by_uuid(&uuid).await.unwrap();
    assert_eq!(
        (row.power_state, row.host.as_deref(), row.node.as_deref()),
        (Some(1), Some("fa"), Some("fa"))
    );
    assert!(row.launched_at.is_some());
    compute_api::delete(&cloud.deps, &RequestContext::new(), &uuid)
        .await
        .unwrap();
    cloud.wait_gone(&uuid).await;
}

async fn stop_start_and_soft_and_hard_reboot(deployment: Deployment) {
    let cloud = cloud(deployment, &[("fb", &[])]).await;
    let uuid = cloud.boot("vm", 1).await.remove(0);
    cloud.wait_status(&uuid, "ACTIVE").await;
    let ctx = RequestContext::new();
    compute_api::stop(&cloud.deps, &ctx, &uuid).await.unwrap();
    cloud.wait_status(&uuid, "SHUTOFF").await;
    assert_eq!(
        cloud
            .db
            .instance_get_by_uuid(&uuid)
            .await
            .unwrap()
            .power_state,
        Some(4)
    );
    let again = compute_api::stop(&cloud.deps, &ctx, &uuid)
        .await
        .unwrap_err();
    assert!(
        again.to_string().contains("Cannot 'stop' instance"),
        "{again}"
    );
    compute_api::start(&cloud.deps, &ctx, &uuid).await.unwrap();
    cloud.wait_status(&uuid, "ACTIVE").await;
    for hard in [false, true] {
        compute_api::reboot(&cloud.deps, &ctx, &uuid, hard)
            .await
            .unwrap();
        // Wait for the reboot to finish: no task state and ACTIVE again.
        let started = Instant::now();
        loop {
            let (status, task, _) = cloud.status(&uuid).await.unwrap();
            if status == "ACTIVE" && task.is_none() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "reboot (hard={hard}) never finished: {status} {task:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            cloud
                .db
                .instance_get_by_uuid(&uuid)
                .await
                .unwrap()
                .power_state,
            Some(1)
        );
    }
}

async fn a_delete_during_the_build_wins(deployment: Deployment) {
    let cloud = cloud(
        deployment,
        &[("fc", &[("fake_driver", "spawn_delay", "1.5")])],
    )
    .await;
    let uuid = cloud.boot("slow", 1).await.remove(0);
    let started = Instant::now();
    while cloud.status(&uuid).await.and_then(|s| s.2).is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never got a host"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    compute_api::delete(&cloud.deps, &RequestContext::new(), &uuid)
        .await
        .unwrap();
    cloud.wait_gone(&uuid).await;
}

async fn with_every_host_disabled_the_instance_errors_with_no_valid_host(deployment: Deployment) {
    let cloud = cloud(deployment, &[("fd", &[])]).await;
    cloud
        .db
        .service_set(
            novactor_nova::db::ServiceKey::HostBinary {
                host: "fd",
                binary: "nova-compute",
            },
            &novactor_nova::db::ServiceChanges {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let uuid = cloud.boot("nowhere", 1).await.remove(0);
    cloud.wait_status(&uuid, "ERROR").await;
    let faults = cloud
        .db
        .instance_fault_get_by_instance_uuid(&uuid)
        .await
        .unwrap();
    assert!(
        faults.first().is_some_and(|f| f
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("No valid host was found."))),
        "{faults:?}"
    );
}

async fn a_spawn_failure_on_one_host_reschedules_to_the_alternate(deployment: Deployment) {
    // `bad` is bigger, so the RAM weigher picks it first; its spawns all fail.
    let cloud = cloud(
        deployment,
        &[
            (
                "bad",
                &[
                    ("fake_driver", "fail_spawn_pattern", ".*"),
                    ("fake_driver", "memory_mb", "900000"),
                ],
            ),
            ("good", &[]),
        ],
    )
    .await;
    let uuid = cloud.boot("resched", 1).await.remove(0);
    cloud.wait_status(&uuid, "ACTIVE").await;
    assert_eq!(
        cloud
            .db
            .instance_get_by_uuid(&uuid)
            .await
            .unwrap()
            .host
            .as_deref(),
        Some("good")
    );
}

async fn a_stopped_compute_goes_down_and_new_boots_avoid_it(deployment: Deployment) {
    let mut cloud = cloud(
        deployment,
        &[
            ("gone", &[("fake_driver", "memory_mb", "900000")]),
            ("stays", &[]),
        ],
    )
    .await;
    let stopped = cloud.computes.remove(0);
    stopped.shutdown().await.unwrap();
    let started = Instant::now();
    loop {
        let service = cloud
            .db
            .service_get_by_host_and_binary("gone", "nova-compute")
            .await
            .unwrap()
            .unwrap();
        if !novactor_nova::db::service_is_up(&service, Duration::from_secs(3), chrono::Utc::now()) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the stopped compute never went down"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let uuids = cloud.boot("avoid", 3).await;
    for uuid in &uuids {
        cloud.wait_status(uuid, "ACTIVE").await;
        assert_eq!(
            cloud
                .db
                .instance_get_by_uuid(uuid)
                .await
                .unwrap()
                .host
                .as_deref(),
            Some("stays")
        );
    }
}

async fn the_resource_audit_records_usage_in_compute_nodes(deployment: Deployment) {
    let cloud = cloud(deployment, &[("fe", &[])]).await;
    let uuid = cloud.boot("used", 1).await.remove(0);
    cloud.wait_status(&uuid, "ACTIVE").await;
    let started = Instant::now();
    loop {
        let node = cloud
            .db
            .compute_node_get_by_host_and_nodename("fe", "fe")
            .await
            .unwrap();
        // m1.tiny: 512 MiB, 1 vCPU, 1 GiB; plus 512 MiB reserved for the host.
        if node.running_vms == Some(1) && node.memory_mb_used == 1024 && node.vcpus_used == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "usage never recorded: {node:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = (&cloud.control, &cloud.transport, &cloud.exchange);
}

scenarios! {
    #[actix_rt::test]
    (in_process: Deployment::InProcess, over_rabbitmq_and_postgres: Deployment::RabbitPostgres)
    [
        boot_reaches_active_through_novas_state_sequence_and_delete_removes_it,
        stop_start_and_soft_and_hard_reboot,
        a_delete_during_the_build_wins,
        with_every_host_disabled_the_instance_errors_with_no_valid_host,
        a_spawn_failure_on_one_host_reschedules_to_the_alternate,
        a_stopped_compute_goes_down_and_new_boots_avoid_it,
        the_resource_audit_records_usage_in_compute_nodes,
    ]
}
