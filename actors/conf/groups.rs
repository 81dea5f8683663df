//! The typed view of Nova's options: one plain struct per concern, built once from a loaded
//! configuration through the runtime's [`OptionReader`], so each default is written only in
//! `conf/options.rs`. Intervals and timeouts are `Duration`s; counts are `usize`.

use std::path::PathBuf;
use std::time::Duration;

use novactor::config::{ConfigError, OptionReader, SecretString};

use super::auth_groups::{keystone_password, AuthConf, KeystonePassword};

/// `[DEFAULT]` options of Nova's service model (`nova/conf/service.py`, `paths.py`).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceConf {
    /// `report_interval`: heartbeat period.
    pub report_interval: Duration,
    /// Effective `service_down_time`: the configured value, or 2.5 × `report_interval`
    /// (truncated to whole seconds, as Nova does) when the configured one is not greater.
    pub service_down_time: Duration,
    /// `service_down_time` as configured, before Nova's adjustment.
    pub service_down_time_configured: Duration,
    /// `periodic_enable`.
    pub periodic_enable: bool,
    /// `periodic_fuzzy_delay`: upper bound of the random delay before the first periodic run.
    pub periodic_fuzzy_delay: Duration,
    /// `periodic_interval_max` (accepted; novactor runs one timer per task).
    pub periodic_interval_max: Duration,
    /// `state_path`: where the embedded database lives.
    pub state_path: PathBuf,
    /// `long_rpc_timeout` (`nova/conf/rpc.py`): calls such as `select_destinations`.
    pub long_rpc_timeout: Duration,
    /// `my_ip`, or the address the default route leaves by.
    pub my_ip: String,
}

/// oslo.utils' `get_my_ipv4`: the local address a UDP socket "connected" towards a public
/// address would use (nothing is sent), else 127.0.0.1.
fn default_route_ipv4() -> String {
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|socket| {
            socket.connect("192.0.2.1:53")?;
            socket.local_addr()
        })
        .map(|address| address.ip().to_string())
        .unwrap_or_else(|_| "127.0.0.1".to_owned())
}

/// The compute API's options (`nova/conf/service.py`, in `[DEFAULT]`; `[api]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiConf {
    /// `enabled_apis`.
    pub enabled_apis: Vec<String>,
    /// `osapi_compute_listen`.
    pub osapi_compute_listen: String,
    /// `osapi_compute_listen_port`; 0 picks a free port.
    pub osapi_compute_listen_port: u16,
    /// `osapi_compute_workers` (unset ⇒ 1).
    pub osapi_compute_workers: usize,
    /// `[api] noauth_notused_is_admin`: the token `notused` means `admin:admin`.
    pub noauth_notused_is_admin: bool,
    /// `[api] allow_noauth_on_network`: a non-loopback `osapi_compute_listen` may serve.
    pub allow_noauth_on_network: bool,
    /// `[api] max_limit`: the most items one list response holds.
    pub max_limit: usize,
    /// `[quota] key_pairs`: key pairs per user; `None` is unlimited (Nova's -1).
    pub key_pairs_quota: Option<i64>,
    /// `[quota] injected_file*`: the personality a create or rebuild may carry.
    pub injected_file_quota: InjectedFileQuota,
    /// `[api] auth_strategy` with `[keystone_authtoken]`, and `[oslo_policy]`.
    pub auth: AuthConf,
}

/// `[quota] injected_files`, `injected_file_content_bytes`, `injected_file_path_length`;
/// `None` is unlimited (Nova's -1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InjectedFileQuota {
    /// Files per create or rebuild.
    pub files: Option<i64>,
    /// Characters of one file's base64 contents.
    pub content_bytes: Option<i64>,
    /// Characters of one file's path.
    pub path_length: Option<i64>,
}

/// `[conductor]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConductorConf {
    /// `workers`: number of actor instances (unset ⇒ 1).
    pub workers: usize,
}

