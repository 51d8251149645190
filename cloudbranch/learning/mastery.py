"""Mastery per knowledge point, the weakest points, recommendations, and a unit's weak points.

Estimate. For each knowledge point, take the person's last ``WINDOW`` answers to questions
tagged with it (every source: exams, daily quiz, contests, duels, practice). With ``n`` answers of
which ``c`` are right, the shown rate is the plain share ``c / n``; ranking uses Laplace's rule of
succession ``(c + 1) / (n + 2)`` — a prior of one right and one wrong answer — so that 1 of 3 is
judged less surely weak than 10 of 30 and a single lucky answer never reads as 100 %. A point
with fewer than ``MIN_ANSWERS`` answers is shown as "数据不足" and never judged weak. A point is
weak when its estimate is below ``WEAK_BELOW``; the ``WEAKEST`` lowest are recommended on.

Recommendations for a weak point: published resources tagged with it that the person may see
(``audience``) and has not completed, and practice questions from it (the person's bank), each
with the reason shown in the UI.

Unit feedback (``unit_weak_points``): the share correct over all answers of the unit's subtree
members in the last ``UNIT_DAYS`` days, per knowledge point, in one grouped query.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, FloatField, Q, Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, granted_prefixes

from .audience import visible_to_person
from .models import AnswerRecord, KnowledgePoint, Resource, StudyProgress
from .wrongbook import question_bank

WINDOW = 50
MIN_ANSWERS = 3
WEAK_BELOW = 0.8
WEAKEST = 3
PER_POINT = 3
UNIT_DAYS = 365
UNIT_MIN_ANSWERS = 5


@dataclass
class PointMastery:
    point: KnowledgePoint
    answers: int
    correct: int

    @property
    def judged(self) -> bool:
        return self.answers >= MIN_ANSWERS

    @property
    def rate(self) -> float:
        return self.correct / self.answers if self.answers else 0.0

    @property
    def percent(self) -> int:
        return round(self.rate * 100)

    @property
    def estimate(self) -> float:
        return (self.correct + 1) / (self.answers + 2)

    @property
    def reason(self) -> str:
        return f"因为你在“{self.point.name}”相关题目的正确率为 {self.percent}%（{self.answers} 题）"


@dataclass
class Recommendation:
    mastery: PointMastery
    resources: list = field(default_factory=list)
    questions: list = field(default_factory=list)

    @property
    def reason(self) -> str:
        return self.mastery.reason


def person_mastery(person) -> list[PointMastery]:
    """Every knowledge point the person has answered, weakest first (judged points before the
    ones with too few answers). Two queries."""
    ranked = (
        AnswerRecord.objects.filter(person=person, question__knowledge_points__isnull=False)
        .annotate(
            kp=F("question__knowledge_points"),
            rn=Window(RowNumber(), partition_by=[F("question__knowledge_points")], order_by=F("answered_at").desc()),
        )
        .filter(rn__lte=WINDOW)
        .values_list("kp", "correct")
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for kp, correct in ranked:
        counts[kp][0] += 1
        counts[kp][1] += 1 if correct else 0
    if not counts:
        return []
    points = KnowledgePoint.objects.in_bulk(list(counts))
    rows = [PointMastery(points[k], n, c) for k, (n, c) in counts.items() if k in points]
    rows.sort(key=lambda m: (not m.judged, m.estimate, -m.answers, m.point.name))
    return rows


def weakest(rows: list[PointMastery], limit: int = WEAKEST) -> list[PointMastery]:
    return [m for m in rows if m.judged and m.estimate < WEAK_BELOW][:limit]


def visible_resources(person, queryset=None):
    """Published resources whose audience covers the person's unit (the one rule in audience.py)."""
    return visible_to_person(queryset if queryset is not None else Resource.objects.all(), person, unit_field="unit")


def recommendations(person, weak: list[PointMastery]) -> list[Recommendation]:
    """Up to ``PER_POINT`` resources and practice questions per weak point (two queries)."""
    if not weak:
        return []
    ids = [m.point.pk for m in weak]
    done = StudyProgress.objects.filter(person=person, completed_at__isnull=False).values("resource_id")
    res_rows = (
        visible_resources(person)
        .filter(knowledge_points__in=ids)
        .exclude(id__in=done)
        .annotate(kp=F("knowledge_points"))
        .only("id", "title", "kind", "column", "summary")
        .order_by("-published_at", "-id")[: len(ids) * 20]
    )
    q_rows = (
        question_bank(person.unit)
        .filter(knowledge_points__in=ids)
        .annotate(kp=F("knowledge_points"))
        .only("id", "stem", "kind")
        .order_by("id")[: len(ids) * 40]
    )
    by_point = {m.point.pk: Recommendation(m) for m in weak}
    for r in res_rows:
        rec = by_point[r.kp]
        if len(rec.resources) < PER_POINT and all(x.pk != r.pk for x in rec.resources):
            rec.resources.append(r)
    # practice: questions the person has answered least recently come first (never answered first)
    answered = set(
        AnswerRecord.objects.filter(person=person, question__knowledge_points__in=ids).values_list(
            "question_id", flat=True
        )
    )
    for q in sorted(q_rows, key=lambda q: (q.pk in answered, q.pk)):
        rec = by_point[q.kp]
        if len(rec.questions) < PER_POINT and all(x.pk != q.pk for x in rec.questions):
            rec.questions.append(q)
    return [by_point[k] for k in ids]


# --- unit feedback ---------------------------------------------------------------------------


def report_units(user):
    """Units where the user holds learning.view_report (the tops of their report scopes)."""
    prefixes = granted_prefixes(user, "learning.view_report")
    if not prefixes:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(path__in=prefixes, status="active").order_by("path")


def access_report_unit(user, unit_id) -> OrgUnit:
    """404 outside the user's view scope, 403 when visible but without learning.view_report."""
    return access_by_id(user, OrgUnit, unit_id, action="learning.view_report")


def unit_weak_points(unit, *, now: datetime.datetime | None = None, limit: int = 20) -> list[dict]:
    """The weakest knowledge points of the unit's subtree: share correct over its members'
    answers in the last ``UNIT_DAYS`` days, with the number of members and answers. One query."""
    now = now or timezone.now()
    rows = (
        AnswerRecord.objects.filter(
            person__unit__path__startswith=unit.path,
            answered_at__gte=now - datetime.timedelta(days=UNIT_DAYS),
            question__knowledge_points__isnull=False,
        )
        .values(kp_id=F("question__knowledge_points"), kp_name=F("question__knowledge_points__name"))
        .annotate(
            answers=Count("id"),
            right=Count("id", filter=Q(correct=True)),
            members=Count("person", distinct=True),
        )
        .filter(answers__gte=UNIT_MIN_ANSWERS)
        .annotate(rate=Cast(F("right"), FloatField()) / Cast(F("answers"), FloatField()))
        .order_by("rate", "-answers", "kp_name")[:limit]
    )
    return [{**r, "percent": round(r["rate"] * 100)} for r in rows]
