"""Resources and topics (专题): services (writes) and selectors (reads), SPEC §3 / issue 5 item 1.

* Managers: ``learning.add_resource`` at the publishing unit creates; ``learning.change_resource``
  at the resource's unit edits, publishes and withdraws. Outside their scope a resource is not
  found (404); visible (``view_resource``) but not changeable → 403. Every write is audited.
* Members read what ``audience.visible_to_person`` allows (published, audience covering their
  unit); a manager may also open (preview) anything their ``view_resource`` grants cover.
* Article bodies are sanitized with nh3 on every save (``sanitize_html``); uploaded media and PDFs
  are checked by extension, declared content type, first bytes and size (``check_upload``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.core.html import clean_html
from cloudbranch.core.html import safe_url as _safe_url
from cloudbranch.orgs.choices import UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can, granted_prefixes, scope_q

from . import search
from .audience import audience_q, may_see, viewer_person, visible_to_person
from .choices import Area, Audience, Column, PublishStatus, ResourceKind
from .models import KnowledgePoint, Resource, StudyProgress, Topic, TopicItem

VIEW = "learning.view_resource"
ADD = "learning.add_resource"
CHANGE = "learning.change_resource"
MEDIA_KINDS = (ResourceKind.VIDEO, ResourceKind.AUDIO)
FILE_KINDS = (ResourceKind.VIDEO, ResourceKind.AUDIO, ResourceKind.PDF)

# --- sanitizing article bodies ----------------------------------------------------------------

# The house policy lives in core (news uses it too); ``sanitize_html`` is its name here.
sanitize_html = clean_html


# --- uploads ----------------------------------------------------------------------------------

MB = 1024 * 1024
UPLOAD_TYPES = {
    ResourceKind.VIDEO: {".mp4": "video/mp4", ".webm": "video/webm"},
    ResourceKind.AUDIO: {".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".ogg": "audio/ogg", ".wav": "audio/wav"},
    ResourceKind.PDF: {".pdf": "application/pdf"},
}
# What browsers declare for these extensions (the declared type must be one of them).
DECLARED_TYPES = {
    ".mp4": {"video/mp4", "application/mp4"},
    ".webm": {"video/webm", "audio/webm"},
    ".mp3": {"audio/mpeg", "audio/mp3", "audio/mpeg3", "audio/x-mpeg-3"},
    ".m4a": {"audio/mp4", "audio/x-m4a", "audio/m4a", "audio/aac"},
    ".ogg": {"audio/ogg", "application/ogg", "video/ogg"},
    ".wav": {"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"},
    ".pdf": {"application/pdf", "application/x-pdf"},
}


def max_upload_bytes() -> int:
    return int(getattr(settings, "LEARNING_MAX_UPLOAD_BYTES", 500 * MB))


def _magic_ok(ext: str, head: bytes) -> bool:
    if ext in (".mp4", ".m4a"):
        return head[4:8] == b"ftyp"
    if ext == ".webm":
        return head[:4] == b"\x1a\x45\xdf\xa3"
    if ext == ".ogg":
        return head[:4] == b"OggS"
    if ext == ".wav":
        return head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    if ext == ".mp3":
        return head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    if ext == ".pdf":
        return head[:5] == b"%PDF-"
    return False


def _file_error(message: str) -> DomainError:
    return DomainError(message, errors=[{"field": "file", "message": message}])


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str


def check_upload(kind: str, uploaded_file) -> CheckedUpload:
    """Accept a video (mp4/webm), audio (mp3/m4a/ogg) or PDF by extension, declared content type
    and first bytes, not larger than ``LEARNING_MAX_UPLOAD_BYTES`` (500 MB by default)."""
    allowed = UPLOAD_TYPES.get(kind, {})
    name = os.path.basename(getattr(uploaded_file, "name", "") or "").strip() or "file"
    ext = os.path.splitext(name)[1].lower()
    if ext not in allowed:
        hint = "、".join(e.lstrip(".").upper() for e in allowed)
        raise _file_error(f"文件“{name}”的类型不符，{ResourceKind(kind).label}只接受 {hint} 文件。")
    declared = (getattr(uploaded_file, "content_type", "") or "").split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream" and declared not in DECLARED_TYPES[ext]:
        raise _file_error(f"文件“{name}”的内容类型（{declared}）与扩展名不符。")
    limit = max_upload_bytes()
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise _file_error(f"文件“{name}”超过 {limit // MB} MB，不能上传。")
    uploaded_file.seek(0)
    head = uploaded_file.read(16)
    uploaded_file.seek(0)
    if not _magic_ok(ext, head):
        raise _file_error(f"文件“{name}”的内容不是有效的 {ext.lstrip('.').upper()} 文件。")
    safe = re.sub(r"[^\w.\-\u4e00-\u9fff]+", "_", name)[-80:]
    return CheckedUpload(name=safe, content_type=allowed[ext])


# --- knowledge points -------------------------------------------------------------------------

_KP_SPLIT = re.compile(r"[,，、;；\s]+")


def parse_knowledge_points(value) -> list[str]:
    """``"党章, 两个确立、四个意识"`` or a list → distinct names (in order)."""
    items = value if isinstance(value, list | tuple) else _KP_SPLIT.split(value or "")
    names: list[str] = []
    for item in items:
        name = str(item).strip()[:60]
        if name and name not in names:
            names.append(name)
    return names


def knowledge_points_by_name(names: list[str]) -> list[KnowledgePoint]:
    """The knowledge points of these names, creating those that do not exist yet."""
    if not names:
        return []
    existing = {kp.name: kp for kp in KnowledgePoint.objects.filter(name__in=names)}
    missing = [KnowledgePoint(name=n) for n in names if n not in existing]
    if missing:
        KnowledgePoint.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {kp.name: kp for kp in KnowledgePoint.objects.filter(name__in=names)}
    return [existing[n] for n in names if n in existing]


# --- writing resources ------------------------------------------------------------------------

RESOURCE_FIELDS = (
    "kind", "title", "summary", "body", "external_url", "duration_seconds", "column", "area", "unit_id",
    "audience", "author", "min_seconds", "min_percent",
)  # fmt: skip
AUDITED_FIELDS = (*RESOURCE_FIELDS, "file", "status")


def _clean_data(data: dict, *, current: Resource | None) -> tuple[dict, list[dict]]:
    errors: list[dict] = []
    out = {}
    kind = data.get("kind", current.kind if current else "")
    if kind not in ResourceKind.values:
        errors.append({"field": "kind", "message": "请选择资源类型"})
    out["kind"] = kind
    title = (data.get("title", current.title if current else "") or "").strip()
    if not title:
        errors.append({"field": "title", "message": "请填写标题"})
    elif len(title) > 200:
        errors.append({"field": "title", "message": "标题不能超过 200 字"})
    out["title"] = title
    summary = (data.get("summary", current.summary if current else "") or "").strip()
    if len(summary) > 500:
        errors.append({"field": "summary", "message": "摘要不能超过 500 字"})
    out["summary"] = summary
    body = data.get("body", current.body if current else "") or ""
    out["body"] = sanitize_html(body) if kind == ResourceKind.ARTICLE else ""
    if kind == ResourceKind.ARTICLE and not search.strip_html(out["body"]).strip():
        errors.append({"field": "body", "message": "图文资源须有正文"})
    url = (data.get("external_url", current.external_url if current else "") or "").strip()
    if kind == ResourceKind.LINK:
        if not _safe_url(url, allow_media=False) or len(url) > 500:
            errors.append({"field": "external_url", "message": "外部链接须以 http:// 或 https:// 开头"})
    else:
        url = ""
    out["external_url"] = url
    column = data.get("column", current.column if current else "")
    if column not in Column.values:
        errors.append({"field": "column", "message": "请选择栏目"})
    out["column"] = column
    area = data.get("area", current.area if current else "") or ""
    if area and area not in Area.values:
        errors.append({"field": "area", "message": "建设领域不正确"})
    out["area"] = area
    audience = data.get("audience", current.audience if current else Audience.SUBTREE) or Audience.SUBTREE
    if audience not in Audience.values:
        errors.append({"field": "audience", "message": "可见范围不正确"})
    out["audience"] = audience
    out["author"] = (data.get("author", current.author if current else "") or "").strip()[:100]
    for name, default, low, high, label in (
        ("duration_seconds", 0, 0, 24 * 3600, "时长"),
        ("min_seconds", 60, 0, 4 * 3600, "完成所需阅读时长"),
        ("min_percent", 90, 1, 100, "完成所需观看比例"),
    ):
        raw = data.get(name, getattr(current, name) if current else default)
        try:
            value = int(raw if raw not in (None, "") else default)
        except (TypeError, ValueError):
            value = None
        if value is None or not low <= value <= high:
            errors.append({"field": name, "message": f"{label}应在 {low}–{high} 之间"})
            value = default
        out[name] = value
    return out, errors


def _store_file(resource: Resource, uploaded_file, checked: CheckedUpload) -> None:
    resource.file.save(checked.name, uploaded_file, save=False)
    resource.content_type = checked.content_type


def resource_create(*, actor, unit_id: int, data: dict, uploaded_file=None, knowledge_points=()) -> Resource:
    """Create a draft resource published by ``unit_id`` (``learning.add_resource`` there)."""
    unit = access_by_id(actor, OrgUnit, unit_id, action=ADD)
    if unit.status != UnitStatus.ACTIVE:
        raise DomainError(
            "该组织已撤销或合并，不能发布学习资源", errors=[{"field": "unit_id", "message": "组织不可用"}]
        )
    fields, errors = _clean_data(data, current=None)
    checked = None
    if fields["kind"] in FILE_KINDS:
        if uploaded_file is None:
            errors.append({"field": "file", "message": "请上传文件"})
        else:
            try:
                checked = check_upload(fields["kind"], uploaded_file)
            except DomainError as exc:
                errors.extend(exc.errors)
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)
    with transaction.atomic():
        resource = Resource(unit=unit, created_by=actor, status=PublishStatus.DRAFT, **fields)
        if checked:
            _store_file(resource, uploaded_file, checked)
        resource.save(force_insert=True)
        resource.knowledge_points.set(knowledge_points_by_name(parse_knowledge_points(knowledge_points)))
        search.index_resource(resource)
        audit_record(
            actor=actor,
            action="learning.resource.create",
            target=resource,
            changes={f: {"new": _audit_value(getattr(resource, f))} for f in AUDITED_FIELDS if f != "body"}
            | {"knowledge_points": {"new": parse_knowledge_points(knowledge_points)}},
        )
    return resource


def _audit_value(value):
    return value.name if hasattr(value, "name") and hasattr(value, "storage") else value


def access_resource_for_change(user, resource_id) -> Resource:
    """404 outside the user's ``view_resource`` scope, 403 without ``change_resource`` there."""
    return access_by_id(user, Resource, resource_id, action=CHANGE, queryset=Resource.objects.select_related("unit"))