/// `[scheduler]` and `[filter_scheduler]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConf {
    /// `[scheduler] workers`: number of actor instances (unset ⇒ 1).
    pub workers: usize,
    /// `[scheduler] max_attempts`: hosts per instance (1 chosen + alternates).
    pub max_attempts: usize,
    /// `[filter_scheduler] host_subset_size`: pick randomly among this many best hosts.
    pub host_subset_size: usize,
    /// `[filter_scheduler] track_instance_changes`: computes send their instance view.
    pub track_instance_changes: bool,
}

/// A resource's allocation ratios (`nova/conf/compute.py`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AllocationRatio {
    /// `<res>_allocation_ratio`; `None` when unset or 0.0 (Nova: use the node's, or the
    /// initial one).
    pub configured: Option<f64>,
    /// `initial_<res>_allocation_ratio`.
    pub initial: f64,
}

/// What a compute node reports and keeps (`nova/conf/compute.py`, `availability_zone.py`),
/// and how many it simulates (`[compute] fake_hosts`).
#[derive(Debug, Clone, PartialEq)]
pub struct ComputeConf {
    /// `[compute] fake_hosts`: compute actors this process hosts.
    pub fake_hosts: usize,
    /// `compute_driver`: only `fake.FakeDriver` can be hosted.
    pub compute_driver: String,
    /// `instance_build_timeout`; zero disables the check.
    pub instance_build_timeout: Duration,
    /// `reclaim_instance_interval`: how long a soft-deleted server waits for its reclaim;
    /// zero (Nova: any value ≤ 0) deletes at once.
    pub reclaim_instance_interval: Duration,
    /// `shelved_offload_time` seconds: 0 offloads a shelved server at once, a negative
    /// value never, N after N seconds (the periodic `_poll_shelved_instances`).
    pub shelved_offload_time: i64,
    /// `allow_resize_to_same_host`: a resize or cold migration may stay on its host.
    pub allow_resize_to_same_host: bool,
    /// `resize_confirm_window`: VERIFY_RESIZE servers older than this are confirmed by
    /// their destination compute; zero disables.
    pub resize_confirm_window: Duration,
    /// `reserved_host_memory_mb`.
    pub reserved_host_memory_mb: i64,
    /// `reserved_host_disk_mb`.
    pub reserved_host_disk_mb: i64,
    /// `reserved_host_cpus`.
    pub reserved_host_cpus: i64,
    /// CPU ratios.
    pub cpu_allocation_ratio: AllocationRatio,
    /// RAM ratios.
    pub ram_allocation_ratio: AllocationRatio,
    /// Disk ratios.
    pub disk_allocation_ratio: AllocationRatio,
    /// `default_availability_zone`.
    pub default_availability_zone: String,
    /// `internal_service_availability_zone`.
    pub internal_service_availability_zone: String,
    /// `[compute] resource_provider_association_refresh`: how long the cached inventories,
    /// aggregates and traits of a provider are trusted; zero: never refreshed once read.
    pub resource_provider_association_refresh: Duration,
}

impl ComputeConf {
    /// The zones services are shown in (`os-services`, `novactor service list`).
    pub fn service_zones(&self) -> ServiceZones {
        ServiceZones {
            compute: self.default_availability_zone.clone(),
            internal: self.internal_service_availability_zone.clone(),
        }
    }
}

/// The availability zone a service is shown in, as Nova's `availability_zones.
/// set_availability_zones` assigns it: computes in `default_availability_zone` (novactor has
/// no host aggregates, so no other zone), every other service in
/// `internal_service_availability_zone`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceZones {
    /// `default_availability_zone`.
    pub compute: String,
    /// `internal_service_availability_zone`.
    pub internal: String,
}

impl ServiceZones {
    /// The zone of a service running `binary`.
    pub fn of(&self, binary: &str) -> &str {
        if binary == "nova-compute" {
            &self.compute
        } else {
            &self.internal
        }
    }
}

/// `[fake_driver]`: the fake hypervisor's sizes and fault injection (novactor's group).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeDriverConf {
    /// `vcpus`.
    pub vcpus: i64,
    /// `memory_mb`.
    pub memory_mb: i64,
    /// `local_gb`.
    pub local_gb: i64,
    /// `spawn_delay`.
    pub spawn_delay: Duration,
    /// `live_migration_duration` (0–600 s).
    pub live_migration_duration: Duration,
    /// `fail_spawn_pattern` (a regular expression; compiled where it is used).
    pub fail_spawn_pattern: Option<String>,
    /// `panic_spawn_pattern` (likewise).
    pub panic_spawn_pattern: Option<String>,
}

