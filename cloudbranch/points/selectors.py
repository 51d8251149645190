"""Reads of points: my points, rankings of a unit's subtree, the annual appraisal scores.

Rankings read only ``PointTally`` (one row per person and period), never the ledger: the people
on the roster in the subtree, left-joined to their tally of the period (0 without one), ranked by
points with standard competition ranking (ties share a rank: 1, 2, 2, 4) and shown by name then
id within a tie. A page of the ranking is two queries (the page; one aggregate pass for the
total, the first row's rank and the viewer's own rank), the same for a branch of 30 and a school
of 40,000.

Who sees which ranking: a member sees the units on their own unit's path (their group, branch,
college, school); a holder of ``points.view_pointevent`` any unit in that grant's subtrees. Any
other unit is a 404.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, FilteredRelation, Max, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from cloudbranch.orgs.choices import BRANCH_KINDS, UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import granted_prefixes, scope_q
from cloudbranch.people.choices import RosterStatus
from cloudbranch.people.models import Person

from .choices import Period
from .models import PointEvent, PointTally, ScoreScheme
from .services import ADJUSTMENT, all_rules, period_start

VIEW_PERM = "points.view_pointevent"
SCORE_PERMS = ("learning.view_report", VIEW_PERM)
PER_PAGE = 20


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- periods -------------------------------------------------------------------------------


def parse_period(period: str | None) -> str:
    return period if period in Period.values else Period.MONTH


def parse_start(period: str, value, *, today: datetime.date | None = None) -> datetime.date:
    """The period containing the date ``value`` (ISO ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``),
    today's period when missing or malformed."""
    today = today or timezone.localdate()
    day = today
    text = str(value or "").strip()
    try:
        if len(text) == 4:
            day = datetime.date(int(text), 1, 1)
        elif len(text) == 7:
            day = datetime.date(int(text[:4]), int(text[5:7]), 1)
        elif text:
            day = datetime.date.fromisoformat(text)
    except ValueError:
        day = today
    if not datetime.date(2000, 1, 1) <= day <= datetime.date(2100, 12, 31):
        day = today
    return period_start(period, day)


