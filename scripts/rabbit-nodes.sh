#!/usr/bin/env bash
# Private RabbitMQ nodes for one test: a TLS node that requires client certificates, or a
# three-node cluster. Everything a run makes lives in the state directory it is given (node
# data, logs, configuration, certificates, its own Erlang cookie and HOME), every node
# listens on loopback only (AMQP and Erlang distribution), and every node is tracked by its
# node name and PID. The system RabbitMQ (and its /etc/rabbitmq configuration) is neither
# read nor touched.
#
# Usage:
#   bash scripts/rabbit-nodes.sh tls STATE_DIR [--owner PID]
#       A throwaway CA, a server and a client certificate (openssl), and one node whose only
#       listener is TLS on a free loopback port, requiring a client certificate the CA signed
#       (ssl_options.verify = verify_peer, fail_if_no_peer_cert = true).
#   bash scripts/rabbit-nodes.sh cluster STATE_DIR [--owner PID]
#       Three nodes on free loopback ports; nodes 2 and 3 join node 1
#       (stop_app; join_cluster; start_app).
#   bash scripts/rabbit-nodes.sh ctl STATE_DIR NODE_NAME ARGS...
#       rabbitmqctl -n NODE_NAME ARGS... with the state directory's cookie.
#   bash scripts/rabbit-nodes.sh stop STATE_DIR
#       Stop every node started in STATE_DIR (rabbitmqctl stop, then its PID is killed if it
#       is still there after 30 s). Idempotent.
#
# `tls` and `cluster` print KEY=VALUE lines on stdout (node names, ports, file paths) and
# log to stderr. With --owner PID, a watcher stops the nodes when that process is gone (a
# test that was killed leaves nothing running). Exit 3: a prerequisite (rabbitmq-server,
# rabbitmqctl, openssl, python3) is missing; the message says which.
set -euo pipefail

log() { echo "rabbit-nodes.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

RABBIT_BIN=${NOVACTOR_RABBITMQ_BIN:-/usr/lib/rabbitmq/bin}
SERVER=$RABBIT_BIN/rabbitmq-server
CTL=$RABBIT_BIN/rabbitmqctl
# Seconds a node has to boot; a loaded 2-core machine boots one in ~10 s.
BOOT_TIMEOUT=${NOVACTOR_RABBIT_BOOT_TIMEOUT:-120}

require() {
  local missing=()
  [ -x "$SERVER" ] || missing+=("rabbitmq-server ($SERVER; apt-get install rabbitmq-server)")
  [ -x "$CTL" ] || missing+=("rabbitmqctl ($CTL)")
  command -v python3 >/dev/null 2>&1 || missing+=("python3")
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool (apt-get install $tool)")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "error: missing prerequisite(s): ${missing[*]}"
    exit 3
  fi
}

# Free loopback TCP ports, as many as asked: bound and released by the kernel, distinct.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
EOF
}

# The environment of a node's server and CLI: everything under the state directory.
node_env() {
  local state=$1 name=$2 dir=$state/nodes/$2
  export HOME=$state/home
  export RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf
  export RABBITMQ_NODENAME=$name@localhost
  export RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf
  export RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config
  export RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
  export RABBITMQ_MNESIA_BASE=$dir/mnesia
  export RABBITMQ_MNESIA_DIR=$dir/mnesia/$name
  export RABBITMQ_LOG_BASE=$dir/log
  export RABBITMQ_PID_FILE=$dir/pid
  export RABBITMQ_PLUGINS_EXPAND_DIR=$dir/plugins-expand
  export RABBITMQ_FEATURE_FLAGS_FILE=$dir/feature_flags
  export ERL_EPMD_ADDRESS=127.0.0.1
  export ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

# The state directory's own HOME and Erlang cookie (so no ~/.erlang.cookie is made or read).
prepare_state() {
  local state=$1
  mkdir -p "$state/home" "$state/nodes"
  if [ ! -s "$state/home/.erlang.cookie" ]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(20).upper(), end="")' \
      >"$state/home/.erlang.cookie")
  fi
  chmod 400 "$state/home/.erlang.cookie"
}

