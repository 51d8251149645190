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
    # The user's own things (my record, my meetings, my dues) go under one "我的" menu.
    personal: bool = False
    # Entries of one area (e.g. "宣传": news, feed, board) share a dropdown in the main menu.
    group: str = ""


#: Icons of the main menu's dropdown groups.
GROUP_ICONS = {
    "学习": "bi-book",
    "宣传": "bi-megaphone",
    "服务": "bi-heart",
    "民主": "bi-check2-square",
    "数据": "bi-speedometer2",
}


_entries: dict[str, MenuEntry] = {}


def register(entry: MenuEntry) -> None:
    _entries[entry.key] = entry


def menu_for(user, path: str = "") -> list[dict]:
    """The entries ``user`` may open, in order; the one whose URL is the longest prefix of
    ``path`` is marked active (so /people/me/ lights 我的档案, not also 人员名册)."""
    items = [
        {
            "key": e.key,
            "label": e.label,
            "url": reverse(e.url_name),
            "icon": e.icon,
            "active": False,
            "personal": e.personal,
            "group": e.group,
        }
        for e in sorted(_entries.values(), key=lambda e: e.order)
        if e.visible(user)
    ]
    matches = [i for i in items if i["url"] != "/" and path.startswith(i["url"])]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return items


def grouped(items: list[dict]) -> list[dict]:
    """The main menu with the entries of a group folded into one dropdown item (placed where its
    first entry was): {"group": label, "icon", "entries": [...], "active"}."""
    out: list[dict] = []
    groups: dict[str, dict] = {}
    for item in items:
        label = item.get("group")
        if not label:
            out.append(item)
            continue
        if label not in groups:
            groups[label] = {"group": label, "icon": GROUP_ICONS.get(label, "bi-grid"), "entries": [], "active": False}
            out.append(groups[label])
        groups[label]["entries"].append(item)
        groups[label]["active"] = groups[label]["active"] or item["active"]
    # A group with a single entry is shown as that entry.
    return [entry["entries"][0] if entry in groups.values() and len(entry["entries"]) == 1 else entry for entry in out]
