"""/api/people: the roster over REST, through the same selectors and services as the pages."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.errors import DomainError
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, holds

from . import selectors, services
from .schemas import (
    CommitteeEndIn,
    CommitteeSeatIn,
    CommitteeSeatOut,
    PersonCreateIn,
    PersonEventOut,
    PersonListOut,
    PersonOut,
    PersonPatchIn,
)

router = Router(tags=["people"])


class RosterFilters(Schema):
    q: str | None = None
    unit: int | None = None
    status: str | None = None
    category: str | None = None
    flag: str | None = None
    roster: str | None = None
    sort: str | None = None


def _person_in_view(request, person_id: int):
    """A person in the caller's scope, or the caller's own record; 404 otherwise."""
    own = selectors.own_person(request.auth)
    if own is not None and own.pk == person_id:
        return own
    return services.access_person_by_id(request.auth, person_id)


def _unit_id_for(user, *, unit_id, unit_code, perm: str) -> int | None:
    if unit_id is not None or not unit_code:
        return unit_id
    unit = OrgUnit.objects.restrict(user, perm).filter(code__iexact=unit_code.strip()).only("id").first()
    if unit is None:
        message = f"没有找到编码为 {unit_code} 的党组织，或您无权在该组织录入人员"
        raise DomainError(message, errors=[{"field": "unit_code", "message": message}])
    return unit.pk


@router.get("", response=list[PersonListOut], summary="人员名册（分页、筛选，证件号与手机号已脱敏）")
@paginate
def person_list(request, filters: Query[RosterFilters]):
    if not holds(request.auth, "people.view_person"):
        raise PermissionDenied
    return selectors.person_list(user=request.auth, filters=filters.dict(exclude_none=True))


@router.get("/me", response=PersonOut, summary="我的档案")
def person_me(request):
    person = selectors.own_person(request.auth)
    if person is None:
        raise Http404
    return person


@router.get("/{int:person_id}", response=PersonOut, summary="人员详情（?reveal=1 返回完整证件号：需权限，记入审计）")
def person_detail(request, person_id: int, reveal: bool = False):
    person = _person_in_view(request, person_id)
    data = PersonOut.from_orm(person).dict()
    if reveal:
        person = services.access_person_by_id(request.auth, person_id)
        data["id_number"] = selectors.person_reveal_id_number(user=request.auth, person=person)
    return data


@router.post("", response={201: PersonOut}, summary="新建人员")
def person_create(request, payload: PersonCreateIn):
    data = payload.dict()
    unit_id = _unit_id_for(
        request.auth, unit_id=data.pop("unit_id"), unit_code=data.pop("unit_code"), perm="people.add_person"
    )
    if unit_id is None:
        raise DomainError("请填写所在党组织", errors=[{"field": "unit_id", "message": "请填写所在党组织"}])
    person = services.person_create(actor=request.auth, unit_id=unit_id, **data)
    return 201, person


@router.patch("/{int:person_id}", response=PersonOut, summary="修改人员（只改提交的字段）")
def person_update(request, person_id: int, payload: PersonPatchIn):
    data = payload.dict(exclude_unset=True)
    unit_code = data.pop("unit_code", None)
    if unit_code and "unit_id" not in data:
        data["unit_id"] = _unit_id_for(request.auth, unit_id=None, unit_code=unit_code, perm="people.change_person")
    for key in (
        "unit_id",
        "name",
        "gender",
        "category",
        "political_status",
        "birth_date",
        "is_mobile",
        "is_lost_contact",
        "is_abroad",
    ):
        if key in data and data[key] is None:
            raise DomainError("该字段不能为空", errors=[{"field": key, "message": "该字段不能为空"}])
    for key in ("ethnicity", "phone", "staff_number", "college", "department", "education"):
        if key in data and data[key] is None:
            data[key] = ""
    if data.get("id_number") is None:
        data.pop("id_number", None)
    return services.person_update(actor=request.auth, person_id=person_id, **data)


@router.get("/{int:person_id}/events", response=list[PersonEventOut], summary="人员变动记录")
@paginate
def person_events(request, person_id: int):
    person = _person_in_view(request, person_id)
    return selectors.person_events(person)


@router.get(
    "/units/{int:unit_id}/committee", response=list[CommitteeSeatOut], summary="组织委员（在任在前，含离任记录）"
)
@paginate
def committee_list(request, unit_id: int):
    unit = access_by_id(request.auth, OrgUnit, unit_id)
    return selectors.unit_committee_history(unit)


@router.post("/units/{int:unit_id}/committee", response={201: CommitteeSeatOut}, summary="登记委员（须正式党员）")
def committee_add(request, unit_id: int, payload: CommitteeSeatIn):
    seat = services.committee_seat_add(actor=request.auth, unit_id=unit_id, **payload.dict())
    return 201, seat


@router.post("/committee/{int:seat_id}/end", response=CommitteeSeatOut, summary="委员离任")
def committee_end(request, seat_id: int, payload: CommitteeEndIn):
    return services.committee_seat_end(actor=request.auth, seat_id=seat_id, ended_on=payload.ended_on)
