"""Attempts: start/resume, attempts allowed, the server's time limit, autosave, shuffled options
mapped back for grading, results hidden until close, expiry, wrong-answer book and points."""

import datetime

import pytest
from django.core.management import call_command
from django.http import Http404
from django.utils import timezone

from cloudbranch.core.errors import ConflictError
from cloudbranch.learning import exams
from cloudbranch.learning.choices import AnswerSource, AttemptStatus
from cloudbranch.learning.choices import QuestionKind as K
from cloudbranch.learning.models import AnswerRecord, Attempt, WrongAnswer

from .test_exams_support import correct_positions, make_paper, make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper(world):
    s1 = world.users["secretary1"]
    qs = [make_question(world.branch_a1, s1, kind) for kind in (K.SINGLE, K.MULTIPLE, K.JUDGE, K.FILL)]
    return make_paper(world.branch_a1, s1, questions=qs, points=2.5, pass_score=5)


def start(world, paper, **kw):
    return exams.attempt_start(actor=world.users["member1"], paper_id=paper.pk, **kw)


def test_start_freezes_items_and_deadline(world, paper):
    now = timezone.now()
    attempt = start(world, paper, now=now)
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert sorted(i["question"] for i in attempt.items) == sorted(paper.items.values_list("question_id", flat=True))
    assert attempt.deadline_at == now + datetime.timedelta(minutes=30)
    assert attempt.max_score == 10
    assert start(world, paper, now=now).pk == attempt.pk  # resuming returns the running attempt


def test_deadline_capped_by_close(world, paper):
    now = timezone.now()
    paper.closes_at = now + datetime.timedelta(minutes=5)
    paper.save()
    assert start(world, paper, now=now).deadline_at == paper.closes_at


def test_window_and_attempts_allowed(world, paper):
    with pytest.raises(ConflictError, match="尚未开始"):
        start(world, paper, now=paper.opens_at - datetime.timedelta(minutes=1))
    with pytest.raises(ConflictError, match="已经结束"):
        start(world, paper, now=paper.closes_at)
    attempt = start(world, paper)
    exams.attempt_submit(actor=world.users["member1"], attempt_id=attempt.pk)
    with pytest.raises(ConflictError, match="1 次作答机会"):
        start(world, paper)
    paper.attempts_allowed = 2
    paper.save()
    assert start(world, paper).number == 2


def test_sibling_member_cannot_start(world, paper):
    from cloudbranch.testing.factories import UserFactory

    other = UserFactory()
    world.people["a2_person"].user = other
    world.people["a2_person"].save()
    with pytest.raises(Http404):
        exams.attempt_start(actor=other, paper_id=paper.pk)


def test_shuffled_options_are_mapped_back(world, paper):
    attempt = start(world, paper)
    member = world.users["member1"]
    for item in attempt.items:
        q = exams.Question.objects.get(pk=item["question"])
        response = ["全心全意为人民服务"] if q.kind == K.FILL else correct_positions(attempt, q)
        exams.attempt_save(actor=member, attempt_id=attempt.pk, question_id=q.pk, response=response)
    attempt.refresh_from_db()
    for item in attempt.items:  # stored as the question's own option indexes
        q = exams.Question.objects.get(pk=item["question"])
        if q.kind != K.FILL:
            assert attempt.answers[str(q.pk)] == sorted(q.answer)
    attempt = exams.attempt_submit(actor=member, attempt_id=attempt.pk)
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.score == 10 and attempt.passed is True
    assert AnswerRecord.objects.filter(source=AnswerSource.EXAM, source_id=attempt.pk, correct=True).count() == 4


def test_shown_positions_differ_from_stored_indexes(world):
    s1 = world.users["secretary1"]
    q = make_question(world.branch_a1, s1, K.SINGLE)
    paper = make_paper(world.branch_a1, s1, questions=[q])
    attempt = start(world, paper)
    item = attempt.items[0]
    wrong_shown = next(p for p in range(4) if item["order"][p] != 1)
    exams.attempt_save(actor=world.users["member1"], attempt_id=attempt.pk, question_id=q.pk, response=[wrong_shown])
    attempt = exams.attempt_submit(actor=world.users["member1"], attempt_id=attempt.pk)
    assert attempt.score == 0
    assert WrongAnswer.objects.get(person=world.people["member1"], question=q).times == 1


