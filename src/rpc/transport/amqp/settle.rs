//! [`AmqpSettle`]: one delivery's ack or reject through lapin; a delivery dropped unsettled
//! is rejected with requeue, so the broker hands it out again.

use futures::future::BoxFuture;
use futures::FutureExt;
use lapin::options::BasicRejectOptions;

use super::shared_state::connection_error;
use crate::rpc::transport::{Settle, TransportError};

/// Settles through lapin; an unsettled delivery is rejected with requeue when dropped.
pub(super) struct AmqpSettle {
    acker: Option<lapin::Acker>,
}

impl AmqpSettle {
    pub(super) fn new(acker: lapin::Acker) -> Self {
        Self { acker: Some(acker) }
    }
}

impl Settle for AmqpSettle {
    fn ack(mut self: Box<Self>) -> BoxFuture<'static, Result<(), TransportError>> {
        let acker = self.acker.take();
        async move {
            match acker {
                Some(acker) => acker
                    .ack(Default::default())
                    .await
                    .map(drop)
                    .map_err(connection_error),
                None => Ok(()),
            }
        }
        .boxed()
    }

    fn reject(
        mut self: Box<Self>,
        requeue: bool,
    ) -> BoxFuture<'static, Result<(), TransportError>> {
        let acker = self.acker.take();
        async move {
            match acker {
                Some(acker) => acker
                    .reject(BasicRejectOptions { requeue })
                    .await
                    .map(drop)
                    .map_err(connection_error),
                None => Ok(()),
            }
        }
        .boxed()
    }
}

impl Drop for AmqpSettle {
    fn drop(&mut self) {
        if let Some(acker) = self.acker.take() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = acker.reject(BasicRejectOptions { requeue: true }).await;
                });
            }
        }
    }
}
