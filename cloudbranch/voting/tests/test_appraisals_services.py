"""民主评议党员: services — opening, stages, ratings, the 优秀 cap, 不合格 handling, reminders."""

import datetime

import pytest
from django.http import Http404
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant
from cloudbranch.voting import appraisals
from cloudbranch.voting.choices import AppraisalStatus, Grade, UnqualifiedHandling
from cloudbranch.voting.models import AppraisalEntry, AppraisalRating
from cloudbranch.voting.selectors_appraisals import appraisal_history, my_results, participation

from .factories import appraisal_members, appraisal_open, appraisal_to

S = AppraisalStatus


def _entry(appraisal, person):
    return AppraisalEntry.objects.get(appraisal=appraisal, person=person)


# --- the cap -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("graded", "cap"), [(0, 0), (1, 0), (2, 0), (3, 1), (7, 2), (9, 3), (10, 3), (200, 66)])
def test_cap_examples(graded, cap):
    assert appraisals.excellent_cap(graded) == cap


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=200))
def test_cap_is_one_third_rounded_down(graded):
    cap = appraisals.excellent_cap(graded, 1, 3)
    assert 3 * cap <= graded < 3 * (cap + 1)  # the largest whole number not above graded / 3


# --- opening ---------------------------------------------------------------------------------------


def test_open_creates_entries_for_subtree_members_probationary_not_graded(world):
    group_person = PersonFactory(unit=world.group_a1, name="小组党员")
    prob = PersonFactory(unit=world.branch_a1, name="预备一", political_status="probationary", confirmed_on=None)
    PersonFactory(unit=world.branch_a1, name="积极分子", political_status="activist", joined_on=None, confirmed_on=None)
    PersonFactory(unit=world.branch_a1, name="已转出", roster_status="transferred_out")
    a = appraisal_open(world.users["secretary1"], world.branch_a1)
    entries = {e.person.name: e.graded for e in a.entries.select_related("person")}
    assert entries == {"党员一": True, "张一": True, group_person.name: True, prob.name: False}
    assert a.status == S.SELF_ASSESSMENT
    assert AuditEvent.objects.filter(action="voting.appraisal.create").count() == 1


def test_one_per_unit_and_year(world):
    appraisal_open(world.users["secretary1"], world.branch_a1)
    with pytest.raises(ConflictError):
        appraisal_open(world.users["secretary1"], world.branch_a1)
    appraisal_open(world.users["secretary1"], world.branch_a1, year=timezone.localdate().year - 1)


def test_open_permissions(world):
    with pytest.raises(Http404):  # sibling branch
        appraisal_open(world.users["secretary2"], world.branch_a1)
    with pytest.raises(Http404):  # a member holds no grant
        appraisal_open(world.users["member1"], world.branch_a1)
    with pytest.raises(DomainError):  # not a branch
        appraisal_open(world.users["admin"], world.college_a)
    # Committee secretary of the college sees a1 and may run it.
    college = UserFactory()
    grant(college, world.college_a, Role.COMMITTEE_SECRETARY)
    assert appraisal_open(college, world.branch_a1).unit == world.branch_a1


# --- stages ----------------------------------------------------------------------------------------


