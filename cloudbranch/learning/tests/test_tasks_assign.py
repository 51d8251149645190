"""Assigning study tasks: frozen assignees, filters, scope, rules, notifications, audit, pages."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.learning import tasks
from cloudbranch.learning.models import StudyTask, TaskAssignee
from cloudbranch.notifications.models import Notification
from cloudbranch.testing.factories import PersonFactory, UserFactory

from .test_tasks_support import assign, make_paper, make_resource

pytestmark = pytest.mark.django_db


def _people(task):
    return {a.person.name: a.unit_id for a in TaskAssignee.objects.filter(task=task).select_related("person")}


def test_subtree_assignment_freezes_people_and_units(world, django_assert_num_queries):
    grouped = PersonFactory(unit=world.group_a1, name="小组成员")
    PersonFactory(unit=world.branch_a1, name="已离校", roster_status="left")
    task = assign(world)
    assert _people(task) == {
        "党员一": world.branch_a1.pk,
        "张一": world.branch_a1.pk,
        "李二": world.branch_a2.pk,
        "小组成员": world.group_a1.pk,
    }
    # moving a person later changes nothing: the assignee keeps the unit of the assignment
    grouped.unit = world.branch_b1
    grouped.save()
    assert TaskAssignee.objects.get(task=task, person=grouped).unit_id == world.group_a1.pk
    # a person joining later is not assigned
    PersonFactory(unit=world.branch_a1, name="新来的")
    assert "新来的" not in _people(task)


def test_status_filter_party_members_or_activists(world):
    PersonFactory(unit=world.branch_a1, name="积极分子", political_status="activist", joined_on=None, confirmed_on=None)
    members = assign(world, statuses=tasks.STATUS_GROUPS["members"][1])
    assert "积极分子" not in _people(members) and "党员一" in _people(members)
    activists = assign(world, statuses=tasks.STATUS_GROUPS["activists"][1])
    assert set(_people(activists)) == {"积极分子"}


def test_chosen_people_in_scope_and_outside_refused(world):
    a1, b1 = world.people["a1_other"], world.people["b1_person"]
    task = assign(world, actor="secretary1", unit=world.branch_a1, scope="chosen", person_ids=[a1.pk])
    assert set(_people(task)) == {"张一"}
    before = StudyTask.objects.count()
    with pytest.raises(DomainError) as exc:
        assign(world, actor="secretary1", unit=world.branch_a1, scope="chosen", person_ids=[a1.pk, b1.pk])
    assert exc.value.errors[0]["field"] == "person_ids"
    assert StudyTask.objects.count() == before
    assert not TaskAssignee.objects.filter(person=b1).exists()


def test_rules(world):
    admin = world.users["admin"]
    today = timezone.localdate()
    with pytest.raises(DomainError) as exc:
        assign(world, deadline=today - datetime.timedelta(days=1))
    assert {e["field"] for e in exc.value.errors} == {"deadline"}
    with pytest.raises(DomainError) as exc:
        tasks.task_assign(actor=admin, unit_id=world.college_a.pk, title="空任务", deadline=today)
    assert exc.value.errors[0]["field"] == "resource_ids"
    draft = make_resource(world.root, admin, title="草稿", status="draft")
    with pytest.raises(DomainError, match="尚未发布"):
        assign(world, resources=[draft])
    # published for branch a1 only: not visible to the people of a2
    narrow = make_resource(world.branch_a1, admin, title="一支部专用")
    with pytest.raises(DomainError, match="可见范围"):
        assign(world, resources=[narrow])
    # ... but fine for a task of branch a1; a school-wide one of another college is fine anywhere
    assign(world, unit=world.branch_a1, resources=[narrow])
    wide = make_resource(world.college_b, admin, title="全校", audience="school")
    assign(world, resources=[wide])
    hidden_paper = make_paper(world.college_b, admin)
    with pytest.raises(DomainError, match="可见范围"):
        assign(world, paper=hidden_paper)
    assert StudyTask.objects.count() == 2


def test_permissions(world):
    with pytest.raises(Http404):  # sibling branch: not even visible
        assign(world, actor="secretary2", unit=world.branch_a1)
    with pytest.raises(PermissionDenied):  # member sees the unit but may not assign
        assign(world, actor="member1", unit=world.branch_a1)


def test_notifies_in_one_batch_and_audits(world):
    other = UserFactory(username="zhang1")
    world.people["a1_other"].user = other
    world.people["a1_other"].save()
    task = assign(world)
    notes = Notification.objects.filter(category="learning")
    assert {n.recipient_id for n in notes} == {world.users["member1"].pk, other.pk}
    assert len({n.created_at for n in notes}) == 1
    event = AuditEvent.objects.get(action="learning.studytask.create")
    assert event.changes["assignees"] == 3 and event.target_id == str(task.pk)


def test_close_and_cancel(world):
    task = assign(world)
    with pytest.raises(PermissionDenied):  # secretary1 sees it through a1's assignees but may not manage
        tasks.task_close(actor=world.users["secretary1"], task_id=task.pk)
    with pytest.raises(DomainError):
        tasks.task_cancel(actor=world.users["admin"], task_id=task.pk, reason=" ")
    tasks.task_cancel(actor=world.users["admin"], task_id=task.pk, reason="布置有误")
    task.refresh_from_db()
    assert task.status == "cancelled"
    with pytest.raises(ConflictError):
        tasks.task_close(actor=world.users["admin"], task_id=task.pk)
    assert AuditEvent.objects.filter(action="learning.studytask.cancel").get().changes["reason"] == "布置有误"


def test_pages(world, login):
    resource = make_resource(world.root, world.users["admin"])
    client = login(world.users["secretary1"])
    response = client.get("/learning/tasks/new/")
    assert response.status_code == 200 and resource.title in response.content.decode()
    data = {
        "unit": world.branch_a1.pk,
        "title": "七一学习",
        "deadline": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
        "resources": [resource.pk],
        "scope": "subtree",
    }
    response = client.post("/learning/tasks/new/", data)
    assert response.status_code == 302
    task = StudyTask.objects.get(title="七一学习")
    assert TaskAssignee.objects.filter(task=task).count() == 2
    bad = data | {"title": "过期", "deadline": "2020-01-01"}
    response = client.post("/learning/tasks/new/", bad)
    assert response.status_code == 422 and "截止日期不能早于今天" in response.content.decode()
    response = client.post("/learning/tasks/new/", data | {"scope": "chosen", "people": [world.people["b1_person"].pk]})
    assert response.status_code == 422 and "不在" in response.content.decode()
    assert StudyTask.objects.count() == 1
    assert login(world.users["member1"]).get("/learning/tasks/new/").status_code == 403


def test_close_and_cancel_pages(world, login):
    task = assign(world)
    client = login(world.users["admin"])
    assert client.post(f"/learning/tasks/{task.pk}/cancel/", {"reason": ""}).status_code == 422
    assert client.post(f"/learning/tasks/{task.pk}/close/").status_code == 302
    response = client.post(f"/learning/tasks/{task.pk}/close/")
    assert response.status_code == 409 and "已结束的任务不能结束" in response.content.decode()
    assert login(world.users["secretary1"]).post(f"/learning/tasks/{task.pk}/close/").status_code == 403
