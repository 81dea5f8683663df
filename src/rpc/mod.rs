//! oslo.messaging-compatible RPC, one file per step of a message's way
//! (docs/ARCHITECTURE.md, "One message's way"):
//!
//! | step | file |
//! |---|---|
//! | the contract every transport meets; `memory://`, `rabbit://` | `transport/contract.rs`, `transport/memory.rs`, `transport/amqp/` |
//! | bytes ⇄ envelope ⇄ request / reply payload | `envelope.rs`, `failure.rs`, `context.rs` |
//! | which failures are expected (counted apart from errors) | `failure_class.rs` |
//! | where a message goes | `target.rs` |
//! | namespace + version + method → endpoint | `dispatcher.rs`, `version.rs` |
//! | consume, ack, dispatch, reply | `server.rs`, `server_queues.rs` (one task reads all of a server's queues) |
//! | call / cast / fanout, reply correlation | `client.rs` |
//! | what a client reports of each request, for metrics | `client_observer.rs` |

pub mod client;
pub mod client_observer;
pub mod context;
pub mod dispatcher;
pub mod envelope;
pub mod failure;
pub mod failure_class;
pub mod server;
mod server_queues;
pub mod target;
pub mod transport;
pub mod version;

pub use client::{CallError, ClientShared, RpcClient};
pub use client_observer::{ClientObserver, ClientOutcome, RequestKind};
pub use context::RequestContext;
pub use dispatcher::{DispatchError, Dispatcher, EndpointInfo, MethodId};
pub use failure::RemoteFailure;
pub use failure_class::FailureClass;
pub use server::{HandlerError, RequestHandler, RpcServer, ServerTarget};
pub use target::Target;
pub use transport::{Transport, TransportError};
pub use version::Version;
