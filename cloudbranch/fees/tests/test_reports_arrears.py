"""Arrears: runs, reminders and warnings once, 党章 第九条 cases, decisions, permissions, queries."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.fees import arrears
from cloudbranch.fees.choices import ArrearsStatus, BillStatus
from cloudbranch.fees.models import ArrearsCase, Bill
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

TODAY = datetime.date(2026, 3, 15)  # last closed month: 2026-02


def month(n_back: int, today=TODAY) -> datetime.date:
    """The month ``n_back`` months before the last closed month (0 = the last closed month)."""
    return arrears.month_from_index(arrears.month_index(arrears.last_closed_month(today)) - n_back)


def bills(person, statuses: str, *, today=TODAY, amount="10.00", reason=""):
    """``statuses`` oldest → newest, ending with the last closed month: o=open, p=paid, e=exempt, -=none."""
    out = []
    n = len(statuses)
    for k, s in enumerate(statuses):
        if s == "-":
            continue
        status = {"o": BillStatus.OPEN, "p": BillStatus.PAID, "e": BillStatus.EXEMPT}[s]
        out.append(
            Bill.objects.create(
                person=person,
                unit=person.unit,
                month=month(n - 1 - k, today),
                amount_due=Decimal(amount),
                status=status,
                exemption_reason=reason if s in "oe" else "",
            )
        )
    return out


@pytest.fixture
def collector(world):
    return grant(UserFactory(username="collector"), world.branch_a1, Role.FEE_COLLECTOR).user


def test_runs_consecutive_interrupted_and_exempt(world):
    p = {k: PersonFactory(unit=world.branch_a1) for k in "abcdef"}
    bills(p["a"], "poooo")  # 4 consecutive
    bills(p["b"], "oopo")  # paid late in the middle: the run is 1
    bills(p["c"], "ooeo")  # exemption breaks it: 1
    bills(p["d"], "oooop")  # last closed month paid: not in arrears
    bills(p["e"], "oo-o")  # a month without a bill ends the run
    Bill.objects.create(  # the current (not closed) month never counts
        person=p["f"], unit=world.branch_a1, month=datetime.date(2026, 3, 1), amount_due=Decimal("1.00")
    )
    runs = arrears.compute_runs(today=TODAY)
    assert runs[p["a"].pk].months == 4
    assert runs[p["a"].pk].first_month == datetime.date(2025, 11, 1)
    assert runs[p["a"].pk].amount == Decimal("40.00")
    assert runs[p["b"].pk].months == 1
    assert runs[p["c"].pk].months == 1
    assert runs[p["e"].pk].months == 1
    assert p["d"].pk not in runs and p["f"].pk not in runs


def test_pending_exemption_counts_as_a_reason(world):
    p = PersonFactory(unit=world.branch_a1)
    bills(p, "oooooo", reason="长期患病，已申请免缴")
    run = arrears.compute_runs(today=TODAY)[p.pk]
    assert run.months == 6 and run.has_reason
    counts = arrears.run_arrears(today=TODAY)
    assert counts["cases_opened"] == 0
    assert not ArrearsCase.objects.exists()


def test_notices_once_at_each_threshold(world):
    member1 = world.people["member1"]
    secretary1, secretary2 = world.users["secretary1"], world.users["secretary2"]
    bills(member1, "oo")  # 2 months
    c = arrears.run_arrears(today=TODAY)
    assert c["reminders"] == 1 and c["warnings"] == 0
    assert Notification.objects.filter(recipient=world.users["member1"]).count() == 1
    assert arrears.run_arrears(today=TODAY)["reminders"] == 0  # once per bill month

    # next month: still unpaid → 3 months → a new reminder and the secretaries' warning
    april = datetime.date(2026, 4, 2)
    Bill.objects.create(person=member1, unit=member1.unit, month=datetime.date(2026, 3, 1), amount_due=Decimal("10"))
    c = arrears.run_arrears(today=april)
    assert c["reminders"] == 1 and c["warnings"] == 1
    assert Notification.objects.filter(recipient=world.users["member1"]).count() == 2
    assert Notification.objects.filter(recipient=secretary1).count() == 1
    assert not Notification.objects.filter(recipient=secretary2).exists()
    c = arrears.run_arrears(today=april)
    assert c["reminders"] == 0 and c["warnings"] == 0
    assert Notification.objects.filter(recipient=secretary1).count() == 1

    # 4 months: same run, no new warning; only the member's monthly reminder
    may = datetime.date(2026, 5, 2)
    Bill.objects.create(person=member1, unit=member1.unit, month=datetime.date(2026, 4, 1), amount_due=Decimal("10"))
    c = arrears.run_arrears(today=may)
    assert c["reminders"] == 1 and c["warnings"] == 0


def test_group_member_warns_branch_secretary(world):
    p = PersonFactory(unit=world.group_a1)
    bills(p, "ooo")
    arrears.run_arrears(today=TODAY)
    assert Notification.objects.filter(recipient=world.users["secretary1"]).count() == 1


def test_case_opened_once_decided_and_status_untouched(world):
    p = world.people["a1_other"]
    status_before = p.political_status
    bills(p, "oooooo")
    c = arrears.run_arrears(today=TODAY)
    assert c["cases_opened"] == 1
    case = ArrearsCase.objects.get()
    assert (case.person, case.unit, case.months, case.first_month) == (p, world.branch_a1, 6, datetime.date(2025, 9, 1))
    assert case.status == ArrearsStatus.OPEN
    assert AuditEvent.objects.filter(action="fees.arrearscase.open", target_id=str(case.pk)).count() == 1
    notes = Notification.objects.filter(recipient=world.users["secretary1"], url__contains=f"case={case.pk}")
    assert notes.count() == 1 and "第九条" in notes.get().body

    assert arrears.run_arrears(today=TODAY)["cases_opened"] == 0
    # a month later the run is 7: still no second case while this one is open
    Bill.objects.create(person=p, unit=p.unit, month=datetime.date(2026, 3, 1), amount_due=Decimal("10"))
    assert arrears.run_arrears(today=datetime.date(2026, 4, 3))["cases_opened"] == 0
    assert ArrearsCase.objects.count() == 1

    with pytest.raises(DomainError):
        arrears.arrears_decide(actor=world.users["secretary1"], case_id=case.pk, decision=" ", decided_on=TODAY)
    arrears.arrears_decide(
        actor=world.users["secretary1"],
        case_id=case.pk,
        decision="经支部党员大会讨论，决定予以除名，报上级党组织批准。",
        decided_on=timezone.localdate(),
    )
    case.refresh_from_db()
    assert case.status == ArrearsStatus.DECIDED and case.decided_by == world.users["secretary1"]
    ev = AuditEvent.objects.get(action="fees.arrearscase.decide")
    assert ev.changes["status"] == {"old": "open", "new": "decided"}
    p.refresh_from_db()
    assert p.political_status == status_before  # the system never changes the member's status
    with pytest.raises(ConflictError):
        arrears.arrears_decide(
            actor=world.users["secretary1"], case_id=case.pk, decision="再次", decided_on=timezone.localdate()
        )
    # the same run, decided: no new case
    assert arrears.run_arrears(today=datetime.date(2026, 4, 3))["cases_opened"] == 0


def test_case_resolved_when_paid(world):
    p = world.people["a1_other"]
    bs = bills(p, "oooooo")
    arrears.run_arrears(today=TODAY)
    case = ArrearsCase.objects.get()
    Bill.objects.filter(pk__in=[b.pk for b in bs[:5]]).update(status=BillStatus.PAID)
    assert arrears.run_arrears(today=TODAY)["cases_resolved"] == 0  # one month still open
    Bill.objects.filter(pk=bs[5].pk).update(status=BillStatus.PAID)
    assert arrears.run_arrears(today=TODAY)["cases_resolved"] == 1
    case.refresh_from_db()
    assert case.status == ArrearsStatus.RESOLVED
    assert AuditEvent.objects.filter(action="fees.arrearscase.resolve").count() == 1


def test_command_runs(world, capsys):
    from django.core.management import call_command

    bills(world.people["a1_other"], "oooooo")
    call_command("dues_arrears", "--date", TODAY.isoformat())
    assert "新立案 1 件" in capsys.readouterr().out


def test_task_runs(world):
    bills(world.people["a1_other"], "ooo")
    result = arrears.dues_arrears_task.enqueue(TODAY.isoformat())
    assert result.return_value["warnings"] == 1


# --- permissions ---------------------------------------------------------------------------


@pytest.fixture
def case(world):
    bills(world.people["a1_other"], "oooooo", today=timezone.localdate())
    arrears.run_arrears()
    return ArrearsCase.objects.get()


def test_decide_permissions(world, case, collector):
    with pytest.raises(Http404):
        arrears.arrears_decide(actor=world.users["secretary2"], case_id=case.pk, decision="x", decided_on=None)
    with pytest.raises(PermissionDenied):
        arrears.arrears_decide(actor=collector, case_id=case.pk, decision="x", decided_on=None)
    with pytest.raises(Http404):
        arrears.arrears_decide(actor=world.users["member1"], case_id=case.pk, decision="x", decided_on=None)


def test_pages_permissions(world, case, collector, login):
    url = reverse("fees:arrears")
    decide = reverse("fees:arrears_decide", args=[case.pk])
    data = {"decision": "除名", "decided_on": timezone.localdate().isoformat()}
    c = login(world.users["member1"])
    assert c.get(url).status_code == 403
    c = login(world.users["secretary2"])
    assert c.get(url).status_code == 200
    assert world.people["a1_other"].name not in c.get(url).content.decode()
    assert c.get(f"{url}?case={case.pk}").status_code == 404
    assert c.post(decide, data).status_code == 404
    c = login(collector)
    page = c.get(url)
    assert page.status_code == 200 and world.people["a1_other"].name in page.content.decode()
    assert c.post(decide, data).status_code == 403
    c = login(world.users["secretary1"])
    page = c.get(f"{url}?case={case.pk}")
    assert "记录支部决定" in page.content.decode() and "6+" in page.content.decode()
    bad = c.post(decide, {"decision": "", "decided_on": data["decided_on"]})
    assert bad.status_code == 422
    case.refresh_from_db()
    assert case.status == ArrearsStatus.OPEN
    assert c.post(decide, data).status_code == 302
    case.refresh_from_db()
    assert case.status == ArrearsStatus.DECIDED and case.decision == "除名"


def test_api(world, case, collector, client):
    client.force_login(world.users["secretary1"])
    r = client.get("/api/fees/arrears")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["months"] == 6 and item["level"] == 6 and item["case"]["id"] == case.pk
    client.force_login(collector)
    url = f"/api/fees/arrears/{case.pk}/decision"
    payload = {"decision": "除名", "decided_on": timezone.localdate().isoformat()}
    assert client.post(url, payload, content_type="application/json").status_code == 403
    client.force_login(world.users["secretary2"])
    assert client.post(url, payload, content_type="application/json").status_code == 404
    client.force_login(world.users["member1"])
    assert client.get("/api/fees/arrears").status_code == 403
    client.force_login(world.users["secretary1"])
    r = client.post(url, payload, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "decided"
    assert client.post(url, payload, content_type="application/json").status_code == 409


# --- query counts ----------------------------------------------------------------------------


def _arrears_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_arrears_list_queries_constant(world, login):
    today = timezone.localdate()
    c = login(world.users["admin"])
    url = reverse("fees:arrears")
    for k in range(3):
        bills(PersonFactory(unit=world.branch_a1), "ooo"[: k + 1], today=today)
    small = _arrears_queries(c, url)
    for unit in (world.branch_a2, world.branch_b1, world.group_a1):
        for k in range(12):
            bills(PersonFactory(unit=unit), "oooooo"[: 1 + k % 6], today=today)
    arrears.run_arrears()
    big = _arrears_queries(c, url)
    assert (small, big) == (7, 7)  # session, user, grants, nav badge, runs, people, cases — pinned
