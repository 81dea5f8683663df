//! The real python-openstackclient (latest from PyPI, `scripts/osc-venv.sh`) against
//! `novactor run`, with `OS_AUTH_TYPE=none` as Nova's noauth labs use it: server
//! create (image by name, `--wait`), list, show, stop, start, reboot, reboot --hard,
//! pause, unpause, suspend, resume, rescue, unrescue, shelve, unshelve (`--host` at 2.91),
//! lock (`--reason` at 2.73), unlock, set --state, console log show, server image create,
//! server backup create, image show/list/delete, server evacuate (its compute set --down,
//! then --up), keypair create/list/show/delete, server
//! create --key-name and --host (2.74), set/unset --property, set --tag, set --name
//! --description, delete, event list/show of the deleted server; flavor list; compute
//! service list/set; hypervisor list/show — in a cloud of three fake computes: at the
//! client's default microversion in one process, and pinned to 2.104 over RabbitMQ +
//! PostgreSQL with each compute in a process of its own. `server event list` must show
//! exactly the actions performed (`Client::act`), newest first.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use crate::common::amqp_vhost::Vhost;
use crate::common::process::*;
use crate::common::Backend;
use crate::nova::{fresh_nova_db, BIN};
use crate::osc_client::{openstack_bin, Client};
use crate::osc_keypairs::keypair_actions;
use crate::osc_live_migration::live_migration_actions;

/// The compute hosts of both clouds: three fake hypervisors.
const HOSTS: [&str; 3] = ["compute-1", "compute-2", "compute-3"];

