"""Completion certificates (结业证书): serial numbers, the PDF with its QR code, who may download
it, revocation and the public verification.

* Serial: ``<prefix><year>-<NNNN>``, the prefix per class kind is data (``SERIAL_PREFIXES``), the
  year is the year of issue, NNNN counts per prefix and year in ``SerialCounter`` (row locked with
  ``select_for_update`` while issuing, so numbers are unique across the school and never reused,
  even after a revocation).
* Verification code: random (``Certificate.code``), the only thing the public URL carries.
* Download: the student, the class's managers and whoever follows the student
  (``school.view_enrolment`` over the student's unit, e.g. their branch secretary); anyone else 404.
* Revocation: the class's managers (head teacher or ``school.change_trainingclass`` at the class
  unit); a reason is required and recorded with the date and the user; the certificate stays,
  marked 已撤销 on the verification page. The PDF of a revoked certificate is REFUSED (409): a
  file saying 准予结业 should not circulate once revoked; the certificate page still shows it.
* Public verification: masked name, class, kind, issuing unit, dates, serial, status (with the
  revocation date, never the reason).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.scoping import can

from . import access
from .choices import ClassKind, EnrolmentStatus
from .models import Certificate, Enrolment, SerialCounter, TrainingClass

#: Serial prefix per class kind (积极分子 JJ, 发展对象 FZ, 预备党员 YB, 支部书记 SJ).
SERIAL_PREFIXES: dict[str, str] = {
    ClassKind.ACTIVIST: "JJ",
    ClassKind.CANDIDATE: "FZ",
    ClassKind.PROBATIONARY: "YB",
    ClassKind.SECRETARY: "SJ",
}
SERIAL_DIGITS = 4
#: Public lookups allowed per IP address and window (the verification page and API together).
VERIFY_LIMIT = 60
VERIFY_WINDOW_SECONDS = 600


def serial_prefix(kind: str) -> str:
    return SERIAL_PREFIXES.get(kind, "PX")


def format_serial(prefix: str, year: int, number: int) -> str:
    return f"{prefix}{year}-{number:0{SERIAL_DIGITS}d}"


def next_serials(prefix: str, year: int, count: int) -> list[str]:
    """Reserve ``count`` consecutive numbers of ``prefix``+``year`` (call inside a transaction)."""
    if count <= 0:
        return []
    key = f"{prefix}{year}"
    SerialCounter.objects.bulk_create([SerialCounter(key=key, value=0)], ignore_conflicts=True)
    counter = SerialCounter.objects.select_for_update().get(key=key)
    first = counter.value + 1
    SerialCounter.objects.filter(pk=counter.pk).update(value=F("value") + count)
    return [format_serial(prefix, year, n) for n in range(first, first + count)]


def issue_certificates(*, actor, training_class: TrainingClass, enrolments: list[Enrolment], issued_on=None):
    """One certificate per enrolment (already PASSED, without a certificate), numbered in order.
    Runs inside the caller's transaction (finalize); audited by the caller."""
    issued_on = issued_on or timezone.localdate()
    if not enrolments:
        return []
    with transaction.atomic():
        serials = next_serials(serial_prefix(training_class.kind), issued_on.year, len(enrolments))
        certificates = [
            Certificate(enrolment=e, serial=s, issued_on=issued_on) for e, s in zip(enrolments, serials, strict=True)
        ]
        Certificate.objects.bulk_create(certificates)
    return certificates


def issue_one(*, actor, enrolment_id, issued_on=None) -> Certificate:
    """Issue the certificate of one PASSED enrolment that has none (e.g. after a revocation was
    corrected by a manager). Audited."""
    with transaction.atomic():
        enrolment = Enrolment.objects.select_related("training_class__unit").filter(pk=enrolment_id).first()
        if enrolment is None:
            raise Http404
        access.require_manage(actor, enrolment.training_class)
        enrolment = Enrolment.objects.select_for_update().select_related("training_class").get(pk=enrolment.pk)
        if enrolment.status != EnrolmentStatus.PASSED:
            raise ConflictError("只有已结业的学员才能颁发结业证书。")
        if Certificate.objects.filter(enrolment=enrolment).exists():
            raise ConflictError("该学员已有结业证书。")
        (cert,) = issue_certificates(
            actor=actor, training_class=enrolment.training_class, enrolments=[enrolment], issued_on=issued_on
        )
        audit_record(
            actor=actor, action="school.certificate.issue", target=cert, changes={"serial": {"new": cert.serial}}
        )
    return cert


# --- access ----------------------------------------------------------------------------------


def _queryset():
    return Certificate.objects.select_related(
        "enrolment__person__unit", "enrolment__training_class__unit", "enrolment__training_class__head_teacher"
    )


def may_download(user, cert: Certificate) -> bool:
    if user is None or not user.is_authenticated or getattr(user, "duty", ""):
        return False
    enrolment = cert.enrolment
    if enrolment.person.user_id == user.pk:
        return True
    if access.may_manage(user, enrolment.training_class):
        return True
    return can(user, access.VIEW_ENROLMENT, enrolment.person.unit)


