"""Progress per person and per unit, overdue list, export, scoping, API, pinned query counts."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from cloudbranch.audit.models import AuditEvent
from cloudbranch.learning import tasks
from cloudbranch.testing.factories import PersonFactory, make_unit

from .test_tasks_support import assign, complete, make_paper, make_resource, sit

pytestmark = pytest.mark.django_db


@pytest.fixture
def task_setup(world):
    admin = world.users["admin"]
    r = make_resource(world.root, admin)
    paper = make_paper(world.root, admin)
    PersonFactory(unit=world.group_a1, name="小组成员")
    task = assign(world, resources=[r], paper=paper)
    me = world.people["member1"]
    complete(me, r), sit(me, paper)
    tasks.progress_changed(me.pk)
    complete(world.people["a2_person"], r)  # half done
    return task, r, paper


def _rows(rollup):
    return {r.label: (r.total, r.completed, r.on_time, r.overdue, r.rate) for r in rollup.rows}


def test_rollup_numbers(world, task_setup):
    task, r, paper = task_setup
    view = tasks.access_task(world.users["admin"], task.pk)
    rollup = tasks.task_rollup(view)
    assert _rows(rollup) == {
        world.branch_a1.name: (3, 1, 1, 0, 33.3),  # member1, 张一, 小组成员 (group under a1)
        world.branch_a2.name: (1, 0, 0, 0, 0.0),
    }
    t = rollup.totals
    assert (t.total, t.completed, t.overdue) == (4, 1, 0)
    # after the deadline the open ones are overdue
    later = task.deadline + datetime.timedelta(days=1)
    rollup = tasks.task_rollup(view, today=later)
    assert rollup.totals.overdue == 3
    # drill down into branch a1: its group and its own people (本级)
    rollup = tasks.task_rollup(view, at=world.branch_a1)
    assert _rows(rollup) == {world.group_a1.name: (1, 0, 0, 0, 0.0), "本级": (2, 1, 1, 0, 50.0)}


def test_rollup_query_count_constant(world, task_setup):
    task, r, paper = task_setup
    view = tasks.access_task(world.users["admin"], task.pk)
    with CaptureQueriesContext(connection) as ctx:
        tasks.task_rollup(view)
    assert len(ctx.captured_queries) == 2  # children, one grouped count
    for _i in range(5):
        unit = make_unit(parent=world.college_a)
        for _ in range(3):
            PersonFactory(unit=unit)
    task2 = assign(world, resources=[r])
    view2 = tasks.access_task(world.users["admin"], task2.pk)
    with CaptureQueriesContext(connection) as ctx:
        rollup = tasks.task_rollup(view2)
    assert len(ctx.captured_queries) == 2
    assert rollup.totals.total == 19 and len(rollup.rows) == 7


def test_progress_table_and_overdue_list(world, task_setup):
    task, r, paper = task_setup
    view = tasks.access_task(world.users["admin"], task.pk)
    rows = tasks.decorate(tasks.task_progress(view), task)
    by_name = {a.person.name: a for a in rows}
    assert (by_name["党员一"].resources_done, by_name["党员一"].exam_passed, by_name["党员一"].on_time) == (
        1,
        True,
        True,
    )
    assert (by_name["李二"].resources_done, by_name["李二"].exam_passed) == (1, False)
    assert by_name["张一"].resources_done == 0 and by_name["张一"].resources_total == 1
    assert not tasks.task_progress(view, status="overdue").exists()  # not before the deadline
    later = task.deadline + datetime.timedelta(days=1)
    overdue = tasks.decorate(tasks.task_progress(view, status="overdue", today=later), task, today=later)
    assert {a.person.name for a in overdue} == {"张一", "李二", "小组成员"}
    assert all(a.is_overdue for a in overdue)
    assert [a.person.name for a in tasks.task_progress(view, status="done")] == ["党员一"]


def test_detail_page_query_count_constant(world, task_setup, login):
    task, r, paper = task_setup
    client = login(world.users["admin"])
    url = f"/learning/tasks/{task.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    small = len(ctx.captured_queries)
    # session, user, grants, task, resource ids, count, resource count, page, children, grouped roll-up,
    # resource titles, the menu's person
    assert small == 12
    for _ in range(25):
        PersonFactory(unit=world.branch_a2)
    task2 = assign(world, resources=[r], paper=paper)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/learning/tasks/{task2.pk}/")
    assert response.status_code == 200 and "共 29 人" in response.content.decode()
    assert len(ctx.captured_queries) == small
    # the HTMX fragment of the table, filtered
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(
            f"/learning/tasks/{task2.pk}/?status=open", headers={"HX-Request": "true", "HX-Target": "progress"}
        )
    assert response.status_code == 200 and "<h1" not in response.content.decode()
    assert len(ctx.captured_queries) == 8


def test_list_page_query_count_constant(world, login):
    r = make_resource(world.root, world.users["admin"])
    assign(world, resources=[r])
    client = login(world.users["admin"])
    client.get("/learning/tasks/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/learning/tasks/").status_code == 200
    small = len(ctx.captured_queries)
    assert small == 6
    for _ in range(5):
        assign(world, resources=[r])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/learning/tasks/")
    assert "共 6 项" in response.content.decode()
    assert len(ctx.captured_queries) == small


def test_scoping(world, task_setup, login):
    task, r, paper = task_setup
    branch_task = assign(world, actor="secretary1", unit=world.branch_a1, resources=[r])
    # sibling secretary: 404 on another branch's task (page, export, API)
    client = login(world.users["secretary2"])
    assert client.get(f"/learning/tasks/{branch_task.pk}/").status_code == 404
    assert client.get(f"/learning/tasks/{branch_task.pk}/export.xlsx").status_code == 404
    assert client.get(f"/api/learning/tasks/{branch_task.pk}").status_code == 404
    assert client.post(f"/learning/tasks/{branch_task.pk}/close/").status_code == 404
    # the college's task is visible to secretary2 only through the assignees of a2
    response = client.get(f"/learning/tasks/{task.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "李二" in body and "张一" not in body
    assert client.post(f"/learning/tasks/{task.pk}/close/").status_code == 403
    view = tasks.access_task(world.users["secretary2"], task.pk)
    assert tasks.task_rollup(view).totals.total == 1
    listed = client.get("/api/learning/tasks").json()["items"]
    assert [t["id"] for t in listed] == [task.pk]
    # a member holds no task permission
    client = login(world.users["member1"])
    assert client.get("/learning/tasks/").status_code == 403
    assert client.get(f"/learning/tasks/{task.pk}/").status_code == 404
    assert client.get("/api/learning/tasks").status_code == 403


def test_export(world, task_setup, login):
    task, r, paper = task_setup
    response = login(world.users["admin"]).get(f"/learning/tasks/{task.pk}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == tasks.XLSX_TYPE
    wb = load_workbook(io.BytesIO(response.content))
    people = list(wb["人员进度"].iter_rows(values_only=True))
    assert people[1][:4] == ("所在组织", "姓名", "政治面貌", "资源完成")
    assert len(people) == 2 + 4
    units = list(wb["组织完成率"].iter_rows(values_only=True))
    assert units[-1][:3] == ("合计", 4, 1)
    assert AuditEvent.objects.filter(action="learning.studytask.export", target_id=str(task.pk)).exists()


def test_api(world, login):
    admin = world.users["admin"]
    r = make_resource(world.root, admin)
    paper = make_paper(world.root, admin)
    client = login(world.users["secretary1"])
    deadline = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    payload = {"unit_id": world.branch_a1.pk, "title": "接口任务", "deadline": deadline, "resource_ids": [r.pk]}
    response = client.post("/api/learning/tasks", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["assignees"] == 2 and body["resource_ids"] == [r.pk]
    task_id = body["id"]
    bad = payload | {"scope": "chosen", "person_ids": [world.people["b1_person"].pk]}
    response = client.post("/api/learning/tasks", bad, content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "person_ids"
    assert client.get(f"/api/learning/tasks/{task_id}").json()["title"] == "接口任务"
    people = client.get(f"/api/learning/tasks/{task_id}/people").json()
    assert people["count"] == 2 and {p["name"] for p in people["items"]} == {"党员一", "张一"}
    units = client.get(f"/api/learning/tasks/{task_id}/units").json()
    assert [(u["unit_name"], u["total"]) for u in units["rows"]] == [(world.group_a1.name, 0), ("本级", 2)]
    assert units["totals"]["total"] == 2
    response = client.post(f"/api/learning/tasks/{task_id}/cancel", {"reason": "测试"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    response = client.post(f"/api/learning/tasks/{task_id}/close")
    assert response.status_code == 409
    # mine
    task = assign(world, resources=[r], paper=paper)
    mine = login(world.users["member1"]).get("/api/learning/tasks/mine").json()
    assert [t["task_id"] for t in mine["items"]] == [task.pk]
    assert mine["items"][0]["total"] == 2 and mine["items"][0]["done"] == 0
