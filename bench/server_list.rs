//! `GET /v2.1/servers/detail?limit=100` with 100,000 instances in PostgreSQL: p50/p95 of the
//! first page, of pages deep into the list by marker, and of `name` filters, against the
//! in-process cloud (memory transport) on a database of the run's own
//! (`bench_server_list_<hex>`, dropped at the end). The rows are written with one
//! `INSERT … SELECT generate_series` statement, not through the API.
//!
//! Run: `cargo bench --bench server_list` (or `bash bench/server_list.sh`);
//! `SERVER_LIST_INSTANCES` changes the count, `SERVER_LIST_REQUESTS` the requests per case.

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

use common::Backend;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes `count` live instances of project `admin` on compute `host`, one second apart,
/// 1% of them in ERROR, in one statement.
async fn bulk_insert(db: &novactor_nova::db::NovaDb, host: &str, count: usize) {
    let sql = format!(
        "INSERT INTO instances (uuid, display_name, hostname, user_id, project_id, image_ref, \
         instance_type_id, memory_mb, vcpus, root_gb, ephemeral_gb, swap, vm_state, \
         power_state, host, node, availability_zone, launch_index, created_at, updated_at, \
         deleted) \
         SELECT gen_random_uuid()::text, 'vm-' || n, 'vm-' || n, 'admin', 'admin', \
         '70a599e0-31e7-49b7-b260-868f441e862b', 1, 512, 1, 1, 0, 0, \
         CASE WHEN n % 100 = 0 THEN 'error' ELSE 'active' END, 1, '{host}', '{host}', \
         'nova', 0, TIMESTAMPTZ '2026-01-01 00:00:00+00' + n * INTERVAL '1 second', NULL, 0 \
         FROM generate_series(1, {count}) AS n"
    );
    db.database().execute(&sql, &[]).await.expect("bulk insert");
    db.database()
        .execute("ANALYZE instances", &[])
        .await
        .expect("analyze");
}

/// The uuid `offset` rows into the default order (created_at desc, id desc).
async fn uuid_at(db: &novactor_nova::db::NovaDb, offset: usize) -> String {
    #[derive(sqlx::FromRow)]
    struct Uuid {
        uuid: String,
    }
    let row: Option<Uuid> = db
        .database()
        .fetch_optional(
            &format!(
                "SELECT uuid FROM instances WHERE deleted = 0 \
                 ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET {offset}"
            ),
            &[],
        )
        .await
        .expect("marker");
    row.expect("a row at that offset").uuid
}

/// `requests` sequential GETs of `path`; sorted latencies and the servers of the last.
async fn measure(cloud: &cloud::Cloud, path: &str, requests: usize) -> (Vec<Duration>, usize) {
    let mut latencies = Vec::with_capacity(requests);
    let mut servers = 0;
    for _ in 0..requests {
        let t = Instant::now();
        let reply = cloud.admin("GET", path, None).await;
        latencies.push(t.elapsed());
        assert_eq!(reply.status, 200, "{path}: {reply:?}");
        servers = reply.body["servers"].as_array().map_or(0, Vec::len);
    }
    latencies.sort();
    (latencies, servers)
}

fn ms(latencies: &[Duration], q: f64) -> f64 {
    let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
    latencies[i].as_secs_f64() * 1e3
}

fn main() {
    actix_rt::System::new().block_on(async {
        let count = env_count("SERVER_LIST_INSTANCES", 100_000);
        let requests = env_count("SERVER_LIST_REQUESTS", 200);
        let fresh = nova::fresh_nova_db(Backend::Postgres, "bench_server_list").await;
        let cloud = cloud::cloud_with(&[("database", "connection", fresh.url.as_str())]).await;
        let t = Instant::now();
        bulk_insert(&cloud.db, &cloud.host, count).await;
        println!(
            "novactor server_list: {count} instances in PostgreSQL (one INSERT … SELECT, {:.1} s); \
             {requests} sequential requests per case, admin, microversion 2.53",
            t.elapsed().as_secs_f64()
        );
        let deep = uuid_at(&cloud.db, count / 2).await;
        let last_page = uuid_at(&cloud.db, count.saturating_sub(101)).await;
        let cases = [
            ("first page", "/v2.1/servers/detail?limit=100".to_owned()),
            (
                "page at the middle (marker)",
                format!("/v2.1/servers/detail?limit=100&marker={deep}"),
            ),
            (
                "last page (marker)",
                format!("/v2.1/servers/detail?limit=100&marker={last_page}"),
            ),
            (
                "name=vm-9 (the newest rows match)",
                "/v2.1/servers/detail?limit=100&name=vm-9".to_owned(),
            ),
            (
                "name=vm-1 (first match after 80% of rows)",
                "/v2.1/servers/detail?limit=100&name=vm-1".to_owned(),
            ),
            (
                "name=^vm-9999$ (one match: every row read)",
                "/v2.1/servers/detail?limit=100&name=%5Evm-9999%24".to_owned(),
            ),
            ("brief list", "/v2.1/servers?limit=100".to_owned()),
        ];
        for (name, path) in cases {
            let (latencies, servers) = measure(&cloud, &path, requests).await;
            println!(
                "{name:<44} {servers:>3} servers  p50 {:>7.2} ms  p95 {:>7.2} ms",
                ms(&latencies, 0.5),
                ms(&latencies, 0.95)
            );
        }
        cloud.node.shutdown().await.expect("shutdown");
        drop(fresh);
    });
}
