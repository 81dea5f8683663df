//! The create body as Nova's schema reads it (`schemas/servers.py` `create` … `create_v294`,
//! plus the checks of `servers.py` `create`): which keys are allowed at which microversion,
//! which are required, and what a valid body asks for.

use serde_json::{Map, Value};

use crate::api::api_fault::ApiFault;
use crate::api::auth::Ctx;

/// Top-level keys `server` may hold at every version (`schemas/servers.py` `create`).
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
    "config_drive",
    "accessIPv4",
    "accessIPv6",
    "OS-DCF:diskConfig",
    "adminPass",
    "return_reservation_id",
];

/// Whether `server` may hold `key` at `ctx.version`: the keys later schemas add
/// (`description` 2.19, `tags` 2.52, `trusted_image_certificates` 2.63, `host` and
/// `hypervisor_hostname` 2.74, `hostname` 2.90) and the one 2.57 removes (`personality`).
fn allowed_at(ctx: &Ctx, key: &str) -> bool {
    let since = |minor| ctx.version.at_least(minor);
    match key {
        "description" => since(19),
        "tags" => since(52),
        "personality" => !since(57),
        "trusted_image_certificates" => since(63),
        "host" | "hypervisor_hostname" => since(74),
        "hostname" => since(90),
        other => CREATE_KEYS.contains(&other),
    }
}

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
    /// The description (2.19+; before, Nova describes a server by its name).
    pub description: Option<String>,
    /// The hostname asked for (2.90+), else none: derived from the name.
    pub hostname: Option<String>,
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
    if let Some(extra) = server.keys().find(|k| !allowed_at(ctx, k)) {
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
    let description = if ctx.version.at_least(19) {
        match server.get("description") {
            None | Some(Value::Null) => None,
            Some(Value::String(d)) if d.chars().count() <= 255 => Some(d.clone()),
            Some(v) => {
                return Err(invalid(
                    "description",
                    v,
                    &format!("{v} is not valid: at most 255 characters or null"),
                ))
            }
        }
    } else {
        // Nova `servers.py` `create`: before 2.19 the description is the name.
        Some(name.clone())
    };
    let hostname = hostname(ctx, server.get("hostname"))?;
    if hostname.is_some() && count > 1 {
        return Err(ApiFault::bad_request(
            "Unable to allocate a single hostname to multiple instances",
        ));
    }
    Ok(CreateRequest {
        name,
        flavor,
        image,
        count,
        description,
        hostname,
    })
}

/// `hostname` as Nova's schema reads it: an RFC 952 name of 2 to 63 characters at 2.90
/// (`parameter_types.hostname`), an FQDN of up to 255 from 2.94 (`parameter_types.fqdn`).
fn hostname(ctx: &Ctx, value: Option<&Value>) -> Result<Option<String>, ApiFault> {
    let Some(value) = value else {
        return Ok(None);
    };
    let Value::String(text) = value else {
        return Err(invalid(
            "hostname",
            value,
            &format!("{value} is not of type 'string'"),
        ));
    };
    let (valid, rule) = if ctx.version.at_least(94) {
        let ok = (1..=255).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        (ok, "'^[a-zA-Z0-9-._]*$', 1 to 255 characters")
    } else {
        let bytes = text.as_bytes();
        let edge = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
        let ok = (2..=63).contains(&bytes.len())
            && edge(bytes.first())
            && edge(bytes.last())
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-');
        (
            ok,
            "'^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$', 2 to 63 characters",
        )
    };
    if !valid {
        return Err(invalid(
            "hostname",
            value,
            &format!("'{text}' does not match {rule}"),
        ));
    }
    Ok(Some(text.clone()))
}
