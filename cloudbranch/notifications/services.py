"""Sending notifications and managing one's own inbox and preferences.

Notifications themselves and read/unread marks are *not* audited: they are the user's own
inbox state, not Party data, and auditing every "read" would bury the log the audit admin
must search. Preference changes are audited (they decide whether someone can be reached).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import DomainError

from . import selectors
from .channels import Skip, channel_by_name, delivery_channels
from .choices import Category, DeliveryStatus
from .models import Delivery, Notification, NotificationPreference

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 1000


def _user_ids(recipients) -> list[int]:
    ids = []
    for r in recipients:
        pk = r if isinstance(r, int) else getattr(r, "pk", None)
        if pk is not None and pk not in ids:
            ids.append(pk)
    return ids


def notify(
    *, recipients: Iterable, category: str, title: str, body: str = "", url: str = "", actor=None
) -> list[Notification]:
    """Put one notification in each recipient's inbox (bulk, two queries) and, once the
    surrounding transaction commits, hand the other channels to the ``deliver_notifications``
    task. ``recipients`` are users or user ids; inactive accounts are left out.
    """
    if category not in Category.values:
        raise DomainError("未知的通知类别。", errors=[{"field": "category", "message": f"未知类别 {category}"}])
    title = (title or "").strip()
    if not title:
        raise DomainError("通知标题不能为空。", errors=[{"field": "title", "message": "不能为空"}])
    ids = _user_ids(recipients)
    if not ids:
        return []
    active = set(get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    now = timezone.now()
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    rows = [
        Notification(
            recipient_id=pk,
            actor_id=actor_id,
            category=category,
            title=title[:200],
            body=body,
            url=url[:500],
            created_at=now,
        )
        for pk in ids
        if pk in active
    ]
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows, batch_size=1000)
        if delivery_channels():
            notification_ids = [n.pk for n in created]
            transaction.on_commit(lambda: _enqueue(notification_ids))
    return created


def _enqueue(notification_ids: list[int]) -> None:
    from .tasks import deliver_notifications

    deliver_notifications.enqueue(notification_ids)


def notifications_deliver(notification_ids: list[int]) -> dict[str, int]:
    """Push notifications through every enabled non-inbox channel, honouring each recipient's
    preferences. Every attempt is a ``Delivery`` row; one failing recipient or channel never
    stops the others. Re-running is safe: what was sent or skipped is not sent again.
    Returns counts per status.
    """
    channels = delivery_channels()
    tally = {s: 0 for s in DeliveryStatus.values}
    if not channels or not notification_ids:
        return tally
    notifications = list(Notification.objects.filter(pk__in=notification_ids).select_related("recipient"))
    prefs = selectors.preference_map({n.recipient_id for n in notifications})
    wanted = [
        (n, c)
        for n in notifications
        for c in channels
        if n.recipient.is_active and selectors.is_enabled(prefs, n.recipient_id, n.category, c)
    ]
    Delivery.objects.bulk_create(
        [Delivery(notification=n, channel=c.name) for n, c in wanted], ignore_conflicts=True, batch_size=1000
    )
    existing = {
        (d.notification_id, d.channel): d
        for d in Delivery.objects.filter(notification_id__in=[n.pk for n in notifications])
    }
    for n, channel in wanted:
        delivery = existing[(n.pk, channel.name)]
        if delivery.status in (DeliveryStatus.SENT, DeliveryStatus.SKIPPED):
            continue
        delivery.attempts += 1
        try:
            channel.send(n)
        except Skip as exc:
            delivery.status, delivery.last_error = DeliveryStatus.SKIPPED, str(exc)[:MAX_ERROR_LENGTH]
        except Exception as exc:  # noqa: BLE001 - a provider may raise anything; record it and go on
            logger.warning("notification %s via %s failed: %s", n.pk, channel.name, exc)
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        else:
            delivery.status, delivery.last_error, delivery.sent_at = DeliveryStatus.SENT, "", timezone.now()
        delivery.save(update_fields=["status", "attempts", "last_error", "sent_at"])
        tally[delivery.status] += 1
    return tally


def notification_mark_read(*, user, notification_id) -> Notification:
    """Mark one of the user's own notifications read (404 for anyone else's). Not audited: see module doc."""
    notification = selectors.access_notification_by_id(user, notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notification_mark_all_read(*, user) -> int:
    """Mark all of the user's unread notifications read; returns how many. Not audited: see module doc."""
    return Notification.objects.for_user(user).unread().update(read_at=timezone.now())


def preference_set(*, user, category: str, channel: str, enabled: bool) -> NotificationPreference | None:
    """Switch one category on one channel for the user themself. The inbox cannot be switched
    off (it is the record that the message was sent). Audited as ``notifications.preference.update``."""
    errors = []
    if category not in Category.values:
        errors.append({"field": "category", "message": f"未知类别 {category}"})
    ch = channel_by_name(channel)
    if ch is None:
        errors.append({"field": "channel", "message": f"未知渠道 {channel}"})
    if errors:
        raise DomainError("通知设置有误。", errors=errors)
    if ch.always_on:
        if not enabled:
            raise DomainError(f"{ch.label}不能关闭。", errors=[{"field": "channel", "message": "站内消息始终接收"}])
        return None
    enabled = bool(enabled)
    with transaction.atomic():
        pref = (
            NotificationPreference.objects.select_for_update()
            .filter(user_id=user.pk, category=category, channel=channel)
            .first()
        )
        old = pref.enabled if pref is not None else ch.default_enabled
        if pref is None:
            pref = NotificationPreference.objects.create(
                user_id=user.pk, category=category, channel=channel, enabled=enabled
            )
        elif pref.enabled != enabled:
            pref.enabled = enabled
            pref.save(update_fields=["enabled"])
        if old != enabled:
            audit_record(
                actor=user,
                action="notifications.preference.update",
                target=(
                    "notifications.notificationpreference",
                    str(pref.pk),
                    f"{user.get_username()} {category}/{channel}",
                ),
                changes={"enabled": {"old": old, "new": enabled}, "category": category, "channel": channel},
            )
    return pref


def preferences_set(*, user, values: dict[tuple[str, str], bool]) -> int:
    """Apply a whole grid ``{(category, channel): enabled}`` in one transaction; returns cells changed."""
    changed = 0
    with transaction.atomic():
        current = selectors.preference_grid(user)
        effective = {(r["category"], c["channel"]): c["enabled"] for r in current["rows"] for c in r["cells"]}
        for (category, channel), enabled in values.items():
            if effective.get((category, channel)) != bool(enabled):
                preference_set(user=user, category=category, channel=channel, enabled=enabled)
                changed += 1
    return changed
