"""The data of the cockpit page (党建数据座舱): headline figures, the panels behind every chart,
the children of the unit for the treemap and the top/bottom lists.

Figures come ONLY from the metric store through ``selectors_metrics`` (never the raw tables of
the areas), in a FIXED number of queries whatever the size of the subtree:

1. ``series`` of the headline kind (month or year) over [previous period, current period]: the
   headline figures, the structure charts and the change vs the previous period (one query);
2. ``series`` of the months of the selected year: the monthly lines (one query);
3. ``figures`` of the selected YEAR: the development funnel of the year, the year's score (one query);
4. ``children_figures`` of the year: treemap, top/bottom lists (two queries);

plus ``last_run()`` (one query) whose id and finish time are part of the cache key: the assembled
data is cached per (unit, period, run), so a recompute that finishes changes the key.

A panel is one plain dict, the single source of the chart (rendered once as JSON with
``json_script``), of its accessible table, of the .xlsx sheet and of the API:
``{"id", "title", "chart", "columns": [...], "rows": [[...], ...], "ids": [...], "note"}`` —
the first column names the category (a month, a status, a unit), the others are series.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cloudbranch.core import metrics as catalogue_mod
from cloudbranch.core.metrics import MONTH, YEAR
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, granted_prefixes

from . import periods
from . import selectors_metrics as sel

VIEW = "cockpit.view_cockpit"
CACHE_TTL = 15 * 60
CACHE_VERSION = 3  # 2: headline figures carry as_of; 3: assessment scores to 0.01
SCORE = "assessment.score"
TENTH, CENT = Decimal("0.1"), Decimal("0.01")
# Figures are shown to 0.1 (rates, hours, averages) except the assessment score: published to the
# cent (``assessment.scoring.total``), ranked on that, and shown so on the ranking page. Rounded to
# 0.1, a branch's published 69.23 read 69.2 here, and 55.13 / 55.08 (ranked 2nd / 3rd) looked tied.
PLACES = {SCORE: CENT}

# (key, label, unit) of the headline figures.
HEADLINE = [
    ("structure.party_members", "党员总数", "人"),
    ("structure.full_members", "正式党员", "人"),
    ("structure.probationary_members", "预备党员", "人"),
    ("structure.candidates", "发展对象", "人"),
    ("structure.activists", "入党积极分子", "人"),
    ("structure.applicants", "入党申请人", "人"),
    ("structure.branches", "党支部数", "个"),
    ("life.compliance_rate", "组织生活达标率", "%"),
    ("life.attendance_rate", "出勤率", "%"),
    ("learning.task_completion_rate", "学习任务完成率", "%"),
    ("dues.payment_rate", "党费交纳率", "%"),
    ("service.hours", "志愿服务时长", "小时"),
    ("tasks.on_time_rate", "任务按时完成率", "%"),
    (SCORE, "考核得分", "分"),
]
# Shown only when there is a figure (a score exists only where an assessment was run).
OPTIONAL_HEADLINE = {SCORE}

STATUS = [
    ("structure.full_members", "正式党员"),
    ("structure.probationary_members", "预备党员"),
    ("structure.candidates", "发展对象"),
    ("structure.activists", "入党积极分子"),
    ("structure.applicants", "入党申请人"),
]
GENDER = [("structure.members_male", "男"), ("structure.members_female", "女")]
CATEGORY = [
    ("structure.members_student", "学生"),
    ("structure.members_faculty", "教师"),
    ("structure.members_staff", "管理服务人员"),
    ("structure.members_retiree", "离退休"),
]
AGE = [
    ("structure.age_under_30", "30 岁以下"),
    ("structure.age_30_45", "30–45 岁"),
    ("structure.age_46_60", "46–60 岁"),
    ("structure.age_over_60", "60 岁以上"),
]
EDUCATION = [
    ("structure.edu_postgraduate", "研究生"),
    ("structure.edu_bachelor", "大学本科"),
    ("structure.edu_other", "其他"),
]
FUNNEL = [
    ("development.applications", "递交入党申请"),
    ("development.activists_new", "确定入党积极分子"),
    ("development.candidates_new", "列为发展对象"),
    ("development.admitted", "接收预备党员"),
    ("development.confirmed", "预备党员转正"),
]

# Monthly lines: (key, label, transform) per panel; transform turns the stored unit into the shown one.
HOURS_FROM_SECONDS = Decimal(3600)
YUAN_FROM_FEN = Decimal(100)
MONTHLY = [
    {
        "id": "life",
        "title": "组织生活达标率与出勤率（按月，%）",
        "chart": "line",
        "series": [("life.compliance_rate", "组织生活达标率(%)", None), ("life.attendance_rate", "出勤率(%)", None)],
    },
    {
        "id": "study",
        "title": "学习教育（按月）",
        "chart": "combo",
        "series": [
            ("learning.study_seconds", "学习时长(小时)", HOURS_FROM_SECONDS),
            ("learning.task_completion_rate", "学习任务完成率(%)", None),
            ("learning.exam_average", "考试平均分", None),
        ],
    },
    {
        "id": "dues",
        "title": "党费应缴与实缴（按月，元）",
        "chart": "bar",
        "series": [("dues.expected_fen", "应缴(元)", YUAN_FROM_FEN), ("dues.paid_fen", "实缴(元)", YUAN_FROM_FEN)],
    },
    {
        "id": "service",
        "title": "志愿服务时长（按月，小时）",
        "chart": "bar",
        "series": [("service.hours", "志愿服务时长(小时)", None)],
    },
    {
        "id": "tasks",
        "title": "任务落实（按月）",
        "chart": "combo",
        "series": [
            ("tasks.received", "收到任务(个)", None),
            ("tasks.completed_on_time", "按时完成(个)", None),
            ("tasks.on_time_rate", "按时完成率(%)", None),
        ],
    },
]

# Children (treemap, top/bottom): size, colour candidates, rankable metrics.
CHILD_SIZE = "structure.party_members"
CHILD_METRICS = [
    (CHILD_SIZE, "党员数"),
    (SCORE, "考核得分"),
    ("life.compliance_rate", "组织生活达标率(%)"),
    ("life.attendance_rate", "出勤率(%)"),
    ("learning.task_completion_rate", "学习任务完成率(%)"),
    ("dues.payment_rate", "党费交纳率(%)"),
    ("service.hours", "志愿服务时长(小时)"),
    ("tasks.on_time_rate", "任务按时完成率(%)"),
]
RANK_CHOICES = [(k, label) for k, label in CHILD_METRICS]
DEFAULT_RANK = "life.compliance_rate"
TOP_N = 5


def _freshman_keys() -> list[str]:
    """The freshman application rate, if an area registers such a metric (no query)."""
    return sorted(k for k in catalogue_mod.catalogue() if k.startswith("development.") and "freshman" in k)


def _label(key: str, fallback: str) -> str:
    """The cockpit's own wording (as the brief names the figures); the catalogue's label for keys
    the cockpit has no wording for."""
    if fallback:
        return fallback
    m = catalogue_mod.catalogue().get(key)
    return m.label if m is not None else key


def num(value, divisor: Decimal | None = None, places: Decimal = TENTH):
    """A stored Decimal as a JSON number (int when whole, else float rounded half up to ``places``,
    as figures are read: 72.45 shows 72.5); None stays None."""
    if value is None:
        return None
    value = Decimal(value)
    if divisor:
        value = (value / divisor).quantize(places, ROUND_HALF_UP)
    if value == value.to_integral_value():
        return int(value)
    return float(value.quantize(places, ROUND_HALF_UP))


def figure(key: str, value):
    """``num`` at the precision the figure ``key`` is shown with (``PLACES``)."""
    return num(value, places=PLACES.get(key, TENTH))


# --- access ------------------------------------------------------------------------------------


def unit_id_of(path: str) -> int:
    return int(path.strip("/").split("/")[-1])


def dashboard_unit(user, unit_id) -> OrgUnit:
    """The asked unit (404 outside the user's cockpit scope) or the user's top unit."""
    if unit_id in (None, ""):
        prefixes = granted_prefixes(user, VIEW)
        if not prefixes:
            raise PermissionDenied
        unit_id = unit_id_of(min(prefixes, key=lambda p: (len(p), p)))
    return access_by_id(user, OrgUnit, unit_id, view=VIEW)


# --- periods -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashPeriod:
    """The selected period: a month (``month`` set) or a whole year."""

    year: int
    month: int | None

    @property
    def kind(self) -> str:
        return MONTH if self.month else YEAR

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, self.month or 1, 1)

    @property
    def previous_start(self) -> datetime.date:
        if self.month:
            return (
                datetime.date(self.year - 1, 12, 1) if self.month == 1 else datetime.date(self.year, self.month - 1, 1)
            )
        return datetime.date(self.year - 1, 1, 1)

    @property
    def year_start(self) -> datetime.date:
        return datetime.date(self.year, 1, 1)

    @property
    def label(self) -> str:
        return f"{self.year} 年 {self.month} 月" if self.month else f"{self.year} 年"

    @property
    def previous_label(self) -> str:
        p = self.previous_start
        return f"{p.year} 年 {p.month} 月" if self.month else f"{p.year} 年"

    @property
    def key(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)

    def query(self) -> str:
        return f"year={self.year}" + (f"&month={self.month}" if self.month else "")


def parse_period(year, month, today: datetime.date | None = None) -> DashPeriod:
    """?year=&month= (month empty = the whole year); defaults: the current month. Nonsense falls
    back to the defaults."""
    today = today or timezone.localdate()
    try:
        y = int(year) if year not in (None, "") else today.year
    except (TypeError, ValueError):
        y = today.year
    if not 2000 <= y <= today.year + 1:
        y = today.year
    if month in (None,) and year in (None, ""):
        return DashPeriod(y, today.month)
    try:
        m = int(month) if month not in (None, "") else None
    except (TypeError, ValueError):
        m = None
    if m is not None and not 1 <= m <= 12:
        m = None
    return DashPeriod(y, m)


def year_months(period: DashPeriod, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The months shown in the monthly lines: the selected year, up to the current month."""
    first = period.year_start
    last = datetime.date(period.year, 12, 1)
    if period.year == today.year:
        last = periods.month_start(today)
    return first, last


# --- assembly ------------------------------------------------------------------------------------


def _headline_keys() -> list[str]:
    keys = [k for k, _, _ in HEADLINE]
    for group in (STATUS, GENDER, CATEGORY, AGE, EDUCATION):
        keys.extend(k for k, _ in group if k not in keys)
    return keys


def _monthly_keys() -> list[str]:
    keys: list[str] = []
    for panel in MONTHLY:
        keys.extend(k for k, _, _ in panel["series"] if k not in keys)
    return keys


def _change(key: str, cur, prev):
    if cur is None or prev is None:
        return None
    return figure(key, Decimal(cur) - Decimal(prev))


def _breakdown(pid: str, title: str, chart: str, group, values, unit: str = "人") -> dict:
    return {
        "id": pid,
        "title": title,
        "chart": chart,
        "columns": ["类别", f"人数({unit})"],
        "rows": [[_label(k, label), num(values.get(k))] for k, label in group],
        "ids": [],
        "note": "",
    }


def _child_colour_key(children_values) -> str:
    """assessment.score when any child has one, else the organizational life compliance rate."""
    if any(values.get(SCORE) is not None for _, values in children_values):
        return SCORE
    return "life.compliance_rate"


def assemble(unit, period: DashPeriod, today: datetime.date | None = None) -> dict:
    """The page's data for ``unit`` and ``period`` (no cache; see ``page_data``). Five queries."""
    today = today or timezone.localdate()

    # 1. headline + structure: the current and the previous period in one query.
    head_keys = _headline_keys()
    head = sel.series(unit, head_keys, period.kind, period.previous_start, period.start)
    cur = {k: (pts[-1][1] if pts else None) for k, pts in head.items()}
    prev = {k: (pts[0][1] if len(pts) > 1 else None) for k, pts in head.items()}

    # 2. the year's figures: funnel of the year, the year's score, the freshman rate if any.
    freshman = _freshman_keys()
    year_values = sel.figures(unit, [k for k, _ in FUNNEL] + [SCORE] + freshman, YEAR, period.year_start)

    headline = []
    for key, fallback, unit_label in HEADLINE:
        value, previous = cur.get(key), prev.get(key)
        if key == SCORE and period.kind == MONTH:
            value, previous = year_values.get(SCORE), None
        if key in OPTIONAL_HEADLINE and value is None:
            continue
        headline.append(
            {
                "key": key,
                "label": _label(key, fallback),
                "unit": unit_label,
                "value": figure(key, value),
                "previous": figure(key, previous),
                "change": _change(key, value, previous),
                # A rate judged only at the end of its period (compliance, study tasks) has no
                # figure for the running month yet: the page shows the previous period's, named.
                "as_of": period.previous_label if value is None and previous is not None else None,
            }
        )

    panels = [
        _breakdown("status", "党员与发展对象构成（按政治面貌）", "pie", STATUS, cur),
        _breakdown("gender", "党员性别结构", "pie", GENDER, cur),
        _breakdown("category", "党员类别结构", "bar", CATEGORY, cur),
        _breakdown("age", "党员年龄结构", "bar", AGE, cur),
        _breakdown("education", "党员学历结构", "pie", EDUCATION, cur),
    ]
    funnel = _breakdown("funnel", f"{period.year} 年发展党员漏斗", "funnel", FUNNEL, year_values)
    notes = []
    for key in freshman:
        if year_values.get(key) is not None:
            notes.append(f"{_label(key, '')}：{num(year_values[key])}")
    funnel["note"] = "；".join(notes)
    panels.append(funnel)

    # 3. the monthly lines of the selected year: one query for every line.
    first, last = year_months(period, today)
    monthly = sel.series(unit, _monthly_keys(), MONTH, first, last)
    starts = periods.starts_between(MONTH, first, last)
    for spec in MONTHLY:
        rows = []
        for i, s in enumerate(starts):
            row = [f"{s.year}-{s.month:02d}"]
            for key, _, divisor in spec["series"]:
                points = monthly.get(key) or []
                row.append(num(points[i][1], divisor) if i < len(points) else None)
            rows.append(row)
        panels.append(
            {
                "id": spec["id"],
                "title": f"{period.year} 年" + spec["title"],
                "chart": spec["chart"],
                "columns": ["月份", *[label for _, label, _ in spec["series"]]],
                "rows": rows,
                "ids": [],
                "note": "",
            }
        )

    # 4. the children: treemap and top/bottom (two queries whatever their number).
    children = sel.children_figures(unit, [k for k, _ in CHILD_METRICS], YEAR, period.year_start)
    colour_key = _child_colour_key(children)
    colour_label = dict(CHILD_METRICS)[colour_key]
    panels.append(
        {
            "id": "treemap",
            "title": f"下级组织（面积：党员数；颜色：{colour_label}）",
            "chart": "treemap",
            "columns": ["组织", "党员数", colour_label],
            "rows": [[c.name, num(v.get(CHILD_SIZE)), figure(colour_key, v.get(colour_key))] for c, v in children],
            "ids": [c.pk for c, _ in children],
            "note": f"{period.year} 年数据；点击组织查看其座舱。",
        }
    )
    panels.append(
        {
            "id": "ranking",
            "title": f"下级组织排行（{period.year} 年）",
            "chart": "ranking",
            "columns": ["组织", *[label for _, label in CHILD_METRICS]],
            "rows": [[c.name, *[figure(k, v.get(k)) for k, _ in CHILD_METRICS]] for c, v in children],
            "ids": [c.pk for c, _ in children],
            "note": "",
        }
    )

    return {
        "unit": {"id": unit.pk, "name": unit.name, "path": unit.path, "parent_id": unit.parent_id},
        "period": {
            "year": period.year,
            "month": period.month,
            "kind": period.kind,
            "start": period.start.isoformat(),
            "label": period.label,
            "previous_label": period.previous_label,
        },
        "headline": headline,
        "panels": panels,
        "rank_choices": [{"key": k, "label": label, "column": i + 1} for i, (k, label) in enumerate(RANK_CHOICES)],
    }


def run_info(run) -> dict:
    """What the page says about the last recompute ("数据更新于 …")."""
    if run is None:
        return {"id": None, "finished_at": None, "running": False, "error": False}
    return {
        "id": run.pk,
        "finished_at": run.finished_at,
        "started_at": run.started_at,
        "running": run.finished_at is None,
        "error": bool(run.error),
    }


def cache_key(unit, period: DashPeriod, run, today: datetime.date) -> str:
    stamp = "none"
    if run is not None:
        stamp = f"{run.pk}-{int(run.finished_at.timestamp()) if run.finished_at else 'running'}"
    return f"cockpit:dash:v{CACHE_VERSION}:{unit.pk}:{period.key}:{stamp}:{today.isoformat()}"


def page_data(unit, period: DashPeriod, today: datetime.date | None = None) -> dict:
    """The page's data, cached per (unit, period, last recompute, day). One query on a cache hit
    (``last_run``), six on a miss."""
    today = today or timezone.localdate()
    run = sel.last_run()
    key = cache_key(unit, period, run, today)
    data = cache.get(key)
    if data is None:
        data = assemble(unit, period, today)
        cache.set(key, data, CACHE_TTL)
    return {**data, "run": run_info(run), "cache_key": key}


def rank(data: dict, key: str) -> dict:
    """Top and bottom ``TOP_N`` children by ``key`` (units without a figure are left out)."""
    choices = {c["key"]: c for c in data["rank_choices"]}
    choice = choices.get(key) or choices[DEFAULT_RANK]
    ranking = next(p for p in data["panels"] if p["id"] == "ranking")
    col = choice["column"]
    entries = [
        {"id": uid, "name": row[0], "value": row[col]}
        for uid, row in zip(ranking["ids"], ranking["rows"], strict=True)
        if row[col] is not None
    ]
    ordered = sorted(entries, key=lambda e: (-e["value"], e["name"]))
    top = ordered[:TOP_N]
    bottom = list(reversed(ordered[max(TOP_N, len(ordered) - TOP_N) :]))
    return {"key": choice["key"], "label": choice["label"], "top": top, "bottom": bottom}
