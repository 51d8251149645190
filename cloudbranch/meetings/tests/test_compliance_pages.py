"""Compliance pages, API and the daily warnings command: permissions, content, idempotence."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.meetings import compliance
from cloudbranch.meetings.choices import MeetingKind, MeetingStatus, Period
from cloudbranch.meetings.management.commands import compliance_warnings
from cloudbranch.meetings.models import Meeting
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.testing.factories import make_unit

D = datetime.date


@pytest.fixture(autouse=True)
def _fresh_rules():
    compliance.clear_rules_cache()
    yield


def held(unit, kind, day, *, author):
    starts = timezone.make_aware(datetime.datetime(day.year, day.month, day.day, 10))
    return Meeting.objects.create(
        unit=unit,
        kind=kind,
        title="会议",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        status=MeetingStatus.HELD,
        created_by=author,
    )


# --- pages --------------------------------------------------------------------------------------


def test_rollup_page_for_admin(world, login):
    today = timezone.localdate()
    held(world.branch_a1, MeetingKind.THEMED_DAY, today.replace(day=1), author=world.users["admin"])
    client = login(world.users["admin"])
    response = client.get(reverse("meetings:compliance"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "组织生活落实情况" in body and world.root.name in body
    assert "compliance-summary" in body and "主题党日" in body
    # drill-down into the colleges and links to calendars of units behind
    assert f"?unit={world.college_a.pk}&" in body
    assert response.context["unit"] == world.root
    # Units behind: branch_a2 and branch_b1 held no themed day this year. A monthly rule is the first
    # to fall due: they are behind once January is over or within its last warn_days days. Before
    # that (early January) nothing of the year has fallen due yet and no unit is behind.
    themed_day = next(r for r in compliance.rules_in_force(today) if r.kind == MeetingKind.THEMED_DAY)
    january = compliance.period_of(Period.MONTH, D(today.year, 1, 1))
    behind = {row["unit"].id for row in response.context["page"].object_list}
    if (january.end - today).days < themed_day.warn_days:
        assert behind >= {world.branch_a2.pk, world.branch_b1.pk}
    else:
        assert response.context["page"].paginator.count == 0
    # Every period of last year is over: there, whatever the day, they missed every month.
    last_year = client.get(reverse("meetings:compliance"), {"year": today.year - 1})
    assert last_year.context["year"] == today.year - 1
    assert {row["unit"].id for row in last_year.context["page"].object_list} >= {world.branch_a2.pk, world.branch_b1.pk}


def test_rollup_page_of_a_branch_for_its_secretary(world, login):
    client = login(world.users["secretary1"])
    response = client.get(reverse("meetings:compliance"), {"unit": world.branch_a1.pk, "year": 2025})
    assert response.status_code == 200
    assert response.context["unit"] == world.branch_a1 and response.context["year"] == 2025
    assert client.get(reverse("meetings:compliance")).context["unit"] == world.branch_a1


def test_calendar_page(world, login):
    held(world.branch_a1, MeetingKind.THEMED_DAY, D(2025, 3, 5), author=world.users["admin"])
    client = login(world.users["secretary1"])
    response = client.get(reverse("meetings:calendar", args=[world.branch_a1.pk]), {"year": 2025, "month": 3})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="d-none d-md-block"' in body and "d-md-none" in body
    assert 'data-period="2025-03" data-kind="themed_day"' in body
    assert "bg-success-subtle cb-state-met" in body and "cb-state-missed" in body
    assert 'colspan="3"' in body and 'colspan="12"' in body  # quarterly and yearly rules span their months


@pytest.mark.parametrize(
    ("who", "url_name", "unit_attr", "expected"),
    [
        ("secretary2", "meetings:calendar", "branch_a1", 404),
        ("secretary2", "meetings:compliance", "branch_a1", 404),
        ("member1", "meetings:calendar", "branch_a1", 403),
        ("member1", "meetings:compliance", "branch_a1", 403),
        ("member1", "meetings:compliance", None, 403),
        ("sysadmin", "meetings:compliance", None, 403),
        ("secretary1", "meetings:calendar", "branch_a1", 200),
        ("secretary1", "meetings:calendar", "group_a1", 200),
        ("secretary1", "meetings:calendar", "branch_a2", 404),
        ("admin", "meetings:calendar", "branch_b1", 200),
    ],
)
def test_permissions(world, login, who, url_name, unit_attr, expected):
    client = login(world.users[who])
    unit = getattr(world, unit_attr) if unit_attr else None
    if url_name == "meetings:calendar":
        response = client.get(reverse(url_name, args=[unit.pk]))
    else:
        response = client.get(reverse(url_name), {"unit": unit.pk} if unit else {})
    assert response.status_code == expected


def test_anonymous_is_sent_to_login(world, client):
    response = client.get(reverse("meetings:compliance"))
    assert response.status_code in (302, 403)


# --- API ----------------------------------------------------------------------------------------


def test_api_rollup_and_unit(world, login):
    held(world.branch_a1, MeetingKind.GENERAL, D(2025, 2, 10), author=world.users["admin"])
    client = login(world.users["admin"])
    data = client.get("/api/meetings/compliance", {"unit": world.college_a.pk, "year": 2025}).json()
    assert data["unit"]["id"] == world.college_a.pk and data["year"] == 2025
    q1 = next(s for s in data["summary"] if s["key"] == "2025-Q1" and s["kind"] == "general")
    assert (q1["met"], q1["missed"]) == (1, 1)
    assert data["behind"]["count"] == 3 and data["behind"]["page"] == 1
    assert len(client.get("/api/meetings/compliance", {"year": 2025, "page_size": 1}).json()["behind"]["items"]) == 1

    one = client.get(f"/api/meetings/compliance/units/{world.branch_a1.pk}", {"year": 2025}).json()
    general = {p["key"]: p["state"] for p in one["periods"] if p["kind"] == "general"}
    assert general == {"2025-Q1": "met", "2025-Q2": "missed", "2025-Q3": "missed", "2025-Q4": "missed"}


def test_api_permissions(world, login):
    assert (
        login(world.users["secretary2"]).get(f"/api/meetings/compliance/units/{world.branch_a1.pk}").status_code == 404
    )
    client = login(world.users["member1"])
    assert client.get(f"/api/meetings/compliance/units/{world.branch_a1.pk}").status_code == 403
    assert client.get("/api/meetings/compliance").status_code == 403


# --- warnings command ---------------------------------------------------------------------------


def test_warnings_sent_once_not_twice(world):
    today = D(2026, 11, 25)  # 5 days left in November: themed day warns (7), general meeting Q4 (14)
    held(world.branch_a2, MeetingKind.THEMED_DAY, D(2026, 11, 3), author=world.users["admin"])
    first = compliance_warnings.run(today=today)
    assert first["warnings"] > 0 and first["notifications"] > 0
    to_s1 = Notification.objects.filter(recipient=world.users["secretary1"])
    titles = set(to_s1.values_list("title", flat=True))
    assert any("主题党日" in t for t in titles)
    assert all(n.category == "reminder" for n in to_s1)
    # the branch's own warnings and its group's (a group has no secretary of its own)
    urls = set(to_s1.values_list("url", flat=True))
    assert {u.split("?")[0] for u in urls} == {
        f"/meetings/calendar/{world.branch_a1.pk}/",
        f"/meetings/calendar/{world.group_a1.pk}/",
    }
    # secretary2's branch met the themed day this month: no themed-day warning for it
    to_s2 = Notification.objects.filter(recipient=world.users["secretary2"])
    assert not to_s2.filter(title__contains="11月主题党日").exists()
    total = Notification.objects.count()

    second = compliance_warnings.run(today=today)
    assert second["notifications"] == 0
    assert Notification.objects.count() == total


def test_red_flag_after_a_period_closes(world):
    compliance_warnings.run(today=D(2026, 11, 28))
    call_command("compliance_warnings", date="2026-12-02")
    flags = Notification.objects.filter(recipient=world.users["secretary1"], title__startswith="【未完成】")
    assert flags.filter(title__contains="11月主题党日").count() == 1
    call_command("compliance_warnings", date="2026-12-03")
    assert flags.filter(title__contains="11月主题党日").count() == 1
    # Nobody outside the branch's secretaries hears of it
    assert not Notification.objects.filter(recipient=world.users["member1"]).exists()


def test_pages_query_counts_constant_as_units_grow(world, login):
    client = login(world.users["admin"])
    urls = [
        reverse("meetings:compliance") + f"?unit={world.root.pk}&year=2026",
        reverse("meetings:calendar", args=[world.branch_a1.pk]) + "?year=2026",
        f"/api/meetings/compliance?unit={world.root.pk}&year=2026",
    ]

    def counts():
        found = []
        for url in urls:
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            found.append(len(ctx))
        return found

    before = counts()
    for i in range(30):
        branch = make_unit(parent=world.college_b, name=f"新支部{i}")
        make_unit(parent=branch, kind=UnitKind.GROUP, name=f"新小组{i}")
        held(branch, MeetingKind.THEMED_DAY, D(2026, 1, 5), author=world.users["admin"])
    assert counts() == before
