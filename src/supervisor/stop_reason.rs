//! Why an incarnation ended ([`StopReason`]), and what the supervisor does next: one
//! exhaustive match on the reason and the actor's [`RestartType`] (the table in the
//! supervisor's module doc), so a new reason or restart type forces a choice.

use super::start_phases::StartError;
use crate::service::{ExitReason, RestartType};

/// Why an incarnation ended. Its text is what the snapshot shows as `last_error`.
#[derive(Debug, Clone)]
pub enum StopReason {
    /// The manager ended its incarnation with [`ExitReason::Normal`].
    Normal,
    /// An operator stopped the instance (not a failure; not recorded as `last_error`).
    Operator,
    /// The manager ended its incarnation with [`ExitReason::Error`].
    Exited {
        /// The manager's words.
        error: String,
    },
    /// A panic in a handler, a hook, a periodic task or their async part.
    Panicked {
        /// What was running: `RPC method boom`, `hook InitHost`, `periodic task #0`.
        during: String,
        /// The panic's message.
        message: String,
    },
    /// A start phase failed.
    StartFailed(StartError),
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Normal => f.write_str("exited normally"),
            Self::Operator => f.write_str("stopped by an operator"),
            Self::Exited { error } => f.write_str(error),
            Self::Panicked { during, message } => write!(f, "panic in {during}: {message}"),
            Self::StartFailed(error) => write!(f, "{error}"),
        }
    }
}

impl From<ExitReason> for StopReason {
    fn from(reason: ExitReason) -> Self {
        match reason {
            ExitReason::Normal => Self::Normal,
            ExitReason::Error(error) => Self::Exited { error },
        }
    }
}

impl From<StartError> for StopReason {
    fn from(error: StartError) -> Self {
        Self::StartFailed(error)
    }
}

/// What follows the end of an incarnation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterStop {
    /// A new incarnation after the backoff, counted against the restart intensity.
    Restart,
    /// The instance stays stopped until an operator starts it.
    StayStopped,
}

impl StopReason {
    /// The restart decision for an instance of `restart` type (OTP's restart types).
    pub fn after_stop(&self, restart: RestartType) -> AfterStop {
        use RestartType::{Permanent, Temporary, Transient};
        match (self, restart) {
            (Self::Operator, Permanent | Transient | Temporary) => AfterStop::StayStopped,
            (Self::Normal, Permanent) => AfterStop::Restart,
            (Self::Normal, Transient | Temporary) => AfterStop::StayStopped,
            (
                Self::Exited { .. } | Self::Panicked { .. } | Self::StartFailed(_),
                Permanent | Transient,
            ) => AfterStop::Restart,
            (Self::Exited { .. } | Self::Panicked { .. } | Self::StartFailed(_), Temporary) => {
                AfterStop::StayStopped
            }
        }
    }

    /// Recorded as the instance's `last_error` (everything but an operator's stop).
    pub fn is_failure_record(&self) -> bool {
        !matches!(self, Self::Operator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::{HandlerError, RemoteFailure};
    use crate::supervisor::start_phases::StartPhase;

    fn every_reason() -> Vec<StopReason> {
        vec![
            StopReason::Normal,
            StopReason::Operator,
            StopReason::Exited {
                error: "asked to fail".into(),
            },
            StopReason::Panicked {
                during: "RPC method boom".into(),
                message: "injected".into(),
            },
            StopReason::StartFailed(StartError::Hook {
                phase: StartPhase::InitHost,
                failure: HandlerError::Failed(RemoteFailure::runtime_error("no disk")),
            }),
        ]
    }

    #[test]
    fn the_restart_table_of_the_module_doc() {
        use AfterStop::{Restart, StayStopped};
        // Columns: normal exit, operator stop, error exit, panic, failed start.
        let table = [
            (
                RestartType::Permanent,
                [Restart, StayStopped, Restart, Restart, Restart],
            ),
            (
                RestartType::Transient,
                [StayStopped, StayStopped, Restart, Restart, Restart],
            ),
            (RestartType::Temporary, [StayStopped; 5]),
        ];
        for (restart, row) in table {
            for (reason, expected) in every_reason().iter().zip(row) {
                assert_eq!(
                    reason.after_stop(restart),
                    expected,
                    "{restart:?} after {reason:?}"
                );
            }
        }
    }

    #[test]
    fn the_text_of_each_reason_is_what_last_error_showed() {
        let texts: Vec<String> = every_reason().iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "exited normally",
                "stopped by an operator",
                "asked to fail",
                "panic in RPC method boom: injected",
                "init_host failed: no disk",
            ]
        );
    }
}
