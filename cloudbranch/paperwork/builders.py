"""Built-in default templates, written with python-docx (no binary files in the repository).

Each builder returns the .docx bytes of a tidy Chinese document carrying the kind's placeholders
(title, tables, signature lines, the places of the seals). They are used when no uploaded
template of the kind is active, and can be downloaded as the starting point of a custom one.
"""

from __future__ import annotations

import functools
import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from .choices import DocumentKind

FONT = "宋体"


def _new() -> Document:
    doc = Document()
    for section in doc.sections:
        section.top_margin = section.bottom_margin = Cm(2.5)
        section.left_margin = section.right_margin = Cm(2.6)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(12)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    return doc


def _title(doc, text: str, size: int = 18) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(text)
    run.bold = True
    run.font.size = Pt(size)


def _para(doc, text: str, *, align=None, bold: bool = False, indent: bool = False) -> None:
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(24)
    run = p.add_run(text)
    run.bold = bold


def _grid(doc, rows: list[tuple[str, str]], cols: int = 4) -> None:
    """A form table: label, value, label, value per row."""
    table = doc.add_table(rows=0, cols=cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    per_row = cols // 2
    for start in range(0, len(rows), per_row):
        cells = table.add_row().cells
        for i, (label, value) in enumerate(rows[start : start + per_row]):
            cells[2 * i].text = label
            cells[2 * i + 1].text = value
    doc.add_paragraph()


def _loop_table(doc, headers: list[str], loop: str, cells: list[str], end: str = "{%tr endfor %}") -> None:
    """A table with a header row and one row per item (docxtpl's {%tr %} row tags)."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = header
        cell.paragraphs[0].runs[0].bold = True
    table.add_row().cells[0].text = loop
    row = table.add_row().cells
    for cell, text in zip(row, cells, strict=True):
        cell.text = text
    table.add_row().cells[0].text = end
    doc.add_paragraph()


def _signature(doc, who: str, date: str = "{{ today }}") -> None:
    _para(doc, f"{who}（盖章）", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, date, align=WD_ALIGN_PARAGRAPH.RIGHT)


def _filing_form(doc) -> None:
    _title(doc, "发展党员备案表")
    _para(doc, "填报单位：{{ unit.parent_name }}　{{ unit.name }}")
    _grid(
        doc,
        [
            ("姓名", "{{ person.name }}"),
            ("性别", "{{ person.gender }}"),
            ("出生日期", "{{ person.birth_date }}"),
            ("民族", "{{ person.ethnicity }}"),
            ("学历", "{{ person.education }}"),
            ("人员类别", "{{ person.category }}"),
            ("身份证号", "{{ person.id_number_masked }}"),
            ("学号工号", "{{ person.staff_number }}"),
            ("学院", "{{ person.college }}"),
            ("班级或部门", "{{ person.department }}"),
            ("申请入党日期", "{{ case.applied_on }}"),
            ("确定积极分子日期", "{{ case.activist_on }}"),
            ("确定发展对象日期", "{{ case.candidate_on }}"),
            ("接收预备党员日期", "{{ case.admission_on }}"),
            ("党委审批日期", "{{ case.approval_on }}"),
            ("预备期满日期", "{{ case.probation_end }}"),
            ("培养联系人", "{{ sponsors }}"),
            ("入党介绍人", "{{ introducers }}"),
            ("当前阶段", "{{ case.stage }}"),
            ("状态", "{{ case.status }}"),
        ],
    )
    _para(doc, "发展步骤记录", bold=True)
    _loop_table(
        doc,
        ["序号", "步骤", "日期", "审批或经办", "情况说明"],
        "{%tr for r in case.records %}",
        ["{{ r.number }}", "{{ r.name }}", "{{ r.date }}", "{{ r.decided_by }}", "{{ r.note }}"],
    )
    _para(doc, "党支部意见：")
    _para(doc, "支部书记（签字）：＿＿＿＿＿＿", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _signature(doc, "{{ unit.name }}")
    _para(doc, "上级党委备案意见：")
    _signature(doc, "{{ unit.parent_name }}", "＿＿＿＿年＿＿月＿＿日")


def _public_notice(doc) -> None:
    _title(doc, "{{ notice.title }}", 16)
    _para(doc, "{{ notice.body }}", indent=True)
    _grid(
        doc,
        [
            ("姓名", "{{ person.name }}"),
            ("性别", "{{ person.gender }}"),
            ("出生年月", "{{ person.birth_month }}"),
            ("民族", "{{ person.ethnicity }}"),
            ("学历", "{{ person.education }}"),
            ("所在支部", "{{ unit.name }}"),
            ("申请入党时间", "{{ case.applied_on }}"),
            ("确定积极分子时间", "{{ case.activist_on }}"),
            ("确定发展对象时间", "{{ case.candidate_on }}"),
            ("培养联系人", "{{ sponsors }}"),
            ("入党介绍人", "{{ introducers }}"),
            ("公示类型", "{{ notice.kind }}"),
        ],
    )
    _para(
        doc,
        "公示期：{{ notice.start }}至{{ notice.end }}（{{ notice.workdays }} 个工作日）。意见反映渠道：{{ notice.contact }}",
        indent=True,
    )
    _signature(doc, "{{ publisher }}")


def _transfer_letter(doc) -> None:
    _title(doc, "中国共产党党员组织关系介绍信")
    _para(doc, "编号：{{ transfer.letter_number }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "{{ transfer.external_org }}：")
    _para(
        doc,
        "{{ person.name }}同志（{{ person.gender }}，{{ person.age }}岁，{{ person.ethnicity }}，"
        "{{ person.political_status }}，身份证号码{{ person.id_number }}），"
        "由{{ unit.name }}去{{ transfer.external_org }}，请转接组织关系。"
        "该同志党费已交到{{ transfer.dues_paid_until }}。转接原因：{{ transfer.reason }}。",
        indent=True,
    )
    _para(doc, "（有效期{{ transfer.valid_days }}天，至{{ transfer.valid_until }}止）", indent=True)
    _signature(doc, "{{ issuing_unit.name }}", "{{ transfer.issued_on }}")
    _para(doc, "备注：{{ transfer.note }}")
    _para(doc, "— — — — — — — — — — — — — — 回执 — — — — — — — — — — — — — —", align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "{{ issuing_unit.name }}：")
    _para(
        doc,
        "{{ person.name }}同志的组织关系已转达我处，特此回复。（介绍信编号：{{ transfer.letter_number }}）",
        indent=True,
    )
    _signature(doc, "接收党组织", "＿＿＿＿年＿＿月＿＿日")


def _ledger_cover(doc) -> None:
    for _ in range(4):
        doc.add_paragraph()
    _title(doc, "{{ unit.name }}", 22)
    _title(doc, "{{ ledger.year }} 年度组织生活台账", 22)
    for _ in range(3):
        doc.add_paragraph()
    _para(doc, "上级党组织：{{ unit.parent_name }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "编制日期：{{ today }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_page_break()
    _title(doc, "目　录", 16)
    _para(
        doc,
        "本年度开展会议活动 {{ ledger.held_total }} 次，取消 {{ ledger.cancelled_total }} 次，"
        "谈心谈话 {{ ledger.talk_total }} 次。",
    )
    _loop_table(
        doc,
        ["序号", "日期", "类型", "标题", "主持人", "状态", "出席"],
        "{%tr for m in ledger.meetings %}",
        [
            "{{ m.no }}",
            "{{ m.date }}",
            "{{ m.kind }}",
            "{{ m.title }}",
            "{{ m.host }}",
            "{{ m.status }}",
            "{{ m.attendance }}",
        ],
    )
    _para(doc, "分类统计", bold=True)
    _loop_table(
        doc,
        ["类型", "已开展", "取消"],
        "{%tr for k in ledger.kinds %}",
        ["{{ k.label }}", "{{ k.held }}", "{{ k.cancelled }}"],
    )
    _signature(doc, "{{ unit.name }}")


def _dues_receipt(doc) -> None:
    _title(doc, "中国共产党党费收据")
    _para(doc, "No. {{ payment.receipt_no }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _grid(
        doc,
        [
            ("党员姓名", "{{ person.name }}"),
            ("所在党组织", "{{ unit.name }}"),
            ("所属月份", "{{ payment.month }}"),
            ("缴纳方式", "{{ payment.method }}"),
            ("金额（小写）", "￥{{ payment.amount }}"),
            ("金额（大写）", "{{ payment.amount_cn }}"),
            ("类型", "{{ payment.kind }}"),
            ("订单号", "{{ payment.order_no }}"),
            ("记账日期", "{{ payment.paid_at }}"),
            ("经办人", "{{ payment.recorded_by }}"),
        ],
    )
    _para(doc, "说明：{{ payment.note }}")
    _signature(doc, "{{ unit.parent_name }}　{{ unit.name }}")


BUILDERS = {
    DocumentKind.FILING_FORM: _filing_form,
    DocumentKind.PUBLIC_NOTICE: _public_notice,
    DocumentKind.TRANSFER_LETTER: _transfer_letter,
    DocumentKind.LEDGER_COVER: _ledger_cover,
    DocumentKind.DUES_RECEIPT: _dues_receipt,
}


@functools.cache
def default_template(kind: str) -> bytes:
    """The built-in template of ``kind`` as .docx bytes (built once per process)."""
    doc = _new()
    BUILDERS[DocumentKind(kind)](doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
