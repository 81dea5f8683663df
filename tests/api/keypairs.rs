//! `/v2.1/os-keypairs`: key pairs generated and imported (SSH and X.509, Nova's
//! fingerprints), their shapes at 2.1, 2.2, 2.10, 2.35 and 2.92, names, duplicates, invalid
//! keys, the `[quota] key_pairs` quota, another user's key pairs (admin only), paging with
//! `keypairs_links`. The helpers `keypairs_at_boot.rs` shares.

use serde_json::{json, Value};

use crate::cloud::*;

pub(crate) const CIRROS: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

/// Nova's test key (`nova/tests/unit/fake_crypto.py` `get_ssh_public_key`) and its MD5
/// fingerprint.
pub(crate) const SSH_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDx8nkQv/zgGgB4rMYmIf+6A4l6Rr+o/6lHBQdW5aYd44bd8JttDCE/F/pNRr0lRE+PiqSPO8nDPHw0010JeMH9gYgnnFlyY3/OcJ02RhIPyyxYpv9FhY+2YiUkpwFOcLImyrxEsYXpD/0d3ac30bNH6Sw9JD9UZHYcpSxsIbECHw== Generated-by-Nova";
const SSH_FINGERPRINT: &str = "1e:2c:9b:56:79:4b:45:77:f9:ca:7a:98:2c:b0:d5:3c";

/// Nova's test certificate (`fake_crypto.get_x509_cert_and_fingerprint`).
const X509_CERT: &str = "-----BEGIN CERTIFICATE-----\n\
MIIDIjCCAgqgAwIBAgIJAIE8EtWfZhhFMA0GCSqGSIb3DQEBCwUAMCQxIjAgBgNV\n\
BAMTGWNsb3VkYmFzZS1pbml0LXVzZXItMTM1NTkwHhcNMTUwMTI5MTgyMzE4WhcN\n\
MjUwMTI2MTgyMzE4WjAkMSIwIAYDVQQDExljbG91ZGJhc2UtaW5pdC11c2VyLTEz\n\
NTU5MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAv4lv95ofkXLIbALU\n\
UEb1f949TYNMUvMGNnLyLgGOY+D61TNG7RZn85cRg9GVJ7KDjSLN3e3LwH5rgv5q\n\
pU+nM/idSMhG0CQ1lZeExTsMEJVT3bG7LoU5uJ2fJSf5+hA0oih2M7/Kap5ggHgF\n\
h+h8MWvDC9Ih8x1aadkk/OEmJsTrziYm0C/V/FXPHEuXfZn8uDNKZ/tbyfI6hwEj\n\
nLz5Zjgg29n6tIPYMrnLNDHScCwtNZOcnixmWzsxCt1bxsAEA/y9gXUT7xWUf52t\n\
2+DGQbLYxo0PHjnPf3YnFXNavfTt+4c7ZdHhOQ6ZA8FGQ2LJHDHM1r2/8lK4ld2V\n\
qgNTcQIDAQABo1cwVTATBgNVHSUEDDAKBggrBgEFBQcDAjA+BgNVHREENzA1oDMG\n\
CisGAQQBgjcUAgOgJQwjY2xvdWRiYXNlLWluaXQtdXNlci0xMzU1OUBsb2NhbGhv\n\
c3QwDQYJKoZIhvcNAQELBQADggEBAHHX/ZUOMR0ZggQnfXuXLIHWlffVxxLOV/bE\n\
7JC/dtedHqi9iw6sRT5R6G1pJo0xKWr2yJVDH6nC7pfxCFkby0WgVuTjiu6iNRg2\n\
4zNJd8TGrTU+Mst+PPJFgsxrAY6vjwiaUtvZ/k8PsphHXu4ON+oLurtVDVgog7Vm\n\
fQCShx434OeJj1u8pb7o2WyYS5nDVrHBhlCAqVf2JPKu9zY+i9gOG2kimJwH7fJD\n\
xXpMIwAQ+flwlHR7OrE0L8TNcWwKPRAY4EPcXrT+cWo1k6aTqZDSK54ygW2iWtni\n\
ZBcstxwcB4GIwnp1DrPW9L2gw5eLe1Sl6wdz443TW8K/KPV9rWQ=\n\
-----END CERTIFICATE-----\n";
const X509_FINGERPRINT: &str = "a1:6f:6d:ea:a6:36:d0:3a:c6:eb:b6:ee:07:94:3e:2a:90:98:2b:c9";

