"""Articles (党建动态, 通知公告, 党务公开): services (writes) and selectors (reads), issue 8 items 1 and 6.

Workflow, one service per transition (an illegal one is a ``ConflictError``)::

    draft ─submit→ submitted ─approve→ published          (publish_at empty or passed)
      ↑                      └approve→ scheduled ─job→ published   (publish_at in the future)
    rejected ←reject (comment)┘        published / scheduled ─withdraw (reason)→ withdrawn

* Writing: ``news.add_article`` at the unit; only the author edits (draft or rejected) and submits.
* Approving: ``news.review_article`` AND the role the unit's ``NewsPolicy.reviewer`` names
  (publicity officer, secretary, or either) held at the unit or above; never the author.
  Rejecting, withdrawing and pinning: the same people (the author may withdraw their own too).
* Managers find articles through ``news.view_article`` (404 outside it, 403 when seen but not
  allowed); readers through ``visibility`` (published only).
* Every transition writes an ``ArticleReview`` row and an audit event in its transaction.
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, IntegerField, OuterRef, Q, Value
from django.db.models.functions import StrIndex, Substr
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.documents import matches_extension
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.core.html import clean_html
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.choices import UnitStatus
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import Role
from cloudbranch.orgs.scoping import can, granted_prefixes
from cloudbranch.people.models import Person

from . import search
from .choices import ArticleStatus, Category, ReviewAction, Reviewer, Visibility
from .models import Article, ArticleAttachment, ArticleReview, NewsPolicy, ReadReceipt
from .portal_cache import bumps_portal
from .visibility import audience_q, readable_by, reader_of, visible_articles

VIEW = "news.view_article"
ADD = "news.add_article"
REVIEW = "news.review_article"
CHANGE_POLICY = "news.change_newspolicy"
NOTIFY_CATEGORY = "news"

EDITABLE = (ArticleStatus.DRAFT, ArticleStatus.REJECTED)
FIELDS = (
    "category",
    "disclosure_type",
    "disclosure_from",
    "disclosure_to",
    "title",
    "summary",
    "body",
    "visibility",
    "publish_at",
    "requires_reading",
    "read_deadline",
)
AUDIT_FIELDS = (*FIELDS, "status", "pinned", "cover")

SECRETARY_ROLES = frozenset({Role.BRANCH_SECRETARY, Role.COMMITTEE_SECRETARY})
REVIEWER_ROLES = {
    Reviewer.PUBLICITY_OR_SECRETARY: SECRETARY_ROLES | {Role.PUBLICITY_OFFICER},
    Reviewer.SECRETARY: SECRETARY_ROLES,
    Reviewer.PUBLICITY: frozenset({Role.PUBLICITY_OFFICER}),
}


# --- policy and who reviews ---------------------------------------------------------------------


def policy_for(unit: OrgUnit) -> NewsPolicy:
    """The unit's policy, or the default (unsaved: publicity officer or secretary approves)."""
    policy = NewsPolicy.objects.filter(unit=unit).first()
    return policy or NewsPolicy(unit=unit, reviewer=Reviewer.PUBLICITY_OR_SECRETARY)


def _ancestor_paths(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _reviewer_assignments(unit: OrgUnit, policy: NewsPolicy):
    return RoleAssignment.objects.active().filter(
        unit__path__in=_ancestor_paths(unit.path),
        unit__status=UnitStatus.ACTIVE,
        role__in=REVIEWER_ROLES[policy.reviewer],
    )


def may_review(user, article: Article, *, policy: NewsPolicy | None = None) -> bool:
    """``news.review_article`` at the unit AND the policy's role at the unit or above; not the author."""
    if not user.is_authenticated or user.pk == article.author_id or not can(user, REVIEW, article.unit):
        return False
    policy = policy or policy_for(article.unit)
    return _reviewer_assignments(article.unit, policy).filter(user_id=user.pk).exists()


def reviewers_of(article: Article) -> list[int]:
    """User ids to notify when the article is submitted (the author left out)."""
    ids = set(_reviewer_assignments(article.unit, policy_for(article.unit)).values_list("user_id", flat=True))
    ids.discard(article.author_id)
    return sorted(ids)


# --- uploads: cover image and attachments --------------------------------------------------------

MB = 1024 * 1024
MAX_ATTACHMENT_BYTES = 20 * MB
MAX_COVER_BYTES = 10 * MB
COVER_MAX_SIDE = 1600
DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ATTACHMENT_IMAGES = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
ATTACHMENT_HINT = "附件只接受 PDF、DOCX、XLSX、JPG、PNG，每个不超过 20 MB。"


@dataclass(frozen=True)
class CleanFile:
    name: str
    content_type: str
    data: bytes


def _refuse(field: str, message: str) -> DomainError:
    return DomainError(message, errors=[{"field": field, "message": message}])


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.\-\u4e00-\u9fff]+", "_", name)[-80:] or "file"


