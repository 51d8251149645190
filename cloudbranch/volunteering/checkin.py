"""Check-in and check-out of service shifts (签到 / 签退) by a rotating QR code.

Rules (issue 9 item 1, like meetings/checkin.py):
- C1 The token is ``core.qrtoken`` under the namespace ``volunteering.checkin`` and the shift's own
  ``checkin_secret``; a used nonce is kept in ``ShiftCheckInToken`` so a scan cannot be replayed.
- C2 Only seat holders scan. The first scan checks in, from 30 minutes before the start until the
  end; a second scan (a later QR code) checks out, until 2 hours after the end.
- C3 The organizer (``volunteering.confirm_signup``) may record a check-in or check-out by hand,
  with a reason (audited).
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from cloudbranch.audit.services import snapshot
from cloudbranch.core import qrtoken
from cloudbranch.core.errors import ConflictError, DomainError

from .choices import ShiftStatus, SignupStatus
from .models import Shift, ShiftCheckInToken, Signup
from .signups import SIGNUP_FIELDS, _audit, access_signup

NAMESPACE = "volunteering.checkin"
OPENS_BEFORE = datetime.timedelta(minutes=30)
CHECKOUT_AFTER = datetime.timedelta(hours=2)
seconds_left_in_slot = qrtoken.seconds_left_in_slot


def make_token(shift: Shift, *, now: datetime.datetime | None = None) -> str:
    return qrtoken.make_token(NAMESPACE, shift.pk, shift.checkin_secret, now=now or timezone.now())


def checkin_open(shift: Shift, now: datetime.datetime) -> bool:
    return shift.starts_at - OPENS_BEFORE <= now <= shift.ends_at


def checkout_open(shift: Shift, now: datetime.datetime) -> bool:
    return now <= shift.ends_at + CHECKOUT_AFTER


def screen_open(shift: Shift, now: datetime.datetime) -> bool:
    """Whether the QR screen shows a code (from the check-in opening until check-out closes)."""
    return (
        shift.status == ShiftStatus.SCHEDULED
        and shift.starts_at - OPENS_BEFORE <= now <= shift.ends_at + CHECKOUT_AFTER
    )


def _check_in(row: Signup, shift: Shift, now: datetime.datetime) -> None:
    if now < shift.starts_at - OPENS_BEFORE:
        opens = timezone.localtime(shift.starts_at - OPENS_BEFORE)
        raise DomainError(f"签到尚未开始，将于 {opens:%m-%d %H:%M} 开放（开始前 30 分钟）")
    if now > shift.ends_at:
        raise DomainError("服务时段已结束，签到已关闭，如需补签请联系组织者")
    row.status = SignupStatus.CHECKED_IN
    row.checked_in_at = now


def _check_out(row: Signup, shift: Shift, now: datetime.datetime) -> None:
    if not checkout_open(shift, now):
        raise DomainError("签退时间已过（结束后 2 小时内），如需补录请联系组织者")
    row.status = SignupStatus.CHECKED_OUT
    row.checked_out_at = now


def scan(*, actor, token: str, now: datetime.datetime | None = None) -> tuple[Signup, str]:
    """C1, C2: returns ``(signup, "in" | "out")``."""
    now = now or timezone.now()
    try:
        shift, nonce = qrtoken.read_token(
            token,
            NAMESPACE,
            load=lambda pk: Shift.objects.select_related("post").filter(pk=pk).first(),
            secret_of=lambda s: s.checkin_secret,
            now=now,
        )
    except qrtoken.TokenInvalid:
        raise DomainError("签到二维码无效，请重新扫描组织者屏幕上的二维码") from None
    except qrtoken.TokenExpired:
        raise DomainError("签到二维码已过期（有效期约 1 分钟），请扫描屏幕上最新的二维码") from None
    with transaction.atomic():
        row = (
            Signup.objects.select_for_update(of=("self",))
            .select_related("person")
            .filter(shift=shift, person__user=actor)
            .first()
            if actor.is_authenticated
            else None
        )
        if row is None or row.status in (SignupStatus.CANCELLED,):
            raise DomainError(f"您未报名“{shift.post.title}”的这个时段，不能签到")
        if row.status == SignupStatus.WAITLISTED:
            raise DomainError("您目前在候补名单中，尚未获得服务名额，不能签到")
        if shift.status != ShiftStatus.SCHEDULED:
            raise ConflictError(f"该时段{shift.get_status_display()}，不能签到")
        if row.status in (SignupStatus.CHECKED_OUT, SignupStatus.CONFIRMED, SignupStatus.ABSENT):
            raise ConflictError(f"您的状态为“{row.get_status_display()}”，无需再次扫码")
        if ShiftCheckInToken.objects.filter(shift=shift, person=row.person, nonce=nonce).exists():
            raise ConflictError("该二维码您已扫过，签退请稍后扫描屏幕上更新后的二维码")
        before = snapshot(row, SIGNUP_FIELDS)
        if row.status == SignupStatus.SIGNED_UP:
            _check_in(row, shift, now)
            kind = "in"
        else:
            _check_out(row, shift, now)
            kind = "out"
        try:
            with transaction.atomic():
                ShiftCheckInToken.objects.create(shift=shift, person=row.person, nonce=nonce, used_at=now)
        except IntegrityError:
            raise ConflictError("该二维码您已扫过，请勿重复扫码") from None
        row.save(update_fields=["status", "checked_in_at", "checked_out_at"])
        row.shift = shift
        _audit(actor, f"volunteering.signup.check{kind}", row, before, method="qr")
    return row, kind


def manual_record(
    *, actor, signup_id: int, kind: str, reason: str, at: datetime.datetime | None = None, now=None
) -> Signup:
    """C3: the organizer records a check-in (``kind="in"``) or check-out (``"out"``) by hand."""
    now = now or timezone.now()
    at = at or now
    reason = (reason or "").strip()
    if kind not in ("in", "out"):
        raise DomainError("未知的补录类型")
    if not reason:
        raise DomainError("请填写补录理由", errors=[{"field": "reason", "message": "请填写补录理由"}])
    with transaction.atomic():
        access_signup(actor, signup_id)
        row = Signup.objects.select_for_update(of=("self",)).select_related("shift__post", "person").get(pk=signup_id)
        shift = row.shift
        if at > now:
            raise DomainError("补录时间不能晚于当前时间", errors=[{"field": "at", "message": "不能晚于当前时间"}])
        before = snapshot(row, SIGNUP_FIELDS)
        if kind == "in":
            if row.status != SignupStatus.SIGNED_UP:
                raise ConflictError(f"{row.person.name} 的状态为“{row.get_status_display()}”，不能补录签到")
            if at < shift.starts_at - OPENS_BEFORE or at > shift.ends_at:
                raise DomainError("签到时间应在开始前 30 分钟至结束之间")
            row.status, row.checked_in_at = SignupStatus.CHECKED_IN, at
        else:
            if row.status != SignupStatus.CHECKED_IN:
                raise ConflictError(f"{row.person.name} 的状态为“{row.get_status_display()}”，不能补录签退")
            if at < row.checked_in_at:
                raise DomainError("签退时间不能早于签到时间")
            row.status, row.checked_out_at = SignupStatus.CHECKED_OUT, at
        row.save(update_fields=["status", "checked_in_at", "checked_out_at"])
        _audit(actor, f"volunteering.signup.check{kind}", row, before, method="manual", reason=reason[:200])
    return row
