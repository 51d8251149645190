"""The cockpit page's data from hand-inserted OrgMetric rows: headline figures and their change,
ratios from numerator/denominator, the structure and funnel panels, the monthly lines, the
treemap and the top/bottom lists; the page, its JSON (= its tables), the big screen, the .xlsx
and the API."""

import datetime
import io
import json
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.urls import reverse

from cloudbranch.audit.models import AuditEvent
from cloudbranch.cockpit import dashboard
from cloudbranch.cockpit.tests.factories import finished_run, put_figures
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.testing.factories import make_unit

M, Y = "M", "Y"
JUNE, MAY = datetime.date(2024, 6, 1), datetime.date(2024, 5, 1)
YEAR = datetime.date(2024, 1, 1)
URL = reverse("cockpit:dashboard")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def seed(world):
    """June and May 2024 of the root; the 2024 year of the root and of its two colleges."""
    root = world.root
    put_figures(
        root,
        {
            "structure.party_members": 120,
            "structure.full_members": 100,
            "structure.probationary_members": 20,
            "structure.candidates": 8,
            "structure.activists": 15,
            "structure.applicants": 40,
            "structure.branches": 3,
            "structure.members_male": 70,
            "structure.members_female": 50,
            "structure.members_student": 60,
            "structure.age_under_30": 55,
            "structure.edu_postgraduate": 30,
            "life.meetings_met": 9,
            "life.meetings_required": 12,
            "life.attendance_present": 90,
            "life.attendance_expected": 100,
            "dues.paid_fen": 50000,
            "dues.expected_fen": 80000,
            "service.hours": 36,
            "tasks.received": 4,
            "tasks.completed_on_time": 3,
            "learning.study_seconds": 7200,
            "learning.exam_score_sum": 170,
            "learning.exam_attempts": 2,
        },
        M,
        JUNE,
    )
    put_figures(
        root,
        {
            "structure.party_members": 110,
            "life.meetings_met": 6,
            "life.meetings_required": 12,
            "service.hours": 40,
            "dues.paid_fen": 80000,
            "dues.expected_fen": 80000,
        },
        M,
        MAY,
    )
    put_figures(
        root,
        {
            "development.applications": 40,
            "development.activists_new": 15,
            "development.candidates_new": 8,
            "development.admitted": 5,
            "development.confirmed": 4,
            "assessment.score": 91.5,
        },
        Y,
        YEAR,
    )
    put_figures(
        world.college_a, {"structure.party_members": 70, "life.meetings_met": 3, "life.meetings_required": 4}, Y, YEAR
    )
    put_figures(
        world.college_b, {"structure.party_members": 50, "life.meetings_met": 4, "life.meetings_required": 4}, Y, YEAR
    )


def page(client, **params):
    query = {"year": 2024, "month": 6, **params}
    return client.get(URL, query)


def test_headline_ratios_and_change_vs_previous_month(world, login):
    seed(world)
    data = dashboard.page_data(world.root, dashboard.DashPeriod(2024, 6))
    head = {h["key"]: h for h in data["headline"]}
    assert (head["structure.party_members"]["value"], head["structure.party_members"]["change"]) == (120, 10)
    assert head["structure.full_members"]["value"] == 100
    assert head["structure.probationary_members"]["value"] == 20
    assert head["structure.branches"]["value"] == 3
    # 9 / 12 = 75.0 %, May 6 / 12 = 50.0 %: +25 points.
    assert head["life.compliance_rate"]["value"] == 75
    assert head["life.compliance_rate"]["previous"] == 50
    assert head["life.compliance_rate"]["change"] == 25
    assert head["life.attendance_rate"]["value"] == 90
    assert head["life.attendance_rate"]["previous"] is None  # no attendance stored in May
    assert head["dues.payment_rate"]["value"] == 62.5  # 50000 / 80000
    assert head["dues.payment_rate"]["change"] == -37.5
    assert head["service.hours"]["value"] == 36 and head["service.hours"]["change"] == -4
    assert head["tasks.on_time_rate"]["value"] == 75
    assert head["learning.task_completion_rate"]["value"] is None  # no assignments: no rate
    # The year's score is shown in a month view too (it is stored per year).
    assert head["assessment.score"]["value"] == 91.5


