"""Drawing questions by rules, shared by random exam papers, the daily quiz and contests.

A rule is {"kind": QuestionKind or "", "count": n, "knowledge_point": id or None,
"difficulty": 1..3 or None, "points": "2.0"}. ``draw`` picks, for each rule in order, ``count``
distinct active questions matching it (never a question an earlier rule already took), with a
seeded ``random.Random`` so that a draw can be reproduced. It reads only ids (one query per
rule), never whole tables into memory.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from .choices import QuestionStatus
from .models import Question


class NotEnoughQuestions(Exception):
    def __init__(self, rule: dict, available: int):
        self.rule, self.available = rule, available
        super().__init__(f"rule {rule} needs {rule.get('count')} questions, {available} available")


def candidates(rule: dict, *, base=None):
    qs = (base if base is not None else Question.objects.all()).filter(status=QuestionStatus.ACTIVE)
    if rule.get("kind"):
        qs = qs.filter(kind=rule["kind"])
    if rule.get("knowledge_point"):
        qs = qs.filter(knowledge_points=rule["knowledge_point"])
    if rule.get("difficulty"):
        qs = qs.filter(difficulty=rule["difficulty"])
    return qs


def draw(
    rules: Iterable[dict], *, rng: random.Random, base=None, exclude: Iterable[int] = ()
) -> list[tuple[int, dict]]:
    """[(question id, rule)] in rule order; raises NotEnoughQuestions when a rule cannot be met."""
    taken = set(exclude)
    out: list[tuple[int, dict]] = []
    for rule in rules:
        count = int(rule.get("count") or 0)
        if count <= 0:
            continue
        ids = sorted(set(candidates(rule, base=base).values_list("id", flat=True).distinct()) - taken)
        if len(ids) < count:
            raise NotEnoughQuestions(rule, len(ids))
        chosen = rng.sample(ids, count)
        taken.update(chosen)
        out.extend((qid, rule) for qid in chosen)
    return out


def option_order(option_count: int, *, rng: random.Random, shuffle: bool) -> list[int]:
    """The order in which a question's options are shown (indexes into ``Question.options``)."""
    order = list(range(option_count))
    if shuffle:
        rng.shuffle(order)
    return order
