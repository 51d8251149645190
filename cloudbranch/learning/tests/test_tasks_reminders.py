"""Reminders before and after the deadline (idempotent), the command and job, the member's page."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.learning import jobs, tasks
from cloudbranch.notifications.models import Notification
from cloudbranch.testing.factories import PersonFactory, UserFactory

from .test_tasks_support import assign, complete, make_paper, make_resource, sit

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminder_setup(world):
    admin = world.users["admin"]
    r = make_resource(world.root, admin)
    zhang = UserFactory(username="zhang1")
    world.people["a1_other"].user = zhang
    world.people["a1_other"].save()
    li = UserFactory(username="li2")
    world.people["a2_person"].user = li
    world.people["a2_person"].save()
    today = timezone.localdate()
    task = assign(world, resources=[r], deadline=today + datetime.timedelta(days=5))
    Notification.objects.all().delete()  # the assignment notices
    complete(world.people["member1"], r)
    tasks.progress_changed(world.people["member1"].pk)
    return task, zhang, li


def _inbox(user):
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


def test_before_deadline_reminders_idempotent(world, reminder_setup):
    task, zhang, li = reminder_setup
    d3 = task.deadline - datetime.timedelta(days=3)
    assert tasks.send_reminders(task.deadline - datetime.timedelta(days=4)) == 0
    assert tasks.send_reminders(d3) == 2  # zhang and li; member1 is done; nobody else has an account
    assert tasks.send_reminders(d3) == 0
    assert _inbox(zhang) == [f"学习任务还有 3 天截止：{task.title}"]
    assert _inbox(world.users["member1"]) == []
    assert tasks.send_reminders(task.deadline - datetime.timedelta(days=1)) == 2
    assert tasks.send_reminders(task.deadline - datetime.timedelta(days=1)) == 0
    assert tasks.send_reminders(task.deadline) == 0


def test_after_deadline_creator_and_branch_secretaries(world, reminder_setup):
    task, zhang, li = reminder_setup
    group_member = PersonFactory(unit=world.group_a1)
    after = task.deadline + datetime.timedelta(days=1)
    # the new group member was not assigned (frozen); secretaries: a1 (zhang overdue), a2 (li overdue)
    assert tasks.send_reminders(after) == 3
    assert tasks.send_reminders(after) == 0
    assert tasks.send_reminders(after + datetime.timedelta(days=1)) == 0
    creator = _inbox(world.users["admin"])
    assert creator == [f"学习任务已逾期：{task.title}（2 人未完成）"]
    s1 = _inbox(world.users["secretary1"])
    assert len(s1) == 1 and "1 人未完成" in s1[0] and world.branch_a1.name in s1[0]
    assert len(_inbox(world.users["secretary2"])) == 1
    assert _inbox(zhang) == []  # no member reminder after the deadline
    assert group_member.pk


def test_group_assignees_go_to_the_branch_secretary(world):
    r = make_resource(world.root, world.users["admin"])
    PersonFactory(unit=world.group_a1)
    today = timezone.localdate()
    task = assign(world, actor="secretary1", unit=world.group_a1, resources=[r], deadline=today)
    Notification.objects.all().delete()
    assert tasks.send_reminders(today + datetime.timedelta(days=1)) == 1  # secretary1 is creator and secretary
    notes = Notification.objects.filter(recipient=world.users["secretary1"])
    assert {n.url for n in notes} == {tasks.overdue_url(task.pk)}


def test_reminder_queries_do_not_grow_with_people(world, reminder_setup):
    task, zhang, li = reminder_setup
    d3 = task.deadline - datetime.timedelta(days=3)
    with CaptureQueriesContext(connection) as ctx:
        tasks.send_reminders(d3)
    small = len(ctx.captured_queries)
    Notification.objects.all().delete()
    for _i in range(10):
        p = PersonFactory(unit=world.branch_a2)
        p.user = UserFactory()
        p.save()
    r = make_resource(world.root, world.users["admin"])
    assign(world, resources=[r], deadline=task.deadline)
    Notification.objects.all().delete()
    with CaptureQueriesContext(connection) as ctx:
        assert tasks.send_reminders(d3) == 2 + 13  # member1 has not done the second task
    # the assignees, the sent notices, an overdue check, then one batch per task (notify: 6 queries):
    # the number grows with tasks, not with people
    assert (small, len(ctx.captured_queries)) == (9, 15)


def test_command_and_job(world, reminder_setup):
    task, zhang, li = reminder_setup
    d1 = (task.deadline - datetime.timedelta(days=1)).isoformat()
    out = StringIO()
    call_command("learning_reminders", "--date", d1, stdout=out)
    assert "2 条" in out.getvalue()
    result = jobs.send_task_reminders.enqueue(d1)
    assert result.return_value == 0


def test_member_sees_only_own_tasks(world, login):
    admin = world.users["admin"]
    r1 = make_resource(world.root, admin, title="资源甲")
    r2 = make_resource(world.root, admin, title="资源乙")
    paper = make_paper(world.root, admin, title="测试卷")
    mine = assign(world, title="我的任务", resources=[r1, r2], paper=paper)
    assign(world, title="别人的任务", scope="chosen", person_ids=[world.people["a1_other"].pk], resources=[r1])
    assign(world, title="外院任务", unit=world.college_b, resources=[r1])
    done = assign(world, title="已完成的任务", scope="chosen", person_ids=[world.people["member1"].pk], resources=[r2])
    me = world.people["member1"]
    complete(me, r2)
    tasks.progress_changed(me.pk)
    client = login(world.users["member1"])
    response = client.get("/learning/tasks/mine/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "我的任务" in body and "别人的任务" not in body and "外院任务" not in body
    assert "1/3" in body  # r2 done of r1, r2 and the exam
    assert tasks.resource_url(r1.pk) in body and "测试卷" in body
    open_part, done_part = body.split("已完成或已结束")
    assert "我的任务" in open_part and "已完成的任务" in done_part
    assert f"my-task-{mine.pk}" in open_part and f"my-task-{done.pk}" not in body
    sit(me, paper)
    # a user without a person record sees an explanation
    assert "尚未关联" in login(world.users["secretary2"]).get("/learning/tasks/mine/").content.decode()


def test_my_tasks_query_count_constant(world, login):
    r = make_resource(world.root, world.users["admin"])
    paper = make_paper(world.root, world.users["admin"])
    assign(world, resources=[r], paper=paper)
    client = login(world.users["member1"])
    client.get("/learning/tasks/mine/")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/learning/tasks/mine/")
    small = len(ctx.captured_queries)
    for _ in range(4):
        assign(world, resources=[r, make_resource(world.root, world.users["admin"])], paper=paper)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/learning/tasks/mine/")
    assert response.content.decode().count("my-task-") == 5
    # session, user, person; open: count, page, resource links, progress, attempts; done: count (empty); menu
    assert len(ctx.captured_queries) == small == 11
