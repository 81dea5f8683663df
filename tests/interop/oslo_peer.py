#!/usr/bin/env python3
"""A real oslo.messaging peer for novactor's interop tests.

Modes (see tests/interop/README.md):

  server  an oslo RPC server (threading executor) with test endpoints; prints
          JSON event lines on stdout ({"event": "ready"}, {"event": "record", ...})
  client  one call or cast (or --repeat N casts); prints exactly one JSON line
  bench   casts/s, sequential call latency percentiles and concurrent calls/s;
          prints exactly one JSON line

Only public oslo.messaging APIs are used: get_rpc_transport, Target,
get_rpc_server(executor='threading'), get_rpc_client and prepare(), with a
fresh oslo_config.cfg.ConfigOpts (never the global CONF).

Exit codes: 0 whenever the JSON line reports what happened (including remote
failures and timeouts); 1 for a local oslo error (JSON line with
"error": "local"); 2 for bad command-line arguments.
"""

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
import warnings

# oslo.messaging 18.3.1 imports eventlet (via oslo.service) without using it
# here; keep its deprecation banner off stderr.
warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
# get_rpc_server(executor='threading') is what the brief asks for; 18.3.1 warns
# that the 'executor' argument itself is deprecated.
warnings.filterwarnings("ignore", message=r"Using the 'executor' argument is deprecated")

import oslo_messaging  # noqa: E402
from oslo_config import cfg  # noqa: E402

LOG = logging.getLogger("oslo_peer")

REMOTE_SUFFIX = "_Remote"
# NoSuchMethod / UnsupportedVersion come back as typed exceptions
# (<Class>_Remote) instead of a bare RemoteError.
ALLOWED_REMOTE_EXMODS = ["oslo_messaging.rpc.dispatcher"]

_stdout_lock = threading.Lock()


def emit(obj):
    """Print one JSON line on stdout and flush (thread-safe)."""
    line = json.dumps(obj, sort_keys=False)
    with _stdout_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


# (module, list attribute, group) of option groups that oslo.messaging 18.3.1
# reads on the *transport's* conf but registers only on the global cfg.CONF.
_GLOBAL_ONLY_OPTS = [
    ("oslo_messaging._metrics.client", "oslo_messaging_metrics", "oslo_messaging_metrics"),
    ("oslo_messaging._tracing.client", "oslo_messaging_tracing", "oslo_messaging_tracing"),
]


def register_global_only_opts(conf):
    """Make a fresh ConfigOpts usable with oslo.messaging 18.3.1.

    Every RPCClient send goes through the metrics collector and the
    OpenTelemetry tracing wrapper (both disabled by default), and RPCServer's
    receive through the tracing wrapper; they read
    conf.oslo_messaging_metrics.* and conf.oslo_messaging_tracing.* on the
    transport's conf. get_rpc_transport() does not register those groups, so
    with anything but the global CONF every cast/call dies with
    NoSuchOptError. oslo's own ConfFixture registers the same lists the same
    way; we do it without the fixtures dependency.
    """
    import importlib

    for module, attr, group in _GLOBAL_ONLY_OPTS:
        try:
            opts = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue  # another release without this group
        conf.register_opts(opts, group=group)


def make_transport(url, exchange):
    # The control exchange: set it as the transport default (a process-wide
    # default of the control_exchange option, which this fresh ConfigOpts picks
    # up when get_rpc_transport registers the option) AND on every Target, so
    # either mechanism alone would suffice.
    oslo_messaging.set_transport_defaults(exchange)
    conf = cfg.ConfigOpts()
    conf([], project="novactor-interop", default_config_files=[], default_config_dirs=[])
    register_global_only_opts(conf)
    return oslo_messaging.get_rpc_transport(
        conf, url=url, allowed_remote_exmods=ALLOWED_REMOTE_EXMODS
    )


# ---------------------------------------------------------------- server


class TestEndpoint:
    """Default namespace, version 1.3."""

    target = oslo_messaging.Target(version="1.3")

    def __init__(self, server_name):
        self.server_name = server_name

    def echo(self, ctxt, value):
        return value

    def add(self, ctxt, a, b):
        return a + b

    def fail(self, ctxt, message):
        raise ValueError(message)

    def slow(self, ctxt, seconds):
        time.sleep(seconds)
        return seconds

    def record(self, ctxt, value):
        emit({"event": "record", "value": value, "server": self.server_name})
        return value

    def whoami(self, ctxt):
        return self.server_name


class NamespacedEndpoint:
    """Namespace "test", version 2.0."""

    target = oslo_messaging.Target(namespace="test", version="2.0")

    def ns_echo(self, ctxt, value):
        return {"ns": "test", "value": value}


