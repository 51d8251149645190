"""/api/assessment: the workflow end to end, scoping (sibling 404s), errors (409/422)."""

from decimal import Decimal as D

from cloudbranch.assessment.models import Score

from .factories import YEAR, put_ratio


def test_api_workflow_and_scoping(world, login):
    c = login(world.users["admin"])
    r = c.post("/api/assessment/sets", {"unit": world.root.pk, "title": "考核", "year": YEAR, "unit_kinds": ["branch"],
               "template": "empty"}, content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    r = c.post(f"/api/assessment/sets/{sid}/indicators", {"name": "组织生活", "metric_key": "life.compliance_rate",
               "rule": "linear", "params": {"target": 100}, "max_score": 25}, content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.content
    ind = r.json()["id"]
    r = c.post(f"/api/assessment/sets/{sid}/indicators", {"name": "评价", "rule": "manual", "max_score": 5},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 201
    r = c.put(f"/api/assessment/indicators/{ind}", {"name": "组织生活", "metric_key": "life.compliance_rate",
              "rule": "thresholds", "params": {"bands": []}, "max_score": 25}, content_type="application/json")  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "bands"
    put_ratio(world.branch_a1, "life.compliance_rate", 1, 2)
    r = c.post(f"/api/assessment/sets/{sid}/advance", {"action": "publish"}, content_type="application/json")
    assert r.status_code == 409
    r = c.post(f"/api/assessment/sets/{sid}/advance", {"action": "start"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "scoring"
    r = c.get(f"/api/assessment/sets/{sid}/scores")
    assert r.status_code == 200 and r.json()["count"] == 3
    row = next(i for i in r.json()["items"] if i["unit_id"] == world.branch_a1.pk)
    assert D(row["total"]) == D("12.50")
    manual = Score.objects.get(indicator__rule="manual", unit=world.branch_a1)
    r = c.put(
        f"/api/assessment/scores/{manual.pk}", {"manual_score": 3, "evidence": ""}, content_type="application/json"
    )
    assert r.status_code == 422
    for sc in Score.objects.filter(indicator__rule="manual"):
        r = c.put(
            f"/api/assessment/scores/{sc.pk}", {"manual_score": 3, "evidence": "依据"}, content_type="application/json"
        )
        assert r.status_code == 200
    r = c.post(f"/api/assessment/sets/{sid}/advance", {"action": "publish"}, content_type="application/json")
    assert r.status_code == 200
    r = c.get(f"/api/assessment/sets/{sid}/results")
    assert r.json()["items"][0] == {"unit_id": world.branch_a1.pk, "name": world.branch_a1.name, "kind": "branch",
                                    "kind_label": "党支部", "total": "15.50", "rank": 1, "own": False}  # fmt: skip
    r = c.get(f"/api/assessment/sets/{sid}/units/{world.branch_a1.pk}")
    item = r.json()["items"][0]
    assert item["numerator"]["value"] == "1.00" and item["denominator"]["value"] == "2.00"

    s2 = login(world.users["secretary2"])
    assert s2.get(f"/api/assessment/sets/{sid}/units/{world.branch_a1.pk}").status_code == 404
    assert s2.put(f"/api/assessment/scores/{manual.pk}", {"manual_score": 1, "evidence": "x"},
                  content_type="application/json").status_code == 404  # fmt: skip
    assert s2.get(f"/api/assessment/sets/{sid}/scores").status_code == 403
    mine = s2.get(f"/api/assessment/sets/{sid}/results").json()
    assert {i["unit_id"] for i in mine["items"] if i["own"]} == {world.branch_a2.pk}
    m = login(world.users["member1"])
    assert m.get("/api/assessment/sets").status_code == 403
    assert m.get(f"/api/assessment/sets/{sid}").status_code == 404
