#!/usr/bin/env bash
# novactor hypervisors joining a real Nova 34 control plane (bench/real_nova_scale.py):
# a release build of novactor, the real-Nova venv, then one measured run.
# Usage: bash bench/real_nova_scale.sh [--hosts N] [--boots N] [--markdown]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
cargo build --release -p novactor-nova --bin novactor
BIN="$(bash scripts/real-nova/venv.sh | tail -1)"
exec "$BIN/python" bench/real_nova_scale.py --novactor target/release/novactor "$@"
