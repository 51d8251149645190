"""评先评优 rules through the services: deadline, eligibility, duplicates, the review climbing
the tree, vote thresholds and quotas, the working-day notice, objections and finalizing."""

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import CommitteeMembershipFactory, PersonFactory, UserFactory, grant
from cloudbranch.voting import awards
from cloudbranch.voting.choices import AwardKind, AwardRoundStatus, NominationStatus, ReviewDecision
from cloudbranch.voting.models import Nomination, NominationReview

from .factories import AWARD_DEEDS, award_committee_secretary, award_nominate, award_round

pytestmark = pytest.mark.django_db

MEMBER = AwardKind.EXCELLENT_MEMBER
WORKER = AwardKind.EXCELLENT_WORKER
ORG = AwardKind.ADVANCED_ORG


@pytest.fixture
def setup(world):
    """A university round issued by the org admin; a committee secretary of college A reviews."""
    admin = world.users["admin"]
    return {
        "admin": admin,
        "cs_a": award_committee_secretary(world.college_a),
        "round": award_round(admin, world.root),
    }


def _to_voting(setup, *nominations):
    """Approve ``nominations`` up the tree and open the vote."""
    for n in nominations:
        n.refresh_from_db()
        while n.status == NominationStatus.PENDING:
            reviewer = setup["cs_a"] if n.pending_at.kind == "sub_committee" else setup["admin"]
            awards.nomination_review(actor=reviewer, nomination=n, decision=ReviewDecision.APPROVE)
            n.refresh_from_db()
    r = setup["round"]
    awards.round_advance(actor=setup["admin"], award_round=r, to=AwardRoundStatus.REVIEWING)
    awards.round_advance(actor=setup["admin"], award_round=r, to=AwardRoundStatus.VOTING)
    r.refresh_from_db()
    return r


def _elect(admin, n, **kw):
    data = {"votes_for": 5, "votes_against": 1, "abstentions": 1, "present": 7, "entitled": 9} | kw
    return awards.vote_record(actor=admin, nomination=n, **data)


# --- nominating -------------------------------------------------------------------------------


def test_deadline_is_inclusive(world, setup, monkeypatch):
    r = setup["round"]
    monkeypatch.setattr(awards, "_today", lambda: r.nomination_deadline)
    award_nominate(world.users["secretary1"], r, world.branch_a1, person=world.people["member1"])
    monkeypatch.setattr(awards, "_today", lambda: r.nomination_deadline + datetime.timedelta(days=1))
    with pytest.raises(ConflictError, match="截止"):
        award_nominate(world.users["secretary1"], r, world.branch_a1, person=world.people["a1_other"])
    assert Nomination.objects.count() == 1


def test_round_create_needs_the_issuing_grant(world):
    with pytest.raises(PermissionDenied):
        award_round(world.users["secretary1"], world.branch_a1)
    with pytest.raises(DomainError) as exc:
        award_round(world.users["admin"], world.root, quotas={})
    assert exc.value.errors[0]["field"].startswith("quota_")
    r = award_round(world.users["admin"], world.root)
    assert r.notice_days == 5 and AuditEvent.objects.filter(action="voting.awardround.create").count() == 1


def test_member_eligibility(world, setup):
    r, s1 = setup["round"], world.users["secretary1"]
    prob = PersonFactory(unit=world.branch_a1, political_status="probationary", confirmed_on=None)
    gone = PersonFactory(unit=world.branch_a1, roster_status="left")
    for person in (prob, gone, world.people["a2_person"]):
        with pytest.raises(DomainError, match="正式党员") as exc:
            award_nominate(s1, r, world.branch_a1, person=person)
        assert exc.value.errors[0]["field"] == "person"
    # a member of the group below the branch is in its subtree
    in_group = PersonFactory(unit=world.group_a1)
    assert award_nominate(s1, r, world.branch_a1, person=in_group).status == NominationStatus.PENDING


