//! Nova's `NetworkInfo` (`nova/network/model.py`) of a lab network port: the JSON an
//! instance's `info_cache.network_info` carries, shaped as Nova's Neutron API builds it for
//! an OVS port (`_build_vif_model`), so a Nova peer's `NetworkInfo.hydrate` reads it and
//! `fixed_ips()` lists the port's addresses.

use serde_json::{json, Value};

use crate::conf::LabNetworkConf;
use crate::db::LabPortRow;

/// Nova's `NIC_NAME_LEN`: a device name such as `tap<port id>` is cut to it.
const NIC_NAME_LEN: usize = 14;

/// The bridge Nova's `[neutron] ovs_bridge` names by default.
const OVS_BRIDGE: &str = "br-int";

/// One subnet with its fixed address, or `None` when the port has no address in it.
fn subnet(cidr: String, gateway: String, version: u8, address: Option<&str>) -> Option<Value> {
    address.map(|address| {
        json!({
            "cidr": cidr, "dns": [], "routes": [], "version": version, "meta": {},
            "gateway": {"address": gateway, "type": "gateway", "version": version, "meta": {}},
            "ips": [{"address": address, "type": "fixed", "version": version, "meta": {},
                     "floating_ips": []}],
        })
    })
}

/// `[VIF]` for `port` of a server of `project_id` on `lab`.
pub fn network_info(port: &LabPortRow, lab: &LabNetworkConf, project_id: &str) -> Value {
    let v4 = subnet(
        lab.ipv4_cidr.to_string(),
        lab.ipv4_gateway().to_string(),
        4,
        port.ipv4_address.as_deref(),
    );
    let v6 = lab
        .ipv6_cidr
        .zip(lab.ipv6_gateway())
        .and_then(|(cidr, gateway)| {
            subnet(
                cidr.to_string(),
                gateway.to_string(),
                6,
                port.ipv6_address.as_deref(),
            )
        });
    let subnets: Vec<Value> = v4.into_iter().chain(v6).collect();
    let devname: String = format!("tap{}", port.uuid)
        .chars()
        .take(NIC_NAME_LEN)
        .collect();
    json!([{
        "id": port.uuid, "address": port.mac_address, "type": "ovs", "devname": devname,
        "ovs_interfaceid": port.uuid, "details": {"port_filter": true, "bridge_name": OVS_BRIDGE},
        "qbh_params": null, "qbg_params": null, "active": true, "vnic_type": "normal",
        "profile": {}, "preserve_on_delete": false, "delegate_create": true, "meta": {},
        "network": {
            "id": port.network_uuid, "bridge": OVS_BRIDGE, "label": lab.name,
            "subnets": subnets,
            "meta": {"injected": false, "tenant_id": project_id, "mtu": 1500,
                     "physical_network": null, "tunneled": true},
        },
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dual_stack_port_is_one_ovs_vif_with_two_subnets() {
        let lab = crate::conf::NovaConfig::default_for_tests().lab_network;
        let port = LabPortRow {
            id: 1,
            uuid: "5a1c6b2e-0c43-4d8a-9d51-2b7b1f0f4a10".into(),
            network_uuid: lab.uuid.clone(),
            instance_uuid: "i".into(),
            mac_address: "fa:16:3e:00:00:01".into(),
            ipv4_address: Some("10.0.0.2".into()),
            ipv6_address: Some("fd00::2".into()),
            created_at: None,
        };
        let info = network_info(&port, &lab, "p1");
        let vif = &info[0];
        assert_eq!(vif["devname"], "tap5a1c6b2e-0c");
        assert_eq!(vif["network"]["label"], "private");
        let subnets = vif["network"]["subnets"].as_array().expect("subnets");
        assert_eq!(subnets.len(), 2);
        assert_eq!(subnets[0]["cidr"], "10.0.0.0/16");
        assert_eq!(subnets[0]["gateway"]["address"], "10.0.0.1");
        assert_eq!(subnets[0]["ips"][0]["address"], "10.0.0.2");
        assert_eq!(subnets[1]["ips"][0]["address"], "fd00::2");
    }
}
