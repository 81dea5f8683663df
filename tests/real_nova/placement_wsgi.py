#!/usr/bin/env python3
"""Serve a real placement (``placement.wsgi.api:application``) alone, for novactor's tests.

Run with the real-Nova venv's python (tests/real_nova/placement_server.rs does):

    OS_PLACEMENT_CONFIG_DIR=<dir with placement.conf> python placement_wsgi.py --port 0

Python's threaded ``wsgiref`` server on 127.0.0.1 (HTTP/1.0: one connection per request).
Once the socket is bound and placement's app is loaded, one line goes to stdout:
``listening 127.0.0.1:<port>``. ``--port`` 0 picks a free port; a given port is bound with
SO_REUSEADDR, so a restarted placement can take its predecessor's port.

The launcher's own endpoint, beside placement's API:
``GET /_launcher/stats`` -> ``{"requests", "max_concurrent_requests", "connections",
"max_concurrent_connections"}``: how many requests placement's app handled and the most at
once (from the request read to the app's answer: what the client's concurrency bound is
checked against), and the same for accepted connections (from accept to close, so a closing
connection may overlap the next one).

The process exits when its parent does (checked every 0.5 s), so a test that dies without
running its cleanup leaves no placement behind.
"""

import argparse
import json
import os
import socketserver
import sys
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.total = 0

    def enter(self):
        with self.lock:
            self.active += 1
            self.total += 1
            self.max_active = max(self.max_active, self.active)

    def leave(self):
        with self.lock:
            self.active -= 1


CONNECTIONS = Counter()
REQUESTS = Counter()


def stats_json():
    return json.dumps({
        "requests": REQUESTS.total,
        "max_concurrent_requests": REQUESTS.max_active,
        "connections": CONNECTIONS.total,
        "max_concurrent_connections": CONNECTIONS.max_active,
    }).encode()


class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class Handler(WSGIRequestHandler):
    def handle(self):
        CONNECTIONS.enter()
        try:
            super().handle()
        finally:
            CONNECTIONS.leave()

    def log_message(self, format, *args):
        pass


def with_stats(app):
    def wrapper(environ, start_response):
        if environ.get("PATH_INFO") == "/_launcher/stats":
            body = stats_json()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        REQUESTS.enter()
        try:
            # placement answers with a list: the whole body exists when the app returns.
            return list(app(environ, start_response))
        finally:
            REQUESTS.leave()
    return wrapper


def exit_with_parent():
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    # placement parses no argv of its own here (init_application passes []), but keep it
    # clean anyway: oslo.config must not see the launcher's flags.
    sys.argv = sys.argv[:1]
    from placement.wsgi import api

    server = Server(("127.0.0.1", args.port), Handler)
    server.set_app(with_stats(api.application))
    threading.Thread(target=exit_with_parent, daemon=True).start()
    print("listening 127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
