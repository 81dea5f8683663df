//! The compute actor's instance flows (spec §2.1–2.4, §4, §7): a conductor node with a
//! SQLite database and a compute node with NO database share a memory broker; the test
//! plays the API/conductor side (creates the instance row with its host already chosen,
//! sets the API's task state, casts through `ComputeApi`) and watches the database and the
//! compute's `novactor::compute::instance` events (one per `Instance.save`).

mod injected_files;
mod resize_reschedule;
mod snapshots;
mod world;

use std::time::Duration;

use novactor::rpc::{CallError, RequestContext};
use novactor_nova::objects::{Selection, TypedObject};
use novactor_nova::rpcapi::ComputeApi;
use serde_json::{json, Value};

use crate::common::wait_until;
use world::*;

// ------------------------------------------------------------------ tests

#[actix_rt::test]
async fn a_boot_goes_through_novas_states_to_active_and_takes_its_usage() {
    let world = world(&[("fake_driver", "spawn_delay", "0.2")]).await;
    let before = world.ready("cmp1").await;
    assert_eq!(before.memory_mb_used, RESERVED_MB);
    let row = world.new_instance("vm-1", "cmp1").await;
    world.build(&row.uuid, Vec::new()).await;
    // Watch the row too: spawning is visible for the whole spawn_delay.
    let mut seen: Vec<(Option<String>, Option<String>)> = Vec::new();
    let active = wait_until(Duration::from_secs(15), "ACTIVE", async || {
        let now = world.row(&row.uuid).await.ok()?;
        let pair = (now.vm_state.clone(), now.task_state.clone());
        if seen.last() != Some(&pair) {
            seen.push(pair);
        }
        (now.vm_state.as_deref() == Some("active")).then_some(now)
    })
    .await;
    assert!(
        seen.contains(&(Some("building".into()), Some("spawning".into()))),
        "a poller sees BUILD(spawning): {seen:?}"
    );
    // The row can be read before the compute has logged the reply of its last save.
    wait_until(Duration::from_secs(5), "the last save's event", || async {
        (world.saves.of(&row.uuid).len() >= 5).then_some(())
    })
    .await;
    assert_eq!(
        world.saves.of(&row.uuid),
        states(&[
            ("building", "None"),
            ("building", "networking"),
            ("building", "block_device_mapping"),
            ("building", "spawning"),
            ("active", "None"),
        ]),
        "Nova's _do_build_and_run_instance sequence (the claim's host/node save aside)"
    );
    assert_eq!(active.task_state, None);
    assert_eq!(active.power_state, Some(1));
    assert_eq!(active.host.as_deref(), Some("cmp1"));
    assert_eq!(active.node.as_deref(), Some("cmp1"));
    assert_eq!(active.launched_on.as_deref(), Some("cmp1"));
    assert_eq!(active.compute_id, Some(before.id));
    assert!(active.launched_at.is_some());
    let node = world.node("cmp1").await;
    assert_eq!(node.memory_mb_used, RESERVED_MB + 2048);
    assert_eq!(node.vcpus_used, 2);
    assert_eq!(node.local_gb_used, 20);
    assert_eq!(node.running_vms, Some(1));
    assert_eq!(node.free_ram_mb, Some(800_000 - RESERVED_MB - 2048));
}

#[actix_rt::test]
async fn a_spawn_failure_without_alternates_ends_in_error_with_a_fault() {
    let world = world(&[("fake_driver", "fail_spawn_pattern", "^doomed")]).await;
    world.ready("cmp1").await;
    let row = world.new_instance("doomed-1", "cmp1").await;
    world.build(&row.uuid, Vec::new()).await;
    let failed = world.wait_state(&row.uuid, "error", None).await;
    assert_eq!(failed.power_state, Some(0));
    let faults = wait_until(Duration::from_secs(5), "the fault", || async {
        let faults = world
            .db
            .instance_fault_get_by_instance_uuid(&row.uuid)
            .await
            .unwrap();
        (!faults.is_empty()).then_some(faults)
    })
    .await;
    let message = faults[0].message.clone().unwrap_or_default();
    assert!(
        message.starts_with(&format!("Build of instance {} aborted:", row.uuid)),
        "{message}"
    );
    assert_eq!(faults[0].code, 500);
    assert_eq!(faults[0].host.as_deref(), Some("cmp1"));
    let node = world.node("cmp1").await;
    assert_eq!(node.memory_mb_used, RESERVED_MB, "the claim was given back");
    assert_eq!(node.running_vms, Some(0));
}

