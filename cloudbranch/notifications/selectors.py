"""Reads of a user's own inbox and preferences. A user only ever sees their own rows."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.shortcuts import get_object_or_404

from .channels import all_channels
from .choices import Category
from .models import Notification, NotificationPreference


def notification_list(*, user, unread_only: bool = False):
    """The user's inbox: unread first, then newest first."""
    qs = Notification.objects.for_user(user)
    if unread_only:
        return qs.unread().order_by("-created_at", "-id")
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return qs.order_by(unread.desc(), "-created_at", "-id")


def unread_count(user) -> int:
    """One query (uses the recipient+read_at index)."""
    return Notification.objects.for_user(user).unread().count()


def latest_unread(user, limit: int = 5) -> list[Notification]:
    return list(Notification.objects.for_user(user).unread().order_by("-created_at", "-id")[:limit])


def access_notification_by_id(user, notification_id) -> Notification:
    """The user's own notification, or 404 (someone else's notification does not exist for them)."""
    return get_object_or_404(Notification.objects.for_user(user), pk=notification_id)


def preference_map(user_ids) -> dict[tuple[int, str, str], bool]:
    """Stored choices for many users in one query: ``{(user_id, category, channel): enabled}``."""
    rows = NotificationPreference.objects.filter(user_id__in=list(user_ids)).values_list(
        "user_id", "category", "channel", "enabled"
    )
    return {(u, cat, ch): enabled for u, cat, ch, enabled in rows}


def is_enabled(prefs: dict, user_id: int, category: str, channel) -> bool:
    if channel.always_on:
        return True
    return prefs.get((user_id, category, channel.name), channel.default_enabled)


def preference_grid(user) -> dict:
    """Category × channel with the effective setting of each cell (stored or default)."""
    prefs = preference_map([user.pk])
    channels = all_channels()
    rows = []
    for value, label in Category.choices:
        cells = [
            {
                "channel": c.name,
                "enabled": is_enabled(prefs, user.pk, value, c),
                "locked": c.always_on,
            }
            for c in channels
        ]
        rows.append({"category": value, "label": label, "cells": cells})
    return {"channels": [{"name": c.name, "label": c.label, "locked": c.always_on} for c in channels], "rows": rows}
