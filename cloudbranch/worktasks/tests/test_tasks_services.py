"""Every transition and refusal of the task services."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant
from cloudbranch.worktasks import tasks
from cloudbranch.worktasks.choices import TargetStatus, TaskStatus
from cloudbranch.worktasks.models import AssignedTask, TaskEvidence, TaskTarget

from .factories import docx_file, fake_pdf, in_days, issue_task, pdf_file, png_file, target_of

pytestmark = pytest.mark.django_db


def _create(world, **kw):
    data = {
        "actor": world.users["admin"],
        "issuer_id": world.root.pk,
        "title": "学习贯彻全会精神",
        "requirements": "组织专题学习。",
        "deadline": in_days(7),
    }
    data.update(kw)
    return tasks.task_create(**data)


# --- issuer ------------------------------------------------------------------------------------


def test_create_draft_with_attachments(world):
    task = _create(world, files=[pdf_file(), docx_file(), png_file()], evidence_expected="活动照片")
    assert task.status == TaskStatus.DRAFT
    assert not task.targets.exists()
    names = sorted(task.attachments.values_list("name", flat=True))
    assert names == sorted(["材料.pdf", "方案.docx", "照片.png"])
    assert AuditEvent.objects.filter(action="worktasks.assignedtask.create", target_id=str(task.pk)).count() == 1


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"title": " "}, "title"),
        ({"requirements": ""}, "requirements"),
        ({"deadline": timezone.now() - datetime.timedelta(minutes=1)}, "deadline"),
        ({"files": [fake_pdf()]}, "files"),
    ],
)
def test_create_refusals(world, kw, field):
    with pytest.raises(DomainError) as exc:
        _create(world, **kw)
    assert field in {e["field"] for e in exc.value.errors}
    assert not AssignedTask.objects.exists()


def test_attachment_too_big(world, settings):
    from cloudbranch.worktasks import uploads

    big = pdf_file()
    big.size = uploads.MAX_FILE_BYTES + 1
    with pytest.raises(DomainError, match="20 MB"):
        _create(world, files=[big])


def test_only_issuers_create(world):
    with pytest.raises(PermissionDenied):
        _create(world, actor=world.users["secretary1"], issuer_id=world.branch_a1.pk)
    college = UserFactory()
    grant(college, world.college_a, Role.COMMITTEE_SECRETARY)
    with pytest.raises(DomainError):  # not their unit
        _create(world, actor=college, issuer_id=world.college_b.pk)
    assert _create(world, actor=college, issuer_id=world.college_a.pk).issuer == world.college_a


def test_issue_by_kind_and_pick(world):
    task = _create(world)
    issued = tasks.task_issue(
        actor=world.users["admin"], task_id=task.pk, target_kinds=[UnitKind.BRANCH], target_unit_ids=[world.group_a1.pk]
    )
    assert issued.status == TaskStatus.ISSUED and issued.issued_at
    units = set(task.targets.values_list("unit_id", flat=True))
    assert units == {world.branch_a1.pk, world.branch_a2.pk, world.branch_b1.pk, world.group_a1.pk}
    event = AuditEvent.objects.get(action="worktasks.assignedtask.issue")
    assert event.changes["targets"] == 4 and sorted(event.changes["unit_ids"]) == sorted(units)
    # the nearest officers: each branch's own secretary; group_a1 has none → branch_a1's secretary
    notified = list(Notification.objects.filter(category="task").values_list("recipient__username", "url"))
    assert sorted(u for u, _ in notified) == ["secretary1", "secretary1", "secretary2"]
    assert all(url.startswith("/tasks/targets/") for _, url in notified)
    assert not Notification.objects.filter(recipient=world.users["admin"]).exists()


def test_issue_refusals(world):
    task = _create(world)
    admin = world.users["admin"]
    with pytest.raises(DomainError, match="至少选择"):
        tasks.task_issue(actor=admin, task_id=task.pk)
    with pytest.raises(DomainError, match="本单位自己"):
        tasks.task_issue(actor=admin, task_id=task.pk, target_unit_ids=[world.root.pk])
    college = UserFactory()
    grant(college, world.college_a, Role.COMMITTEE_SECRETARY)
    own = _create(world, actor=college, issuer_id=world.college_a.pk)
    with pytest.raises(DomainError, match="下级范围"):
        tasks.task_issue(actor=college, task_id=own.pk, target_unit_ids=[world.branch_b1.pk])
    with pytest.raises(DomainError):
        tasks.task_issue(actor=admin, task_id=task.pk, target_kinds=["nonsense"])
    assert not TaskTarget.objects.exists()
    tasks.task_issue(actor=admin, task_id=task.pk, target_unit_ids=[world.branch_a1.pk])
    with pytest.raises(ConflictError, match="只有草稿"):
        tasks.task_issue(actor=admin, task_id=task.pk, target_unit_ids=[world.branch_a2.pk])
    with pytest.raises(Http404):  # a college secretary does not see the root's task
        tasks.task_issue(actor=college, task_id=task.pk, target_unit_ids=[world.branch_a2.pk])


def test_edit_draft_only(world):
    task = _create(world, files=[pdf_file()])
    att = task.attachments.get()
    tasks.task_update(
        actor=world.users["admin"],
        task_id=task.pk,
        title="新标题",
        requirements="新要求",
        deadline=in_days(9),
        files=[png_file()],
        remove_attachment_ids=[att.pk],
    )
    task.refresh_from_db()
    assert task.title == "新标题"
    assert list(task.attachments.values_list("name", flat=True)) == ["照片.png"]
    tasks.task_issue(actor=world.users["admin"], task_id=task.pk, target_unit_ids=[world.branch_a1.pk])
    with pytest.raises(ConflictError):
        tasks.task_update(actor=world.users["admin"], task_id=task.pk, title="x", requirements="y", deadline=in_days(9))


def test_cancel_needs_reason_and_notifies(world):
    task = issue_task(world.users["admin"], world.root, [world.branch_a1])
    Notification.objects.all().delete()
    with pytest.raises(DomainError):
        tasks.task_cancel(actor=world.users["admin"], task_id=task.pk, reason=" ")
    tasks.task_cancel(actor=world.users["admin"], task_id=task.pk, reason="上级通知取消")
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED and task.cancel_reason == "上级通知取消"
    assert Notification.objects.get().recipient == world.users["secretary1"]
    with pytest.raises(ConflictError):
        tasks.task_cancel(actor=world.users["admin"], task_id=task.pk, reason="再撤销")
    with pytest.raises(ConflictError):
        tasks.task_close(actor=world.users["admin"], task_id=task.pk)
    target = target_of(task, world.branch_a1)
    with pytest.raises(ConflictError, match="撤销"):
        tasks.target_report(actor=world.users["secretary1"], target_id=target.pk, text="进展", progress=10)


def test_close_stops_reports(world):
    task = issue_task(world.users["admin"], world.root, [world.branch_a1])
    with pytest.raises(Http404):  # the receiving unit does not see the task as issuer
        tasks.task_close(actor=world.users["secretary1"], task_id=task.pk)
    tasks.task_close(actor=world.users["admin"], task_id=task.pk)
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED and task.closed_at
    target = target_of(task, world.branch_a1)
    with pytest.raises(ConflictError, match="结束"):
        tasks.target_submit(actor=world.users["secretary1"], target_id=target.pk, text="完成")
    with pytest.raises(ConflictError):
        tasks.task_close(actor=world.users["admin"], task_id=task.pk)


# --- receiving unit ------------------------------------------------------------------------------


@pytest.fixture
def issued(world):
    task = issue_task(
        world.users["admin"], world.root, [world.branch_a1, world.branch_a2], evidence_expected="活动照片"
    )
    return task, target_of(task, world.branch_a1), target_of(task, world.branch_a2)


def test_open_marks_received_once(world, issued):
    _, t1, _ = issued
    sec, admin = world.users["secretary1"], world.users["admin"]
    # the issuer's reviewer looking at it does not receive it for the unit
    target = tasks.target_open(actor=admin, target=tasks.access_target(admin, t1.pk))
    assert target.status == TargetStatus.ISSUED
    target = tasks.target_open(actor=sec, target=tasks.access_target(sec, t1.pk))
    assert target.status == TargetStatus.RECEIVED and target.received_at
    tasks.target_open(actor=sec, target=tasks.access_target(sec, t1.pk))
    assert AuditEvent.objects.filter(action="worktasks.tasktarget.receive").count() == 1
    with pytest.raises(ConflictError, match="已经接收"):
        tasks.target_receive(actor=sec, target_id=t1.pk)


def test_sibling_gets_404(world, issued):
    _, t1, t2 = issued
    with pytest.raises(Http404):
        tasks.access_target(world.users["secretary2"], t1.pk)
    with pytest.raises(Http404):
        tasks.target_report(actor=world.users["secretary2"], target_id=t1.pk, text="x", progress=1)
    assert tasks.access_target(world.users["secretary2"], t2.pk) == t2
    with pytest.raises(Http404):
        tasks.access_target(world.users["member1"], t1.pk)


def test_assign_person_of_subtree(world, issued):
    _, t1, _ = issued
    sec = world.users["secretary1"]
    with pytest.raises(DomainError, match="在册"):
        tasks.target_assign(actor=sec, target_id=t1.pk, person_id=world.people["a2_person"].pk)
    in_group = PersonFactory(unit=world.group_a1, name="小组成员")
    target = tasks.target_assign(actor=sec, target_id=t1.pk, person_id=in_group.pk)
    assert target.responsible == in_group and target.status == TargetStatus.IN_PROGRESS and target.received_at
    tasks.target_assign(actor=sec, target_id=t1.pk, person_id=world.people["member1"].pk)
    assert Notification.objects.filter(recipient=world.users["member1"], title__contains="责任人").exists()
    assert AuditEvent.objects.filter(action="worktasks.tasktarget.assign").count() == 2


def test_progress_reports_not_decreasing(world, issued):
    _, t1, _ = issued
    sec = world.users["secretary1"]
    tasks.target_report(actor=sec, target_id=t1.pk, text="已部署", progress=30)
    t1.refresh_from_db()
    assert t1.status == TargetStatus.IN_PROGRESS and t1.progress == 30
    with pytest.raises(DomainError, match="不能低于上次报告的 30%"):
        tasks.target_report(actor=sec, target_id=t1.pk, text="倒退", progress=20)
    for bad in (101, -1, "x"):
        with pytest.raises(DomainError):
            tasks.target_report(actor=sec, target_id=t1.pk, text="坏", progress=bad)
    with pytest.raises(DomainError):
        tasks.target_report(actor=sec, target_id=t1.pk, text="", progress=40)
    tasks.target_report(actor=sec, target_id=t1.pk, text="同样", progress=30)
    assert t1.reports.count() == 2


def test_submit_needs_evidence_when_expected(world, issued):
    _, t1, _ = issued
    sec = world.users["secretary1"]
    with pytest.raises(DomainError, match="佐证材料"):
        tasks.target_submit(actor=sec, target_id=t1.pk, text="已完成")
    with pytest.raises(DomainError, match="不符"):
        tasks.target_submit(actor=sec, target_id=t1.pk, text="已完成", files=[fake_pdf()])
    report = tasks.target_submit(actor=sec, target_id=t1.pk, text="已完成", files=[pdf_file(), png_file()])
    t1.refresh_from_db()
    assert t1.status == TargetStatus.SUBMITTED and t1.progress == 100 and t1.submitted_at
    assert TaskEvidence.objects.filter(report=report).count() == 2
    assert Notification.objects.filter(recipient=world.users["admin"], title__contains="待审核").exists()
    with pytest.raises(ConflictError, match="等待审核"):
        tasks.target_submit(actor=sec, target_id=t1.pk, text="再报", files=[pdf_file()])
    with pytest.raises(ConflictError):
        tasks.target_report(actor=sec, target_id=t1.pk, text="再报", progress=100)
    with pytest.raises(ConflictError):
        tasks.target_assign(actor=sec, target_id=t1.pk, person_id=world.people["member1"].pk)


def test_submit_without_evidence_when_none_expected(world):
    task = issue_task(world.users["admin"], world.root, [world.branch_a1])
    t = target_of(task, world.branch_a1)
    tasks.target_submit(actor=world.users["secretary1"], target_id=t.pk, text="已完成")
    t.refresh_from_db()
    assert t.status == TargetStatus.SUBMITTED


def test_review_return_resubmit_accept(world, issued):
    _, t1, _ = issued
    sec, admin = world.users["secretary1"], world.users["admin"]
    with pytest.raises(ConflictError, match="只有待审核"):
        tasks.target_review(actor=admin, target_id=t1.pk, decision="accept")
    tasks.target_submit(actor=sec, target_id=t1.pk, text="完成", files=[pdf_file()])
    with pytest.raises(PermissionDenied):  # handles, does not review
        tasks.target_review(actor=sec, target_id=t1.pk, decision="accept")
    college = UserFactory()
    grant(college, world.college_a, Role.COMMITTEE_SECRETARY)
    with pytest.raises(PermissionDenied):  # above the target, but not the issuer
        tasks.target_review(actor=college, target_id=t1.pk, decision="accept")
    with pytest.raises(DomainError, match="必须填写意见"):
        tasks.target_review(actor=admin, target_id=t1.pk, decision="return")
    with pytest.raises(DomainError):
        tasks.target_review(actor=admin, target_id=t1.pk, decision="maybe")
    Notification.objects.all().delete()
    tasks.target_review(actor=admin, target_id=t1.pk, decision="return", comment="照片不清晰")
    t1.refresh_from_db()
    assert t1.status == TargetStatus.RETURNED and t1.on_time is None
    assert Notification.objects.get(recipient=sec).title.startswith("任务被退回")
    tasks.target_report(actor=sec, target_id=t1.pk, text="补充照片", progress=100)
    tasks.target_submit(actor=sec, target_id=t1.pk, text="重新报送", files=[png_file()])
    tasks.target_review(actor=admin, target_id=t1.pk, decision="accept")
    t1.refresh_from_db()
    assert t1.status == TargetStatus.ACCEPTED and t1.on_time is True and t1.accepted_at
    with pytest.raises(ConflictError):
        tasks.target_review(actor=admin, target_id=t1.pk, decision="return", comment="再退")
    assert t1.reviews.count() == 2
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"worktasks.tasktarget.return", "worktasks.tasktarget.accept", "worktasks.tasktarget.submit"} <= actions


@pytest.mark.parametrize(("offset", "on_time"), [(0, True), (-1, True), (1, False)])
def test_on_time_boundary(world, offset, on_time):
    deadline = in_days(5)
    task = issue_task(world.users["admin"], world.root, [world.branch_a1], deadline=deadline)
    t = target_of(task, world.branch_a1)
    at = deadline + datetime.timedelta(seconds=offset)
    tasks.target_submit(actor=world.users["secretary1"], target_id=t.pk, text="完成", now=at)
    tasks.target_review(actor=world.users["admin"], target_id=t.pk, decision="accept", now=at)
    t.refresh_from_db()
    assert t.on_time is on_time


def test_reviews_allowed_after_close(world, issued):
    task, t1, _ = issued
    tasks.target_submit(actor=world.users["secretary1"], target_id=t1.pk, text="完成", files=[pdf_file()])
    tasks.task_close(actor=world.users["admin"], task_id=task.pk)
    tasks.target_review(actor=world.users["admin"], target_id=t1.pk, decision="accept")
    t1.refresh_from_db()
    assert t1.status == TargetStatus.ACCEPTED


def test_downloads_scoped(world, issued):
    task, t1, _ = issued
    only_a1 = issue_task(world.users["admin"], world.root, [world.branch_a1], files=[pdf_file()])
    att = only_a1.attachments.get()
    assert tasks.attachment_for_download(world.users["secretary1"], att.pk) == att
    assert tasks.attachment_for_download(world.users["admin"], att.pk) == att
    with pytest.raises(Http404):
        tasks.attachment_for_download(world.users["secretary2"], att.pk)
    report = tasks.target_submit(actor=world.users["secretary1"], target_id=t1.pk, text="完成", files=[pdf_file()])
    ev = report.evidence.get()
    assert tasks.evidence_for_download(world.users["admin"], ev.pk) == ev
    with pytest.raises(Http404):
        tasks.evidence_for_download(world.users["secretary2"], ev.pk)
    draft = _create(world, files=[pdf_file()])
    with pytest.raises(Http404):  # a draft's attachment is the issuer's only
        tasks.attachment_for_download(world.users["secretary1"], draft.attachments.get().pk)
