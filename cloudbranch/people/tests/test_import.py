"""The import pipeline (people.importing): reading real-world spreadsheets, every error kind
with its row and column, all-or-nothing, update by ID, audit."""

import datetime
import io
import json
import random
import re
import zipfile

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.people import importing
from cloudbranch.people.models import Person, PersonEvent
from cloudbranch.people.tests.import_helpers import HEADER, person_row, workbook_bytes
from cloudbranch.testing.factories import grant

pytestmark = pytest.mark.django_db

NO_DATES = {
    "申请入党日期": None,
    "确定积极分子日期": None,
    "确定发展对象日期": None,
    "入党日期": None,
    "转正日期": None,
}


def run(world, rows=None, *, user="secretary1", data=None, **kwargs):
    data = data if data is not None else workbook_bytes(rows, **kwargs.pop("book", {}))
    return importing.import_people(actor=world.users[user], data=data, file_name="t.xlsx", **kwargs)


def errors_of(outcome):
    return [(e["row"], e["column"]) for e in outcome.errors]


def test_valid_file_creates_people_events_and_audit(world):
    before_audit = AuditEvent.objects.count()
    out = run(world, [person_row(1), person_row(2, unit="CA01G1", gender="女", 政治面貌="群众", **NO_DATES)])
    assert out.ok and out.committed, out.errors
    assert (out.created, out.updated, out.total_rows) == (2, 0, 2)
    p1 = Person.objects.get(name="导入1")
    row = person_row(1)
    assert p1.reveal_id_number() == row["身份证号"]
    assert p1.unit == world.branch_a1 and p1.political_status == "full" and p1.gender == "male"
    assert p1.confirmed_on == datetime.date(2016, 6, 1) and p1.phone == row["手机号"] and p1.staff_number == "S000001"
    p2 = Person.objects.get(name="导入2")
    assert p2.unit == world.group_a1 and p2.gender == "female" and p2.political_status == "masses"
    assert PersonEvent.objects.filter(kind="imported", person__in=[p1, p2]).count() == 2
    audits = AuditEvent.objects.order_by("id")[before_audit:]
    actions = [a.action for a in audits]
    assert actions.count("people.person.import") == 2 and actions.count("people.import.commit") == 1
    dump = json.dumps([a.changes for a in audits], ensure_ascii=False)
    assert row["身份证号"] not in dump and row["手机号"] not in dump


def test_title_row_with_merged_cells_above_header(world):
    out = run(world, [person_row(1), person_row(2)], book={"title": "计算机学院 2024 年党员名册"})
    assert out.ok, out.errors
    assert out.created == 2


def test_shuffled_columns_and_unknown_column_warning(world):
    header = random.Random(3).sample(HEADER, len(HEADER))
    header.insert(4, "备注")
    assert header[: len(HEADER)] != HEADER
    row = person_row(1, 备注="班长")
    out = run(world, [row], book={"header": header, "title": "名册"})
    assert out.ok, out.errors
    assert out.warnings == [{"row": 2, "column": "备注", "message": "未识别的列“备注”，已忽略"}]
    assert Person.objects.get(name="导入1").confirmed_on == datetime.date(2016, 6, 1)


def test_missing_required_columns_is_one_error(world):
    header = [h for h in HEADER if h not in ("身份证号", "所在党组织编码")]
    out = run(world, [person_row(1)], book={"header": header})
    assert len(out.errors) == 1
    assert out.errors[0]["row"] == 1
    assert "缺少必填列：身份证号、所在党组织编码" in out.errors[0]["message"]


@pytest.mark.parametrize(
    "text", ["2014-03-01", "2014/3/1", "2014.03.01", "2014年3月1日", "２０１４年３月１日", " 2014-3-1 "]
)
def test_text_date_formats(world, text):
    out = run(world, [person_row(1, 申请入党日期=text)])
    assert out.ok, out.errors
    assert Person.objects.get(name="导入1").applied_on == datetime.date(2014, 3, 1)


