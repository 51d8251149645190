"""Micro-wishes (微心愿, issue 9 item 2, SPEC §7): services and selectors.

Rules:
- Entering. An officer holding ``volunteering.add_wish`` over a unit enters a wish for a person
  in need (``WisherKind.IN_NEED``) or for a member of the public who came through the unit
  (``PUBLIC``); it may be edited while open and withdrawn (open or claimed) with a reason.
- Seeing. Officers see their units' wishes through ``volunteering.view_wish`` (``restrict``);
  members see what ``audience.wishes_for`` gives them (the one audience rule). Anything else 404.
- Privacy (个人信息保护法 Art. 28): ``wisher_shown`` is the one function that decides what a
  viewer reads of the wisher — the name masked (张*, 欧阳**) for everyone but the unit's officers,
  the contact only for the officers and the current claimant. Pages and API both call it.
- Claiming. A party member on the roster in the audience claims an open wish. Exactly one
  claimant: a conditional UPDATE (``status=open AND claimed_by IS NULL``) decides, so of two
  concurrent claims one updates one row and the other zero (409). A member holds at most
  ``MAX_OPEN_CLAIMS`` unfulfilled claims; the person's row is locked while counting so that
  parallel claims of one member cannot overshoot.
- Lifecycle: open → claimed → fulfilled (photo + note) → confirmed (points ``wish_fulfilled``);
  claimed → open (released, reason); fulfilled → claimed (sent back, comment);
  open/claimed → withdrawn (reason). Every transition: a ``WishEvent``, an audit row, and a
  notification (``Category.SERVICE``) after commit.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes
from cloudbranch.core import images
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import ROLE_PERMISSIONS
from cloudbranch.orgs.scoping import can, granted_prefixes
from cloudbranch.people.choices import PoliticalStatus
from cloudbranch.people.models import Person

from .audience import ancestor_paths, wishes_for
from .choices import WishCategory, WisherKind, WishStatus
from .models import Wish, WishEvent

VIEW = "volunteering.view_wish"
MANAGE = "volunteering.add_wish"

# Product rule (issue 9 discussion): a member may hold at most three claimed, not yet fulfilled
# wishes at once, so that one enthusiastic member cannot lock up a unit's whole list.
MAX_OPEN_CLAIMS = 3

PHOTO_MAX_SIDE = 1600
PHOTO_FORMATS = ("JPEG", "PNG")  # the wall shows them everywhere: no WebP for older WeChat browsers
REASON_MAX = 300
NOTE_MAX = 2000
CLAIMANT_STATUSES = (PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY)

EDITABLE_FIELDS = (
    "title",
    "description",
    "category",
    "wisher_kind",
    "wisher_name",
    "wisher_contact",
    "wisher_note",
    "deadline",
)
SENSITIVE = ("wisher_name", "wisher_contact", "wisher_note")

# Compound surnames: the mask keeps the whole surname (欧阳娜娜 → 欧阳**).
COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐",
    "夏侯", "轩辕", "独孤", "南宫", "西门", "端木", "百里", "呼延", "澹台", "公冶", "太史", "申屠", "钟离",
    "闻人", "赫连", "万俟", "濮阳", "淳于", "单于", "东郭", "拓跋", "司空", "第五",
)  # fmt: skip


# --- privacy ------------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧阳**, 李 → 李*: the surname kept, one * per other character."""
    name = (name or "").strip()
    if not name:
        return ""
    keep = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:keep] + "*" * max(1, len(name) - keep)


@dataclass(frozen=True)
class WisherShown:
    name: str
    contact: str
    note: str
    name_masked: bool
    contact_shown: bool


def is_officer(user, wish: Wish) -> bool:
    """Whether ``user`` is an officer of the wish's unit (``volunteering.view_wish`` over it)."""
    return can(user, VIEW, wish.unit)


