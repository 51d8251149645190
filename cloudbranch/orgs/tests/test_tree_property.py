"""Property: any sequence of moves, allowed or refused, keeps every materialized path equal to
the parent's path + own id, and every depth equal to the parent's depth + 1."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudbranch.core.errors import DomainError
from cloudbranch.orgs import services
from cloudbranch.orgs.choices import ALLOWED_CHILDREN, UnitKind
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, grant, make_unit

KINDS = [UnitKind.COMMITTEE, UnitKind.COMMITTEE, UnitKind.SUB_COMMITTEE, UnitKind.BRANCH, UnitKind.GROUP]
N = 9


def expected_paths(parents: dict[int, int | None]) -> dict[int, str]:
    def path(pk):
        return f"{path(parents[pk])}{pk}/" if parents[pk] is not None else f"/{pk}/"

    return {pk: path(pk) for pk in parents}


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shape=st.lists(st.tuples(st.integers(0, N - 1), st.sampled_from(KINDS)), min_size=N, max_size=N),
    moves=st.lists(st.tuples(st.integers(0, N), st.integers(0, N)), max_size=25),
)
def test_random_moves_keep_paths_and_depths(shape, moves):
    with transaction.atomic():
        root = make_unit(name="根")
        units = [root]
        for i, (parent_index, kind) in enumerate(shape):
            units.append(make_unit(parent=units[parent_index % (i + 1)], kind=kind))
        actor = UserFactory()
        grant(actor, root, Role.ORG_ADMIN)
        parents = {u.pk: u.parent_id for u in units}
        kinds = {u.pk: u.kind for u in units}

        for a, b in moves:
            unit, target = units[a], units[b]
            paths = expected_paths(parents)
            legal = (
                parents[unit.pk] is not None
                and not paths[target.pk].startswith(paths[unit.pk])
                and (parents[unit.pk] == target.pk or kinds[unit.pk] in ALLOWED_CHILDREN[kinds[target.pk]])
            )
            try:
                services.unit_move(actor=actor, unit_id=unit.pk, new_parent_id=target.pk)
            except DomainError:  # includes ConflictError (the root cannot move)
                assert not legal
            else:
                assert legal
                parents[unit.pk] = target.pk

        rows = {u.pk: u for u in OrgUnit.objects.filter(pk__in=parents)}
        want = expected_paths(parents)
        for pk, row in rows.items():
            assert row.parent_id == parents[pk]
            assert row.path == want[pk]
            if row.parent_id is None:
                assert row.depth == 0
            else:
                parent = rows[row.parent_id]
                assert row.path == f"{parent.path}{pk}/"
                assert row.depth == parent.depth + 1 == row.path.count("/") - 2
        transaction.set_rollback(True)
