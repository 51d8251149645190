import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.accounts.models import ApiToken
from cloudbranch.notifications import services
from cloudbranch.notifications.models import Notification, NotificationPreference


@pytest.fixture
def api(world, client):
    user = world.users["member1"]
    token = ApiToken.generate()
    ApiToken.objects.create(user=user, name="t", prefix=token[:8], digest=ApiToken.digest_of(token))
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_list_and_unread_filter(world, api):
    user = world.users["member1"]
    a, b = (services.notify(recipients=[user], category="system", title=t)[0] for t in ("甲", "乙"))
    services.notify(recipients=[world.users["secretary1"]], category="system", title="别人")
    services.notification_mark_read(user=user, notification_id=b.pk)
    body = api.get("/api/notifications").json()
    assert body["count"] == 2 and [i["title"] for i in body["items"]] == ["甲", "乙"]
    body = api.get("/api/notifications?unread=1").json()
    assert [i["title"] for i in body["items"]] == ["甲"]
    assert api.get("/api/notifications/unread-count").json() == {"unread": 1}


@pytest.mark.parametrize("n", [1, 60])
def test_list_query_count_constant(world, api, n):
    user = world.users["member1"]
    Notification.objects.bulk_create(Notification(recipient=user, title=f"t{i}") for i in range(n))
    api.get("/api/notifications/unread-count")  # the first use stamps the token's last_used_at
    with CaptureQueriesContext(connection) as ctx:
        assert api.get("/api/notifications").status_code == 200
    assert len(ctx.captured_queries) == 3  # token, count, page


def test_read_one_and_all(world, api):
    user = world.users["member1"]
    n1, n2 = (services.notify(recipients=[user], category="system", title=t)[0] for t in ("1", "2"))
    other = services.notify(recipients=[world.users["secretary1"]], category="system", title="x")[0]
    resp = api.post(f"/api/notifications/{n1.pk}/read")
    assert resp.status_code == 200 and resp.json()["read_at"]
    assert api.post(f"/api/notifications/{other.pk}/read").status_code == 404
    assert api.post("/api/notifications/read-all").json() == {"marked": 1}
    assert api.get("/api/notifications/unread-count").json() == {"unread": 0}


def test_preferences_get_put(world, api):
    body = api.get("/api/notifications/preferences").json()
    assert {"name": "inbox", "label": "站内消息", "locked": True} in body["channels"]
    cell = {"category": "task", "channel": "email", "enabled": True, "locked": False}
    assert cell in body["preferences"]
    resp = api.put(
        "/api/notifications/preferences",
        {"preferences": [{"category": "task", "channel": "email", "enabled": False}]},
        content_type="application/json",
    )
    assert resp.status_code == 200
    assert {**cell, "enabled": False} in resp.json()["preferences"]
    assert NotificationPreference.objects.get(user=world.users["member1"]).enabled is False
    resp = api.put(
        "/api/notifications/preferences",
        {"preferences": [{"category": "task", "channel": "inbox", "enabled": False}]},
        content_type="application/json",
    )
    assert resp.status_code == 422 and resp.json()["detail"]


def test_session_write_needs_csrf(world, client):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(world.users["member1"])
    assert c.post("/api/notifications/read-all").status_code == 403


def test_anonymous_401(db, client):
    assert client.get("/api/notifications").status_code == 401
