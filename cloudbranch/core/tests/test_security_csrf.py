"""CSRF: every POST form carries the token, HTMX sends it on every request, and a session-
authenticated POST without it is refused (pages and the API)."""

import re
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]  # cloudbranch/
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']post[\"'][^>]*>", re.I | re.S)


def _templates():
    return sorted(p for p in ROOT.rglob("*.html") if "templates" in p.parts and "/static/" not in str(p))


def test_every_post_form_has_a_csrf_token():
    missing = []
    for path in _templates():
        text = path.read_text()
        for match in POST_FORM.finditer(text):
            end = text.find("</form>", match.end())
            body = text[match.end() : end if end != -1 else None]
            if "{% csrf_token %}" not in body and "csrfmiddlewaretoken" not in body:
                line = text.count("\n", 0, match.start()) + 1
                missing.append(f"{path.relative_to(ROOT)}:{line}")
    assert not missing, f"POST forms without {{% csrf_token %}}: {missing}"


def test_base_sends_the_token_on_every_htmx_request():
    base = (ROOT / "templates" / "base.html").read_text()
    assert re.search(r"<body[^>]*hx-headers='\{\"X-CSRFToken\": \"\{\{ csrf_token \}\}\"\}'", base)


@pytest.fixture
def strict(db):
    from cloudbranch.testing.factories import UserFactory

    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    return client


def test_session_page_post_without_token_is_403(strict):
    from django.urls import reverse

    assert strict.post(reverse("accounts:logout")).status_code == 403
    assert strict.get(reverse("accounts:profile")).status_code == 200  # still signed in


def test_session_api_post_without_token_is_403(strict):
    response = strict.post("/api/me/tokens", {"name": "t", "days": 30}, content_type="application/json")
    assert response.status_code == 403


def test_session_api_post_with_token_passes(strict):
    strict.get("/accounts/profile/")
    token = strict.cookies["csrftoken"].value
    response = strict.post(
        "/api/me/tokens", {"name": "t", "days": 30}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201
