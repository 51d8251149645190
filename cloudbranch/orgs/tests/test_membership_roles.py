import pytest

from cloudbranch.audit.models import AuditEvent
from cloudbranch.orgs.models import RoleAssignment
from cloudbranch.orgs.roles import Role
from cloudbranch.orgs.scoping import can
from cloudbranch.orgs.services import membership_roles_follow
from cloudbranch.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def test_member_role_follows_the_person_and_managing_roles_stay(world):
    user = UserFactory()
    grant(user, world.branch_a1, Role.MEMBER)
    grant(user, world.branch_a1, Role.ORGANIZATION_OFFICER)
    moved = membership_roles_follow(
        actor=world.users["admin"], user_id=user.pk, old_unit=world.branch_a1, new_unit=world.branch_b1, reason="转接"
    )
    assert moved == 1
    active = set(RoleAssignment.objects.active().filter(user=user).values_list("unit_id", "role"))
    assert active == {(world.branch_b1.pk, Role.MEMBER), (world.branch_a1.pk, Role.ORGANIZATION_OFFICER)}
    assert can(user, "meetings.view_meeting", world.branch_b1)
    assert AuditEvent.objects.filter(action="orgs.role.follow").count() == 1


def test_member_of_a_group_moves_the_branch_grant_and_leaving_revokes(world):
    user = UserFactory()
    grant(user, world.branch_a1, Role.MEMBER)
    assert (
        membership_roles_follow(
            actor=world.users["admin"], user_id=user.pk, old_unit=world.group_a1, new_unit=None, reason="转出"
        )
        == 1
    )
    assert not RoleAssignment.objects.active().filter(user=user).exists()
