"""/api/democracy award endpoints: same services, paginated lists, 404/403/409/422."""

import datetime

import pytest
from django.utils import timezone

from cloudbranch.voting import awards
from cloudbranch.voting.choices import AwardKind, NominationStatus

from .factories import AWARD_DEEDS, award_committee_secretary, award_nominate, award_round

pytestmark = pytest.mark.django_db


def test_round_and_nomination_flow(world, login, client, monkeypatch):
    admin, s1 = world.users["admin"], world.users["secretary1"]
    cs_a = award_committee_secretary(world.college_a)
    today = timezone.localdate()
    login(admin)
    body = {
        "unit": world.root.pk,
        "year": today.year,
        "title": "评先评优",
        "kinds": [AwardKind.EXCELLENT_MEMBER],
        "quotas": {AwardKind.EXCELLENT_MEMBER: 1},
        "nomination_deadline": (today + datetime.timedelta(days=5)).isoformat(),
    }
    resp = client.post("/api/democracy/award-rounds", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    rid = resp.json()["id"]
    assert resp.json()["notice_days"] == 5

    login(s1)
    listing = client.get("/api/democracy/award-rounds").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == rid
    nom = {"nominating_unit": world.branch_a1.pk, "kind": "excellent_member", "person": world.people["member1"].pk}
    short = client.post(
        f"/api/democracy/award-rounds/{rid}/nominations", {**nom, "deeds": "短"}, content_type="application/json"
    )
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "deeds"
    ok = client.post(
        f"/api/democracy/award-rounds/{rid}/nominations", {**nom, "deeds": AWARD_DEEDS}, content_type="application/json"
    )
    assert ok.status_code == 201 and ok.json()["pending_at_id"] == world.college_a.pk
    nid = ok.json()["id"]
    dup = client.post(
        f"/api/democracy/award-rounds/{rid}/nominations", {**nom, "deeds": AWARD_DEEDS}, content_type="application/json"
    )
    assert dup.status_code == 409
    # a unit the secretary does not hold → 404
    other = client.post(
        f"/api/democracy/award-rounds/{rid}/nominations",
        {**nom, "nominating_unit": world.branch_a2.pk, "deeds": AWARD_DEEDS},
        content_type="application/json",
    )
    assert other.status_code == 404
    assert client.get(f"/api/democracy/award-rounds/{rid}/nominations").json()["count"] == 1

    login(world.users["secretary2"])
    assert client.get(f"/api/democracy/nominations/{nid}").status_code == 404
    assert client.get(f"/api/democracy/award-rounds/{rid}/nominations").json()["count"] == 0

    login(cs_a)
    rej = client.post(
        f"/api/democracy/nominations/{nid}/review", {"decision": "reject"}, content_type="application/json"
    )
    assert rej.status_code == 422
    fwd = client.post(
        f"/api/democracy/nominations/{nid}/review", {"decision": "approve"}, content_type="application/json"
    )
    assert fwd.status_code == 200 and fwd.json()["pending_at_id"] == world.root.pk
    login(admin)
    app = client.post(
        f"/api/democracy/nominations/{nid}/review", {"decision": "approve"}, content_type="application/json"
    )
    assert app.json()["status"] == NominationStatus.APPROVED and len(app.json()["reviews"]) == 2

    for to in ("reviewing", "voting"):
        assert (
            client.post(
                f"/api/democracy/award-rounds/{rid}/advance", {"to": to}, content_type="application/json"
            ).status_code
            == 200
        )
    vote = {"votes_for": 3, "votes_against": 0, "abstentions": 0, "present": 4, "entitled": 5}
    v = client.post(f"/api/democracy/nominations/{nid}/vote", vote, content_type="application/json")
    assert v.status_code == 200 and v.json()["status"] == NominationStatus.ELECTED
    resp = client.post(f"/api/democracy/award-rounds/{rid}/notice", {}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["status"] == "notice"
    ends = datetime.date.fromisoformat(resp.json()["notice_ends_on"])

    login(world.users["member1"])
    assert client.get(f"/api/democracy/award-rounds/{rid}/notice").json()["items"][0]["nominee_name"] == "党员一"
    obj = client.post(
        f"/api/democracy/nominations/{nid}/objections",
        {"text": "请组织核查一个有关的情况。"},
        content_type="application/json",
    )
    assert obj.status_code == 201
    assert client.get(f"/api/democracy/award-rounds/{rid}/objections").json()["count"] == 1
    login(admin)
    early = client.post(f"/api/democracy/award-rounds/{rid}/finalize")
    assert early.status_code == 409
    h = client.post(
        f"/api/democracy/objections/{obj.json()['id']}/handle",
        {"finding": "经核查属实。", "upheld": True},
        content_type="application/json",
    )
    assert h.status_code == 200 and h.json()["upheld"] is True
    assert client.get(f"/api/democracy/nominations/{nid}").json()["status"] == NominationStatus.REVOKED
    monkeypatch.setattr(awards, "_today", lambda: ends + datetime.timedelta(days=1))
    fin = client.post(f"/api/democracy/award-rounds/{rid}/finalize")
    assert fin.status_code == 200 and fin.json()["status"] == "final"
    assert client.get(f"/api/democracy/award-rounds/{rid}/list").json()["count"] == 0


def test_api_scoping(world, login, client):
    r = award_round(world.users["admin"], world.college_b)
    login(world.users["secretary1"])
    assert client.get(f"/api/democracy/award-rounds/{r.pk}").status_code == 404
    assert client.post(f"/api/democracy/award-rounds/{r.pk}/finalize").status_code == 404
    ra = award_round(world.users["admin"], world.root)
    assert client.post(f"/api/democracy/award-rounds/{ra.pk}/finalize").status_code == 403
    n = award_nominate(world.users["secretary1"], ra, world.branch_a1, person=world.people["member1"])
    vote = {"votes_for": 3, "votes_against": 0, "abstentions": 0, "present": 4, "entitled": 5}
    assert (
        client.post(f"/api/democracy/nominations/{n.pk}/vote", vote, content_type="application/json").status_code == 403
    )
    login(world.users["member1"])
    assert client.get("/api/democracy/award-rounds").json()["count"] == 0
