//! The fake virt driver (Nova: `nova/virt/fake.py` FakeDriver): a hypervisor kept in memory.
//! It owns the guests of one host and their power states, reports the host's resources
//! (`[fake_driver]`, spec §3.4) and injects faults for tests (`spawn_delay`,
//! `fail_spawn_pattern`, spec §7). It knows nothing of the database or RPC: the manager
//! and the resource tracker turn what it says into instance and compute-node rows.
//!
//! The guests live in a [`FakeHypervisor`] that the compute's *definition* creates once, so
//! they survive a restart of the compute actor, as real guests survive a restart of
//! `nova-compute`; only the knobs are re-read per incarnation.
//!
//! They do not survive the *process* (a SIGKILL and a new `novactor run`): the new
//! hypervisor starts empty, as Nova's in-memory `nova/virt/fake.py` does. The compute's
//! `init_host` (`init_host.rs`) deliberately does not invent
//! guests for ACTIVE instances then: like Nova with this driver it sees `NoState`,
//! settles only interrupted operations (a retried reboot or start is a hard reboot, which
//! redefines the guest; a retried stop finds it off) and leaves idle instances ACTIVE,
//! which `_sync_power_states` then records as NOSTATE and ignores, as Nova's does.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub use super::fake_guest_files::GuestFile;
use super::live_migration_controls::LiveMigrationControls;
use crate::conf::FakeDriverConf;
use crate::objects::instance::flavor_fields;

/// Nova `nova/compute/power_state.py`: what the hypervisor says a guest is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerState {
    /// 0, `pending`: no guest (or not known to the hypervisor).
    NoState,
    /// 1.
    Running,
    /// 3.
    Paused,
    /// 4.
    Shutdown,
    /// 6.
    Crashed,
    /// 7.
    Suspended,
}

impl PowerState {
    /// The integer stored in `instances.power_state`.
    pub fn code(self) -> i64 {
        match self {
            Self::NoState => 0,
            Self::Running => 1,
            Self::Paused => 3,
            Self::Shutdown => 4,
            Self::Crashed => 6,
            Self::Suspended => 7,
        }
    }

    /// The state of a stored integer (unknown values are `NoState`, as Nova's
    /// `STATE_MAP` shows them as `pending`).
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Running,
            3 => Self::Paused,
            4 => Self::Shutdown,
            6 => Self::Crashed,
            7 => Self::Suspended,
            _ => Self::NoState,
        }
    }
}

/// How a driver operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverError {
    /// The hypervisor has no guest for this instance (Nova `InstanceNotFound`).
    #[error("Instance {uuid} could not be found.")]
    InstanceNotFound {
        /// The instance.
        uuid: String,
    },
    /// Fault injection: the display name matched `[fake_driver] fail_spawn_pattern`.
    #[error("fake driver: spawn of {name:?} failed (matches fail_spawn_pattern {pattern:?})")]
    SpawnFailed {
        /// The instance's display name.
        name: String,
        /// The pattern it matched.
        pattern: String,
    },
    /// A soft reboot needs a guest to signal; there is none.
    #[error("fake driver: cannot soft-reboot instance {uuid}: no guest is defined")]
    NothingToReboot {
        /// The instance.
        uuid: String,
    },
}

/// `[fake_driver] fail_spawn_pattern` or `panic_spawn_pattern` is not a regular expression.
#[derive(Debug, Clone, thiserror::Error)]
#[error("[fake_driver] {option} = {pattern:?} is not a regular expression ({reason}); fix it or leave it unset")]
pub struct BadFailPattern {
    /// The option.
    pub option: &'static str,
    /// The option's value.
    pub pattern: String,
    /// What the regex parser said.
    pub reason: String,
}

