//! Configuration from the outside: defaults < files < config-dir < environment < CLI,
//! unknown options warn, invalid values fail with exit 2 naming file, section, option and
//! type, secrets are masked.

use crate::common::process::*;
use crate::nova::BIN;

fn show(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = command(BIN.as_ref(), dir);
    command.args(args).args(["config", "show"]);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn line_of<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?} in:\n{text}"))
}

#[test]
fn files_then_config_dir_then_environment_layer_in_order_and_passwords_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.conf");
    let second = dir.path().join("second.conf");
    let confd = dir.path().join("nova.conf.d");
    std::fs::create_dir(&confd).unwrap();
    std::fs::write(&first, "[DEFAULT]\nreport_interval = 5\nservice_down_time = 61\nrpc_response_timeout = 30\ntransport_url = rabbit://nova:s3cret@10.0.0.1:5672,nova:s3cret@10.0.0.2:5672/\n").unwrap();
    std::fs::write(&second, "[DEFAULT]\nreport_interval = 6\n").unwrap();
    std::fs::write(
        confd.join("20-late.conf"),
        "[DEFAULT]\nservice_down_time = 90\n",
    )
    .unwrap();
    std::fs::write(
        confd.join("10-early.conf"),
        "[DEFAULT]\nservice_down_time = 80\nrpc_response_timeout = 45\n",
    )
    .unwrap();
    std::fs::write(
        confd.join("ignored.txt"),
        "[DEFAULT]\nrpc_response_timeout = 1\n",
    )
    .unwrap();
    let args = [
        "--config-file",
        first.to_str().unwrap(),
        "--config-file",
        second.to_str().unwrap(),
        "--config-dir",
        confd.to_str().unwrap(),
    ];
    let output = show(
        dir.path(),
        &args,
        &[
            ("OS_DEFAULT__CONTROL_EXCHANGE", "from-env"),
            ("OS_DEFAULT__RPC_RESPONSE_TIMEOUT", "50"),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        line_of(&text, "report_interval =").contains("= 6"),
        "later file wins:\n{text}"
    );
    assert!(
        line_of(&text, "service_down_time =").contains("= 90"),
        "dir files in name order:\n{text}"
    );
    assert!(
        line_of(&text, "rpc_response_timeout =").contains("= 50"),
        "env beats files:\n{text}"
    );
    assert!(
        line_of(&text, "control_exchange =").contains("from-env"),
        "{text}"
    );
    let url = line_of(&text, "transport_url =");
    assert!(
        url.contains("rabbit://nova:***@10.0.0.1:5672,nova:***@10.0.0.2:5672/"),
        "{url}"
    );
    assert!(!text.contains("s3cret"), "password leaked:\n{text}");
    assert!(
        line_of(&text, "executor_thread_pool_size =").contains("= 64"),
        "defaults shown:\n{text}"
    );
}

#[test]
fn without_config_arguments_nova_conf_in_the_working_directory_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nova.conf"), "[DEFAULT]\nhost = from-cwd\n").unwrap();
    let output = show(dir.path(), &[], &[]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(line_of(&text, "host =").contains("from-cwd"), "{text}");
}

#[test]
fn unknown_options_are_a_warning_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nova.conf");
    std::fs::write(
        &conf,
        "[DEFAULT]\nmy_block_storage_ip = 10.0.0.5\nreport_interval = 12\n[libvirt]\nvirt_type = kvm\n",
    )
    .unwrap();
    let output = show(dir.path(), &["--config-file", conf.to_str().unwrap()], &[]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning")
            && stderr.contains("[libvirt] virt_type")
            && stderr.contains("[DEFAULT] my_block_storage_ip"),
        "{stderr}"
    );
    assert!(line_of(
        &String::from_utf8_lossy(&output.stdout),
        "report_interval ="
    )
    .contains("= 12"));
}

#[test]
fn an_invalid_value_is_exit_2_naming_file_section_option_and_type() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("bad.conf");
    std::fs::write(&conf, "[DEFAULT]\nreport_interval = ten\n").unwrap();
    for subcommand in [&["config", "show"][..], &["run"][..]] {
        let output = command(BIN.as_ref(), dir.path())
            .args(["--config-file", conf.to_str().unwrap()])
            .args(subcommand)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{subcommand:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        for part in [
            conf.to_str().unwrap(),
            "[DEFAULT]",
            "report_interval",
            "ten",
            "integer",
        ] {
            assert!(stderr.contains(part), "{part:?} missing from: {stderr}");
        }
    }
}

#[test]
fn a_missing_config_file_is_exit_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(BIN.as_ref(), dir.path())
        .args(["--config-file", "/nonexistent/nova.conf", "run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/nova.conf"));
}

