//! Key pairs and a create's named host through the real OpenStack client: `keypair create`
//! (the client generates an ed25519 key and imports its public half), `keypair list` and
//! `show`, a server booted with `--key-name` whose `server show` names the key pair, a
//! server placed with `--host` (2.74), both deleted, then the key pair.

use crate::osc_client::Client;

pub(crate) fn keypair_actions(client: &Client) {
    let private_key = client.run(&["keypair", "create", "k1"]);
    assert!(private_key.contains("PRIVATE KEY"), "{private_key}");
    let listed = client.run(&["keypair", "list", "-f", "value", "-c", "Name"]);
    assert_eq!(listed.trim(), "k1");
    let fingerprint = client.run(&["keypair", "show", "k1", "-f", "value", "-c", "fingerprint"]);
    assert_eq!(fingerprint.trim().split(':').count(), 16, "{fingerprint}");

    client.run(&[
        "server",
        "create",
        "--flavor",
        "m1.tiny",
        "--image",
        "cirros",
        "--nic",
        "none",
        "--key-name",
        "k1",
        "--wait",
        "vmk",
    ]);
    assert_eq!(client.field("vmk", "key_name"), "k1");
    client.run(&["server", "delete", "--force", "--wait", "vmk"]);

    let host = client.hosts.last().expect("a compute host").clone();
    client.run(&[
        "--os-compute-api-version",
        "2.74",
        "server",
        "create",
        "--flavor",
        "m1.tiny",
        "--image",
        "cirros",
        "--nic",
        "none",
        "--host",
        &host,
        "--wait",
        "vmh",
    ]);
    assert_eq!(client.field("vmh", "OS-EXT-SRV-ATTR:host"), host);
    client.run(&["server", "delete", "--force", "--wait", "vmh"]);

    client.run(&["keypair", "delete", "k1"]);
    let listed = client.run(&["keypair", "list", "-f", "value", "-c", "Name"]);
    assert_eq!(listed.trim(), "");
}
