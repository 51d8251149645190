"""Internal transfers: state machine, both sides' approvals, the committee level when a
transfer leaves a committee, completion moving the person, scope (404/403)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.development import transfers as svc
from cloudbranch.development.choices import TransferSide, TransferStatus
from cloudbranch.development.models import Transfer, TransferApproval
from cloudbranch.development.tests.factories import transfer_roles
from cloudbranch.notifications.models import Notification
from cloudbranch.people.choices import PersonEventKind
from cloudbranch.people.models import PersonEvent
from cloudbranch.testing.factories import PersonFactory


@pytest.fixture
def roles(world):
    return transfer_roles(world)


def internal(world, person=None, to="CA02", actor=None):
    return svc.transfer_create_internal(
        actor=actor or world.users["secretary1"],
        person_id=(person or world.people["a1_other"]).pk,
        to_unit=to,
        reason="工作调动",
    )


def approve(user, t, comment=""):
    return svc.transfer_decide(actor=user, transfer_id=t.pk, decision="approved", comment=comment)


def test_within_committee_needs_only_both_branches(world, roles):
    t = internal(world)
    assert t.status == TransferStatus.PENDING_OUT
    levels = svc.required_levels(Transfer.objects.select_related("from_unit", "to_unit").get(pk=t.pk))
    assert [(lv.side, lv.unit.code) for lv in levels] == [("sending", "CA01"), ("receiving", "CA02")]
    # The receiving secretary cannot approve for the sending side.
    with pytest.raises(PermissionDenied):
        approve(world.users["secretary2"], t)
    t = approve(world.users["secretary1"], t)
    assert t.status == TransferStatus.PENDING_IN
    with pytest.raises(PermissionDenied):
        approve(world.users["secretary1"], t)
    t = approve(world.users["secretary2"], t, "欢迎")
    assert t.status == TransferStatus.COMPLETED
    person = world.people["a1_other"]
    person.refresh_from_db()
    assert person.unit_id == world.branch_a2.pk
    event = PersonEvent.objects.get(person=person, kind=PersonEventKind.UNIT)
    assert event.details["reason"] == "组织关系转接：工作调动"
    assert event.details["transfer"] == t.pk
    assert event.effective_on == t.completed_on
    assert list(TransferApproval.objects.filter(transfer=t).values_list("side", "unit__code", "decision")) == [
        ("sending", "CA01", "approved"),
        ("receiving", "CA02", "approved"),
    ]


def test_leaving_a_committee_needs_both_committees(world, roles):
    t = internal(world, to="CB01")
    levels = svc.required_levels(Transfer.objects.select_related("from_unit", "to_unit").get(pk=t.pk))
    assert [(lv.side, lv.unit.code, lv.is_committee) for lv in levels] == [
        ("sending", "CA01", False),
        ("sending", "CA", True),
        ("receiving", "CB01", False),
        ("receiving", "CB", True),
    ]
    t = approve(world.users["secretary1"], t)
    assert t.status == TransferStatus.PENDING_OUT  # the committee level is still to come
    # A branch secretary's grant does not cover the committee level.
    with pytest.raises(PermissionDenied):
        approve(world.users["secretary1"], t)
    t = approve(roles["cs_a"], t)
    assert t.status == TransferStatus.PENDING_IN
    with pytest.raises(Http404):  # a sibling of the sending branch sees nothing
        approve(world.users["secretary2"], t)
    t = approve(roles["sec_b1"], t)
    assert t.status == TransferStatus.PENDING_IN
    with pytest.raises(PermissionDenied):
        approve(roles["sec_b1"], t)
    t = approve(roles["cs_b"], t)
    assert t.status == TransferStatus.COMPLETED
    assert list(TransferApproval.objects.filter(transfer=t).values_list("side", "unit__code")) == [
        (TransferSide.SENDING, "CA01"),
        (TransferSide.SENDING, "CA"),
        (TransferSide.RECEIVING, "CB01"),
        (TransferSide.RECEIVING, "CB"),
    ]
    world.people["a1_other"].refresh_from_db()
    assert world.people["a1_other"].unit_id == world.branch_b1.pk


def test_committee_secretary_may_approve_branch_level_then_committee_level(world, roles):
    t = internal(world, to="CB01")
    t = approve(roles["cs_a"], t)
    assert t.status == TransferStatus.PENDING_OUT
    t = approve(roles["cs_a"], t)
    assert t.status == TransferStatus.PENDING_IN


def test_group_person_approved_by_branch(world, roles):
    person = PersonFactory(unit=world.group_a1)
    t = internal(world, person=person, to="CA02")
    levels = svc.required_levels(Transfer.objects.select_related("from_unit", "to_unit").get(pk=t.pk))
    assert levels[0].unit.pk == world.branch_a1.pk


def test_reject_needs_comment_and_ends_the_transfer(world, roles):
    t = internal(world)
    with pytest.raises(DomainError) as exc:
        svc.transfer_decide(actor=world.users["secretary1"], transfer_id=t.pk, decision="rejected")
    assert exc.value.errors[0]["field"] == "comment"
    t = svc.transfer_decide(actor=world.users["secretary1"], transfer_id=t.pk, decision="rejected", comment="材料不全")
    assert t.status == TransferStatus.REJECTED
    with pytest.raises(ConflictError):
        approve(world.users["secretary1"], t)
    with pytest.raises(ConflictError):
        svc.transfer_cancel(actor=world.users["secretary1"], transfer_id=t.pk)
    # A new request is possible once the old one is closed.
    assert internal(world).status == TransferStatus.PENDING_OUT


def test_reject_on_receiving_side(world, roles):
    t = approve(world.users["secretary1"], internal(world))
    t = svc.transfer_decide(actor=world.users["secretary2"], transfer_id=t.pk, decision="rejected", comment="不接收")
    assert t.status == TransferStatus.REJECTED
    world.people["a1_other"].refresh_from_db()
    assert world.people["a1_other"].unit_id == world.branch_a1.pk


@pytest.mark.parametrize("state", ["pending_out", "pending_in"])
def test_requester_cancels_open_transfer(world, roles, state):
    t = internal(world)
    if state == "pending_in":
        t = approve(world.users["secretary1"], t)
    with pytest.raises(PermissionDenied):  # not the requester
        svc.transfer_cancel(actor=world.users["secretary2"], transfer_id=t.pk)
    t = svc.transfer_cancel(actor=world.users["secretary1"], transfer_id=t.pk, reason="本人放弃")
    assert t.status == TransferStatus.CANCELLED
    for user in (world.users["secretary1"], world.users["secretary2"]):
        with pytest.raises(ConflictError):
            approve(user, t)


def test_completed_transfer_is_final(world, roles):
    t = approve(world.users["secretary2"], approve(world.users["secretary1"], internal(world)))
    assert t.status == TransferStatus.COMPLETED
    with pytest.raises(ConflictError):
        svc.transfer_cancel(actor=world.users["secretary1"], transfer_id=t.pk)
    with pytest.raises(ConflictError):
        approve(world.users["secretary2"], t)
    with pytest.raises(ConflictError):  # receipts are for outgoing letters only
        svc.transfer_record_receipt(actor=world.users["secretary1"], transfer_id=t.pk)


def test_creation_rules(world, roles):
    with pytest.raises(DomainError) as exc:
        internal(world, to="CA01")  # the same unit
    assert exc.value.errors[0]["field"] == "to_unit"
    with pytest.raises(DomainError):
        internal(world, to="CA")  # a committee is not a member unit
    with pytest.raises(DomainError):
        internal(world, to="NOPE")
    masses = PersonFactory(unit=world.branch_a1, political_status="masses", joined_on=None, confirmed_on=None)
    with pytest.raises(DomainError) as exc:
        internal(world, person=masses)
    assert "政治面貌" in exc.value.errors[0]["message"]
    activist = PersonFactory(
        unit=world.branch_a1,
        political_status="activist",
        applied_on="2020-01-01",
        activist_on="2020-06-01",
        joined_on=None,
        confirmed_on=None,
    )
    assert internal(world, person=activist).status == TransferStatus.PENDING_OUT
    internal(world)
    with pytest.raises(DomainError) as exc:
        internal(world)
    assert "未办结" in exc.value.errors[0]["message"]
    # Someone else's person: 404; a member without add_transfer: 403 on their own branch's person.
    with pytest.raises(Http404):
        internal(world, person=world.people["b1_person"])
    with pytest.raises(Http404):
        internal(world, actor=world.users["member1"])


def test_scope_either_side_sees_it_sibling_does_not(world, roles):
    t = internal(world, to="CB01")
    assert svc.access_transfer(roles["sec_b1"], t.pk).pk == t.pk  # receiving side
    assert svc.access_transfer(roles["cs_b"], t.pk).pk == t.pk
    with pytest.raises(Http404):
        svc.access_transfer(world.users["secretary2"], t.pk)  # sibling of the sending branch
    with pytest.raises(Http404):
        svc.access_transfer(world.users["member1"], t.pk)
    with pytest.raises(Http404):
        approve(world.users["secretary2"], t)
    # Visible but not allowed: the receiving side may not cancel or act for the sender.
    with pytest.raises(PermissionDenied):
        svc.access_transfer(roles["sec_b1"], t.pk, "add")
    with pytest.raises(PermissionDenied):
        approve(roles["sec_b1"], t)


def test_sibling_secretary_404_on_transfer_between_two_other_branches(world, roles):
    """a1 → b1 is invisible to a2's secretary, visible to b1's."""
    t = internal(world, to="CB01")
    assert not svc.transfer_list(user=world.users["secretary2"]).filter(pk=t.pk).exists()
    assert svc.transfer_list(user=roles["sec_b1"]).filter(pk=t.pk).exists()


def test_notifications_and_audit(world, roles):
    world.people["a1_other"].user = roles["cs_b"]  # any account, to receive the person's messages
    world.people["a1_other"].save()
    t = internal(world, to="CA02")
    assert Notification.objects.filter(recipient=world.users["secretary1"], title__contains="待审批").exists()
    assert Notification.objects.filter(recipient=roles["cs_b"]).exists()
    approve(world.users["secretary1"], t)
    assert Notification.objects.filter(recipient=world.users["secretary2"], title__contains="待审批").exists()
    # Not every org admin up the tree.
    assert not Notification.objects.filter(recipient=world.users["admin"]).exists()
    actions = list(AuditEvent.objects.filter(target_id=str(t.pk)).values_list("action", flat=True))
    assert actions.count("development.transfer.create") == 1
    assert actions.count("development.transfer.decide") == 1


def test_open_case_follows_the_person(world, roles):
    from cloudbranch.development.models import Case
    from cloudbranch.development.tests.factories import make_case

    case = make_case(actor=world.users["admin"], unit=world.branch_a1, upto="activist")
    person = case.person
    person.political_status = "activist"
    person.applied_on = case.applied_on
    person.activist_on = person.applied_on
    person.save()
    t = internal(world, person=person, to="CA02")
    approve(world.users["secretary2"], approve(world.users["secretary1"], t))
    assert Case.objects.restrict(world.users["secretary2"], "view").filter(pk=case.pk).exists()
    assert not Case.objects.restrict(world.users["secretary1"], "view").filter(pk=case.pk).exists()


def test_awaiting_tab(world, roles):
    inside = internal(world, to="CA02")
    crossing = internal(world, person=PersonFactory(unit=world.branch_a1), to="CB01")

    def mine(user):
        return set(svc.transfer_list(user=user, filters={"tab": "mine"}).values_list("pk", flat=True))

    assert mine(world.users["secretary1"]) == {inside.pk, crossing.pk}
    assert mine(roles["cs_a"]) == {inside.pk, crossing.pk}  # may approve the branch level too
    approve(world.users["secretary1"], crossing)
    assert mine(world.users["secretary1"]) == {inside.pk}
    assert mine(roles["cs_a"]) == {inside.pk, crossing.pk}
    assert mine(roles["sec_b1"]) == set()
    approve(roles["cs_a"], crossing)
    assert mine(roles["sec_b1"]) == {crossing.pk}
    assert mine(roles["cs_b"]) == {crossing.pk}
    approve(roles["sec_b1"], crossing)
    assert mine(roles["sec_b1"]) == set()
    assert mine(roles["cs_b"]) == {crossing.pk}
    assert mine(world.users["member1"]) == set()


def test_member_role_follows_a_completed_transfer(world, roles):
    """member1 reads branch a1's meetings through a member grant; after the transfer to a2 the
    grant is on a2 (a membership role follows the person; managing roles would not)."""
    from cloudbranch.orgs.models import RoleAssignment
    from cloudbranch.orgs.scoping import can

    member = world.people["member1"]
    t = internal(world, person=member)
    approve(world.users["secretary1"], t)
    approve(world.users["secretary2"], t)
    user = world.users["member1"]
    grants = set(RoleAssignment.objects.active().filter(user=user).values_list("unit_id", "role"))
    assert grants == {(world.branch_a2.pk, "member")}
    assert can(user, "meetings.view_meeting", world.branch_a2)
    assert not can(user, "meetings.view_meeting", world.branch_a1)
