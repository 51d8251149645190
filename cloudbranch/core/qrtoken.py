"""Rotating QR tokens for on-site check-in (meetings, service shifts, training sessions).

A token is ``<object id>.<signed payload>``; the payload ``{"m": object id, "n": nonce, "s":
30-second slot}`` is signed with ``django.core.signing`` under a salt made of the namespace and
the object's own secret, so a token of one object never verifies for another, nor for an object
of another kind. The nonce is random but kept for the slot (in the cache), so the code on the
screen changes once per slot, not on every poll. A token is accepted during its own slot and the
next one (≤ 60 s old); callers keep the used nonces so that a scan cannot be replayed.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from typing import Any

from django.core import signing
from django.core.cache import cache

SLOT_SECONDS = 30


class TokenInvalid(Exception):
    """Not a token of this namespace (forged, mangled, or of another object)."""


class TokenExpired(Exception):
    """A genuine token whose slot is over (older than about a minute)."""


def slot_of(now: datetime.datetime) -> int:
    return int(now.timestamp()) // SLOT_SECONDS


def seconds_left_in_slot(now: datetime.datetime) -> int:
    return SLOT_SECONDS - int(now.timestamp()) % SLOT_SECONDS


def make_token(namespace: str, obj_id: int, secret: str, *, now: datetime.datetime) -> str:
    slot = slot_of(now)
    nonce = cache.get_or_set(f"{namespace}:qr-nonce:{obj_id}:{slot}", secrets.token_hex(8), SLOT_SECONDS * 3)
    signed = signing.dumps({"m": obj_id, "n": nonce, "s": slot}, salt=f"{namespace}:{secret}")
    return f"{obj_id}.{signed}"


def read_token(
    token: str, namespace: str, *, load: Callable[[int], Any], secret_of: Callable[[Any], str], now: datetime.datetime
) -> tuple[Any, str]:
    """Return ``(object, nonce)`` for a valid, current token; ``load(id)`` fetches the object (or
    None). Raises ``TokenInvalid`` or ``TokenExpired``."""
    head, sep, signed = (token or "").strip().partition(".")
    if not sep or not head.isdigit():
        raise TokenInvalid
    obj = load(int(head))
    if obj is None:
        raise TokenInvalid
    try:
        payload = signing.loads(signed, salt=f"{namespace}:{secret_of(obj)}")
    except signing.BadSignature:
        raise TokenInvalid from None
    if not isinstance(payload, dict) or payload.get("m") != obj.pk:
        raise TokenInvalid
    slot = payload.get("s")
    current = slot_of(now)
    if not isinstance(slot, int) or slot > current:
        raise TokenInvalid
    if slot < current - 1:
        raise TokenExpired
    return obj, str(payload.get("n", ""))[:32]


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG (no image file, no external service)."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=6, dark="#000", light="#fff", omitsize=True)
