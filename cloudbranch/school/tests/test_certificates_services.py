"""Certificates: serial format and uniqueness, verification data, revocation, the PDF, who may
download it."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.roles import Role
from cloudbranch.school import certificates
from cloudbranch.school.choices import ClassKind
from cloudbranch.school.models import Certificate, SerialCounter
from cloudbranch.testing.factories import UserFactory, grant

from .factories import make_class, make_enrolment, make_student

pytestmark = pytest.mark.django_db


def test_serial_format_per_kind():
    assert certificates.format_serial("FZ", 2025, 7) == "FZ2025-0007"
    assert {k: certificates.serial_prefix(k) for k in ClassKind.values} == {
        "activist": "JJ",
        "candidate": "FZ",
        "probationary": "YB",
        "secretary": "SJ",
    }


def test_serials_unique_and_consecutive_across_classes(world):
    year = timezone.localdate().year
    teacher = UserFactory()
    serials = []
    for n in range(3):
        tc = make_class(world.college_a, head_teacher=teacher, title=f"第 {n} 期")
        enrolments = [make_enrolment(tc) for _ in range(7)]
        issued = certificates.issue_certificates(actor=teacher, training_class=tc, enrolments=enrolments)
        serials += [c.serial for c in issued]
    assert len(serials) == len(set(serials)) == 21
    assert serials == [f"JJ{year}-{n:04d}" for n in range(1, 22)]
    assert SerialCounter.objects.get(key=f"JJ{year}").value == 21
    other = make_class(world.college_b, head_teacher=teacher, kind=ClassKind.CANDIDATE)
    (fz,) = certificates.issue_certificates(actor=teacher, training_class=other, enrolments=[make_enrolment(other)])
    assert fz.serial == f"FZ{year}-0001"  # each prefix counts on its own
    assert all(re.fullmatch(r"[A-Z]{2}\d{4}-\d{4}", s) for s in [*serials, fz.serial])
    codes = list(Certificate.objects.values_list("code", flat=True))
    assert len(set(codes)) == 22 and all(len(c) >= 16 for c in codes)


def test_mask_name():
    assert certificates.mask_name("张三") == "张*"
    assert certificates.mask_name("欧阳小明") == "欧***"
    assert certificates.mask_name("李") == "李*"


@pytest.fixture
def issued(world):
    teacher = UserFactory()
    tc = make_class(world.college_a, head_teacher=teacher, title="第 3 期入党积极分子培训班")
    user, person = make_student(world.branch_a1, name="郑证书")
    e = make_enrolment(tc, person)
    (cert,) = certificates.issue_certificates(actor=teacher, training_class=tc, enrolments=[e])
    return teacher, tc, user, cert


def test_verify_shows_masked_name_and_status(issued):
    teacher, tc, _user, cert = issued
    v = certificates.verify(cert.code)
    assert (v.masked_name, v.class_title, v.issuing_unit, v.valid, v.status) == (
        "郑**",
        "第 3 期入党积极分子培训班",
        "计算机学院党委",
        True,
        "有效",
    )
    certificates.certificate_revoke(actor=teacher, certificate_id=cert.pk, reason="经核查培训学时造假")
    v = certificates.verify(cert.code)
    assert (v.valid, v.status, v.revoked_on) == (False, "已撤销", timezone.localdate())
    assert "造假" not in str(v)
    with pytest.raises(Http404):
        certificates.verify("no-such-code")


def test_revocation_rules(world, issued):
    teacher, tc, user, cert = issued
    with pytest.raises(DomainError):
        certificates.certificate_revoke(actor=teacher, certificate_id=cert.pk, reason=" ")
    with pytest.raises(PermissionDenied):  # the student sees it, may not revoke it
        certificates.certificate_revoke(actor=user, certificate_id=cert.pk, reason="x")
    with pytest.raises(PermissionDenied):  # the branch secretary follows the student, does not run the class
        certificates.certificate_revoke(actor=world.users["secretary1"], certificate_id=cert.pk, reason="x")
    with pytest.raises(Http404):
        certificates.certificate_revoke(actor=world.users["secretary2"], certificate_id=cert.pk, reason="x")
    cs_b = UserFactory()
    grant(cs_b, world.college_b, Role.COMMITTEE_SECRETARY)
    with pytest.raises(Http404):
        certificates.certificate_revoke(actor=cs_b, certificate_id=cert.pk, reason="x")
    cs_a = UserFactory()
    grant(cs_a, world.college_a, Role.COMMITTEE_SECRETARY)
    revoked = certificates.certificate_revoke(actor=cs_a, certificate_id=cert.pk, reason="重复颁发")
    assert (revoked.revoked_by, revoked.revoke_reason) == (cs_a, "重复颁发") and revoked.revoked_at
    assert AuditEvent.objects.filter(action="school.certificate.revoke", target_id=str(cert.pk)).exists()
    with pytest.raises(ConflictError):
        certificates.certificate_revoke(actor=teacher, certificate_id=cert.pk, reason="再次")


def test_download_access(world, issued):
    teacher, tc, user, cert = issued
    for who in (user, teacher, world.users["secretary1"], world.users["admin"]):
        assert certificates.certificate_for_viewer(who, cert.pk).pk == cert.pk
    for who in (world.users["secretary2"], world.users["member1"], world.users["auditor"]):
        with pytest.raises(Http404):
            certificates.certificate_for_viewer(who, cert.pk)


def test_pdf_is_a_pdf_with_the_serial(issued):
    _teacher, _tc, _user, cert = issued
    cert = certificates.certificate_for_viewer(_user, cert.pk)
    data = certificates.render_pdf(cert, verify_url=f"https://dj.example.edu/school/verify/{cert.code}/")
    assert data.startswith(b"%PDF")
    assert cert.serial.encode() in data
    assert b"STSong-Light" in data
    assert "郑证书 同志：于" in certificates.certificate_text(cert)
    assert "参加 计算机学院党委 举办的 第 3 期入党积极分子培训班，完成学时 0 学时，考核合格，准予结业。" in (
        certificates.certificate_text(cert)
    )


def test_pdf_qr_code_carries_the_verification_url(issued, monkeypatch):
    """The QR code drawn on the PDF encodes the public verification URL (which is printed under it
    as well), and that URL opens the certificate's verification."""
    from reportlab.graphics.barcode import qr

    _teacher, _tc, user, cert = issued
    encoded = []
    real = qr.QrCodeWidget

    def spy(value, *args, **kwargs):
        encoded.append(value)
        return real(value, *args, **kwargs)

    monkeypatch.setattr(qr, "QrCodeWidget", spy)
    url = f"https://dj.example.edu/school/verify/{cert.code}/"
    data = certificates.render_pdf(certificates.certificate_for_viewer(user, cert.pk), verify_url=url)
    assert encoded == [url]
    assert url.encode() in data
    assert certificates.verify(url.rstrip("/").rsplit("/", 1)[1]).serial == cert.serial
