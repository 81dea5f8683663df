//! The create fields novactor cannot honour yet, refused with a 400 that names the field —
//! never accepted with a 202 and dropped (a client would believe its server has metadata,
//! a key pair or a volume it does not have). A field at its "nothing asked" value passes:
//! `metadata: {}`, `security_groups: [{"name": "default"}]`, `config_drive: false`, an image booted to local disk in `block_device_mapping_v2`, …
//! What is honoured: `name`, `imageRef`, `flavorRef`, `networks` (the lab network,
//! `create_networks.rs`),
//! `personality` before 2.57 (`personality.rs`; the compute's fake guest shows the files),
//! `min_count`/`max_count`, `description`, `metadata`, `user_data`, `config_drive`
//! `accessIPv4`/`accessIPv6`, `OS-DCF:diskConfig` (`create_details.rs`), `tags` (2.52+,
//! `tags.rs`), `adminPass`, `return_reservation_id`, `hostname`, the scheduler hints
//! `create_hints.rs` reads, `key_name`, 2.74 `host` / `hypervisor_hostname`
//! (`create_key_and_host.rs`), and `availability_zone` with an admin's forced host
//! (`create_zone.rs`).

use serde_json::{Map, Value};

use crate::api::api_fault::ApiFault;

fn refused(field: &str, value: &Value, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. novactor cannot honour \
         {field} yet: {why}"
    ))
}

/// Whether `value` asks for nothing: null, false, "", [] or {}.
fn asks_nothing(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// 400 for the first field of `server` novactor would have to drop (the scheduler hints
/// are `create_hints.rs`'s); `image` is the image the server boots from.
pub fn refuse_unhonoured(server: &Map<String, Value>, image: &str) -> Result<(), ApiFault> {
    let unsupported: &[(&str, &str)] = &[(
        "trusted_image_certificates",
        "images are not signed or verified",
    )];
    for (field, why) in unsupported {
        if let Some(value) = server.get(*field).filter(|v| !asks_nothing(v)) {
            // config_drive also comes as the strings "false" / "0".
            if *field == "config_drive"
                && value.as_str().is_some_and(|s| {
                    matches!(
                        s.to_ascii_lowercase().as_str(),
                        "false" | "0" | "no" | "off"
                    )
                })
            {
                continue;
            }
            return Err(refused(field, value, why));
        }
    }
    if let Some(groups) = server.get("security_groups").filter(|v| !asks_nothing(v)) {
        let only_default = groups.as_array().is_some_and(|list| {
            list.iter()
                .all(|g| g.get("name").and_then(Value::as_str) == Some("default"))
        });
        if !only_default {
            return Err(refused(
                "security_groups",
                groups,
                "there is no network service; only the group `default` exists",
            ));
        }
    }
    if let Some(bdms) = server
        .get("block_device_mapping_v2")
        .filter(|v| !asks_nothing(v))
    {
        let local_image = bdms.as_array().is_some_and(|list| {
            list.len() == 1
                && list.iter().all(|b| {
                    b.get("source_type").and_then(Value::as_str) == Some("image")
                        && b.get("destination_type")
                            .and_then(Value::as_str)
                            .is_none_or(|d| d == "local")
                        && b.get("uuid").and_then(Value::as_str) == Some(image)
                        && b.get("volume_size").is_none_or(Value::is_null)
                })
        });
        if !local_image {
            return Err(refused(
                "block_device_mapping_v2",
                bdms,
                "there is no volume service; only the image booted to local disk \
                 (source_type image, destination_type local, boot_index 0)",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::refuse_unhonoured;

    const IMAGE: &str = "70a599e0-31e7-49b7-b260-868f441e862b";

    fn check(server: serde_json::Value) -> Result<(), String> {
        refuse_unhonoured(server.as_object().expect("object"), IMAGE).map_err(|e| e.to_string())
    }

    #[test]
    fn nothing_asked_passes_and_every_unhonoured_field_is_named() {
        let nothing = json!({"key_name": null, "tags": [],
            "security_groups": [{"name": "default"}], "availability_zone": "nova",
            "networks": "auto", "OS-DCF:diskConfig": "MANUAL",
            "block_device_mapping_v2": [{"boot_index": 0, "uuid": IMAGE, "source_type": "image",
                "destination_type": "local"}]});
        assert_eq!(check(nothing), Ok(()));
        for (field, value) in [
            ("security_groups", json!([{"name": "web"}])),
            (
                "block_device_mapping_v2",
                json!([{"boot_index": 0, "source_type": "volume",
                "destination_type": "volume", "uuid": "v"}]),
            ),
        ] {
            let error = check(json!({ field: value })).expect_err(field);
            assert!(
                error.contains(&format!("field/attribute {field}.")),
                "{field}: {error}"
            );
        }
    }
}
