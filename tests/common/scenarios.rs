//! Scenarios written once and run per backend: a scenario is an `async fn` taking the
//! backend (a [`Broker`](super::Broker), a [`Backend`](super::Backend), a deployment…), and
//! [`scenarios!`] turns a list of them into one test per scenario and backend.
#![allow(unused_macros, unused_imports)]

/// `scenarios! { #[test attribute] (module: backend, …) [scenario, …] }` writes, for each
/// `module: backend`, a `mod module` holding one test per scenario, named as the scenario,
/// which runs `super::scenario(backend)`. In the file that defines the scenarios:
///
/// ```ignore
/// scenarios! {
///     #[actix_rt::test]
///     (memory: Broker::Memory, rabbit: Broker::Rabbit)
///     [a_call_returns_the_handlers_result, a_fanout_cast_reaches_every_server_once]
/// }
/// ```
///
/// gives the tests `memory::a_call_returns_the_handlers_result`,
/// `rabbit::a_call_returns_the_handlers_result`, … A scenario left out of the list is dead
/// code, which the lints refuse.
macro_rules! scenarios {
    (#[$test:meta] ($($module:ident: $backend:expr),+ $(,)?) $scenarios:tt) => {
        $( $crate::common::scenarios!(@module #[$test] $module: $backend, $scenarios); )+
    };
    (@module #[$test:meta] $module:ident: $backend:expr, [$($scenario:ident),+ $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[$test]
                async fn $scenario() {
                    super::$scenario($backend).await
                }
            )+
        }
    };
}

pub(crate) use scenarios;
