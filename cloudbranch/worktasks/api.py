"""/api/tasks: top-down tasks over REST, through the same selectors and services as the pages.

- ``GET /api/tasks/`` the tasks the caller sees as issuer (with completion figures), ``POST`` one
  (a draft; ``issue: true`` with targets issues it at once), ``GET /{id}``, ``POST /{id}/issue``,
  ``/{id}/cancel``, ``/{id}/close``;
- ``GET /api/tasks/targets`` the caller's board (``status`` = a target status, a board column or
  ``overdue``; ``unit_id``), ``GET /targets/{id}`` (opening marks it received), ``POST
  /targets/{id}/assign``, ``/report``, ``/submit`` (multipart: ``text`` and ``files``), ``/review``;
- ``GET /api/tasks/stats?unit_id=`` figures per child unit.
"""

import datetime

from django.http import Http404
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId

from . import selectors, tasks

router = Router(tags=["任务管理"])


class TaskIn(Schema):
    issuer_id: ObjectId
    title: str
    requirements: str
    evidence_expected: str = ""
    deadline: datetime.datetime
    issue: bool = Field(False, description="true：保存后立即下发（须给出承办单位）")
    target_kinds: list[str] = Field([], description="按类型选择承办单位，如 [branch]")
    target_unit_ids: list[int] = []


class IssueIn(Schema):
    target_kinds: list[str] = []
    target_unit_ids: list[int] = []


class CancelIn(Schema):
    reason: str


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/tasks/attachments/{obj.pk}/"


class TaskOut(Schema):
    id: int
    issuer_id: int
    issuer_name: str
    title: str
    requirements: str
    evidence_expected: str
    deadline: datetime.datetime
    status: str
    issued_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    cancel_reason: str
    targets: int = 0
    received: int = 0
    submitted: int = 0
    accepted: int = 0
    on_time: int = 0
    overdue: int = 0

    @staticmethod
    def resolve_issuer_name(obj) -> str:
        return obj.issuer.name

    @staticmethod
    def resolve_targets(obj) -> int:
        return getattr(obj, "target_count", 0)

    @staticmethod
    def resolve_received(obj) -> int:
        return getattr(obj, "received_count", 0)

    @staticmethod
    def resolve_submitted(obj) -> int:
        return getattr(obj, "submitted_count", 0)

    @staticmethod
    def resolve_accepted(obj) -> int:
        return getattr(obj, "accepted_count", 0)

    @staticmethod
    def resolve_on_time(obj) -> int:
        return getattr(obj, "on_time_count", 0)

    @staticmethod
    def resolve_overdue(obj) -> int:
        return getattr(obj, "overdue_count", 0)


class TaskDetailOut(TaskOut):
    attachments: list[AttachmentOut] = []

    @staticmethod
    def resolve_attachments(obj) -> list:
        return list(obj.attachments.order_by("pk"))


class TargetOut(Schema):
    id: int
    task_id: int
    task_title: str
    issuer_name: str
    deadline: datetime.datetime
    task_status: str
    unit_id: int
    unit_name: str
    status: str
    responsible_id: int | None
    responsible_name: str
    progress: int
    received_at: datetime.datetime | None
    submitted_at: datetime.datetime | None
    accepted_at: datetime.datetime | None
    on_time: bool | None
    overdue: bool

    @staticmethod
    def resolve_task_title(obj) -> str:
        return obj.task.title

    @staticmethod
    def resolve_issuer_name(obj) -> str:
        return obj.task.issuer.name

    @staticmethod
    def resolve_deadline(obj) -> datetime.datetime:
        return obj.task.deadline

    @staticmethod
    def resolve_task_status(obj) -> str:
        return obj.task.status

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_responsible_name(obj) -> str:
        return obj.responsible.name if obj.responsible_id else ""

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return tasks.is_overdue(obj)


class EvidenceOut(Schema):
    id: int
    name: str
    size: int
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/tasks/evidence/{obj.pk}/"


