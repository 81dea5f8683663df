//! The compute's personality files as a real Nova conductor sends them (`injected_files`,
//! `[path, base64]` pairs): a build's and a rebuild's files in the fake guest's console
//! log; contents that are not base64 end the build in ERROR with Nova's `Base64Exception`
//! text as the fault, and a rebuild without its task, the guest untouched; an argument of
//! the wrong shape fails that build with a fault naming it — never a panic, never a build
//! left building.

use std::time::Duration;

use novactor::rpc::RequestContext;
use novactor_nova::objects::injected_files::InjectedFile;
use novactor_nova::rpcapi::compute::BuildAndRunInstance;
use novactor_nova::rpcapi::compute_rebuild::RebuildRequest;
use novactor_nova::rpcapi::RpcArgs;
use serde_json::{json, Map, Value};

use super::world::*;
use crate::common::wait_until;

fn file(path: &str, contents: &str) -> InjectedFile {
    InjectedFile(path.into(), contents.into())
}

/// Cast `build_and_run_instance` of `uuid` to cmp1 with `files`.
async fn build_with(world: &World, uuid: &str, files: Vec<InjectedFile>) {
    let instance = world.primitive(uuid).await;
    world
        .compute()
        .build_and_run_instance(
            &RequestContext::new(),
            "cmp1",
            instance,
            Value::Null,
            Map::new(),
            "cmp1",
            Some(Map::new()),
            Vec::new(),
            files,
        )
        .await
        .unwrap();
}

/// The guest's console lines after Nova's three fake ones.
async fn file_lines(world: &World, uuid: &str) -> Vec<String> {
    let instance = world.primitive(uuid).await;
    let log = world
        .compute()
        .get_console_output(&RequestContext::new(), "cmp1", instance, None)
        .await
        .unwrap();
    let lines: Vec<String> = log.as_str().unwrap().lines().map(str::to_owned).collect();
    lines[3..].to_vec()
}

/// The instance's faults' messages, once there are `count`.
async fn faults(world: &World, uuid: &str, count: usize) -> Vec<String> {
    wait_until(Duration::from_secs(10), "the fault", || async {
        let faults = world
            .db
            .instance_fault_get_by_instance_uuid(uuid)
            .await
            .unwrap();
        (faults.len() >= count).then(|| {
            faults
                .into_iter()
                .map(|f| f.message.unwrap_or_default())
                .collect()
        })
    })
    .await
}

/// Cast a rebuild in place of `uuid` with `files`, as the conductor does after the API
/// set the task.
async fn rebuild_with(world: &World, uuid: &str, files: Vec<InjectedFile>) {
    world
        .api_sets_task(uuid, "rebuilding", Some(vec![None]))
        .await;
    let request = RebuildRequest {
        instance: world.primitive(uuid).await,
        new_pass: Some("pw".into()),
        injected_files: files,
        image_ref: "img".into(),
        orig_image_ref: "img".into(),
        preserve_ephemeral: false,
    };
    world
        .compute()
        .rebuild_instance(&RequestContext::new(), "cmp1", request, None)
        .await
        .unwrap();
}

#[actix_rt::test]
async fn files_reach_the_guest_and_bad_ones_fail_with_novas_base64_fault() {
    let world = world(&[]).await;
    world.ready("cmp1").await;
    let row = world.new_instance("files", "cmp1").await;
    build_with(&world, &row.uuid, vec![file("/etc/motd", "aGVsbG8=")]).await;
    world.wait_state(&row.uuid, "active", None).await;
    assert_eq!(
        file_lines(&world, &row.uuid).await,
        ["injected file /etc/motd (5 bytes)"]
    );

    // A rebuild's file that is not base64: Nova decodes before touching the guest.
    rebuild_with(&world, &row.uuid, vec![file("/etc/issue", "YQ")]).await;
    let kept = world.wait_state(&row.uuid, "active", None).await;
    assert_eq!(kept.power_state, Some(1));
    assert_eq!(
        faults(&world, &row.uuid, 1).await[0],
        "Invalid Base 64 data for file /etc/issue"
    );
    assert_eq!(
        file_lines(&world, &row.uuid).await,
        ["injected file /etc/motd (5 bytes)"]
    );
    // A good one replaces the old guest's files.
    rebuild_with(&world, &row.uuid, vec![file("/etc/issue", "YWJj")]).await;
    wait_until(
        Duration::from_secs(10),
        "the rebuilt guest's file",
        || async {
            (file_lines(&world, &row.uuid).await == ["injected file /etc/issue (3 bytes)"])
                .then_some(())
        },
    )
    .await;
    world.wait_state(&row.uuid, "active", None).await;

    // A build's file that is not base64: ERROR with Nova's text, nothing spawned.
    let bad = world.new_instance("bad-files", "cmp1").await;
    build_with(
        &world,
        &bad.uuid,
        vec![file("/ok", "YQ=="), file("/etc/x", "Y")],
    )
    .await;
    let failed = world.wait_state(&bad.uuid, "error", None).await;
    assert_eq!(failed.power_state, Some(0));
    assert_eq!(
        faults(&world, &bad.uuid, 1).await,
        ["Invalid Base 64 data for file /etc/x"]
    );
}

#[actix_rt::test]
async fn injected_files_of_the_wrong_shape_fail_that_build_with_a_fault_naming_them() {
    let world = world(&[]).await;
    world.ready("cmp1").await;
    for (name, files) in [
        ("not-a-list", json!("/etc/motd")),
        ("short-pair", json!([["/etc/motd"]])),
        ("not-strings", json!([["/etc/motd", 5]])),
        ("dicts", json!([{"path": "/etc/motd", "contents": "YQ=="}])),
    ] {
        let row = world.new_instance(name, "cmp1").await;
        let args = BuildAndRunInstance {
            instance: world.primitive(&row.uuid).await,
            image: Some(json!({})),
            request_spec: None,
            filter_properties: Some(Map::new()),
            admin_password: None,
            injected_files: None,
            requested_networks: None,
            security_groups: Some(json!([])),
            block_device_mapping: Some(json!([])),
            node: Some(json!("cmp1")),
            limits: Some(Map::new()),
            host_list: Some(Vec::new()),
            accel_uuids: Some(json!([])),
        };
        let mut kwargs = args.to_kwargs().unwrap();
        kwargs["injected_files"] = files.clone();
        world
            .conductor_node
            .client(novactor_nova::rpcapi::ComputeApi::target())
            .with_server("cmp1")
            .with_version("6.0")
            .cast(&RequestContext::new(), BuildAndRunInstance::METHOD, kwargs)
            .await
            .unwrap();
        world.wait_state(&row.uuid, "error", None).await;
        let fault = &faults(&world, &row.uuid, 1).await[0];
        assert!(
            fault.contains("build_and_run_instance(): bad value for argument 'injected_files'"),
            "{files}: {fault}"
        );
    }
}
