//! The create fields each instance carries, read as Nova's schema reads them
//! (`schemas/servers.py`, `parameter_types.py`): `metadata` (keys of 1–255 characters of
//! `[a-zA-Z0-9-_:. ]`, string values of at most 255, at most 128 items — Nova's default
//! `metadata_items` quota), `user_data` (base64, at most 65535 characters), `config_drive`
//! (a boolean, or a string oslo reads as one) and `description`.

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::api::api_fault::ApiFault;
use crate::api::compute_api_create::InstanceDetails;

/// Nova's `MAX_USERDATA_SIZE`.
pub const MAX_USER_DATA: usize = 65535;
/// Nova's default `[quota] metadata_items`.
pub const MAX_METADATA_ITEMS: usize = 128;

fn invalid(field: &str, value: &Value, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {why}"
    ))
}

/// `metadata` as Nova validates it.
pub fn metadata(value: Option<&Value>) -> Result<Map<String, Value>, ApiFault> {
    let map = metadata_items("metadata", value)?;
    metadata_quota(map.len())?;
    Ok(map)
}

/// 403 when `count` items exceed Nova's `metadata_items` quota.
pub fn metadata_quota(count: usize) -> Result<(), ApiFault> {
    if count > MAX_METADATA_ITEMS {
        return Err(ApiFault::forbidden(format!(
            "Quota exceeded for metadata_items: Maximum number of metadata items exceeds {MAX_METADATA_ITEMS}"
        )));
    }
    Ok(())
}

/// The body field `field` as Nova's `parameter_types.metadata` schema reads it (the quota
/// is the caller's: the metadata API counts the merged items).
pub fn metadata_items(field: &str, value: Option<&Value>) -> Result<Map<String, Value>, ApiFault> {
    let map = match value {
        None | Some(Value::Null) => return Ok(Map::new()),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(invalid(
                field,
                other,
                &format!("{other} is not of type 'object'"),
            ))
        }
    };
    for (key, item) in map {
        let key_ok = (1..=255).contains(&key.chars().count())
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_:. ".contains(c));
        if !key_ok {
            return Err(ApiFault::bad_request(format!(
                "Invalid input for field/attribute {field}. Value: {}. Additional properties are not allowed ('{key}' was unexpected)",
                Value::Object(map.clone())
            )));
        }
        match item {
            Value::String(text) if text.chars().count() <= 255 => {}
            Value::String(text) => {
                return Err(invalid(
                    &format!("{field}.{key}"),
                    item,
                    &format!("'{text}' is too long"),
                ))
            }
            other => {
                return Err(invalid(
                    &format!("{field}.{key}"),
                    other,
                    &format!("{other} is not of type 'string'"),
                ))
            }
        }
    }
    Ok(map.clone())
}

/// `user_data`: base64 text of at most [`MAX_USER_DATA`] characters.
pub fn user_data(value: Option<&Value>) -> Result<Option<String>, ApiFault> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.len() > MAX_USER_DATA => Err(ApiFault::bad_request(format!(
            "User data too large. User data must be no larger than {MAX_USER_DATA} bytes once base64 encoded. Your data is {} bytes",
            text.len()
        ))),
        Some(Value::String(text)) => {
            // Nova's base64 format check (base64.decodebytes): whitespace is ignored.
            let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map_err(|_| {
                    invalid("user_data", &Value::String(text.clone()), &format!("'{text}' is not a 'base64'"))
                })?;
            Ok(Some(text.clone()))
        }
        Some(other) => Err(invalid("user_data", other, &format!("{other} is not of type 'string'"))),
    }
}

/// `config_drive`: JSON booleans and the strings oslo's `bool_from_string` knows.
pub fn config_drive(value: Option<&Value>) -> Result<bool, ApiFault> {
    match value {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "" | "false" | "0" | "f" | "no" | "n" | "off" => Ok(false),
            "true" | "1" | "t" | "yes" | "y" | "on" => Ok(true),
            _ => Err(invalid(
                "config_drive",
                &Value::String(s.clone()),
                &format!("'{s}' is not one of the boolean values"),
            )),
        },
        Some(other) => Err(invalid(
            "config_drive",
            other,
            &format!("{other} is not of type 'boolean', 'string'"),
        )),
    }
}

