"""Pages: the workflow through the pages, scoping (sibling 404s, member 403/404, assessed units see
their published results), the HTMX score cell, the drill-down, the export, pinned query counts."""

import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.assessment import services
from cloudbranch.assessment.models import IndicatorSet, Score
from cloudbranch.testing.factories import make_unit

from .factories import YEAR, make_set, put_ratio


def _scored(world, *, publish=False, extra_units=0):
    admin = world.users["admin"]
    for i in range(extra_units):
        make_unit(parent=world.college_b, name=f"附加支部{i}")
    s = make_set(admin, world.root)
    put_ratio(world.branch_a1, "life.compliance_rate", 4, 5)
    put_ratio(world.branch_a1, "dues.payment_rate", 96, 100)
    services.set_start_scoring(actor=admin, set_id=s.pk)
    if publish:
        for sc in Score.objects.filter(indicator__indicator_set=s, indicator__rule="manual"):
            services.score_manual(actor=admin, score_id=sc.pk, manual_score=2, evidence="特色鲜明")
        services.set_publish(actor=admin, set_id=s.pk)
    return s


def _cell(s, unit, rule="manual"):
    return Score.objects.get(indicator__indicator_set=s, indicator__rule=rule, unit=unit)


def test_create_set_and_indicators_through_pages(world, login):
    c = login(world.users["admin"])
    assert c.get(reverse("assessment:set_create")).status_code == 200
    r = c.post(reverse("assessment:set_create"), {"unit": world.root.pk, "title": "2024 年度支部考核", "year": YEAR,
               "period_kind": "Y", "unit_kinds": ["branch"], "template": "default"})  # fmt: skip
    assert r.status_code == 302
    s = IndicatorSet.objects.get()
    assert s.indicators.count() == 8
    page = c.get(reverse("assessment:set", args=[s.pk]))
    assert page.status_code == 200 and "党费" in page.content.decode()
    r = c.post(reverse("assessment:indicator_add", args=[s.pk]), {"name": "出勤2", "metric_key": "life.attendance_rate",
               "rule": "thresholds", "bands": "95:1，80:x", "max_score": "5"})  # fmt: skip
    assert r.status_code == 422
    r = c.post(reverse("assessment:indicator_add", args=[s.pk]), {"name": "出勤2", "metric_key": "life.attendance_rate",
               "rule": "thresholds", "bands": "80:0.6, 95:1", "max_score": "5"})  # fmt: skip
    assert r.status_code == 302
    ind = s.indicators.get(name="出勤2")
    assert ind.params["bands"][0]["min"] == "95"
    r = c.post(reverse("assessment:indicator_edit", args=[ind.pk]), {"name": "出勤2", "metric_key": "life.attendance_rate",
               "rule": "linear", "target": "50", "floor": "60", "max_score": "5"})  # fmt: skip
    assert r.status_code == 422 and "达标值必须大于下限" in r.content.decode()
    assert c.post(reverse("assessment:indicator_delete", args=[ind.pk])).status_code == 302
    r = c.post(reverse("assessment:set_advance", args=[s.pk]), {"action": "publish"})
    assert r.status_code == 409
    assert c.post(reverse("assessment:set_advance", args=[s.pk]), {"action": "start"}).status_code == 302
    assert c.post(reverse("assessment:indicator_delete", args=[s.indicators.first().pk])).status_code == 302
    assert s.indicators.count() == 8  # refused once scoring


def test_member_and_outsiders(world, login):
    s = _scored(world)
    c = login(world.users["member1"])
    assert c.get(reverse("assessment:sets")).status_code == 403
    assert c.get(reverse("assessment:set", args=[s.pk])).status_code == 404
    assert c.get(reverse("assessment:set_create")).status_code == 403
    c = login(world.users["secretary1"])
    assert c.get(reverse("assessment:set", args=[s.pk])).status_code == 404  # not published yet
    assert c.get(reverse("assessment:unit_detail", args=[s.pk, world.branch_a1.pk])).status_code == 404
    assert c.get(reverse("assessment:score_cell", args=[_cell(s, world.branch_a1).pk])).status_code == 403
    assert (
        c.post(
            reverse("assessment:score_cell", args=[_cell(s, world.branch_a1).pk]), {"manual_score": 5, "evidence": "x"}
        ).status_code
        == 403
    )