def wisher_shown(user, wish: Wish, person: Person | None = None) -> WisherShown:
    """THE privacy rule for the wisher: officers of the unit read everything; the current
    claimant reads the contact; everyone else reads the masked name only."""
    officer = is_officer(user, wish)
    claimant = (
        person is not None
        and wish.claimed_by_id == person.pk
        and wish.status in (WishStatus.CLAIMED, WishStatus.FULFILLED)
    )
    contact_shown = officer or claimant
    return WisherShown(
        name=wish.wisher_name if officer else mask_name(wish.wisher_name),
        contact=wish.wisher_contact if contact_shown else "",
        note=wish.wisher_note,
        name_masked=not officer,
        contact_shown=contact_shown,
    )


# --- who acts -----------------------------------------------------------------------------------


def member_person(user) -> Person | None:
    """The user's person record when on the roster (with the unit), cached on the user."""
    if user is None or not user.is_authenticated or getattr(user, "duty", ""):
        return None
    cached = getattr(user, "_cb_wish_person", False)
    if cached is False:
        cached = Person.objects.on_roster().select_related("unit").filter(user_id=user.pk).first()
        user._cb_wish_person = cached
    return cached


def _wish_qs():
    return Wish.objects.select_related("unit", "claimed_by")


def access_wish(user, wish_id) -> Wish:
    """A wish ``user`` sees (officer of its unit, or in its audience / its claimant), else 404."""
    try:
        pk = int(wish_id)
        wish = _wish_qs().get(pk=pk) if 0 < pk < 2**31 else None
    except (Wish.DoesNotExist, ValueError, TypeError):
        wish = None
    if wish is None or getattr(user, "duty", ""):
        raise Http404
    if is_officer(user, wish):
        return wish
    person = member_person(user)
    if person is not None and wishes_for(person).filter(pk=wish.pk).exists():
        return wish
    raise Http404


def _require_manager(user, wish: Wish) -> None:
    if not can(user, MANAGE, wish.unit):
        raise PermissionDenied("只有发布组织的党务工作者可以办理")


def may_manage(user, wish: Wish) -> bool:
    return can(user, MANAGE, wish.unit)


def manageable_units(user) -> list[OrgUnit]:
    """Active units where ``user`` may enter wishes (bounded, for the form's picker)."""
    prefixes = granted_prefixes(user, MANAGE)
    if not prefixes:
        return []
    q = Q()
    for p in prefixes:
        q |= Q(path__startswith=p)
    return list(OrgUnit.objects.active().filter(q).only("id", "name", "path").order_by("path")[:200])


def _unit_officer_ids(unit: OrgUnit) -> list[int]:
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if MANAGE in perms]
    return list(
        RoleAssignment.objects.active()
        .filter(unit__path__in=ancestor_paths(unit.path), role__in=roles)
        .values_list("user_id", flat=True)
        .distinct()
    )


def _notify_later(*, recipients, title: str, body: str, wish: Wish, actor) -> None:
    from cloudbranch.notifications.services import notify

    recipients = [r for r in recipients if r is not None and r != getattr(actor, "pk", None)]
    if not recipients:
        return
    url = reverse("volunteering:wish", args=[wish.pk])
    transaction.on_commit(
        lambda: notify(recipients=recipients, category=Category.SERVICE, title=title, body=body, url=url, actor=actor)
    )


def _notify_officers(wish: Wish, *, title: str, body: str, actor) -> None:
    _notify_later(recipients=_unit_officer_ids(wish.unit), title=title, body=body, wish=wish, actor=actor)


def _notify_claimant(wish: Wish, claimant_id: int | None, *, title: str, body: str, actor) -> None:
    if claimant_id is None:
        return
    user_id = Person.objects.filter(pk=claimant_id).values_list("user_id", flat=True).first()
    _notify_later(recipients=[user_id], title=title, body=body, wish=wish, actor=actor)


# --- validation ---------------------------------------------------------------------------------


