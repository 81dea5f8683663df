//! Config layering, parsing, validation messages, masking and the sample file; the
//! `[oslo_messaging_rabbit]` group in `rabbit.rs`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;

mod rabbit;

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
