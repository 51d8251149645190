"""Rankings: ties (1, 2, 2, 4), the viewer's own rank, child units, scope (404), query counts."""

import datetime

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.orgs.roles import Role
from cloudbranch.people.models import Person
from cloudbranch.points import selectors
from cloudbranch.points.choices import Period
from cloudbranch.points.services import period_start
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

from .factories import bulk_people, tally

MONTH = datetime.date(2025, 3, 1)


def test_ties_share_a_rank_and_are_ordered_by_name(world):
    a1 = world.branch_a1
    people = {n: PersonFactory(unit=a1, name=n) for n in ("乙", "甲", "丁")}
    people["丙"] = PersonFactory(unit=world.group_a1, name="丙")  # groups count toward their branch
    for name, pts in {"甲": 30, "乙": 20, "丙": 20, "丁": 5}.items():
        tally(people[name], pts, day=MONTH)
    tally(people["丁"], 99, period=Period.WEEK, day=MONTH)  # another period does not count
    with CaptureQueriesContext(connection) as ctx:
        r = selectors.ranking(unit=a1, period=Period.MONTH, start=MONTH, person=world.people["member1"])
    assert len(ctx) == 2  # the page; the total, the first row's rank and the viewer's rank
    got = [(row.name, row.rank, row.points) for row in r.rows]
    assert got[:4] == [("甲", 1, 30), ("丙", 2, 20), ("乙", 2, 20), ("丁", 4, 5)]
    # people without a tally are on the list with 0 points, tied last
    assert [(row.rank, row.points) for row in r.rows[4:]] == [(5, 0), (5, 0)]
    assert r.page.paginator.count == 6 and r.me.rank == 5 and r.me.is_me


