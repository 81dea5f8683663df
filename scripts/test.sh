#!/usr/bin/env bash
# The whole test suite, as README.md's second command and .ci/run call it:
# formatting, the layout rules, lints (warnings are errors), unit and integration tests.
# scripts/services.sh first makes sure RabbitMQ, PostgreSQL, MariaDB, chromedriver and the Python
# venvs are there (the tests that need them fail loudly without them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
cargo fmt --all -- --check
# The layout the compiler does not check: no import circles, files of at most 600 lines,
# no Nova names in the runtime crate.
python3 scripts/check_layout.py

# Lints and tests in one compilation. `cargo clippy` is `cargo check` with clippy-driver as the
# compiler of the workspace's own crates (RUSTC_WORKSPACE_WRAPPER, with its arguments in
# CLIPPY_ARGS); building the test binaries through the same driver lints every workspace target
# exactly as `cargo clippy --all-targets -- -D warnings` does, without compiling each dependency
# a second time in check mode — on a clean checkout that was half of the build. Benches are
# built, not run, so they are linted too.
clippy_driver="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver || true)"
if [ -z "$clippy_driver" ]; then
  echo "test.sh: error: clippy-driver not found; install clippy (rustup component add clippy)" >&2
  exit 1
fi
export RUSTC_WORKSPACE_WRAPPER="$clippy_driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
cargo test --no-run
cargo build --benches --profile test
cargo test
