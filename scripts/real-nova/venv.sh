#!/usr/bin/env bash
# Create (or reuse) the venv holding a real OpenStack control plane of one release (nova
# 34.0.0, openstack-placement 16.0.0, keystone 30.0.0, python-openstackclient, PyMySQL)
# installed from the hash-locked requirements.txt beside this script. The venv lives outside the repository, keyed by
# the lock's content, so a fresh clone (CI) reuses it:
#   ${NOVACTOR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/novactor}/real-nova-<sha256[:12]>
# Fast path: the venv exists and carries the completion marker (written only after a
# successful install and import check) -> no pip run. A venv without the marker (an
# interrupted build) is removed and rebuilt. Concurrent runs serialise on a lock file.
# The last line of stdout is the venv's bin directory.
#
# Usage: bash scripts/real-nova/venv.sh          (env: PYTHON=python3 picks the base interpreter)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REQ="$HERE/requirements.txt"
BASE_PY="${PYTHON:-python3}"
die() { echo "real-nova/venv.sh: error: $*" >&2; exit 1; }
log() { echo "real-nova/venv.sh: $*" >&2; }

[[ -f "$REQ" ]] || die "$REQ is missing"
REQ_SHA="$(sha256sum "$REQ" | cut -d' ' -f1)"
CACHE="${NOVACTOR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/novactor}"
VENV="$CACHE/real-nova-${REQ_SHA:0:12}"
MARKER="$VENV/.novactor-complete"

# Complete = marker names this exact lock and the interpreter still runs (a venv
# outlives a removed base Python only as a broken symlink).
complete() {
    [[ -f "$MARKER" ]] && [[ "$(cat "$MARKER")" == "$REQ_SHA" ]] \
        && "$VENV/bin/python" -c 'pass' >/dev/null 2>&1
}

if complete; then
    echo "$VENV/bin"
    exit 0
fi

mkdir -p "$CACHE" || die "cannot create the cache directory $CACHE (set NOVACTOR_CACHE_DIR)"
# Serialise builders: a second run waits, then finds the venv complete.
exec 9>"$VENV.lock"
if ! flock -n 9; then
    log "another run is building $VENV; waiting for it"
    flock 9
fi
if complete; then
    echo "$VENV/bin"
    exit 0
fi

command -v "$BASE_PY" >/dev/null 2>&1 || die "$BASE_PY not found; install Python 3.11 (Debian: apt-get install -y python3 python3-venv)"
"$BASE_PY" -c 'import ensurepip, venv' >/dev/null 2>&1 \
    || die "'$BASE_PY -m venv' needs ensurepip; install python3-venv (apt-get install -y python3-venv) and re-run"
pyver="$("$BASE_PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
[[ "$pyver" == "3.11" ]] || log "warning: requirements.txt was locked for Python 3.11, $BASE_PY is $pyver; the install may fail"

if [[ -e "$VENV" ]]; then
    log "removing incomplete venv $VENV (no completion marker: an earlier build was interrupted or failed)"
    rm -rf "$VENV"
fi
log "creating $VENV"
"$BASE_PY" -m venv "$VENV" >&2 || die "'$BASE_PY -m venv $VENV' failed"

# --no-deps + --require-hashes: every package must be in the lock with its hash, so
# this install also proves the lock is complete. PIP_FIND_LINKS is cleared so that
# only what PyPI serves (what the hashes were taken from) is installed.
log "installing requirements.txt (${REQ_SHA:0:12}) into $VENV; a cold install takes a few minutes"
PIP_FIND_LINKS= "$VENV/bin/pip" install --disable-pip-version-check --no-input --quiet \
    --require-hashes --no-deps -r "$REQ" >&2 \
    || die "pip install --require-hashes --no-deps -r $REQ failed (is PyPI reachable? is the lock complete?); $VENV is left without its marker and will be rebuilt next time"

# Import check: everything realnova.py runs must load, and no dependency may be missing.
# One process per entry point: each nova service picks its concurrency mode (native
# threads or eventlet) at import, and two of them in one interpreter refuse each other.
"$VENV/bin/pip" check >&2 || die "pip check found missing or conflicting dependencies in $VENV: the lock is incomplete"
for mods in nova.cmd.conductor nova.cmd.scheduler nova.cmd.compute nova.cmd.manage \
        nova.api.openstack.wsgi_app nova.virt.fake placement.wsgi placement.cmd.manage \
        keystone.cmd.manage keystone.server.flask \
        "pymysql, openstackclient.shell, webob, kombu, keystoneauth1, keystoneclient.v3.client"; do
    "$VENV/bin/python" -W ignore -c "import $mods" >&2 \
        || die "the venv $VENV installed but 'import $mods' fails"
done
for exe in openstack nova-manage placement-manage keystone-manage nova-conductor nova-scheduler nova-compute; do
    [[ -x "$VENV/bin/$exe" ]] || die "$VENV/bin/$exe is missing after the install"
done

echo "$REQ_SHA" > "$MARKER"
log "ready: $VENV"
echo "$VENV/bin"