def test_excel_date_cells_with_time_and_serial_numbers(world):
    row = person_row(1, 申请入党日期=datetime.datetime(2014, 3, 1, 0, 0), 确定积极分子日期=41883)  # 2014-09-01
    out = run(world, [row])
    assert out.ok, out.errors
    p = Person.objects.get(name="导入1")
    assert p.applied_on == datetime.date(2014, 3, 1) and p.activist_on == datetime.date(2014, 9, 1)


def test_unreadable_date_is_reported_once(world):
    out = run(world, [person_row(1, 入党日期="去年六月")])
    assert errors_of(out) == [(2, "入党日期")]
    assert "无法识别的日期“去年六月”" in out.errors[0]["message"]


def _float_safe_id():
    """An ID whose last three digits are 0: it survives being stored as a float with 15
    significant digits (as Excel and openpyxl write numbers)."""
    from cloudbranch.people import idcard

    for days in range(1000):
        birth = datetime.date(1995, 1, 1) + datetime.timedelta(days=days)
        value = idcard.make("110101", birth, 10, "female")
        if value.endswith("000"):
            return birth, value
    raise AssertionError("no float-safe ID")


def _patch_sheet(data: bytes, cell: str, new: str) -> bytes:
    """Rewrite one numeric cell in the sheet XML (openpyxl and Excel write big numbers in
    exponent form with lost digits; other tools write all 18 digits of an integer)."""
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body, n = re.subn(rf'(<c r="{cell}" t="n"><v>)[^<]*(</v>)'.encode(), rf"\g<1>{new}\g<2>".encode(), body)
                assert n == 1
            dst.writestr(item, body)
    return out.getvalue()


def test_id_and_phone_stored_as_numbers(world):
    row1 = person_row(1)  # its ID becomes an 18-digit integer cell
    full_id = row1["身份证号"]
    assert full_id.isdigit()
    row1.update({"身份证号": int(full_id), "手机号": 13900000001, "学号工号": 2018010001})
    birth, float_id = _float_safe_id()  # a float cell that keeps its value at 15 significant digits
    row2 = person_row(2, gender="女", 出生日期=birth, 身份证号=float(int(float_id)), 手机号=13900000002.0)
    data = workbook_bytes([row1, row2])
    data = _patch_sheet(data, "E2", full_id)
    out = run(world, data=data)
    assert out.ok, out.errors
    p1 = Person.objects.get(name="导入1")
    assert p1.reveal_id_number() == full_id
    assert p1.phone == "13900000001" and p1.staff_number == "2018010001"
    p2 = Person.objects.get(name="导入2")
    assert p2.reveal_id_number() == float_id and p2.phone == "13900000002"


def test_id_that_lost_digits_as_a_float_gets_a_hint(world):
    out = run(world, [person_row(1, 身份证号=1.10101199501011e17)])
    assert (2, "身份证号") in errors_of(out)
    assert any("存成了数字" in e["message"] for e in out.errors)


def test_full_width_characters_and_spaces(world):
    row = person_row(1)
    full_id = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in row["身份证号"])
    row.update(
        {
            "姓名": " 张　三 ",
            "性别": " 男 ",
            "身份证号": full_id[:6] + " " + full_id[6:],
            "手机号": "１３９ ００００ ０００１",
            "所在党组织编码": "ＣＡ０１ ",
            "政治面貌": "中共 党员",
            "人员类别": "学　生",
        }
    )
    out = run(world, [row])
    assert out.ok, out.errors
    p = Person.objects.get(name="张三")
    assert p.reveal_id_number() == person_row(1)["身份证号"] and p.phone == "13900000001" and p.unit == world.branch_a1


def test_empty_trailing_rows_are_skipped(world):
    out = run(world, [person_row(1)], book={"trailing_empty": 6})
    assert out.ok, out.errors
    assert out.total_rows == 1


