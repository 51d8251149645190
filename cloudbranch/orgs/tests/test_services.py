"""Rules of the tree services: kinds, codes, moves, merges, dissolution, history and audit."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs import services
from cloudbranch.orgs.choices import UnitEventKind, UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit, RoleAssignment, UnitEvent
from cloudbranch.orgs.roles import Role
from cloudbranch.people.models import Person, PersonEvent
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant, make_unit


def assert_tree_consistent():
    units = {u.pk: u for u in OrgUnit.objects.all()}
    for u in units.values():
        if u.parent_id is None:
            assert u.path == f"/{u.pk}/"
            assert u.depth == 0
        else:
            parent = units[u.parent_id]
            assert u.path == f"{parent.path}{u.pk}/", u
            assert u.depth == parent.depth + 1, u


def create(world, actor=None, parent=None, **fields):
    data = {"code": "NEW1", "name": "新支部", "kind": UnitKind.BRANCH}
    data.update(fields)
    return services.unit_create(actor=actor or world.users["admin"], parent_id=(parent or world.college_a).pk, **data)


# --- create ------------------------------------------------------------------------------


def test_create_sets_path_depth_history_and_audit(world):
    unit = create(world, founded_on=datetime.date(2020, 5, 4), term_started_on=datetime.date(2023, 1, 1))
    unit.refresh_from_db()
    assert unit.path == f"{world.college_a.path}{unit.pk}/"
    assert unit.depth == world.college_a.depth + 1
    event = UnitEvent.objects.get(unit=unit)
    assert event.kind == UnitEventKind.CREATED
    assert event.details["code"] == "NEW1"
    assert event.details["founded_on"] == "2020-05-04"
    audit = AuditEvent.objects.get(action="orgs.unit.create", target_id=str(unit.pk))
    assert audit.actor == world.users["admin"]
    assert audit.changes["name"]["new"] == "新支部"


@pytest.mark.parametrize(
    ("parent_attr", "kind", "ok"),
    [
        ("root", UnitKind.SUB_COMMITTEE, True),
        ("root", UnitKind.COMMITTEE, True),
        ("root", UnitKind.GROUP, False),
        ("college_a", UnitKind.BRANCH, True),
        ("college_a", UnitKind.GENERAL_BRANCH, True),
        ("college_a", UnitKind.SUB_COMMITTEE, False),
        ("branch_a1", UnitKind.GROUP, True),
        ("branch_a1", UnitKind.BRANCH, False),
        ("group_a1", UnitKind.GROUP, False),
    ],
)
def test_create_respects_kind_rules(world, parent_attr, kind, ok):
    parent = getattr(world, parent_attr)
    before = OrgUnit.objects.count()
    if ok:
        create(world, parent=parent, kind=kind)
        assert OrgUnit.objects.count() == before + 1
    else:
        with pytest.raises(DomainError) as exc:
            create(world, parent=parent, kind=kind)
        assert exc.value.errors[0]["field"] == "kind"
        assert OrgUnit.objects.count() == before


def test_create_refuses_duplicate_code(world):
    before = OrgUnit.objects.count()
    with pytest.raises(DomainError) as exc:
        create(world, code="CA01")
    assert exc.value.message
    assert [e["field"] for e in exc.value.errors] == ["code"]
    assert OrgUnit.objects.count() == before
    assert not AuditEvent.objects.filter(action="orgs.unit.create").exists()


def test_create_refuses_blank_name(world):
    with pytest.raises(DomainError) as exc:
        create(world, name="  ")
    assert any(e["field"] == "name" for e in exc.value.errors)


def test_create_permissions(world):
    # branch secretary may add a group under his branch, not elsewhere
    create(world, actor=world.users["secretary1"], parent=world.branch_a1, kind=UnitKind.GROUP, code="G9")
    with pytest.raises(Http404):
        create(world, actor=world.users["secretary2"], parent=world.branch_a1, kind=UnitKind.GROUP, code="G8")
    with pytest.raises(PermissionDenied):
        create(world, actor=world.users["member1"], parent=world.branch_a1, kind=UnitKind.GROUP, code="G7")
    with pytest.raises(PermissionDenied):
        services.unit_create(actor=world.users["admin"], parent_id=None, code="R", name="R", kind=UnitKind.COMMITTEE)


def test_create_under_closed_parent_is_a_conflict(world):
    unit = create(world)
    services.unit_dissolve(actor=world.users["admin"], unit_id=unit.pk, reason="test")
    with pytest.raises(ConflictError):
        create(world, parent=unit, kind=UnitKind.GROUP, code="G1")


# --- update ------------------------------------------------------------------------------


def test_update_records_diff_event_and_audit(world):
    services.unit_update(actor=world.users["admin"], unit_id=world.branch_a1.pk, name="改名支部", sort_order=5)
    world.branch_a1.refresh_from_db()
    assert world.branch_a1.name == "改名支部"
    event = UnitEvent.objects.get(unit=world.branch_a1, kind=UnitEventKind.UPDATED)
    assert event.details["name"] == {"old": "计算机本科第一党支部", "new": "改名支部"}
    assert AuditEvent.objects.filter(action="orgs.unit.update", target_id=str(world.branch_a1.pk)).count() == 1


def test_update_term_is_a_term_event_with_dates(world):
    services.unit_update(
        actor=world.users["admin"], unit_id=world.branch_a1.pk, term_started_on=datetime.date(2024, 3, 1)
    )
    event = UnitEvent.objects.get(unit=world.branch_a1)
    assert event.kind == UnitEventKind.TERM
    assert event.details["term_started_on"]["new"] == "2024-03-01"


def test_update_without_changes_writes_nothing(world):
    services.unit_update(actor=world.users["admin"], unit_id=world.branch_a1.pk, name=world.branch_a1.name)
    assert not UnitEvent.objects.exists()
    assert not AuditEvent.objects.filter(action="orgs.unit.update").exists()


def test_update_refuses_duplicate_code_and_bad_kind(world):
    with pytest.raises(DomainError):
        services.unit_update(actor=world.users["admin"], unit_id=world.branch_a1.pk, code="CA02")
    # a branch with a group cannot become a group; a group cannot sit under a college
    with pytest.raises(DomainError):
        services.unit_update(actor=world.users["admin"], unit_id=world.branch_a1.pk, kind=UnitKind.GENERAL_BRANCH)
    world.branch_a1.refresh_from_db()
    assert world.branch_a1.code == "CA01" and world.branch_a1.kind == UnitKind.BRANCH
    with pytest.raises(DomainError):
        services.unit_update(actor=world.users["admin"], unit_id=world.branch_a1.pk, path="/x/")


def test_update_permissions(world):
    with pytest.raises(PermissionDenied):  # branch secretary: add, not change
        services.unit_update(actor=world.users["secretary1"], unit_id=world.branch_a1.pk, name="x")
    with pytest.raises(Http404):
        services.unit_update(actor=world.users["secretary2"], unit_id=world.branch_a1.pk, name="x")


# --- move --------------------------------------------------------------------------------


def test_move_rebases_whole_subtree(world):
    deep = make_unit(parent=world.group_a1.parent, kind=UnitKind.GROUP, code="G2")
    services.unit_move(actor=world.users["admin"], unit_id=world.branch_a1.pk, new_parent_id=world.college_b.pk)
    for u in (world.branch_a1, world.group_a1, deep):
        u.refresh_from_db()
    assert world.branch_a1.parent_id == world.college_b.pk
    assert world.branch_a1.path == f"{world.college_b.path}{world.branch_a1.pk}/"
    assert world.group_a1.path == f"{world.branch_a1.path}{world.group_a1.pk}/"
    assert deep.path.startswith(world.branch_a1.path)
    assert world.group_a1.depth == 3
    assert_tree_consistent()
    event = UnitEvent.objects.get(unit=world.branch_a1, kind=UnitEventKind.MOVED)
    assert event.details == {"parent": {"old": world.college_a.pk, "new": world.college_b.pk}}
    assert AuditEvent.objects.filter(action="orgs.unit.move", target_id=str(world.branch_a1.pk)).exists()


def test_move_to_other_depth_adjusts_depths(world):
    sub = create(world, parent=world.root, kind=UnitKind.COMMITTEE, code="C2")
    mid = create(world, parent=sub, kind=UnitKind.SUB_COMMITTEE, code="C3")
    services.unit_move(actor=world.users["admin"], unit_id=world.college_a.pk, new_parent_id=sub.pk)
    # a sub-committee cannot sit under a sub-committee
    with pytest.raises(DomainError):
        services.unit_move(actor=world.users["admin"], unit_id=world.college_b.pk, new_parent_id=mid.pk)
    world.group_a1.refresh_from_db()
    assert world.group_a1.depth == 4
    assert_tree_consistent()


def test_move_into_own_subtree_is_refused(world):
    with pytest.raises(DomainError):
        services.unit_move(actor=world.users["admin"], unit_id=world.college_a.pk, new_parent_id=world.college_a.pk)
    inner = create(world, parent=world.college_a, kind=UnitKind.GENERAL_BRANCH, code="GB")
    with pytest.raises(DomainError):
        services.unit_move(actor=world.users["admin"], unit_id=world.college_a.pk, new_parent_id=inner.pk)
    assert_tree_consistent()
    assert not UnitEvent.objects.filter(kind=UnitEventKind.MOVED).exists()


def test_move_root_and_closed_units_are_conflicts(world):
    with pytest.raises(ConflictError):
        services.unit_move(actor=world.users["admin"], unit_id=world.root.pk, new_parent_id=world.college_a.pk)


def test_move_needs_change_here_and_add_there(world):
    with pytest.raises(PermissionDenied):
        services.unit_move(actor=world.users["secretary1"], unit_id=world.group_a1.pk, new_parent_id=world.branch_a1.pk)
    with pytest.raises(Http404):
        services.unit_move(actor=world.users["secretary2"], unit_id=world.group_a1.pk, new_parent_id=world.branch_a2.pk)
    boss = UserFactory()
    grant(boss, world.college_a, Role.COMMITTEE_SECRETARY)
    with pytest.raises(Http404):  # target outside his college
        services.unit_move(actor=boss, unit_id=world.branch_a1.pk, new_parent_id=world.college_b.pk)


# --- merge -------------------------------------------------------------------------------


def test_merge_moves_children_people_and_closes_unit(world):
    admin = world.users["admin"]
    people_a1 = set(Person.objects.filter(unit=world.branch_a1).values_list("pk", flat=True))
    assert people_a1
    services.unit_merge(actor=admin, unit_id=world.branch_a1.pk, into_id=world.branch_a2.pk)
    world.branch_a1.refresh_from_db()
    world.group_a1.refresh_from_db()
    assert world.branch_a1.status == UnitStatus.MERGED
    assert world.branch_a1.merged_into_id == world.branch_a2.pk
    assert world.branch_a1.closed_on is not None
    assert world.group_a1.parent_id == world.branch_a2.pk
    assert world.group_a1.path == f"{world.branch_a2.path}{world.group_a1.pk}/"
    assert set(Person.objects.filter(unit=world.branch_a2, pk__in=people_a1).values_list("pk", flat=True)) == people_a1
    assert PersonEvent.objects.filter(person_id__in=people_a1).count() == len(people_a1)
    assert not RoleAssignment.objects.active().filter(unit=world.branch_a1).exists()
    event = UnitEvent.objects.get(unit=world.branch_a1, kind=UnitEventKind.MERGED)
    assert event.details["into"] == world.branch_a2.pk
    assert event.details["children"] == [world.group_a1.pk]
    assert event.details["people_moved"] == len(people_a1)
    assert UnitEvent.objects.filter(unit=world.branch_a2, details__merged_from=world.branch_a1.pk).exists()
    assert AuditEvent.objects.filter(action="orgs.unit.merge", target_id=str(world.branch_a1.pk)).exists()
    assert AuditEvent.objects.filter(action="people.person.update").count() == len(people_a1)
    assert_tree_consistent()


def test_merge_rules(world):
    admin = world.users["admin"]
    with pytest.raises(DomainError):
        services.unit_merge(actor=admin, unit_id=world.branch_a1.pk, into_id=world.branch_a1.pk)
    with pytest.raises(DomainError):  # kinds differ
        services.unit_merge(actor=admin, unit_id=world.branch_a1.pk, into_id=world.college_b.pk)
    with pytest.raises(ConflictError):
        services.unit_merge(actor=admin, unit_id=world.root.pk, into_id=world.college_b.pk)
    services.unit_merge(actor=admin, unit_id=world.branch_a1.pk, into_id=world.branch_a2.pk)
    with pytest.raises(ConflictError):
        services.unit_merge(actor=admin, unit_id=world.branch_a1.pk, into_id=world.branch_b1.pk)
    with pytest.raises(ConflictError):  # a merged unit cannot receive members either
        services.unit_merge(actor=admin, unit_id=world.branch_b1.pk, into_id=world.branch_a1.pk)


# --- dissolve ----------------------------------------------------------------------------


def test_dissolve_refused_while_people_or_children_remain(world):
    admin = world.users["admin"]
    with pytest.raises(ConflictError) as exc:
        services.unit_dissolve(actor=admin, unit_id=world.branch_b1.pk, reason="x")
    assert "在册人员" in exc.value.message
    with pytest.raises(ConflictError) as exc:
        services.unit_dissolve(actor=admin, unit_id=world.college_b.pk, reason="x")
    assert "下级组织" in exc.value.message
    world.branch_b1.refresh_from_db()
    assert world.branch_b1.status == UnitStatus.ACTIVE
    assert not UnitEvent.objects.filter(kind=UnitEventKind.DISSOLVED).exists()


def test_dissolve_empty_unit(world):
    unit = create(world)
    grant(UserFactory(), unit, Role.BRANCH_SECRETARY)
    services.unit_dissolve(
        actor=world.users["admin"], unit_id=unit.pk, dissolved_on=datetime.date(2024, 6, 30), reason="撤并"
    )
    unit.refresh_from_db()
    assert unit.status == UnitStatus.DISSOLVED and unit.closed_on == datetime.date(2024, 6, 30)
    assert not RoleAssignment.objects.active().filter(unit=unit).exists()
    event = UnitEvent.objects.get(unit=unit, kind=UnitEventKind.DISSOLVED)
    assert event.details == {"reason": "撤并", "closed_on": "2024-06-30"}
    assert AuditEvent.objects.filter(action="orgs.unit.dissolve", target_id=str(unit.pk)).exists()
    assert OrgUnit.objects.filter(pk=unit.pk).exists()  # never deleted
    with pytest.raises(ConflictError):
        services.unit_dissolve(actor=world.users["admin"], unit_id=unit.pk)
    with pytest.raises(ConflictError):
        services.unit_update(actor=world.users["admin"], unit_id=unit.pk, name="x")


def test_dissolved_children_do_not_block(world):
    unit = create(world, parent=world.college_b, code="X1")
    services.unit_dissolve(actor=world.users["admin"], unit_id=unit.pk)
    person = Person.objects.get(unit=world.branch_b1)
    person.unit = world.branch_a1
    person.save()
    services.unit_dissolve(actor=world.users["admin"], unit_id=world.branch_b1.pk)
    services.unit_dissolve(actor=world.users["admin"], unit_id=world.college_b.pk)
    world.college_b.refresh_from_db()
    assert world.college_b.status == UnitStatus.DISSOLVED


def test_history_is_newest_first(world):
    unit = create(world)
    services.unit_update(actor=world.users["admin"], unit_id=unit.pk, name="二")
    services.unit_move(actor=world.users["admin"], unit_id=unit.pk, new_parent_id=world.college_b.pk)
    services.unit_dissolve(actor=world.users["admin"], unit_id=unit.pk)
    kinds = list(UnitEvent.objects.filter(unit=unit).values_list("kind", flat=True))
    assert kinds == [UnitEventKind.DISSOLVED, UnitEventKind.MOVED, UnitEventKind.UPDATED, UnitEventKind.CREATED]


# --- roles -------------------------------------------------------------------------------


def test_role_grant_and_revoke(world):
    sec = world.users["secadmin"]
    user = UserFactory()
    a = services.role_grant(actor=sec, user_id=user.pk, unit_id=world.branch_b1.pk, role=Role.BRANCH_SECRETARY)
    assert AuditEvent.objects.filter(action="orgs.role.grant", target_id=str(a.pk)).exists()
    with pytest.raises(ConflictError):
        services.role_grant(actor=sec, user_id=user.pk, unit_id=world.branch_b1.pk, role=Role.BRANCH_SECRETARY)
    with pytest.raises(ConflictError):  # a platform duty holds no Party role
        services.role_grant(actor=sec, user_id=world.users["auditor"].pk, unit_id=world.root.pk, role=Role.MEMBER)
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=world.users["admin"], user_id=user.pk, unit_id=world.root.pk, role=Role.MEMBER)
    with pytest.raises(DomainError):
        services.role_grant(actor=sec, user_id=user.pk, unit_id=world.root.pk, role="pope")
    services.role_revoke(actor=sec, assignment_id=a.pk)
    a.refresh_from_db()
    assert a.revoked_at is not None
    assert AuditEvent.objects.filter(action="orgs.role.revoke", target_id=str(a.pk)).exists()
    with pytest.raises(DomainError):
        services.role_revoke(actor=sec, assignment_id=a.pk)


def test_person_factory_units_are_real(world):
    assert PersonFactory(unit=world.branch_a2).unit_id == world.branch_a2.pk
