//! `POST /v2.1/servers` → ACTIVE throughput over HTTP: N concurrent clients (keep-alive
//! connections, on a thread of their own), each creating servers one request at a time
//! (`max_count` 1), timed until every one is ACTIVE in the database, against the in-process
//! cloud (memory transport): first on SQLite with one fake compute and two HTTP workers,
//! then on a fresh PostgreSQL database with four fake computes and one API worker,
//! conductor and scheduler per usable core (the case `taskset` pins to one core and to
//! two, docs/BENCHMARKS.md). Each phase also prints how many cores the process kept busy.
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

use std::time::{Duration, Instant};

const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

/// One bench client: a keep-alive HTTP connection of its own (as a real client or the
/// OpenStack SDK keeps one), creating servers one request at a time.
async fn one_client(base: String, c: usize, per_client: usize) -> Vec<Duration> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    let mut post_latencies = Vec::new();
    for n in 0..per_client {
        let body = format!(
            r#"{{"server": {{"name": "b{c}-{n}", "imageRef": "{CIRROS}", "flavorRef": "1", "networks": "none"}}}}"#
        );
        let t = Instant::now();
        let mut reply = client
            .post(format!("{base}/v2.1/servers"))
            .insert_header(("X-Auth-Token", "notused"))
            .insert_header(("OpenStack-API-Version", "compute 2.53"))
            .insert_header(("Content-Type", "application/json"))
            .send_body(body)
            .await
            .expect("POST /servers");
        let status = reply.status().as_u16();
        let answer = reply.body().limit(1 << 20).await.expect("a body");
        post_latencies.push(t.elapsed());
        assert_eq!(status, 202, "{}", String::from_utf8_lossy(&answer));
    }
    post_latencies
}

/// Servers ACTIVE in the database (one cheap count, instead of every client polling each
/// server's `GET`, whose load would be the bench's own rather than the boots').
async fn active_servers(cloud: &cloud::Cloud) -> i64 {
    let (count,): (i64,) = cloud
        .db
        .database()
        .fetch_optional(
            "SELECT COUNT(*) FROM instances WHERE vm_state = 'active' AND deleted = 0",
            &[],
        )
        .await
        .expect("count the active servers")
        .unwrap_or((0,));
    count
}

/// `clients` clients at once, on a thread and actix system of their own (the load they
/// make does not run on the node's threads), until all their servers are ACTIVE: the time
/// that took, and each POST's latency.
async fn run(cloud: &cloud::Cloud, clients: usize, per_client: usize) -> (Duration, Vec<Duration>) {
    let base = cloud.base.clone();
    let before = active_servers(cloud).await;
    let started = Instant::now();
    let (done, posted) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let latencies = actix_rt::System::new().block_on(async move {
            let tasks: Vec<_> = (0..clients)
                .map(|c| actix_rt::spawn(one_client(base.clone(), c, per_client)))
                .collect();
            let mut latencies = Vec::new();
            for task in tasks {
                latencies.extend(task.await.expect("client"));
            }
            latencies.sort();
            latencies
        });
        let _ = done.send(latencies);
    });
    let total = i64::try_from(clients * per_client).unwrap_or(i64::MAX);
    let deadline = started + Duration::from_secs(120);
    while active_servers(cloud).await - before < total {
        assert!(
            Instant::now() < deadline,
            "the servers are not ACTIVE within 120 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    (elapsed, posted.await.expect("the clients' thread finished"))
}

/// This process's CPU time so far (user + system, from `/proc/self/stat`, in USER_HZ = 100
/// ticks per second): with the wall time, how many cores the node kept busy.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command's closing parenthesis: utime and stime are the 12th and
    // 13th of them.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum();
    ticks as f64 / 100.0
}

async fn measure(cloud: &cloud::Cloud) {
    for (clients, per_client) in [(1, 50), (8, 25), (32, 10)] {
        let cpu_before = process_cpu_seconds();
        let (elapsed, latencies) = run(cloud, clients, per_client).await;
        let cpu = process_cpu_seconds() - cpu_before;
        let total = clients * per_client;
        let p = |q: f64| {
            latencies[((latencies.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3
        };
        println!(
            "{clients:>3} clients × {per_client:>2}: {total:>4} servers ACTIVE in {:>6.2} s = {:>7.1} servers/s; POST p50 {:.1} ms p99 {:.1} ms; process CPU {:.2} cores busy, {:.2} ms per server",
            elapsed.as_secs_f64(),
            total as f64 / elapsed.as_secs_f64(),
            p(0.5),
            p(0.99),
            cpu / elapsed.as_secs_f64(),
            cpu * 1e3 / total as f64
        );
    }
}

fn main() {
    let backends = std::env::var("API_BOOT_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    actix_rt::System::new().block_on(async {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let workers = threads.to_string();
        if backends.contains("sqlite") {
            let cloud = cloud::cloud_with(&[("DEFAULT", "osapi_compute_workers", "2")]).await;
            println!("novactor api_boot: POST /v2.1/servers → ACTIVE over HTTP (memory://, SQLite, 1 fake compute, {threads} cores)");
            measure(&cloud).await;
            cloud.node.shutdown().await.expect("shutdown");
        }
        if backends.contains("postgres") {
            let fresh = nova::fresh_nova_db(common::Backend::Postgres, "bench_api_boot").await;
            // `API_BOOT_SYNCHRONOUS_COMMIT=off`: this bench database's commits stop waiting
            // for the WAL flush (the server's setting is untouched), so the disk's fsync
            // rate no longer bounds the boots and the runtime's own scaling shows.
            let commit = std::env::var("API_BOOT_SYNCHRONOUS_COMMIT").unwrap_or_else(|_| "on".into());
            assert!(
                commit == "on" || commit == "off",
                "API_BOOT_SYNCHRONOUS_COMMIT is on or off, not {commit:?}"
            );
            if commit == "off" {
                let path = fresh.url.split('?').next().unwrap_or_default();
                let name = path.rsplit('/').next().unwrap_or_default();
                fresh
                    .db
                    .database()
                    .execute(&format!("ALTER DATABASE {name} SET synchronous_commit = off"), &[])
                    .await
                    .expect("set synchronous_commit on the bench database");
            }
            let cloud = cloud::cloud_with(&[
                // As a deployment sizes itself: one API worker, conductor and scheduler
                // per usable core (Nova's defaults for the three; novactor's are 1).
                ("DEFAULT", "osapi_compute_workers", &workers),
                ("conductor", "workers", &workers),
                ("scheduler", "workers", &workers),
                ("compute", "fake_hosts", "4"),
                ("database", "connection", fresh.url.as_str()),
            ])
            .await;
            println!("novactor api_boot: POST /v2.1/servers → ACTIVE over HTTP (memory://, PostgreSQL synchronous_commit={commit}, 4 fake computes, {threads} cores)");
            measure(&cloud).await;
            cloud.node.shutdown().await.expect("shutdown");
        }
    });
}