def test_each_transition_and_illegal_ones(world):
    sec = world.users["secretary1"]
    a = appraisal_open(sec, world.branch_a1)
    with pytest.raises(ConflictError):  # skipping
        appraisals.appraisal_advance(actor=sec, appraisal_id=a.pk, to=S.PROPOSAL)
    with pytest.raises(ConflictError):  # closing early
        appraisals.appraisal_close(actor=sec, appraisal_id=a.pk)
    appraisals.appraisal_advance(actor=sec, appraisal_id=a.pk, to=S.RATING)
    with pytest.raises(ConflictError):  # back
        appraisals.appraisal_advance(actor=sec, appraisal_id=a.pk, to=S.SELF_ASSESSMENT)
    with pytest.raises(ConflictError):  # twice
        appraisals.appraisal_open_rating(actor=sec, appraisal_id=a.pk)
    appraisals.appraisal_open_proposal(actor=sec, appraisal_id=a.pk)
    with pytest.raises(ConflictError):  # the decision needs its grades
        appraisals.appraisal_advance(actor=sec, appraisal_id=a.pk, to=S.DECIDED)
    appraisal_to(sec, a, S.DECIDED)
    assert a.meeting_on == timezone.localdate()
    appraisals.appraisal_advance(actor=sec, appraisal_id=a.pk, to=S.CLOSED)
    a.refresh_from_db()
    assert a.status == S.CLOSED
    for to in S.values:
        with pytest.raises(ConflictError):
            appraisals.appraisal_advance(actor=sec, appraisal_id=a.pk, to=to)
    moves = AuditEvent.objects.filter(action="voting.appraisal.advance").values_list("changes", flat=True)
    assert [c["status"][1] for c in moves.order_by("id")] == [S.RATING, S.PROPOSAL, S.DECIDED, S.CLOSED]


def test_transitions_scoped(world):
    a = appraisal_open(world.users["secretary1"], world.branch_a1)
    with pytest.raises(Http404):
        appraisals.appraisal_open_rating(actor=world.users["secretary2"], appraisal_id=a.pk)
    with pytest.raises(Http404):
        appraisals.appraisal_open_rating(actor=world.users["member1"], appraisal_id=a.pk)
    viewer = UserFactory()
    grant(viewer, world.branch_a1, Role.MEMBER)
    with pytest.raises(Http404):
        appraisals.access_appraisal(viewer, a.pk)


# --- self-assessment ---------------------------------------------------------------------------


def test_self_assessment_editable_until_stage_ends(world):
    sec, m1 = world.users["secretary1"], world.users["member1"]
    a = appraisal_open(sec, world.branch_a1)
    e = appraisals.self_assessment_save(actor=m1, appraisal_id=a.pk, text="草稿", submit=False)
    assert e.self_submitted_at is None
    e = appraisals.self_assessment_save(actor=m1, appraisal_id=a.pk, text="我的总结")
    assert e.self_submitted_at is not None
    e = appraisals.self_assessment_save(actor=m1, appraisal_id=a.pk, text="我的总结（修改）")
    assert e.self_assessment == "我的总结（修改）"
    with pytest.raises(DomainError):
        appraisals.self_assessment_save(actor=m1, appraisal_id=a.pk, text="  ")
    appraisal_to(sec, a, S.RATING)
    with pytest.raises(ConflictError):
        appraisals.self_assessment_save(actor=m1, appraisal_id=a.pk, text="太晚了")
    with pytest.raises(Http404):  # not a participant
        appraisals.self_assessment_save(actor=world.users["secretary2"], appraisal_id=a.pk, text="x")


# --- ratings ---------------------------------------------------------------------------------------


