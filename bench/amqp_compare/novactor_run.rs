//! The novactor column: a node hosting the conductor actor (`baseapi.ping`) on its own
//! `AmqpTransport`, called from a second runtime environment with its own transport.

use novactor_nova::conf::NovaConfig;
use std::sync::Arc;
use std::time::{Duration, Instant};

use novactor::rpc::transport::amqp::{AmqpSettings, AmqpTransport, RabbitUrl};
use novactor::rpc::{RequestContext, Target, Transport};
use novactor::service::define;
use novactor::servicegroup::MemoryServiceGroup;
use novactor::supervisor::RuntimeEnv;
use novactor::Node;
use novactor_nova::conductor::ConductorManager;
use novactor_nova::rpcapi::BaseApi;
use novactor_nova::NovaService;
use serde_json::json;

use crate::figures::*;

/// Names the novactor run declared, for the clean-up (empty: none).
#[derive(Debug, Default)]
pub(crate) struct NovactorNames {
    pub(crate) exchange: String,
    pub(crate) topic: String,
    pub(crate) host: String,
}

pub(crate) async fn connected_transport(url: &RabbitUrl) -> Arc<dyn Transport> {
    let transport = AmqpTransport::new(url.clone(), AmqpSettings::default());
    let deadline = Instant::now() + Duration::from_secs(15);
    while !transport.status().connected() {
        assert!(
            Instant::now() < deadline,
            "RabbitMQ is unreachable ({:?}); run `bash scripts/services.sh`",
            transport.status().last_error
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Arc::new(transport)
}

pub(crate) async fn handled(node: &Node) -> u64 {
    node.snapshot()
        .await
        .expect("snapshot")
        .actor("conductor")
        .expect("conductor")
        .handled
}

pub(crate) async fn bench_novactor(url: &RabbitUrl) -> (Figures, NovactorNames) {
    let names = NovactorNames {
        exchange: unique("bench_nova"),
        topic: unique("conductor"),
        host: unique("bench-host"),
    };
    let config = NovaConfig::with_overrides(&[
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("DEFAULT", "host", &names.host),
        ("DEFAULT", "control_exchange", &names.exchange),
    ])
    .expect("config");
    // The conductor exactly as `NovaService::Conductor.definition` builds it, but on a topic
    // of this run's own: queue names do not include the exchange, so a plain `conductor`
    // queue would be shared with any other conductor (or leftover) on the broker.
    let mut spec = NovaService::Conductor.spec(&config);
    spec.topic = Some(names.topic.clone());
    spec.instances = config.conductor.workers;
    let state = tempfile::tempdir().expect("temp dir");
    let state_path = state.path().to_string_lossy().into_owned();
    let db_config =
        NovaConfig::with_overrides(&[("DEFAULT", "state_path", &state_path)]).expect("config");
    let db = novactor_nova::db::open(&db_config)
        .await
        .expect("embedded database");
    let conductor = define(spec, move |_| ConductorManager::new(db.clone()));

    let config = Arc::clone(config.runtime());
    let server_env = RuntimeEnv::new(
        Arc::clone(&config),
        connected_transport(url).await,
        Arc::new(MemoryServiceGroup::default()),
    );
    let node = Node::start_with(server_env, vec![conductor])
        .await
        .expect("node starts");
    // The caller: another environment with its own connection, as another process.
    let client_env = RuntimeEnv::new(
        Arc::clone(&config),
        connected_transport(url).await,
        Arc::new(MemoryServiceGroup::default()),
    );
    let client = client_env
        .rpc
        .client(Target::topic(&names.topic), Duration::from_secs(60));
    let api = BaseApi::new(&client);
    let ctx = RequestContext::new();
    for i in 0..WARMUP_CALLS {
        api.ping(&ctx, json!(i), None).await.expect("warm-up ping");
    }

    // Casts: all issued at once, so they pipeline on the publisher's confirm channel.
    let caster = client.with_namespace("baseapi").with_version("1.0");
    let before = handled(&node).await;
    let started = Instant::now();
    let results = futures::future::join_all(
        (0..CASTS).map(|i| caster.cast(&ctx, "ping", json!({ "arg": i }))),
    )
    .await;
    let confirmed = started.elapsed();
    for result in results {
        result.expect("cast");
    }
    let mut drained = None;
    while started.elapsed() < DRAIN_LIMIT {
        if handled(&node).await >= before + CASTS as u64 {
            drained = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    if drained.is_none() {
        println!("novactor: the conductor did not handle all {CASTS} casts within {DRAIN_LIMIT:?}");
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
    let callers: Vec<_> = (0..CONCURRENT_CALLERS)
        .map(|_| {
            let api = api.clone();
            actix_rt::spawn(async move {
                let ctx = RequestContext::new();
                for i in 0..CALLS_PER_CALLER {
                    api.ping(&ctx, json!(i), None).await.expect("ping");
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.expect("caller");
    }
    let concurrent = concurrent_started.elapsed();
    node.shutdown().await.expect("shutdown");

    let figures = Figures {
        casts_confirmed_per_s: Some(per_s(CASTS, confirmed)),
        casts_handled_per_s: drained.map(|d| per_s(CASTS, d)),
        call_p50_us: Some(percentile_us(&latencies, 0.50)),
        call_p99_us: Some(percentile_us(&latencies, 0.99)),
        sequential_calls_per_s: Some(per_s(SEQUENTIAL_CALLS, sequential)),
        concurrent_calls_per_s: Some(per_s(CONCURRENT_CALLERS * CALLS_PER_CALLER, concurrent)),
    };
    (figures, names)
}
