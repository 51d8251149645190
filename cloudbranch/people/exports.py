"""Export of a filtered roster to .xlsx (SPEC §1: masked sensitive fields unless permitted; audited)."""

from __future__ import annotations

import io

from django.core.exceptions import PermissionDenied
from openpyxl import Workbook

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import DomainError
from cloudbranch.orgs.scoping import granted_prefixes, scope_q

from . import selectors

MAX_EXPORT_ROWS = 50_000
HEADERS = [
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "身份证号",
    "手机号",
    "学号工号",
    "人员类别",
    "政治面貌",
    "所在党组织编码",
    "所在党组织",
    "学院",
    "班级或部门",
    "学历",
    "申请入党日期",
    "确定积极分子日期",
    "确定发展对象日期",
    "入党日期",
    "转正日期",
    "流动党员",
    "失联",
    "出国境",
    "在册状态",
]


def _yes(value: bool) -> str:
    return "是" if value else ""


def roster_export(*, user, filters: dict, max_rows: int = MAX_EXPORT_ROWS) -> tuple[bytes, int]:
    """The roster ``person_list(user, filters)`` limited to where the user holds
    ``people.export_person``, as xlsx bytes, and the row count. ID numbers and phones are in
    clear only for people under a unit where the user holds ``people.view_sensitive``
    (个人信息保护法 Art. 28); one audit row ``people.person.export`` records the filters, the
    number of rows and how many went out unmasked."""
    export_prefixes = granted_prefixes(user, "people.export_person")
    if not export_prefixes:
        raise PermissionDenied
    sensitive_prefixes = granted_prefixes(user, "people.view_sensitive")
    qs = selectors.person_list(user=user, filters=filters).filter(scope_q("unit__path", export_prefixes))
    total = qs.count()
    if total > max_rows:
        raise DomainError(
            f"符合条件的人员有 {total} 名，超过单次导出上限 {max_rows} 名，请缩小筛选范围后再导出。",
            code="too_many_rows",
        )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("人员名册")
    ws.append(HEADERS)
    rows = clear = 0
    for p in qs.iterator(chunk_size=2000):
        reveal = bool(sensitive_prefixes) and p.unit.path.startswith(sensitive_prefixes)
        if reveal:
            clear += 1
        ws.append(
            [
                p.name,
                p.get_gender_display(),
                p.ethnicity,
                p.birth_date,
                p.reveal_id_number() if reveal else p.id_number_masked,
                p.phone if reveal else p.phone_masked,
                p.staff_number,
                p.get_category_display(),
                p.get_political_status_display(),
                p.unit.code,
                p.unit.name,
                p.college,
                p.department,
                p.education,
                p.applied_on,
                p.activist_on,
                p.candidate_on,
                p.joined_on,
                p.confirmed_on,
                _yes(p.is_mobile),
                _yes(p.is_lost_contact),
                _yes(p.is_abroad),
                p.get_roster_status_display(),
            ]
        )
        rows += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    audit_record(
        actor=user,
        action="people.person.export",
        target=("people.person", "", "人员名册导出"),
        changes={"filters": {k: str(v) for k, v in filters.items()}, "rows": rows, "unmasked_rows": clear},
    )
    return buffer.getvalue(), rows
