"""Writes of the onboarding app: a person on the roster opens their own account, resets their
password, and officials invite people in bulk.

Rules (SPEC §1 "a person may have a login", §10 lockout and audit; issue 12 item 1):

- Activation needs name + national ID + student/staff number matching ONE active roster person.
  A mismatch gives one generic message whichever field was wrong, and every lookup runs
  whatever the input (no early return before the hash lookup).
- Failures are counted per identity (keyed hash of the ID number or staff number entered) and per
  IP; above the thresholds (``onboarding.conf``) every attempt is refused with one message.
- Every attempt is audited without the ID number or name in clear.
- Password reset always answers the same, whether or not the person exists (no enumeration).
- Invitations are idempotent: activated people, people invited within the cool-down and people
  this batch already reached are skipped.
"""

from __future__ import annotations

import datetime
import hmac
import secrets

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from cloudbranch.audit.services import audit_bulk, audit_event, audit_record
from cloudbranch.core import context
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import Role
from cloudbranch.orgs.scoping import access_by_id, forget_grants, granted_prefixes, holds
from cloudbranch.people import crypto, idcard
from cloudbranch.people.choices import PARTY_MEMBER_STATUSES, Category, PoliticalStatus
from cloudbranch.people.models import Person

from . import channels, conf
from .models import ActivationAttempt, Invitation, InvitationBatch, OneTimeCode, Purpose

#: Officials who manage people in a subtree may invite them (and see who has activated).
INVITE_PERMISSION = "people.change_person"

MISMATCH = "信息与党员名册不一致，请核对后重试；如有疑问请联系所在党支部"
ALREADY_ACTIVE = "该账号已开通，请直接登录（忘记密码可找回）"
LOCKED = "尝试次数过多，已暂时锁定，请稍后再试；如有疑问请联系所在党支部"
RESET_ANSWER = "如信息正确，验证码已发送至名册登记的手机/邮箱"
CODE_GENERIC = "验证码不正确或已过期，请重新获取"
CHUNK = 500


class LockedOut(DomainError):
    """Too many failures for this identity or IP (HTTP 429); one wording whatever the cause."""

    status = 429
    code = "locked"


# ---------------------------------------------------------------- helpers


def identity_key(kind: str, value: str) -> str:
    """Keyed hash of what was entered (never stored in clear): ``kind`` is "id" or "staff"."""
    return crypto.search_hash(f"onboarding:{kind}:{value}")


def activation_identity(id_number: str) -> str:
    return identity_key("id", idcard.normalize(id_number or ""))


def reset_identity(staff_number: str) -> str:
    return identity_key("staff", normalize_staff_number(staff_number))


def normalize_name(value: str) -> str:
    return "".join((value or "").split())


def normalize_staff_number(value: str) -> str:
    return (value or "").strip().upper()


def mask_name(value: str) -> str:
    value = normalize_name(value)
    return (value[:1] + "*" * max(len(value) - 1, 1)) if value else ""


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _ip() -> str | None:
    return context.current().ip


def _action(purpose: str, verb: str) -> str:
    return f"onboarding.{purpose}.{verb}"


def _is_locked(*, key: str, ip: str | None, now: datetime.datetime) -> bool:
    since_identity = now - datetime.timedelta(minutes=conf.get("ONBOARDING_IDENTITY_WINDOW_MINUTES"))
    since_ip = now - datetime.timedelta(minutes=conf.get("ONBOARDING_IP_WINDOW_MINUTES"))
    by_identity = Q(identity_key=key, at__gte=since_identity)
    by_ip = Q(ip=ip, at__gte=since_ip) if ip else Q(pk__in=[])
    counts = (
        ActivationAttempt.objects.filter(success=False)
        .filter(by_identity | by_ip)
        .aggregate(identity=Count("pk", filter=by_identity), ip=Count("pk", filter=by_ip))
    )
    return counts["identity"] >= conf.get("ONBOARDING_IDENTITY_FAILURES") or counts["ip"] >= conf.get(
        "ONBOARDING_IP_FAILURES"
    )


def _record(*, purpose: str, key: str, success: bool | None, verb: str, target=None, changes: dict) -> None:
    """An attempt row (``success`` None: audited only, not counted) and its audit row, in one
    transaction that does not depend on the caller's outcome."""
    with transaction.atomic():
        if success is not None:
            ActivationAttempt.objects.create(purpose=purpose, ip=_ip(), identity_key=key, success=success)
        audit_record(actor=None, action=_action(purpose, verb), target=target, changes=changes)