#[actix_rt::test]
async fn a_spawn_failure_with_an_alternate_hands_the_instance_back_for_rescheduling() {
    let world = world(&[("fake_driver", "fail_spawn_pattern", "^doomed")]).await;
    world.ready("cmp1").await;
    let row = world.new_instance("doomed-2", "cmp1").await;
    let alternate = Selection {
        service_host: "cmp2".into(),
        nodename: "cmp2".into(),
        compute_node_uuid: uuid::Uuid::new_v4().to_string(),
        cell_uuid: None,
        limits: None,
        availability_zone: Some("nova".into()),
    };
    world.build(&row.uuid, vec![alternate.to_primitive()]).await;
    // The compute's side of the contract: back to scheduling with no host, then the
    // `build_instances` cast (whatever the conductor makes of it after that).
    wait_until(Duration::from_secs(15), "the reschedule", || async {
        world
            .saves
            .of(&row.uuid)
            .contains(&("building".to_string(), "scheduling".to_string()))
            .then_some(())
    })
    .await;
    // What happens next is the conductor's business (it may already have moved the
    // instance on); the compute's own writes end with the hand-back.
    let saves = world.saves.of(&row.uuid);
    assert_eq!(
        saves.last(),
        Some(&("building".to_string(), "scheduling".to_string())),
        "{saves:?}"
    );
    assert!(!saves.iter().any(|(vm, _)| vm == "error"), "{saves:?}");
    let now = world.row(&row.uuid).await.unwrap();
    assert_ne!(
        now.host.as_deref(),
        Some("cmp1"),
        "host cleared (or already the alternate's): {now:?}"
    );
    let node = world.node("cmp1").await;
    assert_eq!(node.memory_mb_used, RESERVED_MB, "the claim was given back");
}

#[actix_rt::test]
async fn a_delete_during_a_slow_build_wins() {
    let world = world(&[("fake_driver", "spawn_delay", "1.0")]).await;
    world.ready("cmp1").await;
    let row = world.new_instance("slow", "cmp1").await;
    world.build(&row.uuid, Vec::new()).await;
    world
        .wait_state(&row.uuid, "building", Some("spawning"))
        .await;
    // The API's delete: task_state=deleting (unconditional), then the cast, which waits for
    // the build's per-instance lock.
    world.api_sets_task(&row.uuid, "deleting", None).await;
    let primitive = world.primitive(&row.uuid).await;
    world
        .compute()
        .terminate_instance(&RequestContext::new(), "cmp1", primitive)
        .await
        .unwrap();
    world.wait_gone(&row.uuid).await;
    let saves = world.saves.of(&row.uuid);
    assert!(
        !saves.iter().any(|(vm, _)| vm == "active"),
        "the build never made it active: {saves:?}"
    );
    assert_eq!(saves.last(), Some(&("deleted".into(), "None".into())));
    let node = world.node("cmp1").await;
    assert_eq!(node.memory_mb_used, RESERVED_MB);
    assert_eq!(node.running_vms, Some(0));
}

#[actix_rt::test]
async fn terminate_soft_deletes_the_row_and_releases_the_usage() {
    let world = world(&[]).await;
    world.ready("cmp1").await;
    let row = world.boot("short-lived").await;
    assert_eq!(world.node("cmp1").await.running_vms, Some(1));
    world.api_sets_task(&row.uuid, "deleting", None).await;
    let primitive = world.primitive(&row.uuid).await;
    world
        .compute()
        .terminate_instance(&RequestContext::new(), "cmp1", primitive)
        .await
        .unwrap();
    world.wait_gone(&row.uuid).await;
    let saves = world.saves.of(&row.uuid);
    assert_eq!(saves.last(), Some(&("deleted".into(), "None".into())));
    let node = world.node("cmp1").await;
    assert_eq!(node.memory_mb_used, RESERVED_MB);
    assert_eq!(node.vcpus_used, 0);
    assert_eq!(node.running_vms, Some(0));
}

