//! A three-node RabbitMQ cluster (`scripts/rabbit-nodes.sh cluster`, private nodes on
//! loopback) and quorum queues (`rabbit_quorum_queue = true`): an RPC server whose
//! transport_url names all three nodes loses the node its connection is on
//! (`rabbitmqctl stop_app`) while a client on another node keeps calling and casting; after
//! the rejoin, the client's node is stopped, where the server moved too.
//! Asserted, and printed as figures (docs/RELIABILITY.md, "RabbitMQ cluster failover"):
//! - the server is back, on another node, within a bound derived from
//!   `rabbit_retry_interval` / `rabbit_retry_backoff` (one round over the URL's hosts) plus
//!   the time to re-declare and re-consume;
//! - every cast the broker confirmed is handled (quorum queues replicate; none lost);
//! - no call or cast outlives its timeout: each succeeds or is a `MessagingTimeout`, never a
//!   connection error (a publish the lost connection left unconfirmed is made again on the
//!   next connection, as oslo does);
//! - the node rejoins (`start_app`) and the cluster shows three running nodes again, and
//!   a call is answered at the end (a reply queue RabbitMQ deleted after the reconnect is
//!   declared again by the transport's audit, `src/rpc/transport/amqp/queue_audit.rs`).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use novactor::rpc::transport::{from_url, TransportStatus};
use novactor::rpc::{ClientShared, RequestContext, RpcClient, Target, Transport};
use serde_json::json;

use crate::common::rabbit_nodes::PrivateNodes;
use crate::common::*;

const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// A call may end this much after its timeout (scheduling on a loaded 2-core machine).
const CALL_SLACK: Duration = Duration::from_secs(2);
/// `rabbit_retry_interval`, `rabbit_retry_backoff`, `rabbit_interval_max` of the test (s).
const RETRY: (u64, u64, u64) = (1, 1, 5);
/// Connecting, re-declaring the quorum queues (whose leader may be moving off the stopped
/// node) and consuming again, on top of the retry delays.
const RESUME_SLACK: Duration = Duration::from_secs(15);

/// What the client's two loops saw.
#[derive(Default)]
struct Tally {
    confirmed: Mutex<Vec<String>>,
    casts_timed_out: AtomicUsize,
    casts_other: Mutex<Vec<String>>,
    calls_ok: AtomicUsize,
    calls_timed_out: AtomicUsize,
    calls_other: Mutex<Vec<String>>,
    slowest_call: Mutex<Duration>,
}

/// A transport on the cluster, trying the nodes at `ports` in that order.
fn transport(ports: &[&str], config: &novactor::config::Config) -> Arc<dyn Transport> {
    let hosts: Vec<String> = ports
        .iter()
        .map(|port| format!("guest:guest@127.0.0.1:{port}"))
        .collect();
    let url = format!("rabbit://{}/", hosts.join(","));
    from_url(Some(&url), &config.oslo_messaging_rabbit)
        .expect("a valid cluster URL")
        .0
}

async fn connected(transport: &Arc<dyn Transport>, what: &str) -> String {
    wait_until(Duration::from_secs(30), what, async || {
        let status = transport.status();
        match (status.connected(), status.broker) {
            (true, Some(broker)) => Ok(broker),
            _ => Err(format!("{:?}: {:?}", status.state, status.last_error)),
        }
    })
    .await
}

