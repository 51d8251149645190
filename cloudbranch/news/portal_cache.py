"""The public portal's page cache: one rendered home page per portal unit and cache *version*.

``bump_portal_version()`` starts a new version, so the next request renders afresh. It must be
called (after the transaction commits) whenever what the portal shows changes: the services that
publish, withdraw or pin articles, change a unit's policy, or answer, close or pin messages are
decorated with ``bumps_portal``. The short TTL bounds staleness anyway: a page lives at most
``PAGE_TTL`` seconds.

With the default per-process LocMemCache each gunicorn worker holds its own version, so a bump
reaches only the worker that made the change; set REDIS_URL (a shared cache) in production to
make it immediate everywhere. The TTL still bounds staleness either way.
"""

from __future__ import annotations

import functools
import time

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "news:portal:version"
PAGE_TTL = 60  # seconds: a rendered page, and the Cache-Control max-age sent with it


def portal_version() -> int:
    """The current version (0 until the first bump or after the cache lost it)."""
    return cache.get(VERSION_KEY) or 0


def bump_portal_version() -> None:
    """Invalidate every cached portal page, once the current transaction (if any) commits."""
    transaction.on_commit(lambda: cache.set(VERSION_KEY, time.time_ns(), None))


def bumps_portal(service):
    """Decorator for services that change what the portal shows: a successful call bumps the
    version (after its transaction commits)."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        result = service(*args, **kwargs)
        bump_portal_version()
        return result

    return wrapper


def page_key(name: str, unit_key: str, version: int) -> str:
    return f"news:portal:{name}:{unit_key}:{version}"
