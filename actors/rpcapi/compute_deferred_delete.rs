//! The compute's soft delete and restore (Nova: `nova/compute/rpcapi.py`
//! `soft_delete_instance`, `restore_instance`): their argument structs and the
//! [`ComputeApi`] methods that cast them to the instance's host at 6.0 (Nova's
//! `_ver(ctxt, '5.0')` unpinned). The reclaim of a soft-deleted instance is the compute's
//! own periodic task, and a `forceDelete` is a plain `terminate_instance`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::compute::ComputeApi;
use super::rpc_args::{self, RpcArgs};
use novactor::rpc::{CallError, RequestContext};

/// `soft_delete_instance(instance)` (cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoftDeleteInstance {
    /// An `Instance` primitive.
    pub instance: Value,
}

impl RpcArgs for SoftDeleteInstance {
    const METHOD: &'static str = "soft_delete_instance";
}

/// `restore_instance(instance)` (cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreInstance {
    /// An `Instance` primitive.
    pub instance: Value,
}

impl RpcArgs for RestoreInstance {
    const METHOD: &'static str = "restore_instance";
}

impl ComputeApi {
    /// `soft_delete_instance` (cast to the instance's host).
    pub async fn soft_delete_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at(host), ctx, &SoftDeleteInstance { instance }).await
    }

    /// `restore_instance` (cast to the instance's host).
    pub async fn restore_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at(host), ctx, &RestoreInstance { instance }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_methods_carry_the_instance_alone() {
        let instance = json!({"nova_object.name": "Instance"});
        let args = SoftDeleteInstance {
            instance: instance.clone(),
        };
        assert_eq!(args.to_kwargs().unwrap(), json!({"instance": instance}));
        assert_eq!(SoftDeleteInstance::METHOD, "soft_delete_instance");
        assert_eq!(RestoreInstance::METHOD, "restore_instance");
    }
}