/// Casts `record` c0, c1, … until `stop`, keeping those the broker confirmed.
async fn cast_loop(client: RpcClient, tally: Arc<Tally>, stop: Arc<AtomicBool>) {
    let mut i = 0usize;
    while !stop.load(Ordering::SeqCst) {
        let value = format!("c{i}");
        i += 1;
        match client
            .cast(&RequestContext::new(), "record", json!({ "value": value }))
            .await
        {
            Ok(()) => tally.confirmed.lock().unwrap().push(value),
            Err(error) if error.is_timeout() => {
                tally.casts_timed_out.fetch_add(1, Ordering::SeqCst);
            }
            Err(error) => tally.casts_other.lock().unwrap().push(error.to_string()),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Calls `echo` until `stop`, each bounded by [`CALL_TIMEOUT`].
async fn call_loop(client: RpcClient, tally: Arc<Tally>, stop: Arc<AtomicBool>) {
    let mut i = 0usize;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        let started = Instant::now();
        let result = client
            .call(&RequestContext::new(), "echo", json!({ "value": i }))
            .await;
        let took = started.elapsed();
        {
            let mut slowest = tally.slowest_call.lock().unwrap();
            *slowest = (*slowest).max(took);
        }
        match result {
            Ok(reply) if reply["value"] == json!(i) => {
                tally.calls_ok.fetch_add(1, Ordering::SeqCst);
            }
            Err(error) if error.is_timeout() => {
                tally.calls_timed_out.fetch_add(1, Ordering::SeqCst);
            }
            other => tally.calls_other.lock().unwrap().push(format!("{other:?}")),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `rabbitmqctl args…` on `node`, off the runtime's thread.
async fn ctl(nodes: &Arc<PrivateNodes>, node: &str, args: &[&str]) -> Result<String, String> {
    let (nodes, node) = (Arc::clone(nodes), node.to_owned());
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        nodes.ctl(&node, &args, Duration::from_secs(90))
    })
    .await
    .expect("rabbitmqctl thread")
}

async fn running_nodes(nodes: &Arc<PrivateNodes>, node: &str) -> Result<usize, String> {
    let out = ctl(nodes, node, &["cluster_status", "--formatter", "json"]).await?;
    let status: serde_json::Value =
        serde_json::from_str(&out).map_err(|e| format!("{e}: {out}"))?;
    status["running_nodes"]
        .as_array()
        .map(Vec::len)
        .ok_or_else(|| format!("no running_nodes in {out}"))
}

#[actix_rt::test]
async fn the_server_fails_over_to_another_node_and_no_confirmed_cast_is_lost() {
    init_test_logging();
    let test_started = Instant::now();
    let nodes = Arc::new(PrivateNodes::cluster());
    let ports = [
        nodes.value("PORT1"),
        nodes.value("PORT2"),
        nodes.value("PORT3"),
    ];
    let names = [
        nodes.value("NODE1"),
        nodes.value("NODE2"),
        nodes.value("NODE3"),
    ];
    let node_of = |broker: &str| {
        let port = broker.rsplit(':').next().unwrap_or_default();
        let index = ports.iter().position(|p| *p == port);
        names[index.unwrap_or_else(|| panic!("{broker} is none of the cluster's nodes"))]
    };
    let (interval, backoff, max) = (
        RETRY.0.to_string(),
        RETRY.1.to_string(),
        RETRY.2.to_string(),
    );
    let config = config(&[
        ("DEFAULT", "host", "failover-server"),
        ("oslo_messaging_rabbit", "rabbit_quorum_queue", "true"),
        (
            "oslo_messaging_rabbit",
            "rabbit_retry_interval",
            interval.as_str(),
        ),
        (
            "oslo_messaging_rabbit",
            "rabbit_retry_backoff",
            backoff.as_str(),
        ),
        ("oslo_messaging_rabbit", "rabbit_interval_max", max.as_str()),
    ]);

    // The server tries the nodes in URL order, the client from node 2: they start apart.
    let server_transport = transport(&ports, &config);
    let client_transport = transport(&[ports[1], ports[2], ports[0]], &config);
    connected(&server_transport, "the server's connection").await;
    connected(&client_transport, "the client's connection").await;
    let topic = unique("failover");
    let probe = Arc::new(Probe::default());
    let service = echo_service("echo", &topic, &config, &probe);
    let node = node_on(Arc::clone(&server_transport), config.clone(), vec![service]).await;
    let shared = ClientShared::new(Arc::clone(&client_transport), "nova");
    let client = shared
        .client(Target::topic(&topic), CALL_TIMEOUT)
        .with_version("1.3");
    client
        .call(&RequestContext::new(), "echo", json!({"value": "warm-up"}))
        .await
        .expect("a call before the failover");

    // The topic queue is a quorum queue with a member on every node.
    let queues = ctl(
        &nodes,
        names[0],
        &[
            "list_queues",
            "name",
            "type",
            "members",
            "--formatter",
            "json",
        ],
    )
    .await
    .expect("list_queues");
    let queues: serde_json::Value = serde_json::from_str(&queues).expect("list_queues JSON");
    let topic_queue = queues
        .as_array()
        .and_then(|all| all.iter().find(|q| q["name"] == json!(topic)))
        .unwrap_or_else(|| panic!("no queue {topic} in {queues}"));
    assert_eq!(topic_queue["type"], "quorum", "{topic_queue}");
    assert_eq!(
        topic_queue["members"].as_array().map(Vec::len),
        Some(3),
        "{topic_queue}"
    );

    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let loops = [
        tokio::spawn(cast_loop(
            client.clone(),
            Arc::clone(&tally),
            Arc::clone(&stop),
        )),
        tokio::spawn(call_loop(
            client.clone(),
            Arc::clone(&tally),
            Arc::clone(&stop),
        )),
    ];
    wait_until(
        Duration::from_secs(20),
        "20 casts handled before the failover",
        || async { probe.records().len() >= 20 },
    )
    .await;

    // Twice: the node the server is on (node 1; the client starts on node 2); then, after
    // the rejoin, the node the client is on — where the server moved too, as a rule (the
    // next host in its URL order): whoever is on the stopped node fails over, at once.
    let bound = failover_bound(ports.len());
    let mut figures = Vec::new();
    for phase in 1..=2 {
        let on = |transport: &Arc<dyn Transport>| {
            node_of(&transport.status().broker.expect("connected"))
        };
        let dead = if phase == 1 {
            on(&server_transport)
        } else {
            on(&client_transport)
        };
        let server_moves = on(&server_transport) == dead;
        let client_moves = on(&client_transport) == dead;
        let handled_before = probe.records().len();
        let phase_figures = fail_over(
            &nodes,
            dead,
            server_moves.then_some(&server_transport),
            client_moves.then_some(&client_transport),
        )
        .await;
        for (who, moved) in [
            ("server", &phase_figures.server),
            ("client", &phase_figures.client),
        ] {
            if let Some(moved) = moved {
                assert_ne!(
                    node_of(&moved.back_on),
                    dead,
                    "the {who} reconnected to the stopped node"
                );
                assert!(
                    moved.failover <= bound,
                    "phase {phase}: the {who}'s failover took {:?}, over the bound {bound:?}",
                    moved.failover
                );
            }
        }
        wait_until(
            Duration::from_secs(30),
            "20 casts handled after the failover",
            || async { probe.records().len() >= handled_before + 20 },
        )
        .await;
        // The node rejoins; three running nodes again.
        let rejoin_started = Instant::now();
        ctl(&nodes, dead, &["start_app"]).await.expect("start_app");
        let survivor = on(&server_transport);
        wait_until(Duration::from_secs(60), "three running nodes", async || {
            running_nodes(&nodes, survivor)
                .await
                .and_then(|n| (n == 3).then_some(()).ok_or(format!("{n} running")))
        })
        .await;
        let report = |who: &str, moved: &Option<Moved>| match moved {
            Some(m) => format!(
                "{who}: lost {:.2} s after stop_app began, back on {} {:.2} s after the loss",
                m.lost_after_stop.as_secs_f64(),
                node_of(&m.back_on),
                m.failover.as_secs_f64()
            ),
            None => format!("{who}: elsewhere"),
        };
        eprintln!(
            "cluster_failover phase {phase}: stopped {dead}; stop_app took {:.2} s; {}; {} \
             (bound {:.1} s); the node rejoined in {:.1} s",
            phase_figures.stop_app_took.as_secs_f64(),
            report("server", &phase_figures.server),
            report("client", &phase_figures.client),
            bound.as_secs_f64(),
            rejoin_started.elapsed().as_secs_f64(),
        );
        figures.push(phase_figures);
    }
    assert!(
        figures.iter().any(|f| f.server.is_some()),
        "the server never failed over"
    );
    assert!(
        figures.iter().any(|f| f.client.is_some()),
        "the client never failed over"
    );
    stop.store(true, Ordering::SeqCst);
    for task in loops {
        task.await.expect("a client loop");
    }

    // Every confirmed cast handled.
    let confirmed = tally.confirmed.lock().unwrap().clone();
    let handled = || -> HashSet<String> {
        probe
            .records()
            .into_iter()
            .map(|r| r.trim_start_matches("failover-server:").to_owned())
            .collect()
    };
    wait_until(
        Duration::from_secs(30),
        "every confirmed cast handled",
        || async {
            let handled = handled();
            let missing: Vec<&String> =
                confirmed.iter().filter(|c| !handled.contains(*c)).collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{} not handled, e.g. {:?}",
                    missing.len(),
                    &missing[..missing.len().min(5)]
                ))
            }
        },
    )
    .await;
    let records = probe.records().len();
    let duplicates = records - handled().len();

    // No call outlived its timeout; each succeeded or timed out. Calls still answer.
    let slowest = *tally.slowest_call.lock().unwrap();
    let others = tally.calls_other.lock().unwrap().clone();
    assert!(
        others.is_empty(),
        "calls that neither succeeded nor timed out: {others:?}"
    );
    // A publish the lost connection left unconfirmed is made again on the next one: a cast
    // is confirmed or, past its timeout, a MessagingTimeout — never a connection error.
    let casts_other = tally.casts_other.lock().unwrap().clone();
    assert!(
        casts_other.is_empty(),
        "casts that failed otherwise: {casts_other:?}"
    );
    assert!(
        slowest <= CALL_TIMEOUT + CALL_SLACK,
        "a call took {slowest:?}"
    );
    // Calls answer after the rejoins. Within a deadline: a transient queue RabbitMQ deleted
    // after the reconnect (its on_node_down race) is found by the transport's audit and
    // declared again (src/rpc/transport/amqp/queue_audit.rs).
    let after_rejoins = Instant::now();
    wait_until(
        Duration::from_secs(90),
        "a call answered after the rejoins",
        async || {
            client
                .call(&RequestContext::new(), "echo", json!({"value": "after"}))
                .await
                .map_err(|e| e.to_string())
        },
    )
    .await;
    let after_rejoins = after_rejoins.elapsed();

    eprintln!(
        "cluster_failover: casts confirmed {}, handled {} ({} duplicate deliveries), timed \
         out (unconfirmed) {}; calls ok {}, timed out {} (slowest {:.2} s, timeout {} s); a call \
         answered {:.2} s after the rejoins; reconnects: server {}, client {}; whole test \
         {:.1} s",
        confirmed.len(),
        records - duplicates,
        duplicates,
        tally.casts_timed_out.load(Ordering::SeqCst),
        tally.calls_ok.load(Ordering::SeqCst),
        tally.calls_timed_out.load(Ordering::SeqCst),
        slowest.as_secs_f64(),
        CALL_TIMEOUT.as_secs(),
        after_rejoins.as_secs_f64(),
        server_transport.status().reconnects,
        client_transport.status().reconnects,
        test_started.elapsed().as_secs_f64(),
    );
    drop(node);
    drop(client);
}

