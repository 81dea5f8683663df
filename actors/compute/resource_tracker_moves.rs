//! The resource tracker's part in resizes and cold migrations (Nova:
//! `resource_tracker.py` `resize_claim`, `_update_usage_from_migrations`,
//! `drop_move_claim_at_source` / `_at_dest`): usage held for a move into this node (the new
//! flavor, from `prep_resize` until a revert) or out of it (the old flavor, once the
//! instance has left, until the confirm), recomputed at every audit from the moves in
//! progress, as Nova's tracker does. Dropping a claim is a new audit after the migration's
//! status changed.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::conductor_objects::ObjectCallError;
use super::fake_driver::{guest_size, GuestSize};
use super::instance_states::task_states;
use super::resource_tracker::{ClaimError, ResourceTracker};
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

/// The migration types this tracker holds usage for (live migrations and evacuations
/// are other flows').
const TRACKED_MOVES: [&str; 2] = ["resize", "migration"];

/// One move in progress into or out of this node.
#[derive(Debug, Clone)]
struct MoveSeen {
    uuid: String,
    incoming: bool,
    outbound: bool,
    /// The instance already carries the new flavor (`finish_resize` ran).
    on_new_flavor: bool,
    old: GuestSize,
    new: GuestSize,
}

/// What an audit learns from the moves in progress.
#[derive(Debug, Default)]
pub(super) struct MovesSeen {
    moves: Vec<MoveSeen>,
    /// Instances still placed here, reverting, whose move is over here: the destination
    /// gave their usage back (`drop_move_claim_at_dest`) before the source takes them.
    pub(super) reverted_here: HashSet<String>,
}

impl MovesSeen {
    /// The usage held per instance, given the instances counted as placed here (Nova
    /// `_update_usage_from_migration`: same node → the flavor not in use; incoming and not
    /// here yet → the new one; outbound and gone → the old one, for a revert).
    pub(super) fn held(&self, tracked: &HashMap<String, GuestSize>) -> HashMap<String, GuestSize> {
        let mut held = HashMap::new();
        for seen in &self.moves {
            let here = tracked.contains_key(&seen.uuid);
            let size = match (seen.incoming, seen.outbound) {
                (true, true) if seen.on_new_flavor => seen.old,
                (true, true) => seen.new,
                (true, false) if !here => seen.new,
                (false, true) if !here => seen.old,
                _ => continue,
            };
            held.insert(seen.uuid.clone(), size);
        }
        held
    }
}

/// The size of a `Flavor` primitive (or a null one: nothing).
fn flavor_size(flavor: &Value) -> Option<GuestSize> {
    if flavor.is_null() {
        return None;
    }
    let mut fields = Map::new();
    fields.insert("flavor".into(), flavor.clone());
    Some(guest_size(&fields))
}

impl ResourceTracker {
    /// The moves in progress on this node and the instances' flavors.
    pub(super) async fn moves_of(
        &self,
        ctx: &RequestContext,
        instances: &[NovaObject],
    ) -> Result<MovesSeen, ObjectCallError> {
        let migrations = self
            .objects
            .migrations_in_progress(ctx, &self.host, &self.nodename)
            .await?;
        let moving: HashSet<&str> = migrations
            .iter()
            .filter_map(|m| m.get("instance_uuid").as_str())
            .collect();
        let reverted_here = instances
            .iter()
            .filter(|i| i.get("task_state").as_str() == Some(task_states::RESIZE_REVERTING))
            .filter_map(|i| i.get("uuid").as_str())
            .filter(|uuid| !moving.contains(uuid))
            .map(str::to_owned)
            .collect();
        let mut seen = MovesSeen {
            moves: Vec::new(),
            reverted_here,
        };
        for migration in &migrations {
            let kind = migration.get("migration_type").as_str().unwrap_or("");
            let Some(uuid) = migration.get("instance_uuid").as_str() else {
                continue;
            };
            if !TRACKED_MOVES.contains(&kind) {
                continue;
            }
            let instance = match self.objects.instance_for_move(ctx, uuid).await {
                Ok(instance) => instance,
                Err(ObjectCallError::InstanceNotFound(_)) => continue,
                Err(other) => return Err(other),
            };
            let on = |host_field: &str, node_field: &str| {
                migration.get(host_field).as_str() == Some(self.host.as_str())
                    && migration.get(node_field).as_str() == Some(self.nodename.as_str())
            };
            let current = flavor_size(instance.get("flavor")).unwrap_or_default();
            let old = flavor_size(instance.get("old_flavor")).unwrap_or(current);
            let new = flavor_size(instance.get("new_flavor")).unwrap_or(current);
            seen.moves.push(MoveSeen {
                uuid: uuid.to_owned(),
                incoming: on("dest_compute", "dest_node"),
                outbound: on("source_compute", "source_node"),
                on_new_flavor: instance.get("instance_type_id")
                    != migration.get("old_instance_type_id"),
                old,
                new,
            });
        }
        Ok(seen)
    }

