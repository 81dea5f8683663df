//! The connection's life, owned by one task: connect (hosts in turn or at random, as
//! `kombu_failover_strategy` says; oslo's backoff),
//! open the publisher channels, resume every subscription (re-declared, and packed onto
//! new shared consumer channels), serve until the link is lost (socket error, missed
//! heartbeats, broker shutdown, a publisher channel closed, a consumer cancelled by the
//! broker, a consumer that could not be started again after its channel failed), then
//! start over — until the transport is dropped. After a reconnect, the transient queues
//! are checked for a while (`queue_audit.rs`). Another channel closed by the broker is
//! not a lost link: its owner has the error. lapin's own auto-recovery is not used
//! (lapin#450: it does not recover after a broker restart).

use std::sync::Arc;
use std::time::Duration;

use futures::{stream, StreamExt};
use lapin::types::{LongString, ShortString};
use lapin::{Connection, ConnectionProperties};
use rand::Rng;
use tokio::sync::mpsc;

use super::consumer::start_subscription;
use super::publisher::open_publishers;
use super::queue_audit::audit_transient_queues;
use super::settings::AmqpSettings;
use super::shared_state::{lock, Inner, Link};
use super::url::{BrokerHost, RabbitUrl};
use crate::config::FailoverStrategy;
use crate::rpc::transport::LinkState;

/// Subscriptions resumed at once after a reconnect: enough to keep the declaration channels
/// and the consumer channels' pipelines busy, few enough to stop soon after a failure.
const RESUME_CONCURRENCY: usize = 32;

fn connection_properties() -> ConnectionProperties {
    let program = std::env::args()
        .next()
        .as_deref()
        .and_then(|p| p.rsplit('/').next().map(str::to_owned))
        .unwrap_or_else(|| "novactor".to_owned());
    let name = format!("{program}:{}:{}", std::process::id(), uuid::Uuid::new_v4());
    ConnectionProperties::default()
        .with_connection_name(LongString::from(name.as_str()))
        .with_client_property(ShortString::from("product"), LongString::from("novactor"))
        .with_client_property(
            ShortString::from("version"),
            LongString::from(env!("CARGO_PKG_VERSION")),
        )
}

async fn connect_once(
    url: &RabbitUrl,
    host: &BrokerHost,
    settings: &AmqpSettings,
) -> Result<Connection, String> {
    let tls = url.tls || settings.tls;
    let uri = lapin::uri::AMQPUri {
        scheme: if tls {
            lapin::uri::AMQPScheme::AMQPS
        } else {
            lapin::uri::AMQPScheme::AMQP
        },
        authority: lapin::uri::AMQPAuthority {
            userinfo: lapin::uri::AMQPUserInfo {
                username: host.username.clone(),
                password: host.password.clone(),
            },
            host: host.host.clone(),
            port: host.port,
        },
        vhost: url.vhost.clone(),
        query: lapin::uri::AMQPQueryString {
            heartbeat: Some(settings.heartbeat_secs),
            connection_timeout: Some(10_000),
            auth_mechanism: Some(if settings.amqplain {
                lapin::uri::SASLMechanism::AMQPlain
            } else {
                lapin::uri::SASLMechanism::Plain
            }),
            ..Default::default()
        },
    };
    let tls_config = settings.tls_files.lapin_config();
    let runtime = lapin::runtime::default_runtime().map_err(|e| e.to_string())?;
    Connection::connect_uri_with_config(uri, connection_properties(), tls_config, runtime)
        .await
        .map_err(|e| e.to_string())
}

/// oslo's reconnect delay: interval + backoff × (attempt − 1), capped, plus up to 20 % jitter.
fn retry_delay(settings: &AmqpSettings, attempt: u32) -> Duration {
    let base = settings.retry_interval + settings.retry_backoff * attempt.saturating_sub(1);
    let capped = base.min(settings.interval_max);
    capped.mul_f64(1.0 + rand::rng().random_range(0.0..0.2))
}

/// The host the next connection attempt takes, of `count`: kombu's failover strategies —
/// round-robin cycles through them in URL order (`tried` attempts so far), shuffle takes any
/// one at random each time (kombu `shufflecycle`).
fn pick_host(strategy: FailoverStrategy, tried: usize, count: usize) -> usize {
    match strategy {
        _ if count <= 1 => 0,
        FailoverStrategy::RoundRobin => tried % count,
        FailoverStrategy::Shuffle => rand::rng().random_range(0..count),
    }
}