class ReportOut(Schema):
    id: int
    kind: str
    text: str
    progress: int
    submitted_at: datetime.datetime
    evidence: list[EvidenceOut] = []

    @staticmethod
    def resolve_evidence(obj) -> list:
        return list(obj.evidence.all())


class ReviewOut(Schema):
    id: int
    decision: str
    comment: str
    at: datetime.datetime


class TargetDetailOut(TargetOut):
    requirements: str
    evidence_expected: str
    attachments: list[AttachmentOut]
    reports: list[ReportOut]
    reviews: list[ReviewOut]

    @staticmethod
    def resolve_requirements(obj) -> str:
        return obj.task.requirements

    @staticmethod
    def resolve_evidence_expected(obj) -> str:
        return obj.task.evidence_expected

    @staticmethod
    def resolve_attachments(obj) -> list:
        return obj.history["attachments"]

    @staticmethod
    def resolve_reports(obj) -> list:
        return obj.history["reports"]

    @staticmethod
    def resolve_reviews(obj) -> list:
        return obj.history["reviews"]


class AssignIn(Schema):
    person_id: ObjectId


class ReportIn(Schema):
    text: str
    progress: int = Field(..., ge=0, le=100)


class ReviewIn(Schema):
    decision: str = Field(..., description="accept（通过）或 return（退回，须填写 comment）")
    comment: str = ""


class TargetFilters(Schema):
    status: str = Field("", description="状态、看板列（issued/doing/submitted/returned/accepted）或 overdue")
    unit_id: ObjectId | None = None


class TaskFilters(Schema):
    status: str = ""
    q: str = ""


class StatsRow(Schema):
    unit_id: int | None
    label: str
    total: int
    received: int
    submitted: int
    accepted: int
    on_time: int
    overdue: int
    completion_rate: float | None
    on_time_rate: float | None


class StatsOut(Schema):
    unit_id: int
    unit_name: str
    rows: list[StatsRow]
    totals: StatsRow


def _row(r) -> dict:
    return {
        "unit_id": r.unit.pk if r.unit else None,
        "label": r.label,
        "total": r.total,
        "received": r.received,
        "submitted": r.submitted,
        "accepted": r.accepted,
        "on_time": r.on_time,
        "overdue": r.overdue,
        "completion_rate": r.completion_rate,
        "on_time_rate": r.on_time_rate,
    }


def _task_out(user, task_id):
    return selectors.issued_tasks(user).prefetch_related("attachments").get(pk=task_id)


# --- tasks (issuer) ---------------------------------------------------------------------------------


@router.get("/", response={200: list[TaskOut], **READ_ERRORS}, summary="我下发（可见）的任务")
@paginate
def list_tasks(request, filters: Query[TaskFilters]):
    return selectors.issued_tasks(request.user, filters=filters.dict())


@router.post("/", response={201: TaskDetailOut, **WRITE_ERRORS}, summary="新建任务（草稿或立即下发）")
def create_task(request, payload: TaskIn):
    task = tasks.task_create(
        actor=request.user,
        issuer_id=payload.issuer_id,
        title=payload.title,
        requirements=payload.requirements,
        evidence_expected=payload.evidence_expected,
        deadline=payload.deadline,
        issue=payload.issue,
        target_kinds=payload.target_kinds,
        target_unit_ids=payload.target_unit_ids,
    )
    return 201, _task_out(request.user, task.pk)


@router.get("/{int:task_id}", response={200: TaskDetailOut, **READ_ERRORS}, summary="任务详情")
def get_task(request, task_id: ObjectId):
    task = tasks.access_task(request.user, task_id)
    return _task_out(request.user, task.pk)


