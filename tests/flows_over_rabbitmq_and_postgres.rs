//! Nova's instance flows end to end over RabbitMQ and PostgreSQL (each test its own
//! exchange, topics-by-host and fresh database `novactor_flows_<hex>`, dropped at the end).

mod common;

use common::*;

const BROKER: Broker = Broker::Rabbit;

/// Drops the test database when the test ends.
struct Guard {
    admin_url: String,
    name: String,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop cannot await, and a pool belongs to the runtime that made it: connect
        // afresh on a runtime of this thread's own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async move {
                    if let Ok(admin) = novactor::db::Database::connect(
                        &options(&admin_url),
                        std::path::Path::new("."),
                    )
                    .await
                    {
                        let _ = admin.execute(&sql, &[]).await;
                        admin.close().await;
                    }
                });
            }
        })
        .join();
    }
}

fn options(url: &str) -> novactor::config::DatabaseOptions {
    novactor::config::DatabaseOptions {
        connection: Some(novactor::config::SecretUrl::new(url)),
        max_pool_size: 5,
        max_retries: Some(0),
        retry_interval: std::time::Duration::ZERO,
        connection_recycle_time: std::time::Duration::from_secs(3600),
    }
}

async fn database(_config: &novactor::config::Config) -> (novactor::actors::db::NovaDb, Guard) {
    let admin_url = std::env::var("NOVACTOR_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/test".into());
    let admin = novactor::db::Database::connect(&options(&admin_url), std::path::Path::new("."))
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL is needed ({e}); start it with bash scripts/services.sh")
        });
    let name = format!("novactor_flows_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute(&format!("CREATE DATABASE {name}"), &[])
        .await
        .unwrap();
    let url = format!(
        "{}/{name}",
        admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base)
    );
    let db = novactor::actors::db::NovaDb::new(
        novactor::db::Database::connect(&options(&url), std::path::Path::new("."))
            .await
            .unwrap(),
    );
    db.sync().await.unwrap();
    admin.close().await;
    (db, Guard { admin_url, name })
}

include!("scenarios/flows.rs");
