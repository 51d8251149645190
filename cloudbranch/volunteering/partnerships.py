"""Co-building (党建互联, issue 9 item 3, SPEC §7): partners, partnerships, joint activities and
yearly summaries — services and selectors.

Rules:
- Who. Officers holding ``volunteering.view_partnership`` over a unit see its partners,
  partnerships, activities and summaries (and those of its subtree); ``add_partnership`` over
  the unit writes them. Anything outside one's subtrees is a 404 (a sibling branch's secretary
  never learns it exists); seen but not writable is a 403.
- Partners are registered by a unit; a partnership of a unit may use a partner registered by
  that unit or by a unit above it (the college's partners serve its branches).
- Period: ``ends_on >= starts_on`` (and the database says so too). A partnership is shown
  ENDED once its end date has passed — computed when read (``shown_status``), never stored, so
  there is no nightly job to forget; TERMINATED is stored when a unit ends it early with a
  reason (the end date becomes the day it ended).
- Joint activities fall within the period, may serve one of the goals, and may link a meeting
  or a feed post of the partnership unit's subtree (``meetings.Meeting`` / ``news.Post``
  through the app registry: those apps sit on the same layer and are not imported).
- The yearly summary is drafted from the year's activities and saved once per year (audited).
"""

from __future__ import annotations

import datetime
import os
from collections import Counter, defaultdict

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Count, Q, Value, When
from django.db.models.functions import ExtractYear
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes
from cloudbranch.core import documents, images
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, granted_prefixes, scope_q

from .audience import ancestor_paths
from .choices import PartnerKind, PartnershipStatus
from .models import JointActivity, Partner, Partnership, PartnershipSummary

VIEW = "volunteering.view_partnership"
MANAGE = "volunteering.add_partnership"

MAX_GOALS = 20
GOAL_MAX = 200
REASON_MAX = 200
SUMMARY_MAX = 20000
AGREEMENT_MAX_BYTES = 20 * images.MB
AGREEMENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
MEETING_LINK_EXCLUDED = ("draft", "cancelled")  # meetings.choices.MeetingStatus (not imported: same layer)

PARTNER_FIELDS = ("name", "kind", "party_org", "contact_name", "contact_phone", "address")
PARTNERSHIP_FIELDS = ("partner_id", "title", "goals", "agreement", "signed_on", "starts_on", "ends_on")


def _err(field: str, message: str) -> DomainError:
    return DomainError(message, errors=[{"field": field, "message": message}])


def _pk(value) -> int | None:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk < 2**31 else None


def _today() -> datetime.date:
    return timezone.localdate()


# --- status -------------------------------------------------------------------------------------


def shown_status(partnership: Partnership, today: datetime.date | None = None) -> str:
    """ENDED once an active partnership's end date has passed; the stored status otherwise."""
    today = today or _today()
    if partnership.status == PartnershipStatus.ACTIVE and partnership.ends_on < today:
        return PartnershipStatus.ENDED
    return partnership.status


def with_shown_status(qs, today: datetime.date | None = None):
    """Annotate ``shown`` (the same rule as ``shown_status``, in SQL, for filtering lists)."""
    today = today or _today()
    return qs.annotate(
        shown=Case(
            When(status=PartnershipStatus.ACTIVE, ends_on__lt=today, then=Value(PartnershipStatus.ENDED)),
            default="status",
            output_field=CharField(),
        )
    )


def status_label(value: str) -> str:
    return PartnershipStatus(value).label


# --- access -------------------------------------------------------------------------------------


def _access_unit(user, unit_id, perm: str = MANAGE) -> OrgUnit:
    pk = _pk(unit_id)
    unit = OrgUnit.objects.only("id", "name", "path", "status").filter(pk=pk).first() if pk else None
    if unit is None:
        raise _err("unit", "请选择组织")
    if not can(user, perm, unit):
        if can(user, VIEW, unit):
            raise PermissionDenied
        raise Http404
    return unit


def access_partner(user, partner_id, *, action: str = "view") -> Partner:
    """A partner registered by a unit in the user's ``view_partnership`` scope, else 404; 403 when
    ``action="manage"`` and the user may not write there."""
    pk = _pk(partner_id)
    partner = Partner.objects.restrict(user, VIEW).select_related("unit").filter(pk=pk).first() if pk else None
    if partner is None:
        raise Http404
    if action != "view" and not can(user, MANAGE, partner.unit):
        raise PermissionDenied
    return partner


