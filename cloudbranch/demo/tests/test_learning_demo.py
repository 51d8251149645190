"""Learning content, a year of study and quizzes, and the points ledger in the demo seed (issue 5
item 10), at a small scale."""

import datetime
from collections import Counter, defaultdict

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from django.test.utils import override_settings

from cloudbranch.audit.models import AuditEvent
from cloudbranch.demo import learning_demo, seeding
from cloudbranch.demo.generator import ScaleParams
from cloudbranch.learning import grading
from cloudbranch.learning.choices import (
    AnswerSource,
    Audience,
    Column,
    DuelStatus,
    PublishStatus,
    ResourceKind,
    TaskStatus,
)
from cloudbranch.learning.models import (
    AnswerRecord,
    Attempt,
    Contest,
    ContestEntry,
    DailyQuiz,
    Duel,
    KnowledgePoint,
    Paper,
    Question,
    Resource,
    StudyDay,
    StudyProgress,
    StudyTask,
    TaskAssignee,
    Topic,
    WrongAnswer,
)
from cloudbranch.meetings.choices import AttendanceStatus
from cloudbranch.meetings.models import Invitee
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.people.models import Person
from cloudbranch.points.models import PointEvent, PointRule, PointTally

from .parts import keep_only

PARAMS = ScaleParams(universities=1, colleges=4, branches=16, people=900)
SMALL = ScaleParams(universities=1, colleges=2, branches=6, people=300)
TODAY = datetime.date(2026, 11, 26)  # a Thursday
allow_accounts = override_settings(DEBUG=True, DEMO_PASSWORD="demo12345")
MODELS = (Question, Resource, DailyQuiz, AnswerRecord, StudyProgress, WrongAnswer, Attempt, PointEvent, PointTally)
ACTIONS = (
    "read_article",
    "watch_video",
    "daily_quiz",
    "exam_pass",
    "contest",
    "duel_win",
    "study_task",
    "meeting_attendance",
)


@pytest.fixture(autouse=True)
def _no_dues_or_development(monkeypatch):
    """Only the meetings (attendance earns points) and learning are seeded here: the other parts are
    tested in their own modules."""
    keep_only(monkeypatch, "life", "learning")


def seed(params=PARAMS, **kwargs):
    with allow_accounts:
        return seeding.seed(scale="demo", seed=kwargs.pop("seed", 1), params=params, today=TODAY, **kwargs)


def counts() -> dict:
    return {m.__name__: m.objects.count() for m in MODELS}


@pytest.fixture(scope="class")
def _seeded_once(django_db_setup, django_db_blocker):
    """One seed for the tests that only read it (rolled back after the class): seeding
    900 people with a year of meetings and learning takes a few seconds."""
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as m:
        keep_only(m, "life", "learning")
        with transaction.atomic():
            result = seed()
            yield result
            transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    assert _seeded_once.created and _seeded_once.learning and not _seeded_once.learning_skipped
    return _seeded_once


def now():
    return seeding._life_now(TODAY)


