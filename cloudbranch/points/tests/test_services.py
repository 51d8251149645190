"""point_award: caps (daily, yearly, partial at the boundary), idempotency, tallies; point_adjust;
rule edits."""

import datetime
from collections import defaultdict

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.points import services
from cloudbranch.points.choices import Period
from cloudbranch.points.models import PointEvent, PointRule, PointTally
from cloudbranch.points.services import period_start, point_adjust, point_award

TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(y, m, d, h=10):
    return datetime.datetime(y, m, d, h, tzinfo=TZ)


def tallies(person):
    return {(t.period, t.start): t.points for t in PointTally.objects.filter(person=person)}


def set_rule(action="read_article", **values):
    PointRule.objects.filter(action=action).update(**values)
    services.clear_rules_cache()


def award(person, source, *, action="read_article", when=None):
    return point_award(person=person, action=action, source_type="test.source", source_id=source, occurred_at=when)


def test_award_writes_the_event_and_three_tallies(world):
    person = world.people["member1"]
    event = award(person, 1, when=at(2025, 3, 5))  # a Wednesday
    assert event.points == 1 and event.day == datetime.date(2025, 3, 5)
    assert tallies(person) == {
        ("week", datetime.date(2025, 3, 3)): 1,
        ("month", datetime.date(2025, 3, 1)): 1,
        ("year", datetime.date(2025, 1, 1)): 1,
    }
    award(person, 2, when=at(2025, 3, 9))  # Sunday: same week
    award(person, 3, when=at(2025, 3, 10))  # Monday: a new week
    t = tallies(person)
    assert t[("week", datetime.date(2025, 3, 3))] == 2 and t[("week", datetime.date(2025, 3, 10))] == 1
    assert t[("month", datetime.date(2025, 3, 1))] == 3 and t[("year", datetime.date(2025, 1, 1))] == 3


def test_same_source_twice_pays_once(world):
    person = world.people["member1"]
    assert award(person, "a", when=at(2025, 3, 5)) is not None
    assert award(person, "a", when=at(2025, 3, 6)) is None
    assert PointEvent.objects.filter(person=person).count() == 1
    assert tallies(person)[("year", datetime.date(2025, 1, 1))] == 1
    # the same source id under another action or another source type is another award
    assert point_award(person=person, action="watch_video", source_type="test.source", source_id="a") is not None


def test_a_concurrent_duplicate_is_answered_with_none_inside_the_callers_transaction(world, monkeypatch):
    """The other request inserted the event between our check and our insert: the insert fails
    on the unique constraint under a savepoint, nothing is added to the tallies, and the
    caller's transaction goes on."""
    person = world.people["member1"]
    award(person, "race", when=at(2025, 3, 5))
    real_filter = PointEvent.objects.filter

    class Unseen:
        def exists(self):
            return False

    def filter_hiding_the_duplicate(*args, **kwargs):
        if "source_id" in kwargs:
            return Unseen()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(PointEvent.objects, "filter", filter_hiding_the_duplicate)
    with transaction.atomic():
        assert award(person, "race", when=at(2025, 3, 5)) is None
        assert PointEvent.objects.count() == 1  # the transaction is still usable
    monkeypatch.undo()
    assert tallies(person)[("month", datetime.date(2025, 3, 1))] == 1


def test_daily_cap_with_a_partial_award_at_the_boundary(world):
    person = world.people["member1"]
    set_rule("watch_video", points=2, daily_cap=5)
    got = [
        point_award(person=person, action="watch_video", source_type="v", source_id=i, occurred_at=at(2025, 3, 5))
        for i in range(4)
    ]
    assert [e.points if e else None for e in got] == [2, 2, 1, None]
    # the next day starts again
    assert (
        point_award(
            person=person, action="watch_video", source_type="v", source_id=9, occurred_at=at(2025, 3, 6)
        ).points
        == 2
    )
    assert tallies(person)[("month", datetime.date(2025, 3, 1))] == 7


def test_yearly_cap_with_a_partial_award_and_a_new_year(world):
    person = world.people["member1"]
    set_rule("contest", points=3, daily_cap=0, yearly_cap=7)
    got = [
        point_award(person=person, action="contest", source_type="c", source_id=i, occurred_at=at(2025, 12, 28 + i))
        for i in range(4)
    ]
    # 28, 29, 30 December: 3 + 3 + 1 (the cap); 31 December: nothing
    assert [e.points if e else None for e in got] == [3, 3, 1, None]
    new_year = point_award(person=person, action="contest", source_type="c", source_id=99, occurred_at=at(2026, 1, 1))
    assert new_year.points == 3
    t = tallies(person)
    assert t[("year", datetime.date(2025, 1, 1))] == 7 and t[("year", datetime.date(2026, 1, 1))] == 3
    # 29 Dec 2025 – 1 Jan 2026 is one week (Monday 29 December) across the two years
    assert t[("week", datetime.date(2025, 12, 29))] == 3 + 1 + 3


def test_inactive_or_unknown_rules_pay_nothing(world):
    person = world.people["member1"]
    set_rule("post", active=False)
    assert point_award(person=person, action="post", source_type="p", source_id=1) is None
    assert point_award(person=person, action="no_such_action", source_type="p", source_id=1) is None
    assert point_award(person=person, action="adjustment", source_type="p", source_id=1) is None
    assert not PointEvent.objects.exists()


def test_rules_are_cached_until_cleared(world):
    person = world.people["member1"]
    award(person, 1)
    PointRule.objects.filter(action="read_article").update(points=4)
    assert award(person, 2).points == 1  # still the cached rule
    services.clear_rules_cache()
    assert award(person, 3).points == 4


