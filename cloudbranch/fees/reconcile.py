"""Reconciliation of a payment provider's settlement file against the ledger (对账).

The file (.csv in UTF-8 or GBK, or .xlsx, first sheet) has a header row with the columns
订单号, 渠道流水号, 金额, 支付时间 (other columns are ignored). It is compared with the paid
``PaymentOrder`` rows and their online ``LedgerEntry`` rows:

- 渠道有记录、台账无记录: a file row whose order is unknown, not paid, or has no online entry;
- 台账有记录、渠道无记录: an order paid in the period (by ``paid_at``) missing from the file;
- 金额不一致: the file amount differs from the money the ledger received for the order
  (payment and voluntary entries; reversals are refunds and are listed apart);
- 重复流水: the same 渠道流水号 or 订单号 appears more than once in the file;
- 流水号不一致: the file's 渠道流水号 differs from the one recorded on the order.

Nothing is changed: the result is shown, exported, and the run is audited (``fees.reconcile.run``).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import DomainError
from cloudbranch.orgs.scoping import holds

from .choices import EntryKind, OrderStatus, PaymentMethod
from .models import LedgerEntry, PaymentOrder

PERM = "fees.reconcile"
COLUMNS = ("订单号", "渠道流水号", "金额", "支付时间")
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000


class Kind:
    MISSING_IN_LEDGER = "missing_in_ledger"
    MISSING_IN_FILE = "missing_in_file"
    AMOUNT = "amount_differs"
    DUPLICATE = "duplicate_txn"
    TXN = "txn_differs"


LABELS = {
    Kind.MISSING_IN_LEDGER: "渠道有记录、台账无记录",
    Kind.MISSING_IN_FILE: "台账有记录、渠道无记录",
    Kind.AMOUNT: "金额不一致",
    Kind.DUPLICATE: "重复流水",
    Kind.TXN: "流水号不一致",
}


@dataclass
class SettlementRow:
    line: int
    order_no: str
    txn_id: str
    amount: Decimal
    paid_at: datetime.datetime | None


@dataclass
class Mismatch:
    kind: str
    order_no: str
    txn_id: str = ""
    file_amount: Decimal | None = None
    ledger_amount: Decimal | None = None
    line: int | None = None
    note: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "label": self.label,
            "order_no": self.order_no,
            "txn_id": self.txn_id,
            "file_amount": self.file_amount,
            "ledger_amount": self.ledger_amount,
            "line": self.line,
            "note": self.note,
        }


@dataclass
class ReconcileResult:
    file_name: str
    date_from: datetime.date
    date_to: datetime.date
    file_rows: int
    file_total: Decimal
    ledger_orders: int
    ledger_total: Decimal
    matched: int
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(m.kind for m in self.mismatches)
        return {k: c.get(k, 0) for k in LABELS}

    @property
    def count_rows(self) -> list[tuple[str, int]]:
        return [(LABELS[k], n) for k, n in self.counts.items()]


# --- reading the file -------------------------------------------------------------------------


def _bad(message: str, errors=None):
    return DomainError(f"对账文件无法使用：{message}", errors=errors or [{"field": "file", "message": message}])


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _amount(value, line: int) -> Decimal:
    text = _text(value).replace(",", "").replace("¥", "").replace("￥", "")
    if isinstance(value, float):
        text = repr(value)  # openpyxl numbers: the shortest repr is what the sheet shows
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _bad(f"第 {line} 行的金额“{_text(value)}”不是数字。") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise _bad(f"第 {line} 行的金额“{_text(value)}”不是精确到分的金额。")
    return amount.quantize(Decimal("0.01"))


def _when(value, line: int) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        dt = value
    elif isinstance(value, datetime.date):
        dt = datetime.datetime.combine(value, datetime.time())
    else:
        text = _text(value).replace("/", "-").replace("T", " ")
        dt = None
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y%m%d%H%M%S"):
            try:
                dt = datetime.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if dt is None:
            raise _bad(f"第 {line} 行的支付时间“{_text(value)}”无法识别（应为 2026-01-31 12:00:00 格式）。")
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    return dt


def _raw_rows(file_name: str, data: bytes) -> list[list]:
    name = (file_name or "").lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any unreadable workbook is one message
            raise _bad("不是有效的 .xlsx 文件。") from None
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise _bad("无法识别 .csv 文件的编码（请使用 UTF-8 或 GBK）。")
        return [row for row in csv.reader(io.StringIO(text))]
    raise _bad("只支持 .csv 或 .xlsx 文件。")


def parse_settlement(file_name: str, data: bytes) -> list[SettlementRow]:
    """The rows of a settlement file, or one DomainError saying what is wrong with it."""
    if not data:
        raise _bad("文件是空的。")
    if len(data) > MAX_BYTES:
        raise _bad("文件超过 20 MB。")
    raw = _raw_rows(file_name, data)
    header_at = next((i for i, r in enumerate(raw) if any(_text(c) for c in r)), None)
    if header_at is None:
        raise _bad("文件没有内容。")
    header = [_text(c) for c in raw[header_at]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise _bad(f"缺少列：{'、'.join(missing)}（表头应包含 {'、'.join(COLUMNS)}）。")
    pos = {c: header.index(c) for c in COLUMNS}
    out = []
    for i, r in enumerate(raw[header_at + 1 :], start=header_at + 2):
        if not any(_text(c) for c in r):
            continue

        def cell(col, r=r):
            return r[pos[col]] if pos[col] < len(r) else None

        order_no = _text(cell("订单号"))
        if not order_no:
            raise _bad(f"第 {i} 行缺少订单号。")
        out.append(
            SettlementRow(i, order_no, _text(cell("渠道流水号")), _amount(cell("金额"), i), _when(cell("支付时间"), i))
        )
        if len(out) > MAX_ROWS:
            raise _bad(f"行数超过 {MAX_ROWS}。")
    if not out:
        raise _bad("文件只有表头，没有数据行。")
    return out


# --- comparing --------------------------------------------------------------------------------


def reconcile(
    *, actor, file_name: str, data: bytes, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> ReconcileResult:
    """Compare the settlement file with the ledger; changes nothing but the audit log."""
    if not holds(actor, PERM):
        raise PermissionDenied
    rows = parse_settlement(file_name, data)
    days = [timezone.localtime(r.paid_at).date() for r in rows if r.paid_at]
    date_from = date_from or (min(days) if days else timezone.localdate())
    date_to = date_to or (max(days) if days else timezone.localdate())
    if date_from > date_to:
        raise DomainError(
            "对账期间的开始日期不能晚于结束日期。", errors=[{"field": "date_from", "message": "开始日期晚于结束日期"}]
        )
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(date_from, datetime.time(), tzinfo=tz)
    end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time(), tzinfo=tz)

    file_orders = {r.order_no for r in rows}
    orders = {
        o.order_no: o
        for o in PaymentOrder.objects.restrict(actor, PERM).filter(
            Q(status=OrderStatus.PAID, paid_at__gte=start, paid_at__lt=end) | Q(order_no__in=file_orders)
        )
    }
    received: dict[int, Decimal] = defaultdict(Decimal)
    refunded: dict[int, Decimal] = defaultdict(Decimal)
    with_entries: set[int] = set()
    for order_id, kind, amount in LedgerEntry.objects.filter(
        order_id__in=[o.pk for o in orders.values()], method=PaymentMethod.ONLINE
    ).values_list("order_id", "kind", "amount"):
        with_entries.add(order_id)
        if kind == EntryKind.REVERSAL:
            refunded[order_id] += amount
        else:
            received[order_id] += amount

    mismatches: list[Mismatch] = []
    seen_txn: Counter = Counter(r.txn_id for r in rows if r.txn_id)
    seen_order: Counter = Counter(r.order_no for r in rows)
    reported_dup: set[tuple[str, str]] = set()
    matched = 0
    for r in rows:
        dup_key = ("txn", r.txn_id) if r.txn_id and seen_txn[r.txn_id] > 1 else None
        if dup_key is None and seen_order[r.order_no] > 1:
            dup_key = ("order", r.order_no)
        if dup_key is not None:
            mismatches.append(
                Mismatch(
                    Kind.DUPLICATE,
                    r.order_no,
                    r.txn_id,
                    file_amount=r.amount,
                    line=r.line,
                    note=("渠道流水号" if dup_key[0] == "txn" else "订单号") + "在文件中重复出现",
                )
            )
            if dup_key in reported_dup:
                continue  # compare the first occurrence only
            reported_dup.add(dup_key)
        order = orders.get(r.order_no)
        if order is None or order.status != OrderStatus.PAID or order.pk not in with_entries:
            note = (
                "台账中没有该订单" if order is None else f"订单状态：{OrderStatus(order.status).label}，台账无在线入账"
            )
            mismatches.append(Mismatch(Kind.MISSING_IN_LEDGER, r.order_no, r.txn_id, r.amount, None, r.line, note))
            continue
        ok = True
        ledger_amount = received[order.pk]
        if ledger_amount != r.amount:
            ok = False
            note = f"已冲正 {-refunded[order.pk]} 元" if refunded[order.pk] else ""
            mismatches.append(Mismatch(Kind.AMOUNT, r.order_no, r.txn_id, r.amount, ledger_amount, r.line, note))
        if r.txn_id and order.provider_txn_id and r.txn_id != order.provider_txn_id:
            ok = False
            mismatches.append(
                Mismatch(
                    Kind.TXN,
                    r.order_no,
                    r.txn_id,
                    r.amount,
                    ledger_amount,
                    r.line,
                    f"台账记录的渠道流水号为 {order.provider_txn_id}",
                )
            )
        if ok:
            matched += 1
    ledger_in_period = [
        o for o in orders.values() if o.status == OrderStatus.PAID and o.paid_at and start <= o.paid_at < end
    ]
    for o in sorted(ledger_in_period, key=lambda o: (o.paid_at, o.order_no)):
        if o.order_no not in file_orders and o.pk in with_entries:
            mismatches.append(
                Mismatch(
                    Kind.MISSING_IN_FILE,
                    o.order_no,
                    o.provider_txn_id,
                    None,
                    received[o.pk],
                    None,
                    f"支付时间 {timezone.localtime(o.paid_at):%Y-%m-%d %H:%M}",
                )
            )
    result = ReconcileResult(
        file_name=file_name,
        date_from=date_from,
        date_to=date_to,
        file_rows=len(rows),
        file_total=sum((r.amount for r in rows), Decimal("0.00")),
        ledger_orders=len(ledger_in_period),
        ledger_total=sum((received[o.pk] for o in ledger_in_period if o.pk in with_entries), Decimal("0.00")),
        matched=matched,
        mismatches=mismatches,
    )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="fees.reconcile.run",
            target=("fees.settlement", "", file_name),
            changes={
                "file": file_name,
                "period": [date_from.isoformat(), date_to.isoformat()],
                "rows": len(rows),
                "matched": matched,
                "mismatches": result.counts,
            },
        )
    return result


def result_xlsx(result: ReconcileResult) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("对账结果")
    ws.append([f"对账文件：{result.file_name}", f"期间：{result.date_from} 至 {result.date_to}"])
    ws.append(["文件行数", result.file_rows, "文件金额", result.file_total])
    ws.append(["台账订单数", result.ledger_orders, "台账金额", result.ledger_total, "一致", result.matched])
    ws.append([])
    ws.append(["差异类型", "订单号", "渠道流水号", "文件金额（元）", "台账金额（元）", "文件行号", "说明"])
    for m in result.mismatches:
        ws.append([m.label, m.order_no, m.txn_id, m.file_amount, m.ledger_amount, m.line, m.note])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
