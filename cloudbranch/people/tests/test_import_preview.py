"""Import preview → confirm → undo (issue 12 item 2): hashes, stale previews, double confirm,
exact undo, refusals, sibling 404s, constant queries on the changes list."""

import datetime
import hashlib
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError
from cloudbranch.people import import_plan, importing
from cloudbranch.people.models import CommitteeMembership, ImportJob, Person, PersonEvent
from cloudbranch.people.tests.import_helpers import person_row, workbook_bytes

pytestmark = pytest.mark.django_db


def _update_row(person, n=50, **overrides):
    """A row that updates ``person``: new name and phone, moved to group_a1."""
    return person_row(
        n,
        身份证号=person.reveal_id_number(),
        出生日期=None,
        姓名="张一新",
        手机号="13912345678",
        所在党组织编码="CA01G1",
        申请入党日期=None,
        确定积极分子日期=None,
        确定发展对象日期=None,
        入党日期=person.joined_on,
        转正日期=person.confirmed_on,
        **overrides,
    )


def preview(world, rows, *, user="secretary1", update_existing=True):
    data = workbook_bytes(rows)
    job = importing.import_job_create(
        actor=world.users[user], file_name="名册.xlsx", data=data, update_existing=update_existing, enqueue=False
    )
    job = importing.run_job(job.pk)
    assert job.status == "previewed", job.errors
    return job, data


def confirm(world, job, user="secretary1"):
    return importing.import_confirm(actor=world.users[user], job_id=job.pk)


def table_state():
    """Every concrete column of every Person, primary key included."""
    fields = Person._meta.concrete_fields
    return {p.pk: {f.attname: getattr(p, f.attname) for f in fields} for p in Person.objects.all()}


def test_preview_counts_hashes_masked_diffs_and_nothing_written(world):
    existing = world.people["a1_other"]
    same = world.people["member1"]
    rows = [person_row(1), person_row(2), _update_row(existing)]
    before = table_state()
    job, data = preview(world, rows)
    assert (job.created_count, job.updated_count, job.unchanged_count, job.total_rows) == (2, 1, 0, 3)
    assert job.file_sha256 == hashlib.sha256(data).hexdigest() and len(job.plan_sha256) == 64
    assert job.fingerprints == {str(existing.pk): import_plan.fingerprint(Person.objects.get(pk=existing.pk))}
    assert sorted(job.unit_ids) == sorted({world.branch_a1.pk, world.group_a1.pk})
    update = next(c for c in job.changes if c["op"] == "update")
    diff = {d["field"]: (d["old"], d["new"]) for d in update["diff"]}
    assert diff["name"] == ("张一", "张一新") and diff["unit"] == (world.branch_a1.name, world.group_a1.name)
    assert diff["phone"][1] == "139****5678"
    dump = json.dumps(job.changes, ensure_ascii=False)
    assert "13912345678" not in dump and person_row(1)["身份证号"] not in dump
    assert table_state() == before  # a preview writes nothing
    assert same.pk not in map(int, job.fingerprints)


def test_confirm_refused_when_the_file_was_tampered_with(world):
    job, _ = preview(world, [person_row(1)])
    ImportJob.objects.filter(pk=job.pk).update(file_data=workbook_bytes([person_row(1), person_row(2)]))
    with pytest.raises(ConflictError) as exc:
        confirm(world, job)
    assert exc.value.status == 409 and exc.value.message == importing.ROSTER_CHANGED
    assert not Person.objects.filter(name__startswith="导入").exists()
    job.refresh_from_db()
    assert job.status == "stale" and job.file_data == b""


def test_confirm_refused_when_a_person_changed_since_preview(world):
    existing = world.people["a1_other"]
    job, _ = preview(world, [person_row(1), _update_row(existing)])
    Person.objects.filter(pk=existing.pk).update(staff_number="X-1")  # not in the file: plan unchanged
    before = table_state()
    events = PersonEvent.objects.count()
    with pytest.raises(ConflictError) as exc:
        confirm(world, job)
    assert exc.value.message == importing.ROSTER_CHANGED and "张一" in exc.value.errors[0]["message"]
    assert table_state() == before and PersonEvent.objects.count() == events


def test_confirm_refused_when_the_plan_changed(world):
    job, _ = preview(world, [person_row(1, unit="CA01G1")])
    world.group_a1.status = "dissolved"
    world.group_a1.save(update_fields=["status"])
    with pytest.raises(ConflictError) as exc:
        confirm(world, job)
    assert exc.value.message == importing.ROSTER_CHANGED
    assert not Person.objects.filter(name="导入1").exists()


def test_double_and_concurrent_confirm_are_409(world, monkeypatch):
    job, _ = preview(world, [person_row(1)])
    stale_copy = importing.access_import_job(world.users["secretary1"], job.pk)  # read before the first confirm
    done = confirm(world, job)
    assert done.status == "succeeded" and Person.objects.filter(name="导入1").count() == 1
    with pytest.raises(ConflictError) as exc:
        confirm(world, job)
    assert exc.value.status == 409 and exc.value.message == importing.ALREADY_CONFIRMED
    # A concurrent confirm that read the job while it was still "previewed": the conditional UPDATE refuses it.
    monkeypatch.setattr(importing, "access_import_job", lambda user, job_id: stale_copy)
    with pytest.raises(ConflictError) as exc:
        confirm(world, job)
    assert exc.value.message == importing.ALREADY_CONFIRMED
    assert Person.objects.filter(name="导入1").count() == 1
    assert AuditEvent.objects.filter(action="people.import.confirm").count() == 1