/// The command sequence of the issue, with assertions on what the client prints.
fn exercise(client: &Client) {
    let flavors = client.run(&["flavor", "list", "-f", "value", "-c", "Name"]);
    assert_eq!(
        flavors.lines().collect::<Vec<_>>(),
        ["m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"]
    );
    let services = client.run(&[
        "compute", "service", "list", "-f", "value", "-c", "Binary", "-c", "State",
    ]);
    for binary in ["nova-conductor", "nova-scheduler", "nova-compute"] {
        assert!(services.contains(&format!("{binary} up")), "{services}");
    }

    let created = client.act(
        "create",
        &[
            "server", "create", "--flavor", "m1.tiny", "--image", "cirros", "--nic", "none",
            "--wait", "vm1", "-f", "value", "-c", "status",
        ],
    );
    assert_eq!(created.trim(), "ACTIVE");
    let listed = client.run(&[
        "server", "list", "-f", "value", "-c", "Name", "-c", "Status", "-c", "Image", "-c",
        "Flavor",
    ]);
    assert_eq!(listed.trim(), "vm1 ACTIVE cirros m1.tiny");
    let host = client.field("vm1", "OS-EXT-SRV-ATTR:host");
    assert!(
        client.hosts.contains(&host),
        "{host} is not one of {:?}",
        client.hosts
    );

    // A server group, a server booted into it with --hint, the group's members, both gone.
    let group = client.run(&[
        "server", "group", "create", "--policy", "affinity", "grp", "-f", "value", "-c", "id",
    ]);
    let hint = format!("group={}", group.trim());
    let booted = client.run(&[
        "server", "create", "--flavor", "m1.tiny", "--image", "cirros", "--nic", "none", "--hint",
        &hint, "--wait", "vm2", "-f", "value", "-c", "id",
    ]);
    let members = client.run(&[
        "server", "group", "show", "grp", "-f", "value", "-c", "members",
    ]);
    assert!(members.contains(booted.trim()), "{members}");
    client.run(&["server", "delete", "--force", "--wait", "vm2"]);
    client.run(&["server", "group", "delete", "grp"]);
    let groups = client.run(&["server", "group", "list", "-f", "value", "-c", "Name"]);
    assert_eq!(groups.trim(), "");

    client.act("stop", &["server", "stop", "vm1"]);
    client.wait_status("vm1", "SHUTOFF");
    client.act("start", &["server", "start", "vm1"]);
    client.wait_status("vm1", "ACTIVE");
    client.act("reboot", &["server", "reboot", "vm1"]);
    client.wait_status("vm1", "ACTIVE");
    client.act("reboot", &["server", "reboot", "--hard", "vm1"]);
    client.wait_status("vm1", "ACTIVE");
    server_actions(client);
    crate::osc_shelve::shelve_actions(client);
    keypair_actions(client);
    crate::osc_image::image_actions(client);
    crate::osc_evacuate::evacuate_actions(client);
    crate::osc_resize::resize_actions(client);
    live_migration_actions(client);
    crate::osc_more_actions::more_actions(client);

    client.run(&[
        "compute",
        "service",
        "set",
        "--disable",
        "--disable-reason",
        "maint",
        &client.hosts[0],
        "nova-compute",
    ]);
    let disabled = client.run(&[
        "compute",
        "service",
        "list",
        "--host",
        &client.hosts[0],
        "--service",
        "nova-compute",
        "-f",
        "value",
        "-c",
        "Status",
    ]);
    assert_eq!(disabled.trim(), "disabled");
    client.run(&[
        "compute",
        "service",
        "set",
        "--enable",
        &client.hosts[0],
        "nova-compute",
    ]);
    let enabled = client.run(&[
        "compute",
        "service",
        "list",
        "--host",
        &client.hosts[0],
        "--service",
        "nova-compute",
        "-f",
        "value",
        "-c",
        "Status",
    ]);
    assert_eq!(enabled.trim(), "enabled");

    let hypervisors = client.run(&[
        "hypervisor",
        "list",
        "-f",
        "value",
        "-c",
        "Hypervisor Hostname",
        "-c",
        "Hypervisor Type",
        "-c",
        "State",
    ]);
    let mut listed: Vec<&str> = hypervisors.lines().map(str::trim).collect();
    listed.sort_unstable();
    let expected: Vec<String> = client
        .hosts
        .iter()
        .map(|h| format!("{h} fake up"))
        .collect();
    assert_eq!(listed, expected, "{hypervisors}");
    let shown = client.run(&[
        "hypervisor",
        "show",
        &client.hosts[0],
        "-f",
        "value",
        "-c",
        "hypervisor_type",
    ]);
    assert_eq!(shown.trim(), "fake");

    // The lab network ([lab_network], D-LABNET): --nic auto gives an IPv4 and an IPv6
    // address on "private", shown by server show and freed by the delete.
    let created = client.run(&[
        "server", "create", "--flavor", "m1.tiny", "--image", "cirros", "--nic", "auto", "--wait",
        "vm3", "-f", "value", "-c", "status",
    ]);
    assert_eq!(created.trim(), "ACTIVE");
    let addresses = client.run(&["server", "show", "vm3", "-f", "value", "-c", "addresses"]);
    assert!(
        addresses.contains("private")
            && addresses.contains("10.0.0.")
            && addresses.contains("fd00::"),
        "{addresses}"
    );
    client.run(&["server", "delete", "--force", "--wait", "vm3"]);

    // Metadata, tags and the update: set, unset, rename.
    client.run(&[
        "server",
        "set",
        "--property",
        "role=db",
        "--property",
        "tier=web",
        "vm1",
    ]);
    let properties = client.run(&["server", "show", "vm1", "-f", "value", "-c", "properties"]);
    assert!(
        properties.contains("'role': 'db'") && properties.contains("'tier': 'web'"),
        "{properties}"
    );
    client.run(&["server", "unset", "--property", "tier", "vm1"]);
    let properties = client.run(&["server", "show", "vm1", "-f", "value", "-c", "properties"]);
    assert!(
        properties.contains("'role': 'db'") && !properties.contains("tier"),
        "{properties}"
    );
    client.run(&[
        "--os-compute-api-version",
        "2.26",
        "server",
        "set",
        "--tag",
        "blue",
        "vm1",
    ]);
    let tags = client.run(&[
        "--os-compute-api-version",
        "2.26",
        "server",
        "show",
        "vm1",
        "-f",
        "value",
        "-c",
        "tags",
    ]);
    assert!(tags.contains("blue"), "{tags}");
    client.run(&[
        "--os-compute-api-version",
        "2.19",
        "server",
        "set",
        "--name",
        "vm2",
        "--description",
        "the database",
        "vm1",
    ]);
    let renamed = client.run(&[
        "--os-compute-api-version",
        "2.19",
        "server",
        "show",
        "vm2",
        "-f",
        "value",
        "-c",
        "name",
        "-c",
        "description",
    ]);
    let lines: Vec<&str> = renamed.lines().map(str::trim).collect();
    assert!(
        lines.contains(&"vm2") && lines.contains(&"the database"),
        "{renamed}"
    );
    let id = client.run(&["server", "show", "vm2", "-f", "value", "-c", "id"]);
    let id = id.trim();

    // The deferred delete is on (`reclaim_instance_interval`): forceDelete, which Nova
    // records as `delete`, deletes at once.
    client.act("delete", &["server", "delete", "--force", "--wait", "vm2"]);
    assert_eq!(client.run(&["server", "list", "-f", "value"]).trim(), "");

    // The history of the deleted server (by id, 2.21+), newest first, with its events.
    let events = client.run(&[
        "--os-compute-api-version",
        "2.21",
        "server",
        "event",
        "list",
        id,
        "-f",
        "value",
        "-c",
        "Action",
        "-c",
        "Request ID",
    ]);
    let actions: Vec<&str> = events
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .collect();
    let mut expected = client.performed.borrow().clone();
    expected.reverse();
    assert_eq!(actions, expected, "{events}");
    for (action, event) in [
        ("create", "compute__do_build_and_run_instance"),
        ("stop", "compute_stop_instance"),
        ("start", "compute_start_instance"),
        ("reboot", "compute_reboot_instance"),
        ("delete", "compute_terminate_instance"),
    ] {
        let request_id = events
            .lines()
            .find(|line| line.split_whitespace().nth(1) == Some(action))
            .and_then(|line| line.split_whitespace().next())
            .expect("the action's request id");
        let shown = client.run(&[
            "--os-compute-api-version",
            "2.21",
            "server",
            "event",
            "show",
            id,
            request_id,
            "-f",
            "json",
        ]);
        assert!(
            shown.contains(event) && shown.contains("Success"),
            "{action}: {shown}"
        );
    }
}

