//! `os-migrateLive` (Nova: `migrate_server.py` `_migrate_live`, `schemas/migrate_server.py`
//! `migrate_live*`, policies `os-migrate-server:migrate_live` and `migrate_live:host`): the
//! body per microversion — 2.1 `host`, `block_migration`, `disk_over_commit` (all
//! required); 2.25 `block_migration` may be `"auto"`, no `disk_over_commit`; 2.30 `force`
//! (true needs a host); 2.68 no `force` — and the 202.
//!
//! Nova's API waits for the conductor's checks before 2.34 (a failed check is a 400 there);
//! novactor always casts, as Nova does from 2.34 (D-LIVE-MIGRATION).

use actix_web::HttpResponse;
use serde_json::{Map, Value};

use super::body::{invalid, object_members};
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_live_migrate::{self, LiveMigrateRequest};
use crate::api::microversion::ApiVersion;
use crate::api::policy::defaults as policy;
use crate::api::servers::lookup::visible;

/// `parameter_types.boolean`'s enum, as its 400 text lists it.
const BOOLEAN_ENUM: &str = "[True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', \
     'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']";

/// `parameter_types.boolean` (strict `bool_from_string` after it); with `auto` allowed,
/// `"auto"` is `None`.
fn boolean(field: &str, value: &Value, auto: bool) -> Result<Option<bool>, ApiFault> {
    let read = match value {
        Value::Bool(flag) => Some(Some(*flag)),
        Value::String(text) => match text.as_str() {
            "True" | "TRUE" | "true" | "1" | "ON" | "On" | "on" | "YES" | "Yes" | "yes" => {
                Some(Some(true))
            }
            "False" | "FALSE" | "false" | "0" | "OFF" | "Off" | "off" | "NO" | "No" | "no" => {
                Some(Some(false))
            }
            "auto" if auto => Some(None),
            _ => None,
        },
        _ => None,
    };
    read.ok_or_else(|| {
        let listed = if auto {
            BOOLEAN_ENUM.replace(", 'no']", ", 'no', 'auto']")
        } else {
            BOOLEAN_ENUM.to_owned()
        };
        invalid(field, value, &format!("{value} is not one of {listed}"))
    })
}

/// `host`: null or `parameter_types.fqdn` (1–255 of `[a-zA-Z0-9-._]`).
fn host(value: &Value) -> Result<Option<String>, ApiFault> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) if text.is_empty() => {
            Err(invalid("host", value, &format!("'{text}' is too short")))
        }
        Value::String(text) if text.chars().count() > 255 => {
            Err(invalid("host", value, &format!("'{text}' is too long")))
        }
        Value::String(text)
            if !text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')) =>
        {
            Err(invalid(
                "host",
                value,
                &format!("'{text}' does not match '^[a-zA-Z0-9-._]*$'"),
            ))
        }
        Value::String(text) => Ok(Some(text.clone())),
        other => Err(invalid(
            "host",
            other,
            &format!("{other} is not of type 'string', 'null'"),
        )),
    }
}

fn required<'a>(
    map: &'a Map<String, Value>,
    name: &str,
    whole: &Value,
) -> Result<&'a Value, ApiFault> {
    map.get(name).ok_or_else(|| {
        invalid(
            "os-migrateLive",
            whole,
            &format!("'{name}' is a required property"),
        )
    })
}

/// The body as Nova's schema and controller read it at `version`.
fn parse(version: ApiVersion, value: &Value) -> Result<LiveMigrateRequest, ApiFault> {
    let since_2_25 = version.at_least(25);
    let with_force = version.at_least(30) && !version.at_least(68);
    let mut allowed = vec!["block_migration", "host"];
    if !since_2_25 {
        allowed.push("disk_over_commit");
    }
    if with_force {
        allowed.push("force");
    }
    let map = object_members("os-migrateLive", value, &allowed)?;
    let block_value = required(map, "block_migration", value)?;
    let disk_value = if since_2_25 {
        None
    } else {
        Some(required(map, "disk_over_commit", value)?)
    };
    let host = host(required(map, "host", value)?)?;
    let block_migration = boolean("block_migration", block_value, since_2_25)?;
    let disk_over_commit = match disk_value {
        Some(disk) => boolean("disk_over_commit", disk, false)?,
        None => None,
    };
    let force = if version.at_least(30) {
        let force = match map.get("force") {
            Some(force) => boolean("force", force, false)?.unwrap_or(false),
            None => false,
        };
        if force && host.is_none() {
            return Err(ApiFault::bad_request(
                "Can't force to a non-provided destination",
            ));
        }
        Some(force)
    } else {
        None
    };
    Ok(LiveMigrateRequest {
        host,
        block_migration,
        disk_over_commit,
        force,
    })
}

/// `os-migrateLive` → 202.
pub(super) async fn migrate_live(
    ctx: Ctx,
    id: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let body = match value {
        Value::Object(_) => value,
        other => {
            return Err(invalid(
                "os-migrateLive",
                other,
                &format!("{other} is not of type 'object'"),
            ))
        }
    };
    let request = parse(ctx.version, body)?;
    let rule = if request.host.is_some() {
        policy::MIGRATE_SERVER_MIGRATE_LIVE_HOST
    } else {
        policy::MIGRATE_SERVER_MIGRATE_LIVE
    };
    let row = visible(&ctx, state, id, rule).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            compute_api_live_migrate::live_migrate(&b.deps, &rpc, &row.uuid, request)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(minor: u32) -> ApiVersion {
        ApiVersion::new(2, minor)
    }

    #[test]
    fn each_version_reads_the_body_its_schema_allows() {
        let old = json!({"host": null, "block_migration": "false", "disk_over_commit": false});
        let read = parse(at(1), &old).unwrap();
        assert_eq!(read.block_migration, Some(false));
        assert_eq!(read.disk_over_commit, Some(false));
        assert_eq!(read.force, None);
        assert!(
            parse(at(25), &old).is_err(),
            "no disk_over_commit from 2.25"
        );
        assert!(parse(at(1), &json!({"host": null, "block_migration": false})).is_err());
        let auto = json!({"host": "compute-2", "block_migration": "auto"});
        assert!(parse(at(24), &auto).is_err());
        let read = parse(at(25), &auto).unwrap();
        assert_eq!(read.block_migration, None);
        assert_eq!(read.host.as_deref(), Some("compute-2"));
        let forced = json!({"host": "h", "block_migration": "auto", "force": true});
        assert_eq!(parse(at(30), &forced).unwrap().force, Some(true));
        assert_eq!(parse(at(67), &auto).unwrap().force, Some(false));
        assert!(parse(at(68), &forced).is_err(), "no force from 2.68");
        assert_eq!(parse(at(68), &auto).unwrap().force, Some(false));
        let unforceable = json!({"host": null, "block_migration": "auto", "force": true});
        let fault = parse(at(30), &unforceable).unwrap_err();
        assert_eq!(fault.status.as_u16(), 400);
        for bad in [json!("maybe"), json!(1), json!(null)] {
            let body = json!({"host": null, "block_migration": bad});
            assert!(parse(at(25), &body).is_err(), "{body}");
        }
        assert!(parse(at(25), &json!({"host": "a b", "block_migration": true})).is_err());
        assert!(parse(at(25), &json!({"host": "", "block_migration": true})).is_err());
    }
}
