"""Mastery per knowledge point, the weakest points, explained recommendations, unit weak points."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.learning import mastery
from cloudbranch.learning.choices import AnswerSource, Audience, Column, PublishStatus, ResourceKind
from cloudbranch.learning.models import Resource, StudyProgress
from cloudbranch.learning.wrongbook import record_answers

from .test_quiz_support import kp, question

pytestmark = pytest.mark.django_db


def _answers(person, point, author, unit, *, right: int, wrong: int, when=None):
    q = question(unit, author, points=[point])
    graded = [(q, [1], True)] * right + [(q, [0], False)] * wrong
    record_answers(person, AnswerSource.PRACTICE, q.pk, graded, when or timezone.now())
    return q


def _resource(unit, author, point, *, audience=Audience.SUBTREE, status=PublishStatus.PUBLISHED, title="党章学习"):
    r = Resource.objects.create(
        kind=ResourceKind.ARTICLE,
        title=title,
        column=Column.CULTIVATION,
        unit=unit,
        audience=audience,
        status=status,
        published_at=timezone.now(),
        created_by=author,
    )
    r.knowledge_points.set([point])
    return r


def test_weakest_points_and_reason(world):
    person, author = world.people["member1"], world.users["admin"]
    charter, history, rules, few = kp("党章"), kp("党史"), kp("纪律"), kp("新知识点")
    _answers(person, charter, author, world.root, right=9, wrong=11)  # 45 %
    _answers(person, history, author, world.root, right=2, wrong=3)  # 40 % but only 5 answers
    _answers(person, rules, author, world.root, right=19, wrong=1)  # 95 %
    _answers(person, few, author, world.root, right=0, wrong=2)  # too few to judge
    rows = mastery.person_mastery(person)
    # smoothed: 党史 (2+1)/(5+2) = .429 < 党章 (9+1)/(20+2) = .455 < 纪律 .909; 新知识点 not judged
    assert [m.point.name for m in rows] == ["党史", "党章", "纪律", "新知识点"]
    weak = mastery.weakest(rows)
    assert [m.point.name for m in weak] == ["党史", "党章"]
    by_name = {m.point.name: m for m in rows}
    assert by_name["党章"].reason == "因为你在“党章”相关题目的正确率为 45%（20 题）"
    assert not by_name["新知识点"].judged
    assert "纪律" not in [m.point.name for m in weak]


def test_smoothing_orders_by_estimate(world):
    person, author = world.people["member1"], world.users["admin"]
    a, b = kp("甲知识点"), kp("乙知识点")
    _answers(person, a, author, world.root, right=1, wrong=2)  # 33 % of 3 → (1+1)/(3+2) = .40
    _answers(person, b, author, world.root, right=12, wrong=18)  # 40 % of 30 → 13/32 = .406
    weak = mastery.weakest(mastery.person_mastery(person))
    assert [m.point.name for m in weak] == ["甲知识点", "乙知识点"]
    assert weak[0].percent == 33 and round(weak[0].estimate, 2) == 0.4


def test_only_the_last_50_answers_count(world):
    person, author = world.people["member1"], world.users["admin"]
    point = kp("党章")
    old = timezone.now() - datetime.timedelta(days=100)
    _answers(person, point, author, world.root, right=0, wrong=60, when=old)
    _answers(person, point, author, world.root, right=50, wrong=0)
    (row,) = mastery.person_mastery(person)
    assert (row.answers, row.correct) == (50, 50)


def test_recommendations_exclude_completed_and_invisible(world):
    person, author = world.people["member1"], world.users["admin"]
    charter = kp("党章")
    _answers(person, charter, author, world.root, right=1, wrong=4)
    visible = _resource(world.branch_a1, author, charter, title="可见")
    school = _resource(world.college_b, author, charter, audience=Audience.SCHOOL, title="全校")
    done = _resource(world.root, author, charter, title="已学完")
    StudyProgress.objects.create(person=person, resource=done, completed_at=timezone.now())
    _resource(world.branch_a2, author, charter, title="兄弟支部")
    _resource(world.college_b, author, charter, title="别的学院")
    _resource(world.branch_a1, author, charter, status=PublishStatus.DRAFT, title="草稿")
    _resource(world.branch_a1, author, kp("别的知识点"), title="无关")
    practice = question(world.root, author, points=[charter])
    question(world.branch_a2, author, points=[charter])  # sibling bank: never recommended
    weak = mastery.weakest(mastery.person_mastery(person))
    (rec,) = mastery.recommendations(person, weak)
    assert {r.title for r in rec.resources} == {visible.title, school.title}
    assert practice in rec.questions
    assert all(q.unit_id == world.root.pk for q in rec.questions)
    assert rec.reason == "因为你在“党章”相关题目的正确率为 20%（5 题）"


def test_mastery_page_explains(world, login):
    person, author = world.people["member1"], world.users["admin"]
    _answers(person, kp("党章"), author, world.root, right=9, wrong=11)
    question(world.root, author, points=[kp("党章")])
    resp = login(world.users["member1"]).get("/learning/mastery/")
    assert resp.status_code == 200
    assert "因为你在“党章”相关题目的正确率为 45%（20 题）" in resp.content.decode()


def test_unit_weak_points_one_query_and_counts(world):
    author = world.users["admin"]
    charter, history = kp("党章"), kp("党史")
    a1, other, a2 = world.people["member1"], world.people["a1_other"], world.people["a2_person"]
    _answers(a1, charter, author, world.root, right=2, wrong=4)
    _answers(other, charter, author, world.root, right=1, wrong=3)
    _answers(a1, history, author, world.root, right=5, wrong=1)
    _answers(a2, charter, author, world.root, right=0, wrong=10)  # sibling branch: not counted
    with CaptureQueriesContext(connection) as ctx:
        rows = mastery.unit_weak_points(world.branch_a1)
    assert len(ctx) == 1
    assert [(r["kp_name"], r["answers"], r["right"], r["members"], r["percent"]) for r in rows] == [
        ("党章", 10, 3, 2, 30),
        ("党史", 6, 5, 1, 83),
    ]
    college = mastery.unit_weak_points(world.college_a)
    assert college[0]["kp_name"] == "党章" and college[0]["answers"] == 20 and college[0]["members"] == 3


def test_unit_weak_page_is_scoped(world, login):
    author = world.users["admin"]
    _answers(world.people["member1"], kp("党章"), author, world.root, right=1, wrong=5)
    client = login(world.users["secretary1"])
    resp = client.get("/learning/weak/")
    assert resp.status_code == 200 and "党章" in resp.content.decode()
    assert client.get(f"/learning/weak/?unit={world.branch_a2.pk}").status_code == 404
    client = login(world.users["secretary2"])
    assert client.get(f"/learning/weak/?unit={world.branch_a1.pk}").status_code == 404
    assert client.get(f"/learning/weak/?unit={world.branch_a2.pk}").status_code == 200
    assert login(world.users["member1"]).get("/learning/weak/").status_code == 403
    resp = login(world.users["admin"]).get(f"/learning/weak/?unit={world.branch_a1.pk}")
    assert resp.status_code == 200


def test_unit_weak_page_query_count_is_constant(world, login):
    author = world.users["admin"]
    client = login(world.users["secretary1"])
    _answers(world.people["member1"], kp("知识点0"), author, world.root, right=1, wrong=5)
    client.get("/learning/weak/")
    with CaptureQueriesContext(connection) as small:
        client.get("/learning/weak/")
    for i in range(1, 8):
        _answers(world.people["a1_other"], kp(f"知识点{i}"), author, world.root, right=i, wrong=5)
    with CaptureQueriesContext(connection) as big:
        resp = client.get("/learning/weak/")
    assert resp.content.decode().count("知识点") >= 8
    assert len(small) == len(big)
