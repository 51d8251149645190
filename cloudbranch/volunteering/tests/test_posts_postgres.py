"""N members signing up for one shift at the same moment never exceed its headcount: the shift
row is locked (select_for_update) for the seat decision. Needs real concurrency: PostgreSQL."""

import threading

import pytest
from django.db import connection

from cloudbranch.volunteering import signups
from cloudbranch.volunteering.choices import SEAT_STATUSES, SignupStatus
from cloudbranch.volunteering.models import Signup

from .factories import posts_member, posts_open_post

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("runs against PostgreSQL (bash scripts/test-postgres.sh)")


def _race(users, fn):
    barrier = threading.Barrier(len(users))
    results, errors = [], []

    def run(user):
        from django.contrib.auth import get_user_model

        try:
            own = get_user_model().objects.get(pk=user.pk)
            barrier.wait(timeout=10)
            results.append(fn(own))
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def test_ten_threads_three_seats(world):
    _post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1, headcount=3)
    users = [posts_member(world.branch_a1, f"并发{i}")[0] for i in range(10)]
    results, errors = _race(users, lambda u: signups.signup(actor=u, shift_id=shift.pk))
    assert errors == []
    assert len(results) == 10
    assert Signup.objects.filter(shift=shift, status__in=SEAT_STATUSES).count() == 3
    waitlisted = list(Signup.objects.filter(shift=shift, status=SignupStatus.WAITLISTED).order_by("signed_up_at", "id"))
    assert len(waitlisted) == 7
    assert [signups.waitlist_position(w) for w in waitlisted] == list(range(1, 8))


def test_concurrent_cancellations_promote_exactly_the_freed_seats(world):
    _post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1, headcount=3)
    users = [posts_member(world.branch_a1, f"并发{i}")[0] for i in range(8)]
    rows = {u.pk: signups.signup(actor=u, shift_id=shift.pk) for u in users}
    seated = [u for u in users if rows[u.pk].status == SignupStatus.SIGNED_UP]
    _results, errors = _race(seated, lambda u: signups.signup_cancel(actor=u, signup_id=rows[u.pk].pk))
    assert errors == []
    assert Signup.objects.filter(shift=shift, status__in=SEAT_STATUSES).count() == 3
    assert Signup.objects.filter(shift=shift, status=SignupStatus.WAITLISTED).count() == 2


def test_lowering_the_headcount_while_members_sign_up_never_leaves_more_seats_than_headcount(world):
    """P7 under the shift lock: the headcount drops to the seats taken while three more sign up.
    Whichever comes first, the seats never exceed the headcount; a refused change says so."""
    from cloudbranch.core.errors import DomainError
    from cloudbranch.volunteering import posts

    secretary = world.users["secretary1"]
    _post, (shift,) = posts_open_post(secretary, world.branch_a1, headcount=4)
    first = [posts_member(world.branch_a1, f"先报{i}")[0] for i in range(2)]
    for u in first:
        signups.signup(actor=u, shift_id=shift.pk)
    racers = [posts_member(world.branch_a1, f"并发{i}")[0] for i in range(3)]

    def act(user):
        if user.pk == secretary.pk:
            try:
                return posts.shift_update(actor=user, shift_id=shift.pk, headcount=2).headcount
            except DomainError as exc:
                return exc.errors[0]["field"]
        return signups.signup(actor=user, shift_id=shift.pk).status

    results, errors = _race([secretary, *racers], act)
    assert errors == [] and len(results) == 4
    shift.refresh_from_db()
    seats = Signup.objects.filter(shift=shift, status__in=SEAT_STATUSES).count()
    assert seats <= shift.headcount
    assert (shift.headcount == 2 and seats == 2) or (shift.headcount == 4 and "headcount" in results)