/// The connection's owner: connect, serve, notice loss, reconnect — until the transport
/// is dropped.
pub(super) async fn own_connection(
    inner: std::sync::Weak<Inner>,
    mut lost: mpsc::UnboundedReceiver<(u64, String)>,
) {
    let mut generation = 0u64;
    let mut next_host = 0usize;
    let mut ever_connected = false;
    loop {
        // Connect, trying the hosts as the failover strategy says.
        let mut attempt = 0u32;
        let (connection, broker) = loop {
            let Some(strong) = inner.upgrade() else {
                return;
            };
            let count = strong.url.hosts.len();
            let host =
                strong.url.hosts[pick_host(strong.settings.failover, next_host, count)].clone();
            next_host = next_host.wrapping_add(1);
            attempt += 1;
            match connect_once(&strong.url, &host, &strong.settings).await {
                Ok(connection) => break (connection, format!("{}:{}", host.host, host.port)),
                Err(error) => {
                    let delay = retry_delay(&strong.settings, attempt);
                    if attempt == 1 {
                        tracing::error!(broker = %format!("{}:{}", host.host, host.port), %error,
                            "cannot connect to RabbitMQ; retrying with backoff");
                    } else {
                        tracing::debug!(%error, attempt, "RabbitMQ connection attempt failed");
                    }
                    strong.status.update(|s| s.last_error = Some(error));
                    drop(strong);
                    tokio::time::sleep(delay).await;
                }
            }
        };
        let Some(strong) = inner.upgrade() else {
            return;
        };
        generation += 1;
        let publishers = match open_publishers(&connection).await {
            Ok(channels) => channels,
            Err(error) => {
                strong
                    .status
                    .update(|s| s.last_error = Some(error.to_string()));
                tokio::time::sleep(retry_delay(&strong.settings, 1)).await;
                continue;
            }
        };
        let connection = Arc::new(connection);
        let link = Link {
            generation,
            connection: Arc::clone(&connection),
            publishers,
        };
        // Resume every subscription before announcing the link.
        let ids: Vec<u64> = lock(&strong.subscriptions).keys().copied().collect();
        let mut starts = stream::iter(ids)
            .map(|id| start_subscription(Arc::clone(&strong), link.clone(), id))
            .buffer_unordered(RESUME_CONCURRENCY);
        let mut resumed = true;
        while let Some(started) = starts.next().await {
            if let Err(error) = started {
                tracing::error!(%error, "re-declaring a subscription failed; reconnecting");
                strong
                    .status
                    .update(|s| s.last_error = Some(error.to_string()));
                resumed = false;
                break;
            }
        }
        drop(starts);
        if !resumed {
            let _ = connection
                .close(320, ShortString::from("reconnecting"))
                .await;
            tokio::time::sleep(retry_delay(&strong.settings, 1)).await;
            continue;
        }
        strong.status.update(|s| {
            s.state = LinkState::Connected;
            s.broker = Some(broker.clone());
            if ever_connected {
                s.reconnects += 1;
            }
        });
        if ever_connected {
            tracing::info!(%broker, "reconnected to RabbitMQ; consumers resumed");
            tokio::spawn(audit_transient_queues(
                Arc::downgrade(&strong),
                link.clone(),
            ));
        } else {
            tracing::info!(%broker, "connected to RabbitMQ");
        }
        ever_connected = true;
        let publishing = link.clone();
        strong.link.send_replace(Some(link));
        let mut events = connection.events_listener();
        drop(strong);

        // Serve until something reports this generation lost.
        let (reason, heartbeat_missed) = loop {
            tokio::select! {
                event = events.next() => match event {
                    // lapin reports a channel the broker closed with a (soft) error here
                    // too. A declaration channel's error went back to its declarer, and a
                    // consumer channel's consumers start again (consumer.rs): the
                    // connection is fine. Only the publisher channels have no other owner.
                    Some(lapin::Event::Error(error))
                        if error.is_amqp_soft_error() && publishing.publishers_open() =>
                    {
                        tracing::debug!(%error, "a channel was closed with an error; the connection stays");
                        continue;
                    }
                    Some(lapin::Event::Error(error)) => {
                        let missed = matches!(error.kind(), lapin::ErrorKind::MissingHeartbeatError);
                        break (error.to_string(), missed);
                    }
                    Some(_) => continue,
                    None => break ("connection event stream ended".to_owned(), false),
                },
                report = lost.recv() => match report {
                    Some((lost_generation, reason)) if lost_generation == generation => break (reason, false),
                    Some(_) => continue,
                    None => return,
                },
            }
        };
        let Some(strong) = inner.upgrade() else {
            return;
        };
        strong.link.send_replace(None);
        strong.status.update(|s| {
            s.state = LinkState::Reconnecting;
            s.losses += 1;
            s.heartbeats_missed += u64::from(heartbeat_missed);
            s.broker = None;
            s.last_error = Some(reason.clone());
        });
        tracing::error!(%broker, %reason, "lost the RabbitMQ connection; reconnecting");
        drop(strong);
        let _ = connection
            .close(320, ShortString::from("reconnecting"))
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_by_the_backoff_and_caps() {
        let settings = AmqpSettings::default();
        let first = retry_delay(&settings, 1);
        assert!(
            first >= Duration::from_secs(1) && first <= Duration::from_millis(1200),
            "{first:?}"
        );
        let third = retry_delay(&settings, 3);
        assert!(
            third >= Duration::from_secs(5) && third <= Duration::from_secs(6),
            "{third:?}"
        );
        let late = retry_delay(&settings, 100);
        assert!(
            late >= Duration::from_secs(30) && late <= Duration::from_secs(36),
            "{late:?}"
        );
    }

    #[test]
    fn round_robin_takes_the_hosts_in_url_order_and_shuffle_any_of_them() {
        let round: Vec<usize> = (0..7)
            .map(|tried| pick_host(FailoverStrategy::RoundRobin, tried, 3))
            .collect();
        assert_eq!(round, [0, 1, 2, 0, 1, 2, 0]);
        // 300 random picks of 3 hosts: each is taken (all miss one with probability
        // 3 × (2/3)^300), and not in URL order (probability 3^-300).
        let shuffled: Vec<usize> = (0..300)
            .map(|tried| pick_host(FailoverStrategy::Shuffle, tried, 3))
            .collect();
        for host in 0..3 {
            assert!(
                shuffled.contains(&host),
                "host {host} never tried: {shuffled:?}"
            );
        }
        let in_order: Vec<usize> = (0..300).map(|tried| tried % 3).collect();
        assert_ne!(shuffled, in_order);
        assert_eq!(pick_host(FailoverStrategy::Shuffle, 5, 1), 0);
    }
}