@router.post("/{int:task_id}/issue", response={200: TaskDetailOut, **WRITE_ERRORS}, summary="下发草稿")
def issue_task(request, task_id: ObjectId, payload: IssueIn):
    tasks.task_issue(
        actor=request.user, task_id=task_id, target_kinds=payload.target_kinds, target_unit_ids=payload.target_unit_ids
    )
    return _task_out(request.user, task_id)


@router.post("/{int:task_id}/cancel", response={200: TaskDetailOut, **WRITE_ERRORS}, summary="撤销任务")
def cancel_task(request, task_id: ObjectId, payload: CancelIn):
    tasks.task_cancel(actor=request.user, task_id=task_id, reason=payload.reason)
    return _task_out(request.user, task_id)


@router.post("/{int:task_id}/close", response={200: TaskDetailOut, **WRITE_ERRORS}, summary="结束任务")
def close_task(request, task_id: ObjectId):
    tasks.task_close(actor=request.user, task_id=task_id)
    return _task_out(request.user, task_id)


# --- targets (receiving units) -------------------------------------------------------------------------


def _target_detail(user, target):
    reports, reviews = selectors.target_history(target)
    attachments = list(target.task.attachments.order_by("pk"))
    target.history = {"attachments": attachments, "reports": reports, "reviews": reviews}
    return target


@router.get("/targets", response={200: list[TargetOut], **READ_ERRORS}, summary="我的任务看板（承办）")
@paginate
def list_targets(request, filters: Query[TargetFilters]):
    return selectors.my_targets(request.user, status=filters.status, unit_id=filters.unit_id)


@router.get(
    "/targets/{int:target_id}", response={200: TargetDetailOut, **READ_ERRORS}, summary="承办详情（打开即接收）"
)
def get_target(request, target_id: ObjectId):
    target = tasks.access_target(request.user, target_id)
    target = tasks.target_open(actor=request.user, target=target)
    return _target_detail(request.user, target)


def _reload(user, target_id):
    return _target_detail(user, tasks.access_target(user, target_id))


@router.post("/targets/{int:target_id}/assign", response={200: TargetDetailOut, **WRITE_ERRORS}, summary="指定责任人")
def assign_target(request, target_id: ObjectId, payload: AssignIn):
    tasks.target_assign(actor=request.user, target_id=target_id, person_id=payload.person_id)
    return _reload(request.user, target_id)


@router.post("/targets/{int:target_id}/report", response={200: TargetDetailOut, **WRITE_ERRORS}, summary="报告进展")
def report_target(request, target_id: ObjectId, payload: ReportIn):
    tasks.target_report(actor=request.user, target_id=target_id, text=payload.text, progress=payload.progress)
    return _reload(request.user, target_id)


@router.post(
    "/targets/{int:target_id}/submit",
    response={200: TargetDetailOut, **WRITE_ERRORS},
    summary="报送完成情况（multipart）",
)
def submit_target(request, target_id: ObjectId, text: Form[str], files: File[list[UploadedFile]] = None):
    tasks.target_submit(actor=request.user, target_id=target_id, text=text, files=files or [])
    return _reload(request.user, target_id)


@router.post(
    "/targets/{int:target_id}/review", response={200: TargetDetailOut, **WRITE_ERRORS}, summary="审核（通过/退回）"
)
def review_target(request, target_id: ObjectId, payload: ReviewIn):
    tasks.target_review(actor=request.user, target_id=target_id, decision=payload.decision, comment=payload.comment)
    return _reload(request.user, target_id)


# --- statistics ---------------------------------------------------------------------------------------


@router.get("/stats", response={200: StatsOut, **READ_ERRORS}, summary="下级单位任务完成统计")
def stats(request, unit_id: ObjectId | None = None):
    tops = selectors.stats_units(request.user)
    unit = selectors.stats_unit(request.user, unit_id, tops)
    if unit is None:
        raise Http404
    rollup = selectors.subtree_stats(request.user, unit, now=timezone.now())
    return {
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "rows": [_row(r) for r in rollup.rows],
        "totals": _row(rollup.totals),
    }