class TestOneSeed:
    """Read what one seed wrote (shared by the tests of this class)."""

    def test_content_every_column_and_a_checked_question_bank(self, seeded):
        root = seeded.root
        questions = list(Question.objects.prefetch_related("knowledge_points"))
        assert len(questions) >= 300
        assert all(q.unit_id == root.pk and q.created_by.username == "admin" for q in questions[:20])
        for q in questions:
            assert grading.check_key(q.kind, q.options, q.answer) == [], q.stem
        assert {q.kind for q in questions} == {"single", "multiple", "judge", "fill"}
        assert sum(1 for q in questions if q.knowledge_points.all()) > 0.9 * len(questions)
        assert KnowledgePoint.objects.count() >= 5

        published = Resource.objects.filter(status=PublishStatus.PUBLISHED)
        assert set(published.values_list("column", flat=True)) == set(Column.values)
        assert published.filter(unit=root, audience=Audience.SCHOOL).count() > published.count() // 2
        by_colleges = published.exclude(unit=root)
        assert by_colleges.exists() and set(by_colleges.values_list("audience", flat=True)) == {Audience.SUBTREE}
        assert set(OrgUnit.objects.filter(pk__in=by_colleges.values("unit")).values_list("parent_id", flat=True)) == {
            root.pk
        }
        assert not published.filter(published_at__gt=now()).exists()
        media = published.filter(kind__in=(ResourceKind.VIDEO, ResourceKind.AUDIO))
        assert media.exists() and not media.filter(duration_seconds=0).exists()
        assert published.filter(knowledge_points__isnull=False).distinct().count() == published.count()
        if seeded.learning["search_indexed"]:
            assert not published.filter(search_text="").exists()
        topics = Topic.objects.filter(status=PublishStatus.PUBLISHED)
        assert topics.exists()
        for topic in topics:
            positions = list(topic.items.values_list("position", flat=True))
            assert positions == list(range(1, len(positions) + 1)) and positions

    def test_tallies_caps_and_sources_agree_with_the_ledger(self, seeded):
        rules = {r.action: r for r in PointRule.objects.all()}
        events = PointEvent.objects.all()
        assert set(events.values_list("action", flat=True)) == set(ACTIONS)
        # One event per source (the constraint would have refused a duplicate; check anyway).
        dup = events.values("person", "action", "source_type", "source_id").annotate(n=Count("id")).filter(n__gt=1)
        assert not dup.exists()
        # No daily cap exceeded, no event beyond a rule's points.
        for row in events.values("person", "action", "day").annotate(total=Sum("points")):
            cap = rules[row["action"]].daily_cap
            assert not cap or row["total"] <= cap, row
        assert all(e.points <= rules[e.action].points and e.points > 0 for e in events.only("action", "points")[:5000])
        # Tallies = sums of the events per person and period.
        expected: Counter = Counter()
        for person, day, points in events.values_list("person_id", "day", "points"):
            expected[(person, "week", day - datetime.timedelta(days=day.weekday()))] += points
            expected[(person, "month", day.replace(day=1))] += points
            expected[(person, "year", day.replace(month=1, day=1))] += points
        stored = {
            (p, period, start): pts
            for p, period, start, pts in PointTally.objects.values_list("person_id", "period", "start", "points")
        }
        assert stored == dict(expected)
        # Every present invitee of a seeded meeting earned attendance points, once.
        present = set(Invitee.objects.filter(status=AttendanceStatus.PRESENT).values_list("person_id", "meeting_id"))
        paid = {
            (p, int(s))
            for p, s in events.filter(action="meeting_attendance", source_type="meeting").values_list(
                "person_id", "source_id"
            )
        }
        assert present and paid == present
        # Daily quiz points: one per right answer of a quiz (source "<quiz>:<index>"), within the cap.
        quizzes = {q.pk: q for q in DailyQuiz.objects.all()}
        per_quiz: Counter = Counter()
        for source_id, points in events.filter(action="daily_quiz").values_list("source_id", "points"):
            quiz_id, index = source_id.split(":")
            quiz = quizzes[int(quiz_id)]
            assert quiz.answers[index]["correct"] is True
            per_quiz[quiz.pk] += points
        assert all(per_quiz[pk] <= q.correct for pk, q in quizzes.items())
        assert sum(per_quiz.values()) > 0
        # Reading points: one per completed resource of the right kind, never before completion.
        done = {
            (p, r): (kind, at)
            for p, r, kind, at in StudyProgress.objects.filter(completed_at__isnull=False).values_list(
                "person_id", "resource_id", "resource__kind", "completed_at"
            )
        }
        for person, action, source_id, at in events.filter(source_type="resource").values_list(
            "person_id", "action", "source_id", "occurred_at"
        ):
            kind, completed = done[(person, int(source_id))]
            assert action == ("watch_video" if kind in ("video", "audio") else "read_article") and at == completed
        # Exams: points for passed attempts only (once per paper); contests per finished entry.
        passed = set(Attempt.objects.filter(passed=True).values_list("person_id", "paper_id"))
        paid = {(p, int(s)) for p, s in events.filter(action="exam_pass").values_list("person_id", "source_id")}
        assert paid == passed and passed
        entries = set(ContestEntry.objects.filter(finished_at__isnull=False).values_list("person_id", "id"))
        assert {
            (p, int(s)) for p, s in events.filter(action="contest").values_list("person_id", "source_id")
        } == entries
        wins = set(Duel.objects.filter(winner__isnull=False).values_list("winner_id", "id"))
        paid = {(p, int(s)) for p, s in events.filter(action="duel_win").values_list("person_id", "source_id")}
        assert paid <= wins and paid

    def test_answers_graded_and_the_wrong_answer_book(self, seeded):
        questions = {q.pk: q for q in Question.objects.all()}
        records = list(AnswerRecord.objects.values_list("person_id", "question_id", "source", "response", "correct"))
        assert len(records) > 5000
        for _p, qid, _s, response, correct in records:
            assert grading.grade(questions[qid], response) is correct
        assert set(r[2] for r in records) == {s for s in AnswerSource.values}
        # Daily quizzes: five answers each, the stored count right.
        for quiz in DailyQuiz.objects.all()[:500]:
            assert len(quiz.items) == 5 and len(quiz.answers) == 5 and quiz.completed_at
            assert quiz.correct == sum(1 for a in quiz.answers.values() if a["correct"])
        per_quiz = AnswerRecord.objects.filter(source=AnswerSource.DAILY).values("source_id").annotate(n=Count("id"))
        assert {r["n"] for r in per_quiz} == {5}
        # The book: every question answered wrongly is in it; a mastered one was answered right in practice.
        wrong = {(p, q) for p, q, _s, _r, c in records if not c}
        book = {(w.person_id, w.question_id): w for w in WrongAnswer.objects.all()}
        assert set(book) == wrong
        mastered = [w for w in book.values() if w.mastered_at]
        assert mastered and len(mastered) < len(book)
        practiced = set(
            AnswerRecord.objects.filter(source=AnswerSource.PRACTICE, correct=True).values_list(
                "person_id", "source_id"
            )
        )
        assert all((w.person_id, w.pk) in practiced for w in mastered)
        # Mastery differs between people and between branches.
        rates = defaultdict(lambda: [0, 0])
        unit_of = dict(Person.objects.values_list("id", "unit_id"))
        for p, _q, _s, _r, c in records:
            rates[unit_of[p]][0] += c
            rates[unit_of[p]][1] += 1
        shares = [right / n for right, n in rates.values() if n > 200]
        assert max(shares) - min(shares) > 0.05

    def test_study_record_exams_contests_duels_and_tasks(self, seeded):
        n = now()
        progress = StudyProgress.objects.select_related("resource")
        assert progress.filter(completed_at__isnull=False).count() > 1000
        assert progress.filter(completed_at__isnull=True).exists()  # half-read, to resume
        for p in progress.filter(completed_at__isnull=False)[:2000]:
            assert p.resource.published_at <= p.completed_at <= n
            if p.resource.kind in ("video", "audio"):
                assert p.percent >= p.resource.min_percent
            else:
                assert p.seconds >= p.resource.min_seconds
        assert StudyDay.objects.filter(day__lt=TODAY - datetime.timedelta(days=300)).exists()
        assert not StudyDay.objects.filter(day__gt=TODAY).exists()

        colleges = OrgUnit.objects.filter(parent=seeded.root)
        closed = Paper.objects.filter(closes_at__lt=n)
        assert set(closed.values_list("unit_id", flat=True)) == set(colleges.values_list("id", flat=True))
        assert Paper.objects.filter(opens_at__lte=n, closes_at__gt=n, unit=seeded.root).count() == 1
        for attempt in Attempt.objects.select_related("paper")[:300]:
            records = AnswerRecord.objects.filter(source=AnswerSource.EXAM, source_id=attempt.pk)
            points = {i["question"]: float(i["points"]) for i in attempt.items}
            assert float(attempt.score) == sum(points[r.question_id] for r in records if r.correct)
            assert attempt.passed == (attempt.score >= attempt.paper.pass_score)
            assert attempt.submitted_at <= attempt.deadline_at and attempt.submitted_at <= attempt.paper.closes_at
        contests = list(Contest.objects.order_by("starts_at"))
        assert len(contests) == 2 and contests[0].ends_at < n < contests[1].ends_at
        assert all(c.entries.exists() for c in contests)
        assert Duel.objects.filter(status=DuelStatus.FINISHED).count() >= 6

        tasks = StudyTask.objects.filter(unit__code=f"{seeded.root.code}0101")
        assert sorted(tasks.values_list("status", flat=True)) == [TaskStatus.ACTIVE, TaskStatus.CLOSED]
        active = tasks.get(status=TaskStatus.ACTIVE)
        assert TODAY < active.deadline <= TODAY + datetime.timedelta(days=7)
        for task in tasks:
            assignees = TaskAssignee.objects.filter(task=task)
            assert assignees.filter(completed_at__isnull=False).exists()
            assert assignees.filter(completed_at__isnull=True).exists() or task.status == TaskStatus.CLOSED
            # Completion agrees with the study record.
            need = set(task.resources.values_list("id", flat=True))
            for a in assignees:
                done = dict(
                    StudyProgress.objects.filter(
                        person=a.person_id, resource__in=need, completed_at__isnull=False
                    ).values_list("resource_id", "completed_at")
                )
                if a.completed_at:
                    assert set(done) == need and a.completed_at == max([task.created_at, *done.values()])
        school = StudyTask.objects.get(unit=seeded.root)
        assert (
            school.assignees.count()
            == Person.objects.filter(political_status__in=("full", "probationary"), roster_status="active").count()
        )

    def test_the_member_logins_have_something_to_show(self, seeded):
        member1 = Person.objects.get(user__username="member1")
        assert not DailyQuiz.objects.filter(person=member1, day=TODAY).exists()  # left for the visitor
        assert DailyQuiz.objects.filter(person=member1).count() > 20
        monday = TODAY - datetime.timedelta(days=TODAY.weekday())
        week = PointTally.objects.filter(period="week", start=monday)
        mine = week.get(person=member1).points
        assert mine > 0
        branch = member1.unit
        ranked = list(week.filter(person__unit=branch).order_by("-points").values_list("person_id", flat=True))
        assert member1.pk in ranked
        assert WrongAnswer.objects.filter(person=member1, mastered_at__isnull=True).exists()
        task = StudyTask.objects.get(unit=branch, status=TaskStatus.ACTIVE)
        assert TaskAssignee.objects.get(task=task, person=member1).completed_at is None
        activist1 = Person.objects.get(user__username="activist1")
        assert TaskAssignee.objects.filter(person=activist1, task=task, completed_at__isnull=True).exists()
        assert not ContestEntry.objects.filter(person=member1, contest__ends_at__gt=now()).exists()

    def test_idempotent(self, seeded):
        before = counts()
        again = seed()
        assert not again.created and again.learning is None
        assert counts() == before
        assert AuditEvent.objects.filter(action=learning_demo.LEARNING_ACTION).count() == 1


