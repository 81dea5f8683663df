#!/usr/bin/env python3
"""Stand up a real Nova 34.0.0 control plane (from PyPI) for novactor's tests.

Run with the python of the venv scripts/real-nova/venv.sh builds:

    BIN=$(bash scripts/real-nova/venv.sh)
    $BIN/python scripts/real-nova/realnova.py up --workdir /tmp/rn      # JSON on stdout
    $BIN/python scripts/real-nova/realnova.py compute --workdir /tmp/rn --host pycompute1
    $BIN/python scripts/real-nova/realnova.py smoke --workdir /tmp/rn
    $BIN/python scripts/real-nova/realnova.py tap --workdir /tmp/rn --out /tmp/rn/trace.jsonl
    $BIN/python scripts/real-nova/realnova.py down --workdir /tmp/rn

`up` gives the run a RabbitMQ vhost and MariaDB databases of its own, writes
nova.conf / placement.conf / api-paste.ini into the work dir, migrates the databases,
starts the stand-ins (keystone version document, glance, neutron), placement, nova-api,
nova-conductor and nova-scheduler, waits until each really answers, creates flavors
and prints one JSON document describing it all (also written to DIR/realnova.json).
Every process is started in a session of its own and recorded by PID and start time;
`down` stops exactly those (SIGTERM, then SIGKILL) and drops exactly the databases and
vhost `up` created. See README.md beside this file.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)
STATE_FILE = "realnova.json"
ADMIN_TOKEN = "admin:admin"

# Heartbeats every 5 s; a service silent for 20 s is down. Small enough that a test
# sees a killed compute go down within ~25 s, large enough not to flap on a loaded box.
REPORT_INTERVAL = 5
SERVICE_DOWN_TIME = 20

FLAVORS = [
    {"id": "1", "name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1},
    {"id": "2", "name": "m1.small", "vcpus": 1, "ram": 2048, "disk": 20},
]
IMAGE_NAME = "cirros"
# A FakeDriver whose node uuid persists in state_path/compute_id, so a compute can be
# stopped and started again under the same host (plain fake.FakeDriver draws a new
# node uuid per process and then refuses its second start).
DEFAULT_COMPUTE_DRIVER = "fake.FakeDriverWithoutFakeNodes"

T0 = time.monotonic()


class StepError(Exception):
    """A step failed; `log` names the file whose tail explains it."""

    def __init__(self, step, message, log=None):
        super().__init__("%s: %s" % (step, message))
        self.log = log


def say(msg):
    print("realnova [%5.1fs] %s" % (time.monotonic() - T0, msg), file=sys.stderr, flush=True)


def tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return "(cannot read %s: %s)\n" % (path, e)


def wait_until(step, deadline_s, check, interval=0.2, proc=None):
    """Poll check() until it returns a truthy value; fail at the deadline or as soon as
    the process `proc` (a Proc) dies, naming its log."""
    end = time.monotonic() + deadline_s
    last = None
    while True:
        if proc is not None and not proc.running():
            raise StepError(step, "%s exited (status %s) before it was ready"
                            % (proc.name, proc.popen.poll()), proc.log)
        try:
            got = check()
            if got:
                return got
        except Exception as e:  # the condition's own errors: keep polling, report the last
            last = e
        if time.monotonic() > end:
            raise StepError(step, "not ready after %ds%s" % (
                deadline_s, " (last error: %s)" % last if last else ""),
                proc.log if proc else None)
        time.sleep(interval)


# --- processes -----------------------------------------------------------------------

def proc_stat(pid):
    """(state, pgrp, starttime) of a process, or None when there is none."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[2]), int(fields[19])


def group_members(pid, start_time):
    """PIDs in the process group led by our `pid`. Empty when the PID now belongs to
    another process (different start time): its group is then not ours. The kernel does
    not reuse a PID while a group of that id still has members, so when the leader is
    gone, any remaining member of group `pid` is one of ours."""
    stat = proc_stat(pid)
    if stat is not None and stat[2] != start_time:
        return []
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            s = proc_stat(int(entry))
            if s is not None and s[1] == pid and s[0] != "Z":
                members.append(int(entry))
    return members


class Proc:
    """A process we started, in a session (and process group) of its own."""

    def __init__(self, name, argv, log, env, cwd):
        self.name, self.log = name, log
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "ab") as out:
            out.write(("==== realnova: starting %s: %s\n" % (name, " ".join(argv))).encode())
            out.flush()
            self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                          start_new_session=True)
        self.pid = self.popen.pid
        stat = proc_stat(self.pid)
        self.start_time = stat[2] if stat else None
        self.argv = argv

    def running(self):
        return self.popen.poll() is None

    def record(self):
        return {"pid": self.pid, "start_time": self.start_time, "log": self.log,
                "argv": self.argv}


def stop_recorded(recs, term_deadline=20.0):
    """Stop recorded process groups ({name: record}) together: SIGTERM to all, SIGKILL
    to those left at the deadline. Only signals a group provably ours (group_members)."""
    def alive():
        return {n: r for n, r in recs.items() if group_members(r["pid"], r.get("start_time"))}

    left = alive()
    for sig, deadline in ((signal.SIGTERM, term_deadline), (signal.SIGKILL, 5.0)):
        for name, rec in left.items():
            try:
                os.killpg(rec["pid"], sig)
            except ProcessLookupError:
                pass
        end = time.monotonic() + deadline
        while left and time.monotonic() < end:
            time.sleep(0.1)
            now = alive()
            for name in set(left) - set(now):
                say("stopped %s (pid %d)%s" % (name, left[name]["pid"],
                                               " with SIGKILL" if sig == signal.SIGKILL else ""))
            left = now
        if not left:
            return
    raise StepError("down", "survived SIGKILL: %s" % ", ".join(
        "%s (pid %d)" % (n, r["pid"]) for n, r in left.items()))