def test_bad_id_checksum(world):
    good = person_row(1)["身份证号"]
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    out = run(world, [person_row(1, 身份证号=bad)])
    assert errors_of(out) == [(2, "身份证号")]
    assert "校验位错误" in out.errors[0]["message"]


def test_id_birth_date_mismatch(world):
    out = run(world, [person_row(1), person_row(2, 出生日期=datetime.date(1980, 1, 1))])
    assert errors_of(out) == [(3, "出生日期")]
    assert "出生日期与身份证号不一致" in out.errors[0]["message"]


def test_unknown_unit_code(world):
    out = run(world, [person_row(1, unit="NOPE99")])
    assert errors_of(out) == [(2, "所在党组织编码")]
    assert "NOPE99" in out.errors[0]["message"]


def test_unit_outside_scope_secretary2_into_branch_a1(world):
    out = run(world, [person_row(1, unit="CA02"), person_row(2, unit="CA01")], user="secretary2")
    assert errors_of(out) == [(3, "所在党组织编码")]
    assert "不存在或不在您的管理范围内" in out.errors[0]["message"]
    assert not Person.objects.filter(name="导入1").exists()


def test_visible_unit_without_import_permission(world):
    from cloudbranch.orgs.roles import Role

    grant(world.users["secretary2"], world.college_a, Role.PUBLICITY_OFFICER)  # sees a1, may not import there
    out = run(world, [person_row(1, unit="CA01")], user="secretary2")
    assert errors_of(out) == [(2, "所在党组织编码")]
    assert "没有向" in out.errors[0]["message"]


def test_unit_that_cannot_hold_people(world):
    out = run(world, [person_row(1, unit="CA")], user="admin")
    assert errors_of(out) == [(2, "所在党组织编码")]


def test_under_18_at_application(world):
    out = run(world, [person_row(1, 申请入党日期=datetime.date(2007, 3, 1))])
    assert errors_of(out) == [(2, "申请入党日期")]
    assert "年满 18 周岁" in out.errors[0]["message"]


def test_dates_out_of_order(world):
    out = run(
        world, [person_row(1, 确定积极分子日期=datetime.date(2013, 9, 1), 申请入党日期=datetime.date(2014, 3, 1))]
    )
    assert (2, "确定积极分子日期") in errors_of(out)
    assert any("不能早于申请入党日期" in e["message"] for e in out.errors)


def test_future_date(world):
    future = timezone.localdate() + datetime.timedelta(days=30)
    out = run(world, [person_row(1, 转正日期=future)])
    assert errors_of(out) == [(2, "转正日期")]
    assert "不能晚于今天" in out.errors[0]["message"]


def test_status_inconsistent_with_dates(world):
    row = person_row(1, 政治面貌="群众")
    out = run(world, [row, person_row(2, 政治面貌="预备党员")])
    cols = errors_of(out)
    assert (2, "申请入党日期") in cols and (2, "转正日期") in cols
    assert (3, "转正日期") in cols  # a probationary member has no confirmation date yet
    assert all(r in (2, 3) for r, _ in cols)


def test_duplicate_inside_file_reports_both_rows(world):
    out = run(world, [person_row(1), person_row(2), person_row(1, 姓名="重复者")], book={"title": "名册"})
    assert errors_of(out) == [(3, "身份证号"), (5, "身份证号")]
    assert "与第 5 行重复" in out.errors[0]["message"] and "与第 3 行重复" in out.errors[1]["message"]


def test_duplicate_against_database(world):
    existing = world.people["a1_other"]
    out = run(world, [person_row(1), person_row(2, 身份证号=existing.reveal_id_number(), 出生日期=None)])
    assert errors_of(out) == [(3, "身份证号")]
    assert "已登记在册" in out.errors[0]["message"]
    assert not Person.objects.filter(name="导入1").exists()


