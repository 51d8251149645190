"""Enrolment: eligibility per kind, since_months boundary, capacity and waiting list, preview
changed → 409, list import errors with row numbers (all-or-nothing), one person, withdrawal."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from openpyxl import Workbook

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.roles import Role
from cloudbranch.people.models import CommitteeMembership
from cloudbranch.school import enrolment as svc
from cloudbranch.school.choices import ClassKind, EnrolmentStatus
from cloudbranch.school.models import Enrolment
from cloudbranch.testing.factories import UserFactory, grant

from .factories import make_class, make_enrolment, make_student

pytestmark = pytest.mark.django_db


def _officer(world):
    user = UserFactory()
    grant(user, world.college_a, Role.COMMITTEE_SECRETARY)
    return user


def _xlsx(numbers) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["学号工号"])
    for n in numbers:
        ws.append([n])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("kind", "status", "ok"),
    [
        (ClassKind.ACTIVIST, "activist", True),
        (ClassKind.ACTIVIST, "candidate", False),
        (ClassKind.CANDIDATE, "candidate", True),
        (ClassKind.CANDIDATE, "activist", False),
        (ClassKind.PROBATIONARY, "probationary", True),
        (ClassKind.PROBATIONARY, "full", False),
    ],
)
def test_eligibility_per_status_kind(world, kind, status, ok):
    officer = _officer(world)
    tc = make_class(world.college_a, kind=kind)
    _, person = make_student(world.branch_a1, political_status=status)
    if ok:
        e = svc.enrol_add(actor=officer, class_id=tc.pk, person_id=person.pk)
        assert e.status == EnrolmentStatus.ENROLLED
    else:
        with pytest.raises(DomainError, match="不符合条件"):
            svc.enrol_add(actor=officer, class_id=tc.pk, person_id=person.pk)


def test_secretary_class_needs_a_current_branch_seat(world):
    officer = _officer(world)
    tc = make_class(world.college_a, kind=ClassKind.SECRETARY)
    _, seated = make_student(world.branch_a1, political_status="full")
    _, former = make_student(world.branch_a2, political_status="full")
    _, college_seat = make_student(world.branch_a2, political_status="full")
    CommitteeMembership.objects.create(
        unit=world.branch_a1, person=seated, position="secretary", started_on=datetime.date(2024, 1, 1)
    )
    CommitteeMembership.objects.create(
        unit=world.branch_a2,
        person=former,
        position="secretary",
        started_on=datetime.date(2020, 1, 1),
        ended_on=datetime.date(2023, 1, 1),
    )
    CommitteeMembership.objects.create(
        unit=world.college_a, person=college_seat, position="member", started_on=datetime.date(2024, 1, 1)
    )
    plan = svc.rule_preview(actor=officer, class_id=tc.pk, rule={})
    assert [p.pk for p in plan.places] == [seated.pk]


def test_only_people_of_the_class_subtree(world):
    officer = _officer(world)
    tc = make_class(world.college_a)
    _, outsider = make_student(world.branch_b1)
    with pytest.raises(DomainError, match="招收范围"):
        svc.enrol_add(actor=officer, class_id=tc.pk, person_id=outsider.pk)


def test_since_months_boundary_is_inclusive(world):
    _officer(world)
    tc = make_class(world.college_a)
    today = datetime.date(2025, 3, 31)
    _, exactly = make_student(world.branch_a1, activist_on=datetime.date(2024, 3, 31), name="甲")
    _, day_before = make_student(world.branch_a1, activist_on=datetime.date(2024, 3, 30), name="乙")
    _, undated = make_student(world.branch_a1, activist_on=None, name="丙")
    plan = svc.rule_plan(tc, {"since_months": 12}, today=today)
    assert [p.pk for p in plan.places] == [exactly.pk]
    assert [(p.pk, "未登记" in r) for p, r in plan.skipped] == [(undated.pk, True)]
    assert day_before.pk not in [p.pk for p in plan.people]
    assert svc.months_ago(datetime.date(2024, 3, 31), 1) == datetime.date(2024, 2, 29)


def test_rule_units_filter_and_skips(world):
    officer = _officer(world)
    tc = make_class(world.college_a)
    _, a1 = make_student(world.branch_a1, name="甲")
    _, a2 = make_student(world.branch_a2, name="乙")
    _, again = make_student(world.branch_a1, name="丙")
    _, passed = make_student(world.branch_a1, name="丁")
    make_enrolment(tc, again)
    older = make_class(world.college_a, title="上一期", status="finished")
    make_enrolment(older, passed, status=EnrolmentStatus.PASSED)
    plan = svc.rule_preview(actor=officer, class_id=tc.pk, rule={"units": [world.branch_a1.pk]})
    assert [p.pk for p in plan.places] == [a1.pk]
    reasons = {p.pk: r for p, r in plan.skipped}
    assert "已在本班" in reasons[again.pk] and "已参加过同类" in reasons[passed.pk]
    assert a2.pk not in reasons


def test_capacity_then_waitlist_in_unit_then_name_order(world):
    officer = _officer(world)
    tc = make_class(world.college_a, capacity=2)
    _, z = make_student(world.branch_a2, name="赵")
    _, b = make_student(world.branch_a1, name="B")
    _, a = make_student(world.branch_a1, name="A")
    plan = svc.rule_preview(actor=officer, class_id=tc.pk)
    order = [p.pk for p in plan.people]
    assert order == sorted([z.pk, b.pk, a.pk], key=lambda pk: {a.pk: 0, b.pk: 1, z.pk: 2}[pk])
    svc.rule_confirm(actor=officer, class_id=tc.pk, fingerprint=plan.fingerprint)
    statuses = dict(Enrolment.objects.filter(training_class=tc).values_list("person_id", "status"))
    assert statuses == {a.pk: "enrolled", b.pk: "enrolled", z.pk: "waitlisted"}
    event = AuditEvent.objects.get(action="school.enrolment.bulk_create")
    assert event.changes["enrolled"] == 2 and event.changes["waitlisted"] == 1
    assert len(event.changes["enrolment_ids"]) == 3


def test_preview_changed_is_a_conflict_and_writes_nothing(world):
    officer = _officer(world)
    tc = make_class(world.college_a)
    make_student(world.branch_a1)
    plan = svc.rule_preview(actor=officer, class_id=tc.pk)
    make_student(world.branch_a1)  # the roster changed between preview and confirm
    with pytest.raises(ConflictError, match="名单已变化，请重新预览"):
        svc.rule_confirm(actor=officer, class_id=tc.pk, fingerprint=plan.fingerprint)
    assert not Enrolment.objects.filter(training_class=tc).exists()


def test_list_errors_have_row_numbers_and_nothing_is_written(world):
    officer = _officer(world)
    tc = make_class(world.college_a)
    make_student(world.branch_a1, staff_number="S001")
    make_student(world.branch_b1, staff_number="S002")
    make_student(world.branch_a1, staff_number="S003", political_status="full")
    numbers = svc.parse_list_file(_xlsx(["S001", "S404", "S002", "S003", "S001"]))
    plan = svc.list_preview(actor=officer, class_id=tc.pk, numbers=numbers)
    messages = [e["message"] for e in plan.errors]
    assert messages[0].startswith("第 3 行：") and "不存在" in messages[0]
    assert messages[1].startswith("第 4 行：") and "招收范围" in messages[1]
    assert messages[2].startswith("第 5 行：") and "不符合条件" in messages[2]
    assert messages[3] == "第 6 行：与第 2 行重复"
    with pytest.raises(DomainError) as exc:
        svc.list_confirm(actor=officer, class_id=tc.pk, numbers=numbers, fingerprint=plan.fingerprint)
    assert len(exc.value.errors) == 4
    assert not Enrolment.objects.filter(training_class=tc).exists()


def test_list_keeps_file_order_for_places(world):
    officer = _officer(world)
    tc = make_class(world.college_a, capacity=1)
    _, p1 = make_student(world.branch_a2, staff_number="B1", name="乙")
    _, p2 = make_student(world.branch_a1, staff_number="A1", name="甲")
    numbers = svc.parse_list_file(_xlsx(["B1", "A1"]))
    plan = svc.list_preview(actor=officer, class_id=tc.pk, numbers=numbers)
    svc.list_confirm(actor=officer, class_id=tc.pk, numbers=numbers, fingerprint=plan.fingerprint)
    assert Enrolment.objects.get(person=p1).status == "enrolled"
    assert Enrolment.objects.get(person=p2).status == "waitlisted"


def test_withdrawal_approved_promotes_first_waitlisted(world):
    _officer(world)
    tc = make_class(world.college_a, capacity=1)
    user, person = make_student(world.branch_a1)
    mine = make_enrolment(tc, person)
    first = make_enrolment(
        tc, status=EnrolmentStatus.WAITLISTED, enrolled_at=timezone.now() - datetime.timedelta(hours=2)
    )
    second = make_enrolment(
        tc, status=EnrolmentStatus.WAITLISTED, enrolled_at=timezone.now() - datetime.timedelta(hours=1)
    )
    with pytest.raises(DomainError):
        svc.withdraw_request(actor=user, enrolment_id=mine.pk, reason="")
    svc.withdraw_request(actor=user, enrolment_id=mine.pk, reason="课程冲突")
    with pytest.raises(Http404):
        svc.withdraw_request(actor=world.users["member1"], enrolment_id=mine.pk, reason="x")
    _, promoted = svc.withdraw_decide(actor=tc.head_teacher, enrolment_id=mine.pk, approve=True)
    assert [e.pk for e in promoted] == [first.pk]
    statuses = dict(Enrolment.objects.filter(training_class=tc).values_list("pk", "status"))
    assert statuses == {mine.pk: "withdrawn", first.pk: "enrolled", second.pk: "waitlisted"}


def test_withdrawal_refused_returns_to_enrolled_and_student_cannot_decide(world):
    tc = make_class(world.college_a, capacity=1)
    user, person = make_student(world.branch_a1)
    mine = make_enrolment(tc, person)
    svc.withdraw_request(actor=user, enrolment_id=mine.pk, reason="家中有事")
    with pytest.raises(PermissionDenied):
        svc.withdraw_decide(actor=user, enrolment_id=mine.pk, approve=True)
    svc.withdraw_decide(actor=tc.head_teacher, enrolment_id=mine.pk, approve=False, comment="请坚持")
    mine.refresh_from_db()
    assert mine.status == "enrolled"
    with pytest.raises(ConflictError):
        svc.withdraw_decide(actor=tc.head_teacher, enrolment_id=mine.pk, approve=True)


def test_one_running_class_of_a_kind_at_a_time(world):
    """A person holding a place in an unfinished class of the same kind is barred from a second
    one (by rule, by list, one by one), stays on a waiting list rather than being promoted, and
    may enrol again once that class has finished without a pass."""
    officer = _officer(world)
    school_class = make_class(world.college_a, title="校党校第 3 期")
    college_class = make_class(world.college_a, title="学院第 1 期", capacity=1)
    _, busy = make_student(world.branch_a1, name="甲", staff_number="S1")
    _, waiting = make_student(world.branch_a1, name="乙")
    _, free = make_student(world.branch_a1, name="丙")
    held = make_enrolment(school_class, busy)
    make_enrolment(make_class(world.college_a, kind=ClassKind.CANDIDATE), free)  # another kind: no bar

    reasons = {p.pk: r for p, r in svc.rule_preview(actor=officer, class_id=college_class.pk).skipped}
    assert reasons[busy.pk] == "正在参加同类培训班“校党校第 3 期”" and free.pk not in reasons
    with pytest.raises(ConflictError, match="甲正在参加同类培训班"):
        svc.enrol_add(actor=officer, class_id=college_class.pk, person_id=busy.pk)
    plan = svc.list_preview(actor=officer, class_id=college_class.pk, numbers=["S1"])
    assert plan.errors[0]["message"] == "第 2 行：甲正在参加同类培训班“校党校第 3 期”"

    svc.enrol_add(actor=officer, class_id=college_class.pk, person_id=free.pk)
    late = make_enrolment(college_class, waiting, status=EnrolmentStatus.WAITLISTED)
    make_enrolment(school_class, waiting)  # meanwhile took a place in the other class
    Enrolment.objects.filter(person=free, training_class=college_class).update(status=EnrolmentStatus.WITHDRAWN)
    assert svc.promote_waitlisted(college_class, actor=officer) == []
    late.refresh_from_db()
    assert late.status == EnrolmentStatus.WAITLISTED

    school_class.status = "finished"
    school_class.save(update_fields=["status"])
    held.status = EnrolmentStatus.FAILED
    held.save(update_fields=["status"])
    assert svc.enrol_add(actor=officer, class_id=college_class.pk, person_id=busy.pk).person_id == busy.pk
