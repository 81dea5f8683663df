"""A real Keystone 30.0.0 for the tests, in one process, restartable on the same state.

    python keystone.py --state-dir DIR [--port N] [--ready-file FILE]
                       [--compute-url URL] [--token-expiration SECONDS]

Run it with the real-nova venv's python (`$(bash scripts/real-nova/venv.sh)/python`).

First run on DIR: binds 127.0.0.1:PORT (an ephemeral port unless --port; the socket is
kept and served on, so there is no race; it listens only once the app is loaded), writes
DIR/keystone.conf (SQLite database DIR/keystone.db, fernet/credential key repositories in
DIR, in-memory dogpile cache, so no memcached), takes the schema from `keystone-manage
db_sync` (or from the copy of its result kept in the venv), creates the key repositories
as `fernet_setup`/`credential_setup` do (their code, in-process), runs `keystone-manage
bootstrap` (admin/admin, region RegionOne, identity endpoints at http://127.0.0.1:PORT/v3)
while it loads `keystone.wsgi.api:application` into wsgi_serve's threaded wsgiref server,
and provisions through Keystone's own REST API like devstack does: projects demo, alt,
service; users demo_member (member on demo), demo_reader (reader on demo), alt_member
(member on alt), nova (admin + service on service). Passwords are random, kept in
DIR/state.json.

Later runs on the same DIR skip all of that (same ids; tokens issued earlier still
validate: the fernet keys persist) and come back on the port recorded in DIR, which is
how a test simulates a Keystone outage: SIGTERM, then start again.

--compute-url URL (on any run) makes sure the catalog has a service `nova` of type
`compute` with public/internal/admin endpoints at URL in RegionOne.

Ready (listening and provisioned) is signalled by FILE appearing, written atomically,
JSON: url, auth_url, region, pid, users{name: password, project, project_id, user_id,
roles, domain}, projects{name: id}, plus state_dir, log, fresh and timings.
stderr: progress lines (`keystone [  1.2s] ...`) and one flushed line per request
(`127.0.0.1 - - [date] "GET /v3/auth/tokens HTTP/1.1" 200 2345`); Keystone's own log goes
to DIR/keystone.log, the output of keystone-manage to DIR/keystone-manage-CMD.log.
SIGTERM or SIGINT: exits at once with status 0.
"""

import argparse
import grp
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings

# Keystone's import pulls oslo.service's eventlet backend in, which warns on stderr.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

HERE = os.path.dirname(os.path.abspath(__file__))
# This file is named like the package it serves: take its directory off sys.path, or
# `import keystone` would import this script again; wsgi_serve.py is loaded by path.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
_spec = importlib.util.spec_from_file_location("wsgi_serve", os.path.join(HERE, "wsgi_serve.py"))
wsgi_serve = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wsgi_serve)
QuietHandler, ThreadingWSGIServer = wsgi_serve.QuietHandler, wsgi_serve.ThreadingWSGIServer
write_atomically = wsgi_serve.write_atomically

REGION = "RegionOne"
DOMAIN = "Default"
# name -> (project, roles assigned on it). admin's admin role on project admin is bootstrap's.
USERS = {
    "demo_member": ("demo", ["member"]),
    "demo_reader": ("demo", ["reader"]),
    "alt_member": ("alt", ["member"]),
    "nova": ("service", ["admin", "service"]),
}
PROJECTS = ["demo", "alt", "service"]
STATE_SCHEMA = 1

T0 = time.monotonic()
CHILDREN = []  # the running keystone-manage processes, killed with us


def log(msg):
    print("keystone [%6.1fs] %s" % (time.monotonic() - T0, msg), file=sys.stderr, flush=True)


def die(msg):
    log("error: " + msg)
    sys.exit(1)


def on_signal(signum, frame):
    for child in CHILDREN:
        if child.poll() is None:
            child.kill()
    sys.stderr.flush()
    # No graceful drain: in-flight requests are cut, which is what an outage looks like.
    # SQLite commits are atomic, so nothing half-written survives.
    os._exit(0 if signum == signal.SIGTERM else 128 + signum)


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def write_json(path, doc):
    write_atomically(path, json.dumps(doc, indent=2, sort_keys=True) + "\n")


