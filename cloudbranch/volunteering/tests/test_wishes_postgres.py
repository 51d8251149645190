"""Ten members claim one wish at the same moment: exactly one wins, nine get a clear 409.
Needs real concurrency: PostgreSQL (bash scripts/test-postgres.sh this file)."""

import threading

import pytest
from django.db import connection

from cloudbranch.core.errors import ConflictError
from cloudbranch.volunteering import wishes
from cloudbranch.volunteering.choices import WishStatus
from cloudbranch.volunteering.models import Wish, WishEvent

from .factories import wish_member, wish_open

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("runs against PostgreSQL (make test starts one)")


def test_ten_concurrent_claims_one_winner(world):
    wish = wish_open(world.users["secretary1"], world.branch_a1)
    users = [wish_member(world.branch_a1, f"党员{i}")[0] for i in range(10)]
    barrier = threading.Barrier(len(users))
    won, conflicts, errors = [], [], []

    def claim(user):
        try:
            barrier.wait(timeout=10)
            wishes.wish_claim(actor=user, wish_id=wish.pk)
            won.append(user)
        except ConflictError as exc:
            conflicts.append(exc)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len(won) == 1 and len(conflicts) == 9
    assert all(exc.status == 409 and "已被其他党员认领" in exc.message for exc in conflicts)
    wish = Wish.objects.get(pk=wish.pk)
    assert wish.status == WishStatus.CLAIMED and wish.claimed_by.user == won[0]
    assert WishEvent.objects.filter(wish=wish, status=WishStatus.CLAIMED).count() == 1


def test_one_member_parallel_claims_respect_the_limit(world):
    sec = world.users["secretary1"]
    made = [wish_open(sec, world.branch_a1, title=f"心愿{i}") for i in range(6)]
    user, person = wish_member(world.branch_a1)
    barrier = threading.Barrier(len(made))
    errors = []

    def claim(w):
        try:
            barrier.wait(timeout=10)
            wishes.wish_claim(actor=user, wish_id=w.pk)
        except Exception as exc:  # noqa: BLE001 - counted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(w,)) for w in made]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert Wish.objects.filter(claimed_by=person, status=WishStatus.CLAIMED).count() == wishes.MAX_OPEN_CLAIMS
    assert len(errors) == len(made) - wishes.MAX_OPEN_CLAIMS
