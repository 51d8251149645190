"""Two moves at the same time must not corrupt the tree (PostgreSQL only: SQLite serializes
writers at BEGIN IMMEDIATE anyway). Run with DATABASE_URL pointing at PostgreSQL."""

import threading

import pytest
from django.db import connection, connections

from cloudbranch.core.errors import DomainError
from cloudbranch.orgs import services
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, grant, make_unit


def assert_tree_consistent():
    units = {u.pk: u for u in OrgUnit.objects.all()}
    for u in units.values():
        if u.parent_id is None:
            assert (u.path, u.depth) == (f"/{u.pk}/", 0)
        else:
            parent = units[u.parent_id]
            assert u.path == f"{parent.path}{u.pk}/"
            assert u.depth == parent.depth + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_crossing_moves_from_two_threads_cannot_make_a_cycle():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    root = make_unit(name="根", code="ROOT")
    a = make_unit(parent=root, kind=UnitKind.COMMITTEE, code="A")
    b = make_unit(parent=root, kind=UnitKind.COMMITTEE, code="B")
    make_unit(parent=a, kind=UnitKind.BRANCH, code="A1")
    make_unit(parent=b, kind=UnitKind.BRANCH, code="B1")
    actor = UserFactory()
    grant(actor, root, Role.ORG_ADMIN)

    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def move(name, unit_id, parent_id):
        from django.contrib.auth import get_user_model

        try:
            user = get_user_model().objects.get(pk=actor.pk)  # own object: grants are cached per user object
            barrier.wait(timeout=10)
            services.unit_move(actor=user, unit_id=unit_id, new_parent_id=parent_id)
            outcomes[name] = "moved"
        except DomainError as exc:
            outcomes[name] = exc
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes[name] = repr(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=move, args=("a_under_b", a.pk, b.pk)),
        threading.Thread(target=move, args=("b_under_a", b.pk, a.pk)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    values = list(outcomes.values())
    assert values.count("moved") == 1, outcomes
    assert sum(isinstance(v, DomainError) for v in values) == 1, outcomes
    assert_tree_consistent()
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.parent_id == b.pk) != (b.parent_id == a.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_moves_of_disjoint_subtrees_both_land():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    root = make_unit(name="根", code="ROOT")
    a = make_unit(parent=root, kind=UnitKind.COMMITTEE, code="A")
    b = make_unit(parent=root, kind=UnitKind.COMMITTEE, code="B")
    c = make_unit(parent=root, kind=UnitKind.COMMITTEE, code="C")
    for parent in (a, b):
        for i in range(5):
            branch = make_unit(parent=parent, kind=UnitKind.BRANCH, code=f"{parent.code}{i}")
            make_unit(parent=branch, kind=UnitKind.GROUP, code=f"{parent.code}{i}G")
    actor = UserFactory()
    grant(actor, root, Role.ORG_ADMIN)
    barrier = threading.Barrier(2)
    errors = []

    def move(unit_id, parent_id):
        from django.contrib.auth import get_user_model

        try:
            user = get_user_model().objects.get(pk=actor.pk)
            barrier.wait(timeout=10)
            services.unit_move(actor=user, unit_id=unit_id, new_parent_id=parent_id)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=move, args=(a.pk, c.pk)), threading.Thread(target=move, args=(b.pk, a.pk))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert_tree_consistent()
    b.refresh_from_db()
    assert b.path.startswith(f"/{root.pk}/{c.pk}/{a.pk}/")
