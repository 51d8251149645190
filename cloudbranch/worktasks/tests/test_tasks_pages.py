"""Task pages: the journey through the forms, refusals on the page, scoping (sibling 404s) and
query counts pinned as targets grow."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, grant, make_unit
from cloudbranch.worktasks import tasks
from cloudbranch.worktasks.choices import TargetStatus, TaskStatus
from cloudbranch.worktasks.models import AssignedTask

from .factories import in_days, issue_task, pdf_file, target_of

pytestmark = pytest.mark.django_db


def test_create_draft_then_issue_through_pages(world, login):
    client = login(world.users["admin"])
    assert client.get(reverse("worktasks:task_create")).status_code == 200
    data = {
        "issuer": world.root.pk,
        "title": "报送党员信息核查表",
        "requirements": "核对本支部党员信息。",
        "evidence_expected": "核查表",
        "deadline": in_days(8).strftime("%Y-%m-%dT%H:%M"),
        "action": "draft",
        "files": [pdf_file()],
    }
    response = client.post(reverse("worktasks:task_create"), data)
    task = AssignedTask.objects.get()
    assert response.status_code == 302 and response.url == reverse("worktasks:task", args=[task.pk])
    assert task.status == TaskStatus.DRAFT and task.attachments.count() == 1
    page = client.get(response.url)
    assert "选择承办单位并下发" in page.content.decode()
    edit = client.post(reverse("worktasks:task_edit", args=[task.pk]), {**data, "title": "核查表（修订）", "files": []})
    assert edit.status_code == 302
    refused = client.post(reverse("worktasks:task_issue", args=[task.pk]), {})
    assert refused.status_code == 422 and "请至少选择一个承办单位" in refused.content.decode()
    response = client.post(
        reverse("worktasks:task_issue", args=[task.pk]),
        {"target_kinds": ["branch"], "target_units": [world.group_a1.pk]},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "核查表（修订）" and task.targets.count() == 4
    again = client.post(reverse("worktasks:task_issue", args=[task.pk]), {"target_kinds": ["branch"]})
    assert again.status_code == 409 and "只有草稿可以下发" in again.content.decode()
    assert client.get(reverse("worktasks:task_edit", args=[task.pk])).status_code == 409


def test_create_and_issue_at_once_and_form_errors(world, login):
    client = login(world.users["admin"])
    bad = client.post(
        reverse("worktasks:task_create"),
        {"issuer": world.root.pk, "title": "", "requirements": "x", "deadline": "2000-01-01T08:00", "action": "issue"},
    )
    assert bad.status_code == 422 and not AssignedTask.objects.exists()
    no_targets = client.post(
        reverse("worktasks:task_create"),
        {
            "issuer": world.root.pk,
            "title": "t",
            "requirements": "x",
            "deadline": in_days(3).strftime("%Y-%m-%dT%H:%M"),
            "action": "issue",
        },
    )
    assert no_targets.status_code == 422 and not AssignedTask.objects.exists()
    ok = client.post(
        reverse("worktasks:task_create"),
        {
            "issuer": world.root.pk,
            "title": "t",
            "requirements": "x",
            "deadline": in_days(3).strftime("%Y-%m-%dT%H:%M"),
            "action": "issue",
            "target_units": [world.branch_a1.pk],
        },
    )
    assert ok.status_code == 302 and AssignedTask.objects.get().status == TaskStatus.ISSUED


def test_handler_journey_on_pages(world, login):
    task = issue_task(world.users["admin"], world.root, [world.branch_a1, world.branch_a2], evidence_expected="照片")
    t1 = target_of(task, world.branch_a1)
    client = login(world.users["secretary1"])
    board = client.get(reverse("worktasks:board"))
    assert board.status_code == 200 and task.title in board.content.decode()
    page = client.get(reverse("worktasks:target", args=[t1.pk]))
    assert page.status_code == 200
    t1.refresh_from_db()
    assert t1.status == TargetStatus.RECEIVED
    url = reverse("worktasks:target_assign", args=[t1.pk])
    assert client.post(url, {"person": world.people["a2_person"].pk}).status_code == 422
    assert client.post(url, {"person": world.people["member1"].pk}).status_code == 302
    report = reverse("worktasks:target_report", args=[t1.pk])
    assert client.post(report, {"text": "推进中", "progress": 50}).status_code == 302
    lower = client.post(report, {"text": "倒退", "progress": 10})
    assert lower.status_code == 422 and "不能低于上次报告的 50%" in lower.content.decode()
    submit = reverse("worktasks:target_submit", args=[t1.pk])
    assert client.post(submit, {"text": "完成"}).status_code == 422
    assert client.post(submit, {"text": "完成", "files": [pdf_file()]}).status_code == 302
    assert client.post(submit, {"text": "完成", "files": [pdf_file()]}).status_code == 409
    # the branch secretary cannot review
    assert client.post(reverse("worktasks:target_review", args=[t1.pk]), {"decision": "accept"}).status_code == 403
    admin = login(world.users["admin"])
    detail = admin.get(reverse("worktasks:task", args=[task.pk]))
    body = detail.content.decode()
    assert "计算机本科第一党支部" in body and "计算机本科第二党支部" in body and "通过" in body
    returned = admin.post(reverse("worktasks:target_review", args=[t1.pk]), {"decision": "return", "next": "task"})
    assert returned.status_code == 422
    ok = admin.post(reverse("worktasks:target_review", args=[t1.pk]), {"decision": "accept", "next": "task"})
    assert ok.status_code == 302 and ok.url == reverse("worktasks:task", args=[task.pk])
    t1.refresh_from_db()
    assert t1.status == TargetStatus.ACCEPTED and t1.on_time
    assert admin.post(reverse("worktasks:target_review", args=[t1.pk]), {"decision": "accept"}).status_code == 409
    filtered = admin.get(reverse("worktasks:task", args=[task.pk]) + "?status=accepted").content.decode()
    assert "计算机本科第一党支部" in filtered and "计算机本科第二党支部" not in filtered.split('id="targets"')[1]
    assert admin.post(reverse("worktasks:task_close", args=[task.pk])).status_code == 302
    assert admin.post(reverse("worktasks:task_close", args=[task.pk])).status_code == 409
    assert admin.post(reverse("worktasks:task_cancel", args=[task.pk]), {"reason": ""}).status_code == 422


def test_sibling_and_member_404s(world, login):
    task = issue_task(world.users["admin"], world.root, [world.branch_a1, world.branch_a2], files=[pdf_file()])
    t1, t2 = target_of(task, world.branch_a1), target_of(task, world.branch_a2)
    report = tasks.target_submit(actor=world.users["secretary1"], target_id=t1.pk, text="完成", files=[pdf_file()])
    evidence = report.evidence.get()
    sec2 = login(world.users["secretary2"])
    assert sec2.get(reverse("worktasks:target", args=[t1.pk])).status_code == 404
    assert sec2.get(reverse("worktasks:evidence", args=[evidence.pk])).status_code == 404
    assert sec2.post(reverse("worktasks:target_report", args=[t1.pk]), {"text": "x", "progress": 1}).status_code == 404
    assert sec2.get(reverse("worktasks:target", args=[t2.pk])).status_code == 200
    assert sec2.get(reverse("worktasks:task", args=[task.pk])).status_code == 404  # not the issuer
    board = sec2.get(reverse("worktasks:board") + f"?unit={world.branch_a1.pk}")
    assert board.status_code == 404
    att = task.attachments.get()
    assert sec2.get(reverse("worktasks:attachment", args=[att.pk])).status_code == 200
    sec1 = login(world.users["secretary1"])
    download = sec1.get(reverse("worktasks:evidence", args=[evidence.pk]))
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    member = login(world.users["member1"])
    assert member.get(reverse("worktasks:board")).status_code == 403
    assert member.get(reverse("worktasks:target", args=[t1.pk])).status_code == 404
    admin = login(world.users["admin"])
    assert admin.get(reverse("worktasks:evidence", args=[evidence.pk])).status_code == 200


def test_issued_list_stats_and_export(world, login):
    task = issue_task(world.users["admin"], world.root, [world.branch_a1, world.branch_b1])
    client = login(world.users["admin"])
    issued = client.get(reverse("worktasks:issued"))
    assert issued.status_code == 200 and task.title in issued.content.decode()
    stats = client.get(reverse("worktasks:stats") + f"?unit={world.root.pk}")
    assert stats.status_code == 200 and "计算机学院党委" in stats.content.decode()
    response = client.get(reverse("worktasks:task_export", args=[task.pk]))
    assert response.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(
        io.BytesIO(b"".join(response.streaming_content if response.streaming else [response.content]))
    )
    rows = list(sheet.active.iter_rows(values_only=True))
    assert [r[0] for r in rows[2:]] == ["计算机本科第一党支部", "数学本科第一党支部"]
    sec1 = login(world.users["secretary1"])
    assert sec1.get(reverse("worktasks:task_export", args=[task.pk])).status_code == 404
    assert sec1.get(reverse("worktasks:stats") + f"?unit={world.root.pk}").status_code == 404
    assert sec1.get(reverse("worktasks:stats")).status_code == 200


# --- query counts -------------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


def _grow(world, n: int, *, tasks_to_a1: int = 0):
    """``n`` more branches under college_a, one task to all of them (+ a1), some progress."""
    admin = world.users["admin"]
    units = [make_unit(parent=world.college_a) for _ in range(n)]
    task = issue_task(admin, world.root, [world.branch_a1, *units], evidence_expected="")
    for u in units[: n // 2]:
        t = target_of(task, u)
        tasks.target_submit(actor=admin, target_id=t.pk, text="完成")
    for _ in range(tasks_to_a1):
        issue_task(admin, world.root, [world.branch_a1])
    return task


def test_query_counts_constant(world, login):
    admin = login(world.users["admin"])
    task = _grow(world, 3, tasks_to_a1=1)
    small = {
        "issued": _count(admin, reverse("worktasks:issued")),
        "task": _count(admin, reverse("worktasks:task", args=[task.pk])),
        "stats": _count(admin, reverse("worktasks:stats") + f"?unit={world.root.pk}"),
    }
    sec1 = login(world.users["secretary1"])
    small["board"] = _count(sec1, reverse("worktasks:board"))
    big_task = _grow(world, 30, tasks_to_a1=25)
    admin = login(world.users["admin"])
    big = {
        "issued": _count(admin, reverse("worktasks:issued")),
        "task": _count(admin, reverse("worktasks:task", args=[big_task.pk])),
        "stats": _count(admin, reverse("worktasks:stats") + f"?unit={world.root.pk}"),
    }
    sec1 = login(world.users["secretary1"])
    big["board"] = _count(sec1, reverse("worktasks:board"))
    assert small == big
    # pinned: session+user+grants, then the page's own queries
    assert big == {"issued": 6, "task": 11, "stats": 8, "board": 11}


def test_committee_secretary_issues_and_reviews_own_subtree(world, login):
    college = UserFactory()
    grant(college, world.college_a, Role.COMMITTEE_SECRETARY)
    task = issue_task(college, world.college_a, [world.branch_a1])
    t1 = target_of(task, world.branch_a1)
    tasks.target_submit(actor=world.users["secretary1"], target_id=t1.pk, text="完成")
    client = login(college)
    assert client.get(reverse("worktasks:task", args=[task.pk])).status_code == 200
    assert client.post(reverse("worktasks:target_review", args=[t1.pk]), {"decision": "accept"}).status_code == 302
    root_task = issue_task(world.users["admin"], world.root, [world.branch_a1])
    assert client.get(reverse("worktasks:task", args=[root_task.pk])).status_code == 404
