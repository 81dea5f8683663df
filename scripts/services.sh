#!/usr/bin/env bash
# Make sure what the test suite talks to is there: a RabbitMQ broker on 127.0.0.1:5672,
# PostgreSQL on 127.0.0.1:5432 and MariaDB on 127.0.0.1:3306 that the tests can log in to,
# chromedriver with a headless chromium for the dashboard's browser test, RabbitMQ's scripts
# and openssl for the tests that start private RabbitMQ nodes (scripts/rabbit-nodes.sh), and
# the repo-local Python venvs. Idempotent and quick when everything already runs.
#
# Usage: bash scripts/services.sh [--configure-test-services]
#
# What the tests need from the databases: a passwordless TCP login as postgres on
# 127.0.0.1:5432 and as root on 127.0.0.1:3306 (each allowed to create databases), and a
# database `test` on each. Set NOVACTOR_TEST_RABBIT_URL / NOVACTOR_TEST_POSTGRES_URL /
# NOVACTOR_TEST_MYSQL_URL to use other servers (or logins with a password); then that one is
# not managed or checked here.
#
# What this script (with scripts/python-venv.sh and scripts/osc-venv.sh) may do, by kind:
#   (a) always: start an installed RabbitMQ / PostgreSQL / MariaDB that is down, create the
#       database `test`, create /run/mysqld for mariadbd, create the repo-local venvs .venv/
#       and .venv-osc/ (pip installs into them; a broken .venv is rebuilt).
#   (b) when root with apt-get: install missing Debian packages (rabbitmq-server,
#       postgresql, postgresql-client, mariadb-server, mariadb-client, chromium,
#       chromium-driver, python3-venv, openssl).
#   (c) only under CI=true or when asked with NOVACTOR_CONFIGURE_TEST_SERVICES=1 (the flag
#       --configure-test-services sets it): weaken database authentication so that the
#       tests' logins work, printing every change to stderr:
#         - PostgreSQL: add `host all postgres 127.0.0.1/32 trust` at the top of the
#           cluster's pg_hba.conf (first match wins; nothing is deleted; the original is kept
#           as pg_hba.conf.novactor-backup) and reload the cluster;
#         - MariaDB: let root log in with an empty password (root@localhost keeps its
#           unix_socket login and gains an empty password; root@'127.0.0.1' is created or
#           set likewise with all privileges).
#       This lets any local user become the database superuser: fine on a throwaway test
#       machine, not on a developer's own. Without the opt-in, when the tests' login does not
#       work, the script changes nothing and fails with what to do by hand.
set -euo pipefail

log() { echo "services.sh: $*" >&2; }
# Each line of stdin as one log line.
report() { while IFS= read -r line; do log "$line"; done; }
indent() { sed 's/^/  /'; }

# The hosts and ports the tests use by default (tests/common/*.rs: broker.rs, fresh_database.rs).
PG_HOST=127.0.0.1 PG_PORT=5432
MY_HOST=127.0.0.1 MY_PORT=3306
RABBIT_HOST=127.0.0.1 RABBIT_PORT=5672

OPT_IN_VAR=NOVACTOR_CONFIGURE_TEST_SERVICES
# May this run weaken database authentication (kind (c) above)?
may_configure() {
  [ "${CI:-}" = true ] || [ "${NOVACTOR_CONFIGURE_TEST_SERVICES:-}" = 1 ]
}
why_allowed() {
  if [ "${CI:-}" = true ]; then echo "CI=true"; else echo "$OPT_IN_VAR=1"; fi
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for_port() {
  local host=$1 port=$2 seconds=$3
  for _ in $(seq 1 "$((seconds * 4))"); do
    port_open "$host" "$port" && return 0
    sleep 0.25
  done
  return 1
}

is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  if is_root && command -v apt-get >/dev/null 2>&1; then
    log "installing $* from Debian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    log "error: $* not installed and we cannot install it (not root or no apt-get): apt-get install $*"
    return 1
  fi
}

# ---------------------------------------------------------------------------------------
# RabbitMQ