/// A request by `token` at `version`.
pub(crate) async fn call(
    cloud: &Cloud,
    token: &str,
    version: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let header = format!("compute {version}");
    let text = body.map(|b| b.to_string());
    cloud
        .send(
            method,
            path,
            &[
                ("X-Auth-Token", token),
                ("OpenStack-API-Version", header.as_str()),
            ],
            text.as_deref(),
        )
        .await
}

pub(crate) fn message(reply: &Reply) -> String {
    reply
        .body
        .as_object()
        .and_then(|fault| fault.values().next())
        .and_then(|inner| inner["message"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn keys(body: &Value) -> Vec<String> {
    let mut keys: Vec<String> = body
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

fn names(reply: &Reply) -> Vec<String> {
    reply.body["keypairs"]
        .as_array()
        .expect("a keypairs list")
        .iter()
        .map(|k| k["keypair"]["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[actix_rt::test]
async fn key_pairs_are_generated_imported_listed_and_deleted_per_microversion() {
    let cloud = cloud_with(&[("quota", "key_pairs", "3")]).await;
    let admin = "admin:admin";

    // 2.1: generated, 200, a private key, no type.
    let made = call(
        &cloud,
        admin,
        "2.1",
        "POST",
        "/v2.1/os-keypairs",
        Some(json!({"keypair": {"name": "gen-1"}})),
    )
    .await;
    assert_eq!(made.status, 200, "{made:?}");
    let keypair = &made.body["keypair"];
    assert_eq!(
        keys(keypair),
        [
            "fingerprint",
            "name",
            "private_key",
            "public_key",
            "user_id"
        ]
    );
    assert!(keypair["private_key"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(keypair["public_key"]
        .as_str()
        .unwrap()
        .starts_with("ssh-rsa "));
    assert_eq!(keypair["user_id"], "admin");
    assert_eq!(keypair["fingerprint"].as_str().unwrap().len(), 47);
    let shown = call(&cloud, admin, "2.1", "GET", "/v2.1/os-keypairs/gen-1", None).await;
    assert_eq!(shown.status, 200, "{shown:?}");
    assert_eq!(
        keys(&shown.body["keypair"]),
        [
            "created_at",
            "deleted",
            "deleted_at",
            "fingerprint",
            "id",
            "name",
            "public_key",
            "updated_at",
            "user_id"
        ]
    );
    assert_eq!(shown.body["keypair"]["deleted"], false);
    assert_eq!(shown.body["keypair"]["public_key"], keypair["public_key"]);
    let deleted = call(
        &cloud,
        admin,
        "2.1",
        "DELETE",
        "/v2.1/os-keypairs/gen-1",
        None,
    )
    .await;
    assert_eq!(deleted.status, 202, "{deleted:?}");

    // 2.2: imported SSH and X.509 keys with Nova's fingerprints, 201, a type.
    let ssh = call(
        &cloud,
        admin,
        "2.2",
        "POST",
        "/v2.1/os-keypairs",
        Some(json!({"keypair": {"name": "ssh-1", "public_key": SSH_KEY}})),
    )
    .await;
    assert_eq!(ssh.status, 201, "{ssh:?}");
    assert_eq!(
        keys(&ssh.body["keypair"]),
        ["fingerprint", "name", "public_key", "type", "user_id"]
    );
    assert_eq!(ssh.body["keypair"]["fingerprint"], SSH_FINGERPRINT);
    assert_eq!(ssh.body["keypair"]["type"], "ssh");
    let x509 = call(
        &cloud,
        admin,
        "2.2",
        "POST",
        "/v2.1/os-keypairs",
        Some(json!({"keypair": {"name": "x509-1", "type": "x509", "public_key": X509_CERT}})),
    )
    .await;
    assert_eq!(x509.status, 201, "{x509:?}");
    assert_eq!(x509.body["keypair"]["fingerprint"], X509_FINGERPRINT);
    assert_eq!(x509.body["keypair"]["type"], "x509");
    let listed = call(&cloud, admin, "2.2", "GET", "/v2.1/os-keypairs", None).await;
    assert_eq!(names(&listed), ["ssh-1", "x509-1"]);
    assert_eq!(
        keys(&listed.body["keypairs"][0]["keypair"]),
        ["fingerprint", "name", "public_key", "type"]
    );
    let old = call(&cloud, admin, "2.1", "GET", "/v2.1/os-keypairs", None).await;
    assert_eq!(
        keys(&old.body["keypairs"][0]["keypair"]),
        ["fingerprint", "name", "public_key"]
    );

    // Refusals in Nova's words.
    let twice = call(
        &cloud,
        admin,
        "2.2",
        "POST",
        "/v2.1/os-keypairs",
        Some(json!({"keypair": {"name": "ssh-1", "public_key": SSH_KEY}})),
    )
    .await;
    assert_eq!(
        (twice.status, message(&twice).as_str()),
        (409, "Key pair 'ssh-1' already exists.")
    );
    let garbage = call(
        &cloud,
        admin,
        "2.2",
        "POST",
        "/v2.1/os-keypairs",
        Some(json!({"keypair": {"name": "bad", "public_key": "ssh-rsa bm90IGEga2V5"}})),
    )
    .await;
    assert_eq!(
        (garbage.status, message(&garbage).as_str()),
        (
            400,
            "Keypair data is invalid: failed to generate fingerprint"
        )
    );
    let not_pem = call(
        &cloud,
        admin,
        "2.2",
        "POST",
        "/v2.1/os-keypairs",
        Some(json!({"keypair": {"name": "bad", "type": "x509", "public_key": SSH_KEY}})),
    )
    .await;
    assert_eq!(not_pem.status, 400, "{not_pem:?}");
    assert!(message(&not_pem)
        .starts_with("Keypair data is invalid: failed to generate X509 fingerprint."));
    // A generated x509 key pair: Nova's WinRM certificate for the user and its PKCS#12
    // (`tests/real_nova/keypair_x509.rs` reads both with Python's cryptography).
    let x509_generated = call(
        &cloud,
        admin,
        "2.2",
        "POST",
        "/v2.1/os-keypairs",
        Some(json!({"keypair": {"name": "winrm", "type": "x509"}})),
    )
    .await;
    assert_eq!(x509_generated.status, 201, "{x509_generated:?}");
    let generated = &x509_generated.body["keypair"];
    assert_eq!(
        keys(generated),
        [
            "fingerprint",
            "name",
            "private_key",
            "public_key",
            "type",
            "user_id"
        ]
    );
    assert_eq!(generated["type"], "x509");
    assert!(generated["public_key"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(generated["fingerprint"].as_str().unwrap().len(), 59);
    let shown = call(&cloud, admin, "2.2", "GET", "/v2.1/os-keypairs/winrm", None).await;
    assert_eq!(shown.body["keypair"]["public_key"], generated["public_key"]);
    assert_eq!(
        shown.body["keypair"]["fingerprint"],
        generated["fingerprint"]
    );
    let deleted = call(
        &cloud,
        admin,
        "2.2",
        "DELETE",
        "/v2.1/os-keypairs/winrm",
        None,
    )
    .await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    let no_such = call(&cloud, admin, "2.2", "GET", "/v2.1/os-keypairs/nope", None).await;
    assert_eq!(
        (no_such.status, message(&no_such).as_str()),
        (404, "Keypair nope not found for user admin")
    );
    let type_before_2_2 = call(
        &cloud,
        admin,
        "2.1",
        "POST",
        "/v2.1/os-keypairs",
        Some(json!({"keypair": {"name": "t", "type": "ssh", "public_key": SSH_KEY}})),
    )
    .await;
    assert_eq!(type_before_2_2.status, 400, "{type_before_2_2:?}");

    // Names: [_- a-zA-Z0-9]; 2.92 adds @ and . and requires public_key.
    for (version, name, status) in [
        ("2.91", "a@b.c", 400),
        ("2.91", "a/b", 400),
        ("2.91", " lead", 400),
        ("2.92", "a@b.c", 201),
    ] {
        let reply = call(
            &cloud,
            admin,
            version,
            "POST",
            "/v2.1/os-keypairs",
            Some(json!({"keypair": {"name": name, "public_key": SSH_KEY}})),
        )
        .await;
        assert_eq!(reply.status, status, "{version} {name}: {reply:?}");
    }
    let generate_at_2_92 = call(
        &cloud,
        admin,
        "2.92",
        "POST",
        "/v2.1/os-keypairs",
        Some(json!({"keypair": {"name": "gen-2"}})),
    )
    .await;
    assert_eq!(generate_at_2_92.status, 400, "{generate_at_2_92:?}");
    assert!(message(&generate_at_2_92).contains("'public_key' is a required property"));

    // The quota (3 here): admin has ssh-1, x509-1 and a@b.c.
    let over = call(
        &cloud,
        admin,
        "2.2",
        "POST",
        "/v2.1/os-keypairs",
        Some(json!({"keypair": {"name": "fourth"}})),
    )
    .await;
    assert_eq!(
        (over.status, message(&over).as_str()),
        (403, "Quota exceeded, too many key pairs.")
    );

    // 2.10: an admin manages another user's key pairs; a user only their own.
    let for_bob = call(
        &cloud,
        admin,
        "2.10",
        "POST",
        "/v2.1/os-keypairs",
        Some(json!({"keypair": {"name": "bobs", "public_key": SSH_KEY, "user_id": "bob"}})),
    )
    .await;
    assert_eq!(for_bob.status, 201, "{for_bob:?}");
    assert_eq!(for_bob.body["keypair"]["user_id"], "bob");
    let bobs_own = call(&cloud, "bob:p2", "2.10", "GET", "/v2.1/os-keypairs", None).await;
    assert_eq!(names(&bobs_own), ["bobs"]);
    let alice_peeks = call(
        &cloud,
        "alice:p1",
        "2.10",
        "GET",
        "/v2.1/os-keypairs?user_id=bob",
        None,
    )
    .await;
    assert_eq!(alice_peeks.status, 403, "{alice_peeks:?}");
    assert_eq!(
        message(&alice_peeks),
        "Policy doesn't allow os_compute_api:os-keypairs:index to be performed."
    );
    let alice_makes = call(
        &cloud,
        "alice:p1",
        "2.10",
        "POST",
        "/v2.1/os-keypairs",
        Some(json!({"keypair": {"name": "x", "public_key": SSH_KEY, "user_id": "bob"}})),
    )
    .await;
    assert_eq!(alice_makes.status, 403, "{alice_makes:?}");
    // Before 2.10 the parameter is not read: alice sees her own (none).
    let alice_before = call(
        &cloud,
        "alice:p1",
        "2.9",
        "GET",
        "/v2.1/os-keypairs?user_id=bob",
        None,
    )
    .await;
    assert_eq!((alice_before.status, names(&alice_before).len()), (200, 0));
    let admin_sees_bobs = call(
        &cloud,
        admin,
        "2.10",
        "GET",
        "/v2.1/os-keypairs/bobs?user_id=bob",
        None,
    )
    .await;
    assert_eq!(admin_sees_bobs.status, 200, "{admin_sees_bobs:?}");

    // 2.35: limit and marker, and the next link.
    for name in ["p-b", "p-c"] {
        let reply = call(
            &cloud,
            "bob:p2",
            "2.35",
            "POST",
            "/v2.1/os-keypairs",
            Some(json!({"keypair": {"name": name, "public_key": SSH_KEY}})),
        )
        .await;
        assert_eq!(reply.status, 201, "{reply:?}");
    }
    let first = call(
        &cloud,
        "bob:p2",
        "2.35",
        "GET",
        "/v2.1/os-keypairs?limit=2",
        None,
    )
    .await;
    assert_eq!(names(&first), ["bobs", "p-b"]);
    let next = first.body["keypairs_links"][0]["href"]
        .as_str()
        .expect("a next link");
    assert!(
        next.ends_with("/v2.1/os-keypairs?limit=2&marker=p-b"),
        "{next}"
    );
    let second = call(
        &cloud,
        "bob:p2",
        "2.35",
        "GET",
        "/v2.1/os-keypairs?limit=2&marker=p-b",
        None,
    )
    .await;
    assert_eq!(names(&second), ["p-c"]);
    assert!(second.body.get("keypairs_links").is_none(), "{second:?}");
    let lost = call(
        &cloud,
        "bob:p2",
        "2.35",
        "GET",
        "/v2.1/os-keypairs?marker=gone",
        None,
    )
    .await;
    assert_eq!(
        (lost.status, message(&lost).as_str()),
        (400, "Marker gone could not be found.")
    );
    let unpaged = call(
        &cloud,
        "bob:p2",
        "2.34",
        "GET",
        "/v2.1/os-keypairs?limit=1",
        None,
    )
    .await;
    assert_eq!(names(&unpaged).len(), 3);
    let extra_ignored = call(
        &cloud,
        "bob:p2",
        "2.74",
        "GET",
        "/v2.1/os-keypairs?foo=1",
        None,
    )
    .await;
    assert_eq!(extra_ignored.status, 200);
    let extra_refused = call(
        &cloud,
        "bob:p2",
        "2.75",
        "GET",
        "/v2.1/os-keypairs?foo=1",
        None,
    )
    .await;
    assert_eq!(extra_refused.status, 400, "{extra_refused:?}");

    // 2.2+: delete is 204, then the key pair is gone.
    let gone = call(
        &cloud,
        "bob:p2",
        "2.2",
        "DELETE",
        "/v2.1/os-keypairs/p-c",
        None,
    )
    .await;
    assert_eq!(gone.status, 204, "{gone:?}");
    let again = call(
        &cloud,
        "bob:p2",
        "2.2",
        "DELETE",
        "/v2.1/os-keypairs/p-c",
        None,
    )
    .await;
    assert_eq!(
        (again.status, message(&again).as_str()),
        (404, "Keypair p-c not found for user bob")
    );
}