def recorded_alive(rec):
    stat = proc_stat(rec["pid"])
    return stat is not None and stat[2] == rec.get("start_time") and stat[0] != "Z"


# --- the run's state file ------------------------------------------------------------

class State:
    """DIR/realnova.json, rewritten (atomically) after every change so that `down`
    can always clean up what exists, even after an interrupted `up`."""

    def __init__(self, workdir):
        self.workdir = os.path.abspath(workdir)
        self.path = os.path.join(self.workdir, STATE_FILE)
        self.data = {}
        self.procs = {}  # live Proc objects of this invocation, by name
        self.lock = threading.Lock()  # up creates the vhost in a thread of its own

    def load(self):
        try:
            with open(self.path) as f:
                self.data = json.load(f)
        except FileNotFoundError:
            raise StepError("state", "%s not found: run `up --workdir %s` first"
                            % (self.path, self.workdir))
        return self

    def save(self):
        with self.lock:
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(self.data, f, indent=2, sort_keys=True)
                f.write("\n")
            os.replace(tmp, self.path)

    def file(self, *parts):
        return os.path.join(self.workdir, *parts)

    def spawn(self, name, argv, log, extra_env=None):
        env = dict(os.environ)
        env.update({
            # realnova_auth (the paste filter) is imported from here.
            "PYTHONPATH": HERE + os.pathsep + env.get("PYTHONPATH", ""),
            "PYTHONUNBUFFERED": "1",
            "OS_NOVA_CONFIG_DIR": self.workdir,
            "OS_PLACEMENT_CONFIG_DIR": self.workdir,
        })
        env.update(extra_env or {})
        proc = Proc(name, argv, log, env, self.workdir)
        self.procs[name] = proc
        self.data.setdefault("processes", {})[name] = proc.record()
        self.save()
        say("started %s (pid %d), log %s" % (name, proc.pid, log))
        return proc


# --- MariaDB and RabbitMQ ------------------------------------------------------------

def parse_server_url(env_var, default, schemes):
    url = urllib.parse.urlsplit(os.environ.get(env_var) or default)
    if url.scheme not in schemes:
        raise StepError("config", "%s=%s: expected a %s URL" % (env_var, url.geturl(), schemes[0]))
    return {"user": urllib.parse.unquote(url.username or ""),
            "password": urllib.parse.unquote(url.password or ""),
            "host": url.hostname or "127.0.0.1", "port": url.port}


def mysql_server():
    s = parse_server_url("NOVACTOR_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test",
                         ("mysql", "mysql+pymysql"))
    s["port"] = s["port"] or 3306
    return s


def rabbit_server():
    s = parse_server_url("NOVACTOR_TEST_RABBIT_URL", "rabbit://guest:guest@127.0.0.1:5672/",
                         ("rabbit", "amqp"))
    s["port"] = s["port"] or 5672
    return s


def db_url(server, dbname):
    cred = urllib.parse.quote(server["user"], safe="")
    if server["password"]:
        cred += ":" + urllib.parse.quote(server["password"], safe="")
    return "mysql+pymysql://%s@%s:%d/%s?charset=utf8" % (cred, server["host"], server["port"], dbname)


def transport_url(server, vhost):
    return "rabbit://%s:%s@%s:%d/%s" % (
        urllib.parse.quote(server["user"], safe=""), urllib.parse.quote(server["password"], safe=""),
        server["host"], server["port"], urllib.parse.quote(vhost, safe=""))


def mysql_connect(server, db=None):
    import pymysql
    try:
        return pymysql.connect(host=server["host"], port=server["port"], user=server["user"],
                               password=server["password"], database=db, autocommit=True,
                               connect_timeout=10)
    except pymysql.err.OperationalError as e:
        raise StepError("mariadb", "cannot log in to %s@%s:%d: %s (bash scripts/services.sh "
                        "starts it; NOVACTOR_TEST_MYSQL_URL points elsewhere)"
                        % (server["user"], server["host"], server["port"], e))


# rabbitmqctl's words for "the broker is not there right now" (other tests on this
# machine stop and start RabbitMQ): worth retrying until the deadline.
BROKER_AWAY = ("requires the 'rabbit' app to be running", "unable to perform an operation on node",
               "nodedown", "Error: unable to connect")


def rabbitmqctl(*args, check=True, deadline=90.0):
    cmd = [os.environ.get("RABBITMQCTL", "rabbitmqctl"), "-q", *args]
    end = time.monotonic() + deadline
    while True:
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except FileNotFoundError:
            raise StepError("rabbitmq", "rabbitmqctl not found (set RABBITMQCTL, run as root)")
        out = (r.stderr or r.stdout).strip()
        if r.returncode == 0 or not check:
            return r
        if not any(w in out for w in BROKER_AWAY) or time.monotonic() > end:
            raise StepError("rabbitmq", "`%s` failed (%d): %s" % (" ".join(cmd), r.returncode, out))
        say("RabbitMQ is not running; retrying `%s`" % " ".join(cmd))
        time.sleep(1.0)


def rabbit_vhost_exists(vhost):
    return vhost in rabbitmqctl("list_vhosts", "name").stdout.split()


# --- configuration files -------------------------------------------------------------

def ini(sections):
    """Render {section: {key: value}} as an oslo.config file (values verbatim)."""
    out = []
    for section, items in sections.items():
        out.append("[%s]" % section)
        out.extend("%s = %s" % (k, v) for k, v in items.items())
        out.append("")
    return "\n".join(out)


