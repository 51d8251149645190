"""A fixed-window rate limit on the shared cache (local memory or Redis: both increment atomically)."""

from __future__ import annotations

from django.core.cache import cache

PREFIX = "cb:rl:"


def hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit on ``key``; True while the window holds at most ``limit`` hits (this one included).

    The window starts with the first hit and lasts ``window_seconds``; later hits do not extend it.
    """
    full = f"{PREFIX}{key}"
    cache.add(full, 0, timeout=window_seconds)
    try:
        count = cache.incr(full)
    except ValueError:  # expired between add and incr
        cache.add(full, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def remaining(key: str, limit: int) -> int:
    """How many hits ``key`` may still make in its current window (no hit counted)."""
    return max(0, limit - int(cache.get(f"{PREFIX}{key}") or 0))
