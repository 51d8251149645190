"""Question import as preview → confirm → undo (``question_jobs``): the preview writes nothing,
confirm writes exactly the plan and refuses (409) a changed bank, a tampered file or a second
confirm, undo deletes exactly what was created and is refused when a created question was edited
or retired or has dependent rows (a paper, an answer record, a wrong-answer-book entry, a drawn
daily quiz), jobs are private (404), and the pages and API follow the same flow."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError
from cloudbranch.learning import question_jobs as qj
from cloudbranch.learning import questions
from cloudbranch.learning.models import (
    DailyQuiz,
    KnowledgePoint,
    PaperQuestion,
    Question,
    QuestionImportJob,
    WrongAnswer,
)
from cloudbranch.people import import_plan

from .test_exams_support import kp, make_paper, make_question
from .test_questions_import import GOOD, row, workbook

pytestmark = pytest.mark.django_db
S = QuestionImportJob.Status


@pytest.fixture
def world(shared_world):
    return shared_world


def _state(model) -> dict:
    return {o.pk: import_plan.row_state(o) for o in model._base_manager.all()}


def _bank() -> dict:
    through = Question.knowledge_points.through
    return {
        "questions": _state(Question),
        "kps": _state(KnowledgePoint),
        "links": sorted(through.objects.values_list("question_id", "knowledgepoint_id")),
    }


def _preview(world, rows=GOOD, user="secretary1", unit=None):
    return qj.preview(actor=world.users[user], unit=unit or world.branch_a1, data=workbook(rows), file_name="题库.xlsx")


def _confirmed(world):
    job, _ = _preview(world)
    return qj.confirm(actor=world.users["secretary1"], job_id=job.pk)


def _actions(job) -> list[str]:
    return sorted(
        AuditEvent.objects.filter(target_type__endswith="questionimportjob", target_id=str(job.pk)).values_list(
            "action", flat=True
        )
    )


def test_preview_writes_nothing_and_confirm_writes_exactly_the_plan(world):
    kp("党章")  # exists before: used, not created, by the import
    before = _bank()
    job, result = _preview(world)
    assert result.ok and job.status == S.PREVIEWED and job.created_count == 4
    assert _bank() == before
    assert [c["stem"] for c in job.changes] == [r[1] for r in GOOD]
    assert job.plan_sha256 == import_plan.plan_hash(job.changes) and len(job.file_sha256) == 64

    job = qj.confirm(actor=world.users["secretary1"], job_id=job.pk)
    assert job.status == S.SUCCEEDED and job.created_count == 4
    created = list(Question.objects.filter(unit=world.branch_a1).order_by("id").prefetch_related("knowledge_points"))
    got = [
        {
            "row": r,
            "kind": q.kind,
            "stem": q.stem,
            "options": q.options,
            "answer": q.answer,
            "explanation": q.explanation,
            "knowledge_points": sorted(k.name for k in q.knowledge_points.all()),
            "difficulty": q.difficulty,
            "source": q.source,
        }
        for r, q in zip(range(2, 6), created, strict=True)
    ]
    assert got == [{**c, "knowledge_points": sorted(c["knowledge_points"])} for c in job.changes]
    assert bytes(QuestionImportJob.objects.values_list("file_data", flat=True).get(pk=job.pk)) == b""
    assert _actions(job) == ["learning.question_import.confirm", "learning.question_import.preview"]
    assert AuditEvent.objects.filter(action="learning.question.create").count() == 4


def test_changed_bank_tampered_file_and_double_confirm_are_409(world):
    s1 = world.users["secretary1"]
    job, _ = _preview(world)
    make_question(world.branch_a1, s1, stem=GOOD[2][1], kind="judge")  # same question added since the preview
    count = Question.objects.count()
    with pytest.raises(ConflictError, match="预览后"):
        qj.confirm(actor=s1, job_id=job.pk)
    assert Question.objects.count() == count
    assert QuestionImportJob.objects.get(pk=job.pk).status == S.STALE

    job, _ = _preview(world, rows=GOOD[:2])
    QuestionImportJob.objects.filter(pk=job.pk).update(file_data=workbook(GOOD[:1]))
    with pytest.raises(ConflictError, match="预览后"):
        qj.confirm(actor=s1, job_id=job.pk)
    assert Question.objects.count() == count

    job, _ = _preview(world, rows=GOOD[:2])
    qj.confirm(actor=s1, job_id=job.pk)
    with pytest.raises(ConflictError, match="不能重复确认"):
        qj.confirm(actor=s1, job_id=job.pk)
    with pytest.raises(ConflictError):
        qj.discard(actor=s1, job_id=job.pk)
    assert Question.objects.count() == count + 2


def test_expired_preview_and_discard(world):
    s1 = world.users["secretary1"]
    job, _ = _preview(world)
    QuestionImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - datetime.timedelta(days=3))
    with pytest.raises(ConflictError, match="过期"):
        qj.confirm(actor=s1, job_id=job.pk)
    assert QuestionImportJob.objects.get(pk=job.pk).status == S.EXPIRED
    old, _ = _preview(world, rows=GOOD[:1])
    QuestionImportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - datetime.timedelta(days=3))
    _preview(world, rows=GOOD[1:2])  # a new upload expires the old previews and drops their files
    old = QuestionImportJob.objects.get(pk=old.pk)
    assert old.status == S.EXPIRED and bytes(old.file_data) == b""
    job, _ = _preview(world)
    job = qj.discard(actor=s1, job_id=job.pk)
    assert job.status == S.DISCARDED and "learning.question_import.discard" in _actions(job)
    with pytest.raises(ConflictError, match="放弃"):
        qj.confirm(actor=s1, job_id=job.pk)
    assert Question.objects.count() == 0


def test_undo_restores_the_bank_exactly(world):
    kp("党章")
    make_question(world.branch_a1, world.users["admin"])
    before = _bank()
    job = _confirmed(world)
    assert _bank() != before
    job = qj.undo(actor=world.users["secretary1"], job_id=job.pk)
    assert job.status == S.UNDONE
    assert _bank() == before  # created questions and knowledge points gone, the others untouched
    assert "learning.question_import.undo" in _actions(job)
    assert AuditEvent.objects.filter(action="learning.question.import_undo").count() == 4
    with pytest.raises(ConflictError, match="已撤销"):
        qj.undo(actor=world.users["secretary1"], job_id=job.pk)


@pytest.mark.parametrize("change", ["edit", "retire", "paper", "wrong", "daily", "kp"])
def test_undo_refused_when_a_question_changed_or_is_used(world, change):
    s1 = world.users["secretary1"]
    job = _confirmed(world)
    q = Question.objects.get(kind="judge", unit=world.branch_a1)
    if change == "edit":
        questions.question_update(actor=s1, question=q, explanation="新解析")
    elif change == "retire":
        questions.question_set_status(actor=s1, question=q, status="retired")
    elif change == "paper":
        PaperQuestion.objects.create(paper=make_paper(world.branch_a1, s1), question=q, position=1, points=2)
    elif change == "wrong":
        WrongAnswer.objects.create(person=world.people["member1"], question=q)
    elif change == "daily":
        DailyQuiz.objects.create(person=world.people["member1"], day=timezone.localdate(), items=[{"question": q.pk}])
    else:
        q.knowledge_points.add(kp("新知识点"))
    before = _bank()
    with pytest.raises(ConflictError, match="无法撤销") as exc:
        qj.undo(actor=s1, job_id=job.pk)
    assert exc.value.errors
    assert _bank() == before
    assert QuestionImportJob.objects.get(pk=job.pk).status == S.SUCCEEDED


def test_bad_file_is_422_on_page_and_api_and_leaves_a_failed_job(world, login):
    client = login(world.users["secretary1"])
    bad = io.BytesIO(workbook([row("单选题", "题干", ["甲", "乙"], "E")]))
    bad.name = "q.xlsx"
    r = client.post("/learning/questions/import/", {"unit": world.branch_a1.pk, "file": bad})
    assert r.status_code == 422 and "超出了选项范围" in r.content.decode()
    junk = io.BytesIO(b"hello")
    junk.name = "q.xlsx"
    r = client.post("/api/learning/questions/imports", {"unit_id": world.branch_a1.pk, "file": junk})
    assert r.status_code == 422 and "不是 Excel" in r.json()["errors"][0]["message"]
    assert Question.objects.count() == 0
    jobs = list(QuestionImportJob.objects.order_by("id"))
    assert [j.status for j in jobs] == [S.FAILED, S.FAILED]
    assert all(bytes(j.file_data) == b"" and j.errors and not j.changes for j in jobs)


def test_jobs_are_private(world, login):
    job = _confirmed(world)
    preview, _ = _preview(world, rows=[row("判断题", "另一道题。", [], "错误")])
    for user in ("secretary2", "admin"):
        client = login(world.users[user])
        assert client.get(f"/learning/questions/imports/{job.pk}/").status_code == 404
        assert client.post(f"/learning/questions/imports/{preview.pk}/confirm/").status_code == 404
        assert client.post(f"/learning/questions/imports/{job.pk}/undo/").status_code == 404
        assert client.get(f"/api/learning/questions/imports/{job.pk}").status_code == 404
        assert client.get(f"/api/learning/questions/imports/{preview.pk}/changes").status_code == 404
        assert client.post(f"/api/learning/questions/imports/{preview.pk}/confirm").status_code == 404
        assert client.post(f"/api/learning/questions/imports/{job.pk}/undo").status_code == 404
        assert client.get("/api/learning/questions/imports").json()["count"] == 0
    assert QuestionImportJob.objects.get(pk=preview.pk).status == S.PREVIEWED
    assert Question.objects.count() == 4


def test_page_flow(world, login):
    client = login(world.users["secretary1"])
    good = io.BytesIO(workbook(GOOD))
    good.name = "题库.xlsx"
    r = client.post("/learning/questions/import/", {"unit": world.branch_a1.pk, "file": good})
    assert r.status_code == 302 and Question.objects.count() == 0
    page = client.get(r["Location"]).content.decode()
    assert "确认导入" in page and "放弃" in page and GOOD[0][1] in page and "全国代表大会和中央委员会" in page
    job = QuestionImportJob.objects.get()
    r = client.post(f"/learning/questions/imports/{job.pk}/confirm/")
    assert r.status_code == 302 and Question.objects.count() == 4
    page = client.get(r["Location"]).content.decode()
    assert "撤销本次导入" in page and "data-confirm=" in page
    assert client.post(f"/learning/questions/imports/{job.pk}/confirm/").status_code == 409
    assert "题库.xlsx" in client.get("/learning/questions/import/").content.decode()
    r = client.post(f"/learning/questions/imports/{job.pk}/undo/")
    assert r.status_code == 302 and Question.objects.count() == 0


def test_api_flow(world, login):
    client = login(world.users["secretary1"])
    good = io.BytesIO(workbook(GOOD))
    good.name = "q.xlsx"
    r = client.post("/api/learning/questions/imports", {"unit_id": world.branch_a1.pk, "file": good})
    assert r.status_code == 200, r.content
    job = r.json()
    assert job["status"] == "previewed" and job["created_count"] == 4 and job["can_confirm"]
    assert Question.objects.count() == 0
    changes = client.get(f"/api/learning/questions/imports/{job['id']}/changes?page=2&page_size=2").json()
    assert changes["count"] == 4 and [c["row"] for c in changes["items"]] == [4, 5]
    assert changes["items"][0]["answer_text"] == "正确"
    r = client.post(f"/api/learning/questions/imports/{job['id']}/confirm")
    assert r.status_code == 200 and r.json()["status"] == "succeeded" and Question.objects.count() == 4
    r = client.post(f"/api/learning/questions/imports/{job['id']}/confirm")
    assert r.status_code == 409 and "不能重复确认" in r.json()["detail"]
    WrongAnswer.objects.create(person=world.people["member1"], question=Question.objects.first())
    r = client.post(f"/api/learning/questions/imports/{job['id']}/undo")
    assert r.status_code == 409 and "无法撤销" in r.json()["detail"] and r.json()["errors"]
    WrongAnswer.objects.all().delete()
    r = client.post(f"/api/learning/questions/imports/{job['id']}/undo")
    assert r.status_code == 200 and r.json()["status"] == "undone" and Question.objects.count() == 0


def _page_queries(client, job) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/learning/questions/imports/{job.pk}/").status_code == 200
    return len(ctx.captured_queries)


def test_preview_page_query_count_is_constant(world, login):
    client = login(world.users["secretary1"])
    small, _ = _preview(world, rows=GOOD[:2])
    big, _ = _preview(world, rows=[row("判断题", f"第 {i} 条判断。", [], "正确", "党章") for i in range(80)])
    assert big.created_count == 80
    assert _page_queries(client, small) == _page_queries(client, big) == 5