def run_server(args):
    transport = make_transport(args.url, args.exchange)
    target = oslo_messaging.Target(topic=args.topic, server=args.server, exchange=args.exchange)
    server = oslo_messaging.get_rpc_server(
        transport,
        target,
        [TestEndpoint(args.server), NamespacedEndpoint()],
        executor="threading",
    )

    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # start() declares the exchanges, the topic / server / fanout queues and
    # their bindings before returning, so anything published after "ready" is
    # queued for this server even if Basic.Consume is a few ms later.
    server.start()
    emit({"event": "ready"})
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("ready\n")

    while not stop.is_set():
        stop.wait(0.5)

    # Clean stop: oslo deletes only this server's own fanout queue; the topic
    # and server queues and the exchanges stay.
    server.stop()
    server.wait()
    transport.cleanup()
    return 0


# ---------------------------------------------------------------- client


def strip_remote(name):
    if name and name.endswith(REMOTE_SUFFIX):
        return name[: -len(REMOTE_SUFFIX)]
    return name


def first_line(text):
    text = "" if text is None else str(text)
    lines = text.splitlines()
    return lines[0] if lines else ""


def describe_remote_failure(exc):
    """JSON for an exception that came back in a reply's "failure".

    oslo.messaging 18.3.1 raises, for a failure with class C in module M:
      - M is builtins/exceptions: C itself (e.g. ValueError), str() being
        message + "\\n" + traceback lines;
      - M in allowed_remote_exmods: a subclass "C_Remote" in module "M_Remote";
      - anything else: oslo_messaging.RemoteError(exc_type=C, value=message)
        which does not keep the module (reported as null).
    """
    raised = type(exc).__name__
    if isinstance(exc, oslo_messaging.RemoteError):
        return {
            "ok": False,
            "error": "remote",
            "exc_type": exc.exc_type,
            "module": None,
            "message": first_line(exc.value),
            "raised": raised,
        }
    return {
        "ok": False,
        "error": "remote",
        "exc_type": strip_remote(raised),
        "module": strip_remote(type(exc).__module__),
        "message": first_line(str(exc)),
        "raised": raised,
    }


def is_remote_failure(exc):
    """True if exc was rebuilt from a reply's "failure" (not raised locally)."""
    if isinstance(exc, oslo_messaging.RemoteError):
        return True
    if type(exc).__name__.endswith(REMOTE_SUFFIX):
        return True
    # oslo's own local errors (MessageDeliveryFailure, InvalidTarget, ...).
    if isinstance(exc, oslo_messaging.MessagingException):
        return False
    # Remote builtin exceptions are re-raised as the builtin class itself, with
    # the remote traceback (if any) after the first line of str(exc). With
    # arguments parsed from JSON nothing local raises a builtin exception here.
    return type(exc).__module__ == "builtins"


def make_client(args, transport):
    target = oslo_messaging.Target(topic=args.topic, exchange=args.exchange)
    client = oslo_messaging.get_rpc_client(transport, target)
    prep = {}
    if getattr(args, "server", None):
        prep["server"] = args.server
    if getattr(args, "fanout", False):
        prep["fanout"] = True
    if getattr(args, "namespace", None):
        prep["namespace"] = args.namespace
    if getattr(args, "version", None):
        prep["version"] = args.version
    if getattr(args, "timeout", None) is not None:
        prep["timeout"] = args.timeout
    if getattr(args, "call_monitor_timeout", None) is not None:
        prep["call_monitor_timeout"] = args.call_monitor_timeout
    return client.prepare(**prep) if prep else client


def run_client(args):
    kwargs = args.args
    ctxt = args.context
    transport = make_transport(args.url, args.exchange)
    try:
        client = make_client(args, transport)
        try:
            if args.call:
                result = client.call(ctxt, args.method, **kwargs)
            else:
                for i in range(args.repeat):
                    kw = kwargs
                    if args.repeat > 1 and isinstance(kwargs.get("value"), str):
                        kw = dict(kwargs, value=f"{kwargs['value']}-{i}")
                    client.cast(ctxt, args.method, **kw)
                result = None
            emit({"ok": True, "result": result})
            return 0
        except oslo_messaging.MessagingTimeout as exc:
            emit({"ok": False, "error": "timeout", "message": first_line(str(exc))})
            return 0
        except Exception as exc:  # noqa: BLE001 - classified below
            if is_remote_failure(exc):
                emit(describe_remote_failure(exc))
                return 0
            emit({
                "ok": False,
                "error": "local",
                "exc_type": type(exc).__name__,
                "module": type(exc).__module__,
                "message": first_line(str(exc)),
            })
            return 1
    finally:
        transport.cleanup()


