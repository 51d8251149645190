"""Writes to the organization tree and to role assignments.

Every service takes keyword-only arguments with the acting user, checks permission itself,
runs in one transaction and writes its audit row in that transaction.
"""

from __future__ import annotations

import datetime
import json
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudbranch.accounts.choices import Duty
from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError

from . import hooks
from .choices import ALLOWED_CHILDREN, UnitEventKind, UnitKind, UnitStatus
from .locks import lock_org_tree
from .models import OrgUnit, RoleAssignment, UnitEvent
from .roles import Role
from .scoping import access_by_id, can, forget_grants

UNIT_FIELDS = ("code", "name", "kind", "sort_order", "founded_on", "term_years", "term_started_on", "description")


def access_unit_by_id(user, unit_id, *, action: str = "view") -> OrgUnit:
    return access_by_id(user, OrgUnit, unit_id, action=action)


def _check_child_kind(parent: OrgUnit | None, kind: str) -> None:
    if parent is None:
        if kind != UnitKind.COMMITTEE:
            raise DomainError(
                _("顶层组织只能是党委。"), errors=[{"field": "kind", "message": _("顶层组织只能是党委。")}]
            )
        return
    if kind not in ALLOWED_CHILDREN[parent.kind]:
        msg = _("%(parent)s（%(pkind)s）下不能设立%(kind)s。") % {
            "parent": parent.name,
            "pkind": UnitKind(parent.kind).label,
            "kind": UnitKind(kind).label,
        }
        raise DomainError(msg, errors=[{"field": "kind", "message": msg}])


def _validate(unit: OrgUnit) -> None:
    try:
        unit.full_clean(exclude=["path", "parent", "merged_into"])
    except ValidationError as exc:
        errors = [{"field": f, "message": str(m)} for f, msgs in exc.message_dict.items() for m in msgs]
        raise DomainError(_("请检查填写的内容。"), errors=errors) from None


def unit_create(
    *,
    actor,
    parent_id: int | None,
    code: str,
    name: str,
    kind: str,
    sort_order: int = 0,
    founded_on: datetime.date | None = None,
    term_years: int = 3,
    term_started_on: datetime.date | None = None,
    description: str = "",
) -> OrgUnit:
    """Create a unit under ``parent_id``, checking the kind rules of ``ALLOWED_CHILDREN``.

    Top-level committees are not created here: no page offers that; ``setup_platform`` and
    ``seed_demo`` call ``root_unit_create``."""
    with transaction.atomic():
        lock_org_tree()
        if parent_id is None:
            raise PermissionDenied
        parent = access_unit_by_id(actor, parent_id)
        if not can(actor, "orgs.add_orgunit", parent):
            raise PermissionDenied
        if not parent.is_active:
            raise ConflictError(_("上级组织已撤销或合并，不能在其下设立组织。"))
        _check_child_kind(parent, kind)
        return _insert_unit(
            actor=actor,
            parent=parent,
            code=code,
            name=name,
            kind=kind,
            sort_order=sort_order,
            founded_on=founded_on,
            term_years=term_years,
            term_started_on=term_started_on,
            description=description,
        )


def _insert_unit(*, actor, parent: OrgUnit | None, **fields) -> OrgUnit:
    fields["code"] = (fields.get("code") or "").strip()
    fields["name"] = (fields.get("name") or "").strip()
    unit = OrgUnit(parent=parent, path=f"/new-{uuid.uuid4().hex}/", depth=(parent.depth + 1 if parent else 0), **fields)
    _validate(unit)
    if OrgUnit.objects.filter(code=unit.code).exists():
        msg = _("组织编码 %(code)s 已被使用。") % {"code": unit.code}
        raise DomainError(msg, errors=[{"field": "code", "message": msg}])
    unit.save()
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path)
    _unit_event(unit=unit, kind=UnitEventKind.CREATED, actor=_user(actor), details=snapshot(unit, UNIT_FIELDS))
    audit_record(
        actor=actor, action="orgs.unit.create", target=unit, changes=field_changes({}, unit, fields=UNIT_FIELDS)
    )
    return unit


def root_unit_create(*, actor, code: str, name: str, **fields) -> OrgUnit:
    """Create a top-level committee. Used by set-up commands only (no page offers it)."""
    with transaction.atomic():
        lock_org_tree()
        return _insert_unit(actor=actor, parent=None, code=code, name=name, kind=UnitKind.COMMITTEE, **fields)


