//! The real python-openstackclient's image commands against the OSC test's cloud (D-IMAGE):
//! `server image create --wait` (createImage) and `image show` of the snapshot, active;
//! `server backup create --type daily --rotate 1 --wait` twice (createBackup), after which
//! one backup of the server remains; `image list`; `image delete` of what they made.

use std::time::Duration;

use crate::common::wait_until_blocking;
use crate::osc_client::Client;

/// Waits until `vm1` has no task state (the compute clears it after the upload).
fn wait_idle(client: &Client) {
    wait_until_blocking(Duration::from_secs(60), "vm1 without a task", || {
        let task = client.field("vm1", "OS-EXT-STS:task_state");
        if task == "None" {
            Ok(())
        } else {
            Err(format!("vm1 is in task {task}"))
        }
    });
}

/// The image names `image list` shows, sorted.
fn image_names(client: &Client) -> Vec<String> {
    let listed = client.run(&["image", "list", "-f", "value", "-c", "Name"]);
    let mut names: Vec<String> = listed.lines().map(|l| l.trim().to_owned()).collect();
    names.sort();
    names
}

pub(crate) fn image_actions(client: &Client) {
    let created = client.act(
        "createImage",
        &[
            "server", "image", "create", "--name", "snap1", "--wait", "vm1", "-f", "value", "-c",
            "status",
        ],
    );
    assert_eq!(created.trim(), "active");
    wait_idle(client);
    let shown = client.run(&["image", "show", "snap1", "-f", "value", "-c", "status"]);
    assert_eq!(shown.trim(), "active");
    let properties = client.run(&["image", "show", "snap1", "-f", "value", "-c", "properties"]);
    assert!(
        properties.contains("'image_type': 'snapshot'"),
        "{properties}"
    );

    // Two daily backups kept to one: the first is rotated out once the second is up.
    // (Two names: the client finds its backup by name, and for a moment both exist.)
    for name in ["bk1", "bk2"] {
        client.act(
            "createBackup",
            &[
                "server", "backup", "create", "--name", name, "--type", "daily", "--rotate", "1",
                "--wait", "vm1",
            ],
        );
        wait_idle(client);
    }
    wait_until_blocking(Duration::from_secs(60), "one backup left", || {
        let names = image_names(client);
        if names == ["bk2", "cirros", "snap1"] {
            Ok(())
        } else {
            Err(format!("images: {names:?}"))
        }
    });

    client.run(&["image", "delete", "snap1", "bk2"]);
    assert_eq!(image_names(client), ["cirros"]);
    client.wait_status("vm1", "ACTIVE");
}
