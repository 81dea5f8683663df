//! The object calls of the resize and cold migration flows, through the conductor as
//! the others (`conductor_objects.rs`): `Instance.get_by_uuid` with the flavors,
//! `Migration.save`, `MigrationList.get_in_progress_by_host_and_node` and `get_by_filters`,
//! `InstanceAction.action_start`.

use serde_json::{json, Map};

use super::conductor_objects::{objects_of, one_object, ConductorObjects, ObjectCallError};
use crate::objects::NovaObject;
use novactor::rpc::RequestContext;

/// What the move flows read an instance with: its flavors (current, old, new) and
/// system metadata (`old_vm_state`).
const MOVE_ATTRS: [&str; 4] = ["flavor", "old_flavor", "new_flavor", "system_metadata"];

impl ConductorObjects {
    /// `Instance.get_by_uuid(uuid, expected_attrs=[flavor, old_flavor, new_flavor,
    /// system_metadata])`: the instance as stored, with what a move changes.
    pub async fn instance_for_move(
        &self,
        ctx: &RequestContext,
        uuid: &str,
    ) -> Result<NovaObject, ObjectCallError> {
        let mut kwargs = Map::new();
        kwargs.insert("expected_attrs".into(), json!(MOVE_ATTRS));
        let reply = self
            .conductor
            .object_class_action_versions(ctx, "Instance", "get_by_uuid", vec![json!(uuid)], kwargs)
            .await?;
        one_object("Instance.get_by_uuid", &reply)
    }

    /// `MigrationList.get_in_progress_by_host_and_node(host, node)`: the moves into or
    /// out of this node not yet over.
    pub async fn migrations_in_progress(
        &self,
        ctx: &RequestContext,
        host: &str,
        node: &str,
    ) -> Result<Vec<NovaObject>, ObjectCallError> {
        const CALL: &str = "MigrationList.get_in_progress_by_host_and_node";
        let reply = self
            .conductor
            .object_class_action_versions(
                ctx,
                "MigrationList",
                "get_in_progress_by_host_and_node",
                vec![json!(host), json!(node)],
                Map::new(),
            )
            .await?;
        objects_of(CALL, &reply)
    }

    /// `MigrationList.get_by_filters({"status": "finished", "host": host})`: the resized
    /// servers waiting for a confirm that involve this host (Nova's
    /// `get_unconfirmed_by_dest_compute` narrows them further; the caller does).
    pub async fn migrations_finished_on(
        &self,
        ctx: &RequestContext,
        host: &str,
    ) -> Result<Vec<NovaObject>, ObjectCallError> {
        let mut filters = Map::new();
        filters.insert("status".into(), json!("finished"));
        filters.insert("host".into(), json!(host));
        self.migrations_by_filters(ctx, filters).await
    }

    /// `InstanceAction.action_start(instance_uuid, action_name, want_result=False)`: the
    /// action of the context's request.
    pub async fn action_start(
        &self,
        ctx: &RequestContext,
        instance_uuid: &str,
        action: &str,
    ) -> Result<(), ObjectCallError> {
        let mut kwargs = Map::new();
        kwargs.insert("want_result".into(), json!(false));
        self.conductor
            .object_class_action_versions(
                ctx,
                "InstanceAction",
                "action_start",
                vec![json!(instance_uuid), json!(action)],
                kwargs,
            )
            .await?;
        Ok(())
    }
}
