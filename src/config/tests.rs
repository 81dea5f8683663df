//! Config layering, parsing, validation messages, masking and the sample file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

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
    let result = Config::load(&sources_with(vec![path]));
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
fn layers_apply_in_order_defaults_files_dirs_env_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file1 = write(
        dir.path(),
        "one.conf",
        "[DEFAULT]\nreport_interval = 11\nperiodic_fuzzy_delay = 1\nrpc_response_timeout = 5\n",
    );
    let file2 = write(dir.path(), "two.conf", "[DEFAULT]\nreport_interval = 12\n");
    let conf_d = dir.path().join("nova.conf.d");
    std::fs::create_dir(&conf_d).expect("mkdir");
    // Written out of order: read sorted by name, so b.conf wins.
    write(&conf_d, "b.conf", "[DEFAULT]\ncontrol_exchange = b\n");
    write(
        &conf_d,
        "a.conf",
        "[DEFAULT]\ncontrol_exchange = a\nreport_interval = 13\n",
    );
    write(
        &conf_d,
        "ignored.txt",
        "[DEFAULT]\ncontrol_exchange = txt\n",
    );
    let sources = ConfigSources {
        config_files: vec![file1.clone(), file2.clone()],
        config_dirs: vec![conf_d.clone()],
        default_search: Vec::new(),
        env: vec![
            ("OS_DEFAULT__PERIODIC_FUZZY_DELAY".into(), "7".into()),
            ("OS_DEFAULT__HOST".into(), "from-env".into()),
            ("OS_AUTH_URL".into(), "http://keystone".into()),
        ],
        cli: vec![CliOverride::new("DEFAULT", "host", "from-cli")],
    };
    let loaded = Config::load(&sources).expect("load");
    let c = &loaded.config;
    assert_eq!(
        loaded.files,
        vec![
            file1.clone(),
            file2,
            conf_d.join("a.conf"),
            conf_d.join("b.conf")
        ]
    );
    assert_eq!(c.default.rpc_response_timeout, Duration::from_secs(5));
    assert_eq!(c.default.report_interval, Duration::from_secs(13));
    assert_eq!(c.default.control_exchange, "b");
    assert_eq!(c.default.periodic_fuzzy_delay, Duration::from_secs(7));
    assert_eq!(c.default.host, "from-cli");
    assert_eq!(c.default.executor_thread_pool_size, 64);
    assert_eq!(
        c.origin("DEFAULT", "rpc_response_timeout"),
        Some(&ValueOrigin::File(file1))
    );
    assert_eq!(
        c.origin("DEFAULT", "periodic_fuzzy_delay"),
        Some(&ValueOrigin::Environment(
            "OS_DEFAULT__PERIODIC_FUZZY_DELAY".into()
        ))
    );
    assert_eq!(c.origin("DEFAULT", "host"), Some(&ValueOrigin::CommandLine));
    assert_eq!(
        c.origin("DEFAULT", "executor_thread_pool_size"),
        Some(&ValueOrigin::Default)
    );
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
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
    let loaded = Config::load(&sources).expect("load");
    assert_eq!(loaded.config.supervisor.restart_intensity, 3);
    assert!(loaded.config.default.debug);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn without_files_the_first_existing_default_search_path_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("cwd/nova.conf");
    let etc = write(dir.path(), "etc-nova.conf", "[DEFAULT]\nhost = from-etc\n");
    let later = write(dir.path(), "later.conf", "[DEFAULT]\nhost = later\n");
    let sources = ConfigSources {
        default_search: vec![missing.clone(), etc.clone(), later.clone()],
        ..ConfigSources::default()
    };
    let loaded = Config::load(&sources).expect("load");
    assert_eq!(loaded.files, vec![etc.clone()]);
    assert_eq!(loaded.config.default.host, "from-etc");

    // None exists: defaults only, no error.
    let sources = ConfigSources {
        default_search: vec![missing.clone()],
        ..ConfigSources::default()
    };
    assert!(Config::load(&sources).expect("load").files.is_empty());

    // An explicit file disables the search.
    let explicit = write(dir.path(), "explicit.conf", "[DEFAULT]\n");
    let sources = ConfigSources {
        config_files: vec![explicit.clone()],
        default_search: vec![etc],
        ..ConfigSources::default()
    };
    assert_eq!(Config::load(&sources).expect("load").files, vec![explicit]);
}

