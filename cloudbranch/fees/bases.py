"""Dues bases (党费基数): declarations, approvals, the base in force for a month, payroll import.

Who may do what
- A member declares his own base (``person.user == actor``); a fee collector or secretary enters
  a base for anyone at a unit where they hold ``fees.change_duesbase``.
- A secretary (``fees.approve_dues`` at the person's unit) approves or rejects a declared base.
  Approval fixes ``monthly_dues`` from the standard in force on ``effective_from``.
- Rows are never overwritten: a new base is a new row; rejected and superseded rows stay.

Rules
- ``effective_from`` is the 1st of a month (any date is moved back to its month's 1st: the base
  applies "from the month a new salary is paid", SPEC §5).
- ``amount`` is a ``Decimal`` ≥ 0 with at most two decimals; floats are refused.
- ``base_for(person, month)``: the latest APPROVED base whose ``effective_from`` ≤ month
  (ties: the later row). Declared and rejected bases never count.

Category defaults (when a member has no approved base for the month)
- A student (people category "student") pays the student flat dues (0.20 yuan under the 2008
  standard): students have no salary to declare.
- A retiree (category "retiree") gets NO bill until a pension base is approved: the pension
  amount decides between 0.5 % and 1 %, and billing a guess would make arrears out of nothing.
- Faculty and staff likewise get no bill until a salary base is approved (same reason); the
  bills page counts them as "缺少基数" so the fee collector can enter the base.
- An approved base always wins over the default (a student with a salary declares it).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.scoping import access_by_id, can, granted_prefixes, holds, scope_q
from cloudbranch.people.choices import Category
from cloudbranch.people.models import Person

from . import standards
from .choices import BaseKind, BaseStatus
from .models import DuesBase

CHANGE = "fees.change_duesbase"
APPROVE = "fees.approve_dues"
AUDITED = ("person_id", "base_kind", "amount", "effective_from", "monthly_dues", "status", "note")


def month_start(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.replace(day=1)


def parse_amount(value, *, field: str = "amount") -> Decimal:
    """A base amount: Decimal ≥ 0 with at most two decimals; DomainError otherwise (floats refused)."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        amount = Decimal(str(value).strip().replace(",", "")) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise DomainError(
            "缴费基数不是有效的金额", errors=[{"field": field, "message": "请输入金额，如 4500.00"}]
        ) from None
    if not amount.is_finite():
        raise DomainError("缴费基数不是有效的金额", errors=[{"field": field, "message": "请输入金额，如 4500.00"}])
    if amount < 0:
        raise DomainError("缴费基数不能为负数", errors=[{"field": field, "message": "缴费基数不能为负数"}])
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError("缴费基数最多两位小数", errors=[{"field": field, "message": "缴费基数最多两位小数（到分）"}])
    if amount >= Decimal("10000000000"):
        raise DomainError("缴费基数过大", errors=[{"field": field, "message": "缴费基数过大"}])
    return amount.quantize(Decimal("0.01"))


def _check_kind(base_kind: str) -> None:
    if base_kind not in BaseKind.values:
        raise DomainError("基数类型无效", errors=[{"field": "base_kind", "message": "请选择基数类型"}])


def _dues(base_kind: str, amount: Decimal, on: datetime.date) -> Decimal:
    try:
        return standards.monthly_dues(base_kind, amount, on=on)
    except standards.NoStandard as exc:
        raise DomainError(str(exc), errors=[{"field": "effective_from", "message": str(exc)}]) from None


def access_person_for_base(actor, person_id) -> Person:
    """The person whose base ``actor`` may enter: himself, or someone at a unit where the actor
    holds fees.change_duesbase. 404 outside scope, 403 when visible but not allowed."""
    person = Person.objects.select_related("unit").filter(pk=person_id).first() if str(person_id).isdigit() else None
    if person is not None and actor.is_authenticated and person.user_id == actor.pk:
        return person
    person = access_by_id(actor, Person, person_id, queryset=Person.objects.select_related("unit"))
    if not can(actor, CHANGE, person.unit):
        raise PermissionDenied
    return person


