"""民主评议党员: pages — scoping, the member page, totals without rater identities, query counts."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.voting import appraisals
from cloudbranch.voting.choices import AppraisalStatus, Grade
from cloudbranch.voting.models import Appraisal, AppraisalEntry, AppraisalRating

from .factories import appraisal_members, appraisal_open, appraisal_to

S = AppraisalStatus


def _entry(a, person):
    return AppraisalEntry.objects.get(appraisal=a, person=person)


def test_create_page(world, login):
    client = login(world.users["secretary1"])
    assert client.get(reverse("voting:appraisal_create")).status_code == 200
    r = client.post(reverse("voting:appraisal_create"), {"unit": world.branch_a1.pk, "year": timezone.localdate().year})
    a = Appraisal.objects.get()
    assert r.status_code == 302 and r.url == reverse("voting:appraisal", args=[a.pk])
    r = client.post(reverse("voting:appraisal_create"), {"unit": world.branch_a1.pk, "year": timezone.localdate().year})
    assert r.status_code == 409 and "已开始" in r.content.decode()
    # A sibling's branch is not a choice.
    r = client.post(reverse("voting:appraisal_create"), {"unit": world.branch_a2.pk, "year": timezone.localdate().year})
    assert r.status_code == 422
    assert login(world.users["member1"]).get(reverse("voting:appraisal_create")).status_code == 403


def test_sibling_secretary_gets_404_everywhere(world, login):
    a = appraisal_open(world.users["secretary1"], world.branch_a1)
    entry = _entry(a, world.people["a1_other"])
    client = login(world.users["secretary2"])
    for name, args in [
        ("voting:appraisal", [a.pk]),
        ("voting:self_assessment", [a.pk]),
        ("voting:proposal", [a.pk]),
        ("voting:decision", [a.pk]),
        ("voting:appraisal_export", [a.pk]),
        ("voting:handling", [entry.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    for name in ("voting:appraisal_advance", "voting:appraisal_remind", "voting:rate"):
        assert client.post(reverse(name, args=[a.pk]), {"to": S.RATING}).status_code == 404, name
    a.refresh_from_db()
    assert a.status == S.SELF_ASSESSMENT
    assert "计算机本科第一党支部" not in client.get(reverse("voting:appraisals")).content.decode()


def test_member_sees_own_appraisal_only(world, login):
    a = appraisal_open(world.users["secretary1"], world.branch_a1)
    other = appraisal_open(world.users["secretary2"], world.branch_a2)
    client = login(world.users["member1"])
    r = client.get(reverse("voting:appraisals"))
    assert r.status_code == 200 and reverse("voting:self_assessment", args=[a.pk]) in r.content.decode()
    assert client.get(reverse("voting:appraisal", args=[a.pk])).status_code == 302  # → their page
    assert client.get(reverse("voting:appraisal", args=[other.pk])).status_code == 404
    assert client.get(reverse("voting:self_assessment", args=[other.pk])).status_code == 404
    assert client.get(reverse("voting:proposal", args=[a.pk])).status_code == 404


def test_member_journey_self_assessment_then_rating(world, login):
    sec = world.users["secretary1"]
    a = appraisal_open(sec, world.branch_a1)
    client = login(world.users["member1"])
    url = reverse("voting:self_assessment", args=[a.pk])
    assert client.post(url, {"text": ""}).status_code == 422
    assert client.post(url, {"text": "一年来认真学习", "submit": ""}).status_code == 302
    assert _entry(a, world.people["member1"]).self_submitted_at is not None
    rate_url = reverse("voting:rate", args=[a.pk])
    target = _entry(a, world.people["a1_other"])
    r = client.post(rate_url, {"entry": target.pk, "grade": "excellent"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 409  # not the rating stage yet
    appraisal_to(sec, a, S.RATING)
    page = client.get(url).content.decode()
    assert "张一" in page and "党员一</strong>" not in page  # not themselves
    r = client.post(rate_url, {"entry": target.pk, "grade": "excellent"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'aria-pressed="true">优秀' in r.content.decode()
    r = client.post(rate_url, {"entry": target.pk, "grade": "basic"})
    assert r.status_code == 302
    assert list(AppraisalRating.objects.values_list("grade", flat=True)) == [Grade.BASIC]
    assert client.post(url, {"text": "改不了"}).status_code == 409


def _rated_appraisal(world, n_members=4):
    """An appraisal in the proposal stage where every member rated every other graded member."""
    sec = world.users["secretary1"]
    people = appraisal_members(world.branch_a1, n_members, prefix="评议人")
    a = appraisal_open(sec, world.branch_a1)
    appraisal_to(sec, a, S.RATING)
    entries = list(AppraisalEntry.objects.filter(appraisal=a, graded=True))
    for p in people:
        for e in entries:
            if e.person_id != p.pk:
                appraisals.rating_cast(actor=p.user, appraisal_id=a.pk, entry_id=e.pk, grade=Grade.QUALIFIED)
    appraisal_to(sec, a, S.PROPOSAL)
    return a, people


def test_totals_shown_without_rater_identities(world, login):
    a, people = _rated_appraisal(world)
    client = login(world.users["secretary1"])
    page = client.get(reverse("voting:appraisal", args=[a.pk])).content.decode()
    target = _entry(a, world.people["member1"])
    assert AppraisalRating.objects.filter(entry=target).count() == 4
    # member1's totals: 4 合格 (from the four raters); the detail lists names of APPRAISEES only
    assert "参加测评" in page
    # The page shows every participant as an appraisee; what it must not contain is any link
    # between a rater and a rating: no rater id, no "评价人" column, no per-rating rows.
    assert "rater" not in page and "评价人：" not in page
    proposal = client.get(reverse("voting:proposal", args=[a.pk])).content.decode()
    assert "0 / 4 / 0 / 0" in proposal  # member1: 4 合格
    r = client.get(reverse("voting:appraisal_export", args=[a.pk]))
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[2]
    assert "测评合格" in header and not any("评价人" in str(h) for h in header if h)
    row = next(r for r in rows[3:] if r[1] == "党员一")
    assert row[header.index("测评合格")] == 4
    # Each row is one appraisee: as many rows as entries, no more.
    assert len(rows) - 3 == AppraisalEntry.objects.filter(appraisal=a).count()


def test_totals_page_never_names_a_rater_who_is_not_a_participant(world, login):
    """A rater's name can only leak through a rating: make the raters' names unique to ratings
    by renaming their persons after the entries exist... they are participants, so instead check
    the officer's pages do not print the names of raters next to any grade: the rows are
    appraisees (one per entry) and the totals are numbers."""
    a, people = _rated_appraisal(world, n_members=2)
    client = login(world.users["secretary1"])
    page = client.get(reverse("voting:appraisal", args=[a.pk])).content.decode()
    for p in people:
        assert page.count(p.name) == 1  # once: their own row as an appraisee


def test_proposal_decision_handling_close_pages(world, login):
    sec = world.users["secretary1"]
    appraisal_members(world.branch_a1, 5)  # 7 graded
    a = appraisal_open(sec, world.branch_a1)
    appraisal_to(sec, a, S.PROPOSAL)
    client = login(sec)
    ids = list(AppraisalEntry.objects.filter(appraisal=a, graded=True).values_list("pk", flat=True))
    data = {f"grade_{pk}": ("excellent" if i < 3 else "qualified") for i, pk in enumerate(ids)}
    r = client.post(reverse("voting:proposal", args=[a.pk]), data)
    assert r.status_code == 422
    assert "优秀 最多 2 人（参评正式党员 7 人的三分之一），当前 3 人" in r.content.decode()
    data[f"grade_{ids[2]}"] = "qualified"
    assert client.post(reverse("voting:proposal", args=[a.pk]), data).status_code == 302
    decision = client.get(reverse("voting:decision", args=[a.pk])).content.decode()
    assert 'value="excellent" selected' in decision  # prefilled from the proposal
    data[f"grade_{ids[6]}"] = "unqualified"
    data["meeting_on"] = timezone.localdate().isoformat()
    assert client.post(reverse("voting:decision", args=[a.pk]), data).status_code == 302
    r = client.post(reverse("voting:appraisal_advance", args=[a.pk]), {"to": S.CLOSED})
    assert r.status_code == 409 and "须先记录处置" in r.content.decode()
    url = reverse("voting:handling", args=[ids[6]])
    assert client.post(url, {"handling": "correct", "note": "限期改正"}).status_code == 422
    r = client.post(
        url,
        {
            "handling": "correct",
            "note": "限期改正",
            "deadline": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
        },
    )
    assert r.status_code == 302
    assert client.post(reverse("voting:appraisal_advance", args=[a.pk]), {"to": S.CLOSED}).status_code == 302
    a.refresh_from_db()
    assert a.status == S.CLOSED


def test_illegal_transition_page_409(world, login):
    a = appraisal_open(world.users["secretary1"], world.branch_a1)
    client = login(world.users["secretary1"])
    r = client.post(reverse("voting:appraisal_advance", args=[a.pk]), {"to": S.CLOSED})
    assert r.status_code == 409 and "不能从" in r.content.decode()


def test_remind_button(world, login):
    a = appraisal_open(world.users["secretary1"], world.branch_a1)
    client = login(world.users["secretary1"])
    r = client.post(reverse("voting:appraisal_remind", args=[a.pk]), follow=True)
    assert "已提醒 1 名党员" in r.content.decode()  # member1 has a login; 张一 has none


def test_my_results_on_list_page(world, login):
    a = appraisal_open(world.users["secretary1"], world.branch_a1, year=timezone.localdate().year - 1)
    appraisal_to(world.users["secretary1"], a, S.CLOSED)
    page = login(world.users["member1"]).get(reverse("voting:appraisals")).content.decode()
    assert f"{timezone.localdate().year - 1} 年度" in page and "合格" in page


# --- query counts ----------------------------------------------------------------------------------


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("extra", [0, 6])
def test_query_counts_constant(world, login, extra):
    sec = world.users["secretary1"]
    appraisal_members(world.branch_a1, 3 + extra, probationary=1)
    a, _ = _rated_appraisal(world, n_members=2 + extra)
    appraisal_open(sec, world.branch_a1, year=timezone.localdate().year - 1)
    for i in range(extra):
        from cloudbranch.testing.factories import make_unit

        unit = make_unit(parent=world.college_a)
        appraisal_members(unit, 2)
        appraisals.appraisal_create(actor=world.users["admin"], unit_id=unit.pk, year=timezone.localdate().year - 2 - i)
    client = login(sec)
    counts = (
        _count(client, reverse("voting:appraisals")),
        _count(client, reverse("voting:appraisal", args=[a.pk])),
        _count(client, reverse("voting:proposal", args=[a.pk])),
    )
    admin = login(world.users["admin"])
    counts += (_count(admin, reverse("voting:appraisals")),)
    member = login(world.users["member1"])
    counts += (_count(member, reverse("voting:self_assessment", args=[a.pk])),)
    assert counts == EXPECTED_QUERIES


#: appraisals list (member + officer sections), detail with totals, proposal form, org admin list, member page.
EXPECTED_QUERIES = (8, 9, 8, 8, 7)
