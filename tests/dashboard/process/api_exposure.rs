//! The compute API beyond loopback: noauth2 needs `[api] allow_noauth_on_network` and then
//! warns at start and in `/readyz`; with Keystone in front it needs neither.

use super::{get, wait_started, Site, EXIT};
use crate::common::process::*;

#[test]
fn a_noauth_compute_api_beyond_loopback_needs_the_opt_in_and_then_warns_in_readyz() {
    // Without the opt-in: exit 2 before anything starts, naming both options.
    let site = Site::new("");
    let output = site
        .run()
        .env("OS_DEFAULT__OSAPI_COMPUTE_LISTEN", "0.0.0.0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("osapi_compute_listen = 0.0.0.0")
            && stderr.contains("allow_noauth_on_network"),
        "{stderr}"
    );

    // With it: the process serves, says so at start, and /readyz warns for its whole life.
    let site = Site::new("");
    let port = free_port();
    let mut command = site.run();
    command
        .env("OS_DEFAULT__OSAPI_COMPUTE_LISTEN", "0.0.0.0")
        .env("OS_API__ALLOW_NOAUTH_ON_NETWORK", "true")
        .env("OS_DASHBOARD__PORT", port.to_string());
    let mut novactor = Running::spawn(command);
    wait_started(&novactor);
    let warning = novactor
        .lines()
        .into_iter()
        .find(|l| l.contains("allowed by [api] allow_noauth_on_network"))
        .unwrap_or_default();
    assert!(warning.contains("WARN"), "{}", novactor.lines().join("\n"));
    let ready = get(port, "/readyz");
    let body: serde_json::Value = serde_json::from_str(&ready.text).unwrap();
    assert_eq!(ready.status, 200, "{ready:?}");
    assert_eq!(body["status"], "warn", "{body}");
    let check = &body["checks"]["api:noauth-on-network"][0];
    assert_eq!(check["status"], "warn", "{body}");
    assert!(
        check["output"]
            .as_str()
            .is_some_and(|o| o.contains("without authentication")),
        "{body}"
    );
    novactor.signal("TERM");
    assert_eq!(novactor.wait_exit(EXIT).code(), Some(0));

    // With Keystone in front, the API may face the network: no refusal, no warning.
    let site = Site::new(
        "[api]\nauth_strategy = keystone\n[keystone_authtoken]\nauth_type = password\n\
         auth_url = http://127.0.0.1:9/v3\nusername = nova\npassword = p\n\
         project_name = service\nuser_domain_name = Default\nproject_domain_name = Default\n",
    );
    let port = free_port();
    let mut command = site.run();
    command
        .env("OS_DEFAULT__OSAPI_COMPUTE_LISTEN", "0.0.0.0")
        .env("OS_DASHBOARD__PORT", port.to_string());
    let mut novactor = Running::spawn(command);
    wait_started(&novactor);
    assert_eq!(novactor.count("allow_noauth_on_network"), 0);
    let ready = get(port, "/readyz");
    let body: serde_json::Value = serde_json::from_str(&ready.text).unwrap();
    assert!(
        body["checks"].get("api:noauth-on-network").is_none(),
        "{body}"
    );
    novactor.signal("TERM");
    assert_eq!(novactor.wait_exit(EXIT).code(), Some(0));
}
