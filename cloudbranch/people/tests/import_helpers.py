"""Workbooks built in memory for the import tests."""

from __future__ import annotations

import datetime
import io

import openpyxl

from cloudbranch.testing.factories import id_number_for

HEADER = [
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
    "申请入党日期",
    "确定积极分子日期",
    "确定发展对象日期",
    "入党日期",
    "转正日期",
]


def person_row(n: int, *, unit: str = "CA01", gender: str = "男", **overrides) -> dict:
    """A valid full member born in 1995; ``overrides`` replace columns by Chinese name."""
    birth = datetime.date(1990, 1, 1) + datetime.timedelta(days=(n // 100) % 2000)  # unique with n % 100
    id_number = id_number_for(n, gender="male" if gender == "男" else "female", birth=birth)
    row = {
        "姓名": f"导入{n}",
        "性别": gender,
        "民族": "汉族",
        "出生日期": birth,
        "身份证号": id_number,
        "手机号": f"139{n:08d}",
        "学号工号": f"S{n:06d}",
        "人员类别": "学生",
        "政治面貌": "中共党员",
        "所在党组织编码": unit,
        "申请入党日期": datetime.date(2014, 3, 1),
        "确定积极分子日期": datetime.date(2014, 9, 1),
        "确定发展对象日期": datetime.date(2015, 3, 1),
        "入党日期": datetime.date(2015, 6, 1),
        "转正日期": datetime.date(2016, 6, 1),
    }
    row.update(overrides)
    return row


def workbook_bytes(
    rows: list[dict],
    *,
    header: list[str] | None = None,
    title: str | None = None,
    trailing_empty: int = 0,
    extra_cells: dict | None = None,
) -> bytes:
    """An .xlsx with an optional merged title row, then the header, then ``rows``."""
    header = header or HEADER
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append([row.get(col) for col in header])
    for _ in range(trailing_empty):
        ws.append([None] * len(header))
    if trailing_empty:
        ws.cell(row=ws.max_row, column=1, value="   ")  # a blank-looking cell keeps the rows "used"
    for coord, value in (extra_cells or {}).items():
        ws[coord] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
