import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.fees import bases
from cloudbranch.fees.choices import BaseStatus
from cloudbranch.fees.models import DuesBase
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

from .factories import make_base


@pytest.fixture
def collector(world):
    return grant(UserFactory(username="collector1"), world.branch_a1, Role.FEE_COLLECTOR).user


def test_member_declares_his_own_base_from_the_first(world):
    person = world.people["member1"]
    base = bases.base_declare(
        actor=world.users["member1"],
        person_id=person.pk,
        base_kind="salary",
        amount=Decimal("4500.00"),
        effective_from=datetime.date(2025, 3, 17),
        note="新工资",
    )
    assert base.status == BaseStatus.DECLARED
    assert base.effective_from == datetime.date(2025, 3, 1)
    assert AuditEvent.objects.filter(action="fees.duesbase.declare", target_id=str(base.pk)).exists()


def test_member_cannot_declare_for_someone_else(world):
    from django.http import Http404

    with pytest.raises(Http404):
        bases.base_declare(
            actor=world.users["member1"],
            person_id=world.people["a1_other"].pk,
            base_kind="salary",
            amount="4000",
            effective_from=datetime.date(2025, 3, 1),
        )


@pytest.mark.parametrize("amount", ["-1", "12.345", "abc"])
def test_amount_rules(world, amount):
    with pytest.raises(DomainError):
        bases.base_declare(
            actor=world.users["secretary1"],
            person_id=world.people["a1_other"].pk,
            base_kind="salary",
            amount=amount,
            effective_from=datetime.date(2025, 3, 1),
        )
    assert not DuesBase.objects.exists()


def test_collector_enters_but_cannot_approve(world, collector):
    from django.core.exceptions import PermissionDenied

    base = bases.base_declare(
        actor=collector,
        person_id=world.people["a1_other"].pk,
        base_kind="pension",
        amount="5000.01",
        effective_from=datetime.date(2025, 1, 1),
    )
    with pytest.raises(PermissionDenied):
        bases.base_decide(actor=collector, base_id=base.pk, approve=True)
    decided = bases.base_decide(actor=world.users["secretary1"], base_id=base.pk, approve=True)
    assert decided.status == BaseStatus.APPROVED
    assert decided.monthly_dues == Decimal("50.00")
    with pytest.raises(ConflictError):
        bases.base_decide(actor=world.users["secretary1"], base_id=base.pk, approve=False, note="x")


def test_sibling_secretary_gets_404(world):
    from django.http import Http404

    base = make_base(world.people["a1_other"], status=BaseStatus.DECLARED, by=world.users["secretary1"])
    with pytest.raises(Http404):
        bases.base_decide(actor=world.users["secretary2"], base_id=base.pk, approve=True)
    with pytest.raises(Http404):
        bases.base_declare(
            actor=world.users["secretary2"],
            person_id=world.people["a1_other"].pk,
            base_kind="salary",
            amount="1",
            effective_from=datetime.date(2025, 1, 1),
        )


def test_reject_needs_a_reason(world):
    base = make_base(world.people["a1_other"], status=BaseStatus.DECLARED, by=world.users["secretary1"])
    with pytest.raises(DomainError):
        bases.base_decide(actor=world.users["secretary1"], base_id=base.pk, approve=False)
    assert (
        bases.base_decide(actor=world.users["secretary1"], base_id=base.pk, approve=False, note="金额不符").status
        == "rejected"
    )


