import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.notifications import services
from cloudbranch.notifications.choices import Category, DeliveryStatus
from cloudbranch.notifications.models import Delivery, Notification, NotificationPreference


@pytest.fixture
def people(world):
    u = world.users
    u["secretary1"].email = "s1@example.edu.cn"
    u["secretary1"].save()
    u["member1"].email = "m1@example.edu.cn"
    u["member1"].save()
    return u


def test_notify_bulk_creates_one_row_per_active_recipient(people, django_capture_on_commit_callbacks):
    inactive = get_user_model().objects.create_user("gone", is_active=False)
    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks() as callbacks:
        created = services.notify(
            recipients=[people["secretary1"], people["member1"], people["member1"].pk, inactive],
            category=Category.SYSTEM,
            title="系统维护",
            body="今晚维护",
            actor=people["admin"],
        )
    assert len(created) == 2
    assert len(callbacks) == 1  # delivery is deferred until commit
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1  # one bulk insert, not one per user
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"secretary1", "member1"}
    assert not AuditEvent.objects.filter(action__startswith="notifications.").exists()


def test_notify_rejects_unknown_category(people):
    with pytest.raises(DomainError):
        services.notify(recipients=[people["member1"]], category="nope", title="x")
    with pytest.raises(DomainError):
        services.notify(recipients=[people["member1"]], category=Category.SYSTEM, title="  ")


def test_task_delivers_email_on_commit(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            recipients=[people["secretary1"], people["secretary2"]],
            category=Category.MEETING,
            title="支部党员大会",
            body="周五下午",
            url="/meetings/1/",
        )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["s1@example.edu.cn"]
    assert "支部党员大会" in mail.outbox[0].subject and "/meetings/1/" in mail.outbox[0].body
    by_user = dict(Delivery.objects.values_list("notification__recipient__username", "status"))
    assert by_user == {"secretary1": DeliveryStatus.SENT, "secretary2": DeliveryStatus.SKIPPED}  # no email address


def test_failing_channel_records_failure_and_others_continue(people, extra_channels):
    recipients = [people["secretary1"], people["secretary2"], people["member1"]]
    NotificationPreference.objects.create(user=people["member1"], category="task", channel="recording", enabled=True)
    NotificationPreference.objects.create(user=people["secretary2"], category="task", channel="recording", enabled=True)
    created = services.notify(recipients=recipients, category=Category.TASK, title="上报材料")
    tally = services.notifications_deliver([n.pk for n in created])

    rows = {
        (d.notification.recipient.username, d.channel): d
        for d in Delivery.objects.select_related("notification__recipient")
    }
    for user in ("secretary1", "secretary2", "member1"):
        broken = rows[(user, "broken")]
        assert broken.status == DeliveryStatus.FAILED and broken.attempts == 1
        assert "ConnectionError: gateway timeout" in broken.last_error
    assert rows[("secretary1", "email")].status == DeliveryStatus.SENT
    assert rows[("member1", "email")].status == DeliveryStatus.SENT
    assert rows[("secretary2", "recording")].status == DeliveryStatus.FAILED  # bad recipient …
    assert rows[("member1", "recording")].status == DeliveryStatus.SENT  # … does not stop the next one
    assert ("secretary1", "recording") not in rows  # opt-in channel, not chosen
    assert extra_channels.sent == [("member1", "上报材料")]
    assert len(mail.outbox) == 2
    assert tally["failed"] == 4 and tally["sent"] == 3

    # Re-running (a retried task) sends nothing twice and retries only the failures.
    services.notifications_deliver([n.pk for n in created])
    assert len(mail.outbox) == 2
    assert Delivery.objects.get(notification__recipient__username="member1", channel="broken").attempts == 2


def test_preferences_respected(people):
    services.preference_set(user=people["secretary1"], category=Category.REMINDER, channel="email", enabled=False)
    created = services.notify(recipients=[people["secretary1"]], category=Category.REMINDER, title="换届提醒")
    services.notifications_deliver([n.pk for n in created])
    assert mail.outbox == []
    assert not Delivery.objects.exists()
    created = services.notify(recipients=[people["secretary1"]], category=Category.MEETING, title="会议")
    services.notifications_deliver([n.pk for n in created])
    assert len(mail.outbox) == 1


def test_preference_set_is_audited_and_validated(people):
    user = people["member1"]
    services.preference_set(user=user, category="reminder", channel="email", enabled=False)
    services.preference_set(user=user, category="reminder", channel="email", enabled=False)  # no change, no row
    event = AuditEvent.objects.get(action="notifications.preference.update")
    assert event.actor == user and event.changes["enabled"] == {"old": True, "new": False}
    services.preference_set(user=user, category="reminder", channel="email", enabled=True)
    assert AuditEvent.objects.filter(action="notifications.preference.update").count() == 2
    with pytest.raises(DomainError):
        services.preference_set(user=user, category="reminder", channel="inbox", enabled=False)
    with pytest.raises(DomainError):
        services.preference_set(user=user, category="reminder", channel="fax", enabled=True)
    with pytest.raises(DomainError):
        services.preference_set(user=user, category="gossip", channel="email", enabled=True)


def test_mark_read_only_own(people):
    mine, theirs = services.notify(recipients=[people["member1"], people["secretary1"]], category="system", title="t")
    services.notification_mark_read(user=people["member1"], notification_id=mine.pk)
    mine.refresh_from_db()
    assert mine.read_at is not None
    from django.http import Http404

    with pytest.raises(Http404):
        services.notification_mark_read(user=people["member1"], notification_id=theirs.pk)
    services.notify(recipients=[people["member1"]], category="system", title="t2")
    assert services.notification_mark_all_read(user=people["member1"]) == 1
    assert Notification.objects.filter(recipient=people["secretary1"], read_at__isnull=True).count() == 1
