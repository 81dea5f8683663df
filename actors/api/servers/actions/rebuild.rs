//! `rebuild` (Nova: `servers.py` `_action_rebuild`, `schemas/servers.py` `rebuild*`,
//! `rebuild_response*`): the body's fields per microversion — `imageRef` (required, an
//! image of the catalog), `name`, `metadata`, `adminPass`, `preserve_ephemeral`,
//! `OS-DCF:diskConfig`, `accessIPv4/6`, `personality` until 2.56 (`personality.rs`: the
//! files the rebuilt guest gets instead of the old ones), 2.19 `description`, 2.54
//! `key_name`, 2.57 `user_data`, 2.63 `trusted_image_certificates`, 2.90 `hostname`
//! (2.94 an FQDN) — and the 202 reply: the server as Nova's rebuild shows it at the
//! version, with `adminPass` (and 2.57's `user_data`).
//!
//! Refused with a 400 naming it, as create refuses it (D-API-7):
//! `trusted_image_certificates` other than null (no image signing).

use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use super::body::{invalid, object_members};
use super::rescue::generate_password;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_rebuild::{self, RebuildFields};
use crate::api::microversion::ApiVersion;
use crate::api::policy::defaults as policy;
use crate::api::servers::create_details::{access_ip, disk_config, metadata, user_data};
use crate::api::servers::create_key_and_host;
use crate::api::servers::lookup::{extras, server_groups, visible};
use crate::api::servers::personality::personality;
use crate::api::servers::update::{description, hostname, name, unextend_addresses, FROM_2_75};
use crate::api::servers::views::show_view;

/// The `rebuild` members Nova's schema allows at `version`.
fn allowed(version: ApiVersion) -> Vec<&'static str> {
    let mut keys = vec![
        "name",
        "imageRef",
        "adminPass",
        "metadata",
        "preserve_ephemeral",
        "OS-DCF:diskConfig",
        "accessIPv4",
        "accessIPv6",
    ];
    if !version.at_least(57) {
        keys.push("personality");
    }
    let since = [
        (19, "description"),
        (54, "key_name"),
        (57, "user_data"),
        (63, "trusted_image_certificates"),
        (90, "hostname"),
    ];
    keys.extend(
        since
            .iter()
            .filter(|(minor, _)| version.at_least(*minor))
            .map(|(_, key)| *key),
    );
    keys
}

/// `parameter_types.boolean`: a JSON boolean or one of its spellings.
pub(super) fn boolean(field: &str, value: &Value) -> Result<bool, ApiFault> {
    let spelled = |text: &str| match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "t" | "on" | "y" | "yes" => Some(true),
        "false" | "0" | "f" | "off" | "n" | "no" => Some(false),
        _ => None,
    };
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) => spelled(text),
        _ => None,
    }
    .ok_or_else(|| {
        invalid(
            field,
            value,
            &format!("{value} is not of type 'boolean', 'string'"),
        )
    })
}

fn refused(field: &str, value: &Value, why: &str) -> ApiFault {
    ApiFault::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {value}. novactor cannot honour \
         {field} yet: {why}"
    ))
}

