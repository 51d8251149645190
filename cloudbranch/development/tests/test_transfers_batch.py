"""Graduation bulk transfers: all-or-nothing upload, errors by row and column, dry run,
selection of a class, approving a batch at once."""

import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError
from cloudbranch.development import batch as batches
from cloudbranch.development import transfers as svc
from cloudbranch.development.choices import BatchStatus, TransferStatus
from cloudbranch.development.models import Transfer, TransferApproval, TransferBatch
from cloudbranch.development.tests.factories import transfer_roles
from cloudbranch.testing.factories import PersonFactory

HEADER = ["学号或身份证号", "姓名", "转接类型", "去向党组织", "接收组织编码", "原因", "党费交至"]


@pytest.fixture
def roles(world):
    return transfer_roles(world)


@pytest.fixture
def graduates(world):
    return [
        PersonFactory(unit=world.branch_a1, name=f"毕业生{i}", staff_number=f"20220100{i:02d}", department="计科2201")
        for i in range(1, 5)
    ]


def xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def good_rows(graduates):
    g = graduates
    return [
        [g[0].staff_number, g[0].name, "outgoing", "中共某市某区街道工委", "", "", "2026-06-30"],
        [g[1].reveal_id_number(), g[1].name, "转出", "中共某公司委员会", "", "就业", None],
        [g[2].staff_number, g[2].name, "internal", "", "CB01", "升学", None],
    ]


def upload(world, data, dry_run=False, actor=None):
    return batches.batch_upload(
        actor=actor or world.users["secretary1"],
        unit_id=world.branch_a1.pk,
        data=data,
        file_name="g.xlsx",
        dry_run=dry_run,
    )


def test_valid_file_creates_one_transfer_per_row(world, roles, graduates):
    outcome = upload(world, xlsx(good_rows(graduates)))
    assert outcome.ok and outcome.created == 3
    batch = outcome.batch
    assert batch.status == BatchStatus.SUBMITTED and batch.total_rows == 3
    rows = list(Transfer.objects.filter(batch=batch).order_by("pk"))
    assert [t.status for t in rows] == [TransferStatus.PENDING_OUT] * 3
    assert [t.kind for t in rows] == ["outgoing", "outgoing", "internal"]
    assert rows[0].reason == "毕业离校" and str(rows[0].dues_paid_until) == "2026-06-30"
    assert rows[0].letter_number != rows[1].letter_number and rows[0].letter_number.startswith("CB-")
    assert rows[2].to_unit_id == world.branch_b1.pk
    assert AuditEvent.objects.filter(action="development.transfer.create").count() == 3


def test_one_bad_row_creates_nothing(world, roles, graduates):
    rows = good_rows(graduates) + [[graduates[3].staff_number, "错名字", "internal", "", "NOPE", "", "明天"]]
    outcome = upload(world, xlsx(rows))
    assert not outcome.ok
    assert Transfer.objects.count() == 0
    batch = TransferBatch.objects.get(pk=outcome.batch.pk)
    assert batch.status == BatchStatus.FAILED
    found = {(e["row"], e["column"]) for e in batch.errors}
    assert {(5, "姓名"), (5, "接收组织编码"), (5, "党费交至")} <= found


def test_row_checks(world, roles, graduates):
    svc.transfer_create_internal(
        actor=world.users["secretary1"], person_id=graduates[0].pk, to_unit="CA02", reason="调动"
    )
    other = world.people["a2_person"]  # not in branch_a1's subtree
    masses = PersonFactory(
        unit=world.branch_a1, political_status="masses", joined_on=None, confirmed_on=None, staff_number="M1"
    )
    rows = [
        [graduates[0].staff_number, graduates[0].name, "outgoing", "某地", "", "", None],  # open transfer
        [graduates[1].staff_number, graduates[1].name, "outgoing", "", "", "", None],  # no destination
        [graduates[1].staff_number, graduates[1].name, "outgoing", "某地", "", "", None],  # same person twice
        [other.reveal_id_number(), other.name, "outgoing", "某地", "", "", None],  # outside the unit
        [masses.staff_number, masses.name, "outgoing", "某地", "", "", None],  # not transferable
        [graduates[2].staff_number, graduates[2].name, "move", "", "", "", None],  # bad kind
        [graduates[3].staff_number, graduates[3].name, "internal", "", "CA01", "", None],  # same unit
    ]
    outcome = upload(world, xlsx(rows))
    by_row = {}
    for e in outcome.errors:
        by_row.setdefault(e["row"], []).append(e["column"])
    assert by_row == {
        2: ["学号或身份证号"],
        3: ["去向党组织"],
        4: ["学号或身份证号"],
        5: ["学号或身份证号"],
        6: ["学号或身份证号"],
        7: ["转接类型"],
        8: ["接收组织编码"],
    }
    assert Transfer.objects.filter(batch__isnull=False).count() == 0