#[test]
fn the_sample_config_documents_every_option_and_matches_conf_nova_conf() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(BIN.as_ref(), dir.path())
        .args(["config", "sample"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let sample = String::from_utf8(output.stdout).unwrap();
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../conf/nova.conf")).unwrap();
    assert_eq!(
        sample, shipped,
        "regenerate with: cargo run -- config sample > conf/nova.conf"
    );
    for option in [
        "#report_interval = 10",
        "#executor_thread_pool_size = 64",
        "#control_exchange = nova",
        "[supervisor]",
    ] {
        assert!(sample.contains(option), "{option}");
    }
}

/// `novactor --config-file <a nova.conf of `text`> <args>` in a directory of its own, run to
/// its end; the directory lives as long as the returned guard.
fn with_conf(text: &str, args: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nova.conf");
    std::fs::write(&conf, text).unwrap();
    let output = command(BIN.as_ref(), dir.path())
        .arg("--config-file")
        .arg(&conf)
        .args(args)
        .output()
        .unwrap();
    (output, dir)
}

#[test]
fn a_transport_url_this_build_cannot_serve_is_exit_2_with_the_password_masked() {
    let (output, _dir) = with_conf(
        "[DEFAULT]\ntransport_url = amqp1://nova:hunter2@broker:5672/\n",
        &["run"],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unsupported transport URL scheme") && stderr.contains("nova:***@broker"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "password leaked: {stderr}");
}

#[test]
fn a_lab_network_cidr_that_is_no_subnet_stops_the_process_with_exit_2_naming_it() {
    for (option, value) in [
        ("ipv4_cidr", "10.0.0.0/33"),
        ("ipv4_cidr", "10.0.0.7/24"),
        ("ipv6_cidr", "not-a-cidr"),
    ] {
        let conf = format!("[lab_network]\n{option} = {value}\n[dashboard]\nport = 0\n");
        let (output, _dir) = with_conf(&conf, &["run"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("[lab_network] {option}")) && stderr.contains(value),
            "{stderr}"
        );
    }
}

#[test]
fn a_compute_driver_other_than_the_fake_one_stops_a_compute_process_with_exit_2() {
    let conf = "[DEFAULT]\ncompute_driver = libvirt.LibvirtDriver\n[dashboard]\nport = 0\n";
    let (output, _dir) = with_conf(conf, &["run", "--actors", "compute"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("compute_driver = libvirt.LibvirtDriver")
            && stderr.contains("fake.FakeDriver"),
        "{stderr}"
    );
    // The option is Nova's own, read and shown, not an unknown one.
    let (shown, _dir) = with_conf(conf, &["config", "show"]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("compute_driver = libvirt.LibvirtDriver"),
        "{shown}"
    );
}

#[test]
fn a_tls_client_certificate_without_its_key_is_refused_at_start() {
    let (output, _dir) = with_conf(
        "[DEFAULT]\ntransport_url = rabbit://u:p@127.0.0.1:1/\n[oslo_messaging_rabbit]\n\
         ssl = true\nssl_cert_file = /etc/nova/client.pem\n",
        &["run", "--actors", "conductor"],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ssl_cert_file is set but ssl_key_file is not"),
        "{stderr}"
    );
}

#[test]
fn a_nova_conf_with_multi_line_values_and_repeated_sections_loads_as_oslo_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nova.conf");
    std::fs::copy(
        concat!(
            concat!(env!("CARGO_MANIFEST_DIR"), "/.."),
            "/tests/corpus/config/multi_line_values.conf"
        ),
        &conf,
    )
    .unwrap();
    let output = show(dir.path(), &["--config-file", conf.to_str().unwrap()], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("enabled_apis = osapi_compute,\n    metadata  ("),
        "continuation lines kept, indented:\n{text}"
    );
    assert!(
        line_of(&text, "host =").contains("= compute-7"),
        "later [DEFAULT] block wins:\n{text}"
    );
    assert!(
        line_of(&text, "report_interval =").contains("= 15"),
        "{text}"
    );
    assert!(
        stderr.contains("[pci] alias") && stderr.contains("[filter_scheduler] enabled_filters"),
        "options novactor does not read are warnings: {stderr}"
    );
    assert!(!text.contains("s3cret") && !stderr.contains("s3cret"));
}

#[test]
fn an_indented_line_with_nothing_to_continue_is_exit_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nova.conf");
    std::fs::write(&conf, "[DEFAULT]\nhost = a\n\n  report_interval = 5\n").unwrap();
    let output = show(dir.path(), &["--config-file", conf.to_str().unwrap()], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{} at line 4", conf.display()))
            && stderr.contains("unexpected continuation line"),
        "{stderr}"
    );
}

#[test]
fn config_show_never_prints_a_password_whatever_the_url_shape() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nova.conf");
    let secrets = [
        "pw-one",
        "pw/two",
        "pw%2Fthree",
        "pw-four",
        "pw-five",
        "pw,six",
    ];
    std::fs::write(
        &conf,
        "[DEFAULT]\n\
         transport_url = rabbit://nova:pw-one@h1:5672,nova:pw%2Fthree%3F%23%2C%40@h2,\
         nova:pw-one@[::1]:5674/nova?password=pw-four\n\
         [database]\n\
         connection = mysql+pymysql://nova:pw/two,pw,six@db/nova?auth_token=pw-five\n",
    )
    .unwrap();
    let output = show(dir.path(), &["--config-file", conf.to_str().unwrap()], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        line_of(&text, "transport_url =").contains(
            "rabbit://nova:***@h1:5672,nova:***@h2,nova:***@[::1]:5674/nova?password=***"
        ),
        "{text}"
    );
    assert!(
        line_of(&text, "connection =").contains("mysql+pymysql://nova:***@db/nova?auth_token=***"),
        "{text}"
    );
    for secret in secrets {
        assert!(
            !text.contains(secret) && !stderr.contains(secret),
            "{secret} leaked:\n{text}\n{stderr}"
        );
    }
}