def base_declare(
    *, actor, person_id: int, base_kind: str, amount, effective_from: datetime.date, note: str = ""
) -> DuesBase:
    """Declare (member) or enter (fee collector, secretary) a base; it waits for approval."""
    person = access_person_for_base(actor, person_id)
    _check_kind(base_kind)
    amount = parse_amount(amount)
    if effective_from is None:
        raise DomainError("请填写起始月份", errors=[{"field": "effective_from", "message": "请填写起始月份"}])
    start = month_start(effective_from)
    if not person.is_party_member:
        raise DomainError(
            "只有党员（含预备党员）需要申报党费基数", errors=[{"field": "person_id", "message": "此人不是党员"}]
        )
    if len(note or "") > 500:
        raise DomainError("说明过长", errors=[{"field": "note", "message": "说明最多 500 个字"}])
    with transaction.atomic():
        base = DuesBase.objects.create(
            person=person,
            base_kind=base_kind,
            amount=amount,
            effective_from=start,
            monthly_dues=_dues(base_kind, amount, start),
            status=BaseStatus.DECLARED,
            note=note or "",
            declared_by=actor,
        )
        audit_record(actor=actor, action="fees.duesbase.declare", target=base, changes=_created(base))
    return base


def _created(base: DuesBase) -> dict:
    return {f.removesuffix("_id"): {"old": None, "new": str(getattr(base, f))} for f in AUDITED}


