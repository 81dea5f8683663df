//! Which broker a test runs on — `memory://` always, the RabbitMQ of
//! `NOVACTOR_TEST_RABBIT_URL` (default the local one) when asked — and a [`Scenario`]:
//! echo services on a topic of their own over that broker, so runs on one shared
//! RabbitMQ never see each other.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use novactor::rpc::transport::memory::MemoryTransport;
use novactor::rpc::{RpcClient, Target, Transport};
use novactor::Node;

use super::echo_service::{config, echo_service, node_on, Probe};
use super::wait::wait_until;

/// Which transport a shared scenario runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broker {
    /// `memory://`, always available.
    Memory,
    /// RabbitMQ at `NOVACTOR_TEST_RABBIT_URL` (default the local broker); scripts/test.sh
    /// starts it. Absent means these tests fail, loudly.
    Rabbit,
}

/// The broker URL RabbitMQ tests use.
pub fn rabbit_url() -> String {
    std::env::var("NOVACTOR_TEST_RABBIT_URL")
        .unwrap_or_else(|_| "rabbit://guest:guest@127.0.0.1:5672/".to_owned())
}

/// [`rabbit_url`] for bare lapin: `amqp://`, and the default vhost spelled out (lapin reads
/// a trailing "/" as an empty vhost where oslo means "/").
pub fn lapin_url() -> String {
    let mut url = rabbit_url().replacen("rabbit://", "amqp://", 1);
    if url.ends_with('/') {
        url.push_str("%2f");
    }
    url
}

/// A name no other test (or earlier run) uses: `<prefix>_<8 hex>`.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

impl Broker {
    /// A connected transport of this kind.
    pub async fn transport(self) -> Arc<dyn Transport> {
        match self {
            Self::Memory => Arc::new(MemoryTransport::new()),
            Self::Rabbit => {
                use novactor::rpc::transport::amqp::{AmqpSettings, AmqpTransport, RabbitUrl};
                let url = rabbit_url();
                let transport = AmqpTransport::new(
                    RabbitUrl::parse(&url).expect("valid test URL"),
                    AmqpSettings::default(),
                );
                let reachable = format!(
                    "RabbitMQ at {} (start it with scripts/services.sh or `rabbitmq-server -detached`)",
                    novactor::config::mask_url(&url)
                );
                wait_until(Duration::from_secs(15), &reachable, async || {
                    let status = transport.status();
                    if status.connected() {
                        Ok(())
                    } else {
                        Err(format!("unreachable: {:?}", status.last_error))
                    }
                })
                .await;
                Arc::new(transport)
            }
        }
    }
}

/// One scenario: a transport, a topic of its own, and the probe its services report to.
pub struct Scenario {
    pub broker: Broker,
    pub topic: String,
    pub transport: Arc<dyn Transport>,
    pub probe: Arc<Probe>,
}

impl Scenario {
    pub async fn new(broker: Broker) -> Self {
        Self {
            broker,
            topic: unique("echo"),
            transport: broker.transport().await,
            probe: Arc::new(Probe::default()),
        }
    }

    /// A node serving the scenario's topic as `host`.
    pub async fn node(&self, host: &str, overrides: &[(&str, &str, &str)]) -> Node {
        let mut all = vec![("DEFAULT", "host", host)];
        all.extend_from_slice(overrides);
        let config = config(&all);
        let service = echo_service("echo", &self.topic, &config, &self.probe);
        node_on(Arc::clone(&self.transport), config, vec![service]).await
    }

    /// A client for the scenario's topic at the endpoint's version.
    pub fn client(&self, node: &Node) -> RpcClient {
        node.client(Target::topic(&self.topic)).with_version("1.3")
    }
}
