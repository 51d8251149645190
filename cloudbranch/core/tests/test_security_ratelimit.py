"""Fixed-window rate limits: the API per token/user and per IP, every anonymous POST as a backstop,
and the ``rate_limit``/``rate_limited`` helpers other apps call. Time moves by patching the clock."""

import json

import pytest
from django.http import HttpResponse
from django.test import override_settings

from cloudbranch.core import security
from cloudbranch.testing.factories import UserFactory


@pytest.fixture
def clock(monkeypatch):
    now = {"t": 1_200_020.0}  # 20 s into a 60 s window
    monkeypatch.setattr(security, "_now", lambda: now["t"])
    return now


def test_rate_limit_counts_then_resets_after_the_window(clock):
    results = [security.rate_limit("t:k", 2, 60) for _ in range(3)]
    assert [r.allowed for r in results] == [True, True, False]
    assert results[2].retry_after == 40
    assert security.rate_limit("t:other", 2, 60).allowed
    clock["t"] += 40
    assert security.rate_limit("t:k", 2, 60).allowed


@override_settings(API_RATE_LIMIT_ANON=(3, 60))
def test_anonymous_api_limited_per_ip_with_json_429(client, clock):
    statuses = [client.get("/api/me", REMOTE_ADDR="10.0.0.1").status_code for _ in range(4)]
    assert statuses[:3] == [401, 401, 401] and statuses[3] == 429
    response = client.get("/api/me", REMOTE_ADDR="10.0.0.1")
    body = json.loads(response.content)
    assert body["errors"] == [] and "请求过于频繁" in body["detail"]
    assert response["Retry-After"] == "40"
    assert client.get("/api/me", REMOTE_ADDR="10.0.0.2").status_code == 401  # another visitor
    clock["t"] += 40
    assert client.get("/api/me", REMOTE_ADDR="10.0.0.1").status_code == 401


@override_settings(API_RATE_LIMIT_USER=(2, 60), API_RATE_LIMIT_ANON=(1, 60))
def test_api_limited_per_user_not_per_ip(client, db, clock):
    client.force_login(UserFactory())
    assert [client.get("/api/me").status_code for _ in range(3)] == [200, 200, 429]
    other = UserFactory()
    client.force_login(other)
    assert client.get("/api/me").status_code == 200  # same IP, another user: own budget


@override_settings(API_RATE_LIMIT_USER=(2, 60))
def test_api_limited_per_bearer_token(client, db, clock):
    from cloudbranch.accounts.services import api_token_create

    user = UserFactory()
    _, clear = api_token_create(actor=user, name="t", days=30)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {clear}"}
    assert [client.get("/api/me", **headers).status_code for _ in range(3)] == [200, 200, 429]


@override_settings(ANON_POST_RATE_LIMIT=(2, 60))
def test_every_anonymous_post_has_a_backstop(client, db, clock):
    data = {"username": "nobody", "password": "wrong"}
    statuses = [client.post("/accounts/login/", data).status_code for _ in range(3)]
    assert statuses[2] == 429 and 429 not in statuses[:2]
    response = client.post("/accounts/login/", data)
    assert "请求过于频繁" in response.content.decode() and response["Retry-After"]
    assert client.get("/accounts/login/").status_code == 200  # reading is not limited


@override_settings(RATE_LIMIT_ENABLED=False, ANON_POST_RATE_LIMIT=(1, 60))
def test_limits_can_be_switched_off(client, db, clock):
    data = {"username": "nobody", "password": "wrong"}
    assert 429 not in [client.post("/accounts/login/", data).status_code for _ in range(3)]


def test_rate_limited_decorator_for_public_forms(rf, clock):
    view = security.rate_limited("activate", 1, 300)(lambda request: HttpResponse("ok"))
    request = rf.post("/activate/", REMOTE_ADDR="10.0.0.9")
    request.htmx = False
    assert view(request).status_code == 200
    refused = view(request)
    assert refused.status_code == 429 and refused["Retry-After"] == "280"
    assert view(rf.get("/activate/", REMOTE_ADDR="10.0.0.9")).status_code == 200  # GET not counted