def test_mirrors_of_the_learning_constants():
    from cloudbranch.learning import contests, daily, duels

    assert list(learning_demo.DAILY_KINDS) == list(daily.KIND_ORDER)
    assert learning_demo.DAILY_SIZE == daily.QUIZ_SIZE
    assert (learning_demo.CONTEST_BASE, learning_demo.CONTEST_SPEED_BONUS) == (contests.BASE, contests.SPEED_BONUS)
    assert (learning_demo.DUEL_QUESTIONS, learning_demo.DUEL_SECONDS) == (duels.QUESTIONS, duels.SECONDS_PER_QUESTION)
    for correct, seconds, limit in ((True, 3.2, 20), (True, 19.9, 20), (False, 1, 15), (True, 0, 15)):
        assert learning_demo.answer_score(correct, seconds, limit) == contests.answer_score(correct, seconds, limit)


@pytest.mark.django_db
def test_a_database_seeded_before_learning_gets_it_once(monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(seeding, "_seed_learning", lambda root, **kw: (None, False))
        assert seed(SMALL).created
    assert not Question.objects.exists() and not PointEvent.objects.exists()
    result = seed(SMALL, seed=9)  # the stored seed (1) wins
    assert not result.created and result.learning["point_events"] == PointEvent.objects.count() > 0
    assert AuditEvent.objects.get(action=learning_demo.LEARNING_ACTION).changes["seed"] == 1
    before = counts()
    assert seed(SMALL).learning is None and counts() == before


@pytest.mark.django_db
def test_without_an_administrator_account_learning_waits():
    with override_settings(DEBUG=False, DEMO_ALLOW_WITHOUT_DEBUG=False):
        result = seeding.seed(scale="demo", seed=1, params=SMALL, today=TODAY)
    assert result.learning_skipped and not Question.objects.exists()
    assert seed(SMALL).learning and Question.objects.exists()