def keystone_conf(d, token_expiration):
    return """\
# Written by scripts/real-nova/keystone.py on every start; state lives beside it.
[DEFAULT]
debug = false
log_file = {d}/keystone.log
use_stderr = false

[database]
connection = sqlite:///{d}/keystone.db

[identity]
# bcrypt's minimum: a password login costs ~1 ms of hashing, not ~250 ms.
password_hash_rounds = 4

[token]
provider = fernet
expiration = {exp}

[fernet_tokens]
key_repository = {d}/fernet-keys

[fernet_receipts]
key_repository = {d}/fernet-receipts

[credential]
key_repository = {d}/credential-keys

[cache]
# In-process cache, no memcached: one validation is 3-6 ms instead of ~450 SQL queries.
enabled = true
backend = dogpile.cache.memory
""".format(d=d, exp=token_expiration)


def manage(d, *argv):
    """Start the venv's keystone-manage on DIR's config, output to keystone-manage-CMD.log."""
    exe = os.path.join(os.path.dirname(sys.executable), "keystone-manage")
    if not os.access(exe, os.X_OK):
        die("%s is missing: run keystone.py with the real-nova venv's python "
            "($(bash scripts/real-nova/venv.sh)/python)" % exe)
    logpath = os.path.join(d, "keystone-manage-%s.log" % argv[0])
    with open(logpath, "w") as out:
        child = subprocess.Popen([exe, "--config-file", os.path.join(d, "keystone.conf")]
                                 + list(argv), stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
    CHILDREN.append(child)
    return child, argv[0], logpath


def wait(*started):
    for child, cmd, logpath in started:
        rc = child.wait()
        CHILDREN.remove(child)
        if rc != 0:
            with open(logpath) as f:
                tail = f.read().splitlines()[-40:]
            die("keystone-manage %s failed (exit %d); last lines of %s:\n%s"
                % (cmd, rc, logpath, "\n".join(tail)))


def setup(d, port, state, db_cache):
    """An empty state made ready for the app: database schema and key repositories.
    Returns the running `keystone-manage bootstrap` (it runs while the app loads)."""
    for name in ("keystone.db", "fernet-keys", "fernet-receipts", "credential-keys",
                 "provision.json"):
        p = os.path.join(d, name)
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.exists(p):
            os.remove(p)
    # The schema: db_sync takes 5-8 s, a copy of its result (kept in the venv, so keyed
    # by the lock like the Keystone that wrote it) milliseconds.
    template = os.path.join(sys.prefix, "keystone-db-template", "keystone.db")
    db = os.path.join(d, "keystone.db")
    if db_cache and os.path.exists(template):
        log("database: copy of the db_sync'ed schema %s" % template)
        shutil.copyfile(template, db)
    else:
        log("keystone-manage db_sync")
        wait(manage(d, "db_sync"))
        if db_cache:
            os.makedirs(os.path.dirname(template), exist_ok=True)
            tmp = "%s.%d.tmp" % (template, os.getpid())
            shutil.copyfile(db, tmp)
            os.replace(tmp, template)
    # What `keystone-manage fernet_setup` and `credential_setup` do (the same keystone
    # code, in-process: two interpreters less): a repository with a staged and a primary key.
    from keystone.common import fernet_utils
    for repo, group in (("fernet-keys", "fernet_tokens"), ("fernet-receipts", "fernet_receipts"),
                        ("credential-keys", "credential")):
        futils = fernet_utils.FernetUtils(os.path.join(d, repo), 3, group)
        futils.create_key_directory(os.getuid(), os.getgid())
        if not futils.validate_key_repository(requires_write=True):
            die("key repository %s/%s is not usable" % (d, repo))
        futils.initialize_key_repository(os.getuid(), os.getgid())
    url = "http://127.0.0.1:%d/v3" % port
    log("keystone-manage bootstrap (admin, %s, %s), beside the app's loading" % (REGION, url))
    return manage(d, "bootstrap", "--bootstrap-username", "admin",
                  "--bootstrap-password", state["passwords"]["admin"],
                  "--bootstrap-project-name", "admin",
                  "--bootstrap-role-name", "admin",
                  "--bootstrap-service-name", "keystone",
                  "--bootstrap-region-id", REGION,
                  "--bootstrap-admin-url", url, "--bootstrap-public-url", url,
                  "--bootstrap-internal-url", url)


def one_writer(app):
    """Requests that may write (not GET/HEAD/OPTIONS) run one at a time. SQLite refuses a
    second concurrent writer at once ("database is locked": two transactions upgrading a
    read lock deadlock, the busy timeout does not apply), and a password login writes:
    8 parallel logins got 6 HTTP 500s of 13 without this. Validations (GET) stay parallel."""
    lock = threading.Lock()

    def wrapped(environ, start_response):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD", "OPTIONS"):
            return app(environ, start_response)
        with lock:
            result = app(environ, start_response)
            try:
                return list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
    return wrapped


class Api:
    """Keystone's REST API as the bootstrap admin, with the stdlib's urllib."""

    def __init__(self, base, password):
        self.base = base
        self.token = None
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"name": DOMAIN}, "password": password}}},
            "scope": {"project": {"name": "admin", "domain": {"name": DOMAIN}}}}}
        status, headers, _ = self.call("POST", "/v3/auth/tokens?nocatalog", body)
        self.token = headers["X-Subject-Token"]

    def call(self, method, path, body=None, ok=(200, 201, 204)):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        req.add_header("Accept", "application/json")
        if self.token:
            req.add_header("X-Auth-Token", self.token)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                raw = resp.read()
                status, headers = resp.status, resp.headers
        except urllib.error.HTTPError as e:
            raw, status, headers = e.read(), e.code, e.headers
        if status not in ok:
            die("%s %s -> %d: %s" % (method, path, status, raw[:500].decode(errors="replace")))
        return status, headers, (json.loads(raw) if raw else None)

    def find_or_create(self, collection, query, doc):
        """GET /v3/COLLECTION?QUERY; the one match, or POST doc. Returns the entity."""
        _, _, found = self.call("GET", "/v3/%s?%s" % (collection, query))
        if found[collection]:
            return found[collection][0], False
        key = collection[:-1]
        _, _, made = self.call("POST", "/v3/" + collection, {key: doc})
        return made[key], True


