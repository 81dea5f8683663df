//! `POST /servers/{id}/action` (Nova: the `@wsgi.action` methods of `servers.py`,
//! `pause_server.py`, `suspend_server.py`, `lock_server.py`, `rescue.py`,
//! `admin_actions.py`, `admin_password.py`, `console_output.py`, `deferred_delete.py`,
//! `servers.py` rebuild, createImage and resize, `shelve.py`, `create_backup.py`,
//! `evacuate.py`, `migrate_server.py` migrate): the body names exactly one action; this file
//! finds it and hands its value to the file of its group, which checks the value as Nova's
//! schema does, the policy, and calls the flow layer.
//!
//! ```text
//! power.rs          os-stop, os-start, reboot
//! pause_suspend.rs  pause, unpause, suspend, resume
//! lock.rs           lock, unlock
//! rescue.rs         rescue, unrescue
//! rebuild.rs        rebuild (its per-version fields and reply)
//! admin.rs          os-resetState, injectNetworkInfo, changePassword, trigger_crash_dump,
//!                   os-getConsoleOutput
//! image.rs          createImage, createBackup (their per-version replies)
//! evacuate.rs       evacuate (its per-version fields and reply)
//! resize.rs         resize, confirmResize, revertResize, migrate
//! deferred_delete.rs  restore, forceDelete
//! shelve.rs         shelve, shelveOffload, unshelve (its per-version body)
//! migrate_live.rs   os-migrateLive (its per-version body)
//! body.rs           the schema checks the action files share (Nova's 400 texts)
//! ```

mod admin;
mod body;
mod deferred_delete;
mod evacuate;
mod image;
mod lock;
mod migrate_live;
mod pause_suspend;
mod power;
mod rebuild;
mod rescue;
mod resize;
mod shelve;

use crate::api::api_fault::ApiFault;
use crate::api::api_state::ApiState;
use crate::api::auth::Ctx;
use crate::api::http::json_body;
use actix_web::{web, HttpResponse};

/// `POST /servers/{id}/action` → the action's reply (202, or 200 with a body for
/// `rescue` and `os-getConsoleOutput`).
pub async fn action(
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiFault> {
    let body = json_body(&body)?;
    let (name, value) = match body.iter().next() {
        Some((name, value)) if body.len() == 1 => (name.clone(), value.clone()),
        _ => {
            return Err(ApiFault::bad_request(
                "The action body must name exactly one action, e.g. {\"os-stop\": null}.",
            ))
        }
    };
    let id = id.into_inner();
    match name.as_str() {
        "os-stop" | "os-start" | "reboot" => power::act(ctx, &id, &name, &value, &state).await,
        "pause" | "unpause" | "suspend" | "resume" => {
            pause_suspend::act(ctx, &id, &name, &state).await
        }
        "lock" => lock::lock(ctx, &id, &value, &state).await,
        "unlock" => lock::unlock(ctx, &id, &state).await,
        "rescue" => rescue::rescue(ctx, &id, &value, &state).await,
        "unrescue" => rescue::unrescue(ctx, &id, &state).await,
        "os-resetState" => admin::reset_state(ctx, &id, &value, &state).await,
        "changePassword" => admin::change_password(ctx, &id, &value, &state).await,
        "trigger_crash_dump" => admin::trigger_crash_dump(ctx, &id, &state).await,
        "os-getConsoleOutput" => admin::console_output(ctx, &id, &value, &state).await,
        "restore" | "forceDelete" => deferred_delete::act(ctx, &id, &name, &state).await,
        "rebuild" => rebuild::rebuild(ctx, &id, &value, &state).await,
        "shelve" => shelve::shelve(ctx, &id, &state).await,
        "shelveOffload" => shelve::shelve_offload(ctx, &id, &state).await,
        "unshelve" => shelve::unshelve(ctx, &id, &value, &state).await,
        "createImage" => image::create_image(ctx, &id, &value, &state).await,
        "createBackup" => image::create_backup(ctx, &id, &value, &state).await,
        "injectNetworkInfo" => admin::inject_network_info(ctx, &id, &state).await,
        "evacuate" => evacuate::evacuate(ctx, &id, &value, &state).await,
        "resize" => resize::resize(ctx, &id, &value, &state).await,
        "migrate" => resize::migrate(ctx, &id, &value, &state).await,
        "confirmResize" | "revertResize" => resize::finish(ctx, &id, &name, &state).await,
        "os-migrateLive" => migrate_live::migrate_live(ctx, &id, &value, &state).await,
        other => Err(ApiFault::bad_request(format!(
            "There is no such action: {other}"
        ))),
    }
}
