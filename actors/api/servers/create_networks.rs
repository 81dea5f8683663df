//! The create body's `networks`, read as Nova reads it (`schemas/servers.py`,
//! `servers.py` `_get_requested_networks`) and answered by the one lab network
//! (`[lab_network]`, docs/DEVIATIONS.md D-LABNET): `none` gives no port; `auto`, an empty
//! list, no `networks` before 2.37, or `[{"uuid": <the lab network>}]` give one port with a
//! free IPv4 (and IPv6) address; `fixed_ip` asks for that address. A `port`, another network
//! or a second entry is a 400 naming it.

use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::api::api_fault::ApiFault;
use crate::api::microversion::ApiVersion;
use crate::conf::LabNetworkConf;
use crate::db::PortAddresses;

fn invalid(field: &str, value: &Value, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {why}"
    ))
}

fn not_honoured(field: &str, value: &Value, why: &str) -> ApiFault {
    invalid(
        field,
        value,
        &format!("novactor cannot honour {field} yet: {why}"),
    )
}

/// The port `server` asks for on `lab` (`None`: no port), for `count` instances, at
/// microversion `version`.
pub fn requested_port(
    version: ApiVersion,
    server: &Map<String, Value>,
    lab: &LabNetworkConf,
    count: u32,
) -> Result<Option<PortAddresses>, ApiFault> {
    let list = match server.get("networks") {
        // Before 2.37 no `networks` means "the project's network" (2.37+ requires it).
        None => return Ok(Some(PortAddresses::Any)),
        Some(Value::String(s)) if s == "none" => return Ok(None),
        Some(Value::String(s)) if s == "auto" => return Ok(Some(PortAddresses::Any)),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(invalid(
                "networks",
                other,
                &format!("{other} is not valid under any of the given schemas ('auto', 'none' or a list of networks)"),
            ))
        }
    };
    let mut asked = Vec::new();
    for item in list {
        asked.push(entry(version, item, lab)?);
    }
    if asked.len() > 1 {
        return Err(not_honoured(
            "networks",
            &Value::Array(list.clone()),
            "the lab network gives each server one port; list it once",
        ));
    }
    match asked.pop() {
        // An empty list: Nova allocates on the project's network, as with `auto`.
        None | Some(None) => Ok(Some(PortAddresses::Any)),
        Some(Some(address)) => {
            if count > 1 {
                return Err(ApiFault::bad_request(
                    "Failed to launch instances: max_count cannot be greater than 1 if an \
                     fixed_ip is specified.",
                ));
            }
            if !lab.in_pool(address) {
                return Err(ApiFault::bad_request(format!(
                    "Invalid input received: Fixed IP {address} is not a valid ip address for \
                     network {}.",
                    lab.uuid
                )));
            }
            Ok(Some(PortAddresses::Fixed(address)))
        }
    }
}

/// One entry of the list: the lab network, with its `fixed_ip` if one is asked.
fn entry(
    version: ApiVersion,
    item: &Value,
    lab: &LabNetworkConf,
) -> Result<Option<IpAddr>, ApiFault> {
    let Value::Object(fields) = item else {
        return Err(invalid(
            "networks",
            item,
            &format!("{item} is not of type 'object'"),
        ));
    };
    let tag_allowed = version.at_least(32);
    let known =
        |key: &str| matches!(key, "uuid" | "fixed_ip" | "port") || (tag_allowed && key == "tag");
    if let Some(extra) = fields.keys().find(|k| !known(k)) {
        return Err(ApiFault::bad_request(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    let fixed_ip = match fields.get("fixed_ip") {
        None => None,
        Some(Value::String(text)) => match text.parse::<IpAddr>() {
            Ok(address) => Some(address),
            Err(_) => {
                return Err(invalid(
                    "fixed_ip",
                    &Value::String(text.clone()),
                    &format!("'{text}' is not valid under any of the given schemas"),
                ))
            }
        },
        Some(other) => {
            return Err(invalid(
                "fixed_ip",
                other,
                &format!("{other} is not of type 'string'"),
            ))
        }
    };
    match fields.get("port") {
        None | Some(Value::Null) => {}
        Some(port) => {
            return Err(not_honoured(
                "port",
                port,
                "the lab network has no ports to attach (there is no Neutron); ask for the \
                 network's uuid or 'auto'",
            ))
        }
    }
    if let Some(tag) = fields.get("tag") {
        return Err(not_honoured(
            "tag",
            tag,
            "device role tags are shown through the metadata service, which novactor has not",
        ));
    }
    let uuid = match fields.get("uuid") {
        None => return Err(ApiFault::bad_request("Bad network format: missing 'uuid'")),
        Some(Value::String(uuid)) => uuid,
        Some(other) => {
            return Err(invalid(
                "uuid",
                other,
                &format!("{other} is not of type 'string'"),
            ))
        }
    };
    let Ok(parsed) = uuid::Uuid::try_parse(uuid) else {
        return Err(if version.at_least(37) {
            invalid(
                "uuid",
                &Value::String(uuid.clone()),
                &format!("'{uuid}' is not a 'uuid'"),
            )
        } else {
            ApiFault::bad_request(format!(
                "Bad networks format: network uuid is not in proper format ({uuid})"
            ))
        });
    };
    if parsed.hyphenated().to_string() != lab.uuid {
        return Err(ApiFault::bad_request(format!(
            "Network {uuid} could not be found."
        )));
    }
    Ok(fixed_ip)
}
