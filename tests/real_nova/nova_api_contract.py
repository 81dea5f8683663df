"""Nova 34's own API contract, for novactor's tests: the response body schema Nova's
controller declares for a route, method, action and microversion, and whether a body
satisfies it — Nova's schemas, Nova's validator (`nova.api.validation.validators`),
resolved through Nova's route table (`nova.api.openstack.compute.routes.ROUTE_LIST`) as
Nova's router does, without starting any Nova service.

Reads JSON lines on stdin, one exchange each:
  {"method": "GET", "path": "/v2.1/servers/detail", "version": "2.47",
   "status": 200, "action": null, "body": {...} | null}
and writes one JSON line per exchange:
  {"ok": true|false, "schema": "<controller.method [min, max]>", "error": "<why not>"}
A route Nova does not serve, or a method without a response schema for that version, is
"ok": false with the reason: the test treats it as a failure, never as a pass.
"""

import json
import re
import sys
import warnings

warnings.filterwarnings("ignore")

from nova.api.openstack import api_version_request  # noqa: E402
from nova.api.openstack.compute import routes  # noqa: E402
from nova.api.validation import validators  # noqa: E402
from nova import exception  # noqa: E402

PREFIX = "/v2.1"


def _compile(template):
    pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
    return re.compile("^" + pattern + "$")


# (regex, number of parameters, methods) — fewer parameters first, as a literal segment
# ("/servers/detail") must win over a parameter ("/servers/{id}").
ROUTES = sorted(
    (
        (_compile(template), template.count("{"), template, methods)
        for template, methods in routes.ROUTE_LIST
        if isinstance(methods, dict)
    ),
    key=lambda r: r[1],
)


def _classes(factory):
    """The controller classes of a route: the main one and its action controllers."""
    main, actions = factory.args
    return [main] + list(actions)


def _route(path):
    """Nova's route template and method table for `path` (with or without /v2.1)."""
    if path.startswith(PREFIX):
        path = path[len(PREFIX):] or "/"
    path = path.split("?", 1)[0]
    for regex, _, template, methods in ROUTES:
        if regex.match(path):
            return template, methods
    return None, None


def _function(methods, method, action):
    entry = methods.get(method)
    if entry is None:
        return None, f"Nova serves no {method} here"
    factory, name = entry
    classes = _classes(factory)
    if action is None:
        fn = getattr(classes[0], name, None)
        return fn, f"{classes[0].__name__}.{name}"
    for cls in classes:
        method_name = getattr(cls, "wsgi_actions", {}).get(action)
        if method_name:
            return getattr(cls, method_name), f"{cls.__name__}.{method_name}"
    return None, f"Nova has no server action {action!r}"


def check(exchange):
    template, methods = _route(exchange["path"])
    if template is None:
        return {"ok": False, "schema": None,
                "error": f"Nova 34 has no route for {exchange['path']}"}
    fn, name = _function(methods, exchange["method"], exchange.get("action"))
    if fn is None:
        return {"ok": False, "schema": None, "error": name}
    schemas = getattr(fn, "response_body_schemas", None)
    if schemas is None:
        return {"ok": False, "schema": name,
                "error": f"{name} declares no response schema"}
    version = api_version_request.APIVersionRequest(exchange["version"])
    for schema, low, high in schemas._schemas:
        if version.matches(low, high):
            label = f"{template} {name} [{low.get_string() if not low.is_null() else '-'}, " \
                    f"{high.get_string() if not high.is_null() else '-'}]"
            try:
                validators._SchemaValidator(schema, False, True).validate(
                    exchange.get("body"))
            except exception.ValidationError as error:
                return {"ok": False, "schema": label, "error": str(error)}
            return {"ok": True, "schema": label, "error": None}
    return {"ok": False, "schema": name,
            "error": f"{name} has no response schema for {exchange['version']}"}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            result = check(json.loads(line))
        except Exception as error:  # a bad exchange is reported, the rest go on
            result = {"ok": False, "schema": None, "error": f"checker: {error!r}"}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