def access_partnership(user, partnership_id, *, action: str = "view") -> Partnership:
    pk = _pk(partnership_id)
    qs = Partnership.objects.restrict(user, VIEW).select_related("unit", "partner")
    partnership = qs.filter(pk=pk).first() if pk else None
    if partnership is None:
        raise Http404
    if action != "view" and not can(user, MANAGE, partnership.unit):
        raise PermissionDenied
    return partnership


def may_manage(user, obj) -> bool:
    unit = obj if isinstance(obj, OrgUnit) else obj.unit
    return can(user, MANAGE, unit)


def manageable_units(user) -> list[OrgUnit]:
    prefixes = granted_prefixes(user, MANAGE)
    if not prefixes:
        return []
    return list(
        OrgUnit.objects.active().filter(scope_q("path", prefixes)).only("id", "name", "path").order_by("path")[:200]
    )


def usable_partners(user) -> list[Partner]:
    """Partners a manager may use: registered in their subtrees or by a unit above one."""
    prefixes = granted_prefixes(user, MANAGE)
    if not prefixes:
        return []
    above = {p for prefix in prefixes for p in ancestor_paths(prefix)}
    qs = Partner.objects.filter(scope_q("unit__path", prefixes) | Q(unit__path__in=above))
    return list(qs.select_related("unit").only("id", "name", "kind", "unit__id", "unit__name", "unit__path")[:500])


# --- partners -----------------------------------------------------------------------------------


def _clean_partner(data: dict) -> dict:
    out, errors = {}, []
    limits = {"name": ("单位名称", 120), "party_org": ("对方党组织", 120), "contact_name": ("联系人", 64),
              "contact_phone": ("联系电话", 32), "address": ("地址", 200)}  # fmt: skip
    for name, (label, max_len) in limits.items():
        value = str(data.get(name) or "").strip()
        if name == "name" and not value:
            errors.append({"field": name, "message": "请填写单位名称"})
        elif len(value) > max_len:
            errors.append({"field": name, "message": f"{label}不超过 {max_len} 字"})
        out[name] = value
    kind = data.get("kind") or ""
    if kind not in PartnerKind.values:
        errors.append({"field": "kind", "message": "请选择单位类型"})
    out["kind"] = kind
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)
    return out


def _partner_target(partner: Partner):
    return ("volunteering.partner", str(partner.pk), partner.name[:50])


def partner_create(*, actor, unit_id, **data) -> Partner:
    """Register an outside organization at a unit (``add_partnership`` over it); names unique per unit."""
    unit = _access_unit(actor, unit_id)
    fields = _clean_partner(data)
    try:
        with transaction.atomic():
            partner = Partner.objects.create(unit=unit, created_by=actor, **fields)
            audit_record(
                actor=actor,
                action="volunteering.partner.create",
                target=_partner_target(partner),
                changes=field_changes({}, partner, fields=("unit_id", *PARTNER_FIELDS), sensitive=("contact_phone",)),
            )
    except IntegrityError:
        raise _err("name", "本组织已登记同名共建单位") from None
    return partner


def partner_update(*, actor, partner_id, **data) -> Partner:
    partner = access_partner(actor, partner_id, action="manage")
    fields = _clean_partner(data)
    before = {f: getattr(partner, f) for f in PARTNER_FIELDS}
    for name, value in fields.items():
        setattr(partner, name, value)
    changes = field_changes(before, partner, fields=PARTNER_FIELDS, sensitive=("contact_phone",))
    try:
        with transaction.atomic():
            partner.save(update_fields=list(PARTNER_FIELDS))
            if changes:
                audit_record(
                    actor=actor, action="volunteering.partner.update", target=_partner_target(partner), changes=changes
                )
    except IntegrityError:
        raise _err("name", "本组织已登记同名共建单位") from None
    return partner


def partner_list(user, *, kind: str = "", q: str = ""):
    qs = Partner.objects.restrict(user, VIEW).select_related("unit").annotate(partnership_count=Count("partnerships"))
    if kind in PartnerKind.values:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__icontains=q.strip()[:50])
    return qs.order_by("name", "id")


# --- partnerships -------------------------------------------------------------------------------


def parse_goals(goals) -> list[str]:
    """Goals as a list of lines (a text with one goal per line, or a list)."""
    if isinstance(goals, str):
        goals = goals.replace("\r\n", "\n").split("\n")
    return [str(g).strip() for g in (goals or []) if str(g).strip()]


