#!/usr/bin/env bash
# The whole test suite, as README.md's second command and .ci/run call it:
# formatting, lints (warnings are errors), unit and integration tests.
# scripts/services.sh first makes sure RabbitMQ, PostgreSQL, MariaDB, chromedriver and the Python
# venvs are there (the tests that need them fail loudly without them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
cargo fmt --all -- --check
# The layout the compiler does not check: no import circles, files of at most 600 lines,
# no Nova names in the runtime crate.
python3 scripts/check_layout.py
cargo clippy --all-targets -- -D warnings
cargo test