def test_update_existing_updates_with_events_and_audit(world):
    existing = world.people["a1_other"]
    header = ["姓名", "性别", "身份证号", "手机号", "人员类别", "政治面貌", "所在党组织编码"]
    row = {
        "姓名": "张一改",
        "性别": "男",
        "身份证号": existing.reveal_id_number(),
        "手机号": "13711112222",
        "人员类别": "教师",
        "政治面貌": "中共党员",
        "所在党组织编码": "CA01G1",
    }
    out = run(world, [row, person_row(1, 政治面貌="群众")], book={"header": header}, update_existing=True)
    assert out.ok, out.errors
    assert (out.created, out.updated) == (1, 1)
    existing.refresh_from_db()
    assert existing.name == "张一改" and existing.category == "faculty" and existing.unit == world.group_a1
    assert existing.phone == "13711112222"
    assert existing.confirmed_on == datetime.date(2016, 6, 1)  # columns absent from the file are kept
    kinds = set(PersonEvent.objects.filter(person=existing).values_list("kind", flat=True))
    assert {"unit", "updated"} <= kinds
    audit = AuditEvent.objects.filter(action="people.person.import", target_id=str(existing.pk)).get()
    assert audit.changes["phone"] == {"changed": True} and audit.changes["name"]["new"] == "张一改"


def test_update_existing_refuses_people_outside_scope(world):
    other = world.people["a2_person"]
    out = run(world, [person_row(1, 身份证号=other.reveal_id_number(), 出生日期=None)], update_existing=True)
    assert errors_of(out)[0] == (2, "身份证号")
    assert "不在您的管理范围内" in out.errors[0]["message"]


def test_all_or_nothing(world):
    people, events, audits = Person.objects.count(), PersonEvent.objects.count(), AuditEvent.objects.count()
    out = run(world, [person_row(1), person_row(2, 性别="未知"), person_row(3)])
    assert errors_of(out) == [(3, "性别")]
    assert not out.committed
    assert (Person.objects.count(), PersonEvent.objects.count(), AuditEvent.objects.count()) == (people, events, audits)


def test_dry_run_writes_nothing(world):
    people = Person.objects.count()
    out = run(world, [person_row(1), person_row(2)], dry_run=True)
    assert out.ok and not out.committed and out.created == 2
    assert Person.objects.count() == people


def test_template_example_row_is_refused(world):
    data = importing.build_template(world.users["secretary1"])
    out = run(world, data=data)
    assert errors_of(out) == [(2, "姓名")]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "上传的文件是空的"),
        ("姓名,身份证号\n张三,1\n".encode(), "文件不是 Excel .xlsx 格式"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版 Excel（.xls）"),
    ],
)
def test_non_xlsx_files(world, data, expected):
    out = run(world, data=data)
    assert len(out.errors) == 1 and expected in out.errors[0]["message"]


def test_corrupt_xlsx(world):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<not really>")
    out = run(world, data=buf.getvalue())
    assert len(out.errors) == 1 and "已损坏" in out.errors[0]["message"]
    truncated = workbook_bytes([person_row(1)])[:600]
    out = run(world, data=truncated)
    assert len(out.errors) == 1 and out.errors[0]["row"] is None


def test_no_header_and_no_rows(world):
    wb = openpyxl.Workbook()
    wb.active.append(["随便", "什么"])
    buf = io.BytesIO()
    wb.save(buf)
    assert "没有找到表头行" in run(world, data=buf.getvalue()).errors[0]["message"]
    assert "没有数据行" in run(world, [], book={"title": "空表"}).errors[0]["message"]


def test_max_rows(world, settings):
    settings.IMPORT_MAX_ROWS = 2
    out = run(world, [person_row(1), person_row(2), person_row(3)])
    assert len(out.errors) == 1 and "上限 2 行" in out.errors[0]["message"]


def test_importer_without_permission(world):
    with pytest.raises(PermissionDenied):
        run(world, [person_row(1)], user="member1")