def test_worker_eligibility(world, setup):
    r, s1 = setup["round"], world.users["secretary1"]
    plain = world.people["a1_other"]
    with pytest.raises(DomainError, match="党务工作者"):
        award_nominate(s1, r, world.branch_a1, person=plain, kind=WORKER)
    seated = PersonFactory(unit=world.branch_a1)
    CommitteeMembershipFactory(unit=world.branch_a1, person=seated)
    ended = PersonFactory(unit=world.branch_a1)
    CommitteeMembershipFactory(unit=world.branch_a1, person=ended, ended_on=datetime.date(2024, 6, 1))
    officer = PersonFactory(unit=world.branch_a1, user=UserFactory())
    grant(officer.user, world.branch_a1, Role.ORGANIZATION_OFFICER)
    assert award_nominate(s1, r, world.branch_a1, person=seated, kind=WORKER)
    assert award_nominate(s1, r, world.branch_a1, person=officer, kind=WORKER)
    with pytest.raises(DomainError):
        award_nominate(s1, r, world.branch_a1, person=ended, kind=WORKER)
    # member1 holds only the member role
    with pytest.raises(DomainError):
        award_nominate(s1, r, world.branch_a1, person=world.people["member1"], kind=WORKER)


def test_unit_eligibility(world, setup):
    r, cs_a = setup["round"], setup["cs_a"]
    assert award_nominate(cs_a, r, world.college_a, nominee_unit=world.branch_a1, kind=ORG)
    for unit in (world.group_a1, world.branch_b1, world.college_a):
        with pytest.raises(DomainError, match="党支部或党总支"):
            award_nominate(cs_a, r, world.college_a, nominee_unit=unit, kind=ORG)
    with pytest.raises(DomainError, match="党组织"):
        award_nominate(cs_a, r, world.college_a, person=world.people["member1"], kind=ORG)


def test_deeds_and_kind_and_scope(world, setup):
    r, s1 = setup["round"], world.users["secretary1"]
    with pytest.raises(DomainError, match="不少于 50 字") as exc:
        awards.nomination_create(
            actor=s1,
            award_round=r,
            nominating_unit=world.branch_a1,
            kind=MEMBER,
            person=world.people["member1"],
            deeds="事迹" * 24 + "  ",
        )
    assert exc.value.errors[0]["field"] == "deeds"
    only_members = award_round(setup["admin"], world.root, kinds=[MEMBER], quotas={MEMBER: 1})
    with pytest.raises(DomainError, match="不含该表彰类别"):
        award_nominate(s1, only_members, world.branch_a1, nominee_unit=world.branch_a1, kind=ORG)
    # a branch secretary cannot nominate in another branch's name
    with pytest.raises(PermissionDenied):
        award_nominate(s1, r, world.branch_a2, person=world.people["a2_person"])


def test_duplicate_is_a_conflict(world, setup):
    r = setup["round"]
    award_nominate(world.users["secretary1"], r, world.branch_a1, person=world.people["member1"])
    with pytest.raises(ConflictError) as exc:
        award_nominate(setup["cs_a"], r, world.college_a, person=world.people["member1"])
    assert exc.value.status == 409
    # the same person for another kind is allowed (if eligible), and for the same kind in another round
    other = award_round(setup["admin"], world.root)
    award_nominate(world.users["secretary1"], other, world.branch_a1, person=world.people["member1"])


def test_nominating_unit_is_issuing_unit_starts_approved(world, setup):
    n = award_nominate(setup["admin"], setup["round"], world.root, person=world.people["b1_person"])
    assert n.status == NominationStatus.APPROVED and n.pending_at is None


# --- review -----------------------------------------------------------------------------------