def _read(uploaded, limit: int, field: str, label: str) -> bytes:
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise _refuse(field, f"{label}超过 {limit // MB} MB，不能上传。")
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise _refuse(field, f"{label}超过 {limit // MB} MB，不能上传。")
    if not data:
        raise _refuse(field, f"{label}是空文件。")
    return data


def _clean_image(data: bytes, original: str, *, field: str, formats=("JPEG", "PNG", "WEBP")) -> CleanFile:
    """Through the shared helper (core.images): content decides, upright, longest side at most
    ``COVER_MAX_SIDE`` px, re-encoded without metadata (no GPS EXIF kept)."""
    from cloudbranch.core.images import clean_image

    clean = clean_image(data, original, max_side=COVER_MAX_SIDE, field=field)
    if clean.format not in formats:
        raise _refuse(field, f"“{original}”的内容与扩展名不符，不能上传。")
    return CleanFile(_safe_name(clean.name), clean.content_type, clean.data)


def clean_cover(uploaded) -> CleanFile:
    original = os.path.basename(getattr(uploaded, "name", "") or "").strip() or "cover"
    data = _read(uploaded, MAX_COVER_BYTES, "cover", f"封面图“{original}”")
    return _clean_image(data, original, field="cover")


def clean_attachment(uploaded) -> CleanFile:
    """PDF / DOCX / XLSX by extension and first bytes, JPG / PNG re-encoded without EXIF; ≤ 20 MB."""
    original = os.path.basename(getattr(uploaded, "name", "") or "").strip() or "附件"
    ext = os.path.splitext(original)[1].lower()
    if ext not in DOCUMENT_TYPES and ext not in ATTACHMENT_IMAGES:
        raise _refuse("attachments", f"“{original}”的类型不允许。{ATTACHMENT_HINT}")
    data = _read(uploaded, MAX_ATTACHMENT_BYTES, "attachments", f"附件“{original}”")
    if ext in ATTACHMENT_IMAGES:
        return _clean_image(data, original, field="attachments", formats=(ATTACHMENT_IMAGES[ext],))
    bad = _refuse("attachments", f"附件“{original}”的内容与扩展名 {ext} 不符，不能上传。")
    if not matches_extension(ext, data):
        raise bad
    return CleanFile(_safe_name(original), DOCUMENT_TYPES[ext], data)


# --- validating the fields ---------------------------------------------------------------------


def _as_bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)


def _as_date(value, field: str, errors: list) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        parsed = parse_date(str(value))
    except ValueError:
        parsed = None
    if parsed is None:
        errors.append({"field": field, "message": "日期格式不正确"})
    return parsed