#[actix_rt::test]
async fn stop_start_and_reboots_follow_novas_states() {
    let world = world(&[]).await;
    world.ready("cmp1").await;
    let row = world.boot("powered").await;
    let uuid = row.uuid.clone();
    let idle = Some(vec![None]);
    let cast = |method: &'static str| {
        let world = &world;
        let uuid = uuid.clone();
        async move {
            let primitive = world.primitive(&uuid).await;
            let ctx = RequestContext::new();
            let api = world.compute();
            match method {
                "stop" => api.stop_instance(&ctx, "cmp1", primitive).await,
                "start" => api.start_instance(&ctx, "cmp1", primitive).await,
                "SOFT" | "HARD" => api.reboot_instance(&ctx, "cmp1", primitive, method).await,
                _ => unreachable!(),
            }
            .unwrap();
        }
    };

    world
        .api_sets_task(&uuid, "powering-off", idle.clone())
        .await;
    cast("stop").await;
    let stopped = world.wait_state(&uuid, "stopped", None).await;
    assert_eq!(stopped.power_state, Some(4));

    world
        .api_sets_task(&uuid, "powering-on", idle.clone())
        .await;
    cast("start").await;
    let started = world.wait_state(&uuid, "active", None).await;
    assert_eq!(started.power_state, Some(1));

    world.api_sets_task(&uuid, "rebooting", idle.clone()).await;
    cast("SOFT").await;
    let reboot = wait_until(Duration::from_secs(15), "the soft reboot", || async {
        let tail = world.saves.since(&uuid, "reboot_pending");
        (tail.len() >= 3).then_some(tail)
    })
    .await;
    assert_eq!(
        reboot,
        states(&[
            ("active", "reboot_pending"),
            ("active", "reboot_started"),
            ("active", "None")
        ])
    );

    world
        .api_sets_task(&uuid, "rebooting_hard", idle.clone())
        .await;
    cast("HARD").await;
    let reboot = wait_until(Duration::from_secs(15), "the hard reboot", || async {
        let tail = world.saves.since(&uuid, "reboot_pending_hard");
        (tail.len() >= 3).then_some(tail)
    })
    .await;
    assert_eq!(
        reboot,
        states(&[
            ("active", "reboot_pending_hard"),
            ("active", "reboot_started_hard"),
            ("active", "None")
        ])
    );
    let rebooted = world.row(&uuid).await.unwrap();
    assert_eq!(rebooted.power_state, Some(1));
    let faults = world
        .db
        .instance_fault_get_by_instance_uuid(&uuid)
        .await
        .unwrap();
    assert!(faults.is_empty(), "{faults:?}");
}

#[actix_rt::test]
async fn the_resource_audit_creates_the_node_and_counts_instances_placed_on_it() {
    let world = world(&[("DEFAULT", "update_resources_interval", "1")]).await;
    let node = world.ready("cmp1").await;
    assert_eq!(
        (node.vcpus, node.memory_mb, node.local_gb),
        (1000, 800_000, 600_000)
    );
    assert_eq!(node.hypervisor_type, "fake");
    assert_eq!(node.hypervisor_version, 1000);
    assert_eq!(node.hypervisor_hostname.as_deref(), Some("cmp1"));
    assert_eq!(node.disk_available_least, Some(0));
    let cpu: Value = serde_json::from_str(&node.cpu_info).unwrap();
    assert_eq!(cpu["model"], "Nehalem");
    assert_eq!(
        (
            node.cpu_allocation_ratio,
            node.ram_allocation_ratio,
            node.disk_allocation_ratio
        ),
        (Some(4.0), Some(1.0), Some(1.0))
    );
    assert_eq!(node.memory_mb_used, RESERVED_MB, "reserved_host_memory_mb");
    assert_eq!(node.running_vms, Some(0));
    // An instance placed here behind the compute's back is counted by the next audit.
    let values = json!({"display_name": "elsewhere", "vm_state": "active", "host": "cmp1",
                        "node": "cmp1", "memory_mb": 1024, "vcpus": 1, "root_gb": 10});
    world
        .db
        .instance_create(values.as_object().unwrap())
        .await
        .unwrap();
    let counted = wait_until(Duration::from_secs(10), "the periodic audit", || async {
        let node = world.node("cmp1").await;
        (node.running_vms == Some(1)).then_some(node)
    })
    .await;
    assert_eq!(counted.memory_mb_used, RESERVED_MB + 1024);
    assert_eq!(counted.vcpus_used, 1);
    assert_eq!(counted.local_gb_used, 10);
    assert_eq!(counted.free_ram_mb, Some(800_000 - RESERVED_MB - 1024));
    assert_eq!(counted.free_disk_gb, Some(600_000 - 10));
    assert_eq!(counted.id, node.id, "the same row, updated");
}

