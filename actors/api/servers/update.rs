//! `PUT /servers/{id}` (Nova: `servers.py` `update`, `schemas/servers.py` `update*`,
//! policy `os_compute_api:servers:update`): a server's `name`, `description` (2.19+) and
//! `hostname` (2.90+; an FQDN from 2.94), answered with the detail view at the request's
//! microversion (before 2.75 without the attributes Nova's update response leaves out).
//! `accessIPv4`, `accessIPv6` and `OS-DCF:diskConfig` are stored as at create; 2.104's
//! `pinned_availability_zone` pins the server's request spec to its zone or unpins it, with
//! Nova's 409s.

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::create_details::{access_ip, disk_config};
use super::lookup::{extras, server_groups, visible};
use super::views::show_view;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::http::{json_body, ok};
use crate::api::microversion::ApiVersion;
use crate::api::policy::defaults as policy;
use crate::db::InstanceRow;

fn invalid(field: &str, value: &Value, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. {why}"
    ))
}

/// The `server` keys Nova's update schema allows at `version`.
fn allowed(version: ApiVersion, key: &str) -> bool {
    match key {
        "name" | "OS-DCF:diskConfig" | "accessIPv4" | "accessIPv6" => true,
        "description" => version.at_least(19),
        "hostname" => version.at_least(90),
        "pinned_availability_zone" => version.at_least(104),
        _ => false,
    }
}

fn text<'a>(field: &str, value: &'a Value) -> Result<&'a str, ApiFault> {
    value
        .as_str()
        .ok_or_else(|| invalid(field, value, &format!("{value} is not of type 'string'")))
}

/// `parameter_types.name`: printable, no outer whitespace, 1–255 characters.
pub(crate) fn name(value: &Value) -> Result<String, ApiFault> {
    let name = text("name", value)?;
    let printable = !name.chars().any(char::is_control);
    let trimmed = name.trim() == name;
    if !printable || !trimmed {
        return Err(ApiFault::bad_request(
            "An invalid 'name' value was provided. The name must be: printable characters. \
             Can not start or end with whitespace.",
        ));
    }
    match name.chars().count() {
        0 => Err(invalid("name", value, "'' should be non-empty")),
        n if n > 255 => Err(invalid("name", value, &format!("'{name}' is too long"))),
        _ => Ok(name.to_owned()),
    }
}

