//! In-process RPC over `memory://` through the whole stack (envelope encode/decode twice,
//! dispatcher, supervisor-hosted actor, reply queue): start-up time, sequential call
//! latency, concurrent call throughput, cast throughput, resident memory.
//!
//! Run: `cargo bench --bench rpc_memory` (or `bash bench/rpc_memory.sh`).

use novactor_nova::conf::NovaConfig;
use std::sync::Arc;
use std::time::{Duration, Instant};

use novactor::rpc::{RequestContext, Target};
use novactor::Node;
use novactor_nova::rpcapi::BaseApi;
use novactor_nova::{definitions, NovaService};
use serde_json::json;

const SEQUENTIAL_CALLS: usize = 20_000;
const CONCURRENT_CALLERS: usize = 64;
const CALLS_PER_CALLER: usize = 500;
const CASTS: usize = 50_000;

#[path = "process_memory.rs"]
mod process_memory;
use process_memory::rss_mib;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn main() {
    // `cargo bench` passes --bench; nothing to parse.
    actix_rt::System::new().block_on(async {
        let state = tempfile::tempdir().expect("temp dir");
        let state_path = state.path().to_string_lossy().into_owned();
        let config = NovaConfig::with_overrides(&[("DEFAULT", "periodic_fuzzy_delay", "0"), ("DEFAULT", "state_path", &state_path), ("DEFAULT", "osapi_compute_listen_port", "0")])
            .expect("config");
        let db = novactor_nova::db::open(&config).await.expect("embedded database");
        let rss_before = rss_mib();
        let started = Instant::now();
        let services = definitions(&config, &NovaService::ALL, Some(&db)).unwrap();
        let node = Node::start(Arc::clone(config.runtime()), services).await.expect("node");
        let startup = started.elapsed();
        let api = BaseApi::new(&node.client(Target::topic("conductor")));
        let ctx = RequestContext::new();
        for _ in 0..1_000 {
            api.ping(&ctx, json!(1), None).await.expect("warm-up ping");
        }

        let mut latencies = Vec::with_capacity(SEQUENTIAL_CALLS);
        let sequential_started = Instant::now();
        for i in 0..SEQUENTIAL_CALLS {
            let t = Instant::now();
            api.ping(&ctx, json!(i), None).await.expect("ping");
            latencies.push(t.elapsed());
        }
        let sequential = sequential_started.elapsed();
        latencies.sort();

        let concurrent_started = Instant::now();
        let mut callers = Vec::new();
        for _ in 0..CONCURRENT_CALLERS {
            let api = api.clone();
            callers.push(actix_rt::spawn(async move {
                let ctx = RequestContext::new();
                for i in 0..CALLS_PER_CALLER {
                    api.ping(&ctx, json!(i), None).await.expect("ping");
                }
            }));
        }
        for caller in callers {
            caller.await.expect("caller");
        }
        let concurrent = concurrent_started.elapsed();
        let concurrent_calls = CONCURRENT_CALLERS * CALLS_PER_CALLER;

        let before = node.snapshot().await.expect("snapshot").actor("conductor").expect("conductor").handled;
        let client = node.client(Target::topic("conductor")).with_namespace("baseapi");
        let casts_started = Instant::now();
        for i in 0..CASTS {
            client.cast(&ctx, "ping", json!({"arg": i})).await.expect("cast");
        }
        loop {
            let handled = node.snapshot().await.expect("snapshot").actor("conductor").expect("conductor").handled;
            if handled >= before + CASTS as u64 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let casts = casts_started.elapsed();
        let rss_after = rss_mib();
        node.shutdown().await.expect("shutdown");

        println!("novactor rpc_memory benchmark (memory:// transport, conductor baseapi.ping)");
        println!("start-up, 4 actors to ready:       {:>10.2} ms", startup.as_secs_f64() * 1e3);
        println!(
            "sequential calls ({SEQUENTIAL_CALLS}):          {:>10.0} calls/s   p50 {:.1} µs  p99 {:.1} µs  max {:.1} µs",
            SEQUENTIAL_CALLS as f64 / sequential.as_secs_f64(),
            percentile(&latencies, 0.50).as_secs_f64() * 1e6,
            percentile(&latencies, 0.99).as_secs_f64() * 1e6,
            latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e6),
        );
        println!(
            "concurrent calls ({CONCURRENT_CALLERS} callers × {CALLS_PER_CALLER}): {:>10.0} calls/s",
            concurrent_calls as f64 / concurrent.as_secs_f64()
        );
        println!("casts ({CASTS}, until handled):     {:>10.0} casts/s", CASTS as f64 / casts.as_secs_f64());
        println!("resident memory: {rss_before:.1} MiB before start, {rss_after:.1} MiB after the runs");
    });
}