def _date(data: dict, name: str, label: str, errors: list) -> datetime.date | None:
    value = data.get(name)
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value) if value else None
        except ValueError:
            errors.append({"field": name, "message": f"{label}格式应为 YYYY-MM-DD"})
            return None
    if value is None:
        errors.append({"field": name, "message": f"请填写{label}"})
    return value


def _clean_partnership(data: dict) -> dict:
    errors: list[dict] = []
    out: dict = {}
    title = str(data.get("title") or "").strip()
    if not title or len(title) > 120:
        errors.append({"field": "title", "message": "请填写共建名称（不超过 120 字）"})
    out["title"] = title
    goals = parse_goals(data.get("goals"))
    if not goals:
        errors.append({"field": "goals", "message": "请至少填写一项共建目标（每行一项）"})
    elif len(goals) > MAX_GOALS or any(len(g) > GOAL_MAX for g in goals):
        errors.append({"field": "goals", "message": f"共建目标最多 {MAX_GOALS} 项，每项不超过 {GOAL_MAX} 字"})
    out["goals"] = goals
    agreement = str(data.get("agreement") or "").strip()
    if len(agreement) > SUMMARY_MAX:
        errors.append({"field": "agreement", "message": f"协议要点不超过 {SUMMARY_MAX} 字"})
    out["agreement"] = agreement
    out["signed_on"] = _date(data, "signed_on", "签约日期", errors)
    out["starts_on"] = _date(data, "starts_on", "开始日期", errors)
    out["ends_on"] = _date(data, "ends_on", "结束日期", errors)
    if out["starts_on"] and out["ends_on"] and out["ends_on"] < out["starts_on"]:
        errors.append({"field": "ends_on", "message": "结束日期不能早于开始日期"})
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)
    return out


def _check_partner(actor, unit: OrgUnit, partner_id) -> Partner:
    pk = _pk(partner_id)
    partner = Partner.objects.select_related("unit").filter(pk=pk).first() if pk else None
    if partner is None or not unit.path.startswith(partner.unit.path):
        raise _err("partner", "请选择本组织或上级组织登记的共建单位")
    return partner


def clean_agreement_file(uploaded) -> tuple[str, bytes] | None:
    """(extension, bytes) of a PDF / Office upload whose content matches its extension, ≤ 20 MB."""
    if not uploaded:
        return None
    name = images.upload_name(uploaded, "协议")
    ext = os.path.splitext(name)[1].lower()
    if ext not in AGREEMENT_TYPES:
        raise images.refuse("协议文本只能是 PDF、Word、Excel 或 PowerPoint 文件", field="agreement_file")
    data = images.read_upload(
        uploaded, max_bytes=AGREEMENT_MAX_BYTES, too_big=f"“{name}”超过 20 MB，不能上传。", field="agreement_file"
    )
    if not documents.matches_extension(ext, data):
        raise images.refuse(f"“{name}”的内容与扩展名不符", field="agreement_file")
    return ext, data


def _store_agreement(partnership: Partnership, cleaned) -> str:
    from django.core.files.base import ContentFile

    field = Partnership._meta.get_field("agreement_file")
    ext, data = cleaned
    return field.storage.save(field.generate_filename(partnership, f"agreement{ext}"), ContentFile(data))


def _partnership_target(p: Partnership):
    return ("volunteering.partnership", str(p.pk), p.title[:50])


def partnership_create(*, actor, unit_id, partner_id, agreement_file=None, **data) -> Partnership:
    unit = _access_unit(actor, unit_id)
    fields = _clean_partnership(data)
    partner = _check_partner(actor, unit, partner_id)
    cleaned = clean_agreement_file(agreement_file)
    partnership = Partnership(unit=unit, partner=partner, created_by=actor, **fields)
    stored = _store_agreement(partnership, cleaned) if cleaned else ""
    try:
        with transaction.atomic():
            partnership.agreement_file = stored
            partnership.save(force_insert=True)
            changes = field_changes({}, partnership, fields=("unit_id", *PARTNERSHIP_FIELDS))
            changes["agreement_file"] = {"new": bool(stored)}
            audit_record(
                actor=actor,
                action="volunteering.partnership.create",
                target=_partnership_target(partnership),
                changes=changes,
            )
    except Exception:
        if stored:
            partnership.agreement_file.storage.delete(stored)
        raise
    return partnership