def _unit_event(*, details: dict, **fields) -> UnitEvent:
    """Write a history row; ``details`` may hold dates (JSONField has no date encoder)."""
    return UnitEvent.objects.create(details=json.loads(json.dumps(details, cls=DjangoJSONEncoder)), **fields)


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def unit_update(*, actor, unit_id: int, **changes) -> OrgUnit:
    """Edit a unit's own fields. Kind changes are checked against parent and children."""
    allowed = set(UNIT_FIELDS)
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(_("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    with transaction.atomic():
        unit = access_unit_by_id(actor, unit_id, action="change")
        if not unit.is_active:
            raise ConflictError(_("已撤销或合并的组织不能修改。"))
        before = snapshot(unit, UNIT_FIELDS)
        for key, value in changes.items():
            setattr(unit, key, value.strip() if isinstance(value, str) and key in ("code", "name") else value)
        if unit.kind != before["kind"]:
            _check_child_kind(unit.parent, unit.kind)
            bad = unit.children.exclude(kind__in=ALLOWED_CHILDREN[unit.kind]).exclude(status=UnitStatus.DISSOLVED)
            if bad.exists():
                raise DomainError(
                    _("下级组织的类型与新类型不相容。"),
                    errors=[{"field": "kind", "message": _("下级组织的类型与新类型不相容。")}],
                )
        _validate(unit)
        if unit.code != before["code"] and OrgUnit.objects.filter(code=unit.code).exclude(pk=unit.pk).exists():
            msg = _("组织编码 %(code)s 已被使用。") % {"code": unit.code}
            raise DomainError(msg, errors=[{"field": "code", "message": msg}])
        diff = field_changes(before, unit, fields=UNIT_FIELDS)
        if not diff:
            return unit
        unit.save()
        kind = UnitEventKind.TERM if set(diff) <= {"term_started_on", "term_years"} else UnitEventKind.UPDATED
        _unit_event(unit=unit, kind=kind, actor=_user(actor), details=diff)
        audit_record(actor=actor, action="orgs.unit.update", target=unit, changes=diff)
    return unit


def _rebase_subtree(unit: OrgUnit, new_parent: OrgUnit) -> None:
    old_path = unit.path
    new_path = f"{new_parent.path}{unit.pk}/"
    delta = new_parent.depth + 1 - unit.depth
    OrgUnit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1, Length("path"))),
        depth=F("depth") + delta,
    )
    OrgUnit.objects.filter(pk=unit.pk).update(parent=new_parent)


def unit_move(*, actor, unit_id: int, new_parent_id: int) -> OrgUnit:
    """Put a unit (and its subtree) under another parent. Serialized by the tree lock; paths are
    re-read after taking it, so two concurrent moves cannot corrupt the tree."""
    with transaction.atomic():
        lock_org_tree()
        unit = access_unit_by_id(actor, unit_id, action="change")
        parent = access_unit_by_id(actor, new_parent_id)
        if not can(actor, "orgs.add_orgunit", parent):
            raise PermissionDenied
        if unit.parent_id is None:
            raise ConflictError(_("顶层党委不能调整隶属关系。"))
        if not unit.is_active or not parent.is_active:
            raise ConflictError(_("已撤销或合并的组织不能调整隶属关系。"))
        if parent.path.startswith(unit.path):
            raise DomainError(_("不能把组织移到它自己或它的下级组织之下。"))
        if parent.pk == unit.parent_id:
            return unit
        _check_child_kind(parent, unit.kind)
        old_parent_id = unit.parent_id
        _rebase_subtree(unit, parent)
        unit.refresh_from_db()
        details = {"parent": {"old": old_parent_id, "new": parent.pk}}
        _unit_event(unit=unit, kind=UnitEventKind.MOVED, actor=_user(actor), details=details)
        audit_record(actor=actor, action="orgs.unit.move", target=unit, changes=details)
    return unit


