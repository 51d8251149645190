"""Talks (谈心谈话): recording rules, coverage per year, list page and API, constant queries."""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.meetings import records
from cloudbranch.meetings.models import Talk
from cloudbranch.testing.factories import CommitteeMembershipFactory, PersonFactory

YEAR = timezone.localdate().year
DAY = datetime.date(YEAR, 1, 2)


@pytest.fixture
def committee(world):
    """Secretary seat at branch a1 (张一) and a seat at the college (an ancestor unit)."""
    branch = CommitteeMembershipFactory(unit=world.branch_a1, person=world.people["a1_other"], position="secretary")
    college_person = PersonFactory(unit=world.college_a, name="学院委员")
    college = CommitteeMembershipFactory(unit=world.college_a, person=college_person, position="secretary")
    return branch.person, college.person


def record(world, interviewer, interviewee, *, actor="secretary1", unit=None, held_on=DAY, topic="思想汇报"):
    return records.talk_record(
        actor=world.users[actor],
        unit_id=(unit or world.branch_a1).pk,
        interviewer_id=interviewer.pk,
        interviewee_id=interviewee.pk,
        held_on=held_on,
        topic=topic,
        summary="谈了学习和工作情况",
    )


def test_talk_recorded_and_audited(world, committee):
    branch_member, college_member = committee
    talk = record(world, branch_member, world.people["member1"])
    assert (talk.unit, talk.interviewee) == (world.branch_a1, world.people["member1"])
    record(world, college_member, world.people["member1"])  # a committee member of an ancestor unit
    event = AuditEvent.objects.filter(action="meetings.talk.create").first()
    assert event.changes["summary"] == {"changed": True}  # the content itself stays out of the log


def test_talk_rules(world, committee):
    branch_member, _ = committee
    not_committee = world.people["member1"]
    cases = [
        (dict(interviewer=not_committee, interviewee=world.people["a1_other"]), "interviewer_id"),
        (dict(interviewer=branch_member, interviewee=world.people["a2_person"]), "interviewee_id"),
        (
            dict(
                interviewer=branch_member,
                interviewee=PersonFactory(
                    unit=world.branch_a1, political_status="activist", joined_on=None, confirmed_on=None
                ),
            ),
            "interviewee_id",
        ),
        (dict(interviewer=branch_member, interviewee=branch_member), "interviewee_id"),
        (
            dict(
                interviewer=branch_member,
                interviewee=not_committee,
                held_on=timezone.localdate() + datetime.timedelta(days=1),
            ),
            "held_on",
        ),
        (dict(interviewer=branch_member, interviewee=not_committee, topic="  "), "topic"),
    ]
    for kwargs, field in cases:
        with pytest.raises(DomainError) as exc:
            record(world, **kwargs)
        assert field in [e["field"] for e in exc.value.errors], (kwargs, exc.value.errors)
    seat = branch_member.committee_memberships.get()
    seat.ended_on = DAY
    seat.save()
    with pytest.raises(DomainError):
        record(world, branch_member, not_committee)  # no longer on the committee
    assert not Talk.objects.exists()


def test_talk_permissions(world, committee):
    branch_member, _ = committee
    with pytest.raises(Http404):
        record(world, branch_member, world.people["member1"], actor="secretary2")
    with pytest.raises(PermissionDenied):
        record(world, branch_member, world.people["member1"], actor="member1")


def test_coverage_one_query_and_lists_the_missing(world, committee):
    branch_member, _ = committee
    probationary = PersonFactory(
        unit=world.group_a1, name="预备党员甲", political_status="probationary", confirmed_on=None
    )
    PersonFactory(unit=world.branch_a1, name="群众", political_status="masses", joined_on=None, confirmed_on=None)
    PersonFactory(unit=world.branch_a1, name="已转出", roster_status="transferred_out")
    record(world, branch_member, world.people["member1"])
    Talk.objects.create(
        unit=world.branch_a1,
        interviewer=branch_member,
        interviewee=probationary,
        held_on=datetime.date(YEAR - 1, 12, 31),
        topic="去年",
        created_by=world.users["secretary1"],
    )
    with CaptureQueriesContext(connection) as ctx:
        covered, missing = records.talk_coverage(world.branch_a1, YEAR)
    assert len(ctx.captured_queries) == 1
    assert covered == 1
    assert sorted(p.name for p in missing) == sorted(["张一", "预备党员甲"])
    assert records.talk_coverage(world.branch_a1, YEAR - 1)[0] == 1


