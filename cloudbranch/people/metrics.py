"""Structure metrics (组织与队伍): people on the roster by political status, and Party members by
gender, category, age band, education and flags — stocks as of a period's end (SPEC §9).

Attribution: every figure counts a person in their CURRENT unit (``Person.unit``), on the roster
today (``roster_status`` active).

History (an approximation, documented in each description): the roster keeps no snapshot per
day, so a stock as of a past date is rebuilt from the stage dates on ``Person`` — a person is at
a stage from its date (``applied_on``, ``activist_on``, ``candidate_on``, ``joined_on``,
``confirmed_on``) until the next stage date they have. A stage whose date is missing is unknown:
the person is not counted at it in the past (except at their current status, counted as always
held). Gender, category, education, unit, roster status and the mobile / lost-contact flags are
today's values. As of today (or later) the current ``political_status`` is used as is, so the
figures of today agree with the roster's headcounts.

Each compute is one grouped query over ``people_person``; ``compute_dates`` counts every asked
date in the same query (one filtered COUNT column per date).
"""

from __future__ import annotations

import datetime

from django.db.models import F, Q
from django.db.models.functions import Coalesce

from cloudbranch.core.metric_queries import stock
from cloudbranch.core.metrics import STOCK, Metric, register

from .choices import PARTY_MEMBER_STATUSES, STAGE_DATES, Category, Gender, PoliticalStatus, RosterStatus
from .models import Person

SOURCES = {"people.Person": "unit_id"}
UNIT = "unit_id"

_STATUSES = [status for status, _field in STAGE_DATES]  # applicant … full, in pipeline order
_DATE_OF = dict(STAGE_DATES)


def _people():
    """People on the roster, with for each stage the date the person left it (the next stage date
    they have): ``left_<status>``."""
    aliases = {}
    for i, status in enumerate(_STATUSES[:-1]):
        later = [_DATE_OF[s] for s in _STATUSES[i + 1 :]]
        aliases[f"left_{status}"] = Coalesce(*later) if len(later) > 1 else F(later[0])
    return Person.objects.filter(roster_status=RosterStatus.ACTIVE).alias(**aliases)


def at_stage(status: str, as_of: datetime.date, today: datetime.date) -> Q:
    """People at ``status`` on ``as_of`` (see the module docstring)."""
    if as_of >= today:
        return Q(political_status=status)
    i = _STATUSES.index(status)
    date_field = _DATE_OF[status]
    here = Q(political_status=status) & (Q(**{f"{date_field}__isnull": True}) | Q(**{f"{date_field}__lte": as_of}))
    if i == len(_STATUSES) - 1:
        return here
    beyond = Q(political_status__in=_STATUSES[i + 1 :]) & Q(
        **{f"{date_field}__lte": as_of, f"left_{status}__gt": as_of}
    )
    return here | beyond


def party_member(as_of: datetime.date, today: datetime.date) -> Q:
    """Probationary or full members on ``as_of``."""
    if as_of >= today:
        return Q(political_status__in=PARTY_MEMBER_STATUSES)
    return at_stage(PoliticalStatus.PROBATIONARY, as_of, today) | at_stage(PoliticalStatus.FULL, as_of, today)


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_band(low: int, high: int | None):
    """Party members aged ``low``..``high`` (whole years, inclusive) on the date."""

    def condition(as_of, today):
        q = party_member(as_of, today) & Q(birth_date__lte=_years_before(as_of, low))
        if high is not None:
            q &= Q(birth_date__gt=_years_before(as_of, high + 1))
        return q

    return condition


_POSTGRADUATE = Q(education__contains="研究生") | Q(education__contains="硕士") | Q(education__contains="博士")
_BACHELOR = Q(education__contains="本科") | Q(education__contains="学士")


def _members_with(q: Q):
    return lambda as_of, today: party_member(as_of, today) & q


def _stock(key: str, label: str, condition, description: str, *, history: bool = True) -> None:
    register(
        Metric(
            key=key,
            label=label,
            area="structure",
            kind=STOCK,
            unit="人",
            sources=SOURCES,
            description=description,
            history=history,
            **stock(_people, unit=UNIT, condition=condition),
        )
    )


_HISTORY = "过去日期按人员各阶段日期推算（缺少日期的阶段不计入历史），当前值按现在的政治面貌；计入人员当前所在党组织。"

for _key, _status, _label in (
    ("structure.full_members", PoliticalStatus.FULL, "正式党员"),
    ("structure.probationary_members", PoliticalStatus.PROBATIONARY, "预备党员"),
    ("structure.candidates", PoliticalStatus.CANDIDATE, "发展对象"),
    ("structure.activists", PoliticalStatus.ACTIVIST, "入党积极分子"),
    ("structure.applicants", PoliticalStatus.APPLICANT, "入党申请人"),
):
    _stock(
        _key,
        _label,
        lambda as_of, today, s=_status: at_stage(s, as_of, today),
        f"期末在册的{_label}人数。{_HISTORY}",
    )

_stock("structure.party_members", "党员", party_member, f"期末在册党员（正式党员 + 预备党员）人数。{_HISTORY}")

_MEMBERS = "期末在册党员中"
_EDU_NOTE = "学历文字含“研究生/硕士/博士”计研究生，含“本科/学士”计本科，其余（含未填）计其他。"
_TODAY_ATTR = "性别、类别、学历及流动、失联标记取当前值。"
# The breakdowns are computed for the current periods only (Metric.history False): they rest on
# today's attributes anyway, and recomputing 24 month-ends of each over a province's roster is what
# would make the nightly run long. Their history is the series of nightly snapshots.
_SNAPSHOT = "按每晚统计时的状态记录（历史为每次统计的快照）。"

for _key, _q, _label in (
    ("structure.members_male", Q(gender=Gender.MALE), "男党员"),
    ("structure.members_female", Q(gender=Gender.FEMALE), "女党员"),
    ("structure.members_student", Q(category=Category.STUDENT), "学生党员"),
    ("structure.members_faculty", Q(category=Category.FACULTY), "教师党员"),
    ("structure.members_staff", Q(category=Category.STAFF), "职工党员"),
    ("structure.members_retiree", Q(category=Category.RETIREE), "离退休党员"),
    ("structure.edu_postgraduate", _POSTGRADUATE, "研究生学历党员"),
    ("structure.edu_bachelor", _BACHELOR & ~_POSTGRADUATE, "本科学历党员"),
    ("structure.edu_other", ~_POSTGRADUATE & ~_BACHELOR, "其他学历党员"),
    ("structure.mobile_members", Q(is_mobile=True), "流动党员"),
    ("structure.lost_contact", Q(is_lost_contact=True), "失联党员"),
):
    _note = _EDU_NOTE if _key.startswith("structure.edu_") else ""
    _stock(_key, _label, _members_with(_q), f"{_MEMBERS}{_label}人数。{_note}{_TODAY_ATTR}{_SNAPSHOT}", history=False)

for _key, _low, _high, _label in (
    ("structure.age_under_30", 0, 29, "30 岁以下党员"),
    ("structure.age_30_45", 30, 45, "30–45 岁党员"),
    ("structure.age_46_60", 46, 60, "46–60 岁党员"),
    ("structure.age_over_60", 61, None, "60 岁以上党员"),
):
    _stock(_key, _label, age_band(_low, _high), f"{_MEMBERS}{_label}人数（按期末日的周岁）。{_SNAPSHOT}", history=False)
