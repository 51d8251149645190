"""Builders shared by the quiz tests (no tests here)."""

from __future__ import annotations

import itertools

from cloudbranch.learning.choices import QuestionKind
from cloudbranch.learning.models import KnowledgePoint, Question
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

_n = itertools.count(1)

KEYS = {
    QuestionKind.SINGLE: (["甲", "乙", "丙", "丁"], [1]),
    QuestionKind.MULTIPLE: (["甲", "乙", "丙", "丁"], [0, 2]),
    QuestionKind.JUDGE: (["正确", "错误"], [0]),
    QuestionKind.FILL: ([], [["为人民服务"]]),
}
RIGHT = {
    QuestionKind.SINGLE: [1],
    QuestionKind.MULTIPLE: [0, 2],
    QuestionKind.JUDGE: [0],
    QuestionKind.FILL: ["为人民服务"],
}
WRONG = {
    QuestionKind.SINGLE: [0],
    QuestionKind.MULTIPLE: [0],
    QuestionKind.JUDGE: [1],
    QuestionKind.FILL: ["不知道"],
}


def kp(name: str) -> KnowledgePoint:
    return KnowledgePoint.objects.get_or_create(name=name)[0]


def question(unit, author, *, kind=QuestionKind.SINGLE, points=(), stem=None, **fields) -> Question:
    options, answer = KEYS[kind]
    q = Question.objects.create(
        unit=unit,
        kind=kind,
        stem=stem or f"第 {next(_n)} 题",
        options=options,
        answer=answer,
        explanation="依据党章总纲。",
        created_by=author,
        **fields,
    )
    if points:
        q.knowledge_points.set(points)
    return q


def bank(unit, author, *, per_kind: int = 3, points=()) -> list[Question]:
    return [question(unit, author, kind=k, points=points) for k in QuestionKind.values for _ in range(per_kind)]


def right(q) -> list:
    return RIGHT[q.kind]


def wrong(q) -> list:
    return WRONG[q.kind]


def member(unit, name: str):
    """A person with an account and a member grant at ``unit``."""
    user = UserFactory(display_name=name)
    grant(user, unit, Role.MEMBER)
    return PersonFactory(unit=unit, name=name, user=user)
