"""Roster import from an Excel workbook (.xlsx): read, check every row, preview, confirm, undo.

The file is checked in full before anything is written: every row goes through the same rules
as the roster form (``validation.check_person``, ``services.check_member_unit``) plus the
importer's scope, duplicates inside the file and against the roster. One error anywhere means
nothing is written; every error names the spreadsheet row (as Excel numbers it) and the Chinese
column name.

An upload is first a **preview** (``run_job``, a background task): counts, errors, the planned
changes with field-level diffs (ID and phone masked), the file's hash, the hash of the checked
data and the fingerprint of every person it would update, stored on the ``ImportJob``.
``import_confirm`` re-checks all three and commits in one transaction with bulk inserts, a
``PersonEvent`` and an audit row per person and one summary audit row (个人信息保护法 Art. 51:
the processing of sensitive personal information is recorded; ID and phone numbers never appear
in clear), keeping what ``import_undo`` needs to restore the exact previous state. The generic
part (hashes, fingerprints, snapshots, conditional transitions) is ``import_plan``.

Entry points: ``import_job_create`` → ``run_job`` → ``import_confirm`` / ``import_discard`` →
``import_undo`` (page, API, ``manage.py import_people``); ``import_people`` checks and writes in
one go without a preview (scripts and tests).
"""

from __future__ import annotations

import datetime
import io
import logging
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from cloudbranch.audit.services import audit_bulk, audit_event, audit_record, field_changes, snapshot
from cloudbranch.core.db import refresh_planner_statistics
from cloudbranch.core.errors import ConflictError
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, holds

from . import crypto, idcard, import_plan
from .choices import Category, Gender, PersonEventKind, PoliticalStatus
from .models import ImportJob, Person, PersonEvent
from .services import (
    AUDITED_FIELDS,
    PERSON_FIELDS,
    SENSITIVE_FIELDS,
    change_events,
    check_member_unit,
    new_person_changes,
)
from .validation import FIELD_LABELS, check_person

logger = logging.getLogger(__name__)

IMPORT_PERMISSION = "people.import_person"
PROGRESS_EVERY = 500
HEADER_SCAN_ROWS = 10
QUERY_CHUNK = 500
MAX_STORED_ERRORS = 10_000
EXAMPLE_NAME_PREFIX = "示例"