def _as_datetime(value, field: str, errors: list) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    parsed = value if isinstance(value, datetime.datetime) else None
    if parsed is None:
        try:
            parsed = parse_datetime(str(value))
        except ValueError:
            parsed = None
    if parsed is None:
        errors.append({"field": field, "message": "时间格式不正确"})
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _clean_data(data: dict, current: Article | None) -> dict:
    """The article's fields from ``data`` (missing keys keep the current values); DomainError
    (422) listing every broken rule."""

    def get(name, default=""):
        if name in data:
            return data[name]
        return getattr(current, name) if current is not None else default

    errors: list[dict] = []
    out: dict = {}
    out["title"] = (get("title") or "").strip()
    if not out["title"]:
        errors.append({"field": "title", "message": "请填写标题"})
    elif len(out["title"]) > 200:
        errors.append({"field": "title", "message": "标题不超过 200 字"})
    out["summary"] = (get("summary") or "").strip()
    if len(out["summary"]) > 300:
        errors.append({"field": "summary", "message": "摘要不超过 300 字"})
    out["category"] = get("category", Category.NEWS) or ""
    if out["category"] not in Category.values:
        errors.append({"field": "category", "message": "请选择类别"})
    out["visibility"] = get("visibility", Visibility.SUBTREE) or ""
    if out["visibility"] not in Visibility.values:
        errors.append({"field": "visibility", "message": "请选择可见范围"})
    out["body"] = clean_html(get("body") or "")
    if not search.strip_html(out["body"]).strip() and "<img" not in out["body"]:
        errors.append({"field": "body", "message": "请填写正文"})
    from .choices import DisclosureType

    out["disclosure_type"] = get("disclosure_type") or ""
    out["disclosure_from"] = _as_date(get("disclosure_from", None), "disclosure_from", errors)
    out["disclosure_to"] = _as_date(get("disclosure_to", None), "disclosure_to", errors)
    if out["category"] == Category.DISCLOSURE:
        if out["disclosure_type"] not in DisclosureType.values:
            errors.append({"field": "disclosure_type", "message": "党务公开须选择公开类型"})
        if out["disclosure_from"] is None:
            errors.append({"field": "disclosure_from", "message": "党务公开须填写公开期"})
        if out["disclosure_to"] is None:
            errors.append({"field": "disclosure_to", "message": "党务公开须填写公开期"})
        if out["disclosure_from"] and out["disclosure_to"] and out["disclosure_from"] > out["disclosure_to"]:
            errors.append({"field": "disclosure_to", "message": "公开期结束日期不能早于开始日期"})
    else:
        out["disclosure_type"], out["disclosure_from"], out["disclosure_to"] = "", None, None
    out["publish_at"] = _as_datetime(get("publish_at", None), "publish_at", errors)
    out["requires_reading"] = _as_bool(get("requires_reading", False))
    out["read_deadline"] = _as_date(get("read_deadline", None), "read_deadline", errors)
    if not out["requires_reading"]:
        out["read_deadline"] = None
    elif out["read_deadline"] and out["read_deadline"] < timezone.localdate() and current is None:
        errors.append({"field": "read_deadline", "message": "阅读截止日期不能早于今天"})
    if errors:
        raise DomainError("文章信息有误，请修改后再保存。", errors=errors)
    return out


# --- access -------------------------------------------------------------------------------------


