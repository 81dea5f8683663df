#!/usr/bin/env bash
# Create (or reuse) .venv-osc with the latest python-openstackclient from PyPI, which the
# client tests drive novactor's compute API with. Idempotent and quick once installed
# (`--upgrade` runs only when asked: OSC_UPGRADE=1). Last stdout line: the `openstack` path.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.venv-osc"
die() { echo "osc-venv.sh: error: $*" >&2; exit 1; }
if [[ -x "$VENV/bin/openstack" && -z "${OSC_UPGRADE:-}" ]]; then
    echo "$VENV/bin/openstack"
    exit 0
fi
# Tests may run this concurrently on a fresh clone: one builds, the others wait and reuse.
exec 9>"$ROOT/.venv-osc.lock"
flock 9
if [[ -x "$VENV/bin/openstack" && -z "${OSC_UPGRADE:-}" ]]; then
    echo "$VENV/bin/openstack"
    exit 0
fi
python3 -m venv "$VENV" >&2 || die "python3 -m venv failed (Debian: apt-get install -y python3-venv)"
"$VENV/bin/pip" install -q --upgrade python-openstackclient >&2 || die "pip install python-openstackclient failed (is PyPI reachable?)"
[[ -x "$VENV/bin/openstack" ]] || die "no openstack command after installing python-openstackclient"
echo "$VENV/bin/openstack"
