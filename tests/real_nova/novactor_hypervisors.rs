//! Issue 13's acceptance: a real Nova 34 control plane, one Python `nova-compute` (Nova's
//! fake driver) and one novactor process with `[compute] fake_hosts = 20`, driven by the
//! real `openstack` CLI. All 21 hypervisors up and schedulable; 30 boots spread over the
//! novactor hosts; stop, start, soft and hard reboot with their instance action events;
//! the novactor process SIGKILLed goes down and comes back as the same hypervisors and
//! providers; a RabbitMQ `stop_app`/`start_app` is survived; deleting everything leaves
//! no usage in placement.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::common::process::{command, Running};
use crate::common::wait_until_blocking;
use crate::control_plane::ControlPlane;
use crate::nova::BIN;

const FAKE_HOSTS: usize = 20;
const BOOTS: usize = 30;
const PREFIX: &str = "nvx";
/// A wait for something the control plane sees after a heartbeat or two (report_interval 5,
/// service_down_time 20, discovery every 2 s), with room for a loaded 2-core box.
const SETTLE: Duration = Duration::from_secs(180);

fn novactor_conf(plane: &ControlPlane, state_path: &Path) -> String {
    format!(
        "[DEFAULT]\ntransport_url = {}\nhost = {PREFIX}\nmy_ip = 127.0.0.1\nstate_path = {}\n\
         report_interval = 5\nservice_down_time = 20\n\n[compute]\nfake_hosts = {FAKE_HOSTS}\n\n\
         [placement]\nauth_type = admin_token\nendpoint = {}\ntoken = admin\n",
        plane.fact("/transport_url"),
        state_path.display(),
        plane.fact("/endpoints/placement"),
    )
}

fn start_novactor(dir: &Path) -> Running {
    let mut novactor = command(BIN.as_ref(), dir);
    novactor.args(["run", "--actors", "compute", "--config-file"]);
    novactor.arg(dir.join("nova.conf"));
    let running = Running::spawn(novactor);
    running.wait_for("novactor starting", 1, Duration::from_secs(30));
    running
}

/// `nova-compute` services by host, with their state (`up`/`down`).
fn compute_services(plane: &ControlPlane) -> Vec<(String, String)> {
    let list = plane.openstack_json(&["compute", "service", "list", "--service", "nova-compute"]);
    list.as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["Host"].as_str().unwrap_or("").to_owned(),
                s["State"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn novactor_services_up(plane: &ControlPlane) -> Result<usize, String> {
    let services = compute_services(plane);
    let up = services
        .iter()
        .filter(|(host, state)| host.starts_with(PREFIX) && state == "up")
        .count();
    if up == FAKE_HOSTS && services.iter().all(|(_, state)| state == "up") {
        Ok(up)
    } else {
        Err(format!("{services:?}"))
    }
}

/// Hypervisor ids by hostname.
fn hypervisors(plane: &ControlPlane) -> BTreeSet<(String, String)> {
    let list = plane.openstack_json(&["hypervisor", "list"]);
    list.as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                h["Hypervisor Hostname"].as_str().unwrap_or("").to_owned(),
                h["ID"].to_string(),
            )
        })
        .collect()
}

