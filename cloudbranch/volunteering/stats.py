"""Service statistics (志愿服务统计) of a unit's subtree for one year, and a member's hours per year.

What is counted: CONFIRMED sign-ups (hours confirmed by the organizer) of shifts starting in the
year (local time), attributed to the volunteer's CURRENT unit — a unit's figures are the service
of its people, wherever the post was published.

- totals: confirmed hours, volunteers (distinct people), services (人次: confirmed sign-ups),
  posts served, average organizer rating of the volunteers (1–5, rated sign-ups only);
- per child unit (each child's whole subtree, plus 本级 for the unit's own people): hours,
  volunteers, services, party members on the roster and hours per member — one grouped query over
  the sign-ups and one over the people, both grouped by the child's path prefix of the person's
  unit path, so the rows add up to the totals;
- top 10 volunteers of the year; hours month by month (chart + table); an .xlsx export.

:func:`unit_stats` runs 6 queries whatever the size of the subtree (children, totals, per child,
members per child, top 10, months).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, CharField, Count, Sum, Value
from django.db.models.functions import ExtractMonth, ExtractYear, StrIndex, Substr
from django.utils import timezone

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can, granted_prefixes
from cloudbranch.people.choices import PARTY_MEMBER_STATUSES
from cloudbranch.people.models import Person

from .choices import SignupStatus
from .models import Signup

REPORT_PERM = "volunteering.view_report"
TOP_N = 10
ZERO = Decimal("0.0")


def child_prefix(unit: OrgUnit, lookup: str = "unit__path"):
    """SQL: the path of the child of ``unit`` holding the row's unit (``unit.path`` for the unit's
    own rows) — the same expression as news.board / learning.tasks (not importable across apps)."""
    n = len(unit.path)
    rest = Substr(lookup, n + 1)
    return Substr(lookup, 1, Value(n) + StrIndex(rest, Value("/")), output_field=CharField())


# --- which unit ----------------------------------------------------------------------------------


def access_stats_unit(user, unit_id) -> OrgUnit:
    """The unit whose statistics ``user`` opens: 404 unless it is in their volunteering.view_report scope."""
    return access_by_id(user, OrgUnit, unit_id, view=REPORT_PERM)


def default_stats_unit(user) -> OrgUnit:
    """The user's top unit for the report; 403 for someone holding the permission nowhere."""
    prefixes = granted_prefixes(user, REPORT_PERM)
    if not prefixes:
        raise PermissionDenied
    unit = OrgUnit.objects.filter(path__in=prefixes).order_by("depth", "path").first()
    if unit is None:
        raise PermissionDenied
    return unit


def stats_units(user):
    """Units the user may report on (for the unit picker)."""
    return OrgUnit.objects.restrict(user, REPORT_PERM).active().order_by("depth", "sort_order", "code")


def year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime(year, 1, 1, tzinfo=tz),
        datetime.datetime(year + 1, 1, 1, tzinfo=tz),
    )


def confirmed_in_year(unit: OrgUnit, year: int):
    start, end = year_bounds(year)
    return Signup.objects.filter(
        status=SignupStatus.CONFIRMED,
        hours__isnull=False,
        person__unit__path__startswith=unit.path,
        shift__starts_at__gte=start,
        shift__starts_at__lt=end,
    )


# --- the report ----------------------------------------------------------------------------------


@dataclass
class Row:
    unit: OrgUnit | None
    label: str
    hours: Decimal = ZERO
    volunteers: int = 0
    services: int = 0
    members: int = 0

    @property
    def hours_per_member(self) -> Decimal | None:
        return (self.hours / self.members).quantize(Decimal("0.1"), ROUND_HALF_UP) if self.members else None


@dataclass
class Totals:
    hours: Decimal = ZERO
    volunteers: int = 0
    services: int = 0
    posts: int = 0
    average_rating: Decimal | None = None
    members: int = 0

    @property
    def hours_per_member(self) -> Decimal | None:
        return (self.hours / self.members).quantize(Decimal("0.1"), ROUND_HALF_UP) if self.members else None


@dataclass
class TopVolunteer:
    person_id: int
    name: str
    unit_name: str
    hours: Decimal
    services: int


@dataclass
class Report:
    unit: OrgUnit
    year: int
    totals: Totals
    rows: list[Row] = field(default_factory=list)
    top: list[TopVolunteer] = field(default_factory=list)
    months: list[tuple[int, Decimal]] = field(default_factory=list)  # (1..12, hours)

    @property
    def chart(self) -> dict:
        return {"months": [f"{m}月" for m, _ in self.months], "hours": [float(h) for _, h in self.months]}


def _dec(value) -> Decimal:
    """Hours with one decimal (the backends return sums as int, float or Decimal)."""
    return (Decimal(str(value)) if value is not None else ZERO).quantize(Decimal("0.1"), ROUND_HALF_UP)


