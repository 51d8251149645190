"""Domain errors: a broken business rule, turned into a clear message by pages and the API."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the action (HTTP 422 by default).

    ``errors`` carries field- or row-level details: a list of dicts with at least
    ``message`` and optionally ``field``, ``row`` and ``column``.
    """

    status = 422
    code = "invalid"

    def __init__(self, message: str, *, errors: list[dict] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.errors = errors or []
        if code:
            self.code = code


class ConflictError(DomainError):
    """The action does not fit the object's current state (HTTP 409), e.g. an illegal transition."""

    status = 409
    code = "conflict"