def shift_period(period: str, start: datetime.date, n: int) -> datetime.date:
    """The start of the period ``n`` periods after (negative: before) the one starting at ``start``."""
    if period == Period.WEEK:
        return start + datetime.timedelta(weeks=n)
    if period == Period.MONTH:
        months = start.year * 12 + start.month - 1 + n
        return datetime.date(months // 12, months % 12 + 1, 1)
    return start.replace(year=start.year + n)


def period_label(period: str, start: datetime.date) -> str:
    if period == Period.WEEK:
        end = start + datetime.timedelta(days=6)
        return f"{start:%Y-%m-%d} 至 {end:%m-%d}"
    if period == Period.MONTH:
        return f"{start.year}年{start.month}月"
    return f"{start.year}年"


# --- who may see which unit ----------------------------------------------------------------


def _own_path_ids(person: Person | None) -> list[int]:
    if person is None or person.roster_status != RosterStatus.ACTIVE:
        return []
    return [int(p) for p in person.unit.path.strip("/").split("/") if p]


def may_see_unit(user, person: Person | None, unit: OrgUnit) -> bool:
    if unit.pk in _own_path_ids(person):
        return True
    prefixes = granted_prefixes(user, VIEW_PERM)
    return bool(prefixes) and unit.path.startswith(prefixes)


def may_see_rankings(user, person: Person | None) -> bool:
    return bool(_own_path_ids(person)) or bool(granted_prefixes(user, VIEW_PERM))


def ranking_unit(user, person: Person | None, unit_id=None) -> OrgUnit:
    """The unit whose ranking is asked for, or Http404 when the viewer may not see it. Without
    ``unit_id``: the viewer's own branch (their unit, or the branch above their group), else the
    top unit of their grant."""
    if unit_id in (None, ""):
        own = _own_path_ids(person)
        if own:
            unit = person.unit
            if unit.kind not in BRANCH_KINDS and unit.parent_id and len(own) > 1:
                return OrgUnit.objects.get(pk=unit.parent_id)
            return unit
        prefixes = granted_prefixes(user, VIEW_PERM)
        if not prefixes:
            raise Http404
        unit_id = int(prefixes[0].strip("/").split("/")[-1])
    pk = _int(unit_id)
    unit = OrgUnit.objects.filter(pk=pk, status=UnitStatus.ACTIVE).first() if pk else None
    if unit is None or not may_see_unit(user, person, unit):
        raise Http404
    return unit


def ranking_unit_choices(user, person: Person | None, *, selected: OrgUnit | None = None, limit: int = 100):
    """The units offered by the ranking page's picker: the units on the viewer's own path, the
    top units of their ``points.view_pointevent`` grants and those units' children, and the
    selected unit's children (so a manager can walk down the tree). One query."""
    own = _own_path_ids(person)
    prefixes = granted_prefixes(user, VIEW_PERM)
    tops = [int(p.strip("/").split("/")[-1]) for p in prefixes]
    cond = Q(pk__in=own) | Q(pk__in=tops) | Q(parent_id__in=tops)
    if selected is not None:
        cond |= Q(pk=selected.pk)
        if prefixes and selected.path.startswith(prefixes):
            cond |= Q(parent_id=selected.pk)
    return list(
        OrgUnit.objects.filter(cond, status=UnitStatus.ACTIVE)
        .only("id", "name", "path", "depth")
        .order_by("path")[:limit]
    )


# --- rankings ------------------------------------------------------------------------------


def _tallied_people(path: str, period: str, start: datetime.date):
    """People on the roster under ``path`` with ``pts``: their tally of the period, 0 without one."""
    return (
        Person.objects.filter(unit__path__startswith=path, roster_status=RosterStatus.ACTIVE)
        .annotate(
            tally=FilteredRelation(
                "point_tallies", condition=Q(point_tallies__period=period, point_tallies__start=start)
            )
        )
        .annotate(pts=Coalesce(F("tally__points"), Value(0)))
    )


@dataclass
class RankRow:
    person_id: int
    name: str
    unit_name: str
    points: int
    rank: int
    is_me: bool = False


@dataclass
class Ranking:
    unit: OrgUnit
    period: str
    start: datetime.date
    page: Page
    me: RankRow | None

    @property
    def rows(self) -> list[RankRow]:
        return self.page.object_list

    @property
    def label(self) -> str:
        return period_label(self.period, self.start)

    @property
    def period_name(self) -> str:
        return str(Period(self.period).label)

    @property
    def previous_start(self) -> datetime.date:
        return shift_period(self.period, self.start, -1)

    @property
    def next_start(self) -> datetime.date:
        return shift_period(self.period, self.start, 1)


def _known_page(rows: list, number: int, total: int, per_page: int) -> Page:
    paginator = Paginator([], per_page)
    paginator.__dict__["count"] = total  # the total came with the rows (COUNT(*) OVER ())
    return Page(rows, number, paginator)


def _mine(person: Person, period: str, start: datetime.date):
    """The person's points of the period as a scalar subquery (0 without a tally)."""
    return Coalesce(
        Subquery(PointTally.objects.filter(person_id=person.pk, period=period, start=start).values("points")[:1]),
        Value(0),
    )


def _me_aggregates(person: Person, period: str, start: datetime.date) -> dict:
    return {
        "me_above": Count("id", filter=Q(pts__gt=_mine(person, period, start))),
        "me_points": Max("pts", filter=Q(pk=person.pk)),
        "me_present": Count("id", filter=Q(pk=person.pk)),
    }


def _me_row(person: Person, agg: dict) -> RankRow | None:
    if not agg["me_present"]:
        return None
    return RankRow(person.pk, person.name, person.unit.name, agg["me_points"] or 0, agg["me_above"] + 1, is_me=True)


def ranking(
    *,
    unit: OrgUnit,
    period: str,
    start: datetime.date,
    page: int | str | None = 1,
    per_page: int = PER_PAGE,
    person: Person | None = None,
) -> Ranking:
    """One page of the ranking of ``unit``'s subtree for a period, and the viewer's own row
    (``person``, when on the roster in that subtree).

    Two queries whatever the size of the subtree: (1) the page, ordered by points, name, id with
    LIMIT/OFFSET (a top-N sort, no window over the whole subtree); (2) one aggregate pass giving
    the total, how many people have more points than the first row of the page, and the viewer's
    points and how many have more. Competition ranks follow exactly: the first row's rank is
    1 + (people above it); a later row shares the previous row's rank when tied, else its rank is
    its position (everyone before it has more points). A page past the end shows the last page
    (two more queries)."""
    number = max(1, _int(page) or 1)
    people = _tallied_people(unit.path, period, start)
    ordered = people.order_by("-pts", "name", "id").values("id", "name", "unit__name", "pts")
    offset = (number - 1) * per_page
    rows = list(ordered[offset : offset + per_page])
    aggregates = {"total": Count("id")}
    if rows:
        aggregates["above_first"] = Count("id", filter=Q(pts__gt=rows[0]["pts"]))
    if person is not None:
        aggregates.update(_me_aggregates(person, period, start))
    agg = people.aggregate(**aggregates)
    if not rows and agg["total"] and number > 1:
        return ranking(
            unit=unit,
            period=period,
            start=start,
            page=-(-agg["total"] // per_page),
            per_page=per_page,
            person=person,
        )
    me_id = person.pk if person is not None else None
    items: list[RankRow] = []
    for i, r in enumerate(rows):
        if i == 0:
            rank = agg["above_first"] + 1
        elif r["pts"] == rows[i - 1]["pts"]:
            rank = items[-1].rank
        else:
            rank = offset + i + 1
        items.append(RankRow(r["id"], r["name"], r["unit__name"], r["pts"], rank, is_me=r["id"] == me_id))
    me = _me_row(person, agg) if person is not None else None
    return Ranking(unit, period, start, _known_page(items, number, agg["total"], per_page), me)


def viewer_rank(*, path: str, period: str, start: datetime.date, person: Person) -> RankRow | None:
    """The person's rank and points in the subtree ``path`` (None when not on its roster): one
    query — 1 + the number of people with more points (competition ranking)."""
    agg = _tallied_people(path, period, start).aggregate(**_me_aggregates(person, period, start))
    return _me_row(person, agg)


@dataclass
class UnitRankRow:
    unit: OrgUnit
    people: int
    points: int
    mean: Decimal
    rank: int = 0
    visible: bool = False


def child_unit_ranking(*, unit: OrgUnit, period: str, start: datetime.date) -> list[UnitRankRow]:
    """The active child units of ``unit`` ranked by mean points per person on the roster of
    their subtree (ties share a rank). Two queries: the children, and one GROUP BY per unit path
    rolled up to the children in Python."""
    children = list(
        OrgUnit.objects.filter(parent=unit, status=UnitStatus.ACTIVE)
        .only("id", "name", "path")
        .order_by("sort_order", "path")
    )
    if not children:
        return []
    by_id = {c.pk: UnitRankRow(c, 0, 0, Decimal("0")) for c in children}
    sums = (
        _tallied_people(unit.path, period, start)
        .exclude(unit_id=unit.pk)
        .values("unit__path")
        .annotate(n=Count("id"), s=Sum("pts"))
        .order_by()
    )
    for row in sums:
        head = row["unit__path"][len(unit.path) :].split("/", 1)[0]
        entry = by_id.get(_int(head))
        if entry is not None:
            entry.people += row["n"]
            entry.points += row["s"] or 0
    out = list(by_id.values())
    for entry in out:
        if entry.people:
            entry.mean = (Decimal(entry.points) / entry.people).quantize(Decimal("0.01"), ROUND_HALF_UP)
    out.sort(key=lambda e: (-e.mean, e.unit.name, e.unit.pk))
    for i, entry in enumerate(out):
        entry.rank = out[i - 1].rank if i and entry.mean == out[i - 1].mean else i + 1
    return out


# --- my points -----------------------------------------------------------------------------


@dataclass
class ActionToday:
    action: str
    label: str
    points: int  # per award
    earned: int
    daily_cap: int

    @property
    def done(self) -> bool:
        return bool(self.daily_cap) and self.earned >= self.daily_cap

    @property
    def percent(self) -> int:
        if not self.daily_cap:
            return 100 if self.earned else 0
        return min(100, self.earned * 100 // self.daily_cap)


def today_by_action(person: Person, *, today: datetime.date | None = None) -> list[ActionToday]:
    """Today's points per active rule against its daily cap (学习强国's 积分 page). One query."""
    today = today or timezone.localdate()
    earned = dict(
        PointEvent.objects.filter(person_id=person.pk, day=today)
        .exclude(action=ADJUSTMENT)
        .values("action")
        .annotate(s=Sum("points"))
        .values_list("action", "s")
        .order_by()
    )
    return [
        ActionToday(r.action, r.label, r.points, earned.get(r.action, 0) or 0, r.daily_cap)
        for r in sorted(all_rules().values(), key=lambda r: r.action)
        if r.active and r.action != ADJUSTMENT
    ]


def totals(person: Person, *, today: datetime.date | None = None) -> dict[str, int]:
    """The person's points this week, month and year (and today), from the tallies. One query
    for the tallies, one for today."""
    today = today or timezone.localdate()
    starts = {p: period_start(p, today) for p in Period.values}
    cond = Q()
    for p, s in starts.items():
        cond |= Q(period=p, start=s)
    found = dict(PointTally.objects.filter(cond, person_id=person.pk).values_list("period", "points"))
    out = {p: found.get(p, 0) for p in Period.values}
    out["today"] = PointEvent.objects.filter(person_id=person.pk, day=today).aggregate(s=Sum("points"))["s"] or 0
    return out


def branch_path(person: Person) -> str:
    """The path of the person's branch: their unit, or the unit above when it is a group."""
    path = person.unit.path
    if person.unit.kind not in BRANCH_KINDS and person.unit.parent_id:
        path = path[: path.rstrip("/").rfind("/") + 1]
    return path


def history(person: Person):
    return PointEvent.objects.filter(person_id=person.pk).order_by("-occurred_at", "-id")


def action_labels() -> dict[str, str]:
    return {a: r.label for a, r in all_rules().items()}


# --- annual appraisal scores ---------------------------------------------------------------


def score_unit(user, unit_id=None) -> OrgUnit:
    """A unit whose scores the user may read (``learning.view_report`` or
    ``points.view_pointevent`` there); the top of their grant by default; 404 otherwise."""
    prefixes = tuple(sorted({p for perm in SCORE_PERMS for p in granted_prefixes(user, perm)}, key=len))
    if not prefixes:
        raise PermissionDenied
    if unit_id in (None, ""):
        unit_id = int(prefixes[0].strip("/").split("/")[-1])
    pk = _int(unit_id)
    unit = OrgUnit.objects.filter(scope_q("path", prefixes), pk=pk, status=UnitStatus.ACTIVE).first() if pk else None
    if unit is None:
        raise Http404
    return unit


def score_unit_choices(user, *, selected: OrgUnit | None = None, limit: int = 100) -> list[OrgUnit]:
    prefixes = {p for perm in SCORE_PERMS for p in granted_prefixes(user, perm)}
    tops = [int(p.strip("/").split("/")[-1]) for p in prefixes]
    cond = Q(pk__in=tops) | Q(parent_id__in=tops)
    if selected is not None:
        cond |= Q(pk=selected.pk) | Q(parent_id=selected.pk)
    return list(
        OrgUnit.objects.filter(cond, status=UnitStatus.ACTIVE).only("id", "name", "path").order_by("path")[:limit]
    )


@dataclass
class ScoreRow:
    person_id: int
    name: str
    unit_name: str
    points: int
    base: int
    bonus: Decimal
    appraisal_max: int

    @property
    def subtotal(self) -> Decimal:
        return self.base + self.bonus


def bonus_for(points: int, scheme: ScoreScheme) -> Decimal:
    """min(bonus_max, yearly points / points_per_bonus_point), never below 0, to 0.01."""
    if points <= 0 or not scheme.points_per_bonus_point:
        return Decimal("0.00")
    bonus = Decimal(points) / Decimal(scheme.points_per_bonus_point)
    return min(Decimal(scheme.bonus_max), bonus).quantize(Decimal("0.01"), ROUND_HALF_UP)


def score_queryset(unit: OrgUnit, year: int):
    """People on the roster in the subtree with their points of the year, highest first."""
    return (
        _tallied_people(unit.path, Period.YEAR, datetime.date(year, 1, 1))
        .order_by("-pts", "name", "id")
        .values("id", "name", "unit__name", "pts")
    )


def score_rows(rows, scheme: ScoreScheme) -> list[ScoreRow]:
    return [
        ScoreRow(
            r["id"],
            r["name"],
            r["unit__name"],
            r["pts"],
            scheme.base,
            bonus_for(r["pts"], scheme),
            scheme.appraisal_max,
        )
        for r in rows
    ]


def scheme_for(year: int) -> ScoreScheme | None:
    return ScoreScheme.objects.filter(year=year).first()