# Write a node's files. $3: AMQP port (plain or TLS, see $5), $4: distribution port, $5: the
# listener lines of rabbitmq.conf.
write_node() {
  local state=$1 name=$2 port=$3 dist=$4 listeners=$5 dir=$state/nodes/$2
  mkdir -p "$dir/log" "$dir/mnesia"
  # Our own env file instead of /etc/rabbitmq/rabbitmq-env.conf (which names the system node).
  cat >"$dir/rabbitmq-env.conf" <<EOF
NODENAME=$name@localhost
DIST_PORT=$dist
EOF
  echo "[]." >"$dir/enabled_plugins"
  echo "[]." >"$dir/advanced.config"
  cat >"$dir/rabbitmq.conf" <<EOF
$listeners
loopback_users.guest = true
log.console = false
log.file.level = info
cluster_partition_handling = pause_minority
EOF
  echo "$name@localhost" >"$dir/nodename"
  echo "$port" >"$dir/port"
}

# Start a node in the background, in a session of its own; record its PID (the Erlang VM's,
# from RABBITMQ_PID_FILE) once it is booted.
start_node() {
  local state=$1 name=$2 dir=$state/nodes/$2
  (
    node_env "$state" "$name"
    export RABBITMQ_DIST_PORT
    RABBITMQ_DIST_PORT=$(sed -n 's/^DIST_PORT=//p' "$dir/rabbitmq-env.conf")
    # Not a process group leader here (no job control), so setsid does not fork: $! is
    # the new session's leader and its ID.
    setsid "$SERVER" >"$dir/log/stdout.log" 2>&1 </dev/null &
    echo $! >"$dir/session.pid"
  )
}

wait_node() {
  local state=$1 name=$2 dir=$state/nodes/$2
  if ! (node_env "$state" "$name" && timeout "$((BOOT_TIMEOUT + 10))" \
    "$CTL" -n "$name@localhost" wait "$dir/pid" --timeout "$BOOT_TIMEOUT" >/dev/null 2>&1); then
    log "error: node $name@localhost did not boot within ${BOOT_TIMEOUT}s; its log:"
    tail -n 40 "$dir/log/stdout.log" "$dir/log/"*.log 2>/dev/null | sed 's/^/  /' >&2
    return 1
  fi
}

ctl() {
  local state=$1 node=$2
  shift 2
  local name=${node%@*}
  (node_env "$state" "$name" && "$CTL" -n "$name@localhost" "$@")
}

# Stop the nodes when the owner process is gone.
watch_owner() {
  local state=$1 owner=$2
  [ -n "$owner" ] || return 0
  setsid bash -c '
    while kill -0 "$1" 2>/dev/null; do sleep 1; done
    exec bash "$2" stop "$3"
  ' rabbit-nodes-watcher "$owner" "${BASH_SOURCE[0]}" "$state" >/dev/null 2>&1 </dev/null &
  echo $! >"$state/watcher.pid"
}

stop_node() {
  local state=$1 name=$2 dir=$state/nodes/$2 pid=""
  [ -s "$dir/pid" ] && pid=$(cat "$dir/pid")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    ctl "$state" "$name" stop "$dir/pid" >/dev/null 2>&1 &
    local stopper=$! i
    for i in $(seq 1 120); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "node $name@localhost (pid $pid) still running after 30 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$stopper" 2>/dev/null || true
  fi
  pkill_session "$dir"
}

# Kill what is left of the session started for a node (e.g. one that never wrote its PID
# file), by the session ID recorded at its start, never by name; only while its leader is
# still the rabbitmq-server script, so a reused PID is never hit.
pkill_session() {
  local dir=$1
  if [ -s "$dir/session.pid" ]; then
    local sid
    sid=$(cat "$dir/session.pid")
    if ps -o args= -p "$sid" 2>/dev/null | grep -q rabbitmq-server; then
      kill -KILL -- "-$sid" 2>/dev/null || true
    fi
    rm -f "$dir/session.pid"
  fi
}