/// One transport's failover.
struct Moved {
    /// From `stop_app`'s start to the loss.
    lost_after_stop: Duration,
    /// From the loss to the reconnection (topology re-declared, consumers resumed).
    failover: Duration,
    /// The broker afterwards (`host:port`).
    back_on: String,
}

/// One stopped node, measured: the failovers of the transports that were on it.
struct Figures {
    stop_app_took: Duration,
    server: Option<Moved>,
    client: Option<Moved>,
}

/// Stop `dead` (`stop_app`) and wait until each transport given (those on `dead`) lost its
/// connection and is back on another node.
async fn fail_over(
    nodes: &Arc<PrivateNodes>,
    dead: &str,
    server: Option<&Arc<dyn Transport>>,
    client: Option<&Arc<dyn Transport>>,
) -> Figures {
    let bound = failover_bound(3);
    let before = (server.map(|t| t.status()), client.map(|t| t.status()));
    let stopped_at = Instant::now();
    let stopping = {
        let (nodes, dead) = (Arc::clone(nodes), dead.to_owned());
        tokio::spawn(async move { ctl(&nodes, &dead, &["stop_app"]).await })
    };
    let back = |transport: Option<&Arc<dyn Transport>>, before: Option<TransportStatus>| {
        let transport = transport.map(Arc::clone);
        async move {
            let (transport, before) = (transport?, before?);
            let lost_at = wait_until(Duration::from_secs(60), "a connection lost", || async {
                (transport.status().losses > before.losses).then(Instant::now)
            })
            .await;
            let back_on = wait_until(
                bound + Duration::from_secs(30),
                "a connection back",
                || async {
                    let status = transport.status();
                    (status.connected() && status.reconnects > before.reconnects)
                        .then_some(status.broker)
                        .flatten()
                },
            )
            .await;
            Some(Moved {
                lost_after_stop: lost_at - stopped_at,
                failover: lost_at.elapsed(),
                back_on,
            })
        }
    };
    let (server, client) = futures::join!(back(server, before.0), back(client, before.1));
    stopping.await.expect("stop_app task").expect("stop_app");
    Figures {
        stop_app_took: stopped_at.elapsed(),
        server,
        client,
    }
}

/// The longest failover the settings allow: one round over the URL's `hosts` (the stopped
/// node last), each failed attempt waiting oslo's delay (interval + backoff × (attempt − 1),
/// capped, + 20 % jitter), plus [`RESUME_SLACK`].
fn failover_bound(hosts: usize) -> Duration {
    let (interval, backoff, max) = RETRY;
    let delays: u64 = (0..hosts as u64)
        .map(|attempt| (interval + backoff * attempt).min(max))
        .sum();
    Duration::from_secs(delays).mul_f64(1.2) + RESUME_SLACK
}
