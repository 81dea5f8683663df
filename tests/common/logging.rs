//! The runtime's logs in the test output.
#![allow(dead_code, unreachable_pub)]

/// Route the runtime's logs into the test harness's captured output (shown for failing
/// tests only); `RUST_LOG` picks the level, `warn` by default.
pub fn init_test_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}
