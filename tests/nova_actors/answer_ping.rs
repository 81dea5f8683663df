//! Every RPC-serving Nova actor serves BaseRPCAPI (`baseapi` 1.1): `ping` and
//! `get_backdoor_port`; the api actor consumes no topic.

use std::sync::Arc;

use novactor::rpc::{RequestContext, Target};
use novactor::Node;
use novactor_nova::rpcapi::ComputeApi;
use novactor_nova::rpcapi::ConductorApi;
use novactor_nova::rpcapi::SchedulerApi;
use novactor_nova::{definitions, rpcapi::BaseApi, NovaService};
use serde_json::json;

/// All four services on the embedded defaults, with a SQLite database in a temp dir
/// (kept alive by the returned guard).
async fn all_four() -> (Node, tempfile::TempDir) {
    let state = tempfile::tempdir().unwrap();
    let state_path = state.path().to_str().unwrap().to_owned();
    let config = crate::nova::nova_config(&[
        ("DEFAULT", "host", "node7"),
        ("DEFAULT", "periodic_fuzzy_delay", "0"),
        ("DEFAULT", "state_path", &state_path),
        // Tests run in parallel: each api actor takes a free port, not 8774.
        ("DEFAULT", "osapi_compute_listen_port", "0"),
    ])
    .unwrap();
    let db = novactor_nova::db::open(&config)
        .await
        .expect("embedded database");
    let services = definitions(&config, &NovaService::ALL, Some(&db)).unwrap();
    (
        Node::start(Arc::clone(config.runtime()), services)
            .await
            .expect("starts"),
        state,
    )
}

#[actix_rt::test]
async fn ping_returns_the_managers_service_name_and_the_arg() {
    let (node, _state) = all_four().await;
    let ctx = RequestContext::new();
    let conductor = ConductorApi::new(node.client(ConductorApi::target()));
    let scheduler = SchedulerApi::new(node.client(SchedulerApi::target()));
    let compute = ComputeApi::new(node.client(ComputeApi::target())).with_server("node7");
    assert_eq!(
        conductor.ping(&ctx, json!("hi")).await.unwrap(),
        json!({"service": "conductor", "arg": "hi"})
    );
    assert_eq!(
        scheduler.ping(&ctx, json!({"n": 1})).await.unwrap(),
        json!({"service": "scheduler", "arg": {"n": 1}})
    );
    assert_eq!(
        compute.ping(&ctx, json!(null)).await.unwrap(),
        json!({"service": "compute", "arg": null})
    );
}

#[actix_rt::test]
async fn get_backdoor_port_is_null_on_every_rpc_service() {
    let (node, _state) = all_four().await;
    for topic in ["conductor", "scheduler", "compute"] {
        let api = BaseApi::new(&node.client(Target::topic(topic)));
        assert_eq!(
            api.get_backdoor_port(&RequestContext::new(), "node7")
                .await
                .unwrap(),
            json!(null),
            "{topic}"
        );
    }
}

#[actix_rt::test]
async fn ping_without_arg_is_a_type_error_and_version_1_2_is_unsupported() {
    let (node, _state) = all_four().await;
    let client = node
        .client(Target::topic("conductor"))
        .with_namespace("baseapi");
    let missing = client
        .call(&RequestContext::new(), "ping", json!({}))
        .await
        .unwrap_err();
    assert_eq!(missing.remote_class(), Some("TypeError"), "{missing}");
    let newer = client
        .with_version("1.2")
        .call(&RequestContext::new(), "ping", json!({"arg": 1}))
        .await
        .unwrap_err();
    assert_eq!(newer.remote_class(), Some("UnsupportedVersion"), "{newer}");
}

#[actix_rt::test]
async fn the_tree_has_four_running_actors_and_only_rpc_services_consume_queues() {
    let (node, _state) = all_four().await;
    let snapshot = node.snapshot().await.unwrap();
    let names: Vec<&str> = snapshot.actors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["conductor", "scheduler", "compute", "api"]);
    assert!(snapshot.all_running());
    let compute = snapshot.actor("compute").unwrap();
    assert_eq!(compute.binary, "nova-compute");
    assert_eq!(
        compute.rpc_queues[..2],
        ["compute".to_owned(), "compute.node7".to_owned()]
    );
    assert!(compute.rpc_queues[2].starts_with("compute_fanout_"));
    assert!(snapshot.actor("api").unwrap().rpc_queues.is_empty());
    assert!(snapshot.actor("api").unwrap().heartbeat.is_none());
}
