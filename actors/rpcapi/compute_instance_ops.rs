//! The compute's instance operations the server actions ask for (Nova:
//! `nova/compute/rpcapi.py` `pause_instance`, `unpause_instance`, `suspend_instance`,
//! `resume_instance`, `rescue_instance`, `unrescue_instance`, `set_admin_password`,
//! `get_console_output`, `trigger_crash_dump`): one argument struct per method, in the
//! order Nova's proxy writes the keyword arguments, and the [`ComputeApi`] methods that
//! send them to the instance's host at 6.0 (Nova's `_ver(ctxt, '5.0')` unpinned).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::compute::ComputeApi;
use super::rpc_args::{self, RpcArgs, Unread};
use novactor::rpc::{CallError, RequestContext};

macro_rules! instance_only_method {
    ($(#[$doc:meta])* $name:ident, $method:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            /// An `Instance` primitive.
            pub instance: Value,
        }

        impl RpcArgs for $name {
            const METHOD: &'static str = $method;
        }
    };
}

instance_only_method!(
    /// `pause_instance(instance)` (cast).
    PauseInstance,
    "pause_instance"
);
instance_only_method!(
    /// `unpause_instance(instance)` (cast).
    UnpauseInstance,
    "unpause_instance"
);
instance_only_method!(
    /// `suspend_instance(instance)` (cast).
    SuspendInstance,
    "suspend_instance"
);
instance_only_method!(
    /// `resume_instance(instance)` (cast).
    ResumeInstance,
    "resume_instance"
);
instance_only_method!(
    /// `unrescue_instance(instance)` (cast).
    UnrescueInstance,
    "unrescue_instance"
);
instance_only_method!(
    /// `trigger_crash_dump(instance)` (cast).
    TriggerCrashDump,
    "trigger_crash_dump"
);

/// `rescue_instance(rescue_password, clean_shutdown, rescue_image_ref, instance)` (cast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RescueInstance {
    /// The rescue guest's password (the compute makes one when none is given).
    pub rescue_password: Option<String>,
    /// The fake driver powers off the same way either way.
    pub clean_shutdown: Unread,
    /// The image to rescue from (checked against the catalog by the api).
    pub rescue_image_ref: Option<String>,
    /// An `Instance` primitive.
    pub instance: Value,
}

impl RpcArgs for RescueInstance {
    const METHOD: &'static str = "rescue_instance";
}

/// `set_admin_password(instance, new_pass)` (call).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetAdminPassword {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The new password.
    pub new_pass: String,
}

impl RpcArgs for SetAdminPassword {
    const METHOD: &'static str = "set_admin_password";
}

/// `get_console_output(instance, tail_length)` (call) → the console text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetConsoleOutput {
    /// An `Instance` primitive.
    pub instance: Value,
    /// The last lines to answer: an integer, its text, or null for all (Nova's
    /// `_tail_log` reads anything else as 0).
    pub tail_length: Option<Value>,
}

impl RpcArgs for GetConsoleOutput {
    const METHOD: &'static str = "get_console_output";
}

impl ComputeApi {
    /// `pause_instance` (cast to the instance's host).
    pub async fn pause_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at(host), ctx, &PauseInstance { instance }).await
    }

    /// `unpause_instance` (cast to the instance's host).
    pub async fn unpause_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at(host), ctx, &UnpauseInstance { instance }).await
    }

    /// `suspend_instance` (cast to the instance's host).
    pub async fn suspend_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at(host), ctx, &SuspendInstance { instance }).await
    }

    /// `resume_instance` (cast to the instance's host).
    pub async fn resume_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at(host), ctx, &ResumeInstance { instance }).await
    }

    /// `rescue_instance` (cast to the instance's host), a clean shutdown first.
    pub async fn rescue_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
        rescue_password: &str,
        rescue_image_ref: Option<&str>,
    ) -> Result<(), CallError> {
        let args = RescueInstance {
            rescue_password: Some(rescue_password.to_owned()),
            clean_shutdown: Some(json!(true)),
            rescue_image_ref: rescue_image_ref.map(str::to_owned),
            instance,
        };
        rpc_args::cast(&self.at(host), ctx, &args).await
    }

    /// `unrescue_instance` (cast to the instance's host).
    pub async fn unrescue_instance(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at(host), ctx, &UnrescueInstance { instance }).await
    }

    /// `set_admin_password` (call to the instance's host; it answers once the password
    /// is set, or with `InstancePasswordSetFailed`).
    pub async fn set_admin_password(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
        new_pass: &str,
    ) -> Result<(), CallError> {
        let args = SetAdminPassword {
            instance,
            new_pass: new_pass.to_owned(),
        };
        rpc_args::call(&self.at(host), ctx, &args).await.map(drop)
    }

    /// `get_console_output` (call to the instance's host): the console text, its last
    /// `tail_length` lines when given.
    pub async fn get_console_output(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
        tail_length: Option<Value>,
    ) -> Result<Value, CallError> {
        let args = GetConsoleOutput {
            instance,
            tail_length,
        };
        rpc_args::call(&self.at(host), ctx, &args).await
    }

    /// `trigger_crash_dump` (cast to the instance's host).
    pub async fn trigger_crash_dump(
        &self,
        ctx: &RequestContext,
        host: &str,
        instance: Value,
    ) -> Result<(), CallError> {
        rpc_args::cast(&self.at(host), ctx, &TriggerCrashDump { instance }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_wire(args: &impl RpcArgs, expected: Value) {
        assert_eq!(
            serde_json::to_string(&args.to_kwargs().unwrap()).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
    }

    #[test]
    fn the_action_methods_are_sent_as_novas_proxy_sends_them() {
        let instance = json!({"nova_object.name": "Instance"});
        same_wire(
            &PauseInstance {
                instance: instance.clone(),
            },
            json!({"instance": instance}),
        );
        same_wire(
            &RescueInstance {
                rescue_password: Some("pw".into()),
                clean_shutdown: Some(json!(true)),
                rescue_image_ref: None,
                instance: instance.clone(),
            },
            json!({"rescue_password": "pw", "clean_shutdown": true,
                   "rescue_image_ref": null, "instance": instance}),
        );
        same_wire(
            &SetAdminPassword {
                instance: instance.clone(),
                new_pass: "pw".into(),
            },
            json!({"instance": instance, "new_pass": "pw"}),
        );
        same_wire(
            &GetConsoleOutput {
                instance: instance.clone(),
                tail_length: None,
            },
            json!({"instance": instance, "tail_length": null}),
        );
        assert_eq!(TriggerCrashDump::METHOD, "trigger_crash_dump");
        assert_eq!(UnrescueInstance::METHOD, "unrescue_instance");
    }
}
