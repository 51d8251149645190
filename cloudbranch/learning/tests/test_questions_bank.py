"""The question bank: services (frozen once answered, audited), list filters and query count,
scoping (sibling 404, 403 when visible but not allowed), pages and API."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.learning import questions
from cloudbranch.learning.choices import AnswerSource, QuestionStatus
from cloudbranch.learning.choices import QuestionKind as K
from cloudbranch.learning.models import AnswerRecord

from .test_exams_support import kp, make_question

pytestmark = pytest.mark.django_db


def create(world, **kw):
    data = {"kind": K.SINGLE, "stem": "党的最高领导机关是（ ）。", "options": ["全国代表大会", "政治局"], "answer": [0]}
    return questions.question_create(actor=world.users["secretary1"], unit=world.branch_a1, **(data | kw))


def test_create_validates_and_audits(world):
    q = create(world, knowledge_points=["党章", "组织制度"])
    assert sorted(k.name for k in q.knowledge_points.all()) == ["党章", "组织制度"]
    assert AuditEvent.objects.filter(action="learning.question.create", target_id=str(q.pk)).exists()
    judge = create(world, kind=K.JUDGE, stem="判断", options=["x"], answer=[1])
    assert judge.options == ["正确", "错误"]
    with pytest.raises(DomainError) as info:
        create(world, kind=K.FILL, stem="没有空的填空题", options=[], answer=[["a"]])
    assert info.value.errors[0]["field"] == "stem"
    with pytest.raises(DomainError):
        create(world, kind=K.FILL, stem="两个空____和____", options=[], answer=[["a"]])
    with pytest.raises(PermissionDenied):
        questions.question_create(
            actor=world.users["secretary2"], unit=world.branch_a1, kind=K.JUDGE, stem="x", answer=[0]
        )


def test_answered_question_is_frozen(world):
    q = create(world)
    questions.question_update(actor=world.users["secretary1"], question=q, stem="改过的题干（ ）")
    AnswerRecord.objects.create(
        person=world.people["member1"], question=q, source=AnswerSource.EXAM, source_id=1, correct=True
    )
    with pytest.raises(DomainError, match="停用本题并新增"):
        questions.question_update(actor=world.users["secretary1"], question=q, answer=[1])
    q.refresh_from_db()
    assert q.answer == [0]
    questions.question_update(
        actor=world.users["secretary1"], question=q, explanation="见党章第十条", difficulty=3, knowledge_points=["党章"]
    )
    q.refresh_from_db()
    assert (q.explanation, q.difficulty, [k.name for k in q.knowledge_points.all()]) == ("见党章第十条", 3, ["党章"])
    questions.question_set_status(actor=world.users["secretary1"], question=q, status=QuestionStatus.RETIRED)
    assert not questions.bank_for_unit(world.branch_a1).filter(pk=q.pk).exists()


def test_list_filters_and_constant_queries(world):
    s1 = world.users["secretary1"]
    charter = kp("党章")
    make_question(world.branch_a1, s1, K.SINGLE, kps=[charter], difficulty=1, stem="关于党章的题")
    make_question(world.branch_a1, s1, K.JUDGE)
    make_question(world.branch_a2, world.users["secretary2"], K.SINGLE)  # sibling: invisible

    def ids(**f):
        return list(questions.question_list(user=s1, filters=f).values_list("stem", flat=True))

    assert len(ids()) == 2
    assert ids(kind=K.SINGLE) == ["关于党章的题"] == ids(kp=charter.pk) == ids(difficulty=1) == ids(q="党章")
    assert ids(status=QuestionStatus.RETIRED) == []

    def measure():
        s1.__dict__.pop("_cb_grants", None)
        with CaptureQueriesContext(connection) as ctx:
            page = list(questions.question_list(user=s1)[:20])
            for q in page:
                [k.name for k in q.knowledge_points.all()]
                assert q.unit.name
        return len(ctx.captured_queries)

    few = measure()
    for _ in range(10):
        make_question(world.branch_a1, s1, K.MULTIPLE, kps=[charter, kp("纪律")])
    assert few == measure() == 3  # grants, page, knowledge points


def test_pages(world, login):
    q = make_question(world.branch_a1, world.users["secretary1"], K.SINGLE, kps=[kp("党章")])
    client = login(world.users["secretary1"])
    r = client.get("/learning/questions/")
    assert r.status_code == 200 and q.stem in r.content.decode()
    r = client.post(
        "/learning/questions/new/",
        {"unit": world.branch_a1.pk, "kind": "multiple", "stem": "党的纪律包括（ ）", "option_a": "政治纪律",
         "option_b": "组织纪律", "option_c": "群众纪律", "answer_text": "AB", "difficulty": 2, "knowledge_points": "党的纪律"},
    )  # fmt: skip
    assert r.status_code == 302
    r = client.post(
        "/learning/questions/new/",
        {"unit": world.branch_a1.pk, "kind": "single", "stem": "x", "option_a": "a", "option_b": "b", "answer_text": "E",
         "difficulty": 2},
    )  # fmt: skip
    assert r.status_code == 422 and "超出了选项范围" in r.content.decode()
    assert client.get(f"/learning/questions/{q.pk}/edit/").status_code == 200
    r = client.post(f"/learning/questions/{q.pk}/status/", {"status": "retired"})
    assert r.status_code == 302
    q.refresh_from_db()
    assert q.status == QuestionStatus.RETIRED
    # sibling branch: 404; a member (no grant) : 403
    assert login(world.users["secretary2"]).get(f"/learning/questions/{q.pk}/edit/").status_code == 404
    assert login(world.users["secretary2"]).get(f"/api/learning/questions/{q.pk}").status_code == 404
    assert login(world.users["member1"]).get("/learning/questions/").status_code == 403


def test_api_crud(world, login):
    client = login(world.users["secretary1"])
    r = client.post(
        "/api/learning/questions",
        {
            "unit_id": world.branch_a1.pk,
            "kind": "fill",
            "stem": "党的根本宗旨是____。",
            "answer_text": "为人民服务|全心全意为人民服务",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    qid = r.json()["id"]
    assert r.json()["answer"] == [["为人民服务", "全心全意为人民服务"]]
    r = client.patch(f"/api/learning/questions/{qid}", {"difficulty": 3}, content_type="application/json")
    assert r.status_code == 200 and r.json()["difficulty"] == 3
    r = client.get("/api/learning/questions?kind=fill")
    assert r.status_code == 200 and r.json()["count"] == 1
    assert client.post(f"/api/learning/questions/{qid}/retire").json()["status"] == "retired"
    r = login(world.users["secretary2"]).patch(
        f"/api/learning/questions/{qid}", {"difficulty": 1}, content_type="application/json"
    )
    assert r.status_code == 404
