//! What the API asks of a running guest without changing its vm state (Nova:
//! `ComputeManager.set_admin_password`, `get_console_output`, `trigger_crash_dump`).

use serde_json::{json, Value};

use super::conductor_objects::Expected;
use super::fake_driver::DriverError;
use super::fake_driver::PowerState;
use super::flows::{uuid_of, ComputeFlows};
use super::instance_states::task_states;
use super::operation_failure::OperationError;
use crate::exception::NovaException;
use crate::objects::NovaObject;
use novactor::rpc::{RemoteFailure, RequestContext};

/// Nova `_tail_log`: the last `length` lines, Python's slice `lines[-length:]` included
/// for a negative length (Nova's API passes `-1` through, which drops the first line);
/// 0 is no text; a length that is no integer reads as 0.
pub(super) fn tail_log(log: &str, length: Option<&Value>) -> String {
    let length = match length {
        None | Some(Value::Null) => return log.to_owned(),
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(text)) => parse_int(text.trim()),
        Some(_) => 0,
    };
    if length == 0 {
        return String::new();
    }
    let lines: Vec<&str> = log.split('\n').collect();
    let count = i64::try_from(lines.len()).unwrap_or(i64::MAX);
    // Python: lines[-length:] with start = -length.
    let start = if length > 0 {
        count.saturating_sub(length).max(0)
    } else {
        length.saturating_neg().min(count)
    };
    let start = usize::try_from(start).unwrap_or(lines.len());
    lines[start..].join("\n")
}

/// Python's `int(text)` within i64: beyond it, the far end (a tail that long is the whole
/// log either way); not an integer, 0 (Nova's `except ValueError`).
fn parse_int(text: &str) -> i64 {
    match text.parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                0
            } else if text.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            }
        }
    }
}

fn password_failed(uuid: &str, reason: &str) -> OperationError {
    OperationError::Refused(NovaException::InstancePasswordSetFailed.failure(format!(
        "Failed to set admin password on {uuid} because {reason}"
    )))
}

impl ComputeFlows {
    /// Nova `set_admin_password`: only a running guest takes a password; the task state
    /// the API set (`updating_password`) is cleared either way.
    pub(super) async fn set_admin_password(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
        new_pass: &str,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        let _lock = self.locks.lock(&uuid).await;
        if self.driver.power_state(&uuid) != PowerState::Running {
            let error = password_failed(&uuid, &format!("instance {uuid} is not running"));
            return self.after_failure(ctx, &instance, error).await;
        }
        if let Err(error) = self.driver.set_admin_password(&uuid, new_pass) {
            // Nova hides the driver's words from the caller (they may hold the password).
            tracing::error!(instance = %uuid, %error, "set_admin_password failed");
            let error = password_failed(&uuid, "error setting admin password");
            return self.after_failure(ctx, &instance, error).await;
        }
        tracing::info!(instance = %uuid, "Admin password set");
        let mut working = instance.clone();
        working.set("task_state", Value::Null);
        let expected = Expected::task(Some(task_states::UPDATING_PASSWORD));
        match self.save(ctx, &mut working, &expected).await {
            Ok(()) => Ok(()),
            Err(error) => self.after_failure(ctx, &instance, error.into()).await,
        }
    }

    /// Nova `get_console_output`: the driver's console text, its tail when asked; a guest
    /// the hypervisor does not have is `InstanceNotFound` (the API's 404).
    pub(super) fn get_console_output(
        &self,
        instance: &NovaObject,
        tail_length: Option<&Value>,
    ) -> Result<Value, RemoteFailure> {
        let uuid = uuid_of(instance);
        tracing::info!(instance = %uuid, "Get console output");
        match self.driver.get_console_output(&uuid) {
            Ok(log) => Ok(json!(tail_log(&log, tail_length))),
            Err(DriverError::InstanceNotFound { uuid }) => Err(NovaException::InstanceNotFound
                .failure(format!("Instance {uuid} could not be found."))),
            Err(error) => Err(RemoteFailure::runtime_error(error.to_string())),
        }
    }

    /// Nova `trigger_crash_dump`: the driver's; no state changes (the effect is the
    /// guest's). A failure leaves a fault.
    pub(super) async fn trigger_crash_dump(
        &self,
        ctx: &RequestContext,
        instance: NovaObject,
    ) -> Result<(), OperationError> {
        let uuid = uuid_of(&instance);
        if let Err(error) = self.driver.trigger_crash_dump(&uuid) {
            self.add_fault(ctx, &uuid, &error.to_string(), "").await;
            return Err(error.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::tail_log;
    use serde_json::json;

    #[test]
    fn the_tail_is_novas_python_slice() {
        let log = "a\nb\nc";
        assert_eq!(tail_log(log, None), log);
        assert_eq!(tail_log(log, Some(&json!(null))), log);
        assert_eq!(tail_log(log, Some(&json!(2))), "b\nc");
        assert_eq!(tail_log(log, Some(&json!("1"))), "c");
        assert_eq!(tail_log(log, Some(&json!(10))), log);
        assert_eq!(tail_log(log, Some(&json!(0))), "");
        assert_eq!(tail_log(log, Some(&json!("x"))), "");
        // Nova's -1 is lines[1:].
        assert_eq!(tail_log(log, Some(&json!(-1))), "b\nc");
        assert_eq!(tail_log(log, Some(&json!(-5))), "");
        assert_eq!(tail_log(log, Some(&json!(i64::MIN))), "");
        assert_eq!(tail_log(log, Some(&json!("99999999999999999999999"))), log);
    }
}
