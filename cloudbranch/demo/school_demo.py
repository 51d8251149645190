"""The online Party school demo (issue 13 item 8) for the seeded demo tree.

``seed_school(root, seed=..., today=..., now=..., creator=..., demo=...)`` writes, once:

* **one class of each kind, through the real services** (``school.classes`` / ``enrolment`` /
  ``attendance`` / ``hours`` / ``assignments`` / ``results`` / ``certificates`` / ``evaluations``,
  ``learning.tracking.heartbeat`` and ``learning.exams``), run in an order the rules accept, with
  the services' ``now=`` set to the moment of each step (past classes are created with past dates,
  run, then finalized on their end date):

  - 入党积极分子培训班 of the demo college, head teacher ``college1``, RUNNING: started two weeks
    ago; two offline sessions and a live lecture (replay: the learning library's micro-lesson
    video) are past, TODAY's offline session is open for check-in (its 6-digit code is on the head
    teacher's check-in screen), one session is next week; an online course of library resources.
    ``activist1`` checked in by code, watched the replay, finished one course item and half-read
    another, rated the first session. Students enrolled with hours in progress, on the waiting
    list, one withdrawal requested, one withdrawn (approved, the first on the waiting list
    promoted); the essay submitted, graded and returned.
  - 发展对象培训班 of the university committee, head teacher ``admin``, FINISHED three weeks ago:
    candidates whose development case accepts the training step on the class's end date (checked
    with ``development.rules.check_recording`` before enrolling), plus a few others; attendance,
    online study, graded essays, the final exam through the exam engine (attempts graded by
    ``learning.exams.grade_attempt``: the school's attempt hook keeps ``Enrolment.exam_score``),
    ``results.class_finalize`` (passed with certificates and the development case's training step
    recorded; failed with the unmet conditions; one withdrawn), and one certificate revoked.
  - 党支部书记培训班 of the university committee, head teacher ``admin``, FINISHED: the demo
    college's branch committee members, ``secretary1`` and ``secretary2`` among them (both
    passed; their essay and ratings go through the services as themselves).
  - 预备党员培训班 of the demo college, head teacher ``secretary1`` (a head teacher without a
    grant), ENROLLING: next month's syllabus, enrolled by rule with a waiting list.

  Student-side steps of students without an account (check-in scans, essays, withdrawal requests,
  ratings) are written as rows (the history of what they did); their class hours still go through
  ``hours.credit_session`` / the completion hook, and every decision of a head teacher goes
  through the services.
* **volume, with bulk inserts**: one finished 入党积极分子培训班 in each other college (at most
  ``VOLUME_COLLEGES``) earlier this year: offline sessions, attendance, hour entries, results,
  certificates (numbers reserved with ``certificates.next_serials`` so the counters stay right)
  and ratings.

Deterministic for a seed, a day and a database; one audit row ``demo.seed.school`` holds the counts.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import Counter
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.learning import exams, tracking
from cloudbranch.learning.choices import (
    AttemptStatus,
    Audience,
    PaperMode,
    PublishStatus,
    QuestionKind,
    QuestionStatus,
    ResourceKind,
)
from cloudbranch.learning.models import Attempt, Question, Resource, StudyProgress
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.people.choices import PoliticalStatus, RosterStatus
from cloudbranch.people.models import Person
from cloudbranch.school import assignments, attendance, certificates, classes, enrolment, evaluations, hours, results
from cloudbranch.school.choices import (
    CheckInMethod,
    ClassKind,
    ClassStatus,
    EnrolmentSource,
    EnrolmentStatus,
    HourSource,
    SessionKind,
)
from cloudbranch.school.models import (
    Attendance,
    Certificate,
    ClassSession,
    Enrolment,
    Evaluation,
    HourEntry,
    Submission,
    TrainingClass,
)

from . import school_content as content

SCHOOL_ACTION = "demo.seed.school"
VOLUME_COLLEGES = 40
VOLUME_STUDENTS = 40
CANDIDATES_MAX = 14
CANDIDATE_CHECKS_MAX = 80
BEAT = datetime.timedelta(seconds=15)
BATCH = 2000
LOGINS = ("admin", "college1", "secretary1", "secretary2", "member1", "collector1", "activist1")


def has_school(root: OrgUnit) -> bool:
    return TrainingClass.objects.filter(unit__path__startswith=root.path).exists()


def _quiet(fn, *args, **kwargs):
    """Run a service step whose refusal only means the demo cannot show that one thing."""
    try:
        return fn(*args, **kwargs)
    except (DomainError, ConflictError):
        return None


class Seeder:
    def __init__(self, root, *, seed, today, now, creator, demo):
        self.root, self.today, self.now = root, today, now
        self.rng = random.Random(f"school:{seed}:{today.isoformat()}")
        self.tz = timezone.get_current_timezone()  # sessions at local hours (Asia/Shanghai)
        self.counts: Counter = Counter()
        self.college, self.branch1 = demo.get("college"), demo.get("branch1")
        User = get_user_model()
        self.creator = User.objects.get(pk=creator)
        self.users = {u.username: u for u in User.objects.filter(username__in=LOGINS)}
        self.persons = {
            p.user.username: p for p in Person.objects.filter(user__username__in=LOGINS).select_related("user")
        }
        resources = Resource.objects.filter(
            unit=root, audience=Audience.SCHOOL, status=PublishStatus.PUBLISHED, published_at__lte=now
        )
        self.videos = list(resources.filter(kind=ResourceKind.VIDEO).exclude(file="").order_by("id")[:3])
        self.all_articles = list(resources.filter(kind=ResourceKind.ARTICLE).order_by("min_seconds", "id"))
        self.articles = self.all_articles[:12]

    def user(self, name):
        return self.users.get(name) or self.creator

    def at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=self.tz)

    # --- building blocks -----------------------------------------------------------------------
    def make_class(self, kind, unit, *, officer, head, starts_on, ends_on, capacity, pass_hours, paper=None):
        title, term, description, lecturers = content.CLASSES[kind]
        prefix = "" if unit.pk == self.root.pk else unit.name
        tc = classes.class_create(
            actor=officer, unit_id=unit.pk, kind=kind, title=f"{prefix}{starts_on.year}年{title}（{term}）",
            year=starts_on.year, term=term, starts_on=starts_on, ends_on=ends_on, capacity=max(1, capacity),
            head_teacher_id=head.pk, pass_hours=Decimal(pass_hours), lecturers=lecturers, description=description,
            exam_paper_id=paper.pk if paper else None,
        )  # fmt: skip
        TrainingClass.objects.filter(pk=tc.pk).update(created_at=min(self.now, self.at(starts_on, 9) - _days(20)))
        self.counts["classes"] += 1
        return tc

    def offline(self, tc, head, index, start, end, hours_value):
        title, lecturer, place = content.OFFLINE[tc.kind][index % len(content.OFFLINE[tc.kind])]
        self.counts["sessions"] += 1
        return classes.session_create(
            actor=head, class_id=tc.pk, kind=SessionKind.OFFLINE, title=title, lecturer=lecturer, place=place,
            starts_at=start, ends_at=end, hours=Decimal(hours_value),
        )  # fmt: skip

    def live(self, tc, head, start, end, replay=None):
        title, lecturer = content.LIVE[tc.kind]
        self.counts["sessions"] += 1
        return classes.session_create(
            actor=head, class_id=tc.pk, kind=SessionKind.LIVE, title=title, lecturer=lecturer, starts_at=start,
            ends_at=end, stream_url=content.STREAM_URL.format(code=f"{tc.pk:04d}{self.rng.randint(1000, 9999)}"),
            replay_id=replay.pk if replay else None, hours=Decimal("2"),
        )  # fmt: skip

    def online(self, tc, head, resources):
        if not resources:
            return None
        session = classes.session_create(
            actor=head, class_id=tc.pk, kind=SessionKind.ONLINE, title=content.ONLINE[tc.kind]
        )
        for resource in resources:
            classes.item_add(actor=head, session_id=session.pk, resource_id=resource.pk, hours=Decimal("1"))
        self.counts["sessions"] += 1
        self.counts["course_items"] += len(resources)
        return session

    def enrol_rule(self, tc, actor, rule):
        plan = _quiet(enrolment.rule_preview, actor=actor, class_id=tc.pk, rule=rule)
        if plan is None or not plan.people:
            return
        enrolment.rule_confirm(actor=actor, class_id=tc.pk, fingerprint=plan.fingerprint, rule=rule)

    def backdate(self, tc, day: datetime.date) -> None:
        Enrolment.objects.filter(training_class=tc).update(enrolled_at=self.at(day, 10))

    def attend(self, session, enrolment_row, at, method=CheckInMethod.QR) -> bool:
        """A check-in the student made (a row) and the hours it earns (through the hours service)."""
        _, created = Attendance.objects.get_or_create(
            session=session, enrolment=enrolment_row, defaults={"checked_in_at": at, "method": method}
        )
        if created:
            hours.credit_session(actor=None, enrolment=enrolment_row, session=session, now=at)
            self.counts["attendances"] += 1
        return created

    def study(self, person, resource, start, *, beats: int | None = None) -> bool:
        """Heartbeats of ``person`` on ``resource`` from ``start`` until completed (or ``beats``)."""
        media = resource.kind in (ResourceKind.VIDEO, ResourceKind.AUDIO)
        limit = beats if beats is not None else (4 if media else resource.min_seconds // 15 + 3)
        progress = None
        for i in range(limit):
            progress = tracking.heartbeat(
                person=person, resource=resource, position=i * 15 if media else None, now=start + BEAT * i
            )
            if progress.completed_at:
                return True
        return bool(progress and progress.completed_at)

    def catch_up(self, tc, session, at) -> None:
        for row in Enrolment.objects.filter(training_class=tc, status__in=hours.ACTIVE_STATUSES).select_related(
            "training_class", "person"
        ):
            hours.catch_up(enrolment=row, session=session, now=at)

    def submit_rows(self, assignment, rows, at) -> list[Submission]:
        subs = []
        for i, e in enumerate(rows):
            text = content.SUBMISSION_OPENINGS[i % len(content.SUBMISSION_OPENINGS)] + content.SUBMISSION_BODY
            subs.append(
                Submission(
                    assignment=assignment, enrolment=e, text=text, submitted_at=at + datetime.timedelta(hours=i % 20)
                )
            )
        Submission.objects.bulk_create(subs)
        self.counts["submissions"] += len(subs)
        return subs

    def grade(self, head, subs, at, *, low: set[int] = frozenset()) -> None:
        for i, sub in enumerate(subs):
            score = self.rng.randint(40, 55) if sub.enrolment_id in low else self.rng.randint(72, 95)
            comment = content.GRADE_COMMENTS[4 if score < 60 else i % 4]
            assignments.submission_grade(actor=head, submission_id=sub.pk, score=score, comment=comment, now=at)
            self.counts["graded"] += 1

    def rate_rows(self, session, rows, at) -> None:
        objs = []
        for i, e in enumerate(rows):
            objs.append(
                Evaluation(
                    session=session,
                    enrolment=e,
                    content_rating=self.rng.choice((4, 5, 5, 5, 3)),
                    lecturer_rating=self.rng.choice((4, 5, 5, 5)),
                    comment=content.EVALUATION_COMMENTS[(i + session.pk) % len(content.EVALUATION_COMMENTS)],
                    created_at=at + datetime.timedelta(minutes=5 * i),
                )  # fmt: skip
            )
        Evaluation.objects.bulk_create(objs)
        self.counts["evaluations"] += len(objs)

    def request_withdrawal(self, e: Enrolment, reason: str, at) -> None:
        """The student's own request (a row: the student has no account in the demo)."""
        Enrolment.objects.filter(pk=e.pk).update(status=EnrolmentStatus.WITHDRAWAL_REQUESTED, withdraw_reason=reason)
        audit_record(
            actor=None,
            action="school.enrolment.withdraw_request",
            target=e,
            changes={
                "status": {"old": EnrolmentStatus.ENROLLED, "new": EnrolmentStatus.WITHDRAWAL_REQUESTED},
                "reason": reason,
                "source": "seed_demo",
            },
        )

    def exam_paper(self, unit, officer, opens, closes, title):
        questions = list(
            Question.objects.filter(
                unit=self.root, status=QuestionStatus.ACTIVE, kind__in=(QuestionKind.SINGLE, QuestionKind.JUDGE)
            ).order_by("id")[:10]
        )
        if len(questions) < 5:
            return None
        points = str(100 // len(questions))
        paper = exams.paper_create(
            actor=officer, unit=unit, title=title, opens_at=opens, closes_at=closes, mode=PaperMode.MANUAL,
            description="网上党校结业考试", time_limit_minutes=60, attempts_allowed=1,
            pass_score=Decimal(points) * len(questions) * Decimal("0.6"),
        )  # fmt: skip
        exams.paper_set_questions(
            actor=officer, paper=paper, items=[{"question": q.pk, "points": points} for q in questions]
        )
        exams.paper_publish(actor=officer, paper=paper, now=opens - _days(3))
        return paper

    def take_exam(self, paper, person, at, *, skill: float) -> None:
        """An attempt answered and handed in, graded by the exam engine (the school's attempt hook
        keeps the best score on the enrolment)."""
        items = exams.build_items(paper, rng=random.Random(exams.attempt_seed(paper.pk, person.pk, 1)))
        questions = {q.pk: q for q in Question.objects.filter(pk__in=[i["question"] for i in items])}
        answers = {}
        for item in items:
            q = questions[item["question"]]
            right = list(q.answer)
            if self.rng.random() < skill:
                answers[str(q.pk)] = right
            else:
                answers[str(q.pk)] = [(right[0] + 1) % len(q.options)] if right else []
        attempt = Attempt.objects.create(
            paper=paper, person=person, number=1, started_at=at, deadline_at=at + datetime.timedelta(minutes=60),
            items=items, answers=answers, saved_at=at + datetime.timedelta(minutes=40),
            max_score=sum((Decimal(str(i["points"])) for i in items), Decimal("0")),
        )  # fmt: skip
        exams.grade_attempt(attempt, status=AttemptStatus.SUBMITTED, now=at + datetime.timedelta(minutes=42))
        self.counts["exam_attempts"] += 1

    # --- 入党积极分子培训班: running, activist1 in it ---------------------------------------------
    def activist_class(self) -> None:
        if self.college is None:
            return
        officer = self.user("college1")
        head = officer
        me = self.persons.get("activist1")
        eligible = list(
            Person.objects.filter(
                unit__path__startswith=self.college.path, roster_status=RosterStatus.ACTIVE,
                political_status=PoliticalStatus.ACTIVIST,
            ).values_list("id", flat=True)
        )  # fmt: skip
        starts, ends = self.today - _days(13), self.today + _days(20)
        tc = self.make_class(
            ClassKind.ACTIVIST, self.college, officer=officer, head=head, starts_on=starts, ends_on=ends,
            capacity=max(2, len(eligible) - 3), pass_hours=16,
        )  # fmt: skip
        self.running_class = tc
        s1 = self.offline(tc, head, 0, self.at(starts, 14, 30), self.at(starts, 17, 0), "3")
        s2 = self.offline(tc, head, 1, self.at(starts + _days(7), 14, 30), self.at(starts + _days(7), 17, 0), "3")
        live_day = self.today - _days(3)
        replay = self.videos[0] if self.videos else None
        lv = self.live(tc, head, self.at(live_day, 19, 0), self.at(live_day, 20, 30), replay=replay)
        # Today's session: check-in open all day long (from an hour ago at the latest) for whoever runs the demo.
        local = timezone.localtime(self.now, self.tz).replace(minute=0, second=0, microsecond=0)
        start = min(self.at(self.today, 8, 30), local - datetime.timedelta(hours=1))
        # Open for check-in whenever the demo is seeded, late in the evening too (it then ends after midnight).
        end = max(self.at(self.today, 21, 30), start + datetime.timedelta(hours=4), local + datetime.timedelta(hours=3))
        today_session = self.offline(tc, head, 2, start, end, "3")
        nxt = self.today + _days(7)
        self.offline(tc, head, 3, self.at(nxt, 14, 30), self.at(nxt, 17, 0), "3")
        # Articles activist1 has not read yet first, so that one of them is left half read.
        done = set(
            StudyProgress.objects.filter(person=me, completed_at__isnull=False).values_list("resource_id", flat=True)
        )
        # (from the whole library: the learning demo may have had activist1 read the shortest ones).
        articles = sorted(self.all_articles, key=lambda r: (r.pk in done, r.min_seconds, r.pk))
        items = self.videos[1:2] + articles[:2]  # never the replay (videos[0]): it counts as the lecture
        course = self.online(tc, head, items)
        self.today_session = today_session
        classes.class_advance(actor=head, class_id=tc.pk, to=ClassStatus.ENROLLING)
        if me is not None:
            _quiet(enrolment.enrol_add, actor=head, class_id=tc.pk, person_id=me.pk)
        self.enrol_rule(tc, head, {"units": [self.college.pk]})
        self.backdate(tc, starts - _days(6))
        classes.class_advance(actor=head, class_id=tc.pk, to=ClassStatus.RUNNING)
        rows = list(
            Enrolment.objects.filter(training_class=tc, status=EnrolmentStatus.ENROLLED)
            .exclude(person=me)
            .select_related("person__user", "training_class")
            .order_by("id")
        )
        mine = Enrolment.objects.filter(training_class=tc, person=me).first() if me else None
        # Withdrawals: one approved before the second session (a waiting student takes the place), one pending.
        if len(rows) >= 4:
            gone, pending = rows[-1], rows[-2]
            self.request_withdrawal(gone, content.WITHDRAW_REASONS[0], self.at(starts + _days(2), 9))
            enrolment.withdraw_decide(actor=head, enrolment_id=gone.pk, approve=True, comment="同意，请下期报名参加。")
            rows = rows[:-2]
            self.counts["withdrawn"] += 1
        else:
            pending = None
        # Past sessions: check-ins (one recorded by the head teacher with a reason), the live lecture.
        for session, share in ((s1, 0.95), (s2, 0.85)):
            for i, e in enumerate(rows):
                if i == 1:
                    attendance.attendance_record(
                        actor=head, session_id=session.pk, enrolment_id=e.pk, reason=content.ATTENDANCE_REASON,
                        now=session.starts_at + datetime.timedelta(minutes=20),
                    )  # fmt: skip
                    self.counts["attendances"] += 1
                elif self.rng.random() < share:
                    self.attend(session, e, session.starts_at - datetime.timedelta(minutes=self.rng.randint(0, 25)))
        if mine is not None:
            for session in (s1, s2):
                attendance.checkin_with_code(
                    actor=me.user, code=session.checkin_code, now=session.starts_at - datetime.timedelta(minutes=8)
                )
                self.counts["attendances"] += 1
        for i, e in enumerate(rows):
            if i % 4 != 3:
                self.attend(lv, e, lv.starts_at + datetime.timedelta(minutes=self.rng.randint(0, 15)))
            elif replay is not None:  # missed the live lecture: watched the replay
                self.study(e.person, replay, lv.ends_at + _days(1))
        if pending is not None:
            self.request_withdrawal(pending, content.WITHDRAW_REASONS[1], self.now - _days(1))
        # Online course: some finished, activist1 one item done and one half read.
        if course is not None:
            for i, e in enumerate(rows[:8]):
                self.study(e.person, items[0], self.now - _days(2) + datetime.timedelta(hours=i))
            if mine is not None:
                if replay is not None:
                    self.study(me, replay, self.now - _days(2))
                self.study(me, items[0], self.now - _days(1))
                if len(items) > 1:
                    self.study(
                        me, items[1], self.now - datetime.timedelta(hours=3), beats=max(2, items[1].min_seconds // 30)
                    )
            self.catch_up(tc, course, self.now - datetime.timedelta(hours=2))
        if replay is not None:
            self.catch_up(tc, lv, self.now - datetime.timedelta(hours=2))
        # The essay: submitted by most, graded or returned by the head teacher; activist1 still to write it.
        title, prompt, min_chars = content.ASSIGNMENTS[tc.kind]
        essay = assignments.assignment_create(
            actor=head, class_id=tc.pk, title=title, prompt=prompt, due_at=self.at(ends - _days(3), 23, 59),
            min_chars=min_chars,
        )  # fmt: skip
        subs = self.submit_rows(essay, rows[: max(1, len(rows) * 2 // 3)], self.now - _days(4))
        self.grade(head, subs[: len(subs) // 2], self.now - _days(1))
        if len(subs) > 2:
            assignments.submission_return(actor=head, submission_id=subs[-1].pk, comment=content.RETURN_COMMENT)
            self.counts["returned"] += 1
        # Ratings of the first session.
        present = [e for e in rows if Attendance.objects.filter(session=s1, enrolment=e).exists()]
        self.rate_rows(s1, present[: len(present) // 2], s1.ends_at + datetime.timedelta(hours=1))
        if mine is not None:
            evaluations.evaluation_submit(
                actor=me.user, session_id=s1.pk, content_rating=5, lecturer_rating=5,
                comment="第一次系统学习党的基本理论，老师讲得很透彻。", now=s1.ends_at + datetime.timedelta(hours=2),
            )  # fmt: skip
            self.counts["evaluations"] += 1

    # --- 发展对象培训班: finished, results linked to the development cases -----------------------
    def due_candidates(self, on: datetime.date) -> tuple[list[Person], list[Person]]:
        """(candidates whose case accepts the training step on ``on``, other candidates)."""
        from cloudbranch.development import rules as dev_rules
        from cloudbranch.development import state as dev_state
        from cloudbranch.development.choices import CaseStatus
        from cloudbranch.development.models import Case, StepRecord

        trained = StepRecord.objects.filter(step__code="training").values("case_id")
        base = (
            Case.objects.filter(
                status=CaseStatus.OPEN, person__political_status=PoliticalStatus.CANDIDATE,
                person__roster_status=RosterStatus.ACTIVE, person__unit__path__startswith=self.root.path,
                person__user__isnull=True, candidate_on__lte=on,
            )
            .exclude(pk__in=trained)
            .select_related("person")
        )  # fmt: skip
        college_path = self.college.path if self.college else self.root.path
        ordered = list(base.filter(next_step_code="training").order_by("-candidate_on", "id")[:CANDIDATE_CHECKS_MAX])
        ordered.sort(key=lambda c: (not c.person.unit.path.startswith(college_path), c.pk))
        ok = []
        for case in ordered:
            violations = dev_rules.check_recording(
                dev_state.case_state(case), "training", on, today=self.today, birth_date=case.person.birth_date,
                expected_leave_on=case.expected_leave_on, data={"days": 5, "hours": 24},
            )  # fmt: skip
            if not violations:
                ok.append(case.person)
            if len(ok) >= CANDIDATES_MAX:
                break
        others = list(
            Person.objects.filter(
                political_status=PoliticalStatus.CANDIDATE, roster_status=RosterStatus.ACTIVE,
                unit__path__startswith=self.root.path, user__isnull=True,
            )
            .exclude(pk__in=[p.pk for p in ok])
            .order_by("id")[:4]
        )  # fmt: skip
        return ok, others

    def candidate_class(self) -> None:
        officer = head = self.user("admin")
        ends = self.today - _days(21)
        starts = ends - _days(4)
        due, others = self.due_candidates(ends)
        students = due + others
        if not students:
            return
        opens, closes = self.at(ends, 14), self.at(ends, 16)
        paper = self.exam_paper(self.root, officer, opens, closes, f"{starts.year}年发展对象培训班结业考试")
        tc = self.make_class(
            ClassKind.CANDIDATE, self.root, officer=officer, head=head, starts_on=starts, ends_on=ends,
            capacity=len(students) - 1, pass_hours=24, paper=paper,
        )  # fmt: skip
        offline = [
            self.offline(tc, head, i, self.at(starts + _days(i), 8, 30), self.at(starts + _days(i), 11, 30), "4")
            for i in range(5)
        ]
        replay = self.videos[0] if self.videos else None
        lv = self.live(tc, head, self.at(starts + _days(2), 14, 30), self.at(starts + _days(2), 16, 0), replay=replay)
        items = self.videos[1:3] + self.articles[2:4]
        course = self.online(tc, head, items[:4])
        classes.class_advance(actor=head, class_id=tc.pk, to=ClassStatus.ENROLLING)
        for person in students:
            _quiet(enrolment.enrol_add, actor=head, class_id=tc.pk, person_id=person.pk)
        self.backdate(tc, starts - _days(10))
        # One asks to leave before the start; the head teacher approves; the waiting student moves up.
        quitter = Enrolment.objects.filter(training_class=tc, person=others[0]).first() if others else None
        if quitter is not None and quitter.status == EnrolmentStatus.ENROLLED:
            self.request_withdrawal(quitter, content.WITHDRAW_REASONS[2], self.at(starts - _days(3), 9))
            enrolment.withdraw_decide(actor=head, enrolment_id=quitter.pk, approve=True, comment="同意。")
            self.counts["withdrawn"] += 1
        classes.class_advance(actor=head, class_id=tc.pk, to=ClassStatus.RUNNING)
        rows = list(
            Enrolment.objects.filter(training_class=tc, status=EnrolmentStatus.ENROLLED)
            .select_related("person__user", "training_class")
            .order_by("id")
        )
        weak = {e.pk for e in rows if e.person_id in {p.pk for p in others[1:3]}}
        for session in offline:
            for e in rows:
                if e.pk in weak and session.position % 2 == 0:
                    continue  # missed sessions: short of hours
                self.attend(session, e, session.starts_at - datetime.timedelta(minutes=self.rng.randint(0, 25)))
        for e in rows:
            self.attend(lv, e, lv.starts_at + datetime.timedelta(minutes=self.rng.randint(0, 10)))
            if course is not None and e.pk not in weak:
                for k, resource in enumerate(items[:4]):
                    self.study(e.person, resource, self.at(starts + _days(k % 4), 20) + datetime.timedelta(minutes=k))
        if course is not None:
            self.catch_up(tc, course, self.at(ends, 12))
        title, prompt, min_chars = content.ASSIGNMENTS[tc.kind]
        essay = assignments.assignment_create(
            actor=head, class_id=tc.pk, title=title, prompt=prompt, due_at=self.at(ends, 12), min_chars=min_chars
        )
        subs = self.submit_rows(essay, rows, self.at(ends - _days(1), 20))
        self.grade(head, subs, self.at(ends, 13), low=set(list(weak)[:1]))
        if paper is not None:
            for i, e in enumerate(rows):
                skill = 0.3 if e.pk in weak else 0.85 + 0.1 * (i % 2)
                self.take_exam(paper, e.person, opens + datetime.timedelta(minutes=i % 10), skill=skill)
        done = results.class_finalize(actor=head, class_id=tc.pk, now=self.at(ends, 18))
        self.counts["development_steps"] += done["development"]
        passed = list(
            Enrolment.objects.filter(training_class=tc, status=EnrolmentStatus.PASSED)
            .order_by("id")
            .values_list("id", flat=True)
        )
        for session in offline[:2] + [lv]:
            present = list(
                Enrolment.objects.filter(attendances__session=session, status__in=evaluations.RATING_STATUSES)
            )
            self.rate_rows(session, present[::2], session.ends_at + datetime.timedelta(hours=2))
        # One certificate revoked whenever another one stays valid. How many pass follows how many
        # development cases stand at the training step on the class's last day, which varies with the
        # seeding day (a single one when seeded in early January): the revocation must not wait for a
        # third student to pass.
        if len(passed) >= 2:
            cert = Certificate.objects.get(enrolment_id=passed[-1])
            certificates.certificate_revoke(
                actor=head, certificate_id=cert.pk, reason=content.REVOKE_REASON, now=self.at(ends, 18) + _days(6)
            )
            self.counts["revoked"] += 1
        self.finished_class = tc

    # --- 党支部书记培训班: finished, secretary1 and secretary2 passed -----------------------------
    def secretary_class(self) -> None:
        if self.college is None:
            return
        officer = head = self.user("admin")
        ends = self.today - _days(40)
        starts = ends - _days(2)
        seated = Person.objects.filter(
            unit__path__startswith=self.college.path, roster_status=RosterStatus.ACTIVE
        ).filter(enrolment.eligible_q(ClassKind.SECRETARY))
        n = seated.count()
        if n == 0:
            return
        tc = self.make_class(
            ClassKind.SECRETARY, self.root, officer=officer, head=head, starts_on=starts, ends_on=ends,
            capacity=max(1, min(n - 1, 30)), pass_hours=14,
        )  # fmt: skip
        offline = [
            self.offline(tc, head, i, self.at(starts + _days(i), 8, 30), self.at(starts + _days(i), 11, 30), "4")
            for i in range(3)
        ]
        lv = self.live(tc, head, self.at(starts + _days(1), 14, 30), self.at(starts + _days(1), 16, 0))
        classes.class_advance(actor=head, class_id=tc.pk, to=ClassStatus.ENROLLING)
        for name in ("secretary1", "secretary2"):
            if name in self.persons:
                _quiet(enrolment.enrol_add, actor=head, class_id=tc.pk, person_id=self.persons[name].pk)
        self.enrol_rule(tc, head, {"units": [self.college.pk]})
        self.backdate(tc, starts - _days(10))
        classes.class_advance(actor=head, class_id=tc.pk, to=ClassStatus.RUNNING)
        rows = list(
            Enrolment.objects.filter(training_class=tc, status=EnrolmentStatus.ENROLLED)
            .select_related("person__user", "training_class")
            .order_by("id")
        )
        accounts = {e.pk for e in rows if e.person.user_id}
        for i, e in enumerate(rows):
            for k, session in enumerate([*offline, lv]):
                if i % 7 == 6 and k in (0, 2) and e.pk not in accounts:
                    continue  # short of hours
                self.attend(session, e, session.starts_at - datetime.timedelta(minutes=self.rng.randint(0, 20)))
        title, prompt, _min = content.ASSIGNMENTS[tc.kind]
        essay = assignments.assignment_create(
            actor=head, class_id=tc.pk, title=title, prompt=prompt, due_at=self.at(ends, 12), min_chars=200
        )
        text = content.SUBMISSION_OPENINGS[1] + content.SUBMISSION_BODY
        own = []
        for e in rows:
            if e.pk in accounts:
                own.append(
                    assignments.submission_submit(
                        actor=e.person.user, assignment_id=essay.pk, text=text, now=self.at(ends - _days(1), 21)
                    )
                )
                self.counts["submissions"] += 1
        subs = own + self.submit_rows(essay, [e for e in rows if e.pk not in accounts], self.at(ends - _days(1), 19))
        self.grade(head, subs, self.at(ends, 14))
        results.class_finalize(actor=head, class_id=tc.pk, now=self.at(ends, 18))
        for session in offline:
            present = list(
                Enrolment.objects.filter(attendances__session=session, status__in=evaluations.RATING_STATUSES)
                .exclude(pk__in=accounts)
                .order_by("id")
            )
            self.rate_rows(session, present[::3], session.ends_at + datetime.timedelta(hours=1))
        for k, name in enumerate(("secretary1", "secretary2")):
            user = self.users.get(name)
            if user is not None and Enrolment.objects.filter(training_class=tc, person__user=user).exists():
                evaluations.evaluation_submit(
                    actor=user, session_id=offline[k].pk, content_rating=5, lecturer_rating=4 + (k == 0),
                    comment=content.EVALUATION_COMMENTS[2 + k], now=offline[k].ends_at + datetime.timedelta(hours=3),
                )  # fmt: skip
                self.counts["evaluations"] += 1

    # --- 预备党员培训班: enrolling, head teacher secretary1 ---------------------------------------
    def probationary_class(self) -> None:
        if self.college is None or "secretary1" not in self.users:
            return
        officer, head = self.user("college1"), self.users["secretary1"]
        starts = self.today + _days(12)
        ends = starts + _days(28)
        n = Person.objects.filter(
            unit__path__startswith=self.college.path, roster_status=RosterStatus.ACTIVE,
            political_status=PoliticalStatus.PROBATIONARY,
        ).count()  # fmt: skip
        if n == 0:
            return
        tc = self.make_class(
            ClassKind.PROBATIONARY, self.college, officer=officer, head=head, starts_on=starts, ends_on=ends,
            capacity=max(1, n - 2), pass_hours=16,
        )  # fmt: skip
        for i in range(3):
            day = starts + _days(7 * i)
            self.offline(tc, head, i, self.at(day, 14, 30), self.at(day, 17, 0), "3")
        self.live(tc, head, self.at(starts + _days(10), 19), self.at(starts + _days(10), 20, 30))
        self.online(tc, head, self.articles[4:6] or self.articles[:2])
        classes.class_advance(actor=head, class_id=tc.pk, to=ClassStatus.ENROLLING)
        self.enrol_rule(tc, head, {"units": [self.college.pk]})

    # --- volume ------------------------------------------------------------------------------
    def volume(self) -> None:
        colleges = list(
            OrgUnit.objects.filter(
                path__startswith=self.root.path,
                kind__in=(UnitKind.SUB_COMMITTEE, UnitKind.GENERAL_BRANCH),
                status="active",
            )
            .exclude(pk=getattr(self.college, "pk", None))
            .order_by("path")[:VOLUME_COLLEGES]
        )
        if not colleges:
            return
        pool: dict[int, list[int]] = {}
        q = Q()
        for c in colleges:
            q |= Q(unit__path__startswith=c.path)
        paths = [(c.pk, c.path) for c in colleges]
        for pid, path in (
            Person.objects.filter(q, roster_status=RosterStatus.ACTIVE, political_status=PoliticalStatus.ACTIVIST)
            .order_by("id")
            .values_list("id", "unit__path")
        ):
            for cid, cpath in paths:
                if path.startswith(cpath):
                    pool.setdefault(cid, []).append(pid)
                    break
        title, term, description, lecturers = content.CLASSES[ClassKind.ACTIVIST]
        plans = []
        for c in colleges:
            if not pool.get(c.pk):
                continue
            ends = self.today - _days(self.rng.randint(60, 200))
            starts = ends - _days(28)
            plans.append(
                TrainingClass(
                    unit=c,
                    kind=ClassKind.ACTIVIST,
                    title=f"{c.name}{starts.year}年{title}（春季班）",
                    year=starts.year,
                    term="春季班",
                    starts_on=starts,
                    ends_on=ends,
                    capacity=VOLUME_STUDENTS,
                    pass_hours=Decimal("12"),
                    head_teacher=self.creator,
                    lecturers=lecturers,
                    description=description,
                    status=ClassStatus.FINISHED,
                    created_by=self.creator,
                    created_at=self.at(starts - _days(20), 9),
                )  # fmt: skip
            )
        TrainingClass.objects.bulk_create(plans, batch_size=BATCH)
        sessions = []
        for tc in plans:
            for k in range(5):
                day = tc.starts_on + _days(7 * k)
                t, lecturer, place = content.OFFLINE[ClassKind.ACTIVIST][k % 4]
                sessions.append(
                    ClassSession(
                        training_class=tc,
                        kind=SessionKind.OFFLINE,
                        title=t,
                        lecturer=lecturer,
                        place=place,
                        position=k + 1,
                        starts_at=self.at(day, 14, 30),
                        ends_at=self.at(day, 17, 0),
                        hours=Decimal("3"),
                    )  # fmt: skip
                )
        ClassSession.objects.bulk_create(sessions, batch_size=BATCH)
        by_class: dict[int, list[ClassSession]] = {}
        for s in sessions:
            by_class.setdefault(s.training_class_id, []).append(s)
        enrolments = []
        for tc in plans:
            for pid in pool[tc.unit_id][:VOLUME_STUDENTS]:
                enrolments.append(
                    Enrolment(
                        training_class=tc,
                        person_id=pid,
                        status=EnrolmentStatus.ENROLLED,
                        source=EnrolmentSource.RULE,
                        enrolled_at=self.at(tc.starts_on - _days(7), 10),
                    )  # fmt: skip
                )
        Enrolment.objects.bulk_create(enrolments, batch_size=BATCH)
        attendances, entries, ratings = [], [], []
        for e in enrolments:
            total = Decimal("0")
            for s in by_class[e.training_class_id]:
                if self.rng.random() < 0.12:
                    continue
                at = s.starts_at - datetime.timedelta(minutes=self.rng.randint(0, 25))
                attendances.append(Attendance(session=s, enrolment=e, checked_in_at=at, method=CheckInMethod.QR))
                entries.append(
                    HourEntry(
                        enrolment=e,
                        content_key=hours.session_key(s.pk),
                        source=HourSource.OFFLINE,
                        session=s,
                        hours=s.hours,
                        credited_at=at,
                    )  # fmt: skip
                )
                total += s.hours
                if self.rng.random() < 0.35:
                    ratings.append(
                        Evaluation(
                            session=s,
                            enrolment=e,
                            content_rating=self.rng.choice((3, 4, 5, 5)),
                            lecturer_rating=self.rng.choice((4, 5, 5)),
                            comment=self.rng.choice(content.EVALUATION_COMMENTS),
                            created_at=s.ends_at + _days(1),
                        )  # fmt: skip
                    )
            e.hours = total
            tc = next(p for p in plans if p.pk == e.training_class_id)
            ok = total >= tc.pass_hours
            e.status = EnrolmentStatus.PASSED if ok else EnrolmentStatus.FAILED
            e.result_at = self.at(tc.ends_on, 18)
            e.result_note = (
                results.PASS_NOTE if ok else f"未达到：学时 {results.num(total)}/{results.num(tc.pass_hours)}"
            )
        Attendance.objects.bulk_create(attendances, batch_size=BATCH)
        HourEntry.objects.bulk_create(entries, batch_size=BATCH)
        Evaluation.objects.bulk_create(ratings, batch_size=BATCH)
        Enrolment.objects.bulk_update(enrolments, ["hours", "status", "result_at", "result_note"], batch_size=BATCH)
        certs = []
        by_year: dict[int, list[Enrolment]] = {}
        ends_of = {tc.pk: tc.ends_on for tc in plans}
        for e in enrolments:
            if e.status == EnrolmentStatus.PASSED:
                by_year.setdefault(ends_of[e.training_class_id].year, []).append(e)
        for year, rows in sorted(by_year.items()):
            serials = certificates.next_serials(certificates.serial_prefix(ClassKind.ACTIVIST), year, len(rows))
            for e, serial in zip(rows, serials, strict=True):
                certs.append(Certificate(enrolment=e, serial=serial, issued_on=ends_of[e.training_class_id]))
        Certificate.objects.bulk_create(certs, batch_size=BATCH)
        self.counts["classes_bulk"] = len(plans)
        self.counts["sessions_bulk"] = len(sessions)
        self.counts["enrolments_bulk"] = len(enrolments)
        self.counts["attendances_bulk"] = len(attendances)
        self.counts["certificates_bulk"] = len(certs)
        self.counts["evaluations_bulk"] = len(ratings)


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def seed_school(root: OrgUnit, *, seed: int, today, now, creator: int, demo: dict[str, OrgUnit]) -> dict:
    """Write the Party school demo under ``root``; call inside a transaction. Returns counts."""
    started = time.monotonic()
    seeder = Seeder(root, seed=seed, today=today, now=now, creator=creator, demo=demo)
    seeder.volume()
    seeder.secretary_class()
    seeder.candidate_class()
    seeder.activist_class()
    seeder.probationary_class()
    counts = dict(sorted(seeder.counts.items()))
    counts["statuses"] = dict(
        Counter(
            Enrolment.objects.filter(training_class__unit__path__startswith=root.path).values_list("status", flat=True)
        )
    )
    counts["seconds"] = round(time.monotonic() - started, 1)
    audit_record(actor=None, action=SCHOOL_ACTION, target=root, changes={"seed": seed, **counts})
    return counts
