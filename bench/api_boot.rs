//! `POST /v2.1/servers` → ACTIVE throughput over HTTP: N concurrent clients, each creating
//! servers one request at a time (`max_count` 1) and polling `GET /servers/{id}` until
//! ACTIVE, against the in-process cloud (memory transport, two HTTP workers): first on SQLite
//! with one fake compute, then on a fresh PostgreSQL database with four fake computes (the
//! case `taskset` pins to one core and to two, docs/BENCHMARKS.md).
//!
//! Run: `cargo bench --bench api_boot` (or `bash bench/api_boot.sh`);
//! `API_BOOT_BACKENDS=postgres` runs only the PostgreSQL case.

#[path = "../tests/api/cloud.rs"]
#[allow(missing_docs)]
mod cloud;
#[path = "../tests/common/mod.rs"]
#[allow(missing_docs)]
mod common;
#[path = "../tests/common/nova.rs"]
#[allow(missing_docs)]
mod nova;

use std::sync::Arc;
use std::time::{Duration, Instant};

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

async fn run(
    cloud: &Arc<cloud::Cloud>,
    clients: usize,
    per_client: usize,
) -> (Duration, Vec<Duration>) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let cloud = Arc::clone(cloud);
        tasks.push(actix_rt::spawn(async move {
            let mut post_latencies = Vec::new();
            let mut ids = Vec::new();
            for n in 0..per_client {
                let body = format!(r#"{{"server": {{"name": "b{c}-{n}", "imageRef": "{CIRROS}", "flavorRef": "1", "networks": "none"}}}}"#);
                let t = Instant::now();
                let reply = cloud.admin("POST", "/v2.1/servers", Some(&body)).await;
                post_latencies.push(t.elapsed());
                assert_eq!(reply.status, 202, "{reply:?}");
                ids.push(reply.body["server"]["id"].as_str().unwrap_or_default().to_owned());
            }
            for id in ids {
                cloud.wait_status(&id, "ACTIVE").await;
            }
            post_latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client"));
    }
    latencies.sort();
    (started.elapsed(), latencies)
}

async fn measure(cloud: &Arc<cloud::Cloud>) {
    for (clients, per_client) in [(1, 50), (8, 25), (32, 10)] {
        let (elapsed, latencies) = run(cloud, clients, per_client).await;
        let total = clients * per_client;
        let p = |q: f64| {
            latencies[((latencies.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3
        };
        println!(
            "{clients:>3} clients × {per_client:>2}: {total:>4} servers ACTIVE in {:>6.2} s = {:>7.1} servers/s; POST p50 {:.1} ms p99 {:.1} ms",
            elapsed.as_secs_f64(),
            total as f64 / elapsed.as_secs_f64(),
            p(0.5),
            p(0.99)
        );
    }
}

fn main() {
    let backends = std::env::var("API_BOOT_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    actix_rt::System::new().block_on(async {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        if backends.contains("sqlite") {
            let cloud = Arc::new(cloud::cloud_with(&[("DEFAULT", "osapi_compute_workers", "2")]).await);
            println!("novactor api_boot: POST /v2.1/servers → ACTIVE over HTTP (memory://, SQLite, 1 fake compute, {threads} cores)");
            measure(&cloud).await;
            cloud.node.shutdown().await.expect("shutdown");
        }
        if backends.contains("postgres") {
            let fresh = nova::fresh_nova_db(common::Backend::Postgres, "bench_api_boot").await;
            let cloud = Arc::new(
                cloud::cloud_with(&[
                    ("DEFAULT", "osapi_compute_workers", "2"),
                    ("compute", "fake_hosts", "4"),
                    ("database", "connection", fresh.url.as_str()),
                ])
                .await,
            );
            println!("novactor api_boot: POST /v2.1/servers → ACTIVE over HTTP (memory://, PostgreSQL, 4 fake computes, {threads} cores)");
            measure(&cloud).await;
            cloud.node.shutdown().await.expect("shutdown");
        }
    });
}