def partnership_update(*, actor, partnership_id, partner_id, agreement_file=None, **data) -> Partnership:
    """Edit an agreement that is not terminated; goals that activities serve cannot be removed."""
    partnership = access_partnership(actor, partnership_id, action="manage")
    if partnership.status == PartnershipStatus.TERMINATED:
        raise ConflictError("已终止的共建协议不能修改")
    fields = _clean_partnership(data)
    partner = _check_partner(actor, partnership.unit, partner_id)
    used = (
        partnership.activities.filter(goal_index__isnull=False)
        .order_by("-goal_index")
        .values_list("goal_index", flat=True)
        .first()
    )
    if used is not None and used >= len(fields["goals"]):
        raise _err("goals", f"第 {used + 1} 项目标已有共建活动，不能删除")
    outside = partnership.activities.filter(
        Q(held_on__lt=fields["starts_on"]) | Q(held_on__gt=fields["ends_on"])
    ).exists()
    if outside:
        raise _err("ends_on", "已有共建活动不在新的协议期限内")
    cleaned = clean_agreement_file(agreement_file)
    before = {f: getattr(partnership, f) for f in PARTNERSHIP_FIELDS}
    old_file = partnership.agreement_file.name if partnership.agreement_file else ""
    stored = _store_agreement(partnership, cleaned) if cleaned else ""
    for name, value in fields.items():
        setattr(partnership, name, value)
    partnership.partner = partner
    if stored:
        partnership.agreement_file = stored
    try:
        with transaction.atomic():
            partnership.save()
            changes = field_changes(before, partnership, fields=PARTNERSHIP_FIELDS)
            if stored:
                changes["agreement_file"] = {"changed": True}
                if old_file:
                    storage = partnership.agreement_file.storage
                    transaction.on_commit(lambda: storage.delete(old_file))
            if changes:
                audit_record(
                    actor=actor,
                    action="volunteering.partnership.update",
                    target=_partnership_target(partnership),
                    changes=changes,
                )
    except Exception:
        if stored:
            partnership.agreement_file.storage.delete(stored)
        raise
    return partnership


def partnership_end(*, actor, partnership_id, reason: str) -> Partnership:
    """End an active partnership early with a reason: TERMINATED, end date = today (not before
    the start). 409 when it already ended or was terminated."""
    partnership = access_partnership(actor, partnership_id, action="manage")
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise _err("reason", f"请填写终止原因（不超过 {REASON_MAX} 字）")
    if shown_status(partnership) != PartnershipStatus.ACTIVE:
        raise ConflictError("只有共建中的协议可以提前终止")
    today = _today()
    new_end = max(partnership.starts_on, min(partnership.ends_on, today))
    if partnership.activities.filter(held_on__gt=new_end).exists():
        raise ConflictError("协议终止日期之后已登记共建活动，请先核对活动日期")
    with transaction.atomic():
        updated = Partnership.objects.filter(pk=partnership.pk, status=PartnershipStatus.ACTIVE).update(
            status=PartnershipStatus.TERMINATED, end_reason=reason, ends_on=new_end
        )
        if updated != 1:
            raise ConflictError("协议状态已变化，请刷新后重试")
        audit_record(
            actor=actor,
            action="volunteering.partnership.end",
            target=_partnership_target(partnership),
            changes={
                "status": {"old": partnership.status, "new": PartnershipStatus.TERMINATED},
                "ends_on": {"old": partnership.ends_on.isoformat(), "new": new_end.isoformat()},
                "end_reason": {"new": reason},
            },
        )
    partnership.status, partnership.end_reason, partnership.ends_on = PartnershipStatus.TERMINATED, reason, new_end
    return partnership


def partnership_list(user, *, unit: OrgUnit | None = None, status: str = "", kind: str = ""):
    """Partnerships in the user's scope (or under ``unit``), with ``shown`` and activity counts."""
    qs = Partnership.objects.restrict(user, VIEW)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if kind in PartnerKind.values:
        qs = qs.filter(partner__kind=kind)
    qs = with_shown_status(qs)
    if status in PartnershipStatus.values:
        qs = qs.filter(shown=status)
    return (
        qs.select_related("unit", "partner").annotate(activity_count=Count("activities")).order_by("-starts_on", "-id")
    )


def kind_counts(user, *, unit: OrgUnit | None = None) -> list[tuple[str, str, int]]:
    """(kind, label, count of partnerships) per partner kind in the scope — one query."""
    qs = Partnership.objects.restrict(user, VIEW)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    counts = dict(qs.values_list("partner__kind").annotate(n=Count("id")).order_by())
    return [(k.value, k.label, counts.get(k.value, 0)) for k in PartnerKind if counts.get(k.value)]