def unit_merge(*, actor, unit_id: int, into_id: int, merged_on: datetime.date | None = None) -> OrgUnit:
    """Merge a unit into another of the same kind: its sub-units and members move to the target,
    the unit is kept with status ``merged`` (never deleted)."""
    with transaction.atomic():
        lock_org_tree()
        unit = access_unit_by_id(actor, unit_id, action="change")
        target = access_unit_by_id(actor, into_id, action="change")
        if unit.pk == target.pk:
            raise DomainError(_("不能把组织合并到它自己。"))
        if unit.parent_id is None:
            raise ConflictError(_("顶层党委不能合并。"))
        if not unit.is_active or not target.is_active:
            raise ConflictError(_("已撤销或合并的组织不能再合并。"))
        if unit.kind != target.kind:
            raise DomainError(_("只能合并同类型的组织。"))
        if target.path.startswith(unit.path):
            raise DomainError(_("不能合并到自己的下级组织。"))
        moved_children = []
        for child in OrgUnit.objects.filter(parent=unit).exclude(status__in=[UnitStatus.MERGED, UnitStatus.DISSOLVED]):
            _rebase_subtree(child, target)
            moved_children.append(child.pk)
        summary: dict = {"into": target.pk, "children": moved_children}
        for handler in hooks.merge_handlers:
            summary.update(handler(actor=actor, source=unit, target=target) or {})
        unit.status = UnitStatus.MERGED
        unit.merged_into = target
        unit.closed_on = merged_on or timezone.localdate()
        unit.save(update_fields=["status", "merged_into", "closed_on", "updated_at"])
        RoleAssignment.objects.active().filter(unit=unit).update(revoked_at=timezone.now())
        _unit_event(unit=unit, kind=UnitEventKind.MERGED, actor=_user(actor), details=summary)
        _unit_event(unit=target, kind=UnitEventKind.UPDATED, actor=_user(actor), details={"merged_from": unit.pk})
        audit_record(actor=actor, action="orgs.unit.merge", target=unit, changes=summary)
    return unit


def unit_dissolve(*, actor, unit_id: int, dissolved_on: datetime.date | None = None, reason: str = "") -> OrgUnit:
    """Dissolve an empty unit: no active sub-unit and nothing the other apps still keep there."""
    with transaction.atomic():
        lock_org_tree()
        unit = access_unit_by_id(actor, unit_id, action="change")
        if unit.parent_id is None:
            raise ConflictError(_("顶层党委不能撤销。"))
        if not unit.is_active:
            raise ConflictError(_("该组织已撤销或合并。"))
        reasons = []
        active_children = OrgUnit.objects.filter(parent=unit, status=UnitStatus.ACTIVE).count()
        if active_children:
            reasons.append(_("还有 %(n)d 个下级组织未撤销或合并。") % {"n": active_children})
        for check in hooks.dissolve_checks:
            reasons.extend(check(unit=unit))
        if reasons:
            raise ConflictError(_("该组织暂不能撤销：") + " ".join(reasons), errors=[{"message": r} for r in reasons])
        unit.status = UnitStatus.DISSOLVED
        unit.closed_on = dissolved_on or timezone.localdate()
        unit.save(update_fields=["status", "closed_on", "updated_at"])
        RoleAssignment.objects.active().filter(unit=unit).update(revoked_at=timezone.now())
        details = {"reason": reason, "closed_on": unit.closed_on}
        _unit_event(unit=unit, kind=UnitEventKind.DISSOLVED, actor=_user(actor), details=details)
        audit_record(actor=actor, action="orgs.unit.dissolve", target=unit, changes=details)
    return unit


# --- roles -------------------------------------------------------------------------------


def unit_term_record(*, actor, unit: OrgUnit, started_on: datetime.date, term_years: int, reason: str) -> OrgUnit:
    """Start a new term (换届) decided by a workflow that has already authorized it (an approved
    election). No scope check here; the history row and the audit row are written in the
    caller's transaction."""
    before = snapshot(unit, ("term_started_on", "term_years"))
    unit.term_started_on = started_on
    unit.term_years = term_years
    _validate(unit)
    unit.save(update_fields=["term_started_on", "term_years"])
    diff = field_changes(before, unit, fields=("term_started_on", "term_years"))
    _unit_event(unit=unit, kind=UnitEventKind.TERM, actor=_user(actor), details={**diff, "reason": reason})
    audit_record(actor=actor, action="orgs.unit.term", target=unit, changes={**diff, "reason": {"new": reason}})
    return unit


def _require_security_admin(actor) -> None:
    if not actor.is_authenticated or actor.duty != Duty.SECURITY:
        raise PermissionDenied