#[actix_rt::test]
async fn power_state_sync_writes_what_the_driver_says() {
    let world = world(&[("DEFAULT", "sync_power_state_interval", "1")]).await;
    world.ready("cmp1").await;
    let row = world.boot("drifted").await;
    // The database drifted from the hypervisor (which runs the guest).
    world
        .db
        .instance_update_and_get(
            &row.uuid,
            json!({"power_state": 7}).as_object().unwrap(),
            None,
            None,
        )
        .await
        .unwrap();
    wait_until(Duration::from_secs(10), "the power-state sync", || async {
        (world.row(&row.uuid).await.ok()?.power_state == Some(1)).then_some(())
    })
    .await;
}

#[actix_rt::test]
async fn a_host_that_is_full_reschedules_or_fails_the_claim() {
    let world = world(&[("fake_driver", "memory_mb", "2048")]).await;
    world.ready("cmp1").await;
    // 512 reserved + 2048 asked > 2048 × 1.0.
    let row = world.new_instance("too-big", "cmp1").await;
    world.build(&row.uuid, Vec::new()).await;
    world.wait_state(&row.uuid, "error", None).await;
    let faults = world
        .db
        .instance_fault_get_by_instance_uuid(&row.uuid)
        .await
        .unwrap();
    let message = faults
        .first()
        .and_then(|f| f.message.clone())
        .unwrap_or_default();
    assert!(
        message.contains("Insufficient compute resources"),
        "{message}"
    );
    assert_eq!(world.node("cmp1").await.running_vms, Some(0));
}

#[actix_rt::test]
async fn a_malformed_instance_is_a_value_error_and_uptime_answers() {
    let world = world(&[]).await;
    world.ready("cmp1").await;
    let client = world
        .conductor_node
        .client(ComputeApi::target())
        .with_server("cmp1")
        .with_version("6.0");
    for bad in [json!(5), json!({"nova_object.name": "Instance"})] {
        let error = client
            .call(
                &RequestContext::new(),
                "stop_instance",
                json!({"instance": bad, "clean_shutdown": true}),
            )
            .await
            .unwrap_err();
        match error {
            CallError::Remote(failure) => assert_eq!(failure.class, "ValueError", "{failure:?}"),
            other => panic!("expected a ValueError failure, got {other}"),
        }
    }
    let uptime = world
        .compute()
        .get_host_uptime(&RequestContext::new(), "cmp1")
        .await
        .unwrap();
    let line = uptime.as_str().unwrap_or_default();
    assert!(
        line.contains(" up ") && line.contains("load average"),
        "{line}"
    );
}

#[actix_rt::test]
async fn fake_hosts_start_one_compute_per_host_each_with_its_node_and_service() {
    let world = world(&[("DEFAULT", "host", "h"), ("compute", "fake_hosts", "3")]).await;
    for host in ["h-1", "h-2", "h-3"] {
        let node = world.ready(host).await;
        assert_eq!(node.host.as_deref(), Some(host));
    }
    let nodes = world.db.compute_node_get_all().await.unwrap();
    assert_eq!(nodes.len(), 3, "{nodes:?}");
    let uptime = world
        .compute()
        .get_host_uptime(&RequestContext::new(), "h-2")
        .await
        .unwrap();
    assert!(uptime.as_str().is_some_and(|l| l.contains(" up ")));
}
