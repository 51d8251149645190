"""Content-Security-Policy and the other security headers; every template free of inline script
behaviour (handlers, hx-on, javascript: URLs) and every inline script carrying the nonce."""

import re
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[2]  # cloudbranch/
SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)
NONCE = re.compile(r"""\bnonce=["']?([\w-]*)""")

# Pages that are files or feeds, not HTML, or that have side effects when fetched.
SKIP = re.compile(r"export|template|xlsx|csv|pdf|rss|atom|feed_|captcha|_bench|healthz|download|print|qr|logout")


def templates():
    return sorted(p for p in ROOT.rglob("*.html") if "templates" in p.parts and "/static/" not in str(p))


def problems_in(text: str) -> list[str]:
    found = []
    for match in SCRIPT.finditer(text):
        attrs = match.group(1)
        if "src=" in attrs or "application/json" in attrs or "application/ld+json" in attrs:
            continue
        if "nonce=" not in attrs:
            found.append(f"inline <script> without nonce: {match.group(0)}")
    found += [f"inline handler: {m.group(0).strip()}" for m in HANDLER.finditer(text)]
    found += [f"hx-on: {m.group(0)}" for m in re.finditer(r"hx-on[:\-][^=\s]*", text)]
    found += [f"javascript: URL: {m.group(0)}" for m in JS_URL.finditer(text)]
    return found


def test_no_template_has_inline_behaviour():
    bad = {str(p.relative_to(ROOT)): problems_in(p.read_text()) for p in templates()}
    bad = {name: found for name, found in bad.items() if found}
    assert not bad, f"templates with inline script behaviour (use data-* handled by app.js): {bad}"


def test_problems_in_catches_each_kind():
    html = '<script>x()</script><a href="javascript:x()" onclick="y()" hx-on::before-swap="z">'
    assert len(problems_in(html)) == 4
    assert problems_in('<script nonce="abc">x()</script><script src="/s.js"></script>') == []


def _pages_one_per_app():
    """The first GET page without URL arguments of each namespace (a representative page per app)."""
    chosen = {}

    def walk(resolver, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name and namespace and namespace not in chosen:
                if entry.pattern.regex.groups == 0 and not SKIP.search(entry.name) and "api" not in namespace:
                    chosen[namespace] = f"{namespace}:{entry.name}"

    walk(get_resolver(), None)
    return sorted(chosen.values())


@pytest.fixture
def world(shared_world):
    return shared_world


@pytest.mark.parametrize("name", _pages_one_per_app())
def test_page_renders_under_csp(world, login, name):
    from django.urls import reverse

    client = login(world.users["admin"])
    response = client.get(reverse(name))
    assert response.status_code < 500, name
    csp = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([\w-]+)'", csp).group(1)
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    if response.status_code == 200 and "text/html" in response["Content-Type"]:
        text = response.content.decode()
        assert problems_in(text) == [], name
        assert all(n == nonce for n in NONCE.findall(text) if n), name


def test_csp_header_and_nonce_per_request(client):
    first = client.get("/accounts/login/")
    second = client.get("/accounts/login/")
    csp = first["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ):
        assert directive in csp
    assert "allowEval&quot;: false" in first.content.decode() or '"allowEval": false' in first.content.decode()
    assert csp != second["Content-Security-Policy"]  # a fresh nonce each time
    assert "cloudbranch/app.js" in first.content.decode()


@override_settings(CSP_REPORT_ONLY=True, CSP_EXTRA_SOURCES={"frame-src": ["https://live.example.edu.cn"]})
def test_csp_report_only_and_extra_sources(client):
    response = client.get("/accounts/login/")
    assert "Content-Security-Policy" not in response
    assert "frame-src 'self' https://live.example.edu.cn" in response["Content-Security-Policy-Report-Only"]


@override_settings(CSP_ENABLED=False)
def test_csp_can_be_switched_off(client):
    assert "Content-Security-Policy" not in client.get("/accounts/login/")


@override_settings(
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_SSL_REDIRECT=False,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    X_FRAME_OPTIONS="DENY",
)
def test_prod_like_headers(client):
    response = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Permissions-Policy"]
    assert "camera=()" in policy and "microphone=()" in policy and "geolocation=()" in policy


def test_same_origin_frame_view_gets_frame_ancestors_self(rf):
    from django.http import HttpResponse
    from django.views.decorators.clickjacking import xframe_options_sameorigin

    from cloudbranch.core.security import ProtectionMiddleware

    request = rf.get("/x")
    request.user = None
    middleware = ProtectionMiddleware(xframe_options_sameorigin(lambda r: HttpResponse("pdf")))
    assert "frame-ancestors 'self'" in middleware(request)["Content-Security-Policy"]
