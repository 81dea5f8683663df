#!/usr/bin/env bash
# What a 100,000-message backlog costs the consuming process, bounded (novactor's default
# for rabbit_qos_prefetch_count = 0) and unbounded (oslo's), each in a process of its own.
# Usage: bash bench/backlog_rss.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
cargo bench --bench backlog_rss -- bounded
cargo bench --bench backlog_rss -- unbounded