def test_expired_preview(world, settings):
    job, _ = preview(world, [person_row(1)])
    ImportJob.objects.filter(pk=job.pk).update(finished_at=job.finished_at - datetime.timedelta(hours=25))
    with pytest.raises(ConflictError) as exc:
        confirm(world, job)
    assert exc.value.message == importing.PREVIEW_EXPIRED
    assert ImportJob.objects.get(pk=job.pk).status == "expired"


def test_nightly_sweep_expires_old_previews_of_every_importer(world):
    """``import_previews_expire`` sweeps every job model declaring ``preview_stamp``: the roster's,
    the dues bases' and the question bank's; previews within the TTL and other states stay."""
    from django.core.management import call_command

    from cloudbranch.fees.models import BaseImportJob
    from cloudbranch.learning.models import QuestionImportJob

    assert set(import_plan.preview_job_models()) == {ImportJob, BaseImportJob, QuestionImportJob}
    user, old = world.users["secretary1"], datetime.timedelta(hours=25)
    roster_old, _ = preview(world, [person_row(1)])
    roster_new, _ = preview(world, [person_row(2)])
    ImportJob.objects.filter(pk=roster_old.pk).update(finished_at=roster_old.finished_at - old)
    dues_old = BaseImportJob.objects.create(created_by=user, file_name="a.xlsx", file_data=b"x", status="previewed")
    BaseImportJob.objects.filter(pk=dues_old.pk).update(created_at=dues_old.created_at - old)
    dues_done = BaseImportJob.objects.create(created_by=user, file_name="b.xlsx", file_data=b"", status="succeeded")
    BaseImportJob.objects.filter(pk=dues_done.pk).update(created_at=dues_done.created_at - old)
    now = roster_new.finished_at
    bank_old = QuestionImportJob.objects.create(
        unit=world.branch_a1,
        created_by=user,
        file_name="c.xlsx",
        file_data=b"x",
        status="previewed",
        finished_at=now - old,
    )

    call_command("import_previews_expire", stdout=io.StringIO())

    assert ImportJob.objects.get(pk=roster_old.pk).status == "expired"
    assert bytes(ImportJob.objects.get(pk=roster_old.pk).file_data) == b""
    assert ImportJob.objects.get(pk=roster_new.pk).status == "previewed"
    assert (BaseImportJob.objects.get(pk=dues_old.pk).status, BaseImportJob.objects.get(pk=dues_done.pk).status) == (
        "expired",
        "succeeded",
    )
    assert QuestionImportJob.objects.get(pk=bank_old.pk).message == import_plan.PREVIEW_EXPIRED


def test_undo_restores_the_exact_previous_state(world):
    existing = Person.objects.get(pk=world.people["a1_other"].pk)
    Person.objects.filter(pk=existing.pk).update(is_mobile=True, education="本科", college="计算机学院")
    before = table_state()
    job, _ = preview(world, [person_row(1), person_row(2), _update_row(existing)])
    confirm(world, job)
    after_import = Person.objects.get(pk=existing.pk)
    assert after_import.name == "张一新" and after_import.unit_id == world.group_a1.pk
    assert after_import.updated_at != before[existing.pk]["updated_at"]
    created = list(Person.objects.filter(name__in=["导入1", "导入2"]).values_list("pk", flat=True))

    undone = importing.import_undo(actor=world.users["secretary1"], job_id=job.pk)
    assert undone.status == "undone"
    assert table_state() == before  # every column of every person, updated_at and the encrypted ID included
    assert not PersonEvent.objects.filter(person_id__in=created).exists()
    reversing = PersonEvent.objects.filter(person=existing, details__source="import_undo")
    assert set(reversing.values_list("kind", flat=True)) == {"unit", "updated"}
    assert PersonEvent.objects.filter(person=existing, details__source="import").exists()  # history kept
    assert AuditEvent.objects.filter(action="people.import.undo").count() == 1
    assert AuditEvent.objects.filter(action="people.person.import_undo").count() == 3
    with pytest.raises(ConflictError) as exc:
        importing.import_undo(actor=world.users["secretary1"], job_id=job.pk)
    assert exc.value.message == importing.ALREADY_UNDONE


