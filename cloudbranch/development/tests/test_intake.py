"""Intake lists (春季/秋季发展名单): eligibility at the boundary dates, overdue and delay reasons,
scoping, the branch mailing once per round, the export and constant queries."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from openpyxl import load_workbook

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.development import intake
from cloudbranch.development.state import case_state
from cloudbranch.development.tests.factories import make_case
from cloudbranch.notifications.models import Notification

pytestmark = pytest.mark.django_db

SPRING_2026 = intake.Round(2026, "spring")  # judged on 2026-04-30; previous round 2025-10-31
TODAY = datetime.date(2026, 4, 10)
ACTIVIST_OFFSET = datetime.timedelta(days=60)  # TIMELINE_2014: the activist step 60 days after applying
ADMISSION_OFFSET = datetime.timedelta(days=540)  # … and the branch meeting's admission vote


def activist(world, on: datetime.date, **kw):
    """A case whose activist step was recorded on ``on`` (sponsors named, no assessment yet)."""
    return make_case(
        actor=world.users["secretary1"], unit=world.branch_a1, applied_on=on - ACTIVIST_OFFSET, upto="sponsors", **kw
    )


def rows_of(world, rnd=SPRING_2026, today=TODAY, unit=None):
    return intake.intake_rows([unit or world.college_a], rnd, today=today)


def test_rounds_from_the_configured_months():
    assert intake.round_for(datetime.date(2026, 1, 5)) == intake.Round(2026, "spring")
    assert intake.round_for(datetime.date(2026, 4, 30)) == intake.Round(2026, "spring")
    assert intake.round_for(datetime.date(2026, 5, 1)) == intake.Round(2026, "autumn")
    assert intake.round_for(datetime.date(2026, 11, 1)) == intake.Round(2027, "spring")
    assert SPRING_2026.reference_on == datetime.date(2026, 4, 30)
    assert SPRING_2026.previous().reference_on == datetime.date(2025, 10, 31)
    assert intake.parse_round("2026-autumn", today=TODAY) == intake.Round(2026, "autumn")
    with pytest.raises(DomainError, match="发展批次格式"):
        intake.parse_round("2026-summer", today=TODAY)


def test_activists_listed_when_one_year_is_complete_by_the_round(world):
    on_time = activist(world, datetime.date(2025, 4, 30))  # one year ends 2026-04-30: in
    late = activist(world, datetime.date(2025, 5, 1))  # 2026-05-01: next round
    rows = rows_of(world)
    assert [(r.case.pk, r.kind, r.eligible_on) for r in rows] == [(on_time.pk, "candidate", datetime.date(2026, 4, 30))]
    assert not rows[0].overdue and rows[0].branch == world.branch_a1
    assert "培养教育考察" in rows[0].missing  # the half-yearly assessments are still to come
    assert late.pk in {r.case.pk for r in rows_of(world, rnd=SPRING_2026.next())}


@override_settings(DEVELOPMENT_INTAKE_MONTHS=(2, 8))
def test_one_year_after_29_february_is_28_february(world):
    leap = activist(world, datetime.date(2024, 2, 29))
    rnd = intake.Round(2025, "spring")
    assert rnd.reference_on == datetime.date(2025, 2, 28)
    (row,) = rows_of(world, rnd=rnd, today=datetime.date(2025, 2, 1))
    assert row.case == leap and row.eligible_on == datetime.date(2025, 2, 28)


def test_overdue_when_already_eligible_in_the_previous_round_unless_explained(world):
    passed_over = activist(world, datetime.date(2024, 10, 31))  # eligible 2025-10-31 = previous round's day
    fresh = activist(world, datetime.date(2024, 11, 1))  # eligible 2025-11-01: after it
    by_case = {r.case.pk: r for r in rows_of(world)}
    assert by_case[passed_over.pk].overdue and by_case[passed_over.pk].flagged
    assert not by_case[fresh.pk].overdue

    intake.intake_delay_record(
        actor=world.users["secretary1"], case_id=passed_over.pk, kind="candidate", reason="本人申请推迟到下一批次"
    )
    row = {r.case.pk: r for r in rows_of(world)}[passed_over.pk]
    assert row.overdue and not row.flagged and row.delay.reason == "本人申请推迟到下一批次"
    event = AuditEvent.objects.filter(action="development.intake.delay").get()
    assert event.changes["reason"] == {"old": None, "new": "本人申请推迟到下一批次"}

    intake.intake_delay_clear(actor=world.users["secretary1"], case_id=passed_over.pk, kind="candidate")
    assert {r.case.pk: r for r in rows_of(world)}[passed_over.pk].flagged


def test_delay_reason_rules(world):
    case = activist(world, datetime.date(2024, 10, 1))
    sec = world.users["secretary1"]
    with pytest.raises(DomainError, match="请填写暂缓原因"):
        intake.intake_delay_record(actor=sec, case_id=case.pk, kind="candidate", reason="  ")
    with pytest.raises(DomainError, match="未知的发展名单类别"):
        intake.intake_delay_record(actor=sec, case_id=case.pk, kind="other", reason="x")
    from django.http import Http404

    with pytest.raises(Http404):  # the sibling branch's secretary does not see the case
        intake.intake_delay_record(actor=world.users["secretary2"], case_id=case.pk, kind="candidate", reason="x")


def test_candidates_ready_for_the_vote_and_probationers_due(world):
    sec = world.users["secretary1"]
    ready = make_case(actor=sec, unit=world.branch_a1, applied_on=datetime.date(2024, 11, 1), upto="branch_review")
    not_ready = make_case(
        actor=sec, unit=world.branch_a1, applied_on=datetime.date(2024, 11, 1), upto="political_review"
    )
    admission = datetime.date(2025, 4, 30)  # probation ends 2026-04-30
    due = make_case(actor=sec, unit=world.branch_a1, applied_on=admission - ADMISSION_OFFSET, upto="oath")
    next_round = make_case(
        actor=sec,
        unit=world.branch_a1,
        applied_on=admission - ADMISSION_OFFSET + datetime.timedelta(days=1),
        upto="oath",
    )
    assert case_state(due).probation_end == datetime.date(2026, 4, 30)
    by_case = {r.case.pk: r for r in rows_of(world)}
    # training (the last prerequisite of the committee's review) on applied + 480 days
    assert by_case[ready.pk].kind == "admission"
    assert by_case[ready.pk].eligible_on == datetime.date(2024, 11, 1) + datetime.timedelta(days=480)
    assert not_ready.pk not in by_case
    assert by_case[due.pk].kind == "confirmation" and by_case[due.pk].eligible_on == datetime.date(2026, 4, 30)
    assert next_round.pk not in by_case
    assert by_case[due.pk].overdue is False
    # Autumn: the first was already due in spring (passed over once); the second's probation
    # ended 2026-05-01 and the rules give the branch one month to vote on it.
    autumn = SPRING_2026.next()
    early = {r.case.pk: r for r in rows_of(world, rnd=autumn, today=datetime.date(2026, 5, 20))}
    assert early[due.pk].overdue and not early[next_round.pk].overdue
    late = {r.case.pk: r for r in rows_of(world, rnd=autumn, today=datetime.date(2026, 6, 2))}
    assert late[next_round.pk].overdue


def test_page_export_and_scoping(world, client):
    case = activist(world, datetime.date(2024, 10, 31))
    client.force_login(world.users["secretary1"])
    response = client.get("/development/intake/", {"unit": world.branch_a1.pk, "round": "2026-spring"})
    assert response.status_code == 200
    page = response.content.decode()
    assert case.person.name in page and "逾期" in page and "2025-10-31" in page

    response = client.post(
        f"/development/intake/cases/{case.pk}/delay/",
        {"kind": "candidate", "reason": "出国交流，下一批次考虑"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "出国交流" in response.content.decode()
    response = client.post(f"/development/intake/cases/{case.pk}/delay/", {"kind": "candidate", "reason": ""})
    assert response.status_code == 422 and "请填写暂缓原因" in response.content.decode()

    response = client.get("/development/intake.xlsx", {"unit": world.branch_a1.pk, "round": "2026-spring"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))["可列为发展对象"]
    values = [c.value for c in sheet[4]]
    assert values[1] == case.person.name and values[4] == "逾期（已说明）" and values[5] == "出国交流，下一批次考虑"
    assert AuditEvent.objects.filter(action="development.intake.export").count() == 1

    client.force_login(world.users["secretary2"])
    assert client.get("/development/intake/", {"unit": world.branch_a1.pk}).status_code == 404
    assert client.get("/development/intake.xlsx", {"unit": world.branch_a1.pk}).status_code == 404
    assert (
        client.post(f"/development/intake/cases/{case.pk}/delay/", {"kind": "candidate", "reason": "x"}).status_code
        == 404
    )
    client.force_login(world.users["member1"])
    assert client.get("/development/intake/").status_code == 403


def test_api_lists_and_records(world, client):
    case = activist(world, datetime.date(2024, 10, 31))
    client.force_login(world.users["secretary1"])
    body = client.get("/api/development/intake", {"unit": world.branch_a1.pk, "round": "2026-spring"}).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["case_id"] == case.pk and item["flagged"] and item["branch"]["id"] == world.branch_a1.pk
    response = client.put(
        f"/api/development/intake/cases/{case.pk}/delay",
        {"kind": "candidate", "reason": "待政治审查结论"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["reason"] == "待政治审查结论"
    body = client.get("/api/development/intake", {"unit": world.branch_a1.pk, "round": "2026-spring"}).json()
    assert body["items"][0]["flagged"] is False and body["items"][0]["delay_reason"] == "待政治审查结论"
    assert client.get("/api/development/intake", {"round": "bad"}).status_code == 422
    client.force_login(world.users["secretary2"])
    assert client.get("/api/development/intake", {"unit": world.branch_a1.pk}).status_code == 404
    response = client.put(
        f"/api/development/intake/cases/{case.pk}/delay",
        {"kind": "candidate", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_lists_sent_to_each_branch_once_per_round(world):
    activist(world, datetime.date(2024, 10, 31))
    activist(world, datetime.date(2025, 3, 1))
    assert intake.send_reminders(datetime.date(2026, 3, 31)) == 0  # not the round month yet
    assert intake.send_reminders(datetime.date(2026, 4, 1)) == 1
    note = Notification.objects.get(recipient=world.users["secretary1"])
    assert "2026 年春季" in note.title and "2 人符合条件" in note.title and "1 人逾期" in note.title
    assert "逾期，请办理或填写暂缓原因" in note.body and "round=2026-spring" in note.url
    assert intake.send_reminders(datetime.date(2026, 4, 2)) == 0  # once per branch and round
    assert not Notification.objects.filter(recipient=world.users["secretary2"]).exists()


def test_page_queries_do_not_grow_with_the_cases(world, client):
    client.force_login(world.users["admin"])
    url = f"/development/intake/?unit={world.root.pk}&round=2026-spring"
    activist(world, datetime.date(2024, 10, 31))
    client.get(url)  # warm the rule cache
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for i in range(6):
        activist(world, datetime.date(2025, 1, 1 + i))
    make_case(
        actor=world.users["secretary1"],
        unit=world.branch_a2,
        applied_on=datetime.date(2024, 11, 1),
        upto="branch_review",
    )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(one)