def _refuse_if_locked(*, purpose: str, key: str, changes: dict) -> None:
    if _is_locked(key=key, ip=_ip(), now=timezone.now()):
        _record(purpose=purpose, key=key, success=None, verb="fail", changes={**changes, "reason": "locked"})
        raise LockedOut(LOCKED)


def _check_password(password: str, *, user, field: str = "password") -> None:
    if not password:
        raise DomainError("请设置密码。", errors=[{"field": field, "message": "请设置密码。"}])
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise DomainError(
            "密码不符合安全要求。", errors=[{"field": field, "message": m} for m in exc.messages]
        ) from exc


# ---------------------------------------------------------------- one-time codes


def code_required(person: Person) -> bool:
    """Whether activation asks for a code: on by setting, and only if the roster has an address."""
    return bool(conf.get("ONBOARDING_REQUIRE_CODE")) and channels.route(person) is not None


def code_send(*, person: Person, purpose: str, quiet: bool = False) -> str:
    """Send a fresh 6-digit code to the person's roster phone/email; return the masked address.

    Older unused codes stop working. ``quiet`` (password reset): a resend inside the waiting time
    is silently not sent, so the answer never differs between existing and unknown people.
    """
    routed = channels.route(person)
    if routed is None:
        if quiet:
            return ""
        raise DomainError("名册未登记手机号或邮箱，无法发送验证码，请联系所在党支部。")
    channel, address = routed
    now = timezone.now()
    last = OneTimeCode.objects.filter(person=person, purpose=purpose, used_at__isnull=True).first()
    wait = conf.get("ONBOARDING_CODE_RESEND_SECONDS")
    if last is not None and (now - last.created_at).total_seconds() < wait:
        if quiet:
            return channel.mask(address)
        raise DomainError(f"验证码已发送，请 {wait} 秒后再重新获取。")
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    minutes = conf.get("ONBOARDING_CODE_MINUTES")
    with transaction.atomic():
        OneTimeCode.objects.filter(person=person, purpose=purpose, used_at__isnull=True).update(used_at=now)
        OneTimeCode.objects.create(
            person=person,
            purpose=purpose,
            channel=channel.name,
            salt=salt,
            code_hash=_code_hash(salt, code),
            created_at=now,
            expires_at=now + datetime.timedelta(minutes=minutes),
        )
    label = Purpose(purpose).label
    channel.send(to=address, text=f"【云端支部】您的{label}验证码为 {code}，{minutes} 分钟内有效，请勿告诉他人。")
    return channel.mask(address)


def _code_hash(salt: str, code: str) -> str:
    return salted_hmac("cloudbranch.onboarding.code", f"{salt}:{code}").hexdigest()


def code_verify(*, person_id: int | None, purpose: str, identity: str, code: str, generic: bool = False) -> None:
    """Check the latest code of the person: 10 minutes, 5 tries (settings). A wrong code counts as a
    failure of the identity. ``generic``: one message for every failure (password reset)."""
    _refuse_if_locked(purpose=purpose, key=identity, changes={"step": "code"})
    now = timezone.now()
    code = (code or "").strip()
    otp = None
    if person_id:
        otp = OneTimeCode.objects.filter(person_id=person_id, purpose=purpose, used_at__isnull=True).first()
    reason, message = "", ""
    if otp is None or otp.expires_at <= now:
        reason, message = "expired", "验证码已过期，请重新获取。"
    elif otp.tries >= conf.get("ONBOARDING_CODE_TRIES"):
        reason, message = "tries", "验证码错误次数过多，请重新获取。"
    elif not _same(otp.code_hash, _code_hash(otp.salt, code)):
        reason, message = "code", "验证码不正确。"
    if reason:
        if otp is not None and reason == "code":
            OneTimeCode.objects.filter(pk=otp.pk).update(tries=otp.tries + 1)
        target = ("people.person", str(person_id), "") if person_id else None
        _record(purpose=purpose, key=identity, success=False, verb="fail", target=target, changes={"reason": reason})
        raise DomainError(CODE_GENERIC if generic else message, errors=[{"field": "code", "message": message}])
    OneTimeCode.objects.filter(pk=otp.pk).update(used_at=now)


# ---------------------------------------------------------------- activation


