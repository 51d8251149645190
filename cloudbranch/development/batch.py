"""Graduation-season bulk transfers (毕业生批量转接): a spreadsheet or a selection of a class.

Same rules as the roster import (``people/importing.py``): every row is checked before
anything is written; one error anywhere means no transfer is created (the batch is kept as
``failed`` with its errors, each naming the spreadsheet row and the Chinese column); a valid
file creates one ``Transfer`` per row (``pending_out``) in one transaction, audited in bulk.
The sending secretary may then approve every pending transfer of the batch at once.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_bulk, audit_event, audit_record
from cloudbranch.core.errors import ConflictError
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can
from cloudbranch.people import crypto, idcard
from cloudbranch.people.choices import RosterStatus
from cloudbranch.people.importing import clean_name, clean_text, compact, parse_date
from cloudbranch.people.models import Person

from . import transfers as svc
from .choices import ApprovalDecision, BatchStatus, TransferKind, TransferStatus
from .models import Transfer, TransferBatch

MAX_ROWS = 2000
HEADER_SCAN_ROWS = 10
DEFAULT_REASON = "毕业离校"
EXAMPLE_PREFIX = "示例"

COLUMNS: dict[str, str] = {
    "学号或身份证号": "identifier",
    "姓名": "name",
    "转接类型": "kind",
    "去向党组织": "external_org",
    "接收组织编码": "to_unit",
    "原因": "reason",
    "党费交至": "dues_paid_until",
}
COLUMN_OF = {f: c for c, f in COLUMNS.items()}
REQUIRED_COLUMNS = ("学号或身份证号", "姓名", "转接类型")
HEADER_ALIASES = {
    "学号": "学号或身份证号",
    "身份证号": "学号或身份证号",
    "学号/身份证号": "学号或身份证号",
    "类型": "转接类型",
    "去向": "去向党组织",
    "转入党组织": "去向党组织",
    "接收党组织编码": "接收组织编码",
    "转接原因": "原因",
}
KIND_VALUES = {
    "outgoing": TransferKind.OUTGOING,
    "转出": TransferKind.OUTGOING,
    "转出至系统外": TransferKind.OUTGOING,
    "系统外": TransferKind.OUTGOING,
    "internal": TransferKind.INTERNAL,
    "系统内": TransferKind.INTERNAL,
    "系统内转接": TransferKind.INTERNAL,
}


class BatchFileError(Exception):
    def __init__(self, message: str, *, row: int | None = None, column: str = ""):
        super().__init__(message)
        self.message, self.row, self.column = message, row, column


@dataclass
class BatchRow:
    number: int  # as Excel shows it (or the position in a selection)
    data: dict
    person_id: int | None = None  # a selection names the person directly
    person: Person | None = None
    target: OrgUnit | None = None
    kind: str = ""
    errors: list[dict] = field(default_factory=list)


@dataclass
class BatchOutcome:
    batch: TransferBatch
    errors: list[dict]
    created: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


# --- reading ------------------------------------------------------------------------------------


def _header_key(value) -> str | None:
    text = compact(value).strip("*:：")
    text = HEADER_ALIASES.get(text, text)
    return text if text in COLUMNS else None


def read_rows(data: bytes) -> list[BatchRow]:
    """The data rows of the first sheet, keyed by field. Raises ``BatchFileError``."""
    if not data:
        raise BatchFileError("上传的文件是空的，请选择填写好的 .xlsx 文件。")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise BatchFileError("文件不是 Excel .xlsx 格式，请下载模板，填写后保存为 .xlsx 再上传。")
    import openpyxl

    from cloudbranch.core.documents import spreadsheet_problem

    if problem := spreadsheet_problem(data):
        raise BatchFileError(problem)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds: all mean unreadable
        raise BatchFileError("文件已损坏或不是有效的 .xlsx 文件，无法读取。") from None
    try:
        sheet = workbook.worksheets[0]
        all_rows = list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    header_row, columns = None, {}
    for number, values in enumerate(all_rows[:HEADER_SCAN_ROWS], start=1):
        found = {i: _header_key(v) for i, v in enumerate(values or ())}
        found = {i: k for i, k in found.items() if k}
        if len(found) >= 2:
            header_row, columns = number, found
            break
    if header_row is None:
        raise BatchFileError("没有找到表头行（应包含“学号或身份证号”“姓名”“转接类型”等列名）。请使用模板。")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns.values()]
    if missing:
        raise BatchFileError(f"缺少必填列：{'、'.join(missing)}。", row=header_row, column="、".join(missing))
    rows: list[BatchRow] = []
    for number, values in enumerate(all_rows[header_row:], start=header_row + 1):
        values = values or ()
        if not any(clean_text(v) for v in values):
            continue
        raw = {COLUMNS[key]: (values[i] if i < len(values) else None) for i, key in columns.items()}
        rows.append(BatchRow(number=number, data=raw))
        if len(rows) > MAX_ROWS:
            raise BatchFileError(f"文件超过单次上限 {MAX_ROWS} 行，请拆分后分别上传。")
    if not rows:
        raise BatchFileError("表头下面没有数据行。", row=header_row)
    return rows


def _convert(row: BatchRow) -> None:
    """Raw cells → python values, with cell errors on the row."""
    raw = row.data
    data = {
        "identifier": idcard.normalize(compact(raw.get("identifier"))) if raw.get("identifier") is not None else "",
        "name": clean_name(raw.get("name")),
        "kind": compact(raw.get("kind")),
        "external_org": clean_text(raw.get("external_org")),
        "to_unit": compact(raw.get("to_unit")),
        "reason": clean_text(raw.get("reason")),
        "dues_paid_until": None,
    }
    try:
        data["dues_paid_until"] = parse_date(raw.get("dues_paid_until"))
    except ValueError as exc:
        row.errors.append({"field": "dues_paid_until", "message": str(exc)})
    row.data = data


# --- validation ---------------------------------------------------------------------------------


def _is_id_number(text: str) -> bool:
    if len(text) != 18:
        return False
    try:
        idcard.parse(text)
    except idcard.IdNumberError:
        return False
    return True


def validate_rows(*, actor, unit: OrgUnit, rows: list[BatchRow]) -> list[dict]:
    """Check every row (people are looked up in ``unit``'s subtree); return {row, column,
    message} errors sorted by row and column, empty when the batch may be submitted."""
    today = timezone.localdate()
    subtree = Person.objects.filter(unit__path__startswith=unit.path).select_related("unit")
    ids = [r.person_id for r in rows if r.person_id]
    by_pk = {p.pk: p for p in subtree.filter(pk__in=ids)} if ids else {}
    idents = [r.data.get("identifier") or "" for r in rows if not r.person_id]
    hashes = {crypto.search_hash(t): t for t in idents if _is_id_number(t)}
    staff = [t for t in idents if t and t not in hashes.values()]
    by_hash, by_staff = {}, {}
    if hashes or staff:
        for p in subtree.filter(Q(id_number_hash__in=list(hashes)) | Q(staff_number__in=staff)):
            if p.id_number_hash in hashes:
                by_hash[hashes[p.id_number_hash]] = p
            if p.staff_number in staff:
                by_staff.setdefault(p.staff_number, []).append(p)
    codes = {r.data.get("to_unit") for r in rows if r.data.get("to_unit")}
    units = {u.code.upper(): u for u in OrgUnit.objects.filter(code__in=codes)} if codes else {}
    if codes:  # codes are matched case-insensitively
        missing = {c for c in codes if c.upper() not in units}
        if missing:
            q = Q()
            for c in missing:
                q |= Q(code__iexact=c)
            units.update({u.code.upper(): u for u in OrgUnit.objects.filter(q)})

    for row in rows:
        d = row.data
        err = row.errors.append
        if row.person_id:
            row.person = by_pk.get(row.person_id)
            if row.person is None:
                err({"field": "identifier", "message": "该人员不在本组织（含下级）的名册中"})
        else:
            ident = d.get("identifier") or ""
            if (d.get("name") or "").startswith(EXAMPLE_PREFIX):
                err({"field": "name", "message": "这是模板中的示例行，请删除后再上传"})
            if not ident:
                err({"field": "identifier", "message": "学号或身份证号不能为空"})
            elif ident in by_hash:
                row.person = by_hash[ident]
            elif len(by_staff.get(ident, [])) == 1:
                row.person = by_staff[ident][0]
            elif len(by_staff.get(ident, [])) > 1:
                err({"field": "identifier", "message": f"学号 {ident} 对应多人，请改填身份证号"})
            else:
                err(
                    {
                        "field": "identifier",
                        "message": f"{unit.name}（含下级）名册中没有学号或身份证号为 {ident} 的人员",
                    }
                )
            if row.person is not None and d.get("name") and d["name"] != row.person.name:
                err({"field": "name", "message": f"姓名与名册不一致（名册为“{row.person.name}”）"})
            if not d.get("name"):
                err({"field": "name", "message": "姓名不能为空"})
        if row.person is not None:
            if not can(actor, svc.ADD, row.person.unit):
                err({"field": "identifier", "message": "您没有为该人员办理转接的权限"})
            for e in svc.person_errors(row.person):
                err({"field": "identifier", "message": e["message"]})
        kind = KIND_VALUES.get((d.get("kind") or "").lower()) or KIND_VALUES.get(d.get("kind") or "")
        if kind is None:
            err({"field": "kind", "message": "转接类型应为 outgoing（转出至系统外）或 internal（系统内转接）"})
        else:
            row.kind = kind
        if kind == TransferKind.INTERNAL:
            code = d.get("to_unit") or ""
            if not code:
                err({"field": "to_unit", "message": "系统内转接须填写接收组织编码"})
            else:
                target = units.get(code.upper())
                if target is None:
                    err({"field": "to_unit", "message": f"接收组织编码“{code}”不存在"})
                else:
                    for e in svc.target_errors(target, row.person.unit if row.person else None):
                        err({"field": "to_unit", "message": e["message"]})
                    row.target = target
        elif kind == TransferKind.OUTGOING:
            if not d.get("external_org"):
                err({"field": "external_org", "message": "转出至系统外须填写去向党组织"})
            elif len(d["external_org"]) > 200:
                err({"field": "external_org", "message": "去向党组织名称过长（最多 200 字）"})
        if not d.get("reason"):
            d["reason"] = DEFAULT_REASON
        elif len(d["reason"]) > 200:
            err({"field": "reason", "message": "原因过长（最多 200 字）"})
        dues = d.get("dues_paid_until")
        if dues is not None and dues > today + datetime.timedelta(days=366 * 2):
            err({"field": "dues_paid_until", "message": "党费交至日期不合理"})

    # The same person twice in the file; people with a transfer already under way.
    seen: dict[int, int] = {}
    for row in rows:
        if row.person is None:
            continue
        if row.person.pk in seen:
            row.errors.append({"field": "identifier", "message": f"与第 {seen[row.person.pk]} 行是同一人"})
        else:
            seen[row.person.pk] = row.number
    busy = set(
        Transfer.objects.filter(person_id__in=list(seen), status__in=svc.OPEN_STATUSES).values_list(
            "person_id", flat=True
        )
    )
    for row in rows:
        if row.person is not None and row.person.pk in busy:
            row.errors.append({"field": "identifier", "message": f"{row.person.name}已有未办结的组织关系转接"})

    order = {c: i for i, c in enumerate(COLUMNS)}
    errors = []
    for row in rows:
        done = set()
        for e in row.errors:
            column = COLUMN_OF.get(e["field"], e["field"])
            if (column, e["message"]) in done:
                continue
            done.add((column, e["message"]))
            errors.append({"row": row.number, "column": column, "message": e["message"]})
    errors.sort(key=lambda e: (e["row"], order.get(e["column"], 99)))
    return errors


# --- the service --------------------------------------------------------------------------------


def batch_units(user, *, limit: int | None = 200):
    """Units the user may submit a batch for."""
    qs = OrgUnit.objects.restrict(user, svc.ADD).filter(status="active").only("id", "name", "code", "path", "kind")
    qs = qs.order_by("path")
    return qs[:limit] if limit else qs


def _batch_unit(actor, unit_id) -> OrgUnit:
    try:
        unit = OrgUnit.objects.restrict(actor, svc.VIEW).get(pk=int(unit_id))
    except (OrgUnit.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if not can(actor, svc.ADD, unit):
        raise PermissionDenied
    return unit


def _submit(*, actor, unit: OrgUnit, rows: list[BatchRow], title: str, file_name: str, dry_run: bool) -> BatchOutcome:
    title = (title or "").strip()[:200] or f"{unit.name} {timezone.localdate():%Y} 年毕业生批量转接"
    errors = validate_rows(actor=actor, unit=unit, rows=rows)
    status = BatchStatus.FAILED if errors else (BatchStatus.VALIDATED if dry_run else BatchStatus.SUBMITTED)
    try:
        with transaction.atomic():
            batch = TransferBatch.objects.create(
                from_unit=unit,
                title=title,
                file_name=(file_name or "")[:200],
                status=status,
                total_rows=len(rows),
                errors=errors,
                created_by=actor,
            )
            created = 0
            if status == BatchStatus.SUBMITTED:
                created = _create_transfers(actor=actor, batch=batch, rows=rows)
            audit_record(
                actor=actor,
                action="development.transferbatch.create",
                target=batch,
                changes={
                    "status": {"new": status},
                    "rows": {"new": len(rows)},
                    "errors": {"new": len(errors)},
                    "created": {"new": created},
                    "file": {"new": batch.file_name},
                },
            )
    except IntegrityError:
        # Someone opened a transfer for one of these people meanwhile: nothing was written.
        message = "提交期间有人为名单中的人员办理了转接，未创建任何转接。请重新提交以查看具体行。"
        errors = [{"row": None, "column": "", "message": message}]
        with transaction.atomic():
            batch = TransferBatch.objects.create(
                from_unit=unit,
                title=title,
                file_name=(file_name or "")[:200],
                status=BatchStatus.FAILED,
                total_rows=len(rows),
                errors=errors,
                created_by=actor,
            )
            audit_record(
                actor=actor,
                action="development.transferbatch.create",
                target=batch,
                changes={"status": {"new": "failed"}},
            )
        return BatchOutcome(batch=batch, errors=errors)
    return BatchOutcome(batch=batch, errors=errors, created=created)


def _create_transfers(*, actor, batch: TransferBatch, rows: list[BatchRow]) -> int:
    year = timezone.localdate().year
    first = svc.next_letter_number(year)
    prefix, seq = first.rsplit("-", 1)
    seq = int(seq)
    items = []
    for row in rows:
        d = row.data
        transfer = Transfer(
            kind=row.kind,
            status=TransferStatus.PENDING_OUT,
            person=row.person,
            person_name=row.person.name,
            from_unit=row.person.unit,
            to_unit=row.target if row.kind == TransferKind.INTERNAL else None,
            external_org=d.get("external_org") or "" if row.kind == TransferKind.OUTGOING else "",
            reason=d["reason"],
            dues_paid_until=d.get("dues_paid_until"),
            batch=batch,
            requested_by=actor,
        )
        if row.kind == TransferKind.OUTGOING:
            transfer.letter_number = f"{prefix}-{seq:06d}"
            seq += 1
        items.append(transfer)
    created = Transfer.objects.bulk_create(items, batch_size=500)
    audit_bulk(
        [
            audit_event(actor, action="development.transfer.create", target=t, changes=svc._audit_changes(t))
            for t in created
        ]
    )
    # One message to the branch approvers for the whole batch; one to each person with an account.
    approvers = svc.approvers_of(batch.from_unit)
    from cloudbranch.notifications.services import notify

    if approvers:
        notify(
            recipients=approvers,
            category=svc.notify_category(),
            title=f"批量转接待审批：{batch.title}（{len(created)} 人）",
            url=_batch_url(batch),
            actor=actor,
        )
    users = [t.person.user_id for t in created if t.person.user_id]
    if users:
        notify(recipients=users, category=svc.notify_category(), title="已为您申请组织关系转接", actor=actor)
    return len(created)


def _batch_url(batch: TransferBatch) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("development:transfer_batch_detail", args=[batch.pk])
    except NoReverseMatch:
        return ""


def batch_upload(
    *, actor, unit_id: int, data: bytes, file_name: str = "", title: str = "", dry_run: bool = False
) -> BatchOutcome:
    """Validate a spreadsheet in full and (unless ``dry_run``) create every transfer, or none."""
    unit = _batch_unit(actor, unit_id)
    try:
        rows = read_rows(data)
    except BatchFileError as exc:
        errors = [{"row": exc.row, "column": exc.column, "message": exc.message}]
        with transaction.atomic():
            batch = TransferBatch.objects.create(
                from_unit=unit,
                title=(title or "").strip()[:200] or f"{unit.name} 批量转接",
                file_name=(file_name or "")[:200],
                status=BatchStatus.FAILED,
                errors=errors,
                created_by=actor,
            )
            audit_record(
                actor=actor,
                action="development.transferbatch.create",
                target=batch,
                changes={"status": {"new": "failed"}},
            )
        return BatchOutcome(batch=batch, errors=errors)
    for row in rows:
        _convert(row)
    return _submit(actor=actor, unit=unit, rows=rows, title=title, file_name=file_name, dry_run=dry_run)


def batch_from_selection(
    *,
    actor,
    unit_id: int,
    person_ids: list[int],
    kind: str,
    to_unit: str = "",
    external_org: str = "",
    reason: str = "",
    dues_paid_until=None,
    title: str = "",
    dry_run: bool = False,
) -> BatchOutcome:
    """The same, for people picked from the roster (a class of graduates) with one destination."""
    unit = _batch_unit(actor, unit_id)
    rows = [
        BatchRow(
            number=i,
            person_id=int(pk),
            data={
                "identifier": "",
                "name": "",
                "kind": kind,
                "external_org": (external_org or "").strip(),
                "to_unit": (to_unit or "").strip(),
                "reason": (reason or "").strip(),
                "dues_paid_until": dues_paid_until,
            },
        )
        for i, pk in enumerate(dict.fromkeys(person_ids), start=1)
    ]
    if not rows:
        from cloudbranch.core.errors import DomainError

        raise DomainError("请至少选择一人", errors=[{"field": "people", "message": "请至少选择一人"}])
    return _submit(actor=actor, unit=unit, rows=rows, title=title, file_name="", dry_run=dry_run)


def class_people(actor, unit: OrgUnit, department: str = "", *, limit: int = 500):
    """People of a class (department) in the unit's subtree who may be transferred."""
    qs = (
        Person.objects.restrict(actor, svc.ADD)
        .filter(
            unit__path__startswith=unit.path,
            roster_status=RosterStatus.ACTIVE,
            political_status__in=svc.TRANSFERABLE_STATUSES,
        )
        .select_related("unit")
        .only("id", "name", "staff_number", "department", "political_status", "unit__name")
    )
    if department:
        qs = qs.filter(department=department)
    return qs.order_by("department", "staff_number", "name", "id")[:limit]


