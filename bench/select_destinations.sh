#!/usr/bin/env bash
# select_destinations with 1,000 compute hosts in SQLite: builds in release and prints the
# figures recorded in docs/BENCHMARKS.md. Usage: bash bench/select_destinations.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench select_destinations
