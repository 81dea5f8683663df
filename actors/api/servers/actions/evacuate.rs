//! `evacuate` (Nova: `evacuate.py` `_evacuate`, `schemas/evacuate.py`): the body per
//! microversion — 2.1 `host`, `onSharedStorage` (required), `adminPass`; 2.14 without
//! `onSharedStorage`; 2.29 `force`; 2.68 without `force`; 2.95 the same body, the server
//! ending stopped — Nova's 400s (`force` without a host, a password on shared storage,
//! the same host), its 404 for an unknown host, and the 200 reply: `{"adminPass": …}`
//! before 2.14 (`[api] enable_instance_password` is always on in novactor), no body after.

use actix_web::HttpResponse;
use serde_json::{json, Value};

use super::body::{invalid, object_members};
use super::rebuild::boolean;
use super::rescue::generate_password;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_evacuate::{self, EvacuateFields};
use crate::api::microversion::ApiVersion;
use crate::api::policy::defaults as policy;
use crate::api::servers::lookup::visible;

/// The `evacuate` members Nova's schema allows at `version`.
fn allowed(version: ApiVersion) -> &'static [&'static str] {
    if !version.at_least(14) {
        &["host", "onSharedStorage", "adminPass"]
    } else if version.at_least(29) && !version.at_least(68) {
        &["host", "adminPass", "force"]
    } else {
        &["host", "adminPass"]
    }
}

/// `parameter_types.fqdn`: a string of 1 to 255 of `[a-zA-Z0-9-._]`.
fn fqdn(field: &str, value: &Value) -> Result<String, ApiFault> {
    let Value::String(host) = value else {
        return Err(invalid(
            field,
            value,
            &format!("{value} is not of type 'string'"),
        ));
    };
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        return Err(invalid(
            field,
            value,
            &format!("'{host}' does not match '^[a-zA-Z0-9-._]*$'"),
        ));
    }
    match host.chars().count() {
        0 => Err(invalid(
            field,
            value,
            &format!("'{host}' should be non-empty"),
        )),
        256.. => Err(invalid(field, value, &format!("'{host}' is too long"))),
        _ => Ok(host.clone()),
    }
}

/// An evacuate body as Nova's schema and controller at `version` read it.
pub(crate) fn parse(version: ApiVersion, value: &Value) -> Result<EvacuateFields, ApiFault> {
    let members = object_members("evacuate", value, allowed(version))?;
    let host = members.get("host").map(|h| fqdn("host", h)).transpose()?;
    let password = match members.get("adminPass") {
        None => None,
        Some(Value::String(password)) => Some(password.clone()),
        Some(other) => {
            return Err(invalid(
                "adminPass",
                other,
                &format!("{other} is not of type 'string'"),
            ))
        }
    };
    let on_shared_storage = if version.at_least(14) {
        None
    } else {
        match members.get("onSharedStorage") {
            Some(flag) => Some(boolean("onSharedStorage", flag)?),
            None => {
                return Err(invalid(
                    "evacuate",
                    value,
                    "'onSharedStorage' is a required property",
                ))
            }
        }
    };
    let force = if version.at_least(29) {
        let force = match members.get("force") {
            Some(flag) => boolean("force", flag)?,
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
    let password = match (password, on_shared_storage) {
        (Some(_), Some(true)) => {
            return Err(ApiFault::bad_request(
                "admin password can't be changed on existing disk",
            ))
        }
        (Some(password), _) => Some(password),
        (None, Some(true)) => None,
        (None, _) => Some(generate_password()),
    };
    Ok(EvacuateFields {
        host,
        on_shared_storage,
        password,
        force,
        target_state: version.at_least(95).then(|| "stopped".to_owned()),
    })
}

/// `evacuate` on server `id` → 200 (with `adminPass` before 2.14).
pub(super) async fn evacuate(
    ctx: Ctx,
    id: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let fields = parse(ctx.version, value)?;
    let row = visible(&ctx, state, id, policy::EVACUATE).await?;
    if let Some(host) = fields.host.clone() {
        let known = state
            .run(move |b| async move {
                b.deps
                    .db
                    .service_get_by_host_and_binary(&host, "nova-compute")
                    .await
                    .map_err(ApiFault::db)
            })
            .await?;
        let host = fields.host.as_deref().unwrap_or_default();
        if known.is_none() {
            return Err(ApiFault::not_found(format!(
                "Compute host {host} not found."
            )));
        }
        if row.host.as_deref() == Some(host) {
            return Err(ApiFault::bad_request(
                "The target host can't be the same one.",
            ));
        }
    }
    let password = fields.password.clone();
    let rpc = ctx.rpc_context();
    let uuid = row.uuid.clone();
    state
        .run(move |b| async move {
            compute_api_evacuate::evacuate(&b.deps, &rpc, &uuid, fields)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    if ctx.version.at_least(14) {
        Ok(HttpResponse::Ok().finish())
    } else {
        Ok(HttpResponse::Ok().json(json!({ "adminPass": password })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minor: u32, body: Value) -> Result<EvacuateFields, String> {
        parse(ApiVersion::new(2, minor), &body).map_err(|fault| fault.to_string())
    }

    #[test]
    fn each_microversion_reads_its_own_body() {
        let old = at(
            1,
            json!({"host": "h2", "onSharedStorage": "False", "adminPass": "p"}),
        )
        .unwrap();
        assert_eq!(
            (
                old.host.as_deref(),
                old.on_shared_storage,
                old.password.as_deref(),
                old.force
            ),
            (Some("h2"), Some(false), Some("p"), None)
        );
        let shared = at(13, json!({"onSharedStorage": true})).unwrap();
        assert_eq!(
            shared.password, None,
            "no password for a disk kept as it is"
        );
        assert!(at(13, json!({}))
            .unwrap_err()
            .contains("'onSharedStorage' is a required"));
        assert!(at(14, json!({"onSharedStorage": false}))
            .unwrap_err()
            .contains("'onSharedStorage' was unexpected"));
        let generated = at(14, json!({})).unwrap();
        assert!(generated.password.is_some_and(|p| !p.is_empty()));
        assert_eq!(at(29, json!({"host": "h2"})).unwrap().force, Some(false));
        assert_eq!(
            at(29, json!({"host": "h2", "force": "yes"})).unwrap().force,
            Some(true)
        );
        assert!(at(29, json!({"force": true}))
            .unwrap_err()
            .contains("Can't force to a non-provided destination"));
        assert!(at(68, json!({"force": false}))
            .unwrap_err()
            .contains("'force' was unexpected"));
        assert_eq!(at(94, json!({})).unwrap().target_state, None);
        assert_eq!(
            at(95, json!({})).unwrap().target_state.as_deref(),
            Some("stopped")
        );
        assert!(at(95, json!({"host": "bad host"}))
            .unwrap_err()
            .contains("does not match"));
        assert!(at(95, json!({"host": ""}))
            .unwrap_err()
            .contains("non-empty"));
    }
}
