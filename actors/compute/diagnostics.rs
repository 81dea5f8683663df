//! `get_diagnostics` and `get_instance_diagnostics` (Nova: `compute/manager.py`, the fake
//! driver's values in `virt/fake.py`, the `Diagnostics` objects of
//! `objects/diagnostics.py`): a running guest's counters, the legacy free-form dict and the
//! standard object the API shows from 2.48; any other power state is Nova's
//! `InstanceInvalidState` (the API's 409).

use serde_json::{json, Map, Value};

use super::fake_driver::{FakeDriver, PowerState};
use crate::exception::NovaException;
use crate::objects::NovaObject;
use novactor::rpc::RemoteFailure;

/// Nova `power_state.STATE_MAP`: the name a power state is shown by.
fn power_state_name(state: PowerState) -> &'static str {
    match state {
        PowerState::NoState => "pending",
        PowerState::Running => "running",
        PowerState::Paused => "paused",
        PowerState::Shutdown => "shutdown",
        PowerState::Crashed => "crashed",
        PowerState::Suspended => "suspended",
    }
}

fn object(name: &str, data: Value) -> Value {
    NovaObject::new(name, "1.0", data.as_object().cloned().unwrap_or_default()).to_primitive()
}

impl FakeDriver {
    /// Nova's manager check: diagnostics only of a `RUNNING` guest; `method` names the call.
    pub fn check_running(&self, uuid: &str, method: &str) -> Result<(), RemoteFailure> {
        let state = self.power_state(uuid);
        if state == PowerState::Running {
            return Ok(());
        }
        let name = power_state_name(state);
        let mut failure = NovaException::InstanceInvalidState.failure(format!(
            "Instance {uuid} in power state {name}. Cannot {method} while the instance is in this state."
        ));
        let kwargs: Map<String, Value> = json!({
            "attr": "power state", "instance_uuid": uuid, "state": name, "method": method,
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        failure.kwargs = kwargs;
        Err(failure)
    }

    /// Nova fake driver `get_diagnostics`: the legacy dict.
    pub fn get_diagnostics(&self) -> Value {
        json!({
            "cpu0_time": 17_300_000_000_i64, "memory": 524_288, "vda_errors": -1,
            "vda_read": 262_144, "vda_read_req": 112, "vda_write": 5_778_432,
            "vda_write_req": 488, "vnet1_rx": 2_070_139, "vnet1_rx_drop": 0,
            "vnet1_rx_errors": 0, "vnet1_rx_packets": 26_701, "vnet1_tx": 140_208,
            "vnet1_tx_drop": 0, "vnet1_tx_errors": 0, "vnet1_tx_packets": 662,
        })
    }

    /// Nova fake driver `get_instance_diagnostics`: a `Diagnostics` 1.0 primitive.
    pub fn get_instance_diagnostics(&self) -> Value {
        let cpu = object(
            "CpuDiagnostics",
            json!({"id": 0, "time": 17_300_000_000_i64, "utilisation": 15}),
        );
        let nic = object(
            "NicDiagnostics",
            json!({"mac_address": "01:23:45:67:89:ab", "rx_octets": 2_070_139, "rx_errors": 100,
                "rx_drop": 200, "rx_packets": 26_701, "rx_rate": 300, "tx_octets": 140_208,
                "tx_errors": 400, "tx_drop": 500, "tx_packets": 662, "tx_rate": 600}),
        );
        let disk = object(
            "DiskDiagnostics",
            json!({"read_bytes": 262_144, "read_requests": 112, "write_bytes": 5_778_432,
                "write_requests": 488, "errors_count": 1}),
        );
        let memory = object("MemoryDiagnostics", json!({"maximum": 524_288, "used": 0}));
        object(
            "Diagnostics",
            json!({
                "state": "running", "driver": "libvirt", "hypervisor": "kvm",
                "hypervisor_os": "ubuntu", "uptime": 46_664, "config_drive": true,
                "cpu_details": [cpu], "nic_details": [nic], "disk_details": [disk],
                "memory_details": memory, "num_cpus": 1, "num_nics": 1, "num_disks": 1,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::compute::fake_driver::{FakeDriverSettings, FakeHypervisor};

    #[test]
    fn diagnostics_need_a_running_guest() {
        let settings = FakeDriverSettings::from_conf(
            &crate::conf::NovaConfig::default_for_tests().fake_driver,
        );
        let driver = FakeDriver::new("h", settings, Arc::new(FakeHypervisor::default()));
        let failure = driver.check_running("u1", "get_diagnostics").unwrap_err();
        assert_eq!(failure.class, "InstanceInvalidState");
        assert_eq!(failure.kwargs["state"], "pending");
        let primitive = driver.get_instance_diagnostics();
        assert_eq!(primitive["nova_object.name"], "Diagnostics");
        assert_eq!(
            primitive["nova_object.data"]["cpu_details"][0]["nova_object.data"]["utilisation"],
            15
        );
    }
}
