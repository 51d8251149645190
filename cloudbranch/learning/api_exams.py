"""/api/learning: the question bank, papers and attempts, through the same services as the pages.

Members: ``GET /exams/mine``, ``POST /papers/{id}/attempts`` (start or resume), ``GET
/attempts/{id}`` (items without keys, options in the attempt's order; answers are option
*positions as shown*), ``PUT /attempts/{id}/answers/{question_id}`` (409 after the deadline),
``POST /attempts/{id}/submit``, ``GET /attempts/{id}/result`` (keys and explanations only after
the paper closes). Managers: questions CRUD, export, papers, statistics; the question import as
preview → confirm → undo (``/questions/imports``, ``question_jobs``), and the older one-step
``POST /questions/import`` (``dry_run=true`` only checks) kept for existing API callers.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import holds

from . import exams, question_import, question_jobs, questions
from .audience import viewer_person
from .choices import Audience, Difficulty, PaperMode, QuestionStatus

router = Router(tags=["题库与考试"])


# --- schemas -------------------------------------------------------------------------------------


class QuestionOut(Schema):
    id: int
    unit_id: int
    kind: str
    stem: str
    options: list[str]
    answer: list[Any]
    answer_text: str
    explanation: str
    difficulty: int
    knowledge_points: list[str]
    status: str
    source: str

    @staticmethod
    def resolve_knowledge_points(obj) -> list[str]:
        return [kp.name for kp in obj.knowledge_points.all()]

    @staticmethod
    def resolve_answer_text(obj) -> str:
        return questions.answer_text(obj.kind, obj.answer)


class QuestionIn(Schema):
    unit_id: int
    kind: str
    stem: str
    options: list[str] = []
    answer: list[Any] | None = None
    answer_text: str | None = None
    explanation: str = ""
    difficulty: int = Difficulty.MEDIUM
    knowledge_points: list[str] = []
    source: str = ""


class QuestionPatch(Schema):
    kind: str | None = None
    stem: str | None = None
    options: list[str] | None = None
    answer: list[Any] | None = None
    answer_text: str | None = None
    explanation: str | None = None
    difficulty: int | None = None
    knowledge_points: list[str] | None = None
    source: str | None = None


class QuestionFilters(Schema):
    q: str | None = Field(None, max_length=200)
    kind: str | None = Field(None, max_length=16)
    kp: ObjectId | None = None
    difficulty: int | None = Field(None, ge=1, le=3)
    status: str | None = Field(None, max_length=16)
    unit: ObjectId | None = None


class ImportOut(Schema):
    ok: bool
    committed: bool
    dry_run: bool
    total_rows: int
    created: int
    message: str
    errors: list[dict[str, Any]]


class QuestionImportJobOut(Schema):
    id: int
    unit_id: int
    file_name: str
    status: str
    status_label: str = Field(..., description="状态（中文）")
    total_rows: int
    created_count: int = Field(..., description="预览中将新增 / 已新增的试题数")
    error_count: int
    message: str
    file_sha256: str
    plan_sha256: str
    can_confirm: bool
    can_undo: bool
    created_at: datetime.datetime
    confirmed_at: datetime.datetime | None
    undone_at: datetime.datetime | None
    errors: list[dict[str, Any]]


class QuestionImportChangeOut(Schema):
    row: int
    op: str = "create"
    kind: str
    stem: str
    options: list[str]
    answer: list[Any]
    answer_text: str
    explanation: str
    knowledge_points: list[str]
    difficulty: int
    source: str


class RuleIn(Schema):
    kind: str = ""
    count: int
    points: Decimal
    knowledge_point: int | None = None
    difficulty: int | None = None


class PaperIn(Schema):
    unit_id: int
    title: str
    description: str = ""
    mode: str = PaperMode.MANUAL
    rules: list[RuleIn] = []
    audience: str = Audience.SUBTREE
    time_limit_minutes: int = 30
    attempts_allowed: int = 1
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    pass_score: Decimal = Decimal("60")
    shuffle_questions: bool = True
    shuffle_options: bool = True


class PaperPatch(Schema):
    title: str | None = None
    description: str | None = None
    mode: str | None = None
    rules: list[RuleIn] | None = None
    audience: str | None = None
    time_limit_minutes: int | None = None
    attempts_allowed: int | None = None
    opens_at: datetime.datetime | None = None
    closes_at: datetime.datetime | None = None
    pass_score: Decimal | None = None
    shuffle_questions: bool | None = None
    shuffle_options: bool | None = None


class PaperItemIn(Schema):
    question: int
    points: Decimal = Decimal("1")


class PaperOut(Schema):
    id: int
    unit_id: int
    title: str
    description: str
    mode: str
    rules: list[dict[str, Any]]
    audience: str
    time_limit_minutes: int
    attempts_allowed: int
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    pass_score: Decimal
    shuffle_questions: bool
    shuffle_options: bool
    status: str


class MyExamOut(Schema):
    id: int
    title: str
    description: str
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    time_limit_minutes: int
    attempts_allowed: int
    pass_score: Decimal
    my_attempts: int | None = None
    my_best: Decimal | None = None
    my_running: int | None = None


class AttemptOut(Schema):
    id: int
    paper_id: int
    number: int
    status: str
    started_at: datetime.datetime
    deadline_at: datetime.datetime
    submitted_at: datetime.datetime | None
    remaining_seconds: int
    items: list[dict[str, Any]]


class AnswerIn(Schema):
    response: list[Any] = []


class SubmitIn(Schema):
    answers: dict[str, list[Any]] = {}


class ResultOut(Schema):
    id: int
    paper_id: int
    status: str
    score: Decimal | None
    max_score: Decimal
    passed: bool | None
    correct: int
    total: int
    revealed: bool
    items: list[dict[str, Any]]


# --- helpers ---------------------------------------------------------------------------------------


def _unit_for(user, unit_id: int, perm: str) -> OrgUnit:
    unit = OrgUnit.objects.restrict(user, perm).filter(pk=unit_id).first()
    if unit is None:
        message = "没有找到该党组织，或您无权在该组织操作"
        raise DomainError(message, errors=[{"field": "unit_id", "message": message}])
    return unit


def _answer(kind: str, answer, answer_text, option_count: int):
    if answer_text:
        try:
            return questions.parse_answer(kind, answer_text, 2 if kind == "judge" else option_count)
        except ValueError as exc:
            raise DomainError(str(exc), errors=[{"field": "answer_text", "message": str(exc)}]) from None
    if answer is None:
        raise DomainError("请给出答案", errors=[{"field": "answer", "message": "请给出答案"}])
    return answer


def _attempt_out(attempt, now) -> dict:
    sheet = exams.attempt_sheet(attempt)
    items = [
        {
            "question": row["id"],
            "number": row["number"],
            "kind": row["kind"],
            "stem": row["stem"],
            "points": row["points"],
            "options": [o["text"] for o in row["options"]],
            "blanks": len(row["blanks"]),
            "response": row.get("texts") if row["kind"] == "fill" else row["response"],
        }
        for row in sheet
    ]
    return {
        "id": attempt.pk,
        "paper_id": attempt.paper_id,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline_at": attempt.deadline_at,
        "submitted_at": attempt.submitted_at,
        "remaining_seconds": max(0, int((attempt.deadline_at - now).total_seconds())),
        "items": items,
    }


# --- questions -------------------------------------------------------------------------------------


@router.get("/questions", response={200: list[QuestionOut], **READ_ERRORS}, summary="题库（分页、筛选）")
@paginate
def question_list(request, filters: Query[QuestionFilters]):
    if not holds(request.auth, questions.VIEW):
        raise PermissionDenied
    return questions.question_list(user=request.auth, filters=filters.dict(exclude_none=True))


@router.get("/questions/export", summary="导出题库（与导入模板同列，.xlsx）")
def question_export(request, filters: Query[QuestionFilters]):
    if not holds(request.auth, questions.VIEW):
        raise PermissionDenied
    qs = questions.question_list(user=request.auth, filters=filters.dict(exclude_none=True))
    response = HttpResponse(question_import.export_questions(qs), content_type=question_import.XLSX)
    response["Content-Disposition"] = 'attachment; filename="questions.xlsx"'
    return response


def _job_out(job) -> dict:
    S = question_jobs.S
    return {
        "id": job.pk,
        "unit_id": job.unit_id,
        "file_name": job.file_name,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "total_rows": job.total_rows,
        "created_count": job.created_count,
        "error_count": len(job.errors),
        "message": job.message,
        "file_sha256": job.file_sha256,
        "plan_sha256": job.plan_sha256,
        "can_confirm": job.status == S.PREVIEWED,
        "can_undo": job.status == S.SUCCEEDED,
        "created_at": job.created_at,
        "confirmed_at": job.confirmed_at,
        "undone_at": job.undone_at,
        "errors": [{**e, "message": question_import.error_text(e)} for e in job.errors[:500]],
    }


def _require_import(user) -> None:
    if not holds(user, questions.ADD):
        raise PermissionDenied


@router.post(
    "/questions/imports",
    response={200: QuestionImportJobOut, **WRITE_ERRORS},
    summary="上传试题导入文件，生成预览（不写入）",
)
def question_import_upload(request, unit_id: Form[int], file: File[UploadedFile]):
    """Checks the whole file and stores a preview (nothing written). Errors: 422 with every error
    ("第 R 行，第 C 列：……"); the failed upload is still listed among the user's imports."""
    _require_import(request.auth)
    unit = _unit_for(request.auth, unit_id, questions.ADD)
    if (file.size or 0) > 5 * 1024 * 1024:
        raise DomainError("文件过大（最大 5 MB），请拆分后再导入。", errors=[{"field": "file", "message": "文件过大"}])
    job, result = question_jobs.preview(actor=request.auth, unit=unit, data=file.read(), file_name=file.name or "")
    if not result.ok:
        raise DomainError(result.message, errors=_job_out(job)["errors"])
    return _job_out(job)