def resource_update(
    *, actor, resource_id: int, data: dict, uploaded_file=None, knowledge_points=None, unit_id: int | None = None
) -> Resource:
    """Edit a resource; a new file replaces the old one (removed after commit). Moving it to another
    unit needs ``add_resource`` there."""
    resource = access_resource_for_change(actor, resource_id)
    unit = resource.unit
    if unit_id is not None and int(unit_id) != resource.unit_id:
        unit = access_by_id(actor, OrgUnit, unit_id, action=ADD)
    fields, errors = _clean_data(data, current=resource)
    checked = None
    if uploaded_file is not None and fields["kind"] in FILE_KINDS:
        try:
            checked = check_upload(fields["kind"], uploaded_file)
        except DomainError as exc:
            errors.extend(exc.errors)
    elif fields["kind"] in FILE_KINDS and (not resource.file or fields["kind"] != resource.kind):
        errors.append({"field": "file", "message": "请上传文件"})
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        before = snapshot(resource, AUDITED_FIELDS) | {
            "knowledge_points": sorted(resource.knowledge_points.values_list("name", flat=True)),
            "file": resource.file.name,
        }
        old_file = resource.file.name
        for name, value in fields.items():
            setattr(resource, name, value)
        resource.unit = unit
        if checked:
            _store_file(resource, uploaded_file, checked)
        elif resource.kind not in FILE_KINDS and resource.file:
            resource.file = ""
            resource.content_type = ""
        resource.save()
        if knowledge_points is not None:
            resource.knowledge_points.set(knowledge_points_by_name(parse_knowledge_points(knowledge_points)))
        search.index_resource(resource)
        after = {f: getattr(resource, f) for f in AUDITED_FIELDS} | {
            "knowledge_points": sorted(resource.knowledge_points.values_list("name", flat=True)),
            "file": resource.file.name,
        }
        changes = field_changes(before, after, fields=(*AUDITED_FIELDS, "knowledge_points"))
        if "body" in changes:
            changes["body"] = {"changed": True}
        if changes:
            audit_record(actor=actor, action="learning.resource.update", target=resource, changes=changes)
        if old_file and old_file != resource.file.name:
            storage = resource.file.storage
            transaction.on_commit(lambda: storage.delete(old_file))
    return resource


