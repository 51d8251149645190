"""Extension points for apps above ``learning`` in the layering (the Party school).

Handlers run inside the transaction that completes a resource or grades an attempt, so what
they write (class hours, exam results) commits or rolls back with it. Apps register in
``AppConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable

# handler(person=Person, resource=Resource, progress=StudyProgress, now=datetime) -> None
completion_handlers: list[Callable[..., None]] = []
# handler(attempt=Attempt) -> None, after the attempt is graded (submitted or expired)
attempt_handlers: list[Callable[..., None]] = []


def register_completion_handler(fn):
    if fn not in completion_handlers:
        completion_handlers.append(fn)
    return fn


def register_attempt_handler(fn):
    if fn not in attempt_handlers:
        attempt_handlers.append(fn)
    return fn