def test_score_left_out_when_absent(world):
    data = dashboard.page_data(world.root, dashboard.DashPeriod(2024, 6))
    assert "assessment.score" not in {h["key"] for h in data["headline"]}
    assert data["headline"][0]["value"] == 0  # additive metric without rows is 0


def test_year_view_compares_with_previous_year(world):
    put_figures(world.root, {"service.hours": 500}, Y, YEAR)
    put_figures(world.root, {"service.hours": 400}, Y, datetime.date(2023, 1, 1))
    data = dashboard.page_data(world.root, dashboard.DashPeriod(2024, None))
    head = {h["key"]: h for h in data["headline"]}
    assert (head["service.hours"]["value"], head["service.hours"]["previous"], head["service.hours"]["change"]) == (
        500,
        400,
        100,
    )
    assert data["period"]["label"] == "2024 年" and data["period"]["previous_label"] == "2023 年"


def test_panels_structure_funnel_monthly(world):
    seed(world)
    data = dashboard.page_data(world.root, dashboard.DashPeriod(2024, 6))
    panels = {p["id"]: p for p in data["panels"]}
    assert panels["status"]["rows"][:2] == [["正式党员", 100], ["预备党员", 20]]
    assert panels["gender"]["rows"] == [["男", 70], ["女", 50]]
    assert panels["category"]["rows"][0] == ["学生", 60]
    assert panels["age"]["rows"][0] == ["30 岁以下", 55]
    assert panels["education"]["rows"][0] == ["研究生", 30]
    assert [r[1] for r in panels["funnel"]["rows"]] == [40, 15, 8, 5, 4]
    life = panels["life"]
    assert life["columns"][0] == "月份" and len(life["rows"]) == 12
    assert life["rows"][4] == ["2024-05", 50, None]
    assert life["rows"][5] == ["2024-06", 75, 90]
    assert life["rows"][0] == ["2024-01", None, None]  # no meetings required: no rate
    study = panels["study"]["rows"][5]
    assert study == ["2024-06", 2, None, 85]  # 7200 s = 2 h; exam average 170 / 2
    assert panels["dues"]["rows"][5] == ["2024-06", 800, 500]  # fen -> yuan
    assert panels["service"]["rows"][4:6] == [["2024-05", 40], ["2024-06", 36]]
    assert panels["tasks"]["rows"][5] == ["2024-06", 4, 3, 75]


def test_treemap_and_ranking(world):
    seed(world)
    data = dashboard.page_data(world.root, dashboard.DashPeriod(2024, 6))
    panels = {p["id"]: p for p in data["panels"]}
    tm = panels["treemap"]
    # No child has a score: coloured by the compliance rate (3/4, 4/4).
    assert tm["columns"] == ["组织", "党员数", "组织生活达标率(%)"]
    assert dict(zip(tm["ids"], [r[1:] for r in tm["rows"]], strict=True)) == {
        world.college_a.pk: [70, 75],
        world.college_b.pk: [50, 100],
    }
    ranked = dashboard.rank(data, "life.compliance_rate")
    assert [e["id"] for e in ranked["top"]] == [world.college_b.pk, world.college_a.pk]
    assert ranked["bottom"] == []
    ranked = dashboard.rank(data, "structure.party_members")
    assert [e["value"] for e in ranked["top"]] == [70, 50]


def test_treemap_colours_by_score_when_present(world):
    put_figures(world.college_a, {"structure.party_members": 7, "assessment.score": 88}, Y, YEAR)
    data = dashboard.page_data(world.root, dashboard.DashPeriod(2024, 6))
    tm = next(p for p in data["panels"] if p["id"] == "treemap")
    assert tm["columns"][2] == "考核得分"
    assert tm["rows"][tm["ids"].index(world.college_a.pk)][1:] == [7, 88]


