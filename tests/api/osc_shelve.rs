//! Shelving with the real OpenStack client (`openstack server shelve` / `unshelve`), run by
//! `osc_drives_the_compute_api.rs` on its long-lived server `vm1`: shelved (the default
//! `shelved_offload_time` 0 offloads it at once: SHELVED_OFFLOADED without a host),
//! unshelved where the scheduler puts it, then shelved again and unshelved at 2.91 onto a
//! named host (`--host`, admin). While shelved, `openstack image list` shows the shelve
//! snapshot `vm1-shelved`; after each unshelve it is gone. Each command is recorded as the
//! instance action Nova records, for the `server event list` check.

use crate::osc_client::Client;

/// Whether `openstack image list` shows the shelve snapshot `vm1-shelved`.
fn shelve_snapshot_listed(client: &Client) -> bool {
    client
        .run(&["image", "list", "-f", "value", "-c", "Name"])
        .lines()
        .any(|name| name.trim() == "vm1-shelved")
}

/// The shelve commands on `vm1`, which is ACTIVE before and after.
pub(crate) fn shelve_actions(client: &Client) {
    client.act("shelve", &["server", "shelve", "vm1"]);
    client.wait_status("vm1", "SHELVED_OFFLOADED");
    let host = client.field("vm1", "OS-EXT-SRV-ATTR:host");
    assert!(
        host.is_empty() || host == "None",
        "offloaded, yet on {host}"
    );
    assert!(shelve_snapshot_listed(client), "vm1-shelved while shelved");
    client.act("unshelve", &["server", "unshelve", "vm1"]);
    client.wait_status("vm1", "ACTIVE");
    assert!(
        !shelve_snapshot_listed(client),
        "vm1-shelved after unshelve"
    );
    let current = client.field("vm1", "OS-EXT-SRV-ATTR:host");
    assert!(client.hosts.contains(&current), "{current}");

    // 2.91: to a host of the caller's choosing.
    let target = client
        .hosts
        .iter()
        .find(|host| **host != current)
        .expect("another host")
        .clone();
    client.act("shelve", &["server", "shelve", "vm1"]);
    client.wait_status("vm1", "SHELVED_OFFLOADED");
    assert!(shelve_snapshot_listed(client), "vm1-shelved while shelved");
    client.act(
        "unshelve",
        &[
            "--os-compute-api-version",
            "2.91",
            "server",
            "unshelve",
            "--host",
            &target,
            "vm1",
        ],
    );
    client.wait_status("vm1", "ACTIVE");
    assert_eq!(client.field("vm1", "OS-EXT-SRV-ATTR:host"), target);
    assert!(
        !shelve_snapshot_listed(client),
        "vm1-shelved after unshelve"
    );
}
