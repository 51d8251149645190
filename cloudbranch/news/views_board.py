"""Pages of the message board (留言板): a unit's board, the message form (logged in, or a visitor
with a captcha when the unit allows it), a message with its replies, the officers' queue and the
response-time statistics. Thin: reads and writes through board.py."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.core.middleware import client_ip
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, holds, requires_grant

from . import board, captcha
from .choices import MessageCategory, MessageStatus
from .forms_board import CloseForm, MessageForm, ReplyForm, VisitorMessageForm

PAGE_SIZE = 20


def _visitor(request) -> bool:
    return not request.user.is_authenticated


def _officer_tabs(request) -> bool:
    return request.user.is_authenticated and holds(request.user, board.VIEW_PERM)


def _label(items, user):
    for m in items:
        m.author_text = board.author_label(m, user)
    return items


# --- the board of a unit ---------------------------------------------------------------------


@login_not_required
@require_GET
def board_page(request):
    unit_id = request.GET.get("unit")
    user = request.user
    if not unit_id:
        if _visitor(request):
            return redirect_to_login(request.get_full_path())
        unit = board.default_unit(user)
        if unit is None:
            return render(request, "news/board_page.html", {"unit": None, "show_officer_tabs": _officer_tabs(request)})
        if not board.in_tree(user, unit):
            raise Http404
    else:
        try:
            unit = board.board_unit(user=user, unit_id=unit_id)
        except Http404:
            if _visitor(request):
                return redirect_to_login(request.get_full_path())
            raise
    page = Paginator(board.board_messages(user=user, unit=unit), PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {
        "unit": unit,
        "page": page,
        "items": _label(list(page.object_list), user),
        "officer": board.is_officer(user, unit),
        "visitor": _visitor(request),
        "show_officer_tabs": _officer_tabs(request),
    }
    return render(request, "news/board_page.html", ctx)


@require_GET
def board_units(request):
    """HTMX fragment: units of the user's tree matching ``q`` (radio choices for the form, or links)."""
    q = request.GET.get("q", "")
    units = list(board.tree_units(user=request.user, q=q)) if q.strip() else []
    mode = "link" if request.GET.get("mode") == "link" else "radio"
    return render(request, "news/board_unit_choices.html", {"units": units, "mode": mode, "q": q})


@login_not_required
@never_cache
@require_GET
def board_captcha(request):
    _token, png = captcha.new_challenge(request)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "no-store"
    return response


# --- leaving a message -----------------------------------------------------------------------


def _form_page(request, *, form, unit, status=200):
    return render(
        request,
        "news/message_form.html",
        {"form": form, "unit": unit, "visitor": _visitor(request), "show_officer_tabs": _officer_tabs(request)},
        status=status,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def message_create(request):
    unit_id = request.POST.get("unit") or request.GET.get("unit")
    if _visitor(request):
        return _visitor_create(request, unit_id)
    unit = None
    if unit_id:
        try:
            unit = board.board_unit(user=request.user, unit_id=unit_id)
        except Http404:
            unit = None
    else:
        unit = board.default_unit(request.user)
    if request.method == "GET":
        form = MessageForm(initial={"unit": unit.pk if unit else None, "public": True})
        return _form_page(request, form=form, unit=unit)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form=form, unit=unit, status=422)
    try:
        message = board.message_create(actor=request.user, ip=client_ip(request) or "", **form.cleaned_data)
    except DomainError as exc:
        apply_domain_error(form, exc, summary=True)
        return _form_page(request, form=form, unit=unit, status=exc.status)
    if message.public:
        flash.success(request, "留言已提交。")
    else:
        flash.success(request, "留言已提交，仅该组织的书记、委员和你本人可以看到。")
    return redirect("news:message", message.pk)


def _visitor_create(request, unit_id):
    if not unit_id:
        return redirect_to_login(request.get_full_path())
    try:
        unit = board.board_unit(user=request.user, unit_id=unit_id)
    except Http404:
        return redirect_to_login(request.get_full_path())
    if request.method == "GET":
        return _form_page(request, form=VisitorMessageForm(initial={"public": True}), unit=unit)
    form = VisitorMessageForm(request.POST, request=request)
    if not form.is_valid():
        return _form_page(request, form=form, unit=unit, status=422)
    data = {k: v for k, v in form.cleaned_data.items() if k != "captcha"}
    try:
        message = board.message_create(actor=None, unit=unit, ip=client_ip(request) or "", **data)
    except DomainError as exc:
        apply_domain_error(form, exc, summary=True)
        return _form_page(request, form=form, unit=unit, status=exc.status)
    if message.public:
        flash.success(request, "留言已提交，组织回复后将显示在留言板上。")
    else:
        flash.success(request, "留言已提交，组织将通过你留下的联系方式答复。")
    return redirect(f"{reverse('news:board')}?unit={unit.pk}")


