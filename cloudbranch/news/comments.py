"""Comments on articles and feed posts (SPEC §6, issue 8 item 2): services and selectors.

Rules:
- A reader comments on what they may read: an article through ``news.visibility.may_read``, a
  feed post through ``news.feed.may_see_post`` (the one rule of each). Body: plain text, at most 1000 characters, escaped on output.
- The sensitive-word filter (wordfilter.py): a "reject" word refuses the comment (422, without
  naming the words); a "hold" word stores it as held, shown to its author only ("待审核") until a
  moderator approves it. A unit whose NewsPolicy.hold_comments is on holds every comment.
- At most 10 comments per user per minute.
- Reports: one per user per comment; the third open report holds the comment for review.
- Moderators (``news.moderate_comment`` over the article's or post's unit) approve, reject or
  delete (with a reason) held and reported comments; authors delete their own. Nothing is
  removed from the database, every change is audited.
- Post.comment_count is the number of visible comments of the post.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_bulk, audit_event, audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.scoping import can, granted_prefixes, holds, scope_q

from . import feed, ratelimit, wordfilter
from .choices import CommentStatus, WordAction
from .models import Article, Comment, CommentReport, NewsPolicy, Post, SensitiveWord
from .visibility import may_read

BODY_MAX = 1000
REASON_MAX = 300
RATE_LIMIT = 10
RATE_WINDOW_SECONDS = 60
REPORTS_TO_HOLD = 3

MODERATE = "news.moderate_comment"
CHANGE_WORDS = "news.change_sensitiveword"

REJECTED_MESSAGE = "评论包含不允许发布的词语，未能发表。请修改后再提交。"


class RateLimited(DomainError):
    """Too many comments in a minute (HTTP 429)."""

    status = 429
    code = "rate_limited"


# --- who may read what is commented on ---------------------------------------------------------


def may_read_article(user, article) -> bool:
    return may_read(user, article)


def may_see_post(user, post) -> bool:
    return feed.may_see_post(user, post)


def _target_of(comment):
    return comment.article if comment.article_id else comment.post


def may_read_target(user, target) -> bool:
    if isinstance(target, Article):
        return may_read_article(user, target)
    return may_see_post(user, target)


def may_moderate(user, target) -> bool:
    return can(user, MODERATE, target.unit)


def access_target(user, *, article_id=None, post_id=None):
    """The article or post the user may read (and so comment on), else Http404."""
    if (article_id in (None, "")) == (post_id in (None, "")):
        raise Http404
    try:
        if article_id not in (None, ""):
            target = Article.objects.select_related("unit").get(pk=int(article_id))
        else:
            target = Post.objects.select_related("unit").get(pk=int(post_id))
    except (Article.DoesNotExist, Post.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    if not may_read_target(user, target):
        raise Http404
    return target


def _moderation_scope(prefixes) -> Q:
    return scope_q("article__unit__path", prefixes) | scope_q("post__unit__path", prefixes)


def _comment_qs():
    return Comment.objects.select_related("author", "article__unit", "post__unit")


def access_comment(user, comment_id):
    """A comment the user sees: visible (or their own held one) under something they may read,
    or any comment a moderator of its unit holds. Http404 otherwise."""
    try:
        comment = _comment_qs().get(pk=int(comment_id))
    except (Comment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    target = _target_of(comment)
    if may_moderate(user, target):
        return comment
    if not may_read_target(user, target):
        raise Http404
    own = comment.author_id == user.pk
    if comment.status == CommentStatus.VISIBLE or (own and comment.status == CommentStatus.HELD):
        return comment
    raise Http404


def access_moderated_comment(user, comment_id):
    """A comment the user may moderate. 403 for who moderates nowhere or sees the comment only as
    a reader; 404 for a comment outside their units (a sibling branch's)."""
    prefixes = granted_prefixes(user, MODERATE)
    if not prefixes:
        raise PermissionDenied
    try:
        return _comment_qs().filter(_moderation_scope(prefixes)).get(pk=int(comment_id))
    except (Comment.DoesNotExist, ValueError, TypeError, OverflowError):
        pass
    access_comment(user, comment_id)  # 404 unless seen as a reader
    raise PermissionDenied


# --- selectors ---------------------------------------------------------------------------------


def comment_list(user, target):
    """Comments shown under ``target``: the visible ones plus the reader's own held ones
    (marked 待审核), newest first. Call ``access_target`` first."""
    shown = Q(status=CommentStatus.VISIBLE)
    if getattr(user, "is_authenticated", False):
        shown |= Q(status=CommentStatus.HELD, author_id=user.pk)
    lookup = {"article": target} if isinstance(target, Article) else {"post": target}
    return Comment.objects.filter(shown, **lookup).select_related("author").order_by("-created_at", "-id")


QUEUE_FILTERS = ("held", "reported")


def moderation_queue(user, *, status: str = ""):
    """Held comments and visible comments with open reports, in the units where the user holds
    news.moderate_comment, oldest first. ``status``: "held" or "reported" narrows it."""
    prefixes = granted_prefixes(user, MODERATE)
    if not prefixes:
        raise PermissionDenied
    held = Q(status=CommentStatus.HELD)
    reported = Q(status=CommentStatus.VISIBLE, report_count__gt=0)
    wanted = {"held": held, "reported": reported}.get(status, held | reported)
    return (
        Comment.objects.filter(_moderation_scope(prefixes))
        .filter(wanted)
        .select_related("author", "article__unit", "post__unit", "post__author")
        .prefetch_related(
            Prefetch("reports", queryset=CommentReport.objects.select_related("reporter").order_by("created_at", "id"))
        )
        .order_by("created_at", "id")
    )


def word_list(user, *, q: str = ""):
    if not holds(user, CHANGE_WORDS):
        raise PermissionDenied
    qs = SensitiveWord.objects.select_related("created_by").order_by("word")
    if q.strip():
        qs = qs.filter(word__contains=wordfilter.normalize(q) or q.strip())
    return qs


# --- services ----------------------------------------------------------------------------------


def _sync_comment_count(post_id: int) -> None:
    """Post.comment_count = its visible comments (recounted, so that no path can drift it)."""
    Post.objects.filter(pk=post_id).update(
        comment_count=Comment.objects.filter(post_id=post_id, status=CommentStatus.VISIBLE).count()
    )


def _after_status_change(comment, old_status: str) -> None:
    if comment.post_id and (old_status == CommentStatus.VISIBLE) != (comment.status == CommentStatus.VISIBLE):
        _sync_comment_count(comment.post_id)


def _policy_holds(unit) -> bool:
    return NewsPolicy.objects.filter(unit=unit, hold_comments=True).exists()


def _target_ref(comment) -> tuple[str, str, str]:
    return ("news.comment", str(comment.pk), f"评论#{comment.pk}：{comment.body[:40]}")


def _clean_body(body) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise DomainError("评论内容不能为空。", errors=[{"field": "body", "message": "请填写评论内容。"}])
    if len(body) > BODY_MAX:
        message = f"评论不能超过 {BODY_MAX} 字（当前 {len(body)} 字）。"
        raise DomainError(message, errors=[{"field": "body", "message": message}])
    return body


def _clean_reason(reason, *, label: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(f"请填写{label}。", errors=[{"field": "reason", "message": f"请填写{label}。"}])
    if len(reason) > REASON_MAX:
        message = f"{label}不能超过 {REASON_MAX} 字。"
        raise DomainError(message, errors=[{"field": "reason", "message": message}])
    return reason


def comment_add(*, actor, body: str, article_id=None, post_id=None) -> Comment:
    """Post a comment under an article or a feed post the actor may read.

    Reject words → DomainError (422) naming no word; hold words or the unit's hold policy →
    stored as held; more than 10 in a minute → RateLimited (429)."""
    target = access_target(actor, article_id=article_id, post_id=post_id)
    if isinstance(target, Post) and target.hidden:
        raise ConflictError("该动态已隐藏，不能评论。")
    body = _clean_body(body)
    if not ratelimit.hit(f"news:comment:{actor.pk}", RATE_LIMIT, RATE_WINDOW_SECONDS):
        raise RateLimited(f"评论太频繁了，每分钟最多 {RATE_LIMIT} 条，请稍后再试。")
    result = wordfilter.check(body)
    if result.action == WordAction.REJECT:
        raise DomainError(REJECTED_MESSAGE, errors=[{"field": "body", "message": REJECTED_MESSAGE}], code="sensitive")
    held_by = "words" if result.action == WordAction.HOLD else ("policy" if _policy_holds(target.unit) else "")
    with transaction.atomic():
        comment = Comment.objects.create(
            article=target if isinstance(target, Article) else None,
            post=target if isinstance(target, Post) else None,
            author=actor,
            body=body,
            status=CommentStatus.HELD if held_by else CommentStatus.VISIBLE,
            matched_words=list(result.words),
        )
        if comment.post_id and comment.status == CommentStatus.VISIBLE:
            _sync_comment_count(comment.post_id)
        changes = {"status": {"old": None, "new": comment.status}}
        if held_by:
            changes["held_by"] = {"old": None, "new": held_by}
        audit_record(actor=actor, action="news.comment.create", target=_target_ref(comment), changes=changes)
    return comment


def comment_delete(*, actor, comment_id, reason: str = "") -> Comment:
    """The author deletes their own comment; a moderator of the unit deletes any, with a reason.
    The row stays (status deleted)."""
    comment = access_comment(actor, comment_id)
    own = comment.author_id == actor.pk
    if not own and not may_moderate(actor, _target_of(comment)):
        raise PermissionDenied
    reason = (reason or "").strip()[:REASON_MAX] if own else _clean_reason(reason, label="删除理由")
    return _set_status(
        actor=actor,
        comment=comment,
        status=CommentStatus.DELETED,
        note=reason,
        action="news.comment.delete_own" if own else "news.comment.delete",
    )


def _set_status(*, actor, comment, status: str, note: str, action: str, clear_reports: bool = False) -> Comment:
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.status == CommentStatus.DELETED:
            raise ConflictError("该评论已删除。")
        old_status, old_reports = locked.status, locked.report_count
        comment.status = status
        comment.moderated_by = actor
        comment.moderated_at = timezone.now()
        comment.moderation_note = note
        fields = ["status", "moderated_by", "moderated_at", "moderation_note"]
        if clear_reports:
            comment.report_count = 0
            fields.append("report_count")
        comment.save(update_fields=fields)
        _after_status_change(comment, old_status)
        changes = {"status": {"old": old_status, "new": status}}
        if note:
            changes["note"] = {"old": "", "new": note}
        if clear_reports and old_reports:
            changes["report_count"] = {"old": old_reports, "new": 0}
        audit_record(actor=actor, action=action, target=_target_ref(comment), changes=changes)
    return comment


DECISIONS = {"approve": "通过", "reject": "不通过", "delete": "删除"}


def comment_moderate(*, actor, comment_id, decision: str, note: str = "") -> Comment:
    """A moderator of the unit decides on a comment:
    approve (held → visible; a reported visible comment stays and its open reports are cleared),
    reject (held or visible → rejected), delete (with a reason → deleted)."""
    comment = access_moderated_comment(actor, comment_id)
    if decision not in DECISIONS:
        raise DomainError("请选择审核结果。", errors=[{"field": "decision", "message": "请选择通过、不通过或删除。"}])
    if comment.status == CommentStatus.DELETED:
        raise ConflictError("该评论已删除。")
    if decision == "delete":
        reason = _clean_reason(note, label="删除理由")
        return _set_status(
            actor=actor, comment=comment, status=CommentStatus.DELETED, note=reason, action="news.comment.delete"
        )
    note = (note or "").strip()[:REASON_MAX]
    if decision == "approve":
        if comment.status == CommentStatus.VISIBLE and not comment.report_count:
            raise ConflictError("该评论已显示，无需审核。")
        if comment.status not in (CommentStatus.HELD, CommentStatus.VISIBLE, CommentStatus.REJECTED):
            raise ConflictError("该评论当前不能审核通过。")
        return _set_status(
            actor=actor,
            comment=comment,
            status=CommentStatus.VISIBLE,
            note=note,
            action="news.comment.approve",
            clear_reports=True,
        )
    if comment.status == CommentStatus.REJECTED:
        raise ConflictError("该评论已是未通过状态。")
    return _set_status(
        actor=actor,
        comment=comment,
        status=CommentStatus.REJECTED,
        note=note,
        action="news.comment.reject",
        clear_reports=True,
    )


def comment_report(*, actor, comment_id, reason: str) -> CommentReport:
    """Report a visible comment (once per user). The third open report holds it for review."""
    comment = access_comment(actor, comment_id)
    if comment.author_id == actor.pk:
        raise DomainError("不能举报自己的评论。")
    if comment.status != CommentStatus.VISIBLE:
        raise ConflictError("该评论已在审核中或不再显示。")
    reason = _clean_reason(reason, label="举报理由")
    if CommentReport.objects.filter(comment=comment, reporter=actor).exists():
        raise ConflictError("您已举报过这条评论，请等待处理。")
    try:
        with transaction.atomic():
            report = CommentReport.objects.create(comment=comment, reporter=actor, reason=reason)
            Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
            locked = Comment.objects.select_for_update().get(pk=comment.pk)
            events = [
                audit_event(
                    actor,
                    action="news.comment.report",
                    target=_target_ref(comment),
                    changes={"report_count": {"old": locked.report_count - 1, "new": locked.report_count}},
                )
            ]
            if locked.status == CommentStatus.VISIBLE and locked.report_count >= REPORTS_TO_HOLD:
                locked.status = CommentStatus.HELD
                locked.save(update_fields=["status"])
                _after_status_change(locked, CommentStatus.VISIBLE)
                events.append(
                    audit_event(
                        actor,
                        action="news.comment.auto_hold",
                        target=_target_ref(comment),
                        changes={"status": {"old": CommentStatus.VISIBLE, "new": CommentStatus.HELD}},
                    )
                )
            audit_bulk(events)
    except IntegrityError:
        raise ConflictError("您已举报过这条评论，请等待处理。") from None
    return report


# --- the sensitive word list -----------------------------------------------------------------


def _check_words_permission(actor) -> None:
    if not holds(actor, CHANGE_WORDS):
        raise PermissionDenied


def _clean_word(word, action) -> tuple[str, str]:
    key = wordfilter.normalize(word or "")
    if not key:
        raise DomainError("请填写词语（只计文字和数字）。", errors=[{"field": "word", "message": "请填写词语。"}])
    if len(key) > 50:
        raise DomainError("词语不能超过 50 字。", errors=[{"field": "word", "message": "词语不能超过 50 字。"}])
    if action not in WordAction.values:
        raise DomainError("请选择处理方式。", errors=[{"field": "action", "message": "请选择转人工审核或直接拒绝。"}])
    return key, action


def _word_ref(word) -> tuple[str, str, str]:
    # The word itself is the data being changed; the audit log is read by the audit administrator.
    return ("news.sensitiveword", str(word.pk), word.word)


def word_add(*, actor, word: str, action: str = WordAction.HOLD) -> SensitiveWord:
    """Add a word (stored normalized, so "ＡＢＣ" and "a b c" are the same word)."""
    _check_words_permission(actor)
    key, action = _clean_word(word, action)
    if SensitiveWord.objects.filter(word=key).exists():
        raise ConflictError(f"词语“{key}”已在列表中。", errors=[{"field": "word", "message": "该词语已存在。"}])
    with transaction.atomic():
        row = SensitiveWord.objects.create(word=key, action=action, created_by=actor)
        audit_record(
            actor=actor, action="news.sensitiveword.create", target=_word_ref(row), changes={"action": {"new": action}}
        )
    return row


def word_update(*, actor, word_id, action: str) -> SensitiveWord:
    _check_words_permission(actor)
    row = SensitiveWord.objects.filter(pk=word_id).first()
    if row is None:
        raise Http404
    _key, action = _clean_word(row.word, action)
    if row.action == action:
        return row
    with transaction.atomic():
        old = row.action
        row.action = action
        row.save(update_fields=["action"])
        audit_record(
            actor=actor,
            action="news.sensitiveword.update",
            target=_word_ref(row),
            changes={"action": {"old": old, "new": action}},
        )
    return row


def word_remove(*, actor, word_id) -> None:
    _check_words_permission(actor)
    row = SensitiveWord.objects.filter(pk=word_id).first()
    if row is None:
        raise Http404
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="news.sensitiveword.delete",
            target=_word_ref(row),
            changes={"action": {"old": row.action, "new": None}},
        )
        row.delete()


def parse_word_lines(lines) -> tuple[list[tuple[str, str]], list[dict]]:
    """``word`` or ``word|reject`` / ``word|hold`` per line; blank lines and ``#`` comments are
    skipped. Returns (pairs, errors with the line number)."""
    pairs: list[tuple[str, str]] = []
    errors: list[dict] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        word, _sep, action = line.partition("|")
        action = action.strip().lower() or WordAction.HOLD
        try:
            pairs.append(_clean_word(word, action))
        except DomainError as exc:
            errors.append({"row": number, "message": exc.message})
    return pairs, errors


def words_import(*, actor, lines) -> dict:
    """Add the words of a list (one per line, optional "|reject"); an existing word takes the
    action of the list. Nothing is written if a line is wrong."""
    _check_words_permission(actor)
    pairs, errors = parse_word_lines(lines)
    if errors:
        raise DomainError(f"词表有 {len(errors)} 行无法导入，未导入任何词语。", errors=errors)
    wanted: dict[str, str] = {}
    for key, action in pairs:
        wanted[key] = wordfilter.stronger(wanted.get(key), action)
    with transaction.atomic():
        existing = {w.word: w for w in SensitiveWord.objects.filter(word__in=list(wanted))}
        created = [
            SensitiveWord(word=key, action=action, created_by=actor)
            for key, action in wanted.items()
            if key not in existing
        ]
        SensitiveWord.objects.bulk_create(created)
        changed = []
        for key, action in wanted.items():
            row = existing.get(key)
            if row is not None and row.action != action:
                changed.append((row, row.action))
                row.action = action
        SensitiveWord.objects.bulk_update([row for row, _old in changed], ["action"])
        events = [
            audit_event(
                actor,
                action="news.sensitiveword.import",
                target=("news.sensitiveword", "", f"导入 {len(created)} 个、修改 {len(changed)} 个"),
                changes={"created": {"new": len(created)}, "updated": {"new": len(changed)}},
            )
        ]
        events += [
            audit_event(
                actor,
                action="news.sensitiveword.update",
                target=_word_ref(row),
                changes={"action": {"old": old, "new": row.action}},
            )
            for row, old in changed
        ]
        audit_bulk(events)
    return {"created": len(created), "updated": len(changed), "unchanged": len(wanted) - len(created) - len(changed)}
