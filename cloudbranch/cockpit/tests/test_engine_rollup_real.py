"""Roll-up equals the sum of the children for EVERY metric of the real catalogue (not test metrics):
a full recompute of the ``world`` tree with data in several areas, then, for every stored additive
figure, total(unit) = own(unit) + Σ total(child), and the root's total = Σ own over the tree."""

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
from django.utils import timezone

from cloudbranch.cockpit import engine
from cloudbranch.cockpit.models import OrgMetric
from cloudbranch.fees.choices import BillStatus
from cloudbranch.fees.models import Bill
from cloudbranch.meetings.choices import MeetingKind, MeetingStatus
from cloudbranch.meetings.tests.factories import make_meeting
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.testing.factories import PersonFactory
from cloudbranch.worktasks.tests.factories import issue_task

pytestmark = pytest.mark.django_db
ZERO = Decimal(0)


@pytest.fixture
def busy_world(world):
    """People in several units (one in a group, one at the root), a held meeting, dues, a task."""
    w = world
    today = timezone.localdate()
    PersonFactory(unit=w.group_a1)
    PersonFactory(unit=w.root)
    PersonFactory(unit=w.branch_b1, gender="female", category="faculty")
    make_meeting(
        unit=w.branch_a1,
        created_by=w.users["secretary1"],
        kind=MeetingKind.GENERAL,
        status=MeetingStatus.HELD,
        starts_at=timezone.now() - datetime.timedelta(days=1),
    )
    month = today.replace(day=1)
    for person, status in ((w.people["a1_other"], BillStatus.PAID), (w.people["a2_person"], BillStatus.OPEN)):
        Bill.objects.create(person=person, unit=person.unit, month=month, amount_due=Decimal("12.50"), status=status)
    # The task counts in the period of its deadline: the last second of today (local), still ahead.
    deadline = timezone.make_aware(datetime.datetime.combine(today, datetime.time(23, 59, 59)))
    if timezone.now() >= deadline - datetime.timedelta(minutes=1):
        pytest.skip("within a minute of local midnight: the deadline must fall on today")
    issue_task(w.users["admin"], w.root, [w.branch_a1, w.branch_a2, w.branch_b1], deadline=deadline)
    return w


def test_every_real_metric_rolls_up_as_own_plus_childrens_totals(busy_world):
    w = busy_world
    today = timezone.localdate()
    run = engine.recompute_all(today=today)
    assert run.error == ""
    additive = {m.key for m in engine.computed_metrics() if m.additive}
    children: dict[int, list[int]] = defaultdict(list)
    for unit_id, parent_id in OrgUnit.objects.values_list("id", "parent_id"):
        if parent_id:
            children[parent_id].append(unit_id)

    figures: dict[tuple, dict[int, tuple[Decimal, Decimal]]] = defaultdict(dict)
    for unit_id, key, kind, start, own, total in OrgMetric.objects.filter(key__in=additive).values_list(
        "unit_id", "key", "period_kind", "period_start", "own", "total"
    ):
        figures[(key, kind, start)][unit_id] = (own, total)

    keys_seen = {key for key, _, _ in figures}
    # the data above reaches several areas: the check is not vacuous
    assert {"structure.party_members", "life.meetings_held", "dues.expected_fen", "tasks.received"} <= keys_seen

    checked = 0
    for (key, kind, start), rows in figures.items():
        for unit_id in [w.root.pk, w.college_a.pk, w.college_b.pk, w.branch_a1.pk, w.branch_a2.pk, w.branch_b1.pk]:
            own, total = rows.get(unit_id, (ZERO, ZERO))
            below = sum((rows.get(c, (ZERO, ZERO))[1] for c in children[unit_id]), ZERO)
            assert total == own + below, (key, kind, start, unit_id)
            checked += 1
        assert rows.get(w.root.pk, (ZERO, ZERO))[1] == sum((o for o, _ in rows.values()), ZERO), (key, kind, start)
    assert checked > 100