/// `[placement]`: how the computes of this process reach placement (keystoneauth1's options,
/// registered by `nova/conf/placement.py`). `None` in [`NovaConfig`](super::NovaConfig) when
/// `auth_type` is unset: placement is not configured and no placement call is made.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacementConf {
    /// `auth_type` with the options its plugin reads.
    pub auth: PlacementAuth,
    /// `endpoint_override`: the placement URL, whatever the plugin or the catalog says.
    pub endpoint_override: Option<String>,
    /// `timeout` (unset ⇒ 30 s; keystoneauth's unset is no timeout).
    pub timeout: Duration,
    /// `max_concurrent_requests` (novactor's): requests in flight at once, per process.
    pub max_concurrent_requests: usize,
}

impl PlacementConf {
    /// What `timeout` means when unset.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    /// The longest `timeout` applied (a year), whatever is configured.
    pub const MAX_TIMEOUT_SECS: f64 = 365.0 * 24.0 * 3600.0;
}

/// keystoneauth1's auth plugins novactor speaks.
#[derive(Debug, Clone, PartialEq)]
pub enum PlacementAuth {
    /// `admin_token`: `X-Auth-Token: <token>` to a fixed endpoint.
    AdminToken {
        /// `endpoint_override`, else `endpoint`.
        endpoint: String,
        /// `token`.
        token: SecretString,
    },
    /// `none` (novactor also reads `noauth`): no token, to a fixed endpoint.
    NoAuth {
        /// `endpoint_override`, else `endpoint`.
        endpoint: String,
    },
    /// `password` / `v3password`: a Keystone v3 project-scoped login; placement's endpoint
    /// from the catalog unless `endpoint_override` is set.
    Password(KeystonePassword),
}

/// Every group, plus the warnings of Nova's cross-option rules.
#[derive(Debug)]
pub(super) struct NovaGroups {
    pub(super) service: ServiceConf,
    pub(super) api: ApiConf,
    pub(super) conductor: ConductorConf,
    pub(super) scheduler: SchedulerConf,
    pub(super) compute: ComputeConf,
    pub(super) fake_driver: FakeDriverConf,
    pub(super) placement: Option<PlacementConf>,
    pub(super) warnings: Vec<String>,
}