# Nova's own api-paste.ini (etc/nova/api-paste.ini of 34.0.0, metadata API left out)
# with keystonemiddleware's `authtoken` replaced by realnova_auth's filter.
API_PASTE = """\
[composite:osapi_compute]
use = call:nova.api.openstack.urlmap:urlmap_factory
/: oscomputeversions
/v2: oscomputeversion_legacy_v2
/v2.1: oscomputeversion_v2
/v2/+: openstack_compute_api_v21_legacy_v2_compatible
/v2.1/+: openstack_compute_api_v21

[composite:openstack_compute_api_v21]
use = call:nova.api.auth:pipeline_factory_v21
keystone = cors http_proxy_to_wsgi compute_req_id faultwrap request_log sizelimit osprofiler realnova_noauth keystonecontext osapi_compute_app_v21

[composite:openstack_compute_api_v21_legacy_v2_compatible]
use = call:nova.api.auth:pipeline_factory_v21
keystone = cors http_proxy_to_wsgi compute_req_id faultwrap request_log sizelimit osprofiler realnova_noauth keystonecontext legacy_v2_compatible osapi_compute_app_v21

[filter:request_log]
paste.filter_factory = nova.api.openstack.requestlog:RequestLog.factory

[filter:compute_req_id]
paste.filter_factory = nova.api.compute_req_id:ComputeReqIdMiddleware.factory

[filter:faultwrap]
paste.filter_factory = nova.api.openstack:FaultWrapper.factory

[filter:osprofiler]
paste.filter_factory = nova.profiler:WsgiMiddleware.factory

[filter:sizelimit]
paste.filter_factory = oslo_middleware:RequestBodySizeLimiter.factory

[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware.http_proxy_to_wsgi:HTTPProxyToWSGI.factory

[filter:legacy_v2_compatible]
paste.filter_factory = nova.api.openstack:LegacyV2CompatibleWrapper.factory

[app:osapi_compute_app_v21]
paste.app_factory = nova.api.openstack.compute:APIRouterV21.factory

[pipeline:oscomputeversions]
pipeline = cors faultwrap request_log http_proxy_to_wsgi oscomputeversionapp

[pipeline:oscomputeversion_v2]
pipeline = cors compute_req_id faultwrap request_log http_proxy_to_wsgi oscomputeversionapp_v2

[pipeline:oscomputeversion_legacy_v2]
pipeline = cors compute_req_id faultwrap request_log http_proxy_to_wsgi legacy_v2_compatible oscomputeversionapp_v2

[app:oscomputeversionapp]
paste.app_factory = nova.api.openstack.compute.versions:Versions.factory

[app:oscomputeversionapp_v2]
paste.app_factory = nova.api.openstack.compute.versions:VersionsV2.factory

[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = nova

[filter:keystonecontext]
paste.filter_factory = nova.api.auth:NovaKeystoneContext.factory

# In place of keystonemiddleware's authtoken: trusts `<user>:<project>` tokens.
[filter:realnova_noauth]
paste.filter_factory = realnova_auth:filter_factory
"""


def nova_conf(st):
    d = st.data
    ep = d["endpoints"]
    sections = {
        "DEFAULT": {
            "host": d["control_host"],
            "my_ip": "127.0.0.1",
            "state_path": st.file("state"),
            "instances_path": st.file("state", "instances"),
            "transport_url": d["transport_url"],
            "debug": "true",
            "use_rootwrap_daemon": "false",
            "report_interval": d["service"]["report_interval"],
            "service_down_time": d["service"]["service_down_time"],
            # One host in most tests: let resize land on the same host.
            "allow_resize_to_same_host": "true",
            # Periodic tasks start at once instead of after a random 0-60 s: the
            # scheduler's host discovery (and a compute's periodics) run on time.
            "periodic_fuzzy_delay": 0,
        },
        "api_database": {"connection": d["databases"]["api"]},
        "database": {"connection": d["databases"]["cell1"]},
        "conductor": {"workers": d["service"].get("conductor_workers", 1)},
        # A scale-test plane: Nova's default quota (10 instances, 20 cores) would stop a
        # test at its eleventh server, and without Keystone the quota API cannot raise it.
        "quota": {"instances": -1, "cores": -1, "ram": -1},
        "scheduler": {
            "workers": 1,
            # The scheduler maps new computes to cell1 itself (no nova-manage by hand).
            "discover_hosts_in_cells_interval": d["service"]["discover_hosts_in_cells_interval"],
        },
        # Placement runs with noauth2, which still wants an X-Auth-Token.
        "placement": {"auth_type": "admin_token", "token": "admin",
                      "endpoint": ep["placement"], "region_name": "RegionOne"},
        "glance": {"endpoint_override": ep["glance"]},
        "neutron": {"auth_type": "admin_token", "token": ADMIN_TOKEN,
                    "endpoint": ep["neutron"], "endpoint_override": ep["neutron"]},
        "oslo_concurrency": {"lock_path": st.file("state", "lock")},
        "vnc": {"enabled": "false"},
    }
    if not ep["placement"]:
        del sections["placement"]
    return ini(sections)


def placement_conf(st):
    return ini({
        "DEFAULT": {"debug": "true"},
        "api": {"auth_strategy": "noauth2"},
        "placement_database": {"connection": st.data["databases"]["placement"]},
    })


def compute_conf(st, host, driver):
    base = st.file("compute-" + host)
    return ini({
        "DEFAULT": {
            "host": host,
            "compute_driver": driver,
            # Its own state_path: compute_id (the node identity) is kept here.
            "state_path": os.path.join(base, "state"),
            "instances_path": os.path.join(base, "state", "instances"),
        },
        "oslo_concurrency": {"lock_path": os.path.join(base, "state", "lock")},
    })


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


