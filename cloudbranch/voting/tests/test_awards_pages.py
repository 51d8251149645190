"""评先评优 pages: the journey from issuing a round to the final list, scoping (sibling 404s,
members see only the notice), and 422 with nothing written on broken rules."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cloudbranch.voting import awards
from cloudbranch.voting.choices import AwardKind, AwardRoundStatus, NominationStatus
from cloudbranch.voting.models import AwardRound, Nomination, NominationReview, Objection

from .factories import AWARD_DEEDS, award_committee_secretary, award_nominate, award_round

pytestmark = pytest.mark.django_db


def test_full_journey(world, login, client, monkeypatch):
    admin, s1 = world.users["admin"], world.users["secretary1"]
    cs_a = award_committee_secretary(world.college_a)
    today = timezone.localdate()

    login(admin)
    assert client.get(reverse("voting:award_round_create")).status_code == 200
    data = {
        "unit": world.root.pk,
        "year": today.year,
        "title": "年度评先评优",
        "kinds": [AwardKind.EXCELLENT_MEMBER, AwardKind.ADVANCED_ORG],
        "quota_excellent_member": 1,
        "quota_advanced_org": 1,
        "nomination_deadline": (today + datetime.timedelta(days=3)).isoformat(),
        "notice_days": 5,
    }
    bad = client.post(reverse("voting:award_round_create"), {**data, "quota_advanced_org": ""})
    assert bad.status_code == 422 and "先进基层党组织" in bad.content.decode()
    assert not AwardRound.objects.exists()
    resp = client.post(reverse("voting:award_round_create"), data)
    r = AwardRound.objects.get()
    assert resp.status_code == 302 and resp.url == reverse("voting:award_round", args=[r.pk])

    # the branch secretary sees the university's round and nominates
    login(s1)
    page = client.get(reverse("voting:awards"))
    assert "年度评先评优" in page.content.decode()
    assert "推荐" in client.get(reverse("voting:award_round", args=[r.pk])).content.decode()
    url = reverse("voting:nomination_create", args=[r.pk])
    form = client.get(url)
    assert form.status_code == 200 and "党员一" in form.content.decode()
    post = {
        "nominating_unit": world.branch_a1.pk,
        "kind": AwardKind.EXCELLENT_MEMBER,
        "person": world.people["member1"].pk,
    }
    short = client.post(url, {**post, "deeds": "太短"})
    assert short.status_code == 422 and not Nomination.objects.exists()
    resp = client.post(url, {**post, "deeds": AWARD_DEEDS})
    n = Nomination.objects.get()
    assert resp.status_code == 302 and resp.url == reverse("voting:nomination", args=[n.pk])
    dup = client.post(url, {**post, "deeds": AWARD_DEEDS})
    assert dup.status_code == 409 and "不能重复推荐" in dup.content.decode()

    # college reviews (reject needs a reason), then the root approves
    login(cs_a)
    detail = client.get(reverse("voting:nomination", args=[n.pk]))
    assert "同意即上报上级" in detail.content.decode()
    review = reverse("voting:nomination_review", args=[n.pk])
    assert client.post(review, {"decision": "reject", "comment": ""}).status_code == 422
    assert not NominationReview.objects.exists()
    assert client.post(review, {"decision": "approve", "comment": "同意"}).status_code == 302
    login(admin)
    assert client.post(review, {"decision": "approve"}).status_code == 302
    n.refresh_from_db()
    assert n.status == NominationStatus.APPROVED
    detail = client.get(reverse("voting:nomination", args=[n.pk])).content.decode()
    assert "计算机学院党委" in detail and "审核通过" in detail

    # vote
    adv = reverse("voting:award_advance", args=[r.pk])
    client.post(adv, {"to": AwardRoundStatus.REVIEWING})
    client.post(adv, {"to": AwardRoundStatus.VOTING})
    vote_url = reverse("voting:award_vote", args=[r.pk])
    assert client.get(vote_url).status_code == 200
    p = f"n{n.pk}-"
    votes = {"nomination": n.pk, p + "entitled": 7, p + "present": 6, p + "votes_for": 5, p + "votes_against": 1}
    bad = client.post(vote_url, {**votes, p + "abstentions": 3})
    assert bad.status_code == 422 and "之和" in bad.content.decode()
    assert client.post(vote_url, {**votes, p + "abstentions": 0}).status_code == 302
    n.refresh_from_db()
    assert n.status == NominationStatus.ELECTED

    # notice (today), member1 reads it without any grant and objects; the admin handles it
    resp = client.post(reverse("voting:award_notice", args=[r.pk]), {"starts_on": today.isoformat()})
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.status == AwardRoundStatus.NOTICE and r.notice_ends_on == awards.workdays_end(today, 5)
    login(world.users["member1"])
    assert client.get(reverse("voting:award_round", args=[r.pk])).status_code == 302  # → notice
    notice = client.get(reverse("voting:award_notice", args=[r.pk]))
    assert notice.status_code == 200 and "党员一" in notice.content.decode()
    obj_url = reverse("voting:objection_add", args=[n.pk])
    if r.notice_starts_on <= today <= r.notice_ends_on:
        assert client.post(obj_url, {"text": "短"}).status_code == 422
        assert client.post(obj_url, {"text": "我反映一个情况，请组织核查。"}).status_code == 302
        login(admin)
        o = Objection.objects.get()
        handle = reverse("voting:objection_handle", args=[o.pk])
        assert client.post(handle, {"finding": "", "upheld": "0"}).status_code == 422
        assert client.post(handle, {"finding": "经核查不属实。", "upheld": "0"}).status_code == 302
    login(admin)
    too_early = client.post(reverse("voting:award_finalize", args=[r.pk]))
    assert too_early.status_code == 409 and "期满后" in too_early.content.decode()
    monkeypatch.setattr(awards, "_today", lambda: r.notice_ends_on + datetime.timedelta(days=1))
    resp = client.post(reverse("voting:award_finalize", args=[r.pk]))
    assert resp.status_code == 302 and resp.url == reverse("voting:award_list", args=[r.pk])
    login(world.users["member1"])
    final = client.get(reverse("voting:award_list", args=[r.pk]))
    assert final.status_code == 200 and "党员一" in final.content.decode() and "表彰名单" in final.content.decode()


def test_sibling_branch_gets_404(world, login, client):
    r = award_round(world.users["admin"], world.root)
    n = award_nominate(world.users["secretary1"], r, world.branch_a1, person=world.people["member1"])
    login(world.users["secretary2"])
    assert client.get(reverse("voting:award_round", args=[r.pk])).status_code == 200  # the university's round
    page = client.get(reverse("voting:award_round", args=[r.pk])).content.decode()
    assert "党员一" not in page
    assert client.get(reverse("voting:nomination", args=[n.pk])).status_code == 404
    assert client.post(reverse("voting:nomination_review", args=[n.pk]), {"decision": "approve"}).status_code == 404
    assert client.post(reverse("voting:nomination_withdraw", args=[n.pk])).status_code == 404
    # a college B round is invisible to college A's branches
    rb = award_round(world.users["admin"], world.college_b)
    assert client.get(reverse("voting:award_round", args=[rb.pk])).status_code == 404
    assert client.get(reverse("voting:nomination_create", args=[rb.pk])).status_code == 404


def test_visible_but_not_allowed_is_403(world, login, client):
    r = award_round(world.users["admin"], world.root)
    n = award_nominate(world.users["secretary1"], r, world.branch_a1, person=world.people["member1"])
    login(world.users["secretary1"])
    assert client.get(reverse("voting:award_vote", args=[r.pk])).status_code == 403
    assert client.post(reverse("voting:award_advance", args=[r.pk]), {"to": "reviewing"}).status_code == 403
    assert client.post(reverse("voting:nomination_review", args=[n.pk]), {"decision": "approve"}).status_code == 403
    assert client.get(reverse("voting:award_round_create")).status_code == 403


def test_member_sees_only_notices(world, login, client):
    r = award_round(world.users["admin"], world.root)
    login(world.users["member1"])
    assert client.get(reverse("voting:awards")).status_code == 200
    assert client.get(reverse("voting:award_round", args=[r.pk])).status_code == 404  # still nominating
    assert client.get(reverse("voting:award_notice", args=[r.pk])).status_code == 404


def test_round_title_names_its_year_once():
    from cloudbranch.voting.models import AwardRound

    assert AwardRound(year=2026, title="2026年度“两优一先”评选表彰").display_title == "2026年度“两优一先”评选表彰"
    assert AwardRound(year=2026, title="优秀共产党员评选").display_title == "2026年度优秀共产党员评选"
