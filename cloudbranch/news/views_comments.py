"""Comment pages: the comment panel under an article or a post (HTMX fragment), adding,
deleting and reporting comments, the moderation queue and the sensitive-word list. Thin: the
rules live in comments.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.orgs.scoping import requires_grant

from . import comments
from .choices import CommentStatus, WordAction
from .models import Article

PAGE_SIZE = 20
PANEL = "news/_comments.html#panel"
QUEUE = "news/moderation_queue.html"
WORDS = "news/words_list.html"


def _target_params(request) -> dict:
    return {"article_id": request.GET.get("article"), "post_id": request.GET.get("post")}


def _target_query(target) -> str:
    return f"article={target.pk}" if isinstance(target, Article) else f"post={target.pk}"


def _target_page(target) -> str:
    """The page of the article or post (agreed URL names; the panel itself if not there yet)."""
    name = "news:article" if isinstance(target, Article) else "news:post"
    try:
        return reverse(name, args=[target.pk])
    except NoReverseMatch:
        return f"{reverse('news:comments')}?{_target_query(target)}"


def _back(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _render_panel(request, target, *, status: int = 200, error: str = "", notice: str = "", body: str = ""):
    user = request.user
    page = Paginator(comments.comment_list(user, target), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "target": target,
        "target_query": _target_query(target),
        "target_key": f"{'a' if isinstance(target, Article) else 'p'}{target.pk}",
        "page": page,
        "moderator": comments.may_moderate(user, target),
        "error": error,
        "notice": notice,
        "body": body,
        "body_max": comments.BODY_MAX,
        "Status": CommentStatus,
    }
    return render(request, PANEL, context, status=status)


@require_GET
def comment_panel(request):
    """The comments under an article (?article=) or a post (?post=): list + form."""
    target = comments.access_target(request.user, **_target_params(request))
    return _render_panel(request, target)


@require_POST
def comment_add(request):
    target = comments.access_target(request.user, **_target_params(request))
    body = request.POST.get("body", "")
    try:
        comment = comments.comment_add(actor=request.user, body=body, **_target_params(request))
    except DomainError as exc:
        if request.htmx:
            return _render_panel(request, target, status=exc.status, error=exc.message, body=body)
        messages.error(request, exc.message)
        return redirect(_back(request, _target_page(target)))
    notice = "评论已提交，审核通过后将对他人显示。" if comment.status == CommentStatus.HELD else "评论已发表。"
    if request.htmx:
        return _render_panel(request, target, notice=notice)
    messages.success(request, notice)
    return redirect(_back(request, _target_page(target)))


def _after_comment_action(request, comment, *, ok: str, exc: DomainError | None = None) -> HttpResponse:
    target = comment.article if comment.article_id else comment.post
    if request.htmx:
        if exc is not None:
            return _render_panel(request, target, status=exc.status, error=exc.message)
        return _render_panel(request, target, notice=ok)
    if exc is not None:
        messages.error(request, exc.message)
    else:
        messages.success(request, ok)
    return redirect(_back(request, _target_page(target)))


@require_POST
def comment_delete(request, comment_id: int):
    comment = comments.access_comment(request.user, comment_id)
    try:
        comments.comment_delete(actor=request.user, comment_id=comment.pk, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _after_comment_action(request, comment, ok="", exc=exc)
    return _after_comment_action(request, comment, ok="评论已删除。")


@require_POST
def comment_report(request, comment_id: int):
    comment = comments.access_comment(request.user, comment_id)
    try:
        comments.comment_report(actor=request.user, comment_id=comment.pk, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _after_comment_action(request, comment, ok="", exc=exc)
    return _after_comment_action(request, comment, ok="举报已提交，感谢您的监督。")


# --- moderation --------------------------------------------------------------------------------


def _render_queue(request, *, status: int = 200, error: str = ""):
    state = request.GET.get("status", "")
    state = state if state in comments.QUEUE_FILTERS else ""
    page = Paginator(comments.moderation_queue(request.user, status=state), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "state": state, "error": error, "Status": CommentStatus}
    template = f"{QUEUE}#queue" if request.htmx else QUEUE
    return render(request, template, context, status=status)


@require_GET
@requires_grant(comments.MODERATE)
def moderation(request):
    """Held and reported comments in the units the user moderates."""
    return _render_queue(request)


@require_POST
@requires_grant(comments.MODERATE)
def moderate(request, comment_id: int):
    decision = request.POST.get("decision", "")
    try:
        comment = comments.comment_moderate(
            actor=request.user, comment_id=comment_id, decision=decision, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        if request.htmx:
            return _render_queue(request, status=exc.status, error=exc.message)
        messages.error(request, exc.message)
        return redirect(_back(request, reverse("news:moderation")))
    ok = f"评论#{comment.pk}：{comments.DECISIONS[decision]}。"
    if request.htmx:
        return _render_queue(request)
    messages.success(request, ok)
    return redirect(_back(request, reverse("news:moderation")))


# --- sensitive words ---------------------------------------------------------------------------


def _render_words(request, *, status: int = 200, error: str = "", form_errors: dict | None = None, form=None):
    q = request.GET.get("q", "").strip()[:50]
    page = Paginator(comments.word_list(request.user, q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "error": error,
        "form_errors": form_errors or {},
        "form": form or {"word": "", "action": WordAction.HOLD},
        "actions": WordAction.choices,
    }
    return render(request, WORDS, context, status=status)


@require_GET
@requires_grant(comments.CHANGE_WORDS)
def words(request):
    """The sensitive-word list (org admin): search, add, change the action, remove."""
    return _render_words(request)


def _field_errors(exc: DomainError) -> dict:
    return {e["field"]: e["message"] for e in exc.errors if e.get("field")}


@require_POST
@requires_grant(comments.CHANGE_WORDS)
def word_add(request):
    form = {"word": request.POST.get("word", ""), "action": request.POST.get("action", WordAction.HOLD)}
    try:
        row = comments.word_add(actor=request.user, word=form["word"], action=form["action"])
    except DomainError as exc:
        return _render_words(request, status=exc.status, error=exc.message, form_errors=_field_errors(exc), form=form)
    messages.success(request, f"已添加词语“{row.word}”。")
    return redirect(reverse("news:words"))


@require_POST
@requires_grant(comments.CHANGE_WORDS)
def word_update(request, word_id: int):
    try:
        row = comments.word_update(actor=request.user, word_id=word_id, action=request.POST.get("action", ""))
    except DomainError as exc:
        return _render_words(request, status=exc.status, error=exc.message)
    messages.success(request, f"词语“{row.word}”改为{row.get_action_display()}。")
    return redirect(_back(request, reverse("news:words")))


@require_POST
@requires_grant(comments.CHANGE_WORDS)
def word_remove(request, word_id: int):
    comments.word_remove(actor=request.user, word_id=word_id)
    messages.success(request, "词语已删除。")
    return redirect(_back(request, reverse("news:words")))


@require_POST
@requires_grant(comments.CHANGE_WORDS)
def words_import(request):
    """Paste a list: one word per line, optional "|reject"."""
    text = request.POST.get("lines", "")
    try:
        result = comments.words_import(actor=request.user, lines=text.splitlines())
    except DomainError as exc:
        detail = "；".join(f"第 {e['row']} 行：{e['message']}" for e in exc.errors[:10] if "row" in e)
        return _render_words(request, status=exc.status, error=f"{exc.message}{detail and ' ' + detail}")
    messages.success(
        request, f"导入完成：新增 {result['created']} 个，修改 {result['updated']} 个，未变 {result['unchanged']} 个。"
    )
    return redirect(reverse("news:words"))