# --- HTTP and RPC probes -------------------------------------------------------------

def http(method, url, body=None, token=ADMIN_TOKEN, headers=None, timeout=10):
    """(status, parsed JSON or None). HTTP errors are returned, not raised."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw, status = r.read(), r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


def read_port_file(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


class Rpc:
    """oslo.messaging pings (`baseapi` namespace, which every Nova service serves):
    the proof that a service consumes from its queue, not just that it started."""

    def __init__(self, url):
        import warnings
        with warnings.catch_warnings():
            # oslo.messaging imports eventlet, which warns that it is deprecated.
            warnings.simplefilter("ignore")
            import oslo_messaging
        from oslo_config import cfg
        self.om = oslo_messaging
        # The global CONF: oslo.messaging 18.3.1 registers its tracing options only
        # there, and an RPC client on a private ConfigOpts fails with NoSuchOptError.
        self.transport = oslo_messaging.get_rpc_transport(cfg.CONF, url=url)

    def ping(self, topic, server=None):
        # Nova's control exchange is `nova` (oslo.messaging's default is `openstack`).
        target = self.om.Target(exchange="nova", topic=topic, server=server,
                                namespace="baseapi", version="1.0")
        client = self.om.get_rpc_client(self.transport, target, timeout=3)
        return client.call({}, "ping", arg="realnova") is not None

    def close(self):
        self.transport.cleanup()


# --- databases: migrate, or restore the cached migrated dump -------------------------

DB_KINDS = ("api", "cell0", "cell1", "placement")


def dump_dir(server_version):
    """Where migrated-schema dumps are cached: inside the venv, so they are keyed by
    the lock (same nova, same schema) and go when the venv is rebuilt; and per
    database server version."""
    tag = re.sub(r"[^A-Za-z0-9.]+", "_", server_version)
    return os.path.join(sys.prefix, "realnova-db-dump", tag)


def have_dump(path):
    return os.path.exists(os.path.join(path, "complete"))


def mysql_cli_env(server):
    env = dict(os.environ)
    if server["password"]:
        env["MYSQL_PWD"] = server["password"]
    return env


def mysql_cli_args(server):
    return ["-h", server["host"], "-P", str(server["port"]), "-u", server["user"]]


def save_dump(server, names, path):
    """Dump the freshly migrated databases (before any service wrote to them)."""
    tmp = "%s.tmp-%d" % (path, os.getpid())
    os.makedirs(tmp, exist_ok=True)
    for kind in DB_KINDS:
        with open(os.path.join(tmp, kind + ".sql"), "w") as out:
            r = subprocess.run(["mysqldump", *mysql_cli_args(server), "--single-transaction",
                                "--skip-comments", "--skip-dump-date", names[kind]],
                               stdout=out, stderr=subprocess.PIPE, text=True, env=mysql_cli_env(server))
        if r.returncode != 0:
            say("not caching the schema dump: mysqldump failed: %s" % r.stderr.strip())
            shutil.rmtree(tmp, ignore_errors=True)
            return
    write(os.path.join(tmp, "complete"), "")
    try:
        os.rename(tmp, path)  # atomic; another run may have won the race
        say("cached the migrated schema in %s" % path)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def restore_dump(st, server, names, path):
    def load(kind):
        with open(os.path.join(path, kind + ".sql")) as f:
            r = subprocess.run(["mysql", *mysql_cli_args(server), names[kind]], stdin=f,
                               capture_output=True, text=True, env=mysql_cli_env(server))
        if r.returncode != 0:
            raise StepError("db restore", "loading %s into %s failed: %s"
                            % (f.name, names[kind], r.stderr.strip()))
    run_parallel([lambda k=k: load(k) for k in DB_KINDS])
    # The dump's cell mappings name the databases and vhost of the run that made it.
    conn = mysql_connect(server, names["api"])
    with conn.cursor() as c:
        c.execute("UPDATE cell_mappings SET database_connection=%s WHERE name='cell0'",
                  (st.data["databases"]["cell0"],))
        c.execute("UPDATE cell_mappings SET database_connection=%s, transport_url=%s "
                  "WHERE name='cell1'", (st.data["databases"]["cell1"], st.data["transport_url"]))
        c.execute("SELECT name, database_connection, transport_url FROM cell_mappings ORDER BY id")
        rows = c.fetchall()
    conn.close()
    if [r[0] for r in rows] != ["cell0", "cell1"]:
        raise StepError("db restore", "unexpected cell mappings after restore: %r" % (rows,))


def run_tool(st, step, argv, log):
    """Run a command to completion, its output appended to `log`; StepError on failure."""
    with open(log, "ab") as out:
        out.write(("==== realnova: %s: %s\n" % (step, " ".join(argv))).encode())
        out.flush()
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                           cwd=st.workdir, timeout=600,
                           env=dict(os.environ, OS_NOVA_CONFIG_DIR=st.workdir))
    if r.returncode != 0:
        raise StepError(step, "`%s` exited %d" % (" ".join(argv), r.returncode), log)


def migrate(st):
    """The syncs in the order the spec gives; placement's runs beside nova's chain."""
    nova = [os.path.join(BIN, "nova-manage"), "--config-file", st.file("nova.conf")]
    log = st.file("logs", "db-sync.log")
    cell0 = st.data["databases"]["cell0"]

    def placement():
        run_tool(st, "placement db sync", [os.path.join(BIN, "placement-manage"),
                                           "--config-file", st.file("placement.conf"), "db", "sync"],
                 st.file("logs", "placement-db-sync.log"))

    def nova_chain():
        run_tool(st, "nova api_db sync", nova + ["api_db", "sync"], log)
        run_tool(st, "nova map_cell0", nova + ["cell_v2", "map_cell0", "--database_connection", cell0], log)
        run_tool(st, "nova create_cell", nova + ["cell_v2", "create_cell", "--name", "cell1"], log)
        run_tool(st, "nova db sync", nova + ["db", "sync"], log)

    run_parallel([placement, nova_chain])


def run_parallel(fns):
    """Run callables in threads; re-raise the first failure."""
    errors = []

    def wrap(fn):
        try:
            fn()
        except BaseException as e:
            errors.append(e)
    threads = [threading.Thread(target=wrap, args=(fn,)) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def setup_databases(st, server, use_cache):
    names = st.data["database_names"]
    conn = mysql_connect(server)
    with conn.cursor() as c:
        c.execute("SELECT VERSION()")
        version = c.fetchone()[0]
        for kind in DB_KINDS:
            # No IF NOT EXISTS: a database we did not create is never adopted (nor dropped).
            c.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME=%s",
                      (names[kind],))
            if c.fetchone():
                raise StepError("databases", "database %s already exists (not ours): pick "
                                "another --name" % names[kind])
            c.execute("CREATE DATABASE `%s` CHARACTER SET utf8" % names[kind])
            st.data["created"]["databases"].append(names[kind])
            st.save()
    conn.close()
    cache = dump_dir(version)
    # The cache needs MariaDB's command-line client (mysqldump, mysql).
    use_cache = use_cache and shutil.which("mysqldump") and shutil.which("mysql")
    if use_cache and have_dump(cache):
        restore_dump(st, server, names, cache)
        return "restored from cached dump " + cache
    migrate(st)
    if use_cache:
        save_dump(server, names, cache)
    return "migrated with placement-manage/nova-manage"


# --- up ------------------------------------------------------------------------------

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


def default_name():
    return "rn%d%s" % (os.getpid(), secrets.token_hex(2))


def openstack_env(ep):
    """What the `openstack` CLI needs (on an environment without other OS_* variables):
    no Keystone (auth_type none sends the token `notused`, which realnova_auth maps to
    admin) and each service's endpoint given directly."""
    return {
        "OS_AUTH_TYPE": "none",
        "OS_ENDPOINT": ep["nova_api"],
        "OS_COMPUTE_ENDPOINT_OVERRIDE": ep["nova_api"],
        "OS_COMPUTE_API_VERSION": "2.latest",
        "OS_IDENTITY_ENDPOINT_OVERRIDE": ep["keystone"],
        "OS_IMAGE_ENDPOINT_OVERRIDE": ep["glance"],
        "OS_NETWORK_ENDPOINT_OVERRIDE": ep["neutron"],
        "OS_PLACEMENT_ENDPOINT_OVERRIDE": ep["placement"],
    }