def test_score_shown_to_the_cent_as_published(world):
    """The published total (to 0.01) is what the cockpit shows and ranks on: rounded to 0.1, 55.13
    and 55.08 would tie and fall back to the order of the names (数学… before 计算机…)."""
    put_figures(world.root, {"assessment.score": "69.23"}, Y, YEAR)
    put_figures(world.root, {"assessment.score": "68.5"}, Y, datetime.date(2023, 1, 1))
    put_figures(world.college_a, {"structure.party_members": 7, "assessment.score": "55.13"}, Y, YEAR)
    put_figures(world.college_b, {"structure.party_members": 5, "assessment.score": "55.08"}, Y, YEAR)
    data = dashboard.page_data(world.root, dashboard.DashPeriod(2024, None))
    score = next(h for h in data["headline"] if h["key"] == "assessment.score")
    assert (score["value"], score["previous"], score["change"]) == (69.23, 68.5, 0.73)
    ranked = dashboard.rank(data, "assessment.score")
    assert [(e["id"], e["value"]) for e in ranked["top"]] == [(world.college_a.pk, 55.13), (world.college_b.pk, 55.08)]
    tm = next(p for p in data["panels"] if p["id"] == "treemap")
    assert tm["rows"][tm["ids"].index(world.college_b.pk)][1:] == [5, 55.08]


def test_top_and_bottom_five_without_overlap(world):
    for i in range(8):
        unit = make_unit(parent=world.college_b, kind=UnitKind.BRANCH, name=f"支部{i}", code=f"X{i}")
        put_figures(unit, {"structure.party_members": i + 1}, Y, YEAR)
    data = dashboard.page_data(world.college_b, dashboard.DashPeriod(2024, 6))
    ranked = dashboard.rank(data, "structure.party_members")
    assert [e["value"] for e in ranked["top"]] == [8, 7, 6, 5, 4]
    # branch_b1 (no figures stored: 0 members) is a child of college_b too.
    assert [e["value"] for e in ranked["bottom"]] == [0, 1, 2, 3]