def test_rating_once_per_pair_changeable_within_stage(world):
    sec, m1 = world.users["secretary1"], world.users["member1"]
    prob = PersonFactory(unit=world.branch_a1, political_status="probationary", confirmed_on=None)
    a = appraisal_open(sec, world.branch_a1)
    other = _entry(a, world.people["a1_other"])
    with pytest.raises(ConflictError):  # outside the rating stage
        appraisals.rating_cast(actor=m1, appraisal_id=a.pk, entry_id=other.pk, grade=Grade.EXCELLENT)
    appraisal_to(sec, a, S.RATING)
    appraisals.rating_cast(actor=m1, appraisal_id=a.pk, entry_id=other.pk, grade=Grade.EXCELLENT)
    appraisals.rating_cast(actor=m1, appraisal_id=a.pk, entry_id=other.pk, grade=Grade.BASIC)
    ratings = AppraisalRating.objects.filter(entry=other)
    assert [(r.rater_id, r.grade) for r in ratings] == [(world.people["member1"].pk, Grade.BASIC)]
    with pytest.raises(DomainError, match="自己"):
        appraisals.rating_cast(
            actor=m1, appraisal_id=a.pk, entry_id=_entry(a, world.people["member1"]).pk, grade=Grade.QUALIFIED
        )
    with pytest.raises(DomainError, match="预备党员"):
        appraisals.rating_cast(actor=m1, appraisal_id=a.pk, entry_id=_entry(a, prob).pk, grade=Grade.QUALIFIED)
    with pytest.raises(DomainError):
        appraisals.rating_cast(actor=m1, appraisal_id=a.pk, entry_id=other.pk, grade="great")
    with pytest.raises(Http404):  # an outsider cannot rate
        appraisals.rating_cast(actor=world.users["secretary1"], appraisal_id=a.pk, entry_id=other.pk, grade="basic")
    # The audit row says that someone rated, not whom nor how.
    event = AuditEvent.objects.filter(action="voting.appraisal.rate").latest("id")
    assert event.changes == {"changed": True}
    assert event.target_id == str(a.pk) and "appraisal" in event.target_type.lower()
    appraisal_to(sec, a, S.PROPOSAL)
    with pytest.raises(ConflictError):
        appraisals.rating_cast(actor=m1, appraisal_id=a.pk, entry_id=other.pk, grade=Grade.QUALIFIED)


def test_probationary_member_rates_but_is_not_graded(world):
    sec = world.users["secretary1"]
    prob_user = UserFactory()
    prob = PersonFactory(unit=world.branch_a1, political_status="probationary", confirmed_on=None, user=prob_user)
    a = appraisal_open(sec, world.branch_a1)
    appraisal_to(sec, a, S.RATING)
    appraisals.rating_cast(
        actor=prob_user, appraisal_id=a.pk, entry_id=_entry(a, world.people["a1_other"]).pk, grade=Grade.QUALIFIED
    )
    appraisal_to(sec, a, S.PROPOSAL)
    with pytest.raises(DomainError, match="预备党员"):
        appraisals.appraisal_propose(actor=sec, appraisal_id=a.pk, items={_entry(a, prob).pk: ("qualified", "")})
    stats = participation(a)
    assert (stats.participants, stats.graded, stats.raters) == (3, 2, 1)


# --- proposal and decision: the cap ---------------------------------------------------------------


def test_cap_enforced_on_proposal_and_decision(world):
    sec = world.users["secretary1"]
    appraisal_members(world.branch_a1, 5, probationary=2)  # + member1, a1_other = 7 graded
    a = appraisal_open(sec, world.branch_a1)
    appraisal_to(sec, a, S.PROPOSAL)
    ids = list(AppraisalEntry.objects.filter(appraisal=a, graded=True).values_list("pk", flat=True))
    assert len(ids) == 7
    three = {pk: (Grade.EXCELLENT if i < 3 else Grade.QUALIFIED, "") for i, pk in enumerate(ids)}
    with pytest.raises(DomainError) as exc:
        appraisals.appraisal_propose(actor=sec, appraisal_id=a.pk, items=three)
    assert exc.value.message == "优秀 最多 2 人（参评正式党员 7 人的三分之一），当前 3 人"
    assert not AppraisalEntry.objects.filter(appraisal=a).exclude(proposed_grade="").exists()
    missing = {pk: (Grade.QUALIFIED, "") for pk in ids[1:]}
    with pytest.raises(DomainError, match="还有 1 名"):
        appraisals.appraisal_propose(actor=sec, appraisal_id=a.pk, items=missing)
    two = {pk: (Grade.EXCELLENT if i < 2 else Grade.QUALIFIED, "表现突出" if i < 2 else "") for i, pk in enumerate(ids)}
    appraisals.appraisal_propose(actor=sec, appraisal_id=a.pk, items=two)
    assert AppraisalEntry.objects.filter(appraisal=a, proposed_grade=Grade.EXCELLENT).count() == 2
    with pytest.raises(DomainError, match="当前 3 人"):
        appraisals.appraisal_decide(
            actor=sec,
            appraisal_id=a.pk,
            meeting_on=timezone.localdate(),
            grades={pk: g for pk, (g, _) in three.items()},
        )
    a.refresh_from_db()
    assert a.status == S.PROPOSAL
    appraisals.appraisal_decide(
        actor=sec, appraisal_id=a.pk, meeting_on=timezone.localdate(), grades={pk: g for pk, (g, _) in two.items()}
    )
    a.refresh_from_db()
    assert a.status == S.DECIDED


