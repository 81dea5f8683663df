//! `[placement]`: keystoneauth's options per auth plugin, refused with the option to set,
//! and the secrets never shown.

use std::time::Duration;

use super::{load_err, load_ok, NovaConfig};
use crate::conf::{NameOrId, PlacementAuth, ProjectScope};

fn placement(lines: &str) -> Result<NovaConfig, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("nova.conf");
    std::fs::write(&path, format!("[placement]\n{lines}")).map_err(|e| e.to_string())?;
    NovaConfig::load(&super::sources_with(vec![path]))
        .map(|loaded| loaded.config)
        .map_err(|e| e.to_string())
}

#[test]
fn without_auth_type_placement_is_not_configured() {
    let config = NovaConfig::default_for_tests();
    assert_eq!(config.placement, None);
    // Other [placement] options alone do not configure it either.
    let config = placement("endpoint = http://placement:8778\ntoken = admin\n").expect("loads");
    assert_eq!(config.placement, None);
    assert_eq!(
        config.compute.resource_provider_association_refresh,
        Duration::from_secs(300)
    );
}

#[test]
fn admin_token_needs_a_token_and_an_endpoint() {
    let config =
        placement("auth_type = admin_token\nendpoint = http://127.0.0.1:8778/\ntoken = admin\n")
            .expect("loads");
    let conf = config.placement.expect("configured");
    let PlacementAuth::AdminToken { endpoint, token } = &conf.auth else {
        panic!("{:?}", conf.auth)
    };
    assert_eq!(endpoint, "http://127.0.0.1:8778");
    assert_eq!(token.expose(), "admin");
    assert_eq!(conf.timeout, Duration::from_secs(30));
    assert_eq!(conf.max_concurrent_requests, 10);

    let (path, err) = load_err("[placement]\nauth_type = admin_token\nendpoint = http://p:8778\n");
    assert_eq!(
        err,
        format!(
            "option [placement] auth_type in {} conflicts with [placement] token: auth_type = \
             admin_token needs [placement] token (the token placement accepts); set it",
            path.display()
        )
    );
    let err = placement("auth_type = admin_token\ntoken = admin\n").expect_err("no endpoint");
    assert!(err.contains("needs [placement] endpoint"), "{err}");
    let err = placement("auth_type = admin_token\ntoken = a\nendpoint = placement:8778\n")
        .expect_err("not a URL");
    assert!(
        err.contains("invalid value \"placement:8778\" for option [placement] endpoint"),
        "{err}"
    );
}

#[test]
fn none_uses_endpoint_override_which_wins_over_endpoint() {
    for auth_type in ["none", "noauth"] {
        let config = placement(&format!(
            "auth_type = {auth_type}\nendpoint = http://a:1\nendpoint_override = http://b:2\n\
             timeout = 2.5\nmax_concurrent_requests = 3\n"
        ))
        .expect("loads");
        let conf = config.placement.expect("configured");
        assert_eq!(
            conf.auth,
            PlacementAuth::NoAuth {
                endpoint: "http://b:2".into()
            }
        );
        assert_eq!(conf.timeout, Duration::from_millis(2500));
        assert_eq!(conf.max_concurrent_requests, 3);
    }
    let forever = placement("auth_type = none\nendpoint = http://a:1\ntimeout = 1000000000000\n")
        .expect("loads")
        .placement
        .expect("configured");
    assert_eq!(forever.timeout.as_secs(), 365 * 24 * 3600);
    let err = placement("auth_type = none\nendpoint = http://a:1\nmax_concurrent_requests = 0\n")
        .expect_err("no requests at all");
    assert!(err.contains("an integer between 1 and 10000"), "{err}");
    let err = placement("auth_type = none\n").expect_err("no endpoint");
    assert!(err.contains("endpoint_override"), "{err}");
    let err = placement("auth_type = token\n").expect_err("unsupported plugin");
    assert!(
        err.contains("expected one of admin_token, none, noauth, password, v3password"),
        "{err}"
    );
}

#[test]
fn password_reads_keystones_options_with_novas_interface_default() {
    let config = placement(
        "auth_type = password\nauth_url = http://keystone:5000/v3\nusername = nova\n\
         password = s3cret\nuser_domain_name = Default\nproject_name = service\n\
         project_domain_id = default\nregion_name = RegionOne\n",
    )
    .expect("loads");
    let conf = config.placement.expect("configured");
    let PlacementAuth::Password(login) = &conf.auth else {
        panic!("{:?}", conf.auth)
    };
    assert_eq!(login.auth_url, "http://keystone:5000");
    assert_eq!(login.username, "nova");
    assert_eq!(login.user_domain, NameOrId::Name("Default".into()));
    assert_eq!(
        login.project,
        ProjectScope::Name {
            name: "service".into(),
            domain: NameOrId::Id("default".into())
        }
    );
    assert_eq!(login.valid_interfaces, vec!["internal", "public"]);
    assert_eq!(login.service_type, "placement");
    assert_eq!(login.region_name.as_deref(), Some("RegionOne"));
    assert_eq!(conf.endpoint_override, None);
}

#[test]
fn password_names_each_missing_option() {
    let full = "auth_type = password\nauth_url = http://k:5000\nusername = nova\n\
                password = p\nuser_domain_id = default\nproject_id = p1\n";
    assert!(placement(full).is_ok());
    for (drop, expected) in [
        ("auth_url", "needs [placement] auth_url"),
        ("username", "needs [placement] username"),
        ("password =", "needs [placement] password"),
        ("user_domain_id", "needs [placement] user_domain_name"),
        ("project_id", "needs [placement] project_name"),
    ] {
        let text: String = full
            .lines()
            .filter(|l| !l.starts_with(drop))
            .map(|l| format!("{l}\n"))
            .collect();
        let err = placement(&text).expect_err(drop);
        assert!(err.contains(expected), "{drop}: {err}");
    }
    let err = placement(&format!("{full}valid_interfaces = internal,private\n"))
        .expect_err("bad interface");
    assert!(err.contains("a list of public, internal, admin"), "{err}");
    let err = placement(
        "auth_type = password\nauth_url = http://k\nusername = u\npassword = p\n\
                         user_domain_id = d\nproject_name = service\n",
    )
    .expect_err("project domain");
    assert!(
        err.contains("needs [placement] project_domain_name"),
        "{err}"
    );
}

#[test]
fn the_password_and_token_are_never_shown() {
    let loaded = load_ok(
        "[placement]\nauth_type = password\nauth_url = http://k:5000\nusername = nova\n\
         password = hunter2-placement\nuser_domain_id = default\nproject_id = p1\n\
         token = admin-token-xyz\n",
    );
    let shown = loaded.config.show();
    let debug = format!("{:?}", loaded.config);
    for secret in ["hunter2-placement", "admin-token-xyz"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    assert!(shown.contains("\n[placement]\n"), "{shown}");
    assert!(shown.contains("password = ***"), "{shown}");
}
