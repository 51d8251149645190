"""Ways to send a one-time code or an invitation to a person on the roster (not yet a user).

The notification channels (``notifications.channels``) reach *users*; a person activating their
account has no user yet, so codes go through this smaller interface. Adding a provider (an SMS
gateway) needs no change here:

1. Subclass :class:`CodeChannel`, give it a unique ``name`` (stored on code and invitation rows,
   never rename it) and a Chinese ``label``; implement ``address_for(person)`` (the roster phone
   for SMS; "" when the person cannot be reached this way), ``mask(address)`` and
   ``send(*, to, text)`` (raise on failure; credentials come from the provider's own settings).
2. Add its dotted path to ``ONBOARDING_CODE_CHANNELS``. Channels are tried in order: the first one
   with an address for the person is used.
"""

from __future__ import annotations

import logging
from functools import cache

from django.core.mail import send_mail
from django.utils.module_loading import import_string

from cloudbranch.people import crypto

from . import conf

logger = logging.getLogger(__name__)


class CodeChannel:
    name: str = ""
    label: str = ""

    def address_for(self, person) -> str:
        raise NotImplementedError

    def mask(self, address: str) -> str:
        return crypto.mask_phone(address)

    def send(self, *, to: str, text: str) -> None:
        raise NotImplementedError


class ConsoleCodeChannel(CodeChannel):
    """Sandbox "SMS" to the roster phone: logs the message and keeps it in ``OutboundCode``
    (the system administrator's dev outbox; tests read codes there). Never for production."""

    name = "console"
    label = "短信（沙箱）"

    def address_for(self, person) -> str:
        return (person.phone or "").strip()

    def send(self, *, to: str, text: str) -> None:
        from .models import OutboundCode

        masked = self.mask(to)
        OutboundCode.objects.create(channel=self.name, to_masked=masked, to_hash=crypto.search_hash(to), text=text)
        logger.info("onboarding sandbox message to %s: %s", masked, text)


class EmailCodeChannel(CodeChannel):
    """Email through Django's ``EMAIL_BACKEND``. The roster keeps no email, so this reaches people who
    already have an account with an email (password reset, invitations of inactive accounts)."""

    name = "email"
    label = "电子邮件"

    def address_for(self, person) -> str:
        user = person.user if person.user_id else None
        return (user.email or "").strip() if user is not None else ""

    def mask(self, address: str) -> str:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}" if domain else "***"

    def send(self, *, to: str, text: str) -> None:
        send_mail(
            subject="[云端支部] 账号通知", message=text, from_email=None, recipient_list=[to], fail_silently=False
        )


@cache
def _load(paths: tuple[str, ...]) -> tuple[CodeChannel, ...]:
    channels, seen = [], set()
    for path in paths:
        channel = import_string(path)()
        if not channel.name or channel.name in seen:
            raise ValueError(f"onboarding code channel {path}: empty or duplicate name {channel.name!r}")
        seen.add(channel.name)
        channels.append(channel)
    return tuple(channels)


def code_channels() -> tuple[CodeChannel, ...]:
    return _load(tuple(conf.get("ONBOARDING_CODE_CHANNELS")))


def route(person) -> tuple[CodeChannel, str] | None:
    """The first configured channel that can reach ``person``, with the address; None if none can."""
    for channel in code_channels():
        address = channel.address_for(person)
        if address:
            return channel, address
    return None
