"""Helpers of the exams tests (no tests here)."""

import datetime
import itertools

from django.utils import timezone

from cloudbranch.learning.choices import Audience, PaperMode, PublishStatus, QuestionKind
from cloudbranch.learning.models import KnowledgePoint, Paper, PaperQuestion, Question

_n = itertools.count(1)

KEYS = {
    QuestionKind.SINGLE: (["甲", "乙", "丙", "丁"], [1]),
    QuestionKind.MULTIPLE: (["甲", "乙", "丙", "丁"], [0, 2]),
    QuestionKind.JUDGE: (["正确", "错误"], [0]),
    QuestionKind.FILL: ([], [["为人民服务", "全心全意为人民服务"]]),
}


def kp(name: str) -> KnowledgePoint:
    return KnowledgePoint.objects.get_or_create(name=name)[0]


def make_question(unit, user, kind=QuestionKind.SINGLE, *, kps=(), difficulty=2, **fields) -> Question:
    options, answer = KEYS[kind]
    n = next(_n)
    stem = f"第{n}题：党的根本宗旨是____。" if kind == QuestionKind.FILL else f"第{n}题：题干"
    q = Question.objects.create(
        unit=unit,
        kind=kind,
        stem=fields.pop("stem", stem),
        options=fields.pop("options", list(options)),
        answer=fields.pop("answer", answer),
        difficulty=difficulty,
        created_by=user,
        **fields,
    )
    if kps:
        q.knowledge_points.set(kps)
    return q


def make_paper(unit, user, *, questions=(), points=2, mode=PaperMode.MANUAL, rules=(), **fields) -> Paper:
    now = timezone.now()
    data = {
        "title": "党章知识测试",
        "opens_at": now - datetime.timedelta(hours=1),
        "closes_at": now + datetime.timedelta(days=1),
        "status": PublishStatus.PUBLISHED,
        "audience": Audience.SUBTREE,
        "time_limit_minutes": 30,
        "pass_score": 6,
        "shuffle_questions": True,
        "shuffle_options": True,
    } | fields
    paper = Paper.objects.create(unit=unit, mode=mode, rules=list(rules), created_by=user, **data)
    for i, q in enumerate(questions, start=1):
        PaperQuestion.objects.create(paper=paper, question=q, position=i, points=points)
    return paper


def correct_positions(attempt, question):
    """The positions as shown that answer ``question`` right in ``attempt``."""
    item = next(i for i in attempt.items if i["question"] == question.pk)
    return [item["order"].index(i) for i in question.answer]