def activation_check(*, name: str, id_number: str, staff_number: str) -> Person:
    """Find the ONE active roster person matching all three fields, or refuse with one message.

    Raises ``LockedOut`` above the failure thresholds, ``ConflictError`` when the person already
    has an account.
    """
    id_norm = idcard.normalize(id_number or "")
    name_norm = normalize_name(name)
    staff_norm = normalize_staff_number(staff_number)
    key = identity_key("id", id_norm)
    masked = {
        "name": mask_name(name_norm),
        "id_number": crypto.mask_id_number(id_norm),
        "staff_number": staff_norm[:32],
    }
    _refuse_if_locked(purpose=Purpose.ACTIVATION, key=key, changes=masked)
    # Every lookup and comparison runs whatever the input: no early return.
    person = Person.objects.on_roster().with_id_number(id_norm).select_related("user").first()
    ref_name = normalize_name(person.name) if person else "\0"
    ref_staff = normalize_staff_number(person.staff_number) if person else "\0"
    name_ok = _same(ref_name, name_norm)
    staff_ok = _same(ref_staff, staff_norm)
    if not (person is not None and name_ok and staff_ok and name_norm and staff_norm):
        _record(purpose=Purpose.ACTIVATION, key=key, success=False, verb="fail", changes=masked)
        raise DomainError(MISMATCH, code="mismatch")
    if person.user_id is not None:
        _record(
            purpose=Purpose.ACTIVATION,
            key=key,
            success=None,
            verb="fail",
            target=person,
            changes={**masked, "reason": "already_active" if person.user.is_active else "inactive_user"},
        )
        if person.user.is_active:
            raise ConflictError(ALREADY_ACTIVE)
        raise ConflictError("该账号已停用，如需恢复请联系所在党支部。")
    _record(purpose=Purpose.ACTIVATION, key=key, success=True, verb="verify", target=person, changes=masked)
    return person


def _membership_role(person: Person) -> str | None:
    if person.political_status in PARTY_MEMBER_STATUSES:
        return Role.MEMBER
    if person.political_status != PoliticalStatus.MASSES:
        return Role.APPLICANT
    return None


def activation_complete(*, person_id: int, password: str):
    """Create the user (user name = staff number), link it to the person and grant the membership
    role the roster implies (member / applicant at the person's branch, as a transfer would move it).
    """
    User = get_user_model()
    with transaction.atomic():
        person = (
            Person.objects.on_roster().select_for_update().select_related("unit").filter(pk=person_id).first()
            if person_id
            else None
        )
        if person is None:
            raise DomainError(MISMATCH, code="mismatch")
        if person.user_id is not None:
            raise ConflictError(ALREADY_ACTIVE)
        username = (person.staff_number or "").strip()
        if not username or User.objects.filter(username__iexact=username).exists():
            message = "学号/工号对应的用户名已被占用，无法自动开通，请联系所在党支部处理。"
            raise ConflictError(message)
        candidate = User(username=username, display_name=person.name)
        _check_password(password, user=candidate)
        user = User.objects.create_user(username=username, password=password, display_name=person.name)
        person.user = user
        person.save(update_fields=["user", "updated_at"])
        role = _membership_role(person)
        if role:
            unit = person.unit
            if unit.kind == UnitKind.GROUP and unit.parent_id:
                unit = unit.parent
            RoleAssignment.objects.create(user=user, unit=unit, role=role)
            forget_grants(user)
        key = identity_key("id", idcard.normalize(person.reveal_id_number()))
        ActivationAttempt.objects.create(purpose=Purpose.ACTIVATION, ip=_ip(), identity_key=key, success=True)
        audit_record(
            actor=user,
            action="onboarding.activation.success",
            target=person,
            changes={"user": {"new": user.pk}, "role": {"new": role or ""}},
        )
    return user


# ---------------------------------------------------------------- password reset


def reset_request(*, staff_number: str, name: str) -> int | None:
    """Send a reset code if staff number + name match a roster person with an active account and an
    address; return the person id or None. The caller answers ``RESET_ANSWER`` either way."""
    staff_norm = normalize_staff_number(staff_number)
    name_norm = normalize_name(name)
    key = identity_key("staff", staff_norm)
    masked = {"name": mask_name(name_norm), "staff_number": staff_norm[:32]}
    _refuse_if_locked(purpose=Purpose.RESET, key=key, changes=masked)
    match = None
    rows = Person.objects.on_roster().filter(staff_number__iexact=staff_norm).select_related("user")[:5]
    for person in rows if staff_norm else ():
        if _same(normalize_name(person.name), name_norm) and person.user_id and person.user.is_active:
            match = person
    if match is None or channels.route(match) is None:
        _record(purpose=Purpose.RESET, key=key, success=False, verb="fail", changes={**masked, "reason": "no_match"})
        return None
    code_send(person=match, purpose=Purpose.RESET, quiet=True)
    _record(purpose=Purpose.RESET, key=key, success=True, verb="request", target=match.user, changes=masked)
    return match.pk


