//! A RabbitMQ vhost of a test's own ([`Vhost`]: `rabbitmqctl add_vhost`, deleted when
//! dropped), so the broker's channel, consumer and connection counts are the test's alone;
//! and the small steps of the AMQP transport's tests: subscribe to a server queue, publish
//! to it, receive, and check the connection was never lost. It needs `rabbitmqctl` on the
//! machine of the test broker.
#![allow(dead_code, unreachable_pub)]

use std::process::Command;
use std::time::Duration;

use novactor::rpc::transport::amqp::{AmqpSettings, AmqpTransport, RabbitUrl};
use novactor::rpc::transport::{OutgoingMessage, QueueSpec, Route, Subscription};
use novactor::rpc::Transport;

use super::broker::{rabbit_url, unique};
use super::wait::wait_until;

/// `rabbitmqctl -q <args>`; panics with its stderr.
pub fn rabbitmqctl(args: &[&str]) -> String {
    let output = Command::new("rabbitmqctl")
        .arg("-q")
        .args(args)
        .output()
        .expect("rabbitmqctl runs");
    assert!(
        output.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A vhost of the test's own on the test broker, deleted (with its queues and connections)
/// when dropped.
pub struct Vhost {
    pub name: String,
}

impl Vhost {
    pub fn new() -> Self {
        let name = unique("novactor_share");
        let user = RabbitUrl::parse(&rabbit_url())
            .expect("valid test URL")
            .hosts[0]
            .username
            .clone();
        rabbitmqctl(&["add_vhost", &name]);
        rabbitmqctl(&["set_permissions", "-p", &name, &user, ".*", ".*", ".*"]);
        Self { name }
    }

    /// The test broker's URL with this vhost.
    pub fn url(&self) -> String {
        let url = rabbit_url();
        let authority = url
            .strip_prefix("rabbit://")
            .and_then(|rest| rest.split('/').next())
            .expect("rabbit://user:password@host:port/");
        format!("rabbit://{authority}/{}", self.name)
    }

    /// The same for bare lapin.
    pub fn amqp_url(&self) -> String {
        self.url().replacen("rabbit://", "amqp://", 1)
    }

    /// A connected transport on this vhost.
    pub async fn transport(&self, settings: AmqpSettings) -> AmqpTransport {
        let transport = AmqpTransport::new(RabbitUrl::parse(&self.url()).unwrap(), settings);
        wait_until(
            Duration::from_secs(15),
            "connected to RabbitMQ",
            async || {
                let status = transport.status();
                if status.connected() {
                    Ok(())
                } else {
                    Err(format!("{:?}", status.last_error))
                }
            },
        )
        .await;
        transport
    }

    /// The channels the broker has open in this vhost: (channel number, consumers).
    pub fn channels(&self) -> Vec<(u32, usize)> {
        let listing = rabbitmqctl(&[
            "list_channels",
            "--no-table-headers",
            "vhost",
            "number",
            "consumer_count",
        ]);
        listing
            .lines()
            .filter_map(|line| {
                let mut fields = line.split('\t');
                let (vhost, number, consumers) = (fields.next()?, fields.next()?, fields.next()?);
                (vhost == self.name).then(|| {
                    (
                        number.trim().parse().expect("a number"),
                        consumers.trim().parse().expect("a count"),
                    )
                })
            })
            .collect()
    }

    /// The consumer counts of the channels that have consumers, by channel number.
    pub fn consumer_channels(&self) -> Vec<(u32, usize)> {
        let mut channels: Vec<_> = self.channels().into_iter().filter(|c| c.1 > 0).collect();
        channels.sort_unstable();
        channels
    }

    /// Each consumer's queue and prefetch limit, and each channel's global one.
    pub fn prefetch(&self) -> (Vec<(String, u32)>, Vec<u32>) {
        let parse = |text: &str| text.trim().parse().expect("a count");
        let consumers = rabbitmqctl(&[
            "list_consumers",
            "-p",
            &self.name,
            "--no-table-headers",
            "queue_name",
            "prefetch_count",
        ]);
        let consumers = consumers
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .map(|(queue, prefetch)| (queue.to_owned(), parse(prefetch)))
            .collect();
        let listing = rabbitmqctl(&[
            "list_channels",
            "--no-table-headers",
            "vhost",
            "global_prefetch_count",
        ]);
        let global = listing
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .filter(|(vhost, _)| *vhost == self.name)
            .map(|(_, prefetch)| parse(prefetch))
            .collect();
        (consumers, global)
    }

    /// Consumers of `queue` at the broker.
    pub fn consumers_of(&self, queue: &str) -> usize {
        rabbitmqctl(&[
            "list_queues",
            "-p",
            &self.name,
            "--no-table-headers",
            "name",
            "consumers",
        ])
        .lines()
        .find_map(|line| {
            let (name, consumers) = line.split_once('\t')?;
            (name == queue).then(|| consumers.trim().parse().expect("a count"))
        })
        .unwrap_or(0)
    }
}

impl Vhost {
    /// Close every connection to this vhost at the broker (`CONNECTION_FORCED`).
    pub fn close_connections(&self) {
        let listing = rabbitmqctl(&["list_connections", "--no-table-headers", "vhost", "pid"]);
        for line in listing.lines() {
            if let Some((vhost, pid)) = line.split_once('\t') {
                if vhost == self.name {
                    rabbitmqctl(&["close_connection", pid.trim(), "test: forced reconnect"]);
                }
            }
        }
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        let _ = Command::new("rabbitmqctl")
            .args(["-q", "delete_vhost", &self.name])
            .output();
    }
}

pub fn settings(consumers_per_channel: u16) -> AmqpSettings {
    AmqpSettings {
        consumers_per_channel,
        ..AmqpSettings::default()
    }
}

pub fn server(exchange: &str, name: &str) -> QueueSpec {
    QueueSpec::Server {
        exchange: exchange.to_owned(),
        topic: "t".to_owned(),
        server: name.to_owned(),
    }
}

/// Publish `body` to the server queue `t.<name>` through `exchange`.
pub async fn send(transport: &AmqpTransport, exchange: &str, name: &str, body: &str) {
    transport
        .publish(OutgoingMessage {
            route: Route::Topic {
                exchange: exchange.to_owned(),
                routing_key: format!("t.{name}"),
            },
            body: body.as_bytes().to_vec(),
            expiration: None,
        })
        .await
        .expect("published and confirmed");
}

/// The next delivery's body, acknowledged; panics after `within`.
pub async fn receive(subscription: &mut Subscription, within: Duration) -> String {
    let delivery = tokio::time::timeout(within, subscription.next())
        .await
        .unwrap_or_else(|_| panic!("nothing on {} within {within:?}", subscription.queue))
        .unwrap_or_else(|| panic!("{} ended", subscription.queue));
    String::from_utf8(delivery.ack().await.expect("acked")).unwrap()
}

/// `send` to `name` and wait for it on `subscription`.
pub async fn round_trip(
    transport: &AmqpTransport,
    exchange: &str,
    name: &str,
    subscription: &mut Subscription,
) {
    let body = format!("to {name}");
    send(transport, exchange, name, &body).await;
    assert_eq!(receive(subscription, Duration::from_secs(10)).await, body);
}

pub fn no_reconnect(transport: &AmqpTransport) {
    let status = transport.status();
    assert_eq!(
        (status.losses, status.reconnects),
        (0, 0),
        "the connection was never lost: {status:?}"
    );
}
