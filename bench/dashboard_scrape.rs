//! What watching a simulated cloud costs: a process with `[compute] fake_hosts` compute
//! actors (plus conductor, scheduler, api) serving its dashboard; times the supervision
//! snapshot, `/metrics`, `/api/v1/snapshot` and one live-update event over loopback HTTP,
//! with their sizes, and the RSS. Run: `cargo bench --bench dashboard_scrape`
//! (or `bash bench/dashboard_scrape.sh`); `FAKE_HOSTS=500` to change the size.

use novactor_nova::conf::NovaConfig;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use novactor::dashboard::{self, DashboardParts};
use novactor::Node;
use novactor_nova::{definitions, NovaService};

const ROUNDS: usize = 50;

#[path = "process_memory.rs"]
mod process_memory;
use process_memory::rss_mib;

fn report(what: &str, mut times: Vec<Duration>, bytes: usize) {
    times.sort();
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{what:<34} p50 {:>8.2} ms  p99 {:>8.2} ms  {:>8.1} KiB",
        p(0.5).as_secs_f64() * 1e3,
        p(0.99).as_secs_f64() * 1e3,
        bytes as f64 / 1024.0
    );
}

fn main() {
    let hosts: usize = std::env::var("FAKE_HOSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    actix_rt::System::new().block_on(async move {
        let state = tempfile::tempdir().expect("temp dir");
        let state_path = state.path().to_string_lossy().into_owned();
        let hosts_text = hosts.to_string();
        let config = NovaConfig::with_overrides(&[
            ("DEFAULT", "periodic_fuzzy_delay", "0"),
            ("DEFAULT", "state_path", &state_path),
            ("DEFAULT", "osapi_compute_listen_port", "0"),
            ("compute", "fake_hosts", &hosts_text),
        ])
        .expect("config");
        let db = novactor_nova::db::open(&config).await.expect("embedded database");
        let rss_before = rss_mib();
        let services = definitions(&config, &NovaService::ALL, Some(&db)).expect("definitions");
        let started = Instant::now();
        let node = Node::start(Arc::clone(config.runtime()), services).await.expect("node");
        let startup = started.elapsed();
        let parts = DashboardParts {
            services: Some(Arc::new(novactor_nova::db::DbServiceGroup::new(
                db.clone(),
                novactor_nova::db::SERVICE_VERSION,
            ))),
            checks: vec![Arc::new(dashboard::DatabaseCheck::new(db.database().clone()))],
            description: "bench".into(),
            service_down_time: config.service.service_down_time,
        };
        let running =
            dashboard::serve("127.0.0.1", 0, &config.dashboard, &node, parts).expect("binds");
        let base = format!("http://{}", running.addr());
        let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
        let actors = node.snapshot().await.expect("snapshot").actors.len();
        println!("dashboard of {actors} actor instances ({hosts} fake compute hosts); started in {:.1} ms", startup.as_secs_f64() * 1e3);

        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let snapshot = node.snapshot().await.expect("snapshot");
            times.push(t.elapsed());
            size = serde_json::to_vec(&snapshot).map_or(0, |v| v.len());
        }
        report("supervision snapshot (in process)", times, size);

        for path in ["/api/v1/snapshot", "/metrics", "/readyz", "/api/v1/services"] {
            let mut times = Vec::new();
            let mut size = 0;
            for _ in 0..ROUNDS {
                let t = Instant::now();
                let mut response = client.get(format!("{base}{path}")).send().await.expect("GET");
                let body = response.body().limit(1 << 26).await.expect("body");
                times.push(t.elapsed());
                size = body.len();
            }
            report(&format!("GET {path}"), times, size);
        }

        // The live stream: time from request to the first full event, then between events.
        let t = Instant::now();
        let mut events = client.get(format!("{base}/api/v1/events")).send().await.expect("events");
        let mut text = Vec::new();
        // The `retry:` block, then the first event: two blank-line terminators.
        while text.windows(2).filter(|w| w == b"\n\n").count() < 2 {
            match events.next().await {
                Some(Ok(chunk)) => text.extend_from_slice(&chunk),
                _ => break,
            }
        }
        report("first SSE event", vec![t.elapsed()], text.len());
        println!("RSS: {rss_before:.1} MiB before start, {:.1} MiB after", rss_mib());
        running.stop().await;
        let _ = node.shutdown().await;
    });
}