def _clean_fields(data: dict) -> dict:
    """Trim and check the fields an officer enters; DomainError with every broken one."""
    out = {}
    errors = []

    def text(name, label, max_len, required=False):
        value = (data.get(name) or "").strip() if isinstance(data.get(name) or "", str) else ""
        if required and not value:
            errors.append({"field": name, "message": f"请填写{label}"})
        elif len(value) > max_len:
            errors.append({"field": name, "message": f"{label}不超过 {max_len} 字"})
        out[name] = value

    text("title", "心愿", 120, required=True)
    text("description", "详细说明", NOTE_MAX)
    text("wisher_name", "心愿人姓名", 64, required=True)
    text("wisher_contact", "心愿人联系方式", 64)
    text("wisher_note", "心愿人情况", 200)
    category = data.get("category") or ""
    if category not in WishCategory.values:
        errors.append({"field": "category", "message": "请选择心愿类别"})
    out["category"] = category
    kind = data.get("wisher_kind") or ""
    if kind not in WisherKind.values:
        errors.append({"field": "wisher_kind", "message": "请选择心愿人类型"})
    out["wisher_kind"] = kind
    deadline = data.get("deadline")
    if isinstance(deadline, str):
        try:
            deadline = datetime.date.fromisoformat(deadline) if deadline else None
        except ValueError:
            errors.append({"field": "deadline", "message": "日期格式应为 YYYY-MM-DD"})
            deadline = None
    if deadline is not None and deadline < timezone.localdate():
        errors.append({"field": "deadline", "message": "期望实现日期不能早于今天"})
    out["deadline"] = deadline
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)
    return out