    /// Nova `resize_claim`: re-check the scheduler's limits for `size` (unless the move
    /// already holds usage here) and hold it for `uuid`; the node's id (the migration's
    /// `dest_compute_id`) is returned.
    pub async fn resize_claim(
        &self,
        ctx: &RequestContext,
        uuid: &str,
        size: GuestSize,
        limits: &Map<String, Value>,
    ) -> Result<Option<i64>, ClaimError> {
        let mut state = self.state.lock().await;
        if state.node.is_none() {
            self.audit(ctx, &mut state).await?;
        }
        let node = state.node.as_ref().and_then(|kept| kept.load().ok());
        let node = node.ok_or_else(|| {
            ObjectCallError::ComputeHostNotFound(format!(
                "Compute host {}/{} could not be found.",
                self.host, self.nodename
            ))
        })?;
        if !state.moves.contains_key(uuid) {
            self.test_claim(&node, limits, size)?;
        }
        state.moves.insert(uuid.to_owned(), size);
        self.save_usage(ctx, &mut state).await;
        Ok(node.get("id").as_i64())
    }

    /// The node's database id, once audited.
    pub async fn node_id(&self) -> Option<i64> {
        let state = self.state.lock().await;
        state
            .node
            .as_ref()
            .and_then(|kept| kept.load().ok())
            .and_then(|node| node.get("id").as_i64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(memory_mb: i64) -> GuestSize {
        GuestSize {
            vcpus: 1,
            memory_mb,
            disk_gb: 1,
        }
    }

    fn seen(incoming: bool, outbound: bool, on_new_flavor: bool) -> MovesSeen {
        MovesSeen {
            moves: vec![MoveSeen {
                uuid: "u".into(),
                incoming,
                outbound,
                on_new_flavor,
                old: size(512),
                new: size(2048),
            }],
            reverted_here: HashSet::new(),
        }
    }

    #[test]
    fn a_move_holds_the_flavor_not_counted_by_the_instance_itself() {
        let none = HashMap::new();
        let mut here = HashMap::new();
        here.insert("u".to_owned(), size(512));
        // Destination before the instance arrives: the new flavor.
        assert_eq!(seen(true, false, false).held(&none)["u"].memory_mb, 2048);
        // Destination once it is placed here: the instance counts itself.
        assert!(seen(true, false, true).held(&here).is_empty());
        // Source once it left: the old flavor, for a revert.
        assert_eq!(seen(false, true, true).held(&none)["u"].memory_mb, 512);
        // Source while it is still here: nothing extra.
        assert!(seen(false, true, false).held(&here).is_empty());
        // One node: the flavor the instance does not use.
        assert_eq!(seen(true, true, false).held(&here)["u"].memory_mb, 2048);
        assert_eq!(seen(true, true, true).held(&here)["u"].memory_mb, 512);
    }
}
