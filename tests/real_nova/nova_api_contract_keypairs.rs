//! The os-keypairs requests of the contract test at one microversion: a key pair generated
//! (before 2.92; from 2.2 an x509 one too) and one imported by the member, the list (a page of one with its
//! `keypairs_links` from 2.35), a show, the admin reading the member's (2.10+), the
//! generated one deleted. The imported one is the key pair the server boots with.

use serde_json::{json, Value};

/// Nova's test key (`nova/tests/unit/fake_crypto.py` `get_ssh_public_key`).
const PUBLIC_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDx8nkQv/zgGgB4rMYmIf+6A4l6Rr+o/6lHBQdW5aYd44bd8JttDCE/F/pNRr0lRE+PiqSPO8nDPHw0010JeMH9gYgnnFlyY3/OcJ02RhIPyyxYpv9FhY+2YiUkpwFOcLImyrxEsYXpD/0d3ac30bNH6Sw9JD9UZHYcpSxsIbECHw== Generated-by-Nova";

/// One request: by the admin or the member, its method, path and body.
pub(crate) struct KeyPairRequest {
    pub(crate) as_admin: bool,
    pub(crate) method: &'static str,
    pub(crate) path: String,
    pub(crate) body: Option<Value>,
}

fn by_member(method: &'static str, path: String, body: Option<Value>) -> KeyPairRequest {
    KeyPairRequest {
        as_admin: false,
        method,
        path,
        body,
    }
}

/// The requests at microversion 2.`minor` (`version`) for `member`'s key pairs, and the
/// name of the imported key pair.
pub(crate) fn keypair_requests(
    minor: u32,
    version: &str,
    member: &str,
) -> (String, Vec<KeyPairRequest>) {
    let name = format!("contract-{}", version.replace('.', "-"));
    let generated = format!("{name}-generated");
    let collection = "/v2.1/os-keypairs".to_owned();
    let mut requests = Vec::new();
    let x509 = format!("{name}-x509");
    if minor < 92 {
        requests.push(by_member(
            "POST",
            collection.clone(),
            Some(json!({"keypair": {"name": generated}})),
        ));
    }
    if (2..92).contains(&minor) {
        requests.push(by_member(
            "POST",
            collection.clone(),
            Some(json!({"keypair": {"name": x509, "type": "x509"}})),
        ));
    }
    requests.push(by_member(
        "POST",
        collection.clone(),
        Some(json!({"keypair": {"name": name, "public_key": PUBLIC_KEY}})),
    ));
    requests.push(by_member("GET", collection.clone(), None));
    if minor >= 35 {
        requests.push(by_member("GET", format!("{collection}?limit=1"), None));
    }
    requests.push(by_member("GET", format!("{collection}/{name}"), None));
    if minor >= 10 {
        for path in [
            format!("{collection}?user_id={member}"),
            format!("{collection}/{name}?user_id={member}"),
        ] {
            requests.push(KeyPairRequest {
                as_admin: true,
                method: "GET",
                path,
                body: None,
            });
        }
    }
    if minor < 92 {
        requests.push(by_member(
            "DELETE",
            format!("{collection}/{generated}"),
            None,
        ));
    }
    if (2..92).contains(&minor) {
        requests.push(by_member("DELETE", format!("{collection}/{x509}"), None));
    }
    (name, requests)
}