def _reason(reason: str, label: str = "原因", field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        message = f"请填写{label}（不超过 {REASON_MAX} 字）"
        raise DomainError(message, errors=[{"field": field, "message": message}])
    return reason


def _event(wish: Wish, status: str, actor, note: str = "") -> WishEvent:
    return WishEvent.objects.create(wish=wish, status=status, note=note[:300], actor=actor)


def _audit(actor, action: str, wish: Wish, changes: dict | None = None) -> None:
    audit_record(
        actor=actor,
        action=f"volunteering.wish.{action}",
        target=("volunteering.wish", str(wish.pk), wish.title[:50]),
        changes=changes,
    )


def _transition(wish: Wish, *, expect: dict, **values) -> None:
    """Conditional UPDATE: apply ``values`` only if the row still matches ``expect``; a lost race
    or a stale page is a 409 (nothing else decides)."""
    updated = Wish.objects.filter(pk=wish.pk, **expect).update(**values)
    if updated != 1:
        raise ConflictError("心愿状态已变化，请刷新后重试")
    for name, value in values.items():
        setattr(wish, name, value)


# --- officer actions ----------------------------------------------------------------------------


def wish_create(*, actor, unit_id, **data) -> Wish:
    """Enter a wish at ``unit_id`` (``volunteering.add_wish`` over it; 404 if the unit is unseen)."""
    try:
        unit = OrgUnit.objects.only("id", "name", "path", "status").get(pk=int(unit_id))
    except (OrgUnit.DoesNotExist, ValueError, TypeError, OverflowError):
        raise DomainError("请选择发布组织", errors=[{"field": "unit", "message": "请选择发布组织"}]) from None
    if not can(actor, MANAGE, unit):
        if can(actor, VIEW, unit):
            raise PermissionDenied
        raise Http404
    if unit.status != "active":
        raise DomainError("该组织已撤销或合并，不能发布心愿", errors=[{"field": "unit", "message": "组织不可用"}])
    fields = _clean_fields(data)
    with transaction.atomic():
        wish = Wish.objects.create(unit=unit, created_by=actor, status=WishStatus.OPEN, **fields)
        _event(wish, WishStatus.OPEN, actor, "发布心愿")
        _audit(
            actor, "create", wish, field_changes({}, wish, fields=("unit_id", *EDITABLE_FIELDS), sensitive=SENSITIVE)
        )
    return wish


def wish_update(*, actor, wish_id, **data) -> Wish:
    """Edit an open wish (officers of its unit; 409 once claimed)."""
    wish = access_wish(actor, wish_id)
    _require_manager(actor, wish)
    fields = _clean_fields(data)
    with transaction.atomic():
        before = {f: getattr(wish, f) for f in EDITABLE_FIELDS}
        if wish.status != WishStatus.OPEN:
            raise ConflictError("心愿已被认领或已结束，不能再修改")
        _transition(wish, expect={"status": WishStatus.OPEN, "claimed_by__isnull": True}, **fields)
        changes = field_changes(before, wish, fields=EDITABLE_FIELDS, sensitive=SENSITIVE)
        if changes:
            _event(wish, WishStatus.OPEN, actor, "修改心愿")
            _audit(actor, "update", wish, changes)
    return wish


def wish_withdraw(*, actor, wish_id, reason: str) -> Wish:
    """Withdraw an open or claimed wish with a reason; the claimant (if any) is told."""
    wish = access_wish(actor, wish_id)
    _require_manager(actor, wish)
    reason = _reason(reason, "撤回原因")
    old = wish.status
    if old not in (WishStatus.OPEN, WishStatus.CLAIMED):
        raise ConflictError("只有待认领或已认领的心愿可以撤回")
    claimant_id = wish.claimed_by_id
    with transaction.atomic():
        _transition(wish, expect={"status": old, "claimed_by_id": claimant_id}, status=WishStatus.WITHDRAWN)
        _event(wish, WishStatus.WITHDRAWN, actor, reason)
        _audit(
            actor, "withdraw", wish, {"status": {"old": old, "new": WishStatus.WITHDRAWN}, "reason": {"new": reason}}
        )
        _notify_claimant(
            wish, claimant_id, title=f"您认领的心愿“{wish.title}”已被撤回", body=f"原因：{reason}", actor=actor
        )
    return wish


def wish_confirm(*, actor, wish_id) -> Wish:
    """The unit confirms a fulfilled wish: confirmed, and the claimant earns the
    ``wish_fulfilled`` points (idempotent per wish)."""
    from cloudbranch.points.services import point_award

    wish = access_wish(actor, wish_id)
    _require_manager(actor, wish)
    if wish.status != WishStatus.FULFILLED:
        raise ConflictError("只有待确认的心愿可以确认实现")
    now = timezone.now()
    with transaction.atomic():
        _transition(
            wish,
            expect={"status": WishStatus.FULFILLED, "claimed_by_id": wish.claimed_by_id},
            status=WishStatus.CONFIRMED,
            confirmed_by=actor,
            confirmed_at=now,
        )
        _event(wish, WishStatus.CONFIRMED, actor, "确认心愿已实现")
        _audit(actor, "confirm", wish, {"status": {"old": WishStatus.FULFILLED, "new": WishStatus.CONFIRMED}})
        point_award(
            person=wish.claimed_by, action="wish_fulfilled", source_type="volunteering.wish", source_id=str(wish.pk)
        )
        _notify_claimant(
            wish, wish.claimed_by_id, title=f"心愿“{wish.title}”已确认实现", body="感谢您的付出！", actor=actor
        )
    return wish


def wish_send_back(*, actor, wish_id, comment: str) -> Wish:
    """The unit sends a fulfilment back to the claimant with a comment (fulfilled → claimed)."""
    wish = access_wish(actor, wish_id)
    _require_manager(actor, wish)
    comment = _reason(comment, "退回意见", field="comment")
    if wish.status != WishStatus.FULFILLED:
        raise ConflictError("只有待确认的心愿可以退回")
    with transaction.atomic():
        _transition(
            wish,
            expect={"status": WishStatus.FULFILLED, "claimed_by_id": wish.claimed_by_id},
            status=WishStatus.CLAIMED,
            fulfilled_at=None,
        )
        _event(wish, WishStatus.CLAIMED, actor, f"退回：{comment}")
        _audit(
            actor,
            "send_back",
            wish,
            {"status": {"old": WishStatus.FULFILLED, "new": WishStatus.CLAIMED}, "comment": {"new": comment}},
        )
        _notify_claimant(
            wish, wish.claimed_by_id, title=f"心愿“{wish.title}”的实现情况被退回", body=comment, actor=actor
        )
    return wish


# --- member actions -----------------------------------------------------------------------------


def _claimant(actor) -> Person:
    person = member_person(actor)
    if person is None or person.political_status not in CLAIMANT_STATUSES:
        raise PermissionDenied("只有在册党员可以认领心愿")
    return person


def open_claim_count(person: Person) -> int:
    return Wish.objects.filter(claimed_by=person, status=WishStatus.CLAIMED).count()


def wish_claim(*, actor, wish_id) -> Wish:
    """Claim an open wish of the actor's audience; exactly one claimant (see module docstring)."""
    wish = access_wish(actor, wish_id)
    person = _claimant(actor)
    if wish.status == WishStatus.CLAIMED:
        raise ConflictError("该心愿已被其他党员认领")
    if wish.status != WishStatus.OPEN:
        raise ConflictError("该心愿已结束，不能认领")
    if not wishes_for(person).filter(pk=wish.pk).exists():
        raise PermissionDenied("该心愿不面向您所在的组织")
    now = timezone.now()
    with transaction.atomic():
        # Serialize the claims of one member so that the count below cannot be overtaken.
        list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))
        if open_claim_count(person) >= MAX_OPEN_CLAIMS:
            message = f"您已有 {MAX_OPEN_CLAIMS} 个认领中的心愿，请先实现或释放后再认领"
            raise DomainError(message, errors=[{"field": "wish", "message": message}], code="claim_limit")
        updated = Wish.objects.filter(pk=wish.pk, status=WishStatus.OPEN, claimed_by__isnull=True).update(
            status=WishStatus.CLAIMED, claimed_by=person, claimed_at=now
        )
        if updated != 1:
            raise ConflictError("手慢了，该心愿刚刚已被其他党员认领")
        wish.status, wish.claimed_by, wish.claimed_at = WishStatus.CLAIMED, person, now
        _event(wish, WishStatus.CLAIMED, actor, "认领心愿")
        _audit(
            actor,
            "claim",
            wish,
            {"status": {"old": WishStatus.OPEN, "new": WishStatus.CLAIMED}, "claimed_by": {"new": person.pk}},
        )
        _notify_officers(wish, title=f"心愿“{wish.title}”已被认领", body=f"认领人：{person.name}", actor=actor)
    return wish