# ---------------------------------------------------------------- bench


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    idx = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[idx]


def run_bench(args):
    kwargs = args.args
    ctxt = args.context
    transport = make_transport(args.url, args.exchange)
    try:
        client = make_client(args, transport)
        out = {"calls": args.calls, "casts": args.casts, "concurrency": args.concurrency}

        # Casts: each cast returns after the broker's publisher confirm.
        t0 = time.perf_counter()
        for _ in range(args.casts):
            client.cast(ctxt, args.method, **kwargs)
        dt = time.perf_counter() - t0
        out["cast_per_s"] = round(args.casts / dt, 1) if args.casts and dt > 0 else None

        # Warm-up call: creates the reply queue and its listener.
        if args.calls:
            client.call(ctxt, args.method, **kwargs)

        # Sequential calls.
        lat = []
        for _ in range(args.calls):
            t = time.perf_counter()
            client.call(ctxt, args.method, **kwargs)
            lat.append((time.perf_counter() - t) * 1e6)
        lat.sort()
        out["call_p50_us"] = round(percentile(lat, 0.50)) if lat else None
        out["call_p99_us"] = round(percentile(lat, 0.99)) if lat else None

        # Concurrent calls through the same client.
        c = max(1, args.concurrency)
        per_thread = args.calls // c
        errors = []

        def worker():
            try:
                for _ in range(per_thread):
                    client.call(ctxt, args.method, **kwargs)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(c)]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        dt = time.perf_counter() - t0
        if errors:
            raise errors[0]
        total = per_thread * c
        out["concurrent_calls_per_s"] = round(total / dt, 1) if total and dt > 0 else None
        out["ok"] = True
        emit(out)
        return 0
    except oslo_messaging.MessagingTimeout as exc:
        emit({"ok": False, "error": "timeout", "message": first_line(str(exc))})
        return 1
    except Exception as exc:  # noqa: BLE001
        emit({"ok": False, "error": "local", "exc_type": type(exc).__name__,
              "module": type(exc).__module__, "message": first_line(str(exc))})
        return 1
    finally:
        transport.cleanup()


# ---------------------------------------------------------------- CLI


def json_object(text):
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}")
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def build_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)

    def common(sp):
        sp.add_argument("--url", required=True, help="transport URL, e.g. rabbit://guest:guest@127.0.0.1:5672/")
        sp.add_argument("--topic", required=True)
        sp.add_argument("--exchange", default="nova", help="control exchange (default: nova)")

    s = sub.add_parser("server", help="run an RPC server until SIGTERM/SIGINT")
    common(s)
    s.add_argument("--server", required=True, help="server name (queue <topic>.<server>)")
    s.add_argument("--ready-file", help="file to create once the server is consuming")

    def request(sp):
        sp.add_argument("--server", help="send to <topic>.<server>")
        sp.add_argument("--namespace")
        sp.add_argument("--version", help='requested version, e.g. "1.3"')
        sp.add_argument("--timeout", type=float, help="call timeout in seconds (oslo default 60)")
        sp.add_argument("--call-monitor-timeout", type=float)
        sp.add_argument("--method", required=True)
        sp.add_argument("--args", type=json_object, default={}, help="keyword arguments as a JSON object")
        sp.add_argument("--context", type=json_object, default={}, help="request context as a JSON object")

    c = sub.add_parser("client", help="one call or cast; prints one JSON line")
    common(c)
    request(c)
    c.add_argument("--fanout", action="store_true", help="fanout cast to every server of the topic")
    c.add_argument("--repeat", type=int, default=1, help="casts only: send N casts")
    kind = c.add_mutually_exclusive_group(required=True)
    kind.add_argument("--call", action="store_true")
    kind.add_argument("--cast", action="store_true")

    b = sub.add_parser("bench", help="throughput / latency numbers; prints one JSON line")
    common(b)
    request(b)
    b.add_argument("--calls", type=int, default=1000)
    b.add_argument("--casts", type=int, default=1000)
    b.add_argument("--concurrency", type=int, default=8)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.mode == "client":
        if args.call and args.repeat != 1:
            build_parser().error("--repeat is for casts only")
        if args.repeat < 1:
            build_parser().error("--repeat must be >= 1")
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.mode == "server":
        return run_server(args)
    if args.mode == "client":
        return run_client(args)
    return run_bench(args)


if __name__ == "__main__":
    sys.exit(main())
