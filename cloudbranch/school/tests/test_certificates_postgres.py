"""Certificate serials stay unique when many classes issue at the same moment: the SerialCounter
row is locked (select_for_update). Needs real concurrency: PostgreSQL."""

import threading

import pytest
from django.db import connection, transaction

from cloudbranch.school import certificates
from cloudbranch.school.models import Certificate
from cloudbranch.testing.factories import UserFactory

from .factories import make_class, make_enrolment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("runs against PostgreSQL (bash scripts/test-postgres.sh)")


def test_concurrent_issues_never_share_a_serial(world):
    teacher = UserFactory()
    batches = []
    for n in range(6):
        tc = make_class(world.college_a, head_teacher=teacher, title=f"第 {n} 期")
        batches.append((tc, [make_enrolment(tc) for _ in range(5)]))
    barrier = threading.Barrier(len(batches))
    errors = []

    def run(tc, enrolments):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                certificates.issue_certificates(actor=teacher, training_class=tc, enrolments=enrolments)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=batch) for batch in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    serials = sorted(Certificate.objects.values_list("serial", flat=True))
    assert len(serials) == len(set(serials)) == 30
    assert [int(s.rsplit("-", 1)[1]) for s in serials] == list(range(1, 31))
