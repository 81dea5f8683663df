//! Nova's `check_instance_state` decorator (`nova/compute/api.py`) as data and one check:
//! which vm states, task states and launch an action needs, and the 409 text of Nova's
//! `raise_http_conflict_for_instance_invalid_state` when the instance is elsewhere. A leaf:
//! the flow layer's files (`compute_api*.rs`) turn the text into their `ApiError`.

use crate::db::InstanceRow;

/// Nova `check_instance_state(vm_state=…, task_state=(None,), must_have_launched=True)`:
/// which states an action is allowed from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AllowedStates {
    /// The vm states (`None`: any).
    pub(crate) vm: Option<&'static [&'static str]>,
    /// The task states (`None`: any; Nova's default is "no task").
    pub(crate) task: Option<&'static [Option<&'static str>]>,
    /// The instance must have been launched once.
    pub(crate) must_have_launched: bool,
}

impl AllowedStates {
    /// Nova's default task state check (no task) and launch check, from `vm`.
    pub(crate) const fn vm(vm: &'static [&'static str]) -> Self {
        Self {
            vm: Some(vm),
            task: Some(&[None]),
            must_have_launched: true,
        }
    }

    /// `vm`, and the task states in `task`.
    pub(crate) const fn vm_and_task(
        vm: &'static [&'static str],
        task: &'static [Option<&'static str>],
    ) -> Self {
        Self {
            vm: Some(vm),
            task: Some(task),
            must_have_launched: true,
        }
    }
}

/// Why `row` may not undergo `action`, in Nova's words (`Cannot '<action>' instance
/// <uuid> while it is in <attr> <state>`, Python's `None` for an unset state); `None`
/// when it may. Checked in Nova's order: vm state, task state, launch.
pub(crate) fn invalid_state(
    row: &InstanceRow,
    action: &str,
    allowed: AllowedStates,
) -> Option<String> {
    let refuse = |attr: &str, state: Option<&str>| {
        Some(format!(
            "Cannot '{action}' instance {} while it is in {attr} {}",
            row.uuid,
            state.unwrap_or("None")
        ))
    };
    let vm_state = row.vm_state.as_deref();
    if let Some(vm) = allowed.vm {
        if !vm.iter().any(|s| Some(*s) == vm_state) {
            return refuse("vm_state", vm_state);
        }
    }
    let task_state = row.task_state.as_deref();
    if let Some(task) = allowed.task {
        if !task.contains(&task_state) {
            return refuse("task_state", task_state);
        }
    }
    if allowed.must_have_launched && row.launched_at.is_none() {
        return refuse("launched_at", None);
    }
    None
}
