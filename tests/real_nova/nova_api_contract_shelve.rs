//! The shelve actions in the contract test (`nova_api_contract.rs`, whose cloud keeps
//! shelved servers SHELVED: `shelved_offload_time` -1): `shelve` as the member, the server
//! read SHELVED, `shelveOffload` as the admin, the server read SHELVED_OFFLOADED (no host),
//! then `unshelve` with the body of the version — null, a 2.77 zone, a 2.91 host (admin).

use serde_json::{json, Value};

use super::{minor, Recorder, ADMIN, MEMBER};

/// Shelve, offload and unshelve `id` at `version`, reading the server at each stop.
pub(super) async fn shelve_cycle(rec: &mut Recorder<'_>, version: &str, id: &str) {
    let v = minor(version);
    let one = format!("/v2.1/servers/{id}");
    let action = format!("{one}/action");
    rec.send(
        MEMBER,
        version,
        "POST",
        &action,
        Some(json!({"shelve": null})),
    )
    .await;
    rec.cloud.wait_status(id, "SHELVED").await;
    rec.read(version, &one).await;
    rec.send(
        ADMIN,
        version,
        "POST",
        &action,
        Some(json!({"shelveOffload": null})),
    )
    .await;
    rec.cloud.wait_status(id, "SHELVED_OFFLOADED").await;
    rec.read(version, &one).await;
    let (who, body): (&'static str, Value) = if v >= 91 {
        (ADMIN, json!({"unshelve": {"host": rec.cloud.host.clone()}}))
    } else if v >= 77 {
        (MEMBER, json!({"unshelve": {"availability_zone": "nova"}}))
    } else {
        (MEMBER, json!({"unshelve": null}))
    };
    rec.send(who, version, "POST", &action, Some(body)).await;
    rec.cloud.wait_status(id, "ACTIVE").await;
}
