"""Pages of the micro-wishes (微心愿): the tabs (待认领 / 我认领的 / 已实现 / 管理), a wish with its
history and actions, the officer's form, and the scoped photo.

Thin: reads through the ``wishes`` selectors, writes through its services; a DomainError is
shown on the page with its status (422, 409) and nothing is written.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core import images
from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import holds

from . import wishes
from .choices import WishStatus
from .forms_wishes import CommentForm, FulfilForm, ManageFilterForm, ReasonForm, WishForm

PAGE_SIZE = 20
TABS = {"open": "待认领", "mine": "我认领的", "wall": "已实现"}


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _decorate(request, page, person) -> None:
    for wish in page.object_list:
        wish.shown = wishes.wisher_shown(request.user, wish, person)


@require_GET
def wish_list(request):
    """/service/wishes/?tab=open|mine|wall|manage[&status=] — members' tabs; officers also 管理."""
    person = wishes.member_person(request.user)
    officer = holds(request.user, wishes.VIEW)
    if person is None and not officer:
        raise PermissionDenied
    tab = request.GET.get("tab") or ("open" if person is not None else "manage")
    if tab == "manage" and not officer:
        tab = "open"
    filter_form = ManageFilterForm(request.GET or None)
    if tab == "manage":
        qs = wishes.wishes_managed(request.user, status=request.GET.get("status", ""))
    elif tab == "mine":
        qs = wishes.wishes_claimed_by(person)
    elif tab == "wall":
        qs = wishes.wishes_wall(person)
    else:
        tab = "open"
        qs = wishes.wishes_open_for(person)
    page = _page(request, qs)
    _decorate(request, page, person)
    context = {
        "tab": tab,
        "tabs": TABS,
        "page": page,
        "officer": officer,
        "can_create": holds(request.user, wishes.MANAGE),
        "filter_form": filter_form,
        "is_member": person is not None,
        "open_claims": wishes.open_claim_count(person) if person is not None else 0,
        "max_claims": wishes.MAX_OPEN_CLAIMS,
    }
    if request.htmx and request.GET.get("page"):
        return render(request, "volunteering/wish_list.html#items", context)
    return render(request, "volunteering/wish_list.html", context)


def _detail_context(request, wish, **extra) -> dict:
    person = wishes.member_person(request.user)
    manager = wishes.may_manage(request.user, wish)
    claimant = person is not None and wish.claimed_by_id == person.pk
    return {
        "wish": wish,
        "shown": wishes.wisher_shown(request.user, wish, person),
        "events": wishes.wish_events(wish),
        "manager": manager,
        "claimant": claimant,
        "can_claim": person is not None and wish.status == WishStatus.OPEN,
        "reason_form": ReasonForm(),
        "release_form": ReasonForm(),
        "comment_form": CommentForm(),
        "fulfil_form": FulfilForm(),
        "Status": WishStatus,
        **extra,
    }


@require_GET
def wish_detail(request, wish_id: int):
    wish = wishes.access_wish(request.user, wish_id)
    return render(request, "volunteering/wish_detail.html", _detail_context(request, wish))


def _form_data(form) -> dict:
    data = dict(form.cleaned_data)
    data.pop("unit", None)
    return data


@require_http_methods(["GET", "POST"])
def wish_create(request):
    if not holds(request.user, wishes.MANAGE):
        raise PermissionDenied
    form = WishForm(request.POST if request.method == "POST" else None, units=wishes.manageable_units(request.user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                wish = wishes.wish_create(actor=request.user, unit_id=form.cleaned_data["unit"], **_form_data(form))
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, "心愿已发布。")
                return redirect("volunteering:wish", wish_id=wish.pk)
        else:
            status = 422
    return render(request, "volunteering/wish_form.html", {"form": form, "title": "发布微心愿"}, status=status)


@require_http_methods(["GET", "POST"])
def wish_edit(request, wish_id: int):
    wish = wishes.access_wish(request.user, wish_id)
    if not wishes.may_manage(request.user, wish):
        raise PermissionDenied
    initial = {f: getattr(wish, f) for f in wishes.EDITABLE_FIELDS}
    form = WishForm(request.POST if request.method == "POST" else None, initial=initial, editing=True)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                wishes.wish_update(actor=request.user, wish_id=wish.pk, **_form_data(form))
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, "心愿已修改。")
                return redirect("volunteering:wish", wish_id=wish.pk)
        else:
            status = 422
    return render(
        request, "volunteering/wish_form.html", {"form": form, "wish": wish, "title": "修改微心愿"}, status=status
    )


def _act(request, wish_id: int, call, success: str, *, form_name: str = "", form=None):
    """Run one transition; on a broken rule show the detail page with the message and status."""
    try:
        call()
    except DomainError as exc:
        wish = wishes.access_wish(request.user, wish_id)
        extra = {"error": exc.message}
        if form is not None:
            form.is_valid()
            apply_domain_error(form, exc)
            extra[form_name] = form
        return render(
            request, "volunteering/wish_detail.html", _detail_context(request, wish, **extra), status=exc.status
        )
    messages.success(request, success)
    return redirect("volunteering:wish", wish_id=wish_id)


@require_POST
def wish_claim(request, wish_id: int):
    return _act(
        request,
        wish_id,
        lambda: wishes.wish_claim(actor=request.user, wish_id=wish_id),
        "认领成功，请尽快帮助实现心愿。",
    )


@require_POST
def wish_release(request, wish_id: int):
    form = ReasonForm(request.POST)
    reason = request.POST.get("reason", "")
    return _act(
        request, wish_id, lambda: wishes.wish_release(actor=request.user, wish_id=wish_id, reason=reason),
        "已释放认领。", form_name="release_form", form=form,
    )  # fmt: skip


@require_POST
def wish_fulfil(request, wish_id: int):
    form = FulfilForm(request.POST, request.FILES)
    photo, note = request.FILES.get("photo"), request.POST.get("note", "")
    return _act(
        request, wish_id, lambda: wishes.wish_fulfil(actor=request.user, wish_id=wish_id, photo=photo, note=note),
        "实现情况已提交，等待组织确认。", form_name="fulfil_form", form=form,
    )  # fmt: skip


@require_POST
def wish_confirm(request, wish_id: int):
    if request.POST.get("decision") == "back":
        return wish_send_back(request, wish_id)
    return _act(request, wish_id, lambda: wishes.wish_confirm(actor=request.user, wish_id=wish_id), "已确认心愿实现。")


@require_POST
def wish_send_back(request, wish_id: int):
    form = CommentForm(request.POST)
    comment = request.POST.get("comment", "")
    return _act(
        request, wish_id, lambda: wishes.wish_send_back(actor=request.user, wish_id=wish_id, comment=comment),
        "已退回认领人。", form_name="comment_form", form=form,
    )  # fmt: skip


@require_POST
def wish_withdraw(request, wish_id: int):
    form = ReasonForm(request.POST)
    reason = request.POST.get("reason", "")
    return _act(
        request, wish_id, lambda: wishes.wish_withdraw(actor=request.user, wish_id=wish_id, reason=reason),
        "心愿已撤回。", form_name="reason_form", form=form,
    )  # fmt: skip


@require_GET
def wish_photo(request, wish_id: int):
    """The fulfilment photo, for whoever sees the wish (404 otherwise); always the cleaned image."""
    wish = wishes.access_photo(request.user, wish_id)
    response = FileResponse(wish.fulfil_photo.open("rb"), content_type=images.content_type_of(wish.fulfil_photo.name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
