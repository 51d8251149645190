"""/api/tasks: the same rules over REST; 409/422/404 bodies; pinned list query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.testing.factories import make_unit
from cloudbranch.worktasks import tasks
from cloudbranch.worktasks.choices import TargetStatus

from .factories import in_days, issue_task, pdf_file, target_of

pytestmark = pytest.mark.django_db


def _json(client, url, payload=None):
    return client.post(url, payload or {}, content_type="application/json")


def test_api_journey(world, login):
    admin = login(world.users["admin"])
    payload = {
        "issuer_id": world.root.pk,
        "title": "接口任务",
        "requirements": "按要求完成。",
        "evidence_expected": "照片",
        "deadline": in_days(6).isoformat(),
    }
    response = _json(admin, "/api/tasks/", payload)
    assert response.status_code == 201, response.content
    task_id = response.json()["id"]
    assert response.json()["status"] == "draft"
    refused = _json(admin, f"/api/tasks/{task_id}/issue", {"target_unit_ids": [world.root.pk]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "target_units"
    issued = _json(admin, f"/api/tasks/{task_id}/issue", {"target_kinds": ["branch"]})
    assert issued.status_code == 200 and issued.json()["targets"] == 3
    assert _json(admin, f"/api/tasks/{task_id}/issue", {"target_kinds": ["branch"]}).status_code == 409
    listed = admin.get("/api/tasks/").json()
    assert listed["count"] == 1 and listed["items"][0]["targets"] == 3

    sec1 = login(world.users["secretary1"])
    board = sec1.get("/api/tasks/targets?status=issued").json()
    assert board["count"] == 1
    target_id = board["items"][0]["id"]
    detail = sec1.get(f"/api/tasks/targets/{target_id}").json()
    assert detail["status"] == TargetStatus.RECEIVED and detail["requirements"] == "按要求完成。"
    assert (
        _json(sec1, f"/api/tasks/targets/{target_id}/assign", {"person_id": world.people["member1"].pk}).status_code
        == 200
    )
    assert _json(sec1, f"/api/tasks/targets/{target_id}/report", {"text": "一半", "progress": 50}).status_code == 200
    lower = _json(sec1, f"/api/tasks/targets/{target_id}/report", {"text": "少", "progress": 40})
    assert lower.status_code == 422 and "50%" in lower.json()["detail"]
    no_files = sec1.post(f"/api/tasks/targets/{target_id}/submit", {"text": "完成"})
    assert no_files.status_code == 422
    done = sec1.post(f"/api/tasks/targets/{target_id}/submit", {"text": "完成", "files": [pdf_file()]})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "submitted" and len(done.json()["reports"][-1]["evidence"]) == 1
    assert _json(sec1, f"/api/tasks/targets/{target_id}/review", {"decision": "accept"}).status_code == 403
    sec2 = login(world.users["secretary2"])
    assert sec2.get(f"/api/tasks/targets/{target_id}").status_code == 404
    assert sec2.get(f"/api/tasks/{task_id}").status_code == 404
    assert sec2.get("/api/tasks/").json()["count"] == 0
    admin = login(world.users["admin"])
    returned = _json(admin, f"/api/tasks/targets/{target_id}/review", {"decision": "return"})
    assert returned.status_code == 422
    accepted = _json(admin, f"/api/tasks/targets/{target_id}/review", {"decision": "accept"})
    assert accepted.status_code == 200 and accepted.json()["on_time"] is True
    again = _json(admin, f"/api/tasks/targets/{target_id}/review", {"decision": "accept"})
    assert again.status_code == 409 and again.json()["detail"]
    stats = admin.get(f"/api/tasks/stats?unit_id={world.root.pk}").json()
    assert stats["totals"]["total"] == 3 and stats["totals"]["accepted"] == 1
    assert _json(admin, f"/api/tasks/{task_id}/close").json()["status"] == "closed"
    assert _json(admin, f"/api/tasks/{task_id}/cancel", {"reason": "x"}).status_code == 409


def test_api_create_and_issue_at_once_and_cancel(world, login):
    admin = login(world.users["admin"])
    response = _json(
        admin,
        "/api/tasks/",
        {
            "issuer_id": world.root.pk,
            "title": "立即下发",
            "requirements": "r",
            "deadline": in_days(3).isoformat(),
            "issue": True,
            "target_unit_ids": [world.branch_a1.pk],
        },
    )
    assert response.status_code == 201 and response.json()["status"] == "issued"
    cancel = _json(admin, f"/api/tasks/{response.json()['id']}/cancel", {"reason": "重复"})
    assert cancel.json()["status"] == "cancelled"
    assert login(world.users["member1"]).get("/api/tasks/targets").json()["count"] == 0


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_api_list_query_counts_constant(world, login):
    admin_user = world.users["admin"]

    def grow(n):
        units = [make_unit(parent=world.college_a) for _ in range(n)]
        task = issue_task(admin_user, world.root, [world.branch_a1, *units], deadline=in_days(4))
        for u in units[: n // 2]:
            t = target_of(task, u)
            tasks.target_submit(actor=admin_user, target_id=t.pk, text="完成")
        issue_task(admin_user, world.root, [world.branch_a1])

    grow(2)
    admin = login(admin_user)
    small = (_count(admin, "/api/tasks/"), _count(admin, "/api/tasks/targets"))
    sec_small = _count(login(world.users["secretary1"]), "/api/tasks/targets")
    grow(25)
    admin = login(admin_user)
    big = (_count(admin, "/api/tasks/"), _count(admin, "/api/tasks/targets"))
    sec_big = _count(login(world.users["secretary1"]), "/api/tasks/targets")
    assert small == big and sec_small == sec_big
    assert big == (5, 5) and sec_big == 5