def test_two_graded_members_get_no_excellent(world):
    sec = world.users["secretary1"]
    a = appraisal_open(sec, world.branch_a1)
    appraisal_to(sec, a, S.PROPOSAL)
    ids = list(AppraisalEntry.objects.filter(appraisal=a, graded=True).values_list("pk", flat=True))
    with pytest.raises(DomainError, match="优秀 最多 0 人（参评正式党员 2 人的三分之一），当前 1 人"):
        appraisals.appraisal_propose(
            actor=sec, appraisal_id=a.pk, items={ids[0]: ("excellent", ""), ids[1]: ("qualified", "")}
        )


def test_decision_needs_every_graded_member_and_a_date(world):
    sec = world.users["secretary1"]
    a = appraisal_open(sec, world.branch_a1)
    appraisal_to(sec, a, S.PROPOSAL)
    first = _entry(a, world.people["member1"])
    with pytest.raises(DomainError, match="未确定"):
        appraisals.appraisal_decide(
            actor=sec, appraisal_id=a.pk, meeting_on=timezone.localdate(), grades={first.pk: "qualified"}
        )
    with pytest.raises(DomainError):
        appraisals.appraisal_decide(actor=sec, appraisal_id=a.pk, meeting_on=None, grades={})
    with pytest.raises(DomainError):
        appraisals.appraisal_decide(
            actor=sec, appraisal_id=a.pk, meeting_on=timezone.localdate() + datetime.timedelta(days=1), grades={}
        )


# --- 不合格 handling, closing, results --------------------------------------------------------------


def _decided_with_unqualified(world):
    sec = world.users["secretary1"]
    a = appraisal_open(sec, world.branch_a1)
    appraisal_to(sec, a, S.PROPOSAL)
    bad = _entry(a, world.people["a1_other"])
    good = _entry(a, world.people["member1"])
    appraisals.appraisal_decide(
        actor=sec,
        appraisal_id=a.pk,
        meeting_on=timezone.localdate(),
        grades={bad.pk: Grade.UNQUALIFIED, good.pk: Grade.QUALIFIED},
    )
    return a, bad, good


def test_handling_required_before_close(world):
    sec = world.users["secretary1"]
    a, bad, good = _decided_with_unqualified(world)
    with pytest.raises(ConflictError, match="张一"):
        appraisals.appraisal_close(actor=sec, appraisal_id=a.pk)
    with pytest.raises(ConflictError):  # only for 不合格
        appraisals.entry_handling_record(
            actor=sec, entry_id=good.pk, handling="correct", note="x", deadline=timezone.localdate()
        )
    with pytest.raises(DomainError, match="改正期限"):  # 限期改正 needs a deadline
        appraisals.entry_handling_record(actor=sec, entry_id=bad.pk, handling=UnqualifiedHandling.CORRECT, note="谈话")
    with pytest.raises(DomainError, match="一年"):
        appraisals.entry_handling_record(
            actor=sec,
            entry_id=bad.pk,
            handling=UnqualifiedHandling.CORRECT,
            note="谈话",
            deadline=timezone.localdate() + datetime.timedelta(days=400),
        )
    with pytest.raises(DomainError, match="处置情况"):
        appraisals.entry_handling_record(actor=sec, entry_id=bad.pk, handling=UnqualifiedHandling.PERSUADE, note="")
    with pytest.raises(Http404):
        appraisals.entry_handling_record(
            actor=world.users["secretary2"], entry_id=bad.pk, handling=UnqualifiedHandling.PERSUADE, note="x"
        )
    deadline = timezone.localdate() + datetime.timedelta(days=180)
    appraisals.entry_handling_record(
        actor=sec, entry_id=bad.pk, handling=UnqualifiedHandling.CORRECT, note="限期半年改正", deadline=deadline
    )
    bad.refresh_from_db()
    assert (bad.handling, bad.handling_deadline) == (UnqualifiedHandling.CORRECT, deadline)
    appraisals.appraisal_close(actor=sec, appraisal_id=a.pk)
    a.refresh_from_db()
    assert a.status == S.CLOSED


