"""A paste filter standing in for keystonemiddleware's authtoken in Nova's pipeline.

Nova 34 has no noauth strategy: its api-paste.ini always runs `authtoken`, which needs
a Keystone. This filter takes its place (realnova.py writes it into api-paste.ini)
and trusts the token instead of validating it:

  X-Auth-Token: <user>:<project>   -> that user in that project; the roles are
                                      admin,member,reader when user is "admin",
                                      member,reader otherwise
  X-Auth-Token: notused            -> admin:admin (the openstack client's
                                      `auth_type none` sends this token)
  no token / anything else         -> 401, as authtoken would answer

It sets the headers authtoken sets for a valid token (X-Identity-Status, X-User-Id,
X-Project-Id, X-Roles, names and domains) and keeps X-Auth-Token on the request:
Nova forwards the user's token to glance and neutron, and keystoneauth refuses to
send a request without one.
"""

import json

ADMIN_ROLES = "admin,member,reader"
MEMBER_ROLES = "member,reader"
# What `openstack --os-auth-type none` sends as its token.
CLIENT_NOAUTH_TOKEN = "notused"

# Headers a caller could forge; authtoken strips them too before setting its own.
_IDENTITY_HEADERS = (
    "X_IDENTITY_STATUS", "X_SERVICE_IDENTITY_STATUS", "X_DOMAIN_ID", "X_DOMAIN_NAME",
    "X_PROJECT_ID", "X_PROJECT_NAME", "X_PROJECT_DOMAIN_ID", "X_PROJECT_DOMAIN_NAME",
    "X_USER_ID", "X_USER_NAME", "X_USER_DOMAIN_ID", "X_USER_DOMAIN_NAME", "X_ROLES",
    "X_SERVICE_CATALOG", "X_IS_ADMIN_PROJECT", "X_SYSTEM_SCOPE", "X_TENANT_ID",
    "X_TENANT_NAME", "X_USER", "X_TENANT", "X_ROLE",
)


def identity_of(token):
    """(user, project) named by a token, or None when the token names nobody."""
    if token == CLIENT_NOAUTH_TOKEN:
        return "admin", "admin"
    user, sep, project = (token or "").partition(":")
    if not sep or not user or not project:
        return None
    return user, project


def _unauthorized(start_response):
    body = json.dumps({"error": {"code": 401, "title": "Unauthorized",
                                 "message": "The request you have made requires "
                                            "authentication (token '<user>:<project>')."}})
    start_response("401 Unauthorized", [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("WWW-Authenticate", 'Keystone uri="http://127.0.0.1/identity"'),
    ])
    return [body.encode()]


class NoAuthToken:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        for h in _IDENTITY_HEADERS:
            environ.pop("HTTP_" + h, None)
        who = identity_of(environ.get("HTTP_X_AUTH_TOKEN"))
        if who is None:
            return _unauthorized(start_response)
        user, project = who
        environ.update({
            "HTTP_X_IDENTITY_STATUS": "Confirmed",
            "HTTP_X_USER_ID": user,
            "HTTP_X_USER_NAME": user,
            "HTTP_X_USER_DOMAIN_ID": "default",
            "HTTP_X_USER_DOMAIN_NAME": "Default",
            "HTTP_X_PROJECT_ID": project,
            "HTTP_X_PROJECT_NAME": project,
            "HTTP_X_PROJECT_DOMAIN_ID": "default",
            "HTTP_X_PROJECT_DOMAIN_NAME": "Default",
            "HTTP_X_ROLES": ADMIN_ROLES if user == "admin" else MEMBER_ROLES,
        })
        return self.app(environ, start_response)


def filter_factory(global_conf, **local_conf):
    """paste.deploy entry point: `paste.filter_factory = realnova_auth:filter_factory`."""
    return NoAuthToken
