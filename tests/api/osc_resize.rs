//! The resize and cold migration commands of the real `openstack` CLI on the OSC test's
//! long-lived server `vm1`: a resize confirmed (VERIFY_RESIZE, then ACTIVE on another host
//! with m1.small), a resize down reverted (back to m1.small on that host), a cold
//! migration confirmed (another host), and at 2.56 a cold migration to a named host.

use crate::osc_client::Client;

/// `vm1`'s flavor as `server list` names it (the only server at this point).
fn flavor(client: &Client) -> String {
    client
        .run(&[
            "server", "list", "--name", "^vm1$", "-f", "value", "-c", "Flavor",
        ])
        .trim()
        .to_owned()
}

fn host(client: &Client) -> String {
    client.field("vm1", "OS-EXT-SRV-ATTR:host")
}

/// Resize, confirm, resize, revert, migrate, confirm, migrate --host, confirm: `vm1` ends
/// ACTIVE with m1.small.
pub(crate) fn resize_actions(client: &Client) {
    let first = host(client);
    client.act(
        "resize",
        &["server", "resize", "--flavor", "m1.small", "--wait", "vm1"],
    );
    client.wait_status("vm1", "VERIFY_RESIZE");
    let second = host(client);
    assert_ne!(second, first, "a resize leaves its host");
    assert_eq!(flavor(client), "m1.small");
    client.act("confirmResize", &["server", "resize", "confirm", "vm1"]);
    client.wait_status("vm1", "ACTIVE");
    assert_eq!(host(client), second);
    assert_eq!(flavor(client), "m1.small");

    client.act(
        "resize",
        &["server", "resize", "--flavor", "m1.tiny", "--wait", "vm1"],
    );
    client.wait_status("vm1", "VERIFY_RESIZE");
    assert_eq!(flavor(client), "m1.tiny");
    assert_ne!(host(client), second);
    client.act("revertResize", &["server", "resize", "revert", "vm1"]);
    client.wait_status("vm1", "ACTIVE");
    assert_eq!(host(client), second, "a revert goes back to the source");
    assert_eq!(flavor(client), "m1.small");

    client.act("migrate", &["server", "migrate", "--wait", "vm1"]);
    client.wait_status("vm1", "VERIFY_RESIZE");
    let third = host(client);
    assert_ne!(third, second, "a cold migration leaves its host");
    client.act("confirmResize", &["server", "resize", "confirm", "vm1"]);
    client.wait_status("vm1", "ACTIVE");
    assert_eq!(flavor(client), "m1.small");

    // 2.56: the operator names the destination.
    let target = client
        .hosts
        .iter()
        .find(|h| **h != third)
        .expect("another host")
        .clone();
    client.act(
        "migrate",
        &[
            "--os-compute-api-version",
            "2.56",
            "server",
            "migrate",
            "--host",
            &target,
            "--wait",
            "vm1",
        ],
    );
    client.wait_status("vm1", "VERIFY_RESIZE");
    assert_eq!(host(client), target);
    client.act("confirmResize", &["server", "resize", "confirm", "vm1"]);
    client.wait_status("vm1", "ACTIVE");
    assert_eq!(host(client), target);
}
