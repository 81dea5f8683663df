//! The fake driver's guest operations beyond power and reboot (Nova: `nova/virt/fake.py`
//! `pause`, `unpause`, `suspend`, `resume`, `rescue`, `unrescue`, `set_admin_password`,
//! `get_console_output`, `trigger_crash_dump`).
//!
//! [novactor] Nova's fake leaves the power state alone for pause and suspend (its
//! `pause` is `pass`); this one moves the guest to `Paused` / `Suspended` as libvirt
//! does, so `OS-EXT-STS:power_state` and `_sync_power_states` see what a real
//! hypervisor reports. Every operation needs a defined guest (`InstanceNotFound`
//! otherwise), as a real hypervisor does.

use super::fake_driver::{DriverError, FakeDriver, GuestFile, PowerState};

/// Nova's fake console log (`FakeDriver.get_console_output`), three lines.
pub(super) const FAKE_CONSOLE_OUTPUT: &str = "FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE";

/// The bytes of every fake snapshot: the guests have no disks, so their images have one size.
pub(super) const FAKE_SNAPSHOT_BYTES: i64 = 25_165_824;

/// What a fake snapshot makes: a qcow2 image of [`FAKE_SNAPSHOT_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FakeSnapshot {
    /// Bytes of the image data.
    pub size: i64,
    /// Its disk format.
    pub disk_format: &'static str,
    /// Its container format.
    pub container_format: &'static str,
}

impl FakeDriver {
    /// Nova `pause` → PAUSED.
    pub fn pause(&self, uuid: &str) -> Result<(), DriverError> {
        self.set_state(uuid, PowerState::Paused)
    }

    /// Nova `unpause` → RUNNING.
    pub fn unpause(&self, uuid: &str) -> Result<(), DriverError> {
        self.set_state(uuid, PowerState::Running)
    }

    /// Nova `suspend` → SUSPENDED.
    pub fn suspend(&self, uuid: &str) -> Result<(), DriverError> {
        self.set_state(uuid, PowerState::Suspended)
    }

    /// Nova `resume` → RUNNING.
    pub fn resume(&self, uuid: &str) -> Result<(), DriverError> {
        self.set_state(uuid, PowerState::Running)
    }

    /// Nova `rescue`: the guest runs again, from the rescue image (which the fake has no
    /// disk to boot from; the compute logs which it was asked for).
    pub fn rescue(&self, uuid: &str) -> Result<(), DriverError> {
        self.set_state(uuid, PowerState::Running)
    }

    /// Nova `unrescue` → RUNNING (Nova's fake sets exactly this).
    pub fn unrescue(&self, uuid: &str) -> Result<(), DriverError> {
        self.set_state(uuid, PowerState::Running)
    }

    /// Nova `set_admin_password`: accepted for any defined guest (Nova's fake: `pass`).
    pub fn set_admin_password(&self, uuid: &str, _new_pass: &str) -> Result<(), DriverError> {
        self.get_info(uuid).map(drop)
    }

    /// Nova `get_console_output`: [`FAKE_CONSOLE_OUTPUT`] for a defined guest, then
    /// [novactor] one line per personality file it was given (Nova's fake shows none).
    pub fn get_console_output(&self, uuid: &str) -> Result<String, DriverError> {
        let guests = self.hypervisor().guests();
        let guest = guests
            .get(uuid)
            .ok_or_else(|| DriverError::InstanceNotFound {
                uuid: uuid.to_owned(),
            })?;
        let mut log = FAKE_CONSOLE_OUTPUT.to_owned();
        for file in &guest.files {
            log.push('\n');
            log.push_str(&file.console_line());
        }
        Ok(log)
    }

    /// The personality files of `uuid`'s guest on this host (none without a guest): what
    /// a guest redefined in place (a resize on its own host) keeps.
    pub fn guest_files(&self, uuid: &str) -> Vec<GuestFile> {
        self.hypervisor()
            .guests()
            .get(uuid)
            .map(|guest| guest.files.clone())
            .unwrap_or_default()
    }

