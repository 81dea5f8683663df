//! What the measurements share: the sizes and deadlines, a cloud node's config and start,
//! counting rows, waiting for compute nodes, and small figures (RSS, percentiles).

use novactor_nova::conf::NovaConfig;
use std::sync::Arc;
use std::time::{Duration, Instant};

use novactor::rpc::Transport;
use novactor::supervisor::RuntimeEnv;
use novactor::Node;
use novactor_nova::db::{DbServiceGroup, NovaDb, SERVICE_VERSION};
use novactor_nova::{definitions, NovaService};

pub(crate) const BOOTS: u32 = 1_000;
pub(crate) const BATCHES: u32 = 10;
pub(crate) const BOOT_HOSTS: &str = "10";
pub(crate) const MANY_HOSTS: usize = 1_000;
pub(crate) const SELECT_WARM_UP: usize = 20;
pub(crate) const SELECT_CALLS: usize = 200;
/// Wait before the second round of `select_destinations`.
pub(crate) const SETTLE: Duration = Duration::from_secs(2);
/// A measurement that has not finished by then is a MISS, and the bench moves on.
pub(crate) const BOOT_DEADLINE: Duration = Duration::from_secs(60);
pub(crate) const START_DEADLINE: Duration = Duration::from_secs(60);

pub(crate) use crate::process_memory::rss_mib;

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub(crate) fn hex8() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}

/// Options every measurement shares: no periodic fuzz (the computes' first power-state
/// sync runs at start, as Nova's does with fuzz 0), Nova's default intervals otherwise
/// (heartbeat 10 s, resource audit 60 s), an RPC timeout a loaded bus can meet.
pub(crate) fn bench_config(host: &str, extra: &[(&str, &str, &str)]) -> NovaConfig {
    let mut all = vec![
        ("DEFAULT", "host", host),
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("DEFAULT", "rpc_response_timeout", "60"),
        ("fake_driver", "spawn_delay", "0"),
    ];
    all.extend_from_slice(extra);
    NovaConfig::with_overrides(&all).expect("bench config")
}

/// One node on `transport` hosting conductor + scheduler (with `db`, service records in
/// `db`) and `[compute] fake_hosts` computes (no database: through the conductor).
pub(crate) async fn cloud_node(
    config: &NovaConfig,
    transport: Arc<dyn Transport>,
    db: &NovaDb,
) -> Node {
    let servicegroup = Arc::new(DbServiceGroup::new(db.clone(), SERVICE_VERSION));
    let env = RuntimeEnv::new(Arc::clone(config.runtime()), transport, servicegroup);
    let services = definitions(
        config,
        &[
            NovaService::Conductor,
            NovaService::Scheduler,
            NovaService::Compute,
        ],
        Some(db),
    )
    .expect("definitions");
    Node::start_with(env, services).await.expect("node")
}

/// The single integer a `SELECT COUNT(*) …` returns.
pub(crate) async fn count(db: &NovaDb, sql: &str) -> i64 {
    db.database()
        .fetch_optional::<(i64,)>(sql, &[])
        .await
        .expect("count")
        .map_or(0, |(n,)| n)
}

/// Wait until `want` compute nodes are registered; the time it took, or `None` past the deadline.
pub(crate) async fn wait_for_nodes(db: &NovaDb, want: i64, since: Instant) -> Option<Duration> {
    loop {
        let nodes = count(db, "SELECT COUNT(*) FROM compute_nodes WHERE deleted = 0").await;
        if nodes >= want {
            return Some(since.elapsed());
        }
        if since.elapsed() > START_DEADLINE {
            eprintln!("only {nodes} of {want} compute nodes after {START_DEADLINE:?}");
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