# --- one message -----------------------------------------------------------------------------


def _detail(request, message, *, reply_form=None, close_form=None, status=200):
    user = request.user
    replies = board.visible_replies(message, user)
    for r in replies:
        r.closing = board.is_closing_note(message, r)
    ctx = {
        "message": message,
        "author_text": board.author_label(message, user),
        "replies": replies,
        "officer": board.is_officer(user, message.unit),
        "may_reply": board.may_reply(user, message.unit),
        "is_author": board.is_author(user, message),
        "closed": message.status == MessageStatus.CLOSED,
        "reply_form": reply_form or ReplyForm(initial={"public": message.public}),
        "close_form": close_form or CloseForm(),
        "show_officer_tabs": _officer_tabs(request),
    }
    return render(request, "news/message_detail.html", ctx, status=status)


@login_not_required
@require_GET
def message_detail(request, message_id: int):
    return _detail(request, board.access_message(request.user, message_id))


@require_POST
def message_reply(request, message_id: int):
    message = board.officer_message(request.user, message_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            board.message_reply(actor=request.user, message=message, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc, summary=True)
            return _detail(request, board.access_message(request.user, message_id), reply_form=form, status=exc.status)
        flash.success(request, "已回复。")
        return redirect("news:message", message.pk)
    return _detail(request, message, reply_form=form, status=422)


@require_POST
def message_close(request, message_id: int):
    message = board.officer_message(request.user, message_id)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            board.message_close(actor=request.user, message=message, note=form.cleaned_data["note"])
        except DomainError as exc:
            apply_domain_error(form, exc, summary=True)
            return _detail(request, board.access_message(request.user, message_id), close_form=form, status=exc.status)
        flash.success(request, "留言已关闭。")
        return redirect("news:message", message.pk)
    return _detail(request, message, close_form=form, status=422)


@require_POST
def message_pin(request, message_id: int):
    message = board.officer_message(request.user, message_id)
    pinned = request.POST.get("pinned") in ("1", "true", "on")
    try:
        board.message_pin(actor=request.user, message=message, pinned=pinned)
    except DomainError as exc:
        flash.error(request, exc.message)
        return _detail(request, message, status=exc.status)
    flash.success(request, "已设为热点，置顶显示。" if pinned else "已取消热点。")
    return redirect("news:message", message.pk)


# --- officers --------------------------------------------------------------------------------


def _officer_unit(request, unit_id):
    if not unit_id:
        return None
    return access_by_id(request.user, OrgUnit, unit_id, view=board.VIEW_PERM)


@requires_grant(board.VIEW_PERM)
@require_GET
def board_manage(request):
    status = request.GET.get("status", MessageStatus.OPEN)
    if status not in MessageStatus.values and status != "all":
        status = MessageStatus.OPEN
    unit = _officer_unit(request, request.GET.get("unit"))
    q = request.GET.get("q", "")
    qs = board.officer_queue(user=request.user, status="" if status == "all" else status, unit=unit, q=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = board.queue_counts(user=request.user, unit=unit)
    tabs = [(s, label, counts[s]) for s, label in MessageStatus.choices] + [("all", "全部", sum(counts.values()))]
    ctx = {
        "page": page,
        "items": _label(list(page.object_list), request.user),
        "status": status,
        "tabs": tabs,
        "unit": unit,
        "q": q,
        "categories": dict(MessageCategory.choices),
    }
    if request.htmx:
        return render(request, "news/board_manage.html#queue", ctx)
    return render(request, "news/board_manage.html", ctx)


@requires_grant(board.VIEW_PERM)
@require_GET
def board_stats(request):
    unit = _officer_unit(request, request.GET.get("unit"))
    units = list(board.stats_units(user=request.user)[:200])
    if unit is None:
        if not units:
            raise Http404
        unit = units[0]
    rows, total = board.board_stats(user=request.user, unit=unit)
    ctx = {"unit": unit, "units": units, "rows": rows, "total": total, "stale_days": board.STALE_DAYS}
    return render(request, "news/board_stats.html", ctx)
