#!/usr/bin/env bash
# Make sure what the test suite talks to is there: a RabbitMQ broker on 127.0.0.1:5672,
# PostgreSQL on 127.0.0.1:5432 and MariaDB on 127.0.0.1:3306 (each started if installed but
# down, installed from Debian if missing and we are root), and chromedriver with a headless
# chromium for the dashboard's browser test. Idempotent and quick when
# everything already runs. Set NOVACTOR_TEST_RABBIT_URL / NOVACTOR_TEST_POSTGRES_URL /
# NOVACTOR_TEST_MYSQL_URL to use other servers; then that one is not managed here.
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

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing $* from Debian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    log "error: $* not installed and we cannot install it (not root or no apt-get)"
    return 1
  fi
}

ensure_postgres() {
  if [ -n "${NOVACTOR_TEST_POSTGRES_URL:-}" ]; then
    log "using NOVACTOR_TEST_POSTGRES_URL; not managing a local PostgreSQL"
    return 0
  fi
  if port_open 127.0.0.1 5432; then
    return 0
  fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt_install postgresql || return 1
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  local hba=/etc/postgresql/$version/main/pg_hba.conf
  # The tests log in as postgres over TCP without a password (a fresh install wants one).
  if [ -w "$hba" ] && ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    log "allowing passwordless local TCP logins in $hba (test machine)"
    sed -i '/^[^#]/d' "$hba"
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >>"$hba"
  fi
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  if ! wait_for_port 127.0.0.1 5432 60; then
    log "error: PostgreSQL did not open 127.0.0.1:5432 within 60 s (pg_ctlcluster --skip-systemctl-redirect $version main start)"
    return 1
  fi
  psql -h 127.0.0.1 -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 ||
    psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE test" >/dev/null
}

ensure_mariadb() {
  if [ -n "${NOVACTOR_TEST_MYSQL_URL:-}" ]; then
    log "using NOVACTOR_TEST_MYSQL_URL; not managing a local MariaDB"
    return 0
  fi
  if port_open 127.0.0.1 3306; then
    return 0
  fi
  if [ ! -x /usr/sbin/mariadbd ]; then
    apt_install mariadb-server || return 1
  fi
  log "starting MariaDB"
  # mariadbd needs its socket directory, which a fresh boot may not have.
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
  if ! wait_for_port 127.0.0.1 3306 60; then
    log "error: MariaDB did not open 127.0.0.1:3306 within 60 s (start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd)"
    return 1
  fi
  # Debian's root logs in by unix socket only; the tests use TCP with an empty password.
  if ! mariadb -h 127.0.0.1 -u root -e "SELECT 1" >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "letting root log in over TCP without a password (test machine)"
    mariadb -u root -e "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD(''); \
      CREATE USER IF NOT EXISTS root@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD(''); \
      GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;"
  fi
  mariadb -h 127.0.0.1 -u root -e "CREATE DATABASE IF NOT EXISTS test"
}

# The browser tests/dashboard_in_a_browser.rs drives: Debian's chromium and chromium-driver
# (which puts chromedriver on PATH). Off CI a machine that cannot install them only loses
# that test, which then says to run this script; under CI=true that is a failure here.
ensure_chromedriver() {
  if command -v chromedriver >/dev/null 2>&1; then
    return 0
  fi
  if apt_install chromium chromium-driver && command -v chromedriver >/dev/null 2>&1; then
    return 0
  fi
  if [ "${CI:-}" = true ]; then
    log "error: chromedriver is missing and chromium + chromium-driver could not be installed (CI=true, failing)"
    return 1
  fi
  log "warning: chromedriver is missing and could not be installed (apt-get install chromium chromium-driver); tests/dashboard_in_a_browser.rs will fail"
}

ensure_rabbitmq
ensure_postgres
ensure_mariadb
ensure_chromedriver

# The real oslo.messaging peer the interop tests run (tests/interop/oslo_peer.py).
bash "$(dirname "$0")/python-venv.sh" >/dev/null

# The real OpenStack client the API tests drive (tests/osc_*).
bash "$(dirname "$0")/osc-venv.sh" >/dev/null
