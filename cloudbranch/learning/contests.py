"""知识竞赛: contests over a period, for individuals or branches, with a live leaderboard.

Who. A manager holding ``learning.add_contest`` at a unit creates a contest for that unit's
subtree (a contest of the whole school is one created at the root). Members whose unit lies in
that subtree see it once published and enter once during the period; managers see every contest
of their scope. Outside both: 404.

Questions. Each entry draws ``question_count`` questions (by ``rules``, default: any type) from
the bank of the contest's unit, seeded by (contest, person) so a reload shows the same ones.

Timer (server side). Questions are answered in order. Question i opens when question i - 1 was
answered (question 0 when the entry started) and closes ``seconds_per_question`` seconds later
(plus ``GRACE_SECONDS`` for the network). An answer after the close is wrong; a question nobody
answers is closed as a timeout (wrong) as soon as the server looks at the entry again, and the
next one opens at that close time — so leaving the page never stops the clock.

Score. Per right answer ``BASE`` (10) points plus a speed bonus of up to ``SPEED_BONUS`` (5):
``floor(5 × seconds left / seconds per question)`` — answering at once gives 15, at the last
second 10. ``seconds_used`` (sum of seconds taken, each capped at the limit) breaks ties: the
individual board ranks by score desc, then time asc; equal score and time share a rank. Branch
mode also ranks branches by the mean score of their participants (members with an entry).
"""

from __future__ import annotations

import datetime
import math
import random

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, OuterRef, Q, Subquery, Window
from django.db.models.functions import Rank
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.choices import BRANCH_KINDS
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, granted_prefixes, scope_q

from . import grading
from .choices import AnswerSource, Audience, ContestMode, PublishStatus, QuestionKind
from .drawing import NotEnoughQuestions, draw
from .models import Contest, ContestEntry, Question
from .wrongbook import ancestor_paths, question_bank, record_answers

BASE = 10
SPEED_BONUS = 5
GRACE_SECONDS = 2
MAX_QUESTIONS = 50
POINT_ACTION = "contest"
# The model may gain an ``audience`` field (subtree / school) like resources; honour it if so.
HAS_AUDIENCE = any(f.name == "audience" for f in Contest._meta.get_fields())


