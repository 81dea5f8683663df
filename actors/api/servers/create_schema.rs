//! The create body as Nova's schema reads it (`schemas/servers.py` `base_create` at
//! ≤ 2.53, plus the checks of `servers.py` `create`): which keys are allowed, which are
//! required at which microversion, and what a valid body asks for.

use serde_json::{Map, Value};

use crate::api::api_fault::ApiFault;
use crate::api::auth::Ctx;

/// Top-level keys `server` may hold (`schemas/servers.py` base_create at ≤ 2.53).
const CREATE_KEYS: &[&str] = &[
    "name",
    "imageRef",
    "flavorRef",
    "networks",
    "min_count",
    "max_count",
    "block_device_mapping_v2",
    "availability_zone",
    "metadata",
    "key_name",
    "user_data",
    "security_groups",
    "description",
    "tags",
    "config_drive",
    "accessIPv4",
    "accessIPv6",
    "OS-DCF:diskConfig",
    "adminPass",
    "return_reservation_id",
    "personality",
];

fn invalid(field: &str, value: &Value, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {why}"
    ))
}

/// What a valid create body asks for.
#[derive(Debug)]
pub struct CreateRequest {
    /// Display name (1 to 255 characters, no outer whitespace).
    pub name: String,
    /// The flavor id (`flavorRef`, an href read by its last segment).
    pub flavor: String,
    /// The image id (`imageRef`, or the boot-index-0 image of `block_device_mapping_v2`).
    pub image: String,
    /// How many instances (`max_count`, else `min_count`, else 1).
    pub count: u32,
    /// The description (2.19+).
    pub description: Option<String>,
}

fn count(server: &Map<String, Value>, key: &str) -> Result<Option<u32>, ApiFault> {
    match server.get(key) {
        None => Ok(None),
        Some(v) => {
            let n = v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
            match n.and_then(|n| u32::try_from(n).ok()).filter(|n| *n >= 1) {
                Some(n) => Ok(Some(n)),
                None => Err(invalid(
                    key,
                    v,
                    &format!("{v} is not a valid {key} (an integer of at least 1)"),
                )),
            }
        }
    }
}

/// Validates a create body as Nova's schema does, at `ctx.version`.
pub fn parse_create(ctx: &Ctx, body: &Map<String, Value>) -> Result<CreateRequest, ApiFault> {
    let server = match body.get("server") {
        Some(Value::Object(server)) => server,
        Some(other) => {
            return Err(invalid(
                "server",
                other,
                &format!("{other} is not of type 'object'"),
            ))
        }
        None => {
            return Err(ApiFault::bad_request(
                "Invalid input for field/attribute server. 'server' is a required property",
            ))
        }
    };
    if let Some(extra) = body.keys().find(|k| {
        !matches!(
            k.as_str(),
            "server" | "os:scheduler_hints" | "OS-SCH-HNT:scheduler_hints"
        )
    }) {
        return Err(ApiFault::bad_request(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    if let Some(extra) = server.keys().find(|k| !CREATE_KEYS.contains(&k.as_str())) {
        return Err(ApiFault::bad_request(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    let whole = Value::Object(server.clone());
    let required =
        |key: &str| invalid("server", &whole, &format!("'{key}' is a required property"));
    let name = match server.get("name") {
        None => return Err(required("name")),
        Some(Value::String(n))
            if !n.trim().is_empty() && n.chars().count() <= 255 && n.trim() == n =>
        {
            n.clone()
        }
        Some(v) => {
            return Err(invalid(
                "name",
                v,
                "the name must be 1 to 255 characters without leading or trailing whitespace",
            ))
        }
    };
    let flavor = match server.get("flavorRef") {
        None => return Err(required("flavorRef")),
        // A flavor href counts by its last segment, as Nova's `get_id_from_href` reads it
        // (found by tests/fuzz/api_bodies replaying an API-reference body).
        Some(Value::String(f)) if !f.is_empty() => f.rsplit('/').next().unwrap_or(f).to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(v) => {
            return Err(invalid(
                "flavorRef",
                v,
                "flavorRef must be a non-empty string or an integer",
            ))
        }
    };
    if ctx.version.at_least(37) {
        match server.get("networks") {
            None => return Err(required("networks")),
            Some(Value::String(s)) if s == "auto" || s == "none" => {}
            Some(Value::Array(list)) if list.iter().all(Value::is_object) => {}
            Some(v) => return Err(invalid("networks", v, &format!("{v} is not valid under any of the given schemas ('auto', 'none' or a list of networks)"))),
        }
    }
    let bdm_image = server
        .get("block_device_mapping_v2")
        .and_then(Value::as_array)
        .and_then(|bdms| {
            bdms.iter().find(|b| {
                b.get("boot_index").and_then(|i| {
                    i.as_i64()
                        .or_else(|| i.as_str().and_then(|s| s.parse().ok()))
                }) == Some(0)
                    && b.get("source_type").and_then(Value::as_str) == Some("image")
            })
        })
        .and_then(|b| b.get("uuid").and_then(Value::as_str))
        .map(str::to_owned);
    let image = match (server.get("imageRef"), bdm_image) {
        (Some(Value::String(i)), _) if !i.is_empty() => {
            i.rsplit('/').next().unwrap_or(i).to_owned()
        }
        (None | Some(Value::String(_)), Some(bdm)) => bdm,
        (None, None) | (Some(Value::String(_)), None) => {
            return Err(ApiFault::bad_request("Missing imageRef attribute"))
        }
        (Some(v), _) => {
            return Err(invalid(
                "imageRef",
                v,
                &format!("{v} is not of type 'string'"),
            ))
        }
    };
    let min = count(server, "min_count")?;
    let max = count(server, "max_count")?;
    let count = match (min, max) {
        (Some(min), Some(max)) if min > max => {
            return Err(ApiFault::bad_request("min_count must be <= max_count"))
        }
        (_, Some(max)) => max,
        (Some(min), None) => min,
        (None, None) => 1,
    };
    let description = match server.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) if ctx.version.at_least(19) && d.chars().count() <= 255 => {
            Some(d.clone())
        }
        Some(v) => {
            return Err(invalid(
                "description",
                v,
                "description needs version 2.19 or later and at most 255 characters",
            ))
        }
    };
    Ok(CreateRequest {
        name,
        flavor,
        image,
        count,
        description,
    })
}
