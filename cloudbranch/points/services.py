"""Writes of the points ledger: awards (called by other apps), adjustments and rule edits.

``point_award`` is the one door through which any app pays points. It is idempotent per source
object (the unique constraint (person, action, source_type, source_id)), applies the rule's daily
and yearly caps (sums of the person's events of that action on that day / in that year) and keeps
the week / month / year tallies in the same transaction as the event, so rankings never read the
ledger. Everything it writes joins the caller's transaction: a rolled-back check-in pays nothing.
"""

from __future__ import annotations

import datetime
import io
import threading
import time
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import DomainError
from cloudbranch.orgs.scoping import access_by_id, holds
from cloudbranch.people.models import Person

from .choices import Period
from .models import PointEvent, PointRule, PointTally

ADJUSTMENT = "adjustment"
ADJUST_PERM = "points.change_pointrule"
RULES_PERM = "points.change_pointrule"
RULES_CACHE_SECONDS = 60
ADJUST_MAX = 10_000
NOTE_MAX = 200
CAP_MAX = 100_000

# --- rules, cached per process -------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    action: str
    label: str
    points: int
    daily_cap: int
    yearly_cap: int
    active: bool


_rules_lock = threading.Lock()
_rules: dict[str, Rule] | None = None
_rules_loaded_at = 0.0


def clear_rules_cache() -> None:
    """Forget the cached rules (after an edit, and between tests whose rows roll back)."""
    global _rules
    with _rules_lock:
        _rules = None


def all_rules() -> dict[str, Rule]:
    """Every rule by action, read at most once a minute per process (awards happen on every
    article read; the rules change a few times a year)."""
    global _rules, _rules_loaded_at
    with _rules_lock:
        if _rules is None or time.monotonic() - _rules_loaded_at > RULES_CACHE_SECONDS:
            _rules = {
                r.action: Rule(r.action, r.label, r.points, r.daily_cap, r.yearly_cap, r.active)
                for r in PointRule.objects.all()
            }
            _rules_loaded_at = time.monotonic()
        return _rules


def active_rule(action: str) -> Rule | None:
    rule = all_rules().get(action)
    return rule if rule is not None and rule.active else None


# --- periods -------------------------------------------------------------------------------


def period_start(period: str, day: datetime.date) -> datetime.date:
    """The first day of the week (Monday), month or year containing ``day``."""
    if period == Period.WEEK:
        return day - datetime.timedelta(days=day.weekday())
    if period == Period.MONTH:
        return day.replace(day=1)
    if period == Period.YEAR:
        return day.replace(month=1, day=1)
    raise ValueError(period)


def _add_to_tallies(person_id: int, day: datetime.date, points: int) -> None:
    """Add ``points`` to the person's week, month and year tallies: an F() increment of the row,
    created when missing (the create runs under a savepoint, so a concurrent first award of the
    same period turns into an increment instead of an error)."""
    for period in Period.values:
        start = period_start(period, day)
        rows = PointTally.objects.filter(person_id=person_id, period=period, start=start)
        if rows.update(points=F("points") + points):
            continue
        try:
            with transaction.atomic():
                PointTally.objects.create(person_id=person_id, period=period, start=start, points=points)
        except IntegrityError:
            rows.update(points=F("points") + points)


# --- awards --------------------------------------------------------------------------------


def capped_points(rule: Rule, *, earned_today: int, earned_this_year: int) -> int:
    """What one more award of ``rule`` pays given what the person already earned from it:
    min(rule points, what is left of the daily cap, what is left of the yearly cap); 0 = nothing."""
    points = rule.points
    if rule.daily_cap:
        points = min(points, rule.daily_cap - earned_today)
    if rule.yearly_cap:
        points = min(points, rule.yearly_cap - earned_this_year)
    return max(0, points)


def point_award(
    *,
    person: Person,
    action: str,
    source_type: str,
    source_id,
    occurred_at: datetime.datetime | None = None,
    note: str = "",
) -> PointEvent | None:
    """Award the points of ``action`` to ``person`` for one source object, or None when nothing is
    paid: no active rule, already paid for this source (idempotent), or the daily / yearly cap of
    the action is reached. A partial award fills the cap exactly.

    Concurrency: the person's row is locked first (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite
    transactions are serialized already), so two awards of one person never both read the sums
    below a cap; the event is inserted under a savepoint and a duplicate (the unique constraint)
    is answered with None without spoiling the caller's transaction.
    """
    rule = active_rule(action)
    if rule is None or rule.points <= 0 or action == ADJUSTMENT:
        return None
    occurred_at = occurred_at or timezone.now()
    day = timezone.localdate(occurred_at)
    source_id = str(source_id)[:64]
    with transaction.atomic():
        list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))
        already = PointEvent.objects.filter(
            person_id=person.pk, action=action, source_type=source_type, source_id=source_id
        ).exists()
        if already:
            return None
        year_start = day.replace(month=1, day=1)
        earned = PointEvent.objects.filter(
            person_id=person.pk, action=action, day__gte=year_start, day__lte=day.replace(month=12, day=31)
        ).aggregate(today=Sum("points", filter=Q(day=day)), year=Sum("points"))
        points = capped_points(rule, earned_today=earned["today"] or 0, earned_this_year=earned["year"] or 0)
        if points <= 0:
            return None
        try:
            with transaction.atomic():
                event = PointEvent.objects.create(
                    person_id=person.pk,
                    action=action,
                    points=points,
                    source_type=source_type,
                    source_id=source_id,
                    note=(note or "")[:NOTE_MAX],
                    occurred_at=occurred_at,
                    day=day,
                )
        except IntegrityError:
            return None  # the same source was paid by a concurrent request
        _add_to_tallies(person.pk, day, points)
    return event


