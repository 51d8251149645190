"""Query counts of the award pages and lists: pinned, and constant as rows grow."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.testing.factories import PersonFactory
from cloudbranch.voting import awards
from cloudbranch.voting.choices import AwardRoundStatus, NominationStatus, ReviewDecision
from cloudbranch.voting.models import AwardRound, Nomination, Objection

from .factories import award_committee_secretary, award_nominate, award_round

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200, url
    return len(ctx.captured_queries)


def _grow(world, r, n):
    """``n`` more nominations from branch A1 reviewed once by the college, and ``n`` approved ones of the root."""
    admin = world.users["admin"]
    cs_a = world.cs_a
    for _ in range(n):
        m = award_nominate(world.users["secretary1"], r, world.branch_a1, person=PersonFactory(unit=world.branch_a1))
        awards.nomination_review(actor=cs_a, nomination=m, decision=ReviewDecision.APPROVE, comment="同意")
        award_nominate(admin, r, world.root, person=PersonFactory(unit=world.branch_b1))


@pytest.fixture
def grown(world):
    world.cs_a = award_committee_secretary(world.college_a)
    rounds = [award_round(world.users["admin"], world.root) for _ in range(2)]
    return rounds


def test_officer_pages_constant(world, login, client, grown):
    r = grown[0]
    _grow(world, r, 2)
    first = award_nominate(world.users["secretary1"], r, world.branch_a1, person=world.people["member1"])
    urls = {
        "awards": reverse("voting:awards"),
        "round": reverse("voting:award_round", args=[r.pk]),
        "nomination": reverse("voting:nomination", args=[first.pk]),
        "api_rounds": "/api/democracy/award-rounds",
        "api_nominations": f"/api/democracy/award-rounds/{r.pk}/nominations",
    }
    login(world.users["admin"])
    before = {k: _queries(client, u) for k, u in urls.items()}
    _grow(world, r, 4)
    for _ in range(3):
        award_round(world.users["admin"], world.root)
    awards.nomination_review(actor=world.cs_a, nomination=first, decision=ReviewDecision.APPROVE, comment="同意")
    after = {k: _queries(client, u) for k, u in urls.items()}
    assert before == after
    assert after == {"awards": 7, "round": 10, "nomination": 6, "api_rounds": 5, "api_nominations": 6}
    # a branch secretary sees the same pages with the same counts
    login(world.users["secretary1"])
    assert _queries(client, urls["round"]) == 9
    assert _queries(client, urls["awards"]) == 7


def test_vote_notice_and_list_constant(world, login, client, grown, monkeypatch):
    r, admin = grown[0], world.users["admin"]

    awards.round_advance(actor=admin, award_round=r, to=AwardRoundStatus.REVIEWING)
    awards.round_advance(actor=admin, award_round=r, to=AwardRoundStatus.VOTING)
    # nominations by the issuing unit start approved; create them while nominating is over by
    # writing rows for the vote page (the service refuses nominations after nominating)
    AwardRound.objects.filter(pk=r.pk).update(status=AwardRoundStatus.NOMINATING)
    add_later = []
    for _ in range(3):
        add_later.append(award_nominate(admin, r, world.root, person=PersonFactory(unit=world.branch_a1)))
    AwardRound.objects.filter(pk=r.pk).update(status=AwardRoundStatus.VOTING)
    for m in add_later[:2]:
        awards.vote_record(
            actor=admin, nomination=m, votes_for=4, votes_against=0, abstentions=0, present=5, entitled=5
        )
    login(admin)
    vote_url = reverse("voting:award_vote", args=[r.pk])
    before = _queries(client, vote_url)
    AwardRound.objects.filter(pk=r.pk).update(status=AwardRoundStatus.NOMINATING)
    more = [award_nominate(admin, r, world.root, person=PersonFactory(unit=world.branch_a1)) for _ in range(4)]
    AwardRound.objects.filter(pk=r.pk).update(status=AwardRoundStatus.VOTING)
    for m in more:
        awards.vote_record(
            actor=admin, nomination=m, votes_for=1, votes_against=0, abstentions=0, present=3, entitled=5
        )
    assert _queries(client, vote_url) == before == 9

    Nomination.objects.filter(round=r, status=NominationStatus.APPROVED).update(status=NominationStatus.NOT_ELECTED)
    awards.notice_start(actor=admin, award_round=r)
    r.refresh_from_db()
    elected = list(Nomination.objects.filter(round=r, status=NominationStatus.ELECTED))
    notice_url = reverse("voting:award_notice", args=[r.pk])
    objections_api = f"/api/democracy/award-rounds/{r.pk}/objections"
    member = world.users["member1"]
    awards.objection_raise(actor=member, nomination=elected[0], text="反映一个情况，请组织核查。")
    counts = {"admin": _queries(client, notice_url), "api": _queries(client, objections_api)}
    login(member)
    counts["member"] = _queries(client, notice_url)
    counts["member_api"] = _queries(client, f"/api/democracy/award-rounds/{r.pk}/notice")
    for m in elected:
        awards.objection_raise(actor=member, nomination=m, text="再反映一个情况，请组织核查。")
    Nomination.objects.filter(round=r, status=NominationStatus.NOT_ELECTED).update(status=NominationStatus.ELECTED)
    again = {"member": _queries(client, notice_url)}
    again["member_api"] = _queries(client, f"/api/democracy/award-rounds/{r.pk}/notice")
    login(admin)
    again["admin"] = _queries(client, notice_url)
    again["api"] = _queries(client, objections_api)
    assert counts == again == {"admin": 10, "api": 6, "member": 9, "member_api": 7}

    for o in list(Objection.objects.all()):
        awards.objection_handle(actor=admin, objection=o, finding="经核查不属实。", upheld=False)
    monkeypatch.setattr(awards, "_today", lambda: r.notice_ends_on + datetime.timedelta(days=1))
    awards.round_finalize(actor=admin, award_round=r)
    login(member)
    final_urls = (reverse("voting:award_list", args=[r.pk]), f"/api/democracy/award-rounds/{r.pk}/list")
    first = [_queries(client, u) for u in final_urls]
    for _ in range(3):
        Nomination.objects.create(
            round=r,
            kind="excellent_member",
            nominating_unit=world.root,
            person=PersonFactory(unit=world.branch_b1),
            deeds="事迹",
            status=NominationStatus.AWARDED,
            created_by=admin,
        )
    assert [_queries(client, u) for u in final_urls] == first == [7, 7]