def start_standins(st, deadline):
    port_file = st.file("run", "standins.json")
    proc = st.spawn("standins", [sys.executable, os.path.join(HERE, "standins.py"),
                                 "--port-file", port_file, "--image-id", st.data["image"]["id"],
                                 "--image-name", IMAGE_NAME], st.file("logs", "standins.log"))
    ports = wait_until("stand-ins listen", deadline, lambda: read_port_file(port_file), proc=proc)
    return {
        "keystone": "http://127.0.0.1:%d/v3" % ports["keystone"],
        "glance": "http://127.0.0.1:%d" % ports["glance"],
        "neutron": "http://127.0.0.1:%d" % ports["neutron"],
    }


def start_wsgi(st, name, app):
    port_file = st.file("run", name + ".port")
    proc = st.spawn(name, [sys.executable, os.path.join(HERE, "wsgi_serve.py"), "--name", name,
                           "--app", app, "--port-file", port_file], st.file("logs", name + ".log"))
    return proc, port_file


def wait_wsgi(name, proc, port_file, path, deadline):
    port = wait_until("%s listens" % name, deadline, lambda: read_port_file(port_file), proc=proc)
    url = "http://127.0.0.1:%d" % port
    wait_until("%s answers GET %s" % (name, path), deadline,
               lambda: http("GET", url + path)[0] == 200, proc=proc)
    return url


def create_flavors(st):
    out = []
    for f in FLAVORS:
        status, body = http("POST", st.data["endpoints"]["nova_api"] + "/flavors",
                            {"flavor": dict(f)})
        if status != 200:
            raise StepError("create flavor %s" % f["name"], "POST /flavors answered %s: %s"
                            % (status, body), st.data["processes"]["nova-api"]["log"])
        out.append({k: body["flavor"][k] for k in ("id", "name", "vcpus", "ram", "disk")})
    return out


def cmd_up(args):
    st = State(args.workdir)
    for sub in ("logs", "run", "state"):
        os.makedirs(st.file(sub), exist_ok=True)
    if os.path.exists(st.path):
        old = State(args.workdir).load()
        if any(recorded_alive(r) for r in old.data.get("processes", {}).values()):
            raise StepError("up", "%s already runs a control plane: `down --workdir %s` first"
                            % (st.workdir, st.workdir))
        if old.data.get("created", {}).get("databases") or old.data.get("created", {}).get("vhost"):
            raise StepError("up", "%s records databases/vhost of an earlier run: "
                            "`down --workdir %s` first" % (st.workdir, st.workdir))
    name = args.name or default_name()
    if not NAME_RE.match(name):
        raise StepError("up", "--name %r: use 1-31 of [a-z0-9_], starting with a letter" % name)
    mysql, rabbit = mysql_server(), rabbit_server()
    vhost = "realnova-" + name
    names = {k: "%s_%s" % (name, k) for k in DB_KINDS}
    st.data = {
        "schema": 1,
        "name": name,
        "workdir": st.workdir,
        "venv_bin": BIN,
        "control_host": name + "-ctl",
        "rabbit_vhost": vhost,
        "transport_url": transport_url(rabbit, vhost),
        "database_names": names,
        "databases": {k: db_url(mysql, names[k]) for k in DB_KINDS},
        "image": {"id": str(uuid.uuid4()), "name": IMAGE_NAME},
        "service": {"report_interval": args.report_interval,
                    "service_down_time": args.service_down_time,
                    "discover_hosts_in_cells_interval": args.discover_interval,
                    "conductor_workers": args.conductor_workers},
        "created": {"databases": [], "vhost": None},
        "processes": {},
        "computes": {},
        "timings": {},
        "status": "starting",
    }
    st.save()
    try:
        up(st, args, mysql, vhost)
    except BaseException:
        if not args.keep_on_failure:
            say("bringing down what was started (--keep-on-failure keeps it)")
            try:
                teardown(st)
            except StepError as e:
                say("teardown after failure: %s" % e)
        raise
    json.dump(st.data, sys.stdout, indent=2, sort_keys=True)
    print()


