//! `openstack server evacuate` as the OSC test drives it: `vm1`'s compute forced down
//! (`compute service set --down`), the server evacuated to a host named with `--host`
//! (2.29+, which the scheduler checks), ACTIVE there again — at 2.95+ the evacuation ends
//! SHUTOFF and a `server start` follows — and the source's service forced up again.

use crate::osc_client::Client;

/// The evacuation of `vm1` off its host; `vm1` ends ACTIVE on another host.
pub(crate) fn evacuate_actions(client: &Client) {
    let source = client.field("vm1", "OS-EXT-SRV-ATTR:host");
    let target = client
        .hosts
        .iter()
        .find(|h| **h != source)
        .expect("a second host")
        .clone();
    // `--down`/`--up` need 2.11, `--host` 2.29; a pinned client already sends more.
    let pinned = client.compute_api_version.is_some();
    let version: &[&str] = if pinned {
        &[]
    } else {
        &["--os-compute-api-version", "2.29"]
    };
    let with_version = |args: &[&str]| -> Vec<String> {
        version
            .iter()
            .chain(args)
            .map(|arg| (*arg).to_owned())
            .collect()
    };
    let down = with_version(&[
        "compute",
        "service",
        "set",
        "--down",
        &source,
        "nova-compute",
    ]);
    client.run(&down.iter().map(String::as_str).collect::<Vec<_>>());
    let state = client.run(&[
        "compute",
        "service",
        "list",
        "--host",
        &source,
        "--service",
        "nova-compute",
        "-f",
        "value",
        "-c",
        "State",
    ]);
    assert_eq!(state.trim(), "down");

    let evacuate = with_version(&["server", "evacuate", "--host", &target, "vm1"]);
    client.act(
        "evacuate",
        &evacuate.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    if pinned {
        // 2.95+: an evacuated server is stopped on its new host.
        client.wait_status("vm1", "SHUTOFF");
        client.act("start", &["server", "start", "vm1"]);
    }
    client.wait_status("vm1", "ACTIVE");
    assert_eq!(client.field("vm1", "OS-EXT-SRV-ATTR:host"), target);

    let up = with_version(&["compute", "service", "set", "--up", &source, "nova-compute"]);
    client.run(&up.iter().map(String::as_str).collect::<Vec<_>>());
}