def test_undo_refused_after_a_change_and_only_for_the_latest(world):
    first, _ = preview(world, [person_row(1)])
    confirm(world, first)
    second, _ = preview(world, [person_row(2)])
    confirm(world, second)
    with pytest.raises(ConflictError) as exc:
        importing.import_undo(actor=world.users["secretary1"], job_id=first.pk)
    assert exc.value.message == importing.NOT_LATEST
    Person.objects.filter(name="导入2").update(phone="13700000000")
    with pytest.raises(ConflictError) as exc:
        importing.import_undo(actor=world.users["secretary1"], job_id=second.pk)
    assert exc.value.message.startswith(importing.UNDO_REFUSED_CHANGED) and "导入2" in exc.value.message
    assert Person.objects.filter(name="导入2").exists()
    assert ImportJob.objects.get(pk=second.pk).status == "succeeded"


def test_undo_refused_when_a_created_person_has_dependent_rows(world):
    job, _ = preview(world, [person_row(1)])
    confirm(world, job)
    person = Person.objects.get(name="导入1")
    CommitteeMembership.objects.create(
        unit=world.branch_a1, person=person, position="member", started_on=datetime.date(2024, 1, 1)
    )
    with pytest.raises(ConflictError) as exc:
        importing.import_undo(actor=world.users["admin"], job_id=job.pk)
    assert "不能撤销" in exc.value.message and str(CommitteeMembership._meta.verbose_name) in exc.value.message
    assert Person.objects.filter(pk=person.pk).exists()


def test_sibling_gets_404_on_preview_confirm_discard_undo_pages_and_api(world, login):
    job, _ = preview(world, [person_row(1)])
    client = login(world.users["secretary2"])
    for name in ("job", "job_progress"):
        assert client.get(reverse(f"people_import:{name}", args=[job.pk])).status_code == 404
    for name in ("confirm", "discard", "undo"):
        assert client.post(reverse(f"people_import:{name}", args=[job.pk])).status_code == 404
    assert client.get(f"/api/people/imports/{job.pk}").status_code == 404
    assert client.get(f"/api/people/imports/{job.pk}/changes").status_code == 404
    for action in ("confirm", "discard", "undo"):
        assert client.post(f"/api/people/imports/{job.pk}/{action}").status_code == 404
    confirm(world, job)
    assert client.post(reverse("people_import:undo", args=[job.pk])).status_code == 404
    assert Person.objects.filter(name="导入1").exists()


def test_pages_confirm_twice_409_then_org_admin_undoes_by_api(world, login):
    job, _ = preview(world, [person_row(1)])
    client = login(world.users["secretary1"])
    page = client.get(reverse("people_import:job", args=[job.pk])).content.decode()
    assert "确认导入" in page and "放弃" in page and "导入1" in page
    assert client.post(reverse("people_import:confirm", args=[job.pk])).status_code == 302
    resp = client.post(reverse("people_import:confirm", args=[job.pk]))
    assert resp.status_code == 409 and "该导入已确认" in resp.content.decode()
    assert "撤销" in client.get(reverse("people_import:start")).content.decode()

    admin = login(world.users["admin"])
    body = admin.get(f"/api/people/imports/{job.pk}").json()
    assert body["status"] == "succeeded" and body["can_undo"] and not body["can_confirm"]
    resp = admin.post(f"/api/people/imports/{job.pk}/undo")
    assert resp.status_code == 200 and resp.json()["status"] == "undone"
    resp = admin.post(f"/api/people/imports/{job.pk}/undo")
    assert resp.status_code == 409 and resp.json()["detail"] == importing.ALREADY_UNDONE
    assert not Person.objects.filter(name="导入1").exists()


def test_api_preview_changes_confirm_and_discard(world, login, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(world.users["secretary1"])
    upload = SimpleUploadedFile("a.xlsx", workbook_bytes([person_row(1), person_row(2)]))
    with django_capture_on_commit_callbacks(execute=True):
        job_id = client.post("/api/people/imports", {"file": upload}).json()["id"]
    body = client.get(f"/api/people/imports/{job_id}").json()
    assert body["status"] == "previewed" and body["created_count"] == 2 and len(body["plan_sha256"]) == 64
    changes = client.get(f"/api/people/imports/{job_id}/changes").json()
    assert changes["count"] == 2 and [c["row"] for c in changes["items"]] == [2, 3]
    assert client.post(f"/api/people/imports/{job_id}/confirm").json()["status"] == "succeeded"
    resp = client.post(f"/api/people/imports/{job_id}/confirm")
    assert resp.status_code == 409 and resp.json()["detail"] == importing.ALREADY_CONFIRMED
    other, _ = preview(world, [person_row(3)])
    assert client.post(f"/api/people/imports/{other.pk}/discard").json()["status"] == "discarded"
    assert client.post(f"/api/people/imports/{other.pk}/confirm").status_code == 409


def test_changes_list_query_count_is_constant(world, login):
    small, _ = preview(world, [person_row(n) for n in range(1, 3)])
    big, _ = preview(world, [person_row(n) for n in range(3, 30)])
    client = login(world.users["secretary1"])
    counts = []
    for job in (small, big):
        with CaptureQueriesContext(connection) as page:
            assert client.get(reverse("people_import:job", args=[job.pk])).status_code == 200
        with CaptureQueriesContext(connection) as api:
            assert client.get(f"/api/people/imports/{job.pk}/changes").status_code == 200
        counts.append((len(page), len(api)))
    assert counts[0] == counts[1], counts