def access_article_for_management(user, article_id) -> Article:
    """An article the user manages (``news.view_article`` over its unit), any status; else 404."""
    try:
        return Article.objects.restrict(user, VIEW).select_related("unit", "author").get(pk=article_id)
    except (Article.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _locked(user, article_id) -> Article:
    article = access_article_for_management(user, article_id)
    return Article.objects.select_for_update().select_related("unit", "author").get(pk=article.pk)


def _unit_for_writing(user, unit_id) -> OrgUnit:
    try:
        unit = OrgUnit.objects.get(pk=unit_id)
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can(user, VIEW, unit):
        raise Http404
    if not can(user, ADD, unit):
        raise PermissionDenied
    if unit.status != UnitStatus.ACTIVE:
        raise DomainError("该组织已撤销或合并，不能发布文章。", errors=[{"field": "unit", "message": "组织不可用"}])
    return unit


def _history(article: Article, action: str, actor, comment: str = "") -> None:
    ArticleReview.objects.create(article=article, action=action, actor=actor, comment=comment[:500])


def _audit_snapshot(article: Article) -> dict:
    data = snapshot(article, AUDIT_FIELDS)
    return {k: (str(v) if isinstance(v, datetime.date | datetime.datetime) else v) for k, v in data.items()}


def _audit_changes(before: dict, article: Article) -> dict:
    return field_changes(before, _audit_snapshot(article), fields=AUDIT_FIELDS)


def _save_cover(article: Article, cover) -> None:
    clean = clean_cover(cover)
    article.cover.save(clean.name, ContentFile(clean.data), save=False)


def _add_attachments(article: Article, actor, files) -> list[ArticleAttachment]:
    cleaned = [clean_attachment(f) for f in files]  # all checked before anything is stored
    if article.attachments.count() + len(cleaned) > 20:
        raise _refuse("attachments", "每篇文章最多 20 个附件。")
    rows = []
    for c in cleaned:
        att = ArticleAttachment(
            article=article, original_name=c.name, content_type=c.content_type, size=len(c.data), uploaded_by=actor
        )
        att.file.save(c.name, ContentFile(c.data), save=False)
        att.save()
        rows.append(att)
    return rows


# --- services: writing --------------------------------------------------------------------------


def article_create(*, actor, unit_id, data: dict, cover=None, attachments=()) -> Article:
    """A draft at ``unit_id`` (``news.add_article`` there)."""
    unit = _unit_for_writing(actor, unit_id)
    fields = _clean_data(data, None)
    with transaction.atomic():
        article = Article(unit=unit, author=actor, status=ArticleStatus.DRAFT, **fields)
        if cover:
            _save_cover(article, cover)
        article.save()
        if attachments:
            _add_attachments(article, actor, attachments)
        search.index_article(article)
        audit_record(
            actor=actor,
            action="news.article.create",
            target=article,
            changes={"unit": unit.pk, "category": article.category, "title": article.title},
        )
    return article


def _require_author_edit(actor, article: Article) -> None:
    if article.author_id != actor.pk:
        raise PermissionDenied("只有作者可以修改或提交这篇文章。")
    if not can(actor, ADD, article.unit):
        raise PermissionDenied


def article_update(
    *, actor, article_id, data: dict, cover=None, remove_cover: bool = False, attachments=(), remove_attachments=()
) -> Article:
    """Edit a draft or a rejected article (the author only)."""
    with transaction.atomic():
        article = _locked(actor, article_id)
        _require_author_edit(actor, article)
        if article.status not in EDITABLE:
            raise ConflictError(f"文章“{article.title}”{article.get_status_display()}，不能修改。")
        before = _audit_snapshot(article)
        for name, value in _clean_data(data, article).items():
            setattr(article, name, value)
        if remove_cover and article.cover:
            article.cover.delete(save=False)
            article.cover = ""
        if cover:
            _save_cover(article, cover)
        article.save()
        removed = []
        if remove_attachments:
            for att in article.attachments.filter(pk__in=[int(x) for x in remove_attachments if str(x).isdigit()]):
                removed.append(att.original_name)
                att.file.delete(save=False)
                att.delete()
        added = _add_attachments(article, actor, attachments) if attachments else []
        search.index_article(article)
        changes = _audit_changes(before, article)
        if added:
            changes["attachments_added"] = [a.original_name for a in added]
        if removed:
            changes["attachments_removed"] = removed
        audit_record(actor=actor, action="news.article.update", target=article, changes=changes)
    return article


def article_submit(*, actor, article_id) -> Article:
    """draft / rejected → submitted; the policy's reviewers are notified."""
    with transaction.atomic():
        article = _locked(actor, article_id)
        _require_author_edit(actor, article)
        if article.status not in EDITABLE:
            raise ConflictError(f"文章“{article.title}”{article.get_status_display()}，不能提交审核。")
        before = article.status
        article.status = ArticleStatus.SUBMITTED
        article.save(update_fields=["status", "updated_at"])
        _history(article, ReviewAction.SUBMIT, actor)
        audit_record(
            actor=actor, action="news.article.submit", target=article, changes={"status": [before, article.status]}
        )
        reviewers = reviewers_of(article)
        if reviewers:
            notify(
                recipients=reviewers,
                category=NOTIFY_CATEGORY,
                title=f"待审核：{article.title}"[:200],
                body=f"{article.unit.name}提交了{article.get_category_display()}，请审核。",
                url=reverse("news:article", args=[article.pk]),
                actor=actor,
            )
    return article


def _require_reviewer(actor, article: Article) -> None:
    if actor.pk == article.author_id:
        raise PermissionDenied("不能审核自己撰写的文章。")
    if not may_review(actor, article):
        raise PermissionDenied("按本组织的审核设置，您不能审核这篇文章。")


def _publish_now(article: Article, actor, now) -> None:
    article.status = ArticleStatus.PUBLISHED
    article.published_at = now
    _history(article, ReviewAction.PUBLISH, actor)


@bumps_portal
def article_approve(*, actor, article_id, comment: str = "") -> Article:
    """submitted → published now, or scheduled when ``publish_at`` is in the future."""
    comment = (comment or "").strip()
    with transaction.atomic():
        article = _locked(actor, article_id)
        _require_reviewer(actor, article)
        if article.status != ArticleStatus.SUBMITTED:
            raise ConflictError(f"文章“{article.title}”{article.get_status_display()}，不能审核。")
        before = article.status
        now = timezone.now()
        _history(article, ReviewAction.APPROVE, actor, comment)
        if article.publish_at and article.publish_at > now:
            article.status = ArticleStatus.SCHEDULED
        else:
            _publish_now(article, actor, now)
        article.save(update_fields=["status", "published_at", "updated_at"])
        audit_record(
            actor=actor,
            action="news.article.approve",
            target=article,
            changes={"status": [before, article.status], "comment": comment},
        )
        notify(
            recipients=[article.author_id],
            category=NOTIFY_CATEGORY,
            title=f"已通过审核：{article.title}"[:200],
            body="已发布。"
            if article.status == ArticleStatus.PUBLISHED
            else f"将于 {article.publish_at:%Y-%m-%d %H:%M} 发布。",
            url=reverse("news:article", args=[article.pk]),
            actor=actor,
        )
    return article


def article_reject(*, actor, article_id, comment: str) -> Article:
    """submitted → rejected, with the reviewer's comment (required); the author edits and resubmits."""
    comment = (comment or "").strip()
    if not comment:
        raise DomainError("退回时必须填写意见。", errors=[{"field": "comment", "message": "请填写退回意见"}])
    with transaction.atomic():
        article = _locked(actor, article_id)
        _require_reviewer(actor, article)
        if article.status != ArticleStatus.SUBMITTED:
            raise ConflictError(f"文章“{article.title}”{article.get_status_display()}，不能退回。")
        before = article.status
        article.status = ArticleStatus.REJECTED
        article.save(update_fields=["status", "updated_at"])
        _history(article, ReviewAction.REJECT, actor, comment)
        audit_record(
            actor=actor,
            action="news.article.reject",
            target=article,
            changes={"status": [before, article.status], "comment": comment},
        )
        notify(
            recipients=[article.author_id],
            category=NOTIFY_CATEGORY,
            title=f"已退回：{article.title}"[:200],
            body=comment,
            url=reverse("news:article_edit", args=[article.pk]),
            actor=actor,
        )
    return article


def may_withdraw(user, article: Article) -> bool:
    if article.author_id == user.pk and can(user, ADD, article.unit):
        return True
    return may_review(user, article)


@bumps_portal
def article_withdraw(*, actor, article_id, reason: str) -> Article:
    """published / scheduled → withdrawn, with a reason (reviewers, or the author)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("撤回时必须填写原因。", errors=[{"field": "reason", "message": "请填写撤回原因"}])
    with transaction.atomic():
        article = _locked(actor, article_id)
        if not may_withdraw(actor, article):
            raise PermissionDenied
        if article.status not in (ArticleStatus.PUBLISHED, ArticleStatus.SCHEDULED):
            raise ConflictError(f"文章“{article.title}”{article.get_status_display()}，不能撤回。")
        before = article.status
        article.status = ArticleStatus.WITHDRAWN
        article.pinned = False
        article.save(update_fields=["status", "pinned", "updated_at"])
        _history(article, ReviewAction.WITHDRAW, actor, reason)
        audit_record(
            actor=actor,
            action="news.article.withdraw",
            target=article,
            changes={"status": [before, article.status], "reason": reason},
        )
    return article


@bumps_portal
def article_pin(*, actor, article_id, pinned: bool) -> Article:
    """Pin or unpin a published (or scheduled) article (reviewers)."""
    with transaction.atomic():
        article = _locked(actor, article_id)
        if not may_review(actor, article):
            raise PermissionDenied
        if article.status not in (ArticleStatus.PUBLISHED, ArticleStatus.SCHEDULED):
            raise ConflictError("只有已发布或定时发布的文章可以置顶。")
        if article.pinned == bool(pinned):
            return article
        article.pinned = bool(pinned)
        article.save(update_fields=["pinned", "updated_at"])
        audit_record(
            actor=actor,
            action="news.article.pin" if pinned else "news.article.unpin",
            target=article,
            changes={"pinned": [not article.pinned, article.pinned]},
        )
    return article


@bumps_portal
def publish_due(now=None) -> int:
    """Publish every scheduled article whose ``publish_at`` has passed (the job; idempotent: a
    second run finds nothing). The approver is recorded as the publisher. Returns how many."""
    now = now or timezone.now()
    count = 0
    due = list(
        Article.objects.filter(status=ArticleStatus.SCHEDULED, publish_at__lte=now).values_list("pk", flat=True)[:500]
    )
    for pk in due:
        with transaction.atomic():
            updated = Article.objects.filter(pk=pk, status=ArticleStatus.SCHEDULED, publish_at__lte=now).update(
                status=ArticleStatus.PUBLISHED, published_at=now, updated_at=now
            )
            if not updated:
                continue  # published (or withdrawn) meanwhile
            article = Article.objects.select_related("unit").get(pk=pk)
            approver = (
                ArticleReview.objects.filter(article=article, action=ReviewAction.APPROVE)
                .order_by("-at", "-id")
                .values_list("actor_id", flat=True)
                .first()
            )
            ArticleReview.objects.create(
                article=article,
                action=ReviewAction.PUBLISH,
                actor_id=approver or article.author_id,
                comment="定时发布",
            )
            audit_record(
                actor=None,
                action="news.article.publish",
                target=article,
                changes={"status": [ArticleStatus.SCHEDULED, ArticleStatus.PUBLISHED], "scheduled": True},
            )
            count += 1
    return count


# --- policy -------------------------------------------------------------------------------------


@bumps_portal
def policy_update(*, actor, unit_id, data: dict) -> NewsPolicy:
    """Set a unit's policy (``news.change_newspolicy`` at the unit)."""
    try:
        unit = OrgUnit.objects.get(pk=unit_id)
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can(actor, VIEW, unit):
        raise Http404
    if not can(actor, CHANGE_POLICY, unit):
        raise PermissionDenied
    reviewer = data.get("reviewer", Reviewer.PUBLICITY_OR_SECRETARY)
    if reviewer not in Reviewer.values:
        raise DomainError("请选择审核人。", errors=[{"field": "reviewer", "message": "请选择审核人"}])
    fields = ("reviewer", "public_board", "hold_comments")
    with transaction.atomic():
        policy = NewsPolicy.objects.select_for_update().filter(unit=unit).first()
        before = snapshot(policy, fields) if policy else {f: None for f in fields}
        if policy is None:
            policy = NewsPolicy(unit=unit)
        policy.reviewer = reviewer
        policy.public_board = _as_bool(data.get("public_board", False))
        policy.hold_comments = _as_bool(data.get("hold_comments", False))
        policy.updated_by = actor
        policy.save()
        audit_record(
            actor=actor,
            action="news.policy.update",
            target=policy,
            changes=field_changes(before, policy, fields=fields) | {"unit": unit.pk},
        )
    return policy


# --- read receipts -----------------------------------------------------------------------------


def in_audience(reader, article: Article) -> bool:
    """Whether the reader's person is asked to read ``article`` (see ``visibility.audience_q``)."""
    if reader.person_id is None or not article.requires_reading or not reader.unit_path:
        return False
    if not reader.unit_path.startswith(article.unit.path):
        return False
    return article.visibility != Visibility.MEMBERS or reader.party_member


def record_read(*, user, article: Article) -> bool:
    """Opening a published article that requires reading, as a person of its audience, writes a
    receipt the first time; returns whether the person has read it (now or before)."""
    reader = reader_of(user)
    if article.status != ArticleStatus.PUBLISHED or not in_audience(reader, article):
        return False
    if ReadReceipt.objects.filter(article=article, person_id=reader.person_id).exists():
        return True
    if not Person.objects.filter(audience_q(article), pk=reader.person_id).exists():
        return False  # e.g. no longer on the roster
    try:
        with transaction.atomic():
            receipt = ReadReceipt.objects.create(article=article, person_id=reader.person_id)
            audit_record(
                actor=user,
                action="news.receipt.create",
                target=article,
                changes={"person": reader.person_id, "read_at": receipt.read_at.isoformat()},
            )
    except IntegrityError:
        pass  # a second tab won the race: read once
    return True


@dataclass
class UnitRate:
    unit_id: int | None
    name: str
    path: str
    audience: int
    read: int

    @property
    def rate(self) -> float:
        return round(100.0 * self.read / self.audience, 1) if self.audience else 0.0


@dataclass
class ReceiptStats:
    audience: int
    read: int
    units: list[UnitRate]

    @property
    def rate(self) -> float:
        return round(100.0 * self.read / self.audience, 1) if self.audience else 0.0


def receipt_stats(article: Article) -> ReceiptStats:
    """Read rate overall and per child unit of the article's unit (persons at the unit itself form
    their own row). Two queries: one grouped count of the audience (and of those with a receipt)
    by child-unit path, one for the child units' names."""
    base = article.unit.path
    n = len(base)
    has_read = Exists(ReadReceipt.objects.filter(article=article, person_id=OuterRef("pk")))
    # The child unit's path: the person's path up to the first "/" after the article unit's path.
    rest = Substr("unit__path", n + 1)
    key = Substr("unit__path", 1, Value(n, output_field=IntegerField()) + StrIndex(rest, Value("/")))
    rows = list(
        Person.objects.filter(audience_q(article))
        .annotate(child=key, has_read=has_read)
        .values("child")
        .annotate(total=Count("pk"), read=Count("pk", filter=Q(has_read=True)))
        .order_by("child")
    )
    info = {
        path: (pk, name)
        for path, pk, name in OrgUnit.objects.filter(path__in=[r["child"] for r in rows]).values_list(
            "path", "pk", "name"
        )
    }
    units = []
    for r in rows:
        own = r["child"] == base
        units.append(
            UnitRate(
                unit_id=info.get(r["child"], (None, ""))[0],
                name=info.get(r["child"], (None, ""))[1] + ("（本级）" if own else ""),
                path=r["child"],
                audience=r["total"],
                read=r["read"],
            )
        )
    units.sort(key=lambda u: (u.path != base, u.name))
    return ReceiptStats(audience=sum(u.audience for u in units), read=sum(u.read for u in units), units=units)


def unread_people(article: Article, unit: OrgUnit | None = None):
    """The audience persons without a receipt (ordered by unit and name), optionally below ``unit``."""
    qs = Person.objects.filter(audience_q(article)).exclude(read_receipts__article=article)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return (
        qs.select_related("unit")
        .only("id", "name", "unit__name", "unit__path", "user_id")
        .order_by("unit__path", "name", "id")
    )


def may_see_receipts(user, article: Article) -> bool:
    return can(user, VIEW, article.unit) and (article.author_id == user.pk or can(user, ADD, article.unit))


REMIND_TITLE = "阅读提醒"


def _remind(article: Article, actor, today: datetime.date) -> int:
    from cloudbranch.notifications.models import Notification

    url = reverse("news:article", args=[article.pk])
    user_ids = set(unread_people(article).exclude(user_id=None).values_list("user_id", flat=True))
    already = set(
        Notification.objects.filter(
            category=NOTIFY_CATEGORY,
            url=url,
            title__startswith=REMIND_TITLE,
            created_at__date=today,
            recipient_id__in=user_ids,
        ).values_list("recipient_id", flat=True)
    )
    recipients = sorted(user_ids - already)
    if recipients:
        deadline = f"，请在 {article.read_deadline:%Y-%m-%d} 前阅读" if article.read_deadline else ""
        notify(
            recipients=recipients,
            category=NOTIFY_CATEGORY,
            title=f"{REMIND_TITLE}：{article.title}"[:200],
            body=f"{article.unit.name}的{article.get_category_display()}要求阅读{deadline}。",
            url=url,
            actor=actor,
        )
    return len(recipients)


def remind_unread(*, actor, article_id) -> int:
    """Remind the audience persons who have not read (at most once a day each); returns how many."""
    with transaction.atomic():
        article = access_article_for_management(actor, article_id)
        if not may_see_receipts(actor, article):
            raise PermissionDenied
        if article.status != ArticleStatus.PUBLISHED or not article.requires_reading:
            raise ConflictError("只有已发布且要求阅读的文章可以提醒。")
        count = _remind(article, actor, timezone.localdate())
        audit_record(actor=actor, action="news.receipt.remind", target=article, changes={"reminded": count})
    return count


REMIND_DAYS_BEFORE = 2


def send_read_reminders(today: datetime.date | None = None) -> int:
    """The daily job: for published articles requiring reading whose ``read_deadline`` is within
    ``REMIND_DAYS_BEFORE`` days, remind the unread (once a day each: idempotent). Returns how many."""
    today = today or timezone.localdate()
    total = 0
    articles = Article.objects.filter(
        status=ArticleStatus.PUBLISHED,
        requires_reading=True,
        read_deadline__gte=today,
        read_deadline__lte=today + datetime.timedelta(days=REMIND_DAYS_BEFORE),
    ).select_related("unit")
    for article in articles:
        with transaction.atomic():
            count = _remind(article, None, today)
            if count:
                audit_record(actor=None, action="news.receipt.remind", target=article, changes={"reminded": count})
        total += count
    return total


# --- selectors ----------------------------------------------------------------------------------


@dataclass
class ArticleFilters:
    category: str = ""
    q: str = ""
    unit_id: int | None = None
    status: str = ""

    @classmethod
    def from_params(cls, params) -> ArticleFilters:
        category = params.get("category", "") or ""
        status = params.get("status", "") or ""
        unit = str(params.get("unit", "") or "")
        return cls(
            category=category if category in Category.values else "",
            q=(params.get("q", "") or "").strip()[:100],
            unit_id=int(unit) if unit.isdigit() and int(unit) < 2**31 else None,
            status=status if status in ArticleStatus.values or status == "review" else "",
        )


def _unit_filter(qs, unit_id):
    if unit_id:
        path = OrgUnit.objects.filter(pk=unit_id).values_list("path", flat=True).first()
        qs = qs.filter(unit__path__startswith=path) if path else qs.none()
    return qs


def article_list(user, filters: ArticleFilters):
    """The reader list: published articles ``user`` may read, pinned first then newest; a search
    orders by relevance. Each row carries ``is_unread`` (requires reading, in the audience, no receipt)."""
    qs = visible_articles(user).select_related("unit")
    if filters.category:
        qs = qs.filter(category=filters.category)
    qs = _unit_filter(qs, filters.unit_id)
    reader = reader_of(user)
    if reader.person_id is not None and reader.unit_path:
        asked = Q(requires_reading=True, unit__path__in=_ancestor_paths(reader.unit_path))
        if not reader.party_member:
            asked &= ~Q(visibility=Visibility.MEMBERS)
        receipt = ReadReceipt.objects.filter(article=OuterRef("pk"), person_id=reader.person_id)
        qs = qs.annotate(is_unread=ExpressionWrapper(asked & ~Exists(receipt), output_field=BooleanField()))
    ranked = False
    if filters.q:
        qs, ranked = search.search_articles(qs, filters.q)
    if ranked:
        return qs.order_by("-search_rank", "-published_at", "-id")
    return qs.order_by("-pinned", "-published_at", "-id")


def unread_count(user) -> int:
    """Published articles requiring reading whose audience holds the user and that they have not read."""
    reader = reader_of(user)
    if reader.person_id is None or not reader.unit_path:
        return 0
    qs = visible_articles(user).filter(requires_reading=True, unit__path__in=_ancestor_paths(reader.unit_path))
    if not reader.party_member:
        qs = qs.exclude(visibility=Visibility.MEMBERS)
    return qs.exclude(receipts__person_id=reader.person_id).count()


def manage_list(user, filters: ArticleFilters):
    """Articles in the user's ``news.view_article`` scope, any status (news:manage)."""
    qs = Article.objects.restrict(user, VIEW).select_related("unit", "author")
    if filters.status == "review":
        return review_queue(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category=filters.category)
    qs = _unit_filter(qs, filters.unit_id)
    if filters.q:
        qs, ranked = search.search_articles(qs, filters.q)
        if ranked:
            return qs.order_by("-search_rank", "-id")
    return qs.order_by("-updated_at", "-id")


def review_queue(user):
    """Submitted articles the user may approve: ``news.review_article`` scope, units where the
    user holds the policy's role at the unit or above, not their own."""
    prefixes = granted_prefixes(user, REVIEW)
    if not prefixes:
        return Article.objects.none()
    qs = (
        Article.objects.restrict(user, REVIEW)
        .filter(status=ArticleStatus.SUBMITTED)
        .exclude(author_id=user.pk)
        .select_related("unit", "author")
    )
    roles = set(
        RoleAssignment.objects.active()
        .filter(user_id=user.pk, unit__status=UnitStatus.ACTIVE)
        .values_list("role", "unit__path")
    )
    # For each reviewer setting, the unit paths under which this user holds a matching role.
    cond = Q(pk__in=[])
    for setting, allowed in REVIEWER_ROLES.items():
        paths = tuple(sorted({p for r, p in roles if r in allowed}))
        if not paths:
            continue
        under = Q()
        for p in paths:
            under |= Q(unit__path__startswith=p)
        if setting == Reviewer.PUBLICITY_OR_SECRETARY:
            setting_q = Q(unit__news_policy__isnull=True) | Q(unit__news_policy__reviewer=setting)
        else:
            setting_q = Q(unit__news_policy__reviewer=setting)
        cond |= setting_q & under
    return qs.filter(cond).order_by("updated_at", "id")


def access_article_for_reading(user, article_id) -> tuple[Article, bool]:
    """``(article, preview)``: a published article the user may read, or — for its managers — any
    article of their scope as a preview. Anything else is a 404."""
    try:
        article = Article.objects.select_related("unit", "author").get(pk=article_id)
    except (Article.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    reader = reader_of(user)
    if article.status == ArticleStatus.PUBLISHED and readable_by(reader, article):
        return article, False
    if user.is_authenticated and can(user, VIEW, article.unit):
        return article, True
    raise Http404


def access_attachment(user, attachment_id) -> ArticleAttachment:
    """An attachment of an article the user may read (or manage); 404 otherwise."""
    try:
        att = ArticleAttachment.objects.select_related("article__unit").get(pk=attachment_id)
    except (ArticleAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    access_article_for_reading(user, att.article_id)
    return att


def history_of(article: Article):
    return article.reviews.select_related("actor").order_by("at", "id")


def review_units(user):
    """Units where the user may write articles (for the create form)."""
    prefixes = granted_prefixes(user, ADD)
    if not prefixes:
        return OrgUnit.objects.none()
    q = Q()
    for p in prefixes:
        q |= Q(path__startswith=p)
    return OrgUnit.objects.filter(q, status=UnitStatus.ACTIVE).order_by("path")


def policy_units(user):
    prefixes = granted_prefixes(user, CHANGE_POLICY)
    if not prefixes:
        return OrgUnit.objects.none()
    q = Q()
    for p in prefixes:
        q |= Q(path__startswith=p)
    return OrgUnit.objects.filter(q, status=UnitStatus.ACTIVE).order_by("path")