def certificate_for_viewer(user, certificate_id) -> Certificate:
    try:
        cert = _queryset().get(pk=int(certificate_id))
    except (Certificate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not may_download(user, cert):
        raise Http404
    return cert


def may_revoke(user, cert: Certificate) -> bool:
    return access.may_manage(user, cert.enrolment.training_class)


def certificate_revoke(*, actor, certificate_id, reason: str, now=None) -> Certificate:
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        cert = certificate_for_viewer(actor, certificate_id)  # 404 for those who cannot see it
        if not may_revoke(actor, cert):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        cert = Certificate.objects.select_for_update().get(pk=cert.pk)
        if cert.revoked_at is not None:
            raise ConflictError("证书已经撤销。")
        if not reason:
            raise DomainError("请填写撤销原因。", errors=[{"field": "reason", "message": "请填写撤销原因。"}])
        if len(reason) > 200:
            raise DomainError("撤销原因过长。", errors=[{"field": "reason", "message": "撤销原因不超过 200 字。"}])
        cert.revoked_at, cert.revoked_by, cert.revoke_reason = now, actor, reason
        cert.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_record(
            actor=actor,
            action="school.certificate.revoke",
            target=cert,
            changes={"revoked_at": {"new": now.isoformat()}, "revoke_reason": {"new": reason}},
        )
    return _queryset().get(pk=cert.pk)


def certificates_of_class(training_class: TrainingClass):
    return (
        Certificate.objects.filter(enrolment__training_class=training_class)
        .select_related("enrolment__person__unit", "enrolment__training_class__unit")
        .order_by("serial")
    )


def my_certificates(user):
    if user is None or not user.is_authenticated:
        return Certificate.objects.none()
    return (
        Certificate.objects.filter(enrolment__person__user_id=user.pk)
        .select_related("enrolment__person__unit", "enrolment__training_class__unit")
        .order_by("-issued_on", "-id")
    )


# --- public verification ---------------------------------------------------------------------


def mask_name(name: str) -> str:
    """First character, then one * per further character (at least one)."""
    name = (name or "").strip()
    if not name:
        return "*"
    return name[0] + "*" * max(1, len(name) - 1)


@dataclass(frozen=True)
class Verification:
    serial: str
    masked_name: str
    class_title: str
    class_kind: str
    class_kind_label: str
    issuing_unit: str
    starts_on: datetime.date
    ends_on: datetime.date
    issued_on: datetime.date
    valid: bool
    status: str
    revoked_on: datetime.date | None


def verify(code: str) -> Verification:
    """What the public may see of the certificate with verification ``code`` (Http404 if none)."""
    cert = (
        Certificate.objects.select_related("enrolment__person", "enrolment__training_class__unit")
        .filter(code=str(code)[:32])
        .first()
    )
    if cert is None:
        raise Http404
    tc = cert.enrolment.training_class
    revoked = cert.revoked_at is not None
    return Verification(
        serial=cert.serial,
        masked_name=mask_name(cert.enrolment.person.name),
        class_title=tc.title,
        class_kind=tc.kind,
        class_kind_label=tc.get_kind_display(),
        issuing_unit=tc.unit.name,
        starts_on=tc.starts_on,
        ends_on=tc.ends_on,
        issued_on=cert.issued_on,
        valid=not revoked,
        status="已撤销" if revoked else "有效",
        revoked_on=timezone.localdate(cert.revoked_at) if revoked else None,
    )


def verify_allowed(ip: str | None) -> bool:
    from cloudbranch.news import ratelimit

    return ratelimit.hit(f"school:verify:{ip or 'unknown'}", VERIFY_LIMIT, VERIFY_WINDOW_SECONDS)


# --- PDF -------------------------------------------------------------------------------------

FONT = "STSong-Light"


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _num(value) -> str:
    text = f"{value:f}" if hasattr(value, "quantize") else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _date(d: datetime.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def certificate_text(cert: Certificate) -> str:
    e = cert.enrolment
    tc = e.training_class
    return (
        f"{e.person.name} 同志：于 {_date(tc.starts_on)}至{_date(tc.ends_on)}参加 {tc.unit.name} 举办的 "
        f"{tc.title}，完成学时 {_num(e.hours)} 学时，考核合格，准予结业。"
    )


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, line = [], ""
    for ch in text:
        if stringWidth(line + ch, font, size) > width:
            lines.append(line)
            line = ch
        else:
            line += ch
    if line:
        lines.append(line)
    return lines


def render_pdf(cert: Certificate, *, verify_url: str) -> bytes:
    """A4 landscape: title, the certificate sentence, issuing unit and date, serial, QR code of
    ``verify_url`` (the absolute public verification URL)."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    _register_font()
    tc = cert.enrolment.training_class
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=0)
    pdf.setTitle(f"结业证书 {cert.serial}")
    pdf.setAuthor(tc.unit.name)
    pdf.setSubject(cert.serial)
    red = colors.HexColor("#b71c1c")
    pdf.setStrokeColor(red)
    pdf.setLineWidth(3)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    pdf.setLineWidth(1)
    pdf.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    pdf.setFillColor(red)
    pdf.setFont(FONT, 36)
    pdf.drawCentredString(width / 2, height - 45 * mm, "结业证书")
    pdf.setFillColor(colors.black)
    size = 16
    pdf.setFont(FONT, size)
    y = height - 70 * mm
    for line in _wrap("　　" + certificate_text(cert), FONT, size, width - 80 * mm):
        pdf.drawString(40 * mm, y, line)
        y -= size * 1.8
    pdf.setFont(FONT, 14)
    pdf.drawRightString(width - 40 * mm, 52 * mm, tc.unit.name)
    pdf.drawRightString(width - 40 * mm, 44 * mm, _date(cert.issued_on))
    pdf.setFont(FONT, 11)
    pdf.drawString(40 * mm, 30 * mm, f"证书编号：{cert.serial}")
    pdf.drawString(40 * mm, 24 * mm, "扫描二维码或访问下列网址核验证书真伪：")
    pdf.setFont("Helvetica", 8)
    pdf.drawString(40 * mm, 19 * mm, verify_url)
    widget = QrCodeWidget(verify_url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    side = 32 * mm
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, 40 * mm, 36 * mm)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
