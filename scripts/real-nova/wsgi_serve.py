"""Serve one WSGI application (placement or nova-api) with the stdlib's threaded wsgiref.

    python wsgi_serve.py --name NAME --app MODULE:ATTR --port-file FILE

The application is imported first (Nova's and placement's modules build their app,
read their config and connect to the database at import), then the server binds an
ephemeral port of 127.0.0.1 and writes it to FILE, atomically: the port file's
appearance means "loaded and listening". Requests are logged to stderr.
"""

import argparse
import importlib
import os
import socketserver
import sys
from wsgiref import simple_server


class ThreadingWSGIServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    # Many concurrent clients (nova services, tests) and the default of 5 is small.
    request_queue_size = 64


class QuietHandler(simple_server.WSGIRequestHandler):
    def address_string(self):
        # The default does a reverse DNS lookup per request.
        return self.client_address[0]


def load(spec):
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def write_port(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--app", required=True)
    p.add_argument("--port-file", required=True)
    args = p.parse_args()
    # Nova's app parses sys.argv with oslo.config: give it a clean one.
    sys.argv = [args.name]
    app = load(args.app)
    server = simple_server.make_server("127.0.0.1", 0, app, server_class=ThreadingWSGIServer,
                                       handler_class=QuietHandler)
    write_port(args.port_file, server.server_port)
    print("%s: serving %s on 127.0.0.1:%d" % (args.name, args.app, server.server_port),
          file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
