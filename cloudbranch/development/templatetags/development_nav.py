from django import template
from django.urls import NoReverseMatch, reverse

from cloudbranch.orgs.scoping import holds

register = template.Library()

# (url name, label, permission needed somewhere in the tree)
TABS = (
    ("development:cases", "发展党员", "development.view_case"),
    ("development:pipeline", "发展概况", "development.view_case"),
    ("development:due", "到期与逾期", "development.view_case"),
    ("development:intake", "发展名单", "development.view_case"),
    ("development:notices", "公示", "development.view_case"),
    ("development:transfers", "组织关系转接", "development.view_transfer"),
    ("development:mobile", "流动党员", "development.view_mobilerecord"),
    ("development:lost_contacts", "失联党员", "development.view_mobilerecord"),
    ("development:thought_reports", "思想汇报", "development.view_thoughtreport"),
)


@register.inclusion_tag("development/_nav.html", takes_context=True)
def development_nav(context, active: str = ""):
    """The development pages a manager may open, as tabs (grants are cached per request: no query)."""
    user = context["request"].user
    tabs = []
    for name, label, perm in TABS:
        if holds(user, perm):
            try:
                tabs.append((name, reverse(name), label))
            except NoReverseMatch:  # an area whose pages are not installed
                continue
    return {"tabs": tabs, "active": active}
