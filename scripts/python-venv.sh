#!/usr/bin/env bash
# Create (or reuse) the repo-local Python venv used by the interop tests, with a
# pinned oslo.messaging (the version docs/WIRE.md was verified
# against). Idempotent: when .venv already has the pinned version it returns at
# once without running pip. The last line of stdout is the venv's python path.
#
# Usage: scripts/python-venv.sh            (env: PYTHON=python3 to pick the base interpreter)
set -euo pipefail

OSLO_MESSAGING_VERSION="18.3.1"
# The AMQP stack the spec's captures were taken with; pinned so the wire
# behaviour cannot drift under us.
KOMBU_VERSION="5.7.0"
AMQP_VERSION="5.4.2"
# The reference text-format parser the /metrics test checks novactor's exposition with.
PROMETHEUS_CLIENT_VERSION="0.21.1"
WANT="oslo.messaging=$OSLO_MESSAGING_VERSION kombu=$KOMBU_VERSION amqp=$AMQP_VERSION prometheus_client=$PROMETHEUS_CLIENT_VERSION"

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.venv"
VPY="$VENV/bin/python"
BASE_PY="${PYTHON:-python3}"

die() { echo "python-venv.sh: error: $*" >&2; exit 1; }

# "oslo.messaging=X kombu=Y amqp=Z" as installed (importing oslo_messaging to
# be sure it loads), or nothing.
installed_versions() {
    "$VPY" -c 'import importlib.metadata as m, oslo_messaging, prometheus_client
print(" ".join("%s=%s" % (d, m.version(d)) for d in ("oslo.messaging", "kombu", "amqp", "prometheus_client")))' 2>/dev/null || true
}

# Fast path: the venv exists and has the pinned versions; no pip run.
if [[ -x "$VPY" ]] && [[ "$(installed_versions)" == "$WANT" ]]; then
    echo "$VPY"
    exit 0
fi

command -v "$BASE_PY" >/dev/null 2>&1 || die "$BASE_PY not found; install Python 3 (Debian: apt-get install -y python3 python3-venv)"

# python3 -m venv needs ensurepip, which Debian ships separately (python3-venv).
if ! "$BASE_PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
        echo "python-venv.sh: ensurepip missing; installing python3-venv with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update >&2 || die "apt-get update failed"
        pyver="$("$BASE_PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
        apt-get install -y python3-venv >&2 \
            || apt-get install -y "python${pyver}-venv" >&2 \
            || die "apt-get install python3-venv failed"
        "$BASE_PY" -c 'import ensurepip, venv' >/dev/null 2>&1 \
            || die "ensurepip still missing after installing python3-venv (try: apt-get install -y python${pyver}-venv)"
    else
        die "'$BASE_PY -m venv' needs ensurepip, which is missing; install the Debian package python3-venv (apt-get install -y python3-venv) and re-run"
    fi
fi

# A half-built venv (no python, or no pip) is rebuilt from scratch.
if [[ -d "$VENV" ]] && ! { [[ -x "$VPY" ]] && "$VPY" -m pip --version >/dev/null 2>&1; }; then
    echo "python-venv.sh: removing broken venv at $VENV" >&2
    rm -rf "$VENV"
fi
if [[ ! -x "$VPY" ]]; then
    echo "python-venv.sh: creating $VENV" >&2
    "$BASE_PY" -m venv "$VENV" >&2 || die "'$BASE_PY -m venv $VENV' failed"
fi

echo "python-venv.sh: installing oslo.messaging==$OSLO_MESSAGING_VERSION into $VENV" >&2
"$VPY" -m pip install --disable-pip-version-check --no-input --quiet \
    "oslo.messaging==$OSLO_MESSAGING_VERSION" "kombu==$KOMBU_VERSION" "amqp==$AMQP_VERSION" \
    "prometheus_client==$PROMETHEUS_CLIENT_VERSION" >&2 \
    || die "pip install $WANT failed (is PyPI reachable?)"

got="$(installed_versions)"
[[ "$got" == "$WANT" ]] \
    || die "after pip install the venv has '${got:-<oslo_messaging not importable>}', expected '$WANT'"

echo "$VPY"
