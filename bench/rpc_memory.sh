#!/usr/bin/env bash
# In-process RPC benchmark: builds in release and prints the figures recorded in
# docs/BENCHMARKS.md. Usage: bash bench/rpc_memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench rpc_memory
