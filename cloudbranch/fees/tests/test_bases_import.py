"""Payroll import of dues bases: preview → confirm → undo (bases_import), page and API.

Dependent rows (undo refused): a Bill generated from an imported base (any row pointing at it),
or an imported base whose status was decided (approved/rejected) or that was edited since."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.fees import bases, bases_import
from cloudbranch.fees.models import BaseImportJob, DuesBase
from cloudbranch.fees.tests.payments_support import make_bill
from cloudbranch.orgs.roles import Role
from cloudbranch.people import import_plan
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

from .factories import make_base

S = BaseImportJob.Status


@pytest.fixture
def world(shared_world):
    return shared_world


@pytest.fixture
def collector(world):
    return grant(UserFactory(username="collector1"), world.branch_a1, Role.FEE_COLLECTOR).user


@pytest.fixture
def staff(world):
    return [PersonFactory(unit=world.branch_a1, name=f"职工{i}", staff_number=f"T{i:03d}") for i in range(1, 4)]


def xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["学号工号", "身份证号", "姓名", "月缴费基数", "基数类型", "起始月份"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def payroll(people, amount=4500, month="2025-03") -> bytes:
    return xlsx([[p.staff_number, None, p.name, amount, "工资", month] for p in people])


def states() -> dict:
    return {b.pk: import_plan.row_state(b) for b in DuesBase.objects.all()}


def test_preview_writes_nothing_and_confirm_writes_exactly_the_plan(world, collector, staff):
    job = bases_import.preview(actor=collector, file_name="工资.xlsx", data=payroll(staff))
    assert not DuesBase.objects.exists()
    assert job.status == S.PREVIEWED and job.total_rows == 3 and job.declared_count == 3
    assert [c["name"] for c in job.changes] == [p.name for p in staff]
    assert AuditEvent.objects.filter(action="fees.duesbase_import.preview", target_id=str(job.pk)).exists()

    job = bases_import.confirm(actor=collector, job_id=job.pk)
    assert job.status == S.SUCCEEDED
    stored = BaseImportJob.objects.get(pk=job.pk)
    assert bytes(stored.file_data) == b""
    written = [
        {
            "person": b.person_id,
            "base_kind": b.base_kind,
            "amount": str(b.amount),
            "effective_from": b.effective_from.isoformat(),
            "monthly_dues": str(b.monthly_dues),
            "status": b.status,
        }
        for b in DuesBase.objects.order_by("pk")
    ]
    planned = [{k: c[k] for k in written[0]} for c in job.changes]
    assert written == planned
    assert AuditEvent.objects.filter(action="fees.duesbase.import").count() == 3
    assert AuditEvent.objects.filter(action="fees.duesbase.import_summary", target_id=str(job.pk)).exists()


def test_secretary_import_is_approved_at_once(world, staff):
    result = bases.import_bases(actor=world.users["secretary1"], data=payroll(staff))
    assert result["approved"] == 3 and result["job"]
    assert set(DuesBase.objects.values_list("status", flat=True)) == {"approved"}
    assert BaseImportJob.objects.get(pk=result["job"]).status == S.SUCCEEDED


def test_changed_data_after_preview_is_409_and_nothing_written(world, collector, staff):
    job = bases_import.preview(actor=collector, file_name="工资.xlsx", data=payroll(staff))
    staff[1].name = "改名了"
    staff[1].save(update_fields=["name"])
    with pytest.raises(ConflictError) as exc:
        bases_import.confirm(actor=collector, job_id=job.pk)
    assert "预览后" in exc.value.message and "已变化" in exc.value.message
    assert any(e["row"] == 3 for e in exc.value.errors)
    assert not DuesBase.objects.exists()
    assert BaseImportJob.objects.get(pk=job.pk).status == S.STALE


def test_gaining_the_right_to_approve_after_preview_is_409(world, collector, staff):
    job = bases_import.preview(actor=collector, file_name="工资.xlsx", data=payroll(staff))
    grant(collector, world.branch_a1, Role.BRANCH_SECRETARY)  # would now be created approved: not what was previewed
    fresh = type(collector).objects.get(pk=collector.pk)
    with pytest.raises(ConflictError):
        bases_import.confirm(actor=fresh, job_id=job.pk)
    assert not DuesBase.objects.exists()


def test_double_confirm_and_discard_are_409(world, collector, staff):
    job = bases_import.preview(actor=collector, file_name="工资.xlsx", data=payroll(staff))
    bases_import.confirm(actor=collector, job_id=job.pk)
    with pytest.raises(ConflictError, match="已确认"):
        bases_import.confirm(actor=collector, job_id=job.pk)
    with pytest.raises(ConflictError):
        bases_import.discard(actor=collector, job_id=job.pk)
    assert DuesBase.objects.count() == 3


def test_concurrent_confirm_loses_the_conditional_update(world, collector, staff):
    job = bases_import.preview(actor=collector, file_name="工资.xlsx", data=payroll(staff))
    BaseImportJob.objects.filter(pk=job.pk).update(status=S.CONFIRMING)  # another request moved it first
    with pytest.raises(ConflictError):
        bases_import.confirm(actor=collector, job_id=job.pk)
    assert not DuesBase.objects.exists()


def test_expired_preview_cannot_be_confirmed(world, collector, staff, settings):
    job = bases_import.preview(actor=collector, file_name="工资.xlsx", data=payroll(staff))
    settings.IMPORT_PREVIEW_TTL_HOURS = 0
    with pytest.raises(ConflictError, match="过期"):
        bases_import.confirm(actor=collector, job_id=job.pk)
    stored = BaseImportJob.objects.get(pk=job.pk)
    assert stored.status == S.EXPIRED and bytes(stored.file_data) == b""
    assert not DuesBase.objects.exists()


def test_discard_drops_the_file_and_is_audited(world, collector, staff):
    job = bases_import.preview(actor=collector, file_name="工资.xlsx", data=payroll(staff))
    bases_import.discard(actor=collector, job_id=job.pk)
    stored = BaseImportJob.objects.get(pk=job.pk)
    assert stored.status == S.DISCARDED and bytes(stored.file_data) == b""
    assert AuditEvent.objects.filter(action="fees.duesbase_import.discard", target_id=str(job.pk)).exists()
    with pytest.raises(ConflictError):
        bases_import.confirm(actor=collector, job_id=job.pk)


def test_undo_restores_exactly(world, collector, staff):
    make_base(world.people["a1_other"], status="declared", by=collector)  # an untouched row
    before = states()
    job = bases_import.preview(actor=collector, file_name="工资.xlsx", data=payroll(staff))
    job = bases_import.confirm(actor=collector, job_id=job.pk)
    assert DuesBase.objects.count() == len(before) + 3
    job = bases_import.undo(actor=collector, job_id=job.pk)
    assert job.status == S.UNDONE
    assert states() == before
    assert AuditEvent.objects.filter(action="fees.duesbase.import_undo").count() == 3
    assert AuditEvent.objects.filter(action="fees.duesbase_import.undo", target_id=str(job.pk)).exists()
    with pytest.raises(ConflictError, match="已撤销"):
        bases_import.undo(actor=collector, job_id=job.pk)


def test_undo_refused_when_a_bill_was_generated_from_a_base(world, collector, staff):
    job = bases_import.preview(actor=collector, file_name="工资.xlsx", data=payroll(staff))
    bases_import.confirm(actor=collector, job_id=job.pk)
    bill = make_bill(staff[0], "2025-03")
    bill.base = DuesBase.objects.filter(person=staff[0]).get()
    bill.save(update_fields=["base"])
    before = states()
    with pytest.raises(ConflictError, match="已被引用"):
        bases_import.undo(actor=collector, job_id=job.pk)
    assert states() == before
    assert BaseImportJob.objects.get(pk=job.pk).status == S.SUCCEEDED


def test_undo_refused_when_a_base_was_decided_after_the_import(world, collector, staff):
    job = bases_import.preview(actor=collector, file_name="工资.xlsx", data=payroll(staff))
    bases_import.confirm(actor=collector, job_id=job.pk)
    declared = DuesBase.objects.filter(person=staff[2]).get()
    bases.base_decide(actor=world.users["secretary1"], base_id=declared.pk, approve=True)
    before = states()
    with pytest.raises(ConflictError, match="已被审核或修改") as exc:
        bases_import.undo(actor=collector, job_id=job.pk)
    assert staff[2].name in exc.value.message
    assert states() == before


def test_bad_rows_and_bad_files_leave_no_job(world, collector, staff):
    bad = xlsx([[staff[0].staff_number, None, staff[0].name, "12.345", "工资", "2025-03"]])
    with pytest.raises(DomainError) as exc:
        bases_import.preview(actor=collector, file_name="坏.xlsx", data=bad)
    assert exc.value.errors == [{"row": 2, "column": "月缴费基数", "message": "缴费基数最多两位小数（到分）"}]
    with pytest.raises(DomainError):
        bases_import.preview(actor=collector, file_name="坏.xlsx", data=b"not a workbook")
    assert not BaseImportJob.objects.exists() and not DuesBase.objects.exists()


def test_page_flow(world, collector, staff, client, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(collector)
    r = client.post("/fees/bases/import/", {"file": SimpleUploadedFile("工资.xlsx", payroll(staff))})
    job = BaseImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/fees/bases/imports/{job.pk}/"
    page = client.get(r["Location"]).content.decode()
    assert "确认导入" in page and "放弃" in page and staff[0].name in page and "待审核" in page
    assert not DuesBase.objects.exists()
    r = client.post(f"/fees/bases/imports/{job.pk}/confirm/")
    assert r.status_code == 302 and DuesBase.objects.count() == 3
    page = client.get(f"/fees/bases/imports/{job.pk}/").content.decode()
    assert "撤销本次导入" in page and "data-confirm=" in page
    r = client.post(f"/fees/bases/imports/{job.pk}/confirm/")
    assert r.status_code == 409 and "该导入已确认" in r.content.decode()
    assert "工资.xlsx" in client.get("/fees/bases/imports/").content.decode()
    r = client.post(f"/fees/bases/imports/{job.pk}/undo/")
    assert r.status_code == 302 and not DuesBase.objects.exists()

    r = client.post("/fees/bases/import/", {"file": SimpleUploadedFile("坏.xlsx", b"garbage")})
    assert r.status_code == 422 and "不是 Excel .xlsx 格式" in r.content.decode()
    assert BaseImportJob.objects.count() == 1


def test_other_users_job_is_404_on_page_and_api(world, collector, staff, client, login):
    job = bases_import.preview(actor=collector, file_name="工资.xlsx", data=payroll(staff))
    other = grant(UserFactory(username="collector2"), world.branch_a1, Role.FEE_COLLECTOR).user
    for user in (world.users["secretary2"], other):
        login(user)
        assert client.get(f"/fees/bases/imports/{job.pk}/").status_code == 404
        assert client.post(f"/fees/bases/imports/{job.pk}/confirm/").status_code == 404
        assert client.get(f"/api/fees/bases/imports/{job.pk}").status_code == 404
        assert client.get(f"/api/fees/bases/imports/{job.pk}/changes").status_code == 404
        for action in ("confirm", "discard", "undo"):
            assert client.post(f"/api/fees/bases/imports/{job.pk}/{action}").status_code == 404
        assert client.get("/api/fees/bases/imports").json()["count"] == 0
    assert BaseImportJob.objects.get(pk=job.pk).status == S.PREVIEWED


def test_api_flow(world, collector, staff, client, login):
    login(collector)
    r = client.post("/api/fees/bases/import?dry_run=true", {"file": io.BytesIO(payroll(staff))})
    assert r.status_code == 200 and r.json()["total_rows"] == 3 and r.json()["created"] == 0
    assert not BaseImportJob.objects.exists() and not DuesBase.objects.exists()

    upload = io.BytesIO(payroll(staff))
    upload.name = "工资.xlsx"
    r = client.post("/api/fees/bases/imports", {"file": upload})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "previewed" and len(body["preview"]) == 3 and not DuesBase.objects.exists()
    job_id = body["id"]
    r = client.get(f"/api/fees/bases/imports/{job_id}/changes?page_size=2")
    assert r.json()["count"] == 3 and len(r.json()["items"]) == 2
    assert client.post(f"/api/fees/bases/imports/{job_id}/confirm").json()["status"] == "succeeded"
    r = client.post(f"/api/fees/bases/imports/{job_id}/confirm")
    assert r.status_code == 409
    assert client.post(f"/api/fees/bases/imports/{job_id}/undo").json()["status"] == "undone"
    assert client.get("/api/fees/bases/imports/0").status_code == 422

    r = client.post("/api/fees/bases/imports", {"file": io.BytesIO(b"garbage")})
    assert r.status_code == 422 and "xlsx" in r.json()["detail"]
    assert BaseImportJob.objects.count() == 1


def _preview_page_queries(client, job) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/fees/bases/imports/{job.pk}/").status_code == 200
    return len(ctx.captured_queries)


def test_preview_page_queries_do_not_grow_with_rows(world, collector, client, login):
    people = [PersonFactory(unit=world.branch_a1, name=f"人{i}", staff_number=f"Q{i:03d}") for i in range(25)]
    small = bases_import.preview(actor=collector, file_name="小.xlsx", data=payroll(people[:2]))
    large = bases_import.preview(actor=collector, file_name="大.xlsx", data=payroll(people))
    login(collector)
    assert _preview_page_queries(client, small) == _preview_page_queries(client, large) == 5
