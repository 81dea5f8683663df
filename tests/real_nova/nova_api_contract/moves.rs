//! The contract test's resize, confirm, revert and cold migration steps.

use serde_json::json;

use super::{Recorder, ADMIN, MEMBER};

/// Resize (on the one host, `allow_resize_to_same_host`) confirmed, resize reverted, and
/// a cold migration (accepted; with one host it ends in no valid host, back to ACTIVE):
/// their empty answers against Nova's schemas.
pub(super) async fn moves(rec: &mut Recorder<'_>, version: &str, id: &str) {
    let action = format!("/v2.1/servers/{id}/action");
    for (who, body, status) in [
        (
            MEMBER,
            json!({"resize": {"flavorRef": "2"}}),
            "VERIFY_RESIZE",
        ),
        (MEMBER, json!({"confirmResize": null}), "ACTIVE"),
        (
            MEMBER,
            json!({"resize": {"flavorRef": "1"}}),
            "VERIFY_RESIZE",
        ),
        (MEMBER, json!({"revertResize": null}), "ACTIVE"),
        (ADMIN, json!({"migrate": null}), "ACTIVE"),
    ] {
        rec.send(who, version, "POST", &action, Some(body)).await;
        rec.cloud.wait_status(id, status).await;
    }
}
