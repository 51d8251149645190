"""The cockpit page as .xlsx: one sheet of headline figures, then one sheet per panel holding the
same rows as the panel's chart and table. Audited as ``cockpit.dashboard.export``."""

from __future__ import annotations

import io
import re

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.orgs.scoping import can

from . import dashboard
from .dashboard import VIEW

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub(" ", title)[:28].strip() or "数据"
    name, n = base, 2
    while name in used:
        name = f"{base[:26]}{n}"
        n += 1
    used.add(name)
    return name


def workbook_bytes(data: dict) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    used: set[str] = set()
    unit, period = data["unit"], data["period"]
    ws = wb.create_sheet(_sheet_title("核心指标", used))
    ws.append([f"{unit['name']} 党建数据座舱 · {period['label']}"])
    run = data.get("run") or {}
    finished = run.get("finished_at")
    ws.append(
        [
            f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}；数据更新于："
            + (f"{timezone.localtime(finished):%Y-%m-%d %H:%M}" if finished else "—")
        ]
    )
    ws.append(["指标", "单位", period["label"], period["previous_label"], "变化"])
    for h in data["headline"]:
        ws.append([h["label"], h["unit"], h["value"], h["previous"], h["change"]])
    for panel in data["panels"]:
        ws = wb.create_sheet(_sheet_title(panel["title"], used))
        ws.append([panel["title"]])
        if panel.get("note"):
            ws.append([panel["note"]])
        ws.append(list(panel["columns"]))
        for row in panel["rows"]:
            ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def dashboard_xlsx(*, actor, unit, period) -> tuple[str, bytes]:
    """Every panel's data of ``unit``'s cockpit for ``period`` as .xlsx (read from the store)."""
    if not can(actor, VIEW, unit):
        raise PermissionDenied
    data = dashboard.page_data(unit, period)
    content = workbook_bytes(data)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="cockpit.dashboard.export",
            target=unit,
            changes={"period": period.key, "panels": len(data["panels"])},
        )
    return f"cockpit-{unit.pk}-{period.key}.xlsx", content