def test_regrading_drops_handling(world):
    sec = world.users["secretary1"]
    a, bad, good = _decided_with_unqualified(world)
    appraisals.entry_handling_record(actor=sec, entry_id=bad.pk, handling="persuade", note="劝退")
    appraisals.appraisal_decide(
        actor=sec,
        appraisal_id=a.pk,
        meeting_on=timezone.localdate(),
        grades={bad.pk: Grade.BASIC, good.pk: Grade.QUALIFIED},
    )
    bad.refresh_from_db()
    assert (bad.final_grade, bad.handling) == (Grade.BASIC, "")


def test_results_kept_per_member(world):
    sec, m1 = world.users["secretary1"], world.users["member1"]
    last = appraisal_open(sec, world.branch_a1, year=timezone.localdate().year - 1)
    appraisal_to(sec, last, S.CLOSED)
    current = appraisal_open(sec, world.branch_a1)
    appraisal_to(sec, current, S.DECIDED)
    assert [e.appraisal.year for e in my_results(m1)] == [timezone.localdate().year - 1]  # decided, not yet closed
    appraisal_to(sec, current, S.CLOSED)
    results = list(my_results(m1))
    assert [(e.appraisal.year, e.final_grade) for e in results] == [
        (timezone.localdate().year, Grade.QUALIFIED),
        (timezone.localdate().year - 1, Grade.QUALIFIED),
    ]
    assert len(appraisal_history(world.people["member1"])) == 2
    assert list(my_results(world.users["secretary2"])) == []


# --- reminders -------------------------------------------------------------------------------------


def test_remind_pending_members_on_commit(world, django_capture_on_commit_callbacks):
    sec = world.users["secretary1"]
    other_user = UserFactory()
    other = world.people["a1_other"]
    other.user = other_user
    other.save()
    a = appraisal_open(sec, world.branch_a1)
    appraisals.self_assessment_save(actor=world.users["member1"], appraisal_id=a.pk, text="总结")
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks() as callbacks:
        n = appraisals.appraisal_remind(actor=sec, appraisal_id=a.pk)
    assert n == 1
    assert not Notification.objects.exists()  # nothing before the commit
    for callback in callbacks:
        callback()
    assert list(Notification.objects.values_list("recipient_id", "category")) == [(other_user.pk, "democracy")]
    appraisal_to(sec, a, S.RATING)
    appraisals.rating_cast(
        actor=other_user, appraisal_id=a.pk, entry_id=_entry(a, world.people["member1"]).pk, grade="qualified"
    )
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert appraisals.appraisal_remind(actor=sec, appraisal_id=a.pk) == 1
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [world.users["member1"].pk]
    appraisal_to(sec, a, S.PROPOSAL)
    with pytest.raises(ConflictError):
        appraisals.appraisal_remind(actor=sec, appraisal_id=a.pk)
    with pytest.raises(Http404):
        appraisals.appraisal_remind(actor=world.users["secretary2"], appraisal_id=a.pk)
