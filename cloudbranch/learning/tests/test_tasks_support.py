"""Helpers of the study-task tests (no tests here): rows of other areas built directly."""

import datetime

from django.utils import timezone

from cloudbranch.learning import tasks
from cloudbranch.learning.models import Attempt, Paper, Resource, StudyProgress

TODAY = datetime.date(2030, 6, 10)


def make_resource(unit, user, *, title="学习党章", audience="subtree", status="published", kind="article"):
    return Resource.objects.create(
        kind=kind,
        title=title,
        column="policy",
        unit=unit,
        audience=audience,
        status=status,
        published_at=timezone.now(),
        created_by=user,
    )


def make_paper(unit, user, *, title="党章知识测试", audience="subtree", status="published"):
    now = timezone.now()
    return Paper.objects.create(
        unit=unit,
        title=title,
        audience=audience,
        status=status,
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=3650),
        created_by=user,
    )


def complete(person, resource, at=None):
    at = at or timezone.now()
    row, _ = StudyProgress.objects.update_or_create(
        person=person, resource=resource, defaults={"seconds": 120, "completed_at": at}
    )
    return row


def sit(person, paper, *, passed=True, at=None):
    at = at or timezone.now()
    number = Attempt.objects.filter(person=person, paper=paper).count() + 1
    return Attempt.objects.create(
        paper=paper,
        person=person,
        number=number,
        status="submitted",
        started_at=at - datetime.timedelta(minutes=10),
        deadline_at=at + datetime.timedelta(minutes=20),
        submitted_at=at,
        score=90 if passed else 30,
        max_score=100,
        passed=passed,
    )


def assign(world, *, actor="admin", unit=None, resources=(), paper=None, deadline=None, today=None, **kwargs):
    """A task assigned at ``unit`` (default college_a) by ``actor``."""
    user = world.users[actor]
    unit = unit or world.college_a
    if not resources and paper is None:
        resources = [make_resource(world.root, world.users["admin"])]
    today = today or timezone.localdate()
    return tasks.task_assign(
        actor=user,
        unit_id=unit.pk,
        title=kwargs.pop("title", "学习新党章"),
        deadline=deadline or today + datetime.timedelta(days=10),
        resource_ids=[r.pk for r in resources],
        paper_id=paper.pk if paper else None,
        today=today,
        **kwargs,
    )