# Column name → Person field, in template order.
COLUMNS: dict[str, str] = {
    "姓名": "name",
    "性别": "gender",
    "民族": "ethnicity",
    "出生日期": "birth_date",
    "身份证号": "id_number",
    "手机号": "phone",
    "学号工号": "staff_number",
    "人员类别": "category",
    "政治面貌": "political_status",
    "所在党组织编码": "unit",
    "申请入党日期": "applied_on",
    "确定积极分子日期": "activist_on",
    "确定发展对象日期": "candidate_on",
    "入党日期": "joined_on",
    "转正日期": "confirmed_on",
}
COLUMN_OF = {f: c for c, f in COLUMNS.items()}
REQUIRED_COLUMNS = ("姓名", "性别", "身份证号", "人员类别", "政治面貌", "所在党组织编码")
DATE_COLUMNS = frozenset({"birth_date", "applied_on", "activist_on", "candidate_on", "joined_on", "confirmed_on"})
# Other spellings seen in real rosters, after normalization (no spaces, half-width).
HEADER_ALIASES = {
    "身份证号码": "身份证号",
    "公民身份号码": "身份证号",
    "身份证": "身份证号",
    "手机号码": "手机号",
    "手机": "手机号",
    "学号/工号": "学号工号",
    "学号或工号": "学号工号",
    "学工号": "学号工号",
    "党组织编码": "所在党组织编码",
    "所在党组织代码": "所在党组织编码",
    "确定入党积极分子日期": "确定积极分子日期",
    "确定为入党积极分子日期": "确定积极分子日期",
    "确定为发展对象日期": "确定发展对象日期",
}
GENDER_VALUES = {"男": Gender.MALE, "男性": Gender.MALE, "女": Gender.FEMALE, "女性": Gender.FEMALE}
CATEGORY_VALUES = {str(label): value for value, label in Category.choices}
STATUS_VALUES = {str(label): value for value, label in PoliticalStatus.choices} | {
    "党员": PoliticalStatus.FULL,
    "正式党员": PoliticalStatus.FULL,
    "中共正式党员": PoliticalStatus.FULL,
    "中共预备党员": PoliticalStatus.PROBATIONARY,
    "积极分子": PoliticalStatus.ACTIVIST,
}
DATE_FORMATS_HINT = "2019-05-01、2019/5/1、2019.05.01 或 2019年5月1日"
MAX_LENGTHS = {"ethnicity": 16, "staff_number": 32, "phone": 20}

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_CJK_SPACE = re.compile(r"\s*([\u3400-\u9fff\uf900-\ufaff·])\s*")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_TIME_SUFFIX = re.compile(r"\s+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


class ImportFileError(Exception):
    """The file as a whole cannot be read (not an .xlsx, corrupt, empty, too large, no header)."""

    def __init__(self, message: str, *, row: int | None = None, column: str = ""):
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column


@dataclass
class ImportOutcome:
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    committed: bool = False
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    number: int  # as Excel shows it
    data: dict  # field → python value, only for columns present in the file
    id_number: str = ""  # normalized, valid
    unit: OrgUnit | None = None
    existing: Person | None = None


# --- cell normalization ----------------------------------------------------------------------


def clean_text(value) -> str:
    """A cell as text: full-width characters made half-width (NFKC), invisible characters
    dropped, runs of spaces collapsed, ends stripped; numbers without a spurious ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)).translate(_INVISIBLE)
    return " ".join(text.split())


def compact(value) -> str:
    """A cell as text with every space removed (codes, numbers, choices)."""
    return clean_text(value).replace(" ", "")


def clean_name(value) -> str:
    """Spaces next to Chinese characters are typing artefacts (``张 三``); spaces between Latin
    words are kept (``Anna Li``)."""
    return _CJK_SPACE.sub(r"\1", clean_text(value))


def parse_date(value) -> datetime.date | None:
    """An Excel date cell, an Excel serial number, ``20190501`` or a text date in one of the
    usual formats. Raises ``ValueError`` with a Chinese message."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, datetime.time):
        raise ValueError(f"无法识别的日期，请使用 {DATE_FORMATS_HINT} 格式")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer():
            number = int(value)
            if 19000101 <= number <= 21001231:
                return _make_date(str(number), number // 10000, number // 100 % 100, number % 100)
            if 1 <= number <= 80000:  # an Excel serial day number in a cell without a date format
                from openpyxl.utils.datetime import from_excel

                return from_excel(number).date()
        raise ValueError(f"无法识别的日期“{clean_text(value)}”，请使用 {DATE_FORMATS_HINT} 格式")
    text = clean_text(value)
    if not text:
        return None
    text = _TIME_SUFFIX.sub("", text).replace(" ", "")
    for pattern in _DATE_PATTERNS:
        if m := pattern.match(text):
            return _make_date(text, int(m[1]), int(m[2]), int(m[3]))
    raise ValueError(f"无法识别的日期“{text}”，请使用 {DATE_FORMATS_HINT} 格式")


def _make_date(text: str, year: int, month: int, day: int) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"日期“{text}”不存在") from None


def header_key(value) -> str | None:
    """The known column a header cell names, or None."""
    text = compact(value).lstrip("*").rstrip("*")
    text = re.sub(r"\(.*?\)$", "", text)  # a hint in brackets: 出生日期(yyyy-mm-dd)
    text = text.rstrip("*:")
    text = HEADER_ALIASES.get(text, text)
    return text if text in COLUMNS else None


# --- reading the workbook ----------------------------------------------------------------


@dataclass
class _Sheet:
    header_row: int
    columns: dict[int, str]  # 0-based column index → Person field
    rows: list[tuple[int, tuple]]  # (row number, cell values), non-empty data rows only
    warnings: list[dict]


def read_workbook(data: bytes, *, max_rows: int | None = None) -> _Sheet:
    """Open the first sheet, find its header row and collect the non-empty rows below it."""
    max_rows = settings.IMPORT_MAX_ROWS if max_rows is None else max_rows
    if not data:
        raise ImportFileError("上传的文件是空的，请选择填写好的 .xlsx 文件。")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError("这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 格式后再上传。")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportFileError("文件不是 Excel .xlsx 格式，请下载导入模板，填写后保存为 .xlsx 再上传。")
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds (KeyError, BadZipFile, XML errors): all mean unreadable
        raise ImportFileError("文件已损坏或不是有效的 .xlsx 文件，无法读取。请在 Excel 中重新保存后再上传。") from None
    try:
        return _read_sheet(workbook, max_rows)
    except ImportFileError:
        raise
    except Exception:
        logger.warning("import: unreadable workbook", exc_info=True)
        raise ImportFileError("文件已损坏或不是有效的 .xlsx 文件，无法读取。请在 Excel 中重新保存后再上传。") from None
    finally:
        workbook.close()


def _read_sheet(workbook, max_rows: int) -> _Sheet:
    if not workbook.worksheets:
        raise ImportFileError("文件中没有工作表。")
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()  # some tools write a wrong <dimension>; read what is really there
    rows = sheet.iter_rows(values_only=True)
    head: list[tuple[int, tuple]] = []
    for number, values in enumerate(rows, start=1):
        head.append((number, tuple(values)))
        if number >= HEADER_SCAN_ROWS:
            break
    best_row, best_score = None, 0
    for number, values in head:
        score = len({k for k in map(header_key, values) if k})
        if score > best_score:
            best_row, best_score = number, score
    if best_row is None or best_score < 2:
        raise ImportFileError(
            f"在前 {HEADER_SCAN_ROWS} 行中没有找到表头行（应包含“姓名”“身份证号”等列名）。请使用导入模板。"
        )
    header = next(values for number, values in head if number == best_row)
    columns: dict[int, str] = {}
    warnings: list[dict] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = header_key(cell)
        if key is None:
            if clean_text(cell):
                warnings.append(
                    {
                        "row": best_row,
                        "column": clean_text(cell),
                        "message": f"未识别的列“{clean_text(cell)}”，已忽略",
                    }
                )
            continue
        if key in seen:
            raise ImportFileError(f"列“{key}”出现了两次，请删除其中一列。", row=best_row, column=key)
        seen[key] = index
        columns[index] = COLUMNS[key]
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        raise ImportFileError(
            f"缺少必填列：{'、'.join(missing)}。请使用导入模板的表头。", row=best_row, column="、".join(missing)
        )

    data_rows: list[tuple[int, tuple]] = []

    def take(number: int, values: tuple) -> None:
        if any(clean_text(v) for v in values):
            data_rows.append((number, values))
            if len(data_rows) > max_rows:
                raise ImportFileError(f"文件超过单次导入上限 {max_rows} 行，请拆分成几个文件分别导入。")

    for number, values in head:
        if number > best_row:
            take(number, values)
    for number, values in enumerate(rows, start=len(head) + 1):
        take(number, tuple(values))
    if not data_rows:
        raise ImportFileError("表头下面没有数据行。", row=best_row)
    return _Sheet(best_row, columns, data_rows, warnings)


# --- validation -------------------------------------------------------------------------


def _cell_values(columns: dict[int, str], values: tuple) -> tuple[dict, list[dict]]:
    """Python values for the columns present, plus errors for cells that cannot be converted."""
    data: dict = {}
    errors: list[dict] = []
    for index, fname in columns.items():
        raw = values[index] if index < len(values) else None
        try:
            data[fname] = _convert(fname, raw)
        except ValueError as exc:
            data[fname] = None
            errors.append({"field": fname, "message": str(exc)})
    return data, errors


def _convert(fname: str, raw):
    if fname in DATE_COLUMNS:
        return parse_date(raw)
    if fname == "name":
        return clean_name(raw)
    if fname == "ethnicity":
        return compact(raw)
    if fname == "id_number":
        return _id_text(raw)
    if fname == "phone":
        text = compact(raw).replace("-", "")
        return text[3:] if text.startswith("+86") else text
    if fname == "gender":
        text = compact(raw)
        return GENDER_VALUES.get(text, text or None)
    if fname == "category":
        text = compact(raw)
        return CATEGORY_VALUES.get(text, text or None)
    if fname == "political_status":
        text = compact(raw)
        return STATUS_VALUES.get(text, text or None)
    return compact(raw)


def _id_text(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        # The shortest decimal form is what Excel shows (15 significant digits), not the binary value.
        return str(int(Decimal(repr(raw))))
    return idcard.normalize(compact(raw)) if raw is not None else ""


def _label(fname: str) -> str:
    return COLUMN_OF.get(fname) or FIELD_LABELS.get(fname, fname)


def _row_errors(row: _Row, cell_errors: list[dict]) -> list[dict]:
    """Errors of a row that do not depend on the stored roster (cells, lengths, the example row)."""
    data = row.data
    errors = list(cell_errors)
    if (data.get("name") or "").startswith(EXAMPLE_NAME_PREFIX):
        errors.append({"field": "name", "message": "这是模板中的示例行，请删除后再导入"})
    for fname, limit in MAX_LENGTHS.items():
        if len(data.get(fname) or "") > limit:
            errors.append({"field": fname, "message": f"{_label(fname)}过长（最多 {limit} 个字符）"})
    return errors


def _person_errors(data: dict, raw_id, skip: set[str], today: datetime.date) -> list[dict]:
    """``check_person`` on the row, leaving out fields whose cell already failed to convert."""
    errors = []
    for err in check_person({**data, "phone": data.get("phone") or ""}, today=today):
        if err["field"] in skip:
            continue
        if err["field"] == "id_number" and isinstance(raw_id, float) and abs(raw_id) >= 1e15:
            err = {
                **err,
                "message": err["message"] + "（身份证号被存成了数字，末几位可能已丢失，请将该列设为文本格式）",
            }
        errors.append(err)
    return errors


def _load_units(actor, codes: set[str]) -> dict[str, tuple[OrgUnit | None, str | None]]:
    """code → (unit, error message). A unit the importer cannot see is reported like a missing one."""
    visible = {u.code: u for u in OrgUnit.objects.restrict(actor, "view").filter(code__in=codes)}
    out: dict[str, tuple[OrgUnit | None, str | None]] = {}
    for code in codes:
        unit = visible.get(code)
        if unit is None:
            out[code] = (None, f"党组织编码“{code}”不存在或不在您的管理范围内")
        elif not can(actor, IMPORT_PERMISSION, unit):
            out[code] = (None, f"您没有向“{unit.name}”（{code}）导入人员的权限")
        elif (msg := check_member_unit(unit)) is not None:
            out[code] = (None, str(msg))
        else:
            out[code] = (unit, None)
    return out


def _load_existing(hashes: list[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for start in range(0, len(hashes), QUERY_CHUNK):
        chunk = hashes[start : start + QUERY_CHUNK]
        for person in Person.objects.filter(id_number_hash__in=chunk).select_related("unit"):
            found[person.id_number_hash] = person
    return found


def _merged_for_update(person: Person, data: dict) -> dict:
    """The stored values overlaid with the columns present in the file (an empty cell clears)."""
    merged = snapshot(person, PERSON_FIELDS)
    merged["unit"] = person.unit
    for fname, value in data.items():
        if fname in ("id_number", "unit"):
            continue
        merged[fname] = (
            value if value is not None else ("" if fname in ("ethnicity", "phone", "staff_number") else None)
        )
    return merged


def validate(
    *,
    actor,
    sheet: _Sheet,
    update_existing: bool,
    progress: Callable[[int], None] | None = None,
    today: datetime.date | None = None,
) -> tuple[list[_Row], list[dict]]:
    """Check every row; return the rows ready to write and the errors as {row, column, message}."""
    today = today or timezone.localdate()
    errors: list[dict] = []
    rows: list[_Row] = []
    row_errors: dict[int, list[dict]] = {}

    unit_index = next(i for i, f in sheet.columns.items() if f == "unit")
    codes = {compact(v[unit_index]) for _, v in sheet.rows if unit_index < len(v) and compact(v[unit_index])}
    units = _load_units(actor, codes)

    id_index = next(i for i, f in sheet.columns.items() if f == "id_number")
    person_errors: dict[int, list[dict]] = {}
    skip_fields: dict[int, set[str]] = {}
    for done, (number, values) in enumerate(sheet.rows, start=1):
        data, cell_errors = _cell_values(sheet.columns, values)
        row = _Row(number=number, data=data)
        errs = _row_errors(row, cell_errors)
        skip_fields[number] = {e["field"] for e in cell_errors}
        raw_id = values[id_index] if id_index < len(values) else None
        person_errors[number] = _person_errors(data, raw_id, skip_fields[number], today)
        if not any(e["field"] == "id_number" for e in person_errors[number]):
            row.id_number = idcard.normalize(data["id_number"])
        code = data.get("unit") or ""
        if not code:
            errs.append({"field": "unit", "message": "所在党组织编码不能为空"})
        else:
            row.unit, msg = units[code]
            if msg:
                errs.append({"field": "unit", "message": msg})
        row_errors[number] = errs
        rows.append(row)
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done)

    # Duplicates inside the file: every row of a group is reported, each naming the others.
    by_id: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.id_number:
            by_id[row.id_number].append(row.number)
    for numbers in by_id.values():
        if len(numbers) > 1:
            for n in numbers:
                others = "、".join(str(o) for o in numbers if o != n)
                row_errors[n].append({"field": "id_number", "message": f"身份证号与第 {others} 行重复"})

    # Against the roster.
    hashes = {row.number: crypto.search_hash(row.id_number) for row in rows if row.id_number}
    existing = _load_existing(sorted(set(hashes.values())))
    for row in rows:
        person = existing.get(hashes.get(row.number, ""))
        if person is None:
            continue
        if not update_existing:
            row_errors[row.number].append(
                {
                    "field": "id_number",
                    "message": "该身份证号已登记在册；如需用本文件更新已有人员，请勾选“按身份证号更新已有人员”",
                }
            )
            continue
        if not can(actor, "people.change_person", person.unit):
            row_errors[row.number].append(
                {"field": "id_number", "message": "该身份证号已登记在册，且此人不在您的管理范围内，无法更新"}
            )
            continue
        row.existing = person
        # Rules are checked on the stored record as the file leaves it (absent columns keep their values).
        merged = _merged_for_update(person, row.data)
        merged["id_number"] = row.id_number
        person_errors[row.number] = _person_errors(merged, None, skip_fields[row.number], today)
    for number, errs in person_errors.items():
        row_errors[number].extend(errs)

    order = {c: i for i, c in enumerate(COLUMNS)}
    for number in sorted(row_errors):
        seen = set()
        for err in row_errors[number]:
            column = _label(err["field"])
            if err["field"] == "unit":
                column = "所在党组织编码"
            key = (column, err["message"])
            if key in seen:
                continue
            seen.add(key)
            errors.append({"row": number, "column": column, "message": err["message"]})
    errors.sort(key=lambda e: (e["row"], order.get(e["column"], 99)))
    if progress is not None:
        progress(len(sheet.rows))
    return rows, errors


# --- planning -------------------------------------------------------------------------------

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
# Shown for a new person in the preview (the rest of the row is in the file).
PREVIEW_NEW_FIELDS = ("name", "id_number", "gender", "political_status", "unit", "phone")


@dataclass
class _Change:
    row: _Row
    op: str  # CREATE, UPDATE or UNCHANGED
    values: dict  # the person's PERSON_FIELDS as the import leaves them (unit as an OrgUnit)
    before: dict | None = None  # snapshot of an existing person
    diff: dict = field(default_factory=dict)


def plan_changes(rows: list[_Row]) -> list[_Change]:
    """What each checked row would do, in file order (nothing is written)."""
    changes: list[_Change] = []
    for row in rows:
        d = row.data
        if row.existing is None:
            values = {
                "name": d["name"],
                "gender": d["gender"],
                "ethnicity": d.get("ethnicity") or "",
                "birth_date": d.get("birth_date") or idcard.parse(row.id_number).birth_date,
                "phone": d.get("phone") or "",
                "staff_number": d.get("staff_number") or "",
                "category": d["category"],
                "political_status": d["political_status"],
                "unit": row.unit,
                "applied_on": d.get("applied_on"),
                "activist_on": d.get("activist_on"),
                "candidate_on": d.get("candidate_on"),
                "joined_on": d.get("joined_on"),
                "confirmed_on": d.get("confirmed_on"),
            }
            changes.append(_Change(row=row, op=CREATE, values=values))
            continue
        person = row.existing
        before = snapshot(person, PERSON_FIELDS)
        merged = _merged_for_update(person, d)
        merged["unit"] = row.unit or person.unit
        if merged.get("birth_date") is None:
            merged["birth_date"] = idcard.parse(row.id_number).birth_date
        values = {f: merged[f] for f in PERSON_FIELDS}
        diff = field_changes(before, values, fields=AUDITED_FIELDS, sensitive=SENSITIVE_FIELDS)
        changes.append(_Change(row=row, op=UPDATE if diff else UNCHANGED, values=values, before=before, diff=diff))
    return changes


def plan_document(changes: list[_Change]) -> list[dict]:
    """The canonical form of the checked data whose hash is ``plan_sha256`` (ID numbers as their
    keyed hash; other values as the import would store them)."""
    return [
        {
            "row": c.row.number,
            "op": c.op,
            "person": c.row.existing.pk if c.row.existing is not None else None,
            "id": crypto.search_hash(c.row.id_number),
            "values": import_plan.jsonable(c.values) if c.op != UNCHANGED else None,
        }
        for c in changes
    ]


def _display(fname: str, value, unit_names: dict) -> str:
    if value is None or value == "":
        return ""
    if fname == "unit":
        return unit_names.get(value.pk if isinstance(value, OrgUnit) else value, str(value))
    if fname == "phone":
        return crypto.mask_phone(value)
    if fname == "id_number":
        return crypto.mask_id_number(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    choices = {"gender": Gender, "category": Category, "political_status": PoliticalStatus}
    if fname in choices:
        try:
            return str(choices[fname](value).label)
        except ValueError:
            return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _preview_label(fname: str) -> str:
    return "所在党组织" if fname == "unit" else _label(fname)


def preview_rows(changes: list[_Change]) -> list[dict]:
    """The planned creates and updates as the preview shows them: field-level diffs, ID and phone
    numbers masked."""
    unit_names: dict = {}
    for c in changes:
        for unit in (c.values.get("unit"), getattr(c.row.existing, "unit", None)):
            if isinstance(unit, OrgUnit):
                unit_names[unit.pk] = unit.name
    out = []
    for c in changes:
        if c.op == UNCHANGED:
            continue
        if c.op == CREATE:
            values = {**c.values, "id_number": c.row.id_number}
            diff = [
                {"field": f, "label": _preview_label(f), "old": "", "new": _display(f, values.get(f), unit_names)}
                for f in PREVIEW_NEW_FIELDS
                if values.get(f) not in (None, "")
            ]
        else:
            diff = []
            for f in c.diff:
                old, new = c.before.get(f), c.values.get(f)
                diff.append(
                    {
                        "field": f,
                        "label": _preview_label(f),
                        "old": _display(f, old, unit_names),
                        "new": _display(f, new, unit_names),
                    }
                )
        out.append(
            {
                "row": c.row.number,
                "op": c.op,
                "person": c.row.existing.pk if c.row.existing is not None else None,
                "name": c.values["name"],
                "diff": diff,
            }
        )
    return out


# --- writing --------------------------------------------------------------------------------


def _actor_or_none(actor):
    return actor if actor is not None and actor.is_authenticated else None


# A load this large can change the best query plans (SQLite keeps no statistics on its own).
BULK_ROWS = 1000


def _commit(
    *,
    actor,
    changes: list[_Change],
    job: ImportJob | None,
    file_name: str,
    outcome: ImportOutcome,
    on_commit_job: Callable[[ImportOutcome], None] | None = None,
    summary_action: str = "people.import.commit",
    keep_undo: bool = False,
) -> dict:
    """Write every planned change in one transaction. Raises ``IntegrityError`` if the roster
    changed under us. With ``keep_undo``, returns what undo needs: created ids, the full stored
    state of every updated person before the write, every touched person's fingerprint after it."""
    user = _actor_or_none(actor)
    job_id = job.pk if job is not None else None
    creates = [c for c in changes if c.op == CREATE]
    updates = [c for c in changes if c.op == UPDATE]
    undo: dict = {}
    with transaction.atomic():
        # Someone may have entered one of these people since validation: refuse rather than guess.
        new_hashes = [crypto.search_hash(c.row.id_number) for c in creates]
        if _load_existing(new_hashes):
            raise IntegrityError("id number registered during import")

        people: list[Person] = []
        for c in creates:
            person = Person(**c.values)
            person.set_id_number(c.row.id_number)
            people.append(person)
        Person.objects.bulk_create(people, batch_size=500)

        events: list[PersonEvent] = []
        audits = []
        for c, person in zip(creates, people, strict=True):
            events.append(
                PersonEvent(
                    person=person,
                    kind=PersonEventKind.IMPORTED,
                    actor=user,
                    new_value=person.get_political_status_display(),
                    details={"unit": person.unit_id, "job": job_id, "row": c.row.number},
                )
            )
            audits.append(
                audit_event(actor, action="people.person.import", target=person, changes=new_person_changes(person))
            )

        changed: list[Person] = []
        changed_fields: set[str] = set()
        before_states: dict[str, dict] = {}
        for c in updates:
            person = c.row.existing
            if keep_undo:
                before_states[str(person.pk)] = import_plan.row_state(person)
            old_unit = person.unit
            for fname in PERSON_FIELDS:
                setattr(person, fname, c.values[fname])
            changed.append(person)
            changed_fields |= set(c.diff)
            events.extend(
                change_events(
                    person,
                    c.diff,
                    c.before,
                    actor=user,
                    old_unit_name=old_unit.name,
                    details={"job": job_id, "row": c.row.number, "source": "import"},
                )
            )
            audits.append(audit_event(actor, action="people.person.import", target=person, changes=c.diff))
        if changed:
            update_fields = sorted(changed_fields | {"updated_at"})
            now = timezone.now()
            for person in changed:
                person.updated_at = now
            Person.objects.bulk_update(changed, update_fields, batch_size=500)

        PersonEvent.objects.bulk_create(events, batch_size=1000)
        audit_bulk(audits)
        outcome.created = len(people)
        outcome.updated = len(changed)
        outcome.unchanged = len(changes) - len(people) - len(changed)
        target = job if job is not None else ("people.importjob", "", file_name)
        audit_record(
            actor=actor,
            action=summary_action,
            target=target,
            changes={
                "file": {"new": file_name},
                "rows": {"new": outcome.total_rows},
                "created": {"new": outcome.created},
                "updated": {"new": outcome.updated},
            },
        )
        if keep_undo:
            touched = [p.pk for p in people] + [p.pk for p in changed]
            after = {}
            for start in range(0, len(touched), QUERY_CHUNK):
                for person in Person.objects.filter(pk__in=touched[start : start + QUERY_CHUNK]):
                    after[str(person.pk)] = import_plan.fingerprint(person)
            undo = {"created": [p.pk for p in people], "updated": before_states, "after": after}
        outcome.committed = True
        outcome.message = f"导入完成：新增 {outcome.created} 人，更新 {outcome.updated} 人" + (
            f"，{outcome.unchanged} 人无变化。" if outcome.unchanged else "。"
        )
        if on_commit_job is not None:
            on_commit_job(outcome)
    if outcome.created >= BULK_ROWS:
        transaction.on_commit(lambda: refresh_planner_statistics("people_person", "people_personevent"))
    return undo


# --- the pipeline ---------------------------------------------------------------------------


def check_file(
    *,
    actor,
    data: bytes,
    update_existing: bool = False,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> tuple[ImportOutcome, list[_Change] | None]:
    """Read and check a workbook and plan its changes; nothing is written. The changes are None
    when there are errors (then ``outcome.errors`` lists them all)."""
    outcome = ImportOutcome()
    try:
        sheet = read_workbook(data)
    except ImportFileError as exc:
        outcome.errors = [{"row": exc.row, "column": exc.column, "message": exc.message}]
        outcome.message = exc.message
        return outcome, None
    outcome.warnings = sheet.warnings
    outcome.total_rows = len(sheet.rows)
    if on_total is not None:
        on_total(outcome.total_rows)
    rows, errors = validate(actor=actor, sheet=sheet, update_existing=update_existing, progress=progress)
    if errors:
        outcome.errors = errors
        outcome.message = f"发现 {len(errors)} 处错误，未导入任何数据。请修改后重新上传。"
        return outcome, None
    changes = plan_changes(rows)
    outcome.created = sum(1 for c in changes if c.op == CREATE)
    outcome.updated = sum(1 for c in changes if c.op == UPDATE)
    outcome.unchanged = len(changes) - outcome.created - outcome.updated
    return outcome, changes


def import_people(
    *,
    actor,
    data: bytes,
    file_name: str = "",
    dry_run: bool = False,
    update_existing: bool = False,
    job: ImportJob | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    on_commit_job: Callable[[ImportOutcome], None] | None = None,
) -> ImportOutcome:
    """Read, check and (unless ``dry_run``) write a roster workbook in one go, all-or-nothing,
    without a stored preview (scripts and tests; the page, the API and the command go through
    ``run_job`` → ``import_confirm``, which can be undone).

    Raises ``PermissionDenied`` when the actor holds ``people.import_person`` nowhere.
    """
    if not holds(actor, IMPORT_PERMISSION):
        raise PermissionDenied
    outcome, changes = check_file(
        actor=actor, data=data, update_existing=update_existing, progress=progress, on_total=on_total
    )
    if changes is None:
        return outcome
    if dry_run:
        outcome.message = (
            f"校验通过：共 {outcome.total_rows} 行，将新增 {outcome.created} 人、更新 {outcome.updated} 人"
            "（仅校验，未写入）。"
        )
        return outcome
    try:
        _commit(
            actor=actor, changes=changes, job=job, file_name=file_name, outcome=outcome, on_commit_job=on_commit_job
        )
    except IntegrityError:
        outcome.created = outcome.updated = outcome.unchanged = 0
        outcome.committed = False
        outcome.message = "导入期间有人登记了文件中的部分人员，未导入任何数据。请重新上传以查看具体行。"
        outcome.errors = [{"row": None, "column": "", "message": outcome.message}]
        return outcome
    return outcome


def _unit_ids(changes: list[_Change]) -> list[int]:
    ids = set()
    for c in changes:
        if c.op == UNCHANGED:
            continue
        ids.add(c.values["unit"].pk)
        if c.row.existing is not None:
            ids.add(c.row.existing.unit_id)
    return sorted(ids)


def run_job(job_id: int) -> ImportJob | None:
    """Check one uploaded ``ImportJob`` into a stored preview (nothing is written to the roster):
    its creator is the actor whose scope applies. Progress is written with separate ``UPDATE``
    statements so other connections see it."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.PENDING:
        return job  # gone, or already handled by another worker
    jobs = ImportJob.objects.filter(pk=job.pk)
    if not import_plan.transition(jobs, ImportJob.Status.PENDING, ImportJob.Status.RUNNING, started_at=timezone.now()):
        return job
    actor = job.created_by

    def on_total(total: int) -> None:
        jobs.update(total_rows=total, processed_rows=0)

    def progress(done: int) -> None:
        jobs.update(processed_rows=done)

    def finish_fields(outcome: ImportOutcome, status: str) -> dict:
        errors = outcome.errors
        message = outcome.message
        if len(errors) > MAX_STORED_ERRORS:
            message += f"（仅列出前 {MAX_STORED_ERRORS} 条错误，共 {len(errors)} 条）"
            errors = errors[:MAX_STORED_ERRORS]
        return {
            "status": status,
            "errors": errors,
            "warnings": outcome.warnings,
            "message": message[:500],
            "total_rows": outcome.total_rows,
            "processed_rows": outcome.total_rows,
            "created_count": outcome.created,
            "updated_count": outcome.updated,
            "unchanged_count": outcome.unchanged,
            "finished_at": timezone.now(),
        }

    data = bytes(job.file_data)
    try:
        if not holds(actor, IMPORT_PERMISSION):
            raise PermissionDenied
        outcome, changes = check_file(
            actor=actor, data=data, update_existing=job.update_existing, progress=progress, on_total=on_total
        )
        if changes is None:
            jobs.update(**finish_fields(outcome, ImportJob.Status.FAILED), file_data=b"")
        elif job.dry_run:
            outcome.message = (
                f"校验通过：共 {outcome.total_rows} 行，将新增 {outcome.created} 人、更新 {outcome.updated} 人"
                "（仅校验，未写入）。"
            )
            jobs.update(**finish_fields(outcome, ImportJob.Status.VALIDATED), file_data=b"")
        else:
            outcome.message = (
                f"预览：共 {outcome.total_rows} 行，将新增 {outcome.created} 人、更新 {outcome.updated} 人"
                + (f"，{outcome.unchanged} 人无变化" if outcome.unchanged else "")
                + "。请核对下面的变更后确认导入。"
            )
            jobs.update(
                **finish_fields(outcome, ImportJob.Status.PREVIEWED),
                file_sha256=import_plan.sha256_hex(data),
                plan_sha256=import_plan.plan_hash(plan_document(changes)),
                changes=preview_rows(changes),
                fingerprints={
                    str(c.row.existing.pk): import_plan.fingerprint(c.row.existing) for c in changes if c.op == UPDATE
                },
                unit_ids=_unit_ids(changes),
            )
    except PermissionDenied:
        outcome = ImportOutcome(message="您没有导入人员的权限。")
        outcome.errors = [{"row": None, "column": "", "message": outcome.message}]
        jobs.update(**finish_fields(outcome, ImportJob.Status.FAILED), file_data=b"")
    except Exception:
        logger.exception("import job %s failed", job.pk)
        outcome = ImportOutcome(message="导入时发生内部错误，未写入任何数据。请稍后重试或联系系统管理员。")
        outcome.errors = [{"row": None, "column": "", "message": outcome.message}]
        jobs.update(**finish_fields(outcome, ImportJob.Status.FAILED), file_data=b"")
    job.refresh_from_db()
    return job


# --- confirm, discard, undo -------------------------------------------------------------------

ROSTER_CHANGED = "预览后名册已变化，请重新上传预览"
ALREADY_CONFIRMED = "该导入已确认"
PREVIEW_EXPIRED = import_plan.PREVIEW_EXPIRED
ALREADY_UNDONE = "该导入已撤销"
NOT_LATEST = "只能撤销最近一次确认的导入"
UNDO_REFUSED_CHANGED = "导入后以下人员的信息已有变动，不能撤销："
UNDO_REFUSED_LINKED = "导入新增的以下人员已有其他记录（{kinds}），不能撤销："
S = ImportJob.Status


class _Stale(Exception):
    def __init__(self, errors: list[dict] | None = None):
        super().__init__(ROSTER_CHANGED)
        self.errors = errors or []


preview_ttl = import_plan.preview_ttl


def _confirm_refusal(status: str) -> str:
    if status in (S.CONFIRMING, S.SUCCEEDED, S.UNDOING, S.UNDONE):
        return ALREADY_CONFIRMED
    if status == S.STALE:
        return ROSTER_CHANGED
    if status == S.EXPIRED:
        return PREVIEW_EXPIRED
    if status == S.DISCARDED:
        return "该预览已放弃，请重新上传"
    if status in (S.PENDING, S.RUNNING):
        return "预览尚未完成，请稍候"
    return "该导入没有可确认的预览"


def _own_job(actor, job_id) -> ImportJob:
    job = access_import_job(actor, job_id)
    if job.created_by_id != getattr(actor, "pk", None):
        from django.http import Http404

        raise Http404
    if not holds(actor, IMPORT_PERMISSION):
        raise PermissionDenied
    return job


def import_confirm(*, actor, job_id) -> ImportJob:
    """Commit a previewed import, after checking that the stored file, the checked data and every
    person it updates are exactly as at preview time (409 otherwise, nothing written). The move
    previewed → confirming is a conditional UPDATE: a second or concurrent confirm gets 409."""
    job = _own_job(actor, job_id)
    jobs = ImportJob.objects.filter(pk=job.pk)
    if job.status != S.PREVIEWED:
        raise ConflictError(_confirm_refusal(job.status))
    import_plan.refuse_if_expired(jobs, job.finished_at)
    outcome = ImportOutcome()
    try:
        with transaction.atomic():
            if not import_plan.transition(jobs, S.PREVIEWED, S.CONFIRMING):
                raise ConflictError(_confirm_refusal(jobs.values_list("status", flat=True).first() or ""))
            data = bytes(jobs.values_list("file_data", flat=True).get())
            if import_plan.sha256_hex(data) != job.file_sha256:
                raise _Stale([{"field": "file", "message": "上传的文件与预览时不一致"}])
            outcome, changes = check_file(actor=actor, data=data, update_existing=job.update_existing)
            if changes is None:
                raise _Stale(outcome.errors[:50])
            if import_plan.plan_hash(plan_document(changes)) != job.plan_sha256:
                raise _Stale([{"field": "plan", "message": "校验后的数据与预览时不一致"}])
            updated = {str(c.row.existing.pk): c.row.existing for c in changes if c.op == UPDATE}
            moved = [p for pk, p in updated.items() if job.fingerprints.get(pk) != import_plan.fingerprint(p)] + [
                None for pk in job.fingerprints if pk not in updated
            ]
            if moved:
                raise _Stale([{"field": "person", "message": f"{p.name}（{p.id_number_masked}）"} for p in moved if p])
            undo = _commit(
                actor=actor,
                changes=changes,
                job=job,
                file_name=job.file_name,
                outcome=outcome,
                summary_action="people.import.confirm",
                keep_undo=True,
            )
            now = timezone.now()
            jobs.update(
                status=S.SUCCEEDED,
                file_data=b"",  # the spreadsheet holds ID numbers: not kept once imported
                undo_data=undo,
                confirmed_at=now,
                confirmed_by=actor,
                finished_at=now,
                message=outcome.message[:500],
                created_count=outcome.created,
                updated_count=outcome.updated,
                unchanged_count=outcome.unchanged,
            )
    except (_Stale, IntegrityError) as exc:
        errors = exc.errors if isinstance(exc, _Stale) else []
        import_plan.transition(jobs, S.PREVIEWED, S.STALE, file_data=b"", message=ROSTER_CHANGED)
        raise ConflictError(ROSTER_CHANGED, errors=errors) from None
    return access_import_job(actor, job.pk)


def import_discard(*, actor, job_id) -> ImportJob:
    """Drop a preview without importing (its file is deleted)."""
    job = _own_job(actor, job_id)
    with transaction.atomic():
        if not import_plan.transition(ImportJob.objects.filter(pk=job.pk), S.PREVIEWED, S.DISCARDED, file_data=b""):
            raise ConflictError(_confirm_refusal(job.status))
        audit_record(actor=actor, action="people.import.discard", target=job, changes={"file": {"new": job.file_name}})
    return access_import_job(actor, job.pk)


def latest_confirmed_job() -> ImportJob | None:
    """The import that may be undone: the latest confirmed one in the whole roster (undo is
    strictly last-in first-out across all units, so two undos never interleave)."""
    return (
        ImportJob.objects.filter(status__in=[S.SUCCEEDED, S.UNDOING], confirmed_at__isnull=False)
        .defer("file_data", "errors", "warnings", "changes", "fingerprints", "undo_data")
        .order_by("-confirmed_at", "-id")
        .first()
    )


def may_undo(user, job: ImportJob) -> bool:
    """Its creator (still allowed to import into every unit it touched) or an organization
    administrator (``orgs.change_orgunit``) over every unit it touched."""
    if user is None or not user.is_authenticated or not job.unit_ids:
        return False
    units = list(OrgUnit.objects.filter(pk__in=job.unit_ids))
    own = job.created_by_id == user.pk
    return bool(units) and all(
        can(user, "orgs.change_orgunit", u) or (own and can(user, IMPORT_PERMISSION, u)) for u in units
    )


def import_undo(*, actor, job_id) -> ImportJob:
    """Undo the latest confirmed import as a whole, back to the exact previous state.

    Created people are deleted together with the history rows the import wrote for them (they
    were never on the roster otherwise; the audit log keeps the trace). Updated people get every
    stored column back as it was (encrypted ID, hashes, ``updated_at`` included); their history
    keeps the import's rows and gains reversing rows (details ``source: "import_undo"``), since
    history is never overwritten. Refused (409) if any touched person changed since, or if a
    created person has rows in other tables pointing at them (never cascaded).
    """
    job = access_import_job(actor, job_id)
    jobs = ImportJob.objects.filter(pk=job.pk)
    if job.status in (S.UNDOING, S.UNDONE):
        raise ConflictError(ALREADY_UNDONE)
    if job.status != S.SUCCEEDED or job.confirmed_at is None:
        raise ConflictError("只能撤销经预览确认的导入")
    if not may_undo(actor, job):
        raise PermissionDenied
    latest = latest_confirmed_job()
    if latest is None or latest.pk != job.pk:
        raise ConflictError(NOT_LATEST)
    undo = ImportJob.objects.values_list("undo_data", flat=True).get(pk=job.pk)
    user = _actor_or_none(actor)
    with transaction.atomic():
        if not import_plan.transition(jobs, S.SUCCEEDED, S.UNDOING):
            raise ConflictError(ALREADY_UNDONE)
        changed, missing = import_plan.changed_since(Person, undo["after"])
        if changed or missing:
            names = [f"{p.name}（{p.id_number_masked}）" for p in changed] + [f"已删除的人员 #{pk}" for pk in missing]
            raise ConflictError(
                UNDO_REFUSED_CHANGED + "、".join(names[:20]) + ("等" if len(names) > 20 else ""),
                errors=[{"field": "person", "message": n} for n in names],
            )
        created = [int(pk) for pk in undo["created"]]
        mine = Q(kind=PersonEventKind.IMPORTED, details__job=job.pk)
        linked = import_plan.dependents(Person, created, allowed={PersonEvent: mine})
        if linked:
            raise ConflictError(
                UNDO_REFUSED_LINKED.format(kinds="、".join(f"{name} {n} 条" for name, n in linked)),
                errors=[{"field": "person", "message": f"{name}：{n} 条"} for name, n in linked],
            )
        audits = []
        gone = list(Person.objects.filter(pk__in=created))
        for person in gone:
            audits.append(
                audit_event(
                    actor,
                    action="people.person.import_undo",
                    target=person,
                    changes={"deleted": {"old": person.name, "new": None}},
                )
            )
        PersonEvent.objects.filter(person_id__in=created).filter(mine).delete()
        Person.objects.filter(pk__in=created).delete()

        before_states = undo["updated"]
        restored = list(Person.objects.filter(pk__in=[int(pk) for pk in before_states]).select_related("unit"))
        unit_ids = {p.unit_id for p in restored} | {s["unit_id"] for s in before_states.values()}
        units = OrgUnit.objects.in_bulk(list(unit_ids))
        events: list[PersonEvent] = []
        fields: set[str] = set()
        for person in restored:
            after = snapshot(person, PERSON_FIELDS)
            after_unit_name = person.unit.name
            fields |= set(import_plan.apply_state(person, before_states[str(person.pk)]))
            person.unit = units[person.unit_id]
            diff = field_changes(after, person, fields=PERSON_FIELDS, sensitive=SENSITIVE_FIELDS)
            events.extend(
                change_events(
                    person,
                    diff,
                    after,
                    actor=user,
                    old_unit_name=after_unit_name,
                    details={"job": job.pk, "source": "import_undo"},
                )
            )
            audits.append(audit_event(actor, action="people.person.import_undo", target=person, changes=diff))
        if restored:
            Person.objects.bulk_update(restored, sorted(fields), batch_size=500)
        PersonEvent.objects.bulk_create(events, batch_size=1000)
        audit_bulk(audits)
        audit_record(
            actor=actor,
            action="people.import.undo",
            target=job,
            changes={"deleted": {"new": len(gone)}, "restored": {"new": len(restored)}},
        )
        import_plan.transition(
            jobs,
            S.UNDOING,
            S.UNDONE,
            undone_at=timezone.now(),
            undone_by=actor,
            undo_data={"created": created, "updated": sorted(int(pk) for pk in before_states)},
            message=f"已撤销：删除新增的 {len(gone)} 人，恢复 {len(restored)} 人导入前的信息。",
        )
    return access_import_job(actor, job.pk)


# --- jobs: the service and selectors used by the page, the API and the command ----------------


def import_job_create(
    *, actor, file_name: str, data: bytes, dry_run: bool = False, update_existing: bool = False, enqueue: bool = True
) -> ImportJob:
    """Record an upload and queue its preview once the upload is committed."""
    if not holds(actor, IMPORT_PERMISSION):
        raise PermissionDenied
    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=actor,
            file_name=(file_name or "upload.xlsx")[:200],
            file_data=data,
            dry_run=dry_run,
            update_existing=update_existing,
        )
        audit_record(
            actor=actor,
            action="people.import.upload",
            target=job,
            changes={
                "file": {"new": job.file_name},
                "size": {"new": len(data)},
                "dry_run": {"new": dry_run},
                "update_existing": {"new": update_existing},
            },
        )
        if enqueue:
            from .tasks import run_import_job

            transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return job


LIST_DEFER = ("file_data", "errors", "warnings", "changes", "fingerprints", "undo_data")


def import_job_list(user):
    """The user's own import jobs, newest first (jobs are private to their creator)."""
    if user is None or not user.is_authenticated:
        return ImportJob.objects.none()
    return ImportJob.objects.filter(created_by_id=user.pk).defer(*LIST_DEFER)


def access_import_job(user, job_id) -> ImportJob:
    """One of the user's own jobs, or a confirmed (or undone) job the user may undo as an
    organization administrator over its units; else 404 (another user's job is not revealed)."""
    from django.http import Http404

    try:
        job = ImportJob.objects.defer("file_data", "undo_data").get(pk=int(job_id))
    except (ImportJob.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    uid = getattr(user, "pk", None)
    if uid is not None and job.created_by_id == uid:
        return job
    if job.status in (S.SUCCEEDED, S.UNDONE) and job.confirmed_at is not None and job.unit_ids:
        units = list(OrgUnit.objects.filter(pk__in=job.unit_ids))
        if units and all(can(user, "orgs.change_orgunit", u) for u in units):
            return job
    raise Http404


def importable_units(user, *, limit: int = 10_000):
    """Active units the user may import people into (for the template's list of codes)."""
    from cloudbranch.orgs.choices import UnitStatus

    from .services import MEMBER_UNIT_KINDS

    return (
        OrgUnit.objects.restrict(user, IMPORT_PERMISSION)
        .filter(status=UnitStatus.ACTIVE, kind__in=MEMBER_UNIT_KINDS)
        .only("id", "code", "name", "path", "kind")
        .order_by("path")[:limit]
    )


# --- the template workbook ------------------------------------------------------------------

INSTRUCTIONS = [
    ("填写说明", ""),
    ("表头", "第一个工作表的表头行不要修改；列的顺序可以调整，多余的列会被忽略。表头上方可以有一行标题。"),
    ("必填列", "、".join(REQUIRED_COLUMNS)),
    ("性别", "男、女"),
    ("人员类别", "、".join(str(label) for _, label in Category.choices)),
    ("政治面貌", "、".join(str(label) for _, label in PoliticalStatus.choices)),
    ("日期格式", f"Excel 日期，或文本 {DATE_FORMATS_HINT}"),
    (
        "身份证号",
        "18 位，最后一位可为 X；请将该列设为文本格式，避免 Excel 截断末几位。出生日期可不填，将取自身份证号。",
    ),
    (
        "日期与政治面貌",
        "申请入党 ≤ 确定积极分子 ≤ 确定发展对象 ≤ 入党 ≤ 转正，均不能晚于今天；申请入党时须年满 18 周岁；"
        "政治面貌须有本阶段的日期，且不能填写之后阶段的日期。",
    ),
    ("所在党组织编码", "填写下表中您有权导入的党组织编码（党支部、流动党支部或党小组）。"),
    ("已有人员", "身份证号已登记在册的人员默认报错；勾选“按身份证号更新已有人员”后，文件中出现的列会覆盖原值。"),
    ("全部或全不", "只要有一行有错，就不会写入任何数据；请按错误列表修改后重新上传。"),
    ("示例行", f"第一个工作表中姓名以“{EXAMPLE_NAME_PREFIX}”开头的示例行请在导入前删除。"),
]


def build_template(user) -> bytes:
    """The import template: header and one example row, a sheet of instructions with the unit
    codes ``user`` may import into, and drop-down lists for the choice columns."""
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    units = list(importable_units(user))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "人员名单"
    ws.append(list(COLUMNS))
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for cell in ws[1]:
        cell.font = bold
        if cell.value in REQUIRED_COLUMNS:
            cell.fill = fill
    example = {
        "姓名": f"{EXAMPLE_NAME_PREFIX}张三",
        "性别": "男",
        "民族": "汉族",
        "出生日期": "2000-03-07",
        "身份证号": idcard.make("110101", datetime.date(2000, 3, 7), 12, Gender.MALE),
        "手机号": "13800138000",
        "学号工号": "2018010001",
        "人员类别": "学生",
        "政治面貌": "预备党员",
        "所在党组织编码": units[0].code if units else "",
        "申请入党日期": "2018-10-08",
        "确定积极分子日期": "2019/4/1",
        "确定发展对象日期": "2020.03.15",
        "入党日期": "2020年6月1日",
        "转正日期": None,
    }
    ws.append([example[c] for c in COLUMNS])
    for cell in ws[2]:
        cell.font = Font(italic=True, color="808080")
        cell.number_format = "@"
    for index, name in enumerate(COLUMNS, start=1):
        letter = openpyxl.utils.get_column_letter(index)
        ws.column_dimensions[letter].width = 20 if name in ("身份证号", "所在党组织编码") else 14
        if name in ("身份证号", "手机号", "学号工号", "所在党组织编码"):
            for row in range(2, 2001):  # text format so Excel keeps all 18 digits
                ws.cell(row=row, column=index).number_format = "@"
    for name, values in (
        ("性别", ["男", "女"]),
        ("人员类别", [str(label) for _, label in Category.choices]),
        ("政治面貌", [str(label) for _, label in PoliticalStatus.choices]),
    ):
        letter = openpyxl.utils.get_column_letter(list(COLUMNS).index(name) + 1)
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
        dv.add(f"{letter}2:{letter}5000")
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"

    info = wb.create_sheet("填写说明")
    for key, text in INSTRUCTIONS:
        info.append([key, text])
    info["A1"].font = Font(bold=True, size=14)
    info.append([])
    info.append(["可导入的党组织编码", "党组织名称"])
    info.cell(row=info.max_row, column=1).font = bold
    info.cell(row=info.max_row, column=2).font = bold
    for unit in units:
        info.append([unit.code, unit.name])
    if not units:
        info.append(["（无）", "您当前没有可导入人员的党组织"])
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