def reset_complete(*, person_id: int | None, identity: str, code: str, password: str):
    """Check the code and set the new password (the password validators refuse the last passwords);
    end the user's other sessions and clear the axes lockout of the user name."""
    person = (
        Person.objects.on_roster().select_related("user").filter(pk=person_id, user__is_active=True).first()
        if person_id
        else None
    )
    user = person.user if person is not None else None
    _refuse_if_locked(purpose=Purpose.RESET, key=identity, changes={"step": "confirm"})
    _check_password(password, user=user if user is not None else get_user_model()())
    code_verify(
        person_id=person.pk if person else None, purpose=Purpose.RESET, identity=identity, code=code, generic=True
    )
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        ActivationAttempt.objects.create(purpose=Purpose.RESET, ip=_ip(), identity_key=identity, success=True)
        audit_record(
            actor=user, action="onboarding.reset.success", target=user, changes={"password": {"changed": True}}
        )
    axes_reset(username=user.username)
    _end_sessions(user)
    return user


def _end_sessions(user) -> None:
    """End the user's open sessions where the accounts app keeps a session list; without it they end
    anyway at their next request (Django checks the password hash stored in each session)."""
    try:
        from cloudbranch.accounts.models import SessionEndReason
        from cloudbranch.accounts.usersessions import end_all_sessions
    except ImportError:
        return
    end_all_sessions(actor=user, user=user, reason=SessionEndReason.ENDED, action="onboarding.reset.sessions_end")


# ---------------------------------------------------------------- invitations


def default_unit(user) -> OrgUnit | None:
    """The top unit where the user may invite (the first of their grants)."""
    prefixes = granted_prefixes(user, INVITE_PERMISSION)
    return OrgUnit.objects.filter(path=prefixes[0]).first() if prefixes else None


def clean_filters(data: dict) -> dict:
    """The roster filters of a batch or a list, checked against their choices."""
    out: dict = {}
    errors = []
    checks = (
        ("political_status", PoliticalStatus.values),
        ("category", Category.values),
        ("activated", ["yes", "no"]),
    )
    for field, allowed in checks:
        value = (data.get(field) or "").strip()
        if value and value not in allowed:
            errors.append({"field": field, "message": "无效的选项。"})
        elif value:
            out[field] = value
    if errors:
        raise DomainError("筛选条件有误。", errors=errors)
    return out


def invitation_batch_create(*, actor, unit_id: int | None = None, filters: dict | None = None) -> InvitationBatch:
    """Queue invitations for the not-yet-activated people of a unit's subtree matching the filters."""
    if not holds(actor, INVITE_PERMISSION):
        raise PermissionDenied
    cleaned = clean_filters(filters or {})
    if unit_id:
        unit = access_by_id(actor, OrgUnit, unit_id, view=INVITE_PERMISSION)
    else:
        unit = default_unit(actor)
    if unit is None or not unit.is_active:
        raise DomainError("请选择党组织。", errors=[{"field": "unit", "message": "请选择有效的党组织。"}])
    with transaction.atomic():
        batch = InvitationBatch.objects.create(unit=unit, filters=cleaned, created_by=actor)
        audit_record(
            actor=actor,
            action="onboarding.invitation_batch.create",
            target=batch,
            changes={"unit": {"new": unit.pk}, "filters": {"new": cleaned}},
        )
        transaction.on_commit(lambda: _enqueue(batch.pk))
    return batch


def invitation_batch_rerun(*, actor, batch_id: int) -> InvitationBatch:
    """Run a finished batch again: reaches people who matched since or failed; sends nothing twice."""
    batch = access_by_id(actor, InvitationBatch, batch_id, view=INVITE_PERMISSION)
    if not batch.is_finished:
        raise ConflictError("该批次正在发送，请稍后再试。")
    with transaction.atomic():
        InvitationBatch.objects.filter(pk=batch.pk).update(status=InvitationBatch.Status.PENDING, processed=0)
        audit_record(actor=actor, action="onboarding.invitation_batch.rerun", target=batch)
        transaction.on_commit(lambda: _enqueue(batch.pk))
    batch.refresh_from_db()
    return batch