@router.get("/questions/imports", response={200: list[QuestionImportJobOut], **READ_ERRORS}, summary="我的试题导入")
@paginate
def question_import_list(request):
    _require_import(request.auth)
    return [_job_out(j) for j in question_jobs.job_list(request.auth).defer("file_data", "changes", "undo_data")]


@router.get("/questions/imports/{job_id}", response={200: QuestionImportJobOut, **READ_ERRORS}, summary="试题导入详情")
def question_import_detail(request, job_id: ObjectId):
    _require_import(request.auth)
    return _job_out(question_jobs.access_job(request.auth, job_id))


@router.get(
    "/questions/imports/{job_id}/changes",
    response={200: list[QuestionImportChangeOut], **READ_ERRORS},
    summary="预览中将新增的试题（分页）",
)
@paginate
def question_import_changes(request, job_id: ObjectId):
    _require_import(request.auth)
    job = question_jobs.access_job(request.auth, job_id)
    return [{**c, "answer_text": questions.answer_text(c["kind"], c["answer"])} for c in job.changes]


def _import_act(request, job_id, service) -> dict:
    _require_import(request.auth)
    return _job_out(service(actor=request.auth, job_id=job_id))


@router.post(
    "/questions/imports/{job_id}/confirm", response={200: QuestionImportJobOut, **WRITE_ERRORS}, summary="确认导入"
)
def question_import_confirm(request, job_id: ObjectId):
    """Re-check the stored file and the bank against the preview, then create every question.
    409 if anything changed since the preview, if it expired, or if already confirmed."""
    return _import_act(request, job_id, question_jobs.confirm)


