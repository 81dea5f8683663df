#!/usr/bin/env bash
# The whole test suite, as README.md's second command and .ci/run call it:
# formatting, lints (warnings are errors), unit and integration tests.
# scripts/services.sh first makes sure RabbitMQ runs (the amqp_* tests fail loudly without it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test
