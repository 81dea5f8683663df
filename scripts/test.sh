#!/usr/bin/env bash
# The whole test suite, as README.md's second command and .ci/run call it:
# formatting, lints (warnings are errors), unit and integration tests.
# Integration tests run the real binary and the in-process transport; suites that need
# RabbitMQ, a database, Python peers or a browser install or start those themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test