    /// Nova `snapshot`: the data of a defined guest's disk (`InstanceNotFound` for none);
    /// the compute uploads it into the image.
    pub fn snapshot(&self, uuid: &str) -> Result<FakeSnapshot, DriverError> {
        self.get_info(uuid).map(|_| FakeSnapshot {
            size: FAKE_SNAPSHOT_BYTES,
            disk_format: "qcow2",
            container_format: "bare",
        })
    }

    /// Nova `inject_network_info`: accepted for any defined guest (Nova's fake: `pass`).
    pub fn inject_network_info(&self, uuid: &str) -> Result<(), DriverError> {
        self.get_info(uuid).map(drop)
    }

    /// Nova `trigger_crash_dump`: accepted for any defined guest (Nova's fake: `pass`);
    /// the guest keeps its state, as Nova's manager notes the effect is the guest's.
    pub fn trigger_crash_dump(&self, uuid: &str) -> Result<(), DriverError> {
        self.get_info(uuid).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::compute::fake_driver::{FakeDriverSettings, GuestSize};

    fn driver() -> FakeDriver {
        let settings = FakeDriverSettings::from_conf(
            &crate::conf::NovaConfig::default_for_tests().fake_driver,
        );
        FakeDriver::new("h1", settings, Arc::default())
    }

    #[tokio::test]
    async fn guests_pause_suspend_and_rescue_as_a_hypervisor_reports_them() {
        let d = driver();
        assert!(matches!(
            d.pause("u1"),
            Err(DriverError::InstanceNotFound { .. })
        ));
        assert!(d.get_console_output("u1").is_err());
        d.spawn("u1", "vm", GuestSize::default(), Vec::new())
            .await
            .unwrap();
        d.pause("u1").unwrap();
        assert_eq!(d.power_state("u1"), PowerState::Paused);
        d.unpause("u1").unwrap();
        assert_eq!(d.power_state("u1"), PowerState::Running);
        d.suspend("u1").unwrap();
        assert_eq!(d.power_state("u1").code(), 7);
        d.resume("u1").unwrap();
        d.power_off("u1").unwrap();
        d.rescue("u1").unwrap();
        assert_eq!(d.power_state("u1"), PowerState::Running);
        d.unrescue("u1").unwrap();
        d.set_admin_password("u1", "secret").unwrap();
        d.trigger_crash_dump("u1").unwrap();
        assert_eq!(d.power_state("u1"), PowerState::Running);
        assert_eq!(
            d.get_console_output("u1")
                .unwrap()
                .lines()
                .collect::<Vec<_>>(),
            ["FAKE CONSOLE OUTPUT", "ANOTHER", "LAST LINE"]
        );
    }

    #[tokio::test]
    async fn the_console_shows_the_files_of_the_last_spawn() {
        let d = driver();
        let motd = GuestFile {
            path: "/etc/motd".into(),
            bytes: 12,
        };
        let key = GuestFile {
            path: "/root/key".into(),
            bytes: 3,
        };
        d.spawn("u1", "vm", GuestSize::default(), vec![motd, key])
            .await
            .unwrap();
        assert_eq!(d.guest_files("u1").len(), 2);
        assert!(d.guest_files("u2").is_empty());
        let log = d.get_console_output("u1").unwrap();
        assert_eq!(
            log.lines().collect::<Vec<_>>(),
            [
                "FAKE CONSOLE OUTPUT",
                "ANOTHER",
                "LAST LINE",
                "injected file /etc/motd (12 bytes)",
                "injected file /root/key (3 bytes)"
            ]
        );
        // A rebuild spawns again: its files replace the old ones.
        d.destroy("u1");
        let other = GuestFile {
            path: "/other".into(),
            bytes: 1,
        };
        d.spawn("u1", "vm", GuestSize::default(), vec![other])
            .await
            .unwrap();
        let log = d.get_console_output("u1").unwrap();
        assert_eq!(log.lines().last(), Some("injected file /other (1 bytes)"));
        assert_eq!(log.lines().count(), 4);
    }
}
