"""Pages of the organization tree and of role assignments. Thin: reads through ``selectors``,
writes through ``services``; a unit outside the user's scope is a 404, a visible unit the user
may not change is a 403."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from cloudbranch.accounts.choices import Duty
from cloudbranch.core.errors import DomainError

from . import selectors, services
from .choices import ALLOWED_CHILDREN
from .forms import DissolveForm, MergeForm, MoveForm, RoleFilterForm, RoleGrantForm, UnitForm
from .models import OrgUnit
from .scoping import access_by_id, can, requires_grant

PAGE_SIZE = 20
TREE_PAGE_SIZE = 50
INVALID = 422


def _show_closed(request) -> bool:
    return request.GET.get("closed") == "1"


def _fragment(request) -> bool:
    return bool(getattr(request, "htmx", False)) and not request.htmx.boosted


def _unit_actions(user, unit: OrgUnit) -> dict:
    may_change = unit.is_active and can(user, "orgs.change_orgunit", unit)
    return {
        "can_add": unit.is_active and bool(ALLOWED_CHILDREN[unit.kind]) and can(user, "orgs.add_orgunit", unit),
        "can_change": may_change,
        "can_restructure": may_change and unit.parent_id is not None,
    }


# --- tree ----------------------------------------------------------------------------------


@require_GET
@requires_grant(selectors.VIEW_PERM)
@vary_on_headers("HX-Request")
def tree(request):
    """The tree browser: the user's top units, children loaded lazily; or search results."""
    show_closed = _show_closed(request)
    q = request.GET.get("q", "").strip()
    ctx = {"q": q, "show_closed": show_closed}
    if q:
        page = Paginator(selectors.unit_search(user=request.user, q=q, show_closed=show_closed), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        page.object_list = selectors.attach_ancestry(user=request.user, units=page.object_list)
        ctx["results"] = page
    if _fragment(request):
        return render(request, "orgs/tree.html#search-results", ctx)
    ctx["nodes"] = list(selectors.unit_top_list(user=request.user, show_closed=show_closed))
    return render(request, "orgs/tree.html", ctx)


@require_GET
def tree_children(request, unit_id: int):
    """HTMX fragment: one page of a unit's sub-units, each with its own sub-unit count."""
    unit = services.access_unit_by_id(request.user, unit_id)
    show_closed = _show_closed(request)
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    start = (page - 1) * TREE_PAGE_SIZE
    rows = list(
        selectors.unit_children(user=request.user, unit=unit, show_closed=show_closed)[
            start : start + TREE_PAGE_SIZE + 1
        ]
    )
    ctx = {
        "unit": unit,
        "nodes": rows[:TREE_PAGE_SIZE],
        "next_page": page + 1 if len(rows) > TREE_PAGE_SIZE else None,
        "show_closed": show_closed,
    }
    return render(request, "orgs/_tree_nodes.html", ctx)


@require_GET
@requires_grant(selectors.VIEW_PERM)
def unit_pick(request):
    """HTMX fragment: ``<option>`` candidates (code → name and path) for a move or merge target."""
    q = request.GET.get("q") or request.GET.get("parent_code") or request.GET.get("target_code") or ""
    exclude = None
    if request.GET.get("exclude"):
        exclude = services.access_unit_by_id(request.user, request.GET["exclude"])
    units = []
    if len(q.strip()) >= 1:
        units = selectors.attach_ancestry(
            user=request.user, units=selectors.unit_pick_list(user=request.user, q=q, exclude=exclude)
        )
    return render(request, "orgs/_unit_pick.html", {"units": units})


# --- one unit ------------------------------------------------------------------------------


@require_GET
def unit_detail(request, unit_id: int):
    unit = access_by_id(
        request.user, OrgUnit, unit_id, queryset=OrgUnit.objects.select_related("parent", "merged_into")
    )
    show_closed = _show_closed(request)
    unit.ancestry = selectors.attach_ancestry(user=request.user, units=[unit])[0].ancestry
    children = Paginator(
        selectors.unit_children(user=request.user, unit=unit, show_closed=show_closed), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    events = Paginator(selectors.unit_events(unit=unit), PAGE_SIZE).get_page(request.GET.get("events_page"))
    for event in events:
        event.lines = describe_event(event.details)
    ctx = {
        "unit": unit,
        "children": children,
        "events": events,
        "show_closed": show_closed,
        "parent_visible": bool(unit.ancestry) and unit.ancestry[-1].pk == unit.parent_id,
        "merged_into_visible": unit.merged_into is not None
        and can(request.user, selectors.VIEW_PERM, unit.merged_into),
    }
    ctx.update(_unit_actions(request.user, unit))
    if _fragment(request) and request.GET.get("part") == "events":
        return render(request, "orgs/unit_detail.html#events", ctx)
    if _fragment(request) and request.GET.get("part") == "children":
        return render(request, "orgs/unit_detail.html#children", ctx)
    return render(request, "orgs/unit_detail.html", ctx)


EVENT_LABELS = {
    **{f.name: str(f.verbose_name) for f in OrgUnit._meta.fields},
    "parent": "上级组织",
    "into": "并入组织",
    "children": "转入的下级组织",
    "people_moved": "转入人员数",
    "merged_from": "并入来源",
    "reason": "原因",
}


def describe_event(details: dict) -> list[str]:
    """One readable line per entry of a ``UnitEvent.details`` dict (ids shown as #id)."""
    lines = []
    for key, value in (details or {}).items():
        label = EVENT_LABELS.get(key, key)
        if isinstance(value, dict) and ("old" in value or "new" in value):
            old, new = value.get("old"), value.get("new")
            lines.append(f"{label}：{_fmt(old, key)} → {_fmt(new, key)}")
        elif isinstance(value, list):
            lines.append(f"{label}：{'、'.join(_fmt(v, key) for v in value) or '无'}")
        else:
            lines.append(f"{label}：{_fmt(value, key)}")
    return lines


def _fmt(value, key: str = "") -> str:
    if value in (None, ""):
        return "—"
    if key in ("parent", "into", "children", "merged_from", "merged_into") and isinstance(value, int):
        return f"#{value}"
    if key == "kind":
        from .choices import UnitKind

        return str(UnitKind(value).label) if value in UnitKind.values else str(value)
    return str(value)


def _form_page(request, template: str, ctx: dict, *, status: int = 200):
    return render(request, template, ctx, status=status)


@require_http_methods(["GET", "POST"])
def unit_create(request, unit_id: int):
    parent = services.access_unit_by_id(request.user, unit_id)
    if not can(request.user, "orgs.add_orgunit", parent):
        raise PermissionDenied
    form = UnitForm(request.POST or None, parent=parent)
    ctx = {"form": form, "parent": parent, "unit": parent, "errors": []}
    if request.method == "POST":
        if form.is_valid():
            try:
                unit = services.unit_create(actor=request.user, parent_id=parent.pk, **form.cleaned_values())
            except DomainError as exc:
                ctx.update(error=exc.message, errors=form.apply_domain_error(exc))
            else:
                messages.success(request, f"已设立 {unit.name}。")
                return redirect("orgs:unit_detail", unit.pk)
        return _form_page(request, "orgs/unit_form.html", ctx, status=INVALID)
    return _form_page(request, "orgs/unit_form.html", ctx)


@require_http_methods(["GET", "POST"])
def unit_edit(request, unit_id: int):
    unit = services.access_unit_by_id(request.user, unit_id, action="change")
    initial = {f: getattr(unit, f) for f in services.UNIT_FIELDS}
    form = UnitForm(request.POST or None, initial=initial, parent=unit.parent)
    ctx = {"form": form, "unit": unit, "errors": []}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.unit_update(actor=request.user, unit_id=unit.pk, **form.cleaned_values())
            except DomainError as exc:
                ctx.update(error=exc.message, errors=form.apply_domain_error(exc))
            else:
                messages.success(request, "已保存。")
                return redirect("orgs:unit_detail", unit.pk)
        return _form_page(request, "orgs/unit_form.html", ctx, status=INVALID)
    return _form_page(request, "orgs/unit_form.html", ctx)


def _visible_by_code(user, code: str) -> OrgUnit | None:
    return OrgUnit.objects.restrict(user, "view").filter(code=(code or "").strip()).first()


def _structure_view(request, unit_id: int, *, form_class, template: str, act):
    """Shared flow of move / merge / dissolve: 404/403 first, then the form, then the service."""
    unit = services.access_unit_by_id(request.user, unit_id, action="change")
    form = form_class(request.POST or None)
    pick_url = f"{reverse('orgs:unit_pick')}?exclude={unit.pk}"
    for name in ("parent_code", "target_code"):
        if name in form.fields:
            form.fields[name].widget.attrs.update(
                {"hx-get": pick_url, "hx-trigger": "input changed delay:300ms", "hx-target": "#unit-pick-options"}
            )
    ctx = {"form": form, "unit": unit, "errors": []}
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                message = act(unit, form)
            except DomainError as exc:
                ctx.update(error=exc.message, errors=form.apply_domain_error(exc))
            except PermissionDenied:
                ctx["error"] = "您没有在目标组织进行此操作的权限。"
                status = 403
            else:
                messages.success(request, message)
                return redirect("orgs:unit_detail", unit.pk)
        return render(request, template, ctx, status=status)
    return render(request, template, ctx)


@require_http_methods(["GET", "POST"])
def unit_move(request, unit_id: int):
    def act(unit, form):
        parent = _visible_by_code(request.user, form.cleaned_data["parent_code"])
        if parent is None:
            raise DomainError("找不到该组织编码。", errors=[{"field": "parent_code", "message": "找不到该组织编码。"}])
        services.unit_move(actor=request.user, unit_id=unit.pk, new_parent_id=parent.pk)
        return f"已将 {unit.name} 调整到 {parent.name} 之下。"

    return _structure_view(request, unit_id, form_class=MoveForm, template="orgs/unit_move.html", act=act)


@require_http_methods(["GET", "POST"])
def unit_merge(request, unit_id: int):
    def act(unit, form):
        target = _visible_by_code(request.user, form.cleaned_data["target_code"])
        if target is None:
            raise DomainError("找不到该组织编码。", errors=[{"field": "target_code", "message": "找不到该组织编码。"}])
        services.unit_merge(
            actor=request.user, unit_id=unit.pk, into_id=target.pk, merged_on=form.cleaned_data["merged_on"]
        )
        return f"已将 {unit.name} 并入 {target.name}。"

    return _structure_view(request, unit_id, form_class=MergeForm, template="orgs/unit_merge.html", act=act)


@require_http_methods(["GET", "POST"])
def unit_dissolve(request, unit_id: int):
    def act(unit, form):
        services.unit_dissolve(
            actor=request.user,
            unit_id=unit.pk,
            dissolved_on=form.cleaned_data["dissolved_on"],
            reason=form.cleaned_data["reason"],
        )
        return f"已撤销 {unit.name}。"

    return _structure_view(request, unit_id, form_class=DissolveForm, template="orgs/unit_dissolve.html", act=act)


# --- roles (security administrator) --------------------------------------------------------


def _require_security_admin(request) -> None:
    if request.user.duty != Duty.SECURITY:
        raise PermissionDenied


def _roles_page(request, *, grant_form=None, error: str = "", errors=(), status: int = 200):
    filters = RoleFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.role_assignment_list(
        unit_code=data.get("unit_code", ""), username=data.get("username", ""), role=data.get("role", "")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {
        "page": page,
        "filters": filters,
        "grant_form": grant_form or RoleGrantForm(),
        "error": error,
        "errors": list(errors),
        "querystring": _querystring_without_page(request),
    }
    if _fragment(request) and request.method == "GET":
        return render(request, "orgs/roles.html#assignments", ctx, status=status)
    return render(request, "orgs/roles.html", ctx, status=status)


def _querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_GET
@vary_on_headers("HX-Request")
def roles(request):
    _require_security_admin(request)
    return _roles_page(request)


@require_POST
def role_grant(request):
    _require_security_admin(request)
    from django.contrib.auth import get_user_model

    form = RoleGrantForm(request.POST)
    if not form.is_valid():
        return _roles_page(request, grant_form=form, status=INVALID)
    data = form.cleaned_data
    try:
        user = get_user_model().objects.filter(username=data["username"].strip()).first()
        if user is None:
            raise DomainError("用户不存在。", errors=[{"field": "username", "message": "用户不存在。"}])
        unit = OrgUnit.objects.filter(code=data["unit_code"].strip()).first()
        if unit is None:
            raise DomainError("组织编码不存在。", errors=[{"field": "unit_code", "message": "组织编码不存在。"}])
        assignment = services.role_grant(actor=request.user, user_id=user.pk, unit_id=unit.pk, role=data["role"])
    except DomainError as exc:
        loose = form.apply_domain_error(exc, {"user": "username", "unit": "unit_code"})
        return _roles_page(request, grant_form=form, error=exc.message, errors=loose, status=INVALID)
    except IntegrityError:  # a concurrent identical grant won the race
        return _roles_page(request, grant_form=form, error="该用户已在此组织担任该角色。", status=INVALID)
    messages.success(request, f"已授予 {assignment.user} {assignment.get_role_display()}（{assignment.unit.name}）。")
    return redirect("orgs:roles")


@require_POST
def role_revoke(request, assignment_id: int):
    _require_security_admin(request)
    try:
        assignment = services.role_revoke(actor=request.user, assignment_id=assignment_id)
    except DomainError as exc:
        return _roles_page(request, error=exc.message, status=INVALID)
    messages.success(request, f"已撤销 {assignment.user} 的{assignment.get_role_display()}角色。")
    return redirect("orgs:roles")