def _transition(*, actor, resource_id: int, to: str, allowed_from: tuple, message: str, action: str) -> Resource:
    resource = access_resource_for_change(actor, resource_id)
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        if resource.status not in allowed_from:
            raise ConflictError(message)
        old = resource.status
        resource.status = to
        fields = ["status", "updated_at"]
        if to == PublishStatus.PUBLISHED:
            resource.published_at = timezone.now()
            fields.append("published_at")
        resource.save(update_fields=fields)
        audit_record(actor=actor, action=action, target=resource, changes={"status": {"old": old, "new": to}})
    return resource


def resource_publish(*, actor, resource_id: int) -> Resource:
    """Draft or withdrawn → published (its audience sees it from now on)."""
    return _transition(
        actor=actor,
        resource_id=resource_id,
        to=PublishStatus.PUBLISHED,
        allowed_from=(PublishStatus.DRAFT, PublishStatus.WITHDRAWN),
        message="资源已发布",
        action="learning.resource.publish",
    )


def resource_withdraw(*, actor, resource_id: int) -> Resource:
    """Published → withdrawn (members no longer see it; study records stay)."""
    return _transition(
        actor=actor,
        resource_id=resource_id,
        to=PublishStatus.WITHDRAWN,
        allowed_from=(PublishStatus.PUBLISHED,),
        message="只有已发布的资源可以撤回",
        action="learning.resource.withdraw",
    )


