//! A server's `addresses` (Nova: `views/ips.py`, `common.get_networks_for_instance`): its
//! lab network ports' fixed addresses under the network's label, IPv4 before IPv6; with
//! `extended`, each also carries `OS-EXT-IPS:type` and `OS-EXT-IPS-MAC:mac_addr`, as the
//! server detail view shows them (`GET /servers/{id}/ips` does not).

use serde_json::{json, Map, Value};

use crate::conf::LabNetworkConf;
use crate::db::LabPortRow;

/// `{label: [{"version", "addr", …}, …]}` for `ports` (those of one server).
pub fn addresses(ports: &[LabPortRow], lab: &LabNetworkConf, extended: bool) -> Map<String, Value> {
    let mut networks = Map::new();
    for port in ports {
        // A port of a network the configuration no longer names keeps its uuid as label.
        let label = if port.network_uuid == lab.uuid {
            lab.name.clone()
        } else {
            port.network_uuid.clone()
        };
        let fixed = [(4, &port.ipv4_address), (6, &port.ipv6_address)];
        let entries = fixed.into_iter().filter_map(|(version, address)| {
            address.as_ref().map(|addr| {
                let mut entry = json!({"version": version, "addr": addr});
                if extended {
                    entry["OS-EXT-IPS:type"] = json!("fixed");
                    entry["OS-EXT-IPS-MAC:mac_addr"] = json!(port.mac_address);
                }
                entry
            })
        });
        if let Value::Array(list) = networks.entry(label).or_insert_with(|| json!([])) {
            list.extend(entries);
        }
    }
    networks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dual_stack_port_shows_both_addresses_under_its_label() {
        let lab = crate::conf::NovaConfig::default_for_tests().lab_network;
        let port = LabPortRow {
            id: 1,
            uuid: "p".into(),
            network_uuid: lab.uuid.clone(),
            instance_uuid: "i".into(),
            mac_address: "fa:16:3e:00:00:01".into(),
            ipv4_address: Some("10.0.0.2".into()),
            ipv6_address: Some("fd00::2".into()),
            created_at: None,
        };
        let shown = addresses(std::slice::from_ref(&port), &lab, true);
        assert_eq!(
            Value::Object(shown),
            json!({"private": [
                {"version": 4, "addr": "10.0.0.2", "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"},
                {"version": 6, "addr": "fd00::2", "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"},
            ]})
        );
        let brief = addresses(&[port], &lab, false);
        assert_eq!(
            brief["private"][0],
            json!({"version": 4, "addr": "10.0.0.2"})
        );
        assert!(addresses(&[], &lab, true).is_empty());
    }
}