@router.post(
    "/questions/imports/{job_id}/discard", response={200: QuestionImportJobOut, **WRITE_ERRORS}, summary="放弃预览"
)
def question_import_discard(request, job_id: ObjectId):
    return _import_act(request, job_id, question_jobs.discard)


@router.post(
    "/questions/imports/{job_id}/undo", response={200: QuestionImportJobOut, **WRITE_ERRORS}, summary="撤销导入"
)
def question_import_undo(request, job_id: ObjectId):
    """Delete the questions the import created. 409 if one was edited or retired since, or is used
    by a paper, an answer, a wrong-answer-book entry or a drawn quiz."""
    return _import_act(request, job_id, question_jobs.undo)


@router.post("/questions/import", response={200: ImportOut, **WRITE_ERRORS}, summary="从 Excel 导入试题（全部或全不）")
def question_import_api(request, unit_id: Form[int], file: File[UploadedFile], dry_run: Form[bool] = False):
    unit = _unit_for(request.auth, unit_id, questions.ADD)
    result = question_import.import_questions(
        actor=request.auth, unit=unit, data=file.read(), dry_run=dry_run, file_name=file.name or ""
    )
    errors = [{**e, "message": question_import.error_text(e)} for e in result.errors]
    if not result.ok:
        raise DomainError(result.message, errors=errors)
    return {
        "ok": True,
        "committed": result.committed,
        "dry_run": result.dry_run,
        "total_rows": result.total_rows,
        "created": result.created,
        "message": result.message,
        "errors": [],
    }


@router.get("/questions/{int:question_id}", response={200: QuestionOut, **READ_ERRORS}, summary="试题详情")
def question_detail(request, question_id: int):
    return questions.access_question(request.auth, question_id)


@router.post("/questions", response={201: QuestionOut, **WRITE_ERRORS}, summary="新增试题")
def question_create(request, payload: QuestionIn):
    unit = _unit_for(request.auth, payload.unit_id, questions.ADD)
    options = payload.options if payload.kind in ("single", "multiple") else []
    question = questions.question_create(
        actor=request.auth,
        unit=unit,
        kind=payload.kind,
        stem=payload.stem,
        options=options,
        answer=_answer(payload.kind, payload.answer, payload.answer_text, len(options)),
        explanation=payload.explanation,
        difficulty=payload.difficulty,
        knowledge_points=payload.knowledge_points,
        source=payload.source,
    )
    return 201, questions.access_question(request.auth, question.pk)


