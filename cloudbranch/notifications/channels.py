"""Ways to reach a user. The inbox is always on; the others are configured in settings.

Adding a provider (SMS gateway, WeChat template messages, DingTalk, ...) needs no change here:

1. Write a class that subclasses :class:`Channel`, give it a unique ``name`` (stored in
   preferences and delivery rows, so never rename it) and a Chinese ``label``, and implement
   ``send(notification)``. Look up whatever address you need from ``notification.recipient``
   (e.g. ``recipient.person.phone`` in a project-level channel). Raise :class:`Skip` when the
   user cannot be reached this way (no phone number bound): the delivery is recorded as
   *skipped*, not failed. Raise any other exception on failure: it is recorded on the
   ``Delivery`` row and the other recipients and channels carry on.
2. Add its dotted path to ``NOTIFICATION_CHANNELS`` (environment variable, comma-separated),
   e.g. ``...channels.InboxChannel,...channels.EmailChannel,campus.sms.AliyunSmsChannel``.
   Credentials come from the provider's own settings/env variables, never from this module.
3. Set ``default_enabled = False`` if users should opt in (usual for SMS, which costs money).

The channel then appears as a column in every user's preference grid and is used by the
``deliver_notifications`` task.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string


class Skip(Exception):
    """The user cannot be reached through this channel (no address); not a failure."""


class Channel:
    """Base class of every channel. ``send`` returns nothing and raises on failure."""

    name: str = ""
    label: str = ""
    #: On for every category until the user switches it off.
    default_enabled: bool = True
    #: The inbox cannot be switched off and needs no delivery.
    always_on: bool = False

    def send(self, notification) -> None:
        raise NotImplementedError


class InboxChannel(Channel):
    """The notification row itself is the inbox entry: nothing to send."""

    name = "inbox"
    label = "站内消息"
    always_on = True

    def send(self, notification) -> None:
        return None


class EmailChannel(Channel):
    """Plain-text email through Django's configured ``EMAIL_BACKEND``."""

    name = "email"
    label = "电子邮件"

    def send(self, notification) -> None:
        address = (notification.recipient.email or "").strip()
        if not address:
            raise Skip("用户未设置邮箱")
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{notification.url}" if body else notification.url
        send_mail(
            subject=f"[云端支部] {notification.title}",
            message=body or notification.title,
            from_email=None,
            recipient_list=[address],
            fail_silently=False,
        )


@cache
def _load(paths: tuple[str, ...]) -> tuple[Channel, ...]:
    channels = []
    seen = set()
    for path in paths:
        channel = import_string(path)()
        if not channel.name or channel.name in seen:
            raise ValueError(f"notification channel {path}: empty or duplicate name {channel.name!r}")
        seen.add(channel.name)
        channels.append(channel)
    return tuple(channels)


def all_channels() -> tuple[Channel, ...]:
    """The configured channels, in settings order (instances are cached per configuration)."""
    return _load(tuple(settings.NOTIFICATION_CHANNELS))


def delivery_channels() -> tuple[Channel, ...]:
    """Channels that need a delivery (every one but the inbox)."""
    return tuple(c for c in all_channels() if not c.always_on)


def channel_by_name(name: str) -> Channel | None:
    return next((c for c in all_channels() if c.name == name), None)