/// The driver's knobs, read from `[fake_driver]`.
#[derive(Debug, Clone)]
pub struct FakeDriverSettings {
    /// vCPUs the host reports.
    pub vcpus: i64,
    /// RAM (MiB) the host reports.
    pub memory_mb: i64,
    /// Disk (GiB) the host reports.
    pub local_gb: i64,
    /// How long `spawn` takes.
    pub spawn_delay: Duration,
    /// How long a live migration's memory copy takes (novactor's lab knob).
    pub live_migration_duration: Duration,
    /// Spawns of instances whose display name matches fail.
    pub fail_spawn: Option<regex::Regex>,
    /// Spawns of instances whose display name matches panic (a crash of the compute
    /// actor, for the supervisor to handle).
    pub panic_spawn: Option<regex::Regex>,
}

impl FakeDriverSettings {
    /// The sizes and delay `[fake_driver]` sets; the fault patterns are compiled apart, by
    /// [`spawn_pattern`], as they are the settings that can be wrong.
    pub fn from_conf(conf: &FakeDriverConf) -> Self {
        Self {
            vcpus: conf.vcpus,
            memory_mb: conf.memory_mb,
            local_gb: conf.local_gb,
            spawn_delay: conf.spawn_delay,
            live_migration_duration: conf.live_migration_duration,
            fail_spawn: None,
            panic_spawn: None,
        }
    }
}