def provision(api, state):
    roles = {r["name"]: r["id"] for r in api.call("GET", "/v3/roles")[2]["roles"]}
    for needed in ("admin", "member", "reader", "service"):
        if needed not in roles:
            die("bootstrap made no role %r (roles: %s)" % (needed, sorted(roles)))
    projects = {}
    for name in PROJECTS:
        p, _ = api.find_or_create("projects", "name=%s&domain_id=default" % name, {
            "name": name, "domain_id": "default", "description": "novactor test project"})
        projects[name] = p["id"]
    projects["admin"] = api.find_or_create("projects", "name=admin&domain_id=default", None)[0]["id"]
    users = {"admin": {"project": "admin", "roles": ["admin"],
                       "user_id": api.find_or_create("users", "name=admin&domain_id=default",
                                                     None)[0]["id"]}}
    for name, (project, role_names) in USERS.items():
        pw = state["passwords"][name]
        u, created = api.find_or_create("users", "name=%s&domain_id=default" % name, {
            "name": name, "domain_id": "default", "password": pw,
            "default_project_id": projects[project], "enabled": True})
        if not created:  # an interrupted first run: make the password the recorded one
            api.call("PATCH", "/v3/users/" + u["id"], {"user": {"password": pw}})
        for role in role_names:
            api.call("PUT", "/v3/projects/%s/users/%s/roles/%s"
                     % (projects[project], u["id"], roles[role]))
        users[name] = {"project": project, "roles": role_names, "user_id": u["id"]}
    return {"schema": STATE_SCHEMA, "projects": projects, "users": users}