/// Servers by id: (status, host).
fn servers(plane: &ControlPlane) -> Vec<(String, String, String)> {
    let list = plane.openstack_json(&["server", "list", "--long"]);
    list.as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["ID"].as_str().unwrap_or("").to_owned(),
                s["Status"].as_str().unwrap_or("").to_owned(),
                s["Host"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn wait_status(plane: &ControlPlane, id: &str, status: &str) {
    wait_until_blocking(SETTLE, &format!("server {id} {status}"), || {
        let server = plane.openstack_json(&["server", "show", id]);
        let now = server["status"].as_str().unwrap_or("").to_owned();
        let task = server["OS-EXT-STS:task_state"].clone();
        if now == status && task.is_null() {
            Ok(())
        } else if now == "ERROR" {
            panic!("server {id} went to ERROR: {server}");
        } else {
            Err(format!("{now} task {task}"))
        }
    });
}

fn boot(plane: &ControlPlane, name: &str, count: usize) -> Vec<String> {
    let count = count.to_string();
    plane.openstack(&[
        "server", "create", "--flavor", "m1.tiny", "--image", "cirros", "--nic", "none", "--min",
        &count, "--max", &count, name,
    ]);
    wait_until_blocking(SETTLE, &format!("{count} servers {name} ACTIVE"), || {
        let list =
            plane.openstack_json(&["server", "list", "--name", &format!("^{name}"), "--long"]);
        let all: Vec<(String, String)> = list
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                (
                    s["ID"].as_str().unwrap_or("").to_owned(),
                    s["Status"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        if all.iter().any(|(_, status)| status == "ERROR") {
            panic!("a server of {name} went to ERROR: {list}");
        }
        if all.len().to_string() == count && all.iter().all(|(_, status)| status == "ACTIVE") {
            Ok(all.into_iter().map(|(id, _)| id).collect())
        } else {
            Err(format!("{all:?}"))
        }
    })
}

fn events_of(plane: &ControlPlane, server: &str, action: &str) -> Vec<Value> {
    let actions = plane.openstack_json(&["server", "event", "list", server]);
    let request = actions
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["Action"] == action)
        .and_then(|a| a["Request ID"].as_str())
        .unwrap_or_else(|| panic!("no {action} action on {server}: {actions}"))
        .to_owned();
    let shown = plane.openstack_json(&["server", "event", "show", server, &request]);
    shown["events"].as_array().cloned().unwrap_or_default()
}

fn rabbitmqctl(args: &[&str]) {
    let status = Command::new("rabbitmqctl")
        .args(args)
        .status()
        .expect("rabbitmqctl runs");
    assert!(status.success(), "rabbitmqctl {args:?} failed");
}

#[test]
fn twenty_novactor_hypervisors_join_a_real_nova_34_and_serve_the_openstack_cli() {
    // It restarts RabbitMQ: no other test of this binary uses the broker meanwhile.
    let _broker = crate::broker_exclusive();
    let plane = ControlPlane::up();
    plane.python_compute("pycompute1");
    let dir = tempfile::tempdir().expect("novactor dir");
    std::fs::write(
        dir.path().join("nova.conf"),
        novactor_conf(&plane, &dir.path().join("state")),
    )
    .expect("nova.conf");
    let mut novactor = start_novactor(dir.path());

    // All 21 computes up, all 21 hypervisors listed.
    wait_until_blocking(SETTLE, "20 novactor computes and the Python one up", || {
        novactor_services_up(&plane)
    });
    let before = wait_until_blocking(SETTLE, "21 hypervisors", || {
        let all = hypervisors(&plane);
        if all.len() == FAKE_HOSTS + 1 {
            Ok(all)
        } else {
            Err(format!("{all:?}"))
        }
    });
    let providers = plane.placement_get("/resource_providers", "1.14");
    assert_eq!(
        providers["resource_providers"].as_array().map(Vec::len),
        Some(FAKE_HOSTS + 1),
        "{providers}"
    );

    // 30 boots through the CLI, spread over the novactor hosts.
    let booted = boot(&plane, "vm", BOOTS);
    let placed = servers(&plane);
    let novactor_hosts: BTreeSet<&str> = placed
        .iter()
        .map(|(_, _, host)| host.as_str())
        .filter(|host| host.starts_with(PREFIX))
        .collect();
    assert!(
        novactor_hosts.len() >= 8,
        "boots landed on {novactor_hosts:?}: {placed:?}"
    );

    // Stop, start, soft and hard reboot of a server on a novactor host, with their events.
    let (target, _, host) = placed
        .iter()
        .find(|(_, _, host)| host.starts_with(PREFIX))
        .cloned()
        .expect("a server on a novactor host");
    plane.openstack(&["server", "stop", &target]);
    wait_status(&plane, &target, "SHUTOFF");
    plane.openstack(&["server", "start", &target]);
    wait_status(&plane, &target, "ACTIVE");
    plane.openstack(&["server", "reboot", "--soft", &target]);
    wait_status(&plane, &target, "ACTIVE");
    plane.openstack(&["server", "reboot", "--hard", &target]);
    wait_status(&plane, &target, "ACTIVE");
    for (action, event) in [
        ("create", "compute__do_build_and_run_instance"),
        ("stop", "compute_stop_instance"),
        ("start", "compute_start_instance"),
        ("reboot", "compute_reboot_instance"),
    ] {
        let events = events_of(&plane, &target, action);
        assert!(
            events.iter().any(|e| e["event"] == event
                && e["result"] == "Success"
                && e["host"] == host.as_str()),
            "{action}: {events:?}"
        );
    }

    // SIGKILL: the novactor services go down; restarted, the same hypervisors come back.
    assert_eq!(
        novactor.count(" ERROR "),
        0,
        "novactor logged errors:\n{}",
        novactor.lines().join("\n")
    );
    novactor.signal("KILL");
    novactor.wait_exit(Duration::from_secs(10));
    wait_until_blocking(SETTLE, "the novactor computes down", || {
        let services = compute_services(&plane);
        let down = services
            .iter()
            .filter(|(h, s)| h.starts_with(PREFIX) && s == "down")
            .count();
        if down == FAKE_HOSTS {
            Ok(())
        } else {
            Err(format!("{services:?}"))
        }
    });
    let novactor = start_novactor(dir.path());
    wait_until_blocking(SETTLE, "the novactor computes up again", || {
        novactor_services_up(&plane)
    });
    assert_eq!(
        hypervisors(&plane),
        before,
        "the same hypervisors, no new ones"
    );
    let providers = plane.placement_get("/resource_providers", "1.14");
    assert_eq!(
        providers["resource_providers"].as_array().map(Vec::len),
        Some(FAKE_HOSTS + 1),
        "{providers}"
    );
    let after_restart = boot(&plane, "again", 4);

    // Up to here nothing went wrong, so nothing was logged as an error.
    assert_eq!(
        novactor.count(" ERROR "),
        0,
        "novactor logged errors:\n{}",
        novactor.lines().join("\n")
    );
    // RabbitMQ stop_app/start_app: novactor reconnects and reports up; boots succeed.
    rabbitmqctl(&["stop_app"]);
    let restarted = std::panic::catch_unwind(|| rabbitmqctl(&["start_app"]));
    if restarted.is_err() {
        rabbitmqctl(&["start_app"]);
    }
    wait_until_blocking(SETTLE, "every compute up after the broker restart", || {
        novactor_services_up(&plane)
    });
    let after_broker = boot(&plane, "broker", 4);

    // Delete everything: no usage left in placement for the project.
    let project = plane.openstack_json(&["server", "show", &booted[0]])["project_id"]
        .as_str()
        .unwrap_or("admin")
        .to_owned();
    let all: Vec<String> = booted
        .into_iter()
        .chain(after_restart)
        .chain(after_broker)
        .collect();
    let mut delete = vec!["server", "delete", "--wait"];
    delete.extend(all.iter().map(String::as_str));
    plane.openstack(&delete);
    wait_until_blocking(SETTLE, "no usage left in placement", || {
        let usages = plane.placement_get(&format!("/usages?project_id={project}"), "1.9");
        let used: i64 = usages["usages"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(_, v)| v.as_i64())
            .sum();
        if used == 0 {
            Ok(())
        } else {
            Err(usages.to_string())
        }
    });
}
