//! Config layering, parsing, validation messages, masking and the sample file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::*;

/// The runtime's own options (the application's are tested in its crate).
fn runtime() -> Arc<OptionRegistry> {
    Arc::new(OptionRegistry::runtime())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test config");
    path
}

fn sources_with(files: Vec<PathBuf>) -> ConfigSources {
    ConfigSources {
        config_files: files,
        default_search: Vec::new(),
        ..ConfigSources::default()
    }
}

fn load_text(text: &str) -> (tempfile::TempDir, Result<LoadedConfig, ConfigError>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "nova.conf", text);
    let result = Config::load(&sources_with(vec![path]), &runtime());
    (dir, result)
}

fn load_ok(text: &str) -> LoadedConfig {
    let (_dir, result) = load_text(text);
    result.expect("config should load")
}

fn load_err(text: &str) -> (PathBuf, String) {
    let (dir, result) = load_text(text);
    let err = result.expect_err("config should be rejected").to_string();
    (dir.path().join("nova.conf"), err)
}

#[test]
fn env_group_is_case_insensitive_and_only_os_double_underscore_counts() {
    let sources = ConfigSources {
        default_search: Vec::new(),
        env: vec![
            ("OS_SUPERVISOR__RESTART_INTENSITY".into(), "3".into()),
            ("OS_default__DEBUG".into(), "true".into()),
            ("OS_DEBUG".into(), "false".into()),
            ("DEFAULT__DEBUG".into(), "false".into()),
        ],
        ..ConfigSources::default()
    };
    let loaded = Config::load(&sources, &runtime()).expect("load");
    assert_eq!(loaded.config.supervisor.restart_intensity, 3);
    assert!(loaded.config.default.debug);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn missing_file_or_dir_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.conf");
    let err =
        Config::load(&sources_with(vec![missing.clone()]), &runtime()).expect_err("missing file");
    assert_eq!(
        err.to_string(),
        format!(
            "config file {} does not exist (given with --config-file)",
            missing.display()
        )
    );
    let sources = ConfigSources {
        config_dirs: vec![missing.clone()],
        ..ConfigSources::default()
    };
    let err = Config::load(&sources, &runtime()).expect_err("missing dir");
    assert!(
        matches!(err, ConfigError::DirNotFound { ref path } if *path == missing),
        "{err}"
    );
}

#[test]
fn backoff_max_below_initial_is_a_conflict() {
    let err = Config::with_overrides(&[
        ("supervisor", "restart_backoff_initial", "5"),
        ("supervisor", "restart_backoff_max", "2"),
    ])
    .expect_err("conflict")
    .to_string();
    assert_eq!(
        err,
        "option [supervisor] restart_backoff_max on the command line conflicts with \
         [supervisor] restart_backoff_initial: restart_backoff_max (2s) must be >= \
         restart_backoff_initial (5s)"
    );
}

#[test]
fn reads_cannot_need_a_dashboard_token_that_is_not_set() {
    let err = Config::with_overrides(&[("dashboard", "require_token_for_reads", "true")])
        .expect_err("conflict")
        .to_string();
    assert!(
        err.contains("[dashboard] require_token_for_reads")
            && err.contains("[dashboard] admin_token"),
        "{err}"
    );
    let config = Config::with_overrides(&[
        ("dashboard", "require_token_for_reads", "true"),
        ("dashboard", "admin_token", "t"),
    ])
    .expect("with a token");
    assert!(config.dashboard.require_token_for_reads);
}

#[test]
fn booleans_accept_oslo_spellings_in_any_case() {
    for (text, expected) in [
        ("true", true),
        ("True", true),
        ("YES", true),
        ("on", true),
        ("1", true),
        ("false", false),
        ("No", false),
        ("OFF", false),
        ("0", false),
    ] {
        let config = Config::with_overrides(&[("DEFAULT", "debug", text)]).expect(text);
        assert_eq!(config.default.debug, expected, "{text}");
    }
    let err = Config::with_overrides(&[("DEFAULT", "use_json", "maybe")]).expect_err("maybe");
    assert!(
        err.to_string()
            .ends_with("expected a boolean (true/false, yes/no, on/off, 1/0)"),
        "{err}"
    );
}

