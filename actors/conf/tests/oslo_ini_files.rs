//! Nova's options read from files as oslo.config reads them: repeated sections, `key: value`,
//! section and option name case, indented continuation lines, and a real multi-line nova.conf
//! from the corpus.

use std::path::{Path, PathBuf};
use std::time::Duration;

use novactor::config::RestartType;

use super::{load_ok, sources_with, NovaConfig};

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
    assert_eq!(config.service.report_interval, Duration::from_secs(7));
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
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/config/multi_line_values.conf");
    let loaded = NovaConfig::load(&sources_with(vec![path])).expect("the corpus file loads");
    let config = &loaded.config;
    let alias = config.raw("pci", "alias").expect("[pci] alias");
    let alias: serde_json::Value = serde_json::from_str(alias).expect("[pci] alias is JSON");
    assert_eq!(alias["name"], "a1");
    assert_eq!(alias["product_id"], "154d");
    let filters = novactor::config::parse_list(
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
    assert_eq!(config.service.report_interval, Duration::from_secs(15));
    assert_eq!(config.api.enabled_apis, vec!["osapi_compute", "metadata"]);
    assert_eq!(config.raw("DEFAULT", "my_ip"), Some("10.0.0.7"));
    let device_spec = config.raw("pci", "device_spec").expect("[pci] device_spec");
    let device_spec: serde_json::Value =
        serde_json::from_str(device_spec).expect("[pci] device_spec is JSON");
    assert_eq!(device_spec["physical_network"], "physnet2");
}
