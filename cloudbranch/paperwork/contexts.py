"""From the data to a document's context, one kind at a time, through each object's own access rules.

``SPECS[kind]`` says how to find an object the user may see (404 outside the scope, as on the
object's own page), how to fill the context (exactly the names of ``catalogue.CATALOGUE``; missing
optional data becomes "—", never "None"), the file name and the object the audit event names.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.http import Http404
from django.utils import timezone

from cloudbranch.development.choices import ContactRole, NoticeKind, RecordStatus, TransferKind
from cloudbranch.development.documents import access_case
from cloudbranch.development.models import Case, CaseContact, PublicNotice, StepRecord
from cloudbranch.development.rules import probation_end
from cloudbranch.development.transfers import access_transfer, letter_context
from cloudbranch.fees.payments import access_entry
from cloudbranch.meetings.ledger import access_ledger_unit, build_ledger

from .catalogue import MISSING
from .choices import DocumentKind

# --- formatting ---------------------------------------------------------------------------------


def text(value) -> str:
    """A value for a document: "—" for missing data."""
    if value is None:
        return MISSING
    value = str(value).strip()
    return value or MISSING


def cn_date(d: datetime.date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else MISSING


def cn_month(d: datetime.date | None) -> str:
    return f"{d.year}年{d.month}月" if d else MISSING


DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL = ("", "拾", "佰", "仟")
_BIG = ("", "万", "亿", "万亿")


def _integer_cn(n: int) -> str:
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = ""
    gap = False  # a zero group (or leading zeros of a group) since the last written digit
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            gap = bool(out)
            continue
        if out and (gap or group < 1000):
            out += "零"
        part, zero = "", False
        for pos in range(3, -1, -1):
            digit = group // 10**pos % 10
            if digit == 0:
                zero = bool(part)
                continue
            if zero:
                part += "零"
                zero = False
            part += DIGITS[digit] + _SMALL[pos]
        out += part + _BIG[index]
        gap = False
    return out


def amount_cn(value) -> str:
    """A sum of money in capital Chinese numerals (大写金额): 1234.50 → 壹仟贰佰叁拾肆元伍角整."""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "负" if amount < 0 else ""
    fen_total = int(abs(amount) * 100)
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    if fen_total == 0:
        return "零元整"
    out = _integer_cn(yuan) + "元" if yuan else ""
    if jiao:
        out += DIGITS[jiao] + "角"
    elif fen and yuan:
        out += "零"
    if fen:
        out += DIGITS[fen] + "分"
    else:
        out += "整"
    return sign + out


_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def safe_name(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("._")[:80] or "文书"


def _unit(unit) -> dict:
    parent = unit.parent if unit is not None and unit.parent_id else None
    return {"name": text(unit.name if unit else None), "parent_name": text(parent.name if parent else None)}


def _person_basic(person) -> dict:
    return {
        "name": text(person.name),
        "gender": text(person.get_gender_display()),
        "birth_month": cn_month(person.birth_date),
        "ethnicity": text(person.ethnicity),
        "education": text(person.education),
    }


def _today() -> str:
    return cn_date(timezone.localdate())


def _names(contacts: list[CaseContact], role: str) -> str:
    of_role = [c for c in contacts if c.role == role]
    current = [c.person.name for c in of_role if c.ended_on is None] or [c.person.name for c in of_role]
    return text("、".join(current))


def _case_dates(case: Case, records: list[StepRecord]) -> dict:
    first: dict[str, datetime.date] = {}
    last: dict[str, datetime.date] = {}
    for r in records:
        first.setdefault(r.step.code, r.occurred_on)
        last[r.step.code] = r.occurred_on
    admission = last.get("admission_vote")
    p_end = probation_end(admission, case.rule_set.probation_months, case.extension_months) if admission else None
    return {
        "applied_on": cn_date(case.applied_on),
        "activist_on": cn_date(first.get("activist")),
        "candidate_on": cn_date(first.get("candidate")),
        "admission_on": cn_date(admission),
        "approval_on": cn_date(first.get("approval")),
        "probation_end": cn_date(p_end),
    }


def _valid_records(case: Case) -> list[StepRecord]:
    return list(
        StepRecord.objects.filter(case=case, status=RecordStatus.VALID)
        .select_related("step")
        .order_by("occurred_on", "sequence", "id")
    )


def _contacts(case: Case) -> list[CaseContact]:
    return list(CaseContact.objects.filter(case=case).select_related("person").order_by("role", "started_on", "id"))


# --- 发展党员备案表 ----------------------------------------------------------------------------------


def filing_form_context(user, case: Case, options: dict) -> dict:
    person = case.person
    records = _valid_records(case)
    contacts = _contacts(case)
    dates = _case_dates(case, records)
    return {
        "person": {
            **_person_basic(person),
            "birth_date": cn_date(person.birth_date),
            "id_number_masked": text(person.id_number_masked),
            "category": text(person.get_category_display()),
            "college": text(person.college),
            "department": text(person.department),
            "staff_number": text(person.staff_number),
        },
        "case": {
            "applied_on": dates["applied_on"],
            "activist_on": dates["activist_on"],
            "candidate_on": dates["candidate_on"],
            "admission_on": dates["admission_on"],
            "approval_on": dates["approval_on"],
            "probation_end": dates["probation_end"],
            "stage": text(case.get_stage_display()),
            "status": text(case.get_status_display()),
            "records": [
                {
                    "number": text(r.step.number),
                    "name": text(r.step.name),
                    "date": cn_date(r.occurred_on),
                    "decided_by": text(r.decided_by),
                    "note": text(r.note),
                }
                for r in records
            ],
        },
        "sponsors": _names(contacts, ContactRole.SPONSOR),
        "introducers": _names(contacts, ContactRole.INTRODUCER),
        "unit": _unit(person.unit),
        "today": _today(),
    }


# --- 公示 --------------------------------------------------------------------------------------------


def _notices():
    return PublicNotice.objects.select_related("case__person__unit__parent", "case__rule_set")


def access_notice(user, notice_id) -> PublicNotice:
    """A notice of a case the user manages (``development.view_case``); 404 otherwise."""
    try:
        return _notices().restrict(user, "development.view_case").get(pk=int(notice_id))
    except (PublicNotice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def notice_title(notice: PublicNotice) -> str:
    name = notice.case.person.name
    if notice.kind == NoticeKind.CANDIDATE:
        return f"关于{name}同志拟发展为中共预备党员的公示"
    return f"关于预备党员{name}同志拟按期转为中共正式党员的公示"


def public_notice_context(user, notice: PublicNotice, options: dict) -> dict:
    case = notice.case
    person = case.person
    unit = person.unit
    title = notice_title(notice)
    lines = (notice.text or "").strip().splitlines()
    if lines and lines[0].strip() == title:
        lines = lines[1:]
    dates = _case_dates(case, _valid_records(case))
    contacts = [c for c in _contacts(case) if c.ended_on is None]
    return {
        "notice": {
            "title": title,
            "kind": text(notice.get_kind_display()),
            "body": text("\n".join(lines).strip()),
            "start": cn_date(notice.starts_on),
            "end": cn_date(notice.ends_on),
            "workdays": text(notice.workdays),
            "contact": text(notice.contact),
        },
        "person": _person_basic(person),
        "case": {k: dates[k] for k in ("applied_on", "activist_on", "candidate_on")},
        "sponsors": _names(contacts, ContactRole.SPONSOR),
        "introducers": _names(contacts, ContactRole.INTRODUCER),
        "publisher": text(unit.parent.name if unit.parent_id else unit.name),
        "unit": _unit(unit),
        "today": _today(),
    }


# --- 组织关系介绍信 ----------------------------------------------------------------------------------


def access_letter(user, transfer_id):
    """An outgoing transfer the user may act for (the sending side); 404 outside, 403 seen only.
    ``letter_context`` refuses (409) a letter not issued yet."""
    transfer = access_transfer(user, transfer_id, "add")
    if transfer.kind != TransferKind.OUTGOING:
        raise Http404
    return transfer


def transfer_letter_context(user, transfer, options: dict) -> dict:
    data = letter_context(user, transfer)  # audits the ID number when it is shown in clear
    person = data["person"]
    issued = transfer.letter_issued_on
    valid_until = issued + datetime.timedelta(days=transfer.letter_valid_days - 1) if issued else None
    return {
        "transfer": {
            "letter_number": text(transfer.letter_number),
            "external_org": text(transfer.external_org),
            "reason": text(transfer.reason),
            "issued_on": cn_date(issued),
            "valid_days": text(transfer.letter_valid_days),
            "valid_until": cn_date(valid_until),
            "dues_paid_until": cn_month(transfer.dues_paid_until),
            "note": text(transfer.note),
        },
        "person": {
            "name": text(person.name),
            "gender": text(person.get_gender_display()),
            "age": text(data["age"]),
            "ethnicity": text(person.ethnicity),
            "id_number": text(data["id_number"]),
            "political_status": text(data["political_status"]),
        },
        "issuing_unit": {"name": text(getattr(data["issuing_unit"], "name", None))},
        "unit": _unit(transfer.from_unit),
        "today": _today(),
    }


# --- 组织生活台账封面及目录 ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerTarget:
    unit: object
    year: int

    @property
    def pk(self):
        return self.unit.pk


def _year(options: dict) -> int:
    year = options.get("year") or timezone.localdate().year
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 2000 <= year <= 2100:
        raise Http404
    return year


def access_ledger(user, unit_id, options: dict | None = None) -> LedgerTarget:
    unit = access_ledger_unit(user, unit_id)
    return LedgerTarget(unit=unit, year=_year(options or {}))


def ledger_cover_context(user, target: LedgerTarget, options: dict) -> dict:
    ledger = build_ledger(user, target.unit, target.year)
    meetings = [
        {
            "no": str(i),
            "date": cn_date(m.local_start.date()),
            "kind": text(m.get_kind_display()),
            "title": text(m.title),
            "host": text(m.host.name if m.host_id else None),
            "status": text(m.get_status_display()),
            "attendance": f"{m.present}/{m.expected}" if m.expected else MISSING,
        }
        for i, m in enumerate(ledger.meetings, start=1)
    ]
    return {
        "ledger": {
            "year": str(target.year),
            "held_total": str(ledger.held_total),
            "cancelled_total": str(ledger.cancelled_total),
            "talk_total": str(len(ledger.talks)) if ledger.show_talks else MISSING,
            "meetings": meetings,
            "kinds": [{"label": label, "held": str(h), "cancelled": str(c)} for label, h, c in ledger.kind_totals],
        },
        "unit": _unit(target.unit),
        "today": _today(),
    }


# --- 党费收据 ---------------------------------------------------------------------------------------


def dues_receipt_context(user, entry, options: dict) -> dict:
    recorder = entry.created_by
    return {
        "payment": {
            "receipt_no": text(entry.receipt_no),
            "amount": f"{entry.amount:.2f}",
            "amount_cn": amount_cn(entry.amount),
            "month": cn_month(entry.month),
            "kind": text(entry.get_kind_display()),
            "method": text(entry.get_method_display()),
            "paid_at": cn_date(timezone.localtime(entry.created_at).date()),
            "order_no": text(entry.order.order_no if entry.order_id else None),
            "note": text(entry.reason),
            "recorded_by": text(getattr(recorder, "display_name", "") or getattr(recorder, "username", "")),
        },
        "person": {"name": text(entry.person.name)},
        "unit": _unit(entry.unit),
        "today": _today(),
    }


def access_receipt(user, entry_id):
    entry = access_entry(user, entry_id)
    if entry.unit.parent_id:
        entry.unit.parent  # noqa: B018 - loaded here so that the context adds no query per receipt
    return entry


# --- registry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    kind: str
    access: Callable  # (user, object_id, options) -> object; 404/403 as the object's own page
    context: Callable  # (user, object, options) -> dict
    filename: Callable  # (object) -> str (without extension)
    audit_target: Callable  # (object) -> model instance named by the audit event


SPECS: dict[str, Spec] = {
    DocumentKind.FILING_FORM: Spec(
        DocumentKind.FILING_FORM,
        lambda user, pk, options: access_case(user, pk),
        filing_form_context,
        lambda case: f"发展党员备案表-{case.person.name}",
        lambda case: case,
    ),
    DocumentKind.PUBLIC_NOTICE: Spec(
        DocumentKind.PUBLIC_NOTICE,
        lambda user, pk, options: access_notice(user, pk),
        public_notice_context,
        lambda notice: f"公示-{notice.case.person.name}-{notice.get_kind_display()}",
        lambda notice: notice,
    ),
    DocumentKind.TRANSFER_LETTER: Spec(
        DocumentKind.TRANSFER_LETTER,
        lambda user, pk, options: access_letter(user, pk),
        transfer_letter_context,
        lambda t: f"组织关系介绍信-{t.person_name}-{t.letter_number}",
        lambda t: t,
    ),
    DocumentKind.LEDGER_COVER: Spec(
        DocumentKind.LEDGER_COVER,
        access_ledger,
        ledger_cover_context,
        lambda target: f"组织生活台账-{target.unit.name}-{target.year}年",
        lambda target: target.unit,
    ),
    DocumentKind.DUES_RECEIPT: Spec(
        DocumentKind.DUES_RECEIPT,
        lambda user, pk, options: access_receipt(user, pk),
        dues_receipt_context,
        lambda e: f"党费收据-{e.person.name}-{e.receipt_no or e.pk}",
        lambda e: e,
    ),
}