def test_sibling_branch_404s(world, login):
    s = _scored(world, publish=True)
    c = login(world.users["secretary2"])
    assert c.get(reverse("assessment:unit_detail", args=[s.pk, world.branch_a1.pk])).status_code == 404
    assert c.get(reverse("assessment:score_cell", args=[_cell(s, world.branch_a1).pk])).status_code == 404
    assert (
        c.post(
            reverse("assessment:score_cell", args=[_cell(s, world.branch_a1).pk]), {"manual_score": 1, "evidence": "x"}
        ).status_code
        == 404
    )
    assert c.get(reverse("assessment:scores", args=[s.pk])).status_code == 403
    assert c.get(reverse("assessment:export", args=[s.pk])).status_code == 403
    assert c.get(reverse("assessment:unit_detail", args=[s.pk, world.branch_a2.pk])).status_code == 200
    assert c.get(reverse("assessment:set_advance", args=[s.pk])).status_code == 405
    # managing goes by the set's scope (the root): outside it → 404
    assert c.post(reverse("assessment:set_advance", args=[s.pk]), {"action": "recompute"}).status_code == 404
    api = c.get(f"/api/assessment/sets/{s.pk}/units/{world.branch_a1.pk}")
    assert api.status_code == 404


def test_assessed_branch_sees_published_results(world, login):
    s = _scored(world, publish=True)
    c = login(world.users["secretary1"])
    body = c.get(reverse("assessment:sets")).content.decode()
    assert s.title in body and "得分明细" in body
    ranking = c.get(reverse("assessment:ranking", args=[s.pk])).content.decode()
    assert "本单位" in ranking and world.branch_a2.name in ranking  # the list of ranks
    detail = c.get(reverse("assessment:unit_detail", args=[s.pk, world.branch_a1.pk])).content.decode()
    assert "meetings_met 4" in detail and "meetings_required 5" in detail  # numerator and denominator
    assert "特色鲜明" in detail  # evidence of the manual score
    assert "本期 80%" in detail


def test_scores_table_and_htmx_cell(world, login):
    s = _scored(world)
    c = login(world.users["admin"])
    r = c.get(reverse("assessment:scores", args=[s.pk]))
    assert r.status_code == 200 and "无数据" in r.content.decode()
    cell = _cell(s, world.branch_a2)
    r = c.get(reverse("assessment:score_cell", args=[cell.pk]) + "?edit=1", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'name="evidence"' in r.content.decode()
    r = c.post(
        reverse("assessment:score_cell", args=[cell.pk]), {"manual_score": "9", "evidence": ""}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 422
    r = c.post(
        reverse("assessment:score_cell", args=[cell.pk]),
        {"manual_score": "4", "evidence": "好"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and "4.00" in r.content.decode()
    cell.refresh_from_db()
    assert cell.manual_score == D("4.00")


def test_ranking_and_export(world, login):
    s = _scored(world, publish=True)
    c = login(world.users["admin"])
    r = c.get(reverse("assessment:ranking", args=[s.pk]) + "?kind=branch")
    assert r.status_code == 200
    r = c.get(reverse("assessment:export", args=[s.pk]))
    assert r.status_code == 200
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][0] == "排名" and rows[2][1] == world.branch_a1.name and rows[2][0] == 1
    assert rows[2][-1] == pytest.approx(20 + 12 + 2)


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("publish", "expected"), [(False, (9, 7, 10)), (True, (9, 6, 11))])
def test_query_counts_constant(world, login, publish, expected):
    counts = []
    for extra in (0, 12):
        IndicatorSet.objects.all().delete()
        s = _scored(world, publish=publish, extra_units=extra)
        c = login(world.users["admin"])
        counts.append(
            (
                _count(c, reverse("assessment:scores", args=[s.pk])),
                _count(c, reverse("assessment:ranking", args=[s.pk])),
                _count(c, reverse("assessment:unit_detail", args=[s.pk, world.branch_a1.pk])),
            )
        )
    assert counts[0] == counts[1] == expected


def test_results_box_lists_the_users_own_units_not_every_assessed_unit(world, login):
    """The list page's results box: an assessed branch's secretary sees the branch's result; the
    organization department (who assesses the set) does not get every branch of the tree there
    (it reads them on the set's ranking page); more results than a page are paged, not cut."""
    s = _scored(world, publish=True, extra_units=21)
    admin = login(world.users["admin"]).get(reverse("assessment:sets"))
    assert admin.context["results"].paginator.count == 0
    assert "所负责组织的考核结果" not in admin.content.decode()
    mine = login(world.users["secretary1"]).get(reverse("assessment:sets"))
    assert [(r.indicator_set_id, r.unit_id) for r in mine.context["results"]] == [(s.pk, world.branch_a1.pk)]
    assert "所负责组织的考核结果" in mine.content.decode()
    # a college's secretary sees the college's 22 branches over two pages
    from cloudbranch.orgs.roles import Role
    from cloudbranch.testing.factories import UserFactory, grant

    college = UserFactory()
    grant(college, world.college_b, Role.COMMITTEE_SECRETARY)
    c = login(college)
    first = c.get(reverse("assessment:sets"))
    assert first.context["results"].paginator.count == 22 and len(first.context["results"]) == 20
    assert "rpage=2" in first.content.decode()
    assert len(c.get(reverse("assessment:sets"), {"rpage": 2}).context["results"]) == 2
