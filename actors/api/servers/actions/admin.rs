//! `os-resetState`, `injectNetworkInfo` (Nova: `admin_actions.py`), `changePassword` (`admin_password.py`),
//! `trigger_crash_dump` (`servers.py`, 2.17+), `os-getConsoleOutput`
//! (`console_output.py`), each with Nova's schema, policy and reply.

use actix_web::HttpResponse;
use serde_json::{json, Value};

use super::body::{invalid, object_members};
use super::pause_suspend::run_simple;
use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::compute_api_actions::{self, SimpleAction};
use crate::api::compute_api_local;
use crate::api::compute_api_snapshot;
use crate::api::policy::defaults as policy;
use crate::api::servers::lookup::visible;

/// `os-resetState` `{"state": "active" | "error"}` (admin) → 202.
pub(super) async fn reset_state(
    ctx: Ctx,
    id: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let map = object_members("os-resetState", value, &["state"])?;
    let vm_state = match map.get("state") {
        Some(Value::String(s)) if s == "active" || s == "error" => s.clone(),
        Some(other) => {
            return Err(invalid(
                "state",
                other,
                &format!("{other} is not one of ['active', 'error']"),
            ))
        }
        None => {
            return Err(invalid(
                "os-resetState",
                value,
                "'state' is a required property",
            ))
        }
    };
    let row = visible(&ctx, state, id, policy::ADMIN_ACTIONS_RESET_STATE).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            compute_api_local::reset_state(&b.deps, &rpc, &row.uuid, &vm_state)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// `injectNetworkInfo` (admin; its value is not looked at, as Nova's schema allows
/// anything) → 202 once cast.
pub(super) async fn inject_network_info(
    ctx: Ctx,
    id: &str,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let rule = policy::ADMIN_ACTIONS_INJECT_NETWORK_INFO;
    let row = visible(&ctx, state, id, rule).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            compute_api_snapshot::inject_network_info(&b.deps, &rpc, &row.uuid)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// `changePassword` `{"adminPass": <string>}` → 202 once the compute has set it.
pub(super) async fn change_password(
    ctx: Ctx,
    id: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let map = object_members("changePassword", value, &["adminPass"])?;
    let password = match map.get("adminPass") {
        Some(Value::String(password)) => password.clone(),
        Some(other) => {
            return Err(invalid(
                "adminPass",
                other,
                &format!("{other} is not of type 'string'"),
            ))
        }
        None => {
            return Err(invalid(
                "changePassword",
                value,
                "'adminPass' is a required property",
            ))
        }
    };
    let row = visible(&ctx, state, id, policy::ADMIN_PASSWORD).await?;
    let rpc = ctx.rpc_context();
    state
        .run(move |b| async move {
            compute_api_actions::set_admin_password(&b.deps, &rpc, &row.uuid, &password)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// `trigger_crash_dump` (2.17+; before, Nova has no such action at that version: 404).
pub(super) async fn trigger_crash_dump(
    ctx: Ctx,
    id: &str,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    if !ctx.version.at_least(17) {
        return Err(ApiFault::not_found("The resource could not be found."));
    }
    let rule = policy::SERVERS_TRIGGER_CRASH_DUMP;
    run_simple(ctx, id, SimpleAction::TriggerCrashDump, rule, state).await
}

/// The `length` of `os-getConsoleOutput`: an integer ≥ -1, its decimal text, or null.
fn console_length(value: &Value) -> Result<Option<Value>, ApiFault> {
    let map = object_members("os-getConsoleOutput", value, &["length"])?;
    match map.get("length") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(length) if length >= -1 => Ok(Some(json!(length))),
            Some(_) => Err(invalid(
                "length",
                &json!(n),
                &format!("{n} is less than the minimum of -1"),
            )),
            None => Err(invalid(
                "length",
                &json!(n),
                &format!("{n} is not of type 'integer', 'string', 'null'"),
            )),
        },
        Some(Value::String(text)) => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(Some(json!(text)))
            } else {
                Err(invalid(
                    "length",
                    &json!(text),
                    &format!("'{text}' does not match '^-?[0-9]+$'"),
                ))
            }
        }
        Some(other) => Err(invalid(
            "length",
            other,
            &format!("{other} is not of type 'integer', 'string', 'null'"),
        )),
    }
}

/// Nova strips what XML could not carry: `[\x00-\x08\x0B-\x1F]`.
fn printable(output: &str) -> String {
    output
        .chars()
        .filter(|c| !matches!(*c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}'))
        .collect()
}

/// `os-getConsoleOutput` `{"length": …}` → 200 `{"output": …}`.
pub(super) async fn console_output(
    ctx: Ctx,
    id: &str,
    value: &Value,
    state: &ApiState,
) -> Result<HttpResponse, ApiFault> {
    let length = console_length(value)?;
    let row = visible(&ctx, state, id, policy::CONSOLE_OUTPUT).await?;
    let rpc = ctx.rpc_context();
    let output = state
        .run(move |b| async move {
            compute_api_actions::get_console_output(&b.deps, &rpc, &row.uuid, length)
                .await
                .map_err(ApiFault::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "output": printable(&output) })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_lengths_are_read_as_novas_schema_reads_them() {
        let length = |v: Value| console_length(&json!({ "length": v }));
        assert_eq!(length(json!(3)).unwrap(), Some(json!(3)));
        assert_eq!(length(json!(-1)).unwrap(), Some(json!(-1)));
        assert_eq!(length(json!("-7")).unwrap(), Some(json!("-7")));
        assert_eq!(length(Value::Null).unwrap(), None);
        assert_eq!(console_length(&json!({})).unwrap(), None);
        for bad in [
            json!(-2),
            json!(1.5),
            json!("x"),
            json!(""),
            json!([1]),
            json!(true),
        ] {
            assert_eq!(
                length(bad.clone()).unwrap_err().status.as_u16(),
                400,
                "{bad}"
            );
        }
        assert!(console_length(&json!(null)).is_err());
        assert!(console_length(&json!({"length": 1, "x": 2})).is_err());
    }

    #[test]
    fn control_characters_are_stripped_but_newlines_and_tabs_kept() {
        assert_eq!(printable("a\u{0}b\tc\nd\u{1b}e"), "ab\tc\nde");
    }
}