def test_viewer_rank_off_the_page_and_pagination(world):
    a1 = world.branch_a1
    for i in range(25):
        tally(PersonFactory(unit=a1, name=f"人{i:02d}"), 100 - i // 2, day=MONTH)
    me = world.people["member1"]
    tally(me, 3, day=MONTH)
    with CaptureQueriesContext(connection) as ctx:
        r = selectors.ranking(unit=a1, period=Period.MONTH, start=MONTH, person=me, page=1)
    assert len(ctx) == 2
    assert me.pk not in [row.person_id for row in r.rows]
    assert r.me.rank == 26 and r.me.points == 3
    assert [row.rank for row in r.rows[:4]] == [1, 1, 3, 3]
    second = selectors.ranking(unit=a1, period=Period.MONTH, start=MONTH, person=me, page=2)
    assert second.page.number == 2 and second.rows[0].rank == 21
    assert [row.person_id for row in second.rows if row.is_me] == [me.pk]
    past_the_end = selectors.ranking(unit=a1, period=Period.MONTH, start=MONTH, person=me, page=9)
    assert past_the_end.page.number == 2
    # someone from another branch has no rank here
    assert selectors.ranking(unit=a1, period=Period.MONTH, start=MONTH, person=world.people["a2_person"]).me is None


def test_people_off_the_roster_are_not_ranked(world):
    gone = PersonFactory(unit=world.branch_a1, name="已转出", roster_status="transferred_out")
    tally(gone, 50, day=MONTH)
    r = selectors.ranking(unit=world.root, period=Period.MONTH, start=MONTH)
    assert gone.pk not in [row.person_id for row in r.rows]


def test_child_units_ranked_by_mean_points(world):
    tally(world.people["member1"], 10, day=MONTH)
    tally(world.people["a1_other"], 20, day=MONTH)  # a1: mean 15
    tally(world.people["a2_person"], 15, day=MONTH)  # a2: mean 15 — tied
    rows = selectors.child_unit_ranking(unit=world.college_a, period=Period.MONTH, start=MONTH)
    assert [(r.unit.pk, r.rank, r.people, str(r.mean)) for r in rows] == [
        (world.branch_a1.pk, 1, 2, "15.00"),
        (world.branch_a2.pk, 1, 1, "15.00"),
    ]
    roots = selectors.child_unit_ranking(unit=world.root, period=Period.MONTH, start=MONTH)
    assert [(r.unit.pk, r.rank, r.points, r.people) for r in roots] == [
        (world.college_a.pk, 1, 45, 3),
        (world.college_b.pk, 2, 0, 1),
    ]


# --- scope ---------------------------------------------------------------------------------


def _person(user):
    return Person.objects.select_related("unit").filter(user=user).first()


def test_a_member_sees_the_units_on_their_own_path(world):
    user = world.users["member1"]
    person = _person(user)
    for unit in (world.branch_a1, world.college_a, world.root):
        assert selectors.ranking_unit(user, person, unit.pk) == unit
    for unit in (world.branch_a2, world.college_b, world.branch_b1, world.group_a1):
        with pytest.raises(Http404):
            selectors.ranking_unit(user, person, unit.pk)
    assert selectors.ranking_unit(user, person) == world.branch_a1  # default: own branch


def test_a_member_in_a_group_defaults_to_the_branch(world):
    user = UserFactory()
    person = PersonFactory(unit=world.group_a1, user=user)
    person = _person(user)
    assert selectors.ranking_unit(user, person) == world.branch_a1
    assert selectors.ranking_unit(user, person, world.group_a1.pk) == world.group_a1


def test_managers_see_their_scope_only(world):
    s2 = world.users["secretary2"]
    assert selectors.ranking_unit(s2, None, world.branch_a2.pk) == world.branch_a2
    assert selectors.ranking_unit(s2, None) == world.branch_a2
    for unit in (world.branch_a1, world.college_a, world.root):
        with pytest.raises(Http404):
            selectors.ranking_unit(s2, None, unit.pk)
    admin = world.users["admin"]
    assert selectors.ranking_unit(admin, None, world.branch_b1.pk) == world.branch_b1


def test_without_person_or_grant_there_is_no_ranking(world):
    assert not selectors.may_see_rankings(world.users["sysadmin"], None)
    with pytest.raises(Http404):
        selectors.ranking_unit(world.users["sysadmin"], None)


@pytest.mark.parametrize(
    ("who", "unit", "status"),
    [
        ("member1", "branch_a1", 200),
        ("member1", "college_a", 200),
        ("member1", "root", 200),
        ("member1", "branch_a2", 404),
        ("secretary2", "branch_a1", 404),
        ("secretary2", "branch_a2", 200),
        ("secretary1", "branch_a2", 404),
        ("admin", "branch_b1", 200),
        ("sysadmin", "root", 404),
        ("auditor", "root", 404),
    ],
)
@pytest.mark.parametrize("api", [False, True])
def test_ranking_scope_matrix(world, login, who, unit, status, api):
    client = login(world.users[who])
    pk = getattr(world, unit).pk
    url = f"/api/points/ranking?unit={pk}" if api else f"/points/ranking/?unit={pk}"
    assert client.get(url).status_code == status


# --- query counts --------------------------------------------------------------------------


def _grow(unit, n, day):
    from cloudbranch.points.models import PointTally

    ids = bulk_people(unit, n)
    start = period_start(Period.MONTH, day)
    PointTally.objects.bulk_create(
        [PointTally(person_id=pk, period=Period.MONTH, start=start, points=pk % 7) for pk in ids]
    )


# session, user, own person, grants, unit, ranking (2), child units (2), picker, menu
PAGE_QUERIES = {"member1": 11, "admin": 11}
API_QUERIES = {"member1": 8, "admin": 9}


@pytest.mark.parametrize("who", ["member1", "admin"])
@pytest.mark.parametrize("api", [False, True])
def test_ranking_query_count_is_constant(world, login, who, api):
    client = login(world.users[who])
    today = timezone.localdate()
    url = f"/api/points/ranking?unit={world.root.pk}" if api else f"/points/ranking/?unit={world.root.pk}"
    counts = []
    # member1 has no points: off the first page both times (on it, their row needs no second query)
    for extra in (25, 70):
        _grow(world.branch_a1, extra, today)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]
    assert counts[0] == (API_QUERIES if api else PAGE_QUERIES)[who]


def test_managers_get_a_unit_picker_with_children(world):
    admin = world.users["admin"]
    units = selectors.ranking_unit_choices(admin, None, selected=world.college_a)
    assert {u.pk for u in units} >= {world.root.pk, world.college_a.pk, world.college_b.pk, world.branch_a1.pk}
    member = world.users["member1"]
    units = selectors.ranking_unit_choices(member, _person(member), selected=world.branch_a1)
    assert [u.pk for u in units] == [world.root.pk, world.college_a.pk, world.branch_a1.pk]


def test_parse_and_shift_periods():
    assert selectors.parse_start("week", "2025-03-09") == datetime.date(2025, 3, 3)
    assert selectors.parse_start("month", "2025-03") == datetime.date(2025, 3, 1)
    assert selectors.parse_start("year", "2025-07-04") == datetime.date(2025, 1, 1)
    assert selectors.parse_start("month", "garbage", today=datetime.date(2025, 5, 5)) == datetime.date(2025, 5, 1)
    assert selectors.shift_period("month", datetime.date(2025, 1, 1), -1) == datetime.date(2024, 12, 1)
    assert selectors.shift_period("week", datetime.date(2025, 3, 3), 1) == datetime.date(2025, 3, 10)
    assert selectors.shift_period("year", datetime.date(2025, 1, 1), 1) == datetime.date(2026, 1, 1)


def test_group_grant_default(world):
    officer = UserFactory()
    grant(officer, world.college_b, Role.STUDY_OFFICER)
    assert selectors.ranking_unit(officer, None) == world.college_b
