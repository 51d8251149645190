"""Factories for points tests: tallies written directly (bulk), as the benchmark does."""

import datetime
import itertools

from cloudbranch.people import crypto
from cloudbranch.people.models import Person
from cloudbranch.points.choices import Period
from cloudbranch.points.models import PointTally
from cloudbranch.points.services import period_start


def tally(person, points: int, *, period: str = Period.MONTH, day: datetime.date) -> PointTally:
    return PointTally.objects.create(person=person, period=period, start=period_start(period, day), points=points)


_bulk = itertools.count(1)


def bulk_people(unit, n: int, *, name: str = "批量") -> list[int]:
    """``n`` people on the roster of ``unit``, bulk-created (no encryption work); their ids."""
    people = []
    for i in range(n):
        p = Person(
            name=f"{name}{i:05d}",
            gender="male",
            birth_date=datetime.date(1995, 1, 1),
            category="student",
            political_status="full",
            joined_on=datetime.date(2015, 1, 1),
            unit=unit,
        )
        p.id_number_encrypted = "x"
        p.id_number_hash = crypto.search_hash(f"points-bulk-{next(_bulk)}")
        p.id_number_masked = "1101**********0000"
        people.append(p)
    Person.objects.bulk_create(people, batch_size=2000)
    hashes = [p.id_number_hash for p in people]
    return list(Person.objects.filter(id_number_hash__in=hashes).values_list("pk", flat=True)) if n <= 5000 else []