def unit_stats(unit: OrgUnit, year: int) -> Report:
    """The statistics of ``unit``'s subtree for ``year`` (6 queries, see the module docstring).
    The caller has checked access (:func:`access_stats_unit`)."""
    confirmed = confirmed_in_year(unit, year)
    children = list(OrgUnit.objects.filter(parent=unit).order_by("status", "sort_order", "path"))

    agg = confirmed.aggregate(
        hours=Sum("hours"),
        volunteers=Count("person", distinct=True),
        services=Count("id"),
        posts=Count("shift__post", distinct=True),
        rating=Avg("organizer_rating"),
    )
    totals = Totals(
        hours=_dec(agg["hours"]),
        volunteers=agg["volunteers"],
        services=agg["services"],
        posts=agg["posts"],
        average_rating=Decimal(str(agg["rating"])).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if agg["rating"] is not None
        else None,
    )

    grouped = (
        confirmed.annotate(child=child_prefix(unit, "person__unit__path"))
        .values("child")
        .annotate(hours=Sum("hours"), volunteers=Count("person", distinct=True), services=Count("id"))
        .order_by()
    )
    by_path = {g["child"]: g for g in grouped}
    members = dict(
        Person.objects.on_roster()
        .filter(unit__path__startswith=unit.path, political_status__in=PARTY_MEMBER_STATUSES)
        .annotate(child=child_prefix(unit))
        .values_list("child")
        .annotate(n=Count("id"))
        .order_by()
    )
    totals.members = sum(members.values())

    def fill(row: Row, path: str) -> Row:
        g = by_path.pop(path, None)
        if g:
            row.hours, row.volunteers, row.services = _dec(g["hours"]), g["volunteers"], g["services"]
        row.members = members.pop(path, 0)
        return row

    report = Report(unit=unit, year=year, totals=totals)
    for child in children:
        row = fill(Row(unit=child, label=child.name), child.path)
        if child.status != "active" and not (row.services or row.members):
            continue
        report.rows.append(row)
    own = fill(Row(unit=unit, label=f"{unit.name}（本级）"), unit.path)
    for path in list(by_path):  # a child moved or created since: counted with 本级 so rows add up
        extra = fill(Row(unit=None, label=""), path)
        own.hours += extra.hours
        own.volunteers += extra.volunteers
        own.services += extra.services
    own.members += sum(members.values())
    if own.services or own.members:
        report.rows.append(own)

    report.top = [
        TopVolunteer(person_id=r["person"], name=r["person__name"], unit_name=r["person__unit__name"] or "",
                     hours=_dec(r["hours"]), services=r["services"])
        for r in confirmed.values("person", "person__name", "person__unit__name")
        .annotate(hours=Sum("hours"), services=Count("id"))
        .order_by("-hours", "-services", "person__name", "person")[:TOP_N]
    ]  # fmt: skip

    per_month = dict(
        confirmed.annotate(month=ExtractMonth("shift__starts_at"))
        .values_list("month")
        .annotate(hours=Sum("hours"))
        .order_by()
    )
    report.months = [(m, _dec(per_month.get(m))) for m in range(1, 13)]
    return report


def hours_by_year(person: Person) -> list[dict]:
    """A member's confirmed service per year, newest first: [{"year", "hours", "services"}] (1 query)."""
    rows = (
        Signup.objects.filter(person=person, status=SignupStatus.CONFIRMED, hours__isnull=False)
        .annotate(year=ExtractYear("shift__starts_at"))
        .values("year")
        .annotate(hours=Sum("hours"), services=Count("id"))
        .order_by("-year")
    )
    return [{"year": r["year"], "hours": _dec(r["hours"]), "services": r["services"]} for r in rows]


def may_report(user, unit: OrgUnit) -> bool:
    return can(user, REPORT_PERM, unit)


# --- export --------------------------------------------------------------------------------------


def report_xlsx(report: Report) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    bold = Font(bold=True)
    ws = wb.active
    ws.title = "汇总"
    t = report.totals
    ws.append([f"{report.unit.name} {report.year} 年志愿服务统计"])
    ws["A1"].font = bold
    for label, value in (
        ("确认服务时长（小时）", float(t.hours)),
        ("志愿者人数", t.volunteers),
        ("服务人次", t.services),
        ("参与岗位数", t.posts),
        ("平均评价（1-5）", float(t.average_rating) if t.average_rating is not None else "—"),
        ("党员人数", t.members),
        ("人均时长（小时/党员）", float(t.hours_per_member) if t.hours_per_member is not None else "—"),
    ):
        ws.append([label, value])

    ws = wb.create_sheet("下级组织")
    ws.append(["组织", "服务时长（小时）", "志愿者人数", "服务人次", "党员人数", "人均时长"])
    for r in report.rows:
        hpm = r.hours_per_member
        ws.append([r.label, float(r.hours), r.volunteers, r.services, r.members, float(hpm) if hpm is not None else ""])
    ws.append(["合计", float(t.hours), t.volunteers, t.services, t.members,
               float(t.hours_per_member) if t.hours_per_member is not None else ""])  # fmt: skip

    ws = wb.create_sheet("志愿者前十")
    ws.append(["名次", "姓名", "所在组织", "服务时长（小时）", "服务人次"])
    for i, v in enumerate(report.top, 1):
        ws.append([i, v.name, v.unit_name, float(v.hours), v.services])

    ws = wb.create_sheet("月度时长")
    ws.append(["月份", "服务时长（小时）"])
    for m, h in report.months:
        ws.append([f"{m}月", float(h)])

    for sheet in wb.worksheets:
        for cell in sheet[1 if sheet.title != "汇总" else 1]:
            cell.font = bold
        sheet.column_dimensions["A"].width = 28
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
