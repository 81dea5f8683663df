"""The HTTP stand-ins a Nova control plane needs besides placement: one process, three
threaded stdlib servers on ephemeral ports of 127.0.0.1.

    python standins.py --port-file FILE --image-id UUID [--image-name NAME]

- keystone: only Keystone's version document (`/` and `/v3`). `openstack flavor
  create` builds an identity client even with `auth_type none`; pointed here with
  `identity_endpoint_override`, its version discovery succeeds. Nothing else of
  Keystone is used: tokens are trusted by realnova_auth.py.
- glance: one public, active raw image with `hw_architecture=x86_64` (what
  ImagePropertiesFilter and the fake driver's x86_64 node agree on): `GET /v2/images`
  (with `id=in:<uuid>`, `name=...` style filters), `/v2/images/<id>`,
  `/v2/schemas/image` (glanceclient builds its model from it) and the version list.
- neutron: every collection is empty (`GET /v2.0/<things>` -> `{"<things>": []}`),
  every single resource is 404. Servers booted with `--nic none` still make Nova list
  ports and networks on show and delete.

When all three listen, `{"keystone": P, "glance": P, "neutron": P}` is written to FILE
(atomically). Every request is logged to stderr; requests no stand-in knows answer 404
or 501 and are logged as UNHANDLED, so a surprise shows in the log.
"""

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CREATED = "2026-01-01T00:00:00Z"


class Handler(BaseHTTPRequestHandler):
    """Routes GETs to `self.server.get(handler, path, query)` -> (status, body)."""

    def do_GET(self):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        status, body = self.server.get(self, url.path.rstrip("/") or "/", query)
        self.reply(status, body)

    def do_other(self):
        self.log_message("UNHANDLED %s %s", self.command, self.path)
        self.reply(501, {"error": {"code": 501, "message": "the %s stand-in only answers GETs"
                                   % self.server.kind}})

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_other

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def base(self):
        return "http://%s:%d" % self.server.server_address[:2]

    def address_string(self):
        return self.server.kind

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.server.kind, fmt % args))
        sys.stderr.flush()


class StandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, kind, get):
        self.kind = kind
        self.get = get
        super().__init__(("127.0.0.1", 0), Handler)


# --- keystone ------------------------------------------------------------------------

def keystone_get(h, path, query):
    version = {
        "id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": h.base() + "/v3/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.identity-v3+json"}],
    }
    if path == "/":
        return 300, {"versions": {"values": [version]}}
    if path == "/v3":
        return 200, {"version": version}
    h.log_message("UNHANDLED GET %s", h.path)
    return 404, {"error": {"code": 404, "title": "Not Found",
                           "message": "the keystone stand-in only serves version documents"}}


# --- glance --------------------------------------------------------------------------

