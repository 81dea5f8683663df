#!/usr/bin/env bash
# POST /servers → ACTIVE throughput over HTTP with concurrent clients (docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench api_boot