def _talks(world, interviewer, n):
    people = [PersonFactory(unit=world.branch_a1) for _ in range(n)]
    Talk.objects.bulk_create(
        Talk(
            unit=world.branch_a1,
            interviewer=interviewer,
            interviewee=p,
            held_on=DAY,
            topic="谈话",
            created_by=world.users["secretary1"],
        )
        for p in people
    )


def test_talk_page_lists_filters_and_shows_coverage_in_constant_queries(world, committee, login):
    branch_member, _ = committee
    client = login(world.users["secretary1"])
    url = reverse("meetings:talks") + f"?unit={world.branch_a1.pk}&year={YEAR}"
    _talks(world, branch_member, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert response.status_code == 200
    _talks(world, branch_member, 25)
    with CaptureQueriesContext(connection) as big:
        response = client.get(url)
    assert len(big.captured_queries) == len(small.captured_queries) == 9
    html = response.content.decode()
    assert "第 1 / 2 页，共 27 条" in html
    assert "已谈 <strong>27</strong> 人" in html
    assert "党员一" in html  # missing: no talk yet
    response = client.get(reverse("meetings:talks") + "?person=党员一")
    assert "暂无谈话记录" in response.content.decode()


def test_talk_pages_permissions(world, login):
    assert login(world.users["member1"]).get(reverse("meetings:talks")).status_code == 403
    assert login(world.users["member1"]).get(reverse("meetings:talk_create")).status_code == 403
    response = login(world.users["secretary2"]).get(reverse("meetings:talk_create") + f"?unit={world.branch_a1.pk}")
    assert response.status_code == 404


def test_talk_create_page(world, committee, login):
    branch_member, college_member = committee
    client = login(world.users["secretary1"])
    url = reverse("meetings:talk_create") + f"?unit={world.branch_a1.pk}"
    html = client.get(url).content.decode()
    assert "学院委员" in html and "张一" in html
    data = {
        "unit": world.branch_a1.pk,
        "interviewer_id": college_member.pk,
        "interviewee_id": world.people["member1"].pk,
        "held_on": "2999-01-01",
        "topic": "谈心",
    }
    response = client.post(url, data)
    assert response.status_code == 422 and "谈话日期不能晚于今天" in response.content.decode()
    data["held_on"] = DAY.isoformat()
    response = client.post(url, data)
    assert response.status_code == 302
    assert Talk.objects.get().interviewer == college_member


def test_talk_api(world, committee, login):
    branch_member, _ = committee
    client = login(world.users["secretary1"])
    payload = {
        "unit_id": world.branch_a1.pk,
        "interviewer_id": branch_member.pk,
        "interviewee_id": world.people["member1"].pk,
        "held_on": DAY.isoformat(),
        "topic": "谈心",
    }
    response = client.post("/api/meetings/talks", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["interviewee_name"] == "党员一"
    payload["interviewee_id"] = world.people["a2_person"].pk
    response = client.post("/api/meetings/talks", json.dumps(payload), content_type="application/json")
    assert response.status_code == 422
    listed = client.get(f"/api/meetings/talks?unit={world.branch_a1.pk}&year={YEAR}").json()
    assert listed["count"] == 1
    cov = client.get(f"/api/meetings/talks/coverage?unit={world.branch_a1.pk}&year={YEAR}").json()
    assert (cov["total"], cov["covered"], [p["name"] for p in cov["missing"]]) == (2, 1, ["张一"])
    other = login(world.users["secretary2"])
    assert other.get(f"/api/meetings/talks/coverage?unit={world.branch_a1.pk}").status_code == 404
    assert other.get("/api/meetings/talks").json()["count"] == 0
    assert login(world.users["member1"]).get("/api/meetings/talks").status_code == 403