def _require_claimant(actor, wish: Wish) -> Person:
    person = member_person(actor)
    if person is None or wish.claimed_by_id != person.pk:
        if wish.status == WishStatus.OPEN:
            raise ConflictError("该心愿尚未被认领")
        raise PermissionDenied("只有认领人可以办理")
    return person


def wish_release(*, actor, wish_id, reason: str) -> Wish:
    """The claimant gives a claim back with a reason (claimed → open)."""
    wish = access_wish(actor, wish_id)
    person = _require_claimant(actor, wish)
    reason = _reason(reason, "释放原因")
    if wish.status != WishStatus.CLAIMED:
        raise ConflictError("只有认领中的心愿可以释放")
    with transaction.atomic():
        _transition(
            wish,
            expect={"status": WishStatus.CLAIMED, "claimed_by_id": person.pk},
            status=WishStatus.OPEN,
            claimed_by=None,
            claimed_at=None,
        )
        _event(wish, WishStatus.OPEN, actor, f"释放认领：{reason}")
        _audit(
            actor,
            "release",
            wish,
            {
                "status": {"old": WishStatus.CLAIMED, "new": WishStatus.OPEN},
                "claimed_by": {"old": person.pk, "new": None},
                "reason": {"new": reason},
            },
        )
        _notify_officers(wish, title=f"心愿“{wish.title}”的认领已释放", body=f"{person.name}：{reason}", actor=actor)
    return wish