/// Reads every Nova group through `r`.
pub(super) fn build(r: &OptionReader<'_>) -> Result<NovaGroups, ConfigError> {
    let report_interval = r.secs("DEFAULT", "report_interval")?;
    let service_down_time_configured = r.secs("DEFAULT", "service_down_time")?;
    let mut warnings = Vec::new();
    // Nova: nova/servicegroup/api.py API.__init__.
    let service_down_time = if service_down_time_configured <= report_interval {
        // Saturating: report_interval has no upper bound (found by tests/fuzz/config.rs:
        // report_interval = 2^63 − 1 overflowed the multiplication).
        let adjusted = Duration::from_secs(report_interval.as_secs().saturating_mul(5) / 2);
        warnings.push(format!(
            "Report interval must be less than service down time. Current config: \
             <service_down_time: {}, report_interval: {}>. Setting service_down_time to: {}",
            service_down_time_configured.as_secs(),
            report_interval.as_secs(),
            adjusted.as_secs()
        ));
        adjusted
    } else {
        service_down_time_configured
    };
    let service = ServiceConf {
        report_interval,
        service_down_time,
        service_down_time_configured,
        periodic_enable: r.boolean("DEFAULT", "periodic_enable")?,
        periodic_fuzzy_delay: r.secs("DEFAULT", "periodic_fuzzy_delay")?,
        periodic_interval_max: r.secs("DEFAULT", "periodic_interval_max")?,
        state_path: PathBuf::from(r.string("DEFAULT", "state_path")?),
        long_rpc_timeout: r.secs("DEFAULT", "long_rpc_timeout")?,
        my_ip: match r.opt_string("DEFAULT", "my_ip")? {
            Some(address) => address,
            None => default_route_ipv4(),
        },
    };

    let port = r.int("DEFAULT", "osapi_compute_listen_port")?;
    let api = ApiConf {
        enabled_apis: r.list("DEFAULT", "enabled_apis")?,
        osapi_compute_listen: r.string("DEFAULT", "osapi_compute_listen")?,
        osapi_compute_listen_port: u16::try_from(port)
            .map_err(|_| r.mismatch("DEFAULT", "osapi_compute_listen_port", "a port"))?,
        osapi_compute_workers: r.count_or_one("DEFAULT", "osapi_compute_workers")?,
        noauth_notused_is_admin: r.boolean("api", "noauth_notused_is_admin")?,
        allow_noauth_on_network: r.boolean("api", "allow_noauth_on_network")?,
        max_limit: usize::try_from(r.int("api", "max_limit")?)
            .map_err(|_| r.mismatch("api", "max_limit", "a count"))?,
        key_pairs_quota: Some(r.int("quota", "key_pairs")?).filter(|quota| *quota >= 0),
        injected_file_quota: InjectedFileQuota {
            files: Some(r.int("quota", "injected_files")?).filter(|quota| *quota >= 0),
            content_bytes: Some(r.int("quota", "injected_file_content_bytes")?)
                .filter(|quota| *quota >= 0),
            path_length: Some(r.int("quota", "injected_file_path_length")?)
                .filter(|quota| *quota >= 0),
        },
        auth: super::auth_groups::build(r)?,
    };

    let ratio = |res: &'static str, initial: &'static str| -> Result<_, ConfigError> {
        Ok(AllocationRatio {
            configured: r.opt_float("DEFAULT", res)?.filter(|ratio| *ratio > 0.0),
            initial: r.float("DEFAULT", initial)?,
        })
    };
    let compute = ComputeConf {
        fake_hosts: r.count("compute", "fake_hosts")?,
        compute_driver: r.string("DEFAULT", "compute_driver")?,
        instance_build_timeout: r.secs("DEFAULT", "instance_build_timeout")?,
        reclaim_instance_interval: r.secs("DEFAULT", "reclaim_instance_interval")?,
        shelved_offload_time: r.int("DEFAULT", "shelved_offload_time")?,
        allow_resize_to_same_host: r.boolean("DEFAULT", "allow_resize_to_same_host")?,
        resize_confirm_window: r.secs("DEFAULT", "resize_confirm_window")?,
        reserved_host_memory_mb: r.int("DEFAULT", "reserved_host_memory_mb")?,
        reserved_host_disk_mb: r.int("DEFAULT", "reserved_host_disk_mb")?,
        reserved_host_cpus: r.int("DEFAULT", "reserved_host_cpus")?,
        cpu_allocation_ratio: ratio("cpu_allocation_ratio", "initial_cpu_allocation_ratio")?,
        ram_allocation_ratio: ratio("ram_allocation_ratio", "initial_ram_allocation_ratio")?,
        disk_allocation_ratio: ratio("disk_allocation_ratio", "initial_disk_allocation_ratio")?,
        default_availability_zone: r.string("DEFAULT", "default_availability_zone")?,
        internal_service_availability_zone: r
            .string("DEFAULT", "internal_service_availability_zone")?,
        resource_provider_association_refresh: r
            .secs("compute", "resource_provider_association_refresh")?,
    };

    let spawn_delay = r.float_secs("fake_driver", "spawn_delay")?;
    let pattern = |name: &'static str| -> Result<_, ConfigError> {
        Ok(r.opt_string("fake_driver", name)?
            .filter(|pattern| !pattern.trim().is_empty()))
    };
    let fake_driver = FakeDriverConf {
        vcpus: r.int("fake_driver", "vcpus")?,
        memory_mb: r.int("fake_driver", "memory_mb")?,
        local_gb: r.int("fake_driver", "local_gb")?,
        spawn_delay,
        live_migration_duration: r.float_secs("fake_driver", "live_migration_duration")?,
        fail_spawn_pattern: pattern("fail_spawn_pattern")?,
        panic_spawn_pattern: pattern("panic_spawn_pattern")?,
    };

    Ok(NovaGroups {
        service,
        api,
        conductor: ConductorConf {
            workers: r.count_or_one("conductor", "workers")?,
        },
        scheduler: SchedulerConf {
            workers: r.count_or_one("scheduler", "workers")?,
            max_attempts: r.count("scheduler", "max_attempts")?,
            host_subset_size: r.count("filter_scheduler", "host_subset_size")?,
            track_instance_changes: r.boolean("filter_scheduler", "track_instance_changes")?,
        },
        compute,
        fake_driver,
        placement: placement(r)?,
        warnings,
    })
}

