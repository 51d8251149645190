import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.notifications import services
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.models import Notification, NotificationPreference


def _notify(user, n=1, **kw):
    return [services.notify(recipients=[user], category="system", title=f"消息{i}", **kw)[0] for i in range(n)]


def test_inbox_unread_first_and_bold(world, login):
    user = world.users["member1"]
    old, new = _notify(user, 2)
    services.notification_mark_read(user=user, notification_id=new.pk)
    services.notify(recipients=[world.users["secretary1"]], category="system", title="别人的消息")
    body = login(user).get(reverse("notifications:inbox")).content.decode()
    assert body.index("消息0") < body.index("消息1")  # unread before read, though older
    assert "别人的消息" not in body
    assert body.count("fw-bold text-break") == 1


def test_inbox_filter_and_pagination(world, login):
    user = world.users["member1"]
    _notify(user, 25)
    client = login(user)
    resp = client.get(reverse("notifications:inbox"))
    assert resp.status_code == 200 and resp.context["page"].paginator.num_pages == 2
    assert len(resp.context["page"]) == 20
    services.notification_mark_all_read(user=user)
    _notify(user, 1)
    resp = client.get(reverse("notifications:inbox") + "?show=unread")
    assert [n.title for n in resp.context["page"]] == ["消息0"]


def test_inbox_htmx_returns_fragment(world, login):
    _notify(world.users["member1"])
    resp = login(world.users["member1"]).get(reverse("notifications:inbox"), HTTP_HX_REQUEST="true")
    assert b'id="cb-inbox"' in resp.content and b'<nav class="navbar' not in resp.content


def test_open_marks_read_and_redirects_to_local_url_only(world, login):
    user = world.users["member1"]
    local = services.notify(recipients=[user], category="system", title="a", url="/people/")[0]
    evil = services.notify(recipients=[user], category="system", title="b", url="https://evil.example/")[0]
    client = login(user)
    resp = client.post(reverse("notifications:open", args=[local.pk]))
    assert resp.status_code == 302 and resp["Location"] == "/people/"
    resp = client.post(reverse("notifications:open", args=[evil.pk]))
    assert resp["Location"] == reverse("notifications:inbox")
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 0
    assert client.get(reverse("notifications:open", args=[local.pk])).status_code == 405


def test_open_someone_elses_is_404(world, login):
    other = _notify(world.users["secretary1"])[0]
    resp = login(world.users["member1"]).post(reverse("notifications:open", args=[other.pk]))
    assert resp.status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_mark_all_read(world, login):
    user = world.users["member1"]
    _notify(user, 3)
    resp = login(user).post(reverse("notifications:mark_all_read"))
    assert resp.status_code == 302
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


@pytest.mark.parametrize("n", [0, 1, 150])
def test_badge_count_and_queries(world, login, n):
    user = world.users["secretary1"]
    if n:
        services.notify(recipients=[user], category="system", title="x")
        Notification.objects.bulk_create(Notification(recipient=user, title=f"y{i}") for i in range(n - 1))
    client = login(user)
    client.get(reverse("notifications:badge"))  # warm session
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(reverse("notifications:badge"))
    # session + user + the count: nothing else
    assert len(ctx.captured_queries) == 3, [q["sql"] for q in ctx.captured_queries]
    text = resp.content.decode().strip()
    if n == 0:
        assert text == ""
    elif n == 1:
        assert ">1</span>" in text and "bg-danger" in text
    else:
        assert "99+" in text


def test_preferences_grid_and_save(world, login):
    from cloudbranch.audit.models import AuditEvent

    user = world.users["member1"]
    client = login(user)
    resp = client.get(reverse("notifications:preferences"))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "电子邮件" in body and "站内消息" in body and "会议通知" in body
    # Everything on except email for reminders.
    data = {f"{c}:email": "on" for c in Category.values if c != Category.REMINDER}
    resp = client.post(reverse("notifications:preferences"), data)
    assert resp.status_code == 302
    assert list(NotificationPreference.objects.filter(user=user).values_list("category", "channel", "enabled")) == [
        ("reminder", "email", False)
    ]
    assert AuditEvent.objects.filter(action="notifications.preference.update", actor=user).count() == 1
    grid = client.get(reverse("notifications:preferences")).context["grid"]
    cells = {(r["category"], c["channel"]): c["enabled"] for r in grid["rows"] for c in r["cells"]}
    assert cells[("reminder", "email")] is False and cells[("meeting", "email")] is True
    assert cells[("reminder", "inbox")] is True  # cannot be switched off


def test_pages_need_login(client, db):
    for name in ("notifications:inbox", "notifications:badge", "notifications:preferences"):
        assert client.get(reverse(name)).status_code == 302
