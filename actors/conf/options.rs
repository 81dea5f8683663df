//! Nova's options (`nova/conf/*.py`) that novactor reads: a data table, the one place their
//! defaults live. Each entry cites where Nova defines the option and says so where novactor
//! differs. `NOVA_DEFAULTS` changes runtime defaults as Nova does with oslo's `set_defaults`.
//! The typed view is `conf/groups.rs`.

use novactor::config::{OptionDefault, OptionKind, OptionSpec};

use OptionDefault::{Unset, Value};

/// The one `[DEFAULT] compute_driver` novactor's compute actors are.
pub const FAKE_COMPUTE_DRIVER: &str = "fake.FakeDriver";

/// Runtime options whose default Nova changes (oslo's `set_defaults`).
pub static NOVA_DEFAULTS: &[(&str, &str, OptionDefault)] = &[
    // nova/rpc.py: messaging.set_transport_defaults(control_exchange='nova').
    ("DEFAULT", "control_exchange", Value("nova")),
    // nova/conf/base.py: oslo.service's 60 s "is too low for Nova services".
    ("DEFAULT", "graceful_shutdown_timeout", Value("180")),
];

/// Nova's options, grouped by section in the order the sample file shows them.
pub static NOVA_OPTIONS: &[OptionSpec] = &[
    // ---- [DEFAULT]: service heartbeats and periodic tasks ----
    OptionSpec::new(
        "DEFAULT",
        "report_interval",
        OptionKind::integer(Some(1), None),
        Value("10"),
        "Seconds between nodes reporting state to the datastore (service heartbeat).",
        "nova/conf/service.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "service_down_time",
        OptionKind::integer(Some(1), None),
        Value("60"),
        "Maximum seconds since the last heartbeat for a service to count as up. If it is \
         not greater than report_interval, 2.5 x report_interval is used instead and a \
         warning is logged (as Nova does).",
        "nova/conf/service.py; adjustment from nova/servicegroup/api.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "periodic_enable",
        OptionKind::Boolean,
        Value("true"),
        "Enable periodic tasks.",
        "nova/conf/service.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "periodic_fuzzy_delay",
        OptionKind::integer(Some(0), None),
        Value("60"),
        "Range of seconds to randomly delay the first run of periodic tasks to reduce \
         stampeding (0 disables the delay).",
        "nova/conf/service.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "periodic_interval_max",
        OptionKind::integer(Some(1), None),
        Value("60"),
        "In Nova, the longest sleep of the one loop that checks every periodic task. \
         Accepted so existing nova.conf files load, but it has no effect: novactor runs one \
         timer per task and applies a changed spacing at once, so there is no loop to cap.",
        "nova/service.py Service.create (oslo.service dynamic timer)",
    ),
    OptionSpec::new(
        "DEFAULT",
        "state_path",
        OptionKind::Path,
        OptionDefault::StatePath,
        "Top-level directory for novactor's state (the embedded database will live here). Other options \
         may refer to it as $state_path. Default: $XDG_STATE_HOME/novactor, else \
         $HOME/.local/state/novactor, else ./novactor-state.",
        "nova/conf/paths.py (Nova: $pybasedir, the Python package directory, which has no \
         meaning for a binary; novactor uses the XDG state directory)",
    ),
    OptionSpec::new(
        "DEFAULT",
        "my_ip",
        OptionKind::IpAddress,
        Unset,
        "IP address of this host: the compute nodes' host_ip. Default: the address of the \
         interface the default route leaves by (as oslo's get_my_ipv4), else 127.0.0.1.",
        "nova/conf/netconf.py",
    ),
    // ---- [DEFAULT]: API service (typed view: `ApiConf`) ----
    OptionSpec::new(
        "DEFAULT",
        "enabled_apis",
        OptionKind::List,
        Value("osapi_compute,metadata"),
        "APIs the api actor starts: osapi_compute is the compute REST API; metadata is accepted and not served.",
        "nova/conf/service.py before Nova 32.0.0, which dropped the eventlet API server and \
         serves the API under a WSGI server; novactor's api actor serves it itself",
    ),
    OptionSpec::new(
        "DEFAULT",
        "osapi_compute_listen",
        OptionKind::String,
        Value("127.0.0.1"),
        "IP address the compute API listens on. Use 0.0.0.0 to listen on every interface.",
        "nova/conf/service.py before Nova 32.0.0, which dropped the eventlet API server \
         (Nova: 0.0.0.0; novactor listens on loopback unless told \
         otherwise, since a laptop run has no auth in front of it)",
    ),
    OptionSpec::new(
        "DEFAULT",
        "osapi_compute_listen_port",
        OptionKind::integer(Some(0), Some(65535)),
        Value("8774"),
        "Port the compute API listens on; 0 picks a free port.",
        "nova/conf/service.py before Nova 32.0.0 (a port option: 0 means any free port)",
    ),
    OptionSpec::new(
        "DEFAULT",
        "osapi_compute_workers",
        OptionKind::integer(Some(1), None),
        Unset,
        "HTTP worker threads of the compute API. Unset means 1.",
        "nova/conf/service.py before Nova 32.0.0 (Nova: unset means the CPU count)",
    ),
    OptionSpec::new(
        "api",
        "noauth_notused_is_admin",
        OptionKind::Boolean,
        Value("true"),
        "Treat the token `notused` (what keystoneauth's `none` plugin and `openstack --os-auth-type none` \
         send) as user and project `admin`. Turn off to make every caller name itself as \
         `<user>:<project>`, as Nova's noauth2 does.",
        "novactor (Nova's noauth2 has no such token; this is deviation D-AUTH)",
    ),
    OptionSpec::new(
        "api",
        "allow_noauth_on_network",
        OptionKind::Boolean,
        Value("false"),
        "Let the compute API listen beyond loopback (osapi_compute_listen) although it has no \
         authentication in front of it (noauth: a token names its own user, and user `admin` \
         is an administrator). Off, such a bind stops the process (exit 2); on, it starts \
         with a warning, and /readyz warns too. For a lab network only.",
        "novactor",
    ),
    OptionSpec::new(
        "api",
        "max_limit",
        OptionKind::integer(Some(0), None),
        Value("1000"),
        "As a query can potentially return many thousands of items, you can limit the maximum \
         number of items in a single response by setting this option.",
        "nova/conf/api.py",
    ),
    // ---- [quota] ----
    OptionSpec::new(
        "quota",
        "injected_files",
        OptionKind::integer(Some(-1), Some(1000)),
        Value("5"),
        "The number of injected files (personality, before 2.57) allowed per create or \
         rebuild. -1 is unlimited (the 1 MiB request body still bounds it).",
        "nova/conf/quota.py (novactor bounds it: at most 1000)",
    ),
    OptionSpec::new(
        "quota",
        "injected_file_content_bytes",
        OptionKind::integer(Some(-1), Some(1_048_576)),
        Value("10240"),
        "The number of bytes allowed per injected file, counted as Nova counts them: the \
         characters of the base64 contents. -1 is unlimited (the 1 MiB request body still \
         bounds it).",
        "nova/conf/quota.py (novactor bounds it by the request body: at most 1048576)",
    ),
    OptionSpec::new(
        "quota",
        "injected_file_path_length",
        OptionKind::integer(Some(-1), Some(4096)),
        Value("255"),
        "The maximum allowed injected file path length, in characters. -1 is unlimited.",
        "nova/conf/quota.py (novactor bounds it by Linux's PATH_MAX: at most 4096)",
    ),
    OptionSpec::new(
        "quota",
        "key_pairs",
        OptionKind::integer(Some(-1), None),
        Value("100"),
        "The maximum number of key pairs allowed per user. -1 is unlimited. Key pairs and \
         injected files are the only quotas novactor enforces from this group.",
        "nova/conf/quota.py",
    ),
    // ---- [conductor] / [scheduler] ----
    OptionSpec::new(
        "conductor",
        "workers",
        OptionKind::integer(Some(1), None),
        Unset,
        "Number of conductor actor instances. Unset means 1: concurrency inside one actor \
         comes from executor_thread_pool_size, not from processes.",
        "nova/conf/conductor.py (Nova: unset means the CPU count, one process each)",
    ),
    OptionSpec::new(
        "scheduler",
        "workers",
        OptionKind::integer(Some(1), None),
        Unset,
        "Number of scheduler actor instances. Unset means 1: concurrency inside one actor \
         comes from executor_thread_pool_size, not from processes.",
        "nova/conf/scheduler.py (Nova: unset means the CPU count, one process each)",
    ),
    OptionSpec::new(
        "DEFAULT",
        "long_rpc_timeout",
        OptionKind::integer(Some(1), None),
        Value("1800"),
        "Timeout of long RPC calls such as select_destinations (their call-monitor timeout is rpc_response_timeout).",
        "nova/conf/rpc.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "compute_driver",
        OptionKind::String,
        Value(FAKE_COMPUTE_DRIVER),
        "The virt driver of the compute service. novactor's compute actors are Nova's fake \
         driver (fake.FakeDriver) and nothing else: any other value stops a process that \
         would host compute actors (exit 2) rather than run the fake one in its place.",
        "nova/conf/compute.py (Nova has no default)",
    ),
    OptionSpec::new(
        "DEFAULT",
        "update_resources_interval",
        OptionKind::integer(None, None),
        Value("0"),
        "Seconds between resource audits of a compute host (update_available_resource); 0 means 60 s, negative disables.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "sync_power_state_interval",
        OptionKind::integer(None, None),
        Value("600"),
        "Seconds between power-state syncs of a compute host's instances with its driver; negative disables.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "scheduler_instance_sync_interval",
        OptionKind::integer(None, None),
        Value("120"),
        "Seconds between a compute's sync_instance_info fanouts to the schedulers; negative disables.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "instance_build_timeout",
        OptionKind::integer(Some(0), None),
        Value("0"),
        "Seconds an instance may stay building before the compute sets it to error; 0 disables.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "reclaim_instance_interval",
        OptionKind::integer(None, Some(31_536_000)),
        Value("0"),
        "Seconds a deleted server stays SOFT_DELETED (restorable) before its compute reclaims it; 0 or less deletes at once. Read by the api and the computes: set it everywhere.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "shelved_offload_time",
        OptionKind::integer(None, None),
        Value("0"),
        "Seconds a SHELVED server keeps its place on its compute before the compute's periodic task offloads it; 0 offloads at once, -1 never. Read by the computes.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "shelved_poll_interval",
        OptionKind::integer(None, None),
        Value("3600"),
        "Seconds between a compute's checks for SHELVED servers to offload (_poll_shelved_instances); 0 means every 60 s, negative disables.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "allow_resize_to_same_host",
        OptionKind::Boolean,
        Value("false"),
        "Allow a resize or cold migration to pick the instance's own host (the source is otherwise excluded from scheduling). Read by the api and the computes: set it everywhere.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "resize_confirm_window",
        OptionKind::integer(Some(0), Some(31_536_000)),
        Value("0"),
        "Seconds after which a resized server still waiting in VERIFY_RESIZE is confirmed by its destination compute's periodic task; 0 disables.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "reserved_host_memory_mb",
        OptionKind::integer(Some(0), None),
        Value("512"),
        "RAM (MiB) kept for the host and never given to instances.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "reserved_host_disk_mb",
        OptionKind::integer(Some(0), None),
        Value("0"),
        "Disk (MiB) kept for the host.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "reserved_host_cpus",
        OptionKind::integer(Some(0), None),
        Value("0"),
        "vCPUs kept for the host.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "cpu_allocation_ratio",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Unset,
        "vCPU overcommit ratio of this compute; unset means initial_cpu_allocation_ratio.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "ram_allocation_ratio",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Unset,
        "RAM overcommit ratio of this compute; unset means initial_ram_allocation_ratio.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "disk_allocation_ratio",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Unset,
        "Disk overcommit ratio of this compute; unset means initial_disk_allocation_ratio.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "initial_cpu_allocation_ratio",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Value("4.0"),
        "vCPU ratio a new compute node starts with.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "initial_ram_allocation_ratio",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Value("1.0"),
        "RAM ratio a new compute node starts with.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "initial_disk_allocation_ratio",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Value("1.0"),
        "Disk ratio a new compute node starts with.",
        "nova/conf/compute.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "default_availability_zone",
        OptionKind::String,
        Value("nova"),
        "Availability zone of compute hosts.",
        "nova/conf/availability_zone.py",
    ),
    OptionSpec::new(
        "DEFAULT",
        "internal_service_availability_zone",
        OptionKind::String,
        Value("internal"),
        "Availability zone shown for services other than compute.",
        "nova/conf/availability_zone.py",
    ),
    OptionSpec::new(
        "scheduler",
        "max_attempts",
        OptionKind::integer(Some(1), None),
        Value("3"),
        "Hosts tried per instance: the chosen one plus alternates for reschedules.",
        "nova/conf/scheduler.py",
    ),
    OptionSpec::new(
        "filter_scheduler",
        "host_subset_size",
        OptionKind::integer(Some(1), None),
        Value("1"),
        "The chosen host is picked at random among this many best-weighed hosts.",
        "nova/conf/scheduler.py",
    ),
    OptionSpec::new(
        "filter_scheduler",
        "track_instance_changes",
        OptionKind::Boolean,
        Value("true"),
        "Computes tell the schedulers about their instances (instance-info fanouts).",
        "nova/conf/scheduler.py",
    ),
    OptionSpec::new(
        "compute",
        "fake_hosts",
        OptionKind::integer(Some(1), None),
        Value("1"),
        "Compute actors this process hosts, each its own host (<host>-1 … <host>-N when more than one) with its own queues and heartbeat: a simulated cloud on one box.",
        "novactor",
    ),
    OptionSpec::new(
        "compute",
        "resource_provider_association_refresh",
        OptionKind::integer(Some(0), None),
        Value("300"),
        "Seconds between refreshes of the compute's cached copy of its resource provider's \
         inventories, aggregates and traits from placement; 0 never refreshes after the first \
         read.",
        "nova/conf/compute.py (Nova: mutable; novactor reads it at start)",
    ),
    OptionSpec::new(
        "fake_driver",
        "vcpus",
        OptionKind::integer(Some(0), None),
        Value("1000"),
        "vCPUs each fake hypervisor reports.",
        "nova/virt/fake.py FakeDriver",
    ),
    OptionSpec::new(
        "fake_driver",
        "memory_mb",
        OptionKind::integer(Some(0), None),
        Value("800000"),
        "RAM (MiB) each fake hypervisor reports.",
        "nova/virt/fake.py FakeDriver",
    ),
    OptionSpec::new(
        "fake_driver",
        "local_gb",
        OptionKind::integer(Some(0), None),
        Value("600000"),
        "Disk (GiB) each fake hypervisor reports.",
        "nova/virt/fake.py FakeDriver",
    ),
    OptionSpec::new(
        "fake_driver",
        "spawn_delay",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: None },
        Value("0"),
        "Seconds each fake spawn takes.",
        "novactor",
    ),
    OptionSpec::new(
        "fake_driver",
        "live_migration_duration",
        OptionKind::Float { min: Some(0.0), min_exclusive: false, max: Some(600.0) },
        Value("2"),
        "Seconds a fake live migration's memory copy takes (in 10 steps, each saving the migration's progress counters); a force-complete or an abort ends it early. novactor's lab knob.",
        "novactor",
    ),
    OptionSpec::new(
        "fake_driver",
        "fail_spawn_pattern",
        OptionKind::String,
        Unset,
        "Regular expression: a spawn of an instance whose display name matches fails (to exercise reschedules and errors).",
        "novactor",
    ),
    OptionSpec::new(
        "fake_driver",
        "panic_spawn_pattern",
        OptionKind::String,
        Unset,
        "Regular expression: a spawn of an instance whose display name matches panics, \
         crashing the compute actor (to exercise the supervisor: restarts, isolation).",
        "novactor",
    ),

    // ---- [placement]: how a compute reaches the placement API (typed view: `PlacementConf`).
    // keystoneauth1's option names, as nova/conf/placement.py registers them through
    // nova/conf/utils.py register_ksa_opts (session, auth, adapter options). novactor reads the
    // plugins admin_token, none and password; other keystoneauth options are ignored with the
    // unknown-option warning.
    OptionSpec::new(
        "placement",
        "auth_type",
        OptionKind::Choices(&["admin_token", "none", "noauth", "password", "v3password"]),
        Unset,
        "How to authenticate to placement. Unset: placement is not configured and no \
         placement call is ever made. admin_token: send [placement] token to [placement] \
         endpoint. none (alias noauth): no token, to endpoint_override. password (alias \
         v3password): log in to Keystone v3 at auth_url and find placement in the catalog.",
        "keystoneauth1/loading/conf.py (auth_type; plugins from keystoneauth1's entry points: \
         admin_token, none, password, v3password; noauth is a novactor alias of none)",
    ),
    OptionSpec::new(
        "placement",
        "endpoint",
        OptionKind::String,
        Unset,
        "auth_type admin_token or none: the placement URL every request goes to, e.g. \
         http://controller:8778 (endpoint_override, when set, wins).",
        "keystoneauth1/loading/_plugins/admin_token.py, noauth.py",
    ),
    OptionSpec::new(
        "placement",
        "token",
        OptionKind::String,
        Unset,
        "auth_type admin_token: the token sent as X-Auth-Token with every request (placement's \
         noauth2 strategy accepts `admin`).",
        "keystoneauth1/loading/_plugins/admin_token.py",
    )
    .secret(),
    OptionSpec::new(
        "placement",
        "endpoint_override",
        OptionKind::String,
        Unset,
        "Always use this placement URL instead of the one from the catalog or the auth \
         plugin's endpoint.",
        "keystoneauth1/loading/adapter.py",
    ),
    OptionSpec::new(
        "placement",
        "region_name",
        OptionKind::String,
        Unset,
        "auth_type password: take the catalog's placement endpoint of this region only.",
        "keystoneauth1/loading/adapter.py",
    ),
    OptionSpec::new(
        "placement",
        "valid_interfaces",
        OptionKind::List,
        Value("internal,public"),
        "auth_type password: the catalog interfaces to use, most preferred first (internal, \
         public, admin).",
        "keystoneauth1/loading/adapter.py; default from nova/conf/utils.py get_ksa_adapter_opts",
    ),
    OptionSpec::new(
        "placement",
        "service_type",
        OptionKind::String,
        Value("placement"),
        "auth_type password: the catalog service type of placement.",
        "keystoneauth1/loading/adapter.py; default from nova/conf/placement.py",
    ),
    OptionSpec::new(
        "placement",
        "timeout",
        OptionKind::Float { min: Some(0.0), min_exclusive: true, max: None },
        Unset,
        "Seconds a placement or Keystone request may take, connection included. Unset means \
         30.",
        "keystoneauth1/loading/session.py (keystoneauth: unset means no timeout; novactor \
         bounds every request so a hung placement cannot stall a compute's periodic task)",
    ),
    OptionSpec::new(
        "placement",
        "max_concurrent_requests",
        OptionKind::integer(Some(1), Some(10_000)),
        Value("10"),
        "Placement requests in flight at once from this process, for all its computes \
         together (one connection pool, at most this many connections): 1000 fake hosts \
         starting together queue instead of opening 1000 connections.",
        "novactor (Nova: one compute host per process, so no such bound)",
    ),
];
