//! Compute's heartbeat without database access (Nova: the servicegroup DB driver's
//! `_report_state` on a compute, where `Service.save()` is an `object_action` to the
//! conductor): the service row is read and written only through conductor RPC.

use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::{json, Map};

use crate::db::SERVICE_VERSION;
use crate::exception::NovaException;
use crate::objects::{versions, NovaObject, StoredObject};
use crate::rpcapi::conductor::object_from;
use crate::rpcapi::{ConductorApi, IndirectionError};
use novactor::rpc::{FailureClass, RequestContext};
use novactor::servicegroup::{ServiceGroup, ServiceGroupError, ServiceRecord};

/// The id of a compute's `services` row, as its heartbeat last read or created it: what
/// the resource tracker puts in its node's `service_id` (Nova's compute has its
/// `service_ref` from `Service.create` before its first audit; here the heartbeat joins
/// after the start, so the tracker takes the id once known).
pub type ServiceIdCell = std::sync::Arc<Mutex<Option<i64>>>;

/// Heartbeats through the conductor's object indirection.
#[derive(Debug)]
pub struct ConductorServiceGroup {
    conductor: ConductorApi,
    /// The service object as last saved (its id and report_count).
    service: Mutex<Option<StoredObject>>,
    /// Its id, shared with the resource tracker.
    service_id: ServiceIdCell,
}

fn unavailable(error: IndirectionError) -> ServiceGroupError {
    ServiceGroupError::Unavailable(format!("via nova-conductor: {error}"))
}

/// `ServiceNotFound`: the service row is missing (first registration) or was deleted. This
/// caller turns it into [`ServiceGroupError::NotFound`] (on which `join` creates the row),
/// so it is expected at the RPC level.
const HANDLED_FAILURES: &[FailureClass] = &[NovaException::ServiceNotFound.expected()];

impl ConductorServiceGroup {
    /// Heartbeats sent through `conductor`; the service's id is kept in `service_id`.
    pub fn new(conductor: ConductorApi, service_id: ServiceIdCell) -> Self {
        Self {
            conductor: conductor.expecting(HANDLED_FAILURES),
            service: Mutex::new(None),
            service_id,
        }
    }

    /// The kept service; one that does not load (never expected) is read again.
    fn cached(&self) -> Option<NovaObject> {
        self.service
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .and_then(|kept| kept.load().ok())
    }

    fn remember(&self, object: NovaObject) {
        if let Some(id) = object.get("id").as_i64() {
            *self
                .service_id
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(id);
        }
        *self
            .service
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(StoredObject::keep(&object));
    }

    async fn get(
        &self,
        ctx: &RequestContext,
        host: &str,
        binary: &str,
    ) -> Result<NovaObject, ServiceGroupError> {
        let reply = self
            .conductor
            .object_class_action_versions(
                ctx,
                "Service",
                "get_by_host_and_binary",
                vec![json!(host), json!(binary)],
                Map::new(),
            )
            .await;
        match reply {
            // Nova's Service.get_by_host_and_binary returns None for a missing service.
            Ok(serde_json::Value::Null) => Err(ServiceGroupError::NotFound {
                host: host.to_owned(),
                binary: binary.to_owned(),
            }),
            Ok(value) => {
                object_from(&value).map_err(|e| ServiceGroupError::Unavailable(e.to_string()))
            }
            Err(error) if error.nova_exception() == Some(NovaException::ServiceNotFound) => {
                Err(ServiceGroupError::NotFound {
                    host: host.to_owned(),
                    binary: binary.to_owned(),
                })
            }
            Err(error) => Err(unavailable(error)),
        }
    }
}

#[async_trait]
impl ServiceGroup for ConductorServiceGroup {
    async fn join(&self, host: &str, binary: &str, topic: &str) -> Result<(), ServiceGroupError> {
        let ctx = RequestContext::new();
        let service = match self.get(&ctx, host, binary).await {
            Ok(service) => service,
            Err(ServiceGroupError::NotFound { .. }) => {
                let mut service = NovaObject::new("Service", versions::SERVICE, Map::new());
                service.set("host", json!(host));
                service.set("binary", json!(binary));
                service.set("topic", json!(topic));
                service.set("report_count", json!(0));
                service.set("version", json!(SERVICE_VERSION));
                self.conductor
                    .object_action(&ctx, &mut service, "create", Vec::new(), Map::new())
                    .await
                    .map_err(unavailable)?;
                service
            }
            Err(other) => return Err(other),
        };
        self.remember(service);
        Ok(())
    }

    async fn report_state(&self, host: &str, binary: &str) -> Result<(), ServiceGroupError> {
        let ctx = RequestContext::new();
        let mut service = match self.cached() {
            Some(service) => service,
            None => self.get(&ctx, host, binary).await?,
        };
        let count = service.get("report_count").as_i64().unwrap_or(0);
        service.set("report_count", json!(count + 1));
        match self
            .conductor
            .object_action(&ctx, &mut service, "save", Vec::new(), Map::new())
            .await
        {
            Ok(_) => {
                self.remember(service);
                Ok(())
            }
            Err(error) => {
                // Re-read next time: the row may have changed (or been deleted) meanwhile.
                *self
                    .service
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
                if error.nova_exception() == Some(NovaException::ServiceNotFound) {
                    return Err(ServiceGroupError::NotFound {
                        host: host.to_owned(),
                        binary: binary.to_owned(),
                    });
                }
                Err(unavailable(error))
            }
        }
    }

    async fn services(&self) -> Result<Vec<ServiceRecord>, ServiceGroupError> {
        Err(ServiceGroupError::Unavailable(
            "a compute has no database access; list services where the conductor or api runs"
                .into(),
        ))
    }

    async fn set_disabled(
        &self,
        host: &str,
        binary: &str,
        disabled: bool,
        reason: Option<&str>,
    ) -> Result<ServiceRecord, ServiceGroupError> {
        let ctx = RequestContext::new();
        let mut service = self.get(&ctx, host, binary).await?;
        service.set("disabled", json!(disabled));
        service.set("disabled_reason", json!(reason.filter(|_| disabled)));
        self.conductor
            .object_action(&ctx, &mut service, "save", Vec::new(), Map::new())
            .await
            .map_err(unavailable)?;
        let field = |name: &str| service.get(name).as_str().map(str::to_owned);
        let mut record = ServiceRecord::joined(
            host,
            binary,
            &field("topic").unwrap_or_default(),
            chrono::Utc::now(),
        );
        record.id = service.get("id").as_i64();
        record.uuid = field("uuid");
        record.report_count = service.get("report_count").as_u64().unwrap_or(0);
        record.forced_down = service.get("forced_down").as_bool().unwrap_or(false);
        record.disabled = disabled;
        record.disabled_reason = field("disabled_reason");
        record.version = service.get("version").as_i64().unwrap_or(0);
        // The object carries timestamps as strings; the caller wanted the change, not them.
        record.created_at = None;
        Ok(record)
    }
}
