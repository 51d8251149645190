"""Production mode with REDIS_URL: cache and sessions in a real redis-server started by the test
(cloudbranch.testing.redis_server), the portal's cached figures and the rate-limit counters."""

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.news import ratelimit
from cloudbranch.portal.selectors import open_warning_count
from cloudbranch.testing.factories import UserFactory
from cloudbranch.testing.redis_server import redis_server


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def on_redis(redis_url, settings):
    # The same blocks as settings/base.py with REDIS_URL set.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    raw = redis.Redis.from_url(redis_url)
    raw.flushdb()
    yield raw
    raw.close()


def test_settings_use_redis_for_cache_and_sessions_when_redis_url_is_set(redis_url, monkeypatch):
    import importlib

    import cloudbranch.settings.base as base

    monkeypatch.setenv("REDIS_URL", redis_url)
    try:
        reloaded = importlib.reload(base)
        assert reloaded.CACHES["default"] == {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
        }
        assert reloaded.SESSION_ENGINE == "django.contrib.sessions.backends.cache"
        assert reloaded.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    finally:
        monkeypatch.delenv("REDIS_URL")
        importlib.reload(base)


@pytest.mark.django_db
def test_a_session_in_redis_is_shared_by_two_clients(on_redis):
    user = UserFactory()
    first = Client()
    first.force_login(user)
    session_id = first.cookies["sessionid"].value
    assert any(session_id.encode() in key for key in on_redis.keys("*"))  # stored in Redis, not the database

    second = Client()  # another browser tab / another gunicorn worker: same cookie, same session
    second.cookies["sessionid"] = session_id
    response = second.get(reverse("core:home"))
    assert response.status_code == 200
    assert response.wsgi_request.user == user

    assert Client().get(reverse("core:home")).status_code == 302  # without the cookie: to the login page

    second.post(reverse("accounts:logout"))
    assert not any(session_id.encode() in key for key in on_redis.keys("*"))
    assert first.get(reverse("core:home")).status_code == 302  # logging out ended it for both


@pytest.mark.django_db
def test_portal_figures_are_cached_in_redis(on_redis):
    user = UserFactory()
    with CaptureQueriesContext(connection) as first:
        count = open_warning_count(user)
    with CaptureQueriesContext(connection) as second:
        assert open_warning_count(user) == count
    assert len(first) >= 1 and len(second) == 0
    assert any(b"portal:open-warnings" in key for key in on_redis.keys("*"))


def test_rate_limit_counters_live_in_redis(on_redis):
    assert all(ratelimit.hit("test:ip:10.0.0.1", 3, 60) for _ in range(3))
    assert not ratelimit.hit("test:ip:10.0.0.1", 3, 60)
    assert ratelimit.remaining("test:ip:10.0.0.1", 3) == 0
    assert ratelimit.remaining("test:ip:10.0.0.2", 3) == 3
    (key,) = [k for k in on_redis.keys("*") if b"cb:rl:test:ip:10.0.0.1" in k]
    assert 0 < on_redis.ttl(key) <= 60  # the window expires by itself
    cache.clear()
