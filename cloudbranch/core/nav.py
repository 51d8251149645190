"""The main menu. Apps register their entries in ``AppConfig.ready``; an entry shows only to
users for whom its ``visible`` callable is true, so nobody is offered a page they cannot open."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: str
    url_name: str
    icon: str
    order: int
    visible: Callable[[object], bool]


_entries: dict[str, MenuEntry] = {}


def register(entry: MenuEntry) -> None:
    _entries[entry.key] = entry


def menu_for(user) -> list[dict]:
    return [
        {"key": e.key, "label": e.label, "url": reverse(e.url_name), "icon": e.icon}
        for e in sorted(_entries.values(), key=lambda e: e.order)
        if e.visible(user)
    ]