def create_vhost(st, vhost, rabbit_user):
    if rabbit_vhost_exists(vhost):
        raise StepError("rabbitmq", "vhost %s already exists (not ours)" % vhost)
    rabbitmqctl("add_vhost", vhost)
    st.data["created"]["vhost"] = vhost
    st.save()
    rabbitmqctl("set_permissions", "-p", vhost, rabbit_user, ".*", ".*", ".*")


def up(st, args, mysql, vhost):
    timings = st.data["timings"]
    mark = time.monotonic()
    say("run %s in %s" % (st.data["name"], st.workdir))
    vhost_err = []
    vhost_thread = threading.Thread(target=capture_error, args=(
        vhost_err, create_vhost, st, vhost, rabbit_server()["user"]))
    vhost_thread.start()
    try:
        endpoints = start_standins(st, args.timeout)
        st.data["endpoints"] = dict(endpoints, placement=None, nova_api=None)
        write(st.file("placement.conf"), placement_conf(st))
        # nova-manage reads nova.conf; it is written again once placement's port is known.
        write(st.file("nova.conf"), nova_conf(st))

        # Databases first (placement's app connects at import); the vhost meanwhile.
        how = setup_databases(st, mysql, not args.no_db_cache)
        timings["databases_s"] = round(time.monotonic() - mark, 1)
        st.data["databases_how"] = how
        say("databases ready (%s)" % how)

        placement, placement_port = start_wsgi(st, "placement", "placement.wsgi.api:application")
        st.data["endpoints"]["placement"] = wait_wsgi("placement", placement, placement_port, "/",
                                                      args.timeout)
    finally:
        # Also on failure: teardown must see the vhost if it was created.
        vhost_thread.join()
    if vhost_err:
        raise vhost_err[0]
    timings["vhost_and_placement_s"] = round(time.monotonic() - mark, 1)

    write(st.file("nova.conf"), nova_conf(st))
    write(st.file("api-paste.ini"), API_PASTE)
    api, api_port = start_wsgi(st, "nova-api", "nova.wsgi.osapi_compute:application")
    conductor = st.spawn("nova-conductor", [os.path.join(BIN, "nova-conductor"), "--config-file",
                                            st.file("nova.conf")], st.file("logs", "nova-conductor.log"))
    scheduler = st.spawn("nova-scheduler", [os.path.join(BIN, "nova-scheduler"), "--config-file",
                                            st.file("nova.conf")], st.file("logs", "nova-scheduler.log"))
    # nova-api itself serves /v2.1/ only once its app loaded; the services answer pings
    # only once they consume from their queues.
    st.data["endpoints"]["nova_api"] = wait_wsgi("nova-api", api, api_port, "/v2.1/", args.timeout) + "/v2.1"
    rpc = Rpc(st.data["transport_url"])
    try:
        for topic, proc in (("conductor", conductor), ("scheduler", scheduler)):
            wait_until("nova-%s answers an RPC ping" % topic, args.timeout,
                       lambda: rpc.ping(topic), interval=0.5, proc=proc)
    finally:
        rpc.close()
    st.data["flavors"] = create_flavors(st)
    ep = st.data["endpoints"]
    st.data["openstack"] = {"executable": os.path.join(BIN, "openstack"), "env": openstack_env(ep)}
    write(st.file("openstack.env"), "".join("export %s=%s\n" % kv for kv in sorted(st.data["openstack"]["env"].items())))
    st.data["config"] = {"nova_conf": st.file("nova.conf"), "placement_conf": st.file("placement.conf"),
                         "api_paste": st.file("api-paste.ini"), "openstack_env": st.file("openstack.env")}
    st.data["status"] = "up"
    timings["up_s"] = round(time.monotonic() - mark, 1)
    st.save()
    say("control plane up in %.1fs: nova-api %s" % (timings["up_s"], ep["nova_api"]))


def capture_error(errors, fn, *args):
    try:
        fn(*args)
    except BaseException as e:
        errors.append(e)


# --- down ----------------------------------------------------------------------------

def teardown(st, term_timeout=20.0):
    """Stop our processes (computes and the tap first), drop our databases and vhost.
    Every step tolerates what is already gone, so running it twice is harmless."""
    procs = st.data.get("processes", {})
    # Computes and the tap first: a compute shutting down still talks to the conductor.
    first = {n: r for n, r in procs.items() if n.startswith(("nova-compute", "tap"))}
    stop_recorded(first, term_timeout)
    stop_recorded({n: r for n, r in procs.items() if n not in first}, term_timeout)
    created = st.data.get("created", {})
    if created.get("databases"):
        def drop(db):
            conn = mysql_connect(mysql_server())
            with conn.cursor() as c:
                c.execute("DROP DATABASE IF EXISTS `%s`" % db)
            conn.close()
            say("dropped database %s" % db)
        run_parallel([lambda db=db: drop(db) for db in created["databases"]])
        created["databases"] = []
        st.save()
    if created.get("vhost"):
        vhost = created["vhost"]
        if rabbit_vhost_exists(vhost):
            rabbitmqctl("delete_vhost", vhost)
            say("deleted vhost %s" % vhost)
        created["vhost"] = None
    st.data["status"] = "down"
    st.save()