ensure_rabbitmq() {
  if [ -n "${NOVACTOR_TEST_RABBIT_URL:-}" ]; then
    log "using NOVACTOR_TEST_RABBIT_URL; not managing a local broker"
    return 0
  fi
  if port_open "$RABBIT_HOST" "$RABBIT_PORT"; then
    return 0
  fi
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    if is_root && command -v apt-get >/dev/null 2>&1; then
      log "installing rabbitmq-server from Debian"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
    else
      report <<EOF
error: RabbitMQ is not running on $RABBIT_HOST:$RABBIT_PORT and rabbitmq-server is not installed.
  Install and start it as root: apt-get install rabbitmq-server && rabbitmq-server -detached
  or point the tests at another broker: NOVACTOR_TEST_RABBIT_URL=rabbit://USER:PASSWORD@HOST:5672/
EOF
      return 1
    fi
  fi
  log "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  if ! wait_for_port "$RABBIT_HOST" "$RABBIT_PORT" 60; then
    report <<EOF
error: RabbitMQ did not open $RABBIT_HOST:$RABBIT_PORT within 60 s.
  Start it as root: rabbitmq-server -detached   (its log: /var/log/rabbitmq/)
  or point the tests at another broker: NOVACTOR_TEST_RABBIT_URL=rabbit://USER:PASSWORD@HOST:5672/
EOF
    return 1
  fi
  # The port opens before the broker accepts logins; wait until it answers.
  if command -v rabbitmqctl >/dev/null 2>&1; then
    rabbitmqctl await_startup >/dev/null 2>&1 || true
  fi
}

# ---------------------------------------------------------------------------------------
# PostgreSQL

# "VERSION NAME" of the Debian cluster configured on $PG_PORT (pg_lsclusters); nothing when
# there is none (then whatever listens there is not ours to reconfigure).
pg_cluster_on_port() {
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | awk -v port="$PG_PORT" '$3 == port && !n++ { print $1, $2 }' || true
  fi
}

# The cluster to start when nothing listens on $PG_PORT: the one configured on that port,
# else the newest version's `main`; nothing when no cluster exists.
pg_cluster_to_start() {
  local found
  found=$(pg_cluster_on_port)
  if [ -z "$found" ] && [ -d /etc/postgresql ]; then
    found=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f main\n' | sort -V | tail -n 1)
  fi
  echo "$found"
}

pg_start_command() {
  local version name
  read -r version name <<<"$(pg_cluster_to_start)"
  echo "pg_ctlcluster --skip-systemctl-redirect ${version:-\$(ls /etc/postgresql)} ${name:-main} start"
}

# The pg_hba.conf of the cluster on $PG_PORT; nothing when that is not a Debian cluster.
pg_hba_file() {
  local version name
  read -r version name <<<"$(pg_cluster_on_port)"
  if [ -n "$version" ]; then echo "/etc/postgresql/$version/$name/pg_hba.conf"; fi
}

pg_reload_command() {
  local version name
  read -r version name <<<"$(pg_cluster_on_port)"
  if [ -n "$version" ]; then
    echo "pg_ctlcluster --skip-systemctl-redirect $version $name reload"
  else
    echo "pg_ctl reload -D DATA_DIRECTORY   (as the server's owner)"
  fi
}

pg_reload() {
  local version name
  read -r version name <<<"$(pg_cluster_on_port)"
  [ -n "$version" ] && pg_ctlcluster --skip-systemctl-redirect "$version" "$name" reload >/dev/null
}

# Does the tests' login work: postgres@$PG_HOST:$PG_PORT over TCP without a password?
# $1: the database. Sets PG_LOGIN_ERROR to what psql said.
pg_login_ok() {
  PG_LOGIN_ERROR=$(env -u PGPASSWORD PGCONNECT_TIMEOUT=5 \
    psql -X -w -h "$PG_HOST" -p "$PG_PORT" -U postgres -d "$1" -Atqc 'SELECT 1' 2>&1 </dev/null) &&
    [ "$PG_LOGIN_ERROR" = 1 ]
}

# The first line pg_hba.conf gets (kind (c)): PostgreSQL uses the first line that matches,
# so this one decides for postgres over TCP from 127.0.0.1, and every other line stays.
PG_TRUST_LINE="host all postgres 127.0.0.1/32 trust"