#[test]
fn bad_dict_entries_name_the_entry_and_the_choices() {
    let err = Config::with_overrides(&[(
        "supervisor",
        "restart_types",
        "api:transient,compute:forever",
    )])
    .expect_err("bad choice")
    .to_string();
    assert_eq!(
        err,
        "invalid entry \"compute:forever\" in option [supervisor] restart_types on the command \
         line: expected <name>:permanent|transient|temporary"
    );
    let err = Config::with_overrides(&[("supervisor", "restart_types", "api")])
        .expect_err("no colon")
        .to_string();
    assert!(err.starts_with("invalid entry \"api\""), "{err}");
    let err = Config::with_overrides(&[("supervisor", "restart_types", "a:permanent,a:transient")])
        .expect_err("duplicate key")
        .to_string();
    assert!(err.starts_with("invalid entry \"a:transient\""), "{err}");
}

#[test]
fn choices_kind_accepts_only_listed_values() {
    let spec = OptionSpec {
        group: "test",
        name: "mode",
        kind: OptionKind::Choices(&["a", "b"]),
        default: OptionDefault::Value("a"),
        help: "",
        mutable: false,
        secret: false,
        source: "test",
    };
    let origin = ValueOrigin::CommandLine;
    assert_eq!(
        option_value::parse_value(&spec, Some("b"), &origin).expect("b"),
        option_value::TypedValue::Str("b".into())
    );
    let err = option_value::parse_value(&spec, Some("c"), &origin).expect_err("c");
    assert!(err.to_string().ends_with("expected one of a, b"), "{err}");
}

#[test]
fn unresolvable_or_circular_references_are_errors() {
    let (path, err) = load_err("[DEFAULT]\nlog_dir = ${libvirt.images}/x\n");
    assert_eq!(
        err,
        format!(
            "cannot substitute ${{libvirt.images}} in option [DEFAULT] log_dir in {}: \
             no option [libvirt] images is set (referenced from [DEFAULT] log_dir)",
            path.display()
        )
    );
    let (_, err) = load_err("[DEFAULT]\nlog_dir = $log_file\nlog_file = $log_dir\n");
    assert!(err.contains("circular reference"), "{err}");
}

#[test]
fn url_passwords_are_masked_for_every_host() {
    assert_eq!(
        mask_url("rabbit://nova:secret@h1:5672/"),
        "rabbit://nova:***@h1:5672/"
    );
    assert_eq!(
        mask_url("rabbit://nova:s1@h1:5672,other:s2@h2:5672/vhost?ssl=1"),
        "rabbit://nova:***@h1:5672,other:***@h2:5672/vhost?ssl=1"
    );
    assert_eq!(mask_url("rabbit://nova@h1:5672/"), "rabbit://nova@h1:5672/");
    assert_eq!(mask_url("rabbit://h1,h2/"), "rabbit://h1,h2/");
    assert_eq!(mask_url("rabbit://u:p@ss@h1/"), "rabbit://u:***@h1/");

    let url = "rabbit://nova:topsecret@h1:5672,nova:topsecret@h2:5672/";
    let config = Config::with_overrides(&[("DEFAULT", "transport_url", url)]).expect("load");
    assert_eq!(config.default.transport_url_or_memory(), url);
    let shown = config.show();
    assert!(
        shown.contains(
            "transport_url = rabbit://nova:***@h1:5672,nova:***@h2:5672/  (command line)"
        ),
        "{shown}"
    );
    assert!(!shown.contains("topsecret"));
    assert!(!format!("{config:?}").contains("topsecret"));
    let err = Config::with_overrides(&[("DEFAULT", "transport_url", "nova:topsecret@h1")])
        .expect_err("no scheme")
        .to_string();
    assert!(
        err.starts_with("invalid value \"***\" for option [DEFAULT] transport_url"),
        "{err}"
    );
}