# --- reading resources ------------------------------------------------------------------------


@dataclass
class ResourceFilters:
    column: str = ""
    area: str = ""
    kp: int | None = None
    q: str = ""
    kind: str = ""
    status: str = ""
    unit: int | None = None

    @classmethod
    def from_params(cls, params) -> ResourceFilters:
        def _int(v):
            try:
                value = int(v)
            except (TypeError, ValueError):
                return None
            return value if 0 < value < 2**31 else None

        column = params.get("column") or ""
        area = params.get("area") or ""
        kind = params.get("kind") or ""
        status = params.get("status") or ""
        return cls(
            column=column if column in Column.values else "",
            area=area if area in Area.values else "",
            kp=_int(params.get("kp")),
            q=(params.get("q") or "").strip()[:100],
            kind=kind if kind in ResourceKind.values else "",
            status=status if status in PublishStatus.values else "",
            unit=_int(params.get("unit")),
        )


def _filtered(qs, filters: ResourceFilters):
    if filters.column:
        qs = qs.filter(column=filters.column)
    if filters.area:
        qs = qs.filter(area=filters.area)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.kp:
        qs = qs.filter(knowledge_points=filters.kp)
    ranked = False
    if filters.q:
        qs, ranked = search.apply_search(qs, filters.q)
    return qs, ranked


def readable_resources(user, *, published_only: bool = True):
    """Resources ``user`` may read: published for their person's audience, plus (managers) what
    their ``view_resource`` grants cover (drafts too, unless ``published_only``)."""
    return _readable(Resource, user, published_only=published_only)


