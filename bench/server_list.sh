#!/usr/bin/env bash
# GET /servers/detail?limit=100 with 100,000 instances in PostgreSQL: first page, deep pages
# by marker, name filters (docs/BENCHMARKS.md). Needs the local PostgreSQL
# (NOVACTOR_TEST_POSTGRES_URL to use another); the run's database is dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench server_list