#[test]
fn show_changes_and_errors_mask_every_password_shape() {
    let transport = "rabbit://nova:p%2Fa%3Fb%23c%2Cd@h1:5672,nova:p%2Fa%3Fb%23c%2Cd@[::1]:5673/\
                     nova?password=qs-secret&heartbeat_rate=3";
    let database = "mysql+pymysql://nova:raw/secret@db/nova?charset=utf8";
    let loaded = load_ok(&format!(
        "[DEFAULT]\ntransport_url = {transport}\n[database]\nconnection = {database}\n"
    ));
    let config = &loaded.config;
    let shown = config.show();
    assert!(
        shown.contains(
            "transport_url = rabbit://nova:***@h1:5672,nova:***@[::1]:5673/nova?password=***&\
             heartbeat_rate=3  ("
        ),
        "{shown}"
    );
    assert!(shown.contains("connection = mysql+pymysql://nova:***@db/nova?charset=utf8  ("));
    let changes = Config::default_for_tests().immutable_changes(config);
    let debug = format!("{config:?} {changes:?}");
    for secret in ["p%2Fa", "p/a", "qs-secret", "raw/secret", "secret@"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    let (_, err) = load_err("[DEFAULT]\ntransport_url = nova:hunter2@h1\n");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn malformed_files_are_errors_with_line_numbers() {
    let (path, err) = load_err("[DEFAULT]\nhost = a\nnovalue\n");
    assert_eq!(
        err,
        format!(
            "cannot parse config file {} at line 3: expected `name = value`, a [section] \
             header or a # comment",
            path.display()
        )
    );
    let (_, err) = load_err("host = a\n[DEFAULT]\n");
    assert!(
        err.contains("at line 1: option outside any section"),
        "{err}"
    );
    let (_, err) = load_err("[DEFAULT]\n\n[x\n");
    assert!(err.contains("at line 3: section header"), "{err}");
    let (_, err) = load_err("[DEFAULT]\n[]\n");
    assert!(err.contains("at line 2: empty section name"), "{err}");
    let (_, err) = load_err("[DEFAULT]\n= a\n");
    assert!(err.contains("at line 2: the option name"), "{err}");
    // An indented line continues a value: after a header, a comment or a blank line there is
    // none (oslo: "Unexpected continuation line").
    for (text, line) in [
        ("[y]\n  z = 1\n", 2),
        ("[y]\n  # indented comment\n", 2),
        ("[y]\nz = 1\n# c\n  more\n", 4),
        ("[y]\nz = 1\n\n  more\n", 4),
        ("[y]\nz = 1\n   \n\tmore\n", 4),
    ] {
        let (_, err) = load_err(text);
        assert!(
            err.contains(&format!("at line {line}: unexpected continuation line")),
            "{text:?}: {err}"
        );
    }
    // Text after a value is part of it, as in oslo (no inline comments); an unbalanced quote
    // stays.
    let loaded = load_ok("[DEFAULT]\ncontrol_exchange = a ; b\n[y]\nz = 1 # c\nq = \"open\n");
    assert_eq!(loaded.config.default.control_exchange, "a ; b");
    assert_eq!(loaded.config.raw("y", "z"), Some("1 # c"));
    assert_eq!(loaded.config.raw("y", "q"), Some("\"open"));
    // Windows line ends, and a file that does not end with one.
    let loaded = load_ok("[DEFAULT]\r\nhost = a\r\n[y]\r\nw = a\r\n  b\r\nz = 1");
    assert_eq!(loaded.config.raw("y", "w"), Some("a\nb"));
    assert_eq!(loaded.config.raw("y", "z"), Some("1"));
}

const RABBIT_GROUP: &str = "oslo_messaging_rabbit";

fn rabbit(overrides: &[(&str, &str)]) -> Result<RabbitOptions, ConfigError> {
    let overrides: Vec<(&str, &str, &str)> = overrides
        .iter()
        .map(|(name, value)| (RABBIT_GROUP, *name, *value))
        .collect();
    Config::with_overrides(&overrides).map(|c| c.oslo_messaging_rabbit)
}

#[test]
fn rabbit_defaults_match_oslo_messaging() {
    let r = Config::default_for_tests().oslo_messaging_rabbit;
    assert_eq!(
        r,
        RabbitOptions {
            amqp_durable_queues: false,
            amqp_auto_delete: false,
            rabbit_quorum_queue: false,
            rabbit_transient_quorum_queue: false,
            rabbit_quorum_delivery_limit: 0,
            rabbit_quorum_max_memory_length: 0,
            rabbit_quorum_max_memory_bytes: 0,
            rabbit_ha_queues: false,
            rabbit_transient_queues_ttl: Some(Duration::from_secs(1800)),
            rabbit_qos_prefetch_count: 0,
            heartbeat_timeout_threshold: Some(Duration::from_secs(60)),
            heartbeat_rate: 3,
            rabbit_retry_interval: Duration::from_secs(1),
            rabbit_retry_backoff: Duration::from_secs(2),
            rabbit_interval_max: Duration::from_secs(30),
            kombu_missing_consumer_retry_timeout: Duration::from_secs(60),
            kombu_failover_strategy: FailoverStrategy::RoundRobin,
            rabbit_login_method: LoginMethod::AmqPlain,
            ssl: false,
            ssl_ca_file: None,
            ssl_cert_file: None,
            ssl_key_file: None,
            ssl_version: None,
            rabbit_stream_fanout: false,
            use_queue_manager: false,
        }
    );
    assert_eq!(r.x_expires_ms(), Some(1_800_000));
    assert_eq!(r.heartbeat_secs(), 60);
    assert_eq!(r.rabbit_login_method.as_str(), "AMQPLAIN");
    assert!(runtime()
        .iter()
        .filter(|o| o.group == RABBIT_GROUP)
        .all(|o| !o.mutable));
    assert!(runtime()
        .spec(RABBIT_GROUP, "direct_mandatory_flag")
        .is_none());
}

#[test]
fn rabbit_options_load_from_a_file() {
    let loaded = load_ok(
        "[oslo_messaging_rabbit]\namqp_durable_queues = true\nrabbit_quorum_queue = yes\n\
         rabbit_quorum_delivery_limit = 5\nrabbit_transient_queues_ttl = 0\n\
         rabbit_qos_prefetch_count = 10\nheartbeat_timeout_threshold = 0\n\
         kombu_failover_strategy = shuffle\nrabbit_login_method = PLAIN\nssl = true\n\
         ssl_ca_file = /etc/ssl/ca.pem\nssl_cert_file =\nssl_version = TLSv1_2\n",
    );
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let r = &loaded.config.oslo_messaging_rabbit;
    assert!(r.amqp_durable_queues && r.rabbit_quorum_queue && r.ssl);
    assert_eq!(r.rabbit_quorum_delivery_limit, 5);
    assert_eq!(r.rabbit_transient_queues_ttl, None);
    assert_eq!(r.x_expires_ms(), None);
    assert_eq!(r.rabbit_qos_prefetch_count, 10);
    assert_eq!(r.heartbeat_timeout_threshold, None);
    assert_eq!(r.heartbeat_secs(), 0);
    assert_eq!(r.kombu_failover_strategy, FailoverStrategy::Shuffle);
    assert_eq!(r.rabbit_login_method, LoginMethod::Plain);
    assert_eq!(r.ssl_ca_file, Some(PathBuf::from("/etc/ssl/ca.pem")));
    assert_eq!(r.ssl_cert_file, None);
    assert_eq!(r.ssl_version.as_deref(), Some("TLSv1_2"));
}

#[test]
fn rabbit_quorum_and_ha_queues_conflict() {
    let (path, err) =
        load_err("[oslo_messaging_rabbit]\nrabbit_quorum_queue = true\nrabbit_ha_queues = true\n");
    assert_eq!(
        err,
        format!(
            "option [oslo_messaging_rabbit] rabbit_quorum_queue in {} conflicts with \
             [oslo_messaging_rabbit] rabbit_ha_queues: rabbit_quorum_queue and \
             rabbit_ha_queues are both true; a queue is either quorum or HA (mirrored), \
             not both: set one of them to false",
            path.display()
        )
    );
    assert!(
        rabbit(&[("rabbit_ha_queues", "true")])
            .expect("ha alone")
            .rabbit_ha_queues
    );
}

#[test]
fn rabbit_transient_queues_ttl_must_fit_a_32_bit_x_expires() {
    let max = rabbit(&[("rabbit_transient_queues_ttl", "2147483")]).expect("max");
    assert_eq!(max.x_expires_ms(), Some(2_147_483_000));
    assert_eq!(MAX_TRANSIENT_QUEUES_TTL_SECS, 2_147_483);
    let err = rabbit(&[("rabbit_transient_queues_ttl", "2147484")])
        .expect_err("overflow")
        .to_string();
    assert_eq!(
        err,
        "invalid value \"2147484\" for option [oslo_messaging_rabbit] \
         rabbit_transient_queues_ttl on the command line: expected an integer between 0 and \
         2147483: x-expires is the TTL in milliseconds as a signed 32-bit integer, so \
         TTL*1000 must not exceed 2147483647"
    );
    let err = rabbit(&[("rabbit_transient_queues_ttl", "-1")])
        .expect_err("negative")
        .to_string();
    assert!(err.ends_with("expected an integer >= 0"), "{err}");
}

#[test]
fn rabbit_ranges_follow_the_amqp_field_widths() {
    let r = rabbit(&[
        ("rabbit_qos_prefetch_count", "65535"),
        ("heartbeat_timeout_threshold", "65535"),
    ])
    .expect("max");
    assert_eq!(r.rabbit_qos_prefetch_count, u16::MAX);
    assert_eq!(r.heartbeat_secs(), u16::MAX);
    for (name, value, expected) in [
        (
            "rabbit_qos_prefetch_count",
            "65536",
            "an integer between 0 and 65535",
        ),
        (
            "heartbeat_timeout_threshold",
            "-1",
            "an integer between 0 and 65535",
        ),
        ("heartbeat_rate", "0", "an integer >= 1"),
        ("rabbit_retry_interval", "0", "an integer >= 1"),
        ("rabbit_interval_max", "0", "an integer >= 1"),
        ("rabbit_retry_backoff", "-1", "an integer >= 0"),
        (
            "kombu_missing_consumer_retry_timeout",
            "-1",
            "an integer >= 0",
        ),
        ("rabbit_quorum_max_memory_bytes", "-1", "an integer >= 0"),
        (
            "kombu_failover_strategy",
            "random",
            "one of round-robin, shuffle",
        ),
    ] {
        let err = rabbit(&[(name, value)]).expect_err(name).to_string();
        assert!(err.ends_with(&format!("expected {expected}")), "{err}");
    }
}

#[test]
fn rabbit_unsupported_values_are_refused_with_a_clear_error() {
    for name in ["rabbit_stream_fanout", "use_queue_manager"] {
        let err = rabbit(&[(name, "True")]).expect_err(name);
        assert!(matches!(err, ConfigError::Unsupported { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "option [oslo_messaging_rabbit] {name} = true on the command line is not \
                 supported by novactor yet: "
            )),
            "{text}"
        );
        assert!(rabbit(&[(name, "false")]).is_ok());
    }
}

#[test]
fn rabbit_login_methods_lapin_cannot_use_are_refused() {
    let (path, err) = load_err("[oslo_messaging_rabbit]\nrabbit_login_method = RABBIT-CR-DEMO\n");
    assert_eq!(
        err,
        format!(
            "option [oslo_messaging_rabbit] rabbit_login_method = RABBIT-CR-DEMO in {} is not \
             supported by novactor yet: novactor's AMQP client (lapin) authenticates with \
             PLAIN or AMQPLAIN only; set rabbit_login_method = AMQPLAIN (oslo's default) or \
             PLAIN",
            path.display()
        )
    );
    let err = rabbit(&[("rabbit_login_method", "EXTERNAL")]).expect_err("external");
    assert!(matches!(err, ConfigError::Unsupported { .. }), "{err}");
    let err = rabbit(&[("rabbit_login_method", "plain")]).expect_err("case matters");
    assert!(
        err.to_string()
            .ends_with("expected one of PLAIN, AMQPLAIN, EXTERNAL, RABBIT-CR-DEMO"),
        "{err}"
    );
}

#[test]
fn rabbit_url_query_overrides_the_group() {
    let base = rabbit(&[("rabbit_qos_prefetch_count", "5"), ("ssl", "false")]).expect("base");
    let (r, warnings) = base
        .with_url_query(
            "?rabbit_qos_prefetch_count=10&ssl=1&ssl_ca_file=%2Fetc%2Fssl%2Fmy+ca.pem\
             &kombu_failover_strategy=shuffle&rabbit_transient_queues_ttl=0\
             &verify=1&flag&rabbit_retry_interval=",
        )
        .expect("query");
    assert_eq!(r.rabbit_qos_prefetch_count, 10);
    assert!(r.ssl);
    assert_eq!(r.ssl_ca_file, Some(PathBuf::from("/etc/ssl/my ca.pem")));
    assert_eq!(r.kombu_failover_strategy, FailoverStrategy::Shuffle);
    assert_eq!(r.rabbit_transient_queues_ttl, None);
    // Untouched options keep the group's values; the original is unchanged.
    assert_eq!(r.rabbit_retry_interval, Duration::from_secs(1));
    assert_eq!(
        r.heartbeat_timeout_threshold,
        base.heartbeat_timeout_threshold
    );
    assert_eq!(base.rabbit_qos_prefetch_count, 5);
    assert_eq!(
        warnings,
        vec![
            "ignoring transport_url query parameter \"verify\": not an \
             [oslo_messaging_rabbit] option novactor reads",
            "ignoring transport_url query parameter \"rabbit_retry_interval\": empty value",
        ]
    );

    // No query, or an empty one: the same options.
    assert_eq!(base.with_url_query("").expect("empty").0, base);

    // Validated as in nova.conf, with the query as origin.
    let err = base
        .with_url_query("rabbit_qos_prefetch_count=ten")
        .expect_err("not a number")
        .to_string();
    assert_eq!(
        err,
        "invalid value \"ten\" for option [oslo_messaging_rabbit] rabbit_qos_prefetch_count \
         in the transport_url query: expected an integer between 0 and 65535"
    );
    // A repeated key is joined with commas, as oslo's parse_qs does, so it is invalid here.
    let err = base
        .with_url_query("heartbeat_rate=2&heartbeat_rate=4")
        .expect_err("repeated")
        .to_string();
    assert!(err.starts_with("invalid value \"2,4\""), "{err}");
    let err = base
        .with_url_query("rabbit_transient_queues_ttl=3000000")
        .expect_err("ttl")
        .to_string();
    assert!(
        err.contains("in the transport_url query: expected an integer between 0 and 2147483"),
        "{err}"
    );
    let err = base
        .with_url_query("use_queue_manager=true")
        .expect_err("unsupported");
    assert!(
        matches!(
            err,
            ConfigError::Unsupported {
                origin: ValueOrigin::TransportUrlQuery,
                ..
            }
        ),
        "{err}"
    );
    let err = base
        .with_url_query("rabbit_login_method=RABBIT-CR-DEMO")
        .expect_err("login");
    assert!(matches!(err, ConfigError::Unsupported { .. }), "{err}");
    let ha = rabbit(&[("rabbit_ha_queues", "true")]).expect("ha");
    let err = ha
        .with_url_query("rabbit_quorum_queue=true")
        .expect_err("conflict")
        .to_string();
    assert!(
        err.starts_with(
            "option [oslo_messaging_rabbit] rabbit_quorum_queue in the transport_url query \
             conflicts with [oslo_messaging_rabbit] rabbit_ha_queues"
        ),
        "{err}"
    );
    assert_eq!(
        ValueOrigin::TransportUrlQuery.label(),
        "transport_url query"
    );
}
