//! The fault switches: RabbitMQ (`rabbitmqctl stop_app` / `start_app`) and PostgreSQL
//! (`pg_ctlcluster … stop` / `start`) stopped and started on the local servers, with guards
//! that start them again however a test ends. Only tests holding `ONE_AT_A_TIME` use them.

/// `rabbitmqctl <action>` on the local broker; panics with its stderr when it fails.
pub(crate) fn rabbitmqctl(action: &str) {
    let output = std::process::Command::new("rabbitmqctl")
        .arg(action)
        .output()
        .expect("rabbitmqctl runs");
    assert!(
        output.status.success(),
        "rabbitmqctl {action}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Starts the broker again however a test that stopped it ends, so later tests find it.
pub(crate) struct BrokerBack;

impl Drop for BrokerBack {
    fn drop(&mut self) {
        let _ = std::process::Command::new("rabbitmqctl")
            .arg("start_app")
            .output();
    }
}

/// `pg_ctlcluster <version> main <action>` on the local cluster; panics with its stderr.
pub(crate) fn pg_ctl(action: &str) {
    let output = std::process::Command::new("pg_ctlcluster")
        .args([
            "--skip-systemctl-redirect",
            &cluster_version(),
            "main",
            action,
        ])
        .output()
        .expect("pg_ctlcluster runs");
    assert!(
        output.status.success(),
        "pg_ctlcluster {action}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn cluster_version() -> String {
    std::fs::read_dir("/etc/postgresql")
        .ok()
        .and_then(|mut dir| dir.next())
        .and_then(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .expect("a PostgreSQL cluster under /etc/postgresql")
}

/// Starts PostgreSQL again however a test that stopped it ends.
pub(crate) struct PostgresBack;

impl Drop for PostgresBack {
    fn drop(&mut self) {
        let _ = std::process::Command::new("pg_ctlcluster")
            .args([
                "--skip-systemctl-redirect",
                &cluster_version(),
                "main",
                "start",
            ])
            .output();
    }
}

/// Stop RabbitMQ for a while; started again however the scenario ends.
pub(crate) async fn broker_outage<F: std::future::Future>(during: F) -> F::Output {
    let _back = BrokerBack;
    tokio::task::spawn_blocking(|| rabbitmqctl("stop_app"))
        .await
        .expect("stop_app");
    let output = during.await;
    tokio::task::spawn_blocking(|| rabbitmqctl("start_app"))
        .await
        .expect("start_app");
    output
}

/// Stop PostgreSQL for a while; started again however the scenario ends.
pub(crate) async fn database_outage<F: std::future::Future>(during: F) -> F::Output {
    let _back = PostgresBack;
    tokio::task::spawn_blocking(|| pg_ctl("stop"))
        .await
        .expect("pg stop");
    let output = during.await;
    tokio::task::spawn_blocking(|| pg_ctl("start"))
        .await
        .expect("pg start");
    output
}
