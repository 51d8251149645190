"""A fake CAS server and a fake OpenID Connect provider, served on 127.0.0.1 by a thread.

Tests do the browser's part themselves: they read our redirect, ask the fake for a ticket or an
authorization code (``issue_ticket`` / ``issue_code``, in process), then call our callback. The
server-to-server legs (ticket validation, discovery, JWKS, token endpoint) go over loopback HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from contextlib import contextmanager
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class _ThreadingServer(WSGIServer):
    daemon_threads = True


@contextmanager
def serve(app):
    """Serve a WSGI app on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


def _respond(start_response, status: str, body: bytes, content_type: str):
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


# ---------------------------------------------------------------- CAS


class FakeCas:
    """CAS 2.0 (/serviceValidate) and 3.0 (/p3/serviceValidate). Tickets are single use and bound
    to the exact service URL they were issued for."""

    def __init__(self):
        self.tickets: dict[str, tuple[str, str, dict]] = {}
        self.validations: list[str] = []  # paths asked, to check the CAS version used

    def issue_ticket(self, service: str, user: str, attributes: dict | None = None) -> str:
        ticket = "ST-" + secrets.token_hex(8)
        self.tickets[ticket] = (service, user, attributes or {})
        return ticket

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        if path not in ("/cas/serviceValidate", "/cas/p3/serviceValidate"):
            return _respond(start_response, "404 Not Found", b"", "text/plain")
        self.validations.append(path)
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        issued = self.tickets.pop(query.get("ticket", ""), None)
        if issued is None or issued[0] != query.get("service"):
            code = "INVALID_TICKET" if issued is None else "INVALID_SERVICE"
            xml = (
                '<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">'
                f'<cas:authenticationFailure code="{code}">Ticket not recognized</cas:authenticationFailure>'
                "</cas:serviceResponse>"
            )
        else:
            attrs = "".join(f"<cas:{k}>{v}</cas:{k}>" for k, v in issued[2].items())
            xml = (
                '<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess>'
                f"<cas:user>{issued[1]}</cas:user><cas:attributes>{attrs}</cas:attributes>"
                "</cas:authenticationSuccess></cas:serviceResponse>"
            )
        return _respond(start_response, "200 OK", xml.encode(), "text/xml; charset=utf-8")


# ---------------------------------------------------------------- OpenID Connect

CLIENT_ID = "cloudbranch"
CLIENT_SECRET = "s3cret-client"


def new_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeOidc:
    """Discovery, JWKS, token endpoint (client_secret_basic + PKCE S256). ``issue_code`` plays the
    authorization endpoint; ``claims`` overrides and ``sign_key`` let a test break the ID token."""

    def __init__(self):
        self.base = ""  # set once served
        self.key = new_rsa_key()
        self.kid = "k1"
        self.codes: dict[str, dict] = {}
        self.requests: list[str] = []

    @property
    def issuer(self) -> str:
        return self.base + "/oidc"

    def jwks(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", alg="RS256")
        return {"keys": [jwk]}

    def issue_code(self, authorize_query: dict, subject: str, *, sign_key=None, **claims) -> str:
        """The code the authorization endpoint would give for ``authorize_query`` (our redirect's
        query); ``claims`` are merged into the ID token (None deletes a claim)."""
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": authorize_query["client_id"],
            "sub": "sub-" + subject,
            "preferred_username": subject,
            "name": "测试",
            "iat": now,
            "exp": now + 300,
            "nonce": authorize_query["nonce"],
        }
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "payload": payload,
            "challenge": authorize_query["code_challenge"],
            "redirect_uri": authorize_query["redirect_uri"],
            "sign_key": sign_key or self.key,
        }
        return code

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        self.requests.append(path)
        if path == "/oidc/.well-known/openid-configuration":
            body = {
                "issuer": self.issuer,
                "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token",
                "jwks_uri": self.issuer + "/jwks",
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
            return _respond(start_response, "200 OK", json.dumps(body).encode(), "application/json")
        if path == "/oidc/jwks":
            return _respond(start_response, "200 OK", json.dumps(self.jwks()).encode(), "application/json")
        if path == "/oidc/token" and environ["REQUEST_METHOD"] == "POST":
            return self._token(environ, start_response)
        return _respond(start_response, "404 Not Found", b"", "text/plain")

    def _token(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
        expected_auth = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        grant = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        error = None
        if environ.get("HTTP_AUTHORIZATION") != expected_auth:
            error = "invalid_client"
        elif grant is None or form.get("grant_type") != "authorization_code":
            error = "invalid_grant"
        elif challenge != grant["challenge"] or form.get("redirect_uri") != grant["redirect_uri"]:
            error = "invalid_grant"
        if error:
            return _respond(
                start_response, "400 Bad Request", json.dumps({"error": error}).encode(), "application/json"
            )
        id_token = jwt.encode(grant["payload"], grant["sign_key"], algorithm="RS256", headers={"kid": self.kid})
        body = {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "id_token": id_token}
        return _respond(start_response, "200 OK", json.dumps(body).encode(), "application/json")
