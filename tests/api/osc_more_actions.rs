//! The server actions of the OSC test that have no file of their own: rebuild,
//! trigger_crash_dump (`server dump create`, 2.17+), changePassword (`server set
//! --password`), and the deferred delete — both clouds run with `reclaim_instance_interval`
//! set, so `server delete` soft-deletes (SOFT_DELETED) and `server restore` brings the
//! server back; `exercise` ends with `server delete --force` (forceDelete, Nova's `delete`
//! action).

use crate::osc_client::Client;

/// Rebuild, crash dump, password, soft delete and restore on `vm1`, leaving it ACTIVE.
pub(crate) fn more_actions(client: &Client) {
    let rebuilt = client.act(
        "rebuild",
        &[
            "server", "rebuild", "--image", "cirros", "--wait", "vm1", "-f", "value", "-c",
            "status",
        ],
    );
    // `--wait` prints its progress first; the status is the last line.
    assert_eq!(
        rebuilt.lines().last().map(str::trim),
        Some("ACTIVE"),
        "{rebuilt}"
    );
    client.act(
        "trigger_crash_dump",
        &[
            "--os-compute-api-version",
            "2.17",
            "server",
            "dump",
            "create",
            "vm1",
        ],
    );
    client.wait_status("vm1", "ACTIVE");
    client.act(
        "changePassword",
        &["server", "set", "--password", "n3w-Secret", "vm1"],
    );
    client.wait_status("vm1", "ACTIVE");
    // A soft-deleted server leaves the lists (Nova hides SOFT_DELETED unless asked), so
    // the client finds it by id, not by name.
    let id = client.field("vm1", "id");
    client.act("delete", &["server", "delete", "vm1"]);
    client.wait_status(&id, "SOFT_DELETED");
    client.act("restore", &["server", "restore", &id]);
    client.wait_status("vm1", "ACTIVE");
}