def test_award_joins_the_callers_transaction(world):
    person = world.people["member1"]
    with pytest.raises(RuntimeError), transaction.atomic():
        award(person, 1)
        raise RuntimeError
    assert not PointEvent.objects.exists() and not PointTally.objects.exists()


def test_the_ledger_refuses_a_duplicate_source(world):
    person = world.people["member1"]
    award(person, 1, when=at(2025, 3, 5))
    with pytest.raises(IntegrityError), transaction.atomic():
        PointEvent.objects.create(
            person=person,
            action="read_article",
            points=1,
            source_type="test.source",
            source_id="1",
            day=datetime.date(2025, 3, 5),
        )


# --- property: caps and tallies ------------------------------------------------------------

RULE = {"points": 3, "daily_cap": 7, "yearly_cap": 20}
FIRST_DAY = datetime.date(2025, 12, 20)  # sequences cross a week, a month and a year boundary

AWARDS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=20), st.integers(min_value=0, max_value=25)), min_size=1, max_size=40
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(awards=AWARDS)
def test_awards_never_exceed_the_caps_and_tallies_equal_the_ledger(world, awards):
    person = world.people["member1"]
    set_rule("duel_win", **RULE)
    try:
        with transaction.atomic():
            model_day, model_year, seen = defaultdict(int), defaultdict(int), set()
            for offset, source in awards:
                day = FIRST_DAY + datetime.timedelta(days=offset)
                event = point_award(
                    person=person,
                    action="duel_win",
                    source_type="duel",
                    source_id=source,
                    occurred_at=datetime.datetime(day.year, day.month, day.day, 12, tzinfo=TZ),
                )
                expected = 0
                if source not in seen:
                    expected = max(0, min(3, 7 - model_day[day], 20 - model_year[day.year]))
                assert (event.points if event else 0) == expected
                if event:
                    seen.add(source)
                    model_day[day] += expected
                    model_year[day.year] += expected
            events = list(PointEvent.objects.filter(person=person))
            per_day, per_year, per_period = defaultdict(int), defaultdict(int), defaultdict(int)
            for e in events:
                assert e.points > 0
                per_day[e.day] += e.points
                per_year[e.day.year] += e.points
                for period in Period.values:
                    per_period[(period, period_start(period, e.day))] += e.points
            assert all(v <= RULE["daily_cap"] for v in per_day.values())
            assert all(v <= RULE["yearly_cap"] for v in per_year.values())
            assert tallies(person) == dict(per_period)
            raise _Rollback
    except _Rollback:
        pass


class _Rollback(Exception):
    pass


# --- adjustments ---------------------------------------------------------------------------


def test_adjustment_is_audited_and_moves_the_tallies(world):
    admin, person = world.users["admin"], world.people["a1_other"]
    award(person, 1)
    event = point_adjust(actor=admin, person_id=person.pk, points=-5, note="重复计分更正")
    assert event.action == "adjustment" and event.points == -5 and event.source_type == "adjustment"
    again = point_adjust(actor=admin, person_id=person.pk, points=-5, note="重复计分更正")
    assert again.source_id != event.source_id  # each adjustment is its own source
    today = timezone.localdate()
    assert tallies(person)[("year", period_start("year", today))] == 1 - 10
    audit = AuditEvent.objects.filter(action="points.event.adjust", target_id=str(person.pk))
    assert audit.count() == 2 and audit.first().changes["note"] == "重复计分更正"


def test_adjustment_needs_a_reason_and_nonzero_points(world):
    admin, person = world.users["admin"], world.people["a1_other"]
    with pytest.raises(DomainError) as exc:
        point_adjust(actor=admin, person_id=person.pk, points=0, note=" ")
    assert {e["field"] for e in exc.value.errors} == {"points", "note"}
    assert not PointEvent.objects.exists() and not AuditEvent.objects.filter(action="points.event.adjust").exists()


def test_adjustment_permissions(world):
    person = world.people["a1_other"]
    with pytest.raises(PermissionDenied):  # sees the person, may not adjust
        point_adjust(actor=world.users["secretary1"], person_id=person.pk, points=1, note="x")
    with pytest.raises(Http404):  # sibling branch
        point_adjust(actor=world.users["secretary2"], person_id=person.pk, points=1, note="x")
    with pytest.raises(Http404):
        point_adjust(actor=world.users["member1"], person_id=person.pk, points=1, note="x")


# --- rules ---------------------------------------------------------------------------------


def test_rule_update_is_audited_and_takes_effect(world):
    rule = PointRule.objects.get(action="read_article")
    person = world.people["member1"]
    award(person, 1)  # loads the cache
    services.point_rule_update(
        actor=world.users["admin"], rule_id=rule.pk, points=2, daily_cap=10, yearly_cap=0, active=True
    )
    audit = AuditEvent.objects.get(action="points.rule.update", target_id=str(rule.pk))
    assert audit.changes["points"] == {"old": 1, "new": 2}
    assert award(person, 2).points == 2


def test_rule_update_rules(world):
    rule = PointRule.objects.get(action="read_article")
    with pytest.raises(PermissionDenied):
        services.point_rule_update(actor=world.users["secretary1"], rule_id=rule.pk, points=2)
    with pytest.raises(DomainError) as exc:
        services.point_rule_update(actor=world.users["admin"], rule_id=rule.pk, points=9, daily_cap=5)
    assert exc.value.errors[0]["field"] == "daily_cap"
    adjustment = PointRule.objects.get(action="adjustment")
    with pytest.raises(DomainError):
        services.point_rule_update(actor=world.users["admin"], rule_id=adjustment.pk, points=1)
    assert not AuditEvent.objects.filter(action="points.rule.update").exists()
