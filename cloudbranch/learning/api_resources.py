"""/api/learning: resources, heartbeats, my progress, topics, my study record — through the same
selectors and services as the pages."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS

from . import resources as svc
from . import tracking
from .audience import viewer_person
from .choices import PublishStatus

router = Router(tags=["学习"])


class KnowledgePointOut(Schema):
    id: int
    name: str


class ResourceOut(Schema):
    id: int
    kind: str
    title: str
    summary: str
    column: str
    area: str
    unit_id: int
    unit_name: str
    audience: str
    status: str
    published_at: datetime.datetime | None
    duration_seconds: int
    url: str
    done: bool = False

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_url(obj) -> str:
        return reverse("learning:resource", args=[obj.pk])

    @staticmethod
    def resolve_done(obj) -> bool:
        return bool(getattr(obj, "done", False))


class ProgressOut(Schema):
    resource_id: int
    seconds: int
    position: int
    max_position: int
    percent: int
    completed_at: datetime.datetime | None


class ResourceDetailOut(ResourceOut):
    body: str
    author: str
    external_url: str
    file_url: str | None
    min_seconds: int
    min_percent: int
    knowledge_points: list[KnowledgePointOut]
    my_progress: ProgressOut | None = None

    @staticmethod
    def resolve_file_url(obj) -> str | None:
        return reverse("learning:resource_file", args=[obj.pk]) if obj.file else None

    @staticmethod
    def resolve_knowledge_points(obj) -> list:
        return list(obj.knowledge_points.all())


class ResourceFiltersIn(Schema):
    column: str | None = None
    area: str | None = None
    kp: int | None = Field(None, ge=1, le=2**31 - 1, description="知识点 id")
    q: str | None = Field(None, max_length=100, description="搜索（中文全文）")
    kind: str | None = None


class BeatIn(Schema):
    position: float | None = Field(None, ge=0, le=86400, description="播放位置（秒）")
    duration: float | None = Field(None, ge=0, le=86400, description="媒体时长（秒）")


class TopicOut(Schema):
    id: int
    title: str
    description: str
    unit_id: int
    unit_name: str
    audience: str
    status: str
    published_at: datetime.datetime | None

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.name


class TopicItemOut(Schema):
    position: int
    resource_id: int
    title: str
    kind: str


class TopicDetailOut(TopicOut):
    items: list[TopicItemOut]

    @staticmethod
    def resolve_items(obj) -> list:
        return obj.reading_list


class MonthOut(Schema):
    month: int
    seconds: int
    hours: Decimal


class YearOut(Schema):
    year: int
    seconds: int
    hours: Decimal
    months: list[MonthOut]


class StudyRecordOut(Schema):
    person_id: int
    total_hours: Decimal
    years: list[YearOut]


def _person_or_403(user):
    person = viewer_person(user)
    if person is None:
        raise PermissionDenied
    return person


@router.get("/resources", response={200: list[ResourceOut], **READ_ERRORS})
@paginate
def resources_list(request, filters: Query[ResourceFiltersIn]):
    """Published resources the caller may read (column, area, knowledge point, kind filters;
    ``q`` = Chinese full-text search, best match first)."""
    svc.require_reader(request.user)
    params = {k: v for k, v in filters.dict().items() if v not in (None, "")}
    return svc.resource_list(request.user, svc.ResourceFilters.from_params(params))


@router.get("/resources/{resource_id}", response={200: ResourceDetailOut, **READ_ERRORS})
def resource_detail(request, resource_id: int):
    resource = svc.access_resource_for_reading(request.user, resource_id)
    resource.my_progress = svc.progress_of(viewer_person(request.user), resource)
    return resource


@router.post("/resources/{resource_id}/beat", response={200: ProgressOut, **WRITE_ERRORS})
def resource_beat(request, resource_id: int, payload: BeatIn):
    """A study heartbeat (send every 15 s while the resource is on screen)."""
    resource = svc.access_resource_for_reading(request.user, resource_id)
    person = _person_or_403(request.user)
    if resource.status != PublishStatus.PUBLISHED:
        raise PermissionDenied
    return tracking.heartbeat(person=person, resource=resource, position=payload.position, duration=payload.duration)


@router.get("/progress", response={200: list[ProgressOut], **READ_ERRORS})
@paginate
def my_progress(request):
    """My study progress, most recently studied first."""
    return tracking.my_progress(_person_or_403(request.user))


@router.get("/topics", response={200: list[TopicOut], **READ_ERRORS})
@paginate
def topics_list(request):
    svc.require_reader(request.user)
    return svc.topic_list(request.user)


@router.get("/topics/{topic_id}", response={200: TopicDetailOut, **READ_ERRORS})
def topic_detail(request, topic_id: int):
    topic = svc.access_topic_for_reading(request.user, topic_id)
    topic.reading_list = [
        {"position": i.position, "resource_id": i.resource_id, "title": i.resource.title, "kind": i.resource.kind}
        for i in svc.topic_items(request.user, topic)
    ]
    return topic


@router.get("/study", response={200: StudyRecordOut, **READ_ERRORS})
def my_study(request):
    """My study record: hours per year and month (rounded to 0.1 h)."""
    person = _person_or_403(request.user)
    record = tracking.study_record(person)
    return {
        "person_id": person.pk,
        "total_hours": tracking.hours(sum(r.seconds for r in record)),
        "years": [
            {
                "year": r.year,
                "seconds": r.seconds,
                "hours": r.hours,
                "months": [{"month": m, "seconds": s, "hours": h} for m, s, h in r.month_rows()],
            }
            for r in record
        ],
    }