def _readable(model, user, *, published_only: bool):
    person = viewer_person(user)
    cond = Q(pk__in=[])
    if person is not None:
        cond = audience_q(person.unit.path) & Q(status=PublishStatus.PUBLISHED)
    prefixes = granted_prefixes(user, VIEW)
    if prefixes:
        grant = scope_q("unit__path", prefixes)
        if published_only:
            grant &= Q(status=PublishStatus.PUBLISHED)
        cond |= grant
    return model.objects.filter(cond)


def resource_list(user, filters: ResourceFilters):
    """The member's resource list: published and readable, newest first (best match first when
    searching), with the unit and whether the user has completed each (``done``)."""
    person = viewer_person(user)
    qs = readable_resources(user).select_related("unit").defer("body", "search_text")
    qs, ranked = _filtered(qs, filters)
    if person is not None:
        qs = qs.annotate(
            done=Exists(
                StudyProgress.objects.filter(resource=OuterRef("pk"), person=person, completed_at__isnull=False)
            )
        )
    order = ["-search_rank", "-published_at", "-id"] if ranked else ["-published_at", "-id"]
    return qs.order_by(*order)


def manage_resource_list(user, filters: ResourceFilters):
    """Resources in the manager's ``view_resource`` scope, any status."""
    qs = Resource.objects.restrict(user, VIEW).select_related("unit").defer("body", "search_text")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.unit:
        qs = qs.filter(unit_id=filters.unit)
    qs, ranked = _filtered(qs, filters)
    order = ["-search_rank", "-id"] if ranked else ["-updated_at", "-id"]
    return qs.order_by(*order)


def access_resource_for_reading(user, resource_id) -> Resource:
    """A resource the user may read (published for them, or in their ``view_resource`` scope),
    with its unit and knowledge points; otherwise 404 — a sibling branch's resource does not exist
    for them."""
    try:
        pk = int(resource_id)
    except (TypeError, ValueError):
        raise Http404 from None
    resource = Resource.objects.select_related("unit").prefetch_related("knowledge_points").filter(pk=pk).first()
    if resource is None:
        raise Http404
    person = viewer_person(user)
    if may_see(person, resource):
        return resource
    prefixes = granted_prefixes(user, VIEW)
    if prefixes and resource.unit.path.startswith(prefixes):
        return resource
    raise Http404


def require_reader(user):
    """The user's person (or None for a manager without one); 403 for anybody else: readers are
    members on the roster and holders of ``view_resource``."""
    person = viewer_person(user)
    if person is None and not granted_prefixes(user, VIEW):
        raise PermissionDenied
    return person


def may_change(user, obj) -> bool:
    return can(user, CHANGE, obj.unit)


def progress_of(person, resource) -> StudyProgress | None:
    if person is None:
        return None
    return StudyProgress.objects.filter(person=person, resource=resource).first()


def recommended(person, *, limit: int = 5) -> list[Resource]:
    """Latest unread (not started) published resources for the person, from the columns they
    have studied in (all columns when they have not studied yet)."""
    if person is None:
        return []
    base = visible_to_person(Resource.objects.all(), person)
    columns = list(
        StudyProgress.objects.filter(person=person).values_list("resource__column", flat=True).distinct()[:10]
    )
    studied = StudyProgress.objects.filter(person=person, resource=OuterRef("pk"))
    qs = base.filter(~Exists(studied))
    if columns:
        qs = qs.filter(column__in=columns)
    return list(qs.select_related("unit").order_by("-published_at", "-id")[:limit])


def column_latest(person, *, per_column: int = 4) -> list[tuple[str, str, list[Resource]]]:
    """For the learning home: each column's latest published resources visible to the person
    (one query per column — five columns, a constant)."""
    if person is None:
        return []
    base = visible_to_person(Resource.objects.all(), person).select_related("unit")
    return [
        (value, label, list(base.filter(column=value).order_by("-published_at", "-id")[:per_column]))
        for value, label in Column.choices
    ]


# --- topics -----------------------------------------------------------------------------------

TOPIC_FIELDS = ("title", "description", "audience", "unit_id")


