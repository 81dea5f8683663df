//! The os-keypairs requests of the samples test: every version's create (generated) and
//! import sample — the 2.54+ rebuild samples boot with the imported `new-key` — then the
//! lists, a show and a delete at the versions that change them. The 2.92 create sample asks
//! to generate, which 2.92 removed: Nova answers it 400 (`public_key` is required), and so
//! must novactor.

use std::path::Path;

use serde_json::{json, Value};

use crate::nova_api_sample_files::{fill, samples};

/// Nova's test key (`nova/tests/unit/fake_crypto.py`), what the import samples send.
const SSH_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDx8nkQv/zgGgB4rMYmIf+6A4l6Rr+o/6lHBQdW5aYd44bd8JttDCE/F/pNRr0lRE+PiqSPO8nDPHw0010JeMH9gYgnnFlyY3/OcJ02RhIPyyxYpv9FhY+2YiUkpwFOcLImyrxEsYXpD/0d3ac30bNH6Sw9JD9UZHYcpSxsIbECHw== Generated-by-Nova";

/// One request to send, and the 400 text Nova itself answers it with, if it does.
pub(crate) struct SampleRequest {
    pub(crate) sample: String,
    pub(crate) version: String,
    pub(crate) method: &'static str,
    pub(crate) path: String,
    pub(crate) body: Value,
    pub(crate) nova_refuses: Option<&'static str>,
}

/// The os-keypairs requests, in order.
pub(crate) fn keypair_requests(root: &Path) -> Vec<SampleRequest> {
    let posts = samples(root, "os-keypairs", |f| {
        f == "keypairs-post-req.json.tpl" || f == "keypairs-import-post-req.json.tpl"
    });
    assert!(posts.len() >= 9, "the key pair samples: {posts:?}");
    let mut requests = Vec::new();
    for (index, (sample, version)) in posts.into_iter().enumerate() {
        let template = std::fs::read_to_string(root.join(&sample)).expect("the sample");
        let name = if sample == "os-keypairs/keypairs-import-post-req.json.tpl" {
            "new-key".to_owned()
        } else {
            format!("kp-{index}")
        };
        let subs = [
            ("keypair_name", name),
            ("public_key", SSH_KEY.to_owned()),
            ("keypair_type", "ssh".to_owned()),
            ("user_id", "admin".to_owned()),
        ];
        let body = fill(&template, &subs, &sample);
        let nova_refuses = (sample == "os-keypairs/v2.92/keypairs-post-req.json.tpl")
            .then_some("'public_key' is a required property");
        requests.push(SampleRequest {
            sample,
            version,
            method: "POST",
            path: "/v2.1/os-keypairs".to_owned(),
            body,
            nova_refuses,
        });
    }
    let mut plain = |version: &str, method: &'static str, path: &str| {
        requests.push(SampleRequest {
            sample: format!("os-keypairs {method} {path} at {version}"),
            version: version.to_owned(),
            method,
            path: path.to_owned(),
            body: json!(null),
            nova_refuses: None,
        });
    };
    plain("2.1", "GET", "/v2.1/os-keypairs");
    plain("2.2", "GET", "/v2.1/os-keypairs");
    plain("2.35", "GET", "/v2.1/os-keypairs?limit=1");
    plain("2.35", "GET", "/v2.1/os-keypairs?limit=1&marker=kp-1");
    plain("2.1", "GET", "/v2.1/os-keypairs/new-key");
    plain("2.2", "GET", "/v2.1/os-keypairs/new-key?user_id=admin");
    plain("2.1", "DELETE", "/v2.1/os-keypairs/kp-1");
    plain("2.2", "DELETE", "/v2.1/os-keypairs/kp-2");
    requests
}