def class_departments(actor, unit: OrgUnit, *, limit: int = 200) -> list[str]:
    return list(
        Person.objects.restrict(actor, svc.ADD)
        .filter(unit__path__startswith=unit.path, roster_status=RosterStatus.ACTIVE)
        .exclude(department="")
        .values_list("department", flat=True)
        .distinct()
        .order_by("department")[:limit]
    )


# --- batch access and approval ------------------------------------------------------------------


def batch_list(user):
    return (
        TransferBatch.objects.restrict(user, svc.VIEW)
        .select_related("from_unit", "created_by")
        .defer("errors")
        .order_by("-created_at", "-id")
    )


def access_batch(user, batch_id) -> TransferBatch:
    try:
        return (
            TransferBatch.objects.restrict(user, svc.VIEW)
            .select_related("from_unit", "created_by")
            .get(pk=int(batch_id))
        )
    except (TransferBatch.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def batch_approve(*, actor, batch_id: int, comment: str = "") -> int:
    """Approve, at the actor's level, every transfer of the batch waiting for it. Returns how
    many were approved. 409 when none is pending; 403 when none waits for this actor."""
    today = timezone.localdate()
    with transaction.atomic():
        batch = access_batch(actor, batch_id)
        pending = list(
            svc.transfer_queryset()
            .select_for_update(of=("self",))
            .prefetch_related("approvals")
            .filter(batch=batch, status__in=[TransferStatus.PENDING_OUT, TransferStatus.PENDING_IN])
            .order_by("pk")
        )
        if not pending:
            raise ConflictError("该批次没有待审批的转接。")
        units = {u.pk: u for t in pending for u in (t.from_unit, t.to_unit) if u is not None}
        ancestors = svc._ancestor_map(list(units.values()))
        for t in pending:
            svc.required_levels(t, ancestors)
        mine = [t for t in pending if svc.may_decide(actor, t)]
        if not mine:
            raise PermissionDenied
        audits = []
        for t in mine:
            audits.extend(svc._decide(t, actor=actor, decision=ApprovalDecision.APPROVED, comment=comment, today=today))
        audits.append(
            audit_event(
                actor,
                action="development.transferbatch.approve",
                target=batch,
                changes={"approved": {"new": len(mine)}, "pending": {"new": len(pending)}},
            )
        )
        audit_bulk(audits)
    return len(mine)


# --- template -----------------------------------------------------------------------------------

INSTRUCTIONS = [
    ("填写说明", ""),
    ("学号或身份证号", "填写名册中的学号，或 18 位身份证号（学号重复时请填身份证号）；请将该列设为文本格式。"),
    ("姓名", "须与名册一致，用于核对。"),
    ("转接类型", "outgoing（转出至系统外，开具介绍信）或 internal（系统内转接），也可填“转出”“系统内”。"),
    ("去向党组织", "转出至系统外时必填：接收组织关系的党组织全称。"),
    ("接收组织编码", "系统内转接时必填：接收党支部（党小组）的组织编码，可在“组织关系转接—新建”中搜索。"),
    ("原因", "可不填，默认“毕业离校”。"),
    ("党费交至", "党费已交至的月份日期，如 2026-06-30。"),
    ("全部或全不", "只要有一行有错，就不会创建任何转接；请按错误列表修改后重新上传。"),
    ("示例行", f"姓名以“{EXAMPLE_PREFIX}”开头的示例行请在上传前删除。"),
]


def build_template() -> bytes:
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "批量转接"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        if cell.value in REQUIRED_COLUMNS:
            cell.fill = PatternFill("solid", fgColor="FFF2CC")
    ws.append(
        [
            "2022010001",
            f"{EXAMPLE_PREFIX}张三",
            "outgoing",
            "中共某市某区某街道工作委员会",
            "",
            DEFAULT_REASON,
            "2026-06-30",
        ]
    )
    ws.append(["2022010002", f"{EXAMPLE_PREFIX}李四", "internal", "", "CA02", "升学", "2026-06-30"])
    for row in ws.iter_rows(min_row=2, max_row=3):
        for cell in row:
            cell.font = Font(italic=True, color="808080")
    for index, name in enumerate(COLUMNS, start=1):
        letter = openpyxl.utils.get_column_letter(index)
        ws.column_dimensions[letter].width = 30 if name == "去向党组织" else 18
        if name in ("学号或身份证号", "接收组织编码"):
            for r in range(2, 1001):
                ws.cell(row=r, column=index).number_format = "@"
    dv = DataValidation(type="list", formula1='"outgoing,internal"', allow_blank=False)
    dv.add("C2:C2000")
    ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    info = wb.create_sheet("填写说明")
    for key, text in INSTRUCTIONS:
        info.append([key, text])
    info["A1"].font = Font(bold=True, size=14)
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
