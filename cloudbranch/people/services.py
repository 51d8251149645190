"""Writes to the roster. Each service checks scope itself, runs in one transaction, records
``PersonEvent`` history and an audit row in that transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudbranch.audit.services import audit_event, audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can
from cloudbranch.orgs.services import unit_term_record

from . import idcard
from .choices import CommitteePosition, PersonEventKind, PoliticalStatus, RosterStatus
from .models import CommitteeMembership, Person, PersonEvent
from .validation import check_person

MEMBER_UNIT_KINDS = frozenset({UnitKind.BRANCH, UnitKind.MOBILE_BRANCH, UnitKind.GROUP})
PERSON_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "phone",
    "staff_number",
    "category",
    "college",
    "department",
    "education",
    "political_status",
    "unit",
    "applied_on",
    "activist_on",
    "candidate_on",
    "joined_on",
    "confirmed_on",
    "is_mobile",
    "is_lost_contact",
    "is_abroad",
)
AUDITED_FIELDS = (*PERSON_FIELDS, "id_number")
SENSITIVE_FIELDS = frozenset({"id_number", "phone"})
FLAG_FIELDS = ("is_mobile", "is_lost_contact", "is_abroad")


def access_person_by_id(user, person_id, *, action: str = "view") -> Person:
    return access_by_id(user, Person, person_id, action=action, queryset=Person.objects.select_related("unit"))


def check_member_unit(unit: OrgUnit) -> str | None:
    if not unit.is_active:
        return _("党组织 %(name)s 已撤销或合并") % {"name": unit.name}
    if unit.kind not in MEMBER_UNIT_KINDS:
        return _("人员只能编入党支部、流动党支部或党小组，%(name)s 是%(kind)s") % {
            "name": unit.name,
            "kind": UnitKind(unit.kind).label,
        }
    return None


def _raise_if(errors: list[dict]) -> None:
    if errors:
        raise DomainError(_("请检查填写的内容：") + "；".join(e["message"] for e in errors), errors=errors)


def _duplicate_id_error(id_number: str, *, exclude_pk=None) -> dict | None:
    qs = Person.objects.with_id_number(id_number)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        return {"field": "id_number", "message": _("该身份证号已登记在册")}
    return None


def person_create(*, actor, unit_id: int, id_number: str, **fields) -> Person:
    """Enter a new person on the roster of a branch the actor manages."""
    with transaction.atomic():
        unit = access_by_id(actor, OrgUnit, unit_id)
        if not can(actor, "people.add_person", unit):
            raise PermissionDenied
        data = {**fields, "id_number": id_number}
        errors = check_person(data)
        if (msg := check_member_unit(unit)) is not None:
            errors.append({"field": "unit", "message": msg})
        if not errors:
            if (dup := _duplicate_id_error(idcard.normalize(id_number))) is not None:
                errors.append(dup)
        _raise_if(errors)
        parsed = idcard.parse(id_number)
        if not fields.get("birth_date"):  # derived from the ID number when not given (or given as None)
            fields["birth_date"] = parsed.birth_date
        person = Person(unit=unit, **{k: v for k, v in fields.items() if k in PERSON_FIELDS})
        person.set_id_number(parsed.value)
        person.save()
        PersonEvent.objects.create(
            person=person,
            kind=PersonEventKind.CREATED,
            actor=_user(actor),
            new_value=person.get_political_status_display(),
            details={"unit": unit.pk},
        )
        audit_record(
            actor=actor,
            action="people.person.create",
            target=person,
            changes=new_person_changes(person),
        )
    return person


def new_person_changes(person: Person) -> dict:
    """The audit ``changes`` of a newly entered person: every field set, ID and phone masked."""
    return field_changes(
        {}, {**snapshot(person, PERSON_FIELDS), "id_number": "set"}, fields=AUDITED_FIELDS, sensitive=SENSITIVE_FIELDS
    )


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def person_update(*, actor, person_id: int, effective_on=None, **changes) -> Person:
    """Change a person's fields. A change of political status, unit or flags becomes a
    ``PersonEvent`` (with ``effective_on`` when given); nothing is overwritten silently."""
    unknown = set(changes) - set(PERSON_FIELDS) - {"id_number", "unit_id"}
    if unknown:
        raise DomainError(_("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    with transaction.atomic():
        person = access_person_by_id(actor, person_id, action="change")
        before = {**snapshot(person, PERSON_FIELDS), "id_number": person.id_number_hash}
        new_unit = None
        if "unit_id" in changes or "unit" in changes:
            # Pop both keys: a "unit" left in ``changes`` would be set below without the scope check.
            unit_obj = changes.pop("unit", None)
            target_id = changes.pop("unit_id", None) or getattr(unit_obj, "pk", unit_obj)
            try:
                target_id = int(target_id) if target_id is not None else person.unit_id
            except (TypeError, ValueError):
                raise DomainError(
                    _("所在党组织无效"), errors=[{"field": "unit", "message": _("所在党组织无效")}]
                ) from None
            if target_id != person.unit_id:
                new_unit = access_by_id(actor, OrgUnit, target_id)
                if not can(actor, "people.change_person", new_unit):
                    raise PermissionDenied
        new_id = changes.pop("id_number", None)
        for key, value in changes.items():
            setattr(person, key, value)
        data = {**snapshot(person, PERSON_FIELDS), "id_number": new_id or person.reveal_id_number()}
        data["birth_date"] = person.birth_date
        errors = check_person(data)
        if new_unit is not None and (msg := check_member_unit(new_unit)) is not None:
            errors.append({"field": "unit", "message": msg})
        if new_id and not errors:
            normalized = idcard.normalize(new_id)
            if (dup := _duplicate_id_error(normalized, exclude_pk=person.pk)) is not None:
                errors.append(dup)
            else:
                person.set_id_number(normalized)
        _raise_if(errors)
        if new_unit is not None:
            person.unit = new_unit
        after = {**snapshot(person, PERSON_FIELDS), "id_number": person.id_number_hash}
        diff = field_changes(before, after, fields=AUDITED_FIELDS, sensitive=SENSITIVE_FIELDS)
        if not diff:
            return person
        person.save()
        old_unit_name = ""
        if "unit" in diff:
            old_unit_name = OrgUnit.objects.filter(pk=before["unit"]).values_list("name", flat=True).first() or ""
        events = change_events(
            person, diff, before, actor=_user(actor), old_unit_name=old_unit_name, effective_on=effective_on
        )
        PersonEvent.objects.bulk_create(events)
        audit_record(actor=actor, action="people.person.update", target=person, changes=diff)
    return person


def person_record_change(
    *, actor, person: Person, changes: dict, effective_on=None, reason: str = "", details: dict | None = None
) -> Person:
    """Apply a change that a workflow of another area has already authorized: a development
    step sets the political status and its date, an approved transfer changes the unit or
    the roster status. No scope check here (the caller decided); the person rules
    (``check_person``) still apply, and the history event and the audit row are written in the
    caller's transaction. ``changes`` may hold PERSON_FIELDS, ``unit`` (an OrgUnit) and
    ``roster_status``."""
    allowed = {*PERSON_FIELDS, "roster_status"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(_("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    before = {**snapshot(person, PERSON_FIELDS), "roster_status": person.roster_status}
    for key, value in changes.items():
        setattr(person, key, value)
    data = {**snapshot(person, PERSON_FIELDS), "id_number": person.reveal_id_number()}
    data["birth_date"] = person.birth_date
    _raise_if(check_person(data))
    after = {**snapshot(person, PERSON_FIELDS), "roster_status": person.roster_status}
    diff = field_changes(before, after, fields=(*PERSON_FIELDS, "roster_status"), sensitive=SENSITIVE_FIELDS)
    if not diff:
        return person
    person.save()
    old_unit_name = ""
    if "unit" in diff:
        old_unit_name = OrgUnit.objects.filter(pk=before["unit"]).values_list("name", flat=True).first() or ""
    info = {**(details or {}), **({"reason": reason} if reason else {})}
    events = change_events(
        person, diff, before, actor=_user(actor), old_unit_name=old_unit_name, effective_on=effective_on, details=info
    )
    PersonEvent.objects.bulk_create(events)
    audit_record(actor=actor, action="people.person.update", target=person, changes=diff)
    return person


def change_events(
    person: Person, diff: dict, before: dict, *, actor, old_unit_name: str, effective_on=None, details=None
) -> list[PersonEvent]:
    """The history rows for one change of a person (unsaved): one each for a new political
    status, a new unit, changed flags, and one for any other fields. ``diff`` is the audit diff
    of the change, ``before`` the snapshot taken before it."""
    details = details or {}

    def event(kind, **fields):
        return PersonEvent(person=person, kind=kind, actor=actor, effective_on=effective_on, **fields)

    events = []
    if "political_status" in diff:
        events.append(
            event(
                PersonEventKind.STATUS,
                old_value=PoliticalStatus(before["political_status"]).label,
                new_value=person.get_political_status_display(),
                details=details,
            )
        )
    if "unit" in diff:
        events.append(
            event(
                PersonEventKind.UNIT,
                old_value=old_unit_name,
                new_value=person.unit.name,
                details={**details, "old_unit": before["unit"], "new_unit": person.unit_id},
            )
        )
    if set(diff) & set(FLAG_FIELDS):
        events.append(
            event(PersonEventKind.FLAGS, details={**details, **{f: diff[f] for f in FLAG_FIELDS if f in diff}})
        )
    rest = set(diff) - {"political_status", "unit", *FLAG_FIELDS}
    if rest:
        events.append(event(PersonEventKind.UPDATED, details={**details, "fields": sorted(rest)}))
    return events


# --- hooks called by the org tree services (registered in apps.py) ------------------------


def move_members_on_merge(*, actor, source: OrgUnit, target: OrgUnit) -> dict:
    """Members of a merged unit move to the unit it merges into, each with a history event."""
    people = list(Person.objects.filter(unit=source, roster_status=RosterStatus.ACTIVE))
    events, audits = [], []
    for person in people:
        events.append(
            PersonEvent(
                person=person,
                kind=PersonEventKind.UNIT,
                actor=_user(actor),
                old_value=source.name,
                new_value=target.name,
                details={"old_unit": source.pk, "new_unit": target.pk, "reason": "merge"},
            )
        )
        audits.append(
            audit_event(
                actor,
                action="people.person.update",
                target=person,
                changes={"unit": {"old": source.pk, "new": target.pk}},
            )
        )
    Person.objects.filter(pk__in=[p.pk for p in people]).update(unit=target)
    PersonEvent.objects.bulk_create(events)
    if audits:
        from cloudbranch.audit.services import audit_bulk

        audit_bulk(audits)
    return {"people_moved": len(people)}


def members_block_dissolve(*, unit: OrgUnit) -> list[str]:
    n = Person.objects.filter(unit=unit, roster_status=RosterStatus.ACTIVE).count()
    return [_("还有 %(n)d 名在册人员，请先转出或合并。") % {"n": n}] if n else []


# --- committee seats (支委会 / 党委委员) ------------------------------------------------------


def _committee_unit(actor, unit_id: int) -> OrgUnit:
    """Seats are recorded by whoever may change the unit (the higher committee that approves
    the election result): org admin or committee secretary above it."""
    unit = access_by_id(actor, OrgUnit, unit_id)
    if not can(actor, "orgs.change_orgunit", unit):
        raise PermissionDenied
    if not unit.is_active:
        raise ConflictError(_("已撤销或合并的组织不能调整委员。"))
    return unit


def committee_seat_add(*, actor, unit_id: int, person_id: int, position: str, started_on) -> CommitteeMembership:
    """Seat a full member on a unit's committee.

    Rules: only full members (正式党员) of the unit's own subtree — probationary members have no
    right to elect or be elected (党章 第七条); one sitting secretary per unit; a person holds one
    seat per unit at a time; the start date is not in the future.
    """
    with transaction.atomic():
        unit = _committee_unit(actor, unit_id)
        errors = []
        if position not in CommitteePosition.values:
            errors.append({"field": "position", "message": _("请选择职务")})
        person = (
            Person.objects.select_for_update()
            .filter(pk=person_id, unit__path__startswith=unit.path, roster_status=RosterStatus.ACTIVE)
            .first()
        )
        if person is None:
            errors.append({"field": "person", "message": _("该人员不在本组织（含下级）的名册中")})
        elif person.political_status != PoliticalStatus.FULL:
            errors.append({"field": "person", "message": _("只有正式党员才能担任委员（预备党员没有被选举权）")})
        if started_on is None:
            errors.append({"field": "started_on", "message": _("请填写任职日期")})
        elif started_on > timezone.localdate():
            errors.append({"field": "started_on", "message": _("任职日期不能晚于今天")})
        seats = CommitteeMembership.objects.filter(unit=unit, ended_on__isnull=True)
        if person is not None and seats.filter(person=person).exists():
            errors.append({"field": "person", "message": _("该人员已是本届委员，请先办理离任再调整职务")})
        if position == CommitteePosition.SECRETARY and seats.filter(position=CommitteePosition.SECRETARY).exists():
            errors.append({"field": "position", "message": _("本组织已有在任书记，请先办理原书记离任")})
        _raise_if(errors)
        seat = CommitteeMembership.objects.create(unit=unit, person=person, position=position, started_on=started_on)
        audit_record(
            actor=actor,
            action="people.committee.add",
            target=seat,
            changes={
                "unit": {"new": unit.pk},
                "person": {"new": person.pk},
                "position": {"new": position},
                "started_on": {"new": started_on},
            },
        )
    return seat


def committee_seat_end(*, actor, seat_id: int, ended_on) -> CommitteeMembership:
    """Close a seat (term over, resignation, transfer). The row is kept as history."""
    with transaction.atomic():
        seat = (
            CommitteeMembership.objects.restrict(actor, "orgs.view_orgunit")
            .select_related("unit")
            .filter(pk=seat_id)
            .first()
        )
        if seat is None:
            raise Http404
        _committee_unit(actor, seat.unit_id)
        if seat.ended_on is not None:
            raise ConflictError(_("该委员已离任。"))
        if ended_on is None or ended_on < seat.started_on:
            msg = _("离任日期不能早于任职日期")
            raise DomainError(msg, errors=[{"field": "ended_on", "message": msg}])
        if ended_on > timezone.localdate():
            msg = _("离任日期不能晚于今天")
            raise DomainError(msg, errors=[{"field": "ended_on", "message": msg}])
        seat.ended_on = ended_on
        seat.save(update_fields=["ended_on"])
        audit_record(actor=actor, action="people.committee.end", target=seat, changes={"ended_on": {"new": ended_on}})
    return seat


def committee_term_record(
    *, actor, unit: OrgUnit, seats: list[tuple[Person, str]], started_on, term_years: int, reason: str
) -> list[CommitteeMembership]:
    """Seat a newly elected committee (换届), decided by a workflow that has already authorized it
    (an election result approved by the unit above): every sitting member's seat ends on
    ``started_on``, the new seats start that day, and the unit's term starts again. No scope check
    here; the person rules still apply (full members only, one secretary) and every row is
    audited in the caller's transaction."""
    errors = []
    positions = [position for _person, position in seats]
    for person, position in seats:
        if position not in CommitteePosition.values:
            errors.append({"field": "position", "message": _("“%(p)s”不是有效的职务") % {"p": position}})
        if person.political_status != PoliticalStatus.FULL:
            errors.append({"field": "person", "message": _("%(n)s 不是正式党员，不能担任委员") % {"n": person.name}})
    if positions.count(CommitteePosition.SECRETARY) > 1:
        errors.append({"field": "position", "message": _("一个组织只能有一名书记")})
    if len({person.pk for person, _position in seats}) != len(seats):
        errors.append({"field": "person", "message": _("同一人不能担任两个职务")})
    _raise_if(errors)
    sitting = list(CommitteeMembership.objects.select_for_update().filter(unit=unit, ended_on__isnull=True))
    for seat in sitting:
        seat.ended_on = max(started_on, seat.started_on)
        seat.save(update_fields=["ended_on"])
        audit_record(
            actor=actor,
            action="people.committee.end",
            target=seat,
            changes={"ended_on": {"new": seat.ended_on}, "reason": {"new": reason}},
        )
    created = []
    for person, position in seats:
        seat = CommitteeMembership.objects.create(unit=unit, person=person, position=position, started_on=started_on)
        audit_record(
            actor=actor,
            action="people.committee.add",
            target=seat,
            changes={
                "unit": {"new": unit.pk},
                "person": {"new": person.pk},
                "position": {"new": position},
                "started_on": {"new": started_on},
                "reason": {"new": reason},
            },
        )
        created.append(seat)
    unit_term_record(actor=actor, unit=unit, started_on=started_on, term_years=term_years, reason=reason)
    return created
