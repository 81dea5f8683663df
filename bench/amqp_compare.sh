#!/usr/bin/env bash
# RabbitMQ comparison: novactor vs a raw lapin loop vs oslo.messaging 18.3.1 on the
# local broker, AMQP_COMPARE_ROUNDS (default 5) interleaved rounds; prints the table of
# medians (and target verdicts) recorded in docs/BENCHMARKS.md. For one core:
# taskset -c 0 bash bench/amqp_compare.sh
# Usage: bash bench/amqp_compare.sh
# Env: NOVACTOR_TEST_RABBIT_URL (another broker; default rabbit://guest:guest@127.0.0.1:5672/).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh
# The oslo.messaging column needs the interop venv; without it the bench skips only that column.
if PY=$(bash scripts/python-venv.sh | tail -n1) && [[ -x "$PY" ]]; then
    export NOVACTOR_BENCH_PYTHON="$PY"
else
    echo "amqp_compare.sh: no Python venv; the oslo.messaging column will be skipped" >&2
    export NOVACTOR_BENCH_PYTHON=/nonexistent/python
fi

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(uname -sr), RabbitMQ $(rabbitmqctl version 2>/dev/null || echo "?")"
cargo bench --bench amqp_compare
