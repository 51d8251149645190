"""/api/learning/tasks: study tasks over REST, through the same selectors and services as the pages."""

from __future__ import annotations

import datetime

from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS
from cloudbranch.people.selectors import own_person

from . import tasks

router = Router(tags=["学习任务"])


class TaskIn(Schema):
    unit_id: int
    title: str
    description: str = ""
    deadline: datetime.date
    resource_ids: list[int] = []
    paper_id: int | None = None
    scope: str = Field(tasks.SCOPE_SUBTREE, description="subtree（本组织及下级全体）或 chosen（指定人员）")
    statuses: list[str] = Field([], description="subtree 时按政治面貌筛选，如 [probationary, full]")
    person_ids: list[int] = []


class CancelIn(Schema):
    reason: str


class TaskOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    title: str
    description: str
    deadline: datetime.date
    status: str
    resource_ids: list[int]
    paper_id: int | None
    created_at: datetime.datetime
    assignees: int
    completed: int

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_resource_ids(obj) -> list[int]:
        return [r.pk for r in obj.resources.all()]

    @staticmethod
    def resolve_assignees(obj) -> int:
        return getattr(obj, "assignee_count", 0)

    @staticmethod
    def resolve_completed(obj) -> int:
        return getattr(obj, "completed_count", 0)


class ProgressOut(Schema):
    person_id: int
    name: str
    unit_id: int
    unit_name: str
    resources_done: int
    resources_total: int
    exam_passed: bool | None
    completed_at: datetime.datetime | None
    on_time: bool
    overdue: bool

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.is_overdue


class RollupRowOut(Schema):
    unit_id: int | None
    unit_name: str
    total: int
    completed: int
    on_time: int
    overdue: int
    rate: float | None


class RollupOut(Schema):
    unit_id: int
    unit_name: str
    rows: list[RollupRowOut]
    totals: RollupRowOut


class MyResourceOut(Schema):
    id: int
    title: str
    kind: str
    done: bool
    url: str


class MyTaskOut(Schema):
    task_id: int
    title: str
    description: str
    unit_name: str
    deadline: datetime.date
    days_left: int
    status: str
    completed_at: datetime.datetime | None
    resources: list[MyResourceOut]
    paper_id: int | None
    exam_passed: bool | None
    exam_url: str
    done: int
    total: int


def _out(user, task_id: int):
    task = tasks.task_list(user=user).select_related(None).select_related("unit").prefetch_related("resources")
    return task.get(pk=task_id)


def _row(r, *, total=False) -> dict:
    return {
        "unit_id": r.unit.pk if r.unit is not None else None,
        "unit_name": "合计" if total else r.label,
        "total": r.total,
        "completed": r.completed,
        "on_time": r.on_time,
        "overdue": r.overdue,
        "rate": r.rate,
    }


@router.get("/tasks", response={200: list[TaskOut], **READ_ERRORS}, summary="学习任务列表（管理者，按范围）")
@paginate
def task_list(request, q: str | None = None, status: str | None = None, unit: int | None = None):
    qs = tasks.task_list(user=request.auth, filters={"q": q, "status": status, "unit": unit})
    return qs.prefetch_related("resources")


@router.post("/tasks", response={201: TaskOut, **WRITE_ERRORS}, summary="布置学习任务（冻结布置对象并通知）")
def task_create(request, payload: TaskIn):
    task = tasks.task_assign(actor=request.auth, **payload.dict())
    return 201, _out(request.auth, task.pk)


@router.get("/tasks/mine", response={200: list[MyTaskOut], **READ_ERRORS}, summary="我的学习任务（待完成在前）")
@paginate
def my_tasks(request, done: bool = False):
    person = own_person(request.auth)
    if person is None:
        return []
    return _MyPage(person, tasks.my_assignments(person, done=done))


class _MyPage:
    """Sliceable wrapper: decorate one page of the person's assignments (three queries)."""

    def __init__(self, person, qs):
        self.person, self.qs = person, qs

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        rows = tasks.with_my_progress(self.person, self.qs[index])
        return [
            {
                "task_id": a.task_id,
                "title": a.task.title,
                "description": a.task.description,
                "unit_name": a.task.unit.name,
                "deadline": a.task.deadline,
                "days_left": a.days_left,
                "status": a.task.status,
                "completed_at": a.completed_at,
                "resources": [
                    {"id": r.pk, "title": r.title, "kind": r.kind, "done": done, "url": url}
                    for r, done, url in a.resource_items
                ],
                "paper_id": a.task.paper_id,
                "exam_passed": a.exam_passed,
                "exam_url": a.exam_link,
                "done": a.steps_done,
                "total": a.steps_total,
            }
            for a in rows
        ]


@router.get("/tasks/{int:task_id}", response={200: TaskOut, **READ_ERRORS}, summary="学习任务详情")
def task_detail(request, task_id: int):
    tasks.access_task(request.auth, task_id)
    return _out(request.auth, task_id)


class _ProgressPage:
    def __init__(self, view, qs, today):
        self.view, self.qs, self.today = view, qs, today

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        return tasks.decorate(list(self.qs[index]), self.view.task, today=self.today)


@router.get(
    "/tasks/{int:task_id}/people",
    response={200: list[ProgressOut], **READ_ERRORS},
    summary="学习任务人员进度（分页；status=done/open/overdue，unit=组织及下级）",
)
@paginate
def task_people(request, task_id: int, status: str | None = None, unit: int | None = None):
    view = tasks.access_task(request.auth, task_id)
    today = timezone.localdate()
    at = tasks.rollup_unit(view, unit) if unit else None
    return _ProgressPage(view, tasks.task_progress(view, status=status, unit=at, today=today), today)


@router.get(
    "/tasks/{int:task_id}/units",
    response={200: RollupOut, **READ_ERRORS},
    summary="学习任务各组织完成率（下级组织逐级汇总；unit=在该组织下展开）",
)
def task_units(request, task_id: int, unit: int | None = None):
    view = tasks.access_task(request.auth, task_id)
    rollup = tasks.task_rollup(view, at=tasks.rollup_unit(view, unit))
    return {
        "unit_id": rollup.at.pk,
        "unit_name": rollup.at.name,
        "rows": [_row(r) for r in rollup.rows],
        "totals": _row(rollup.totals, total=True),
    }


@router.post("/tasks/{int:task_id}/close", response={200: TaskOut, **WRITE_ERRORS}, summary="结束学习任务")
def task_close(request, task_id: int):
    tasks.task_close(actor=request.auth, task_id=task_id)
    return _out(request.auth, task_id)


@router.post("/tasks/{int:task_id}/cancel", response={200: TaskOut, **WRITE_ERRORS}, summary="取消学习任务（须填原因）")
def task_cancel(request, task_id: int, payload: CancelIn):
    tasks.task_cancel(actor=request.auth, task_id=task_id, reason=payload.reason)
    return _out(request.auth, task_id)
