//! The hosts measurement: one node hosting 1,000 computes — start-up time, RSS, and
//! `select_destinations` latency against those live hosts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::RequestContext;
use novactor_nova::db::{self};
use novactor_nova::objects::{Flavor, RequestSpec};
use novactor_nova::rpcapi::SchedulerApi;
use serde_json::Map;

use crate::setup::*;

/// What the 1,000-host measurement saw.
#[derive(Debug, Default)]
pub(crate) struct HostsRun {
    pub(crate) rss_before: f64,
    /// All compute_nodes rows in; `None` if the deadline passed first.
    pub(crate) startup: Option<Duration>,
    /// `Node::start_with` returned (every actor running).
    pub(crate) node_started: Duration,
    pub(crate) rss: f64,
    /// RSS after the `select_destinations` rounds.
    pub(crate) rss_end: f64,
    /// `select_destinations` latencies right after start-up, sorted.
    pub(crate) select: Vec<Duration>,
    /// The same after `SETTLE`, sorted.
    pub(crate) select_settled: Vec<Duration>,
    /// Hosts per answer (chosen + alternates).
    pub(crate) alternates: usize,
}

/// `warm_up` then `calls` sequential `select_destinations` of one m1.tiny instance each:
/// the sorted latencies of `calls`, and the hosts per answer.
pub(crate) async fn place(
    api: &SchedulerApi,
    flavor: &Flavor,
    warm_up: usize,
    calls: usize,
) -> (Vec<Duration>, usize) {
    let ctx = RequestContext::new();
    let timeout = Duration::from_secs(60);
    let mut latencies = Vec::with_capacity(calls);
    let mut hosts = 0;
    for call in 0..warm_up + calls {
        let spec = RequestSpec {
            instance_uuid: uuid::Uuid::new_v4().to_string(),
            num_instances: 1,
            flavor: flavor.clone(),
            image: Map::new(),
            availability_zone: None,
            ignore_hosts: None,
            project_id: Some("bench".into()),
            user_id: Some("bench".into()),
            scheduler_hints: Map::new(),
            instance_group: None,
            requested_destination: None,
            force_hosts: None,
            force_nodes: None,
        };
        let t = Instant::now();
        let lists = api
            .select_destinations(
                &ctx,
                &spec,
                std::slice::from_ref(&spec.instance_uuid),
                timeout,
                timeout,
            )
            .await
            .expect("select_destinations");
        if call >= warm_up {
            latencies.push(t.elapsed());
            hosts = lists.first().map_or(0, Vec::len);
        }
    }
    latencies.sort();
    (latencies, hosts)
}

/// Measurement 3: one node hosting 1,000 computes.
pub(crate) async fn many_hosts() -> HostsRun {
    let state = tempfile::tempdir().expect("temp dir");
    let state_path = state.path().to_string_lossy().into_owned();
    let hosts = MANY_HOSTS.to_string();
    let config = bench_config(
        &format!("many{}", hex8()),
        &[
            ("DEFAULT", "state_path", &state_path),
            ("compute", "fake_hosts", &hosts),
        ],
    );
    let db = db::open(&config).await.expect("SQLite");
    let mut run = HostsRun {
        rss_before: rss_mib(),
        ..Default::default()
    };
    let started = Instant::now();
    let node = cloud_node(&config, Arc::new(MemoryTransport::new()), &db).await;
    run.node_started = started.elapsed();
    run.startup = wait_for_nodes(&db, MANY_HOSTS as i64, started).await;
    run.rss = rss_mib();
    let services = count(
        &db,
        "SELECT COUNT(*) FROM services WHERE deleted = 0 AND \"binary\" = 'nova-compute'",
    )
    .await;
    if services < MANY_HOSTS as i64 {
        eprintln!("only {services} nova-compute services");
    }

    let flavor_row = db.flavor_get_by_name("m1.tiny").await.expect("m1.tiny");
    let flavor = Flavor {
        id: flavor_row.id,
        flavorid: flavor_row.flavorid.clone(),
        name: flavor_row.name.clone(),
        memory_mb: flavor_row.memory_mb,
        vcpus: flavor_row.vcpus,
        root_gb: flavor_row.root_gb.unwrap_or(0),
        ephemeral_gb: flavor_row.ephemeral_gb,
        swap: flavor_row.swap,
        rxtx_factor: flavor_row.rxtx_factor,
        is_public: flavor_row.is_public,
        disabled: flavor_row.disabled,
        extra_specs: Map::new(),
    };
    let api = SchedulerApi::new(node.client(SchedulerApi::target()));
    // At once: the computes all registered (and wrote their rows) within the last second,
    // which the scheduler's incremental host refresh re-reads (docs/BENCHMARKS.md).
    let (select, alternates) = place(&api, &flavor, SELECT_WARM_UP, SELECT_CALLS).await;
    run.select = select;
    run.alternates = alternates;
    // Settled: the registration burst has left the refresh's look-back margin.
    tokio::time::sleep(SETTLE).await;
    run.select_settled = place(&api, &flavor, 0, SELECT_CALLS).await.0;
    run.rss_end = rss_mib();
    node.shutdown().await.expect("shutdown");
    db.database().close().await;
    run
}