@router.patch("/questions/{int:question_id}", response={200: QuestionOut, **WRITE_ERRORS}, summary="修改试题")
def question_update(request, question_id: int, payload: QuestionPatch):
    question = questions.access_question(request.auth, question_id, action="add")
    data = payload.dict(exclude_none=True)
    kps = data.pop("knowledge_points", None)
    answer_text = data.pop("answer_text", None)
    if answer_text is not None:
        kind = data.get("kind", question.kind)
        data["answer"] = _answer(kind, None, answer_text, len(data.get("options", question.options) or []))
    questions.question_update(actor=request.auth, question=question, knowledge_points=kps, **data)
    return questions.access_question(request.auth, question_id)


@router.post("/questions/{int:question_id}/retire", response={200: QuestionOut, **WRITE_ERRORS}, summary="停用试题")
def question_retire(request, question_id: int):
    question = questions.access_question(request.auth, question_id, action="add")
    return questions.question_set_status(actor=request.auth, question=question, status=QuestionStatus.RETIRED)


@router.post("/questions/{int:question_id}/restore", response={200: QuestionOut, **WRITE_ERRORS}, summary="恢复试题")
def question_restore(request, question_id: int):
    question = questions.access_question(request.auth, question_id, action="add")
    return questions.question_set_status(actor=request.auth, question=question, status=QuestionStatus.ACTIVE)


# --- papers ----------------------------------------------------------------------------------------


@router.get("/papers", response={200: list[PaperOut], **READ_ERRORS}, summary="考试列表（管理）")
@paginate
def paper_list(request, q: str | None = None, status: str | None = None):
    if not holds(request.auth, exams.VIEW):
        raise PermissionDenied
    return exams.paper_list(user=request.auth, filters={"q": q, "status": status})


@router.post("/papers", response={201: PaperOut, **WRITE_ERRORS}, summary="新建考试（草稿）")
def paper_create(request, payload: PaperIn):
    unit = _unit_for(request.auth, payload.unit_id, exams.ADD)
    data = payload.dict(exclude={"unit_id"})
    data["rules"] = [{**r, "points": str(r["points"])} for r in data["rules"]]
    return 201, exams.paper_create(actor=request.auth, unit=unit, **data)


@router.get("/papers/{int:paper_id}", response={200: PaperOut, **READ_ERRORS}, summary="考试详情（管理）")
def paper_detail(request, paper_id: int):
    return exams.access_paper(request.auth, paper_id)


@router.patch("/papers/{int:paper_id}", response={200: PaperOut, **WRITE_ERRORS}, summary="修改考试设置")
def paper_update(request, paper_id: int, payload: PaperPatch):
    paper = exams.access_paper(request.auth, paper_id, action="add")
    data = payload.dict(exclude_none=True)
    if "rules" in data:
        data["rules"] = [{**r, "points": str(r["points"])} for r in data["rules"]]
    return exams.paper_update(actor=request.auth, paper=paper, **data)


@router.put("/papers/{int:paper_id}/questions", response={200: PaperOut, **WRITE_ERRORS}, summary="设置手工组卷的试题")
def paper_questions(request, paper_id: int, payload: list[PaperItemIn]):
    paper = exams.access_paper(request.auth, paper_id, action="add")
    items = [{"question": i.question, "points": str(i.points)} for i in payload]
    return exams.paper_set_questions(actor=request.auth, paper=paper, items=items)


@router.post("/papers/{int:paper_id}/publish", response={200: PaperOut, **WRITE_ERRORS}, summary="发布考试")
def paper_publish(request, paper_id: int):
    paper = exams.access_paper(request.auth, paper_id, action="add")
    return exams.paper_publish(actor=request.auth, paper=paper)


@router.post("/papers/{int:paper_id}/close", response={200: PaperOut, **WRITE_ERRORS}, summary="立即结束考试")
def paper_close(request, paper_id: int):
    paper = exams.access_paper(request.auth, paper_id, action="add")
    return exams.paper_close(actor=request.auth, paper=paper)