def test_review_climbs_two_levels(world, setup):
    s1, cs_a, admin = world.users["secretary1"], setup["cs_a"], setup["admin"]
    n = award_nominate(s1, setup["round"], world.branch_a1, person=world.people["member1"])
    assert n.pending_at == world.college_a
    # the nominating branch and the root cannot review at the college level... the root can (above)
    with pytest.raises(PermissionDenied):
        awards.nomination_review(actor=s1, nomination=n, decision=ReviewDecision.APPROVE)
    with pytest.raises(PermissionDenied):
        awards.nomination_review(
            actor=award_committee_secretary(world.college_b), nomination=n, decision=ReviewDecision.APPROVE
        )
    awards.nomination_review(actor=cs_a, nomination=n, decision=ReviewDecision.APPROVE, comment="同意上报")
    n.refresh_from_db()
    assert (n.status, n.pending_at) == (NominationStatus.PENDING, world.root)
    # the college cannot review at the root's level
    with pytest.raises(PermissionDenied):
        awards.nomination_review(actor=cs_a, nomination=n, decision=ReviewDecision.APPROVE)
    awards.nomination_review(actor=admin, nomination=n, decision=ReviewDecision.FORWARD)
    n.refresh_from_db()
    assert (n.status, n.pending_at) == (NominationStatus.APPROVED, None)
    reviews = list(NominationReview.objects.filter(nomination=n).values_list("unit", "decision"))
    assert reviews == [(world.college_a.pk, ReviewDecision.FORWARD), (world.root.pk, ReviewDecision.APPROVE)]
    assert AuditEvent.objects.filter(action="voting.nomination.review", target_id=str(n.pk)).count() == 2
    notes = Notification.objects.filter(recipient=s1, category="democracy")
    assert notes.count() == 2 and notes.filter(title__contains="提交表决").exists()
    with pytest.raises(ConflictError):
        awards.nomination_review(actor=admin, nomination=n, decision=ReviewDecision.APPROVE)


def test_reject_needs_a_reason(world, setup):
    n = award_nominate(world.users["secretary1"], setup["round"], world.branch_a1, person=world.people["member1"])
    with pytest.raises(DomainError) as exc:
        awards.nomination_review(actor=setup["cs_a"], nomination=n, decision=ReviewDecision.REJECT, comment=" ")
    assert exc.value.errors[0]["field"] == "comment"
    assert not NominationReview.objects.exists()
    awards.nomination_review(actor=setup["cs_a"], nomination=n, decision=ReviewDecision.REJECT, comment="事迹不突出")
    n.refresh_from_db()
    assert (n.status, n.pending_at) == (NominationStatus.REJECTED, None)
    assert Notification.objects.filter(recipient=world.users["secretary1"], title__contains="未通过").exists()


def test_withdraw_only_before_review(world, setup):
    s1 = world.users["secretary1"]
    n = award_nominate(s1, setup["round"], world.branch_a1, person=world.people["member1"])
    with pytest.raises(PermissionDenied):
        awards.nomination_withdraw(actor=world.users["secretary2"], nomination=n)
    awards.nomination_withdraw(actor=s1, nomination=n)
    n.refresh_from_db()
    assert n.status == NominationStatus.WITHDRAWN
    m = award_nominate(s1, setup["round"], world.branch_a1, person=world.people["a1_other"])
    awards.nomination_review(actor=setup["cs_a"], nomination=m, decision=ReviewDecision.APPROVE)
    with pytest.raises(ConflictError):
        awards.nomination_withdraw(actor=s1, nomination=m)


def test_voting_waits_for_pending_reviews(world, setup):
    award_nominate(world.users["secretary1"], setup["round"], world.branch_a1, person=world.people["member1"])
    r = setup["round"]
    awards.round_advance(actor=setup["admin"], award_round=r, to=AwardRoundStatus.REVIEWING)
    with pytest.raises(ConflictError, match="尚未审核"):
        awards.round_advance(actor=setup["admin"], award_round=r, to=AwardRoundStatus.VOTING)
    with pytest.raises(ConflictError):
        awards.round_advance(actor=setup["admin"], award_round=r, to=AwardRoundStatus.FINAL)