/// The server actions beyond power: each command and the status it leaves.
fn server_actions(client: &Client) {
    for (command, status) in [
        ("pause", "PAUSED"),
        ("unpause", "ACTIVE"),
        ("suspend", "SUSPENDED"),
        ("resume", "ACTIVE"),
        ("rescue", "RESCUE"),
        ("unrescue", "ACTIVE"),
    ] {
        client.act(command, &["server", command, "vm1"]);
        client.wait_status("vm1", status);
    }
    // A lock reason needs 2.73; where the API stops below it, the client says so and the
    // lock is taken without one.
    client.performed.borrow_mut().push("lock");
    let with_reason = client.output(&[
        "--os-compute-api-version",
        "2.73",
        "server",
        "lock",
        "--reason",
        "maintenance",
        "vm1",
    ]);
    if !with_reason.status.success() {
        let stderr = String::from_utf8_lossy(&with_reason.stderr);
        assert!(stderr.contains("2.73"), "{stderr}");
        client.run(&["server", "lock", "vm1"]);
    }
    let locked = client.run(&[
        "--os-compute-api-version",
        "2.9",
        "server",
        "show",
        "vm1",
        "-f",
        "value",
        "-c",
        "locked",
    ]);
    assert_eq!(locked.trim(), "True");
    client.act("unlock", &["server", "unlock", "vm1"]);
    client.act(
        "resetState",
        &["server", "set", "--auto-approve", "--state", "error", "vm1"],
    );
    client.wait_status("vm1", "ERROR");
    client.act(
        "resetState",
        &[
            "server",
            "set",
            "--auto-approve",
            "--state",
            "active",
            "vm1",
        ],
    );
    client.wait_status("vm1", "ACTIVE");
    let log = client.run(&["console", "log", "show", "vm1"]);
    assert_eq!(log.trim_end(), "FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE");
    let tail = client.run(&["console", "log", "show", "--lines", "1", "vm1"]);
    assert_eq!(tail.trim(), "LAST LINE");
}

/// A client of the cloud at `port`; `compute_api_version` none lets it pick its default.
fn client_of(
    port: u16,
    home: &std::path::Path,
    compute_api_version: Option<&'static str>,
) -> Client {
    Client {
        bin: openstack_bin(),
        port,
        home: home.to_path_buf(),
        compute_api_version,
        hosts: HOSTS.iter().map(|host| (*host).to_owned()).collect(),
        performed: RefCell::new(Vec::new()),
    }
}

