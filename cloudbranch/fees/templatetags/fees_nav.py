from django import template

from cloudbranch.orgs.scoping import holds

register = template.Library()

# (url name, label, permission needed somewhere in the tree)
TABS = (
    ("fees:bills", "账单", "fees.view_bill"),
    ("fees:bases", "缴费基数", "fees.view_duesbase"),
    ("fees:entries", "台账", "fees.view_ledgerentry"),
    ("fees:offline", "线下缴费", "fees.add_ledgerentry"),
    ("fees:arrears", "欠缴", "fees.view_bill"),
    ("fees:report", "报表", "fees.view_report"),
    ("fees:reconcile", "对账", "fees.reconcile"),
)


@register.inclusion_tag("fees/_nav.html", takes_context=True)
def fees_nav(context, active: str = ""):
    """The dues pages a manager may open, as tabs (grants are cached per request: no query)."""
    user = context["request"].user
    return {"tabs": [(name, label) for name, label, perm in TABS if holds(user, perm)], "active": active}