#[test]
fn missing_file_or_dir_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.conf");
    let err = Config::load(&sources_with(vec![missing.clone()])).expect_err("missing file");
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
    let err = Config::load(&sources).expect_err("missing dir");
    assert!(
        matches!(err, ConfigError::DirNotFound { ref path } if *path == missing),
        "{err}"
    );
}

#[test]
fn unknown_options_are_one_warning_per_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "nova.conf",
        "[libvirt]\nvirt_type = kvm\ncpu_mode = host-model\n[DEFAULT]\nmy_ip = 10.0.0.1\nhost = n1\n",
    );
    let sources = ConfigSources {
        env: vec![("OS_LIBVIRT__VIRT_TYPE".into(), "qemu".into())],
        cli: vec![CliOverride::new("test", "spacing", "5")],
        ..sources_with(vec![path.clone()])
    };
    let loaded = Config::load(&sources).expect("load");
    assert_eq!(
        loaded.warnings,
        vec![
            format!(
                "ignoring 3 options novactor does not read in {}: [libvirt] virt_type, \
                 [libvirt] cpu_mode, [DEFAULT] my_ip",
                path.display()
            ),
            "ignoring 1 option novactor does not read in the environment: \
             [libvirt] virt_type (OS_LIBVIRT__VIRT_TYPE)"
                .to_owned(),
            "ignoring 1 option novactor does not read on the command line: [test] spacing"
                .to_owned(),
        ]
    );
    // Unknown options stay readable through `raw`.
    assert_eq!(loaded.config.raw("libvirt", "virt_type"), Some("qemu"));
    assert_eq!(loaded.config.raw("test", "spacing"), Some("5"));
    assert_eq!(loaded.config.raw("default", "MY_IP"), Some("10.0.0.1"));
    assert_eq!(loaded.config.raw("test", "missing"), None);
}

#[test]
fn invalid_value_names_file_section_option_value_and_type() {
    let (path, err) = load_err("[DEFAULT]\nreport_interval = ten\n");
    assert_eq!(
        err,
        format!(
            "invalid value \"ten\" for option [DEFAULT] report_interval in {}: \
             expected an integer >= 1",
            path.display()
        )
    );
}

