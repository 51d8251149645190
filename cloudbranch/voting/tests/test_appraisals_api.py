"""/api/democracy appraisals: the same services; totals carry no rater; scoping; query counts."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.voting.choices import AppraisalStatus, Grade
from cloudbranch.voting.models import AppraisalEntry

from .factories import appraisal_members, appraisal_open, appraisal_to

S = AppraisalStatus


BASE = "/api/democracy"


def _post(client, url, data=None, method="post"):
    return getattr(client, method)(url, data=json.dumps(data or {}), content_type="application/json")


def test_full_flow_through_api(world, login):
    sec = world.users["secretary1"]
    member_people = appraisal_members(world.branch_a1, 2, probationary=1)
    client = login(sec)
    r = _post(client, f"{BASE}/appraisals", {"unit": world.branch_a1.pk, "year": timezone.localdate().year})
    assert r.status_code == 201, r.content
    body = r.json()
    aid = body["id"]
    assert body["participation"]["participants"] == 5 and body["participation"]["graded"] == 4
    assert body["participation"]["excellent_cap"] == 1
    assert (
        _post(client, f"{BASE}/appraisals", {"unit": world.branch_a1.pk, "year": timezone.localdate().year}).status_code
        == 409
    )

    # member writes the self-assessment
    m = login(member_people[0].user)
    r = _post(m, f"{BASE}/appraisals/{aid}/me", {"text": "年度总结"}, method="put")
    assert r.status_code == 200 and r.json()["self_submitted_at"]
    assert m.get(f"{BASE}/appraisals/mine").json()["count"] == 1

    client = login(sec)
    assert _post(client, f"{BASE}/appraisals/{aid}/advance", {"to": "proposal"}).status_code == 409
    assert _post(client, f"{BASE}/appraisals/{aid}/advance", {"to": "rating"}).json()["status"] == "rating"

    m = login(member_people[0].user)
    sheet = m.get(f"{BASE}/appraisals/{aid}/ratings").json()
    assert sheet["count"] == 3  # the other graded members, not themselves, not the probationary one
    target = sheet["items"][0]["entry_id"]
    r = _post(m, f"{BASE}/appraisals/{aid}/ratings", {"entry": target, "grade": "excellent"})
    assert r.status_code == 200 and r.json()["my_grade"] == "excellent"
    own = AppraisalEntry.objects.get(appraisal_id=aid, person=member_people[0]).pk
    assert _post(m, f"{BASE}/appraisals/{aid}/ratings", {"entry": own, "grade": "excellent"}).status_code == 422
    prob = AppraisalEntry.objects.get(appraisal_id=aid, person=member_people[2]).pk
    assert _post(m, f"{BASE}/appraisals/{aid}/ratings", {"entry": prob, "grade": "qualified"}).status_code == 422
    assert m.get(f"{BASE}/appraisals/{aid}/totals").status_code == 404  # totals are for officers

    client = login(sec)
    assert _post(client, f"{BASE}/appraisals/{aid}/advance", {"to": "proposal"}).status_code == 200
    graded = list(AppraisalEntry.objects.filter(appraisal_id=aid, graded=True).values_list("pk", flat=True))
    items = [{"entry": pk, "grade": "excellent", "note": "突出"} for pk in graded[:2]]
    items += [{"entry": pk, "grade": "qualified"} for pk in graded[2:]]
    r = _post(client, f"{BASE}/appraisals/{aid}/proposal", {"items": items})
    assert r.status_code == 422
    assert r.json()["detail"] == "优秀 最多 1 人（参评正式党员 4 人的三分之一），当前 2 人"
    items[1]["grade"] = "unqualified"
    assert _post(client, f"{BASE}/appraisals/{aid}/proposal", {"items": items}).status_code == 200
    decision = {
        "meeting_on": timezone.localdate().isoformat(),
        "items": [{"entry": i["entry"], "grade": i["grade"]} for i in items],
    }
    assert _post(client, f"{BASE}/appraisals/{aid}/decision", decision).json()["status"] == "decided"
    r = _post(client, f"{BASE}/appraisals/{aid}/advance", {"to": "closed"})
    assert r.status_code == 409
    r = _post(
        client,
        f"{BASE}/appraisals/entries/{graded[1]}/handling",
        {
            "handling": "correct",
            "note": "限期改正",
            "deadline": (timezone.localdate() + datetime.timedelta(days=500)).isoformat(),
        },
    )
    assert r.status_code == 422
    r = _post(
        client,
        f"{BASE}/appraisals/entries/{graded[1]}/handling",
        {
            "handling": "correct",
            "note": "限期改正",
            "deadline": (timezone.localdate() + datetime.timedelta(days=300)).isoformat(),
        },
    )
    assert r.status_code == 200 and r.json()["handling"] == "correct"
    assert _post(client, f"{BASE}/appraisals/{aid}/advance", {"to": "closed"}).json()["status"] == "closed"

    m = login(member_people[0].user)
    results = m.get(f"{BASE}/appraisals/results").json()
    assert results["count"] == 1 and results["items"][0]["year"] == timezone.localdate().year
    assert results["items"][0]["final_grade"] in Grade.values


def test_totals_contain_no_rater(world, login):
    sec = world.users["secretary1"]
    raters = appraisal_members(world.branch_a1, 3, prefix="独特评价人")
    a = appraisal_open(sec, world.branch_a1)
    appraisal_to(sec, a, S.RATING)
    target = AppraisalEntry.objects.get(appraisal=a, person=world.people["a1_other"])
    for p in raters:
        r = _post(login(p.user), f"{BASE}/appraisals/{a.pk}/ratings", {"entry": target.pk, "grade": "basic"})
        assert r.status_code == 200
    client = login(sec)
    body = client.get(f"{BASE}/appraisals/{a.pk}/totals").json()
    row = next(i for i in body["items"] if i["entry_id"] == target.pk)
    assert row["totals"] == {"excellent": 0, "qualified": 0, "basic": 3, "unqualified": 0}
    text = json.dumps(row, ensure_ascii=False)
    assert "独特评价人" not in text and "rater" not in text
    for p in raters:
        # Elsewhere each rater appears only as an appraisee row of their own.
        assert [i["person_id"] for i in body["items"]].count(p.pk) == 1
    detail = client.get(f"{BASE}/appraisals/{a.pk}").json()
    assert detail["participation"]["raters"] == 3 and "独特评价人" not in json.dumps(detail, ensure_ascii=False)


def test_api_scoping(world, login):
    a = appraisal_open(world.users["secretary1"], world.branch_a1)
    entry = AppraisalEntry.objects.filter(appraisal=a).first()
    client = login(world.users["secretary2"])
    assert client.get(f"{BASE}/appraisals").json()["count"] == 0
    for url in (
        f"/appraisals/{a.pk}",
        f"/appraisals/{a.pk}/totals",
        f"/appraisals/{a.pk}/me",
        f"/appraisals/{a.pk}/ratings",
    ):
        assert client.get(BASE + url).status_code == 404, url
    assert _post(client, f"{BASE}/appraisals/{a.pk}/advance", {"to": "rating"}).status_code == 404
    assert _post(client, f"{BASE}/appraisals/{a.pk}/remind").status_code == 404
    r = _post(client, f"{BASE}/appraisals/entries/{entry.pk}/handling", {"handling": "persuade", "note": "x"})
    assert r.status_code == 404
    assert (
        _post(client, f"{BASE}/appraisals", {"unit": world.branch_a1.pk, "year": timezone.localdate().year}).status_code
        == 404
    )
    member = login(world.users["member1"])
    assert member.get(f"{BASE}/appraisals").json()["count"] == 0
    assert member.get(f"{BASE}/appraisals/{a.pk}").status_code == 404
    assert member.get(f"{BASE}/appraisals/{a.pk}/me").status_code == 200
    assert _post(member, f"{BASE}/appraisals/{a.pk}/advance", {"to": "rating"}).status_code == 404


@pytest.mark.parametrize("extra", [0, 8])
def test_api_query_counts_constant(world, login, extra):
    sec = world.users["secretary1"]
    people = appraisal_members(world.branch_a1, 2 + extra)
    a = appraisal_open(sec, world.branch_a1)
    appraisal_to(sec, a, S.RATING)
    entries = list(AppraisalEntry.objects.filter(appraisal=a, graded=True))
    for p in people:
        for e in entries:
            if e.person_id != p.pk:
                _post(login(p.user), f"{BASE}/appraisals/{a.pk}/ratings", {"entry": e.pk, "grade": "qualified"})
    for year in range(extra):
        appraisal_open(sec, world.branch_a1, year=timezone.localdate().year - 1 - year)
    client = login(sec)
    counts = []
    for url in (f"{BASE}/appraisals", f"{BASE}/appraisals/{a.pk}/totals", f"{BASE}/appraisals/{a.pk}"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    member = login(people[0].user)
    with CaptureQueriesContext(connection) as ctx:
        assert member.get(f"{BASE}/appraisals/{a.pk}/ratings").status_code == 200
    counts.append(len(ctx.captured_queries))
    assert counts == [5, 7, 5, 5]  # list, totals, detail, my ratings sheet