class _Tables(HTMLParser):
    """{panel id: [[cell text, ...], ...]} of the tables marked data-panel."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-panel" in attrs:
            self.current = self.tables.setdefault(attrs["data-panel"], [])
        elif self.current is not None and tag == "tr":
            self.row = []
        elif self.row is not None and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.current = None
        elif tag == "tr" and self.row is not None:
            self.current.append(self.row)
            self.row = None
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _json_script(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def _cell(value) -> str:
    return "—" if value is None else str(value)


def test_page_json_equals_tables(world, login):
    seed(world)
    finished_run()
    client = login(world.users["admin"])
    response = page(client)
    assert response.status_code == 200
    html = response.content.decode()
    assert "党建数据座舱" in html and "数据更新于" in html
    panels = _json_script(html, "cockpit-data")
    parser = _Tables()
    parser.feed(html)
    assert set(parser.tables) == {p["id"] for p in panels}
    for p in panels:
        header, *body = parser.tables[p["id"]]
        assert header == p["columns"], p["id"]
        expected = [[_cell(c) for c in row] for row in p["rows"]] or [["暂无数据。"]]
        assert body == expected, p["id"]
    # Headline cards and the drill-down links to the children.
    assert f"?unit={world.college_a.pk}&amp;year=2024&amp;month=6" in html
    assert reverse("cockpit:dashboard_export") in html and "打印/PDF" in html and "全屏" in html


def test_big_screen_mode(world, login):
    seed(world)
    client = login(world.users["admin"])
    response = page(client, screen="1")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="cb-screen"' in html and "每 5 分钟自动刷新" in html
    client_data = _json_script(html, "cockpit-client")
    assert client_data["screen"] is True and client_data["refresh_seconds"] == 300
    # Drill-down links stay in the big screen.
    assert f"?unit={world.college_a.pk}&amp;year=2024&amp;month=6&amp;screen=1" in html
    assert "退出大屏" in html and "cb-navbar" not in html


def test_no_recompute_yet_and_running(world, login):
    client = login(world.users["admin"])
    assert "数据尚未计算" in page(client).content.decode()
    from cloudbranch.cockpit.models import MetricRun

    MetricRun.objects.create(kind="full")
    assert "数据正在更新" in page(client).content.decode()


def test_cache_key_changes_when_a_recompute_finishes(world, login):
    put_figures(world.root, {"service.hours": 5}, M, JUNE)
    finished_run()
    period = dashboard.DashPeriod(2024, 6)
    head = {h["key"]: h["value"] for h in dashboard.page_data(world.root, period)["headline"]}
    assert head["service.hours"] == 5
    from cloudbranch.cockpit.models import OrgMetric

    OrgMetric.objects.filter(key="service.hours").update(total=9)
    # Same run: the cached page.
    assert {h["key"]: h["value"] for h in dashboard.page_data(world.root, period)["headline"]}["service.hours"] == 5
    finished_run()
    assert {h["key"]: h["value"] for h in dashboard.page_data(world.root, period)["headline"]}["service.hours"] == 9


def test_export_opens_with_openpyxl_and_is_audited(world, login):
    from openpyxl import load_workbook

    seed(world)
    client = login(world.users["admin"])
    response = client.get(reverse("cockpit:dashboard_export"), {"unit": world.root.pk, "year": 2024, "month": 6})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames[0] == "核心指标"
    data = dashboard.page_data(world.root, dashboard.DashPeriod(2024, 6))
    assert len(wb.sheetnames) == 1 + len(data["panels"])
    head = [r for r in wb["核心指标"].iter_rows(values_only=True)]
    assert ("党员总数", "人", 120, 110, 10) in head
    assert ("组织生活达标率", "%", 75, 50, 25) in head
    life = [
        r for r in wb[wb.sheetnames[1 + [p["id"] for p in data["panels"]].index("life")]].iter_rows(values_only=True)
    ]
    assert ("2024-06", 75, 90) in life
    assert AuditEvent.objects.filter(action="cockpit.dashboard.export").count() == 1


def test_api_returns_the_panels(world, login):
    seed(world)
    client = login(world.users["admin"])
    response = client.get("/api/cockpit/dashboard", {"unit": world.root.pk, "year": 2024, "month": 6})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["unit_id"] == world.root.pk and body["period"]["label"] == "2024 年 6 月"
    head = {h["key"]: h for h in body["headline"]}
    assert head["life.compliance_rate"]["value"] == 75 and head["life.compliance_rate"]["change"] == 25
    page_panels = dashboard.page_data(world.root, dashboard.DashPeriod(2024, 6))["panels"]
    assert body["panels"] == json.loads(json.dumps(page_panels))


def test_a_rate_not_judged_yet_shows_the_previous_period_named(world, login):
    """Compliance is judged at the end of its period: the running month has no figure, so the
    headline shows May's, says so, and keeps the current value empty in the data and the API."""
    put_figures(world.root, {"life.meetings_met": 6, "life.meetings_required": 12}, M, MAY)
    put_figures(world.root, {"service.hours": 5}, M, JUNE)
    finished_run()
    head = {h["key"]: h for h in dashboard.page_data(world.root, dashboard.DashPeriod(2024, 6))["headline"]}
    rate = head["life.compliance_rate"]
    assert (rate["value"], rate["previous"], rate["change"], rate["as_of"]) == (None, 50, None, "2024 年 5 月")
    assert head["service.hours"]["as_of"] is None
    html = page(login(world.users["admin"])).content.decode()
    assert "本期尚未评定，显示2024 年 5 月" in html
    api = login(world.users["admin"]).get("/api/cockpit/dashboard", {"unit": world.root.pk, "year": 2024, "month": 6})
    assert {h["key"]: h["as_of"] for h in api.json()["headline"]}["life.compliance_rate"] == "2024 年 5 月"


def test_figures_round_half_up():
    num, cent = dashboard.num, dashboard.CENT
    assert num(Decimal("72.45")) == 72.5 and num(Decimal("72.44")) == 72.4
    assert num(Decimal("69.235"), places=cent) == 69.24
    assert num(Decimal("3.00")) == 3 and num(None) is None
    assert num(Decimal("1"), divisor=Decimal("8")) == 0.1  # 0.125 → 0.1