pg_refusal_help() {
  local hba where
  hba=$(pg_hba_file)
  where=$hba
  if [ -z "$hba" ]; then
    hba=/path/to/pg_hba.conf
    where="the server's pg_hba.conf (a superuser sees where with: SHOW hba_file)"
  fi
  report <<EOF
  The tests need a passwordless TCP login as postgres on $PG_HOST:$PG_PORT (allowed to create
  databases) and a database \`test\` there: postgresql://postgres@$PG_HOST:$PG_PORT/test
  To allow it by hand (as root), put this line first in $where
  (PostgreSQL uses the first matching line; it lets any local user connect as postgres):
    cp -p $hba $hba.novactor-backup
    sed -i '1i $PG_TRUST_LINE' $hba
    $(pg_reload_command)
EOF
  if [ "$where" = "$hba" ]; then
    report <<EOF
  Or let this script do that (and print it): CI=true, or
    $OPT_IN_VAR=1 bash scripts/test.sh   (or: bash scripts/services.sh --configure-test-services)
EOF
  fi
  report <<EOF
  Or point the tests at a server and login you choose (it must be allowed to CREATE DATABASE):
    NOVACTOR_TEST_POSTGRES_URL=postgresql://USER:PASSWORD@HOST:PORT/DATABASE
  (likewise NOVACTOR_TEST_MYSQL_URL for MariaDB and NOVACTOR_TEST_RABBIT_URL for RabbitMQ).
EOF
}

# Kind (c): put $PG_TRUST_LINE first in the cluster's pg_hba.conf (keeping a backup) and
# reload. Prints what it changes.
pg_allow_trust() {
  local hba backup tmp
  hba=$(pg_hba_file)
  if [ -z "$hba" ] || [ ! -f "$hba" ]; then
    log "error: the PostgreSQL on port $PG_PORT is no Debian cluster (pg_lsclusters) and its pg_hba.conf is not known here; changing nothing"
    return 1
  fi
  if [ ! -w "$hba" ]; then
    log "error: cannot write $hba (not root?)"
    return 1
  fi
  if [ "$(grep -v '^[[:space:]]*\(#\|$\)' "$hba" | head -n 1)" = "$PG_TRUST_LINE" ]; then
    log "$hba already starts with '$PG_TRUST_LINE'; only reloading"
  else
    backup=$hba.novactor-backup
    if [ -e "$backup" ]; then
      log "keeping the existing backup $backup (from an earlier run)"
    else
      cp -p "$hba" "$backup" || return 1
      log "saved $hba as $backup (to undo: cp -p $backup $hba && $(pg_reload_command))"
    fi
    log "changing $hba ($(why_allowed)): adding at the top, removing nothing:"
    log "  + # added by novactor scripts/services.sh for the tests; original: $backup"
    log "  + $PG_TRUST_LINE"
    tmp=$(mktemp) || return 1
    {
      echo "# added by novactor scripts/services.sh for the tests; original: $backup"
      echo "$PG_TRUST_LINE"
      cat "$hba"
    } >"$tmp" || return 1
    # Rewrite in place so the file keeps its owner and mode.
    cat "$tmp" >"$hba" || { rm -f "$tmp"; return 1; }
    rm -f "$tmp"
  fi
  log "reloading PostgreSQL: $(pg_reload_command)"
  pg_reload
}

ensure_postgres() {
  if [ -n "${NOVACTOR_TEST_POSTGRES_URL:-}" ]; then
    log "using NOVACTOR_TEST_POSTGRES_URL; not managing a local PostgreSQL"
    return 0
  fi
  if ! port_open "$PG_HOST" "$PG_PORT"; then
    if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(pg_cluster_to_start)" ]; then
      if ! apt_install postgresql; then
        log "  then start it: $(pg_start_command); or set NOVACTOR_TEST_POSTGRES_URL"
        return 1
      fi
    fi
    local version name out
    read -r version name <<<"$(pg_cluster_to_start)"
    log "starting PostgreSQL $version/$name"
    if ! out=$(pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start 2>&1) &&
      ! port_open "$PG_HOST" "$PG_PORT"; then
      report <<EOF
error: PostgreSQL is not running on $PG_HOST:$PG_PORT and starting it failed:
$(indent <<<"$out")
  Start it as root: $(pg_start_command)
  or set NOVACTOR_TEST_POSTGRES_URL=postgresql://USER:PASSWORD@HOST:PORT/DATABASE
EOF
      return 1
    fi
    if ! wait_for_port "$PG_HOST" "$PG_PORT" 60; then
      report <<EOF
error: PostgreSQL did not open $PG_HOST:$PG_PORT within 60 s.
  Start it as root: $(pg_start_command)   (its log: /var/log/postgresql/)
  or set NOVACTOR_TEST_POSTGRES_URL=postgresql://USER:PASSWORD@HOST:PORT/DATABASE
EOF
      return 1
    fi
  fi
  if ! command -v psql >/dev/null 2>&1; then
    if ! apt_install postgresql-client; then
      log "  (psql checks the tests' login and creates database test); or set NOVACTOR_TEST_POSTGRES_URL"
      return 1
    fi
  fi
  # The common case, one psql run: the tests' own login and database work.
  if pg_login_ok test; then
    return 0
  fi
  if ! pg_login_ok postgres; then
    if ! may_configure; then
      report <<EOF
error: PostgreSQL on $PG_HOST:$PG_PORT refuses a passwordless login as postgres; psql said:
$(indent <<<"$PG_LOGIN_ERROR")
EOF
      pg_refusal_help
      return 1
    fi
    log "PostgreSQL on $PG_HOST:$PG_PORT refuses a passwordless login as postgres; $(why_allowed), so allowing it"
    if ! pg_allow_trust || ! pg_login_ok postgres; then
      report <<EOF
error: PostgreSQL on $PG_HOST:$PG_PORT still refuses a passwordless login as postgres; psql said:
$(indent <<<"$PG_LOGIN_ERROR")
EOF
      pg_refusal_help
      return 1
    fi
  fi
  if [ "$(env -u PGPASSWORD PGCONNECT_TIMEOUT=5 psql -X -w -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres \
    -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'" </dev/null)" != 1 ]; then
    log "creating database test on PostgreSQL $PG_HOST:$PG_PORT"
    env -u PGPASSWORD PGCONNECT_TIMEOUT=5 psql -X -w -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres \
      -qc "CREATE DATABASE test" </dev/null >/dev/null
  fi
  if ! pg_login_ok test; then
    report <<EOF
error: PostgreSQL on $PG_HOST:$PG_PORT lets postgres in to database postgres but not to test; psql said:
$(indent <<<"$PG_LOGIN_ERROR")
EOF
    pg_refusal_help
    return 1
  fi
}

# ---------------------------------------------------------------------------------------
# MariaDB

MY_START_COMMAND="mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld && start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"

my_client() {
  if command -v mariadb >/dev/null 2>&1; then mariadb "$@"; else mysql "$@"; fi
}

# Does the tests' login work: root@$MY_HOST:$MY_PORT over TCP with an empty password?
# (No option files: the tests do not read ~/.my.cnf either.) Sets MY_LOGIN_ERROR.
my_login_ok() {
  MY_LOGIN_ERROR=$(my_client --no-defaults --protocol=TCP -h "$MY_HOST" -P "$MY_PORT" -u root --password= \
    --connect-timeout=5 -BNe 'SELECT 1' 2>&1 </dev/null) &&
    [ "$MY_LOGIN_ERROR" = 1 ]
}

# As MariaDB's administrator: root over the unix socket (Debian's root logs in that way
# without a password when the OS user is root).
my_admin() { my_client -u root "$@"; }

# Kind (c), run as the administrator. root@localhost is what a TCP login from 127.0.0.1
# matches when the server resolves host names (Debian's default); root@'127.0.0.1' is what
# it matches with skip-name-resolve.
MY_EMPTY_ROOT_SQL="ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
CREATE USER IF NOT EXISTS root@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('');
ALTER USER root@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('');
GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;"

my_refusal_help() {
  report <<EOF
  The tests need a TCP login as root with an empty password on $MY_HOST:$MY_PORT (allowed to
  create databases) and a database \`test\` there: mysql://root@$MY_HOST:$MY_PORT/test
  To allow it by hand (as root; it lets any local user log in to MariaDB as root):
    mariadb -u root -e "$(tr '\n' ' ' <<<"$MY_EMPTY_ROOT_SQL")"
  Or let this script do that (and print it): CI=true, or
    $OPT_IN_VAR=1 bash scripts/test.sh   (or: bash scripts/services.sh --configure-test-services)
  Or point the tests at a server and login you choose (it must be allowed to CREATE DATABASE):
    NOVACTOR_TEST_MYSQL_URL=mysql://USER:PASSWORD@HOST:PORT/DATABASE
  (likewise NOVACTOR_TEST_POSTGRES_URL for PostgreSQL and NOVACTOR_TEST_RABBIT_URL for RabbitMQ).
EOF
}

my_allow_empty_root() {
  log "changing MariaDB's users ($(why_allowed)), as root over the unix socket:"
  indent <<<"$MY_EMPTY_ROOT_SQL" | report
  local out
  if ! out=$(my_admin -e "$MY_EMPTY_ROOT_SQL" 2>&1 </dev/null); then
    log "error: that failed (this needs MariaDB's administrator, i.e. running as root); mariadb said:"
    indent <<<"$out" | report
    return 1
  fi
}

ensure_mariadb() {
  if [ -n "${NOVACTOR_TEST_MYSQL_URL:-}" ]; then
    log "using NOVACTOR_TEST_MYSQL_URL; not managing a local MariaDB"
    return 0
  fi
  if ! port_open "$MY_HOST" "$MY_PORT"; then
    if [ ! -x /usr/sbin/mariadbd ]; then
      if ! apt_install mariadb-server; then
        log "  then start it: $MY_START_COMMAND; or set NOVACTOR_TEST_MYSQL_URL"
        return 1
      fi
    fi
    log "starting MariaDB"
    # mariadbd needs its socket directory, which a fresh boot may not have.
    { mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld; } 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
    if ! wait_for_port "$MY_HOST" "$MY_PORT" 60; then
      report <<EOF
error: MariaDB did not open $MY_HOST:$MY_PORT within 60 s.
  Start it as root: $MY_START_COMMAND
  or set NOVACTOR_TEST_MYSQL_URL=mysql://USER:PASSWORD@HOST:PORT/DATABASE
EOF
      return 1
    fi
  fi
  if ! command -v mariadb >/dev/null 2>&1 && ! command -v mysql >/dev/null 2>&1; then
    if ! apt_install mariadb-client; then
      log "  (mariadb checks the tests' login and creates database test); or set NOVACTOR_TEST_MYSQL_URL"
      return 1
    fi
  fi
  if ! my_login_ok; then
    if ! may_configure; then
      report <<EOF
error: MariaDB on $MY_HOST:$MY_PORT refuses root with an empty password over TCP; mariadb said:
$(indent <<<"$MY_LOGIN_ERROR")
EOF
      my_refusal_help
      return 1
    fi
    log "MariaDB on $MY_HOST:$MY_PORT refuses root with an empty password over TCP; $(why_allowed), so allowing it"
    if ! my_allow_empty_root || ! my_login_ok; then
      report <<EOF
error: MariaDB on $MY_HOST:$MY_PORT still refuses root with an empty password over TCP; mariadb said:
$(indent <<<"$MY_LOGIN_ERROR")
EOF
      my_refusal_help
      return 1
    fi
  fi
  my_client --no-defaults --protocol=TCP -h "$MY_HOST" -P "$MY_PORT" -u root --password= \
    -e "CREATE DATABASE IF NOT EXISTS test" </dev/null
}

# ---------------------------------------------------------------------------------------
# chromedriver

# The browser tests/dashboard/in_a_browser.rs drives: Debian's chromium and chromium-driver
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
  log "warning: chromedriver is missing and could not be installed (apt-get install chromium chromium-driver); tests/dashboard/in_a_browser.rs will fail"
}

# ---------------------------------------------------------------------------------------
# Private RabbitMQ nodes

# tests/rpc/tls_client_certificates.rs and cluster_failover.rs start private nodes of their
# own (scripts/rabbit-nodes.sh): they need Debian's RabbitMQ scripts in /usr/lib/rabbitmq/bin
# (also when NOVACTOR_TEST_RABBIT_URL points elsewhere) and openssl. Off CI a machine that
# cannot install them only loses those tests, which then fail saying what is missing; under
# CI=true that is a failure here.
ensure_private_rabbit_nodes() {
  local missing=()
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  if [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"; then
    return 0
  fi
  if [ "${CI:-}" = true ]; then
    log "error: ${missing[*]} missing and could not be installed (CI=true, failing); the private-node tests need them"
    return 1
  fi
  log "warning: ${missing[*]} missing (apt-get install ${missing[*]}); tests/rpc/tls_client_certificates.rs and cluster_failover.rs will fail"
}

main() {
  while [ $# -gt 0 ]; do
    case $1 in
      --configure-test-services) export NOVACTOR_CONFIGURE_TEST_SERVICES=1 ;;
      -h | --help)
        sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        return 0
        ;;
      *)
        log "error: unknown argument '$1' (usage: bash scripts/services.sh [--configure-test-services])"
        return 2
        ;;
    esac
    shift
  done
  case ${NOVACTOR_CONFIGURE_TEST_SERVICES:-} in
    "" | 0 | 1) ;;
    *) log "warning: NOVACTOR_CONFIGURE_TEST_SERVICES='$NOVACTOR_CONFIGURE_TEST_SERVICES' is not 1, so it does not opt in" ;;
  esac

  ensure_rabbitmq
  ensure_postgres
  ensure_mariadb
  ensure_chromedriver
  ensure_private_rabbit_nodes

  # The real oslo.messaging peer the interop tests run (tests/interop/oslo_peer.py).
  bash "$(dirname "${BASH_SOURCE[0]}")/python-venv.sh" >/dev/null

  # The real OpenStack client the API tests drive (tests/api/osc_drives_the_compute_api.rs).
  bash "$(dirname "${BASH_SOURCE[0]}")/osc-venv.sh" >/dev/null

  # A real Nova 34 control plane for tests/real_nova (scripts/real-nova/): its venv, cached
  # outside the repository so a fresh clone does not reinstall it.
  bash "$(dirname "${BASH_SOURCE[0]}")/real-nova/venv.sh" >/dev/null
}

# Sourced (e.g. to try a check against another port), only the functions are defined.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