def access_scope_unit(user, unit_id) -> OrgUnit:
    """A unit to filter the list by: one inside the user's ``view_partnership`` scope, else 404."""
    pk = _pk(unit_id)
    unit = OrgUnit.objects.only("id", "name", "path").filter(pk=pk).first() if pk else None
    if unit is None or not can(user, VIEW, unit):
        raise Http404
    return unit


# --- joint activities ---------------------------------------------------------------------------


def _linked(model_label: str, pk, unit: OrgUnit, field: str, message: str, **exclude):
    if pk in (None, ""):
        return None
    pk = _pk(pk)
    model = apps.get_model(*model_label.split("."))
    qs = model.objects.filter(pk=pk, unit__path__startswith=unit.path)
    if exclude:
        qs = qs.exclude(**exclude)
    if pk is None or not qs.exists():
        raise _err(field, message)
    return pk


def _clean_activity(partnership: Partnership, data: dict) -> dict:
    errors: list[dict] = []
    out: dict = {}
    title = str(data.get("title") or "").strip()
    if not title or len(title) > 120:
        errors.append({"field": "title", "message": "请填写活动名称（不超过 120 字）"})
    out["title"] = title
    summary = str(data.get("summary") or "").strip()
    if len(summary) > SUMMARY_MAX:
        errors.append({"field": "summary", "message": f"活动内容不超过 {SUMMARY_MAX} 字"})
    out["summary"] = summary
    held_on = _date(data, "held_on", "活动日期", errors)
    if held_on and not (partnership.starts_on <= held_on <= partnership.ends_on):
        errors.append(
            {
                "field": "held_on",
                "message": f"活动日期须在协议期限内（{partnership.starts_on} 至 {partnership.ends_on}）",
            }
        )
    out["held_on"] = held_on
    try:
        participants = int(data.get("participants") or 0)
    except (TypeError, ValueError):
        participants = -1
    if not (0 <= participants <= 100000):
        errors.append({"field": "participants", "message": "参加人数应为 0 到 100000 之间的整数"})
    out["participants"] = participants
    goal = data.get("goal_index")
    if goal in (None, ""):
        out["goal_index"] = None
    else:
        try:
            goal = int(goal)
        except (TypeError, ValueError):
            goal = -1
        if not (0 <= goal < len(partnership.goals)):
            errors.append({"field": "goal_index", "message": "请选择协议中的一项目标"})
        out["goal_index"] = goal
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)
    unit = partnership.unit
    out["meeting_id"] = _linked(
        "meetings.Meeting", data.get("meeting_id"), unit, "meeting",
        "关联的会议须是本组织或下级组织的会议", status__in=MEETING_LINK_EXCLUDED,
    )  # fmt: skip
    out["post_id"] = _linked(
        "news.Post", data.get("post_id"), unit, "post", "关联的动态须是本组织或下级组织发布的动态", hidden=True
    )
    return out


def activity_add(*, actor, partnership_id, **data) -> JointActivity:
    partnership = access_partnership(actor, partnership_id, action="manage")
    fields = _clean_activity(partnership, data)
    with transaction.atomic():
        activity = JointActivity.objects.create(partnership=partnership, created_by=actor, **fields)
        audit_record(
            actor=actor,
            action="volunteering.activity.create",
            target=("volunteering.jointactivity", str(activity.pk), activity.title[:50]),
            changes=field_changes(
                {},
                activity,
                fields=("partnership_id", "held_on", "title", "participants", "goal_index", "meeting_id", "post_id"),
            ),
        )
    return activity


def activity_list(user, *, partnership: Partnership | None = None):
    qs = JointActivity.objects.restrict(user, VIEW).select_related("partnership", "meeting", "post")
    if partnership is not None:
        qs = qs.filter(partnership=partnership)
    return qs.order_by("-held_on", "-id")


def linkable_meetings(user, partnership: Partnership, limit: int = 50) -> list:
    Meeting = apps.get_model("meetings", "Meeting")
    qs = Meeting.objects.filter(unit__path__startswith=partnership.unit.path, starts_at__date__gte=partnership.starts_on,
                                starts_at__date__lte=partnership.ends_on).exclude(status__in=MEETING_LINK_EXCLUDED)  # fmt: skip
    return list(qs.only("id", "title", "starts_at").order_by("-starts_at", "-id")[:limit])


