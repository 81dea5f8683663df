#!/usr/bin/env bash
# End-to-end check of keystone.py with the real CLI: start on a fresh state dir, issue
# tokens with `openstack token issue`, validate them as the nova service user would
# (GET /v3/auth/tokens), find compute in the catalog, SIGTERM, start again on the same
# port and validate the old token. Prints timings; exits non-zero on the first failure.
#
# Usage: bash scripts/real-nova/keystone_smoke.sh      (~20 s; needs curl)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BIN="$(bash "$HERE/venv.sh")"
W="$(mktemp -d)"
PID=
cleanup() { [[ -n "$PID" ]] && kill "$PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "keystone_smoke: FAIL: $*" >&2; echo "--- keystone stderr (tail)" >&2; tail -20 "$W/stderr" >&2; exit 1; }
ok() { echo "keystone_smoke: ok: $*" >&2; }

start() {   # start [--port N]: starts keystone.py, waits for the ready file
    rm -f "$W/ready.json"
    local t0=$SECONDS
    "$BIN/python" "$HERE/keystone.py" --state-dir "$W/state" --ready-file "$W/ready.json" \
        --compute-url http://127.0.0.1:8774/v2.1 "$@" 2>>"$W/stderr" &
    PID=$!
    for _ in $(seq 1 1200); do
        [[ -f "$W/ready.json" ]] && break
        kill -0 "$PID" 2>/dev/null || fail "keystone.py exited before it was ready"
        sleep 0.1
    done
    [[ -f "$W/ready.json" ]] || fail "no ready file after 120 s"
    ok "ready ($(rj "d['fresh'] and 'fresh' or 'warm'"), $(rj "d['timings']['ready_s']") s): $(rj "d['url']")"
}
rj() { "$BIN/python" -c "import json; d=json.load(open('$W/ready.json')); print($1)"; }
token() {   # token USER: `openstack token issue` as USER on their project
    env -i PATH=/usr/bin:/bin "$BIN/openstack" --os-auth-url "$(rj "d['auth_url']")" \
        --os-username "$1" --os-password "$(rj "d['users']['$1']['password']")" \
        --os-project-name "$(rj "d['users']['$1']['project']")" \
        --os-user-domain-name Default --os-project-domain-name Default \
        --os-identity-api-version 3 token issue -f value -c id
}
validate() {   # validate SUBJECT_TOKEN EXPECTED_STATUS [EXPECTED_ROLES]
    local code
    code=$(curl -s -o "$W/v.json" -w '%{http_code}' -H "X-Auth-Token: $NOVA" \
        -H "X-Subject-Token: $1" "$(rj "d['url']")/v3/auth/tokens")
    [[ "$code" == "$2" ]] || fail "validation: HTTP $code, wanted $2: $(cat "$W/v.json")"
    if [[ -n "${3:-}" ]]; then
        local roles
        roles=$("$BIN/python" -c "import json; print(','.join(sorted(r['name'] for r in json.load(open('$W/v.json'))['token']['roles'])))")
        [[ "$roles" == "$3" ]] || fail "roles $roles, wanted $3"
    fi
}

start
NOVA=$(token nova)
DEMO=$(token demo_member)
READER=$(token demo_reader)
validate "$DEMO" 200 member,reader && ok "demo_member's token: 200, roles member,reader"
validate "$READER" 200 reader && ok "demo_reader's token: 200, roles reader"
validate garbage 404 && ok "garbage: 404"
env -i PATH=/usr/bin:/bin "$BIN/openstack" --os-auth-url "$(rj "d['auth_url']")" \
    --os-username admin --os-password "$(rj "d['users']['admin']['password']")" \
    --os-project-name admin --os-user-domain-name Default --os-project-domain-name Default \
    catalog list -f value -c Type | grep -qx compute || fail "no compute in the catalog"
ok "catalog has compute"
n=$(grep -c '"GET /v3/auth/tokens HTTP/1.[01]"' "$W/stderr" || true)
[[ "$n" == 3 ]] || fail "$n GET /v3/auth/tokens lines in the request log, wanted 3"
ok "request log: 3 GET /v3/auth/tokens"

PORT=$(rj "d['url'].rsplit(':', 1)[1]")
kill -TERM "$PID"
wait "$PID" && rc=0 || rc=$?
[[ "$rc" == 0 ]] || fail "SIGTERM: exit status $rc"
ok "SIGTERM: exit 0"
curl -s -o /dev/null "http://127.0.0.1:$PORT/v3" && fail "port $PORT still answers"
start --port "$PORT"
[[ "$(rj "d['fresh']")" == False ]] || fail "second start was not warm"
validate "$DEMO" 200 member,reader && ok "after the restart, the old demo_member token: 200"
echo "keystone_smoke: all ok" >&2