def answer_score(correct: bool, seconds: float, limit: int) -> int:
    """Points for one answer: 0 if wrong, else BASE plus the speed bonus (see module docstring)."""
    if not correct:
        return 0
    left = max(0.0, limit - seconds)
    return BASE + int(SPEED_BONUS * left // limit) if limit else BASE


# --- visibility ------------------------------------------------------------------------------


def member_q(person) -> Q:
    """Published contests whose audience covers the person's unit."""
    paths = ancestor_paths(person.unit.path)
    if HAS_AUDIENCE:
        reach = Q(audience=Audience.SUBTREE, unit__path__in=paths) | Q(
            audience=Audience.SCHOOL, unit__path__startswith=paths[0]
        )
    else:
        reach = Q(unit__path__in=paths)
    return Q(status=PublishStatus.PUBLISHED) & reach


def visible_contests(user, person=None):
    """Contests the user manages (learning.add_contest) or may take part in."""
    q = Q(pk__in=[])
    prefixes = granted_prefixes(user, "learning.add_contest")
    if prefixes:
        q |= scope_q("unit__path", prefixes)
    if person is not None:
        q |= member_q(person)
    return Contest.objects.filter(q)


def access_contest(user, contest_id, person=None) -> Contest:
    try:
        return visible_contests(user, person).select_related("unit").get(pk=contest_id)
    except (Contest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def may_enter(person, contest: Contest) -> bool:
    return person is not None and Contest.objects.filter(member_q(person), pk=contest.pk).exists()


def contest_list(user, person=None):
    """Visible contests, newest first, with the viewer's own entry (score, finished) annotated."""
    qs = visible_contests(user, person).select_related("unit").order_by("-starts_at", "-id")
    if person is not None:
        mine = ContestEntry.objects.filter(contest=OuterRef("pk"), person=person)
        qs = qs.annotate(
            my_entry=Subquery(mine.values("id")[:1]),
            my_score=Subquery(mine.values("score")[:1]),
            my_finished=Subquery(mine.values("finished_at")[:1]),
        )
    return qs.annotate(participants=Count("entries"))


# --- create ----------------------------------------------------------------------------------


def _clean_rules(rules, question_count: int) -> list[dict]:
    if not rules:
        return [{"kind": "", "count": question_count}]
    out = []
    for rule in rules:
        kind = rule.get("kind") or ""
        if kind and kind not in QuestionKind.values:
            raise DomainError("出题规则中的题型无效。", errors=[{"field": "rules", "message": "题型无效。"}])
        out.append(
            {
                "kind": kind,
                "count": int(rule.get("count") or 0),
                "knowledge_point": rule.get("knowledge_point") or None,
                "difficulty": rule.get("difficulty") or None,
            }
        )
    return out


def contest_create(
    *,
    actor,
    unit_id: int,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    question_count: int = 10,
    seconds_per_question: int = 20,
    mode: str = ContestMode.INDIVIDUAL,
    description: str = "",
    rules: list | None = None,
    audience: str = Audience.SUBTREE,
    publish: bool = True,
) -> Contest:
    """Create (and by default publish) a contest of ``unit`` for its subtree; checks that the
    unit's question bank can fill the rules."""
    try:
        unit = OrgUnit.objects.get(pk=unit_id, status="active")
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can(actor, "learning.add_contest", unit):
        if not OrgUnit.objects.restrict(actor, "view").filter(pk=unit.pk).exists():
            raise Http404
        raise PermissionDenied
    errors = []
    title = (title or "").strip()
    if not title:
        errors.append({"field": "title", "message": "请填写竞赛名称。"})
    if not starts_at or not ends_at or ends_at <= starts_at:
        errors.append({"field": "ends_at", "message": "结束时间须晚于开始时间。"})
    if mode not in ContestMode.values:
        errors.append({"field": "mode", "message": "竞赛形式无效。"})
    if not 1 <= int(question_count or 0) <= MAX_QUESTIONS:
        errors.append({"field": "question_count", "message": f"题目数须在 1 到 {MAX_QUESTIONS} 之间。"})
    if not 5 <= int(seconds_per_question or 0) <= 600:
        errors.append({"field": "seconds_per_question", "message": "每题限时须在 5 到 600 秒之间。"})
    if errors:
        raise DomainError("竞赛信息有误，请修改后再提交。", errors=errors)
    clean = _clean_rules(rules, int(question_count))
    total = sum(r["count"] for r in clean)
    if total != int(question_count):
        raise DomainError(
            "出题规则的题数之和须等于题目数。", errors=[{"field": "rules", "message": f"规则共 {total} 题。"}]
        )
    try:
        draw(clean, rng=random.Random(0), base=question_bank(unit))
    except NotEnoughQuestions as exc:
        msg = f"题库中符合条件的题目只有 {exc.available} 道，不够出题。"
        raise DomainError(msg, errors=[{"field": "question_count", "message": msg}]) from None
    fields = {
        "unit": unit,
        "title": title,
        "description": description or "",
        "mode": mode,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "question_count": int(question_count),
        "seconds_per_question": int(seconds_per_question),
        "rules": clean,
        "status": PublishStatus.PUBLISHED if publish else PublishStatus.DRAFT,
        "created_by": actor,
    }
    if HAS_AUDIENCE:
        fields["audience"] = audience
    with transaction.atomic():
        contest = Contest.objects.create(**fields)
        audit_record(
            actor=actor,
            action="learning.contest.create",
            target=contest,
            changes={
                k: {"old": None, "new": str(v)}
                for k, v in fields.items()
                if k not in ("unit", "created_by", "rules", "description")
            },
        )
    return contest


# --- entries ---------------------------------------------------------------------------------


def _branch_of(unit) -> OrgUnit:
    """The branch the person belongs to (their unit, or the branch above their group)."""
    if unit.kind in BRANCH_KINDS:
        return unit
    found = OrgUnit.objects.filter(path__in=ancestor_paths(unit.path), kind__in=BRANCH_KINDS).order_by("-depth")
    return found.first() or unit


def contest_enter(*, person, contest: Contest, now: datetime.datetime | None = None) -> ContestEntry:
    """Enter the contest once during its period (returns the running entry when called again)."""
    now = now or timezone.now()
    if not may_enter(person, contest):
        raise PermissionDenied("这场竞赛不面向你所在的组织。")
    existing = ContestEntry.objects.filter(contest=contest, person=person).first()
    if existing is not None:
        if existing.finished_at is not None:
            raise ConflictError("你已经参加过这场竞赛，每人限参加一次。")
        return existing
    if now < contest.starts_at:
        raise ConflictError("竞赛尚未开始。")
    if now >= contest.ends_at:
        raise ConflictError("竞赛已经结束。")
    rng = random.Random(f"contest:{contest.pk}:{person.pk}")
    rules = contest.rules or [{"kind": "", "count": contest.question_count}]
    try:
        picked = draw(rules, rng=rng, base=question_bank(contest.unit))
    except NotEnoughQuestions:
        raise DomainError("题库中的题目不足，请联系竞赛主办方。") from None
    try:
        with transaction.atomic():
            entry = ContestEntry.objects.create(
                contest=contest,
                person=person,
                unit=_branch_of(person.unit),
                items=[{"question": qid} for qid, _rule in picked],
                started_at=now,
            )
            audit_record(actor=person.user, action="learning.contest.enter", target=entry)
    except IntegrityError:
        return ContestEntry.objects.get(contest=contest, person=person)
    return entry


def current_index(entry: ContestEntry) -> int | None:
    for i in range(len(entry.items)):
        if str(i) not in entry.answers:
            return i
    return None


def opened_at(entry: ContestEntry, index: int) -> datetime.datetime:
    if index == 0:
        return entry.started_at
    return datetime.datetime.fromisoformat(entry.answers[str(index - 1)]["at"])


def seconds_left(entry: ContestEntry, contest: Contest, now: datetime.datetime) -> int:
    i = current_index(entry)
    if i is None:
        return 0
    left = contest.seconds_per_question - (now - opened_at(entry, i)).total_seconds()
    return max(0, math.ceil(left))


def _grade_one(entry, contest, index, question, response, at, *, late: bool) -> tuple:
    limit = contest.seconds_per_question
    taken = min(limit, max(0.0, (at - opened_at(entry, index)).total_seconds()))
    correct = bool(not late and question is not None and grading.grade(question, response))
    entry.answers[str(index)] = {
        "response": response or [],
        "correct": correct,
        "seconds": round(taken, 1),
        "at": at.isoformat(),
        "late": late,
    }
    entry.correct += 1 if correct else 0
    entry.score += answer_score(correct, taken, limit)
    entry.seconds_used += math.ceil(taken)
    return (question, response, correct)


def _close_timeouts(entry, contest, questions: dict, now) -> list[tuple]:
    """Close every question whose time ran out before ``now`` (each as a wrong answer)."""
    graded = []
    limit = datetime.timedelta(seconds=contest.seconds_per_question)
    grace = datetime.timedelta(seconds=GRACE_SECONDS)
    while (i := current_index(entry)) is not None:
        closes = opened_at(entry, i) + limit
        if now <= closes + grace:
            break
        q = questions.get(entry.items[i]["question"])
        graded.append(_grade_one(entry, contest, i, q, [], closes, late=True))
    return graded


def _finish_if_done(entry, contest, now, graded) -> None:
    from cloudbranch.points.services import point_award

    person = entry.person
    record_answers(person, AnswerSource.CONTEST, entry.pk, [g for g in graded if g[0] is not None], now)
    if current_index(entry) is None and entry.finished_at is None:
        entry.finished_at = now
        point_award(person=person, action=POINT_ACTION, source_type="contest", source_id=str(entry.pk), occurred_at=now)
        audit_record(
            actor=person.user,
            action="learning.contest.finish",
            target=entry,
            changes={"score": {"old": None, "new": entry.score}, "correct": {"old": None, "new": entry.correct}},
        )
    entry.save(update_fields=["answers", "correct", "score", "seconds_used", "finished_at"])


def _locked_entry(person, contest) -> ContestEntry:
    try:
        return ContestEntry.objects.select_for_update().select_related("person").get(contest=contest, person=person)
    except ContestEntry.DoesNotExist:
        raise ConflictError("请先进入竞赛。") from None


def contest_settle(*, person, contest: Contest, now: datetime.datetime | None = None) -> ContestEntry | None:
    """Close the questions whose time ran out (called when the play page is shown)."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = ContestEntry.objects.select_for_update().filter(contest=contest, person=person).first()
        if entry is None or entry.finished_at is not None:
            return entry
        questions = Question.objects.in_bulk([it["question"] for it in entry.items])
        graded = _close_timeouts(entry, contest, questions, now)
        if graded:
            _finish_if_done(entry, contest, now, graded)
    return entry


def contest_answer(*, person, contest: Contest, index: int, response, now: datetime.datetime | None = None) -> dict:
    """Answer the current question. Late (after its time) → recorded wrong. Returns
    {"entry", "correct", "late", "question", "finished"}."""
    now = now or timezone.now()
    try:
        index = int(index)
    except (TypeError, ValueError):
        raise DomainError("题号无效。") from None
    with transaction.atomic():
        entry = _locked_entry(person, contest)
        if entry.finished_at is not None:
            raise ConflictError("你已经完成了这场竞赛。")
        current = current_index(entry)
        if current is None or index < current:
            raise ConflictError("这道题已经作答或已超时。")
        if index > current:
            raise ConflictError(f"请按顺序作答：当前是第 {current + 1} 题。")
        questions = Question.objects.in_bulk([it["question"] for it in entry.items])
        question = questions.get(entry.items[index]["question"])
        closes = opened_at(entry, index) + datetime.timedelta(seconds=contest.seconds_per_question + GRACE_SECONDS)
        late = now > closes or now > contest.ends_at
        graded = [_grade_one(entry, contest, index, question, response, now, late=late)]
        graded += _close_timeouts(entry, contest, questions, now)
        _finish_if_done(entry, contest, now, graded)
    return {
        "entry": entry,
        "correct": entry.answers[str(index)]["correct"],
        "late": late,
        "question": question,
        "finished": entry.finished_at is not None,
    }


# --- leaderboards ----------------------------------------------------------------------------


def board_entries(contest: Contest):
    """Individuals by score desc, time asc; equal score and time share a rank (SQL RANK(),
    computed before the page's LIMIT, so a page costs a count and a select)."""
    return (
        ContestEntry.objects.filter(contest=contest)
        .select_related("person", "unit")
        .annotate(rank=Window(Rank(), order_by=[F("score").desc(), F("seconds_used").asc()]))
        .order_by("rank", "id")
    )


def board_branches(contest: Contest) -> list[dict]:
    """Branches by the mean score of their participants (one grouped query); equal means share a
    rank."""
    rows = list(
        ContestEntry.objects.filter(contest=contest)
        .values("unit_id", unit_name=F("unit__name"))
        .annotate(mean=Avg("score"), participants=Count("id"))
        .order_by("-mean", "unit_name")
    )
    rank, previous = 0, None
    for i, row in enumerate(rows, start=1):
        row["mean"] = round(float(row["mean"] or 0), 1)
        if row["mean"] != previous:
            rank, previous = i, row["mean"]
        row["rank"] = rank
    return rows