/// Every compute registers its hypervisor with its first resource audit: wait for all of
/// them; `logs` tells what the processes said if one never does.
fn wait_for_hypervisors(client: &Client, logs: &dyn Fn() -> String) {
    let started = Instant::now();
    loop {
        let listed = client.run(&["hypervisor", "list", "-f", "value"]);
        if client
            .hosts
            .iter()
            .all(|host| listed.contains(host.as_str()))
        {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not every compute registered; last list: {listed:?}\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// One process, three fake computes in it (`[compute] fake_hosts = 3` on host `compute`:
/// `compute-1` … `compute-3`), the client at its default microversion.
#[test]
fn the_openstack_client_runs_the_server_lifecycle_and_admin_commands() {
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut command = command(BIN.as_ref(), home.path());
    command
        .env("OS_DEFAULT__OSAPI_COMPUTE_LISTEN_PORT", port.to_string())
        .env("OS_DEFAULT__REPORT_INTERVAL", "1")
        .env("OS_COMPUTE__FAKE_HOSTS", HOSTS.len().to_string())
        .env("OS_FAKE_DRIVER__LIVE_MIGRATION_DURATION", "30")
        // Deferred delete on: `server delete` soft-deletes, `server restore` is served.
        .env("OS_DEFAULT__RECLAIM_INSTANCE_INTERVAL", "3600")
        .args(["run", "--host", "compute"]);
    let mut novactor = Running::spawn(command);
    novactor.wait_for("api listening on", 1, Duration::from_secs(30));
    novactor.wait_for("actor ready", 3 + HOSTS.len(), Duration::from_secs(30));
    let client = client_of(port, home.path(), None);
    wait_for_hypervisors(&client, &|| novactor.lines().join("\n"));

    exercise(&client);

    novactor.signal("TERM");
    assert_eq!(novactor.wait_exit(Duration::from_secs(30)).code(), Some(0));
}

/// The same commands over RabbitMQ and PostgreSQL, each of the three computes in a process of
/// its own, and the client pinned to the newest microversion (2.104) instead of its default.
#[actix_rt::test]
async fn the_same_over_rabbitmq_with_computes_in_separate_processes() {
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let fresh = fresh_nova_db(Backend::Postgres, "novactor_osc").await;
    // A vhost of its own: the queue names (conductor, compute.compute-1, …) do not depend on
    // the exchange, so another run of this test on the same broker would share them.
    let vhost = Vhost::new();
    let rabbit = vhost.url();
    let exchange = format!("osc_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let conf = home.path().join("nova.conf");
    std::fs::write(
        &conf,
        format!("[DEFAULT]\ntransport_url = {rabbit}\ncontrol_exchange = {exchange}\nreport_interval = 1\nreclaim_instance_interval = 3600\nosapi_compute_listen_port = {port}\n[fake_driver]\nlive_migration_duration = 30\n[database]\nconnection = {}\n", fresh.url),
    )
    .unwrap();
    let start = |actors: &str, host: &str| {
        let mut command = command(BIN.as_ref(), home.path());
        command.args([
            "--config-file",
            conf.to_str().unwrap(),
            "run",
            "--actors",
            actors,
            "--host",
            host,
        ]);
        Running::spawn(command)
    };
    let mut control = start("api,conductor,scheduler", "ctl1");
    control.wait_for("api listening on", 1, Duration::from_secs(30));
    let mut computes: Vec<Running> = HOSTS.iter().map(|host| start("compute", host)).collect();
    for compute in &computes {
        compute.wait_for("actor ready", 1, Duration::from_secs(60));
    }
    // The newest microversion: every command as a client pinned to 2.104 sends it.
    let client = client_of(port, home.path(), Some("2.104"));
    wait_for_hypervisors(&client, &|| {
        computes
            .iter()
            .chain([&control])
            .map(|running| running.lines().join("\n"))
            .collect::<Vec<_>>()
            .join("\n----\n")
    });
    exercise(&client);
    for running in computes.iter_mut().chain([&mut control]) {
        running.signal("TERM");
        assert_eq!(
            running.wait_exit(Duration::from_secs(30)).code(),
            Some(0),
            "{}",
            running.lines().join("\n")
        );
    }
    drop(fresh);
}
