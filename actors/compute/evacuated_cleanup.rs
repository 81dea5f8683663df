//! The source's side of an evacuation (Nova: `ComputeManager._destroy_evacuated_instances`,
//! run by `init_host`): when the compute an instance was evacuated away from starts again,
//! it finds the evacuation records whose source it is (`accepted`, `pre-migrating` or
//! `done`), destroys the guests its hypervisor still has for them, and marks each record
//! `completed`. Its usage is not counted any more: the tracker counts the instances whose
//! `host` is this one, and the evacuated ones are the destination's.

use serde_json::{json, Map};

use super::conductor_objects::ObjectCallError;
use super::fake_driver::PowerState;
use super::flows::ComputeFlows;
use novactor::rpc::RequestContext;

/// The migration statuses of an evacuation the source has not cleaned up after.
const EVACUATIONS_TO_CLEAN: [&str; 3] = ["accepted", "pre-migrating", "done"];

impl ComputeFlows {
    /// Nova `_destroy_evacuated_instances`: the number of evacuation records completed.
    pub(super) async fn destroy_evacuated_instances(
        &self,
        ctx: &RequestContext,
    ) -> Result<usize, ObjectCallError> {
        let mut filters = Map::new();
        filters.insert("source_compute".into(), json!(self.host));
        filters.insert("status".into(), json!(EVACUATIONS_TO_CLEAN));
        filters.insert("migration_type".into(), json!("evacuation"));
        let evacuations = self.objects.migrations_by_filters(ctx, filters).await?;
        let mut completed = 0;
        for mut migration in evacuations {
            let Some(uuid) = migration.get("instance_uuid").as_str().map(str::to_owned) else {
                continue;
            };
            if self.driver.power_state(&uuid) != PowerState::NoState {
                tracing::info!(instance = %uuid, "Destroying instance as it has been evacuated from this host but still exists in the hypervisor");
                self.driver.destroy(&uuid);
            }
            migration.set("status", json!("completed"));
            match self.objects.migration_save(ctx, &mut migration).await {
                Ok(()) => completed += 1,
                Err(error) => {
                    tracing::warn!(instance = %uuid, %error, "could not mark the evacuation completed; the next start will");
                }
            }
        }
        Ok(completed)
    }
}