def clean_photo(uploaded) -> images.CleanImage:
    """A JPEG or PNG (by content) of at most 10 MB, EXIF stripped and shrunk; else DomainError."""
    if not uploaded:
        raise images.refuse("请上传心愿实现的照片", field="photo")
    name = images.upload_name(uploaded, "照片")
    data = images.read_upload(
        uploaded, max_bytes=images.MAX_IMAGE_BYTES, too_big=f"照片“{name}”超过 10 MB，不能上传。", field="photo"
    )
    clean = images.clean_image(data, name, max_side=PHOTO_MAX_SIDE, field="photo", hint="请上传 JPG 或 PNG 照片。")
    if clean.format not in PHOTO_FORMATS:
        raise images.refuse(f"“{name}”不是 JPG 或 PNG 图片。", field="photo")
    return clean


def wish_fulfil(*, actor, wish_id, photo, note: str) -> Wish:
    """The claimant reports the wish fulfilled with a photo and a note (claimed → fulfilled)."""
    wish = access_wish(actor, wish_id)
    person = _require_claimant(actor, wish)
    note = (note or "").strip()
    errors = []
    if not note or len(note) > NOTE_MAX:
        errors.append({"field": "note", "message": f"请填写实现情况（不超过 {NOTE_MAX} 字）"})
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)
    if wish.status != WishStatus.CLAIMED:
        raise ConflictError("只有认领中的心愿可以提交实现情况")
    clean = clean_photo(photo)
    old_photo = wish.fulfil_photo.name if wish.fulfil_photo else ""
    storage = Wish._meta.get_field("fulfil_photo").storage
    stored = storage.save(
        Wish._meta.get_field("fulfil_photo").generate_filename(wish, f"wish{os.path.splitext(clean.name)[1]}"),
        ContentFile(clean.data),
    )
    try:
        with transaction.atomic():
            _transition(
                wish,
                expect={"status": WishStatus.CLAIMED, "claimed_by_id": person.pk},
                status=WishStatus.FULFILLED,
                fulfilled_at=timezone.now(),
                fulfil_note=note,
                fulfil_photo=stored,
            )
            _event(wish, WishStatus.FULFILLED, actor, "提交实现情况")
            _audit(
                actor,
                "fulfil",
                wish,
                {"status": {"old": WishStatus.CLAIMED, "new": WishStatus.FULFILLED}, "note": {"new": note[:200]}},
            )
            _notify_officers(
                wish, title=f"心愿“{wish.title}”待确认实现", body=f"{person.name} 已提交实现情况", actor=actor
            )
            if old_photo:
                transaction.on_commit(lambda: storage.delete(old_photo))
    except Exception:
        storage.delete(stored)
        raise
    return wish


# --- selectors ----------------------------------------------------------------------------------


def _listing(qs):
    return qs.select_related("unit", "claimed_by").order_by("-created_at", "-id")


def wishes_open_for(person: Person | None):
    """Open wishes of the person's audience (待认领)."""
    return _listing(wishes_for(person).filter(status=WishStatus.OPEN))


def wishes_claimed_by(person: Person | None):
    """The person's claims, every status (我认领的)."""
    if person is None:
        return Wish.objects.none()
    return _listing(wishes_for(person).filter(claimed_by=person))


def wishes_wall(person: Person | None):
    """Confirmed wishes of the audience, with their photos (已实现)."""
    return _listing(wishes_for(person).filter(status=WishStatus.CONFIRMED)).order_by("-confirmed_at", "-id")


def wishes_managed(user, *, status: str = ""):
    """Wishes of the officer's units (管理), optionally one status."""
    qs = Wish.objects.restrict(user, VIEW)
    if status in WishStatus.values:
        qs = qs.filter(status=status)
    return _listing(qs)


def wish_events(wish: Wish):
    return wish.events.select_related("actor").order_by("at", "id")


def access_photo(user, wish_id) -> Wish:
    """The wish whose photo ``user`` may see (whoever sees the wish); 404 without a photo."""
    wish = access_wish(user, wish_id)
    if not wish.fulfil_photo:
        raise Http404
    return wish
