//! `[api] auth_strategy`, `[keystone_authtoken]` (refused with the option to set, bounded)
//! and `[oslo_policy] policy_file` (found beside the configuration file).

use std::time::Duration;

use super::{load_ok, write};
use crate::conf::{AuthStrategy, NameOrId, NovaConfig, ProjectScope};

const AUTHTOKEN: &str = "[api]\nauth_strategy = keystone\n[keystone_authtoken]\n\
    auth_type = password\nauth_url = http://keystone:5000/v3/\nusername = nova\n\
    password = s3cret\nproject_name = service\nuser_domain_name = Default\n\
    project_domain_name = Default\nregion_name = RegionOne\n";

fn load(text: &str) -> Result<NovaConfig, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = write(dir.path(), "nova.conf", text);
    NovaConfig::load(&super::sources_with(vec![path]))
        .map(|loaded| loaded.config)
        .map_err(|e| e.to_string())
}

#[test]
fn noauth2_is_the_default_and_keystone_reads_keystonemiddleware_s_options() {
    let config = NovaConfig::default_for_tests();
    assert_eq!(config.api.auth.strategy, AuthStrategy::NoAuth2);
    let config = load(AUTHTOKEN).expect("loads");
    let AuthStrategy::Keystone(authtoken) = &config.api.auth.strategy else {
        panic!("{:?}", config.api.auth.strategy)
    };
    assert_eq!(authtoken.login.auth_url, "http://keystone:5000");
    assert_eq!(authtoken.login.username, "nova");
    assert_eq!(authtoken.login.password.expose(), "s3cret");
    assert_eq!(
        authtoken.login.user_domain,
        NameOrId::Name("Default".into())
    );
    assert_eq!(
        authtoken.login.project,
        ProjectScope::Name {
            name: "service".into(),
            domain: NameOrId::Name("Default".into())
        }
    );
    assert_eq!(authtoken.login.service_type, "identity");
    assert_eq!(authtoken.login.valid_interfaces, ["internal"]);
    assert_eq!(authtoken.login.region_name.as_deref(), Some("RegionOne"));
    assert_eq!(authtoken.www_authenticate_uri, "http://keystone:5000");
    assert_eq!(authtoken.token_cache_time, Some(Duration::from_secs(300)));
    assert_eq!(authtoken.service_token_roles, ["service"]);
    assert!(authtoken.service_token_roles_required);
    assert_eq!(authtoken.timeout, Duration::from_secs(10));
    assert_eq!(authtoken.max_retries, 3);

    let config = load(&format!(
        "{AUTHTOKEN}www_authenticate_uri = https://id.example.net/\ntoken_cache_time = -1\n\
         service_token_roles = Service,Admin\nhttp_connect_timeout = 3\ninterface = public\n"
    ))
    .expect("loads");
    let AuthStrategy::Keystone(authtoken) = &config.api.auth.strategy else {
        panic!("keystone")
    };
    assert_eq!(authtoken.www_authenticate_uri, "https://id.example.net");
    assert_eq!(authtoken.token_cache_time, None);
    assert_eq!(authtoken.service_token_roles, ["service", "admin"]);
    assert_eq!(authtoken.timeout, Duration::from_secs(3));
    assert_eq!(authtoken.login.valid_interfaces, ["public"]);
}

#[test]
fn keystone_without_its_options_or_with_unbounded_ones_is_refused_naming_them() {
    let err = load("[api]\nauth_strategy = keystone\n").expect_err("no authtoken");
    assert!(
        err.contains("needs [keystone_authtoken] auth_type"),
        "{err}"
    );
    let err = load(&AUTHTOKEN.replace("username = nova\n", "")).expect_err("no user");
    assert!(err.contains("needs [keystone_authtoken] username"), "{err}");
    let err = load(&AUTHTOKEN.replace("http://keystone:5000/v3/", "keystone:5000"))
        .expect_err("not a URL");
    assert!(err.contains("[keystone_authtoken] auth_url"), "{err}");
    for bad in [
        "token_cache_time = 86401",
        "token_cache_time = -2",
        "http_connect_timeout = 0",
        "http_connect_timeout = 100000",
        "http_request_max_retries = 11",
        "auth_type = token",
        "interface = everywhere",
    ] {
        let err = load(&format!("{AUTHTOKEN}{bad}\n")).expect_err(bad);
        assert!(err.contains("[keystone_authtoken]"), "{bad}: {err}");
    }
    let err = load("[api]\nauth_strategy = basic\n").expect_err("no such strategy");
    assert!(err.contains("[api] auth_strategy"), "{err}");
}

#[test]
fn a_relative_policy_file_is_found_beside_the_configuration_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "policy.yaml",
        "\"context_is_admin\": \"role:admin\"\n",
    );
    let conf = write(dir.path(), "nova.conf", "[DEFAULT]\n");
    let loaded = NovaConfig::load(&super::sources_with(vec![conf])).expect("loads");
    assert_eq!(
        loaded.config.api.auth.policy_file,
        dir.path().join("policy.yaml")
    );
    assert!(!loaded.config.api.auth.policy_file_explicit);
    let loaded = load_ok("[oslo_policy]\npolicy_file = /etc/nova/my-policy.yaml\n");
    assert!(loaded.config.api.auth.policy_file_explicit);
}
