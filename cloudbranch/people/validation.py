"""Rules for a person's data, shared by the form, the API and the Excel import.

``check_person`` returns a list of ``{"field": ..., "message": ...}``; empty means valid.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from . import idcard, rules
from .choices import STAGE_DATES, STATUS_ORDER, Category, Gender, PoliticalStatus

DATE_FIELDS = [field for _, field in STAGE_DATES]
FIELD_LABELS = {
    "name": "姓名",
    "gender": "性别",
    "ethnicity": "民族",
    "birth_date": "出生日期",
    "id_number": "身份证号",
    "phone": "手机号",
    "staff_number": "学号工号",
    "category": "人员类别",
    "political_status": "政治面貌",
    "unit": "所在党组织",
    "applied_on": "申请入党日期",
    "activist_on": "确定积极分子日期",
    "candidate_on": "确定发展对象日期",
    "joined_on": "入党日期",
    "confirmed_on": "转正日期",
}


def _years_between(start: datetime.date, end: datetime.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def check_person(data: dict, *, today: datetime.date | None = None) -> list[dict]:
    """Check one person's fields together. ``data`` holds python values (dates as ``date``).

    Rules: GB 11643 ID number that agrees with birth date and gender; stage dates in pipeline
    order (申请 ≤ 积极分子 ≤ 发展对象 ≤ 入党 ≤ 转正) and none in the future; age ≥ 18 on the
    application date (党章 第一条); the status has the date of its own stage and no date of a
    later one.
    """
    today = today or timezone.localdate()
    errors: list[dict] = []

    def err(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    if not (data.get("name") or "").strip():
        err("name", "姓名不能为空")
    elif len(data["name"].strip()) > 64:
        err("name", "姓名过长（最多 64 个字符）")
    if data.get("gender") not in Gender.values:
        err("gender", "性别应为“男”或“女”")
    if data.get("category") not in Category.values:
        err("category", "人员类别应为学生、教师、职工或离退休")
    status = data.get("political_status")
    if status not in PoliticalStatus.values:
        err("political_status", "政治面貌应为群众、入党申请人、入党积极分子、发展对象、预备党员或中共党员")
    phone = (data.get("phone") or "").strip()
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 15):
        err("phone", "手机号应为 7 至 15 位数字")

    birth = data.get("birth_date")
    parsed = None
    if not data.get("id_number"):
        err("id_number", "身份证号不能为空")
    else:
        try:
            parsed = idcard.parse(data["id_number"], today=today)
        except idcard.IdNumberError as exc:
            err("id_number", str(exc))
    if parsed is not None:
        if birth and birth != parsed.birth_date:
            err("birth_date", f"出生日期与身份证号不一致（身份证号为 {parsed.birth_date.isoformat()}）")
        if data.get("gender") in Gender.values and data["gender"] != parsed.gender:
            err("gender", f"性别与身份证号不一致（身份证号为{Gender(parsed.gender).label}）")
        birth = birth or parsed.birth_date
    if birth and birth > today:
        err("birth_date", "出生日期不能晚于今天")

    previous: tuple[str, datetime.date] | None = None
    for field in DATE_FIELDS:
        value = data.get(field)
        if value is None:
            continue
        if value > today:
            err(field, f"{FIELD_LABELS[field]}不能晚于今天")
        if birth and value < birth:
            err(field, f"{FIELD_LABELS[field]}不能早于出生日期")
        if previous and value < previous[1]:
            err(field, f"{FIELD_LABELS[field]}不能早于{FIELD_LABELS[previous[0]]}")
        previous = (field, value)

    applied = data.get("applied_on")
    if applied and birth and _years_between(birth, applied) < rules.MIN_AGE_AT_APPLICATION:
        err("applied_on", f"申请入党时须年满 {rules.MIN_AGE_AT_APPLICATION} 周岁")

    if status in PoliticalStatus.values:
        rank = STATUS_ORDER.index(status)
        for stage, field in STAGE_DATES:
            stage_rank = STATUS_ORDER.index(stage)
            value = data.get(field)
            if stage_rank > rank and value is not None:
                err(field, f"政治面貌为{PoliticalStatus(status).label}时不应填写{FIELD_LABELS[field]}")
            if stage_rank == rank and value is None:
                err(field, f"政治面貌为{PoliticalStatus(status).label}时须填写{FIELD_LABELS[field]}")
        if status == PoliticalStatus.FULL and data.get("joined_on") is None:
            err("joined_on", "政治面貌为中共党员时须填写入党日期")
    return errors
