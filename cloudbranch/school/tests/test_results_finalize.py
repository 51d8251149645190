"""Finalizing a class: results per student, certificates for every pass, one transaction,
audit, the development case's training step (both paths), and the refusals."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError
from cloudbranch.development.models import StepRecord
from cloudbranch.development.tests.factories import make_case
from cloudbranch.orgs.roles import Role
from cloudbranch.school import results
from cloudbranch.school.choices import ClassKind, ClassStatus, EnrolmentStatus
from cloudbranch.school.models import Attendance, Certificate, Enrolment
from cloudbranch.testing.factories import UserFactory, grant

from .factories import finishing_class, make_assignment, make_enrolment, make_session, make_student, make_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher():
    return UserFactory(display_name="班主任")


def test_finalize_sets_results_issues_certificates_and_finishes(world, teacher):
    tc = finishing_class(world.college_a, head_teacher=teacher, pass_hours=Decimal("24"))
    a = make_assignment(tc, title="心得")
    good = make_enrolment(tc, hours=Decimal("24"))
    make_submission(a, good, score=90)
    short = make_enrolment(tc, hours=Decimal("23.5"))
    make_submission(a, short, score=90)
    no_work = make_enrolment(tc, hours=Decimal("30"))
    waiting = make_enrolment(tc, status=EnrolmentStatus.WAITLISTED)
    gone = make_enrolment(tc, status=EnrolmentStatus.WITHDRAWN)

    counts = results.class_finalize(actor=teacher, class_id=tc.pk)

    assert counts == {"passed": 1, "failed": 2, "certificates": 1, "development": 0}
    tc.refresh_from_db()
    assert tc.status == ClassStatus.FINISHED
    status = dict(Enrolment.objects.filter(training_class=tc).values_list("pk", "status"))
    assert status == {
        good.pk: EnrolmentStatus.PASSED,
        short.pk: EnrolmentStatus.FAILED,
        no_work.pk: EnrolmentStatus.FAILED,
        waiting.pk: EnrolmentStatus.WAITLISTED,
        gone.pk: EnrolmentStatus.WITHDRAWN,
    }
    short.refresh_from_db()
    no_work.refresh_from_db()
    good.refresh_from_db()
    assert short.result_note == "未达到：学时 23.5/24"
    assert no_work.result_note == "未达到：作业《心得》 未提交"
    assert good.result_note == "考核合格" and good.result_at is not None
    cert = Certificate.objects.get(enrolment=good)
    assert re.fullmatch(rf"JJ{timezone.localdate().year}-\d{{4}}", cert.serial)
    assert not Certificate.objects.filter(enrolment__in=[short, no_work]).exists()
    assert AuditEvent.objects.filter(action="school.class.finalize", target_id=str(tc.pk)).get().changes["counts"] == {
        "new": counts
    }
    assert AuditEvent.objects.filter(action="school.enrolment.result").count() == 3


def test_finalize_refusals(world, teacher):
    tc = finishing_class(world.college_a, head_teacher=teacher, ends_on=timezone.localdate())
    tc.ends_on = timezone.localdate() + datetime.timedelta(days=1)
    tc.save()
    with pytest.raises(ConflictError, match="此前不能办理结业"):
        results.class_finalize(actor=teacher, class_id=tc.pk)
    tc.ends_on = timezone.localdate()
    tc.save()
    e = make_enrolment(tc, status=EnrolmentStatus.WITHDRAWAL_REQUESTED)
    with pytest.raises(ConflictError, match="退学申请未处理"):
        results.class_finalize(actor=teacher, class_id=tc.pk)
    e.status = EnrolmentStatus.WITHDRAWN
    e.save()
    tc.status = ClassStatus.ENROLLING
    tc.save()
    with pytest.raises(ConflictError, match="只有培训中的班次"):
        results.class_finalize(actor=teacher, class_id=tc.pk)
    tc.status = ClassStatus.RUNNING
    tc.save()
    with pytest.raises(Http404):
        results.class_finalize(actor=world.users["secretary2"], class_id=tc.pk)
    cs_b = UserFactory()
    grant(cs_b, world.college_b, Role.COMMITTEE_SECRETARY)
    with pytest.raises(Http404):
        results.class_finalize(actor=cs_b, class_id=tc.pk)
    user, person = make_student(world.branch_a1)
    make_enrolment(tc, person)
    with pytest.raises(PermissionDenied):
        results.class_finalize(actor=user, class_id=tc.pk)
    results.class_finalize(actor=teacher, class_id=tc.pk)
    with pytest.raises(ConflictError):  # only once
        results.class_finalize(actor=teacher, class_id=tc.pk)


def test_finalize_is_all_or_nothing(world, teacher, monkeypatch):
    tc = finishing_class(world.college_a, head_teacher=teacher, pass_hours=Decimal("0"))
    e = make_enrolment(tc)

    def boom(**kwargs):
        raise RuntimeError("issue failed")

    monkeypatch.setattr(results.certificates, "issue_certificates", boom)
    with pytest.raises(RuntimeError):
        results.class_finalize(actor=teacher, class_id=tc.pk)
    e.refresh_from_db()
    tc.refresh_from_db()
    assert (e.status, tc.status) == (EnrolmentStatus.ENROLLED, ClassStatus.RUNNING)
    assert not AuditEvent.objects.filter(action="school.class.finalize").exists()


# --- the development link ---------------------------------------------------------------------


def _candidate_class(world, teacher):
    return finishing_class(
        world.college_a,
        head_teacher=teacher,
        kind=ClassKind.CANDIDATE,
        pass_hours=Decimal("24"),
        title="第 9 期发展对象培训班",
    )


def test_passing_candidate_records_the_training_step(world, teacher):
    tc = _candidate_class(world, teacher)
    _user, person = make_student(world.branch_a1, political_status="candidate", name="孙发展")
    case = make_case(actor=world.users["secretary1"], person=person, upto="political_review")
    e = make_enrolment(tc, person, hours=Decimal("26"))
    session = make_session(tc)
    Attendance.objects.create(session=session, enrolment=e, checked_in_at=timezone.now(), method="qr")

    counts = results.class_finalize(actor=teacher, class_id=tc.pk)

    assert counts["development"] == 1
    e.refresh_from_db()
    assert e.status == EnrolmentStatus.PASSED
    assert e.development_note == "已记录发展程序“集中培训”步骤"
    record = StepRecord.objects.get(case=case, step__code="training")
    serial = Certificate.objects.get(enrolment=e).serial
    assert serial.startswith(f"FZ{timezone.localdate().year}-")
    assert record.data["hours"] == 26.0 and record.data["days"] == 1 and record.data["certificate"] == serial
    assert record.occurred_on == tc.ends_on
    assert record.recorded_by == teacher
    assert record.note == f"网上党校《第 9 期发展对象培训班》结业（证书编号 {serial}）"


def test_case_not_at_the_training_step_keeps_the_result(world, teacher):
    tc = _candidate_class(world, teacher)
    _user, person = make_student(world.branch_a1, political_status="activist", name="周积极")
    case = make_case(actor=world.users["secretary1"], person=person, upto="activist_filing")
    e = make_enrolment(tc, person, hours=Decimal("24"))
    _user2, nobody = make_student(world.branch_a1, political_status="candidate", name="吴无档")
    e2 = make_enrolment(tc, nobody, hours=Decimal("24"))

    counts = results.class_finalize(actor=teacher, class_id=tc.pk)

    assert counts == {"passed": 2, "failed": 0, "certificates": 2, "development": 0}
    e.refresh_from_db()
    e2.refresh_from_db()
    assert e.status == EnrolmentStatus.PASSED
    assert e.development_note.startswith("发展程序未记录培训：不能记录")
    assert not StepRecord.objects.filter(case=case, step__code="training").exists()
    assert e2.development_note == "发展程序未记录培训：未找到进行中的发展党员档案"
    assert Certificate.objects.filter(enrolment__in=[e, e2]).count() == 2


def test_revoked_certificate_behind_a_training_step_is_a_warning_until_the_branch_voids_it(world, teacher):
    from cloudbranch.core.alerts import rules
    from cloudbranch.development import cases as dev_cases
    from cloudbranch.school import certificates
    from cloudbranch.school.alerts import find_training_on_revoked_certificates

    assert "development.training_certificate_revoked" in rules()
    tc = _candidate_class(world, teacher)
    _user, person = make_student(world.branch_a1, political_status="candidate", name="吴撤证")
    make_case(actor=world.users["secretary1"], person=person, upto="political_review")
    e = make_enrolment(tc, person, hours=Decimal("26"))
    Attendance.objects.create(session=make_session(tc), enrolment=e, checked_in_at=timezone.now(), method="qr")
    results.class_finalize(actor=teacher, class_id=tc.pk)
    record = StepRecord.objects.get(case__person=person, step__code="training")
    today = timezone.localdate()
    assert find_training_on_revoked_certificates(today) == []

    cert = Certificate.objects.get(enrolment=e)
    certificates.certificate_revoke(actor=teacher, certificate_id=cert.pk, reason="学时记录有误")
    (finding,) = find_training_on_revoked_certificates(today)
    assert finding.subject == f"record:{record.pk}" and finding.unit_id == world.branch_a1.pk
    assert cert.serial in finding.message and "学时记录有误" in finding.message
    assert finding.url == f"/development/cases/{record.case_id}/"

    dev_cases.record_void(actor=world.users["secretary1"], record_id=record.pk, reason="结业证书已撤销")
    assert find_training_on_revoked_certificates(today) == []