def base_decide(*, actor, base_id: int, approve: bool, note: str = "") -> DuesBase:
    """Approve (fixing monthly_dues from the standard on effective_from) or reject a declared base."""
    base = access_by_id(actor, DuesBase, base_id, action=APPROVE, queryset=DuesBase.objects.select_related("person"))
    if not approve and not (note or "").strip():
        raise DomainError("退回时请写明原因", errors=[{"field": "note", "message": "退回时请写明原因"}])
    with transaction.atomic():
        base = DuesBase.objects.select_for_update().get(pk=base.pk)
        if base.status != BaseStatus.DECLARED:
            raise ConflictError(f"该基数已{base.get_status_display()}，不能再审核")
        old_status, old_dues = base.status, base.monthly_dues
        base.status = BaseStatus.APPROVED if approve else BaseStatus.REJECTED
        if approve:
            base.monthly_dues = _dues(base.base_kind, base.amount, base.effective_from)
        if note:
            base.note = (f"{base.note}；" if base.note else "") + f"审核：{note}"
            base.note = base.note[:500]
        base.decided_by = actor
        base.decided_at = timezone.now()
        base.save(update_fields=["status", "monthly_dues", "note", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="fees.duesbase.approve" if approve else "fees.duesbase.reject",
            target=base,
            changes={
                "status": {"old": old_status, "new": base.status},
                "monthly_dues": {"old": str(old_dues), "new": str(base.monthly_dues)},
                **({"note": {"old": None, "new": note}} if note else {}),
            },
        )
    return base


# --- selectors ---------------------------------------------------------------------------


def base_for(person, month) -> DuesBase | None:
    """The latest approved base of ``person`` with effective_from ≤ month (None if there is none)."""
    person_id = getattr(person, "pk", person)
    return (
        DuesBase.objects.filter(person_id=person_id, status=BaseStatus.APPROVED, effective_from__lte=month_start(month))
        .order_by("-effective_from", "-id")
        .first()
    )


def bases_in_force(person_ids_q: Q, month: datetime.date) -> dict[int, tuple[int, str, Decimal]]:
    """For many people at once (one query): person_id → (base id, kind, amount) of the base in force."""
    rows = (
        DuesBase.objects.filter(person_ids_q, status=BaseStatus.APPROVED, effective_from__lte=month_start(month))
        .order_by("person_id", "-effective_from", "-id")
        .values_list("person_id", "id", "base_kind", "amount")
    )
    result: dict[int, tuple[int, str, Decimal]] = {}
    for person_id, base_id, kind, amount in rows:
        result.setdefault(person_id, (base_id, kind, amount))
    return result


def default_kind(category: str) -> str | None:
    """The base kind a member without an approved base is billed under (see the module doc)."""
    return BaseKind.STUDENT if category == Category.STUDENT else None


def visible_bases(user):
    """Bases the user may see: those in their fees.view_duesbase scope, plus their own."""
    prefixes = granted_prefixes(user, "fees.view_duesbase")
    q = Q(person__user_id=user.pk) if user.is_authenticated else Q(pk__in=[])
    if prefixes:
        q |= scope_q(DuesBase.scope_path, prefixes)
    return DuesBase.objects.filter(q)


def base_list(user, *, unit_id=None, status: str = "", kind: str = "", q: str = ""):
    """Bases in scope, pending approvals first, then newest."""
    qs = visible_bases(user).select_related("person", "person__unit", "declared_by", "decided_by")
    if unit_id:
        from cloudbranch.orgs.models import OrgUnit

        unit = OrgUnit.objects.filter(pk=unit_id).only("path").first()
        qs = qs.filter(person__unit__path__startswith=unit.path) if unit else qs.none()
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(base_kind=kind)
    if q:
        qs = qs.filter(Q(person__name__icontains=q) | Q(person__staff_number=q))
    pending_first = Case(When(status=BaseStatus.DECLARED, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.order_by(pending_first, "-declared_at", "-id")


# --- payroll import -----------------------------------------------------------------------

PAYROLL_COLUMNS = {
    "学号工号": "staff_number",
    "身份证号": "id_number",
    "姓名": "name",
    "月缴费基数": "amount",
    "基数类型": "base_kind",
    "起始月份": "effective_from",
}
PAYROLL_ALIASES = {"工号": "学号工号", "学号": "学号工号", "缴费基数": "月缴费基数", "基数": "月缴费基数"}
PAYROLL_REQUIRED = ("姓名", "月缴费基数", "基数类型", "起始月份")
KIND_VALUES = {
    "工资": BaseKind.SALARY,
    "工资收入": BaseKind.SALARY,
    "离退休费": BaseKind.PENSION,
    "基本养老金": BaseKind.PENSION,
    "养老金": BaseKind.PENSION,
    "学生": BaseKind.STUDENT,
    "无固定收入": BaseKind.NO_INCOME,
    **{str(label): value for value, label in BaseKind.choices},
}
HEADER_SCAN_ROWS = 10


def _payroll_header(value) -> str | None:
    from cloudbranch.people.importing import compact

    text = compact(value).strip("*:")
    text = PAYROLL_ALIASES.get(text, text)
    return text if text in PAYROLL_COLUMNS else None


def read_payroll(data: bytes) -> tuple[dict[int, str], list[tuple[int, tuple]]]:
    """The payroll sheet: column index → field, and the non-empty data rows (Excel numbering).
    Raises people.importing.ImportFileError for a file that cannot be read as a whole."""
    import io
    import zipfile

    from django.conf import settings

    from cloudbranch.people.importing import ImportFileError, clean_text

    if not data:
        raise ImportFileError("上传的文件是空的，请选择填写好的 .xlsx 文件。")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportFileError("文件不是 Excel .xlsx 格式，请填写后保存为 .xlsx 再上传。")
    import openpyxl

    from cloudbranch.core.documents import spreadsheet_problem

    if problem := spreadsheet_problem(data):
        raise ImportFileError(problem)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds: all mean unreadable
        raise ImportFileError("文件已损坏或不是有效的 .xlsx 文件，无法读取。") from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        rows = [(n, tuple(v)) for n, v in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        workbook.close()
    best, best_score = None, 0
    for number, values in rows[:HEADER_SCAN_ROWS]:
        score = len({k for k in map(_payroll_header, values) if k})
        if score > best_score:
            best, best_score = number, score
    if best is None or best_score < 2:
        raise ImportFileError("在前 10 行中没有找到表头行（应包含“姓名”“月缴费基数”等列名）。")
    header = rows[best - 1][1]
    columns: dict[int, str] = {}
    for index, cell in enumerate(header):
        key = _payroll_header(cell)
        if key is None:
            continue
        if PAYROLL_COLUMNS[key] in columns.values():
            raise ImportFileError(f"列“{key}”出现了两次，请删除其中一列。", row=best, column=key)
        columns[index] = PAYROLL_COLUMNS[key]
    missing = [c for c in PAYROLL_REQUIRED if PAYROLL_COLUMNS[c] not in columns.values()]
    if not {"staff_number", "id_number"} & set(columns.values()):
        missing.append("学号工号或身份证号")
    if missing:
        raise ImportFileError(f"缺少必填列：{'、'.join(missing)}。", row=best, column="、".join(missing))
    data_rows = [(n, v) for n, v in rows[best:] if any(clean_text(x) for x in v)]
    if not data_rows:
        raise ImportFileError("表头下面没有数据行。", row=best)
    if len(data_rows) > settings.IMPORT_MAX_ROWS:
        raise ImportFileError(f"文件超过单次导入上限 {settings.IMPORT_MAX_ROWS} 行，请拆分成几个文件分别导入。")
    return columns, data_rows


COLUMN_LABEL = {f: c for c, f in PAYROLL_COLUMNS.items()}


def import_bases(*, actor, data: bytes, dry_run: bool = False, file_name: str = "工资表.xlsx") -> dict:
    """Import a payroll workbook in one go: a preview job, confirmed at once (so it can be undone
    like any other; see ``bases_import``). ``dry_run``: checked only, nothing written, no job.
    Returns {"errors": [], "created", "approved", "declared", "total_rows"} (+ "job" when written);
    raises DomainError (422) with every {row, column, message} when any row fails.
    """
    from . import bases_import

    if dry_run:
        rows = check_payroll(actor=actor, data=data)
        return {"total_rows": len(rows), "errors": [], "created": 0, "approved": 0, "declared": 0}
    job = bases_import.preview(actor=actor, file_name=file_name, data=data)
    job = bases_import.confirm(actor=actor, job_id=job.pk)
    return {
        "total_rows": job.total_rows,
        "errors": [],
        "created": job.created_count,
        "approved": job.approved_count,
        "declared": job.declared_count,
        "job": job.pk,
    }


def check_payroll(*, actor, data: bytes) -> list[dict]:
    """Read and check a payroll workbook, every row, writing nothing: the rows to create, in file
    order, each with its ``person``, ``base_kind``, ``amount``, ``effective_from``,
    ``monthly_dues`` and ``approved`` (the importer holds fees.approve_dues at the person's unit:
    the base is created APPROVED, else DECLARED for a secretary to approve).

    Each row finds its person by 学号工号 or 身份证号 (the name must match too), in the importer's
    fees.change_duesbase scope, and must be a Party member. Raises DomainError (422) with every
    error as {row, column, message} when the file or any row fails.
    """
    from cloudbranch.people import crypto, idcard
    from cloudbranch.people.importing import ImportFileError, clean_name, compact, parse_date

    if not holds(actor, CHANGE):
        raise PermissionDenied
    try:
        columns, rows = read_payroll(data)
    except ImportFileError as exc:
        errors = [{"row": exc.row, "column": exc.column, "message": exc.message}]
        raise DomainError(exc.message, errors=errors) from None

    parsed: list[dict] = []
    errors: list[dict] = []

    def err(number, field, message):
        errors.append({"row": number, "column": COLUMN_LABEL.get(field, field), "message": message})

    for number, values in rows:
        cell = {f: (values[i] if i < len(values) else None) for i, f in columns.items()}
        row = {"row": number, "name": clean_name(cell.get("name"))}
        row["staff_number"] = compact(cell.get("staff_number"))
        raw_id = cell.get("id_number")
        if isinstance(raw_id, float) and raw_id.is_integer():
            raw_id = str(int(Decimal(repr(raw_id))))
        row["id_number"] = idcard.normalize(compact(raw_id)) if raw_id not in (None, "") else ""
        if not row["name"]:
            err(number, "name", "姓名不能为空")
        if not row["staff_number"] and not row["id_number"]:
            err(number, "staff_number", "学号工号和身份证号至少填写一项")
        raw_amount = cell.get("amount")
        if isinstance(raw_amount, float):
            raw_amount = repr(raw_amount)  # the shortest decimal form, as Excel shows it
        try:
            if raw_amount in (None, ""):
                raise DomainError("月缴费基数不能为空", errors=[{"field": "amount", "message": "月缴费基数不能为空"}])
            row["amount"] = parse_amount(raw_amount)
        except DomainError as exc:
            err(number, "amount", exc.errors[0]["message"] if exc.errors else exc.message)
        kind = KIND_VALUES.get(compact(cell.get("base_kind")))
        if kind is None:
            err(number, "base_kind", "基数类型应为“工资”或“离退休费”")
        row["base_kind"] = kind
        raw_month = cell.get("effective_from")
        if isinstance(raw_month, str) and compact(raw_month):
            text = compact(raw_month).replace("年", "-").replace("月", "").replace("/", "-").replace(".", "-")
            if text.count("-") == 1 or (text.isdigit() and len(text) == 6):
                text = f"{text[:4]}-{text[4:]}" if text.isdigit() else text
                raw_month = f"{text.rstrip('-')}-01"
        try:
            start = parse_date(raw_month)
            if start is None:
                raise ValueError("起始月份不能为空")
            row["effective_from"] = month_start(start)
        except ValueError as exc:
            err(number, "effective_from", str(exc))
        parsed.append(row)

    # Find the people: one query per chunk of keys.
    ids = {r["id_number"] for r in parsed if r["id_number"]}
    staff = {r["staff_number"] for r in parsed if r["staff_number"] and not r["id_number"]}
    by_hash: dict[str, Person] = {}
    by_staff: dict[str, list[Person]] = defaultdict(list)
    hashes = {i: crypto.search_hash(i) for i in ids}
    hash_list = list(hashes.values())
    for i in range(0, len(hash_list), 500):
        for p in Person.objects.select_related("unit").filter(id_number_hash__in=hash_list[i : i + 500]):
            by_hash[p.id_number_hash] = p
    staff_list = sorted(staff)
    for i in range(0, len(staff_list), 500):
        for p in Person.objects.select_related("unit").filter(staff_number__in=staff_list[i : i + 500]):
            by_staff[p.staff_number].append(p)

    seen: dict[tuple[int, datetime.date], int] = {}
    for row in parsed:
        number = row["row"]
        if row["id_number"]:
            person = by_hash.get(hashes[row["id_number"]])
            key_field = "id_number"
        elif row["staff_number"]:
            matches = [p for p in by_staff.get(row["staff_number"], []) if p.name == row["name"]]
            person = matches[0] if len(matches) == 1 else None
            key_field = "staff_number"
            if len(matches) > 1:
                err(number, key_field, "学号工号对应多人，请填写身份证号")
                continue
        else:
            continue
        if person is None or not can(actor, CHANGE, person.unit):
            err(number, key_field, "在您的管理范围内没有找到此人")
            continue
        if row["name"] and person.name != row["name"]:
            err(number, "name", f"姓名与名册不符（名册：{person.name}）")
            continue
        if not person.is_party_member:
            err(number, "name", "此人不是党员（含预备党员），无需党费基数")
            continue
        row["person"] = person
        if row.get("effective_from"):
            key = (person.pk, row["effective_from"])
            if key in seen:
                err(number, key_field, f"与第 {seen[key]} 行是同一人同一起始月份")
            else:
                seen[key] = number
        if row.get("base_kind") and row.get("amount") is not None and row.get("effective_from"):
            try:
                row["monthly_dues"] = standards.monthly_dues(row["base_kind"], row["amount"], on=row["effective_from"])
            except standards.NoStandard as exc:
                err(number, "effective_from", str(exc))

    order = list(COLUMN_LABEL.values())
    errors.sort(key=lambda e: (e["row"] or 0, order.index(e["column"]) if e["column"] in order else 99))
    if errors:
        raise DomainError(f"文件中有 {len(errors)} 处错误，未导入任何数据。请修改后重新上传。", errors=errors)
    for row in parsed:
        row["approved"] = can(actor, APPROVE, row["person"].unit)
    return parsed
