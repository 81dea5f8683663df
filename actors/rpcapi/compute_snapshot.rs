//! The compute's snapshot, backup and network-info injection (Nova:
//! `nova/compute/rpcapi.py` `snapshot_instance`, `backup_instance`,
//! `inject_network_info`): their argument structs, in the order Nova's proxy writes the
//! keyword arguments, and the [`ComputeApi`] methods that cast them to the instance's host
//! at 6.0 (Nova's `_ver(ctxt, '5.0')` unpinned).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::compute::ComputeApi;
use super::rpc_args::{self, RpcArgs};
use novactor::rpc::{CallError, RequestContext};

/// `snapshot_instance(instance, image_id)` (cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotInstance {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The `queued` image the snapshot is uploaded into.
    pub image_id: String,
}

impl RpcArgs for SnapshotInstance {
    const METHOD: &'static str = "snapshot_instance";
}

/// `backup_instance(instance, image_id, backup_type, rotation)` (cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupInstance {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The `queued` image the backup is uploaded into.
    pub image_id: String,
    /// `daily`, `weekly`, … (any text).
    pub backup_type: String,
    /// How many backups of this type to keep.
    pub rotation: u64,
}

impl RpcArgs for BackupInstance {
    const METHOD: &'static str = "backup_instance";
}

/// `inject_network_info(instance)` (cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InjectNetworkInfo {
    /// An `Instance` primitive.
    pub instance: Value,
}

impl RpcArgs for InjectNetworkInfo {
    const METHOD: &'static str = "inject_network_info";
}

impl ComputeApi {
    /// `snapshot_instance` (cast to the instance's host).
    pub async fn snapshot_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
        image_id: &str,
    ) -> Result<(), CallError> {
        let args = SnapshotInstance {
            instance,
            image_id: image_id.to_owned(),
        };
        rpc_args::cast(&self.at(host), ctx, &args).await
    }

    /// `backup_instance` (cast to the instance's host).
    pub async fn backup_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
        image_id: &str,
        backup_type: &str,
        rotation: u64,
    ) -> Result<(), CallError> {
        let args = BackupInstance {
            instance,
            image_id: image_id.to_owned(),
            backup_type: backup_type.to_owned(),
            rotation,
        };
        rpc_args::cast(&self.at(host), ctx, &args).await
    }

    /// `inject_network_info` (cast to the instance's host).
    pub async fn inject_network_info(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at(host), ctx, &InjectNetworkInfo { instance }).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_image_methods_are_sent_as_novas_proxy_sends_them() {
        let instance = json!({"nova_object.name": "Instance"});
        let backup = BackupInstance {
            instance: instance.clone(),
            image_id: "i".into(),
            backup_type: "daily".into(),
            rotation: 2,
        };
        assert_eq!(
            serde_json::to_string(&backup.to_kwargs().unwrap()).unwrap(),
            serde_json::to_string(&json!({"instance": instance, "image_id": "i",
                "backup_type": "daily", "rotation": 2}))
            .unwrap()
        );
        assert_eq!(SnapshotInstance::METHOD, "snapshot_instance");
        assert_eq!(InjectNetworkInfo::METHOD, "inject_network_info");
    }
}
