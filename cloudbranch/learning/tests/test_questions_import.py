"""Excel import: all-or-nothing with "第 R 行，第 C 列" errors, dry run, template, and the
round trip with the export."""

import io

import openpyxl
import pytest

from cloudbranch.learning import question_import as qi
from cloudbranch.learning import questions
from cloudbranch.learning.choices import QuestionKind as K
from cloudbranch.learning.models import Question

from .test_exams_support import kp, make_question

pytestmark = pytest.mark.django_db


def workbook(rows, header=qi.COLUMNS) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row(kind, stem, options=(), answer="", kps="", difficulty="中等", explanation="", source=""):
    opts = list(options) + [""] * (8 - len(options))
    return [kind, stem, *opts, answer, explanation, kps, difficulty, source]


GOOD = [
    row(
        "单选题", "党的最高领导机关是（ ）。", ["全国代表大会和中央委员会", "中央政治局"], "A", "党章，组织制度", "容易"
    ),
    row("多选题", "党的纪律包括（ ）。", ["政治纪律", "组织纪律", "廉洁纪律"], "ABC", "党的纪律", "较难"),
    row("判断题", "预备党员的预备期为一年。", [], "正确", "党员发展"),
    row("填空题", "党的根本宗旨是____。", [], "为人民服务|全心全意为人民服务", "党章"),
]


def test_import_commits_everything(world):
    result = qi.import_questions(actor=world.users["secretary1"], unit=world.branch_a1, data=workbook(GOOD))
    assert result.ok and result.committed and result.created == 4
    fill = Question.objects.get(kind=K.FILL)
    assert fill.answer == [["为人民服务", "全心全意为人民服务"]]
    assert sorted(k.name for k in Question.objects.get(kind=K.SINGLE).knowledge_points.all()) == ["党章", "组织制度"]
    assert Question.objects.get(kind=K.MULTIPLE).difficulty == 3


def test_one_bad_row_writes_nothing_and_names_row_and_column(world):
    bad = [
        *GOOD,
        row("单选题", "题干", ["甲", "乙"], "E"),
        row("问答题", "x", [], "x"),
        row("多选题", "y", ["a", "", "c"], "AC"),
    ]
    result = qi.import_questions(actor=world.users["secretary1"], unit=world.branch_a1, data=workbook(bad))
    assert not result.ok and not result.committed
    assert Question.objects.count() == 0
    lines = result.error_lines()
    assert "第 6 行，第 K 列：答案“E”超出了选项范围（共 2 个选项）" in lines
    assert any(line.startswith("第 7 行，第 A 列：题型“问答题”无法识别") for line in lines)
    assert any(line.startswith("第 8 行，第 D 列：选项B为空") for line in lines)


def test_dry_run_and_duplicates(world):
    s1 = world.users["secretary1"]
    result = qi.import_questions(actor=s1, unit=world.branch_a1, data=workbook(GOOD), dry_run=True)
    assert result.ok and not result.committed and result.created == 4 and Question.objects.count() == 0
    twice = workbook([GOOD[0], GOOD[0]])
    result = qi.import_questions(actor=s1, unit=world.branch_a1, data=twice)
    assert result.error_lines() == ["第 3 行，第 B 列：与第 2 行是同一道题"]
    qi.import_questions(actor=s1, unit=world.branch_a1, data=workbook(GOOD))
    again = qi.import_questions(actor=s1, unit=world.branch_a1, data=workbook(GOOD[:1]))
    assert "本组织题库中已有相同的题目" in again.errors[0]["message"]


def test_template_example_rows_are_refused_and_file_errors(world):
    s1 = world.users["secretary1"]
    result = qi.import_questions(actor=s1, unit=world.branch_a1, data=qi.build_template())
    assert not result.ok and all("示例行" in e["message"] for e in result.errors)
    assert len(result.errors) == len(qi.EXAMPLES)
    assert "不是 Excel" in qi.import_questions(actor=s1, unit=world.branch_a1, data=b"hello").message
    assert (
        "表头" in qi.import_questions(actor=s1, unit=world.branch_a1, data=workbook([["a"]], header=["x", "y"])).message
    )


def test_round_trip_with_export(world):
    admin = world.users["admin"]
    charter = kp("党章")
    originals = [
        make_question(world.branch_a1, admin, kind, kps=[charter], explanation="解析", source="党章")
        for kind in (K.SINGLE, K.MULTIPLE, K.JUDGE, K.FILL)
    ]
    data = qi.export_questions(questions.question_list(user=admin, filters={"unit": world.branch_a1.pk}))
    result = qi.import_questions(actor=admin, unit=world.branch_a2, data=data)
    assert result.committed and result.created == 4, result.error_lines()
    copies = Question.objects.filter(unit=world.branch_a2).order_by("id")
    for original, copy in zip(originals, copies, strict=True):
        assert (copy.kind, copy.stem, copy.options, copy.answer, copy.explanation, copy.difficulty, copy.source) == (
            original.kind, original.stem, original.options, original.answer, "解析", original.difficulty, "党章",
        )  # fmt: skip
        assert [k.name for k in copy.knowledge_points.all()] == ["党章"]


def test_import_pages_and_api(world, login):
    client = login(world.users["secretary1"])
    assert client.get("/learning/questions/template.xlsx").status_code == 200
    assert client.get("/learning/questions/export.xlsx").status_code == 200
    bad = io.BytesIO(workbook([row("单选题", "题干", ["甲", "乙"], "E")]))
    bad.name = "q.xlsx"
    r = client.post("/learning/questions/import/", {"unit": world.branch_a1.pk, "file": bad})
    assert r.status_code == 422 and "超出了选项范围" in r.content.decode()
    good = io.BytesIO(workbook(GOOD))
    good.name = "q.xlsx"
    r = client.post("/api/learning/questions/import", {"unit_id": world.branch_a1.pk, "file": good, "dry_run": "true"})
    assert r.status_code == 200 and r.json()["created"] == 4 and not r.json()["committed"]
    bad.seek(0)
    r = client.post("/api/learning/questions/import", {"unit_id": world.branch_a1.pk, "file": bad})
    assert r.status_code == 422 and r.json()["errors"][0]["message"].startswith("第 2 行，第 K 列")
    assert Question.objects.count() == 0
    # another branch's unit is not importable
    good.seek(0)
    r = client.post("/api/learning/questions/import", {"unit_id": world.branch_a2.pk, "file": good})
    assert r.status_code == 422
