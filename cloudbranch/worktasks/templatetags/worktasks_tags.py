"""Small display helpers of the task pages."""

from django import template

register = template.Library()

BADGES = {
    "draft": "secondary",
    "issued": "warning",
    "received": "info",
    "in_progress": "primary",
    "submitted": "secondary",
    "returned": "danger",
    "accepted": "success",
    "closed": "dark",
    "cancelled": "danger",
}
TASK_BADGES = {**BADGES, "issued": "primary"}


@register.filter
def target_badge(status: str) -> str:
    return BADGES.get(status, "secondary")


@register.filter
def task_badge(status: str) -> str:
    return TASK_BADGES.get(status, "secondary")


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{value}%"


@register.filter
def get_count(counts: dict, key: str) -> int:
    return counts.get(key, 0)