#[test]
fn range_violations_are_errors_for_every_source() {
    let (path, err) = load_err("[DEFAULT]\nreport_interval = 0\n");
    assert_eq!(
        err,
        format!(
            "invalid value \"0\" for option [DEFAULT] report_interval in {}: \
             expected an integer >= 1",
            path.display()
        )
    );
    let (_, err) = load_err("[conductor]\nworkers = 0\n");
    assert!(
        err.contains("[conductor] workers") && err.ends_with("expected an integer >= 1"),
        "{err}"
    );
    let (_, err) = load_err("[supervisor]\nperiodic_jitter = 1.5\n");
    assert!(err.ends_with("expected a number between 0 and 1"), "{err}");
    let (_, err) = load_err("[supervisor]\nrestart_backoff_initial = 0\n");
    assert!(err.ends_with("expected a number > 0"), "{err}");
    let (_, err) = load_err("[supervisor]\nrestart_backoff_initial = NaN\n");
    assert!(err.ends_with("expected a number > 0"), "{err}");
    let (_, err) = load_err("[DEFAULT]\nosapi_compute_listen_port = 70000\n");
    assert!(
        err.ends_with("expected an integer between 0 and 65535"),
        "{err}"
    );

    let env = ConfigSources {
        default_search: Vec::new(),
        env: vec![("OS_DEFAULT__OSAPI_COMPUTE_WORKERS".into(), "0".into())],
        ..ConfigSources::default()
    };
    assert_eq!(
        Config::load(&env).expect_err("env").to_string(),
        "invalid value \"0\" for option [DEFAULT] osapi_compute_workers in environment \
         variable OS_DEFAULT__OSAPI_COMPUTE_WORKERS: expected an integer >= 1"
    );
    assert_eq!(
        Config::with_overrides(&[("DEFAULT", "service_down_time", "-1")])
            .expect_err("cli")
            .to_string(),
        "invalid value \"-1\" for option [DEFAULT] service_down_time on the command line: \
         expected an integer >= 1"
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
fn lists_and_dicts_parse_trimmed() {
    let config = Config::with_overrides(&[
        ("DEFAULT", "enabled_apis", " osapi_compute , metadata ,"),
        (
            "supervisor",
            "restart_types",
            " compute : transient, api:temporary ",
        ),
    ])
    .expect("load");
    assert_eq!(config.api.enabled_apis, vec!["osapi_compute", "metadata"]);
    assert_eq!(
        config.supervisor.restart_type("compute"),
        RestartType::Transient
    );
    assert_eq!(
        config.supervisor.restart_type("api"),
        RestartType::Temporary
    );
    assert_eq!(
        config.supervisor.restart_type("conductor"),
        RestartType::Permanent
    );

    let empty = Config::with_overrides(&[("DEFAULT", "enabled_apis", "")]).expect("load");
    assert!(empty.api.enabled_apis.is_empty());
    assert!(Config::default_for_tests()
        .supervisor
        .restart_types
        .is_empty());
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
fn values_interpolate_default_and_group_references() {
    let loaded = load_ok(
        "[DEFAULT]\nstate_path = /var/lib/novactor\nlog_dir = $state_path/log\n\
         log_file = ${supervisor.restart_period}-${state_path}.log\n\
         control_exchange = price$$5\nosapi_compute_listen = a$ b$1\n\
         [supervisor]\nrestart_period = 42\n[other]\nliteral = $nowhere\n",
    );
    let d = &loaded.config.default;
    assert_eq!(d.log_dir, Some(PathBuf::from("/var/lib/novactor/log")));
    assert_eq!(d.log_file, Some(PathBuf::from("42-/var/lib/novactor.log")));
    assert_eq!(d.control_exchange, "price$5");
    assert_eq!(loaded.config.api.osapi_compute_listen, "a$ b$1");
    // Unknown options are not substituted, so their references never fail.
    assert_eq!(loaded.config.raw("other", "literal"), Some("$nowhere"));
    assert_eq!(
        d.log_path("nova-compute"),
        Some(PathBuf::from(
            "/var/lib/novactor/log/42-/var/lib/novactor.log"
        ))
    );
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
fn show_lists_every_known_option_with_its_source() {
    let config = Config::with_overrides(&[("DEFAULT", "host", "node1")]).expect("load");
    let shown = config.show();
    assert!(
        shown.starts_with("[DEFAULT]\nhost = node1  (command line)\n"),
        "{shown}"
    );
    assert!(
        shown.contains("transport_url = <None>  (default)\n"),
        "{shown}"
    );
    assert!(shown.contains("\n[supervisor]\n"), "{shown}");
    assert!(
        shown.contains("periodic_jitter = 0.05  (default)\n"),
        "{shown}"
    );
    assert_eq!(
        shown.lines().filter(|l| l.contains(" = ")).count(),
        registry().len()
    );
}

#[test]
fn service_down_time_not_above_report_interval_becomes_two_and_a_half_times_it() {
    let loaded = load_ok("[DEFAULT]\nreport_interval = 30\nservice_down_time = 30\n");
    let d = &loaded.config.default;
    assert_eq!(d.service_down_time, Duration::from_secs(75));
    assert_eq!(d.service_down_time_configured, Duration::from_secs(30));
    assert_eq!(
        loaded.warnings,
        vec![
            "Report interval must be less than service down time. Current config: \
             <service_down_time: 30, report_interval: 30>. Setting service_down_time to: 75"
        ]
    );
    assert!(loaded.config.show().contains("effective 75"));

    let loaded = load_ok("[DEFAULT]\nreport_interval = 10\nservice_down_time = 11\n");
    assert_eq!(
        loaded.config.default.service_down_time,
        Duration::from_secs(11)
    );
    assert!(loaded.warnings.is_empty());
}

#[test]
fn changes_are_split_into_mutable_and_restart_needed() {
    let old =
        Config::with_overrides(&[("DEFAULT", "transport_url", "rabbit://u:old@h/")]).expect("old");
    let new = Config::with_overrides(&[
        ("DEFAULT", "debug", "yes"),
        ("supervisor", "periodic_jitter", "0.1"),
        ("DEFAULT", "report_interval", "20"),
        ("DEFAULT", "transport_url", "rabbit://u:new@h/"),
    ])
    .expect("new");
    assert_eq!(
        old.mutable_changes(&new),
        vec![
            OptionChange {
                group: "DEFAULT",
                name: "debug",
                old: Some("false".into()),
                new: Some("yes".into()),
            },
            OptionChange {
                group: "supervisor",
                name: "periodic_jitter",
                old: Some("0.05".into()),
                new: Some("0.1".into()),
            },
        ]
    );
    let immutable: Vec<String> = old
        .immutable_changes(&new)
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        immutable,
        vec![
            "[DEFAULT] transport_url: rabbit://u:***@h/ -> rabbit://u:***@h/",
            "[DEFAULT] report_interval: 10 -> 20",
        ]
    );
    assert!(old.mutable_changes(&old).is_empty() && old.immutable_changes(&old).is_empty());
}

#[test]
fn ini_files_are_read_as_oslo_config_reads_them() {
    // Repeated section (merged, later wins), `key: value`, literal backslashes, quotes, and
    // oslo's section names: `[DEFAULT]` exactly, others lowercased, option names as written.
    let loaded = load_ok(
        "[DEFAULT]\nreport_interval = 5\n[Conductor]\nworkers = 3\n[default]\nhost = lower\n\
         [DEFAULT]\nhost: n1\nDebug = True\nlog_file = C:\\nova\\x41.log\\\n\
         control_exchange = \"quoted\"\n[conductor]\nworkers = 4\n[DEFAULT]\nreport_interval = 7\n",
    );
    let config = &loaded.config;
    assert_eq!(config.default.host, "n1", "[default] is not [DEFAULT]");
    assert_eq!(config.default.report_interval, Duration::from_secs(7));
    assert_eq!(config.conductor.workers, 4, "[Conductor] is [conductor]");
    assert!(!config.default.debug, "Debug is not debug");
    assert_eq!(
        config.default.log_file,
        Some(PathBuf::from("C:\\nova\\x41.log\\"))
    );
    assert_eq!(config.default.control_exchange, "quoted");
    assert_eq!(
        loaded.warnings,
        vec![format!(
            "ignoring 2 options novactor does not read in {}: [default] host, [DEFAULT] Debug \
             ([default] is not [DEFAULT]: oslo.config reads only the upper-case name)",
            loaded.files[0].display()
        )]
    );
}

#[test]
fn indented_lines_continue_a_value_as_in_oslo() {
    // oslo `iniparser.py`: continuation lines are stripped and joined with `\n`; an indented
    // `#` line is part of the value; a value whose first line is empty starts with `\n`; quotes
    // are stripped from the first line only; a blank line or a comment ends the value.
    let loaded = load_ok(
        "[DEFAULT]\nenabled_apis = osapi_compute,\n    metadata,\n\n\
         [filter_scheduler]\nenabled_filters =\n  ComputeFilter,\n\t# not a comment\n  \
         ImagePropertiesFilter  \n# a comment ends it\nweight_classes = \"a\"\n  \"b\"\n\
         [supervisor]\nrestart_types = compute:transient,\n  api : temporary\n",
    );
    let config = &loaded.config;
    assert_eq!(config.api.enabled_apis, vec!["osapi_compute", "metadata"]);
    assert_eq!(
        config.raw("filter_scheduler", "enabled_filters"),
        Some("\nComputeFilter,\n# not a comment\nImagePropertiesFilter")
    );
    assert_eq!(
        config.raw("filter_scheduler", "weight_classes"),
        Some("a\n\"b\"")
    );
    assert_eq!(
        config.supervisor.restart_type("api"),
        RestartType::Temporary
    );
    assert_eq!(
        config.supervisor.restart_type("compute"),
        RestartType::Transient
    );
    // `config show` keeps the lines, indented as nova.conf writes them.
    let shown = config.show();
    assert!(
        shown.contains("enabled_apis = osapi_compute,\n    metadata,  ("),
        "{shown}"
    );
}

#[test]
fn multi_line_pci_json_and_filters_load_from_the_corpus() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/config/multi_line_values.conf");
    let loaded = Config::load(&sources_with(vec![path])).expect("the corpus file loads");
    let config = &loaded.config;
    let alias = config.raw("pci", "alias").expect("[pci] alias");
    let alias: serde_json::Value = serde_json::from_str(alias).expect("[pci] alias is JSON");
    assert_eq!(alias["name"], "a1");
    assert_eq!(alias["product_id"], "154d");
    let filters = option_value::parse_list(
        config
            .raw("filter_scheduler", "enabled_filters")
            .expect("enabled_filters"),
    );
    assert_eq!(
        filters,
        [
            "ComputeFilter",
            "ComputeCapabilitiesFilter",
            "ImagePropertiesFilter",
            "ServerGroupAntiAffinityFilter",
            "ServerGroupAffinityFilter",
            "PciPassthroughFilter",
        ]
    );
    assert_eq!(
        config.default.host, "compute-7",
        "later [DEFAULT] block wins"
    );
    assert_eq!(config.default.report_interval, Duration::from_secs(15));
    assert_eq!(config.api.enabled_apis, vec!["osapi_compute", "metadata"]);
    assert_eq!(config.raw("DEFAULT", "my_ip"), Some("10.0.0.7"));
    let device_spec = config.raw("pci", "device_spec").expect("[pci] device_spec");
    let device_spec: serde_json::Value =
        serde_json::from_str(device_spec).expect("[pci] device_spec is JSON");
    assert_eq!(device_spec["physical_network"], "physnet2");
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

#[test]
fn state_path_defaults_to_the_xdg_state_directory() {
    let load = |env: Vec<(String, String)>| {
        let sources = ConfigSources {
            default_search: Vec::new(),
            env,
            ..ConfigSources::default()
        };
        Config::load(&sources)
            .expect("load")
            .config
            .default
            .state_path
    };
    assert_eq!(
        load(vec![
            ("XDG_STATE_HOME".into(), "/x".into()),
            ("HOME".into(), "/h".into())
        ]),
        PathBuf::from("/x/novactor")
    );
    assert_eq!(
        load(vec![("HOME".into(), "/h".into())]),
        PathBuf::from("/h/.local/state/novactor")
    );
    assert_eq!(load(Vec::new()), PathBuf::from("./novactor-state"));
}

#[test]
fn defaults_match_nova() {
    let c = Config::default_for_tests();
    let d = &c.default;
    assert!(!d.host.is_empty());
    assert_eq!(d.transport_url, None);
    assert_eq!(d.transport_url_or_memory(), "memory://");
    assert_eq!(d.control_exchange, "nova");
    assert_eq!(d.rpc_response_timeout, Duration::from_secs(60));
    assert_eq!(d.report_interval, Duration::from_secs(10));
    assert_eq!(d.service_down_time, Duration::from_secs(60));
    assert!(d.periodic_enable);
    assert_eq!(d.periodic_fuzzy_delay, Duration::from_secs(60));
    assert_eq!(d.periodic_interval_max, Duration::from_secs(60));
    assert_eq!(d.graceful_shutdown_timeout, Some(Duration::from_secs(180)));
    assert_eq!(d.executor_thread_pool_size, 64);
    assert!(!d.debug && !d.use_json);
    assert_eq!(d.log_path("nova-api"), None);
    assert_eq!(c.api.enabled_apis, vec!["osapi_compute", "metadata"]);
    assert_eq!(c.api.osapi_compute_listen, "127.0.0.1");
    assert_eq!(c.api.osapi_compute_listen_port, 8774);
    assert_eq!(c.api.osapi_compute_workers, 1);
    assert_eq!(c.conductor.workers, 1);
    assert_eq!(c.scheduler.workers, 1);
    let s = &c.supervisor;
    assert_eq!(s.restart_intensity, 5);
    assert_eq!(s.restart_period, Duration::from_secs(60));
    assert_eq!(s.restart_backoff_initial, Duration::from_millis(500));
    assert_eq!(s.restart_backoff_max, Duration::from_secs(30));
    assert_eq!(s.restart_stable_period, Duration::from_secs(120));
    assert!(!s.escalate);
    assert_eq!(s.periodic_jitter, 0.05);
    let mutable: Vec<&str> = registry()
        .iter()
        .filter(|o| o.mutable)
        .map(|o| o.name)
        .collect();
    assert_eq!(mutable, vec!["debug", "periodic_jitter"]);
    let zero = Config::with_overrides(&[("DEFAULT", "graceful_shutdown_timeout", "0")]).expect("0");
    assert_eq!(zero.default.graceful_shutdown_timeout, None);
}

#[test]
fn sample_file_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("conf/nova.conf");
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == sample_config(),
        "{} is out of date; regenerate it with: cargo run -- config sample > conf/nova.conf",
        path.display()
    );
}

#[test]
fn sample_file_loads_and_mentions_every_option() {
    let sample = sample_config();
    let (_dir, result) = load_text(&sample);
    let loaded = result.expect("the sample must load");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    for spec in registry() {
        assert!(
            sample.contains(&format!("\n#{} =", spec.name)),
            "{}",
            spec.name
        );
    }
    assert!(
        sample.lines().all(|l| l.len() <= 79 || !l.contains(' ')),
        "line too long"
    );
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
    assert!(registry()
        .iter()
        .filter(|o| o.group == RABBIT_GROUP)
        .all(|o| !o.mutable));
    assert!(option_spec(RABBIT_GROUP, "direct_mandatory_flag").is_none());
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

#[test]
fn generic_accessors_fall_back_to_registry_defaults_and_read_set_values() {
    let config = Config::with_overrides(&[
        ("scheduler", "max_attempts", "5"),
        ("fake_driver", "spawn_delay", "0.25"),
    ])
    .unwrap();
    assert_eq!(config.integer("scheduler", "max_attempts"), Some(5));
    assert_eq!(
        config.integer("DEFAULT", "reserved_host_memory_mb"),
        Some(512)
    );
    assert_eq!(config.float("fake_driver", "spawn_delay"), Some(0.25));
    assert_eq!(
        config.float("DEFAULT", "initial_cpu_allocation_ratio"),
        Some(4.0)
    );
    assert_eq!(config.float("DEFAULT", "cpu_allocation_ratio"), None);
    assert_eq!(
        config.boolean("filter_scheduler", "track_instance_changes"),
        Some(true)
    );
    assert!(Config::with_overrides(&[("scheduler", "max_attempts", "0")]).is_err());
}
