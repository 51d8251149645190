"""Showing a broken business rule on a Django form."""

from __future__ import annotations

from .errors import DomainError


def apply_domain_error(
    form, exc: DomainError, *, field_map: dict[str, str] | None = None, summary: bool = False
) -> None:
    """Put each of the error's details next to its field (``field_map`` renames service fields
    to form fields); details without a field on the form, or the message itself when there are
    no details, go above the form as a non-field error. ``summary`` also puts the message above
    the form when every detail found its field (for forms whose templates show no field errors
    for some fields)."""
    field_map = field_map or {}
    unplaced = []
    for error in exc.errors:
        name = field_map.get(error.get("field") or "", error.get("field"))
        if name in form.fields:
            form.add_error(name, error["message"])
        else:
            unplaced.append(error["message"])
    if unplaced or not exc.errors or summary:
        form.add_error(None, "；".join(unplaced) or exc.message)
