//! novactor's whole configuration — the runtime's options with Nova's table and defaults —
//! as `novactor` loads it: layering, validation messages, Nova's typed groups and rules,
//! `show`, SIGHUP's change lists and the sample file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use novactor::config::{
    CliOverride, ConfigError, ConfigSources, OptionChange, RestartType, ValueOrigin,
};

use super::{registry, sample, LoadedNovaConfig, NovaConfig};

mod auth_options;
mod oslo_ini_files;
mod placement_options;

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

fn load_text(text: &str) -> (tempfile::TempDir, Result<LoadedNovaConfig, ConfigError>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "nova.conf", text);
    let result = NovaConfig::load(&sources_with(vec![path]));
    (dir, result)
}

fn load_ok(text: &str) -> LoadedNovaConfig {
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
    let loaded = NovaConfig::load(&sources).expect("load");
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
    assert_eq!(c.service.report_interval, Duration::from_secs(13));
    assert_eq!(c.default.control_exchange, "b");
    assert_eq!(c.service.periodic_fuzzy_delay, Duration::from_secs(7));
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
fn without_files_the_first_existing_default_search_path_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("cwd/nova.conf");
    let etc = write(dir.path(), "etc-nova.conf", "[DEFAULT]\nhost = from-etc\n");
    let later = write(dir.path(), "later.conf", "[DEFAULT]\nhost = later\n");
    let sources = ConfigSources {
        default_search: vec![missing.clone(), etc.clone(), later.clone()],
        ..ConfigSources::default()
    };
    let loaded = NovaConfig::load(&sources).expect("load");
    assert_eq!(loaded.files, vec![etc.clone()]);
    assert_eq!(loaded.config.default.host, "from-etc");

    // None exists: defaults only, no error.
    let sources = ConfigSources {
        default_search: vec![missing.clone()],
        ..ConfigSources::default()
    };
    assert!(NovaConfig::load(&sources).expect("load").files.is_empty());

    // An explicit file disables the search.
    let explicit = write(dir.path(), "explicit.conf", "[DEFAULT]\n");
    let sources = ConfigSources {
        config_files: vec![explicit.clone()],
        default_search: vec![etc],
        ..ConfigSources::default()
    };
    assert_eq!(
        NovaConfig::load(&sources).expect("load").files,
        vec![explicit]
    );
}

#[test]
fn unknown_options_are_one_warning_per_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "nova.conf",
        "[libvirt]\nvirt_type = kvm\ncpu_mode = host-model\n[DEFAULT]\nmy_block_storage_ip = 10.0.0.1\nhost = n1\n",
    );
    let sources = ConfigSources {
        env: vec![("OS_LIBVIRT__VIRT_TYPE".into(), "qemu".into())],
        cli: vec![CliOverride::new("test", "spacing", "5")],
        ..sources_with(vec![path.clone()])
    };
    let loaded = NovaConfig::load(&sources).expect("load");
    assert_eq!(
        loaded.warnings,
        vec![
            format!(
                "ignoring 3 options novactor does not read in {}: [libvirt] virt_type, \
                 [libvirt] cpu_mode, [DEFAULT] my_block_storage_ip",
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
    assert_eq!(
        loaded.config.raw("default", "MY_BLOCK_STORAGE_IP"),
        Some("10.0.0.1")
    );
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
        NovaConfig::load(&env).expect_err("env").to_string(),
        "invalid value \"0\" for option [DEFAULT] osapi_compute_workers in environment \
         variable OS_DEFAULT__OSAPI_COMPUTE_WORKERS: expected an integer >= 1"
    );
    assert_eq!(
        NovaConfig::with_overrides(&[("DEFAULT", "service_down_time", "-1")])
            .expect_err("cli")
            .to_string(),
        "invalid value \"-1\" for option [DEFAULT] service_down_time on the command line: \
         expected an integer >= 1"
    );
}

#[test]
fn lists_and_dicts_parse_trimmed() {
    let config = NovaConfig::with_overrides(&[
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

    let empty = NovaConfig::with_overrides(&[("DEFAULT", "enabled_apis", "")]).expect("load");
    assert!(empty.api.enabled_apis.is_empty());
    assert!(NovaConfig::default_for_tests()
        .supervisor
        .restart_types
        .is_empty());
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
fn show_lists_every_known_option_with_its_source() {
    let config = NovaConfig::with_overrides(&[("DEFAULT", "host", "node1")]).expect("load");
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
    let d = &loaded.config.service;
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
        loaded.config.service.service_down_time,
        Duration::from_secs(11)
    );
    assert!(loaded.warnings.is_empty());
}

#[test]
fn changes_are_split_into_mutable_and_restart_needed() {
    let old = NovaConfig::with_overrides(&[("DEFAULT", "transport_url", "rabbit://u:old@h/")])
        .expect("old");
    let new = NovaConfig::with_overrides(&[
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
fn state_path_defaults_to_the_xdg_state_directory() {
    let load = |env: Vec<(String, String)>| {
        let sources = ConfigSources {
            default_search: Vec::new(),
            env,
            ..ConfigSources::default()
        };
        NovaConfig::load(&sources)
            .expect("load")
            .config
            .service
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
    let c = NovaConfig::default_for_tests();
    let d = &c.default;
    assert!(!d.host.is_empty());
    assert_eq!(d.transport_url, None);
    assert_eq!(d.transport_url_or_memory(), "memory://");
    assert_eq!(d.control_exchange, "nova");
    assert_eq!(d.rpc_response_timeout, Duration::from_secs(60));
    let service = &c.service;
    assert_eq!(service.report_interval, Duration::from_secs(10));
    assert_eq!(service.service_down_time, Duration::from_secs(60));
    assert!(service.periodic_enable);
    assert_eq!(service.periodic_fuzzy_delay, Duration::from_secs(60));
    assert_eq!(service.periodic_interval_max, Duration::from_secs(60));
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
    let zero =
        NovaConfig::with_overrides(&[("DEFAULT", "graceful_shutdown_timeout", "0")]).expect("0");
    assert_eq!(zero.default.graceful_shutdown_timeout, None);
}

#[test]
fn sample_file_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conf/nova.conf");
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == sample(),
        "{} is out of date; regenerate it with: cargo run -- config sample > conf/nova.conf",
        path.display()
    );
}

#[test]
fn sample_file_loads_and_mentions_every_option() {
    let sample = sample();
    let (_dir, result) = load_text(&sample);
    let loaded = result.expect("the sample must load");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    for spec in registry().iter() {
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

#[test]
fn generic_accessors_fall_back_to_registry_defaults_and_read_set_values() {
    let config = NovaConfig::with_overrides(&[
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
    assert!(NovaConfig::with_overrides(&[("scheduler", "max_attempts", "0")]).is_err());
}