def role_grant(*, actor, user_id: int, unit_id: int, role: str) -> RoleAssignment:
    """Grant ``role`` at a unit. Only the security administrator grants roles (三员分立), and
    an account holding a platform duty cannot also hold a Party role."""
    from django.contrib.auth import get_user_model

    _require_security_admin(actor)
    if role not in Role.values:
        raise DomainError(_("未知的角色。"), errors=[{"field": "role", "message": _("未知的角色。")}])
    with transaction.atomic():
        User = get_user_model()
        try:
            user = User.objects.select_for_update().get(pk=user_id, is_active=True)
        except User.DoesNotExist:
            raise DomainError(
                _("用户不存在或已停用。"), errors=[{"field": "user", "message": _("用户不存在或已停用。")}]
            ) from None
        if user.duty:
            raise ConflictError(_("平台管理员（系统、安全、审计）不能同时担任党组织角色。"))
        try:
            unit = OrgUnit.objects.get(pk=unit_id)
        except OrgUnit.DoesNotExist:
            raise DomainError(_("组织不存在。"), errors=[{"field": "unit", "message": _("组织不存在。")}]) from None
        if not unit.is_active:
            raise ConflictError(_("不能在已撤销或合并的组织上授权。"))
        if RoleAssignment.objects.active().filter(user=user, unit=unit, role=role).exists():
            raise ConflictError(_("该用户已在此组织担任该角色。"))
        assignment = RoleAssignment.objects.create(user=user, unit=unit, role=role, granted_by=actor)
        forget_grants(user)
        audit_record(
            actor=actor,
            action="orgs.role.grant",
            target=assignment,
            changes={"user": {"new": user.pk}, "unit": {"new": unit.pk}, "role": {"new": role}},
        )
    return assignment


def role_revoke(*, actor, assignment_id: int) -> RoleAssignment:
    _require_security_admin(actor)
    with transaction.atomic():
        try:
            assignment = RoleAssignment.objects.select_for_update().get(pk=assignment_id, revoked_at__isnull=True)
        except RoleAssignment.DoesNotExist:
            raise DomainError(_("授权不存在或已撤销。")) from None
        assignment.revoked_at = timezone.now()
        assignment.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="orgs.role.revoke",
            target=assignment,
            changes={"revoked_at": {"new": assignment.revoked_at}},
        )
    return assignment


# Roles that say "belongs to this unit" rather than "manages it": they follow the person when an
# approved workflow (a transfer of organizational relationship) moves them. Managing roles never
# move by themselves; the security administrator decides those.
MEMBERSHIP_ROLES = (Role.MEMBER, Role.APPLICANT)


def membership_roles_follow(*, actor, user_id: int, old_unit: OrgUnit, new_unit: OrgUnit | None, reason: str) -> int:
    """Move the user's membership roles granted on ``old_unit`` to ``new_unit`` (or only revoke
    them when ``new_unit`` is None: the person left the system). Runs in the caller's
    transaction; each change is audited. Returns how many grants moved or ended."""
    # A member of a Party group usually holds the member role on the group's branch.
    units = [old_unit.pk] + ([old_unit.parent_id] if old_unit.kind == UnitKind.GROUP and old_unit.parent_id else [])
    grants = list(
        RoleAssignment.objects.active()
        .select_for_update()
        .filter(user_id=user_id, unit_id__in=units, role__in=MEMBERSHIP_ROLES)
        .select_related("user")
    )
    now = timezone.now()
    for grant in grants:
        grant.revoked_at = now
        grant.save(update_fields=["revoked_at"])
        changes = {
            "unit": {"old": grant.unit_id, "new": new_unit.pk if new_unit else None},
            "role": {"old": grant.role},
        }
        audit_record(
            actor=actor, action="orgs.role.follow", target=grant, changes={**changes, "reason": {"new": reason}}
        )
        if new_unit is not None and not (
            RoleAssignment.objects.active().filter(user_id=user_id, unit=new_unit, role=grant.role).exists()
        ):
            moved = RoleAssignment.objects.create(user_id=user_id, unit=new_unit, role=grant.role, granted_by=actor)
            audit_record(
                actor=actor,
                action="orgs.role.grant",
                target=moved,
                changes={"user": {"new": user_id}, "unit": {"new": new_unit.pk}, "role": {"new": grant.role}},
            )
        forget_grants(grant.user)
    return len(grants)
