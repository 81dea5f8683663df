//! Nova's resize, confirm, revert and cold migration samples on the booted server, in a
//! cloud of two hosts.

use std::path::Path;

use super::{fill, send, Outcome};
use crate::cloud::Cloud;

/// The move samples sent to `action_path` of server `id`, each waited for; the outcomes.
pub(super) async fn moves(
    cloud: &Cloud,
    root: &Path,
    action_path: &str,
    id: &str,
    server_subs: Vec<(&'static str, String)>,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let confirm = "servers/server-action-confirm-resize.json.tpl";
    // Resizes, confirmed and reverted; cold migrations to the other host (two hosts:
    // Nova's fake never migrates to its own host), each confirmed.
    let migrated = [(confirm, "2.1", "", "ACTIVE")];
    let mut steps = vec![
        (
            "servers/server-action-resize.json.tpl",
            "2.1",
            "3",
            "VERIFY_RESIZE",
        ),
        (confirm, "2.1", "", "ACTIVE"),
        (
            "servers/server-action-resize.json.tpl",
            "2.1",
            "2",
            "VERIFY_RESIZE",
        ),
        (
            "servers/server-action-revert-resize.json.tpl",
            "2.1",
            "",
            "ACTIVE",
        ),
        (
            "os-migrate-server/migrate-server.json.tpl",
            "2.1",
            "",
            "VERIFY_RESIZE",
        ),
    ];
    steps.extend(migrated);
    steps.push((
        "os-migrate-server/v2.56/migrate-server-null.json.tpl",
        "2.56",
        "",
        "VERIFY_RESIZE",
    ));
    steps.extend(migrated);
    // The 2.56 sample naming a host: the host the server is not on.
    steps.push((
        "os-migrate-server/v2.56/migrate-server.json.tpl",
        "2.56",
        "",
        "VERIFY_RESIZE",
    ));
    steps.extend(migrated);
    for (sample, version, flavor, after) in steps {
        let template = std::fs::read_to_string(root.join(sample)).expect("the sample");
        let mut subs = server_subs.clone();
        subs.push(("id", flavor.to_owned()));
        let shown = cloud
            .admin("GET", &format!("/v2.1/servers/{id}"), None)
            .await;
        let here = shown.body["server"]["OS-EXT-SRV-ATTR:host"].clone();
        let other = cloud
            .computes
            .iter()
            .find(|host| here != **host)
            .expect("a second host");
        subs.push(("hostname", format!("\"{other}\"")));
        let body = fill(&template, &subs, sample);
        let (status, answer) = send(cloud, version, "POST", action_path, &body).await;
        outcomes.push(Outcome {
            sample: sample.to_owned(),
            status,
            body: answer,
        });
        let shown = cloud.wait_status(id, after).await;
        if sample.starts_with("os-migrate-server") {
            assert_eq!(
                shown["server"]["OS-EXT-SRV-ATTR:host"],
                serde_json::json!(other),
                "{sample}"
            );
        }
    }
    outcomes
}