def test_base_for_is_the_latest_approved_in_force(world):
    p, s = world.people["a1_other"], world.users["secretary1"]
    old = make_base(p, amount="3000", effective_from=datetime.date(2024, 1, 1), by=s)
    new = make_base(p, amount="6000", effective_from=datetime.date(2025, 1, 1), by=s)
    make_base(p, amount="9000", effective_from=datetime.date(2025, 2, 1), status=BaseStatus.DECLARED, by=s)
    make_base(p, amount="9000", effective_from=datetime.date(2025, 3, 1), status=BaseStatus.REJECTED, by=s)
    assert bases.base_for(p, datetime.date(2023, 12, 1)) is None
    assert bases.base_for(p, datetime.date(2024, 12, 1)) == old
    assert bases.base_for(p, datetime.date(2025, 6, 1)) == new
    assert DuesBase.objects.filter(person=p).count() == 4  # history kept


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["学号工号", "身份证号", "姓名", "月缴费基数", "基数类型", "起始月份"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_payroll_import_all_or_nothing(world, collector):
    a = PersonFactory(unit=world.branch_a1, name="赵工", staff_number="T001")
    b = PersonFactory(unit=world.branch_a1, name="钱工", staff_number="T002")
    outside = PersonFactory(unit=world.branch_a2, name="孙工", staff_number="T003")
    bad = _xlsx(
        [
            ["T001", None, "赵工", 4500, "工资", "2025-03"],
            ["T002", None, "钱工", "12.345", "工资", "2025-03"],
            ["T003", None, "孙工", 3000, "离退休费", "2025-03"],
            ["T009", None, "无名", 3000, "奖金", "2025-03"],
        ]
    )
    with pytest.raises(DomainError) as exc:
        bases.import_bases(actor=collector, data=bad)
    errors = exc.value.errors
    assert {(e["row"], e["column"]) for e in errors} >= {(3, "月缴费基数"), (4, "学号工号"), (5, "基数类型")}
    assert not DuesBase.objects.exists()

    good = _xlsx(
        [["T001", None, "赵工", 4500, "工资", "2025-03"], ["T002", None, "钱工", "5000.01", "工资", "2025年3月"]]
    )
    result = bases.import_bases(actor=collector, data=good)
    assert result["created"] == 2 and result["declared"] == 2
    assert set(DuesBase.objects.values_list("status", flat=True)) == {"declared"}
    result = bases.import_bases(actor=world.users["secretary1"], data=good.replace(b"", b""))
    assert result["approved"] == 2
    assert bases.base_for(b, datetime.date(2025, 3, 1)).monthly_dues == Decimal("75.00")
    assert bases.base_for(a, datetime.date(2025, 3, 1)).effective_from == datetime.date(2025, 3, 1)
    assert outside.dues_bases.count() == 0


def test_bases_page_and_api(world, collector, login, client):
    base = make_base(world.people["a1_other"], status=BaseStatus.DECLARED, by=collector)
    login(world.users["secretary1"])
    r = client.get("/fees/bases/")
    assert r.status_code == 200 and "通过" in r.content.decode()
    r = client.post(f"/fees/bases/{base.pk}/decide/", {"decision": "approve"})
    assert r.status_code == 302
    base.refresh_from_db()
    assert base.status == "approved"
    login(world.users["secretary2"])
    r = client.post(f"/api/fees/bases/{base.pk}/decision", {"approve": True}, content_type="application/json")
    assert r.status_code == 404
    assert client.get("/api/fees/bases").json()["count"] == 0
    other = make_base(world.people["a1_other"], status=BaseStatus.DECLARED, by=collector)
    login(collector)
    r = client.post(f"/api/fees/bases/{other.pk}/decision", {"approve": True}, content_type="application/json")
    assert r.status_code == 403
    r = client.post(
        "/api/fees/bases",
        {
            "person_id": world.people["a1_other"].pk,
            "base_kind": "salary",
            "amount": "3000.00",
            "effective_from": "2025-04-09",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["effective_from"] == "2025-04-01" and r.json()["monthly_dues"] == "15.00"
    login(world.users["member1"])
    r = client.get("/fees/bases/declare/")
    assert r.status_code == 200
    r = client.post(
        "/fees/bases/declare/",
        {"person_id": world.people["member1"].pk, "base_kind": "salary", "amount": "-5", "effective_from": "2025-04"},
    )
    assert r.status_code == 422
