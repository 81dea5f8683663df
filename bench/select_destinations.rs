//! `select_destinations` latency with 1,000 compute hosts: 1,000 `compute_nodes` rows and
//! 1,000 live `nova-compute` services in a fresh SQLite database (temp dir), the scheduler
//! actor alone on the memory transport, one caller through `SchedulerApi` placing one
//! instance per call (so every call also consumes on a host, as in production). Meanwhile
//! the hosts heartbeat as 1,000 computes with `report_interval = 10` would: 100
//! `service_report` writes per second, so incremental reads have real changes to fetch.
//! Prints p50/p99/max, and what a full read of both tables costs alone.
//!
//! Run: `cargo bench --bench select_destinations` (or `bash bench/select_destinations.sh`).

use novactor_nova::conf::NovaConfig;
use std::sync::Arc;
use std::time::{Duration, Instant};

use novactor::rpc::RequestContext;
use novactor::Node;
use novactor_nova::db::{self, ComputeNodeValues, NovaDb};
use novactor_nova::objects::{Flavor, RequestSpec};
use novactor_nova::rpcapi::SchedulerApi;
use novactor_nova::{definitions, NovaService};
use serde_json::Map;

const HOSTS: usize = 1_000;
const WARM_UP: usize = 20;
const CALLS: usize = 500;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The fake driver's node (spec §3.4) for each host, heartbeat just now.
async fn populate(db: &NovaDb) -> Vec<i64> {
    let mut service_ids = Vec::with_capacity(HOSTS);
    for i in 0..HOSTS {
        let host = format!("compute-{i:04}");
        let service = db
            .service_create(&host, "nova-compute", Some("compute"), db::SERVICE_VERSION)
            .await
            .expect("service");
        db.service_report(service.id).await.expect("report");
        service_ids.push(service.id);
        db.compute_node_create(
            &host,
            &host,
            &ComputeNodeValues {
                service_id: Some(service.id),
                vcpus: Some(1000),
                memory_mb: Some(800_000),
                local_gb: Some(600_000),
                vcpus_used: Some(0),
                memory_mb_used: Some(512),
                local_gb_used: Some(0),
                free_ram_mb: Some(800_000 - 512),
                free_disk_gb: Some(600_000),
                hypervisor_type: Some("fake".into()),
                hypervisor_version: Some(1000),
                // Vary the ratios a little so the weigher has real work.
                ram_allocation_ratio: Some(1.0 + (i % 7) as f64 / 10.0),
                ..Default::default()
            },
        )
        .await
        .expect("compute node");
    }
    service_ids
}

fn small() -> RequestSpec {
    RequestSpec {
        instance_uuid: uuid::Uuid::new_v4().to_string(),
        num_instances: 1,
        flavor: Flavor {
            id: 2,
            flavorid: "2".into(),
            name: "m1.small".into(),
            memory_mb: 2048,
            vcpus: 1,
            root_gb: 20,
            ephemeral_gb: 0,
            swap: 0,
            rxtx_factor: 1.0,
            is_public: true,
            disabled: false,
            extra_specs: Map::new(),
        },
        image: Map::new(),
        availability_zone: None,
        ignore_hosts: None,
        project_id: Some("demo".into()),
        user_id: Some("demo".into()),
        scheduler_hints: Map::new(),
        instance_group: None,
        requested_destination: None,
        force_hosts: None,
        force_nodes: None,
    }
}

fn main() {
    actix_rt::System::new().block_on(async {
        let state = tempfile::tempdir().expect("temp dir");
        let state_path = state.path().to_string_lossy().into_owned();
        let config = NovaConfig::with_overrides(&[
            ("DEFAULT", "periodic_fuzzy_delay", "0"),
            ("DEFAULT", "state_path", &state_path),
        ])
        .expect("config");
        let db = db::open(&config).await.expect("embedded database");
        let populate_started = Instant::now();
        let service_ids = populate(&db).await;
        let populate_time = populate_started.elapsed();
        // Heartbeats: one host every 10 ms, round robin (1,000 hosts, report_interval 10 s).
        let heartbeats = {
            let db = db.clone();
            actix_rt::spawn(async move {
                for id in service_ids.iter().cycle() {
                    db.service_report(*id).await.expect("heartbeat");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        };
        // Computes register over minutes, not in the same second as the first request:
        // let the registration burst fall out of the incremental read's look-back margin.
        tokio::time::sleep(Duration::from_millis(1_500)).await;

        let services = definitions(&config, &[NovaService::Scheduler], Some(&db)).unwrap();
        let node = Node::start(Arc::clone(config.runtime()), services).await.expect("node");
        let api = SchedulerApi::new(node.client(SchedulerApi::target()));
        let ctx = RequestContext::new();
        let place = || async {
            let spec = small();
            let lists = api
                .select_destinations(
                    &ctx,
                    &spec,
                    std::slice::from_ref(&spec.instance_uuid),
                    Duration::from_secs(60),
                    Duration::from_secs(60),
                )
                .await
                .expect("select_destinations");
            assert_eq!(lists.len(), 1);
            assert_eq!(lists[0].len(), 3, "chosen + 2 alternates");
        };
        for _ in 0..WARM_UP {
            place().await;
        }
        let mut latencies = Vec::with_capacity(CALLS);
        let started = Instant::now();
        for _ in 0..CALLS {
            let t = Instant::now();
            place().await;
            latencies.push(t.elapsed());
        }
        let total = started.elapsed();
        latencies.sort();

        // The two parts of a call, measured apart: the rows read, then the decision alone.
        let mut reads = Vec::with_capacity(50);
        for _ in 0..50 {
            let t = Instant::now();
            let (nodes, services) = futures::try_join!(
                db.compute_node_get_all(),
                db.service_list(None, Some("nova-compute"))
            )
            .expect("read");
            assert_eq!((nodes.len(), services.len()), (HOSTS, HOSTS));
            reads.push(t.elapsed());
        }
        reads.sort();
        heartbeats.abort();
        node.shutdown().await.expect("shutdown");

        println!("novactor select_destinations benchmark ({HOSTS} hosts, SQLite, memory:// transport)");
        println!("populate {HOSTS} services + nodes: {:>10.0} ms", ms(populate_time));
        println!(
            "select_destinations ({CALLS} sequential): {:>8.0} calls/s   p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            CALLS as f64 / total.as_secs_f64(),
            ms(percentile(&latencies, 0.50)),
            ms(percentile(&latencies, 0.99)),
            latencies.last().map_or(0.0, |d| ms(*d)),
        );
        println!(
            "a full read of both tables (1st call, then every 60 s): p50 {:.2} ms  p99 {:.2} ms",
            ms(percentile(&reads, 0.50)),
            ms(percentile(&reads, 0.99)),
        );
    });
}
