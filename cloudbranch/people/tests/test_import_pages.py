"""Import pages, API and management command, with the immediate task backend."""

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from cloudbranch.people.models import ImportJob, Person
from cloudbranch.people.tests.import_helpers import person_row, workbook_bytes

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type=XLSX)


def bad_file():
    return workbook_bytes([person_row(1), person_row(2, 性别="未知", unit="NOPE")], title="名册")


# --- pages -----------------------------------------------------------------------------------


def test_start_page(world, login):
    client = login(world.users["secretary1"])
    resp = client.get(reverse("people_import:start"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert reverse("people_import:template") in html and "上传并预览" in html and "按身份证号更新已有人员" in html
    assert 'name="update_existing"' in html and "checked" not in html.split('name="update_existing"')[1].split(">")[0]


@pytest.mark.parametrize("user", ["member1", "sysadmin", "auditor"])
def test_pages_need_import_permission(world, login, user):
    client = login(world.users[user])
    assert client.get(reverse("people_import:start")).status_code == 403
    assert client.get(reverse("people_import:template")).status_code == 403


def test_upload_with_errors_then_fixed_file(world, login, django_capture_on_commit_callbacks):
    client = login(world.users["secretary1"])
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("people_import:start"), {"file": upload("名册.xlsx", bad_file())})
    job = ImportJob.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("people_import:job", args=[job.pk])
    assert job.status == "failed" and job.file_data == b""
    page = client.get(resp["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and 'id="job-errors"' in html
    cells = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td[^>]*>(.*?)</td>", html)
    assert cells == [("4", "性别"), ("4", "所在党组织编码")]
    assert not Person.objects.filter(name="导入1").exists()
    assert 'hx-trigger="every 1s"' not in html  # finished: no polling

    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("people_import:start"), {"file": upload("ok.xlsx", workbook_bytes([person_row(1)]))})
    job = ImportJob.objects.order_by("-id").first()
    assert job.status == "previewed" and job.created_count == 1
    preview = client.get(resp["Location"]).content.decode()
    assert "确认导入" in preview and 'id="job-changes"' in preview
    assert not Person.objects.filter(name="导入1").exists()
    resp = client.post(reverse("people_import:confirm", args=[job.pk]))
    assert resp.status_code == 302
    assert "导入完成" in client.get(resp["Location"]).content.decode()
    assert Person.objects.filter(name="导入1", unit=world.branch_a1).exists()
    recent = client.get(reverse("people_import:start")).content.decode()
    assert "ok.xlsx" in recent and "名册.xlsx" in recent


def test_error_table_is_paginated(world, login, django_capture_on_commit_callbacks):
    client = login(world.users["secretary1"])
    rows = [person_row(n, 性别="?") for n in range(1, 61)]
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("people_import:start"), {"file": upload("x.xlsx", workbook_bytes(rows))})
    html = client.get(resp["Location"] + "?page=2").content.decode()
    assert "第 2 / 2 页" in html and re.search(r"<td>61</td>", html)


def test_upload_without_file_is_422(world, login):
    client = login(world.users["secretary1"])
    resp = client.post(reverse("people_import:start"), {})
    assert resp.status_code == 422 and "请选择要上传的 .xlsx 文件" in resp.content.decode()
    assert not ImportJob.objects.exists()


def test_non_xlsx_upload_shows_one_message(world, login, django_capture_on_commit_callbacks):
    client = login(world.users["secretary1"])
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("people_import:start"), {"file": upload("a.xlsx", b"hello, world")})
    job = ImportJob.objects.get()
    assert job.status == "failed" and len(job.errors) == 1
    assert "文件不是 Excel .xlsx 格式" in client.get(resp["Location"]).content.decode()


def test_progress_fragment_polls_until_finished(world, login):
    client = login(world.users["secretary1"])
    job = ImportJob.objects.create(
        created_by=world.users["secretary1"],
        file_name="p.xlsx",
        file_data=b"x",
        status="running",
        total_rows=1000,
        processed_rows=500,
    )
    url = reverse("people_import:job_progress", args=[job.pk])
    resp = client.get(url, headers={"HX-Request": "true"})
    html = resp.content.decode()
    assert 'hx-trigger="every 1s"' in html and "50%" in html and "HX-Refresh" not in resp.headers
    assert 'hx-trigger="every 1s"' in client.get(reverse("people_import:job", args=[job.pk])).content.decode()
    ImportJob.objects.filter(pk=job.pk).update(status="failed", processed_rows=1000)
    resp = client.get(url, headers={"HX-Request": "true"})
    assert resp.headers["HX-Refresh"] == "true" and "hx-trigger" not in resp.content.decode()