def _enqueue(batch_id: int) -> None:
    from .tasks import send_invitation_batch

    send_invitation_batch.enqueue(batch_id)


def invitation_text(person: Person) -> str:
    url = conf.get("SITE_URL").rstrip("/") + reverse("onboarding:start")
    return (
        f"【云端支部】{person.name}同志：您所在的党组织邀请您开通云端支部账号。"
        f"请打开 {url} ，用本人姓名、身份证号和学号/工号完成开通。"
    )


def invitation_batch_send(*, batch_id: int) -> dict[str, int]:
    """Send a batch (the background task). Returns what this run did: sent, skipped, failed.

    The selection is recomputed with the creator's current grants, so a batch never reaches
    beyond what its creator may manage now.
    """
    from .selectors import roster_selection

    batch = InvitationBatch.objects.select_related("unit", "created_by").get(pk=batch_id)
    InvitationBatch.objects.filter(pk=batch.pk).update(status=InvitationBatch.Status.RUNNING)
    ids = list(
        roster_selection(user=batch.created_by, unit=batch.unit, filters=batch.filters).values_list("pk", flat=True)
    )
    InvitationBatch.objects.filter(pk=batch.pk).update(total=len(ids), processed=0)
    since = timezone.now() - datetime.timedelta(days=conf.get("ONBOARDING_INVITE_COOLDOWN_DAYS"))
    run = {"sent": 0, "skipped": 0, "failed": 0}
    try:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            run_chunk = _send_chunk(batch, chunk, since)
            for k in run:
                run[k] += run_chunk[k]
            InvitationBatch.objects.filter(pk=batch.pk).update(processed=start + len(chunk))
    except Exception as exc:
        InvitationBatch.objects.filter(pk=batch.pk).update(
            status=InvitationBatch.Status.FAILED, message=str(exc)[:500], finished_at=timezone.now()
        )
        raise
    counts = Invitation.objects.filter(batch=batch).aggregate(
        sent=Count("pk", filter=Q(status=Invitation.Status.SENT)),
        failed=Count("pk", filter=Q(status=Invitation.Status.FAILED)),
    )
    with transaction.atomic():
        InvitationBatch.objects.filter(pk=batch.pk).update(
            status=InvitationBatch.Status.DONE,
            sent=counts["sent"],
            failed=counts["failed"],
            skipped=max(len(ids) - counts["sent"] - counts["failed"], 0),
            finished_at=timezone.now(),
            message=f"本次发送 {run['sent']} 人，跳过 {run['skipped']} 人，失败 {run['failed']} 人。",
        )
        audit_record(
            actor=batch.created_by,
            action="onboarding.invitation_batch.send",
            target=batch,
            changes={k: {"new": v} for k, v in run.items()},
        )
    return run


def _send_chunk(batch: InvitationBatch, chunk: list[int], since) -> dict[str, int]:
    persons = Person.objects.filter(pk__in=chunk).select_related("user")
    done = set(
        Invitation.objects.filter(batch=batch, person_id__in=chunk, status=Invitation.Status.SENT).values_list(
            "person_id", flat=True
        )
    )
    recent = set(
        Invitation.objects.filter(person_id__in=chunk, status=Invitation.Status.SENT, sent_at__gte=since)
        .exclude(batch=batch)
        .values_list("person_id", flat=True)
    )
    rows, events = [], []
    run = {"sent": 0, "skipped": 0, "failed": 0}
    for person in persons:
        activated = person.user_id is not None and person.user.is_active
        routed = channels.route(person)
        if activated or person.pk in done or person.pk in recent or routed is None:
            run["skipped"] += 1
            continue
        channel, address = routed
        try:
            channel.send(to=address, text=invitation_text(person))
        except Exception as exc:  # noqa: BLE001 - one failed address must not stop the batch
            run["failed"] += 1
            rows.append(
                Invitation(batch=batch, person=person, channel=channel.name, status="failed", error=str(exc)[:300])
            )
            continue
        run["sent"] += 1
        rows.append(Invitation(batch=batch, person=person, channel=channel.name))
        events.append(
            audit_event(
                batch.created_by,
                action="onboarding.invitation.send",
                target=person,
                changes={"batch": {"new": batch.pk}, "channel": {"new": channel.name}},
            )
        )
    with transaction.atomic():
        retried = [r.person_id for r in rows]
        Invitation.objects.filter(batch=batch, person_id__in=retried, status=Invitation.Status.FAILED).delete()
        Invitation.objects.bulk_create(rows)
        audit_bulk(events)
    return run