/// `[placement]`, checked as keystoneauth's loader would refuse it: each plugin's required
/// options named, with the fix.
fn placement(r: &OptionReader<'_>) -> Result<Option<PlacementConf>, ConfigError> {
    const G: &str = "placement";
    let Some(auth_type) = r.opt_string(G, "auth_type")? else {
        return Ok(None);
    };
    let opt = |name: &'static str| -> Result<Option<String>, ConfigError> {
        Ok(r.opt_string(G, name)?
            .filter(|value| !value.trim().is_empty()))
    };
    let needs = |name: &'static str, why: &str| ConfigError::Conflict {
        group: G,
        name: "auth_type",
        origin: r.origin(G, "auth_type"),
        other_group: G,
        other_name: name,
        reason: format!("auth_type = {auth_type} needs [placement] {name} ({why}); set it"),
    };
    let url = |name: &'static str, value: String| super::auth_groups::http_url(r, G, name, value);
    let endpoint_override = opt("endpoint_override")?
        .map(|value| url("endpoint_override", value))
        .transpose()?;
    let fixed_endpoint = || -> Result<String, ConfigError> {
        match (&endpoint_override, opt("endpoint")?) {
            (Some(endpoint), _) => Ok(endpoint.clone()),
            (None, Some(endpoint)) => url("endpoint", endpoint),
            (None, None) => Err(needs("endpoint", "the placement URL, or endpoint_override")),
        }
    };
    let auth = match auth_type.as_str() {
        "admin_token" => PlacementAuth::AdminToken {
            endpoint: fixed_endpoint()?,
            token: SecretString::new(
                opt("token")?.ok_or_else(|| needs("token", "the token placement accepts"))?,
            ),
        },
        "none" | "noauth" => PlacementAuth::NoAuth {
            endpoint: fixed_endpoint()?,
        },
        _ => {
            let valid_interfaces = r.list(G, "valid_interfaces")?;
            if let Some(bad) = valid_interfaces
                .iter()
                .find(|i| !matches!(i.as_str(), "public" | "internal" | "admin"))
            {
                return Err(ConfigError::InvalidValue {
                    group: G,
                    name: "valid_interfaces",
                    value: bad.clone(),
                    origin: r.origin(G, "valid_interfaces"),
                    expected: "a list of public, internal, admin".to_owned(),
                });
            }
            let valid_interfaces = if valid_interfaces.is_empty() {
                vec!["internal".to_owned(), "public".to_owned()]
            } else {
                valid_interfaces
            };
            let service_type = r.string(G, "service_type")?;
            PlacementAuth::Password(keystone_password(
                r,
                G,
                &needs,
                &url,
                service_type,
                valid_interfaces,
            )?)
        }
    };
    Ok(Some(PlacementConf {
        auth,
        endpoint_override,
        timeout: match r.opt_float(G, "timeout")? {
            // Beyond a year is no timeout in practice; capped so no deadline overflows.
            Some(secs) => Duration::try_from_secs_f64(secs.min(PlacementConf::MAX_TIMEOUT_SECS))
                .map_err(|_| r.mismatch(G, "timeout", "seconds"))?,
            None => PlacementConf::DEFAULT_TIMEOUT,
        },
        max_concurrent_requests: r.count(G, "max_concurrent_requests")?,
    }))
}
