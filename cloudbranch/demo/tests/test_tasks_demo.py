"""The top-down tasks demo (issue 10 item 1): the organization department's tasks to every branch
and a college's task to its branches, targets in every state, secretary1's branch through the
real services, at a small scale (seeded once per module)."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.demo import seeding, tasks_demo
from cloudbranch.demo.generator import ScaleParams
from cloudbranch.orgs.choices import BRANCH_KINDS
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.people.models import Person
from cloudbranch.worktasks.choices import OPEN_TARGET_STATUSES, ReportKind, ReviewDecision, TargetStatus, TaskStatus
from cloudbranch.worktasks.models import AssignedTask, TaskEvidence, TaskReport, TaskReview, TaskTarget

from .parts import module_seed

PARAMS = ScaleParams(universities=1, colleges=3, branches=12, people=500)
allow_accounts = override_settings(DEBUG=True, DEMO_PASSWORD="demo12345")
MODELS = (AssignedTask, TaskTarget, TaskReport, TaskEvidence, TaskReview)


def seed():
    with allow_accounts:
        return seeding.seed(scale="demo", seed=1, params=PARAMS)


_media, _only_these_parts, _seed_of_the_module = module_seed("tasks", seed=seed, media="tasks")


@pytest.fixture
def seeded(_seed_of_the_module, db):
    assert _seed_of_the_module.created and _seed_of_the_module.tasks
    return _seed_of_the_module


def units(seeded):
    return seeding.demo_units(seeded.root, province=False)


def branch1_targets(seeded):
    return {
        t.task.title: t
        for t in TaskTarget.objects.filter(unit=units(seeded)["branch1"]).select_related("task", "responsible")
    }


def test_volume_every_branch_and_audit(seeded):
    root = seeded.root
    branches = OrgUnit.objects.filter(path__startswith=root.path, kind__in=BRANCH_KINDS).count()
    root_tasks = AssignedTask.objects.filter(issuer=root)
    assert root_tasks.count() == len(tasks_demo.ROOT_TASKS) + len(tasks_demo.LAST_YEAR_TASKS)
    for task in root_tasks:
        assert task.targets.count() == branches
    assert set(root_tasks.values_list("status", flat=True)) == {TaskStatus.ISSUED, TaskStatus.CLOSED}
    # The current tasks were issued their plan's number of days before today (in January partly last
    # year), the closed ones on their day of the previous calendar year, closed no later than now.
    today = timezone.localdate()
    issued_on = {t.title: timezone.localtime(t.issued_at).date() for t in root_tasks}
    assert issued_on == {
        **{p.title: today - datetime.timedelta(days=p.issued) for p in tasks_demo.ROOT_TASKS},
        **{p.title: datetime.date(today.year - 1, *p.last_year[:2]) for p in tasks_demo.LAST_YEAR_TASKS},
    }
    closed = root_tasks.filter(status=TaskStatus.CLOSED)
    assert set(closed.values_list("title", flat=True)) == {p.title for p in tasks_demo.LAST_YEAR_TASKS}
    assert all(t.deadline < t.closed_at <= timezone.now() for t in closed)
    assert root_tasks.filter(attachments__isnull=False).exists()
    audit = AuditEvent.objects.get(action=tasks_demo.TASKS_ACTION)
    assert audit.changes["targets_bulk"] == seeded.tasks["targets_bulk"] > 0
    # The showcase went through the services, audited as the people who did it.
    assert AuditEvent.objects.filter(action="worktasks.tasktarget.submit", actor__username="secretary1").exists()
    assert AuditEvent.objects.filter(action="worktasks.tasktarget.return", actor__username="admin").exists()
    assert AuditEvent.objects.filter(action="worktasks.assignedtask.issue", actor__username="college1").exists()


def test_every_state_with_its_details(seeded):
    now = timezone.now()
    targets = TaskTarget.objects.all()
    assert set(targets.values_list("status", flat=True)) == set(TargetStatus.values)
    accepted = targets.filter(status=TargetStatus.ACCEPTED)
    assert accepted.filter(on_time=True).exists() and accepted.filter(on_time=False).exists()
    for t in accepted.select_related("task"):
        assert t.submitted_at <= t.accepted_at <= now and t.on_time == (t.submitted_at <= t.task.deadline)
    assert targets.filter(status__in=OPEN_TARGET_STATUSES, task__deadline__lt=now, task__status="issued").exists()
    in_progress = targets.filter(status=TargetStatus.IN_PROGRESS)
    for t in in_progress.filter(responsible__isnull=True).select_related("unit"):  # only a branch without people
        assert not Person.objects.filter(unit__path__startswith=t.unit.path, roster_status="active").exists()
    assert in_progress.filter(responsible__isnull=False).exists()
    assert in_progress.filter(progress__gt=0, progress__lt=100).exists()
    for t in targets.filter(status=TargetStatus.SUBMITTED):
        assert t.submitted_at <= now
        completion = t.reports.filter(kind=ReportKind.COMPLETION).order_by("-submitted_at").first()
        assert completion and completion.evidence.exists()
    returned = TaskReview.objects.filter(decision=ReviewDecision.RETURN)
    assert returned.exists() and not returned.filter(comment="").exists()
    assert not targets.filter(status=TargetStatus.RETURNED, reviews__isnull=True).exists()
    evidence = TaskEvidence.objects.all()
    assert {e.content_type for e in evidence} >= {"application/pdf", "image/jpeg"}
    for e in evidence[:20]:
        assert e.file.storage.exists(e.file.name)
        with e.file.open("rb") as f:
            head = f.read(5)
        assert head == b"%PDF-" if e.content_type == "application/pdf" else head[:2] == b"\xff\xd8"
    # Every timestamp is in the past and in order.
    assert not targets.filter(received_at__gt=now).exists() and not targets.filter(submitted_at__gt=now).exists()
    assert not TaskReport.objects.filter(submitted_at__gt=now).exists()


def test_secretary1_has_one_to_submit_and_one_to_fix(seeded, client):
    mine = branch1_targets(seeded)
    todo = mine["开展主题党日活动并报送材料"]
    assert todo.status == TargetStatus.IN_PROGRESS and todo.progress == 60
    assert todo.responsible.user.username == "member1" and todo.task.deadline > timezone.now()
    fix = mine["报送“三会一课”落实情况自查报告"]
    assert fix.status == TargetStatus.RETURNED and fix.task.deadline > timezone.now()
    assert fix.reviews.get(decision=ReviewDecision.RETURN).comment
    assert mine["报送年度党员发展计划"].status == TargetStatus.ACCEPTED and mine["报送年度党员发展计划"].on_time
    overdue = mine["组织党员专题学习并报送学习心得"]
    assert overdue.status == TargetStatus.IN_PROGRESS and overdue.task.deadline < timezone.now()
    assert mine["完成党费收缴自查"].status == TargetStatus.ISSUED
    college_task = mine["报送学院“两优一先”推荐材料"]
    assert college_task.status == TargetStatus.SUBMITTED
    assert college_task.task.issuer == units(seeded)["college"] and college_task.task.created_by.username == "college1"
    assert TaskEvidence.objects.filter(report__target=college_task).count() == 2

    client.force_login(get_user_model().objects.get(username="secretary1"))
    page = client.get(reverse("worktasks:board"))
    assert page.status_code == 200 and "开展主题党日活动并报送材料" in page.content.decode()
    assert client.get(reverse("worktasks:target", args=[fix.pk])).status_code == 200


def test_college1_reviews_and_admin_sees_the_statistics(seeded, client):
    User = get_user_model()
    client.force_login(User.objects.get(username="college1"))
    task = AssignedTask.objects.get(issuer=units(seeded)["college"])
    assert client.get(reverse("worktasks:task", args=[task.pk])).status_code == 200
    assert task.targets.filter(status=TargetStatus.SUBMITTED).exists()
    client.force_login(User.objects.get(username="admin"))
    assert client.get(reverse("worktasks:issued")).status_code == 200
    assert client.get(reverse("worktasks:stats")).status_code == 200


def test_second_seed_adds_nothing(seeded):
    before = {m.__name__: m.objects.count() for m in MODELS}
    again = seed()
    assert not again.created and again.tasks is None
    assert {m.__name__: m.objects.count() for m in MODELS} == before


def test_deterministic_deadlines(seeded):
    today = timezone.localdate()
    for plan in tasks_demo.ROOT_TASKS:
        task = AssignedTask.objects.get(issuer=seeded.root, title=plan.title)
        assert timezone.localtime(task.deadline).date() == today + datetime.timedelta(days=plan.deadline)
