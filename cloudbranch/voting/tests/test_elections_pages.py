"""Pages and API of elections: scoping (sibling 404, member sees only their elections), the
phone ballot flow, and pinned query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import grant, make_unit
from cloudbranch.voting import elections
from cloudbranch.voting.choices import ElectionStatus

from .factories import election_all_present, election_frozen, election_make, election_members, election_vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    unit = make_unit(parent=world.college_a, name="页面测试支部")
    officer = world.users["secretary1"]
    grant(officer, unit, Role.BRANCH_SECRETARY)
    return unit, officer


def test_sibling_secretary_gets_404_everywhere(world, setup, client):
    unit, officer = setup
    e, cands, voters = election_frozen(officer, unit, seats=1, candidates=2, extra_voters=1)
    client.force_login(world.users["secretary2"])
    for url in (
        f"/democracy/elections/{e.pk}/",
        f"/democracy/elections/{e.pk}/candidates/",
        f"/democracy/elections/{e.pk}/voters/",
        f"/democracy/elections/{e.pk}/result/",
        f"/democracy/elections/{e.pk}/paper/",
        f"/api/democracy/elections/{e.pk}",
        f"/api/democracy/elections/{e.pk}/voters",
        f"/api/democracy/elections/{e.pk}/result",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/democracy/elections/{e.pk}/voters/freeze/").status_code in (302, 404)
    r = client.post(f"/api/democracy/elections/{e.pk}/rounds", {}, content_type="application/json")
    assert r.status_code == 404
    assert client.get("/api/democracy/elections").json()["count"] == 0


def test_voter_sees_own_election_only_and_officer_pages_are_403(world, setup, client):
    unit, officer = setup
    e, cands, voters = election_frozen(officer, unit, seats=1, candidates=2, extra_voters=1)
    other = election_make(officer, unit, title="另一场")
    client.force_login(voters[0].person.user)
    listing = client.get("/democracy/elections/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert e.title in body and "另一场" not in body
    assert client.get(f"/democracy/elections/{other.pk}/").status_code == 404
    assert client.get(f"/democracy/elections/{e.pk}/").status_code == 200
    assert client.get(f"/democracy/elections/{e.pk}/voters/").status_code == 403
    assert client.get(f"/democracy/elections/{e.pk}/candidates/").status_code == 403


def test_phone_flow_checkin_mark_confirm_cast(world, setup, client):
    unit, officer = setup
    e, cands, voters = election_frozen(officer, unit, seats=1, candidates=2, extra_voters=1)
    for v in voters:
        client.force_login(v.person.user)
        assert client.post(f"/democracy/elections/{e.pk}/checkin/").status_code == 302
    client.force_login(officer)
    assert client.post(f"/democracy/elections/{e.pk}/rounds/open/").status_code == 302
    e.refresh_from_db()
    assert e.status == ElectionStatus.VOTING
    v = voters[0]
    client.force_login(v.person.user)
    page = client.get(f"/democracy/elections/{e.pk}/").content.decode()
    assert "赞成" in page and "不赞成" in page and "弃权" in page and "for-count" in page
    confirm = client.post(f"/democracy/elections/{e.pk}/ballot/", {f"mark_{cands[0].pk}": "for"})
    assert confirm.status_code == 200 and "确认投票" in confirm.content.decode()
    done = client.post(f"/democracy/elections/{e.pk}/ballot/", {f"mark_{cands[0].pk}": "for", "confirm": "1"})
    assert done.status_code == 302
    page = client.get(f"/democracy/elections/{e.pk}/").content.decode()
    assert "您已投票" in page and "确认投票" not in page
    again = client.post(f"/democracy/elections/{e.pk}/ballot/", {f"mark_{cands[1].pk}": "for", "confirm": "1"})
    assert again.status_code == 409


def test_quorum_message_on_the_page(world, setup, client):
    unit, officer = setup
    e, cands, voters = election_frozen(officer, unit, seats=1, candidates=2, extra_voters=3)  # 5 voters
    election_all_present(officer, voters[:4])  # exactly 4/5
    client.force_login(officer)
    r = client.post(f"/democracy/elections/{e.pk}/rounds/open/", follow=True)
    assert "五分之四" in r.content.decode()
    api = client.post(f"/api/democracy/elections/{e.pk}/rounds", {}, content_type="application/json")
    assert api.status_code == 422 and "五分之四" in api.json()["detail"]


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, url
    return len(ctx.captured_queries)


def test_query_counts_are_constant(world, setup, client):
    unit, officer = setup
    client.force_login(officer)
    e, cands, voters = election_frozen(officer, unit, seats=1, candidates=2, extra_voters=1)
    election_all_present(officer, voters)
    rnd = elections.round_open(actor=officer, election=e)
    for v in voters:
        election_vote(e, v, [cands[0].pk])
    elections.round_close(actor=officer, round=rnd)
    counts_small = {
        "list": _count(client, "/democracy/elections/"),
        "roll": _count(client, f"/democracy/elections/{e.pk}/voters/"),
        "result": _count(client, f"/democracy/elections/{e.pk}/result/"),
        "api_list": _count(client, "/api/democracy/elections"),
    }
    # more elections, more voters and candidates
    for _i in range(3):
        election_make(officer, unit, title=f"补充{_i}")
    e2, cands2, voters2 = election_frozen(officer, unit, seats=3, candidates=5, extra_voters=8)
    election_all_present(officer, voters2)
    rnd2 = elections.round_open(actor=officer, election=e2)
    for v in voters2:
        election_vote(e2, v, [c.pk for c in cands2[:3]])
    elections.round_close(actor=officer, round=rnd2)
    counts_big = {
        "list": _count(client, "/democracy/elections/"),
        "roll": _count(client, f"/democracy/elections/{e2.pk}/voters/"),
        "result": _count(client, f"/democracy/elections/{e2.pk}/result/"),
        "api_list": _count(client, "/api/democracy/elections"),
    }
    assert counts_small == counts_big
    print("query counts", counts_big)
    assert counts_big == PINNED


PINNED = {"list": 6, "roll": 9, "result": 9, "api_list": 5}


def test_create_page_and_candidate_page(world, setup, client):
    unit, officer = setup
    election_members(unit, 3)
    client.force_login(officer)
    assert client.get("/democracy/elections/new/").status_code == 200
    r = client.post(
        "/democracy/elections/new/",
        {
            "unit": unit.pk,
            "kind": "committee",
            "title": "页面新建",
            "seats": 2,
            "surplus_ratio": "0.20",
            "election_date": "2030-01-01",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    e = elections.Election.objects.get(title="页面新建")
    page = client.get(f"/democracy/elections/{e.pk}/candidates/")
    assert page.status_code == 200 and "至少 3 名" in page.content.decode()
    r = client.post(f"/democracy/elections/{e.pk}/candidates/", {"action": "publish"})
    assert r.status_code == 422 and "至少 3 名" in r.content.decode()
    assert client.get(f"/democracy/elections/{e.pk}/").status_code == 200


def test_candidate_picker_searches_beyond_its_limit(world, setup, client, monkeypatch):
    """A large unit (a college committee) has more full members than the picker lists: the page
    says so, a search by name finds the others, and a person picked after a search is added."""
    from cloudbranch.voting import views_elections
    from cloudbranch.voting.models import Candidate

    unit, officer = setup
    monkeypatch.setattr(views_elections, "PICK_LIMIT", 2)
    people = election_members(unit, 4, prefix="候选甲")
    last = max(people, key=lambda p: (p.name, p.pk))
    e = election_make(officer, unit, seats=1, election_date=datetime.date(2030, 1, 1))
    client.force_login(officer)
    url = f"/democracy/elections/{e.pk}/candidates/"
    page = client.get(url).content.decode()
    assert "只列出前 2 人" in page and f'value="{last.pk}"' not in page
    found = client.get(url, {"q": last.name}).content.decode()
    assert f'value="{last.pk}"' in found and "只列出前" not in found
    assert "没有找到" in client.get(url, {"q": "无此人"}).content.decode()
    r = client.post(url, {"action": "add", "person": last.pk, "introduction": ""})
    assert r.status_code == 302
    assert Candidate.objects.filter(election=e, person=last).exists()
    # someone outside the unit is still refused, whatever is posted
    outsider = election_members(make_unit(parent=world.college_a), 1, prefix="外单位")[0]
    assert client.post(url, {"action": "add", "person": outsider.pk}).status_code == 422