def test_dry_run_and_bad_files(world, roles, graduates):
    outcome = upload(world, xlsx(good_rows(graduates)), dry_run=True)
    assert outcome.ok and outcome.batch.status == BatchStatus.VALIDATED and outcome.created == 0
    assert Transfer.objects.count() == 0
    outcome = upload(world, b"not a workbook")
    assert not outcome.ok and outcome.batch.status == BatchStatus.FAILED
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "原因"])
    buf = io.BytesIO()
    wb.save(buf)
    outcome = upload(world, buf.getvalue())
    assert "缺少必填列" in outcome.errors[0]["message"]


def test_template_round_trip(world, roles):
    data = batches.build_template()
    outcome = upload(world, data)
    assert {e["message"] for e in outcome.errors} >= {"这是模板中的示例行，请删除后再上传"}


def test_scope(world, roles, graduates):
    with pytest.raises(Http404):
        upload(world, xlsx(good_rows(graduates)), actor=world.users["secretary2"])


def test_select_a_class_and_approve_the_batch(world, roles, graduates):
    outcome = batches.batch_from_selection(
        actor=world.users["secretary1"],
        unit_id=world.branch_a1.pk,
        person_ids=[p.pk for p in batches.class_people(world.users["secretary1"], world.branch_a1, "计科2201")],
        kind="internal",
        to_unit="CA02",
    )
    assert outcome.ok and outcome.created == 4
    batch = outcome.batch
    with pytest.raises(Http404):
        batches.batch_approve(actor=world.users["secretary2"], batch_id=batch.pk)
    assert batches.batch_approve(actor=world.users["secretary1"], batch_id=batch.pk) == 4
    assert set(Transfer.objects.filter(batch=batch).values_list("status", flat=True)) == {TransferStatus.PENDING_IN}
    assert TransferApproval.objects.filter(transfer__batch=batch, unit=world.branch_a1).count() == 4
    assert AuditEvent.objects.filter(action="development.transferbatch.approve").count() == 1
    assert AuditEvent.objects.filter(action="development.transfer.decide").count() == 4
    # Nothing left for the sending secretary: 403 (the receiving side's turn).
    with pytest.raises(PermissionDenied):
        batches.batch_approve(actor=world.users["secretary1"], batch_id=batch.pk)
    for t in Transfer.objects.filter(batch=batch):
        svc.transfer_decide(actor=world.users["admin"], transfer_id=t.pk, decision="approved")
    with pytest.raises(ConflictError):
        batches.batch_approve(actor=world.users["admin"], batch_id=batch.pk)
    assert set(p.unit_id for p in type(graduates[0]).objects.filter(department="计科2201")) == {world.branch_a2.pk}


def test_selection_all_or_nothing(world, roles, graduates):
    svc.transfer_create_internal(actor=world.users["secretary1"], person_id=graduates[0].pk, to_unit="CA02", reason="x")
    outcome = batches.batch_from_selection(
        actor=world.users["secretary1"],
        unit_id=world.branch_a1.pk,
        person_ids=[p.pk for p in graduates],
        kind="outgoing",
        external_org="某地",
    )
    assert not outcome.ok and outcome.errors[0]["row"] == 1
    assert Transfer.objects.filter(batch__isnull=False).count() == 0