def cmd_down(args):
    st = State(args.workdir)
    if not os.path.exists(st.path):
        say("nothing to do: no %s" % st.path)
        return
    teardown(st.load(), args.term_timeout)


# --- compute -------------------------------------------------------------------------

HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$")


def host_mapped(st, host):
    conn = mysql_connect(mysql_server(), st.data["database_names"]["api"])
    with conn.cursor() as c:
        c.execute("SELECT 1 FROM host_mappings WHERE host=%s", (host,))
        found = c.fetchone() is not None
    conn.close()
    return found


def compute_service_up(st, host):
    """nova-api reports the compute's service up (heartbeat within service_down_time):
    what ComputeFilter checks before scheduling to it."""
    status, body = http("GET", "%s/os-services?binary=nova-compute&host=%s"
                        % (st.data["endpoints"]["nova_api"], urllib.parse.quote(host)))
    return status == 200 and any(s["state"] == "up" for s in body["services"])


def provider_ready(st, host):
    """The compute's resource provider exists in placement with its inventory."""
    ep = st.data["endpoints"]["placement"]
    hdr = {"OpenStack-API-Version": "placement 1.14"}
    status, body = http("GET", ep + "/resource_providers?name=" + urllib.parse.quote(host),
                        token="admin", headers=hdr)
    if status != 200 or not body["resource_providers"]:
        return False
    rp = body["resource_providers"][0]["uuid"]
    status, body = http("GET", "%s/resource_providers/%s/inventories" % (ep, rp), token="admin", headers=hdr)
    return status == 200 and "VCPU" in body["inventories"]


def start_compute(st, host, driver, deadline, wait=True):
    if not HOST_RE.match(host):
        raise StepError("compute", "--host %r is not a valid host name" % host)
    name = "nova-compute@" + host
    rec = st.data.get("processes", {}).get(name)
    if rec and recorded_alive(rec):
        raise StepError("compute", "%s already runs (pid %d)" % (name, rec["pid"]))
    for ctl in ("nova-api", "nova-conductor", "nova-scheduler", "placement", "standins"):
        if not recorded_alive(st.data["processes"][ctl]):
            raise StepError("compute", "%s of this control plane is not running" % ctl,
                            st.data["processes"][ctl]["log"])
    conf = st.file("compute-" + host, "nova-compute.conf")
    write(conf, compute_conf(st, host, driver))
    # Nova writes compute_id into state_path but does not create the directory.
    os.makedirs(st.file("compute-" + host, "state"), exist_ok=True)
    mark = time.monotonic()
    proc = st.spawn(name, [os.path.join(BIN, "nova-compute"), "--config-file", st.file("nova.conf"),
                           "--config-file", conf], st.file("compute-" + host, "nova-compute.log"))
    st.data["computes"][host] = {"pid": proc.pid, "config": conf, "driver": driver,
                                 "state_path": st.file("compute-" + host, "state"), "log": proc.log}
    st.save()
    if wait:
        rpc = Rpc(st.data["transport_url"])
        try:
            wait_until("nova-compute %s answers an RPC ping" % host, deadline,
                       lambda: rpc.ping("compute", host), interval=0.5, proc=proc)
        finally:
            rpc.close()
        wait_until("%s's resource provider has its inventory" % host, deadline,
                   lambda: provider_ready(st, host), interval=0.5, proc=proc)
        wait_until("the scheduler maps %s to cell1" % host, deadline,
                   lambda: host_mapped(st, host), interval=0.5, proc=proc)
        wait_until("nova-api shows nova-compute %s up" % host, deadline,
                   lambda: compute_service_up(st, host), interval=0.5, proc=proc)
        st.data["computes"][host]["ready_s"] = round(time.monotonic() - mark, 1)
        st.save()
        say("nova-compute %s ready in %.1fs" % (host, time.monotonic() - mark))
    return proc


def cmd_compute(args):
    st = State(args.workdir).load()
    proc = start_compute(st, args.host, args.driver, args.timeout, wait=not args.no_wait)
    print(proc.pid)


# --- smoke ---------------------------------------------------------------------------

