//! Nova's `os-shelve` request samples (the shelve, shelveOffload and unshelve templates at
//! 2.1, 2.77 and 2.91), sent by `nova_api_samples.rs` to its booted server in a cloud whose
//! `shelved_offload_time` is -1 (a shelve stays SHELVED).

use std::path::Path;

use super::{fill, samples, send, Outcome};
use crate::cloud::Cloud;

/// Each unshelve sample after a shelve and, for those naming a zone or a host
/// (SHELVED_OFFLOADED only), the shelveOffload sample; the shelve samples taken in turn.
pub(super) async fn shelve_samples(
    cloud: &Cloud,
    root: &Path,
    id: &str,
    action_path: &str,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let shelves = samples(root, "os-shelve", |f| f == "os-shelve.json.tpl");
    let unshelves = samples(root, "os-shelve", |f| f.starts_with("os-unshelve"));
    assert!(
        shelves.len() >= 3 && unshelves.len() >= 9,
        "the shelve samples: {shelves:?} {unshelves:?}"
    );
    let shelve_subs = |action: &str| {
        vec![
            ("action", action.to_owned()),
            ("availability_zone", "nova".to_owned()),
            ("host", cloud.computes[0].clone()),
        ]
    };
    for (index, (sample, version)) in unshelves.into_iter().enumerate() {
        let (shelve, shelve_version) = &shelves[index % shelves.len()];
        let mut steps = vec![(shelve.clone(), shelve_version.clone(), "shelve", "SHELVED")];
        let template = std::fs::read_to_string(root.join(&sample)).expect("the sample");
        let body = fill(&template, &shelve_subs("unshelve"), &sample);
        if body["unshelve"].is_object() {
            steps.push((
                "os-shelve/os-shelve-offload.json.tpl".to_owned(),
                "2.1".to_owned(),
                "shelveOffload",
                "SHELVED_OFFLOADED",
            ));
        }
        steps.push((sample, version, "unshelve", "ACTIVE"));
        for (sample, version, action, after) in steps {
            let template = std::fs::read_to_string(root.join(&sample)).expect("the sample");
            let body = fill(&template, &shelve_subs(action), &sample);
            let (status, answer) = send(cloud, &version, "POST", action_path, &body).await;
            outcomes.push(Outcome {
                sample: format!("{sample} ({action})"),
                status,
                body: answer,
            });
            cloud.wait_status(id, after).await;
        }
    }
    outcomes
}