def _topic_fields(data: dict, current: Topic | None) -> tuple[dict, list[dict]]:
    errors = []
    title = (data.get("title", current.title if current else "") or "").strip()
    if not title:
        errors.append({"field": "title", "message": "请填写专题名称"})
    elif len(title) > 200:
        errors.append({"field": "title", "message": "专题名称不能超过 200 字"})
    audience = data.get("audience", current.audience if current else Audience.SUBTREE) or Audience.SUBTREE
    if audience not in Audience.values:
        errors.append({"field": "audience", "message": "可见范围不正确"})
    description = (data.get("description", current.description if current else "") or "").strip()
    return {"title": title, "description": description, "audience": audience}, errors


def topic_create(*, actor, unit_id: int, data: dict) -> Topic:
    unit = access_by_id(actor, OrgUnit, unit_id, action=ADD)
    fields, errors = _topic_fields(data, None)
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)
    with transaction.atomic():
        topic = Topic.objects.create(unit=unit, created_by=actor, **fields)
        audit_record(
            actor=actor,
            action="learning.topic.create",
            target=topic,
            changes={k: {"new": v} for k, v in fields.items()} | {"unit": {"new": unit.pk}},
        )
    return topic


def access_topic_for_change(user, topic_id) -> Topic:
    return access_by_id(user, Topic, topic_id, action=CHANGE, view=VIEW, queryset=Topic.objects.select_related("unit"))


def topic_update(*, actor, topic_id: int, data: dict) -> Topic:
    topic = access_topic_for_change(actor, topic_id)
    fields, errors = _topic_fields(data, topic)
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)
    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        before = snapshot(topic, fields.keys())
        for k, v in fields.items():
            setattr(topic, k, v)
        changes = field_changes(before, topic, fields=fields.keys())
        if changes:
            topic.save(update_fields=list(fields))
            audit_record(actor=actor, action="learning.topic.update", target=topic, changes=changes)
    return topic


def topic_set_status(*, actor, topic_id: int, publish: bool) -> Topic:
    topic = access_topic_for_change(actor, topic_id)
    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        target = PublishStatus.PUBLISHED if publish else PublishStatus.WITHDRAWN
        if publish and topic.status == PublishStatus.PUBLISHED:
            raise ConflictError("专题已发布")
        if not publish and topic.status != PublishStatus.PUBLISHED:
            raise ConflictError("只有已发布的专题可以撤回")
        if publish and not topic.items.exists():
            raise DomainError("专题还没有任何资源，不能发布")
        old = topic.status
        topic.status = target
        if publish:
            topic.published_at = timezone.now()
        topic.save(update_fields=["status", "published_at"])
        audit_record(
            actor=actor,
            action="learning.topic.publish" if publish else "learning.topic.withdraw",
            target=topic,
            changes={"status": {"old": old, "new": target}},
        )
    return topic


def _item_resource(actor, topic: Topic, resource_id) -> Resource:
    """A resource that may go on the topic's list: in the actor's ``view_resource`` scope, or
    published for an audience that covers the topic's unit."""
    try:
        pk = int(resource_id)
    except (TypeError, ValueError):
        raise DomainError("请选择资源", errors=[{"field": "resource_id", "message": "请选择资源"}]) from None
    cond = scope_q("unit__path", granted_prefixes(actor, VIEW) or ("\0",)) | (
        audience_q(topic.unit.path) & Q(status=PublishStatus.PUBLISHED)
    )
    resource = Resource.objects.filter(cond, pk=pk).first()
    if resource is None:
        raise DomainError("找不到该资源", errors=[{"field": "resource_id", "message": "找不到该资源"}])
    return resource


def topic_item_add(*, actor, topic_id: int, resource_id: int) -> TopicItem:
    topic = access_topic_for_change(actor, topic_id)
    resource = _item_resource(actor, topic, resource_id)
    with transaction.atomic():
        Topic.objects.select_for_update().get(pk=topic.pk)
        if TopicItem.objects.filter(topic=topic, resource=resource).exists():
            raise ConflictError("该资源已在专题中")
        last = TopicItem.objects.filter(topic=topic).order_by("-position").values_list("position", flat=True).first()
        item = TopicItem.objects.create(topic=topic, resource=resource, position=(last or 0) + 1)
        audit_record(
            actor=actor, action="learning.topic.item_add", target=topic, changes={"resource": {"new": resource.pk}}
        )
    return item