@router.get(
    "/papers/{int:paper_id}/statistics", response={200: dict[str, Any], **READ_ERRORS}, summary="成绩统计与试题分析"
)
def paper_statistics(request, paper_id: int, unit: int | None = None):
    paper = exams.access_paper(request.auth, paper_id)
    chosen = paper.unit
    if unit is not None:
        chosen = exams.stats_units(request.auth, paper).filter(pk=unit).first()
        if chosen is None:
            raise DomainError("无权查看该党组织的统计", errors=[{"field": "unit", "message": "无权查看该党组织的统计"}])
    stats = exams.unit_statistics(paper, chosen)
    return {
        "unit": {"id": chosen.pk, "name": chosen.name},
        "max_score": str(stats["max_score"]),
        "buckets": stats["buckets"],
        "total": {
            **stats["total"],
            "mean": str(stats["total"]["mean"]) if stats["total"]["mean"] is not None else None,
        },
        "units": [
            {
                "unit_id": r["unit"].pk,
                "name": r["label"],
                "participants": r["participants"],
                "mean": str(r["mean"]) if r["mean"] is not None else None,
                "pass_rate": r["pass_rate"],
                "distribution": r["distribution"],
            }
            for r in stats["rows"]
        ],
        "items": [
            {
                "question": a["question"].pk,
                "stem": a["question"].stem,
                "total": a["total"],
                "wrong": a["wrong"],
                "wrong_rate": a["wrong_rate"],
                "top_wrong": a["top_wrong"],
                "top_wrong_count": a["top_wrong_count"],
            }
            for a in exams.item_analysis(paper, unit=chosen)
        ],
    }


# --- members: exams and attempts ------------------------------------------------------------------


@router.get("/exams/mine", response={200: list[MyExamOut], **READ_ERRORS}, summary="我可以参加的考试")
@paginate
def my_exams(request):
    return exams.my_exams(viewer_person(request.auth))


@router.post(
    "/papers/{int:paper_id}/attempts", response={201: AttemptOut, **WRITE_ERRORS}, summary="开始（或继续）考试"
)
def attempt_start(request, paper_id: int):
    attempt = exams.attempt_start(actor=request.auth, paper_id=paper_id)
    return 201, _attempt_out(attempt, timezone.now())


@router.get("/attempts/{int:attempt_id}", response={200: AttemptOut, **READ_ERRORS}, summary="作答中的试卷（不含答案）")
def attempt_detail(request, attempt_id: int):
    now = timezone.now()
    attempt = exams.settle(exams.access_own_attempt(request.auth, attempt_id), now=now)
    return _attempt_out(attempt, now)


@router.put(
    "/attempts/{int:attempt_id}/answers/{int:question_id}",
    response={200: dict[str, Any], **WRITE_ERRORS},
    summary="保存一题答案（选项位置按本次显示顺序；超时 409）",
)
def attempt_save(request, attempt_id: int, question_id: int, payload: AnswerIn):
    attempt = exams.attempt_save(
        actor=request.auth, attempt_id=attempt_id, question_id=question_id, response=payload.response
    )
    return {"saved_at": attempt.saved_at, "question": question_id}


@router.post("/attempts/{int:attempt_id}/submit", response={200: ResultOut, **WRITE_ERRORS}, summary="交卷")
def attempt_submit(request, attempt_id: int, payload: SubmitIn | None = None):
    responses = {int(k): v for k, v in (payload.answers if payload else {}).items() if str(k).isdigit()}
    attempt = exams.attempt_submit(actor=request.auth, attempt_id=attempt_id, responses=responses)
    return _result(request, attempt.pk)


@router.get(
    "/attempts/{int:attempt_id}/result",
    response={200: ResultOut, **WRITE_ERRORS},
    summary="成绩（答案与解析在考试结束后公布）",
)
def attempt_result(request, attempt_id: int):
    return _result(request, attempt_id)


def _result(request, attempt_id: int) -> dict:
    now = timezone.now()
    attempt = exams.settle(exams.access_attempt_for_result(request.auth, attempt_id), now=now)
    if attempt.status == "in_progress":
        raise ConflictError("试卷尚未提交。")
    reveal = exams.results_revealed(attempt.paper, now=now)
    summary = exams.attempt_summary(attempt)
    items = []
    if reveal:
        for row in exams.attempt_sheet(attempt, reveal=True):
            items.append(
                {
                    "question": row["id"],
                    "stem": row["stem"],
                    "options": [o["text"] for o in row["options"]],
                    "mine": row["mine_text"],
                    "key": row["key_text"],
                    "correct": row["correct"],
                    "explanation": row["explanation"],
                }
            )
    return {
        "id": attempt.pk,
        "paper_id": attempt.paper_id,
        "status": attempt.status,
        "score": attempt.score,
        "max_score": attempt.max_score,
        "passed": attempt.passed,
        "correct": summary["correct"],
        "total": summary["total"],
        "revealed": reveal,
        "items": items,
    }