/// A rebuild body as Nova's schema at `version` reads it.
pub(crate) fn parse(ctx: &Ctx, value: &Value, project: &str) -> Result<RebuildFields, ApiFault> {
    let version = ctx.version;
    let members = object_members("rebuild", value, &allowed(version))?;
    let image = match members.get("imageRef") {
        Some(Value::String(image)) if !image.is_empty() => {
            image.rsplit('/').next().unwrap_or(image).to_owned()
        }
        Some(other) => {
            return Err(invalid(
                "imageRef",
                other,
                &format!("{other} is not a valid image reference"),
            ))
        }
        None => {
            return Err(invalid(
                "rebuild",
                value,
                "'imageRef' is a required property",
            ))
        }
    };
    let password = match members.get("adminPass") {
        None => generate_password(),
        Some(Value::String(password)) => password.clone(),
        Some(other) => {
            return Err(invalid(
                "adminPass",
                other,
                &format!("{other} is not of type 'string'"),
            ))
        }
    };
    let preserve_ephemeral = match members.get("preserve_ephemeral") {
        None => false,
        Some(flag) => boolean("preserve_ephemeral", flag)?,
    };
    let mut columns = Map::new();
    let mut key_name = None;
    let mut injected_files = Vec::new();
    for (key, field) in members {
        match key.as_str() {
            "name" => {
                columns.insert("display_name".into(), json!(name(field)?));
            }
            "metadata" => {
                columns.insert("metadata".into(), Value::Object(metadata(Some(field))?));
            }
            "description" => {
                columns.insert("display_description".into(), json!(description(field)?));
            }
            "hostname" => {
                columns.insert("hostname".into(), json!(hostname(version, field)?));
            }
            "user_data" => {
                columns.insert("user_data".into(), json!(user_data(Some(field))?));
            }
            "OS-DCF:diskConfig" => {
                columns.insert("auto_disk_config".into(), json!(disk_config(Some(field))?));
            }
            "accessIPv4" => {
                columns.insert("access_ip_v4".into(), json!(access_ip(members, key, 4)?));
            }
            "accessIPv6" => {
                columns.insert("access_ip_v6".into(), json!(access_ip(members, key, 6)?));
            }
            "key_name" => match field {
                Value::Null => key_name = Some(None),
                Value::String(_) => {
                    let member = Map::from_iter([(key.clone(), field.clone())]);
                    key_name = Some(create_key_and_host::key_name(&member)?);
                }
                other => {
                    return Err(invalid(
                        "key_name",
                        other,
                        &format!("{other} is not of type 'string', 'null'"),
                    ))
                }
            },
            "trusted_image_certificates" => {
                ctx.authorize(policy::SERVERS_REBUILD_TRUSTED_CERTS, project)?;
                if !field.is_null() {
                    return Err(refused(key, field, "images are not signed or verified"));
                }
            }
            "personality" => injected_files = personality(field)?,
            // imageRef, adminPass, preserve_ephemeral: read above.
            _ => {}
        }
    }
    Ok(RebuildFields {
        image,
        password,
        preserve_ephemeral,
        columns,
        key_name,
        injected_files,
    })
}

/// `rebuild` on server `id` → 202 with the rebuilt server.
pub(super) async fn rebuild(
    ctx: Ctx,
    id: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    if !value.is_object() {
        object_members("rebuild", value, &[])?;
    }
    let row = visible(&ctx, state, id, policy::SERVERS_REBUILD).await?;
    let project = row.project_id.clone().unwrap_or_default();
    let fields = parse(&ctx, value, &project)?;
    let password = fields.password.clone();
    let rpc = ctx.rpc_context();
    let uuid = row.uuid.clone();
    let row = state
        .run(move |b| async move {
            compute_api_rebuild::rebuild(&b.deps, &rpc, &uuid, fields)
                .await
                .map_err(ApiFault::from)?;
            b.deps
                .db
                .instance_get_by_uuid(&uuid)
                .await
                .map_err(ApiFault::db)
        })
        .await?;
    let mut extra = extras(state, std::slice::from_ref(&row))
        .await?
        .pop()
        .unwrap_or_default();
    if ctx.version.at_least(71) {
        extra.server_groups = server_groups(state, &row.uuid).await?;
    }
    let mut server = show_view(&ctx, &row, &extra);
    if let Some(fields) = server.as_object_mut() {
        if !ctx.version.at_least(75) {
            let key_name_shown = ctx.version.at_least(54);
            fields.retain(|key, _| {
                (key == "key_name" && key_name_shown)
                    || (!FROM_2_75.contains(&key.as_str()) && !key.starts_with("OS-EXT-SRV-ATTR:"))
            });
            unextend_addresses(fields);
        }
        fields.insert("adminPass".into(), json!(password));
        if ctx.version.at_least(57) {
            fields.insert("user_data".into(), json!(row.user_data));
        }
    }
    Ok(HttpResponse::Accepted().json(json!({ "server": server })))
}