/// `accessIPv4` / `accessIPv6` (`parameter_types.accessIPv4/6`: a string of that address
/// family), kept in its canonical form; absent, null or `""` is none.
pub fn access_ip(
    server: &Map<String, Value>,
    field: &str,
    family: u8,
) -> Result<Option<String>, ApiFault> {
    let value = match server.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) if text.is_empty() => return Ok(None),
        Some(value) => value,
    };
    let parsed = value.as_str().and_then(|text| match family {
        4 => text
            .parse::<std::net::Ipv4Addr>()
            .ok()
            .map(|a| a.to_string()),
        _ => text
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|a| a.to_string()),
    });
    parsed
        .map(Some)
        .ok_or_else(|| invalid(field, value, &format!("{value} is not a 'ipv{family}'")))
}

/// `OS-DCF:diskConfig`: `AUTO` (true) or `MANUAL` (false); absent is none.
pub fn disk_config(value: Option<&Value>) -> Result<Option<bool>, ApiFault> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text == "AUTO" => Ok(Some(true)),
        Some(Value::String(text)) if text == "MANUAL" => Ok(Some(false)),
        Some(other) => Err(invalid(
            "OS-DCF:diskConfig",
            other,
            &format!("{other} is not one of ['AUTO', 'MANUAL']"),
        )),
    }
}

/// Everything the instances carry from `server`; `description` and `hostname` were read by
/// the schema.
pub fn instance_details(
    server: &Map<String, Value>,
    description: Option<String>,
    hostname: Option<String>,
) -> Result<InstanceDetails, ApiFault> {
    Ok(InstanceDetails {
        description,
        hostname,
        metadata: metadata(server.get("metadata"))?,
        user_data: user_data(server.get("user_data"))?,
        config_drive: config_drive(server.get("config_drive"))?,
        access_ip_v4: access_ip(server, "accessIPv4", 4)?,
        access_ip_v6: access_ip(server, "accessIPv6", 6)?,
        auto_disk_config: disk_config(server.get("OS-DCF:diskConfig"))?,
        // create.rs sets the zone and a forced host from `availability_zone` (create_zone.rs).
        tags: Vec::new(),
        // Set from `networks` once the lab network is known (`create_networks.rs`).
        port: None,
        // The hints are the body's, not the server's: create.rs adds them (create_hints.rs).
        ..InstanceDetails::default()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn metadata_user_data_and_config_drive_are_read_as_nova_validates_them() {
        let read = metadata(Some(&json!({"role": "db", "a.b:c-d e_f": ""}))).expect("valid");
        assert_eq!(read.len(), 2);
        for bad in [
            json!({"bad/key": "v"}),
            json!({"k": 1}),
            json!({"k": "x".repeat(256)}),
            json!(["k"]),
            json!({"": "v"}),
        ] {
            assert!(metadata(Some(&bad)).is_err(), "{bad}");
        }
        let many: Map<String, Value> = (0..129).map(|i| (format!("k{i}"), json!("v"))).collect();
        let over = metadata(Some(&Value::Object(many))).expect_err("over the quota");
        assert!(
            over.to_string().contains("metadata items exceeds 128"),
            "{over}"
        );
        let data = user_data(Some(&json!("IyEvYmluL3NoCg=="))).expect("base64");
        assert_eq!(data.as_deref(), Some("IyEvYmluL3NoCg=="));
        assert!(user_data(Some(&json!("not base64!"))).is_err());
        let large = user_data(Some(&json!("A".repeat(65536)))).expect_err("too large");
        assert!(large.to_string().contains("User data too large"), "{large}");
        assert_eq!(config_drive(Some(&json!("True"))).ok(), Some(true));
        assert_eq!(config_drive(Some(&json!(false))).ok(), Some(false));
        assert!(config_drive(Some(&json!("maybe"))).is_err());
    }
}
