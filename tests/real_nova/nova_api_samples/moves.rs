//! Nova's resize, confirm, revert and cold migration samples on the booted server.

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
    // Resize (one host: allow_resize_to_same_host), confirmed, then again and reverted;
    // cold migrations (Nova's fake never migrates to its own host: with one host they are
    // accepted, then end in no valid host, back to ACTIVE).
    for (sample, version, flavor, after) in [
        (
            "servers/server-action-resize.json.tpl",
            "2.1",
            "3",
            "VERIFY_RESIZE",
        ),
        (
            "servers/server-action-confirm-resize.json.tpl",
            "2.1",
            "",
            "ACTIVE",
        ),
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
            "ACTIVE",
        ),
        (
            "os-migrate-server/v2.56/migrate-server-null.json.tpl",
            "2.56",
            "",
            "ACTIVE",
        ),
    ] {
        let template = std::fs::read_to_string(root.join(sample)).expect("the sample");
        let mut subs = server_subs.clone();
        subs.push(("id", flavor.to_owned()));
        let body = fill(&template, &subs, sample);
        let (status, answer) = send(cloud, version, "POST", action_path, &body).await;
        outcomes.push(Outcome {
            sample: sample.to_owned(),
            status,
            body: answer,
        });
        cloud.wait_status(id, after).await;
    }
    // The 2.56 sample naming a host: the only host is the server's own, Nova's 400.
    let template =
        std::fs::read_to_string(root.join("os-migrate-server/v2.56/migrate-server.json.tpl"))
            .expect("the sample");
    let own_host = cloud.computes[0].clone();
    let body = fill(
        &template,
        &[("hostname", format!("\"{own_host}\""))],
        "migrate-server v2.56",
    );
    let (status, answer) = send(cloud, "2.56", "POST", action_path, &body).await;
    assert_eq!(
        (status, answer["badRequest"]["message"].as_str()),
        (
            400,
            Some("Cannot migrate to the host where the server exists.")
        ),
        "{answer}"
    );
    outcomes
}