def test_save_after_deadline_is_409_and_grades_as_expired(world, paper):
    now = timezone.now()
    attempt = start(world, paper, now=now)
    q = exams.Question.objects.get(pk=attempt.items[0]["question"])
    member = world.users["member1"]
    good = ["为人民服务"] if q.kind == K.FILL else correct_positions(attempt, q)
    exams.attempt_save(actor=member, attempt_id=attempt.pk, question_id=q.pk, response=good, now=now)
    late = attempt.deadline_at + datetime.timedelta(seconds=1)
    with pytest.raises(ConflictError) as info:
        exams.attempt_save(actor=member, attempt_id=attempt.pk, question_id=q.pk, response=[], now=late)
    assert info.value.status == 409
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.EXPIRED
    assert attempt.score == 2.5  # the answer saved in time counts
    with pytest.raises(ConflictError):
        exams.attempt_submit(actor=member, attempt_id=attempt.pk, now=late)


def test_late_submit_grades_as_expired_ignoring_late_answers(world, paper):
    now = timezone.now()
    attempt = start(world, paper, now=now)
    member = world.users["member1"]
    q = exams.Question.objects.get(pk=attempt.items[0]["question"])
    good = ["为人民服务"] if q.kind == K.FILL else correct_positions(attempt, q)
    late = attempt.deadline_at + datetime.timedelta(minutes=1)
    attempt = exams.attempt_submit(actor=member, attempt_id=attempt.pk, responses={q.pk: good}, now=late)
    assert attempt.status == AttemptStatus.EXPIRED and attempt.score == 0 and attempt.passed is False
    assert AnswerRecord.objects.filter(source_id=attempt.pk).count() == 4
    assert WrongAnswer.objects.filter(person=world.people["member1"]).count() == 4


def test_expire_command_and_next_access(world, paper, monkeypatch):
    now = timezone.now()
    attempt = start(world, paper, now=now)
    assert exams.expire_attempts(now=now) == 0
    later = attempt.deadline_at + datetime.timedelta(seconds=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    call_command("expire_attempts", stdout=open("/dev/null", "w"))
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.EXPIRED and attempt.submitted_at == later
    assert exams.expire_attempts(now=later) == 0  # idempotent


def test_settle_on_access(world, paper):
    attempt = start(world, paper)
    later = attempt.deadline_at + datetime.timedelta(seconds=1)
    assert exams.settle(attempt, now=later).status == AttemptStatus.EXPIRED
    # a new start after expiry counts the expired attempt
    with pytest.raises(ConflictError, match="作答机会"):
        start(world, paper, now=later)


def test_points_awarded_once_when_passed(world, paper):
    from cloudbranch.points.models import PointEvent

    paper.attempts_allowed = 2
    paper.save()
    member = world.users["member1"]
    for _ in range(2):
        attempt = start(world, paper)
        for item in attempt.items:
            q = exams.Question.objects.get(pk=item["question"])
            response = ["为人民服务"] if q.kind == K.FILL else correct_positions(attempt, q)
            exams.attempt_save(actor=member, attempt_id=attempt.pk, question_id=q.pk, response=response)
        assert exams.attempt_submit(actor=member, attempt_id=attempt.pk).passed
    events = PointEvent.objects.filter(person=world.people["member1"], action="exam_pass")
    assert events.count() == 1 and events.get().source_id == str(paper.pk)


def test_progress_hook_called(world, paper, monkeypatch):
    import sys
    import types

    calls = []
    fake = types.ModuleType("cloudbranch.learning.tasks")
    fake.progress_changed = calls.append
    monkeypatch.setitem(sys.modules, "cloudbranch.learning.tasks", fake)
    import cloudbranch.learning as pkg

    monkeypatch.setattr(pkg, "tasks", fake, raising=False)
    attempt = start(world, paper)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        exams.attempt_submit(actor=world.users["member1"], attempt_id=attempt.pk)
    assert calls == [world.people["member1"].pk]


def test_results_hidden_before_close(world, paper):
    attempt = start(world, paper)
    attempt = exams.attempt_submit(actor=world.users["member1"], attempt_id=attempt.pk)
    assert not exams.results_revealed(paper)
    assert exams.results_revealed(paper, now=paper.closes_at)
    sheet = exams.attempt_sheet(attempt)
    assert all("key_text" not in row and "explanation" not in row for row in sheet)


def test_other_person_cannot_touch_attempt(world, paper):
    attempt = start(world, paper)
    with pytest.raises(Http404):
        exams.attempt_save(actor=world.users["secretary2"], attempt_id=attempt.pk, question_id=1, response=[0])
    with pytest.raises(Http404):
        exams.access_attempt_for_result(world.users["secretary2"], attempt.pk)
    # the branch secretary sees the result of a member of the branch
    assert exams.access_attempt_for_result(world.users["secretary1"], attempt.pk).pk == attempt.pk
    assert Attempt.objects.count() == 1