def openstack(st, *argv, json_out=True, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(st.data["openstack"]["env"])
    cmd = [st.data["openstack"]["executable"], *argv] + (["-f", "json"] if json_out else [])
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if check and r.returncode != 0:
        raise StepError("openstack " + argv[0] + " " + argv[1], "exited %d: %s"
                        % (r.returncode, (r.stderr or r.stdout).strip()[-2000:]),
                        st.data["processes"]["nova-api"]["log"])
    return json.loads(r.stdout) if json_out and r.returncode == 0 else r


def timed(timings, key, fn, *args, **kwargs):
    mark = time.monotonic()
    result = fn(*args, **kwargs)
    timings[key] = round(time.monotonic() - mark, 2)
    say("%s: %.2fs" % (key, timings[key]))
    return result


def cmd_smoke(args):
    st = State(args.workdir).load()
    t = {}
    hosts = [h for h in st.data["computes"]
             if recorded_alive(st.data["processes"]["nova-compute@" + h])]
    if not hosts:
        host = st.data["name"] + "-smoke"
        say("no nova-compute runs: starting %s" % host)
        timed(t, "compute_start_s", start_compute, st, host, DEFAULT_COMPUTE_DRIVER, args.timeout)
        hosts = [host]
    for host in hosts:
        # A compute whose heartbeats were lost (say, RabbitMQ restarted) is filtered out.
        wait_until("nova-api shows nova-compute %s up" % host, args.timeout,
                   lambda: compute_service_up(st, host), interval=0.5)
    flavor = st.data["flavors"][0]["name"]
    server = "smoke-" + secrets.token_hex(3)
    created = timed(t, "server_create_wait_s", openstack, st, "server", "create", "--flavor", flavor,
                    "--image", st.data["image"]["name"], "--nic", "none", "--wait", server)
    if created["status"] != "ACTIVE" or created.get("OS-EXT-SRV-ATTR:host") not in hosts:
        raise StepError("smoke", "server %s: status %s on host %s, expected ACTIVE on %s"
                        % (server, created["status"], created.get("OS-EXT-SRV-ATTR:host"), hosts))
    events = timed(t, "server_event_list_s", openstack, st, "server", "event", "list", created["id"])
    if not any(e.get("Action") == "create" for e in events):
        raise StepError("smoke", "no create event in `openstack server event list`: %s" % events)
    hypervisors = timed(t, "hypervisor_list_s", openstack, st, "hypervisor", "list")
    services = timed(t, "compute_service_list_s", openstack, st, "compute", "service", "list")
    for host in hosts:
        if not any(s["Host"] == host and s["State"] == "up" for s in services):
            raise StepError("smoke", "compute %s is not up in `openstack compute service list`: %s"
                            % (host, services))
        if not any(h["Hypervisor Hostname"] == host for h in hypervisors):
            raise StepError("smoke", "%s not in `openstack hypervisor list`: %s" % (host, hypervisors))
    # The one command that needs the keystone stand-in.
    flv = "smoke-" + secrets.token_hex(3)
    timed(t, "flavor_create_s", openstack, st, "flavor", "create", "--vcpus", "1", "--ram", "64",
          "--disk", "0", flv)
    openstack(st, "flavor", "delete", flv, json_out=False)
    timed(t, "server_delete_wait_s", openstack, st, "server", "delete", "--wait", created["id"],
          json_out=False)
    gone = openstack(st, "server", "show", created["id"], json_out=False, check=False)
    if gone.returncode == 0:
        raise StepError("smoke", "server %s still shows after delete --wait" % created["id"])
    print(json.dumps({"ok": True, "server": created["id"], "hosts": hosts, "timings_s": t},
                     indent=2, sort_keys=True))


# --- tap: the broker's firehose for this run's vhost ---------------------------------

def cmd_tap(args):
    st = State(args.workdir).load()
    vhost = st.data["rabbit_vhost"]
    ready = st.file("run", "tap.ready")
    if os.path.exists(ready):
        os.remove(ready)
    rabbitmqctl("trace_on", "-p", vhost)
    proc = st.spawn("tap", [sys.executable, os.path.join(HERE, "tap.py"), "--url",
                            st.data["transport_url"], "--out", os.path.abspath(args.out),
                            "--ready-file", ready], st.file("logs", "tap.log"))
    wait_until("tap consumes amq.rabbitmq.trace", args.timeout, lambda: os.path.exists(ready), proc=proc)
    print(proc.pid)


# --- main ----------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("up", "down", "compute", "smoke", "tap"):
        s = sub.add_parser(name)
        s.add_argument("--workdir", required=True)
        s.add_argument("--timeout", type=float, default=120.0,
                       help="deadline of each readiness wait, seconds (default 120)")
        if name == "up":
            s.add_argument("--name", help="names the vhost (realnova-NAME) and databases "
                                          "(NAME_api...); default rn<pid><4 hex>")
            s.add_argument("--discover-interval", type=int, default=2,
                           help="[scheduler] discover_hosts_in_cells_interval (default 2)")
            s.add_argument("--report-interval", type=int, default=REPORT_INTERVAL)
            s.add_argument("--conductor-workers", type=int, default=1,
                           help="[conductor] workers (default 1; a scale test wants more)")
            s.add_argument("--service-down-time", type=int, default=SERVICE_DOWN_TIME)
            s.add_argument("--no-db-cache", action="store_true",
                           help="always run the db syncs; neither use nor write the cached dump")
            s.add_argument("--keep-on-failure", action="store_true",
                           help="leave what was started running when up fails (debugging)")
        if name == "down":
            s.add_argument("--term-timeout", type=float, default=20.0,
                           help="seconds between SIGTERM and SIGKILL (default 20; graceful "
                                "shutdown takes nova-compute ~10 s, conductor/scheduler ~5 s)")
        if name == "compute":
            s.add_argument("--host", required=True)
            s.add_argument("--driver", default=DEFAULT_COMPUTE_DRIVER)
            s.add_argument("--no-wait", action="store_true",
                           help="return once started instead of once schedulable")
        if name == "tap":
            s.add_argument("--out", required=True, help="JSON lines file of every publish")
    args = p.parse_args()
    if not os.path.exists(os.path.join(BIN, "nova-manage")):
        print("realnova: error: run me with the real-nova venv's python: "
              "$(bash scripts/real-nova/venv.sh)/python %s" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    cmd = {"up": cmd_up, "down": cmd_down, "compute": cmd_compute, "smoke": cmd_smoke,
           "tap": cmd_tap}[args.cmd]
    try:
        cmd(args)
    except StepError as e:
        print("realnova %s: error: %s" % (args.cmd, e), file=sys.stderr)
        if e.log:
            print("---- last lines of %s ----\n%s----" % (e.log, tail(e.log)), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