/// `parameter_types.description`: null, or printable text of at most 255 characters.
pub(crate) fn description(value: &Value) -> Result<Option<String>, ApiFault> {
    if value.is_null() {
        return Ok(None);
    }
    let Some(text) = value.as_str() else {
        return Err(invalid(
            "description",
            value,
            &format!("{value} is not of type 'string', 'null'"),
        ));
    };
    if text.chars().any(char::is_control) {
        return Err(invalid(
            "description",
            value,
            &format!("'{text}' does not match the printable characters pattern"),
        ));
    }
    if text.chars().count() > 255 {
        return Err(invalid(
            "description",
            value,
            &format!("'{text}' is too long"),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// `parameter_types.hostname` (2.90–2.93) or `fqdn` (2.94+).
pub(crate) fn hostname(version: ApiVersion, value: &Value) -> Result<String, ApiFault> {
    let host = text("hostname", value)?;
    let length = host.chars().count();
    let (pattern, ok, min, max) = if version.at_least(94) {
        (
            "^[a-zA-Z0-9-._]*$",
            host.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)),
            1,
            255,
        )
    } else {
        let bytes = host.as_bytes();
        let ends = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
        (
            "^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$",
            ends(bytes.first())
                && ends(bytes.last())
                && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            2,
            63,
        )
    };
    if !ok {
        return Err(invalid(
            "hostname",
            value,
            &format!("'{host}' does not match '{pattern}'"),
        ));
    }
    if length < min {
        let why = if min == 1 {
            "should be non-empty"
        } else {
            "is too short"
        };
        return Err(invalid("hostname", value, &format!("'{host}' {why}")));
    }
    if length > max {
        return Err(invalid("hostname", value, &format!("'{host}' is too long")));
    }
    Ok(host.to_owned())
}

/// The column changes a valid update body asks for.
pub fn changes(
    version: ApiVersion,
    body: &Map<String, Value>,
) -> Result<Map<String, Value>, ApiFault> {
    if let Some(extra) = body.keys().find(|k| k.as_str() != "server") {
        return Err(ApiFault::bad_request(format!(
            "Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    let server = match body.get("server") {
        Some(Value::Object(server)) => server,
        Some(other) => {
            return Err(invalid(
                "server",
                other,
                &format!("{other} is not of type 'object'"),
            ))
        }
        None => return Err(ApiFault::bad_request("'server' is a required property")),
    };
    if let Some(extra) = server.keys().find(|k| !allowed(version, k)) {
        return Err(ApiFault::bad_request(format!(
            "Invalid input for field/attribute server. Value: {}. Additional properties are not allowed ('{extra}' was unexpected)",
            Value::Object(server.clone())
        )));
    }
    let mut update = Map::new();
    for (key, value) in server {
        match key.as_str() {
            "name" => {
                update.insert("display_name".into(), json!(name(value)?));
            }
            "description" => {
                update.insert("display_description".into(), json!(description(value)?));
            }
            "hostname" => {
                update.insert("hostname".into(), json!(hostname(version, value)?));
            }
            "OS-DCF:diskConfig" => {
                update.insert("auto_disk_config".into(), json!(disk_config(Some(value))?));
            }
            "accessIPv4" => {
                update.insert("access_ip_v4".into(), json!(access_ip(server, key, 4)?));
            }
            "accessIPv6" => {
                update.insert("access_ip_v6".into(), json!(access_ip(server, key, 6)?));
            }
            // 2.104's `pinned_availability_zone`: read by `pinning`, kept in the request spec.
            _ => {}
        }
    }
    Ok(update)
}

/// 2.104's `pinned_availability_zone`: `None` when not asked, `Some(None)` to unpin,
/// `Some(Some(zone))` to pin.
fn pinning(
    version: ApiVersion,
    body: &Map<String, Value>,
) -> Result<Option<Option<String>>, ApiFault> {
    let asked = body
        .get("server")
        .and_then(|s| s.get("pinned_availability_zone"));
    match asked {
        Some(_) if !version.at_least(104) => Ok(None),
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(zone)) if !zone.is_empty() && zone.chars().count() <= 255 => {
            Ok(Some(Some(zone.clone())))
        }
        Some(other) => Err(invalid(
            "pinned_availability_zone",
            other,
            &format!("{other} is not valid under any of the given schemas"),
        )),
    }
}

/// Nova `servers.py` `update` at 2.104: unpinning clears the spec's zone; pinning is allowed
/// only to the zone the server is in, and a pinned server must be unpinned before another
/// zone is pinned (409s with Nova's texts).
async fn pin(
    state: &ApiState,
    row: &InstanceRow,
    requested: Option<String>,
) -> Result<(), ApiFault> {
    let uuid = row.uuid.clone();
    let zone = row.availability_zone.clone();
    state
        .run(move |b| async move {
            // A server the conductor has not placed in a zone is in the computes' zone.
            let instance_zone = zone.unwrap_or_else(|| b.deps.service_zones.compute.clone());
            let spec_row = b
                .deps
                .db
                .request_spec_get_by_instance_uuid(&uuid)
                .await
                .map_err(ApiFault::db)?;
            let mut spec = spec_row.spec_json().map_err(ApiFault::db)?;
            let data = spec
                .get_mut("nova_object.data")
                .and_then(Value::as_object_mut)
                .ok_or_else(|| {
                    ApiFault::internal("the request spec is no RequestSpec primitive")
                })?;
            let current = data
                .get("availability_zone")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let new = match (requested, current) {
                (None, None) => return Ok(()),
                (None, Some(_)) => Value::Null,
                (Some(zone), Some(current)) if zone == current => return Ok(()),
                (Some(_), Some(_)) => {
                    return Err(ApiFault::conflict(
                        "Cannot change pinned availability zone directly. Unpin first by \
                         setting pinned_availability_zone to null.",
                    ))
                }
                (Some(zone), None) if zone != instance_zone => {
                    return Err(ApiFault::conflict(format!(
                        "Server can only be pinned to its current availability zone \
                         '{instance_zone}', but '{zone}' was requested."
                    )))
                }
                (Some(zone), None) => json!(zone),
            };
            data.insert("availability_zone".into(), new);
            b.deps
                .db
                .request_spec_save(&uuid, &spec)
                .await
                .map(drop)
                .map_err(ApiFault::db)
        })
        .await
}

/// The keys Nova's update response shows only from 2.75 (`show_all_attributes`).
pub(crate) const FROM_2_75: &[&str] = &[
    "OS-EXT-AZ:availability_zone",
    "config_drive",
    "key_name",
    "OS-SRV-USG:launched_at",
    "OS-SRV-USG:terminated_at",
    "security_groups",
    "OS-EXT-STS:task_state",
    "OS-EXT-STS:vm_state",
    "OS-EXT-STS:power_state",
    "os-extended-volumes:volumes_attached",
    "host_status",
];

/// Nova's update and rebuild views before 2.75 show addresses unextended
/// (`extend_address=False`): no `OS-EXT-IPS:type`, no `OS-EXT-IPS-MAC:mac_addr`.
pub(crate) fn unextend_addresses(server: &mut Map<String, Value>) {
    if let Some(Value::Object(networks)) = server.get_mut("addresses") {
        for address in networks
            .values_mut()
            .filter_map(Value::as_array_mut)
            .flatten()
        {
            if let Some(address) = address.as_object_mut() {
                address.remove("OS-EXT-IPS:type");
                address.remove("OS-EXT-IPS-MAC:mac_addr");
            }
        }
    }
}

/// `PUT /servers/{id}` → 200 with the server.
pub async fn update(
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let body = json_body(&body)?;
    let values = changes(ctx.version, &body)?;
    let pinning = pinning(ctx.version, &body)?;
    let row = visible(&ctx, &state, &id, policy::SERVERS_UPDATE).await?;
    if let Some(requested) = pinning {
        pin(&state, &row, requested).await?;
    }
    let row = if values.is_empty() {
        row
    } else {
        state
            .run(move |b| async move {
                b.deps
                    .db
                    .instance_update_and_get(&row.uuid, &values, None, None)
                    .await
                    .map_err(|e| match e.nova_class() {
                        Some("InstanceNotFound") => {
                            ApiFault::not_found("Instance could not be found")
                        }
                        _ => ApiFault::db(e),
                    })
            })
            .await?
    };
    let mut extra = extras(&state, std::slice::from_ref(&row))
        .await?
        .pop()
        .unwrap_or_default();
    if ctx.version.at_least(71) {
        extra.server_groups = server_groups(&state, &row.uuid).await?;
    }
    let mut server = show_view(&ctx, &row, &extra);
    if !ctx.version.at_least(75) {
        if let Some(fields) = server.as_object_mut() {
            fields.retain(|key, _| {
                !FROM_2_75.contains(&key.as_str()) && !key.starts_with("OS-EXT-SRV-ATTR:")
            });
            unextend_addresses(fields);
        }
    }
    Ok(ok(json!({ "server": server })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(server: Value) -> Map<String, Value> {
        json!({ "server": server })
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn each_version_allows_its_fields() {
        let v2_1 = ApiVersion::new(2, 1);
        let v2_19 = ApiVersion::new(2, 19);
        let v2_90 = ApiVersion::new(2, 90);
        let v2_94 = ApiVersion::new(2, 94);
        let got = changes(v2_19, &body(json!({"name": "n", "description": null}))).unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"display_name": "n", "display_description": null})
        );
        let early = changes(v2_1, &body(json!({"description": "d"}))).unwrap_err();
        assert!(
            early.message.contains("('description' was unexpected)"),
            "{}",
            early.message
        );
        assert!(changes(v2_19, &body(json!({"hostname": "h1"}))).is_err());
        assert_eq!(
            changes(v2_90, &body(json!({"hostname": "web-1"}))).unwrap()["hostname"],
            "web-1"
        );
        let dotted = changes(v2_90, &body(json!({"hostname": "web.example"}))).unwrap_err();
        assert!(
            dotted.message.contains("does not match"),
            "{}",
            dotted.message
        );
        assert_eq!(
            changes(v2_94, &body(json!({"hostname": "web.example"}))).unwrap()["hostname"],
            "web.example"
        );
        let spaced = changes(v2_1, &body(json!({"name": " n"}))).unwrap_err();
        assert!(
            spaced.message.starts_with("An invalid 'name' value"),
            "{}",
            spaced.message
        );
        let ip = changes(
            v2_1,
            &body(json!({"accessIPv4": "10.0.0.1", "OS-DCF:diskConfig": "AUTO"})),
        );
        assert_eq!(
            Value::Object(ip.unwrap()),
            json!({"access_ip_v4": "10.0.0.1", "auto_disk_config": true})
        );
        let bad = changes(v2_1, &body(json!({"accessIPv6": "10.0.0.1"}))).unwrap_err();
        assert!(bad.message.contains("is not a 'ipv6'"), "{}", bad.message);
        assert!(changes(v2_1, &body(json!({"OS-DCF:diskConfig": "SOMETIMES"}))).is_err());
        let v2_104 = ApiVersion::new(2, 104);
        let unpin = body(json!({"pinned_availability_zone": null}));
        assert_eq!(pinning(v2_104, &unpin).unwrap(), Some(None));
        assert!(changes(ApiVersion::new(2, 103), &unpin).is_err());
        assert!(changes(v2_1, &json!({"srv": {}}).as_object().cloned().unwrap()).is_err());
    }
}