# --- vote -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("votes_for", "present", "entitled", "elected"),
    [
        (5, 9, 9, True),
        (4, 9, 9, False),  # 4 of 9 entitled is not more than half
        (3, 6, 6, False),  # exactly half fails
        (4, 6, 6, True),
        (4, 4, 7, True),  # 4 of 7 present is more than half
        (3, 3, 6, False),  # half present is not enough
    ],
)
def test_vote_threshold(votes_for, present, entitled, elected):
    assert awards.vote_passes(votes_for=votes_for, present=present, entitled=entitled) is elected


def test_vote_records_and_quota(world, setup):
    admin, r = setup["admin"], setup["round"]
    ns = [award_nominate(admin, r, world.root, person=PersonFactory(unit=world.branch_b1)) for _ in range(3)]
    with pytest.raises(ConflictError, match="表决阶段"):
        _elect(admin, ns[0])
    _to_voting(setup)
    with pytest.raises(PermissionDenied):
        _elect(setup["cs_a"], ns[0])
    with pytest.raises(DomainError, match="实到"):
        _elect(admin, ns[0], present=10)
    with pytest.raises(DomainError, match="之和"):
        _elect(admin, ns[0], votes_for=6, votes_against=2)
    assert _elect(admin, ns[0]).status == NominationStatus.ELECTED
    assert _elect(admin, ns[1], votes_for=4).status == NominationStatus.NOT_ELECTED
    assert _elect(admin, ns[1]).status == NominationStatus.ELECTED  # corrected while voting
    with pytest.raises(ConflictError, match="名额为 2 名，已有 2 名"):
        _elect(admin, ns[2])
    assert _elect(admin, ns[2], votes_for=2).status == NominationStatus.NOT_ELECTED
    # re-recording an elected one does not count itself against the quota
    assert _elect(admin, ns[0], votes_for=6, abstentions=0).status == NominationStatus.ELECTED
    assert AuditEvent.objects.filter(action="voting.nomination.vote").count() == 5


# --- notice ------------------------------------------------------------------------------------


def test_workdays_end_over_weekend_and_holiday(db):
    calendar_day = apps.get_model("development", "CalendarDay")
    thu = datetime.date(2031, 1, 2)  # a Thursday
    assert thu.weekday() == 3
    assert awards.workdays_end(thu, 5) == datetime.date(2031, 1, 8)  # Thu Fri | Mon Tue Wed
    calendar_day.objects.create(date=datetime.date(2031, 1, 6), is_workday=False, note="假日")  # Monday off
    assert awards.workdays_end(thu, 5) == datetime.date(2031, 1, 9)
    calendar_day.objects.create(date=datetime.date(2031, 1, 4), is_workday=True, note="调休")  # Saturday on
    assert awards.workdays_end(thu, 5) == datetime.date(2031, 1, 8)
    sat = datetime.date(2031, 1, 11)
    assert awards.workdays_end(sat, 1) == datetime.date(2031, 1, 13)  # a weekend start does not count


def _noticed(world, setup, monkeypatch, start=datetime.date(2031, 1, 2)):
    admin, r = setup["admin"], setup["round"]
    monkeypatch.setattr(awards, "_today", lambda: r.nomination_deadline)
    n = award_nominate(world.users["secretary1"], r, world.branch_a1, person=world.people["member1"])
    _to_voting(setup, n)
    _elect(admin, n)
    monkeypatch.setattr(awards, "_today", lambda: start)
    awards.notice_start(actor=admin, award_round=r, starts_on=start)
    r.refresh_from_db()
    n.refresh_from_db()
    return r, n


def test_notice_needs_every_vote(world, setup):
    admin, r = setup["admin"], setup["round"]
    n = award_nominate(admin, r, world.root, person=world.people["b1_person"])
    _to_voting(setup)
    with pytest.raises(ConflictError, match="尚未表决"):
        awards.notice_start(actor=admin, award_round=r)
    _elect(admin, n, votes_for=1)
    with pytest.raises(ConflictError, match="没有表决通过"):
        awards.notice_start(actor=admin, award_round=r)


