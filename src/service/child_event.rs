//! What a service cell, or its manager, tells the supervisor that hosts it: a panic was
//! caught ([`ChildPanicked`]), or the manager ended its incarnation ([`ChildExited`], for an
//! [`ExitReason`]).
//! Both name the child and incarnation they come from, so a stale one is ignored.

use actix::Message;

/// How an actor ends its incarnation by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitReason {
    /// Done: a transient or temporary actor stays stopped; a permanent one restarts.
    Normal,
    /// Failed: restarted unless temporary.
    Error(String),
}

/// A panic caught in a child's cell.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct ChildPanicked {
    pub(crate) child: usize,
    pub(crate) incarnation: u64,
    pub(crate) during: String,
    pub(crate) message: String,
}

/// A child ended its own incarnation ([`ExitHandle::exit`]).
///
/// [`ExitHandle::exit`]: super::ExitHandle::exit
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct ChildExited {
    pub(crate) child: usize,
    pub(crate) incarnation: u64,
    pub(crate) reason: ExitReason,
}