def point_adjust(*, actor, person_id: int, points: int, note: str) -> PointEvent:
    """An organization department correction (积分调整): positive or negative points with a
    written reason, outside any cap, audited. Each adjustment is its own source (a fresh id), so
    two identical corrections are two events. 404 for a person outside the actor's roster
    scope, 403 when visible but the actor may not adjust there."""
    person = access_by_id(actor, Person, person_id, action=ADJUST_PERM, view="people.view_person")
    errors = []
    try:
        points = int(points)
    except (TypeError, ValueError):
        points = 0
    if points == 0 or abs(points) > ADJUST_MAX:
        errors.append(
            {"field": "points", "message": _("请填写非零的调整积分（绝对值不超过 %(n)d）") % {"n": ADJUST_MAX}}
        )
    note = (note or "").strip()
    if not note:
        errors.append({"field": "note", "message": _("请写明调整原因")})
    elif len(note) > NOTE_MAX:
        errors.append({"field": "note", "message": _("原因不超过 %(n)d 字") % {"n": NOTE_MAX}})
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)
    now = timezone.now()
    day = timezone.localdate(now)
    with transaction.atomic():
        event = PointEvent.objects.create(
            person=person,
            action=ADJUSTMENT,
            points=points,
            source_type=ADJUSTMENT,
            source_id=uuid.uuid4().hex,
            note=note,
            occurred_at=now,
            day=day,
        )
        _add_to_tallies(person.pk, day, points)
        audit_record(
            actor=actor,
            action="points.event.adjust",
            target=person,
            changes={"points": points, "note": note, "event": event.pk},
        )
    return event


# --- rules ---------------------------------------------------------------------------------

RULE_FIELDS = ("points", "daily_cap", "yearly_cap", "active")


def may_edit_rules(user) -> bool:
    return holds(user, RULES_PERM)


def point_rule_update(*, actor, rule_id: int, **values) -> PointRule:
    """Change a rule's points, daily cap, yearly cap or whether it is active (organization
    department only; rules apply to the whole school). The adjustment rule is not editable: an
    adjustment's points are written by hand each time."""
    if not may_edit_rules(actor):
        raise PermissionDenied
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"unknown rule fields: {sorted(unknown)}")
    errors = []
    for name in ("points", "daily_cap", "yearly_cap"):
        if name in values:
            try:
                values[name] = int(values[name])
            except (TypeError, ValueError):
                values[name] = -1
            if not 0 <= values[name] <= CAP_MAX:
                errors.append({"field": name, "message": _("请填写 0–%(n)d 的整数") % {"n": CAP_MAX}})
    if "active" in values:
        values["active"] = bool(values["active"])
    with transaction.atomic():
        rule = PointRule.objects.select_for_update().filter(pk=rule_id).first()
        if rule is None:
            raise Http404
        if rule.action == ADJUSTMENT:
            raise DomainError(_("“积分调整”没有固定分值，不能修改"))
        merged = {f: values.get(f, getattr(rule, f)) for f in RULE_FIELDS}
        if not errors and merged["daily_cap"] and merged["points"] > merged["daily_cap"]:
            errors.append({"field": "daily_cap", "message": _("每日上限不能小于每次积分（0 表示不限）")})
        if not errors and merged["yearly_cap"] and merged["daily_cap"] > merged["yearly_cap"]:
            errors.append({"field": "yearly_cap", "message": _("每年上限不能小于每日上限（0 表示不限）")})
        if errors:
            raise DomainError(errors[0]["message"], errors=errors)
        before = snapshot(rule, RULE_FIELDS)
        for f, v in merged.items():
            setattr(rule, f, v)
        changes = field_changes(before, rule, fields=RULE_FIELDS)
        if changes:
            rule.save(update_fields=[*RULE_FIELDS, "updated_at"])
            audit_record(actor=actor, action="points.rule.update", target=rule, changes=changes)
        transaction.on_commit(clear_rules_cache)
    clear_rules_cache()
    return rule


# --- exports -------------------------------------------------------------------------------


def scores_export(*, actor, unit, year: int) -> tuple[str, bytes]:
    """The annual appraisal scores of a unit's subtree as .xlsx (openpyxl write_only), audited as
    ``points.scores.export`` (it lists people). The caller has checked the unit is in scope."""
    from openpyxl import Workbook

    from . import selectors

    scheme = selectors.scheme_for(year)
    if scheme is None:
        raise DomainError(_("%(y)d 年度尚未设置积分考评方案") % {"y": year})
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("年度积分考评")
    ws.append([f"{unit.name} {year} 年度党员积分考评"])
    ws.append(
        [
            scheme.note
            or f"基础分 {scheme.base} + 积分加分（最多 {scheme.bonus_max}）+ 民主评议（{scheme.appraisal_max}）"
        ]
    )
    ws.append(["序号", "姓名", "所在党组织", "年度积分", "基础分", "积分加分", "小计", "民主评议", "总分"])
    n = 0
    for n, row in enumerate(selectors.score_rows(selectors.score_queryset(unit, year).iterator(), scheme), start=1):
        ws.append(
            [n, row.name, row.unit_name, row.points, row.base, float(row.bonus), float(row.subtotal), "待评议", ""]
        )
    buf = io.BytesIO()
    wb.save(buf)
    with transaction.atomic():
        audit_record(actor=actor, action="points.scores.export", target=unit, changes={"year": year, "rows": n})
    return f"points-scores-{unit.pk}-{year}.xlsx", buf.getvalue()
