#!/usr/bin/env bash
# Make sure what the test suite talks to is there: a RabbitMQ broker on 127.0.0.1:5672
# (started if installed but down, installed from Debian if missing and we are root).
# Idempotent and quick when everything already runs. Set NOVACTOR_TEST_RABBIT_URL to use
# another broker; then nothing is started here.
set -euo pipefail

log() { echo "services.sh: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for_port() {
  local host=$1 port=$2 seconds=$3
  for _ in $(seq 1 "$((seconds * 4))"); do
    port_open "$host" "$port" && return 0
    sleep 0.25
  done
  return 1
}

ensure_rabbitmq() {
  if [ -n "${NOVACTOR_TEST_RABBIT_URL:-}" ]; then
    log "using NOVACTOR_TEST_RABBIT_URL; not managing a local broker"
    return 0
  fi
  if port_open 127.0.0.1 5672; then
    return 0
  fi
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      log "installing rabbitmq-server from Debian"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
    else
      log "error: RabbitMQ is not running on 127.0.0.1:5672 and rabbitmq-server is not installed (apt-get install rabbitmq-server)"
      return 1
    fi
  fi
  log "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  if ! wait_for_port 127.0.0.1 5672 60; then
    log "error: RabbitMQ did not open 127.0.0.1:5672 within 60 s"
    return 1
  fi
  # The port opens before the broker accepts logins; wait until it answers.
  if command -v rabbitmqctl >/dev/null 2>&1; then
    rabbitmqctl await_startup >/dev/null 2>&1 || true
  fi
}

ensure_rabbitmq

# The real oslo.messaging peer the interop tests run (tests/interop/oslo_peer.py).
bash "$(dirname "$0")/python-venv.sh" >/dev/null