def ensure_compute(api, url):
    svc, _ = api.find_or_create("services", "type=compute", {
        "name": "nova", "type": "compute", "enabled": True, "description": "novactor"})
    _, _, eps = api.call("GET", "/v3/endpoints?service_id=%s&region_id=%s" % (svc["id"], REGION))
    have = {e["interface"]: e for e in eps["endpoints"]}
    for iface in ("public", "internal", "admin"):
        e = have.get(iface)
        if e is None:
            api.call("POST", "/v3/endpoints", {"endpoint": {
                "service_id": svc["id"], "interface": iface, "url": url, "region_id": REGION,
                "enabled": True}})
        elif e["url"] != url:
            api.call("PATCH", "/v3/endpoints/" + e["id"], {"endpoint": {"url": url}})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--state-dir", required=True)
    p.add_argument("--port", type=int, default=None,
                   help="default: the port recorded in the state dir, else an ephemeral one")
    p.add_argument("--ready-file")
    p.add_argument("--compute-url")
    p.add_argument("--token-expiration", type=int, default=3600, help="seconds (default 3600)")
    p.add_argument("--no-db-cache", action="store_true",
                   help="run db_sync, neither reading nor writing the venv's schema copy")
    args = p.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    d = os.path.abspath(args.state_dir)
    os.makedirs(d, exist_ok=True)
    state_path = os.path.join(d, "state.json")
    prov_path = os.path.join(d, "provision.json")
    state = load_json(state_path)
    if state is not None and state.get("schema") != STATE_SCHEMA:
        die("%s has schema %r, not %d: use a new --state-dir" % (state_path, state.get("schema"),
                                                                   STATE_SCHEMA))
    port = args.port
    if state and state.get("setup_done"):
        if port is not None and port != state["port"]:
            die("%s was set up on port %d (the catalog's identity endpoints say so), not %d"
                % (d, state["port"], port))
        port = state["port"]

    # Bind now, listen once the app is loaded: until then a client is refused, as when
    # Keystone is down. SO_REUSEADDR (HTTPServer's default) lets a restart take the port
    # back at once although the previous process's connections are in TIME_WAIT.
    server = ThreadingWSGIServer(("127.0.0.1", port or 0), QuietHandler, bind_and_activate=False)
    try:
        server.server_bind()
    except OSError as e:
        die("cannot bind 127.0.0.1:%d: %s" % (port or 0, e))
    port = server.server_port
    base = "http://127.0.0.1:%d" % port
    log("bound %s; state %s" % (base, d))

    write_atomically(os.path.join(d, "keystone.conf"), keystone_conf(d, args.token_expiration))
    timings = {}
    fresh = not (state and state.get("setup_done"))
    if fresh:
        t = time.monotonic()
        state = {"schema": STATE_SCHEMA, "port": port, "setup_done": False,
                 "passwords": {n: secrets.token_hex(10) for n in ["admin"] + list(USERS)}}
        write_json(state_path, state)
        bootstrap = setup(d, port, state, not args.no_db_cache)
        timings["setup_s"] = round(time.monotonic() - t, 2)

    t = time.monotonic()
    os.environ["OS_KEYSTONE_CONFIG_DIR"] = d
    os.environ.pop("OS_KEYSTONE_CONFIG_FILES", None)
    sys.argv = ["keystone"]  # oslo.config parses sys.argv when the app is built
    import keystone.wsgi.api
    server.set_app(one_writer(keystone.wsgi.api.application))
    timings["app_load_s"] = round(time.monotonic() - t, 2)
    if fresh:
        t = time.monotonic()
        wait(bootstrap)
        timings["bootstrap_wait_s"] = round(time.monotonic() - t, 2)
        state["setup_done"] = True
        write_json(state_path, state)
    server.server_activate()
    threading.Thread(target=server.serve_forever, name="wsgi", daemon=True).start()
    log("serving keystone.wsgi.api:application on %s (log %s/keystone.log)" % (base, d))

    prov = load_json(prov_path)
    if prov is None or args.compute_url:
        t = time.monotonic()
        api = Api(base, state["passwords"]["admin"])
        if prov is None:
            log("provisioning projects and users")
            prov = provision(api, state)
            write_json(prov_path, prov)
        if args.compute_url:
            log("compute endpoints: %s" % args.compute_url)
            ensure_compute(api, args.compute_url)
        timings["provision_s"] = round(time.monotonic() - t, 2)

    timings["ready_s"] = round(time.monotonic() - T0, 2)
    users = {}
    for name, u in prov["users"].items():
        users[name] = dict(u, password=state["passwords"][name], domain=DOMAIN,
                           project_id=prov["projects"][u["project"]])
    ready = {"url": base, "auth_url": base + "/v3", "region": REGION, "pid": os.getpid(),
             "users": users, "projects": prov["projects"], "state_dir": d,
             "log": os.path.join(d, "keystone.log"), "fresh": fresh, "timings": timings}
    if args.ready_file:
        write_json(args.ready_file, ready)
    log("ready in %.1fs (%s)" % (timings["ready_s"], "fresh" if fresh else "warm"))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