IMAGE_SCHEMA = {
    "name": "image",
    "properties": {
        "id": {"type": "string"}, "name": {"type": ["null", "string"]},
        "status": {"type": "string"}, "visibility": {"type": "string"},
        "protected": {"type": "boolean"}, "os_hidden": {"type": "boolean"},
        "checksum": {"type": ["null", "string"]}, "os_hash_algo": {"type": ["null", "string"]},
        "os_hash_value": {"type": ["null", "string"]}, "owner": {"type": ["null", "string"]},
        "size": {"type": ["null", "integer"]}, "virtual_size": {"type": ["null", "integer"]},
        "min_ram": {"type": "integer"}, "min_disk": {"type": "integer"},
        "disk_format": {"type": ["null", "string"]},
        "container_format": {"type": ["null", "string"]},
        "created_at": {"type": "string"}, "updated_at": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "self": {"type": "string"}, "file": {"type": "string"}, "schema": {"type": "string"},
        "locations": {"type": "array"}, "direct_url": {"type": "string"},
    },
    "additionalProperties": {"type": "string"},
    "links": [{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"},
              {"rel": "describedby", "href": "{schema}"}],
}


def make_image(image_id, name):
    return {
        "id": image_id, "name": name, "status": "active", "visibility": "public",
        "protected": False, "os_hidden": False, "checksum": None, "os_hash_algo": None,
        "os_hash_value": None, "owner": "admin", "size": 16 * 1024 * 1024,
        "virtual_size": None, "min_ram": 0, "min_disk": 0, "disk_format": "raw",
        "container_format": "bare", "created_at": CREATED, "updated_at": CREATED,
        "tags": [], "self": "/v2/images/" + image_id, "file": "/v2/images/%s/file" % image_id,
        "schema": "/v2/schemas/image", "hw_architecture": "x86_64",
    }


# Query keys that page or sort rather than filter.
NOT_FILTERS = {"limit", "marker", "sort", "sort_key", "sort_dir", "member_status"}


def matches(image, query):
    """Does the image pass glance-style filters (`key=value` or `key=in:a,b`)?"""
    for key, want in query.items():
        if key in NOT_FILTERS:
            continue
        values = want[3:].split(",") if want.startswith("in:") else [want]
        if str(image.get(key)) not in values:
            return False
    return True


def glance_error(message):
    # glanceclient reads an error body as {"<anything>": {"message": ...}}.
    return {"error": {"code": 404, "title": "Not Found", "message": message}}


def glance_get(images):
    def get(h, path, query):
        if path in ("/", "/versions"):
            return (300 if path == "/" else 200), {"versions": [
                {"id": "v2.16", "status": "CURRENT",
                 "links": [{"rel": "self", "href": h.base() + "/v2/"}]}]}
        if path == "/v2/schemas/image":
            return 200, IMAGE_SCHEMA
        if path == "/v2/schemas/images":
            return 200, {"name": "images", "properties": {
                "images": {"type": "array", "items": IMAGE_SCHEMA}}, "links": []}
        if path == "/v2/images":
            # A marker means "the page after the last one": there is a single page.
            found = [] if "marker" in query else [i for i in images if matches(i, query)]
            return 200, {"images": found, "schema": "/v2/schemas/images",
                         "first": "/v2/images"}
        if path.startswith("/v2/images/") and path.count("/") == 3:
            for image in images:
                if image["id"] == path.rsplit("/", 1)[1]:
                    return 200, image
            return 404, glance_error("No image found with ID %s" % path.rsplit("/", 1)[1])
        h.log_message("UNHANDLED GET %s", h.path)
        return 404, glance_error("not served by the stand-in")
    return get


# --- neutron -------------------------------------------------------------------------

def neutron_get(h, path, query):
    if path == "/":
        return 200, {"versions": [{"id": "v2.0", "status": "CURRENT",
                                   "links": [{"rel": "self", "href": h.base() + "/v2.0/"}]}]}
    if path == "/v2.0":
        return 200, {"resources": []}
    parts = path[len("/v2.0/"):].split("/") if path.startswith("/v2.0/") else []
    if len(parts) == 1:
        # A collection: ports, networks, extensions, security-groups, floatingips...
        return 200, {parts[0].removesuffix(".json").replace("-", "_"): []}
    if len(parts) == 2:
        return 404, {"NeutronError": {"type": "NotFound", "detail": "",
                                      "message": "%s %s could not be found" % tuple(parts)}}
    h.log_message("UNHANDLED GET %s", h.path)
    return 404, {"NeutronError": {"type": "NotFound", "detail": "",
                                  "message": "not served by the stand-in"}}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--image-id", required=True)
    p.add_argument("--image-name", default="cirros")
    args = p.parse_args()
    servers = {
        "keystone": StandIn("keystone", keystone_get),
        "glance": StandIn("glance", glance_get([make_image(args.image_id, args.image_name)])),
        "neutron": StandIn("neutron", neutron_get),
    }
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ports = {kind: s.server_address[1] for kind, s in servers.items()}
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump(ports, f)
    os.replace(tmp, args.port_file)
    print("standins: listening on %s" % json.dumps(ports), file=sys.stderr, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
