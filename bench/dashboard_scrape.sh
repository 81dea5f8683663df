#!/usr/bin/env bash
# What the dashboard costs on a simulated cloud (FAKE_HOSTS compute actors, default 200):
# snapshot, /metrics, /api/v1/snapshot, /readyz, /api/v1/services and the first live
# event, timed over loopback; figures recorded in docs/BENCHMARKS.md.
# Usage: bash bench/dashboard_scrape.sh   (FAKE_HOSTS=500 bash bench/dashboard_scrape.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench dashboard_scrape
