"""The field catalogue: for each kind of document, the placeholders a template may use.

A template writes ``{{ person.name }}``; list fields are looped over with docxtpl's row tags
(``{%tr for m in ledger.meetings %}`` … ``{{ m.title }}`` … ``{%tr endfor %}``). The context
builders in ``contexts.py`` produce exactly these names (tests compare them), and an uploaded
template may use nothing else (``services.template_check``). Missing optional data is "—".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .choices import DocumentKind

MISSING = "—"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    example: str
    optional: bool = False
    #: For a list: the loop variable's name and the fields of one item.
    loop_var: str = ""
    items: tuple[Field, ...] = field(default_factory=tuple)

    @property
    def is_list(self) -> bool:
        return bool(self.items)


def F(name, label, example, optional=False):
    return Field(name, label, example, optional)


_UNIT = (
    F("unit.name", "党组织名称", "计算机本科第一党支部"),
    F("unit.parent_name", "上级党组织名称", "计算机学院党委", optional=True),
)
_TODAY = F("today", "生成日期", "2026年11月26日")
_PERSON_BASIC = (
    F("person.name", "姓名", "张三"),
    F("person.gender", "性别", "男"),
    F("person.birth_month", "出生年月", "2003年5月"),
    F("person.ethnicity", "民族", "汉族", optional=True),
    F("person.education", "学历", "本科", optional=True),
)

CATALOGUE: dict[str, tuple[Field, ...]] = {
    DocumentKind.FILING_FORM: (
        *_PERSON_BASIC,
        F("person.birth_date", "出生日期", "2003年5月12日"),
        F("person.id_number_masked", "身份证号（掩码）", "110101********1234"),
        F("person.category", "人员类别", "学生"),
        F("person.college", "学院", "计算机学院", optional=True),
        F("person.department", "班级或部门", "计科2101班", optional=True),
        F("person.staff_number", "学号工号", "2021001", optional=True),
        F("case.applied_on", "申请入党日期", "2022年3月1日"),
        F("case.activist_on", "确定入党积极分子日期", "2022年4月30日", optional=True),
        F("case.candidate_on", "确定发展对象日期", "2023年5月5日", optional=True),
        F("case.admission_on", "支部大会接收预备党员日期", "2023年8月23日", optional=True),
        F("case.approval_on", "党委审批日期", "2023年9月22日", optional=True),
        F("case.probation_end", "预备期满日期", "2024年8月23日", optional=True),
        F("case.stage", "当前阶段", "入党积极分子的确定和培养教育"),
        F("case.status", "状态", "进行中"),
        F("sponsors", "培养联系人", "李四、王五", optional=True),
        F("introducers", "入党介绍人", "李四、王五", optional=True),
        Field(
            "case.records",
            "已记录的发展步骤（列表）",
            "（每步一行）",
            optional=True,
            loop_var="r",
            items=(
                F("number", "步骤序号", "3"),
                F("name", "步骤名称", "确定入党积极分子"),
                F("date", "日期", "2022年4月30日"),
                F("decided_by", "审批或经办", "支部委员会", optional=True),
                F("note", "情况说明", "党员推荐", optional=True),
            ),
        ),
        *_UNIT,
        _TODAY,
    ),
    DocumentKind.PUBLIC_NOTICE: (
        F("notice.title", "公示标题", "关于张三同志拟发展为中共预备党员的公示"),
        F("notice.kind", "公示类型", "拟发展为预备党员"),
        F("notice.body", "公示正文（标题以外，多行）", "经……审查，张三同志已基本具备党员条件……"),
        F("notice.start", "公示开始", "2026年11月2日"),
        F("notice.end", "公示结束", "2026年11月6日"),
        F("notice.workdays", "公示期（工作日）", "5"),
        F("notice.contact", "意见反映渠道", "电话 010-12345678", optional=True),
        *_PERSON_BASIC,
        F("case.applied_on", "申请入党日期", "2022年3月1日"),
        F("case.activist_on", "确定入党积极分子日期", "2022年4月30日", optional=True),
        F("case.candidate_on", "确定发展对象日期", "2023年5月5日", optional=True),
        F("sponsors", "培养联系人", "李四、王五", optional=True),
        F("introducers", "入党介绍人", "李四、王五", optional=True),
        F("publisher", "发布公示的党组织", "计算机学院党委"),
        *_UNIT,
        _TODAY,
    ),
    DocumentKind.TRANSFER_LETTER: (
        F("transfer.letter_number", "介绍信编号", "CB-2026-000001"),
        F("transfer.external_org", "接收党组织", "中共某市某区街道工委"),
        F("transfer.reason", "转接原因", "毕业离校"),
        F("transfer.issued_on", "开具日期", "2026年6月20日"),
        F("transfer.valid_days", "有效期（天）", "90"),
        F("transfer.valid_until", "有效期至", "2026年9月18日"),
        F("transfer.dues_paid_until", "党费交至", "2026年6月", optional=True),
        F("transfer.note", "备注", "", optional=True),
        F("person.name", "姓名", "张三"),
        F("person.gender", "性别", "男"),
        F("person.age", "年龄", "22"),
        F("person.ethnicity", "民族", "汉族", optional=True),
        F("person.id_number", "身份证号（无查看权限时为掩码）", "110101********1234"),
        F("person.political_status", "政治面貌", "中共正式党员"),
        F("issuing_unit.name", "开具介绍信的党组织", "计算机学院党委"),
        *_UNIT,
        _TODAY,
    ),
    DocumentKind.LEDGER_COVER: (
        F("ledger.year", "年度", "2026"),
        F("ledger.held_total", "已开展会议活动数", "24"),
        F("ledger.cancelled_total", "取消的会议活动数", "1"),
        F("ledger.talk_total", "谈心谈话次数", "6"),
        Field(
            "ledger.meetings",
            "会议活动目录（列表）",
            "（每次一行）",
            optional=True,
            loop_var="m",
            items=(
                F("no", "序号", "1"),
                F("date", "日期", "2026年3月5日"),
                F("kind", "类型", "支部党员大会"),
                F("title", "标题", "学习贯彻全会精神"),
                F("host", "主持人", "李四", optional=True),
                F("status", "状态", "已召开"),
                F("attendance", "出席（实到/应到）", "18/20"),
            ),
        ),
        Field(
            "ledger.kinds",
            "分类统计（列表）",
            "（每类一行）",
            loop_var="k",
            items=(F("label", "类型", "支部党员大会"), F("held", "已开展", "4"), F("cancelled", "取消", "0")),
        ),
        *_UNIT,
        _TODAY,
    ),
    DocumentKind.DUES_RECEIPT: (
        F("payment.receipt_no", "收据号", "R0001", optional=True),
        F("payment.amount", "金额（元）", "20.00"),
        F("payment.amount_cn", "金额大写", "贰拾元整"),
        F("payment.month", "所属月份", "2026年9月"),
        F("payment.kind", "类型", "缴纳"),
        F("payment.method", "方式", "现金"),
        F("payment.paid_at", "记账日期", "2026年9月5日"),
        F("payment.order_no", "订单号", "", optional=True),
        F("payment.note", "说明", "", optional=True),
        F("payment.recorded_by", "经办人", "党费收缴员"),
        F("person.name", "党员姓名", "张三"),
        *_UNIT,
        _TODAY,
    ),
}


def roots(kind: str) -> set[str]:
    """The top-level names a template of ``kind`` may use."""
    return {f.name.split(".")[0] for f in CATALOGUE[kind]}


def _put(target: dict, dotted: str, value) -> None:
    *path, last = dotted.split(".")
    for part in path:
        target = target.setdefault(part, {})
    target[last] = value


def example_context(kind: str) -> dict:
    """A context filled with the catalogue's examples (two items per list): the test render of
    an uploaded template, and the preview on the field page."""
    context: dict = {}
    for f in CATALOGUE[kind]:
        if f.is_list:
            item = {i.name: i.example for i in f.items}
            _put(context, f.name, [item, dict(item)])
        else:
            _put(context, f.name, f.example)
    return context


def field_names(context: dict, prefix: str = "") -> set[str]:
    """The dotted names of a context (list fields by their own name): to compare with the catalogue."""
    names: set[str] = set()
    for key, value in context.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            names |= field_names(value, f"{name}.")
        else:
            names.add(name)
    return names


def catalogue_names(kind: str) -> set[str]:
    return {f.name for f in CATALOGUE[kind]}


def item_names(kind: str, name: str) -> set[str]:
    return {i.name for f in CATALOGUE[kind] if f.name == name for i in f.items}