def topic_item_remove(*, actor, topic_id: int, resource_id: int) -> None:
    topic = access_topic_for_change(actor, topic_id)
    with transaction.atomic():
        Topic.objects.select_for_update().get(pk=topic.pk)
        deleted, _ = TopicItem.objects.filter(topic=topic, resource_id=resource_id).delete()
        if not deleted:
            raise DomainError("该资源不在专题中")
        _renumber(topic)
        audit_record(
            actor=actor, action="learning.topic.item_remove", target=topic, changes={"resource": {"old": resource_id}}
        )


def _renumber(topic: Topic, order: list[int] | None = None) -> None:
    items = list(TopicItem.objects.filter(topic=topic).order_by("position", "id"))
    if order is not None:
        rank = {rid: i for i, rid in enumerate(order)}
        items.sort(key=lambda it: rank.get(it.resource_id, len(rank)))
    changed = []
    for i, item in enumerate(items, start=1):
        if item.position != i:
            item.position = i
            changed.append(item)
    if changed:
        TopicItem.objects.bulk_update(changed, ["position"])


def topic_item_move(*, actor, topic_id: int, resource_id: int, offset: int) -> None:
    """Move one item up (``offset`` -1) or down (+1) the reading list."""
    topic = access_topic_for_change(actor, topic_id)
    with transaction.atomic():
        Topic.objects.select_for_update().get(pk=topic.pk)
        ids = list(
            TopicItem.objects.filter(topic=topic).order_by("position", "id").values_list("resource_id", flat=True)
        )
        if int(resource_id) not in ids:
            raise DomainError("该资源不在专题中")
        i = ids.index(int(resource_id))
        j = max(0, min(len(ids) - 1, i + (1 if offset > 0 else -1)))
        ids[i], ids[j] = ids[j], ids[i]
        _renumber(topic, ids)
        audit_record(actor=actor, action="learning.topic.reorder", target=topic, changes={"order": {"new": ids}})


def topic_reorder(*, actor, topic_id: int, resource_ids: list[int]) -> None:
    """Set the whole order of the reading list (ids not given keep their place at the end)."""
    topic = access_topic_for_change(actor, topic_id)
    with transaction.atomic():
        Topic.objects.select_for_update().get(pk=topic.pk)
        _renumber(topic, [int(r) for r in resource_ids])
        audit_record(
            actor=actor, action="learning.topic.reorder", target=topic, changes={"order": {"new": list(resource_ids)}}
        )


def readable_topics(user, *, published_only: bool = True):
    """Topics ``user`` may read, by the same rule as resources."""
    return _readable(Topic, user, published_only=published_only)


def topic_list(user):
    return readable_topics(user).select_related("unit").order_by("-published_at", "-id")


def manage_topic_list(user):
    return Topic.objects.restrict(user, VIEW).select_related("unit").order_by("-id")


def access_topic_for_reading(user, topic_id) -> Topic:
    try:
        return readable_topics(user, published_only=False).select_related("unit").get(pk=int(topic_id))
    except (Topic.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def topic_items(user, topic: Topic) -> list[TopicItem]:
    """The reading list, in order; for a member only the resources they may read."""
    items = TopicItem.objects.filter(topic=topic).select_related("resource", "resource__unit").order_by("position")
    if not can(user, VIEW, topic.unit):
        items = items.filter(resource__in=readable_resources(user))
    return list(items)


def manager_units(user, perm: str = ADD, limit: int = 200) -> list[OrgUnit]:
    """Units where the user may publish (for the form's unit picker)."""
    prefixes = granted_prefixes(user, perm)
    if not prefixes:
        return []
    return list(OrgUnit.objects.filter(scope_q("path", prefixes), status=UnitStatus.ACTIVE).order_by("path")[:limit])