/// `[fake_driver] <option>` compiled; `None` when unset.
pub fn spawn_pattern(
    option: &'static str,
    pattern: Option<&str>,
) -> Result<Option<regex::Regex>, BadFailPattern> {
    pattern
        .map(|pattern| {
            regex::Regex::new(pattern).map_err(|e| BadFailPattern {
                option,
                pattern: pattern.to_owned(),
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// Resources a guest takes on the host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GuestSize {
    /// vCPUs.
    pub vcpus: i64,
    /// RAM in MiB.
    pub memory_mb: i64,
    /// Disk in GiB.
    pub disk_gb: i64,
}

/// One guest of the fake hypervisor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeGuest {
    /// The instance's display name.
    pub name: String,
    /// Its power state.
    pub state: PowerState,
    /// What it consumes.
    pub size: GuestSize,
    /// The personality files its last spawn or rebuild wrote.
    pub files: Vec<GuestFile>,
}

/// The guests of one host, by instance uuid; shared by every incarnation of its compute.
#[derive(Debug)]
pub struct FakeHypervisor {
    guests: Mutex<BTreeMap<String, FakeGuest>>,
    booted: Instant,
}

impl Default for FakeHypervisor {
    fn default() -> Self {
        Self {
            guests: Mutex::new(BTreeMap::new()),
            booted: Instant::now(),
        }
    }
}

impl FakeHypervisor {
    pub(super) fn guests(&self) -> MutexGuard<'_, BTreeMap<String, FakeGuest>> {
        // Only plain map operations run under this lock; a poisoned map is still consistent.
        self.guests.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What `get_available_resource(nodename)` reports (Nova's dict, typed).
#[derive(Debug, Clone, PartialEq)]
pub struct AvailableResource {
    /// vCPUs.
    pub vcpus: i64,
    /// RAM in MiB.
    pub memory_mb: i64,
    /// Disk in GiB.
    pub local_gb: i64,
    /// `fake`.
    pub hypervisor_type: String,
    /// 1000 (Nova's `versionutils.convert_version_to_int("1.0")`).
    pub hypervisor_version: i64,
    /// The node's name (= the host).
    pub hypervisor_hostname: String,
    /// JSON text, spec §3.4.
    pub cpu_info: String,
    /// 0, as Nova's fake reports.
    pub disk_available_least: i64,
}

/// Nova `FakeDriver` for one host.
#[derive(Debug, Clone)]
pub struct FakeDriver {
    host: String,
    settings: Arc<FakeDriverSettings>,
    hypervisor: Arc<FakeHypervisor>,
    /// The live migrations this host is the source of (`fake_driver_live_migration.rs`).
    live_migrations: Arc<LiveMigrationControls>,
}

impl FakeDriver {
    /// The driver of `host`, whose guests live in `hypervisor`.
    pub fn new(host: &str, settings: FakeDriverSettings, hypervisor: Arc<FakeHypervisor>) -> Self {
        Self {
            host: host.to_owned(),
            settings: Arc::new(settings),
            hypervisor,
            live_migrations: Arc::default(),
        }
    }

    /// The knobs (read by the sibling driver files).
    pub(super) fn settings(&self) -> &FakeDriverSettings {
        &self.settings
    }

    /// The guests (written by the sibling driver files).
    pub(super) fn hypervisor(&self) -> &FakeHypervisor {
        &self.hypervisor
    }

    /// The running live migrations from this host.
    pub(super) fn live_migrations(&self) -> &Arc<LiveMigrationControls> {
        &self.live_migrations
    }

    /// Nova `get_available_nodes`: one node, named after the host.
    pub fn get_available_nodes(&self) -> Vec<String> {
        vec![self.host.clone()]
    }

    /// Nova `get_available_resource(nodename)`.
    pub fn get_available_resource(&self, nodename: &str) -> AvailableResource {
        let cpu_info = json!({
            "arch": "x86_64", "model": "Nehalem", "vendor": "Intel",
            "features": ["pge", "clflush"],
            "topology": {"cores": 1, "threads": 1, "sockets": 4},
        });
        AvailableResource {
            vcpus: self.settings.vcpus,
            memory_mb: self.settings.memory_mb,
            local_gb: self.settings.local_gb,
            hypervisor_type: "fake".to_owned(),
            hypervisor_version: 1000,
            hypervisor_hostname: nodename.to_owned(),
            cpu_info: cpu_info.to_string(),
            disk_available_least: 0,
        }
    }

    /// Nova `spawn`: takes `spawn_delay`, then defines a running guest with the personality
    /// `files` written — or fails when `name` matches `fail_spawn_pattern`. Never holds
    /// the guest map across the delay.
    pub async fn spawn(
        &self,
        uuid: &str,
        name: &str,
        size: GuestSize,
        files: Vec<GuestFile>,
    ) -> Result<(), DriverError> {
        if !self.settings.spawn_delay.is_zero() {
            tokio::time::sleep(self.settings.spawn_delay).await;
        }
        if let Some(pattern) = &self.settings.panic_spawn {
            // Fault injection: the compute actor crashes mid-build, as a bug would.
            assert!(
                !pattern.is_match(name),
                "fake driver: injected panic spawning {name:?} (matches panic_spawn_pattern {:?})",
                pattern.as_str()
            );
        }
        if let Some(pattern) = &self.settings.fail_spawn {
            if pattern.is_match(name) {
                return Err(DriverError::SpawnFailed {
                    name: name.to_owned(),
                    pattern: pattern.as_str().to_owned(),
                });
            }
        }
        self.hypervisor.guests().insert(
            uuid.to_owned(),
            FakeGuest {
                name: name.to_owned(),
                state: PowerState::Running,
                size,
                files,
            },
        );
        Ok(())
    }

    /// Nova `destroy`: forget the guest; a missing one is fine (Nova's fake only warns).
    pub fn destroy(&self, uuid: &str) -> bool {
        let removed = self.hypervisor.guests().remove(uuid).is_some();
        if !removed {
            tracing::warn!(instance = %uuid, "fake driver: destroy of an instance it does not have");
        }
        removed
    }

    /// Set a defined guest's power state (`InstanceNotFound` when there is none).
    pub(super) fn set_state(&self, uuid: &str, state: PowerState) -> Result<(), DriverError> {
        match self.hypervisor.guests().get_mut(uuid) {
            Some(guest) => {
                guest.state = state;
                Ok(())
            }
            None => Err(DriverError::InstanceNotFound {
                uuid: uuid.to_owned(),
            }),
        }
    }

    /// Nova `power_off` → SHUTDOWN.
    pub fn power_off(&self, uuid: &str) -> Result<(), DriverError> {
        self.set_state(uuid, PowerState::Shutdown)
    }

    /// Nova `power_on` → RUNNING.
    pub fn power_on(&self, uuid: &str) -> Result<(), DriverError> {
        self.set_state(uuid, PowerState::Running)
    }

    /// Nova `reboot` → RUNNING. A hard reboot redefines a guest the hypervisor lost (as
    /// libvirt's hard reboot recreates the domain); a soft one needs a guest to signal.
    pub fn reboot(&self, uuid: &str, name: &str, hard: bool) -> Result<(), DriverError> {
        let mut guests = self.hypervisor.guests();
        match guests.get_mut(uuid) {
            Some(guest) => {
                guest.state = PowerState::Running;
                Ok(())
            }
            None if hard => {
                guests.insert(
                    uuid.to_owned(),
                    FakeGuest {
                        name: name.to_owned(),
                        state: PowerState::Running,
                        size: GuestSize::default(),
                        files: Vec::new(),
                    },
                );
                Ok(())
            }
            None => Err(DriverError::NothingToReboot {
                uuid: uuid.to_owned(),
            }),
        }
    }

    /// Nova `get_info(instance).state`.
    pub fn get_info(&self, uuid: &str) -> Result<PowerState, DriverError> {
        self.hypervisor
            .guests()
            .get(uuid)
            .map(|guest| guest.state)
            .ok_or_else(|| DriverError::InstanceNotFound {
                uuid: uuid.to_owned(),
            })
    }

    /// Nova `ComputeManager._get_power_state`: `NoState` when there is no guest.
    pub fn power_state(&self, uuid: &str) -> PowerState {
        self.get_info(uuid).unwrap_or(PowerState::NoState)
    }

    /// Nova `list_instances` (uuids here; Nova's fake lists names).
    pub fn list_instances(&self) -> Vec<String> {
        self.hypervisor.guests().keys().cloned().collect()
    }

    /// Nova `get_num_instances`.
    pub fn get_num_instances(&self) -> usize {
        self.hypervisor.guests().len()
    }

    /// Nova `get_host_uptime`: a line shaped like Linux `uptime`'s for the machine this
    /// process runs on (`/proc/uptime`, `/proc/loadavg`) — the fake hosts share it; where
    /// `/proc` cannot be read, counting from when this host's fake hypervisor was created.
    pub fn get_host_uptime(&self) -> String {
        let up = std::fs::read_to_string("/proc/uptime")
            .ok()
            .and_then(|text| text.split_whitespace().next()?.parse::<f64>().ok())
            .filter(|secs| secs.is_finite() && *secs >= 0.0)
            .map(Duration::from_secs_f64)
            .unwrap_or_else(|| self.hypervisor.booted.elapsed());
        let load = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .map(|text| {
                text.split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .filter(|load| load.split(", ").count() == 3)
            .unwrap_or_else(|| "0.00, 0.00, 0.00".to_owned());
        uptime_line(chrono::Utc::now(), up, &load)
    }
}

/// `" 08:32:11 up 93 days, 18:25,  0 users,  load average: 0.00, 0.00, 0.00"`.
fn uptime_line(now: chrono::DateTime<chrono::Utc>, up: Duration, load: &str) -> String {
    let minutes = up.as_secs() / 60;
    let (days, hours, mins) = (minutes / 1440, (minutes / 60) % 24, minutes % 60);
    let span = match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, _) => format!("{hours:2}:{mins:02}"),
        (1, _) => format!("1 day, {hours:2}:{mins:02}"),
        _ => format!("{days} days, {hours:2}:{mins:02}"),
    };
    format!(
        " {} up {span},  0 users,  load average: {load}",
        now.format("%H:%M:%S")
    )
}

/// A guest size from an instance's primitive fields (`vcpus`, `memory_mb`, `root_gb`,
/// `ephemeral_gb`, `swap`), falling back to its flavor snapshot.
pub fn guest_size(fields: &serde_json::Map<String, Value>) -> GuestSize {
    let flavor = match fields.get("flavor") {
        Some(Value::String(text)) => serde_json::from_str(text).unwrap_or(Value::Null),
        Some(snapshot @ Value::Object(_)) => flavor_fields(snapshot.clone()),
        _ => Value::Null,
    };
    let field = |name: &str| {
        fields
            .get(name)
            .and_then(Value::as_i64)
            .or_else(|| flavor.get(name).and_then(Value::as_i64))
            .unwrap_or(0)
            .max(0)
    };
    GuestSize {
        vcpus: field("vcpus"),
        memory_mb: field("memory_mb"),
        // Nova's resource tracker: root + ephemeral + swap / 1024 (an int field, truncated).
        // Saturating: the fields come from the database and the wire, any i64 (found by
        // tests/fuzz/nova_objects: root_gb = 2^63 − 1 panicked the compute's claim).
        disk_gb: field("root_gb")
            .saturating_add(field("ephemeral_gb"))
            .saturating_add(field("swap") / 1024),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> FakeDriverSettings {
        FakeDriverSettings::from_conf(&crate::conf::NovaConfig::default_for_tests().fake_driver)
    }

    fn driver(settings: FakeDriverSettings) -> FakeDriver {
        FakeDriver::new("h1", settings, Arc::default())
    }

    #[tokio::test]
    async fn guests_follow_power_operations() {
        let d = driver(defaults());
        assert_eq!(d.power_state("u1"), PowerState::NoState);
        d.spawn("u1", "vm", GuestSize::default(), Vec::new())
            .await
            .unwrap();
        assert_eq!(d.get_info("u1"), Ok(PowerState::Running));
        d.power_off("u1").unwrap();
        assert_eq!(d.get_info("u1").map(PowerState::code), Ok(4));
        d.reboot("u1", "vm", false).unwrap();
        assert_eq!(d.get_info("u1"), Ok(PowerState::Running));
        assert_eq!(d.list_instances(), vec!["u1".to_owned()]);
        assert!(d.destroy("u1"));
        assert!(!d.destroy("u1"));
        assert!(matches!(
            d.power_on("u1"),
            Err(DriverError::InstanceNotFound { .. })
        ));
        assert!(d.reboot("u1", "vm", false).is_err());
        d.reboot("u1", "vm", true).unwrap();
        assert_eq!(d.get_num_instances(), 1);
    }

    #[tokio::test]
    async fn spawn_fails_for_names_matching_the_pattern() {
        let d = driver(FakeDriverSettings {
            fail_spawn: Some(regex::Regex::new("^fail-").unwrap()),
            ..defaults()
        });
        assert!(matches!(
            d.spawn("u1", "fail-me", GuestSize::default(), Vec::new())
                .await,
            Err(DriverError::SpawnFailed { .. })
        ));
        assert_eq!(d.get_num_instances(), 0);
        d.spawn("u2", "ok-fail-", GuestSize::default(), Vec::new())
            .await
            .unwrap();
    }

    #[test]
    fn resources_are_novas_fake_values() {
        let r = driver(defaults()).get_available_resource("h1");
        assert_eq!((r.vcpus, r.memory_mb, r.local_gb), (1000, 800_000, 600_000));
        assert_eq!(
            (r.hypervisor_type.as_str(), r.hypervisor_version),
            ("fake", 1000)
        );
        let cpu: Value = serde_json::from_str(&r.cpu_info).unwrap();
        assert_eq!(cpu["topology"]["sockets"], 4);
    }

    #[test]
    fn uptime_reads_like_linux() {
        let now = chrono::DateTime::parse_from_rfc3339("2024-05-01T08:32:11Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let line = uptime_line(
            now,
            Duration::from_secs(93 * 86400 + 18 * 3600 + 25 * 60),
            "0.00, 0.00, 0.00",
        );
        assert_eq!(
            line,
            " 08:32:11 up 93 days, 18:25,  0 users,  load average: 0.00, 0.00, 0.00"
        );
        assert!(
            uptime_line(now, Duration::from_secs(61), "0.00, 0.00, 0.00").contains("up 1 min,")
        );
    }

    #[test]
    fn guest_size_reads_columns_then_flavor() {
        let fields = json!({"vcpus": 2, "memory_mb": 2048, "root_gb": 20, "swap": 2048,
                            "flavor": "{\"ephemeral_gb\": 5}"});
        let size = guest_size(fields.as_object().unwrap());
        assert_eq!(
            size,
            GuestSize {
                vcpus: 2,
                memory_mb: 2048,
                disk_gb: 27
            }
        );
    }
}
