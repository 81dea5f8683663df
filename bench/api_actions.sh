#!/usr/bin/env bash
# Server actions per second through the compute API, each waited for (docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench api_actions