def test_only_the_creator_sees_a_job(world, login):
    job = ImportJob.objects.create(created_by=world.users["secretary1"], file_name="p.xlsx", file_data=b"x")
    client = login(world.users["secretary2"])
    assert client.get(reverse("people_import:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("people_import:job_progress", args=[job.pk])).status_code == 404
    assert client.get(f"/api/people/imports/{job.pk}").status_code == 404
    assert client.get(f"/api/people/imports/{job.pk}/errors").status_code == 404


def test_template_download(world, login):
    client = login(world.users["secretary1"])
    resp = client.get(reverse("people_import:template"))
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX
    wb = openpyxl.load_workbook(io.BytesIO(resp.content))
    data, info = wb.worksheets[0], wb.worksheets[1]
    header = [c.value for c in data[1]]
    assert header[:5] == ["姓名", "性别", "民族", "出生日期", "身份证号"] and "所在党组织编码" in header
    assert data["A2"].value.startswith("示例") and data["A3"].value is None
    codes = [row[0] for row in info.iter_rows(values_only=True)]
    assert "CA01" in codes and "CA01G1" in codes and "CA02" not in codes and "CB01" not in codes
    text = " ".join(str(v) for row in info.iter_rows(values_only=True) for v in row if v)
    assert "2019年5月1日" in text and "入党积极分子" in text and "离退休" in text


# --- API ----------------------------------------------------------------------------------------


def test_api_upload_status_and_errors(world, login, django_capture_on_commit_callbacks):
    client = login(world.users["secretary1"])
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post("/api/people/imports", {"file": upload("bad.xlsx", bad_file())})
    assert resp.status_code == 202, resp.content
    assert resp.json()["file_name"] == "bad.xlsx"
    body = client.get(f"/api/people/imports/{resp.json()['id']}").json()  # the task ran on commit
    assert body["status"] == "failed" and body["finished"] and body["error_count"] == 2 and body["progress"] == 100
    detail = client.get(f"/api/people/imports/{body['id']}").json()
    assert detail["total_rows"] == 2 and detail["status_label"] == "有错误，未导入"
    errors = client.get(f"/api/people/imports/{body['id']}/errors").json()
    assert errors["count"] == 2
    assert [(e["row"], e["column"]) for e in errors["items"]] == [(4, "性别"), (4, "所在党组织编码")]
    listing = client.get("/api/people/imports").json()
    assert listing["count"] == 1 and listing["items"][0]["file_name"] == "bad.xlsx"


def test_api_dry_run_and_update_existing(world, login, django_capture_on_commit_callbacks):
    client = login(world.users["secretary1"])
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            "/api/people/imports", {"file": upload("ok.xlsx", workbook_bytes([person_row(1)])), "dry_run": "true"}
        )
    body = client.get(f"/api/people/imports/{resp.json()['id']}").json()
    assert body["status"] == "validated" and body["created_count"] == 1 and body["dry_run"]
    assert not Person.objects.filter(name="导入1").exists()
    existing = world.people["a1_other"]
    row = person_row(
        2,
        身份证号=existing.reveal_id_number(),
        出生日期=None,
        姓名="张一新",
        申请入党日期=None,
        确定积极分子日期=None,
        确定发展对象日期=None,
        入党日期=existing.joined_on,
        转正日期=existing.confirmed_on,
    )
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            "/api/people/imports", {"file": upload("u.xlsx", workbook_bytes([row])), "update_existing": "true"}
        )
    body = client.get(f"/api/people/imports/{resp.json()['id']}").json()
    assert body["status"] == "previewed", body
    assert body["updated_count"] == 1 and body["can_confirm"]
    body = client.post(f"/api/people/imports/{body['id']}/confirm").json()
    assert body["status"] == "succeeded", body
    existing.refresh_from_db()
    assert existing.name == "张一新"


def test_api_permission(world, login):
    client = login(world.users["member1"])
    resp = client.post("/api/people/imports", {"file": upload("ok.xlsx", b"x")})
    assert resp.status_code == 403 and resp.json()["detail"]
    assert client.get("/api/people/imports").status_code == 403


# --- management command --------------------------------------------------------------------


def test_command_valid_file_commits(world, tmp_path, capsys):
    path = tmp_path / "ok.xlsx"
    path.write_bytes(workbook_bytes([person_row(1), person_row(2)]))
    call_command("import_people", str(path), "--yes", "--user", "secretary1")
    assert Person.objects.filter(name__in=["导入1", "导入2"]).count() == 2
    out = capsys.readouterr().out
    assert "预览" in out and "导入完成" in out


def test_command_dry_run_exit_0_and_nothing_written(world, tmp_path):
    path = tmp_path / "ok.xlsx"
    path.write_bytes(workbook_bytes([person_row(1)]))
    call_command("import_people", str(path), "--dry-run", "--user", "secretary1")
    assert not Person.objects.filter(name="导入1").exists()


def test_command_errors_exit_1_one_per_line(world, tmp_path, capsys):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(bad_file())
    with pytest.raises(SystemExit) as exc:
        call_command("import_people", str(path), "--user", "secretary1")
    assert exc.value.code == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("row 4, column 性别: 性别应为")
    assert out[1].startswith("row 4, column 所在党组织编码: 党组织编码“NOPE”")
    assert not Person.objects.filter(name="导入1").exists()


def test_command_scope_of_user(world, tmp_path, capsys):
    path = tmp_path / "a1.xlsx"
    path.write_bytes(workbook_bytes([person_row(1)]))
    with pytest.raises(SystemExit) as exc:
        call_command("import_people", str(path), "--user", "secretary2")
    assert exc.value.code == 1
    assert capsys.readouterr().out.startswith("row 2, column 所在党组织编码:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody"], "不存在"),
        (["--user", "member1"], "没有导入人员的权限"),
    ],
)
def test_command_bad_user(world, tmp_path, capsys, args, message):
    path = tmp_path / "a1.xlsx"
    path.write_bytes(workbook_bytes([person_row(1)]))
    with pytest.raises(SystemExit) as exc:
        call_command("import_people", str(path), *args)
    assert exc.value.code == 1 and message in capsys.readouterr().err


def test_command_non_xlsx(world, tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_text("姓名,身份证号\n")
    with pytest.raises(SystemExit) as exc:
        call_command("import_people", str(path), "--user", "secretary1")
    assert exc.value.code == 1
    assert (
        capsys.readouterr().out.strip()
        == "row -, column -: 文件不是 Excel .xlsx 格式，请下载导入模板，填写后保存为 .xlsx 再上传。"
    )
