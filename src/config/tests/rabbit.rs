//! `[oslo_messaging_rabbit]`: oslo's defaults, files, conflicts, AMQP field widths, the
//! transport URL's query.

use std::time::Duration;

use super::*;

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