def linkable_posts(user, partnership: Partnership, limit: int = 50) -> list:
    Post = apps.get_model("news", "Post")
    qs = Post.objects.filter(unit__path__startswith=partnership.unit.path, hidden=False,
                             created_at__date__gte=partnership.starts_on)  # fmt: skip
    return list(qs.only("id", "body", "created_at").order_by("-created_at", "-id")[:limit])


def goals_with_activities(partnership: Partnership, activities) -> list[dict]:
    """[{index, goal, activities}] for each goal, plus the activities serving none (index None)."""
    by_goal = defaultdict(list)
    for a in activities:
        by_goal[a.goal_index].append(a)
    rows = [{"index": i, "goal": g, "activities": by_goal.get(i, [])} for i, g in enumerate(partnership.goals)]
    if by_goal.get(None):
        rows.append({"index": None, "goal": "其他共建活动", "activities": by_goal[None]})
    return rows


# --- yearly summary -----------------------------------------------------------------------------


def check_year(partnership: Partnership, year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise Http404 from None
    if not (partnership.starts_on.year <= year <= partnership.ends_on.year):
        raise Http404
    return year


def summary_years(partnership: Partnership) -> list[int]:
    return list(range(partnership.starts_on.year, partnership.ends_on.year + 1))


def summary_draft(partnership: Partnership, year: int) -> str:
    """A draft text from the year's activities: count, participants, goals covered / not covered."""
    activities = list(
        partnership.activities.annotate(y=ExtractYear("held_on")).filter(y=year).order_by("held_on", "id")
    )
    participants = sum(a.participants for a in activities)
    served = Counter(a.goal_index for a in activities if a.goal_index is not None)
    lines = [
        f"{year} 年度，{partnership.unit.name}与{partnership.partner.name}围绕“{partnership.title}”"
        f"共开展共建活动 {len(activities)} 次，累计参加 {participants} 人次。",
        "",
        "一、目标推进情况",
    ]
    for i, goal in enumerate(partnership.goals):
        n = served.get(i, 0)
        lines.append(f"{i + 1}. {goal}：{'已开展活动 ' + str(n) + ' 次' if n else '本年度尚未开展相关活动'}")
    lines += ["", "二、主要活动"]
    if activities:
        for a in activities:
            lines.append(f"- {a.held_on:%m月%d日} {a.title}（{a.participants} 人参加）")
    else:
        lines.append("- 本年度暂无共建活动记录")
    missing = [g for i, g in enumerate(partnership.goals) if not served.get(i)]
    lines += ["", "三、存在不足与下一步打算"]
    lines.append(("尚未覆盖的目标：" + "；".join(missing) + "。") if missing else "各项共建目标均已开展活动。")
    return "\n".join(lines)


def summary_get(partnership: Partnership, year: int) -> PartnershipSummary | None:
    return partnership.summaries.filter(year=year).select_related("updated_by").first()


def summary_save(*, actor, partnership_id, year, text: str) -> PartnershipSummary:
    """Save (create or replace) the year's summary; audited with the old and new length."""
    partnership = access_partnership(actor, partnership_id, action="manage")
    year = check_year(partnership, year)
    text = (text or "").replace("\r\n", "\n").strip()
    if not text or len(text) > SUMMARY_MAX:
        raise _err("text", f"请填写年度总结（不超过 {SUMMARY_MAX} 字）")
    with transaction.atomic():
        summary = PartnershipSummary.objects.select_for_update().filter(partnership=partnership, year=year).first()
        if summary is None:
            summary = PartnershipSummary.objects.create(partnership=partnership, year=year, text=text, updated_by=actor)
            action, changes = "create", {"year": {"new": year}, "text": {"new": text[:200]}}
        else:
            changes = {"text": {"old": summary.text[:200], "new": text[:200]}} if summary.text != text else {}
            summary.text, summary.updated_by = text, actor
            summary.save(update_fields=["text", "updated_by", "updated_at"])
            action = "update"
        audit_record(
            actor=actor,
            action=f"volunteering.summary.{action}",
            target=("volunteering.partnershipsummary", str(summary.pk), f"{partnership.title} {year}"[:50]),
            changes=changes,
        )
    return summary


def summary_list(user, *, partnership: Partnership | None = None):
    qs = PartnershipSummary.objects.restrict(user, VIEW).select_related("partnership")
    if partnership is not None:
        qs = qs.filter(partnership=partnership)
    return qs.order_by("-year", "-id")