def test_notice_period_in_working_days(world, setup, monkeypatch):
    apps.get_model("development", "CalendarDay").objects.create(date=datetime.date(2031, 1, 6), is_workday=False)
    r, _n = _noticed(world, setup, monkeypatch)
    assert r.status == AwardRoundStatus.NOTICE
    assert (r.notice_starts_on, r.notice_ends_on) == (datetime.date(2031, 1, 2), datetime.date(2031, 1, 9))


def test_objection_upheld_revokes(world, setup, monkeypatch):
    r, n = _noticed(world, setup, monkeypatch)
    member = world.users["member1"]
    with pytest.raises(DomainError, match="不少于"):
        awards.objection_raise(actor=member, nomination=n, text="不同意")
    obj = awards.objection_raise(actor=member, nomination=n, text="该同志本年度有违反纪律的情况，请核查。")
    # someone outside the round's subtree... the round is the root's: everyone is inside; a duty
    # holder without a person record is not
    from django.http import Http404

    with pytest.raises(Http404):
        awards.objection_raise(actor=world.users["auditor"], nomination=n, text="外部人员的反映内容很长很长")
    with pytest.raises(PermissionDenied):
        awards.objection_handle(actor=world.users["secretary1"], objection=obj, finding="x", upheld=True)
    with pytest.raises(DomainError):
        awards.objection_handle(actor=setup["admin"], objection=obj, finding="", upheld=True)
    awards.objection_handle(actor=setup["admin"], objection=obj, finding="经核查属实。", upheld=True)
    n.refresh_from_db()
    assert n.status == NominationStatus.REVOKED
    with pytest.raises(ConflictError):
        awards.objection_handle(actor=setup["admin"], objection=obj, finding="again", upheld=False)
    assert AuditEvent.objects.filter(action="voting.nomination.revoke").count() == 1


def test_objection_only_during_the_notice(world, setup, monkeypatch):
    r, n = _noticed(world, setup, monkeypatch)
    text = "公示期外提出的反映，内容足够长。"
    monkeypatch.setattr(awards, "_today", lambda: r.notice_ends_on)
    assert awards.objection_raise(actor=world.users["member1"], nomination=n, text=text)
    monkeypatch.setattr(awards, "_today", lambda: r.notice_ends_on + datetime.timedelta(days=1))
    with pytest.raises(ConflictError, match="公示期"):
        awards.objection_raise(actor=world.users["member1"], nomination=n, text=text)


def test_finalize_not_before_the_notice_ends(world, setup, monkeypatch):
    r, n = _noticed(world, setup, monkeypatch)
    admin = setup["admin"]
    assert r.notice_ends_on == datetime.date(2031, 1, 8)
    monkeypatch.setattr(awards, "_today", lambda: r.notice_ends_on)
    with pytest.raises(ConflictError, match="期满后"):
        awards.round_finalize(actor=admin, award_round=r)
    obj = awards.objection_raise(actor=world.users["member1"], nomination=n, text="反映一个需要核查的情况。")
    monkeypatch.setattr(awards, "_today", lambda: r.notice_ends_on + datetime.timedelta(days=1))
    with pytest.raises(ConflictError, match="尚未办结"):
        awards.round_finalize(actor=admin, award_round=r)
    awards.objection_handle(actor=admin, objection=obj, finding="经核查不属实。", upheld=False)
    with pytest.raises(PermissionDenied):
        awards.round_finalize(actor=setup["cs_a"], award_round=r)
    awards.round_finalize(actor=admin, award_round=r)
    r.refresh_from_db()
    n.refresh_from_db()
    assert (r.status, n.status) == (AwardRoundStatus.FINAL, NominationStatus.AWARDED)
    assert Notification.objects.filter(recipient=world.users["member1"], title__contains="授予").count() == 1


def test_deeds_fixture_is_long_enough():
    assert len(AWARD_DEEDS) >= awards.MIN_DEEDS
