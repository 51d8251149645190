"""Question bank import from and export to Excel (.xlsx), all-or-nothing like the roster import.

Columns (the export writes the same ones, so an exported file imports again): 题型, 题干,
选项A..选项H, 答案, 解析, 知识点, 难度, 出处. Answers: letters for choice ("AC"), 正确/错误 for
judge, "答案1|同义答案；答案2" for fill-in. Every row is checked with the same rules as the
editor (``questions.check_question``) plus duplicates in the file and in the unit's bank; one
error anywhere and nothing is written. Each error names the row and the column as Excel shows
them: "第 5 行，第 K 列：……". Files are small (≤ ``MAX_ROWS``), so the import runs in the request.
The page and ``/api/learning/questions/imports`` go through a stored preview first
(``question_jobs``: preview → confirm → undo), with the same checks (``_check``) and writes (``_write``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction

from cloudbranch.audit.services import audit_bulk, audit_event, audit_record
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can
from cloudbranch.people.importing import ImportFileError, clean_text

from . import questions
from .choices import Difficulty, QuestionKind, QuestionStatus
from .models import KnowledgePoint, Question

MAX_ROWS = 2000
HEADER_SCAN_ROWS = 10
EXAMPLE_PREFIX = "【示例】"
OPTION_COLUMNS = [f"选项{ch}" for ch in questions.LETTERS]
COLUMNS = ["题型", "题干", *OPTION_COLUMNS, "答案", "解析", "知识点", "难度", "出处"]
REQUIRED = ("题型", "题干", "答案")
KIND_LABELS = {k: str(label) for k, label in QuestionKind.choices}
DIFFICULTY_LABELS = {int(v): str(label) for v, label in Difficulty.choices}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def error_text(error: dict) -> str:
    """ "第 R 行，第 C 列：message" (or less when the error has no row or column)."""
    where = []
    if error.get("row"):
        where.append(f"第 {error['row']} 行")
    if error.get("column"):
        where.append(f"第 {error['column']} 列")
    return ("，".join(where) + "：" if where else "") + error["message"]


@dataclass
class ImportResult:
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    total_rows: int = 0
    created: int = 0
    committed: bool = False
    dry_run: bool = False
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_lines(self) -> list[str]:
        return [error_text(e) for e in self.errors]


@dataclass
class _Parsed:
    row: int
    kind: str
    stem: str
    options: list
    answer: list
    explanation: str
    kp_names: list
    difficulty: int
    source: str


def _header_key(value) -> str | None:
    text = clean_text(value).replace(" ", "").strip("*")
    return text if text in COLUMNS else None


def _read(data: bytes) -> tuple[int, dict[str, int], list[tuple[int, tuple]]]:
    """(header row, column name → 0-based index, data rows) of the first sheet."""
    if not data:
        raise ImportFileError("上传的文件是空的，请选择填写好的 .xlsx 文件。")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError("这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 格式后再上传。")
    import zipfile

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportFileError("文件不是 Excel .xlsx 格式，请下载导入模板，填写后保存为 .xlsx 再上传。")
    import openpyxl

    from cloudbranch.core.documents import spreadsheet_problem

    if problem := spreadsheet_problem(data):
        raise ImportFileError(problem)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds; all mean unreadable
        raise ImportFileError("文件已损坏或不是有效的 .xlsx 文件，无法读取。请在 Excel 中重新保存后再上传。") from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        rows = list(sheet.iter_rows(values_only=True, max_row=MAX_ROWS + HEADER_SCAN_ROWS + 1))
    finally:
        workbook.close()
    header_row, best = None, 0
    for number, values in enumerate(rows[:HEADER_SCAN_ROWS], start=1):
        score = len({k for k in map(_header_key, values) if k})
        if score > best:
            header_row, best = number, score
    if header_row is None or best < 2:
        raise ImportFileError(
            f"在前 {HEADER_SCAN_ROWS} 行中没有找到表头行（应包含“题型”“题干”“答案”等列名）。请使用导入模板。"
        )
    columns: dict[str, int] = {}
    for index, cell in enumerate(rows[header_row - 1]):
        key = _header_key(cell)
        if key is None:
            continue
        if key in columns:
            raise ImportFileError(f"列“{key}”出现了两次，请删除其中一列。", row=header_row, column=column_letter(index))
        columns[key] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ImportFileError(f"缺少必填列：{'、'.join(missing)}。请使用导入模板的表头。", row=header_row)
    data_rows = [
        (number, tuple(values))
        for number, values in enumerate(rows[header_row:], start=header_row + 1)
        if any(clean_text(v) for v in values)
    ]
    if len(data_rows) > MAX_ROWS:
        raise ImportFileError(f"文件超过单次导入上限 {MAX_ROWS} 行，请拆分成几个文件分别导入。")
    if not data_rows:
        raise ImportFileError("表头下面没有数据行。", row=header_row)
    return header_row, columns, data_rows


def _cell(values: tuple, columns: dict[str, int], name: str):
    index = columns.get(name)
    if index is None or index >= len(values):
        return None
    return values[index]


def _text(values, columns, name) -> str:
    """A cell as text, keeping line breaks inside (stems and explanations may have several lines)."""
    raw = _cell(values, columns, name)
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).replace("\r\n", "\n").strip()


def _parse_row(number: int, values: tuple, columns: dict[str, int]) -> tuple[_Parsed | None, list[dict]]:
    errors: list[dict] = []

    def err(column: str, message: str) -> None:
        index = columns.get(column)
        errors.append(
            {
                "row": number,
                "column": column_letter(index) if index is not None else "",
                "field": column,
                "message": message,
            }
        )

    kind = questions.parse_kind(_text(values, columns, "题型"))
    if kind is None:
        raw = _text(values, columns, "题型")
        err("题型", f"题型“{raw}”无法识别，应为单选题、多选题、判断题或填空题" if raw else "请填写题型")
    stem = _text(values, columns, "题干")
    if stem.startswith(EXAMPLE_PREFIX):
        err("题干", "这是模板中的示例行，请删除后再导入")
    options: list[str] = []
    filled = [(name, _text(values, columns, name)) for name in OPTION_COLUMNS]
    last = max((i for i, (_, text) in enumerate(filled) if text), default=-1)
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        for name, text in filled[: last + 1]:
            if not text:
                err(name, f"{name}为空，选项须从选项A起连续填写")
            options.append(text)
    elif kind == QuestionKind.JUDGE:
        given = [text for _, text in filled if text]
        if given and given != questions.JUDGE_OPTIONS:
            err(OPTION_COLUMNS[0], "判断题不用填写选项（固定为“正确”“错误”）")
        options = list(questions.JUDGE_OPTIONS)
    elif kind == QuestionKind.FILL and last >= 0:
        err(filled[last][0], "填空题没有选项，请清空选项列")
    answer: list = []
    if kind is not None:
        try:
            answer = questions.parse_answer(kind, _text(values, columns, "答案"), len(options))
        except ValueError as exc:
            err("答案", str(exc))
    difficulty = questions.parse_difficulty(_text(values, columns, "难度"))
    if difficulty is None:
        err("难度", f"难度“{_text(values, columns, '难度')}”无法识别，应为容易、中等或较难")
    kp_names = questions.split_names(_text(values, columns, "知识点"))
    for name in kp_names:
        if len(name) > 60:
            err("知识点", f"知识点“{name[:20]}…”过长（最多 60 字）")
    source = _text(values, columns, "出处")
    if len(source) > 200:
        err("出处", "出处过长（最多 200 字）")
    if kind is not None and not errors:
        for e in questions.check_question(kind=kind, stem=stem, options=options, answer=answer, difficulty=difficulty):
            column = {"stem": "题干", "options": "选项A", "answer": "答案", "difficulty": "难度"}.get(
                e["field"], "题干"
            )
            err(column, e["message"].rstrip("。"))
    if errors:
        return None, errors
    parsed = _Parsed(
        row=number,
        kind=kind,
        stem=stem,
        options=options,
        answer=answer,
        explanation=_text(values, columns, "解析"),
        kp_names=kp_names,
        difficulty=difficulty,
        source=source,
    )
    return parsed, []


def _stem_key(kind: str, stem: str) -> tuple[str, str]:
    return kind, "".join(clean_text(stem).split())


def _check(*, unit: OrgUnit, data: bytes, result: ImportResult) -> list[_Parsed]:
    """Read and check the whole workbook into ``result`` (errors sorted, message set on errors);
    the rows to create, or [] when there is any error. Writes nothing."""
    try:
        header_row, columns, rows = _read(data)
    except ImportFileError as exc:
        result.errors = [{"row": exc.row, "column": exc.column, "message": exc.message}]
        result.message = exc.message
        return []
    result.total_rows = len(rows)
    parsed: list[_Parsed] = []
    seen: dict[tuple, int] = {}
    stem_col = column_letter(columns["题干"])
    for number, values in rows:
        item, errors = _parse_row(number, values, columns)
        result.errors.extend(errors)
        if item is None:
            continue
        key = _stem_key(item.kind, item.stem)
        if key in seen:
            result.errors.append(
                {"row": number, "column": stem_col, "field": "题干", "message": f"与第 {seen[key]} 行是同一道题"}
            )
            continue
        seen[key] = number
        parsed.append(item)
    if parsed:
        stems = {p.stem for p in parsed}
        existing = Question.objects.filter(unit=unit, status=QuestionStatus.ACTIVE, stem__in=stems).values_list(
            "kind", "stem", "pk"
        )
        in_bank = {_stem_key(k, s): pk for k, s, pk in existing}
        for item in parsed:
            pk = in_bank.get(_stem_key(item.kind, item.stem))
            if pk:
                result.errors.append(
                    {
                        "row": item.row,
                        "column": stem_col,
                        "field": "题干",
                        "message": f"本组织题库中已有相同的题目（编号 {pk}）",
                    }
                )
    if result.errors:
        result.errors.sort(key=lambda e: (e.get("row") or 0, len(e.get("column") or ""), e.get("column") or ""))
        result.message = f"发现 {len(result.errors)} 处错误，未导入任何试题。请修改后重新上传。"
        return []
    return parsed


def _write(*, actor, unit: OrgUnit, parsed: list[_Parsed], file_name: str) -> tuple[list[Question], list[int]]:
    """Create every question of ``parsed`` (call inside a transaction), audited; returns the
    questions and the ids of the knowledge points this call created."""
    names = sorted({n for p in parsed for n in p.kp_names})
    known = set(KnowledgePoint.objects.filter(name__in=[n[:60] for n in names]).values_list("pk", flat=True))
    kps = {kp.name: kp for kp in questions.knowledge_points_for(names)}
    new_kps = sorted(kp.pk for kp in kps.values() if kp.pk not in known)
    created = Question.objects.bulk_create(
        [
            Question(
                unit=unit,
                kind=p.kind,
                stem=p.stem,
                options=p.options,
                answer=p.answer,
                explanation=p.explanation,
                difficulty=p.difficulty,
                source=p.source,
                created_by=actor,
            )
            for p in parsed
        ]
    )
    if any(q.pk is None for q in created):  # backends that do not return ids
        created = list(Question.objects.filter(unit=unit, created_by=actor).order_by("-id")[: len(parsed)])[::-1]
    through = Question.knowledge_points.through
    through.objects.bulk_create(
        [
            through(question_id=q.pk, knowledgepoint_id=kps[name].pk)
            for q, p in zip(created, parsed, strict=True)
            for name in p.kp_names
        ]
    )
    audit_bulk(
        [
            audit_event(
                actor,
                action="learning.question.create",
                target=q,
                changes={"kind": {"new": q.kind}, "source": {"new": "import"}, "row": {"new": p.row}},
            )
            for q, p in zip(created, parsed, strict=True)
        ]
    )
    audit_record(
        actor=actor,
        action="learning.question.import",
        target=unit,
        changes={"file": {"new": (file_name or "")[:200]}, "created": {"new": len(created)}},
    )
    return created, new_kps


def import_questions(*, actor, unit: OrgUnit, data: bytes, dry_run: bool = False, file_name: str = "") -> ImportResult:
    """Validate the whole workbook, then (unless ``dry_run``) create every question at ``unit``
    in one transaction; on any error nothing is written. (The page and the jobs API go through
    a preview instead: ``preview`` → ``confirm`` → ``undo``.)"""
    if not can(actor, questions.ADD, unit):
        raise PermissionDenied
    result = ImportResult(dry_run=dry_run)
    parsed = _check(unit=unit, data=data, result=result)
    if result.errors:
        return result
    if dry_run:
        result.created = len(parsed)
        result.message = f"校验通过：共 {len(parsed)} 道题，可以导入（仅校验，未写入）。"
        return result
    with transaction.atomic():
        created, _new_kps = _write(actor=actor, unit=unit, parsed=parsed, file_name=file_name)
    result.created = len(created)
    result.committed = True
    result.message = f"导入成功：新增 {len(created)} 道试题。"
    return result


# --- export and template ---------------------------------------------------------------------


def question_row(q: Question) -> list:
    options = list(q.options or []) if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) else []
    options += [""] * (len(OPTION_COLUMNS) - len(options))
    return [
        KIND_LABELS.get(q.kind, q.kind),
        q.stem,
        *options,
        questions.answer_text(q.kind, q.answer),
        q.explanation,
        "，".join(kp.name for kp in q.knowledge_points.all()),
        DIFFICULTY_LABELS.get(q.difficulty, ""),
        q.source,
    ]


def _styled_header(ws) -> None:
    from openpyxl.styles import Font, PatternFill

    fill = PatternFill("solid", fgColor="FFF2CC")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        if cell.value in REQUIRED:
            cell.fill = fill
    widths = {"题型": 8, "题干": 50, "答案": 12, "解析": 40, "知识点": 16, "难度": 8, "出处": 20}
    from openpyxl.utils import get_column_letter

    for index, name in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = widths.get(name, 18)
    ws.freeze_panes = "A2"


def export_questions(queryset) -> bytes:
    """The questions of ``queryset`` (already scoped and filtered) in the import layout."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "题库"
    ws.append(COLUMNS)
    _styled_header(ws)
    for q in queryset.order_by("id").iterator(chunk_size=500):
        ws.append(question_row(q))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


