"""Random papers: rules honoured per type / knowledge point / difficulty, not-enough errors at save
time, draws differ between attempts but are reproducible by seed."""

import random

import pytest

from cloudbranch.core.errors import DomainError
from cloudbranch.learning import exams
from cloudbranch.learning.choices import PaperMode
from cloudbranch.learning.choices import QuestionKind as K
from cloudbranch.learning.models import Question

from .test_exams_support import kp, make_paper, make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(world):
    s1, admin = world.users["secretary1"], world.users["admin"]
    charter, discipline = kp("党章"), kp("党的纪律")
    for _ in range(3):
        make_question(world.branch_a1, s1, K.SINGLE, kps=[charter], difficulty=1)
    for _ in range(6):
        make_question(world.root, admin, K.SINGLE, kps=[discipline], difficulty=2)  # the school's bank
    for _ in range(4):
        make_question(world.branch_a1, s1, K.JUDGE, kps=[charter], difficulty=3)
    make_question(world.branch_a2, world.users["secretary2"], K.SINGLE, kps=[charter])  # sibling: not usable
    return {"charter": charter, "discipline": discipline}


def rules(bank):
    return [
        {"kind": K.SINGLE, "count": 3, "points": "2", "knowledge_point": bank["charter"].pk, "difficulty": 1},
        {"kind": K.SINGLE, "count": 4, "points": "2"},
        {"kind": K.JUDGE, "count": 2, "points": "1", "difficulty": 3},
    ]


def create(world, bank, rule_list, **kw):
    return exams.paper_create(
        actor=world.users["secretary1"],
        unit=world.branch_a1,
        title="随机卷",
        mode=PaperMode.RANDOM,
        rules=rule_list,
        opens_at=exams.timezone.now() - exams.datetime.timedelta(hours=1),
        closes_at=exams.timezone.now() + exams.datetime.timedelta(days=1),
        pass_score=6,
        **kw,
    )


def test_not_enough_questions_refused_at_save(world, bank):
    bad = [{"kind": K.SINGLE, "count": 5, "points": "2", "knowledge_point": bank["charter"].pk}]
    with pytest.raises(DomainError) as info:
        create(world, bank, bad)
    assert "知识点‘党章’的单选题只有 3 道，规则需要 5 道" in info.value.errors[0]["message"]
    with pytest.raises(DomainError, match="考试设置有误"):
        create(world, bank, [{"kind": "essay", "count": 0, "points": "0"}])


def test_draw_honours_rules(world, bank):
    paper = create(world, bank, rules(bank), shuffle_questions=False)
    items = exams.build_items(paper, rng=random.Random(7))
    qs = {
        q.pk: q
        for q in Question.objects.filter(pk__in=[i["question"] for i in items]).prefetch_related("knowledge_points")
    }
    assert len(items) == 9
    first, second, third = items[:3], items[3:7], items[7:]
    assert all(
        qs[i["question"]].difficulty == 1 and bank["charter"] in qs[i["question"]].knowledge_points.all() for i in first
    )
    assert all(qs[i["question"]].kind == K.SINGLE for i in second)
    assert all(qs[i["question"]].kind == K.JUDGE and qs[i["question"]].difficulty == 3 for i in third)
    assert len(set(qs)) == 9
    assert all(qs[i["question"]].unit_id != world.branch_a2.pk for i in items)
    assert [i["points"] for i in items] == ["2.0"] * 7 + ["1.0"] * 2


def test_draws_differ_between_attempts_and_are_reproducible(world, bank):
    paper = create(world, bank, [{"kind": K.SINGLE, "count": 4, "points": "2"}, *rules(bank)[2:]])
    person = world.people["member1"]
    draws = [exams.build_items(paper, rng=random.Random(exams.attempt_seed(paper.pk, person.pk, n))) for n in (1, 2, 3)]
    again = exams.build_items(paper, rng=random.Random(exams.attempt_seed(paper.pk, person.pk, 1)))
    assert again == draws[0]
    assert draws[0] != draws[1] or draws[1] != draws[2]


def test_attempts_of_random_paper(world, bank):
    paper = create(world, bank, rules(bank), attempts_allowed=2)
    exams.paper_publish(actor=world.users["secretary1"], paper=paper)
    first = exams.attempt_start(actor=world.users["member1"], paper_id=paper.pk)
    assert len(first.items) == 9 and first.max_score == 16
    exams.attempt_submit(actor=world.users["member1"], attempt_id=first.pk)
    second = exams.attempt_start(actor=world.users["member1"], paper_id=paper.pk)
    assert second.items != first.items


def test_publish_checks(world, bank):
    s1 = world.users["secretary1"]
    paper = make_paper(world.branch_a1, s1, status="draft", pass_score=100)
    with pytest.raises(DomainError, match="请先选择试题"):
        exams.paper_publish(actor=s1, paper=paper)
    q = make_question(world.branch_a1, s1)
    exams.paper_set_questions(actor=s1, paper=paper, items=[{"question": q.pk, "points": "2"}])
    with pytest.raises(DomainError, match="及格分"):
        exams.paper_publish(actor=s1, paper=paper)
    sibling_q = make_question(world.branch_a2, world.users["secretary2"])
    with pytest.raises(DomainError, match="不在本组织可用的题库"):
        exams.paper_set_questions(actor=s1, paper=paper, items=[{"question": sibling_q.pk, "points": "2"}])
