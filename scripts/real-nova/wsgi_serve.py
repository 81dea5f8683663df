"""Serve one WSGI application (placement or nova-api) with the stdlib's threaded wsgiref.

    python wsgi_serve.py --name NAME --app MODULE:ATTR --port-file FILE

The application is imported first (Nova's and placement's modules build their app,
read their config and connect to the database at import), then the server binds an
ephemeral port of 127.0.0.1 and writes it to FILE, atomically: the port file's
appearance means "loaded and listening". Requests are logged to stderr, one flushed
line each, written before the response's status line is sent (so before the client
can have the response): `127.0.0.1 - - [date] "GET /path?query HTTP/1.1" 200 1234`
(the last field is the Content-Length, `-` if none).

keystone.py loads this file for ThreadingWSGIServer, QuietHandler and write_atomically.
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


class LogFirstServerHandler(simple_server.ServerHandler):
    """Logs the request when its status line goes out, not after the body (wsgiref's way):
    a client holding the whole response can count on the line being in the log."""

    def send_preamble(self):
        length = dict((k.lower(), v) for k, v in self.headers.items()).get("content-length", "-")
        self.request_handler.log_request(self.status.split(" ", 1)[0], length)
        super().send_preamble()

    def close(self):
        # simple_server.ServerHandler.close() would log the request a second time.
        simple_server.SimpleHandler.close(self)


class QuietHandler(simple_server.WSGIRequestHandler):
    def address_string(self):
        # The default does a reverse DNS lookup per request.
        return self.client_address[0]

    def log_message(self, format, *args):
        # The request line and status, flushed: tests count requests in this log.
        sys.stderr.write("%s - - [%s] %s\n" % (self.address_string(), self.log_date_time_string(),
                                                format % args))
        sys.stderr.flush()

    def handle(self):
        # WSGIRequestHandler.handle (Python 3.11) with LogFirstServerHandler.
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = LogFirstServerHandler(self.rfile, self.wfile, self.get_stderr(),
                                        self.get_environ(), multithread=False)
        handler.request_handler = self
        handler.run(self.server.get_app())


def load(spec):
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def write_atomically(path, text):
    """Write FILE via FILE.tmp + rename: a reader sees no file or the whole text."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
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
    write_atomically(args.port_file, str(server.server_port))
    print("%s: serving %s on 127.0.0.1:%d" % (args.name, args.app, server.server_port),
          file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