INSTRUCTIONS = [
    ("填写说明", ""),
    ("表头", "第一个工作表的表头行不要修改；列的顺序可以调整，多余的列会被忽略。"),
    ("必填列", "、".join(REQUIRED)),
    ("题型", "单选题、多选题、判断题、填空题"),
    ("选项", "选择题从选项A起连续填写，2～8 个；判断题和填空题不填选项。"),
    ("答案", "选择题填写选项字母，如 B 或 ACD；判断题填写“正确”或“错误”；"),
    ("", "填空题在题干中用“____”或“（ ）”标出空，答案按空的顺序用“；”分隔，同一空的同义答案用“|”分隔，"),
    ("", "如：为人民服务；中国共产党章程|党章"),
    ("知识点", "多个知识点用逗号分隔；不存在的知识点会自动新建。"),
    ("难度", "容易、中等、较难（不填为中等）"),
    ("全部或全不", "只要有一行有错，就不会导入任何试题；请按错误列表（第几行、第几列）修改后重新上传。"),
    ("示例行", f"题干以“{EXAMPLE_PREFIX}”开头的示例行请在导入前删除。"),
]
EXAMPLES = [
    ["单选题", f"{EXAMPLE_PREFIX}党的最高领导机关是（ ）。", "党的全国代表大会和它所产生的中央委员会",
     "中央政治局", "中央纪律检查委员会", "中央军事委员会", "", "", "", "", "A",
     "党章第十条。", "党章，民主集中制", "容易", "《中国共产党章程》"],
    ["多选题", f"{EXAMPLE_PREFIX}党的纪律主要包括（ ）。", "政治纪律", "组织纪律", "廉洁纪律", "群众纪律",
     "", "", "", "", "ABCD", "", "党的纪律", "中等", ""],
    ["判断题", f"{EXAMPLE_PREFIX}预备党员的预备期为一年。", "", "", "", "", "", "", "", "", "正确", "",
     "党员发展", "容易", ""],
    ["填空题", f"{EXAMPLE_PREFIX}党的根本宗旨是____；党的最高理想和最终目标是实现____。", "", "", "", "", "",
     "", "", "", "为人民服务|全心全意为人民服务；共产主义", "", "党章", "中等", ""],
]  # fmt: skip


def build_template() -> bytes:
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "题库"
    ws.append(COLUMNS)
    _styled_header(ws)
    for row in EXAMPLES:
        ws.append(row)
    for row in ws.iter_rows(min_row=2, max_row=1 + len(EXAMPLES)):
        for cell in row:
            cell.font = Font(italic=True, color="808080")
    answer_col = column_letter(COLUMNS.index("答案"))
    for row in range(2, 2001):
        ws[f"{answer_col}{row}"].number_format = "@"
    for name, values in (("题型", list(KIND_LABELS.values())), ("难度", list(DIFFICULTY_LABELS.values()))):
        letter = column_letter(COLUMNS.index(name))
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
        dv.add(f"{letter}2:{letter}2001")
        ws.add_data_validation(dv)
    info = wb.create_sheet("填写说明")
    for key, text in INSTRUCTIONS:
        info.append([key, text])
    info["A1"].font = Font(bold=True, size=14)
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