cmd_stop() {
  local state=$1
  [ -d "$state/nodes" ] || return 0
  if [ -s "$state/watcher.pid" ] && [ "$(cat "$state/watcher.pid")" != "$$" ]; then
    kill "$(cat "$state/watcher.pid")" 2>/dev/null || true
    rm -f "$state/watcher.pid"
  fi
  local dir
  for dir in "$state"/nodes/*/; do
    [ -d "$dir" ] || continue
    stop_node "$state" "$(basename "$dir")" &
  done
  wait
}

# The node name prefix of this state directory: unique per run.
prefix() {
  [ -s "$1/prefix" ] || echo "novactor-$(python3 -c 'import secrets; print(secrets.token_hex(4))')" >"$1/prefix"
  cat "$1/prefix"
}

cmd_tls() {
  local state=$1 owner=$2
  require openssl
  prepare_state "$state"
  local pki=$state/pki
  mkdir -p "$pki"
  (
    cd "$pki"
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=novactor test CA" -keyout ca.key -out ca.pem \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    local who
    for who in server client; do
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj "/CN=novactor test $who" -keyout "$who.key" -out "$who.csr" 2>/dev/null
    done
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >server.ext
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=clientAuth" >client.ext
    for who in server client; do
      openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -extfile "$who.ext" -out "$who.pem" 2>/dev/null
    done
    # The broker reads its key as the user it runs as; the files stay in the state directory.
    chmod 600 ./*.key
  ) || die "openssl could not make the certificates in $pki"
  local name port dist
  name=$(prefix "$state")-tls
  read -r port dist <<<"$(free_ports 2)"
  write_node "$state" "$name" "$port" "$dist" "listeners.tcp = none
listeners.ssl.default = 127.0.0.1:$port
ssl_options.cacertfile = $pki/ca.pem
ssl_options.certfile = $pki/server.pem
ssl_options.keyfile = $pki/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = true
ssl_options.versions.1 = tlsv1.3
ssl_options.versions.2 = tlsv1.2"
  watch_owner "$state" "$owner"
  start_node "$state" "$name"
  wait_node "$state" "$name" || { cmd_stop "$state"; exit 1; }
  log "TLS node $name@localhost (pid $(cat "$state/nodes/$name/pid")) on 127.0.0.1:$port"
  cat <<EOF
NODE=$name@localhost
TLS_PORT=$port
CA_FILE=$pki/ca.pem
CLIENT_CERT_FILE=$pki/client.pem
CLIENT_KEY_FILE=$pki/client.key
EOF
}

cmd_cluster() {
  local state=$1 owner=$2
  require
  prepare_state "$state"
  local base ports i
  base=$(prefix "$state")
  read -r -a ports <<<"$(free_ports 6)"
  for i in 1 2 3; do
    write_node "$state" "$base-$i" "${ports[$((i - 1))]}" "${ports[$((i + 2))]}" \
      "listeners.tcp.default = 127.0.0.1:${ports[$((i - 1))]}"
  done
  watch_owner "$state" "$owner"
  for i in 1 2 3; do start_node "$state" "$base-$i"; done
  for i in 1 2 3; do
    wait_node "$state" "$base-$i" || { cmd_stop "$state"; exit 1; }
  done
  local joining=$state/join.log
  for i in 2 3; do
    if ! { ctl "$state" "$base-$i" stop_app &&
      ctl "$state" "$base-$i" join_cluster "$base-1@localhost" &&
      ctl "$state" "$base-$i" start_app; } >>"$joining" 2>&1; then
      log "error: node $base-$i@localhost could not join $base-1@localhost:"
      sed 's/^/  /' "$joining" >&2
      cmd_stop "$state"
      exit 1
    fi
  done
  ctl "$state" "$base-1" await_online_nodes 3 --timeout 60000 >/dev/null ||
    { log "error: the cluster did not reach 3 running nodes"; cmd_stop "$state"; exit 1; }
  log "cluster $base-{1,2,3}@localhost on 127.0.0.1:${ports[0]},${ports[1]},${ports[2]}"
  for i in 1 2 3; do
    echo "NODE$i=$base-$i@localhost"
    echo "PORT$i=${ports[$((i - 1))]}"
  done
}

main() {
  [ $# -ge 2 ] || { sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
  local command=$1 state=$2 owner=""
  shift 2
  case $command in
    tls | cluster)
      if [ "${1:-}" = --owner ]; then owner=${2:?--owner needs a PID}; fi
      mkdir -p "$state"
      state=$(cd "$state" && pwd)
      "cmd_$command" "$state" "$owner"
      ;;
    ctl)
      require
      local node=${1:?ctl needs a node name}
      shift
      ctl "$(cd "$state" && pwd)" "$node" "$@"
      ;;
    stop) [ -d "$state" ] && cmd_stop "$(cd "$state" && pwd)" ;;
    *) die "unknown command '$command' (tls, cluster, ctl, stop)" ;;
  esac
}

main "$@"
