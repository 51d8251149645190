"""Pages of the articles area: the reader list and article page (phone first), managers' list and
review queue, the article form, workflow buttons, read receipts and the unit policy.

Thin: reads through ``articles`` selectors and ``visibility``, writes through ``articles``
services; DomainError → message on the page with 422 (ConflictError 409), nothing written.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, holds, requires_grant

from . import articles as svc
from .choices import ArticleStatus, Category
from .forms_articles import ArticleForm, PolicyForm
from .visibility import reader_of

PAGE_SIZE = 20
STATUS_TABS = [
    ("", "全部"),
    ("review", "待我审核"),
    (ArticleStatus.DRAFT, "草稿"),
    (ArticleStatus.SUBMITTED, "待审核"),
    (ArticleStatus.REJECTED, "已退回"),
    (ArticleStatus.SCHEDULED, "定时发布"),
    (ArticleStatus.PUBLISHED, "已发布"),
    (ArticleStatus.WITHDRAWN, "已撤回"),
]


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _comments_template() -> bool:
    """Whether the comments area has its template yet (another area builds it)."""
    try:
        select_template(["news/_comments.html"])
    except TemplateDoesNotExist:
        return False
    return True


# --- readers -----------------------------------------------------------------------------------


@require_GET
def article_list(request):
    """党建动态 on a phone: category tabs, search, pinned first; unread notices badge."""
    filters = svc.ArticleFilters.from_params(request.GET)
    page = _page(request, svc.article_list(request.user, filters))
    context = {
        "page": page,
        "filters": filters,
        "categories": Category.choices,
        "unread": svc.unread_count(request.user),
        "can_manage": holds(request.user, svc.VIEW),
        "unit": OrgUnit.objects.filter(pk=filters.unit_id).only("id", "name").first() if filters.unit_id else None,
    }
    if request.htmx and request.htmx.target == "article-results":
        return render(request, "news/article_list.html#results", context)
    return render(request, "news/article_list.html", context)


def _detail_context(request, article, *, preview: bool, read: bool) -> dict:
    managing = request.user.is_authenticated and can(request.user, svc.VIEW, article.unit)
    return {
        "article": article,
        "preview": preview,
        "read": read,
        "asked_to_read": not preview and svc.in_audience(reader_of(request.user), article),
        "attachments": list(article.attachments.all()),
        "managing": managing,
        "may_review": managing and article.status == ArticleStatus.SUBMITTED and svc.may_review(request.user, article),
        "may_pin": managing
        and article.status in (ArticleStatus.PUBLISHED, ArticleStatus.SCHEDULED)
        and svc.may_review(request.user, article),
        "may_edit": managing and article.author_id == request.user.pk and article.status in svc.EDITABLE,
        "may_withdraw": managing
        and article.status in (ArticleStatus.PUBLISHED, ArticleStatus.SCHEDULED)
        and svc.may_withdraw(request.user, article),
        "may_see_receipts": managing and article.requires_reading and svc.may_see_receipts(request.user, article),
        "history": list(svc.history_of(article)) if managing else [],
        "show_comments": not preview and _comments_template(),
    }


@require_GET
def article_detail(request, article_id: int):
    """The article page: cover, body, attachments, comments; opening it writes the read receipt."""
    article, preview = svc.access_article_for_reading(request.user, article_id)
    read = False if preview else svc.record_read(user=request.user, article=article)
    return render(request, "news/article_detail.html", _detail_context(request, article, preview=preview, read=read))


def _file_response(field, *, filename: str, content_type: str, attachment: bool):
    try:
        handle = field.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type, as_attachment=attachment)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def article_cover(request, article_id: int):
    article, _preview = svc.access_article_for_reading(request.user, article_id)
    if not article.cover:
        raise Http404
    name = article.cover.name.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower()
    content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(ext, "application/octet-stream")
    return _file_response(article.cover, filename=name, content_type=content_type, attachment=False)


@require_GET
def attachment_download(request, attachment_id: int):
    att = svc.access_attachment(request.user, attachment_id)
    return _file_response(att.file, filename=att.original_name, content_type=att.content_type, attachment=True)


# --- managers ----------------------------------------------------------------------------------


@require_GET
@requires_grant(svc.VIEW)
def manage(request):
    """My articles and the review queue, with status tabs."""
    filters = svc.ArticleFilters.from_params(request.GET)
    page = _page(request, svc.manage_list(request.user, filters))
    context = {
        "page": page,
        "filters": filters,
        "tabs": STATUS_TABS,
        "review_count": svc.review_queue(request.user).count(),
        "can_add": holds(request.user, svc.ADD),
        "can_policy": holds(request.user, svc.CHANGE_POLICY),
    }
    if request.htmx and request.htmx.target == "manage-results":
        return render(request, "news/manage_list.html#results", context)
    return render(request, "news/manage_list.html", context)


def _form_page(request, form, *, article=None, status=200):
    return render(
        request,
        "news/manage_form.html",
        {"form": form, "article": article, "attachments": list(article.attachments.all()) if article else []},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires_grant(svc.ADD)
def article_create(request):
    units = list(svc.review_units(request.user))
    if request.method == "GET":
        initial = {"category": request.GET.get("category") or Category.NEWS}
        if request.GET.get("unit", "").isdigit():
            initial["unit"] = int(request.GET["unit"])
        return _form_page(request, ArticleForm(units=units, initial=initial))
    form = ArticleForm(request.POST, request.FILES, units=units)
    if form.is_valid():
        try:
            article = svc.article_create(
                actor=request.user,
                unit_id=form.cleaned_data["unit"],
                data=form.service_data(),
                cover=form.cleaned_data.get("cover"),
                attachments=form.cleaned_data.get("attachments") or [],
            )
        except DomainError as exc:
            apply_domain_error(form, exc, summary=True)
            return _form_page(request, form, status=exc.status)
        if request.POST.get("then") == "submit":
            return _submit(request, article.pk)
        messages.success(request, "草稿已保存。")
        return redirect("news:article", article.pk)
    return _form_page(request, form, status=422)


@require_http_methods(["GET", "POST"])
def article_edit(request, article_id: int):
    article = svc.access_article_for_management(request.user, article_id)
    if article.author_id != request.user.pk or not can(request.user, svc.ADD, article.unit):
        raise PermissionDenied
    units = [article.unit]
    if request.method == "GET" and article.status not in svc.EDITABLE:
        # Only drafts and rejected articles are edited; a published one is withdrawn first.
        messages.error(request, f"文章{article.get_status_display()}，不能修改。")
        return redirect("news:article", article.pk)
    if request.method == "GET":
        initial = {name: getattr(article, name) for name in svc.FIELDS}
        initial["unit"] = article.unit_id
        if article.publish_at:
            from django.utils import timezone

            initial["publish_at"] = timezone.localtime(article.publish_at)
        form = ArticleForm(units=units, editing=True, initial=initial)
        return _form_page(request, form, article=article)
    form = ArticleForm(request.POST, request.FILES, units=units, editing=True, initial={"unit": article.unit_id})
    if form.is_valid():
        try:
            svc.article_update(
                actor=request.user,
                article_id=article.pk,
                data=form.service_data(),
                cover=form.cleaned_data.get("cover"),
                remove_cover=form.cleaned_data.get("remove_cover"),
                attachments=form.cleaned_data.get("attachments") or [],
                remove_attachments=request.POST.getlist("remove_attachment"),
            )
        except DomainError as exc:
            apply_domain_error(form, exc, summary=True)
            return _form_page(request, form, article=article, status=exc.status)
        if request.POST.get("then") == "submit":
            return _submit(request, article.pk)
        messages.success(request, "已保存。")
        return redirect("news:article", article.pk)
    return _form_page(request, form, article=article, status=422)


def _back(request, article_id):
    return redirect(request.POST.get("next") if _safe_next(request) else reverse("news:article", args=[article_id]))


def _safe_next(request) -> bool:
    nxt = request.POST.get("next", "")
    return nxt.startswith("/news/") and "//" not in nxt


def _action_failed(request, article_id, exc: DomainError):
    """The article page again with the error on top (422 / 409), nothing written."""
    article, preview = svc.access_article_for_reading(request.user, article_id)
    messages.error(request, exc.message)
    context = _detail_context(request, article, preview=preview, read=False)
    return render(request, "news/article_detail.html", context, status=exc.status)


def _submit(request, article_id):
    try:
        svc.article_submit(actor=request.user, article_id=article_id)
    except DomainError as exc:
        return _action_failed(request, article_id, exc)
    messages.success(request, "已提交审核。")
    return _back(request, article_id)


@require_POST
def article_submit(request, article_id: int):
    return _submit(request, article_id)


@require_POST
def article_review(request, article_id: int):
    decision = request.POST.get("decision")
    comment = request.POST.get("comment", "")
    try:
        if decision == "approve":
            article = svc.article_approve(actor=request.user, article_id=article_id, comment=comment)
            done = "已通过并发布。" if article.status == ArticleStatus.PUBLISHED else "已通过，将定时发布。"
        elif decision == "reject":
            svc.article_reject(actor=request.user, article_id=article_id, comment=comment)
            done = "已退回作者修改。"
        else:
            raise DomainError("请选择通过或退回。", errors=[{"field": "decision", "message": "请选择"}])
    except DomainError as exc:
        return _action_failed(request, article_id, exc)
    messages.success(request, done)
    return _back(request, article_id)


@require_POST
def article_withdraw(request, article_id: int):
    try:
        svc.article_withdraw(actor=request.user, article_id=article_id, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _action_failed(request, article_id, exc)
    messages.success(request, "已撤回。")
    return _back(request, article_id)


@require_POST
def article_pin(request, article_id: int):
    try:
        svc.article_pin(actor=request.user, article_id=article_id, pinned=request.POST.get("pinned") == "1")
    except DomainError as exc:
        return _action_failed(request, article_id, exc)
    messages.success(request, "已更新置顶。")
    return _back(request, article_id)


# --- receipts ----------------------------------------------------------------------------------


@require_GET
def article_receipts(request, article_id: int):
    """Read rate overall and per child unit, the unread list (paginated), the remind button."""
    article = svc.access_article_for_management(request.user, article_id)
    if not svc.may_see_receipts(request.user, article):
        raise PermissionDenied
    context = {
        "article": article,
        "stats": svc.receipt_stats(article) if article.requires_reading else None,
        "page": _page(request, svc.unread_people(article)),
        "can_remind": article.requires_reading and article.status == ArticleStatus.PUBLISHED,
    }
    if request.htmx and request.htmx.target == "unread-list":
        return render(request, "news/receipts_page.html#unread", context)
    return render(request, "news/receipts_page.html", context)


@require_POST
def article_remind(request, article_id: int):
    try:
        count = svc.remind_unread(actor=request.user, article_id=article_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("news:article_receipts", article_id)
    messages.success(request, f"已提醒 {count} 人（今天已提醒过的不再重复）。" if count else "没有需要提醒的人员。")
    return redirect("news:article_receipts", article_id)


# --- policy ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@requires_grant(svc.CHANGE_POLICY)
def policy(request):
    units = list(svc.policy_units(request.user)[:500])
    unit_param = request.GET.get("unit") or request.POST.get("unit") or ""
    unit = None
    if unit_param.isdigit():
        unit = OrgUnit.objects.filter(pk=int(unit_param)).first()
        if unit is None or not can(request.user, svc.VIEW, unit):
            raise Http404
        if not can(request.user, svc.CHANGE_POLICY, unit):
            raise PermissionDenied
    elif units:
        unit = units[0]
    current = svc.policy_for(unit) if unit else None
    status = 200
    if request.method == "POST" and unit is not None:
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                svc.policy_update(actor=request.user, unit_id=unit.pk, data=form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, f"已保存{unit.name}的宣传设置。")
                return redirect(f"{reverse('news:policy')}?unit={unit.pk}")
        else:
            status = 422
    else:
        form = PolicyForm(
            initial={
                "reviewer": current.reviewer,
                "public_board": current.public_board,
                "hold_comments": current.hold_comments,
            }
            if current
            else None
        )
    return render(
        request, "news/policy_page.html", {"form": form, "unit": unit, "units": units, "policy": current}, status=status
    )
